-- wrk script: POST /auth/register with a new username every time (each
-- thread its own range), the flood of the registration bench. Each
-- connection waits $PACE_MS (default 1000) between its requests: 400
-- connections are 400 registrations in flight every second, not a
-- request-rate flood that any endpoint would drown in.
local thread_id = 0
setup = function(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end
counter = 0
request = function()
  counter = counter + 1
  local body = string.format(
    '{"username":"flood-%d-%d-%d","password":"correct horse battery"}',
    id or 0, counter, os.time())
  return wrk.format("POST", "/auth/register", {["Content-Type"] = "application/json"}, body)
end
local pace = tonumber(os.getenv("PACE_MS") or "1000")
delay = function()
  return pace
end
