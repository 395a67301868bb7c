/*
 * ctl.c - the control socket of a running lab: the controller's server
 * and the client calls used by `umlab status|exec|stop|list`.
 *
 * SOCK_SEQPACKET keeps message boundaries, so a message is one packet and
 * needs no framing.  Every packet from a client is untrusted: its size is
 * bounded (MSG_TRUNC is refused) and its fields are checked before use.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/lab.h"
#include "core/loop.h"
#include "core/util.h"
#include "faults/fault.h"
#include "netsim/netsim.h"
#include "node/node.h"
#include "scenarios/ctl.h"
#include "scenarios/runtime.h"
#include "scenarios/scn_int.h"

#define MAX_ARGV 256

/* --- naming --- */

char *
ctl_socket_dir(void)
{
	return xasprintf("%s/labs", rt_runtime_parent());
}

char *
ctl_socket_path(const char *lab, char *err, size_t errlen)
{
	char real[PATH_MAX], *dir, *path, *base;
	uint32_t h = 2166136261u;
	char name[24];

	if (realpath(lab, real) == NULL) {
		snprintf(err, errlen, "%s: %s", lab, strerror(errno));
		return NULL;
	}
	/* A folder holding scenario.lua and that file are the same lab. */
	if (strlen(real) > 13 && strcmp(real + strlen(real) - 13, "/scenario.lua") == 0)
		real[strlen(real) - 13] = '\0';
	for (const char *p = real; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	base = strrchr(real, '/');
	snprintf(name, sizeof(name), "%.16s", base && base[1] ? base + 1 : "lab");
	for (char *p = name; *p; p++)
		if (*p == '.' || *p == '/' || *p == ' ')
			*p = '_';
	dir = ctl_socket_dir();
	path = xasprintf("%s/%s-%08x.sock", dir, name, h);
	free(dir);
	return path;
}

/* --- client --- */

int
ctl_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, saved;

	if (strlen(path) >= sizeof(a.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(a.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		saved = errno;
		close(fd);
		/* Nobody listens: the lab's controller died; remove its socket. */
		if (saved == ECONNREFUSED)
			unlink(path);
		errno = saved;
		return -1;
	}
	return fd;
}

int
ctl_send_fd(int fd, int type, const void *payload, size_t len, int passfd)
{
	uint8_t *buf;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (len > CTL_MAX_MSG - 1) {
		errno = EMSGSIZE;
		return -1;
	}
	buf = xcalloc(1, len + 1);
	buf[0] = (uint8_t)type;
	if (len)
		memcpy(buf + 1, payload, len);
	iov = (struct iovec){ buf, len + 1 };
	if (passfd >= 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &passfd, sizeof(int));
	}
	do
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	free(buf);
	return n == (ssize_t)(len + 1) ? 0 : -1;
}

long
ctl_recv_fd(int fd, int *type, uint8_t *buf, int *passedfd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, CTL_MAX_MSG + 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n;

	*passedfd = -1;
	do
		n = recvmsg(fd, &m, MSG_TRUNC | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (c = CMSG_FIRSTHDR(&m); n > 0 && c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(passedfd, CMSG_DATA(c), sizeof(int));
	*type = 0;
	if (n <= 0)
		return n;
	if (n > CTL_MAX_MSG || (m.msg_flags & MSG_CTRUNC)) {
		if (*passedfd >= 0)
			close(*passedfd);
		*passedfd = -1;
		errno = EMSGSIZE;
		return -1;
	}
	*type = buf[0];
	memmove(buf, buf + 1, (size_t)n - 1);
	buf[n - 1] = '\0';
	return (long)n - 1;
}

int
ctl_send(int fd, int type, const void *payload, size_t len)
{
	return ctl_send_fd(fd, type, payload, len, -1);
}

long
ctl_recv(int fd, int *type, uint8_t *buf)
{
	int passed;
	long n = ctl_recv_fd(fd, type, buf, &passed);

	if (passed >= 0)
		close(passed);   /* nobody asked for one */
	return n;
}

/* --- server --- */

struct ctl_client {
	struct scn *s;
	int fd;
	struct agent *session;   /* a connected shell's agent, or NULL */
	struct ns_port *tap_port;   /* the link being captured for this client, or NULL */
	int session_id;
	int pending;       /* execs waiting for their result */
	int closed;        /* the peer left: free when nothing is pending */
	int wants_stop_ack;
	int checking;      /* a CTL_CHECK runs for this client */
	struct ctl_client *next;
};

struct ctl_server {
	int fd;
	char *path;
	struct ctl_client *clients;
};

static void
client_free(struct scn *s, struct ctl_client *c)
{
	struct ctl_server *srv = s->ctl;

	for (struct ctl_client **pp = &srv->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	free(c);
}

static void
client_close(struct ctl_client *c)
{
	/* The user stopped the capture: stop streaming into their pipe. */
	if (c->tap_port != NULL) {
		struct ns_port *p = c->tap_port;

		c->tap_port = NULL;
		ns_port_tap(p, -1, NULL, NULL);
	}
	/* The user went away: hang up their shell, as a terminal would. */
	if (c->session != NULL)
		agent_kill(c->session, c->session_id, SIGHUP);
	if (c->fd >= 0) {
		loop_del_fd(c->s->loop, c->fd);
		close(c->fd);
		c->fd = -1;
	}
	c->closed = 1;
	if (c->pending == 0)
		client_free(c->s, c);
}

static void
reply(struct ctl_client *c, int type, const void *p, size_t len)
{
	if (c->fd >= 0 && ctl_send(c->fd, type, p, len) < 0)
		client_close(c);
}

static void
reply_chunks(struct ctl_client *c, int type, const char *p, size_t len)
{
	const size_t chunk = CTL_MAX_MSG - 64;

	for (size_t off = 0; off < len && c->fd >= 0; off += chunk)
		reply(c, type, p + off, len - off < chunk ? len - off : chunk);
}

static void
reply_text(struct ctl_client *c, int type, const char *text)
{
	reply(c, type, text, strlen(text));
}

static void
do_status(struct ctl_client *c)
{
	struct scn *s = c->s;
	json_t *o = json_object();
	char *text;

	json_object_set_new(o, "lab", json_string(s->lab->name));
	json_object_set_new(o, "scenario", json_string(s->path));
	json_object_set_new(o, "outdir", json_string(s->outdir));
	json_object_set_new(o, "pid", json_integer(getpid()));
	json_object_set_new(o, "uptime_s", json_real(scn_elapsed(s)));
	json_object_set_new(o, "phase", json_string(s->phase == SCN_RUNNING ? "running" :
						    s->phase < SCN_RUNNING ? "starting" : "stopping"));
	json_object_set_new(o, "nodes", scn_nodes_json(s));
	json_object_set_new(o, "links", scn_links_json(s));
	json_object_set_new(o, "uplinks", scn_uplinks_json(s));
	json_object_set_new(o, "plugs", scn_plugs_json(s));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text && strlen(text) < CTL_MAX_MSG - 1)
		reply_text(c, CTL_JSON, text);
	else
		reply_text(c, CTL_FAIL, "status too large for one message");
	free(text);
}

static void
exec_done(const struct agent_exec_result *r, void *arg)
{
	struct ctl_client *c = arg;
	uint8_t st[4];

	c->pending--;
	if (c->closed) {
		if (c->pending == 0)
			client_free(c->s, c);
		return;
	}
	if (r->error != NULL) {
		reply_text(c, CTL_FAIL, r->error);
		return;
	}
	reply_chunks(c, CTL_OUT, r->out, r->out_len);
	reply_chunks(c, CTL_ERR, r->err, r->err_len);
	st[0] = (uint8_t)r->status;
	st[1] = (uint8_t)(r->status >> 8);
	st[2] = (uint8_t)(r->status >> 16);
	st[3] = (uint8_t)(r->status >> 24);
	if (c->fd >= 0)
		reply(c, CTL_EXIT, st, 4);
}

static void
do_exec(struct ctl_client *c, const uint8_t *p, size_t len)
{
	struct scn *s = c->s;
	const char *argv[MAX_ARGV + 1], *name;
	struct lab_node *ln;
	struct node *n;
	size_t off = 0;
	int argc = 0;
	char msg[160];

	/* NODE\0ARG0\0...: every string NUL-terminated inside the packet. */
	if (len == 0 || p[len - 1] != '\0') {
		reply_text(c, CTL_FAIL, "malformed exec request");
		return;
	}
	name = (const char *)p;
	off = strlen(name) + 1;
	while (off < len && argc < MAX_ARGV) {
		argv[argc++] = (const char *)p + off;
		off += strlen((const char *)p + off) + 1;
	}
	argv[argc] = NULL;
	if (argc == 0 || off < len) {
		reply_text(c, CTL_FAIL, "exec: need 1..256 arguments");
		return;
	}
	if ((ln = lab_find_node(s->lab, name)) == NULL) {
		snprintf(msg, sizeof(msg), "no node named '%.40s' in lab %s", name, s->lab->name);
		reply_text(c, CTL_FAIL, msg);
		return;
	}
	n = s->rt ? rt_node(s->rt, ln) : NULL;
	if (n == NULL || node_state(n) != NODE_READY) {
		snprintf(msg, sizeof(msg), "node %s is %s", ln->name,
			 n ? node_state_name(node_state(n)) : "not started");
		reply_text(c, CTL_FAIL, msg);
		return;
	}
	c->pending++;
	if (node_exec(n, argv, exec_done, c) < 0) {
		c->pending--;
		snprintf(msg, sizeof(msg), "node %s: the agent is not reachable", ln->name);
		reply_text(c, CTL_FAIL, msg);
	}
}

/* KIND\0TARGET\0KEY=VALUE\0...: schedule a fault as fault() does. */
static void
do_fault(struct ctl_client *c, const uint8_t *p, size_t len)
{
	struct scn *s = c->s;
	struct fault_spec spec = { .bit = -1 };
	const char *str[32];
	size_t off = 0;
	int n = 0;
	char err[512];

	if (len == 0 || p[len - 1] != '\0') {
		reply_text(c, CTL_FAIL, "malformed fault request");
		return;
	}
	while (off < len && n < 32) {
		str[n++] = (const char *)p + off;
		off += strlen((const char *)p + off) + 1;
	}
	if (n < 2 || off < len) {
		reply_text(c, CTL_FAIL, "fault: need KIND TARGET [KEY=VALUE...]");
		return;
	}
	spec.kind = str[0];
	spec.target = str[1];
	for (int i = 2; i < n; i++) {
		const char *eq = strchr(str[i], '=');
		char *end;
		double v;

		if (eq == NULL) {
			snprintf(err, sizeof(err), "fault: '%s' is not KEY=VALUE", str[i]);
			reply_text(c, CTL_FAIL, err);
			return;
		}
		if (strncmp(str[i], "symbol=", 7) == 0 || strncmp(str[i], "register=", 9) == 0) {
			spec.symbol = eq + 1;
			continue;
		}
		if (strncmp(str[i], "region=", 7) == 0) {
			spec.region = eq + 1;
			continue;
		}
		v = strtod(eq + 1, &end);
		if (*end != '\0' || end == eq + 1) {
			snprintf(err, sizeof(err), "fault: %s: not a number", str[i]);
			reply_text(c, CTL_FAIL, err);
			return;
		}
#define KEY(k) (strncmp(str[i], k "=", sizeof(k)) == 0)
		if (KEY("at"))
			spec.at = v;
		else if (KEY("duration"))
			spec.duration = v;
		else if (KEY("every"))
			spec.every = v;
		else if (KEY("rate"))
			spec.rate = v;
		else if (KEY("count"))
			spec.count = (int)v;
		else if (KEY("offset"))
			spec.offset = (long)v;
		else if (KEY("bit"))
			spec.bit = (int)v;
		else if (KEY("length"))
			spec.length = (int)v;
		else if (KEY("loss") || KEY("delay"))
			spec.value = v;
		else {
			snprintf(err, sizeof(err), "fault: unknown option '%.*s'", (int)(eq - str[i]),
				 str[i]);
			reply_text(c, CTL_FAIL, err);
			return;
		}
#undef KEY
	}
	if (s->faults == NULL || s->phase != SCN_RUNNING) {
		reply_text(c, CTL_FAIL, "fault: the lab is not running");
		return;
	}
	if (fault_schedule(s->faults, &spec, err, sizeof(err)) < 0) {
		reply_text(c, CTL_FAIL, err);
		return;
	}
	reply(c, CTL_OK, NULL, 0);
}

static void
session_output(int fd, const char *p, size_t len, void *arg)
{
	struct ctl_client *c = arg;

	if (!c->closed)
		reply_chunks(c, CTL_OUT, p, len);
}

static void
session_done(const struct agent_exec_result *r, void *arg)
{
	struct ctl_client *c = arg;

	c->session = NULL;
	exec_done(r, arg);   /* CTL_EXIT or CTL_FAIL, and the pending count */
}

static unsigned
get_u16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

/* u16 rows, u16 cols, NODE\0[ARG0\0...] */
static void
do_connect(struct ctl_client *c, const uint8_t *p, size_t len)
{
	struct scn *s = c->s;
	const char *argv[MAX_ARGV + 1], *name;
	struct agent_exec_opts o = { .pty = 1, .stdin_open = 1 };
	struct lab_node *ln;
	struct node *n;
	size_t off;
	int argc = 0, id;
	char msg[160];
	static const char *const env[] = { "TERM=xterm", NULL };

	if (c->session != NULL || len < 6 || p[len - 1] != '\0') {
		reply_text(c, CTL_FAIL, "malformed connect request");
		return;
	}
	o.rows = get_u16(p);
	o.cols = get_u16(p + 2);
	o.env = env;
	name = (const char *)p + 4;
	off = 4 + strlen(name) + 1;
	while (off < len && argc < MAX_ARGV) {
		argv[argc++] = (const char *)p + off;
		off += strlen((const char *)p + off) + 1;
	}
	if (argc == 0) {
		/* A login shell: the user's usual prompt and profile. */
		argv[argc++] = access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh";
		argv[argc++] = "-l";
	}
	argv[argc] = NULL;
	if ((ln = lab_find_node(s->lab, name)) == NULL) {
		snprintf(msg, sizeof(msg), "no node named '%.40s' in lab %s", name, s->lab->name);
		reply_text(c, CTL_FAIL, msg);
		return;
	}
	n = s->rt ? rt_node(s->rt, ln) : NULL;
	if (n == NULL || node_agent(n) == NULL) {
		snprintf(msg, sizeof(msg), "node %s is %s", ln->name,
			 n ? node_state_name(node_state(n)) : "not started");
		reply_text(c, CTL_FAIL, msg);
		return;
	}
	o.output = session_output;
	o.output_arg = c;
	c->pending++;
	id = agent_exec_ex(node_agent(n), argv, &o, session_done, c);
	if (id < 0) {
		c->pending--;
		snprintf(msg, sizeof(msg), "node %s: the agent is not reachable", ln->name);
		reply_text(c, CTL_FAIL, msg);
		return;
	}
	c->session = node_agent(n);
	c->session_id = id;
}

/* The capture's reader went away (or the tap was replaced): end the
 * request, so that `umlab capture` ends too. */
static void
capture_gone(void *arg)
{
	struct ctl_client *c = arg;

	c->tap_port = NULL;
	client_close(c);
}

/* LINK\0 with an fd: stream the link's frames into it as pcap. */
static void
do_capture(struct ctl_client *c, const uint8_t *p, size_t len, int passed)
{
	struct lab_link *k;
	struct lab_plug *g;
	struct lab_uplink *u;
	struct ns_port *port = NULL;
	char msg[256];

	if (passed < 0 || len == 0 || p[len - 1] != '\0') {
		reply_text(c, CTL_FAIL, "malformed capture request (no fd passed?)");
		if (passed >= 0)
			close(passed);
		return;
	}
	/* a link, a plug (the frames of the program on the host) or an
	 * uplink (the frames to and from outside the lab) */
	if ((k = lab_find_link(c->s->lab, (const char *)p)) != NULL)
		port = k->rt;
	else if ((g = lab_find_plug(c->s->lab, (const char *)p)) != NULL)
		port = g->rt;
	else if ((u = lab_find_uplink(c->s->lab, (const char *)p)) != NULL)
		port = u->rt;
	if (port == NULL) {
		snprintf(msg, sizeof(msg), "no open link, plug or uplink named '%.60s' in lab %s",
			 (const char *)p, c->s->lab->name);
		reply_text(c, CTL_FAIL, msg);
		close(passed);
		return;
	}
	reply(c, CTL_OK, NULL, 0);
	if (ns_port_tap(port, passed, capture_gone, c) == 0)
		c->tap_port = port;
}

/* umlab check: each check recorded while the checks() blocks run. */
static void
check_result(void *arg, const struct scn_check *k)
{
	struct ctl_client *c = arg;
	size_t nl = strlen(k->name), dl = k->detail ? strlen(k->detail) : 0;
	char *p;

	if (c->closed)
		return;
	/* One packet: the detail is cut to fit. */
	if (nl > 1024)
		nl = 1024;
	if (dl > CTL_MAX_MSG - 1100)
		dl = CTL_MAX_MSG - 1100;
	p = xcalloc(1, nl + dl + 3);
	p[0] = k->passed ? '1' : '0';
	memcpy(p + 1, k->name, nl);
	if (dl)
		memcpy(p + 2 + nl, k->detail, dl);
	reply(c, CTL_RESULT, p, nl + dl + 3);
	free(p);
}

static void
check_done(void *arg, lua_State *co, int nres)
{
	struct ctl_client *c = arg;
	struct scn *s = c->s;
	const char *err = nres > 0 ? lua_tostring(co, -nres) : NULL;

	s->check_hook = NULL;
	s->check_hook_arg = NULL;
	c->checking = 0;
	c->pending--;
	if (c->closed) {
		if (c->pending == 0)
			client_free(s, c);
		return;
	}
	if (err != NULL)
		reply_text(c, CTL_FAIL, err);
	else
		reply(c, CTL_OK, NULL, 0);
}

/* [WAIT_S]: run the checks() blocks as a task on the lab's Lua state. */
static void
do_check(struct ctl_client *c, const uint8_t *p, size_t len)
{
	struct scn *s = c->s;
	double cap = 10;
	char *end;

	if (len > 0) {
		cap = strtod((const char *)p, &end);
		if (end == (const char *)p || *end != '\0' || !(cap >= 0 && cap <= 3600)) {
			reply_text(c, CTL_FAIL, "check: the wait must be 0..3600 seconds");
			return;
		}
	}
	if (s->phase != SCN_RUNNING || !s->main_done) {
		reply_text(c, CTL_FAIL, "the lab is not running (still starting, or stopping)");
		return;
	}
	if (s->check_hook != NULL) {
		reply_text(c, CTL_FAIL, "another umlab check is running on this lab; try again when it ends");
		return;
	}
	s->check_hook = check_result;
	s->check_hook_arg = c;
	c->checking = 1;
	c->pending++;
	lua_getglobal(s->L, "umlab_checks__");
	lua_pushnumber(s->L, cap);
	scn_task_run(s, 1, check_done, c);
}

static void
on_client(int fd, uint32_t events, void *arg)
{
	struct ctl_client *c = arg;
	uint8_t *buf = xcalloc(1, CTL_MAX_MSG + 2);
	int type, passed;
	long n = ctl_recv_fd(fd, &type, buf, &passed);

	if (n <= 0 && type == 0) {
		free(buf);
		client_close(c);
		return;
	}
	if (passed >= 0 && type != CTL_CAPTURE) {
		close(passed);   /* nobody asked for it */
		passed = -1;
	}
	switch (type) {
	case CTL_STATUS:
		do_status(c);
		break;
	case CTL_EXEC:
		do_exec(c, buf, (size_t)n);
		break;
	case CTL_FAULT:
		do_fault(c, buf, (size_t)n);
		break;
	case CTL_CONNECT:
		do_connect(c, buf, (size_t)n);
		break;
	case CTL_CAPTURE:
		do_capture(c, buf, (size_t)n, passed);
		break;
	case CTL_STDIN:
		if (c->session && n > 0)
			agent_stdin(c->session, c->session_id, buf, (size_t)n);
		else if (c->session)
			agent_kill(c->session, c->session_id, SIGHUP);
		break;
	case CTL_WINSZ:
		if (c->session && n == 4)
			agent_winsize(c->session, c->session_id, get_u16(buf), get_u16(buf + 2));
		break;
	case CTL_CHECK:
		do_check(c, buf, (size_t)n);
		break;
	case CTL_STOP:
		c->wants_stop_ack = 1;
		reply(c, CTL_OK, NULL, 0);
		scn_request_stop(c->s);
		break;
	default:
		reply_text(c, CTL_FAIL, "unknown request");
		break;
	}
	free(buf);
}

static void
on_accept(int fd, uint32_t events, void *arg)
{
	struct scn *s = arg;
	struct ctl_server *srv = s->ctl;
	struct timeval tv = { .tv_sec = 2 };
	struct ctl_client *c;
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	if (cfd < 0)
		return;
	/* A client that stops reading must not stall the lab for long. */
	setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c = xcalloc(1, sizeof(*c));
	c->s = s;
	c->fd = cfd;
	c->next = srv->clients;
	srv->clients = c;
	if (loop_add_fd(s->loop, cfd, EPOLLIN, on_client, c) < 0)
		client_close(c);
}

int
ctl_listen(struct scn *s, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct ctl_server *srv;
	char *dir = ctl_socket_dir();
	int fd, probe;
	mode_t old;

	if (strlen(path) >= sizeof(a.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		free(dir);
		return -1;
	}
	if (mkdir_p(dir, 0700) < 0) {
		snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	free(dir);
	if ((probe = ctl_connect(path)) >= 0) {
		close(probe);
		snprintf(err, errlen, "this lab is already running (control socket %s); "
			 "stop it with umlab stop", path);
		errno = EADDRINUSE;
		return -1;
	}
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	old = umask(0077);   /* owner-only, from the first moment */
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
		umask(old);
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	umask(old);
	srv = xcalloc(1, sizeof(*srv));
	srv->fd = fd;
	srv->path = xstrdup(path);
	s->ctl = srv;
	loop_add_fd(s->loop, fd, EPOLLIN, on_accept, s);
	return 0;
}

void
ctl_close(struct scn *s)
{
	struct ctl_server *srv = s->ctl;

	if (srv == NULL)
		return;
	loop_del_fd(s->loop, srv->fd);
	close(srv->fd);
	unlink(srv->path);
	while (srv->clients) {
		struct ctl_client *c = srv->clients;

		srv->clients = c->next;
		if (c->fd >= 0)
			close(c->fd);   /* a waiting `umlab stop` sees EOF: the lab is down */
		free(c);
	}
	free(srv->path);
	free(srv);
	s->ctl = NULL;
}
