-- Node faults: bit flips in the guest kernel's memory, a crash, a panic.
local s = switch("s")
local a, b, c = node("a"), node("b"), node("c")
link(a, s, "10.6.0.1/24")
link(b, s, "10.6.0.2/24")
link(c, s, "10.6.0.3/24")
local down = {}
on("node_down", function(n, why) down[n.name] = why end)
start()

-- A code symbol that this run never calls, and a random byte of b's RAM.
fault("memflip", "a", { symbol = "sysrq_handle_crash", offset = 3, bit = 5 })
fault("memflip", "b", { region = "ram" })
check("both flips are logged", wait_until(function() return #fault_log() >= 2 end, 10, 0.1))
for _, e in ipairs(fault_log()) do
	local new, back = e.detail:match("new=(0x%x+) readback=(0x%x+)")
	expect_eq("memflip on " .. e.target .. " reads back the new byte", new, back)
end
check("a still answers after the flip", a:exec("true").ok)

fault("crash", "b", { at = 0.2 })
check("b is reported down after the crash", wait_until(function() return down.b ~= nil end, 10, 0.1))
fault("panic", "c")
check("c is reported down after the panic", wait_until(function() return down.c ~= nil end, 10, 0.1))
check("a still answers", a:exec("true").ok)
expect_eq("four faults logged", 4, #fault_log())
