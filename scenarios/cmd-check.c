/*
 * cmd-check.c - `umlab check`: run a running lab's checks() blocks again
 * and say which pass.  Made for exercises: `umlab start --exercise LAB`
 * leaves the lab's solution() blocks to the student, who then types the
 * commands and asks `umlab check LAB` whether the work is done.  The
 * controller runs the blocks as a task on its Lua state and streams each
 * check back (CTL_CHECK, CTL_RESULT; see ctl.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "scenarios/cmd.h"
#include "scenarios/ctl.h"

/* Print a failed check's detail, indented (TAP: as a YAML block). */
static void
print_detail(const char *detail, int tap)
{
	const char *p = detail;

	if (*p == '\0')
		return;
	if (tap)
		printf("  ---\n  detail: |\n");
	while (*p) {
		int n = (int)strcspn(p, "\n");

		printf(tap ? "    %.*s\n" : "        %.*s\n", n, p);
		p += n + (p[n] == '\n');
	}
	if (tap)
		printf("  ...\n");
}

static int
cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tap", no_argument, NULL, 'T' },
		{ "wait", required_argument, NULL, 'w' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *lab = ".", *wait = "10";
	char err[512], *path, *end;
	uint8_t *buf;
	int c, fd, type, tap = 0, quiet = 0, rc = UMLAB_EXIT_FAILED;
	size_t npass = 0, nfail = 0;
	long n;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+Tw:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'T':
			tap = 1;
			break;
		case 'w':
			wait = optarg;
			if (strtod(wait, &end) < 0 || end == wait || *end) {
				fprintf(stderr, "umlab check: --wait takes seconds, e.g. 10 or 0.5\n");
				return UMLAB_EXIT_USAGE;
			}
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			cmd_print_help(&cmd_check_entry);
			return UMLAB_EXIT_OK;
		default:
			fprintf(stderr, "usage: umlab check %s\n", cmd_check_entry.args);
			return UMLAB_EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "usage: umlab check %s\n", cmd_check_entry.args);
		return UMLAB_EXIT_USAGE;
	}
	if (argc - optind == 1)
		lab = argv[optind];
	if ((path = ctl_socket_path(lab, err, sizeof(err))) == NULL) {
		fprintf(stderr, "umlab check: %s\n", err);
		return UMLAB_EXIT_USAGE;
	}
	fd = ctl_connect(path);
	if (fd < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			fprintf(stderr, "umlab check: %s is not running (umlab start --exercise %s)\n",
				lab, lab);
		else
			fprintf(stderr, "umlab check: %s: %s\n", path, strerror(errno));
		free(path);
		return UMLAB_EXIT_USAGE;
	}
	free(path);
	if (ctl_send(fd, CTL_CHECK, wait, strlen(wait) + 1) < 0) {
		fprintf(stderr, "umlab check: cannot ask the lab: %s\n", strerror(errno));
		close(fd);
		return UMLAB_EXIT_FAILED;
	}
	if (tap)
		printf("TAP version 13\n# umlab check %s\n", lab);
	else if (!quiet)
		printf("umlab: checking %s\n", lab);
	fflush(stdout);
	buf = xcalloc(1, CTL_MAX_MSG + 2);
	for (;;) {
		n = ctl_recv(fd, &type, buf);
		if (n < 0 || type == 0) {
			fprintf(stderr, "umlab check: the lab went away before its checks ended\n");
			break;
		}
		if (type == CTL_RESULT && n >= 2) {
			int passed = buf[0] == '1';
			const char *name = (const char *)buf + 1;
			const char *detail = name + strlen(name) + 1;

			if ((const uint8_t *)detail > buf + n)
				detail = "";
			passed ? npass++ : nfail++;
			if (tap) {
				printf("%s %zu - %s\n", passed ? "ok" : "not ok", npass + nfail, name);
				if (!passed)
					print_detail(detail, 1);
			} else if (!quiet || !passed) {
				printf("  %s  %s\n", passed ? "PASS" : "FAIL", name);
				if (!passed && !quiet)
					print_detail(detail, 0);
			}
			fflush(stdout);
			continue;
		}
		if (type == CTL_OK) {
			rc = nfail == 0 && npass > 0 ? UMLAB_EXIT_OK : UMLAB_EXIT_FAILED;
			break;
		}
		if (type == CTL_FAIL) {
			fprintf(stderr, "umlab check: %s\n", (const char *)buf);
			if (tap)
				printf("not ok %zu - the checks ran to their end\n", npass + nfail + 1);
			nfail++;
			break;
		}
	}
	free(buf);
	close(fd);
	if (tap)
		printf("1..%zu\n", npass + nfail);
	if (rc == UMLAB_EXIT_OK)
		printf("%sall %zu checks pass\n", tap ? "# " : "umlab: ", npass);
	else
		printf("%s%zu of %zu checks fail\n", tap ? "# " : "umlab: ", nfail, npass + nfail);
	return rc;
}

const struct cmd_entry cmd_check_entry = {
	.name = "check",
	.args = "[--tap] [--wait S] [-q] [LAB]",
	.summary = "run a running lab's checks again (exercises: is the work done?)",
	.help =
	"Runs the checks(function() ... end) blocks of LAB's scenario again, on the\n"
	"lab as it is now, and prints which checks pass.  Made for exercises: `umlab\n"
	"start --exercise LAB` starts the lab without its solution() blocks and\n"
	"without running its checks; the student does the work (umlab exec, umlab\n"
	"connect) and asks `umlab check LAB`.\n"
	"\n"
	"  -T, --tap      print the checks as TAP\n"
	"  -w, --wait S   no wait_until in the checks waits longer than S seconds\n"
	"                 (default 10): a check that is not met fails that soon\n"
	"  -q, --quiet    print only the failing checks and the count\n"
	"\n"
	"Exit status as umlab run: 0 every check passes, 1 a check fails (or a\n"
	"checks block stopped with an error), 2 the lab is not running.\n",
	.exec = cmd_check,
};
