-- Deletes an API key if the given user owns it.
-- KEYS[1] the id index
-- ARGV: prefix, user_id
-- Returns 1 if deleted, else 0.
local hash = redis.call('GET', KEYS[1])
if not hash then
  return 0
end
local record = ARGV[1] .. 'apikey:' .. hash
if redis.call('HGET', record, 'user') ~= ARGV[2] then
  return 0
end
redis.call('DEL', record, KEYS[1])
return 1
