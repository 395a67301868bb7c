-- nat-firewall: a router doing NAT (masquerade) and filtering (netfilter;
-- iptables-legacy, since the guest kernel's nf_tables lacks the ip family).
--   inside: h1 10.0.0.1 --lan-- router --wan-- server 203.0.113.10 (outside)
-- The server has no route to 10.0.0.0/24: h1 reaches it only because the
-- router rewrites h1's address to its own outside address 203.0.113.1.
-- The router also drops TCP port 8080 from inside.
lab { name = "nat-firewall" }

local lan, wan = switch("lan"), switch("wan")
local h1 = node("h1", { gateway = "10.0.0.254" })
local router = node("router", { startup = "router.startup" })
-- two Python web servers: about 9 MiB each, too many for the default
-- memory next to the rest (the guest OOM-killed one in a CI run)
local server = node("server", { startup = "server.startup", mem = 96 })
link(h1, lan, "10.0.0.1/24")
link(router, lan, "10.0.0.254/24")
link(router, wan, "203.0.113.1/24")
link(server, wan, "203.0.113.10/24")

start()

local log = router:exec("cat /var/log/startup.log").stdout
check("the router loaded its netfilter rules", router:startup_status() == 0, log)
local rs = router:exec("iptables-legacy-save").stdout
check("the ruleset has the masquerade and the drop rule",
      rs:find("-j MASQUERADE", 1, true) and rs:find("--dport 8080 -j DROP", 1, true), rs .. log)

local ls = ""
local ok = wait_until(function()
  ls = server:exec("ss -ltn").stdout
  return ls:find(":80 ", 1, true) and ls:find(":8080 ", 1, true)
end, 60)
check("the server listens on 80 and 8080", ok, ls)

local rt = server:exec("ip route").stdout
check("the server has no route to the inside LAN", not rt:find("10.0.0", 1, true) and not rt:find("default", 1, true), rt)

local r
ok = wait_until(function()
  r = h1:exec("ping -c 1 -W 2 203.0.113.10", { timeout = 10 })
  return r.ok
end, 60)
check("h1 pings the outside server (through NAT)", ok, r.stdout .. r.stderr)

r = h1:exec("curl -sS -m 10 http://203.0.113.10/", { timeout = 20 })
check("h1 fetches a page on port 80", r.ok and r.stdout:find("hello from the outside server", 1, true), r.stdout .. r.stderr)

local seen = ""
ok = wait_until(function()
  seen = server:exec("cat /tmp/http80.log").stdout
  return seen:find("GET /", 1, true)
end, 20)
check("the server saw the request from 203.0.113.1, not 10.0.0.1",
      ok and seen:find("203.0.113.1 ", 1, true) and not seen:find("10.0.0.1", 1, true), seen)

local ct = router:exec("cat /proc/net/nf_conntrack").stdout
check("the router's connection tracking holds the translated flow",
      ct:find("src=10.0.0.1 dst=203.0.113.10", 1, true) and ct:find("dst=203.0.113.1 ", 1, true), ct)

r = h1:exec("curl -sS -m 5 http://203.0.113.10:8080/", { timeout = 20 })
check("port 8080 is blocked (curl times out)", not r.ok and (r.stderr:find("timed out", 1, true) or r.stderr:find("Timeout", 1, true)), r.stdout .. r.stderr)

r = server:exec("curl -sS -m 10 http://203.0.113.10:8080/", { timeout = 20 })
check("port 8080 itself works (from the server)", r.ok, r.stdout .. r.stderr)

rs = router:exec("iptables-legacy -L FORWARD -v -n -x").stdout
local pk = tonumber(rs:match("\n%s*(%d+)%s+%d+%s+DROP%s+6")) or 0
check("the drop rule counted h1's SYNs", pk >= 1, rs)

seen = server:exec("cat /tmp/http8080.log").stdout
check("the server never saw a request on 8080 from outside itself", not seen:find("203.0.113.1 ", 1, true), seen)
