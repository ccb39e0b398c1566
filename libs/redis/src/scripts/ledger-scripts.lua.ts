/**
 * Lua scripts of the Redis request ledger. Keys: one hash per request (`<prefix>:req:<id>`:
 * b batch id, s state, r rank, a attempts, c cancel flag, res result, u updated-at ms, ri its entry
 * in the batch's results stream) and one per batch (`<prefix>:batch:<id>`: total, a count per
 * state, c cancel flag, rs:<reason> failures by reason, f1 / fl first and last finished (ISO
 * 8601), sealed, bcu / bch batch callback URL and headers, done completed at, at first recorded
 * (ms)), and a stream per batch of its requests in the order they finished
 * (`<prefix>:batch:<id>:results`). Two sorted sets index the batches for the live view: the open
 * ones (`<prefix>:batches:open`, scored by `at`) and the completed ones (`<prefix>:batches:completed`,
 * scored by completion ms), written in the same step as the batch (see BATCH_INDEX). Each script
 * applies a whole batch of records in one call: one round trip per stage batch.
 *
 * The proxy's Redis must be a single primary (not Cluster): these scripts touch the keys of many
 * requests at once.
 */

/**
 * The open-batch index, shared by accept-N, finalize-N and seal-N (prepended to them). `index`:
 * {open = its key, completed = the completed-batch index's key, now = ms (as given), ttl =
 * retention ms}. `opened`: a batch's first request was recorded (its `total` became 1): it is
 * stamped `at` (unless its seal came first) and enters the index at that score. `kept`, after
 * every call that wrote batches: entries as old as the retention leave the index, since their batch
 * may have expired (or is abandoned: its intake never ended) and an entry must not outlive its
 * batch; and the index lives as long as the batches just written, so an idle ledger leaves none.
 */
const BATCH_INDEX = `
local function opened(batch, batchId, index)
  redis.call('HSETNX', batch, 'at', index.now)
  redis.call('ZADD', index.open, redis.call('HGET', batch, 'at'), batchId)
end
local function kept(index)
  redis.call('ZREMRANGEBYSCORE', index.open, '-inf', tonumber(index.now) - index.ttl)
  redis.call('PEXPIRE', index.open, index.ttl)
end
`;

/**
 * accept-N: record requests as queued and append their envelopes to the inbox, atomically, under
 * an optional idempotency guard checked and updated in the same step (layout: redis-idempotency.ts).
 * KEYS[1] inbox stream, KEYS[2] open-batch index; with a guard KEYS[3] the key's entry hash, KEYS[4]
 * its lock, KEYS[5] its progress ids list; then per request i: a request hash and a batch hash
 * ARGV[1] now ms, ARGV[2] retention ms, ARGV[3] guard: 'none' | 'batch' | 'stream', then the guard's
 * values: batch: ARGV[4] fingerprint, ARGV[5] response, ARGV[6] ttl ms;
 * stream: ARGV[4] owner, ARGV[5] batch id, ARGV[6] line, ARGV[7] digest, ARGV[8] ttl ms;
 * then per request i: id, batch id, payload
 * Returns {'accepted', n recorded} (an id already known is skipped entirely) | batch:
 * {'replay', response} | {'mismatch'} | {'in_progress'} | stream: {'lost'}. Only 'accepted' wrote.
 */
export const ACCEPT_N = BATCH_INDEX + `
local now, ttl, guard = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local index = {open = KEYS[2], now = now, ttl = ttl}
local k, a = 3, 4
if guard == 'batch' then
  local held = redis.call('HMGET', KEYS[3], 'f', 'r', 'b')
  if held[2] then
    if held[1] == ARGV[4] then return {'replay', held[2]} end
    return {'mismatch'}
  end
  if redis.call('EXISTS', KEYS[4]) == 1 then return {'in_progress'} end
  -- A stream that died left progress: a batch body can never be that stream.
  if held[3] then return {'mismatch'} end
  k, a = 6, 7
elseif guard == 'stream' then
  -- Fencing: a holder whose lock expired must not write after another took the key over.
  if redis.call('GET', KEYS[4]) ~= ARGV[4] then return {'lost'} end
  k, a = 6, 9
end
local recorded = 0
for i = 0, (#KEYS - k + 1) / 2 - 1 do
  local req, batch = KEYS[k + 2 * i], KEYS[k + 2 * i + 1]
  local id, batchId, payload = ARGV[a + 3 * i], ARGV[a + 3 * i + 1], ARGV[a + 3 * i + 2]
  if redis.call('EXISTS', req) == 0 then
    redis.call('HSET', req, 'b', batchId, 's', 'queued', 'r', 0, 'a', 0, 'u', now)
    redis.call('PEXPIRE', req, ttl)
    if redis.call('HINCRBY', batch, 'total', 1) == 1 then opened(batch, batchId, index) end
    redis.call('HINCRBY', batch, 'queued', 1)
    redis.call('PEXPIRE', batch, ttl)
    redis.call('XADD', KEYS[1], '*', 'p', payload, 'k', id)
    recorded = recorded + 1
  end
  if guard == 'stream' then redis.call('RPUSH', KEYS[5], id) end
end
if guard == 'batch' then
  redis.call('HSET', KEYS[3], 'f', ARGV[4], 'r', ARGV[5])
  redis.call('PEXPIRE', KEYS[3], ARGV[6])
elseif guard == 'stream' then
  redis.call('HSET', KEYS[3], 'b', ARGV[5], 'l', ARGV[6], 'd', ARGV[7])
  redis.call('PEXPIRE', KEYS[3], ARGV[8])
  redis.call('PEXPIRE', KEYS[5], ARGV[8])
end
if recorded > 0 then kept(index) end
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
 * The completion check, shared by finalize-N and seal-4 (prepended to both): a sealed batch whose
 * requests are all final is marked done (`done`: the time, ISO 8601) once, and, if it names a batch
 * callback (`bcu` URL, `bch` headers JSON), its batch.completed job is appended to `callbacks` in
 * the same step. The job is the JSON of @parc/store's batchCompletedJob, field for field. The batch
 * moves from the open-batch index to the completed one, scored by now (`index`: see BATCH_INDEX).
 * Completed entries as old as the retention leave it, as the batches they name may have (the
 * last final record or the seal kept each alive that long); the index lives as long as its newest.
 */
const COMPLETE = `
local function complete(batch, batchId, callbacks, nowIso, index)
  local f = redis.call('HMGET', batch, 'sealed', 'done', 'total', 'succeeded', 'failed', 'bcu', 'bch', 'f1', 'fl')
  if f[1] ~= '1' or f[2] then return end
  local total, succeeded, failed = tonumber(f[3] or '0'), tonumber(f[4] or '0'), tonumber(f[5] or '0')
  if succeeded + failed < total then return end
  redis.call('HSET', batch, 'done', nowIso)
  redis.call('ZREM', index.open, batchId)
  redis.call('ZADD', index.completed, index.now, batchId)
  redis.call('ZREMRANGEBYSCORE', index.completed, '-inf', tonumber(index.now) - index.ttl)
  redis.call('PEXPIRE', index.completed, index.ttl)
  if not f[6] then return end
  local reasons = {}
  local any = false
  local all = redis.call('HGETALL', batch)
  for j = 1, #all, 2 do
    if string.sub(all[j], 1, 3) == 'rs:' then
      reasons[string.sub(all[j], 4)] = tonumber(all[j + 1])
      any = true
    end
  end
  local data = {batchId = batchId, total = total, counts = {succeeded = succeeded, failed = failed}, results = '/v1/batches/' .. batchId .. '/results'}
  -- cjson writes an empty table as {}: an object, as the TypeScript side does.
  data.reasons = reasons
  if f[8] then data.firstFinishedAt = f[8]; data.lastFinishedAt = f[9] end
  local job = {id = batchId .. '.completed', url = f[6], body = cjson.encode({type = 'batch.completed', timestamp = nowIso, data = data}), attempt = 0}
  if f[7] and f[7] ~= '' then job.headers = cjson.decode(f[7]) end
  redis.call('XADD', callbacks, '*', 'p', cjson.encode(job), 'k', batchId)
end
`;

/**
 * finalize-N: record final outcomes once, enqueue their callbacks, append them to their batch's
 * results stream, and complete their batches, in the same step.
 * KEYS[1] callbacks stream, KEYS[2] open-batch index, KEYS[3] completed-batch index; per record i:
 * KEYS[3i+1] request hash, KEYS[3i+2] batch hash, KEYS[3i+3] the batch's results stream (entries:
 * i request id; the request hash keeps its entry id as `ri`)
 * ARGV[1] now ms, ARGV[2] retention ms, ARGV[3] final rank, ARGV[4] now ISO 8601; per record i,
 * seven values from ARGV[5]: id, batch id, status, attempts, result, callback job (empty for
 * none), failure reason (empty for none)
 * Returns the ids finalised by this call. A request the ledger no longer knows is recorded anew.
 */
export const FINALIZE_N = BATCH_INDEX + COMPLETE + `
local now, ttl, final, nowIso = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local index = {open = KEYS[2], completed = KEYS[3], now = now, ttl = ttl}
local finalized = {}
for i = 1, (#KEYS - 3) / 3 do
  local req, batch, results = KEYS[3 * i + 1], KEYS[3 * i + 2], KEYS[3 * i + 3]
  local o = 7 * (i - 1) + 4
  local id, batchId, status, attempts, result, callback, reason = ARGV[o + 1], ARGV[o + 2], ARGV[o + 3], ARGV[o + 4], ARGV[o + 5], ARGV[o + 6], ARGV[o + 7]
  local current = redis.call('HMGET', req, 's', 'r')
  local state = current[1]
  if not state then
    state = 'queued'
    if redis.call('HINCRBY', batch, 'total', 1) == 1 then opened(batch, batchId, index) end
    redis.call('HINCRBY', batch, 'queued', 1)
  end
  if current[2] ~= final then
    local entry = redis.call('XADD', results, '*', 'i', id)
    redis.call('PEXPIRE', results, ttl)
    redis.call('HSET', req, 'b', batchId, 's', status, 'r', final, 'a', attempts, 'res', result, 'u', now, 'ri', entry)
    redis.call('PEXPIRE', req, ttl)
    redis.call('HINCRBY', batch, state, -1)
    redis.call('HINCRBY', batch, status, 1)
    if reason ~= '' then redis.call('HINCRBY', batch, 'rs:' .. reason, 1) end
    redis.call('HSETNX', batch, 'f1', nowIso)
    redis.call('HSET', batch, 'fl', nowIso)
    redis.call('PEXPIRE', batch, ttl)
    if callback ~= '' then
      redis.call('XADD', KEYS[1], '*', 'p', callback, 'k', id)
    end
    complete(batch, batchId, KEYS[1], nowIso, index)
    finalized[#finalized + 1] = id
  end
end
if #finalized > 0 then kept(index) end
return finalized
`;

/**
 * seal-4: the end of a batch's intake (idempotent), with its batch callback if any; completes it
 * at once if every request is final already. A batch sealed before any request starts (`at`) here.
 * KEYS[1] batch hash, KEYS[2] callbacks stream, KEYS[3] open-batch index, KEYS[4] completed-batch index
 * ARGV[1] batch id, ARGV[2] now ISO 8601, ARGV[3] retention ms, ARGV[4] callback URL ('' for none),
 * ARGV[5] its headers as JSON ('' for none), ARGV[6] now ms
 */
export const SEAL_4 = BATCH_INDEX + COMPLETE + `
local batch = KEYS[1]
local index = {open = KEYS[3], completed = KEYS[4], now = ARGV[6], ttl = tonumber(ARGV[3])}
if redis.call('HGET', batch, 'sealed') ~= '1' then
  redis.call('HSET', batch, 'sealed', '1')
  redis.call('HSETNX', batch, 'at', ARGV[6])
  if ARGV[4] ~= '' then redis.call('HSET', batch, 'bcu', ARGV[4], 'bch', ARGV[5]) end
  redis.call('PEXPIRE', batch, tonumber(ARGV[3]))
  kept(index)
end
complete(batch, ARGV[1], KEYS[2], ARGV[2], index)
return 1
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
