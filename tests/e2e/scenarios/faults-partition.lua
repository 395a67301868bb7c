-- Partitions between groups of nodes (Jepsen style): a b | c d both ways
-- with e in neither group, then a one-way rule, each healed after its
-- duration.  a, b, c on one switch, d, e on another, the switches trunked.
local s1, s2 = switch("s1"), switch("s2")
trunk(s1, s2)
local a, b, c, d, e = node("a"), node("b"), node("c"), node("d"), node("e")
link(a, s1, "10.3.0.1/24")
link(b, s1, "10.3.0.2/24")
link(c, s1, "10.3.0.3/24")
link(d, s2, "10.3.0.4/24")
link(e, s2, "10.3.0.5/24")
local faultwait = require("faultwait")
start()
check("a reaches c before", a:exec("ping -c1 -W2 10.3.0.3").ok)
check("a reaches d before", a:exec("ping -c1 -W2 10.3.0.4").ok)

faultwait.fault("partition", "a b | c d", { duration = 5 })
check("a cannot reach c", not a:exec("ping -c1 -W1 10.3.0.3").ok)
check("b cannot reach d (across the trunk)", not b:exec("ping -c1 -W1 10.3.0.4").ok)
check("d cannot reach a", not d:exec("ping -c1 -W1 10.3.0.1").ok)
check("a still reaches b", a:exec("ping -c1 -W1 10.3.0.2").ok)
check("c still reaches d", c:exec("ping -c1 -W1 10.3.0.4").ok)
check("e, in neither group, reaches a", e:exec("ping -c1 -W1 10.3.0.1").ok)
check("e, in neither group, reaches c", e:exec("ping -c1 -W1 10.3.0.3").ok)
check("healed after the duration",
      wait_until(function() return a:exec("ping -c1 -W1 10.3.0.3").ok end, 10, 0.2))
check("d reaches a again", d:exec("ping -c1 -W1 10.3.0.1").ok)

-- one way: frames a -> c dropped, c -> a pass.  A ping needs both ways,
-- so look at what arrives: c's counter of frames from a.
faultwait.fault("partition", "a | c", { oneway = true, duration = 4 })
check("a cannot ping c (its requests are dropped)", not a:exec("ping -c1 -W1 10.3.0.3").ok)
check("c cannot ping a either (the replies are dropped)", not c:exec("ping -c1 -W1 10.3.0.1").ok)
-- c -> a passes: a sees c's pings (count them with the kernel's counter)
local before = tonumber(a:exec("cat /sys/class/net/eth0/statistics/rx_packets").stdout)
c:exec("ping -c3 -i 0.2 -W1 10.3.0.1")
local after = tonumber(a:exec("cat /sys/class/net/eth0/statistics/rx_packets").stdout)
check("frames from c still reach a", after and before and after - before >= 3,
      string.format("rx_packets %s -> %s", before, after))
check("b still reaches c", b:exec("ping -c1 -W1 10.3.0.3").ok)
check("one-way healed after the duration",
      wait_until(function() return a:exec("ping -c1 -W1 10.3.0.3").ok end, 10, 0.2))
local parted = 0
for _, ev in ipairs(fault_log()) do
	if ev.kind == "partition" and ev.phase == "clear" then parted = parted + 1 end
end
check("both partitions logged with their heal", parted == 2)
