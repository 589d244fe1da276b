-- Creates an account unless its name is taken: the name index is claimed
-- with SET NX in the same script that writes the record, so two concurrent
-- registrations of one name cannot both succeed.
-- KEYS[1] username index, KEYS[2] user record
-- ARGV: id, username, has password ("1"/"0"), password hash, roles (JSON), created_at
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  return 0
end
redis.call('HSET', KEYS[2], 'username', ARGV[2], 'roles', ARGV[5], 'created', ARGV[6], 'totp_ok', '0')
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[2], 'pw', ARGV[4])
end
return 1
