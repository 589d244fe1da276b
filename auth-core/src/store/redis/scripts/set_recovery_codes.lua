-- Replaces the recovery codes of an existing account; 0 if there is none.
-- KEYS[1] user record, KEYS[2] the account's recovery-code set
-- ARGV: the code hashes (hex)
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('DEL', KEYS[2])
if #ARGV > 0 then
  redis.call('SADD', KEYS[2], unpack(ARGV))
end
return 1
