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

ALGORITHMS[1] = {
  assess = function(d, now)
    -- Drop what left the window; ZREMRANGEBYSCORE deletes the key when it empties.
    redis.call('ZREMRANGEBYSCORE', d.key, '-inf', us(now - d.window_ms * 1000))
    local count = redis.call('ZCARD', d.key)
    return { count = count, allowed = count + d.cost <= d.limit }
  end,

  -- The group is admitted: add `cost` members. Members are "<now_us>-<j>"; ZADD NX skips any that
  -- another script added in the same microsecond, and the loop keeps going until exactly `cost`
  -- new members exist, so a timestamp collision can never undercount.
  commit = function(d, a, now)
    local score = us(now)
    local added, j = 0, 0
    while added < d.cost do
      local args = {}
      for _ = 1, math.min(d.cost - added, 500) do
        j = j + 1
        args[#args + 1] = score
        args[#args + 1] = score .. '-' .. j
      end
      added = added + redis.call('ZADD', d.key, 'NX', unpack(args))
    end
    redis.call('PEXPIRE', d.key, d.window_ms)   -- the newest member is now: TTL = window
    local reset = d.window_ms                     -- the log was empty: the oldest is the one just added
    if a.count > 0 then reset = expiry_ms(d, now, 0) end
    return { 1, d.limit - a.count - d.cost, reset, 0 }
  end,

  -- The group is refused: nothing is added. A denied descriptor's retry is when the oldest
  -- (count + cost - limit) members have expired, i.e. when member #(count + cost - limit) expires.
  report = function(d, a, now)
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
}
