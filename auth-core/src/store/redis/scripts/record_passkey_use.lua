-- Records a sign-in with a passkey if its signature counter moved forward.
-- KEYS[1] the passkey record
-- ARGV: counter, credential, now
-- Returns 1 when recorded, 0 when the counter did not increase, -1 when there
-- is no such passkey.
local stored = redis.call('HGET', KEYS[1], 'counter')
if not stored then
  return -1
end
local counter = tonumber(ARGV[1])
stored = tonumber(stored)
if (counter > 0 or stored > 0) and counter <= stored then
  return 0
end
redis.call('HSET', KEYS[1], 'counter', ARGV[1], 'credential', ARGV[2], 'last_used', ARGV[3])
return 1
