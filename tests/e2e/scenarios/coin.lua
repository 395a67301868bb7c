-- coin.lua: no guests; the outcome follows the seed and the parameter
-- "bias", for `umlab campaign` tests.  A draw below bias fails a check; a
-- draw in the top quarter is classified "weird".  With CAMPAIGN_TRACE set,
-- every run appends its seed there (to prove no run is done twice); with
-- CAMPAIGN_GATE set too, runs after the fourth wait for that file to exist
-- (so that a test can interrupt a campaign with runs in flight).
local bias = param("bias", 0.5)
local x = math.random()
local trace = os.getenv("CAMPAIGN_TRACE")
if trace then
  local f = assert(io.open(trace, "a"))
  f:write(string.format("%d %s\n", seed, tostring(bias)))
  f:close()
  local gate = os.getenv("CAMPAIGN_GATE")
  local n = 0
  for _ in io.lines(trace) do n = n + 1 end
  if gate and n > 4 then
    wait_until(function() local g = io.open(gate) if g then g:close() end return g end, 30, 0.02)
  end
end
if x >= 0.75 then
  outcome("weird")
end
check("draw " .. x .. " is above bias " .. bias, x >= bias)
