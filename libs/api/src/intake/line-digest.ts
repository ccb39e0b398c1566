import { createHash } from 'node:crypto';
import type { StreamPosition } from '@parc/store';
import type { Line } from './line-splitter';

/**
 * SHA-256 over a stream's lines as they are handled, for the position an Idempotency-Key's
 * progress records: a retry resumes only if its first lines have the same digest. Each line is
 * length-prefixed, so no two sequences of lines share an input; a line too long to keep counts
 * by its length alone (its bytes are gone, and it is rejected either way).
 */
export class LineDigest {
  private readonly hash = createHash('sha256');
  private line = 0;

  /** Adds the next line. */
  add(line: Line): void {
    if ('tooLongBytes' in line) {
      this.hash.update(`T${line.tooLongBytes}\n`);
    } else {
      this.hash.update(`${line.bytes.length}\n`);
      this.hash.update(line.bytes);
    }
    this.line = line.number;
  }

  /** The last line added and the digest through it (the hash goes on). */
  position(): StreamPosition {
    return { line: this.line, digest: this.hash.copy().digest('hex') };
  }
}
