-- One check passes, one fails: `umlab run` must exit 1.
local s = switch("s")
local a = node("a")
link(a, s, "10.9.0.1/24")
start()
check("true works", a:exec("true").status == 0)
check("this address is unreachable", a:exec("ping -c 1 -W 1 10.9.0.77").status == 0)
