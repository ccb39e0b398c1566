/**
 * claim-stream-3: take an idempotency key's lock for a stream, or say why not.
 * KEYS[1] the key's entry hash (f fingerprint, r response once completed; b batch id, l line,
 * d digest while a stream is under way), KEYS[2] its lock (owner, expiring), KEYS[3] its progress ids list
 * ARGV[1] owner, ARGV[2] lock ms
 * Returns {'completed', fingerprint, response} | {'in_progress'} | {'claimed'} |
 * {'claimed', batch id, line, digest, ids} when a holder that died left progress.
 */
export const CLAIM_STREAM_3 = `
local held = redis.call('HMGET', KEYS[1], 'f', 'r', 'b', 'l', 'd')
if held[2] then return {'completed', held[1], held[2]} end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'in_progress'} end
if held[3] then return {'claimed', held[3], held[4], held[5], redis.call('LRANGE', KEYS[3], 0, -1)} end
return {'claimed'}
`;

/**
 * renew-stream-1: extend a stream's lock if the caller still holds it.
 * KEYS[1] the lock; ARGV[1] owner, ARGV[2] lock ms
 * Returns 1 when extended, 0 when the owner lost it.
 */
export const RENEW_STREAM_1 = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/**
 * complete-stream-3: store a stream's answer and drop its lock and progress, if the caller holds the lock.
 * KEYS as claim-stream-3; ARGV[1] owner, ARGV[2] fingerprint, ARGV[3] response, ARGV[4] ttl ms
 * Returns 1 when stored, 0 (nothing written) when the owner lost the lock.
 */
export const COMPLETE_STREAM_3 = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'b', 'l', 'd')
redis.call('HSET', KEYS[1], 'f', ARGV[2], 'r', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('DEL', KEYS[2], KEYS[3])
return 1
`;

/**
 * release-stream-1: drop a stream's lock if the caller holds it (progress stays, for a retry).
 * KEYS[1] the lock; ARGV[1] owner
 * Returns 1 when dropped, 0 when the owner no longer held it.
 */
export const RELEASE_STREAM_1 = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
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
