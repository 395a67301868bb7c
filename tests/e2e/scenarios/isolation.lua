-- From inside a guest, as guest root, the host's / over hostfs: writing
-- outside the node's own folder, into another node's folder, and reading
-- another node's folder all fail; writing inside its own folder works.
local s = switch("s")
local a, b = node("a"), node("b")
link(a, s, "10.7.0.1/24")
link(b, s, "10.7.0.2/24")
start()
a:sh("mount -t hostfs none /mnt -o /")
-- The node's own folder is uml_dir on the guest's command line.
local mine = a:sh("sed 's/.* uml_dir=\\([^ ]*\\).*/\\1/' /proc/cmdline"):gsub("%s+$", "")
local other = mine:gsub("/a$", "/b")
print("node folder " .. mine .. ", other " .. other)
local function ok(cmd) return a:exec(cmd).status == 0 end
check("whoami in guest is root", a:sh("id -u") == "0\n")
check("write inside its own folder works", ok("echo x > /mnt" .. mine .. "/mine && cat /mnt" .. mine .. "/mine"))
check("write to host /tmp fails", not ok("echo x > /mnt/tmp/umlab-escape-$$"))
check("write to host /etc fails", not ok("echo x > /mnt/etc/umlab-escape"))
check("write into another node's folder fails", not ok("echo x > /mnt" .. other .. "/evil"))
check("listing another node's folder fails", not ok("ls /mnt" .. other))
check("reading another node's file fails", not ok("cat /mnt" .. other .. "/b/pid"))
check("listing host /root fails", not ok("ls /mnt/root"))
check("reading /etc still works", ok("cat /mnt/etc/hostname"))
