/**
 * promote-due-3: move due items of a delayed set into a stream, atomically.
 *
 * KEYS[1]  delayed set (sorted set: member = item id, score = due time in ms)
 * KEYS[2]  payloads (hash: field = item id, value = payload)
 * KEYS[3]  target stream
 * ARGV[1]  now, in ms: items with score <= now are due
 * ARGV[2]  the most items to move in this call
 * Returns  the number of items moved. Each becomes one stream entry with fields
 *          p = payload and k = item id, in due order (ties by id).
 *
 * Why a script: the entry must appear in the stream and leave the set in one step, or a crash
 * between the two would lose the retry or run it twice.
 */
export const PROMOTE_DUE_3 = `
local ids = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  local payload = redis.call('HGET', KEYS[2], id)
  if payload then
    redis.call('XADD', KEYS[3], '*', 'p', payload, 'k', id)
  end
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
return #ids
`;
