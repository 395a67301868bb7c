-- net-vlan: two switches joined by an 802.1Q trunk carrying VLANs 10 and 20.
-- Hosts in the same VLAN reach each other across the trunk; hosts in
-- different VLANs do not, even on the same subnet and the same switch.
lab { name = "net-vlan" }

local s1, s2 = switch("s1"), switch("s2")
local a10 = node("a10")
local b10 = node("b10")
local a20 = node("a20")
local b20 = node("b20")
link(a10, s1, { ip = "10.0.0.1/24", vlan = 10 })
link(a20, s1, { ip = "10.0.0.3/24", vlan = 20 })
link(b10, s2, { ip = "10.0.0.2/24", vlan = 10 })
link(b20, s2, { ip = "10.0.0.4/24", vlan = 20 })
trunk(s1, s2, { vlans = { 10, 20 } })

start()

local r = a10:exec("ping -n -c 3 -i 0.2 -W 2 10.0.0.2")
check("a10 pings b10 across the trunk (VLAN 10)", r.ok, r.stdout .. r.stderr)
r = a20:exec("ping -n -c 3 -i 0.2 -W 2 10.0.0.4")
check("a20 pings b20 across the trunk (VLAN 20)", r.ok, r.stdout .. r.stderr)
r = a10:exec("ping -n -c 2 -i 0.2 -W 1 10.0.0.3")
check("a10 cannot reach a20 on the same switch (VLAN 10 vs 20)", not r.ok, r.stdout)
r = a10:exec("ping -n -c 2 -i 0.2 -W 1 10.0.0.4")
check("a10 cannot reach b20 across the trunk", not r.ok, r.stdout)
