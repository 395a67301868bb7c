/*
 * node-bench.c - figures for the node part, each beside its peer measured
 * in the same run (DESIGN.md, performance targets):
 *   boot to READY (median of N) vs a raw linux.uml boot to init and
 *     power-off with the same command line (init = bench/raw-init);
 *   exec round trip of `true` (median of M) vs an in-guest fork+exec+wait
 *     of the same program, timed inside the guest by this binary;
 *   a persist disk made by mkfs.ext4 on the host vs in the guest.
 *
 * usage: node-bench [-n BOOTS] [-m EXECS] INIT RAW_INIT
 *        node-bench forkexec COUNT PROG   (run inside the guest)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "core/loop.h"
#include "core/reaper.h"
#include "node/node.h"

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* In the guest: fork+exec+wait PROG COUNT times, then the same with
 * vfork; prints both medians in s. */
static int
forkexec(int count, char **argv)
{
	double *v = calloc(count, sizeof(double));
	volatile int i;	/* live across vfork() */
	int st;

	for (i = 0; i < count; i++) {
		double t0 = now_s();
		pid_t pid = fork();

		if (pid == 0) {
			execvp(argv[0], argv);
			_exit(127);
		}
		waitpid(pid, &st, 0);
		v[i] = now_s() - t0;
	}
	printf("%.6f ", median(v, count));
	for (i = 0; i < count; i++) {
		double t0 = now_s();
		pid_t pid = vfork();

		if (pid == 0) {
			execvp(argv[0], argv);
			_exit(127);
		}
		waitpid(pid, &st, 0);
		v[i] = now_s() - t0;
	}
	printf("%.6f\n", median(v, count));
	return 0;
}

struct ctx {
	struct loop *loop;
	int ready, exited;
	int done;
	struct agent_exec_result r;
	char out[256];
};

static void
on_ready(struct node *n, void *arg)
{
	((struct ctx *)arg)->ready = 1;
}

static void
on_exited(struct node *n, void *arg)
{
	((struct ctx *)arg)->exited = 1;
}

static const struct node_events events = { .ready = on_ready, .exited = on_exited };

static void
exec_done(const struct agent_exec_result *r, void *arg)
{
	struct ctx *c = arg;

	c->r = *r;
	snprintf(c->out, sizeof(c->out), "%s", r->error ? r->error : r->out);
	c->r.error = r->error ? c->out : NULL;
	c->done = 1;
}

static void
wait_flag(struct ctx *c, int *flag)
{
	while (!*flag)
		loop_run_once(c->loop, 1000);
}

static int
run_exec(struct ctx *c, struct node *n, const char *const argv[])
{
	c->done = 0;
	if (node_exec(n, argv, exec_done, c) < 0)
		return -1;
	wait_flag(c, &c->done);
	return c->r.error ? -1 : 0;
}

/* A raw boot: same command line, raw-init as init; spawn until init's
 * line arrives on the console (fd 1). */
static double
raw_boot(struct node_config *cfg, const char *raw_init)
{
	char **argv = node_build_argv(cfg);
	int p1[2], p2[2], con[2];
	char buf[4096], seen[8192] = "";
	size_t have = 0;
	double t0, t = -1;
	ssize_t r;
	pid_t pid;

	for (char **a = argv; *a; a++) {
		if (strncmp(*a, "init=", 5) == 0) {
			free(*a);
			if (asprintf(a, "init=%s", raw_init) < 0)
				exit(1);
		}
	}
	if (pipe(p1) < 0 || pipe(p2) < 0 || pipe(con) < 0)
		exit(1);
	t0 = now_s();
	if ((pid = fork()) == 0) {
		int nul = open("/dev/null", O_RDWR);

		dup2(nul, 0);
		dup2(con[1], 1);
		dup2(p1[0], 3);
		dup2(p2[1], 4);
		setsid();
		execv(argv[0], argv);
		_exit(127);
	}
	close(con[1]);
	while ((r = read(con[0], buf, sizeof(buf))) > 0) {
		if (have + r >= sizeof(seen))
			have = 0;	/* the mark is short: keeping the tail is enough */
		memcpy(seen + have, buf, r);
		have += r;
		seen[have] = '\0';
		if (strstr(seen, "UMLAB-RAW-INIT") != NULL) {
			t = now_s() - t0;
			break;
		}
	}
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(con[0]); close(p1[0]); close(p1[1]); close(p2[0]); close(p2[1]);
	node_free_argv(argv);
	if (t < 0) {
		fprintf(stderr, "node-bench: the raw guest never reached init\n");
		exit(1);
	}
	return t;
}

/* Boot a node with cfg, return its boot-to-ready; leaves it running in
 * *np when np is not NULL, else stops and frees it. */
static double
boot_once(struct ctx *c, struct node_config *cfg, struct node **np)
{
	char err[256];
	struct node *n;
	double t;

	c->ready = c->exited = 0;
	if ((n = node_start(c->loop, cfg, &events, c, err, sizeof(err))) == NULL) {
		fprintf(stderr, "node-bench: %s\n", err);
		exit(1);
	}
	while (!c->ready && !c->exited)
		loop_run_once(c->loop, 1000);
	if (!c->ready) {
		fprintf(stderr, "node-bench: boot failed: %s\n", node_reason(n));
		exit(1);
	}
	t = node_boot_seconds(n);
	if (np != NULL) {
		*np = n;
		return t;
	}
	node_stop(n);
	wait_flag(c, &c->exited);
	node_free(n);
	return t;
}

int
main(int argc, char **argv)
{
	int nboots = 20, nexecs = 200, opt;
	char dir[] = "/tmp/umlab-bench.XXXXXX", self[4096], console[4200];
	struct node_config cfg = { 0 };
	struct ctx c = { 0 };
	struct reaper *reaper;
	double *boots, *raws, *hostfs, *execs, fe, vfe, ready_m, raw_m, exec_m, t_host, t_guest;
	struct node *n;
	ssize_t sl;

	if (argc >= 4 && strcmp(argv[1], "forkexec") == 0)
		return forkexec(atoi(argv[2]), argv + 3);
	while ((opt = getopt(argc, argv, "n:m:")) != -1) {
		if (opt == 'n')
			nboots = atoi(optarg);
		else if (opt == 'm')
			nexecs = atoi(optarg);
		else
			return 2;
	}
	if (argc - optind != 2 || nboots < 1 || nexecs < 1) {
		fprintf(stderr, "usage: node-bench [-n BOOTS] [-m EXECS] INIT RAW_INIT\n");
		return 2;
	}
	if ((sl = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0)
		return 1;
	self[sl] = '\0';
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(console, sizeof(console), "%s/console.log", dir);
	c.loop = loop_new();
	reaper = reaper_start(dir);
	cfg.name = "bench";
	cfg.dir = dir;
	cfg.kernel = UMLAB_KERNEL;
	cfg.init = argv[optind];
	cfg.console_log = console;
	cfg.mem_mb = 64;
	cfg.setup = "root overlay tmpfs\nhostname bench\n";
	cfg.reaper = reaper;

	boots = calloc(nboots, sizeof(double));
	raws = calloc(nboots, sizeof(double));
	hostfs = calloc(nboots, sizeof(double));
	execs = calloc(nexecs, sizeof(double));
	/* Interleaved, so all see the same machine load. */
	for (int i = 0; i < nboots; i++) {
		struct node_config plain = cfg;

		raws[i] = raw_boot(&cfg, argv[optind + 1]);
		plain.setup = "hostname bench\n";
		boots[i] = boot_once(&c, &cfg, NULL);
		hostfs[i] = boot_once(&c, &plain, i == nboots - 1 ? &n : NULL);
	}
	/* The last node stays up for the exec figures: one on the plain
	 * hostfs root, which shows this program where the host has it (a
	 * private root shows only the system's folders). */
	{
		const char *t[] = { "true", NULL };
		char count[16];
		const char *fx[] = { self, "forkexec", count, "true", NULL };
		const char *mk[] = { "/bin/sh", "-c",
			"truncate -s 1G /tmp/d.img && mkfs.ext4 -q -F -m 0 -E "
			"lazy_itable_init=1,lazy_journal_init=1 /tmp/d.img", NULL };
		char cmd[4400];

		/* Ten rounds, each agent execs then the in-guest loops, so a
		 * change of machine load hits both sides alike; the figure is
		 * the median over all rounds. */
		double fes[10], vfes[10];
		int per = nexecs / 10 > 0 ? nexecs / 10 : 1, k = 0;

		snprintf(count, sizeof(count), "%d", per);
		for (int round = 0; round < 10; round++) {
			for (int i = 0; i < per && k < nexecs; i++) {
				if (run_exec(&c, n, t) < 0) {
					fprintf(stderr, "node-bench: exec: %s\n", c.out);
					return 1;
				}
				execs[k++] = c.r.duration_ns / 1e9;
			}
			if (run_exec(&c, n, fx) < 0) {
				fprintf(stderr, "node-bench: forkexec: %s\n", c.out);
				return 1;
			}
			if (sscanf(c.out, "%lf %lf", &fes[round], &vfes[round]) != 2) {
				fprintf(stderr, "node-bench: %s forkexec: status %d, said: %s\n", self,
				    c.r.status, c.out);
				return 1;
			}
		}
		nexecs = k;
		fe = median(fes, 10);
		vfe = median(vfes, 10);
		if (run_exec(&c, n, mk) < 0) {
			fprintf(stderr, "node-bench: mkfs in the guest: %s\n", c.out);
			return 1;
		}
		t_guest = c.r.duration_ns / 1e9;
		snprintf(cmd, sizeof(cmd), "truncate -s 1G %s/d.img && mkfs.ext4 -q -F -m 0 -E "
			 "lazy_itable_init=1,lazy_journal_init=1 %s/d.img", dir, dir);
		t_host = now_s();
		if (system(cmd) != 0) {
			fprintf(stderr, "node-bench: %s failed\n", cmd);
			return 1;
		}
		t_host = now_s() - t_host;
		snprintf(cmd, sizeof(cmd), "%s/d.img", dir);
		unlink(cmd);
		node_stop(n);
		wait_flag(&c, &c.exited);
		node_free(n);
	}
	ready_m = median(boots, nboots);
	raw_m = median(raws, nboots);
	exec_m = median(execs, nexecs);
	printf("boot to ready, median of %d:  %.3f s   raw linux.uml boot to init: "
	       "%.3f s   ratio %.2fx (target <= 0.25 s and <= 1.7x)\n",
	       nboots, ready_m, raw_m, ready_m / raw_m);
	printf("                               without the overlay root (read-only hostfs): "
	       "%.3f s   ratio %.2fx\n", median(hostfs, nboots), median(hostfs, nboots) / raw_m);
	printf("exec `true`, median of %d:     %.2f ms  in-guest fork+exec+wait of it: "
	       "%.2f ms   difference %+.2f ms (target <= +1 ms)\n",
	       nexecs, exec_m * 1e3, fe * 1e3, (exec_m - fe) * 1e3);
	printf("                               in-guest vfork+exec+wait of it: "
	       "%.2f ms   difference %+.2f ms (umlab-init uses vfork)\n",
	       vfe * 1e3, (exec_m - vfe) * 1e3);
	printf("persist disk, 1 GiB sparse ext4: mkfs on the host %.3f s, in the guest %.3f s\n",
	       t_host, t_guest);
	reaper_finish(reaper);
	loop_free(c.loop);
	rmdir(dir);
	return 0;
}
