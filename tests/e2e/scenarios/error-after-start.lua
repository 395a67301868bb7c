-- A Lua error after the lab is up: teardown still runs (exit 2, no guest left).
local s = switch("s")
local a = node("a")
link(a, s, "10.9.9.1/24")
start()
check("a runs", a:exec("true").ok)
local t = nil
print(t.field)   -- line 8: attempt to index a nil value
