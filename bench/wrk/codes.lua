-- One fresh code per request, read from the file given after `--`; the thread stops when the
-- codes run out (wrk still divides by the whole duration: bench-layer.sh checks that they did
-- not). The second argument shapes the request:
--   wrk -s codes.lua URL -- codes.txt login      POST {"tmp_auth_code": code}  (the layer)
--   wrk -s codes.lua URL -- codes.txt exchange   POST {"code": code}           (the emulator)
local codes = {}
local next_code = 0
local field = "tmp_auth_code"

function init(args)
  for line in io.lines(args[1]) do
    codes[#codes + 1] = line
  end
  if args[2] == "exchange" then
    field = "code"
  end
end

function request()
  next_code = next_code + 1
  local code = codes[next_code]
  if code == nil then
    wrk.thread:stop()
    code = codes[#codes]
  end
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" },
    '{"' .. field .. '":"' .. code .. '"}')
end
