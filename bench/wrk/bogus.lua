-- A flood of logins with codes that were never issued: each one is new (so no replay ledger
-- answers it) and looks like a DingTalk code.
local counter = 0

function init(args)
  math.randomseed(os.time() + (args[1] and tonumber(args[1]) or 0))
end

function request()
  counter = counter + 1
  local code = string.format("%08x%08x%016x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff), counter)
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" },
    '{"tmp_auth_code":"' .. code .. '"}')
end
