/*
 * reaper.c - see reaper.h.
 *
 * The pipe carries lines "+PGID" and "-PGID".  The reaper keeps the set
 * in a small array: a lab has at most a few hundred guests.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/reaper.h"
#include "core/util.h"

struct reaper {
	pid_t pid;
	int fd;
	int log;    /* RUNDIR/pgids: the same lines, for a sweep after we all died */
};

char *
reaper_shm_dir(const char *rundir)
{
	const char *base = strrchr(rundir, '/');

	return xasprintf("/dev/shm/umlab-%u-%s", (unsigned)getuid(), base ? base + 1 : rundir);
}

static void
remove_rundir(const char *rundir)
{
	char *shm = reaper_shm_dir(rundir);

	rm_rf(rundir);
	rm_rf(shm);   /* usually absent */
	free(shm);
}

static void
reaper_main(int rfd, const char *rundir)
{
	pid_t *groups = NULL;
	size_t n = 0, cap = 0;
	char buf[4096], line[32];
	size_t ll = 0;
	ssize_t got;

	while ((got = read(rfd, buf, sizeof(buf))) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i] != '\n') {
				if (ll < sizeof(line) - 1)
					line[ll++] = buf[i];
				continue;
			}
			line[ll] = '\0';
			ll = 0;
			pid_t g = (pid_t)atol(line + 1);
			if (g <= 1)
				continue;
			if (line[0] == '+') {
				if (n == cap) {
					cap = cap ? cap * 2 : 64;
					if ((groups = realloc(groups, cap * sizeof(*groups))) == NULL)
						_exit(1);
				}
				groups[n++] = g;
			} else if (line[0] == '-') {
				for (size_t k = 0; k < n; k++)
					if (groups[k] == g) {
						groups[k] = groups[--n];
						break;
					}
			}
		}
	}
	for (size_t k = 0; k < n; k++)
		kill(-groups[k], SIGKILL);
	remove_rundir(rundir);
	_exit(0);
}

struct reaper *
reaper_start(const char *rundir)
{
	int p[2];
	pid_t pid;
	struct reaper *r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return NULL;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return NULL;
	}
	if (pid == 0) {
		/* Its own session: a signal to the controller's process group
		 * (^C, a test harness's kill -- -PGID) must not reach it. */
		setsid();
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		for (int fd = 0; fd < 1024; fd++)
			if (fd != p[0] && fd != 2)
				close(fd);
		prctl(PR_SET_NAME, "umlab-reaper");
		reaper_main(p[0], rundir);
	}
	close(p[0]);
	r = xcalloc(1, sizeof(*r));
	r->pid = pid;
	r->fd = p[1];
	{
		char *log = xasprintf("%s/pgids", rundir);

		r->log = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		free(log);
	}
	return r;
}

static void
send_line(struct reaper *r, char sign, pid_t pgid)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "%c%ld\n", sign, (long)pgid);

	if (r != NULL && r->fd >= 0)
		(void)!write(r->fd, line, (size_t)n);
	if (r != NULL && r->log >= 0)
		(void)!write(r->log, line, (size_t)n);
}

void
reaper_watch(struct reaper *r, pid_t pgid)
{
	send_line(r, '+', pgid);
}

void
reaper_forget(struct reaper *r, pid_t pgid)
{
	send_line(r, '-', pgid);
}

void
reaper_finish(struct reaper *r)
{
	if (r == NULL)
		return;
	close(r->fd);
	if (r->log >= 0)
		close(r->log);
	while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
		;
	free(r);
}

/* Does process group g still hold a guest of rundir?  Its members are
 * linux.uml processes whose command line names uml_dir=RUNDIR/...; the
 * group leader may be gone (its helpers keep the group), so look at any
 * member.  This scan of /proc runs only when a dead lab left a folder. */
static int
group_is_ours(pid_t g, const char *rundir)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char *want = xasprintf("uml_dir=%s/", rundir);
	int found = 0;

	while (d != NULL && !found && (e = readdir(d)) != NULL) {
		char path[300], *txt, *p;
		size_t len;
		long pgrp = 0;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((txt = read_file(path, 1024, NULL)) == NULL)
			continue;
		/* pid (comm) state ppid pgrp ...: comm may hold spaces. */
		if ((p = strrchr(txt, ')')) != NULL)
			sscanf(p + 1, " %*c %*d %ld", &pgrp);
		free(txt);
		if (pgrp != (long)g)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		if ((txt = read_file(path, 8192, &len)) == NULL)
			continue;
		for (size_t i = 0; i + 1 < len; i++)
			if (txt[i] == '\0')
				txt[i] = ' ';
		found = strstr(txt, want) != NULL;
		free(txt);
	}
	if (d != NULL)
		closedir(d);
	free(want);
	return found;
}

/* Kill what is left of the guests recorded in dir/pgids. */
static void
kill_stale_guests(const char *dir)
{
	char *path = xasprintf("%s/pgids", dir), *txt = read_file(path, 1 << 20, NULL), *line, *save;
	pid_t *set = NULL;
	size_t n = 0;

	free(path);
	if (txt == NULL)
		return;
	for (line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		pid_t g = (pid_t)atol(line + 1);

		if (g <= 1)
			continue;
		if (line[0] == '+') {
			set = realloc(set, (n + 1) * sizeof(*set));
			if (set == NULL)
				break;
			set[n++] = g;
		} else if (line[0] == '-') {
			for (size_t k = 0; k < n; k++)
				if (set[k] == g) {
					set[k] = set[--n];
					break;
				}
		}
	}
	for (size_t k = 0; set && k < n; k++)
		if (group_is_ours(set[k], dir))
			kill(-set[k], SIGKILL);
	free(set);
	free(txt);
}

int
reaper_sweep_stale(const char *parent)
{
	DIR *d = opendir(parent);
	struct dirent *e;
	int removed = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char *dir, *pidfile, *txt;
		long pid;

		if (e->d_name[0] == '.')
			continue;
		dir = xasprintf("%s/%s", parent, e->d_name);
		pidfile = xasprintf("%s/pid", dir);
		txt = read_file(pidfile, 64, NULL);
		pid = txt ? atol(txt) : 0;
		/* No pid file yet: a lab being created right now; leave it. */
		if (pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
			/* Controller and reaper both died (SIGKILL of both): its
			 * guests' helpers may still run. */
			kill_stale_guests(dir);
			remove_rundir(dir);
			if (access(dir, F_OK) < 0)
				removed++;
		}
		free(txt);
		free(pidfile);
		free(dir);
	}
	closedir(d);
	return removed;
}
