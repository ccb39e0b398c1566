/**
 * Lua scripts of the destination gate (docs/destinations.md). Every key of the gate is built
 * from the prefix in ARGV[1] (`<prefix>:{dest}`), so the proxy's Redis must be a single primary,
 * as for the ledger. Per destination key K:
 *
 * - `<p>:k:K` hash: limits last seen (rate, per, par, ad), q turn queue position ms, dur mean call
 *   ms (EWMA), br breaker c|o|h, bru open until ms, brc current cool-down ms, pr/pru probe lease
 *   and its expiry, cf consecutive failures, pz paused 1, ra Retry-After until ms, adaptive: lim
 *   learned limit, ss slow start 1|0, nl no-load ms, ws/wc/wd/wo/wsat the current window (start,
 *   calls, duration sum, overloads, limit reached), lc last multiplicative cut ms; seen ms.
 * - `<p>:log:K` sorted set: call starts (sliding log of the rate), `<p>:ls:K` leases (id → expiry),
 *   `<p>:w:K` waiting requests (id → turn), `<p>:m:K` hash of 2-second buckets `<start>:s|f|o`.
 * - `<p>:active` sorted set key → last seen; `<p>:restricted` set: keys whose requests must go
 *   through pass whatever their limits (paused, breaker not closed, Retry-After in force).
 *
 * Common ARGV: 1 prefix, 2 now ms, 3 consecutive failures, 4 min calls, 5 breaker window ms,
 * 6 failure ratio, 7 cool-down ms, 8 max cool-down ms, 9 adaptive initial limit, 10 adaptive max,
 * 11 adaptive window ms, 12 latency tolerance, 13 recheck ms; the operation's own from 14.
 */
const COMMON = `
local P = ARGV[1]
local now = tonumber(ARGV[2])
local CONSECUTIVE, MIN_CALLS, BREAKER_WINDOW = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local RATIO, COOLDOWN, MAX_COOLDOWN = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local AD_INIT, AD_MAX, AD_WINDOW, AD_TOL = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local RECHECK = tonumber(ARGV[13])
local BUCKET = 2000
local ACTIVE, RESTRICTED = P .. ':active', P .. ':restricted'
local function K(kind, key) return P .. ':' .. kind .. ':' .. key end
local function num(value, default) return tonumber(value) or default end

local function restrictedNow(h)
  local s = redis.call('HMGET', h, 'pz', 'br', 'ra')
  return s[1] == '1' or (s[2] ~= false and s[2] ~= 'c') or num(s[3], 0) > now
end

local function refreshRestricted(key)
  if restrictedNow(K('k', key)) then redis.call('SADD', RESTRICTED, key) else redis.call('SREM', RESTRICTED, key) end
end

-- A key idle for two hours is forgotten (the operator's list shows the last hour), unless an
-- operator paused it.
local function touch(key)
  local h = K('k', key)
  redis.call('ZADD', ACTIVE, now, key)
  redis.call('HSET', h, 'seen', now)
  if redis.call('HGET', h, 'pz') == '1' then redis.call('PERSIST', h) else redis.call('PEXPIRE', h, 7200000) end
end

-- Outcome counters in 2-second buckets; old buckets are dropped when a new one starts.
local function tally(key, s, f, o)
  if s + f + o == 0 then return end
  local m = K('m', key)
  local b = math.floor(now / BUCKET) * BUCKET
  if redis.call('HSETNX', m, b .. ':t', 1) == 1 then
    local oldest = b - 60000
    for _, field in ipairs(redis.call('HKEYS', m)) do
      local start = tonumber(string.match(field, '^(%d+):'))
      if start ~= nil and start < oldest then redis.call('HDEL', m, field) end
    end
  end
  if s > 0 then redis.call('HINCRBY', m, b .. ':s', s) end
  if f > 0 then redis.call('HINCRBY', m, b .. ':f', f) end
  if o > 0 then redis.call('HINCRBY', m, b .. ':o', o) end
  redis.call('PEXPIRE', m, 120000)
end

-- Success, failure and overload counts of the buckets within the last windowMs.
local function counts(key, windowMs)
  local m = K('m', key)
  local b = math.floor(now / BUCKET) * BUCKET
  local s, f, o = 0, 0, 0
  while b > now - windowMs do
    local c = redis.call('HMGET', m, b .. ':s', b .. ':f', b .. ':o')
    s, f, o = s + num(c[1], 0), f + num(c[2], 0), o + num(c[3], 0)
    b = b - BUCKET
  end
  return s, f, o
end

local function openBreaker(key, cooldown)
  redis.call('HSET', K('k', key), 'br', 'o', 'bru', now + cooldown, 'brc', cooldown, 'pr', '', 'pru', 0, 'cf', 0)
  redis.call('SADD', RESTRICTED, key)
end

local function closeBreaker(key)
  redis.call('HSET', K('k', key), 'br', 'c', 'cf', 0, 'pr', '', 'pru', 0)
  redis.call('HDEL', K('k', key), 'bru', 'brc')
  refreshRestricted(key)
end

-- The adaptive limit's ceiling: the key's parallelism when it has one.
local function adaptiveMax(h)
  local par = num(redis.call('HGET', h, 'par'), 0)
  if par > 0 then return math.min(par, AD_MAX) end
  return AD_MAX
end

-- Outcomes of calls of one key: breaker, mean call time, adaptive controller, counters.
local function record(key, s, f, o, trailing, hadSuccess, durSum)
  local h = K('k', key)
  local calls = s + f + o
  tally(key, s, f, o)
  touch(key)
  if calls == 0 then return end
  local st = redis.call('HMGET', h, 'br', 'cf', 'dur', 'ad', 'lim', 'ss', 'nl', 'ws', 'wc', 'wd', 'wo', 'wsat', 'lc')
  local cf = trailing
  if not hadSuccess then cf = num(st[2], 0) + trailing end
  redis.call('HSET', h, 'cf', cf)
  if (st[1] or 'c') == 'c' and f + o > 0 then
    if CONSECUTIVE > 0 and cf >= CONSECUTIVE then
      openBreaker(key, COOLDOWN)
    elseif MIN_CALLS > 0 then
      local ws, wf, wo = counts(key, BREAKER_WINDOW)
      local total = ws + wf + wo
      if total >= MIN_CALLS and (wf + wo) / total >= RATIO then openBreaker(key, COOLDOWN) end
    end
  end
  local mean = durSum / calls
  local dur = num(st[3], nil)
  if dur == nil then dur = mean else dur = 0.8 * dur + 0.2 * mean end
  redis.call('HSET', h, 'dur', dur)
  if st[4] ~= '1' then return end
  -- Adaptive: an overload cuts at once (x0.9 at most once per no-load time, then -1 per overload,
  -- so a burst of fast 429s cannot run on); the window decides on latency and growth.
  local lim = num(st[5], AD_INIT)
  local slow = st[6] ~= '0'
  local nl = num(st[7], nil)
  local wstart, wc, wd, wov, wsat = num(st[8], now), num(st[9], 0) + calls, num(st[10], 0) + durSum, num(st[11], 0) + o, st[12] == '1'
  if o > 0 then
    local spacing = math.max(num(nl, 20), 20)
    if now - num(st[13], 0) >= spacing then
      lim = lim * 0.9 - (o - 1)
      redis.call('HSET', h, 'lc', now)
    else
      lim = lim - o
    end
    slow = false
  end
  if now - wstart >= AD_WINDOW then
    local wmean = wd / wc
    -- Drifts up only in a window that did not fill the limit (see MemoryDestinationGate.adapt).
    if nl == nil or wmean < nl then nl = wmean elseif (not wsat) and wov == 0 then nl = nl + (wmean - nl) * 0.05 end
    if wov == 0 then
      if wmean > nl * AD_TOL then
        lim = lim * 0.9
        slow = false
      elseif wsat then
        if slow then lim = lim * 1.5 else lim = lim + 1 end
      end
    end
    wstart, wc, wd, wov, wsat = now, 0, 0, 0, false
  end
  lim = math.max(1, math.min(lim, adaptiveMax(h)))
  local ss = '0'
  if slow then ss = '1' end
  local sat = '0'
  if wsat then sat = '1' end
  redis.call('HSET', h, 'lim', tostring(lim), 'ss', ss, 'ws', wstart, 'wc', wc, 'wd', wd, 'wo', wov, 'wsat', sat)
  if nl ~= nil then redis.call('HSET', h, 'nl', nl) end
end

-- What an operator sees of one key: a flat list (see RedisDestinationGate.state).
local function view(key)
  local h = K('k', key)
  local st = redis.call('HMGET', h, 'rate', 'per', 'par', 'ad', 'lim', 'br', 'bru', 'pz', 'ra', 'seen')
  local leases = K('ls', key)
  redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
  local waiting = K('w', key)
  redis.call('ZREMRANGEBYSCORE', waiting, '-inf', now - 60000)
  local s, f, o = counts(key, 60000)
  return {key, st[1] or '0', st[2] or '0', st[3] or '0', st[4] or '0', st[5] or '', st[6] or 'c', st[7] or '0', st[8] or '0',
    st[9] or '0', st[10] or '0', redis.call('ZCARD', leases), redis.call('ZCARD', waiting), s, f, o}
end
`;

/**
 * pass-N: ARGV from 14, per request (11 values): key, request id, lease id, lease ms, rate,
 * period ms, parallelism, adaptive 0|1, turn ms (0: a newcomer), waits, jitter 0..1.
 * Returns per request two values: 'go', probe 0|1 | reason, turn ms.
 */
export const PASS_N = `${COMMON}
local out = {}
for i = 14, #ARGV, 11 do
  local key, rid, lease, leaseMs = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  local rate, per, par, ad = tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5]), tonumber(ARGV[i + 6]), tonumber(ARGV[i + 7])
  local turnAt, waits, jitter = tonumber(ARGV[i + 8]), tonumber(ARGV[i + 9]), tonumber(ARGV[i + 10])
  local h = K('k', key)
  redis.call('HSET', h, 'rate', rate, 'per', per, 'par', par, 'ad', ad)
  if ad == 1 then redis.call('HSETNX', h, 'ws', now) end
  touch(key)
  local st = redis.call('HMGET', h, 'pz', 'ra', 'br', 'bru', 'pru', 'q', 'dur', 'lim')
  local waitKey = K('w', key)
  local recheck = math.min(RECHECK * 2 ^ waits, RECHECK * 10) * (0.5 + 0.5 * jitter)
  local decision, value = nil, nil
  local function wait(reason, turn)
    turn = math.floor(turn)
    redis.call('ZADD', waitKey, turn, rid)
    redis.call('PEXPIRE', waitKey, 3600000)
    decision, value = reason, turn
  end
  local ra = num(st[2], 0)
  if st[1] == '1' then
    wait('paused', now + recheck)
  elseif ra > now then
    wait('retry_after', ra + jitter * 250)
  else
    local plimit = par
    if ad == 1 then
      local amax = AD_MAX
      if par > 0 then amax = math.min(par, AD_MAX) end
      plimit = math.max(1, math.floor(math.min(num(st[8], AD_INIT), amax)))
    end
    local pace = 0
    if rate > 0 then pace = per / rate end
    if plimit > 0 then pace = math.max(pace, num(st[7], 100) / plimit) end
    local queueAt = num(st[6], 0)
    local limitReason = 'parallelism'
    if rate > 0 then limitReason = 'rate' end
    local function defer(reason)
      if turnAt > 0 then
        -- Back for its turn and still no room: it keeps its place and asks again soon.
        wait(reason, now + math.max(pace, 5))
      else
        queueAt = math.max(queueAt, now) + pace
        redis.call('HSET', h, 'q', queueAt)
        wait(reason, queueAt)
      end
    end
    if queueAt > now then
      -- The queue's tail follows the requests still waiting: requests a caller brought forward
      -- went before their turns, and the turns they left behind must not hold newcomers back.
      redis.call('ZREMRANGEBYSCORE', waitKey, '-inf', now - 60000)
      local tail = now + redis.call('ZCARD', waitKey) * pace
      if tail < queueAt then
        queueAt = tail
        redis.call('HSET', h, 'q', queueAt)
      end
    end
    local leases, log = K('ls', key), K('log', key)
    if turnAt == 0 and pace > 0 and queueAt > now then
      -- Requests queueing for an adaptive key say its limit is reached as much as a full lease set does.
      if ad == 1 then redis.call('HSET', h, 'wsat', '1') end
      defer(limitReason)
    else
      local blocked = nil
      if plimit > 0 then
        redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
        if redis.call('ZCARD', leases) >= plimit then
          blocked = 'parallelism'
          if ad == 1 then redis.call('HSET', h, 'wsat', '1') end
        end
      end
      if blocked == nil and rate > 0 then
        -- A call counts until a little after its window: it reaches the destination a moment
        -- after it was let through, and that moment varies (see RELEASE_N for the correction).
        redis.call('ZREMRANGEBYSCORE', log, '-inf', now - per - math.min(25, per * 0.05))
        if redis.call('ZCARD', log) >= rate then blocked = 'rate' end
      end
      if blocked ~= nil then
        defer(blocked)
      else
        local probe = 0
        local br = st[3] or 'c'
        if br == 'o' and now < num(st[4], 0) then
          wait('breaker_open', num(st[4], 0) + jitter * 250)
        elseif br ~= 'c' and br ~= 'o' and num(st[5], 0) > now then
          wait('breaker_open', now + recheck)
        else
          if br ~= 'c' then
            -- The cool-down is over (or the last probe's lease ran out): this call is the probe.
            redis.call('HSET', h, 'br', 'h', 'pr', lease, 'pru', now + leaseMs)
            probe = 1
          end
          redis.call('ZADD', leases, now + leaseMs, lease)
          -- Only ever lengthened: a short lease must not take a longer one's set away with it.
          if redis.call('PTTL', leases) < leaseMs + 60000 then redis.call('PEXPIRE', leases, leaseMs + 60000) end
          if rate > 0 then
            redis.call('ZADD', log, now, lease)
            redis.call('PEXPIRE', log, per + 60000)
          end
          if turnAt > 0 then redis.call('ZREM', waitKey, rid) end
          decision, value = 'go', probe
        end
      end
    end
  end
  out[#out + 1] = decision
  out[#out + 1] = value
end
return out
`;

/**
 * release-N: ARGV from 14, per report (7 values): key, lease id, outcome s|f|o ('' for a call
 * that never happened), duration ms, probe 0|1, Retry-After ms (0: none), the call's start ms
 * (0: unknown). Gives the leases back, settles probes, records outcomes. A call that started later
 * than it was let through (a new connection, a busy event loop) moves its entry in the rate's log
 * to when it really started, so the calls after it keep their distance at the destination.
 */
export const RELEASE_N = `${COMMON}
local byKey, order = {}, {}
for i = 14, #ARGV, 7 do
  local key, lease, outcome, duration = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  local probe, retryAfter, started = ARGV[i + 4] == '1', tonumber(ARGV[i + 5]), tonumber(ARGV[i + 6])
  local h = K('k', key)
  redis.call('ZREM', K('ls', key), lease)
  if started > 0 then
    local logged = tonumber(redis.call('ZSCORE', K('log', key), lease))
    if logged ~= nil and started > logged then redis.call('ZADD', K('log', key), 'XX', started, lease) end
  end
  if probe and lease ~= '' and redis.call('HGET', h, 'pr') == lease then
    if outcome == '' then
      -- The probe never went out: the next request becomes the probe.
      redis.call('HSET', h, 'pru', 0)
    elseif outcome == 's' then
      closeBreaker(key)
    else
      local cooldown = math.min(MAX_COOLDOWN, num(redis.call('HGET', h, 'brc'), COOLDOWN) * 2)
      openBreaker(key, cooldown)
    end
  end
  if retryAfter > 0 then
    local untilMs = now + retryAfter
    if untilMs > num(redis.call('HGET', h, 'ra'), 0) then redis.call('HSET', h, 'ra', untilMs) end
    redis.call('SADD', RESTRICTED, key)
  end
  -- A lease given back for a call that never happened has nothing to record.
  if outcome ~= '' then
    local t = byKey[key]
    if t == nil then
      t = {s = 0, f = 0, o = 0, trailing = 0, hadSuccess = false, dur = 0}
      byKey[key] = t
      order[#order + 1] = key
    end
    if outcome == 's' then
      t.s, t.trailing, t.hadSuccess = t.s + 1, 0, true
    elseif outcome == 'o' then
      t.o, t.trailing = t.o + 1, t.trailing + 1
    else
      t.f, t.trailing = t.f + 1, t.trailing + 1
    end
    t.dur = t.dur + duration
  end
end
for _, key in ipairs(order) do
  local t = byKey[key]
  record(key, t.s, t.f, t.o, t.trailing, t.hadSuccess, t.dur)
end
return #order
`;

/**
 * sync-N: ARGV from 14, per tally (7 values): key, successes, failures, overloads, trailing
 * failures, had a success 0|1, duration sum ms. Returns the restricted keys.
 */
export const SYNC_N = `${COMMON}
for i = 14, #ARGV, 7 do
  record(ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4]), ARGV[i + 5] == '1', tonumber(ARGV[i + 6]))
end
local keys = redis.call('SMEMBERS', RESTRICTED)
local out = {}
for _, key in ipairs(keys) do
  if restrictedNow(K('k', key)) then out[#out + 1] = key else redis.call('SREM', RESTRICTED, key) end
end
return out
`;

/** pause-1: ARGV[14] key, ARGV[15] 1 pause | 0 resume. Returns the key's view. */
export const PAUSE_1 = `${COMMON}
local key = ARGV[14]
if ARGV[15] == '1' then redis.call('HSET', K('k', key), 'pz', '1') else redis.call('HDEL', K('k', key), 'pz') end
touch(key)
refreshRestricted(key)
return view(key)
`;

/** view-N: ARGV[14] a key, or '' for every key active in the last hour (most recent first, up to 1,000). */
export const VIEW_N = `${COMMON}
local keys
if ARGV[14] ~= '' then
  if redis.call('ZSCORE', ACTIVE, ARGV[14]) == false then return {} end
  keys = {ARGV[14]}
else
  redis.call('ZREMRANGEBYSCORE', ACTIVE, '-inf', now - 3600000)
  keys = redis.call('ZREVRANGEBYSCORE', ACTIVE, '+inf', now - 3600000, 'LIMIT', 0, 1000)
end
local out = {}
for _, key in ipairs(keys) do out[#out + 1] = view(key) end
return out
`;
