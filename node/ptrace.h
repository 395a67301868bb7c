/*
 * ptrace.h - freeze and thaw a guest kernel process with ptrace.
 *
 * Attach on demand: the controller seizes the kernel process only while a
 * freeze is wanted (PTRACE_SEIZE + PTRACE_INTERRUPT) and detaches on thaw.
 * While nothing is frozen the guest is not traced at all, so UML's heavy
 * signal traffic (SIGIO, SIGALRM, SIGSEGV, SIGCHLD) costs no ptrace stop.
 * Never PTRACE_O_TRACECLONE/FORK: UML traces its own children.
 */
#ifndef UMLAB_PTRACE_H
#define UMLAB_PTRACE_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

struct node_trace {
	pid_t pid;          /* the traced kernel process, 0 when detached */
	int pending_sig;    /* a signal caught in a signal-delivery-stop, re-injected on thaw */
	uint64_t stops;     /* ptrace stops seen, all time */
	int64_t last_latency_ns; /* last freeze: from the request to the confirmed stop */
};

/* Seize pid and stop it; returns once the stop is confirmed (blocking
 * waitid with WNOWAIT: an exit stays for the event loop's pidfd to reap).
 * A tracee in an uninterruptible sleep delays the return until it wakes.
 * 0, or -1 with errno (ESRCH: the process is gone). */
int ptrace_freeze(struct node_trace *t, pid_t pid);
/* Detach, re-injecting a signal caught while stopping.  0 or -1/errno. */
int ptrace_thaw(struct node_trace *t);
/* Registers of the stopped tracee. */
int ptrace_regs(struct node_trace *t, struct user_regs_struct *regs);
/* Set them (a register fault). */
int ptrace_set_regs(struct node_trace *t, const struct user_regs_struct *regs);
/* The guest died while frozen: forget it without touching it. */
void ptrace_forget(struct node_trace *t);

#endif
