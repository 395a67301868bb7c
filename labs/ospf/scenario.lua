-- ospf: multi-area OSPF with FRR, five routers, three areas, two hosts.
--
--   h1 --lan4-- r4 ==area 1== r1 --+             +-- r3 ==area 2== r5 --lan5-- h2
--                                  +-- bb (area 0, with r2) --+
--
-- Timers are tuned (hello 1 s, dead 4 s) so that the lab converges in
-- seconds; with FRR's defaults (10 s / 40 s) it takes about 40 s.
lab { name = "ospf" }

local bb, lan4, lan5 = switch("bb"), switch("lan4"), switch("lan5")
local routers = {}
for i = 1, 5 do
  local n = "r" .. i
  routers[i] = node(n, { files = n, startup = "frr.startup", mem = 96 })
end
local r1, r2, r3, r4, r5 = table.unpack(routers)
local h1 = node("h1", { gateway = "10.1.4.254" })
local h2 = node("h2", { gateway = "10.2.5.254" })

link(r1, bb, "10.0.0.1/24")
link(r2, bb, "10.0.0.2/24")
link(r3, bb, "10.0.0.3/24")
link(r1, r4, "10.1.14.1/30", "10.1.14.2/30")
link(r3, r5, "10.2.35.1/30", "10.2.35.2/30")
link(r4, lan4, "10.1.4.254/24")
link(r5, lan5, "10.2.5.254/24")
link(h1, lan4, "10.1.4.1/24")
link(h2, lan5, "10.2.5.1/24")

start()
local t0 = now()

for _, r in ipairs(routers) do
  check(r.name .. " started FRR (startup file)", r:startup_status() == 0,
        r:exec("tail -20 /var/log/startup.log").stdout)
end

local function vtysh(r, cmd) return r:exec({ "vtysh", "-c", cmd }, { timeout = 20 }).stdout end

-- Every router must learn every remote network through OSPF.
local nets = { "10.0.0.0/24", "10.1.14.0/30", "10.2.35.0/30", "10.1.4.0/24", "10.2.5.0/24" }
for i = 1, 5 do nets[#nets + 1] = "192.168.255." .. i .. "/32" end

local function missing(r)
  local out = vtysh(r, "show ip route")
  local miss = {}
  for _, p in ipairs(nets) do
    if not out:find(p, 1, true) then miss[#miss + 1] = p end
  end
  return miss, out
end

local conv = {}
local tasks = {}
for _, r in ipairs(routers) do
  tasks[#tasks + 1] = spawn(function()
    local miss, out
    local ok = wait_until(function()
      miss, out = missing(r)
      return #miss == 0
    end, 120, 0.5)
    conv[r.name] = now() - t0
    check(r.name .. " has a route to all 10 networks", ok,
          "missing: " .. table.concat(miss, " ") .. "\n" .. out)
  end)
end
for _, t in ipairs(tasks) do t:wait() end
local all = 0
for _, v in pairs(conv) do all = math.max(all, v) end
print(string.format("umlab: ospf converged %.1f s after the nodes were ready", all))

-- Which routes are intra-area (O) and which inter-area (O IA)?
local rt = vtysh(r4, "show ip ospf route")
check("r4 reaches lan5 (area 2) by an inter-area route", rt:find("N IA 10.2.5.0/24", 1, true) ~= nil, rt)
rt = vtysh(r5, "show ip ospf route")
check("r5 reaches lan4 (area 1) by an inter-area route", rt:find("N IA 10.1.4.0/24", 1, true) ~= nil, rt)
local ospf = vtysh(r1, "show ip ospf")
check("r1 is an area border router", ospf:find("ABR", 1, true) ~= nil, ospf)
ospf = vtysh(r2, "show ip ospf")
check("r2 is not an ABR (backbone only)", ospf:find("ABR", 1, true) == nil, ospf)

local nb = vtysh(r2, "show ip ospf neighbor")
local full = select(2, nb:gsub("Full", ""))
check("r2 has two Full neighbours on the backbone (r1, r3)", full == 2, nb)

local kr = r4:exec("ip route show 10.2.5.0/24").stdout
check("the kernel of r4 has the OSPF route to lan5", kr:find("proto ospf", 1, true) ~= nil, kr)

local r
local ok = wait_until(function()
  r = h1:exec("ping -c 1 -W 2 10.2.5.1", { timeout = 10 })
  return r.ok
end, 60)
check("h1 (area 1) pings h2 (area 2)", ok, r.stdout .. r.stderr)
r = h1:exec("traceroute -n -q 1 -w 2 -m 8 10.2.5.1", { timeout = 60 })
expect_match("h1 -> h2 goes r4, r1, r3, r5", "10%.1%.4%.254.-10%.1%.14%.1.-10%.0%.0%.3.-10%.2%.35%.2.-10%.2%.5%.1", r.stdout)
