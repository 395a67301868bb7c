/*
 * loop.c - the lab's event loop on epoll, one timerfd and pidfds.
 *
 * Timers live in a binary min-heap keyed by deadline; the timerfd is armed
 * for the earliest one, so timer precision is the kernel's, not epoll's
 * millisecond timeout.  Child processes are watched through pidfds: no
 * SIGCHLD handler, no polling.
 *
 * Deletion during dispatch: every registration has a generation-checked
 * slot.  loop_del_fd() marks the slot dead; events already fetched for it
 * in this round are skipped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/loop.h"

#define MAX_EVENTS 64

struct watch {
	int fd;                /* -1: slot free */
	uint32_t gen;          /* bumped on every add: stale events are skipped */
	loop_fd_cb cb;
	void *arg;
	/* child watches */
	pid_t pid;
	loop_child_cb child_cb;
};

struct loop_timer {
	int64_t deadline;
	size_t heap_index;     /* position in the heap */
	loop_timer_cb cb;
	void *arg;
	int cancelled;
};

struct loop {
	int epfd;
	int tfd;
	int broken;
	struct watch *w;       /* indexed by fd */
	size_t nw;
	struct loop_timer **heap;
	size_t nheap, capheap;
	int64_t armed;         /* deadline the timerfd is armed for, 0: none */
	struct loop_timer *running; /* timer whose callback runs now */
};

int64_t
loop_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * LOOP_NS_PER_S + ts.tv_nsec;
}

struct loop *
loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));
	struct epoll_event ev = { .events = EPOLLIN };

	if (l == NULL)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->epfd < 0 || l->tfd < 0)
		goto fail;
	ev.data.u64 = (uint32_t)l->tfd;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->tfd, &ev) < 0)
		goto fail;
	return l;
fail:
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->tfd >= 0)
		close(l->tfd);
	free(l);
	return NULL;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->nw; i++)
		if (l->w[i].fd >= 0 && l->w[i].pid > 0)
			close(l->w[i].fd);   /* pidfds are ours */
	for (size_t i = 0; i < l->nheap; i++)
		free(l->heap[i]);
	free(l->heap);
	free(l->w);
	close(l->tfd);
	close(l->epfd);
	free(l);
}

static struct watch *
watch_slot(struct loop *l, int fd)
{
	if (fd < 0)
		return NULL;
	if ((size_t)fd >= l->nw) {
		size_t n = l->nw ? l->nw : 64;
		struct watch *w;

		while (n <= (size_t)fd)
			n *= 2;
		if ((w = realloc(l->w, n * sizeof(*w))) == NULL)
			return NULL;
		for (size_t i = l->nw; i < n; i++)
			w[i] = (struct watch){ .fd = -1 };
		l->w = w;
		l->nw = n;
	}
	return &l->w[fd];
}

int
loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *arg)
{
	struct watch *w = watch_slot(l, fd);
	struct epoll_event ev = { .events = events };
	uint32_t gen;

	if (w == NULL)
		return -1;
	if (w->fd >= 0) {
		errno = EEXIST;
		return -1;
	}
	gen = w->gen + 1;
	ev.data.u64 = (uint64_t)gen << 32 | (uint32_t)fd;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	*w = (struct watch){ .fd = fd, .gen = gen, .cb = cb, .arg = arg };
	return 0;
}

int
loop_mod_fd(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };

	if (fd < 0 || (size_t)fd >= l->nw || l->w[fd].fd < 0) {
		errno = EBADF;
		return -1;
	}
	ev.data.u64 = (uint64_t)l->w[fd].gen << 32 | (uint32_t)fd;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
}

void
loop_del_fd(struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nw || l->w[fd].fd < 0)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->w[fd].fd = -1;
}

/* --- timers: a min-heap on deadline --- */

static void
heap_swap(struct loop *l, size_t a, size_t b)
{
	struct loop_timer *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->heap_index = a;
	l->heap[b]->heap_index = b;
}

static void
heap_up(struct loop *l, size_t i)
{
	while (i > 0 && l->heap[(i - 1) / 2]->deadline > l->heap[i]->deadline) {
		heap_swap(l, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(struct loop *l, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1, m = i;

		if (c < l->nheap && l->heap[c]->deadline < l->heap[m]->deadline)
			m = c;
		if (c + 1 < l->nheap && l->heap[c + 1]->deadline < l->heap[m]->deadline)
			m = c + 1;
		if (m == i)
			return;
		heap_swap(l, i, m);
		i = m;
	}
}

static void
heap_remove(struct loop *l, struct loop_timer *t)
{
	size_t i = t->heap_index, last = l->nheap - 1;

	if (i != last) {
		heap_swap(l, i, last);
		l->nheap--;
		heap_down(l, i);
		heap_up(l, i);
	} else {
		l->nheap--;
	}
}

static int
heap_push(struct loop *l, struct loop_timer *t)
{
	if (l->nheap == l->capheap) {
		size_t n = l->capheap ? 2 * l->capheap : 16;
		struct loop_timer **h = realloc(l->heap, n * sizeof(*h));

		if (h == NULL)
			return -1;
		l->heap = h;
		l->capheap = n;
	}
	t->heap_index = l->nheap;
	l->heap[l->nheap++] = t;
	heap_up(l, t->heap_index);
	return 0;
}

static void
rearm(struct loop *l)
{
	struct itimerspec its = { 0 };
	int64_t d = l->nheap ? l->heap[0]->deadline : 0;

	if (d == l->armed)
		return;
	if (d > 0) {
		its.it_value.tv_sec = d / LOOP_NS_PER_S;
		its.it_value.tv_nsec = d % LOOP_NS_PER_S;
	}
	timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
	l->armed = d;
}

struct loop_timer *
loop_timer_add(struct loop *l, int64_t delay_ns, loop_timer_cb cb, void *arg)
{
	struct loop_timer *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->deadline = loop_now() + (delay_ns > 0 ? delay_ns : 1);
	t->cb = cb;
	t->arg = arg;
	if (heap_push(l, t) < 0) {
		free(t);
		return NULL;
	}
	rearm(l);
	return t;
}

void
loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	if (t == NULL)
		return;
	if (t == l->running) {   /* freed by run_timers() when cb returns */
		t->cancelled = 1;
		return;
	}
	heap_remove(l, t);
	free(t);
	rearm(l);
}

static int
run_timers(struct loop *l)
{
	int64_t now = loop_now();
	int n = 0;
	uint64_t expirations;

	(void)!read(l->tfd, &expirations, sizeof(expirations));
	l->armed = 0;
	while (l->nheap > 0 && l->heap[0]->deadline <= now && !l->broken) {
		struct loop_timer *t = l->heap[0];
		int64_t next;

		heap_remove(l, t);
		l->running = t;
		next = t->cb(t, t->arg);
		l->running = NULL;
		n++;
		if (next == LOOP_TIMER_DONE || t->cancelled) {
			free(t);
		} else {
			t->deadline = loop_now() + (next > 0 ? next : 1);
			heap_push(l, t);
		}
	}
	rearm(l);
	return n;
}

/* --- children through pidfds --- */

static int
pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void
child_ready(int fd, uint32_t events, void *arg)
{
	struct loop *l = arg;
	struct watch *w = &l->w[fd];
	pid_t pid = w->pid;
	loop_child_cb cb = w->child_cb;
	void *cbarg = w->arg;
	int status = 0;
	siginfo_t si;

	/* WEXITED only: the controller may be the guest's tracer
	 * (node/ptrace.c), and waitpid() would report its ptrace stops as
	 * if they were the child's end. */
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG) < 0 || si.si_pid != pid)
		return;   /* not dead yet: a spurious wakeup */
	status = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0) : si.si_status & 0x7f;
	loop_del_fd(l, fd);
	w->pid = 0;
	close(fd);
	cb(pid, status, cbarg);
}

int
loop_add_child(struct loop *l, pid_t pid, loop_child_cb cb, void *arg)
{
	int fd = pidfd_open_(pid);

	if (fd < 0)
		return -1;
	if (loop_add_fd(l, fd, EPOLLIN, child_ready, l) < 0) {
		close(fd);
		return -1;
	}
	l->w[fd].pid = pid;
	l->w[fd].child_cb = cb;
	l->w[fd].arg = arg;
	return 0;
}

void
loop_del_child(struct loop *l, pid_t pid)
{
	for (size_t i = 0; i < l->nw; i++) {
		if (l->w[i].fd >= 0 && l->w[i].pid == pid) {
			loop_del_fd(l, (int)i);
			l->w[i].pid = 0;
			close((int)i);
			return;
		}
	}
}

/* --- dispatch --- */

int
loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event ev[MAX_EVENTS];
	int n, ran = 0;

	n = epoll_wait(l->epfd, ev, MAX_EVENTS, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n && !l->broken; i++) {
		int fd = (int)(uint32_t)ev[i].data.u64;
		uint32_t gen = ev[i].data.u64 >> 32;
		struct watch *w;

		if (fd == l->tfd && gen == 0) {
			ran += run_timers(l);
			continue;
		}
		if ((size_t)fd >= l->nw || l->w[fd].fd < 0 || l->w[fd].gen != gen)
			continue;   /* deleted (or replaced) earlier in this round */
		w = &l->w[fd];
		if (w->pid > 0)
			child_ready(fd, ev[i].events, l);
		else
			w->cb(fd, ev[i].events, w->arg);
		ran++;
	}
	return ran;
}

void
loop_run(struct loop *l)
{
	l->broken = 0;
	while (!l->broken)
		if (loop_run_once(l, -1) < 0)
			break;
}

void
loop_break(struct loop *l)
{
	l->broken = 1;
}

int
loop_broken(const struct loop *l)
{
	return l->broken;
}
