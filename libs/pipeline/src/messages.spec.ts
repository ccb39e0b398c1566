import { isParcError } from '@parc/errors';
import { appendAttempt } from '@parc/envelope';
import { envelopeFor } from './pipeline.fixture';
import { decodeResponse, encodeResponse, parseCallbackJob } from './messages';

describe('responses messages', () => {
  it('round-trips: a small header line, then the final result text as encoded', () => {
    const envelope = appendAttempt(envelopeFor('https://api.example.com/x', { metadata: { note: 'line\nbreak' } }), {
      startedAt: '2025-01-15T12:00:00.000Z',
      durationMs: 3,
      status: 404,
    });
    const payload = encodeResponse(envelope, { status: 'failed', reason: 'non_retryable_status' }, Date.UTC(2025, 0, 15, 12, 0, 1));
    expect(payload.split('\n')).toHaveLength(2);
    const { header, result } = decodeResponse(payload);
    expect(header).toEqual({
      v: 1, id: envelope.id, batchId: envelope.batchId, traceId: envelope.traceId,
      status: 'failed', reason: 'non_retryable_status', attempts: 1,
    });
    expect(JSON.parse(result)).toMatchObject({ id: envelope.id, reason: 'non_retryable_status', metadata: { note: 'line\nbreak' }, completedAt: '2025-01-15T12:00:01.000Z' });
  });

  it.each(['', 'no newline', '{"v":2,"id":"a","batchId":"b"}\n{}', 'not json\n{}', '{"v":1}\n{}'])('refuses %p as ENVELOPE_MALFORMED', (payload) => {
    expect(() => decodeResponse(payload)).toThrow(expect.objectContaining({ code: 'ENVELOPE_MALFORMED' }));
  });
});

describe('callback jobs', () => {
  it('reads a job and refuses anything else', () => {
    const job = { id: 'r1', url: 'https://c.example/cb', body: '{}', attempt: 0 };
    expect(parseCallbackJob(JSON.stringify(job))).toEqual(job);
    for (const bad of ['x', '[]', 'null', JSON.stringify({ ...job, attempt: -1 }), JSON.stringify({ ...job, body: 1 })]) {
      let caught: unknown;
      try {
        parseCallbackJob(bad);
      } catch (error) {
        caught = error;
      }
      expect(isParcError(caught, 'ENVELOPE_MALFORMED')).toBe(true);
    }
  });
});
