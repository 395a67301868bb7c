-- dhcp: a DHCP server (dnsmasq) and two clients (dhclient) on one switch.
-- The clients' interfaces have no address until DHCP gives them one.
lab { name = "dhcp" }

local s1 = switch("s1")
local server = node("server", { files = "server", startup = "server.startup" })
local c1, c2 = node("c1"), node("c2")
link(server, s1, "10.0.0.1/24")
link(c1, s1)          -- no address: DHCP will give one
link(c2, s1)

start()

check("dnsmasq started", server:startup_status() == 0, server:exec("cat /var/log/startup.log /tmp/dnsmasq.log").stdout)
local ls = ""
local ok = wait_until(function()
  ls = server:exec("ss -lun").stdout
  return ls:find(":67 ", 1, true)
end, 30)
check("the server listens on UDP port 67", ok, ls)

for _, c in ipairs({ c1, c2 }) do
  local a = c:exec("ip -4 -o addr show dev eth0").stdout
  check(c.name .. " has no IPv4 address before DHCP", a == "", a)
end

-- Both clients ask at once (dhclient -1: try once, give up after its timeout).
local tasks = {}
for _, c in ipairs({ c1, c2 }) do
  tasks[#tasks + 1] = spawn(function()
    return c:exec("mkdir -p /var/lib/dhcp && dhclient -v -1 -lf /var/lib/dhcp/dhclient.leases eth0", { timeout = 90 })
  end)
end
local addr = {}
for i, c in ipairs({ c1, c2 }) do
  local r = tasks[i]:wait()
  local a = ""
  local got = wait_until(function()
    a = c:exec("ip -4 -o addr show dev eth0").stdout
    return a:match("inet (10%.0%.0%.%d+)/24")
  end, 30)
  addr[i] = got
  local n = got and tonumber(got:match("%.(%d+)$")) or 0
  check(c.name .. " got an address from the pool 10.0.0.100-150", got and n >= 100 and n <= 150,
        a .. "\n" .. r.stdout .. r.stderr)
end
check("the two clients got different addresses", addr[1] and addr[2] and addr[1] ~= addr[2],
      tostring(addr[1]) .. " " .. tostring(addr[2]))

local rt = c1:exec("ip route").stdout
check("c1's default route is the one DHCP gave (10.0.0.1)", rt:find("default via 10.0.0.1", 1, true) ~= nil, rt)

local res = c1:exec("cat /etc/resolv.conf").stdout
check("c1's resolv.conf has the DHCP DNS server and domain",
      res:find("nameserver 10.0.0.1", 1, true) and res:find("lab.example", 1, true), res)

local leases = server:exec("cat /tmp/dnsmasq.leases").stdout
local mac1 = c1:sh("cat /sys/class/net/eth0/address"):gsub("%s+$", "")
check("the server's lease file has c1's MAC and address",
      addr[1] and leases:find(mac1 .. " " .. addr[1], 1, true), leases)

local log = server:exec("cat /tmp/dnsmasq.log").stdout
check("the server logged DISCOVER, OFFER, REQUEST, ACK",
      log:find("DHCPDISCOVER", 1, true) and log:find("DHCPOFFER", 1, true)
      and log:find("DHCPREQUEST", 1, true) and log:find("DHCPACK", 1, true), log)

if addr[2] then
  local r = c1:exec("ping -c 2 -i 0.3 -W 2 " .. addr[2], { timeout = 20 })
  check("c1 pings c2 at its DHCP address", r.ok, r.stdout .. r.stderr)
end
