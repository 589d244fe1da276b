-- Records a revocation, merged with an earlier one of the same subject (the
-- later expiry and cut-off win), and tells the other instances.
-- KEYS[1] the revocation record, KEYS[2] the index by expiry
-- ARGV: index member, kind, subject, until, cut-off ('' if none), expiry
--       moment for the keys, the clock now, the channel
local member, kind, subject, until_, cut = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local old = redis.call('HMGET', KEYS[1], 'until', 'cut')
-- Numbers stay the strings they were given, so they round-trip exactly.
if tonumber(old[1]) and tonumber(old[1]) > tonumber(until_) then
  until_ = old[1]
end
if cut ~= '' and tonumber(old[2]) and tonumber(old[2]) > tonumber(cut) then
  cut = old[2]
end
redis.call('HSET', KEYS[1], 'kind', kind, 'subject', subject, 'until', until_, 'cut', cut)
redis.call('ZADD', KEYS[2], until_, member)
-- EXPIREAT GT treats a key without expiry as eternal: new keys get a plain one.
for _, key in ipairs(KEYS) do
  if redis.call('TTL', key) == -1 then
    redis.call('EXPIREAT', key, ARGV[6])
  else
    redis.call('EXPIREAT', key, ARGV[6], 'GT')
  end
end
-- Index entries of revocations no longer in force go.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[7])
if tonumber(until_) >= tonumber(ARGV[7]) then
  redis.call('PUBLISH', ARGV[8], cjson.encode({kind = kind, subject = subject, ['until'] = until_, cut = cut}))
end
return 1
