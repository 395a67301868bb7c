/*
 * agent.c - the controller's side of the agent protocol (guest/proto.h).
 *
 * One struct agent per guest: a decoder on the read end of the serial
 * line, an outgoing queue drained on EPOLLOUT, and a list of requests
 * waiting for their EXIT.  Every message from the guest is untrusted: a
 * malformed one breaks the channel, fails what is pending and is reported
 * through ev->error.
 *
 * Callbacks (events and exec results) may call agent_free(): the agent
 * then only marks itself freed and the dispatch that is running frees it
 * on its way out.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/util.h"
#include "guest/proto.h"
#include "node/agent.h"

#define BANNER_MAX	256
#define READS_PER_EVENT	16	/* then let other fds have a turn */
#define PUT_CHUNK	(32 * 1024)	/* file bytes per PUTDATA */

struct obuf {
	char *p;	/* NUL-terminated when non-NULL */
	size_t len, cap;
};

struct req {
	uint32_t id;
	agent_exec_cb cb;
	void *arg;
	struct obuf out, err;
	int truncated;
	int timed_out, detached;
	unsigned mode;
	enum { REQ_EXEC, REQ_PUT, REQ_GET } kind;
	agent_output_cb output;
	void *output_arg;
	int64_t t0;
	struct req *next;
};

struct agent {
	struct loop *loop;
	int rfd, wfd;
	int wfd_armed;		/* wfd registered for EPOLLOUT */
	const struct agent_events *ev;
	void *arg;
	struct proto_decoder *dec;
	uint8_t *q;		/* outgoing bytes not yet written */
	size_t qoff, qlen, qcap;
	size_t inflight;	/* written, not yet acknowledged (<= PROTO_WINDOW) */
	uint32_t next_id;
	uint32_t setup_id;
	struct req *reqs;
	unsigned npending;
	int down;		/* channel broken or closed: no more requests */
	unsigned hellos;	/* agents that said HELLO on this channel */
	int resync;		/* after a reboot, until READY: bytes for the old
				 * agent may still reach the new one (below) */
	int busy;		/* inside a dispatch from the loop */
	int freed;		/* agent_free() called during a dispatch */
};

static void fail_all(struct agent *, const char *);

static void
obuf_free(struct obuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Keep at most AGENT_OUTPUT_MAX bytes; returns 0 when something was dropped. */
static int
obuf_add(struct obuf *b, const uint8_t *p, size_t n)
{
	size_t room, cap;
	char *np;
	int ok = 1;

	room = AGENT_OUTPUT_MAX - b->len;
	if (n > room) {
		n = room;
		ok = 0;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL)
			return 0;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return ok;
}

static struct req *
req_find(struct agent *a, uint32_t id)
{
	struct req *r;

	for (r = a->reqs; r != NULL; r = r->next)
		if (r->id == id)
			return r;
	return NULL;
}

static void
req_unlink(struct agent *a, struct req *r)
{
	struct req **pp;

	for (pp = &a->reqs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			a->npending--;
			return;
		}
	}
}

/* Unlinks before the callback, so the callback may start new requests. */
static void
req_finish(struct agent *a, struct req *r, int status, const char *error)
{
	struct agent_exec_result res;

	req_unlink(a, r);
	memset(&res, 0, sizeof(res));
	res.status = status;
	res.error = error;
	res.out = r->out.p ? r->out.p : "";
	res.out_len = r->out.len;
	res.err = r->err.p ? r->err.p : "";
	res.err_len = r->err.len;
	res.truncated = r->truncated;
	res.timed_out = r->timed_out;
	res.detached = r->detached;
	res.mode = r->mode;
	res.duration_ns = loop_now() - r->t0;
	if (r->cb != NULL)
		r->cb(&res, r->arg);
	obuf_free(&r->out);
	obuf_free(&r->err);
	free(r);
}

static void
fail_all(struct agent *a, const char *why)
{
	while (a->reqs != NULL)
		req_finish(a, a->reqs, -1, why);
}

/* Fail the requests pending now, not those their callbacks start. */
static void
fail_older(struct agent *a, const char *why)
{
	struct req *old = a->reqs, *r;

	a->reqs = NULL;
	a->npending = 0;
	while ((r = old) != NULL) {
		old = r->next;
		r->next = a->reqs;	/* back on the list for req_finish */
		a->reqs = r;
		a->npending++;
		req_finish(a, r, -1, why);
	}
}

static void
unregister(struct agent *a)
{
	if (a->rfd != -1)
		loop_del_fd(a->loop, a->rfd);
	if (a->wfd_armed)
		loop_del_fd(a->loop, a->wfd);
	a->wfd_armed = 0;
}

/* The channel is unusable: stop reading and writing, fail what waits. */
static void __attribute__((format(printf, 2, 3)))
channel_fail(struct agent *a, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (a->down)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	a->down = 1;
	unregister(a);
	a->qoff = a->qlen = 0;
	fail_all(a, msg);
	if (!a->freed && a->ev->error != NULL)
		a->ev->error(a->arg, msg);
}

static void
agent_destroy(struct agent *a)
{
	if (a->rfd != -1)
		close(a->rfd);
	if (a->wfd != -1 && a->wfd != a->rfd)
		close(a->wfd);
	free(a->dec);
	free(a->q);
	free(a);
}

/* --- writing --- */

static void on_writable(int, uint32_t, void *);

/* Watch wfd while there is something to send and the window allows it. */
static int
arm_writer(struct agent *a)
{
	int want = a->qoff < a->qlen && a->inflight < PROTO_WINDOW;

	if (want && !a->wfd_armed) {
		if (loop_add_fd(a->loop, a->wfd, EPOLLOUT, on_writable, a) == -1)
			return -1;
		a->wfd_armed = 1;
	} else if (!want && a->wfd_armed) {
		loop_del_fd(a->loop, a->wfd);
		a->wfd_armed = 0;
	}
	return 0;
}

static void
on_writable(int fd, uint32_t events, void *arg)
{
	struct agent *a = arg;
	size_t len;
	ssize_t n;

	while (a->qoff < a->qlen && a->inflight < PROTO_WINDOW) {
		len = a->qlen - a->qoff;
		if (len > PROTO_WINDOW - a->inflight)
			len = PROTO_WINDOW - a->inflight;
		n = write(a->wfd, a->q + a->qoff, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			a->busy++;
			channel_fail(a, "agent: write: %s", strerror(errno));
			if (--a->busy == 0 && a->freed)
				agent_destroy(a);
			return;
		}
		a->qoff += n;
		a->inflight += n;
	}
	if (a->qoff == a->qlen)
		a->qoff = a->qlen = 0;
	arm_writer(a);
}

/* Queue a message; it is written when the loop says wfd is writable, so
 * callers never see a write error synchronously. */
static int
send_msg(struct agent *a, uint16_t type, uint32_t id, const void *p, size_t len)
{
	size_t need, cap;
	uint8_t *nq;

	if (a->down || len > PROTO_MAX_PAYLOAD)
		return -1;
	if (a->qoff > 0 && a->qoff == a->qlen)
		a->qoff = a->qlen = 0;
	need = a->qlen + PROTO_HDR_LEN + len;
	if (need > a->qcap) {
		if (a->qoff > 0) {
			memmove(a->q, a->q + a->qoff, a->qlen - a->qoff);
			a->qlen -= a->qoff;
			a->qoff = 0;
			need = a->qlen + PROTO_HDR_LEN + len;
		}
		cap = a->qcap ? a->qcap : 4096;
		while (cap < need)
			cap *= 2;
		if (cap > a->qcap) {
			if ((nq = realloc(a->q, cap)) == NULL)
				return -1;
			a->q = nq;
			a->qcap = cap;
		}
	}
	proto_encode_hdr(a->q + a->qlen, type, id, (uint32_t)len);
	if (len > 0)
		memcpy(a->q + a->qlen + PROTO_HDR_LEN, p, len);
	a->qlen += PROTO_HDR_LEN + len;
	return arm_writer(a);
}

static uint32_t
new_id(struct agent *a)
{
	uint32_t id;

	do {
		id = a->next_id++;
		if (a->next_id > 0x7fffffffu)	/* ids fit the int we return */
			a->next_id = 1;
	} while (id == 0 || req_find(a, id) != NULL);
	return id;
}

/* --- reading --- */

/* Copy text into a NUL-terminated buffer of at most max bytes. */
static void
text_copy(char *dst, size_t max, const uint8_t *p, size_t len)
{
	if (len >= max)
		len = max - 1;
	memcpy(dst, p, len);
	dst[len] = '\0';
}

/* Returns -1 when the message broke the channel. */
static int
dispatch(struct agent *a, const struct proto_msg *m)
{
	struct req *r;
	char *text;
	int dropped;

	switch (m->type) {
	case PROTO_HELLO: {
		char banner[BANNER_MAX];

		if (m->len < 4) {
			channel_fail(a, "agent: HELLO of %u bytes, need 4", m->len);
			return -1;
		}
		text_copy(banner, sizeof(banner), m->payload + 4, m->len - 4);
		if (a->hellos++ > 0) {
			/* A new agent on the same channel: the guest rebooted
			 * (UML re-execs itself and the serial line's fds
			 * survive).  What was queued or in flight was for the
			 * old one.  Until READY, the new agent may still read
			 * and answer requests the old one never took (they
			 * were in the line): their replies and ACKs are
			 * ignored, not taken as a broken channel. */
			a->qoff = a->qlen = 0;
			a->inflight = 0;
			a->resync = 1;
		}
		if (a->ev->hello != NULL)
			a->ev->hello(a->arg, proto_get_u32(m->payload), banner);
		/* after the hello handler queued the new agent's setup, so
		 * that requests the callbacks make come after it; and only
		 * the requests of before: new ones are the new agent's */
		if (a->hellos > 1)
			fail_older(a, "the node rebooted");
		return 0;
	}
	case PROTO_READY:
		a->resync = 0;
		if ((text = malloc(m->len + 1)) == NULL)
			return 0;
		text_copy(text, m->len + 1, m->payload, m->len);
		if (a->ev->ready != NULL)
			a->ev->ready(a->arg, text);
		free(text);
		return 0;
	case PROTO_STDOUT:
	case PROTO_STDERR:
		if ((r = req_find(a, m->id)) == NULL && a->resync)
			return 0;	/* a request of before the reboot */
		if (r == NULL) {
			channel_fail(a, "agent: %s for unknown request %u",
			    proto_type_name(m->type), m->id);
			return -1;
		}
		if (r->kind != REQ_EXEC) {
			channel_fail(a, "agent: %s for a file transfer (%u)",
			    proto_type_name(m->type), m->id);
			return -1;
		}
		if (r->output != NULL) {
			r->output(m->type == PROTO_STDOUT ? 1 : 2, (const char *)m->payload,
			    m->len, r->output_arg);
			return 0;
		}
		dropped = !obuf_add(m->type == PROTO_STDOUT ? &r->out : &r->err,
		    m->payload, m->len);
		r->truncated |= dropped;
		return 0;
	case PROTO_EXIT:
		/* i32 status, then optional u32 flags (newer guests). */
		if (m->len != 4 && m->len != 8) {
			channel_fail(a, "agent: EXIT of %u bytes, need 4 or 8", m->len);
			return -1;
		}
		if ((r = req_find(a, m->id)) == NULL && a->resync)
			return 0;	/* a request of before the reboot */
		if (r == NULL || r->kind != REQ_EXEC) {
			channel_fail(a, "agent: EXIT for unknown request %u", m->id);
			return -1;
		}
		if (m->len == 8) {
			uint32_t fl = proto_get_u32(m->payload + 4);

			r->timed_out = !!(fl & PROTO_EXIT_TIMEOUT);
			r->detached = !!(fl & PROTO_EXIT_DETACHED);
		}
		req_finish(a, r, (int)proto_get_u32(m->payload), NULL);
		return 0;
	case PROTO_FILE:
	case PROTO_GETDATA:
	case PROTO_DONE:
		if ((r = req_find(a, m->id)) == NULL && a->resync)
			return 0;	/* a request of before the reboot */
		if (r == NULL || r->kind == REQ_EXEC ||
		    (m->type != PROTO_DONE && r->kind != REQ_GET)) {
			channel_fail(a, "agent: %s for unknown transfer %u",
			    proto_type_name(m->type), m->id);
			return -1;
		}
		if (m->type == PROTO_FILE) {
			if (m->len != 12) {
				channel_fail(a, "agent: FILE of %u bytes, need 12", m->len);
				return -1;
			}
			r->mode = proto_get_u32(m->payload) & 07777;
		} else if (m->type == PROTO_GETDATA) {
			r->truncated |= !obuf_add(&r->out, m->payload, m->len);
		} else {
			req_finish(a, r, 0, r->truncated ? "file larger than 16 MiB" : NULL);
		}
		return 0;
	case PROTO_ERROR:
		if ((text = malloc(m->len + 32)) == NULL)
			return 0;
		text_copy(text, m->len + 1, m->payload, m->len);
		if (m->id != 0 && (r = req_find(a, m->id)) != NULL) {
			req_finish(a, r, -1, text);
		} else if (m->id != 0 && m->id == a->setup_id) {
			if (a->ev->error != NULL) {
				char msg[512];

				snprintf(msg, sizeof(msg), "agent: setup: %s", text);
				a->ev->error(a->arg, msg);
			}
		} else if (a->ev->log != NULL) {
			/* Late or global complaints (e.g. stdin after exit). */
			a->ev->log(a->arg, text, strlen(text));
		}
		free(text);
		return 0;
	case PROTO_ACK: {
		uint32_t n;

		if (m->len != 4) {
			channel_fail(a, "agent: ACK of %u bytes, need 4", m->len);
			return -1;
		}
		n = proto_get_u32(m->payload);
		if (n > a->inflight && a->resync)
			n = (uint32_t)a->inflight;	/* it counts bytes of before */
		if (n > a->inflight) {
			channel_fail(a, "agent: ACK of %u bytes, only %zu in flight",
			    n, a->inflight);
			return -1;
		}
		a->inflight -= n;
		arm_writer(a);
		return 0;
	}
	case PROTO_LOG:
		if (a->ev->log != NULL)
			a->ev->log(a->arg, (const char *)m->payload, m->len);
		return 0;
	default:
		channel_fail(a, "agent: message type %s (%u) not expected from the guest",
		    proto_type_name(m->type), m->type);
		return -1;
	}
}

static void
on_readable(int fd, uint32_t events, void *arg)
{
	struct agent *a = arg;
	struct proto_msg m;
	uint8_t *space;
	size_t room;
	ssize_t n;
	int i, r;

	a->busy++;
	for (i = 0; i < READS_PER_EVENT && !a->down && !a->freed; i++) {
		space = proto_decoder_space(a->dec, &room);
		n = read(a->rfd, space, room);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n == -1) {
			channel_fail(a, "agent: read: %s", strerror(errno));
			break;
		}
		if (n == 0) {
			channel_fail(a, "agent: guest closed the channel");
			break;
		}
		proto_decoder_commit(a->dec, n);
		while (!a->down && !a->freed &&
		    (r = proto_decoder_next(a->dec, &m)) != 0) {
			if (r == -1) {
				channel_fail(a, "agent: %s", a->dec->errmsg);
				break;
			}
			if (dispatch(a, &m) == -1)
				break;
		}
	}
	if (--a->busy == 0 && a->freed)
		agent_destroy(a);
}

/* --- the interface --- */

struct agent *
agent_new(struct loop *l, int rfd, int wfd, const struct agent_events *ev, void *arg)
{
	struct agent *a;

	if (rfd == wfd) {
		errno = EINVAL;	/* one loop registration per fd */
		return NULL;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->loop = l;
	a->rfd = rfd;
	a->wfd = wfd;
	a->ev = ev;
	a->arg = arg;
	a->next_id = 1;
	if ((a->dec = malloc(sizeof(*a->dec))) == NULL)
		goto fail;
	proto_decoder_init(a->dec);
	if (set_nonblock(rfd) == -1 || set_nonblock(wfd) == -1)
		goto fail;
	if (loop_add_fd(l, rfd, EPOLLIN, on_readable, a) == -1)
		goto fail;
	return a;
fail:
	/* The caller keeps its fds when we fail. */
	free(a->dec);
	free(a);
	return NULL;
}

void
agent_free(struct agent *a)
{
	if (a == NULL || a->freed)
		return;
	a->freed = 1;
	a->down = 1;
	unregister(a);
	a->busy++;
	fail_all(a, "agent closed");
	if (--a->busy == 0)
		agent_destroy(a);
}

int
agent_setup(struct agent *a, const char *text)
{
	uint32_t id = new_id(a);

	if (send_msg(a, PROTO_SETUP, id, text, strlen(text)) == -1)
		return -1;
	a->setup_id = id;
	return 0;
}

static struct req *
req_new(struct agent *a, int kind, agent_exec_cb cb, void *arg)
{
	struct req *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->id = new_id(a);
	r->kind = kind;
	r->cb = cb;
	r->arg = arg;
	r->t0 = loop_now();
	return r;
}

static void
req_link(struct agent *a, struct req *r)
{
	r->next = a->reqs;
	a->reqs = r;
	a->npending++;
}

/* Appends NUL-terminated strings to a growing buffer; -1 past the limit. */
static int
put_str(uint8_t *p, size_t *len, const char *s)
{
	size_t n = strlen(s) + 1;

	if (*len + n > PROTO_MAX_PAYLOAD) {
		errno = E2BIG;
		return -1;
	}
	if (p != NULL)
		memcpy(p + *len, s, n);
	*len += n;
	return 0;
}

/* EXEC (argv only) when there are no options, else EXECX; two passes:
 * measure, then fill. */
static uint8_t *
encode_exec(const char *const argv[], const struct agent_exec_opts *o, size_t *lenp)
{
	uint8_t *p = NULL;
	size_t len;
	uint32_t argc = 0, envc = 0;
	int pass, i;

	for (pass = 0; pass < 2; pass++) {
		len = o ? PROTO_EXECX_FIXED : 0;
		if (o != NULL && put_str(p, &len, o->cwd ? o->cwd : "") == -1)
			goto fail;
		for (i = 0; argv[i] != NULL; i++)
			if (put_str(p, &len, argv[i]) == -1)
				goto fail;
		argc = (uint32_t)i;
		for (i = 0; o != NULL && o->env != NULL && o->env[i] != NULL; i++) {
			if (strchr(o->env[i], '=') == NULL || o->env[i][0] == '=') {
				errno = EINVAL;
				goto fail;
			}
			if (put_str(p, &len, o->env[i]) == -1)
				goto fail;
		}
		envc = (uint32_t)i;
		if (pass == 0 && (p = malloc(len)) == NULL)
			return NULL;
	}
	if (o != NULL) {
		proto_put_u32(p, o->pty ? PROTO_EXECX_PTY : 0);
		proto_put_u32(p + 4, o->timeout_ms);
		proto_put_u16(p + 8, (uint16_t)(o->rows > 0xffff ? 0xffff : o->rows));
		proto_put_u16(p + 10, (uint16_t)(o->cols > 0xffff ? 0xffff : o->cols));
		proto_put_u32(p + 12, argc);
		proto_put_u32(p + 16, envc);
	}
	*lenp = len;
	return p;
fail:
	free(p);
	return NULL;
}

/* Bytes in chunks of at most PUT_CHUNK; the window takes care of pacing. */
static int
send_chunks(struct agent *a, uint16_t type, uint32_t id, const uint8_t *p, size_t len)
{
	size_t n;

	while (len > 0) {
		n = len < PUT_CHUNK ? len : PUT_CHUNK;
		if (send_msg(a, type, id, p, n) == -1)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int
agent_exec_ex(struct agent *a, const char *const argv[], const struct agent_exec_opts *o,
	      agent_exec_cb cb, void *arg)
{
	struct req *r;
	uint8_t *p;
	size_t len;
	int plain = o == NULL || (o->env == NULL && o->cwd == NULL && !o->timeout_ms && !o->pty);

	if (a->down || argv == NULL || argv[0] == NULL)
		return -1;
	if ((p = encode_exec(argv, plain ? NULL : o, &len)) == NULL)
		return -1;
	if ((r = req_new(a, REQ_EXEC, cb, arg)) == NULL) {
		free(p);
		return -1;
	}
	if (o != NULL) {
		r->output = o->output;
		r->output_arg = o->output_arg;
	}
	if (send_msg(a, plain ? PROTO_EXEC : PROTO_EXECX, r->id, p, len) == -1 ||
	    (o != NULL && send_chunks(a, PROTO_STDIN, r->id, o->stdin_data, o->stdin_len) == -1) ||
	    ((o == NULL || !o->stdin_open) && send_msg(a, PROTO_STDIN, r->id, NULL, 0) == -1)) {
		free(p);
		free(r);
		return -1;
	}
	free(p);
	req_link(a, r);
	return (int)r->id;
}

int
agent_exec(struct agent *a, const char *const argv[], agent_exec_cb cb, void *arg)
{
	return agent_exec_ex(a, argv, NULL, cb, arg);
}

static struct req *
exec_req(struct agent *a, int id)
{
	struct req *r;

	if (a->down || id <= 0 || (r = req_find(a, (uint32_t)id)) == NULL || r->kind != REQ_EXEC)
		return NULL;
	return r;
}

int
agent_stdin(struct agent *a, int id, const void *p, size_t len)
{
	if (exec_req(a, id) == NULL)
		return -1;
	if (len == 0)
		return send_msg(a, PROTO_STDIN, (uint32_t)id, NULL, 0);
	return send_chunks(a, PROTO_STDIN, (uint32_t)id, p, len);
}

int
agent_winsize(struct agent *a, int id, unsigned rows, unsigned cols)
{
	uint8_t p[4];

	if (exec_req(a, id) == NULL)
		return -1;
	proto_put_u16(p, (uint16_t)(rows > 0xffff ? 0xffff : rows));
	proto_put_u16(p + 2, (uint16_t)(cols > 0xffff ? 0xffff : cols));
	return send_msg(a, PROTO_WINSZ, (uint32_t)id, p, sizeof(p));
}

int
agent_kill(struct agent *a, int id, int sig)
{
	uint8_t p[4];

	if (exec_req(a, id) == NULL || sig <= 0 || sig > 64)
		return -1;
	proto_put_u32(p, (uint32_t)sig);
	return send_msg(a, PROTO_KILL, (uint32_t)id, p, sizeof(p));
}

static int
path_ok(const char *path)
{
	if (path == NULL || path[0] == '\0' || strlen(path) > PROTO_PATH_MAX) {
		errno = EINVAL;
		return 0;
	}
	return 1;
}

int
agent_put(struct agent *a, const char *path, unsigned mode, const void *data, size_t len,
	  agent_exec_cb cb, void *arg)
{
	uint8_t hdr[4 + PROTO_PATH_MAX + 1];
	size_t plen;
	struct req *r;

	if (a->down || !path_ok(path))
		return -1;
	plen = strlen(path) + 1;
	proto_put_u32(hdr, mode & 07777);
	memcpy(hdr + 4, path, plen);
	if ((r = req_new(a, REQ_PUT, cb, arg)) == NULL)
		return -1;
	if (send_msg(a, PROTO_PUT, r->id, hdr, 4 + plen) == -1 ||
	    send_chunks(a, PROTO_PUTDATA, r->id, data, len) == -1 ||
	    send_msg(a, PROTO_PUTDATA, r->id, NULL, 0) == -1) {
		free(r);
		return -1;
	}
	req_link(a, r);
	return (int)r->id;
}

int
agent_get(struct agent *a, const char *path, agent_exec_cb cb, void *arg)
{
	struct req *r;

	if (a->down || !path_ok(path))
		return -1;
	if ((r = req_new(a, REQ_GET, cb, arg)) == NULL)
		return -1;
	if (send_msg(a, PROTO_GET, r->id, path, strlen(path) + 1) == -1) {
		free(r);
		return -1;
	}
	req_link(a, r);
	return (int)r->id;
}

int
agent_poweroff(struct agent *a)
{
	return send_msg(a, PROTO_POWEROFF, 0, NULL, 0);
}

unsigned
agent_pending(const struct agent *a)
{
	return a->npending;
}
