/**
 * hand-back-1: give entries a closing consumer holds, and will not handle, back to its group.
 *
 * KEYS[1]  the stream
 * ARGV[1]  group
 * ARGV[2]  consumer: the closing one; only entries pending to it are touched
 * ARGV[3]  idle time to set, in ms: longer than any consumer's lease
 * ARGV[4]  'ids': ARGV[5..] are the entries to hand back
 *          'all': the entries pending to the consumer from ARGV[5] (an XPENDING start: '-' or
 *          '(<id>'), at most ARGV[6] of them looked at; those handed back already are skipped
 * Returns  {handed back, looked at, last entry looked at ('' when none)}. The entries stay pending,
 *          unacknowledged and with their delivery count unchanged (XCLAIM … JUSTID), but idle
 *          past any lease: the next XAUTOCLAIM of another consumer takes them, counting a delivery.
 *
 * Why a script: between reading whose an entry is and resetting its idle time, another consumer
 * may take it over (its lease had run out); handing it back then would take it from a consumer
 * that is running it, and have it run twice.
 * Why not XACK + XADD again: the entry would lose its delivery count (poison messages are told
 * by it) and its place in the stream.
 */
export const HAND_BACK_1 = `
local stream, group, consumer, idle = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local ids = {}
local looked = 0
local last = ''
if ARGV[4] == 'ids' then
  for i = 5, #ARGV do
    local entry = redis.call('XPENDING', stream, group, ARGV[i], ARGV[i], 1)[1]
    if entry and entry[2] == consumer then ids[#ids + 1] = entry[1] end
  end
  looked = #ARGV - 4
else
  local pending = redis.call('XPENDING', stream, group, ARGV[5], '+', tonumber(ARGV[6]), consumer)
  for _, entry in ipairs(pending) do
    if tonumber(entry[3]) < tonumber(idle) then ids[#ids + 1] = entry[1] end
  end
  looked = #pending
  if looked > 0 then last = pending[looked][1] end
end
for first = 1, #ids, 500 do
  local claim = {'XCLAIM', stream, group, consumer, 0}
  for i = first, math.min(first + 499, #ids) do claim[#claim + 1] = ids[i] end
  claim[#claim + 1] = 'IDLE'
  claim[#claim + 1] = idle
  claim[#claim + 1] = 'JUSTID'
  redis.call(unpack(claim))
end
return {#ids, looked, last}
`;
