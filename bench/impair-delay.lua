-- impair-delay.lua - bench/impair-accuracy.sh's delay half: a 20 ms delay
-- on one direction of a's cable (netem's sense: what leaves towards a
-- waits 20 ms), measured by ping on real guests, beside the same ping
-- with no delay.  Prints "delay ..." lines for the script.
lab { name = "impair-delay" }

local s1 = switch("s1")
local a, b = node("a"), node("b")
local la = link(a, s1, "10.0.0.1/24")
link(b, s1, "10.0.0.2/24")
start()

local function rtts(n)
	local r = a:exec(string.format("ping -n -c %d -i 0.02 -W 2 10.0.0.2", n))
	local t = {}
	for ms in r.stdout:gmatch("time=([%d.]+) ms") do t[#t + 1] = tonumber(ms) end
	table.sort(t)
	local sum = 0
	for _, v in ipairs(t) do sum = sum + v end
	return t, (#t > 0 and sum / #t or 0)
end

local function pct(t, p) return t[math.max(1, math.floor(#t * p + 0.5))] end

a:exec("ping -n -c 2 -W 2 10.0.0.2")	-- ARP, outside the figures
local base, bmean = rtts(200)
impair(la, { delay = 0.02, direction = "to_node" })
local t, mean = rtts(200)
print(string.format("delay base: %d pings, median %.3f ms, mean %.3f ms", #base, pct(base, 0.5), bmean))
print(string.format("delay 20ms: %d pings, median %.3f ms, mean %.3f ms, p10 %.3f, p90 %.3f",
		    #t, pct(t, 0.5), mean, pct(t, 0.1), pct(t, 0.9)))
check("200 pings came back", #t == 200, #t)
