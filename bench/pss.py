#!/usr/bin/env python3
"""pss.py RUNDIR: proportional memory of the guests of one lab.

Each guest kernel runs in a process group whose kernel process and two
helpers share one address space (CLONE_VM): count that address space
once.  Processes are grouped by address space with kcmp(KCMP_VM), which
the kernel answers exactly; no guessing from process states.
Prints: guests, processes, address spaces, total PSS MiB, PSS MiB a guest.
"""
import ctypes, os, sys

libc = ctypes.CDLL(None, use_errno=True)
SYS_kcmp, KCMP_VM = 312, 1

def same_vm(a, b):
    return libc.syscall(SYS_kcmp, a, b, KCMP_VM, 0, 0) == 0

def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

want = "uml_dir=" + sys.argv[1].rstrip("/") + "/"
groups = {}
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        cmd = open(f"/proc/{p}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
        stat = open(f"/proc/{p}/stat").read()
    except OSError:
        continue
    if want not in cmd:
        continue
    pgrp = int(stat[stat.rindex(")") + 2:].split()[2])
    groups.setdefault(pgrp, []).append(int(p))
nproc = spaces = total = 0
for g, pids in groups.items():
    reps = []
    for pid in pids:
        nproc += 1
        if any(same_vm(pid, r) for r in reps):
            continue
        reps.append(pid)
        total += pss_kib(pid)
    spaces += len(reps)
n = len(groups)
print(f"{n} {nproc} {spaces} {total/1024:.1f} {total/1024/max(n,1):.1f}")
