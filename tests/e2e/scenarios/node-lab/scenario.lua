-- Node files, startup and shutdown scripts, the private root, and the
-- agent's exec options, put and get (tests/e2e/node-lab.sh).
local a = node("a", { files = "a", startup = "a.startup", shutdown = "a.shutdown" })
local b = node("b", { startup = "b.startup" })
start()

-- the private root
local tag = os.getenv("UMLAB_TEST_TAG") or "XYZ"
local r = a:exec("echo written > /etc/umlab-test-" .. tag .. " && cat /etc/umlab-test-" .. tag)
check("a write to /etc works in the guest", r.ok and r.stdout == "written\n", r.stderr)
check("b does not see a's write", not b:exec("test -e /etc/umlab-test-" .. tag).ok)
check("modules load on demand", a:exec("ip link add br0 type bridge && ip link add d0 type dummy").ok,
      a:exec("ip link add br1 type bridge").stderr)

-- node files and startup
check("files copied", a:exec("cat /etc/umlab-files/greeting").stdout == "hello from a\n")
check("file modes kept", a:exec("stat -c %a /etc/umlab-files/greeting /etc/umlab-files/sub/tool").stdout == "640\n755\n")
check("symlinks kept", a:exec("readlink /etc/umlab-files/link").stdout == "sub/tool\n")
check("startup ran after the copy", a:exec("cat /tmp/startup-saw").stdout == "hello from a\n")
check("startup output in startup.log", a:exec("grep -q 'a startup ran as 0' /var/log/startup.log").ok)
check("a's startup status is 0", a:startup_status() == 0, tostring(a:startup_status()))
check("b's startup status is 7", b:startup_status() == 7, tostring(b:startup_status()))

-- exec options
r = a:exec("echo $FOO $BAR; pwd", { env = { FOO = "foo", "BAR=bar" }, cwd = "/etc" })
check("exec env and cwd", r.stdout == "foo bar\n/etc\n", r.stdout .. r.stderr)
local big = string.rep("0123456789abcdef", 4096)  -- 64 KiB, over the window
r = a:exec("wc -c; echo", { stdin = big })
check("exec stdin streams 64 KiB", r.stdout:match("^65536") ~= nil, r.stdout .. r.stderr)
r = a:exec("sleep 30", { timeout = 0.3 })
check("exec timeout kills and says so", r.timed_out == true and not r.ok and r.duration < 5,
      string.format("timed_out=%s status=%s duration=%.2f", tostring(r.timed_out), r.status, r.duration))
r = a:exec("sleep 600 & echo started")
check("a daemon started with & does not hang exec", r.ok and r.stdout == "started\n" and r.duration < 5,
      string.format("duration %.2f", r.duration))
r = a:exec("cat /nonexistent", {cwd = "/"})
check("exec status of a failing command", r.status == 1 and r.stderr ~= "")
local ok, err = pcall(function() return a:exec("true", { cwd = "/nonexistent" }) end)
check("a bad cwd is an error naming it", not ok and tostring(err):find("/nonexistent") ~= nil, tostring(err))

r = a:exec("tty; stty size; ps -o stat= -p $$", { pty = true, rows = 33, cols = 99 })
check("exec on a pty with its size and job control",
      r.stdout:find("/dev/pts/", 1, true) and r.stdout:find("33 99", 1, true)
      and r.stdout:find("Ss%+"), r.stdout)

-- put and get
local bin = {}
for i = 0, 200000 do bin[#bin + 1] = string.char((i * 7 + (i >> 8)) % 256) end
bin = table.concat(bin)
a:put({ data = bin }, "/root/blob", 416)  -- 0640
a:put({ data = "no mode given\n" }, "/root/plain")   -- the default mode, 0644
check("put without a mode gives 0644", a:exec("stat -c %a /root/plain").stdout == "644\n")
local back = a:get("/root/blob")
check("put/get round trip of a binary file", back == bin, #back .. " bytes back")
check("put keeps the mode", a:exec("stat -c %a /root/blob").stdout == "640\n")
check("a sha matches in the guest", a:exec("sha256sum /root/blob").ok)
a:put("a.startup", "/root/copied.startup")
check("put of a host file", a:get("/root/copied.startup"):find("a startup ran") ~= nil)
ok, err = pcall(function() return a:get("/nonexistent/file") end)
check("get of a missing file is an error naming it", not ok and tostring(err):find("/nonexistent/file") ~= nil, tostring(err))
