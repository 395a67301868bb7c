-- net-vlan: two switches joined by an 802.1Q trunk carrying VLANs 10 and 20.
-- Hosts in the same VLAN reach each other across the trunk; hosts in
-- different VLANs do not, even on the same subnet and the same switch.
-- Then a router on a stick: a guest whose port is a trunk routes between
-- a subnet in VLAN 10 and one in VLAN 20.
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
local rtr, c10, c20 = node("r"), node("c10"), node("c20")
link(rtr, s1, { vlans = { 10, 20 } })
link(c10, s2, { ip = "10.0.10.2/24", vlan = 10 })
link(c20, s1, { ip = "10.0.20.2/24", vlan = 20 })

start()

local r = a10:exec("ping -n -c 3 -i 0.2 -W 2 10.0.0.2")
check("a10 pings b10 across the trunk (VLAN 10)", r.ok, r.stdout .. r.stderr)
r = a20:exec("ping -n -c 3 -i 0.2 -W 2 10.0.0.4")
check("a20 pings b20 across the trunk (VLAN 20)", r.ok, r.stdout .. r.stderr)
r = a10:exec("ping -n -c 2 -i 0.2 -W 1 10.0.0.3")
check("a10 cannot reach a20 on the same switch (VLAN 10 vs 20)", not r.ok, r.stdout)
r = a10:exec("ping -n -c 2 -i 0.2 -W 1 10.0.0.4")
check("a10 cannot reach b20 across the trunk", not r.ok, r.stdout)

-- Router on a stick: r's cable is a trunk carrying VLANs 10 and 20 tagged
-- (link(..., {vlans = ...})); r makes eth0.10 and eth0.20 itself and
-- routes between two subnets, one in each VLAN, across the switches.
r = rtr:exec([[
ip link add link eth0 name eth0.10 type vlan id 10 &&
ip link add link eth0 name eth0.20 type vlan id 20 &&
ip addr add 10.0.10.1/24 dev eth0.10 && ip addr add 10.0.20.1/24 dev eth0.20 &&
ip link set eth0 up && ip link set eth0.10 up && ip link set eth0.20 up &&
sysctl -qw net.ipv4.ip_forward=1]])
check("r sets up eth0.10 and eth0.20 on its trunk", r.ok, r.stdout .. r.stderr)
c10:exec("ip route add default via 10.0.10.1")
c20:exec("ip route add default via 10.0.20.1")
r = c10:exec("ping -n -c 3 -i 0.2 -W 2 10.0.20.2")
check("c10 (VLAN 10, on s2) reaches c20 (VLAN 20, on s1) through r's trunk", r.ok,
      r.stdout .. r.stderr)
r = c10:exec("ping -n -c 2 -i 0.2 -W 1 10.0.0.1")
check("and still not a10's subnet, which r does not route", not r.ok, r.stdout)
