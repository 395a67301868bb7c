/*
 * cmd-ctl.c - the commands that talk to a running lab over its control
 * socket: `umlab status`, `umlab exec`, `umlab stop`, `umlab list`.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "core/util.h"
#include "scenarios/cmd.h"
#include "scenarios/ctl.h"
#include "scenarios/runtime.h"

/* Connect to LAB's controller; prints why not and returns -1. */
static int
connect_lab(const char *cmd, const char *lab)
{
	char err[512], *path = ctl_socket_path(lab, err, sizeof(err));
	int fd;

	if (path == NULL) {
		fprintf(stderr, "umlab %s: %s\n", cmd, err);
		return -1;
	}
	fd = ctl_connect(path);
	if (fd < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			fprintf(stderr, "umlab %s: %s is not running (umlab start %s)\n", cmd, lab, lab);
		else
			fprintf(stderr, "umlab %s: %s: %s\n", cmd, path, strerror(errno));
	}
	free(path);
	return fd;
}

static int
help_or_usage(const struct cmd_entry *e, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cmd_print_help(e);
			return UMLAB_EXIT_OK;
		}
	}
	return -1;
}

/* Ask for status; returns the parsed JSON or NULL. */
static json_t *
fetch_status(int fd)
{
	uint8_t *buf = xcalloc(1, CTL_MAX_MSG + 2);
	json_t *j = NULL;
	int type;
	long n;

	if (ctl_send(fd, CTL_STATUS, NULL, 0) == 0 && (n = ctl_recv(fd, &type, buf)) > 0 &&
	    type == CTL_JSON)
		j = json_loadb((const char *)buf, (size_t)n, 0, NULL);
	free(buf);
	return j;
}

static void
print_status(json_t *j)
{
	size_t i;
	json_t *v;

	printf("lab %s: %s, up %.0f s, controller pid %lld\n  scenario %s\n  output   %s\n",
	       json_string_value(json_object_get(j, "lab")),
	       json_string_value(json_object_get(j, "phase")),
	       json_number_value(json_object_get(j, "uptime_s")),
	       (long long)json_integer_value(json_object_get(j, "pid")),
	       json_string_value(json_object_get(j, "scenario")),
	       json_string_value(json_object_get(j, "outdir")));
	printf("\n  %-16s %-9s %-8s %s\n", "NODE", "STATE", "BOOT", "ADDRESSES");
	json_array_foreach(json_object_get(j, "nodes"), i, v) {
		char addrs[256] = "";
		size_t k;
		json_t *f;

		json_array_foreach(json_object_get(v, "interfaces"), k, f) {
			const char *a = json_string_value(json_object_get(f, "address"));
			size_t len = strlen(addrs);

			snprintf(addrs + len, sizeof(addrs) - len, "%s%s %s", len ? ", " : "",
				 json_string_value(json_object_get(f, "name")), a ? a : "-");
		}
		json_t *b = json_object_get(v, "boot_s");
		char boot[16] = "-";

		if (json_is_number(b))
			snprintf(boot, sizeof(boot), "%.2f s", json_number_value(b));
		printf("  %-16s %-9s %-8s %s\n", json_string_value(json_object_get(v, "name")),
		       json_string_value(json_object_get(v, "state")), boot, addrs);
	}
	printf("\n  %-28s %10s %10s %8s\n", "LINK", "FROM NODE", "TO NODE", "DROPS");
	json_array_foreach(json_object_get(j, "links"), i, v) {
		printf("  %-28s %10lld %10lld %8lld\n", json_string_value(json_object_get(v, "name")),
		       (long long)json_integer_value(json_object_get(v, "frames_from_node")),
		       (long long)json_integer_value(json_object_get(v, "frames_to_node")),
		       (long long)json_integer_value(json_object_get(v, "drops")));
	}
	if (json_array_size(json_object_get(j, "uplinks")) > 0)
		printf("\n  %-28s %10s %10s %8s  %s\n", "UPLINK", "IN", "OUT", "DROPS", "TO");
	json_array_foreach(json_object_get(j, "uplinks"), i, v) {
		const char *e = json_string_value(json_object_get(v, "error"));

		printf("  %-28s %10lld %10lld %8lld  %s%s%s\n", json_string_value(json_object_get(v, "name")),
		       (long long)json_integer_value(json_object_get(v, "frames_in")),
		       (long long)json_integer_value(json_object_get(v, "frames_out")),
		       (long long)json_integer_value(json_object_get(v, "drops")),
		       json_string_value(json_object_get(v, "url")), e ? " FAILED: " : "", e ? e : "");
	}
	if (json_array_size(json_object_get(j, "plugs")) > 0)
		printf("\n  %-20s %-16s %10s %10s %8s  %s\n", "PLUG", "SWITCH", "IN", "OUT", "DROPS",
		       "URL");
	json_array_foreach(json_object_get(j, "plugs"), i, v) {
		const char *u = json_string_value(json_object_get(v, "url"));

		printf("  %-20s %-16s %10lld %10lld %8lld  %s\n",
		       json_string_value(json_object_get(v, "name")),
		       json_string_value(json_object_get(v, "switch")),
		       (long long)json_integer_value(json_object_get(v, "frames_in")),
		       (long long)json_integer_value(json_object_get(v, "frames_out")),
		       (long long)json_integer_value(json_object_get(v, "drops")), u ? u : "-");
	}
	if (json_array_size(json_object_get(j, "plugs")) > 0)
		printf("  a host program takes a plug with: %svde_plug URL tap://TAP (or any vdeplug4 URL)\n",
		       rt_vdeplugin_env());
}

/* Frames a second on each link since the previous picture (--watch). */
static void
print_rates(json_t *now, json_t *before, double dt)
{
	size_t i;
	json_t *v;

	printf("\n  %-28s %12s %12s\n", "LINK", "FROM NODE/s", "TO NODE/s");
	json_array_foreach(json_object_get(now, "links"), i, v) {
		json_t *b = json_array_get(json_object_get(before, "links"), i);
		double from = 0, to = 0;

		if (b != NULL && dt > 0) {
			from = (double)(json_integer_value(json_object_get(v, "frames_from_node")) -
					json_integer_value(json_object_get(b, "frames_from_node"))) / dt;
			to = (double)(json_integer_value(json_object_get(v, "frames_to_node")) -
				      json_integer_value(json_object_get(b, "frames_to_node"))) / dt;
		}
		printf("  %-28s %12.0f %12.0f\n", json_string_value(json_object_get(v, "name")), from,
		       to);
	}
}

static int
cmd_status(int argc, char **argv)
{
	int rc = help_or_usage(&cmd_status_entry, argc, argv), fd, watch = 0, tty = isatty(1);
	const char *lab = ".";
	json_t *j, *before = NULL;
	double t0 = 0;

	if (rc >= 0)
		return rc;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-w") == 0 || strcmp(argv[i], "--watch") == 0)
			watch = 1;
		else if (argv[i][0] != '-' && lab[0] == '.' && lab[1] == '\0')
			lab = argv[i];
		else {
			fprintf(stderr, "usage: umlab status %s\n", cmd_status_entry.args);
			return UMLAB_EXIT_USAGE;
		}
	}
	for (;;) {
		if ((fd = connect_lab("status", lab)) < 0)
			return before ? UMLAB_EXIT_OK : UMLAB_EXIT_USAGE;   /* the lab ended */
		j = fetch_status(fd);
		close(fd);
		if (j == NULL) {
			fprintf(stderr, "umlab status: no answer from the lab's controller\n");
			json_decref(before);
			return UMLAB_EXIT_FAILED;
		}
		if (!watch) {
			print_status(j);
			json_decref(j);
			return UMLAB_EXIT_OK;
		}
		/* Like top: redraw in place once a second until the lab stops or ^C. */
		if (tty)
			printf("\033[H\033[2J");
		print_status(j);
		print_rates(j, before, now_seconds() - t0);
		fflush(stdout);
		json_decref(before);
		before = j;
		t0 = now_seconds();
		sleep(1);
	}
}

static int
cmd_exec(int argc, char **argv)
{
	int rc = help_or_usage(&cmd_exec_entry, argc, argv), fd, dash = -1, type;
	size_t len = 0;
	char *req;
	uint8_t *buf;
	long n;

	if (rc >= 0)
		return rc;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dash = i;
			break;
		}
	/* umlab exec LAB NODE -- CMD...  (LAB may be left out: the current folder) */
	if (dash < 2 || dash > 3 || dash == argc - 1) {
		fprintf(stderr, "usage: umlab exec %s\n", cmd_exec_entry.args);
		return UMLAB_EXIT_USAGE;
	}
	for (int i = dash - 1; i < argc; i++)
		if (i != dash)
			len += strlen(argv[i]) + 1;
	if (len > CTL_MAX_MSG - 16) {
		fprintf(stderr, "umlab exec: command too long\n");
		return UMLAB_EXIT_USAGE;
	}
	if ((fd = connect_lab("exec", dash == 3 ? argv[1] : ".")) < 0)
		return UMLAB_EXIT_USAGE;
	req = xcalloc(1, len);
	len = 0;
	for (int i = dash - 1; i < argc; i++) {
		if (i == dash)
			continue;
		strcpy(req + len, argv[i]);
		len += strlen(argv[i]) + 1;
	}
	rc = UMLAB_EXIT_FAILED;
	buf = xcalloc(1, CTL_MAX_MSG + 2);
	if (ctl_send(fd, CTL_EXEC, req, len) < 0) {
		fprintf(stderr, "umlab exec: %s\n", strerror(errno));
		goto out;
	}
	while ((n = ctl_recv(fd, &type, buf)) >= 0 && type != 0) {
		if (type == CTL_OUT)
			fwrite(buf, 1, (size_t)n, stdout);
		else if (type == CTL_ERR)
			fwrite(buf, 1, (size_t)n, stderr);
		else if (type == CTL_FAIL) {
			fprintf(stderr, "umlab exec: %s\n", (char *)buf);
			rc = 255;
			break;
		} else if (type == CTL_EXIT && n == 4) {
			int st = (int)((uint32_t)buf[0] | (uint32_t)buf[1] << 8 | (uint32_t)buf[2] << 16 |
				       (uint32_t)buf[3] << 24);

			/* The command's own exit status, as ssh does; 128+N for a signal. */
			rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			break;
		}
	}
	if (type == 0)
		fprintf(stderr, "umlab exec: the lab's controller went away\n");
out:
	fflush(stdout);
	free(buf);
	free(req);
	close(fd);
	return rc;
}

/* umlab capture [LAB] LINK: the link's frames as a pcap stream on stdout. */
static int
cmd_capture(int argc, char **argv)
{
	int rc = help_or_usage(&cmd_capture_entry, argc, argv), fd, type;
	const char *lab = ".", *link;
	uint8_t *buf;
	long n;

	if (rc >= 0)
		return rc;
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: umlab capture %s\n", cmd_capture_entry.args);
		return UMLAB_EXIT_USAGE;
	}
	if (argc == 3)
		lab = argv[1];
	link = argv[argc - 1];
	if (isatty(1)) {
		fprintf(stderr, "umlab capture: stdout is a terminal; pipe it into a reader, e.g.\n"
			"  umlab capture %s %s | tshark -r -\n", lab, link);
		return UMLAB_EXIT_USAGE;
	}
	if ((fd = connect_lab("capture", lab)) < 0)
		return UMLAB_EXIT_USAGE;
	buf = xcalloc(1, CTL_MAX_MSG + 2);
	rc = UMLAB_EXIT_FAILED;
	/* The controller writes straight into our stdout: no copy through us. */
	if (ctl_send_fd(fd, CTL_CAPTURE, link, strlen(link) + 1, 1) < 0) {
		fprintf(stderr, "umlab capture: %s\n", strerror(errno));
		goto out;
	}
	close(1);   /* the reader sees EOF once the controller lets go as well */
	n = ctl_recv(fd, &type, buf);
	if (n >= 0 && type == CTL_FAIL) {
		fprintf(stderr, "umlab capture: %s\n", (char *)buf);
		rc = UMLAB_EXIT_USAGE;
		goto out;
	}
	if (type != CTL_OK) {
		fprintf(stderr, "umlab capture: no answer from the lab's controller\n");
		goto out;
	}
	/* Until the reader goes away, the lab stops, or we are interrupted. */
	while ((n = ctl_recv(fd, &type, buf)) > 0 || (n == 0 && type != 0))
		;
	rc = UMLAB_EXIT_OK;
out:
	free(buf);
	close(fd);
	return rc;
}

/* umlab fault [LAB] KIND TARGET [KEY=VALUE...] */
static int
cmd_fault(int argc, char **argv)
{
	int rc = help_or_usage(&cmd_fault_entry, argc, argv), fd, type, first;
	size_t len = 0;
	char *req;
	uint8_t *buf;
	struct stat st;

	if (rc >= 0)
		return rc;
	if (argc < 3) {
		fprintf(stderr, "usage: umlab fault %s\n", cmd_fault_entry.args);
		return UMLAB_EXIT_USAGE;
	}
	/* LAB is there when the first argument names a folder or a file. */
	first = stat(argv[1], &st) == 0 && argc >= 4 ? 2 : 1;
	for (int i = first; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if (len > CTL_MAX_MSG - 16) {
		fprintf(stderr, "umlab fault: arguments too long\n");
		return UMLAB_EXIT_USAGE;
	}
	if ((fd = connect_lab("fault", first == 2 ? argv[1] : ".")) < 0)
		return UMLAB_EXIT_USAGE;
	req = xcalloc(1, len);
	len = 0;
	for (int i = first; i < argc; i++) {
		strcpy(req + len, argv[i]);
		len += strlen(argv[i]) + 1;
	}
	buf = xcalloc(1, CTL_MAX_MSG + 2);
	rc = UMLAB_EXIT_FAILED;
	if (ctl_send(fd, CTL_FAULT, req, len) == 0 && ctl_recv(fd, &type, buf) >= 0) {
		if (type == CTL_OK) {
			printf("umlab: fault %s on %s scheduled\n", argv[first], argv[first + 1]);
			rc = UMLAB_EXIT_OK;
		} else if (type == CTL_FAIL) {
			fprintf(stderr, "umlab fault: %s\n", (char *)buf);
			rc = UMLAB_EXIT_USAGE;
		}
	}
	free(buf);
	free(req);
	close(fd);
	return rc;
}

static int
cmd_stop(int argc, char **argv)
{
	int rc = help_or_usage(&cmd_stop_entry, argc, argv), fd, type;
	uint8_t *buf;

	if (rc >= 0)
		return rc;
	if (argc > 2) {
		fprintf(stderr, "usage: umlab stop %s\n", cmd_stop_entry.args);
		return UMLAB_EXIT_USAGE;
	}
	if ((fd = connect_lab("stop", argc == 2 ? argv[1] : ".")) < 0)
		return UMLAB_EXIT_USAGE;
	buf = xcalloc(1, CTL_MAX_MSG + 2);
	if (ctl_send(fd, CTL_STOP, NULL, 0) < 0) {
		fprintf(stderr, "umlab stop: %s\n", strerror(errno));
		rc = UMLAB_EXIT_FAILED;
	} else {
		/* The controller closes the connection once the lab is down. */
		while (ctl_recv(fd, &type, buf) > 0 || type != 0)
			;
		printf("umlab: %s stopped\n", argc == 2 ? argv[1] : ".");
		rc = UMLAB_EXIT_OK;
	}
	free(buf);
	close(fd);
	return rc;
}

static int
cmd_list(int argc, char **argv)
{
	int rc = help_or_usage(&cmd_list_entry, argc, argv), n = 0;
	char *dir = ctl_socket_dir();
	DIR *d;
	struct dirent *e;

	if (rc >= 0) {
		free(dir);
		return rc;
	}
	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			char *path;
			int fd;
			json_t *j;

			if (strstr(e->d_name, ".sock") == NULL)
				continue;
			path = xasprintf("%s/%s", dir, e->d_name);
			fd = ctl_connect(path);   /* removes a dead lab's socket */
			free(path);
			if (fd < 0)
				continue;
			if ((j = fetch_status(fd)) != NULL) {
				if (n++ == 0)
					printf("%-20s %-9s %6s  %s\n", "LAB", "PHASE", "NODES", "SCENARIO");
				printf("%-20s %-9s %6zu  %s\n", json_string_value(json_object_get(j, "lab")),
				       json_string_value(json_object_get(j, "phase")),
				       json_array_size(json_object_get(j, "nodes")),
				       json_string_value(json_object_get(j, "scenario")));
				json_decref(j);
			}
			close(fd);
		}
		closedir(d);
	}
	if (n == 0)
		printf("no lab is running\n");
	free(dir);
	return UMLAB_EXIT_OK;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.args = "[-w] [LAB]",
	.summary = "show a running lab's nodes and links",
	.help = "Shows the nodes (state, boot time, addresses) and links (frame counters)\n"
		"of a lab started with `umlab start`.  LAB defaults to the current folder.\n"
		"\n"
		"  -w, --watch   redraw every second, with frames a second on each link,\n"
		"                until the lab stops or Ctrl-C\n",
	.exec = cmd_status,
};

const struct cmd_entry cmd_exec_entry = {
	.name = "exec",
	.args = "[LAB] NODE -- CMD [ARG...]",
	.summary = "run a command on a node of a running lab",
	.help = "Runs CMD on NODE and prints its output.  The exit status is the command's\n"
		"(128+N when killed by signal N; 255 when it could not run).  LAB defaults\n"
		"to the current folder.  Example: umlab exec labs/two-hosts a -- ip addr\n",
	.exec = cmd_exec,
};

const struct cmd_entry cmd_stop_entry = {
	.name = "stop",
	.args = "[LAB]",
	.summary = "stop a running lab and wait until it is down",
	.help = "Powers off every node of LAB, writes its report and removes what it made\n"
		"at run time.  LAB defaults to the current folder.\n",
	.exec = cmd_stop,
};

const struct cmd_entry cmd_capture_entry = {
	.name = "capture",
	.args = "[LAB] LINK",
	.summary = "stream a running lab's link as pcap to stdout",
	.help = "Streams every frame of LINK (its name as in report.json, e.g. a.eth0-s1,\n"
		"or a plug's, e.g. s1.plug0)\n"
		"from now on, as pcap with nanosecond timestamps, into stdout, without\n"
		"stopping the lab.  Frames a slow reader cannot take are dropped, never\n"
		"queued.  It ends when the reader exits, the lab stops or on Ctrl-C:\n"
		"  umlab capture labs/two-hosts a.eth0-s1 | wireshark -k -i -\n"
		"  umlab capture labs/two-hosts a.eth0-s1 | tshark -r -\n",
	.exec = cmd_capture,
};

const struct cmd_entry cmd_fault_entry = {
	.name = "fault",
	.args = "[LAB] KIND TARGET [KEY=VALUE...]",
	.summary = "inject a fault into a running lab",
	.help = "Schedules a fault on a lab started with `umlab start`, as fault() does in a\n"
		"scenario (see faults/README.md): KIND is crash, panic, halt or memflip;\n"
		"TARGET a node; options at=, every=, rate=, count=, duration= (seconds),\n"
		"symbol=, region=, offset=, bit=, length=.  The lab's report logs it.\n"
		"Example: umlab fault labs/two-hosts memflip a region=ram every=1 count=5\n",
	.exec = cmd_fault,
};

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.args = "",
	.summary = "list the running labs",
	.help = "Lists the labs started with `umlab start` that are still running.  The\n"
		"sockets of labs whose controller died are removed on the way.\n",
	.exec = cmd_list,
};
