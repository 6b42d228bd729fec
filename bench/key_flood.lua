-- wrk script: every request carries a different random API key in the issued format
-- ("imk_" and 64 lower-case hex digits), as an attacker without any credential would send.
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + id)
end

function request()
  local parts = {}
  for i = 1, 8 do parts[i] = string.format("%08x", math.random(0, 0x7fffffff) * 2 + math.random(0, 1)) end
  return wrk.format("GET", "/api/v1/health", {["X-API-Key"] = "imk_" .. table.concat(parts)})
end
