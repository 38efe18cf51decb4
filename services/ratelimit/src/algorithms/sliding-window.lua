-- Sliding-window counter (Cloudflare's approximation): epoch-aligned fixed windows, and the count
-- "in the last window" is estimated as
--   previous window's count x (share of the previous window still inside the sliding window)
--   + current window's count
-- i.e. it assumes the previous window's units were spread evenly. O(1) memory: one small hash per
-- key (w = current window index, c = its count, p = the previous window's count). Approximate:
-- docs/ratelimiting.md has the measured error; it never admits more than `limit` in one fixed window.

local function ceil_ms(delta_us) return math.ceil(delta_us / 1000 - 1e-9) end

-- Until the estimate has dropped by at least one unit (draft-11 `t`); 0 when nothing is counted.
local function reset(a, now)
  local to_end = a.ends - now
  if a.prev > 0 then return ceil_ms(math.min(a.W / a.prev, to_end)) end
  if a.cur > 0 then return ceil_ms(to_end + a.W / a.cur) end
  return 0
end

-- When `cost` more units fit: later in this window as the previous window's weight decays, or in
-- the next one (where this window's count becomes the decaying previous count).
local function retry_at(d, a)
  local room = d.limit - d.cost - a.cur
  if room >= 0 and a.prev > 0 then return a.start + (1 - room / a.prev) * a.W end
  if a.cur + d.cost <= d.limit then return a.ends end
  return a.ends + (1 - (d.limit - d.cost) / a.cur) * a.W
end

ALGORITHMS[3] = {
  assess = function(d, now)
    local W = d.window_ms * 1000
    local idx = math.floor(now / W)
    local v = redis.call('HMGET', d.key, 'w', 'c', 'p')
    local w = tonumber(v[1])
    local cur, prev = 0, 0
    if w == idx then
      cur, prev = tonumber(v[2]) or 0, tonumber(v[3]) or 0
    elseif w == idx - 1 then
      prev = tonumber(v[2]) or 0
    end
    local start = idx * W
    local est = prev * (1 - (now - start) / W) + cur
    return { W = W, idx = idx, start = start, ends = start + W, cur = cur, prev = prev, est = est,
             allowed = est + d.cost <= d.limit }
  end,

  commit = function(d, a, now)
    redis.call('HSET', d.key, 'w', string.format('%.0f', a.idx), 'c', a.cur + d.cost, 'p', a.prev)
    -- This window's count matters until the end of the next one.
    redis.call('PEXPIRE', d.key, math.max(1, ceil_ms(a.ends + a.W - now)))
    local r = math.floor(d.limit - a.est - d.cost + 1e-9)
    if r < 0 then r = 0 end
    a.cur = a.cur + d.cost
    return { 1, r, reset(a, now), 0 }
  end,

  report = function(d, a, now)
    local retry = 0
    if not a.allowed then retry = math.max(1, ceil_ms(retry_at(d, a) - now)) end
    local r = math.floor(d.limit - a.est + 1e-9)
    if r < 0 then r = 0 end
    return { a.allowed and 1 or 0, r, reset(a, now), retry }
  end,
}
