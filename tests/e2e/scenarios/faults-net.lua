-- Network faults in the fabric: a link down, an isolated node, a delay burst.
local s = switch("s")
local a, b, c = node("a"), node("b"), node("c")
local la = link(a, s, "10.2.0.1/24")
link(b, s, "10.2.0.2/24")
link(c, s, "10.2.0.3/24")
local faultwait = require("faultwait")
start()
check("b is reachable", a:exec("ping -c1 -W2 10.2.0.2").ok)

faultwait.fault("link_down", la, { duration = 1.5 })
check("a is cut off while its link is down", not a:exec("ping -c1 -W1 10.2.0.2").ok)
check("a is back after the duration", wait_until(function() return a:exec("ping -c1 -W1 10.2.0.2").ok end, 10, 0.2))

faultwait.fault("isolate", "c", { duration = 1.5 })
check("c is isolated", not a:exec("ping -c1 -W1 10.2.0.3").ok)
check("b still answers while c is isolated", a:exec("ping -c1 -W1 10.2.0.2").ok)
check("c is back after the duration", wait_until(function() return a:exec("ping -c1 -W1 10.2.0.3").ok end, 10, 0.2))

faultwait.fault("delay", la, { delay = 0.1, duration = 3 })
local r = a:exec("ping -c 3 -i 0.2 10.2.0.2")
local avg = tonumber(r.stdout:match("= [%d.]+/([%d.]+)/"))
check("100 ms each way shows as about 200 ms of round trip", avg ~= nil and avg > 180 and avg < 400, r.stdout)
