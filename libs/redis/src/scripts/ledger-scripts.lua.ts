/**
 * Lua scripts of the Redis request ledger. Keys: one hash per request (`<prefix>:req:<id>`:
 * b batch id, s state, r rank, a attempts, c cancel flag, res result, u updated-at ms) and one
 * per batch (`<prefix>:batch:<id>`: total, a count per state, c cancel flag). Each script applies
 * a whole batch of records in one call: one round trip per stage batch.
 *
 * The proxy's Redis must be a single primary (not Cluster): these scripts touch the keys of many
 * requests at once.
 */

/**
 * accept-N: record requests as queued and append their envelopes to the inbox, atomically, under
 * an optional idempotency guard checked and updated in the same step (layout: redis-idempotency.ts).
 * KEYS[1] inbox stream; with a guard KEYS[2] the key's entry hash, KEYS[3] its lock, KEYS[4] its
 * progress ids list; then per request i: a request hash and a batch hash
 * ARGV[1] now ms, ARGV[2] retention ms, ARGV[3] guard: 'none' | 'batch' | 'stream', then the guard's
 * values: batch: ARGV[4] fingerprint, ARGV[5] response, ARGV[6] ttl ms;
 * stream: ARGV[4] owner, ARGV[5] batch id, ARGV[6] line, ARGV[7] digest, ARGV[8] ttl ms;
 * then per request i: id, batch id, payload
 * Returns {'accepted', n recorded} (an id already known is skipped entirely) | batch:
 * {'replay', response} | {'mismatch'} | {'in_progress'} | stream: {'lost'}. Only 'accepted' wrote.
 */
export const ACCEPT_N = `
local now, ttl, guard = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local k, a = 2, 4
if guard == 'batch' then
  local held = redis.call('HMGET', KEYS[2], 'f', 'r', 'b')
  if held[2] then
    if held[1] == ARGV[4] then return {'replay', held[2]} end
    return {'mismatch'}
  end
  if redis.call('EXISTS', KEYS[3]) == 1 then return {'in_progress'} end
  -- A stream that died left progress: a batch body can never be that stream.
  if held[3] then return {'mismatch'} end
  k, a = 5, 7
elseif guard == 'stream' then
  -- Fencing: a holder whose lock expired must not write after another took the key over.
  if redis.call('GET', KEYS[3]) ~= ARGV[4] then return {'lost'} end
  k, a = 5, 9
end
local recorded = 0
for i = 0, (#KEYS - k + 1) / 2 - 1 do
  local req, batch = KEYS[k + 2 * i], KEYS[k + 2 * i + 1]
  local id, batchId, payload = ARGV[a + 3 * i], ARGV[a + 3 * i + 1], ARGV[a + 3 * i + 2]
  if redis.call('EXISTS', req) == 0 then
    redis.call('HSET', req, 'b', batchId, 's', 'queued', 'r', 0, 'a', 0, 'u', now)
    redis.call('PEXPIRE', req, ttl)
    redis.call('HINCRBY', batch, 'total', 1)
    redis.call('HINCRBY', batch, 'queued', 1)
    redis.call('PEXPIRE', batch, ttl)
    redis.call('XADD', KEYS[1], '*', 'p', payload, 'k', id)
    recorded = recorded + 1
  end
  if guard == 'stream' then redis.call('RPUSH', KEYS[4], id) end
end
if guard == 'batch' then
  redis.call('HSET', KEYS[2], 'f', ARGV[4], 'r', ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
elseif guard == 'stream' then
  redis.call('HSET', KEYS[2], 'b', ARGV[5], 'l', ARGV[6], 'd', ARGV[7])
  redis.call('PEXPIRE', KEYS[2], ARGV[8])
  redis.call('PEXPIRE', KEYS[4], ARGV[8])
end
return {'accepted', recorded}
`;

/**
 * advance-N: apply transitions that are newer (higher rank) than what is recorded.
 * KEYS per transition i: KEYS[2i-1] request hash, KEYS[2i] batch hash
 * ARGV[1] now ms, ARGV[2] retention ms; per transition i: ARGV[3i] state, ARGV[3i+1] rank, ARGV[3i+2] attempts
 * Returns the number applied. Unknown (expired) requests are skipped.
 */
export const ADVANCE_N = `
local now, ttl = ARGV[1], tonumber(ARGV[2])
local applied = 0
for i = 1, #KEYS / 2 do
  local req, batch = KEYS[2 * i - 1], KEYS[2 * i]
  local state, rank, attempts = ARGV[3 * i], tonumber(ARGV[3 * i + 1]), ARGV[3 * i + 2]
  local current = redis.call('HMGET', req, 's', 'r')
  if current[1] and rank > tonumber(current[2]) then
    redis.call('HSET', req, 's', state, 'r', rank, 'a', attempts, 'u', now)
    redis.call('PEXPIRE', req, ttl)
    redis.call('HINCRBY', batch, current[1], -1)
    redis.call('HINCRBY', batch, state, 1)
    applied = applied + 1
  end
end
return applied
`;

/**
 * advance-unless-cancelled-N: advance-N for the requests whose request and batch hashes carry no
 * cancel flag. KEYS as advance-N; ARGV[1] now ms, ARGV[2] retention ms; per transition i:
 * ARGV[4i-1] id, ARGV[4i] state, ARGV[4i+1] rank, ARGV[4i+2] attempts.
 * Returns the ids that are cancelled (left as they were).
 */
export const ADVANCE_UNLESS_CANCELLED_N = `
local now, ttl = ARGV[1], tonumber(ARGV[2])
local cancelled = {}
for i = 1, #KEYS / 2 do
  local req, batch = KEYS[2 * i - 1], KEYS[2 * i]
  local id, state, rank, attempts = ARGV[4 * i - 1], ARGV[4 * i], tonumber(ARGV[4 * i + 1]), ARGV[4 * i + 2]
  local current = redis.call('HMGET', req, 's', 'r', 'c')
  if current[3] == '1' or redis.call('HGET', batch, 'c') == '1' then
    cancelled[#cancelled + 1] = id
  elseif current[1] and rank > tonumber(current[2]) then
    redis.call('HSET', req, 's', state, 'r', rank, 'a', attempts, 'u', now)
    redis.call('PEXPIRE', req, ttl)
    redis.call('HINCRBY', batch, current[1], -1)
    redis.call('HINCRBY', batch, state, 1)
  end
end
return cancelled
`;

/**
 * finalize-N: record final outcomes once and enqueue their callbacks in the same step.
 * KEYS[1] callbacks stream; per record i: KEYS[2i] request hash, KEYS[2i+1] batch hash
 * ARGV[1] now ms, ARGV[2] retention ms, ARGV[3] final rank; per record i, six values from ARGV[4]:
 * id, batch id, status, attempts, result, callback job (empty for none)
 * Returns the ids finalised by this call. A request the ledger no longer knows is recorded anew.
 */
export const FINALIZE_N = `
local now, ttl, final = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local finalized = {}
for i = 1, (#KEYS - 1) / 2 do
  local req, batch = KEYS[2 * i], KEYS[2 * i + 1]
  local o = 6 * (i - 1) + 3
  local id, batchId, status, attempts, result, callback = ARGV[o + 1], ARGV[o + 2], ARGV[o + 3], ARGV[o + 4], ARGV[o + 5], ARGV[o + 6]
  local current = redis.call('HMGET', req, 's', 'r')
  local state = current[1]
  if not state then
    state = 'queued'
    redis.call('HINCRBY', batch, 'total', 1)
    redis.call('HINCRBY', batch, 'queued', 1)
  end
  if current[2] ~= final then
    redis.call('HSET', req, 'b', batchId, 's', status, 'r', final, 'a', attempts, 'res', result, 'u', now)
    redis.call('PEXPIRE', req, ttl)
    redis.call('HINCRBY', batch, state, -1)
    redis.call('HINCRBY', batch, status, 1)
    redis.call('PEXPIRE', batch, ttl)
    if callback ~= '' then
      redis.call('XADD', KEYS[1], '*', 'p', callback, 'k', id)
    end
    finalized[#finalized + 1] = id
  end
end
return finalized
`;

/**
 * cancel-2: set the cancel flag of a request or batch hash and log it, once.
 * KEYS[1] the request or batch hash, KEYS[2] cancellation log stream
 * ARGV[1] request id ('' for a batch), ARGV[2] batch id ('' to read it from the request hash)
 * Returns the hash's fields (flat) after the change, or nil when it does not exist.
 */
export const CANCEL_2 = `
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
if redis.call('HGET', KEYS[1], 'c') ~= '1' then
  redis.call('HSET', KEYS[1], 'c', '1')
  local batchId = ARGV[2]
  if batchId == '' then batchId = redis.call('HGET', KEYS[1], 'b') end
  if ARGV[1] == '' then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', 100000, '*', 'b', batchId)
  else
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', 100000, '*', 'r', ARGV[1], 'b', batchId)
  end
end
return redis.call('HGETALL', KEYS[1])
`;
