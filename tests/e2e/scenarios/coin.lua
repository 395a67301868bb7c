-- coin.lua: no guests; the outcome follows the seed and the parameter
-- "bias", for `umlab campaign` tests.  A draw below bias fails a check; a
-- draw in the top tenth is classified "weird".  With CAMPAIGN_TRACE set,
-- every run appends its seed there (to prove no run is done twice).
local bias = param("bias", 0.5)
local x = math.random()
local trace = os.getenv("CAMPAIGN_TRACE")
if trace then
  local f = assert(io.open(trace, "a"))
  f:write(string.format("%d %s\n", seed, tostring(bias)))
  f:close()
end
if x >= 0.9 then
  outcome("weird")
end
check("draw " .. x .. " is above bias " .. bias, x >= bias)
