-- net-loop: three switches in a ring of trunks.  The first flooded frame
-- comes back; the fabric blocks one port, warns, and the lab still works.
lab { name = "net-loop" }

local s1, s2, s3 = switch("s1"), switch("s2"), switch("s3")
local a = node("a")
local b = node("b")
link(a, s1, "10.0.0.1/24")
link(b, s2, "10.0.0.2/24")
trunk(s1, s2)
trunk(s2, s3)
trunk(s3, s1)

start()

local r = a:exec("ping -n -c 5 -i 0.2 -W 2 10.0.0.2")
check("a pings b through the ring", r.ok, r.stdout .. r.stderr)
check("no duplicate replies", not r.stdout:find("DUP!", 1, true), r.stdout)
local st = link_stats("b.eth0-s2")
check("b got a handful of frames, not a storm", st.tx_frames < 100, st.tx_frames)
