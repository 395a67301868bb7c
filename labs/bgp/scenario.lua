-- bgp: three autonomous systems in a line, eBGP between them (FRR).
--   AS65001 r1 ---- r2 AS65002 ---- r3 AS65003
-- r1 announces 10.1.0.0/24, 10.1.1.0/24 and 10.1.2.0/24; r2 filters
-- 10.1.1.0/24 on the way in (prefix-list in a route-map), so neither r2
-- nor r3 has it, while the two others cross both borders.
-- The filter is the exercise: r2's frr.conf only tags r1's routes;
-- `umlab start --exercise` leaves the filter to the student (`umlab check`
-- tells what passes), `umlab run` adds it (solution below).
lab { name = "bgp" }

local r1 = node("r1", { files = "r1", startup = "frr.startup", mem = 96 })
local r2 = node("r2", { files = "r2", startup = "frr.startup", mem = 96 })
local r3 = node("r3", { files = "r3", startup = "frr.startup", mem = 96 })
link(r1, r2, "172.16.12.1/30", "172.16.12.2/30")
link(r2, r3, "172.16.23.1/30", "172.16.23.2/30")

start()

local function vtysh(r, cmd) return r:exec({ "vtysh", "-c", cmd }, { timeout = 20 }).stdout end

-- The student's part: on r2, a prefix-list that denies 10.1.1.0/24 and
-- permits the rest of r1's /16 up to /24, matched by route-map R1-IN.
solution("r2 filters 10.1.1.0/24 from r1", function()
  local r = r2:exec({ "vtysh", "-c", "configure terminal",
    "-c", "ip prefix-list FROM-AS65001 seq 5 deny 10.1.1.0/24",
    "-c", "ip prefix-list FROM-AS65001 seq 10 permit 10.1.0.0/16 le 24",
    "-c", "route-map R1-IN permit 10",
    "-c", "match ip address prefix-list FROM-AS65001" }, { timeout = 20 })
  if not r.ok then error("vtysh on r2: " .. r.stdout .. r.stderr) end
  r2:sh("vtysh -c 'clear bgp ipv4 unicast 172.16.12.1 soft in'")
end)

checks(function()
  local t0 = now()

  for _, r in ipairs({ r1, r2, r3 }) do
    check(r.name .. " started FRR (startup file)", r:startup_status() == 0,
          r:exec("tail -20 /var/log/startup.log").stdout)
  end


  local function session(a, peer)
    local out = ""
    local ok = wait_until(function()
      out = vtysh(a, "show bgp neighbors " .. peer)
      return out:find("BGP state = Established", 1, true)
    end, 90, 0.5)
    check(a.name .. "'s session with " .. peer .. " is Established", ok, out)
  end
  session(r1, "172.16.12.2")
  session(r2, "172.16.12.1")
  session(r2, "172.16.23.2")
  session(r3, "172.16.23.1")

  -- has(router, prefix, aspath): wait until the BGP table has it with that AS path
  local function has(r, prefix, aspath)
    local out = ""
    local ok = wait_until(function()
      out = vtysh(r, "show bgp ipv4 unicast " .. prefix)
      return out:find("\n  " .. aspath, 1, true)
    end, 90, 0.5)
    check(string.format("%s has %s with AS path %s", r.name, prefix, aspath), ok, out)
  end
  has(r3, "10.1.0.0/24", "65002 65001")
  has(r3, "10.1.2.0/24", "65002 65001")
  has(r3, "10.2.0.0/24", "65002")
  has(r1, "10.3.0.0/24", "65002 65003")
  has(r1, "10.2.0.0/24", "65002")
  print(string.format("umlab: bgp converged %.1f s after the checks began", now() - t0))

  -- The filtered prefix: r1 has it (its own), r2 refused it, r3 never heard of it.
  -- (A new inbound policy takes a few seconds: FRR asks r1 for its routes again.)
  local t
  wait_until(function()
    return not vtysh(r2, "show bgp ipv4 unicast"):find("10.1.1.0/24", 1, true)
       and not vtysh(r3, "show bgp ipv4 unicast"):find("10.1.1.0/24", 1, true)
       and not r3:exec("ip route").stdout:find("10.1.1.0/24", 1, true)
  end, 60, 0.5)
  t = vtysh(r1, "show bgp ipv4 unicast")
  check("r1 announces 10.1.1.0/24 (its own network)", t:find("10.1.1.0/24", 1, true) ~= nil, t)
  local adv = vtysh(r1, "show bgp ipv4 unicast neighbors 172.16.12.2 advertised-routes")
  check("r1 sends 10.1.1.0/24 to r2", adv:find("10.1.1.0/24", 1, true) ~= nil, adv)
  t = vtysh(r2, "show bgp ipv4 unicast")
  check("r2 dropped 10.1.1.0/24 (prefix-list FROM-AS65001)", t:find("10.1.1.0/24", 1, true) == nil, t)
  t = vtysh(r3, "show bgp ipv4 unicast")
  check("r3 has no 10.1.1.0/24", t:find("10.1.1.0/24", 1, true) == nil, t)
  local k = r3:exec("ip route").stdout
  check("r3's kernel has 10.1.0.0/24 but not 10.1.1.0/24",
        k:find("10%.1%.0%.0/24[^\n]*via 172%.16%.23%.1") and not k:find("10.1.1.0/24", 1, true), k)

  t = vtysh(r3, "show bgp ipv4 unicast 10.1.0.0/24")
  check("r2 tagged r1's routes with community 65002:1", t:find("Community: 65002:1", 1, true) ~= nil, t)

  -- Traffic follows the announcements: 10.1.0.1 is reachable from AS65003,
  -- 10.1.1.1 is not (r3 has no route for it).
  local r = r3:exec("ping -c 2 -i 0.3 -W 2 -I 10.3.0.1 10.1.0.1", { timeout = 20 })
  check("r3 (from 10.3.0.1) pings 10.1.0.1 in AS65001", r.ok, r.stdout .. r.stderr)
  r = r3:exec("ping -c 1 -W 1 -I 10.3.0.1 10.1.1.1", { timeout = 20 })
  check("10.1.1.1 is unreachable from AS65003", not r.ok, r.stdout .. r.stderr)
end)
