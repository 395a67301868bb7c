-- Random faults drawn from the seed: the same seed gives the same schedule.
local s = switch("s")
local a, b = node("a"), node("b")
link(a, s, "10.5.0.1/24")
link(b, s, "10.5.0.2/24")
start()
fault("memflip", "a", { symbol = "sysrq_handle_crash", length = 16, rate = 20, count = 4 })
fault("memflip", "b", { symbol = "sysrq_handle_crash", every = 0.05, count = 3, length = 8 })
check("seven flips", wait_until(function() return #fault_log() >= 7 end, 20, 0.1))
