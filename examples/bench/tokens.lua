-- wrk script of run.sh for the rotating-token variants: every request is
-- GET /hello with the next token of the file given after `--` (one per
-- line), going round. The requests are formatted once, in `init`, so that
-- the client spends as little as it can per request (it shares the machine
-- with the server, and must not be what limits the rate).
local requests = {}
local next_request = 0

function init(args)
  for line in io.lines(args[1]) do
    requests[#requests + 1] =
      wrk.format("GET", "/hello", { ["Authorization"] = "Bearer " .. line })
  end
  -- Each thread starts at a place of its own.
  next_request = math.random(#requests) - 1
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end
