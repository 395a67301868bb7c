-- arp: how a host finds the MAC address of a neighbour on its LAN.
-- Two hosts on one switch: the ARP table starts empty, a ping makes h1
-- broadcast an ARP request, h2 answers, and both learn each other's MAC.
lab { name = "arp" }

local s1 = switch("s1")
local h1 = node("h1")
local h2 = node("h2")
link(h1, s1, "10.0.0.1/24")
link(h2, s1, "10.0.0.2/24")

start()

local function neigh(n, ip) return n:exec("ip neigh show " .. ip).stdout end

local t = neigh(h1, "10.0.0.2")
check("h1's ARP table has no entry for h2 at first", not t:find("lladdr", 1, true), t)

local r = h1:exec("ping -c 3 -i 0.2 -W 2 10.0.0.2", { timeout = 20 })
check("h1 pings h2", r.ok, r.stdout .. r.stderr)

local mac2 = h2:sh("cat /sys/class/net/eth0/address"):gsub("%s+$", "")
local mac1 = h1:sh("cat /sys/class/net/eth0/address"):gsub("%s+$", "")

local got = wait_until(function() return neigh(h1, "10.0.0.2"):find("lladdr " .. mac2, 1, true) end, 20)
check("h1 learned h2's MAC (" .. mac2 .. ") by ARP", got, neigh(h1, "10.0.0.2"))

-- h2 learns h1's MAC from h1's request itself (the sender's address is in it)
got = wait_until(function() return neigh(h2, "10.0.0.1"):find("lladdr " .. mac1, 1, true) end, 20)
check("h2 learned h1's MAC (" .. mac1 .. ") from the request", got, neigh(h2, "10.0.0.1"))

-- Forget the entry and watch it come back.
h1:sh("ip neigh flush dev eth0")
t = neigh(h1, "10.0.0.2")
check("after a flush h1 no longer knows h2's MAC", not t:find("lladdr", 1, true), t)
r = h1:exec("ping -c 1 -W 2 10.0.0.2", { timeout = 20 })
got = wait_until(function() return neigh(h1, "10.0.0.2"):find("lladdr " .. mac2, 1, true) end, 20)
check("one more ping learns it again", r.ok and got, neigh(h1, "10.0.0.2"))

-- No reply for an address nobody has: the entry stays INCOMPLETE/FAILED.
h1:exec("ping -c 1 -W 1 10.0.0.99", { timeout = 10 })
t = neigh(h1, "10.0.0.99")
check("nobody answers for 10.0.0.99 (no MAC learned)", not t:find("lladdr", 1, true), t)
