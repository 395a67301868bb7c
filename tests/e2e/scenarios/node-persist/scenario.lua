-- A node whose writable layer lives on a disk image in the lab's folder
-- (tests/e2e/node-persist.sh runs it in several phases).
local a = node("a", { persist = true })
start()
local phase = os.getenv("PHASE") or "write"
if phase == "write" then
	check("write /etc/kept", a:exec("echo kept > /etc/kept && sync").ok)
elseif phase == "read" then
	local r = a:exec("cat /etc/kept")
	check("/etc/kept survived stop/start", r.stdout == "kept\n", r.stdout .. r.stderr)
	check("/etc is an overlay (its upper layer on the disk)", a:exec("grep -q ' /etc overlay ' /proc/mounts").ok)
elseif phase == "hold" then
	a:exec("echo holding > /dev/console")
	sleep(120)
end
