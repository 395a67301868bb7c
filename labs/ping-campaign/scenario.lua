-- ping-campaign: a lab made to be run many times by `umlab campaign`.
-- Two hosts on one switch; one of them, drawn at random from the run's
-- seed, pings the other with packets of size params.size.  The run is
-- classified: passed, "lossy" (some pings lost), "slow" (average round
-- trip above params.slow_ms), or check_failed (no answer at all).
lab { name = "ping-campaign" }

local size    = param("size", 56)       -- ICMP payload in bytes
local count   = param("count", 3)
local slow_ms = param("slow_ms", 50)

local s1 = switch("s1")
local a  = node("a")
local b  = node("b")
link(a, s1, "10.0.0.1/24")
link(b, s1, "10.0.0.2/24")

start()

-- The seed decides who pings whom: the same seed, the same run.
local from, to = a, "10.0.0.2"
if math.random() < 0.5 then from, to = b, "10.0.0.1" end

local r = from:exec(string.format("ping -c %d -i 0.2 -W 1 -s %d %s", count, size, to))
local loss = tonumber(r.stdout:match("(%d+)%% packet loss")) or 100
local avg  = tonumber(r.stdout:match("= [%d.]+/([%d.]+)/"))

if loss > 0 and loss < 100 then
  outcome("lossy")
elseif avg and avg > slow_ms then
  outcome("slow")
end
check(from.name .. " reaches " .. to .. " with " .. size .. "-byte pings", loss < 100,
      r.stdout .. r.stderr)
