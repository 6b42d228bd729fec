-- wrk script for bench/orders.sh: POST /api/v1/orders, each request with the next of the
-- bench keys (BENCH_KEYS_FILE: "KEY_ID API_KEY" lines) and that key's product
-- (BENCH_FIRST_PRODUCT + index), quantity 1. BENCH_DELAY_MS pauses each connection after
-- every answer (a fixed-rate run).
local keys = {}
for line in io.lines(os.getenv("BENCH_KEYS_FILE")) do
  local _, key = line:match("^(%d+) (%S+)$")
  keys[#keys + 1] = key
end
local first_product = tonumber(os.getenv("BENCH_FIRST_PRODUCT"))
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local counter = math.random(#keys)

request = function()
  counter = counter % #keys + 1
  local body = '{"product_id": ' .. (first_product + counter - 1) ..
               ', "quantity": 1, "payment_method": "balance"}'
  return wrk.format("POST", nil, {["X-API-Key"] = keys[counter],
                                  ["Content-Type"] = "application/json"}, body)
end

if pause > 0 then
  delay = function() return pause end
end

response = function(status)
  if status ~= 201 then
    io.stderr:write("unexpected status " .. status .. "\n")
  end
end
