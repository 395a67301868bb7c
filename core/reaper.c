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
};

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
	rm_rf(rundir);
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
	return r;
}

static void
send_line(struct reaper *r, char sign, pid_t pgid)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "%c%ld\n", sign, (long)pgid);

	if (r != NULL && r->fd >= 0)
		(void)!write(r->fd, line, (size_t)n);
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
	while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
		;
	free(r);
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
			if (rm_rf(dir) == 0)
				removed++;
		}
		free(txt);
		free(pidfile);
		free(dir);
	}
	closedir(d);
	return removed;
}
