/*
 * cmd-start.c - `umlab start`: bring a lab up and leave it running in the
 * background, served by its controller on the lab's control socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "scenarios/cmd.h"
#include "scenarios/ctl.h"
#include "scenarios/scn.h"

/* In the child: become the lab's controller, detached from the terminal. */
static void
run_controller(const char *lab, struct scn_options *o, int ready_fd, const char *log)
{
	int fd;

	setsid();
	if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
		dup2(fd, 0);
		close(fd);
	}
	if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	o->ready_fd = ready_fd;
	_exit(scn_run(lab, o));
}

static int
cmd_start(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "no-capture", no_argument, NULL, 'n' },
		{ "exercise", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct scn_options o = { .capture = 1, .interactive = 1, .quiet = 0,
				 .kernel = getenv("UMLAB_KERNEL") };
	const char *lab = ".";
	char err[512], line[2048], *sock, *log, *outdir = NULL;
	int p[2], c, probe, status;
	ssize_t n = 0, got;
	pid_t pid;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:nxh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.outdir = optarg;
			break;
		case 'n':
			o.capture = 0;
			break;
		case 'x':
			o.exercise = 1;
			break;
		case 'h':
			cmd_print_help(&cmd_start_entry);
			return UMLAB_EXIT_OK;
		default:
			fprintf(stderr, "usage: umlab start %s\n", cmd_start_entry.args);
			return UMLAB_EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "usage: umlab start %s\n", cmd_start_entry.args);
		return UMLAB_EXIT_USAGE;
	}
	if (argc - optind == 1)
		lab = argv[optind];
	if ((sock = ctl_socket_path(lab, err, sizeof(err))) == NULL) {
		fprintf(stderr, "umlab start: %s\n", err);
		return UMLAB_EXIT_USAGE;
	}
	if ((probe = ctl_connect(sock)) >= 0) {
		close(probe);
		fprintf(stderr, "umlab start: %s is already running (umlab status %s; umlab stop %s)\n",
			lab, lab, lab);
		free(sock);
		return UMLAB_EXIT_USAGE;
	}
	o.ctl_path = sock;
	if (o.outdir == NULL) {
		/* Decide the folder here so that the log can live in it. */
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		outdir = xasprintf("umlab-out/started-%s-%d", stamp, (int)getpid());
		o.outdir = outdir;
	}
	if (mkdir_p(o.outdir, 0755) < 0) {
		fprintf(stderr, "umlab start: output folder %s: %s\n", o.outdir, strerror(errno));
		free(sock);
		free(outdir);
		return UMLAB_EXIT_USAGE;
	}
	o.force = 1;   /* the folder holds our own log from here on */
	log = xasprintf("%s/controller.log", o.outdir);
	if (pipe2(p, O_CLOEXEC) < 0) {
		perror("umlab start: pipe");
		return UMLAB_EXIT_ENV;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("umlab start: fork");
		return UMLAB_EXIT_ENV;
	}
	if (pid == 0) {
		close(p[0]);
		if (fork() == 0)   /* the controller must not be our child: we exit */
			run_controller(lab, &o, p[1], log);
		_exit(0);
	}
	close(p[1]);
	waitpid(pid, &status, 0);
	fprintf(stderr, "umlab: starting %s ...\n", lab);
	while ((got = read(p[0], line + n, sizeof(line) - 1 - (size_t)n)) > 0)
		n += got;
	close(p[0]);
	line[n] = '\0';
	if (strncmp(line, "OK ", 3) == 0) {
		printf("umlab: lab %s is running; results and controller.log in %s\n", lab, o.outdir);
		printf("  umlab status %s | umlab exec %s NODE -- CMD | umlab stop %s\n", lab, lab, lab);
		if (o.exercise)
			printf("  exercise: the solution is yours to do; umlab check %s says what passes\n",
			       lab);
		free(sock);
		free(log);
		free(outdir);
		return UMLAB_EXIT_OK;
	}
	if (strncmp(line, "ERR ", 4) == 0) {
		char *why = strchr(line + 4, ' ');

		fprintf(stderr, "umlab start: %s", why ? why + 1 : line + 4);
	} else {
		char *tail = file_tail(log, 10);

		fprintf(stderr, "umlab start: the lab's controller ended early; %s ends with:\n%s\n",
			log, tail);
		free(tail);
	}
	free(sock);
	free(log);
	free(outdir);
	return UMLAB_EXIT_FAILED;
}

const struct cmd_entry cmd_start_entry = {
	.name = "start",
	.args = "[-o DIR] [--exercise] [LAB]",
	.summary = "start a lab in the background and return when it is ready",
	.help =
	"Starts LAB (a folder holding scenario.lua, or a scenario file; default: the\n"
	"current folder) and returns once its script has run and every node is\n"
	"ready.  The lab keeps running, served by its controller in the background,\n"
	"until `umlab stop LAB`.  A scenario that never calls start() is started\n"
	"after its script has described the lab.\n"
	"\n"
	"  -o, --output DIR   results and controller.log go here\n"
	"                     (default: umlab-out/started-TIME-PID/)\n"
	"  -n, --no-capture   do not record pcap files\n"
	"  -x, --exercise     leave the scenario's solution() blocks to the student\n"
	"                     and do not run its checks() blocks; `umlab check LAB`\n"
	"                     runs them later\n"
	"\n"
	"A lab that is already running is not started twice (exit 2).\n",
	.exec = cmd_start,
};
