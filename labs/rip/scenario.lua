-- rip: distance-vector routing with RIP v2 (FRR), three routers in a line.
--   h1 --lan1-- r1 ---- r2 ---- r3 --lan3-- h3
-- Updates every 5 s (timers basic 5 30 20) instead of 30 s.
lab { name = "rip" }

local lan1, lan3 = switch("lan1"), switch("lan3")
local r1 = node("r1", { files = "r1", startup = "frr.startup", mem = 96 })
local r2 = node("r2", { files = "r2", startup = "frr.startup", mem = 96 })
local r3 = node("r3", { files = "r3", startup = "frr.startup", mem = 96 })
local h1 = node("h1", { gateway = "10.1.1.254" })
local h3 = node("h3", { gateway = "10.3.3.254" })

link(r1, lan1, "10.1.1.254/24")
link(r1, r2, "10.0.12.1/30", "10.0.12.2/30")
link(r2, r3, "10.0.23.1/30", "10.0.23.2/30")
link(r3, lan3, "10.3.3.254/24")
link(h1, lan1, "10.1.1.1/24")
link(h3, lan3, "10.3.3.1/24")

start()
local t0 = now()

for _, r in ipairs({ r1, r2, r3 }) do
  check(r.name .. " started FRR (startup file)", r:startup_status() == 0,
        r:exec("tail -20 /var/log/startup.log").stdout)
end

local function vtysh(r, cmd) return r:exec({ "vtysh", "-c", cmd }, { timeout = 20 }).stdout end

-- route_check(router, prefix, metric): a RIP route with that hop count
local function rip_route(r, prefix, metric)
  local out = ""
  local ok = wait_until(function()
    out = vtysh(r, "show ip rip")
    for line in out:gmatch("[^\n]+") do
      if line:match("^R%(n%)%s+" .. prefix:gsub("%.", "%%.") .. "%s") then
        local m = tonumber(line:match("%s(%d+)%s+[%d.]+%s+%d+%s+%d%d:%d%d")
                           or line:match("%S+%s+%S+%s+(%d+)"))
        return m == metric
      end
    end
    return false
  end, 90, 0.5)
  check(string.format("%s learned %s by RIP, metric %d", r.name, prefix, metric), ok, out)
end

rip_route(r1, "10.3.3.0/24", 3)
rip_route(r1, "10.0.23.0/30", 2)
rip_route(r2, "10.1.1.0/24", 2)
rip_route(r2, "10.3.3.0/24", 2)
rip_route(r3, "10.1.1.0/24", 3)
rip_route(r3, "10.0.12.0/30", 2)
print(string.format("umlab: rip converged %.1f s after the nodes were ready", now() - t0))

local kr = r1:exec("ip route show 10.3.3.0/24").stdout
check("r1's kernel routes lan3 via r2 (proto rip)", kr:find("via 10.0.12.2", 1, true) and kr:find("proto rip", 1, true), kr)

local st = vtysh(r2, "show ip rip status")
check("r2 hears RIP updates from r1 and r3", st:find("10.0.12.1", 1, true) and st:find("10.0.23.2", 1, true), st)

local r
local ok = wait_until(function()
  r = h1:exec("ping -c 1 -W 2 10.3.3.1", { timeout = 10 })
  return r.ok
end, 60)
check("h1 pings h3 across three RIP routers", ok, r.stdout .. r.stderr)
