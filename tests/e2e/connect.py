#!/usr/bin/env python3
"""Drive `umlab connect` through a pty, as a person at a terminal would:
type a command, read its output, press Ctrl-C on a running command, resize,
and leave with an exit status.  Usage: connect.py UMLAB LAB NODE"""
import os, pty, select, signal, struct, subprocess, sys, time, fcntl, termios

umlab, lab, node = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(umlab, [umlab, "connect", lab, node])

buf = b""
def expect(what, limit=20.0):
    global buf
    end = time.time() + limit
    while what.encode() not in buf:
        left = end - time.time()
        if left <= 0:
            print("timed out waiting for %r; got %r" % (what, buf[-400:]))
            sys.exit(1)
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                print("connect ended while waiting for %r; got %r" % (what, buf[-400:]))
                sys.exit(1)
            buf += data
    i = buf.index(what.encode())
    before, buf = buf[:i], buf[i + len(what):]
    return before

def ok(msg):
    print("ok - " + msg)

os.write(fd, b"echo hello-$((6*7))\r")
expect("hello-42"); ok("a typed command runs and its output comes back")
os.write(fd, b"tty\r")
expect("/dev/pts/"); ok("the shell is on a pty")
os.write(fd, b"sleep 100\r")
# Ctrl-C reaches only the foreground job: press it once sleep runs, as a
# person would (a ^C typed while the shell is still starting sleep is lost
# on any terminal).  Ask the node from outside when that is.
for _ in range(100):
    r = subprocess.run([umlab, "exec", lab, node, "--", "pgrep", "-x", "sleep"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if r.returncode == 0:
        break
    time.sleep(0.1)
else:
    print("not ok - sleep never started in the shell")
    sys.exit(1)
os.write(fd, b"\x03")
os.write(fd, b"echo after-$((1+1))\r")
expect("after-2", 10); ok("Ctrl-C stops a running command and the shell goes on")
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
os.kill(pid, signal.SIGWINCH)
# the new size travels beside the typed bytes, not in line with them:
# ask until it has arrived
for n in range(50):
    os.write(fd, b"echo size-$((%d+1)):$(stty size):\r" % n)
    expect("size-%d:" % (n + 1))
    if expect(":").strip() == b"33 101":
        break
    time.sleep(0.1)
else:
    print("not ok - the window size never reached the shell")
    sys.exit(1)
ok("the window size follows the terminal")
os.write(fd, b"exit 3\r")
_, status = os.waitpid(pid, 0)
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
if code != 3:
    print("not ok - exit status %d, want 3" % code)
    sys.exit(1)
ok("connect exits with the shell's status")
