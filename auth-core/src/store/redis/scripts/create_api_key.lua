-- Stores an API key under its hash, and its id for deletion and listing,
-- unless its owner already holds the most allowed; tells the other instances.
-- KEYS[1] the key record (by hash), KEYS[2] the id index, KEYS[3] the set of
-- ids, KEYS[4] the owner's set of ids
-- ARGV: prefix, hash (hex), id, user_id, name, created_at, the channel, limit
-- Returns 1 when stored, 0 when the owner is at the limit.
-- Ids and hashes are random; should one be reused, the older key goes, so
-- the record and the indexes never disagree.
if redis.call('SISMEMBER', KEYS[4], ARGV[3]) == 0
    and redis.call('SCARD', KEYS[4]) >= tonumber(ARGV[8]) then
  return 0
end
local old_hash = redis.call('GET', KEYS[2])
if old_hash and old_hash ~= ARGV[2] then
  redis.call('DEL', ARGV[1] .. 'apikey:' .. old_hash)
end
local old = redis.call('HMGET', KEYS[1], 'id', 'user')
if old[1] and old[1] ~= ARGV[3] then
  redis.call('DEL', ARGV[1] .. 'apikey_id:' .. old[1])
  redis.call('SREM', KEYS[3], old[1])
  redis.call('SREM', ARGV[1] .. 'apikeys_user:' .. old[2], old[1])
end
redis.call('HSET', KEYS[1], 'id', ARGV[3], 'user', ARGV[4], 'name', ARGV[5], 'created', ARGV[6])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('SADD', KEYS[4], ARGV[3])
redis.call('PUBLISH', ARGV[7], cjson.encode({
  event = 'apikey_created', id = ARGV[3], user = ARGV[4], name = ARGV[5],
  hash = ARGV[2], created = ARGV[6]
}))
return 1
