-- One node's life while the rest of the lab runs: restart, stop, start,
-- reboot, halt, freeze and thaw; b is pinged from a after each.
local s = switch("s")
local a, b, c = node("a"), node("b"), node("c")
link(a, s, "10.9.0.1/24")
link(b, s, "10.9.0.2/24")
link(c, s, "10.9.0.3/24")
start()
local function pings() return a:exec("ping -c 1 -W 1 10.9.0.2").status == 0 end
check("a pings b", pings())
for _, n in ipairs({ a, b, c }) do
	check(n.name .. ": no ptrace stop in a fault-free run", n.ptrace_stops == 0, n.ptrace_stops)
end
local t = b:restart()
check("b is ready after restart", b.state == "ready", b.state)
check("b booted twice", b.boots == 2, b.boots)
print(string.format("FIGURE restart boot %.3f s", t))
check("a pings b after restart", pings())
b:stop()
check("b is stopped", b.state == "stopped", b.state .. " " .. b.reason)
check("a gets no reply from a stopped b", not pings())
check("c still runs", c.state == "ready", c.state)
b:start()
check("b is ready after start", b.state == "ready", b.state)
check("a pings b after start", pings())
local boots = b.boots
t = b:reboot()
print(string.format("FIGURE reboot %.3f s", t))
check("b is ready after reboot", b.state == "ready" and b.boots == boots + 1, b.state)
check("b's NIC is configured again after reboot", b:sh("ip -4 addr show eth0"):find("10.9.0.2") ~= nil)
check("a pings b after reboot", pings())
c:halt()
check("c is stopped after halt", c.state == "stopped", c.state .. " " .. c.reason)
local lat = {}
for i = 1, 5 do
	lat[i] = b:freeze()
	check("b is frozen", b.frozen)
	if i == 1 then
		check("a gets no reply from a frozen b", a:exec("ping -c 2 -W 1 10.9.0.2").status ~= 0)
	end
	b:thaw()
end
table.sort(lat)
print(string.format("FIGURE freeze latency median %.1f us max %.1f us", lat[3] * 1e6, lat[5] * 1e6))
check("freeze confirmed within 1 ms (median)", lat[3] < 0.001, lat[3])
check("a pings b after thaw", pings())
check("b took exactly one ptrace stop per freeze", b.ptrace_stops == 5, b.ptrace_stops)
check("a took no ptrace stop", a.ptrace_stops == 0, a.ptrace_stops)
