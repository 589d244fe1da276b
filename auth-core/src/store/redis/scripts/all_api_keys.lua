-- Lists every API key: {id, user, name, hash (hex), created} per key.
-- KEYS[1] the set of ids
-- ARGV: prefix
-- An id whose records are gone (deleted by hand) leaves the set.
local keys = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local hash = redis.call('GET', ARGV[1] .. 'apikey_id:' .. id)
  local record = hash and redis.call('HMGET', ARGV[1] .. 'apikey:' .. hash, 'id', 'user', 'name', 'created')
  if record and record[1] == id then
    keys[#keys + 1] = {id, record[2], record[3], hash, record[4]}
  else
    redis.call('SREM', KEYS[1], id)
  end
end
return keys
