-- static-routing: three routers in a line, two hosts at the ends.
--   h1 --lan1-- r1 --n12-- r2 --n23-- r3 --lan2-- h2
-- Every router learns the networks it is not attached to from static
-- routes. They are the exercise: `umlab start --exercise` leaves them to
-- the student, `umlab check` tells what passes; `umlab run` adds them
-- (solution below). The same lab as a Kathará folder: kathara/.
lab { name = "static-routing" }

local lan1, n12, n23, lan2 = switch("lan1"), switch("n12"), switch("n23"), switch("lan2")
local h1 = node("h1", { gateway = "10.0.1.254" })
local r1 = node("r1", { startup = "r1.startup" })
local r2 = node("r2", { startup = "r2.startup" })
local r3 = node("r3", { startup = "r3.startup" })
local h2 = node("h2", { gateway = "10.0.2.254" })

link(h1, lan1, "10.0.1.1/24")
link(r1, lan1, "10.0.1.254/24")
link(r1, n12,  "10.0.12.1/30")
link(r2, n12,  "10.0.12.2/30")
link(r2, n23,  "10.0.23.1/30")
link(r3, n23,  "10.0.23.2/30")
link(r3, lan2, "10.0.2.254/24")
link(h2, lan2, "10.0.2.1/24")

start()

-- The student's part: one static route to every network a router is not
-- attached to (the hosts' default routes come from gateway = ...).
solution("static routes", function()
  r1:sh("ip route add 10.0.23.0/30 via 10.0.12.2")
  r1:sh("ip route add 10.0.2.0/24 via 10.0.12.2")
  r2:sh("ip route add 10.0.1.0/24 via 10.0.12.1")
  r2:sh("ip route add 10.0.2.0/24 via 10.0.23.2")
  r3:sh("ip route add 10.0.12.0/30 via 10.0.23.1")
  r3:sh("ip route add 10.0.1.0/24 via 10.0.23.1")
end)

checks(function()
  -- Each hop's routing table: wait (once, for all) until the routes are there.
  local want = {
    { h1, { "default via 10.0.1.254" } },
    { r1, { "10.0.2.0/24 via 10.0.12.2", "10.0.23.0/30 via 10.0.12.2" } },
    { r2, { "10.0.1.0/24 via 10.0.12.1", "10.0.2.0/24 via 10.0.23.2" } },
    { r3, { "10.0.1.0/24 via 10.0.23.1", "10.0.12.0/30 via 10.0.23.1" } },
    { h2, { "default via 10.0.2.254" } },
  }
  local tables = {}
  local function has_all(n, routes)
    tables[n.name] = n:exec("ip -4 route").stdout
    for _, w in ipairs(routes) do
      if not tables[n.name]:find(w, 1, true) then return false end
    end
    return true
  end
  wait_until(function()
    local all = true
    for _, w in ipairs(want) do all = has_all(w[1], w[2]) and all end
    return all
  end, 60)
  for _, w in ipairs(want) do
    check(w[1].name .. "'s routing table has " .. table.concat(w[2], ", "), has_all(w[1], w[2]),
          tables[w[1].name])
  end

  for _, n in ipairs({ r1, r2, r3 }) do
    check(n.name .. " forwards (ip_forward = 1)", n:get("/proc/sys/net/ipv4/ip_forward") == "1\n")
  end

  local last
  local ok = wait_until(function()
    last = h1:exec("ping -c 1 -W 2 10.0.2.1", { timeout = 10 })
    return last.ok
  end, 60)
  check("h1 pings h2 (10.0.2.1)", ok, last.stdout .. last.stderr)
  last = h2:exec("ping -c 3 -i 0.2 -W 2 10.0.1.1", { timeout = 20 })
  check("h2 pings h1 (10.0.1.1)", last.ok, last.stdout .. last.stderr)

  -- The path: traceroute when installed, else the route lookup hop by hop.
  local path = "10.0.1.254 10.0.12.2 10.0.23.2 10.0.2.1"
  if h1:exec("command -v traceroute").ok then
    local r = h1:exec("traceroute -n -q 1 -w 2 -m 8 10.0.2.1", { timeout = 60 })
    local hops = {}
    for ip in r.stdout:gmatch("\n%s*%d+%s+([%d.]+)") do hops[#hops + 1] = ip end
    expect_eq("traceroute h1 -> h2 goes r1, r2, r3", path, table.concat(hops, " "))
  else
    local hops = { h1:sh("ip route get 10.0.2.1"):match("via ([%d.]+)") }
    for _, n in ipairs({ r1, r2 }) do
      hops[#hops + 1] = n:sh("ip route get 10.0.2.1"):match("via ([%d.]+)")
    end
    expect_eq("next hops h1 -> h2 (ip route get)", "10.0.1.254 10.0.12.2 10.0.23.2", table.concat(hops, " "))
  end
end)
