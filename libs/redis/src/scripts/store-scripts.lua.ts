/**
 * claim-1: claim an idempotency key or answer from the completed entry.
 * KEYS[1] the key's hash (f fingerprint, r response once completed)
 * ARGV[1] fingerprint, ARGV[2] ttl ms
 * Returns {'claimed'} | {'in_progress'} | {'replay', response} | {'mismatch'}
 */
export const CLAIM_1 = `
local held = redis.call('HMGET', KEYS[1], 'f', 'r')
if not held[1] then
  redis.call('HSET', KEYS[1], 'f', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {'claimed'}
end
if not held[2] then return {'in_progress'} end
if held[1] == ARGV[1] then return {'replay', held[2]} end
return {'mismatch'}
`;

/**
 * replay-dead-3: move one dead letter back into the callbacks stream, if it is still there.
 * KEYS[1] dead letters hash (id -> letter JSON), KEYS[2] index (sorted set by death time), KEYS[3] stream
 * ARGV[1] id, ARGV[2] the job to enqueue
 * Returns 1 when moved, 0 when the letter was gone (replayed concurrently).
 */
export const REPLAY_DEAD_3 = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('XADD', KEYS[3], '*', 'p', ARGV[2], 'k', ARGV[1])
return 1
`;
