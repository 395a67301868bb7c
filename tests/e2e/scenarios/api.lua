-- The scenario API beyond exec and check: tasks, wait_until, expect_*,
-- sh, parameters, seeds, node_down handlers.
local s = switch("s")
local a, b = node("a"), node("b")
link(a, s, "10.7.0.1/24")
link(b, s, "10.7.0.2/24")
start()

-- Two pings at once from two tasks; both finish, results come back.
local t1 = spawn(function() return a:exec("ping -c 3 -i 0.2 10.7.0.2").status end)
local t2 = spawn(function(n) return b:exec("ping -c " .. n .. " -i 0.2 10.7.0.1").status end, 3)
expect_eq("task 1 ping", 0, t1:wait())
expect_eq("task 2 ping", 0, t2:wait())
check("tasks are done", t1:done() and t2:done())

-- wait_until polls without blocking the lab.
a:exec("sh -c '(sleep 0.5; touch /tmp/flag) >/dev/null 2>&1 &'")
check("wait_until sees the flag", wait_until(function() return a:exec("test -e /tmp/flag").ok end, 10, 0.1))
check("wait_until gives up on a false predicate", wait_until(function() return false end, 0.3, 0.1) == false)

expect_match("sh returns stdout", "^b\n$", b:sh("hostname"))
check("sh raises on failure", not pcall(function() return a:sh("exit 3") end))

expect_eq("parameter from -D", "hello", param("greeting", "none"))
expect_eq("numeric parameter", 42, param("answer", 0))
expect_eq("missing parameter takes the default", "dflt", param("nope", "dflt"))
expect_eq("the seed from --seed", 1234, seed)
