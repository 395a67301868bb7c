-- net-uplink: two switches of the lab that meet only outside it, through
-- a vde_switch (param "outside", its directory) that each reaches by an
-- uplink.  a pings b, so every frame leaves the lab and comes back.
lab { name = "net-uplink" }

local s1, s2 = switch("s1"), switch("s2")
local a, b = node("a"), node("b")
link(a, s1, "10.0.0.1/24")
link(b, s2, "10.0.0.2/24")
local outside = "vde://" .. param("outside")
expect_eq("the first uplink is named after its switch", uplink(s1, outside), "s1.up0")
uplink(s2, outside)

start()

local r = a:exec("ping -n -c 3 -i 0.2 -W 2 10.0.0.2")
check("a pings b through the vde_switch beyond both uplinks", r.ok, r.stdout .. r.stderr)
