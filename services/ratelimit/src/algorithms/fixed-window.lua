-- Fixed window (calendar quotas): windows are aligned to the Unix epoch in Redis TIME, so a 60 s
-- window is a UTC minute, 3600 s an hour, 86400 s a UTC day. One small hash per key:
-- w = the window's index (floor(now / window)), c = units counted in it. A hash holding its own
-- window index (instead of relying on PEXPIREAT alone) stays right at the boundary, where Redis
-- may not have expired the key yet in the millisecond the window turns. Exact for its definition;
-- it admits up to 2 x limit across a boundary, which is what a calendar quota means.

local function ceil_ms(delta_us) return math.ceil(delta_us / 1000 - 1e-9) end

ALGORITHMS[4] = {
  assess = function(d, now)
    local W = d.window_ms * 1000
    local idx = math.floor(now / W)
    local v = redis.call('HMGET', d.key, 'w', 'c')
    local count = 0
    if tonumber(v[1]) == idx then count = tonumber(v[2]) or 0 end
    return { count = count, idx = idx, ends = (idx + 1) * W, allowed = count + d.cost <= d.limit }
  end,

  commit = function(d, a, now)
    redis.call('HSET', d.key, 'w', string.format('%.0f', a.idx), 'c', a.count + d.cost)
    local left = ceil_ms(a.ends - now)
    redis.call('PEXPIRE', d.key, math.max(1, left))
    return { 1, d.limit - a.count - d.cost, left, 0 }
  end,

  report = function(d, a, now)
    local left = ceil_ms(a.ends - now)
    local reset, retry = 0, 0
    if a.count > 0 then reset = left end
    if not a.allowed then retry = left end
    local remaining = d.limit - a.count
    if remaining < 0 then remaining = 0 end
    return { a.allowed and 1 or 0, remaining, reset, retry }
  end,
}
