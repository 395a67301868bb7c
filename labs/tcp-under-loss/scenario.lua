-- tcp-under-loss: iperf3 between two hosts on one cable, at a few loss
-- rates (and a fixed delay) set by impair(); TCP's throughput falls as
-- the loss grows. The numbers are printed and checked loosely.
--   a --- b      a: iperf3 client, b: iperf3 server
lab { name = "tcp-under-loss" }

local a = node("a", { mem = 96 })
local b = node("b", { mem = 96 })
local l = link(a, b, "10.0.0.1/24", "10.0.0.2/24")
local secs = param("seconds", 4)
local delay = param("delay", 0.01)   -- each way: 20 ms round trip

start()

b:sh("iperf3 -s -D")
wait_until(function() return b:exec("ss -Hltn 'sport = :5201'").stdout:find("5201") end, 10)

local function mbits(out)
  local v, unit = out:match("([%d.]+) ([KMG]?)bits/sec[^\n]*receiver")
  if not v then return nil end
  return tonumber(v) * (unit == "G" and 1000 or unit == "K" and 0.001 or unit == "" and 1e-6 or 1)
end

local settings = { 0, 0.005, 0.02, 0.05 }
local results = {}
print(string.format("umlab: %-6s %-9s %s", "loss", "delay", "TCP throughput (iperf3, " .. secs .. " s)"))
for _, loss in ipairs(settings) do
  impair(l, { loss = loss, delay = delay })
  local r = a:exec("iperf3 -c 10.0.0.2 -f m -t " .. secs, { timeout = secs + 30 })
  local m = r.ok and mbits(r.stdout)
  results[#results + 1] = m or 0
  print(string.format("umlab: %5.1f%% %4.0f ms   %s", loss * 100, delay * 1000,
                      m and string.format("%.1f Mbit/s", m) or "failed"))
  check(string.format("iperf3 at %.1f%% loss, %.0f ms delay: %s", loss * 100, delay * 1000,
                      m and string.format("%.1f Mbit/s", m) or "no result"),
        m ~= nil and m > 0, r.stdout .. r.stderr)
end
impair(l)

-- A plot beside report.json: one bar per loss rate (SVG, no tool needed).
do
  local w, h, top = 520, 300, 0
  for _, v in ipairs(results) do top = math.max(top, v) end
  top = top > 0 and top or 1
  local f = assert(io.open(outdir() .. "/throughput.svg", "w"))
  f:write(string.format('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
    .. 'font-family="sans-serif" font-size="12">\n', w, h))
  f:write(string.format('<text x="%d" y="20" text-anchor="middle" font-size="14">TCP throughput '
    .. 'under loss (%.0f ms round trip, iperf3 %d s)</text>\n', w / 2, delay * 2000, secs))
  for i, loss in ipairs(settings) do
    local bh = (h - 90) * results[i] / top
    local x = 40 + (i - 1) * ((w - 60) / #settings)
    f:write(string.format('<rect x="%.0f" y="%.0f" width="80" height="%.0f" fill="#1f77b4"/>\n',
      x, h - 50 - bh, bh))
    f:write(string.format('<text x="%.0f" y="%.0f" text-anchor="middle">%.1f Mbit/s</text>\n',
      x + 40, h - 55 - bh, results[i]))
    f:write(string.format('<text x="%.0f" y="%d" text-anchor="middle">%.1f%% loss</text>\n',
      x + 40, h - 30, loss * 100))
  end
  f:write("</svg>\n")
  f:close()
  print("umlab: plot in " .. outdir() .. "/throughput.svg")
end

-- Loosely: more loss, less throughput (25% slack between neighbours: one run is noisy),
-- and the worst setting well below the best.
local falls = true
for i = 2, #results do
  if results[i] > results[i - 1] * 1.25 then falls = false end
end
local t = {}
for i, loss in ipairs(settings) do t[#t + 1] = string.format("%.1f%%: %.1f", loss * 100, results[i]) end
check("throughput falls as the loss grows", falls, table.concat(t, ", ") .. " Mbit/s")
check("at 5% loss TCP gets less than half of what it gets without loss",
      results[#results] < results[1] / 2, table.concat(t, ", ") .. " Mbit/s")
