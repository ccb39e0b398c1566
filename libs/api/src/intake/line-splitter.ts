/** One line of a stream: its bytes, or only its length when it exceeded the limit. */
export type Line =
  | { readonly number: number; readonly bytes: Buffer }
  | { readonly number: number; readonly tooLongBytes: number };

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into `\n`-terminated lines as chunks arrive, holding at most `maxBytes`
 * of any one line: the bytes of a longer line are dropped as they come and only its length is
 * reported. Line numbers are 1-based and count every line, blank ones included.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private tooLong = false;
  private number = 0;

  constructor(private readonly maxBytes: number) {}

  /** Feeds a chunk; `emit` is called synchronously for each line it completes. */
  push(chunk: Buffer, emit: (line: Line) => void): void {
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end === -1) {
        this.keep(chunk.subarray(start));
        return;
      }
      this.keep(chunk.subarray(start, end));
      this.emitLine(emit);
      start = end + 1;
    }
  }

  /** Emits the last line when the stream did not end with a newline. */
  end(emit: (line: Line) => void): void {
    if (this.size > 0) this.emitLine(emit);
  }

  private keep(piece: Buffer): void {
    if (piece.length === 0) return;
    this.size += piece.length;
    if (this.tooLong) return;
    if (this.size > this.maxBytes) {
      this.tooLong = true;
      this.parts = [];
      return;
    }
    this.parts.push(piece);
  }

  private emitLine(emit: (line: Line) => void): void {
    this.number++;
    const number = this.number;
    const line: Line = this.tooLong
      ? { number, tooLongBytes: this.size }
      : { number, bytes: this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.size) };
    this.parts = [];
    this.size = 0;
    this.tooLong = false;
    emit(line);
  }
}
