-- Deletes an API key if the given user owns it, and tells the other instances.
-- KEYS[1] the id index, KEYS[2] the set of ids
-- ARGV: prefix, user_id, id, the channel
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
redis.call('SREM', KEYS[2], ARGV[3])
redis.call('SREM', ARGV[1] .. 'apikeys_user:' .. ARGV[2], ARGV[3])
redis.call('PUBLISH', ARGV[4], cjson.encode({event = 'apikey_revoked', id = ARGV[3], hash = hash}))
return 1
