const NEWLINE = 0x0a;

/**
 * Splits a byte stream into whole lines without decoding it: each push returns the bytes of the
 * lines it completed (newlines included) as one buffer, to be copied through unchanged, and the
 * lines themselves, to be looked at. Only the unfinished last line is held.
 */
export class LineBuffer {
  private pending: Buffer[] = [];

  /** The complete lines this chunk finished: their bytes (one buffer) and each line without its newline. */
  push(chunk: Uint8Array): { bytes: Buffer; lines: Buffer[] } {
    const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const last = data.lastIndexOf(NEWLINE);
    if (last === -1) {
      if (data.length > 0) this.pending.push(data);
      return { bytes: Buffer.alloc(0), lines: [] };
    }
    const bytes = Buffer.concat([...this.pending, data.subarray(0, last + 1)]);
    this.pending = last + 1 < data.length ? [data.subarray(last + 1)] : [];
    const lines: Buffer[] = [];
    let start = 0;
    for (let end = bytes.indexOf(NEWLINE); end !== -1; end = bytes.indexOf(NEWLINE, start)) {
      lines.push(bytes.subarray(start, end));
      start = end + 1;
    }
    return { bytes, lines };
  }

  /** The unfinished last line (empty when the stream ended with a newline); clears it. */
  rest(): Buffer {
    const rest = Buffer.concat(this.pending);
    this.pending = [];
    return rest;
  }
}
