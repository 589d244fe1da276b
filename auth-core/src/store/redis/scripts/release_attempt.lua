-- Gives one counted attempt back; a window left with none is deleted.
-- KEYS[1] the window record
-- ARGV: now
local f = redis.call('HMGET', KEYS[1], 'count', 'ends')
local count, ends = tonumber(f[1]), tonumber(f[2])
if not count or not ends or tonumber(ARGV[1]) >= ends then
  return 0
end
if count <= 1 then
  redis.call('DEL', KEYS[1])
else
  redis.call('HINCRBY', KEYS[1], 'count', -1)
end
return 1
