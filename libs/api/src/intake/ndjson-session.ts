import { isUtf8 } from 'node:buffer';
import type { Hash } from 'node:crypto';
import { describeIssues, serializeEnvelope } from '@parc/envelope';
import type { ErrorCode, FieldIssue } from '@parc/errors';
import type { AcceptedRequest, StreamPosition, StreamProgress } from '@parc/store';
import { idempotencyMismatch } from '../idempotency';
import type { ApiLimits } from '../options';
import type { ApiError } from '../schemas/bodies';
import type { RequestSpec } from '../schemas/request-spec';
import type { IssueCheck } from '../validation';
import { ChunkedAcceptor } from './chunked-acceptor';
import type { SpecConverter, SubmissionIds } from './converter';
import { FlowAgreement } from './flow-agreement';
import { LineDigest } from './line-digest';
import { LineSplitter, type Line } from './line-splitter';
import type { BatchContext } from './merge';

/** A line that was not accepted, and why. */
export interface Rejection {
  readonly line: number;
  readonly error: ApiError;
}

/** Everything an NDJSON session needs; one session reads one stream. */
export interface NdjsonSessionOptions {
  readonly converter: SpecConverter;
  readonly checkSpec: IssueCheck<RequestSpec>;
  /** Writes one chunk of requests, which brings the stream to `position` (see {@link ChunkedAcceptor}). */
  readonly write: (requests: AcceptedRequest[], position: StreamPosition) => Promise<void>;
  readonly chunkSize: number;
  readonly chunkMs: number;
  /** What an earlier attempt at this stream accepted: lines 1…`resume.line` are checked again, not accepted again. */
  readonly resume?: StreamProgress;
  readonly batch: BatchContext;
  readonly ids: SubmissionIds;
  readonly limits: Pick<ApiLimits, 'maxNdjsonLineBytes' | 'maxNdjsonLines'>;
  readonly now: () => number;
  /** Fed every byte of the stream, for the Idempotency-Key fingerprint; lines are digested too when set. */
  readonly hash?: Hash;
  /** Told about every non-blank line (metrics). */
  readonly onLine?: (outcome: 'accepted' | 'rejected') => void;
}

const CR = 0x0d;

function isBlank(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x09 && byte !== CR) return false;
  return true;
}

/**
 * Reads an NDJSON stream: each line is checked, converted and handed to the acceptor as it
 * arrives, so memory holds one chunk of requests, not the body. Lines past `maxNdjsonLines`
 * are not read (one rejection says so); the rest of the body is still drained, never
 * destroyed, so that the answer can be sent on the same connection.
 *
 * Resuming, the lines an earlier attempt accepted are checked (for the same rejections) but their
 * requests are not accepted again: once the digest through `resume.line` matches, their ids are
 * taken as they were, and the lines after are accepted as usual. Another digest (or a shorter
 * body) means another body: nothing is accepted and `run` throws IDEMPOTENCY_KEY_MISMATCH.
 */
export class NdjsonSession {
  readonly rejected: Rejection[] = [];
  /** Non-blank lines seen. */
  requests = 0;
  private stopped = false;
  private resumed = false;
  private nowMs = 0;
  private readonly splitter: LineSplitter;
  private readonly digest: LineDigest | undefined;
  private readonly acceptor: ChunkedAcceptor;
  private readonly flowAgreement = new FlowAgreement();
  private readonly onLine = (line: Line): void => this.handle(line);

  constructor(private readonly options: NdjsonSessionOptions) {
    this.splitter = new LineSplitter(options.limits.maxNdjsonLineBytes);
    this.digest = options.hash === undefined ? undefined : new LineDigest();
    this.acceptor = new ChunkedAcceptor({
      accept: options.write,
      position: () => this.digest?.position() ?? { line: 0, digest: '' },
      chunkSize: options.chunkSize,
      chunkMs: options.chunkMs,
    });
  }

  /** Ids accepted so far (resumed ones first), in stream order. */
  get accepted(): readonly string[] {
    return this.acceptor.ids;
  }

  /** Ids taken over from the attempt this one resumed. */
  get resumedIds(): number {
    return this.resumed ? (this.options.resume?.ids.length ?? 0) : 0;
  }

  /** Reads the stream to its end and returns the ids accepted. @throws when a write failed or the stream broke. */
  async run(stream: AsyncIterable<Buffer | string>): Promise<string[]> {
    const { acceptor } = this;
    const { hash } = this.options;
    try {
      for await (const piece of stream) {
        const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
        hash?.update(chunk);
        this.nowMs = this.options.now();
        this.splitter.push(chunk, this.onLine);
        acceptor.throwIfFailed();
        // Not reading while writes queue up lets TCP slow a fast client down.
        if (acceptor.congested) await acceptor.settled();
      }
      this.splitter.end(this.onLine);
    } catch (error) {
      await acceptor.abandon();
      throw error;
    }
    if (this.options.resume !== undefined && !this.resumed) throw idempotencyMismatch();
    return acceptor.finish();
  }

  private handle(line: Line): void {
    this.digest?.add(line);
    if (!this.stopped) this.handleLine(line);
    const { resume } = this.options;
    if (resume !== undefined && line.number === resume.line) this.endResumedPart(resume);
  }

  /** At the last line the earlier attempt accepted: the same lines so far, or another body. */
  private endResumedPart(resume: StreamProgress): void {
    if (this.digest?.position().digest !== resume.digest) {
      // Another body: accept nothing, but drain it so that the 422 goes out on this connection.
      this.stopped = true;
      return;
    }
    this.resumed = true;
    this.acceptor.adopt(resume.ids);
  }

  private handleLine(line: Line): void {
    if ('tooLongBytes' in line) {
      this.reject(line.number, 'PAYLOAD_TOO_LARGE', `the line has ${line.tooLongBytes} bytes, more than ${this.options.limits.maxNdjsonLineBytes} (limit maxNdjsonLineBytes)`);
      return;
    }
    const bytes = line.bytes[line.bytes.length - 1] === CR ? line.bytes.subarray(0, -1) : line.bytes;
    if (isBlank(bytes)) return;
    if (++this.requests > this.options.limits.maxNdjsonLines) {
      this.stopped = true;
      const max = this.options.limits.maxNdjsonLines;
      this.reject(line.number, 'PAYLOAD_TOO_LARGE', `the stream holds more than ${max} requests (limit maxNdjsonLines); this line and the ones after it were not read`);
      return;
    }
    this.accept(line.number, bytes);
  }

  private accept(number: number, bytes: Buffer): void {
    if (!isUtf8(bytes)) return this.reject(number, 'BODY_MALFORMED', 'the line is not valid UTF-8');
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return this.reject(number, 'BODY_MALFORMED', `the line is not valid JSON: ${reason.slice(0, 200)}`);
    }
    const checked = this.options.checkSpec(value);
    if (!checked.ok) return this.reject(number, 'REQUEST_INVALID', describeIssues(checked.issues), checked.issues);
    const { batch, ids, converter } = this.options;
    const converted = converter.convert(checked.value, batch, ids, this.nowMs);
    if (!converted.ok) {
      const issues = converted.issues.map(({ path, message }) => ({ path, message }));
      return this.reject(number, 'REQUEST_INVALID', describeIssues(issues), issues);
    }
    const disagreement = this.flowAgreement.check(converted.envelope, `line ${number}`);
    if (disagreement !== undefined) return this.reject(number, 'REQUEST_INVALID', describeIssues([disagreement]), [disagreement]);
    const resumedLine = this.options.resume !== undefined && number <= this.options.resume.line;
    if (!resumedLine) this.acceptor.add({ id: converted.envelope.id, batchId: ids.batchId, payload: serializeEnvelope(converted.envelope) });
    this.options.onLine?.('accepted');
  }

  private reject(line: number, code: ErrorCode, message: string, details?: readonly FieldIssue[]): void {
    this.rejected.push({ line, error: details === undefined ? { code, message } : { code, message, details: [...details] } });
    this.options.onLine?.('rejected');
  }
}
