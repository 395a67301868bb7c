-- Freeze and slow-down through ptrace, and a register flip at a stop.
local s = switch("s")
local a, b = node("a"), node("b")
link(a, s, "10.3.0.1/24")
link(b, s, "10.3.0.2/24")
local faultwait = require("faultwait")
start()
check("b answers before", a:exec("ping -c1 -W2 10.3.0.2").ok)
expect_eq("no ptrace stop while no fault is armed", 0, b.ptrace_stops)

faultwait.fault("freeze", "b", { duration = 2 })
check("b is silent while frozen", not a:exec("ping -c1 -W1 10.3.0.2").ok)
check("b answers after the thaw", wait_until(function() return a:exec("ping -c1 -W1 10.3.0.2").ok end, 10, 0.2))

-- Slow: frozen 20 ms out of every 100 ms, twenty times.
fault("freeze", "b", { duration = 0.02, every = 0.1, count = 20 })
local r = a:exec("ping -c 15 -i 0.1 -W 1 10.3.0.2")
check("a slowed b still answers", r.ok, r.stdout)

fault("regflip", "b", { register = "r15", bit = 0 })
check("the register flip reads back", wait_until(function()
	for _, e in ipairs(fault_log()) do
		if e.kind == "regflip" and e.detail:find("readback_matches=yes", 1, true) then return true end
	end
end, 5, 0.1))
