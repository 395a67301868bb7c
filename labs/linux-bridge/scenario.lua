-- linux-bridge: a node that is a switch. Node br joins its two
-- interfaces in a Linux bridge (br0); h1 and h2, each cabled to one of
-- them, are then on one Ethernet segment and ping each other.
lab { name = "linux-bridge" }

local h1 = node("h1")
local br = node("br", { startup = "br.startup" })
local h2 = node("h2")
link(h1, br, "10.0.0.1/24")
link(h2, br, "10.0.0.2/24")

start()

check("br's startup file ran (bridge created)", br:startup_status() == 0,
      br:exec("cat /var/log/startup.log").stdout)

local function ports()
  return br:exec("ip -o link show master br0").stdout
end
local p = ""
local ok = wait_until(function()
  p = ports()
  return p:find("eth0", 1, true) and p:find("eth1", 1, true)
end, 30)
check("eth0 and eth1 are ports of br0", ok, p)

local st = ""
ok = wait_until(function()
  st = br:exec("cat /sys/class/net/br0/brif/eth0/state /sys/class/net/br0/brif/eth1/state").stdout
  return st == "3\n3\n"          -- 3 = forwarding
end, 60)
check("both bridge ports are forwarding", ok, st)

local r
ok = wait_until(function()
  r = h1:exec("ping -c 1 -W 2 10.0.0.2", { timeout = 10 })
  return r.ok
end, 60)
check("h1 pings h2 across the bridge", ok, r.stdout .. r.stderr)

r = h2:exec("ping -c 3 -i 0.2 -W 2 10.0.0.1", { timeout = 20 })
check("h2 pings h1 across the bridge", r.ok, r.stdout .. r.stderr)

-- The bridge learned where each host's MAC lives.
local mac1 = h1:sh("cat /sys/class/net/eth0/address"):gsub("%s+$", "")
local mac2 = h2:sh("cat /sys/class/net/eth0/address"):gsub("%s+$", "")
local fdb = br:exec("bridge fdb show br br0").stdout
check("br learned h1's MAC on eth0", fdb:find(mac1 .. " dev eth0", 1, true) ~= nil, fdb)
check("br learned h2's MAC on eth1", fdb:find(mac2 .. " dev eth1", 1, true) ~= nil, fdb)

-- A bridge is not a router: br has no IP address at all.
local a = br:exec("ip -4 -o addr show").stdout
check("br has no IPv4 address except loopback", not a:find("eth", 1, true) and not a:find("br0", 1, true), a)
