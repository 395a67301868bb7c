-- A fault that cannot be injected fails the run, it never silently does nothing.
local s = switch("s")
local a = node("a")
link(a, s, "10.6.1.1/24")
local faultwait = require("faultwait")
start()
faultwait.fault("memflip", "a", { symbol = "no_such_symbol_here", bit = 0 })
check("the script itself is fine", true)
