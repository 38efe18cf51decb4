-- Sliding log (ADR-003): one sorted set per descriptor key; each admitted unit is a member whose
-- score is its admission time in microseconds (Redis TIME). A unit counts while
-- score > now - window, so the window is exact: no boundary bursts, no approximation.
-- Memory grows with the limit (one member per unit), hence the service's maxLogLimit cap.
--
-- Calling convention (see group.lua): d = { key, limit, window_ms, cost }, now in microseconds
-- (one value for every group of a script call).

local function us(n) return string.format('%.0f', n) end   -- never %.14g: scores need all digits
local function ceil_ms(delta_us) return math.ceil(delta_us / 1000) end

-- Milliseconds until the member of the given rank (0 = oldest, -1 = newest) leaves the window;
-- 0 for an empty log.
local function expiry_ms(d, now, rank)
  local m = redis.call('ZRANGE', d.key, rank, rank, 'WITHSCORES')
  if #m == 0 then return 0 end
  return ceil_ms(tonumber(m[2]) + d.window_ms * 1000 - now)
end

-- reset_after_ms is the `t` of draft-ietf-httpapi-ratelimit-headers-11: the time until more quota
-- becomes available, i.e. until the oldest counted unit leaves the window (0: the log is empty, the
-- whole quota is available). The key's TTL is instead the time until the newest unit leaves.

-- One script call carries many groups, often for the same key (every request of one API key in a
-- batch). All of them share `now`, so the log is pruned and counted once per key per call, the
-- admitted members are buffered and written with one ZADD per key when the call ends (or before any
-- read of the log's ranks), and the TTL is set once: Redis work per admitted request drops from five
-- commands to a share of one (measured in docs/ratelimiting.md). The decisions are unchanged: the
-- count each group sees includes every unit an earlier group of the call admitted.
local logs = {}   -- key -> { window_ms, count, oldest_ms (reset of a non-empty log, or nil), pending, j }

local function flush(d, s)
  if #s.pending == 0 then return end
  local added, want, i = 0, #s.pending / 2, 1
  while i <= #s.pending do
    local args = {}
    for n = i, math.min(i + 999, #s.pending) do args[#args + 1] = s.pending[n] end
    added = added + redis.call('ZADD', d.key, 'NX', unpack(args))
    i = i + 1000
  end
  -- ZADD NX skips a member another script added in the same microsecond; add more names until
  -- exactly as many units as were admitted exist, so a collision can never undercount.
  local score = us(s.now)
  while added < want do
    s.j = s.j + 1
    added = added + redis.call('ZADD', d.key, 'NX', score, score .. '-' .. s.j)
  end
  redis.call('PEXPIRE', d.key, s.window_ms)   -- the newest member is now: TTL = window
  s.pending = {}
end

local function state(d, now)
  local s = logs[d.key]
  if s ~= nil and s.window_ms == d.window_ms then return s end
  if s ~= nil then flush(d, s) end   -- same key, another window: start over from what is stored
  -- Drop what left the window; ZREMRANGEBYSCORE deletes the key when it empties.
  redis.call('ZREMRANGEBYSCORE', d.key, '-inf', us(now - d.window_ms * 1000))
  s = { window_ms = d.window_ms, count = redis.call('ZCARD', d.key), pending = {}, j = 0, now = now }
  logs[d.key] = s
  return s
end

ALGORITHMS[1] = {
  assess = function(d, now)
    local s = state(d, now)
    return { count = s.count, allowed = s.count + d.cost <= d.limit }
  end,

  -- The group is admitted: buffer `cost` members "<now_us>-<j>" for the key's one ZADD.
  commit = function(d, a, now)
    local s = logs[d.key]
    local score = us(now)
    for _ = 1, d.cost do
      s.j = s.j + 1
      s.pending[#s.pending + 1] = score
      s.pending[#s.pending + 1] = score .. '-' .. s.j
    end
    if s.oldest_ms == nil then
      -- An empty log's oldest unit is the one just admitted; otherwise ask once per call.
      if a.count == 0 then s.oldest_ms = d.window_ms else s.oldest_ms = expiry_ms(d, now, 0) end
    end
    s.count = s.count + d.cost
    return { 1, d.limit - a.count - d.cost, s.oldest_ms, 0 }
  end,

  -- The group is refused: nothing is added. A denied descriptor's retry is when the oldest
  -- (count + cost - limit) members have expired, i.e. when member #(count + cost - limit) expires.
  -- The ranks are read from the stored log, so this call's buffered members are written first.
  report = function(d, a, now)
    local s = logs[d.key]
    flush(d, s)
    local ttl = expiry_ms(d, now, -1)
    if ttl > 0 then redis.call('PEXPIRE', d.key, ttl) end   -- every touched key: TTL = newest unit's expiry
    local reset = expiry_ms(d, now, 0)
    local retry = 0
    if not a.allowed then
      local k = a.count + d.cost - d.limit
      local m = redis.call('ZRANGE', d.key, k - 1, k - 1, 'WITHSCORES')
      retry = ceil_ms(tonumber(m[2]) + d.window_ms * 1000 - now)
    end
    local remaining = d.limit - a.count
    if remaining < 0 then remaining = 0 end   -- the limit was lowered below the log's size
    return { a.allowed and 1 or 0, remaining, reset, retry }
  end,

  -- End of the script call: write every key's buffered members.
  finish = function()
    for key, s in pairs(logs) do flush({ key = key }, s) end
  end,
}
