/*
 * test_agent.c - node/agent.c against a fake guest on two pipes, inside
 * a real event loop.  The test plays the guest: it reads what the agent
 * wrote and answers by hand, byte for byte as umlab-init would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/loop.h"
#include "guest/proto.h"
#include "node/agent.h"

struct fx {
	struct loop *loop;
	struct agent *agent;
	int guest_r;		/* what the agent sends */
	int guest_w;		/* what the agent receives */
	struct proto_decoder dec;
	/* events seen */
	int hellos, readies, errors, logs;
	uint32_t version;
	char banner[64], info[128], error[256];
	int free_on_error;
};

struct result {
	int done;
	int status;
	char error[256];
	int has_error;
	char out[256], err[256];
	size_t out_len, err_len;
	int64_t duration_ns;
	int truncated;
};

static void
on_hello(void *arg, uint32_t version, const char *banner)
{
	struct fx *f = arg;

	f->hellos++;
	f->version = version;
	snprintf(f->banner, sizeof(f->banner), "%s", banner);
}

static void
on_ready(void *arg, const char *info)
{
	struct fx *f = arg;

	f->readies++;
	snprintf(f->info, sizeof(f->info), "%s", info);
}

static void
on_error(void *arg, const char *msg)
{
	struct fx *f = arg;

	f->errors++;
	snprintf(f->error, sizeof(f->error), "%s", msg);
	if (f->free_on_error) {
		agent_free(f->agent);
		f->agent = NULL;
	}
}

static void
on_log(void *arg, const char *text, size_t len)
{
	struct fx *f = arg;

	f->logs++;
}

static const struct agent_events events = {
	on_hello, on_ready, on_error, on_log,
};

static void
on_result(const struct agent_exec_result *r, void *arg)
{
	struct result *res = arg;

	res->done++;
	res->status = r->status;
	res->has_error = r->error != NULL;
	if (r->error != NULL)
		snprintf(res->error, sizeof(res->error), "%s", r->error);
	assert_non_null(r->out);
	assert_non_null(r->err);
	assert_true(r->out_len < sizeof(res->out));
	memcpy(res->out, r->out, r->out_len + 1);
	memcpy(res->err, r->err, r->err_len + 1);
	res->out_len = r->out_len;
	res->err_len = r->err_len;
	res->duration_ns = r->duration_ns;
	res->truncated = r->truncated;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int to_guest[2], from_guest[2];

	assert_non_null(f);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(to_guest), 0);
	assert_int_equal(pipe(from_guest), 0);
	f->loop = loop_new();
	assert_non_null(f->loop);
	f->agent = agent_new(f->loop, from_guest[0], to_guest[1], &events, f);
	assert_non_null(f->agent);
	f->guest_r = to_guest[0];
	fcntl(f->guest_r, F_SETFL, O_NONBLOCK);
	f->guest_w = from_guest[1];
	proto_decoder_init(&f->dec);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	if (f->agent != NULL)
		agent_free(f->agent);
	loop_free(f->loop);
	close(f->guest_r);
	if (f->guest_w != -1)
		close(f->guest_w);
	free(f);
	return 0;
}

/* Run the loop until *flag becomes nonzero (at most 2 s). */
static void
run_until(struct fx *f, const int *flag)
{
	int64_t end = loop_now() + 2 * LOOP_NS_PER_S;

	while (!*flag && loop_now() < end)
		loop_run_once(f->loop, 50);
	assert_true(*flag);
}

static void
guest_send(struct fx *f, uint16_t type, uint32_t id, const void *p, size_t len)
{
	uint8_t hdr[PROTO_HDR_LEN];

	assert_int_equal(proto_encode_hdr(hdr, type, id, len), 0);
	assert_int_equal(write(f->guest_w, hdr, sizeof(hdr)), sizeof(hdr));
	if (len > 0)
		assert_int_equal(write(f->guest_w, p, len), (ssize_t)len);
}

static void
guest_exit(struct fx *f, uint32_t id, int status)
{
	uint8_t st[4];

	proto_put_u32(st, (uint32_t)status);
	guest_send(f, PROTO_EXIT, id, st, 4);
}

/* Let the agent write, then read one message as the guest. */
static void
guest_recv(struct fx *f, struct proto_msg *m, uint16_t want)
{
	int64_t end = loop_now() + 2 * LOOP_NS_PER_S;
	uint8_t *space;
	size_t room;
	ssize_t n;
	int r;

	while ((r = proto_decoder_next(&f->dec, m)) == 0) {
		assert_true(loop_now() < end);
		loop_run_once(f->loop, 10);
		space = proto_decoder_space(&f->dec, &room);
		n = read(f->guest_r, space, room);
		if (n > 0) {
			uint8_t ack[4];

			/* as umlab-init does: acknowledge every read */
			proto_decoder_commit(&f->dec, n);
			proto_put_u32(ack, (uint32_t)n);
			guest_send(f, PROTO_ACK, 0, ack, sizeof(ack));
		}
	}
	assert_int_equal(r, 1);
	assert_int_equal(m->type, want);
}

/* Read EXEC and the STDIN EOF that follows it; returns the id. */
static uint32_t
guest_recv_exec(struct fx *f, const char *argv0)
{
	struct proto_msg m;
	uint32_t id;

	guest_recv(f, &m, PROTO_EXEC);
	id = m.id;
	assert_true(id > 0);
	assert_string_equal((const char *)m.payload, argv0);
	assert_int_equal(m.payload[m.len - 1], '\0');
	guest_recv(f, &m, PROTO_STDIN);
	assert_int_equal(m.id, id);
	assert_int_equal(m.len, 0);
	return id;
}

static void
test_hello_setup_ready(void **state)
{
	struct fx *f = *state;
	struct proto_msg m;
	uint8_t hello[4 + 6];

	proto_put_u32(hello, PROTO_VERSION);
	memcpy(hello + 4, "banner", 6);
	guest_send(f, PROTO_HELLO, 0, hello, sizeof(hello));
	run_until(f, &f->hellos);
	assert_int_equal(f->version, PROTO_VERSION);
	assert_string_equal(f->banner, "banner");

	assert_int_equal(agent_setup(f->agent, "hostname r1\niface eth0 10.0.0.1/24\n"), 0);
	guest_recv(f, &m, PROTO_SETUP);
	assert_int_equal(m.len, strlen("hostname r1\niface eth0 10.0.0.1/24\n"));
	assert_memory_equal(m.payload, "hostname r1\n", 12);
	guest_send(f, PROTO_READY, m.id, "boot_ms 120\n", 12);
	run_until(f, &f->readies);
	assert_string_equal(f->info, "boot_ms 120\n");
	assert_int_equal(f->errors, 0);
}

static void
test_setup_error(void **state)
{
	struct fx *f = *state;
	struct proto_msg m;
	const char *why = "setup line 1: unknown directive bogus";
	struct result res = { 0 };

	assert_int_equal(agent_setup(f->agent, "bogus\n"), 0);
	guest_recv(f, &m, PROTO_SETUP);
	guest_send(f, PROTO_ERROR, m.id, why, strlen(why));
	run_until(f, &f->errors);
	assert_string_equal(f->error, "agent: setup: setup line 1: unknown directive bogus");
	/* a setup error does not break the channel */
	assert_true(agent_exec(f->agent, (const char *[]){ "true", NULL }, on_result, &res) > 0);
	agent_free(f->agent);	/* res lives on this stack */
	f->agent = NULL;
	assert_int_equal(res.done, 1);
}

static void
test_exec_round_trip(void **state)
{
	struct fx *f = *state;
	struct result res = { 0 };
	const char *argv[] = { "sh", "-c", "echo hi; echo warn >&2; exit 3", NULL };
	struct proto_msg m;
	int id;

	id = agent_exec(f->agent, argv, on_result, &res);
	assert_true(id > 0);
	assert_int_equal(agent_pending(f->agent), 1);
	guest_recv(f, &m, PROTO_EXEC);
	assert_int_equal(m.id, (uint32_t)id);
	assert_int_equal(m.len, 3 + 3 + strlen(argv[2]) + 1);
	assert_memory_equal(m.payload, "sh\0-c\0echo", 10);
	guest_recv(f, &m, PROTO_STDIN);
	assert_int_equal(m.len, 0);

	guest_send(f, PROTO_STDOUT, id, "h", 1);
	guest_send(f, PROTO_STDERR, id, "warn\n", 5);
	guest_send(f, PROTO_STDOUT, id, "i\n", 2);
	guest_exit(f, id, 3 << 8);
	run_until(f, &res.done);
	assert_int_equal(res.done, 1);
	assert_false(res.has_error);
	assert_true(WIFEXITED(res.status));
	assert_int_equal(WEXITSTATUS(res.status), 3);
	assert_string_equal(res.out, "hi\n");
	assert_int_equal(res.out_len, 3);
	assert_string_equal(res.err, "warn\n");
	assert_true(res.duration_ns > 0);
	assert_false(res.truncated);
	assert_int_equal(agent_pending(f->agent), 0);
}

static void
test_two_execs_interleaved(void **state)
{
	struct fx *f = *state;
	struct result a = { 0 }, b = { 0 };
	uint32_t ia, ib;

	assert_true(agent_exec(f->agent, (const char *[]){ "a", NULL }, on_result, &a) > 0);
	assert_true(agent_exec(f->agent, (const char *[]){ "b", "x", NULL }, on_result, &b) > 0);
	assert_int_equal(agent_pending(f->agent), 2);
	ia = guest_recv_exec(f, "a");
	ib = guest_recv_exec(f, "b");
	assert_int_not_equal(ia, ib);

	guest_send(f, PROTO_STDOUT, ia, "A1", 2);
	guest_send(f, PROTO_STDOUT, ib, "B1", 2);
	guest_send(f, PROTO_STDOUT, ia, "A2", 2);
	guest_send(f, PROTO_STDERR, ib, "Be", 2);
	guest_exit(f, ib, 0);
	run_until(f, &b.done);
	assert_int_equal(a.done, 0);
	assert_string_equal(b.out, "B1");
	assert_string_equal(b.err, "Be");
	assert_int_equal(agent_pending(f->agent), 1);

	guest_send(f, PROTO_STDOUT, ia, "A3", 2);
	guest_exit(f, ia, 1 << 8);
	run_until(f, &a.done);
	assert_string_equal(a.out, "A1A2A3");
	assert_int_equal(a.err_len, 0);
	assert_int_equal(WEXITSTATUS(a.status), 1);
	assert_int_equal(agent_pending(f->agent), 0);
}

static void
test_exec_error_from_guest(void **state)
{
	struct fx *f = *state;
	struct result res = { 0 };
	const char *why = "exec: fork: Cannot allocate memory";
	uint32_t id;

	assert_true(agent_exec(f->agent, (const char *[]){ "x", NULL }, on_result, &res) > 0);
	id = guest_recv_exec(f, "x");
	guest_send(f, PROTO_ERROR, id, why, strlen(why));
	run_until(f, &res.done);
	assert_true(res.has_error);
	assert_string_equal(res.error, why);
	assert_int_equal(f->errors, 0);
}

static void
test_oversized_fails_pending(void **state)
{
	struct fx *f = *state;
	struct result res = { 0 };
	uint8_t hdr[PROTO_HDR_LEN];
	uint32_t id;

	assert_true(agent_exec(f->agent, (const char *[]){ "cat", NULL }, on_result, &res) > 0);
	id = guest_recv_exec(f, "cat");
	/* a forged header, no payload behind it: judged from the header */
	proto_encode_hdr(hdr, PROTO_STDOUT, id, 0);
	proto_put_u32(hdr + 8, 70000);
	assert_int_equal(write(f->guest_w, hdr, sizeof(hdr)), sizeof(hdr));
	run_until(f, &f->errors);
	assert_string_equal(f->error, "agent: payload 70000 bytes exceeds limit 65536");
	assert_int_equal(res.done, 1);
	assert_true(res.has_error);
	assert_int_equal(agent_pending(f->agent), 0);
	/* the channel is down: no more requests */
	assert_int_equal(agent_exec(f->agent, (const char *[]){ "true", NULL }, on_result, &res), -1);
	assert_int_equal(agent_setup(f->agent, "hostname x\n"), -1);
}

static void
test_unknown_type(void **state)
{
	struct fx *f = *state;

	guest_send(f, 99, 0, NULL, 0);
	run_until(f, &f->errors);
	assert_string_equal(f->error, "agent: message type 99 unknown");
}

static void
test_exit_unknown_id(void **state)
{
	struct fx *f = *state;

	guest_exit(f, 42, 0);
	run_until(f, &f->errors);
	assert_string_equal(f->error, "agent: EXIT for unknown request 42");
}

/*
 * A second HELLO is the guest rebooting itself: pending requests end with
 * "the node rebooted"; until READY, replies and ACKs meant for the old
 * agent are ignored instead of breaking the channel; after READY a
 * stranger's reply is an error again.
 */
static void
test_second_hello_is_a_reboot(void **state)
{
	struct fx *f = *state;
	struct result res = { 0 };
	struct proto_msg m;
	uint8_t hello[4], ack[4];
	uint32_t id;

	proto_put_u32(hello, PROTO_VERSION);
	guest_send(f, PROTO_HELLO, 0, hello, sizeof(hello));
	run_until(f, &f->hellos);
	assert_true(agent_exec(f->agent, (const char *[]){ "sleep", "9", NULL }, on_result, &res) > 0);
	id = guest_recv_exec(f, "sleep");

	guest_send(f, PROTO_HELLO, 0, hello, sizeof(hello));
	run_until(f, &res.done);
	assert_int_equal(f->hellos, 2);
	assert_true(res.has_error);
	assert_string_equal(res.error, "the node rebooted");

	guest_send(f, PROTO_STDOUT, id, "late", 4);
	guest_exit(f, id, 0);
	proto_put_u32(ack, 4096);
	guest_send(f, PROTO_ACK, 0, ack, sizeof(ack));
	assert_int_equal(agent_setup(f->agent, "hostname r1\n"), 0);
	guest_recv(f, &m, PROTO_SETUP);
	guest_send(f, PROTO_READY, m.id, "boot_ms 1\n", 10);
	run_until(f, &f->readies);
	assert_int_equal(f->errors, 0);

	guest_exit(f, id, 0);
	run_until(f, &f->errors);
	assert_non_null(strstr(f->error, "EXIT for unknown request"));
}

static void
test_eof_fails_pending(void **state)
{
	struct fx *f = *state;
	struct result res = { 0 };

	assert_true(agent_exec(f->agent, (const char *[]){ "sleep", "9", NULL }, on_result, &res) > 0);
	guest_recv_exec(f, "sleep");
	close(f->guest_w);
	f->guest_w = -1;
	run_until(f, &f->errors);
	assert_string_equal(f->error, "agent: guest closed the channel");
	assert_int_equal(res.done, 1);
	assert_true(res.has_error);
	assert_string_equal(res.error, "agent: guest closed the channel");
}

static void
test_free_in_error_callback(void **state)
{
	struct fx *f = *state;
	struct result res = { 0 };

	/* the node frees its agent from the error callback: must be safe */
	f->free_on_error = 1;
	assert_true(agent_exec(f->agent, (const char *[]){ "x", NULL }, on_result, &res) > 0);
	guest_recv_exec(f, "x");
	guest_send(f, PROTO_SETUP, 0, NULL, 0);	/* wrong direction */
	run_until(f, &f->errors);
	assert_null(f->agent);
	assert_int_equal(res.done, 1);
	assert_non_null(strstr(f->error, "SETUP"));
}

static void
test_free_fails_pending(void **state)
{
	struct fx *f = *state;
	struct result res = { 0 };

	assert_true(agent_exec(f->agent, (const char *[]){ "x", NULL }, on_result, &res) > 0);
	agent_free(f->agent);
	f->agent = NULL;
	assert_int_equal(res.done, 1);
	assert_string_equal(res.error, "agent closed");
}

static void
test_window(void **state)
{
	struct fx *f = *state;
	struct result res = { 0 };
	struct proto_msg m;
	static char big[10000];
	uint8_t buf[8192];
	ssize_t n, total = 0;
	int i;

	memset(big, 'x', sizeof(big) - 1);
	assert_true(agent_exec(f->agent, (const char *[]){ "echo", big, NULL }, on_result, &res) > 0);
	/* no ACK: the agent stops at the window, however long we wait */
	for (i = 0; i < 5; i++) {
		loop_run_once(f->loop, 10);
		while ((n = read(f->guest_r, buf, sizeof(buf))) > 0) {
			total += n;
			proto_decoder_feed(&f->dec, buf, n);
		}
	}
	assert_int_equal(total, PROTO_WINDOW);
	/* acknowledge it; guest_recv acknowledges the rest */
	proto_put_u32(buf, (uint32_t)total);
	guest_send(f, PROTO_ACK, 0, buf, 4);
	guest_recv(f, &m, PROTO_EXEC);
	assert_int_equal(m.len, 5 + sizeof(big));
	guest_recv(f, &m, PROTO_STDIN);
	guest_exit(f, m.id, 0);
	run_until(f, &res.done);
	assert_false(res.has_error);
}

static void
test_bad_ack(void **state)
{
	struct fx *f = *state;
	uint8_t ack[4];

	proto_put_u32(ack, 100);
	guest_send(f, PROTO_ACK, 0, ack, 4);
	run_until(f, &f->errors);
	assert_string_equal(f->error, "agent: ACK of 100 bytes, only 0 in flight");
}

static void
test_poweroff(void **state)
{
	struct fx *f = *state;
	struct proto_msg m;

	assert_int_equal(agent_poweroff(f->agent), 0);
	guest_recv(f, &m, PROTO_POWEROFF);
	assert_int_equal(m.len, 0);
}

/* --- exec options, files --- */

struct result2 {
	int done, status, has_error, timed_out, detached;
	unsigned mode;
	char error[256];
	char out[70000];
	size_t out_len;
};

static void
on_result2(const struct agent_exec_result *r, void *arg)
{
	struct result2 *res = arg;

	res->done++;
	res->status = r->status;
	res->has_error = r->error != NULL;
	if (r->error != NULL)
		snprintf(res->error, sizeof(res->error), "%s", r->error);
	res->timed_out = r->timed_out;
	res->detached = r->detached;
	res->mode = r->mode;
	assert_true(r->out_len < sizeof(res->out));
	memcpy(res->out, r->out, r->out_len);
	res->out_len = r->out_len;
}

static void
test_exec_ex_encoding(void **state)
{
	struct fx *f = *state;
	static struct result2 res;
	const char *argv[] = { "sh", "-c", "cat", NULL };
	const char *env[] = { "A=1", "B=two", NULL };
	struct agent_exec_opts o = { 0 };
	struct proto_msg m;
	const char *p;
	int id;

	memset(&res, 0, sizeof(res));
	o.env = env;
	o.cwd = "/etc";
	o.stdin_data = "in";
	o.stdin_len = 2;
	o.timeout_ms = 1500;
	id = agent_exec_ex(f->agent, argv, &o, on_result2, &res);
	assert_true(id > 0);
	guest_recv(f, &m, PROTO_EXECX);
	assert_int_equal(m.id, (uint32_t)id);
	assert_int_equal(proto_get_u32(m.payload), 0);		/* flags */
	assert_int_equal(proto_get_u32(m.payload + 4), 1500);	/* timeout */
	assert_int_equal(proto_get_u32(m.payload + 12), 3);	/* argc */
	assert_int_equal(proto_get_u32(m.payload + 16), 2);	/* envc */
	p = (const char *)m.payload + PROTO_EXECX_FIXED;
	assert_int_equal(m.len, PROTO_EXECX_FIXED + sizeof("/etc") + sizeof("sh") + sizeof("-c") +
			 sizeof("cat") + sizeof("A=1") + sizeof("B=two"));
	assert_memory_equal(p, "/etc\0sh\0-c\0cat\0A=1\0B=two\0", m.len - PROTO_EXECX_FIXED);
	guest_recv(f, &m, PROTO_STDIN);
	assert_int_equal(m.len, 2);
	assert_memory_equal(m.payload, "in", 2);
	guest_recv(f, &m, PROTO_STDIN);
	assert_int_equal(m.len, 0);

	/* EXIT with flags: killed by its timeout. */
	{
		uint8_t st[8];

		proto_put_u32(st, SIGKILL);
		proto_put_u32(st + 4, PROTO_EXIT_TIMEOUT | PROTO_EXIT_DETACHED);
		guest_send(f, PROTO_EXIT, id, st, 8);
	}
	run_until(f, &res.done);
	assert_false(res.has_error);
	assert_true(res.timed_out);
	assert_true(res.detached);
	assert_true(WIFSIGNALED(res.status));
}

static void
test_exec_ex_plain_uses_exec(void **state)
{
	struct fx *f = *state;
	struct result res = { 0 };
	const char *argv[] = { "true", NULL };
	struct agent_exec_opts o = { 0 };
	uint32_t id;

	assert_true(agent_exec_ex(f->agent, argv, &o, on_result, &res) > 0);
	id = guest_recv_exec(f, "true");
	guest_exit(f, id, 0);
	run_until(f, &res.done);
	assert_false(res.has_error);
}

static void
test_exec_ex_bad_env(void **state)
{
	struct fx *f = *state;
	const char *argv[] = { "true", NULL };
	const char *env[] = { "NOEQUALS", NULL };
	struct agent_exec_opts o = { .env = env };

	errno = 0;
	assert_int_equal(agent_exec_ex(f->agent, argv, &o, NULL, NULL), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(agent_pending(f->agent), 0);
}

static void
test_stdin_open_and_winsize(void **state)
{
	struct fx *f = *state;
	static struct result2 res;
	const char *argv[] = { "bash", NULL };
	struct agent_exec_opts o = { .stdin_open = 1, .pty = 1, .rows = 40, .cols = 100 };
	struct proto_msg m;
	int id;

	memset(&res, 0, sizeof(res));
	id = agent_exec_ex(f->agent, argv, &o, on_result2, &res);
	assert_true(id > 0);
	guest_recv(f, &m, PROTO_EXECX);
	assert_int_equal(proto_get_u32(m.payload), PROTO_EXECX_PTY);
	assert_int_equal(proto_get_u16(m.payload + 8), 40);
	assert_int_equal(proto_get_u16(m.payload + 10), 100);
	assert_int_equal(agent_winsize(f->agent, id, 50, 132), 0);
	guest_recv(f, &m, PROTO_WINSZ);	/* no STDIN EOF came first */
	assert_int_equal(m.id, (uint32_t)id);
	assert_int_equal(proto_get_u16(m.payload), 50);
	assert_int_equal(proto_get_u16(m.payload + 2), 132);
	assert_int_equal(agent_stdin(f->agent, id, "ls\n", 3), 0);
	guest_recv(f, &m, PROTO_STDIN);
	assert_int_equal(m.len, 3);
	assert_int_equal(agent_kill(f->agent, id, SIGHUP), 0);
	guest_recv(f, &m, PROTO_KILL);
	assert_int_equal(proto_get_u32(m.payload), SIGHUP);
	assert_int_equal(agent_stdin(f->agent, id + 100, "x", 1), -1);	/* unknown id */
	guest_exit(f, id, 0);
	run_until(f, &res.done);
}

/* A PUT larger than the window flows in pieces, every byte in order. */
static void
test_put(void **state)
{
	struct fx *f = *state;
	static struct result2 res;
	static uint8_t data[100000], got[100000];
	struct proto_msg m;
	size_t have = 0, i;
	int id;

	memset(&res, 0, sizeof(res));
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + (i >> 9));
	id = agent_put(f->agent, "/etc/x", 0640, data, sizeof(data), on_result2, &res);
	assert_true(id > 0);
	guest_recv(f, &m, PROTO_PUT);
	assert_int_equal(m.id, (uint32_t)id);
	assert_int_equal(proto_get_u32(m.payload), 0640);
	assert_string_equal((const char *)m.payload + 4, "/etc/x");
	for (;;) {
		guest_recv(f, &m, PROTO_PUTDATA);
		assert_int_equal(m.id, (uint32_t)id);
		if (m.len == 0)
			break;
		assert_true(have + m.len <= sizeof(got));
		memcpy(got + have, m.payload, m.len);
		have += m.len;
	}
	assert_int_equal(have, sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	guest_send(f, PROTO_DONE, id, NULL, 0);
	run_until(f, &res.done);
	assert_false(res.has_error);
	assert_int_equal(res.status, 0);
}

static void
test_put_error_named(void **state)
{
	struct fx *f = *state;
	static struct result2 res;
	const char *msg = "put /ro/x: Read-only file system";
	int id;

	memset(&res, 0, sizeof(res));
	id = agent_put(f->agent, "/ro/x", 0644, "x", 1, on_result2, &res);
	guest_send(f, PROTO_ERROR, id, msg, strlen(msg));
	run_until(f, &res.done);
	assert_true(res.has_error);
	assert_string_equal(res.error, msg);
	assert_int_equal(agent_put(f->agent, "", 0644, "x", 1, on_result2, &res), -1);
}

static void
test_get(void **state)
{
	struct fx *f = *state;
	static struct result2 res;
	struct proto_msg m;
	uint8_t hdr[12];
	int id;

	memset(&res, 0, sizeof(res));
	id = agent_get(f->agent, "/etc/hostname", on_result2, &res);
	assert_true(id > 0);
	guest_recv(f, &m, PROTO_GET);
	assert_string_equal((const char *)m.payload, "/etc/hostname");
	assert_int_equal(m.payload[m.len - 1], '\0');
	proto_put_u32(hdr, 0600);
	proto_put_u32(hdr + 4, 5);
	proto_put_u32(hdr + 8, 0);
	guest_send(f, PROTO_FILE, id, hdr, sizeof(hdr));
	guest_send(f, PROTO_GETDATA, id, "r1", 2);
	guest_send(f, PROTO_GETDATA, id, "\0z\n", 3);
	guest_send(f, PROTO_DONE, id, NULL, 0);
	run_until(f, &res.done);
	assert_false(res.has_error);
	assert_int_equal(res.mode, 0600);
	assert_int_equal(res.out_len, 5);
	assert_memory_equal(res.out, "r1\0z\n", 5);
}

/* Transfer messages for an id that is not a transfer break the channel. */
static void
test_done_for_exec_is_error(void **state)
{
	struct fx *f = *state;
	struct result res = { 0 };
	const char *argv[] = { "true", NULL };
	uint32_t id;

	assert_true(agent_exec(f->agent, argv, on_result, &res) > 0);
	id = guest_recv_exec(f, "true");
	guest_send(f, PROTO_DONE, id, NULL, 0);
	run_until(f, &res.done);
	assert_true(res.has_error);
	assert_non_null(strstr(res.error, "DONE for unknown transfer"));
	assert_int_equal(f->errors, 1);
}

static void
test_bad_file_header(void **state)
{
	struct fx *f = *state;
	static struct result2 res;
	int id;

	memset(&res, 0, sizeof(res));
	id = agent_get(f->agent, "/x", on_result2, &res);
	guest_send(f, PROTO_FILE, id, "abc", 3);
	run_until(f, &res.done);
	assert_true(res.has_error);
	assert_non_null(strstr(res.error, "FILE of 3 bytes"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello_setup_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_setup_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_ex_encoding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_ex_plain_uses_exec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_ex_bad_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdin_open_and_winsize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_error_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_done_for_exec_is_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_file_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_execs_interleaved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_error_from_guest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_fails_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_unknown_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eof_fails_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_hello_is_a_reboot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_in_error_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_fails_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poweroff, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
