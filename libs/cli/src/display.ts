import type { Writable } from 'node:stream';
import { MultiBar, type SingleBar as SingleBarElement } from 'cli-progress';
import { BAR_FORMAT, barPayload, formatBytes, formatProgressLine, formatSendingLine, isComplete, type ProgressSnapshot } from './progress';

/** A stream that may be a terminal (process.stderr is one). */
export type MaybeTty = Writable & { readonly isTTY?: boolean; readonly columns?: number };

/** How a command shows progress while it waits: a bar on a terminal, plain lines otherwise. */
export interface ProgressView {
  /** The upload: bytes sent so far, of `sizeBytes` when known. */
  sending(sentBytes: number, sizeBytes: number | undefined): void;
  /** The batch's counts. */
  update(snapshot: ProgressSnapshot): void;
  /** A line of its own (a warning), written without garbling the bar. */
  note(line: string): void;
  /** Stops drawing (idempotent); what was drawn stays. */
  stop(): void;
}

/** Settings of {@link createProgressView}. */
export interface ProgressViewOptions {
  readonly stream: MaybeTty;
  readonly now: () => number;
  /** What is being sent, for the upload line: a file name or `stdin`. */
  readonly source: string;
  /** Plain mode: at most one progress line per this many ms (the last state is always printed). Default 2 s. */
  readonly lineIntervalMs?: number;
}

/** A bar when `stream` is a terminal, else plain lines every `lineIntervalMs`. */
export function createProgressView(options: ProgressViewOptions): ProgressView {
  return options.stream.isTTY === true ? new TerminalView(options) : new PlainView(options);
}

/** Lines for logs and CI: the first state at once, then one line per interval, and the final state. */
class PlainView implements ProgressView {
  private lastAt: number | undefined;
  private lastLine = '';
  private lastKind: 'sending' | 'batch' | undefined;
  private stopped = false;

  constructor(private readonly options: ProgressViewOptions) {}

  sending(sentBytes: number, sizeBytes: number | undefined): void {
    this.print('sending', formatSendingLine(this.options.source, sentBytes, sizeBytes), sizeBytes !== undefined && sentBytes >= sizeBytes);
  }

  update(snapshot: ProgressSnapshot): void {
    this.print('batch', formatProgressLine(snapshot), isComplete(snapshot.status));
  }

  note(line: string): void {
    this.options.stream.write(`${line}\n`);
  }

  stop(): void {
    this.stopped = true;
  }

  /** The first line of each kind and the final one always; others once per interval. */
  private print(kind: 'sending' | 'batch', line: string, final: boolean): void {
    if (this.stopped || line === this.lastLine) return;
    const now = this.options.now();
    const due = this.lastAt === undefined || kind !== this.lastKind || now - this.lastAt >= (this.options.lineIntervalMs ?? 2_000);
    if (!final && !due) return;
    this.lastAt = now;
    this.lastKind = kind;
    this.lastLine = line;
    this.options.stream.write(`${line}\n`);
  }
}

const BAR_STYLE = {
  barsize: 24,
  barCompleteChar: '\u2588',
  barIncompleteChar: '\u2591',
  // Cut to the terminal's width instead of switching its line wrapping off: an interrupted
  // run must not leave the terminal changed.
  linewrap: true,
  hideCursor: false,
  // Notes are written over the bars' lines; unchanged bars must be drawn again after them.
  forceRedraw: true,
  fps: 5,
} as const;

/**
 * cli-progress bars redrawn in place: the upload's until the proxy answers, then the batch's.
 * Notes go above the batch bar through the multi-bar's log, which never saves and restores the
 * cursor (a single bar does, and lands on a stale line once anything scrolled).
 */
class TerminalView implements ProgressView {
  private upload: { bars: MultiBar; bar: SingleBarElement } | undefined;
  private batch: { bars: MultiBar; bar: SingleBarElement } | undefined;
  private uploadDone = false;
  private stopped = false;

  constructor(private readonly options: ProgressViewOptions) {}

  sending(sentBytes: number, sizeBytes: number | undefined): void {
    if (this.stopped || this.uploadDone) return;
    const payload = { source: this.options.source, sent: formatBytes(sentBytes), size: sizeBytes === undefined ? '' : formatBytes(sizeBytes) };
    if (this.upload === undefined) {
      const format = sizeBytes === undefined ? 'sending {source}: {sent}' : 'sending {source} {bar} {percentage}% {sent} of {size}';
      const bars = this.bars(format);
      this.upload = { bars, bar: bars.create(Math.max(1, sizeBytes ?? 1), 0, payload) };
    }
    this.upload.bar.update(sizeBytes === undefined ? 0 : sentBytes, payload);
  }

  update(snapshot: ProgressSnapshot): void {
    if (this.stopped) return;
    this.endUpload();
    const { total, counts } = snapshot.status;
    if (this.batch === undefined) {
      const bars = this.bars(BAR_FORMAT);
      this.batch = { bars, bar: bars.create(Math.max(1, total), 0, barPayload(snapshot)) };
    }
    this.batch.bar.setTotal(Math.max(1, total));
    this.batch.bar.update(counts.succeeded + counts.failed, barPayload(snapshot));
  }

  note(line: string): void {
    this.endUpload();
    if (this.stopped || this.batch === undefined) this.options.stream.write(`${line}\n`);
    else this.batch.bars.log(`${line}\n`);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.endUpload();
    if (this.batch !== undefined) finish(this.batch.bars);
  }

  private bars(format: string): MultiBar {
    return new MultiBar({ ...BAR_STYLE, stream: this.options.stream, format });
  }

  /** The proxy answered: the upload's bar stays as it was last drawn, and the lines after it are plain. */
  private endUpload(): void {
    if (this.uploadDone) return;
    this.uploadDone = true;
    if (this.upload !== undefined) finish(this.upload.bars);
  }
}

/** Draws once more (which also writes the notes still in the log's buffer), then stops. */
function finish(bars: MultiBar): void {
  bars.update();
  bars.stop();
}
