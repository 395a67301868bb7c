/* test_loop.c - the event loop: timers, fds, children, deletion while dispatching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/loop.h"

struct order { int seen[8]; int n; struct loop *l; };

struct tagged { struct order *o; int tag; };

static int64_t
record_tag(struct loop_timer *t, void *arg)
{
	struct tagged *tg = arg;

	tg->o->seen[tg->o->n++] = tg->tag;
	if (tg->o->n == 3)
		loop_break(tg->o->l);
	return LOOP_TIMER_DONE;
}

static void
timers_fire_in_deadline_order(void **state)
{
	struct loop *l = loop_new();
	struct order o = { .l = l };
	struct tagged a = { &o, 30 }, b = { &o, 10 }, c = { &o, 20 };

	loop_timer_add(l, 30 * LOOP_NS_PER_MS, record_tag, &a);
	loop_timer_add(l, 10 * LOOP_NS_PER_MS, record_tag, &b);
	loop_timer_add(l, 20 * LOOP_NS_PER_MS, record_tag, &c);
	loop_run(l);
	assert_int_equal(o.n, 3);
	assert_int_equal(o.seen[0], 10);
	assert_int_equal(o.seen[1], 20);
	assert_int_equal(o.seen[2], 30);
	loop_free(l);
}

struct repeat { int count; struct loop *l; };

static int64_t
repeat_cb(struct loop_timer *t, void *arg)
{
	struct repeat *r = arg;

	if (++r->count == 5) {
		loop_break(r->l);
		return LOOP_TIMER_DONE;
	}
	return LOOP_NS_PER_MS;
}

static void
timer_repeats_until_done(void **state)
{
	struct loop *l = loop_new();
	struct repeat r = { 0, l };
	int64_t t0 = loop_now();

	loop_timer_add(l, LOOP_NS_PER_MS, repeat_cb, &r);
	loop_run(l);
	assert_int_equal(r.count, 5);
	assert_true(loop_now() - t0 >= 5 * LOOP_NS_PER_MS);
	loop_free(l);
}

struct selfcancel { struct loop *l; struct loop_timer *t; int runs; };

static int64_t
cancel_self(struct loop_timer *t, void *arg)
{
	struct selfcancel *s = arg;

	s->runs++;
	loop_timer_cancel(s->l, t);   /* must not free it under our feet */
	loop_break(s->l);
	return LOOP_NS_PER_MS;        /* ignored: cancelled */
}

static void
timer_cancel_from_its_callback(void **state)
{
	struct loop *l = loop_new();
	struct selfcancel s = { .l = l };

	s.t = loop_timer_add(l, 0, cancel_self, &s);
	loop_run(l);
	for (int i = 0; i < 3; i++)
		loop_run_once(l, 5);
	assert_int_equal(s.runs, 1);
	loop_free(l);
}

struct two_fds { struct loop *l; int p1[2], p2[2]; int calls; };

static void
on_readable(int fd, uint32_t ev, void *arg)
{
	struct two_fds *t = arg;

	t->calls++;
	/* Whichever runs first deletes both: the other must not run. */
	loop_del_fd(t->l, t->p1[0]);
	loop_del_fd(t->l, t->p2[0]);
}

static void
fd_deleted_during_dispatch_is_skipped(void **state)
{
	struct two_fds t = { .l = loop_new() };

	assert_int_equal(pipe(t.p1), 0);
	assert_int_equal(pipe(t.p2), 0);
	assert_int_equal(loop_add_fd(t.l, t.p1[0], EPOLLIN, on_readable, &t), 0);
	assert_int_equal(loop_add_fd(t.l, t.p2[0], EPOLLIN, on_readable, &t), 0);
	assert_int_equal(write(t.p1[1], "x", 1), 1);
	assert_int_equal(write(t.p2[1], "x", 1), 1);
	loop_run_once(t.l, 100);
	assert_int_equal(t.calls, 1);
	for (int i = 0; i < 2; i++) {
		close(t.p1[i]);
		close(t.p2[i]);
	}
	loop_free(t.l);
}

struct child { struct loop *l; pid_t pid; int status; int called; };

static void
on_child(pid_t pid, int status, void *arg)
{
	struct child *c = arg;

	c->called++;
	c->pid = pid;
	c->status = status;
	loop_break(c->l);
}

static void
child_exit_is_reported_with_status(void **state)
{
	struct child c = { .l = loop_new() };
	pid_t pid = fork();

	if (pid == 0)
		_exit(7);
	assert_int_equal(loop_add_child(c.l, pid, on_child, &c), 0);
	loop_run(c.l);
	assert_int_equal(c.called, 1);
	assert_int_equal(c.pid, pid);
	assert_true(WIFEXITED(c.status));
	assert_int_equal(WEXITSTATUS(c.status), 7);
	loop_free(c.l);
}

static void
child_killed_by_signal(void **state)
{
	struct child c = { .l = loop_new() };
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(loop_add_child(c.l, pid, on_child, &c), 0);
	kill(pid, SIGKILL);
	loop_run(c.l);
	assert_true(WIFSIGNALED(c.status));
	assert_int_equal(WTERMSIG(c.status), SIGKILL);
	loop_free(c.l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timers_fire_in_deadline_order),
		cmocka_unit_test(timer_repeats_until_done),
		cmocka_unit_test(timer_cancel_from_its_callback),
		cmocka_unit_test(fd_deleted_during_dispatch_is_skipped),
		cmocka_unit_test(child_exit_is_reported_with_status),
		cmocka_unit_test(child_killed_by_signal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
