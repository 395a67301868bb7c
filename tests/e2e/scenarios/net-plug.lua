-- net-plug: two switches of the lab that meet only on the host, where a
-- vde_plug joins a plug of each (umlab:// URLs, libvdeplug_umlab.so).  a
-- pings b, so every frame leaves the lab and comes back.  vde_plug's pid
-- is left in OUTDIR/vde_plug.pid: net-plug.sh starts the lab with `umlab
-- start`, looks at it with `umlab status`, then stops both.
lab { name = "net-plug" }

local s1, s2 = switch("s1"), switch("s2")
local a, b = node("a"), node("b")
link(a, s1, "10.0.0.1/24")
link(b, s2, "10.0.0.2/24")
local p1, p2 = plug(s1), plug(s2)
expect_eq("the first plug is named after its switch", "s1.plug0", p1)

start()

local u1, u2 = plug_url(p1), plug_url(p2)
expect_match("plug_url is umlab:// and the socket", "^umlab:///.*/net/s1%.plug0$", u1)
local out = outdir()
os.execute(string.format("vde_plug '%s' '%s' > '%s/vde_plug.log' 2>&1 & echo $! > '%s/vde_plug.pid'",
			 u1, u2, out, out))
-- vde_plug attaches in its own time: the first ARP may find no one
check("a reaches b once vde_plug has joined the plugs", wait_until(function()
	return a:exec("ping -n -c 1 -W 1 10.0.0.2").ok end, 20))
local r = a:exec("ping -n -c 3 -i 0.2 -W 2 10.0.0.2")
check("a pings b through vde_plug on the host", r.ok, r.stdout .. r.stderr)
