/*
 * ptrace.c - see ptrace.h.
 *
 * Stops of a seized tracee that matter here:
 *  - the PTRACE_INTERRUPT stop (PTRACE_EVENT_STOP in status >> 16);
 *  - a signal-delivery-stop when a signal (SIGIO, SIGALRM, ...) arrives
 *    between SEIZE and INTERRUPT.  That is a stop too: the tracee is
 *    frozen.  We keep the signal and hand it back on detach
 *    (PTRACE_DETACH's data re-injects it), so the guest loses nothing.
 * Signals that arrive while it is stopped stay pending and are delivered
 * normally once it is detached (it is no longer traced, so no more stops).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>

#include "node/ptrace.h"

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
ptrace_freeze(struct node_trace *t, pid_t pid)
{
	int64_t t0 = mono_ns();
	siginfo_t si;

	if (t->pid != 0) {
		errno = EALREADY;
		return -1;
	}
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0)
		return -1;
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0) {
		int e = errno;

		ptrace(PTRACE_DETACH, pid, 0, 0);
		errno = e;
		return -1;
	}
	/* Block until the stop: spinning here would take the CPU the tracee
	 * needs to reach it (2 cores: the spin made it 10x slower under
	 * load).  WEXITED | WNOWAIT so that a guest dying meanwhile wakes us
	 * but stays for the event loop's pidfd to reap. */
	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WSTOPPED | WEXITED | WNOWAIT | __WALL) < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;

			ptrace(PTRACE_DETACH, pid, 0, 0);
			errno = e;
			return -1;
		}
		if (si.si_code == CLD_TRAPPED || si.si_code == CLD_STOPPED)
			break;
		errno = ESRCH;   /* exited or killed: nothing to detach from */
		return -1;
	}
	t->stops++;
	t->pid = pid;
	t->pending_sig = 0;
	/* waitid's si_status holds the whole stop code: a signal-delivery-
	 * stop shows the bare signal, the PTRACE_INTERRUPT stop shows
	 * SIGTRAP | PTRACE_EVENT_STOP << 8. */
	if (si.si_code == CLD_TRAPPED && si.si_status > 0 && si.si_status < 0x100)
		t->pending_sig = si.si_status;
	t->last_latency_ns = mono_ns() - t0;
	return 0;
}

int
ptrace_thaw(struct node_trace *t)
{
	pid_t pid = t->pid;
	int sig = t->pending_sig;

	if (pid == 0) {
		errno = EALREADY;
		return -1;
	}
	t->pid = 0;
	t->pending_sig = 0;
	return ptrace(PTRACE_DETACH, pid, 0, (void *)(long)sig) < 0 ? -1 : 0;
}

int
ptrace_regs(struct node_trace *t, struct user_regs_struct *regs)
{
	if (t->pid == 0) {
		errno = ESRCH;
		return -1;
	}
	return ptrace(PTRACE_GETREGS, t->pid, 0, regs) < 0 ? -1 : 0;
}

int
ptrace_set_regs(struct node_trace *t, const struct user_regs_struct *regs)
{
	if (t->pid == 0) {
		errno = ESRCH;
		return -1;
	}
	return ptrace(PTRACE_SETREGS, t->pid, 0, regs) < 0 ? -1 : 0;
}

void
ptrace_forget(struct node_trace *t)
{
	t->pid = 0;
	t->pending_sig = 0;
}
