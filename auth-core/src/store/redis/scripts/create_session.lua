-- Starts a session: its record holds the family's state, generation 0.
-- KEYS[1] session record, KEYS[2] the user's session index
-- ARGV: sid, user_id, amr (JSON), auth_time, created_at, expires_at,
--       expiry moment for the keys, first token's hash (hex),
--       last used at, client address ('' unknown), user agent ('' unknown)
local sid, exp, at = ARGV[1], ARGV[6], ARGV[7]
redis.call('HSET', KEYS[1], 'user', ARGV[2], 'amr', ARGV[3], 'auth_time', ARGV[4],
  'created', ARGV[5], 'exp', exp, 'gen', 0, 'cur', ARGV[8],
  'used', ARGV[9], 'ip', ARGV[10], 'ua', ARGV[11])
redis.call('EXPIREAT', KEYS[1], at)
-- The index lives as long as the longest-lived of its sessions. EXPIREAT GT
-- treats a key without expiry as eternal, so a new index gets a plain EXPIREAT.
redis.call('SADD', KEYS[2], sid)
if redis.call('TTL', KEYS[2]) == -1 then
  redis.call('EXPIREAT', KEYS[2], at)
else
  redis.call('EXPIREAT', KEYS[2], at, 'GT')
end
return 1
