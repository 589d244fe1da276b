-- wrk script of run.sh: every request is GET /hello with the next token of
-- the file given after `--` (one per line), going round; a file of one
-- token is the reused-token case, of 100k distinct tokens the cold path.
local tokens = {}
local next_token = 0

function init(args)
  for line in io.lines(args[1]) do
    tokens[#tokens + 1] = "Bearer " .. line
  end
  -- Each thread starts at a place of its own.
  next_token = math.random(#tokens) - 1
end

function request()
  next_token = next_token % #tokens + 1
  return wrk.format("GET", "/hello", { ["Authorization"] = tokens[next_token] })
end
