-- vlans: two switches joined by an 802.1Q trunk, two VLANs on each.
--   a1 (VLAN 10) --s1-- b1 (VLAN 20)      a2 (VLAN 10) --s2-- b2 (VLAN 20)
--                  s1 ====trunk 10,20==== s2
-- Every host is in the same IP subnet, 10.0.0.0/24, so only the VLANs
-- keep them apart: a1 reaches a2 across the trunk, b1 reaches b2, and no
-- frame crosses from VLAN 10 to VLAN 20, not even on the same switch.
lab { name = "vlans" }

local s1, s2 = switch("s1"), switch("s2")
local a1, b1 = node("a1"), node("b1")
local a2, b2 = node("a2"), node("b2")
link(a1, s1, { ip = "10.0.0.11/24", vlan = 10 })
link(b1, s1, { ip = "10.0.0.21/24", vlan = 20 })
link(a2, s2, { ip = "10.0.0.12/24", vlan = 10 })
link(b2, s2, { ip = "10.0.0.22/24", vlan = 20 })
trunk(s1, s2, { vlans = { 10, 20 } })

start()

local function ping(from, to)
  return from:exec("ping -c 2 -i 0.2 -W 1 " .. to, { timeout = 10 })
end

-- Same VLAN, across the trunk: answers.
for _, p in ipairs({ { a1, a2, "10.0.0.12", 10 }, { b1, b2, "10.0.0.22", 20 } }) do
  local r
  local ok = wait_until(function() r = ping(p[1], p[3]); return r.ok end, 20, 0.2)
  check(string.format("%s pings %s (%s) in VLAN %d across the trunk", p[1].name, p[2].name, p[3], p[4]),
        ok, r.stdout .. r.stderr)
end

-- Different VLANs: no answer, on the same switch or across the trunk.
for _, p in ipairs({ { a1, b1, "10.0.0.21", "the same switch" }, { a1, b2, "10.0.0.22", "the trunk" },
                     { b2, a2, "10.0.0.12", "the same switch" }, { b1, a2, "10.0.0.12", "the trunk" } }) do
  local r = ping(p[1], p[3])
  check(string.format("%s cannot reach %s (%s): another VLAN, over %s", p[1].name, p[2].name, p[3], p[4]),
        not r.ok, r.stdout .. r.stderr)
end

-- ARP never got an answer across VLANs: a1 has a2's MAC, not b1's.
local n = a1:exec("ip neigh show").stdout
check("a1 learned a2's MAC and has none for b1",
      n:find("10%.0%.0%.12 [^\n]*lladdr") ~= nil and n:find("10%.0%.0%.21 [^\n]*lladdr") == nil, n)
