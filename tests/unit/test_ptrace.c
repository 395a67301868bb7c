/*
 * test_ptrace.c - freeze/thaw semantics on a stand-in process (no guest):
 * a busy child that counts queued real-time signals.  Freezing must stop
 * it (its counter stops moving), thawing must lose no signal, and the
 * freeze must be confirmed quickly.  The real guest is covered by
 * tests/e2e/node-host-freeze.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "node/ptrace.h"

#define NSIGS 2000

static volatile uint64_t *shared;   /* [0] spins, [1] signals received */

static void
on_rt(int sig)
{
	(void)sig;
	shared[1]++;
}

static pid_t
spawn_spinner(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGRTMIN, on_rt);
		for (;;)
			shared[0]++;
	}
	return pid;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_freeze_stops_and_thaw_loses_no_signal(void **state)
{
	pid_t pid;
	struct node_trace t = { 0 };
	int64_t lat[50];
	int sent = 0;
	union sigval v = { 0 };

	(void)state;
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(shared != MAP_FAILED);
	pid = spawn_spinner();
	assert_true(pid > 0);
	for (int i = 0; i < 1000 && shared[0] == 0; i++)   /* until it spins */
		usleep(1000);
	for (int round = 0; round < 50; round++) {
		uint64_t a, b;

		/* Signals before, during and after the freeze. */
		for (int k = 0; k < NSIGS / 100; k++, sent++)
			assert_int_equal(sigqueue(pid, SIGRTMIN, v), 0);
		assert_int_equal(ptrace_freeze(&t, pid), 0);
		lat[round] = t.last_latency_ns;
		a = shared[0];
		for (int k = 0; k < NSIGS / 100; k++, sent++)
			assert_int_equal(sigqueue(pid, SIGRTMIN, v), 0);
		usleep(2000);
		b = shared[0];
		assert_true(a == b);   /* frozen: not one spin more */
		assert_int_equal(ptrace_thaw(&t), 0);
		usleep(1000);
	}
	for (int i = 0; i < 200 && shared[1] < (uint64_t)sent; i++)
		usleep(10000);
	assert_int_equal((int)shared[1], sent);
	/* Not traced any more: a stop now would not be ours to see. */
	{
		siginfo_t si = { 0 };

		assert_int_equal(waitid(P_PID, pid, &si, WSTOPPED | WNOHANG), 0);
		assert_int_equal(si.si_pid, 0);
	}
	qsort(lat, 50, sizeof(lat[0]), cmp_i64);
	printf("# freeze latency (seize+interrupt+confirmed stop): median %.1f us, max %.1f us\n",
	       lat[25] / 1e3, lat[49] / 1e3);
	assert_true(lat[25] < 1000000);   /* 1 ms */
	assert_int_equal(t.stops, 50);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	munmap((void *)shared, 4096);
}

static void
test_freeze_of_dead_process_fails(void **state)
{
	struct node_trace t = { 0 };
	pid_t pid = fork();

	(void)state;
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	assert_int_equal(ptrace_freeze(&t, pid), -1);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(ptrace_thaw(&t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_freeze_stops_and_thaw_loses_no_signal),
		cmocka_unit_test(test_freeze_of_dead_process_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
