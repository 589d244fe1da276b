-- Counts one failure in a fixed window opened by the first.
-- KEYS[1] the window record
-- ARGV: now, the end of a window opened now, expiry moment for the key
-- Returns {count, window end}.
local f = redis.call('HMGET', KEYS[1], 'count', 'ends')
if tonumber(f[1]) and tonumber(f[2]) and tonumber(ARGV[1]) < tonumber(f[2]) then
  return {redis.call('HINCRBY', KEYS[1], 'count', 1), f[2]}
end
redis.call('HSET', KEYS[1], 'count', 1, 'ends', ARGV[2])
redis.call('EXPIREAT', KEYS[1], ARGV[3])
return {1, ARGV[2]}
