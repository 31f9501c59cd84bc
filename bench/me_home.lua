-- wrk script: GET /api/v1/me/home as a random person of a token file (one token per line);
-- an optional second argument uses only the first N tokens (a set of people active right now).
local tokens = {}
init = function(args)
  local n = tonumber(args[2] or "") or math.huge
  for line in io.lines(args[1]) do
    if #tokens >= n then break end
    tokens[#tokens + 1] = line
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)
end
request = function()
  return wrk.format("GET", "/api/v1/me/home", { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] })
end
