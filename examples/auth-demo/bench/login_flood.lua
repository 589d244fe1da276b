-- wrk script: POST /auth/login with a wrong password for a rotating set of
-- unknown users (full argon2 work, no throttling lock-out of one account).
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"username":"flood-%d","password":"not the password"}', counter % 100000)
  return wrk.format("POST", "/auth/login", {["Content-Type"] = "application/json"}, body)
end
