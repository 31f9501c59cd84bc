-- wrk script: GET /api/v1/me/home as a person of a token file (one token per line). Arguments
-- after `--`: the token file, then how the person is drawn:
--   (none)  uniformly from every token: the worst case, nearly every request a cache miss;
--   N       uniformly from the first N tokens only (a set of people active right now);
--   zipf    from every token with Zipf weights 1/rank^1.1, the skew of the product's instruments
--           (shared/tools/loadmix/paths.py); the ranks are the token lines shuffled once with a
--           fixed seed, so every run (and every wrk thread) has the same people on top.
local tokens = {}
local cum -- zipf: cumulative weights by rank
init = function(args)
  local n = tonumber(args[2] or "") or math.huge
  for line in io.lines(args[1]) do
    if #tokens >= n then break end
    tokens[#tokens + 1] = line
  end
  if args[2] == "zipf" then
    math.randomseed(20)
    for i = #tokens, 2, -1 do
      local j = math.random(i)
      tokens[i], tokens[j] = tokens[j], tokens[i]
    end
    cum = {}
    local sum = 0
    for k = 1, #tokens do
      sum = sum + 1 / k ^ 1.1
      cum[k] = sum
    end
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)
end
-- pick returns a token: uniform, or by binary search of a uniform draw in the cumulative weights.
local function pick()
  if not cum then
    return tokens[math.random(#tokens)]
  end
  local u, lo, hi = math.random() * cum[#cum], 1, #cum
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cum[mid] < u then lo = mid + 1 else hi = mid end
  end
  return tokens[lo]
end
request = function()
  return wrk.format("GET", "/api/v1/me/home", { ["Authorization"] = "Bearer " .. pick() })
end
