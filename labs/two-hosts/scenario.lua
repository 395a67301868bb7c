-- two-hosts: the smallest lab that proves a network works.
-- Two hosts on one switch; each pings the other; the checks say so.
lab { name = "two-hosts" }

local s1 = switch("s1")
local a  = node("a")
local b  = node("b")
link(a, s1, "10.0.0.1/24")
link(b, s1, "10.0.0.2/24")

start()

local r = a:exec("ip -4 -o addr show dev eth0")
check("a has 10.0.0.1 on eth0", r.stdout:find("10.0.0.1/24", 1, true) ~= nil, r.stdout)

r = a:exec("ping -c 3 -i 0.2 -W 2 10.0.0.2")
check("a pings b", r.status == 0, r.stdout .. r.stderr)

r = b:exec("ping -c 3 -i 0.2 -W 2 10.0.0.1")
check("b pings a", r.status == 0, r.stdout .. r.stderr)

r = b:exec("ip neigh show 10.0.0.1")
check("b learned a's MAC by ARP", r.stdout:find("lladdr", 1, true) ~= nil, r.stdout)

check("hostname is set", a:exec("hostname").stdout == "a\n")
