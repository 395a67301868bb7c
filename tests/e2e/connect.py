#!/usr/bin/env python3
"""Drive `umlab connect` through a pty, as a person at a terminal would:
type a command, read its output, press Ctrl-C on a running command, resize,
and leave with an exit status.  Usage: connect.py UMLAB LAB NODE"""
import os, pty, select, signal, struct, sys, time, fcntl, termios

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
    buf = buf[buf.index(what.encode()) + len(what):]

def ok(msg):
    print("ok - " + msg)

os.write(fd, b"echo hello-$((6*7))\r")
expect("hello-42"); ok("a typed command runs and its output comes back")
os.write(fd, b"tty\r")
expect("/dev/pts/"); ok("the shell is on a pty")
os.write(fd, b"sleep 100\r")
time.sleep(0.5)
os.write(fd, b"\x03")
os.write(fd, b"echo after-$((1+1))\r")
expect("after-2", 10); ok("Ctrl-C stops a running command and the shell goes on")
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
os.kill(pid, signal.SIGWINCH)
time.sleep(0.3)
os.write(fd, b"stty size\r")
expect("33 101"); ok("the window size follows the terminal")
os.write(fd, b"exit 3\r")
_, status = os.waitpid(pid, 0)
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
if code != 3:
    print("not ok - exit status %d, want 3" % code)
    sys.exit(1)
ok("connect exits with the shell's status")
