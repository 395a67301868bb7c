/*
 * cmd-connect.c - `umlab connect [LAB] NODE [-- CMD...]`: a shell on a node
 * of a running lab, on a pty in the guest (job control, Ctrl-C, window
 * size), with this terminal in raw mode while it lasts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "core/util.h"
#include "scenarios/cmd.h"
#include "scenarios/ctl.h"

static void
put_u16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
window(unsigned *rows, unsigned *cols)
{
	struct winsize ws;

	*rows = 24;
	*cols = 80;
	if (ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
}

static int
cmd_connect(int argc, char **argv)
{
	int first = 1, dash = argc, fd, type, rc = UMLAB_EXIT_FAILED, raw = 0, sfd;
	const char *lab = ".";
	struct termios saved, t;
	unsigned rows, cols;
	char err[512], *path;
	uint8_t *buf;
	size_t len;
	sigset_t set;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			dash = i;
			break;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cmd_print_help(&cmd_connect_entry);
			return UMLAB_EXIT_OK;
		}
	}
	/* [LAB] NODE before "--": LAB is there when there are two words. */
	if (dash - first == 2) {
		lab = argv[first];
		first++;
	} else if (dash - first != 1) {
		fprintf(stderr, "usage: umlab connect %s\n", cmd_connect_entry.args);
		return UMLAB_EXIT_USAGE;
	}
	if ((path = ctl_socket_path(lab, err, sizeof(err))) == NULL) {
		fprintf(stderr, "umlab connect: %s\n", err);
		return UMLAB_EXIT_USAGE;
	}
	if ((fd = ctl_connect(path)) < 0) {
		fprintf(stderr, "umlab connect: %s is not running (umlab start %s)\n", lab, lab);
		free(path);
		return UMLAB_EXIT_USAGE;
	}
	free(path);
	buf = xcalloc(1, CTL_MAX_MSG + 2);
	window(&rows, &cols);
	put_u16(buf, rows);
	put_u16(buf + 2, cols);
	len = 4;
	/* NODE, then the command after "--" (none: a login shell). */
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];

		if (i > first && i <= dash)
			continue;
		if (len + strlen(a) + 1 > CTL_MAX_MSG - 16) {
			fprintf(stderr, "umlab connect: command too long\n");
			goto out;
		}
		strcpy((char *)buf + len, a);
		len += strlen(a) + 1;
	}
	if (ctl_send(fd, CTL_CONNECT, buf, len) < 0) {
		fprintf(stderr, "umlab connect: %s\n", strerror(errno));
		goto out;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (isatty(0) && tcgetattr(0, &saved) == 0) {
		t = saved;
		cfmakeraw(&t);
		raw = tcsetattr(0, TCSANOW, &t) == 0;
	}
	for (;;) {
		struct pollfd p[3] = { { fd, POLLIN, 0 }, { 0, POLLIN, 0 }, { sfd, POLLIN, 0 } };
		long n;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			uint8_t ws[4];

			(void)!read(sfd, &si, sizeof(si));
			window(&rows, &cols);
			put_u16(ws, rows);
			put_u16(ws + 2, cols);
			ctl_send(fd, CTL_WINSZ, ws, 4);
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			char in[4096];
			ssize_t got = read(0, in, sizeof(in));

			if (got <= 0) {
				ctl_send(fd, CTL_STDIN, NULL, 0);   /* hang up */
				p[1].fd = -1;
			} else {
				ctl_send(fd, CTL_STDIN, in, (size_t)got);
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP)) {
			n = ctl_recv(fd, &type, buf);
			if (n < 0 || type == 0) {
				fprintf(stderr, "\r\numlab connect: the lab's controller went away\r\n");
				break;
			}
			if (type == CTL_OUT || type == CTL_ERR) {
				(void)!write(1, buf, (size_t)n);
			} else if (type == CTL_FAIL) {
				if (raw)
					tcsetattr(0, TCSANOW, &saved), raw = 0;
				fprintf(stderr, "umlab connect: %s\n", (char *)buf);
				rc = 255;
				break;
			} else if (type == CTL_EXIT && n == 4) {
				int s = (int)((uint32_t)buf[0] | (uint32_t)buf[1] << 8 |
					      (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 24);

				rc = WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
				break;
			}
		}
	}
	if (raw)
		tcsetattr(0, TCSANOW, &saved);
out:
	free(buf);
	close(fd);
	return rc;
}

const struct cmd_entry cmd_connect_entry = {
	.name = "connect",
	.args = "[LAB] NODE [-- CMD [ARG...]]",
	.summary = "open a shell on a node of a running lab",
	.help = "Opens an interactive login shell (or CMD) on NODE of a lab started with\n"
		"`umlab start`, on a terminal in the guest: Ctrl-C, job control and the\n"
		"window size work.  Leave with `exit` (or Ctrl-D).  The exit status is the\n"
		"shell's.  LAB defaults to the current folder.\n",
	.exec = cmd_connect,
};
