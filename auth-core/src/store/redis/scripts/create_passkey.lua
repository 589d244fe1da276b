-- Stores a passkey unless its id is registered or its owner is at the limit.
-- KEYS[1] the passkey record, KEYS[2] the owner's sorted set of ids (by creation)
-- ARGV: id, user_id, name, created_at, counter, credential, limit
-- Returns 1 when stored, 0 when the owner is at the limit, -1 when the id is taken.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return -1
end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[7]) then
  return 0
end
redis.call('HSET', KEYS[1], 'user', ARGV[2], 'name', ARGV[3], 'created', ARGV[4],
  'counter', ARGV[5], 'credential', ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return 1
