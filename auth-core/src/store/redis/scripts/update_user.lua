-- Sets and deletes fields of an existing account; 0 if there is none.
-- KEYS[1] user record
-- ARGV: n, then n field/value pairs to set, then the fields to delete
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local n = tonumber(ARGV[1])
for i = 1, n do
  redis.call('HSET', KEYS[1], ARGV[2 * i], ARGV[2 * i + 1])
end
for i = 2 * n + 2, #ARGV do
  redis.call('HDEL', KEYS[1], ARGV[i])
end
return 1
