-- Deletes a passkey if the given user owns it.
-- KEYS[1] the passkey record, KEYS[2] the owner's sorted set of ids
-- ARGV: user_id, id
-- Returns 1 if deleted, else 0.
if redis.call('HGET', KEYS[1], 'user') ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
