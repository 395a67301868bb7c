/* test_lua.c - scenario errors carry file:line, and map to exit statuses.
 * Only scenarios that never boot a guest: fast (a lab without nodes does
 * start, with a runtime folder and its fabric, but no guest). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "core/util.h"
#include "scenarios/scn.h"

struct run { int rc; json_t *report; char dir[64]; };

/* Write text as DIR/NAME.lua, run it, load report.json. */
static struct run
run_text(const char *name, const char *text)
{
	struct run r = { 0 };
	struct scn_options o = { .quiet = 1, .capture = 1 };
	char *file, *out, *rep;
	FILE *f;

	strcpy(r.dir, "/tmp/umlab-test-lua.XXXXXX");
	assert_non_null(mkdtemp(r.dir));
	file = xasprintf("%s/%s.lua", r.dir, name);
	out = xasprintf("%s/out", r.dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	o.outdir = out;
	r.rc = scn_run(file, &o);
	rep = xasprintf("%s/report.json", out);
	r.report = json_load_file(rep, 0, NULL);
	free(rep);
	free(out);
	free(file);
	return r;
}

static void
run_done(struct run *r)
{
	json_decref(r->report);
	rm_rf(r->dir);
}

static const char *
report_error(struct run *r)
{
	assert_non_null(r->report);
	return json_string_value(json_object_get(r->report, "error"));
}

static void
syntax_error_names_file_and_line(void **state)
{
	struct run r = run_text("syntax", "local a = 1\nlocal b = 2\nif then\n");

	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "syntax.lua:3:"));
	assert_string_equal(json_string_value(json_object_get(r.report, "verdict")), "error");
	run_done(&r);
}

static void
runtime_error_names_file_and_line(void **state)
{
	struct run r = run_text("boom", "\n\nerror('it broke')\n");

	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "boom.lua:3: it broke"));
	run_done(&r);
}

static void
api_error_names_the_argument(void **state)
{
	struct run r = run_text("badname", "node('r1')\nnode('no good')\n");

	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "badname.lua:2: bad argument #1 to 'node'"));
	assert_non_null(strstr(report_error(&r), "invalid node name 'no good'"));
	run_done(&r);
}

static void
duplicate_and_bad_address(void **state)
{
	struct run r = run_text("dup", "local s = switch('s')\nlocal a = node('a')\n"
				"link(a, s, '10.1.2.3/40')\n");

	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "dup.lua:3:"));
	assert_non_null(strstr(report_error(&r), "bad address '10.1.2.3/40'"));
	run_done(&r);
	r = run_text("dup2", "switch('x')\nnode('x')\n");
	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "dup2.lua:2:"));
	assert_non_null(strstr(report_error(&r), "duplicate name 'x'"));
	run_done(&r);
}

static void
exec_before_start_is_an_error(void **state)
{
	struct run r = run_text("early", "local a = node('a')\n\na:exec('true')\n");

	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "early.lua:3: exec on a: the lab is not started"));
	run_done(&r);
}

static void
mem_too_small_is_refused(void **state)
{
	struct run r = run_text("mem", "node('a', {mem = 16})\n");

	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "mem.lua:1: node a: mem=16 MB"));
	run_done(&r);
}

static void
checks_decide_the_verdict(void **state)
{
	struct run r = run_text("pass", "check('one', true)\ncheck('two', 1 + 1 == 2)\n");
	json_t *checks;

	assert_int_equal(r.rc, UMLAB_EXIT_OK);
	checks = json_object_get(r.report, "checks");
	assert_int_equal(json_array_size(checks), 2);
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(checks, 1), "where")),
			       "pass.lua:2"));
	run_done(&r);

	r = run_text("fail", "check('good', true)\ncheck('bad', false, 'because')\n");
	assert_int_equal(r.rc, UMLAB_EXIT_FAILED);
	assert_string_equal(json_string_value(json_object_get(r.report, "verdict")), "failed");
	checks = json_object_get(r.report, "checks");
	assert_false(json_boolean_value(json_object_get(json_array_get(checks, 1), "passed")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(checks, 1), "detail")),
			    "because");
	run_done(&r);
}

static void
missing_file_and_busy_outdir(void **state)
{
	struct scn_options o = { .quiet = 1 };
	char dir[] = "/tmp/umlab-test-lua.XXXXXX";
	char *f;

	assert_int_equal(scn_run("/nonexistent/x.lua", &o), UMLAB_EXIT_USAGE);
	assert_non_null(mkdtemp(dir));
	f = xasprintf("%s/keep.txt", dir);
	assert_int_equal(write_file_atomic(f, "precious", 8), 0);
	o.outdir = dir;
	assert_int_equal(scn_run(f, &o), UMLAB_EXIT_USAGE);  /* outdir not empty */
	{
		char *back = read_file(f, 64, NULL);

		assert_string_equal(back, "precious");          /* and left alone */
		free(back);
	}
	free(f);
	rm_rf(dir);
}

/* link(..., {vlans = ...}): a trunk to the guest; bad lists are errors
 * that name the link and the value. */
static void
guest_trunk_options(void **state)
{
	struct run r = run_text("gtrunk", "local s1 = switch('s1')\nlocal n = node('r')\n"
	    "local l = link(n, s1, { vlans = { 10, 20 } })\n"
	    "local m = node('m')\nlink(m, s1, { vlans = 'all' })\n");

	assert_int_equal(r.rc, UMLAB_EXIT_OK);
	run_done(&r);
	r = run_text("gtboth", "local s1 = switch('s1')\nlocal n = node('r')\n"
	    "link(n, s1, { vlan = 10, vlans = { 20 } })\n");
	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "gtboth.lua:3: link: link r.eth0-s1: vlan (an "
				"access port) and vlans (a trunk) together"));
	run_done(&r);
	r = run_text("gtbad", "local s1 = switch('s1')\nlocal n = node('r')\n"
	    "link(n, s1, { vlans = { 10, 5000 } })\n");
	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "gtbad.lua:3: link: link r.eth0-s1: vlans[2] "
				"5000 is outside 1..4094"));
	run_done(&r);
	r = run_text("gthub", "local h = hub('h')\nlocal n = node('r')\n"
	    "link(n, h, { vlans = { 10 } })\n");
	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "vlans needs a switch, not a hub or a cable"));
	run_done(&r);
}

/* plug() and plug_url() before start(): bad arguments, and no URL yet
 * (the runtime folder that will hold the socket does not exist). */
static void
plug_errors_before_start(void **state)
{
	struct run r = run_text("plugnil", "local s1 = switch('s1')\nplug(nil)\n");

	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "plugnil.lua:2: bad argument #1 to 'plug' "
				"(umlab.switch expected, got nil)"));
	run_done(&r);
	r = run_text("plugearly", "local s1 = switch('s1')\nlocal p = plug(s1)\n"
		     "expect_eq('name', 's1.plug0', p)\nplug_url(p)\n");
	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "plugearly.lua:4: plug_url: plug s1.plug0 has "
				"no socket until start() has run"));
	run_done(&r);
	r = run_text("plugname", "local s1 = switch('s1')\nplug(s1)\nplug(s1)\n"
		     "plug_url('s2.plug0')\n");
	assert_int_equal(r.rc, UMLAB_EXIT_USAGE);
	assert_non_null(strstr(report_error(&r), "plugname.lua:4: plug_url: no plug 's2.plug0' "
				"(plugs: s1.plug0, s1.plug1)"));
	run_done(&r);
}

/* A host program's side of two plugs: connect to both sockets (named in
 * dir/urls by the scenario) and send a broadcast frame into the first
 * until the switch floods one out of the second; then dir/done says
 * whether both sockets were ours alone (our uid, 0700). */
static void
plug_peer(const char *dir)
{
	char *urls = xasprintf("%s/urls", dir), *done = xasprintf("%s/done", dir), *text = NULL;
	unsigned char frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1,
				    0x88, 0xb5 };
	int fd[2], owner[2];
	struct stat st;

	for (int i = 0; i < 200 && (text = read_file(urls, 4096, NULL)) == NULL; i++)
		usleep(50000);
	if (text == NULL)
		_exit(1);
	for (int k = 0; k < 2; k++) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		char *line = strtok(k ? NULL : text, "\n");

		if (line == NULL || strncmp(line, "umlab://", 8) != 0)
			_exit(2);
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", line + 8);
		if (stat(a.sun_path, &st) < 0)
			_exit(3);
		owner[k] = st.st_uid == getuid() && (st.st_mode & 07777) == 0700;
		fd[k] = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		if (connect(fd[k], (struct sockaddr *)&a, sizeof(a)) < 0)
			_exit(3);
	}
	/* The fabric may read the frame before it takes the second
	 * connection (no peer yet): send until one comes out. */
	for (int i = 0; i < 100; i++) {
		struct pollfd pf = { .fd = fd[1], .events = POLLIN };
		unsigned char got[2048];

		if (send(fd[0], frame, sizeof(frame), 0) != sizeof(frame))
			_exit(4);
		if (poll(&pf, 1, 50) == 1 && recv(fd[1], got, sizeof(got), 0) == sizeof(frame) &&
		    memcmp(got, frame, sizeof(frame)) == 0) {
			const char *o = owner[0] && owner[1] ? "ours" : "not ours";

			write_file_atomic(done, o, strlen(o));
			_exit(0);
		}
	}
	_exit(5);
}

/* start() makes each plug's socket in the runtime folder; a host program
 * that connects to it is one more port of the switch.  The report counts
 * its frames; the topology is fixed after start() for plugs too. */
static void
plugs_carry_frames_of_host_programs(void **state)
{
	struct scn_options o = { .quiet = 1 };
	char dir[] = "/tmp/umlab-test-lua.XXXXXX";
	char *file, *text, *rep, *path;
	json_t *report, *checks, *plugs, *p0, *p1;
	struct stat st;
	pid_t pid;
	int rc;
	FILE *f;

	if (access(UMLAB_KERNEL, X_OK) != 0 || getenv("UMLAB_INIT") == NULL)
		skip();   /* start() needs both, even without a guest */
	assert_non_null(mkdtemp(dir));
	file = xasprintf("%s/plugs.lua", dir);
	text = xasprintf(
	    "local s1 = switch('s1')\n"
	    "local a, b = plug(s1), plug(s1)\n"
	    "start()\n"
	    "local ua, ub = plug_url(a), plug_url(b)\n"
	    "expect_match('a URL in the runtime folder', '^umlab:///.*/net/s1%%.plug0$', ua)\n"
	    "local f = io.open('%s/urls.tmp', 'w')\n"
	    "f:write(ua, '\\n', ub, '\\n')\n"
	    "f:close()\n"
	    "os.rename('%s/urls.tmp', '%s/urls')\n"
	    "check('a frame crossed s1 between its plugs', wait_until(function()\n"
	    "  return io.open('%s/done') ~= nil end, 10))\n"
	    "local d = io.open('%s/done'):read('a')\n"
	    "expect_eq('the sockets are ours alone', 'ours', d)\n"
	    "local sock = ua:sub(9)\n"
	    "local fp = io.open('%s/socket', 'w')\n"
	    "fp:write(sock)\n"
	    "fp:close()\n"
	    "plug(s1)\n", dir, dir, dir, dir, dir, dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(text);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		plug_peer(dir);
	o.outdir = text = xasprintf("%s/out", dir);
	rc = scn_run(file, &o);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	free(text);

	assert_int_equal(rc, UMLAB_EXIT_USAGE);   /* the plug() after start() */
	rep = xasprintf("%s/out/report.json", dir);
	report = json_load_file(rep, 0, NULL);
	free(rep);
	assert_non_null(report);
	assert_non_null(strstr(json_string_value(json_object_get(report, "error")),
			       "plugs.lua:18: plug: the topology is fixed once start() has run"));
	checks = json_object_get(report, "checks");
	assert_int_equal(json_array_size(checks), 3);
	for (size_t i = 0; i < 3; i++)
		assert_true(json_boolean_value(json_object_get(json_array_get(checks, i), "passed")));
	plugs = json_object_get(report, "plugs");
	assert_int_equal(json_array_size(plugs), 2);
	p0 = json_array_get(plugs, 0);
	p1 = json_array_get(plugs, 1);
	assert_string_equal(json_string_value(json_object_get(p0, "name")), "s1.plug0");
	assert_string_equal(json_string_value(json_object_get(p0, "switch")), "s1");
	assert_non_null(strstr(json_string_value(json_object_get(p1, "url")), "/net/s1.plug1"));
	assert_true(json_integer_value(json_object_get(p0, "frames_in")) >= 1);
	assert_true(json_integer_value(json_object_get(p1, "frames_out")) >= 1);
	assert_int_equal(json_integer_value(json_object_get(p1, "frames_in")), 0);
	assert_int_equal(json_integer_value(json_object_get(p0, "connections")), 1);
	json_decref(report);
	/* The socket was the invoking user's, and went with the lab. */
	rep = xasprintf("%s/socket", dir);
	path = read_file(rep, 4096, NULL);
	free(rep);
	assert_non_null(path);
	assert_int_equal(stat(path, &st), -1);
	free(path);
	free(file);
	rm_rf(dir);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syntax_error_names_file_and_line),
		cmocka_unit_test(runtime_error_names_file_and_line),
		cmocka_unit_test(api_error_names_the_argument),
		cmocka_unit_test(duplicate_and_bad_address),
		cmocka_unit_test(exec_before_start_is_an_error),
		cmocka_unit_test(mem_too_small_is_refused),
		cmocka_unit_test(checks_decide_the_verdict),
		cmocka_unit_test(missing_file_and_busy_outdir),
		cmocka_unit_test(plug_errors_before_start),
		cmocka_unit_test(guest_trunk_options),
		cmocka_unit_test(plugs_carry_frames_of_host_programs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
