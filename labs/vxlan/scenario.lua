-- vxlan: an Ethernet overlay over a routed underlay.
--   h1 --lan1-- r1 ==(172.16.1.0/24)== core ==(172.16.2.0/24)== r2 --lan2-- h2
-- h1 and h2 are in the same subnet 10.10.0.0/24: r1 and r2 bridge their
-- LAN port with a VXLAN interface (VNI 42) and carry the frames in UDP
-- (port 4789) across core, which only routes 172.16.x.x.
lab { name = "vxlan" }

local lan1, lan2 = switch("lan1"), switch("lan2")
local h1 = node("h1")
local h2 = node("h2")
local r1 = node("r1", { files = "r1", startup = "vtep.startup" })
local r2 = node("r2", { files = "r2", startup = "vtep.startup" })
local core = node("core", { startup = "core.startup" })

link(h1, lan1, "10.10.0.1/24")
link(r1, lan1)                                   -- bridged: no address
link(r1, core, "172.16.1.1/24", "172.16.1.254/24")
link(r2, lan2)                                   -- r2's eth0, like r1's
link(core, r2, "172.16.2.254/24", "172.16.2.1/24")
link(h2, lan2, "10.10.0.2/24")

start()

for _, r in ipairs({ r1, r2, core }) do
  check(r.name .. "'s startup file ran", r:startup_status() == 0, r:exec("cat /var/log/startup.log").stdout)
end

local d = r1:exec("ip -d link show vxlan0").stdout
check("r1 has vxlan0 with VNI 42 towards 172.16.2.1",
      d:find("vxlan id 42 remote 172.16.2.1", 1, true) ~= nil, d)

local r
local ok = wait_until(function()
  r = r1:exec("ping -c 1 -W 2 172.16.2.1", { timeout = 10 })
  return r.ok
end, 60)
check("underlay: r1 reaches r2's 172.16.2.1 through core", ok, r.stdout .. r.stderr)

local rt = core:exec("ip route").stdout
check("core knows nothing of the overlay subnet 10.10.0.0/24", not rt:find("10.10.", 1, true), rt)

-- Watch the underlay while h1 pings h2: the pings travel inside UDP 4789.
local cap = spawn(function()
  return core:exec("tcpdump -c 4 -n -i eth0 udp port 4789", { timeout = 60 })
end)
ok = wait_until(function()
  r = h1:exec("ping -c 1 -W 2 10.10.0.2", { timeout = 10 })
  return r.ok
end, 60)
check("overlay: h1 pings h2 (same subnet, across the routed underlay)", ok, r.stdout .. r.stderr)
r = h2:exec("ping -c 3 -i 0.2 -W 2 10.10.0.1", { timeout = 20 })
check("overlay: h2 pings h1", r.ok, r.stdout .. r.stderr)
local c = cap:wait()
check("core saw the overlay traffic as VXLAN (VNI 42) in UDP port 4789",
      c.stdout:find("VXLAN, flags [I] (0x08), vni 42", 1, true) ~= nil, c.stdout .. c.stderr)

local mac2 = h2:sh("cat /sys/class/net/eth0/address"):gsub("%s+$", "")
local fdb = r1:exec("bridge fdb show dev vxlan0").stdout
check("r1 learned h2's MAC behind VTEP 172.16.2.1",
      fdb:find(mac2 .. " dst 172.16.2.1", 1, true) ~= nil, fdb)

r = h1:exec("ip neigh show 10.10.0.2").stdout
check("h1 resolved h2 by ARP: the overlay is one Ethernet segment", r:find(mac2, 1, true) ~= nil, r)

local ttl = h1:exec("ping -c 1 -W 2 10.10.0.2").stdout:match("ttl=(%d+)")
expect_eq("h2's reply arrives with TTL 64 (no router on the overlay path)", "64", ttl)
