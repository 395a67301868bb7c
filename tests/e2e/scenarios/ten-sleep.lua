-- Ten nodes that wait a long time: the orphan tests kill the controller
-- (and its reaper) while this runs.
local s = switch("s")
for i = 1, 10 do
	link(node("n" .. i), s, "10.8.1." .. i .. "/24")
end
start()
print("LAB IS READY")
io.stdout:flush()
sleep(120)
