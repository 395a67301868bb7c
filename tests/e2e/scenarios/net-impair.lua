-- net-impair: delay, loss, live changes and link down/up as ping sees them.
lab { name = "net-impair" }

local s1 = switch("s1")
local a = node("a")
local b = node("b")
-- 10 ms each way on a's cable: 20 ms round trip
local la = link(a, s1, { ip = "10.0.0.1/24", delay = 0.01, seed = 7 })
link(b, s1, "10.0.0.2/24")

start()

local function ping(n, interval)
	local r = a:exec(string.format("ping -n -q -c %d -i %s -W 1 10.0.0.2", n, interval))
	local loss = tonumber(r.stdout:match("(%d+%.?%d*)%% packet loss"))
	local avg = tonumber(r.stdout:match("= [%d.]+/([%d.]+)/"))
	return loss, avg, r.stdout .. r.stderr
end

a:exec("ping -n -c 1 -W 2 10.0.0.2")   -- ARP first: its frames are delayed too
-- the median round trip: a busy machine (make -j check) delays a few pings
local r = a:exec("ping -n -c 15 -i 0.1 -W 2 10.0.0.2")
local t = {}
for ms in r.stdout:gmatch("time=([%d.]+) ms") do t[#t + 1] = tonumber(ms) end
table.sort(t)
local med = t[(#t + 1) // 2]
check("a 20 ms round trip is seen as 20+-3 ms (median " .. tostring(med) .. ")",
      med ~= nil and med >= 17 and med <= 23, r.stdout)
local loss, avg, out

-- changed while the lab runs: no delay, 30% loss towards a
impair(la, { loss = 0.3, direction = "to_node", seed = 42 })
impair(la, { direction = "from_node" })
loss, avg, out = ping(200, 0.01)
check("loss=0.3 is seen by ping as 30+-12% (got " .. tostring(loss) .. "%)",
      loss ~= nil and loss >= 18 and loss <= 42, out)
check("without delay the round trip is short (got " .. tostring(avg) .. ")",
      avg ~= nil and avg < 10, out)
local st = link_stats(la)
check("link_stats counts the losses towards a", st.to_node.drops.loss > 0,
      st.to_node.drops.loss)
check("link_stats counts no loss from a", st.from_node.drops.loss == 0,
      st.from_node.drops.loss)

-- a rejected change leaves the link as it was
local ok, err = pcall(impair, la, { loss = 1.5 })
check("a bad loss is refused, naming link and value", not ok and
      err:find("impair: link a.eth0-s1: loss 1.5 is outside 0..1", 1, true) ~= nil, err)
ok, err = pcall(impair, "nope", { loss = 0.1 })
check("an unknown link lists the links", not ok and
      err:find("no link 'nope' (links: a.eth0-s1, b.eth0-s1)", 1, true) ~= nil, err)

impair(la)
loss = ping(20, 0.01)
check("a cleared link loses nothing (got " .. tostring(loss) .. "%)", loss == 0)

link_down(la)
loss = ping(3, 0.1)
check("a link that is down loses everything", loss == 100)
check("link_stats counts link-down drops", link_stats(la).from_node.drops.link_down >= 3)
check("link_stats says down", link_stats(la).up == false)
link_up(la)
loss = ping(3, 0.1)
check("a link that is up again works", loss == 0)
