-- Counts one attempt if the running window holds fewer than the limit.
-- KEYS[1] the window record
-- ARGV: now, the end of a window opened now, expiry moment for the key, limit
-- Returns {1 (reserved) or 0 (refused), count, window end}.
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[4])
local f = redis.call('HMGET', KEYS[1], 'count', 'ends')
local count, ends = tonumber(f[1]), tonumber(f[2])
if count and ends and now < ends then
  if count >= limit then
    return {0, count, f[2]}
  end
  return {1, redis.call('HINCRBY', KEYS[1], 'count', 1), f[2]}
end
if limit < 1 then
  return {0, 0, ARGV[1]}
end
redis.call('HSET', KEYS[1], 'count', 1, 'ends', ARGV[2])
redis.call('EXPIREAT', KEYS[1], ARGV[3])
return {1, 1, ARGV[2]}
