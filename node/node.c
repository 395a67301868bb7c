/*
 * node.c - start, supervise and stop one guest kernel.
 *
 * The guest kernel is exec'ed in a child that first becomes a session
 * leader (so that its helper processes share its process group and die
 * with kill(-pgid)) and asks for SIGKILL when the controller dies.  The
 * agent speaks on the guest's second serial line, wired to two pipes
 * (ssl1=fd:3,fd:4).  The console goes straight into the log file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/reaper.h"
#include "core/util.h"
#include "node/confine.h"
#include "node/mconsole.h"
#include "node/node.h"
#include "node/ptrace.h"

#define POWEROFF_TIMEOUT_NS (3 * LOOP_NS_PER_S)
#define HALT_TIMEOUT_NS (2 * LOOP_NS_PER_S)
#define DEFAULT_BOOT_TIMEOUT_NS (60 * LOOP_NS_PER_S)
#define CONSOLE_TAIL_LINES 8

/* Boot options measured to cut boot from ~2.3 s to ~0.15 s (DESIGN.md). */
static const char *const fast_boot[] = {
	"quiet",
	"initcall_blacklist=raid6_select_algo,calibrate_xor_blocks,strp_dev_init,init_zswap",
	"pty.legacy_count=0",
	NULL,
};

struct node {
	struct loop *loop;
	char *name;
	char *dir;
	char *console_log;
	char *mconsole;           /* socket path */
	char *setup;
	char *ready_info;
	struct reaper *reaper;
	const struct node_events *ev;
	void *arg;

	pid_t pid;                /* also the process group */
	struct agent *agent;
	enum node_state state;
	char *reason;
	int64_t t_spawn, t_ready;
	struct loop_timer *timer; /* boot timeout or the next stop step */
	int stop_step;            /* 0 none, 1 powered off, 2 halted, 3 killed */
	int stop_requested;
	/* What node_respawn() needs: the spawn recipe. */
	char **argv;
	char *tmpdir_env;         /* "TMPDIR=..." */
	char *init;
	char *net_dir;
	char **ro_paths;
	char *rw_file;
	int confine, set_ids;
	uid_t uid;
	gid_t gid;
	int64_t boot_timeout_ns;
	unsigned boots;
	struct node_trace tr;
};

const char *
node_state_name(enum node_state s)
{
	switch (s) {
	case NODE_BOOTING: return "booting";
	case NODE_READY: return "ready";
	case NODE_STOPPING: return "stopping";
	case NODE_STOPPED: return "stopped";
	case NODE_CRASHED: return "crashed";
	}
	return "?";
}

/* What a broken NIC prints on the console, and what to check. */
static const char *const nic_hints[][2] = {
	/* linux.uml's VDE transport needs vde_plug (netsim/README.md) */
	{ "vde_open failed", "a guest NIC could not be opened; is the Debian package "
			     "vdeplug installed?" },
	/* the vector driver could not reach its fabric port */
	{ "bess open:", "a guest NIC could not connect to its port in the lab's net/ folder" },
};

static void
set_reason(struct node *n, const char *fmt, const char *detail)
{
	char *tail = file_tail(n->console_log, CONSOLE_TAIL_LINES);

	free(n->reason);
	for (size_t i = 0; i < sizeof(nic_hints) / sizeof(nic_hints[0]); i++)
		if (strstr(tail, nic_hints[i][0]) != NULL) {
			char *t = xasprintf("%s\n(hint: %s)", tail, nic_hints[i][1]);

			free(tail);
			tail = t;
			break;
		}
	if (*tail != '\0')
		n->reason = xasprintf("%s%s%s; console ends with:\n%s", fmt, detail ? ": " : "",
				      detail ? detail : "", tail);
	else
		n->reason = xasprintf("%s%s%s", fmt, detail ? ": " : "", detail ? detail : "");
	free(tail);
}

char **
node_build_argv(const struct node_config *c)
{
	char **argv = xcalloc(32 + NODE_MAX_NICS, sizeof(char *));
	int i = 0;

	argv[i++] = xstrdup(c->kernel);
	argv[i++] = xasprintf("mem=%uM", c->mem_mb ? c->mem_mb : 64);
	argv[i++] = xasprintf("umid=%s", c->name);
	argv[i++] = xasprintf("uml_dir=%s", c->dir);
	argv[i++] = xstrdup("rootfstype=hostfs");
	argv[i++] = xstrdup("rootflags=/");
	argv[i++] = xstrdup("ro");
	argv[i++] = xasprintf("init=%s", c->init);
	for (const char *const *o = fast_boot; *o; o++)
		argv[i++] = xstrdup(*o);
	argv[i++] = xstrdup("con=null");
	argv[i++] = xstrdup("ssl=null");
	argv[i++] = xstrdup("con0=fd:0,fd:1");
	argv[i++] = xstrdup("ssl1=fd:3,fd:4");
	if (c->disk != NULL)
		argv[i++] = xasprintf("ubd0=%s", c->disk);
	if (c->data_disk != NULL)
		argv[i++] = xasprintf("ubd1=%s", c->data_disk);
	for (int k = 0; k < c->nnics && k < NODE_MAX_NICS; k++) {
		const uint8_t *m = c->nics[k].mac;
		const char *url = c->nics[k].url;

		/* bess://PATH: UML's vector driver on a fabric stream port, no
		 * vde_plug helper; the guest's init renames vecK to ethK */
		if (strncmp(url, "bess://", 7) == 0)
			argv[i++] = xasprintf("vec%d:transport=bess,dst=%s,"
					      "mac=%02x:%02x:%02x:%02x:%02x:%02x", k, url + 7,
					      m[0], m[1], m[2], m[3], m[4], m[5]);
		else
			argv[i++] = xasprintf("eth%d=vde,%s,%02x:%02x:%02x:%02x:%02x:%02x", k, url,
					      m[0], m[1], m[2], m[3], m[4], m[5]);
	}
	argv[i] = NULL;
	return argv;
}

void
node_free_argv(char **argv)
{
	if (argv == NULL)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

/* In the child: never returns.  Only what is safe after fork: no malloc. */
static void
exec_guest(const struct node *n, int to_guest, int from_guest, int console, pid_t parent)
{
	char *envp[] = { n->tmpdir_env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	int devnull;
	sigset_t none;

	setsid();
	if (n->set_ids) {
		/* Root started us: the guest gets no more rights than it
		 * needs (DESIGN.md, Security). */
		if (setgroups(0, NULL) < 0 || setresgid(n->gid, n->gid, n->gid) < 0 ||
		    setresuid(n->uid, n->uid, n->uid) < 0) {
			dprintf(console, "umlab: node %s: cannot switch to uid %u: %s\n", n->name,
				(unsigned)n->uid, strerror(errno));
			_exit(127);
		}
	}
	/* Second line of defence after the reaper: the kernel dies with us.
	 * After the uid change, which clears it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	if (n->confine) {
		struct confine_rules r = {
			.node_dir = n->dir,
			.tmp_dir = n->tmpdir_env + strlen("TMPDIR="),
			.net_dir = n->net_dir,
			.init = n->init,
			.ro_paths = (const char *const *)n->ro_paths,
			.rw_file = n->rw_file,
		};

		if (confine_self(&r) < 0) {
			dprintf(console, "umlab: node %s: landlock: %s\n", n->name, strerror(errno));
			_exit(127);
		}
	}
	devnull = open("/dev/null", O_RDONLY);
	/* Move the fds out of the way of 0..4 before placing them. */
	to_guest = fcntl(to_guest, F_DUPFD, 10);
	from_guest = fcntl(from_guest, F_DUPFD, 10);
	console = fcntl(console, F_DUPFD, 10);
	devnull = fcntl(devnull, F_DUPFD, 10);
	if (to_guest < 0 || from_guest < 0 || console < 0 || devnull < 0)
		_exit(127);
	dup2(devnull, 0);
	dup2(console, 1);
	dup2(console, 2);
	dup2(to_guest, 3);
	dup2(from_guest, 4);
	closefrom(5);
	if (chdir(n->dir) < 0)
		_exit(127);
	execve(n->argv[0], n->argv, envp);
	dprintf(2, "umlab: exec %s: %s\n", n->argv[0], strerror(errno));
	_exit(127);
}

static void finish(struct node *n);

static void
on_child(pid_t pid, int status, void *arg)
{
	struct node *n = arg;
	char detail[64];

	/* The kernel's helpers outlive it when it dies by a signal. */
	kill(-n->pid, SIGKILL);
	ptrace_forget(&n->tr);
	reaper_forget(n->reaper, n->pid);
	n->pid = 0;
	if (n->timer) {
		loop_timer_cancel(n->loop, n->timer);
		n->timer = NULL;
	}
	if (n->stop_requested) {
		n->state = NODE_STOPPED;
		free(n->reason);
		n->reason = xstrdup(n->stop_step <= 1 ? "stopped" :
				    n->stop_step == 2 ? "stopped (mconsole halt)" :
				    "stopped (killed after stop timeout)");
	} else if (n->state != NODE_CRASHED && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		n->state = NODE_STOPPED;
		set_reason(n, "the guest powered itself off", NULL);
	} else if (n->state != NODE_CRASHED) {
		n->state = NODE_CRASHED;
		if (WIFSIGNALED(status))
			snprintf(detail, sizeof(detail), "killed by signal %d (%s)", WTERMSIG(status),
				 strsignal(WTERMSIG(status)));
		else
			snprintf(detail, sizeof(detail), "exit status %d", WEXITSTATUS(status));
		set_reason(n, "guest kernel ended unexpectedly", detail);
	}
	finish(n);
}

static void
finish(struct node *n)
{
	if (n->agent) {
		agent_free(n->agent);
		n->agent = NULL;
	}
	if (n->ev && n->ev->exited)
		n->ev->exited(n, n->arg);
}

static int64_t boot_timeout(struct loop_timer *t, void *arg);

/* The same process boots a new kernel (UML re-execs itself on reboot). */
static void
booting_again(struct node *n)
{
	n->state = NODE_BOOTING;
	n->t_spawn = loop_now();
	n->t_ready = 0;
	n->boots++;
	if (n->timer)
		loop_timer_cancel(n->loop, n->timer);
	n->timer = loop_timer_add(n->loop, n->boot_timeout_ns, boot_timeout, n);
}

static void
agent_hello(void *arg, uint32_t version, const char *banner)
{
	struct node *n = arg;

	(void)version;
	(void)banner;
	if (n->state == NODE_READY) {
		/* a reboot from inside the guest */
		booting_again(n);
		if (n->ev && n->ev->rebooting)
			n->ev->rebooting(n, n->arg);
	}
	if (agent_setup(n->agent, n->setup) < 0)
		node_kill(n, "agent: cannot send setup");
}

static void
agent_ready(void *arg, const char *info)
{
	struct node *n = arg;

	if (n->state != NODE_BOOTING)
		return;
	n->state = NODE_READY;
	n->t_ready = loop_now();
	free(n->ready_info);
	n->ready_info = xstrdup(info);
	if (n->timer) {
		loop_timer_cancel(n->loop, n->timer);
		n->timer = NULL;
	}
	if (n->ev && n->ev->ready)
		n->ev->ready(n, n->arg);
}

static void
agent_error(void *arg, const char *msg)
{
	struct node *n = arg;

	if (n->stop_requested || n->state == NODE_CRASHED)
		return;   /* the channel closing while we stop it is expected */
	node_kill(n, msg);
}

static void
agent_log(void *arg, const char *text, size_t len)
{
	struct node *n = arg;
	int fd = open(n->console_log, O_WRONLY | O_APPEND | O_CLOEXEC);

	if (fd >= 0) {
		dprintf(fd, "[umlab-init] %.*s\n", (int)len, text);
		close(fd);
	}
}

static const struct agent_events agent_events = {
	.hello = agent_hello,
	.ready = agent_ready,
	.error = agent_error,
	.log = agent_log,
};

static int64_t
boot_timeout(struct loop_timer *t, void *arg)
{
	struct node *n = arg;

	n->timer = NULL;
	node_kill(n, "not ready within the boot timeout");
	return LOOP_TIMER_DONE;
}

/* Fork and exec the guest for n (n->pid == 0).  0 or -1 with err. */
static int
spawn(struct node *n, char *err, size_t errlen)
{
	int to_guest[2] = { -1, -1 }, from_guest[2] = { -1, -1 }, console = -1;
	pid_t pid, self = getpid();

	console = open(n->console_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (console < 0) {
		snprintf(err, errlen, "node %s: console log %s: %s", n->name, n->console_log,
			 strerror(errno));
		return -1;
	}
	if (pipe2(to_guest, O_CLOEXEC) < 0 || pipe2(from_guest, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "node %s: pipe: %s", n->name, strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid == 0)
		exec_guest(n, to_guest[0], from_guest[1], console, self);
	if (pid < 0) {
		snprintf(err, errlen, "node %s: fork: %s", n->name, strerror(errno));
		goto fail;
	}
	close(to_guest[0]);
	close(from_guest[1]);
	close(console);
	n->pid = pid;
	n->state = NODE_BOOTING;
	n->stop_step = 0;
	n->stop_requested = 0;
	n->t_ready = 0;
	n->boots++;
	free(n->reason);
	n->reason = xstrdup("");
	n->t_spawn = loop_now();
	reaper_watch(n->reaper, pid);
	n->agent = agent_new(n->loop, from_guest[0], to_guest[1], &agent_events, n);
	if (loop_add_child(n->loop, pid, on_child, n) < 0) {
		snprintf(err, errlen, "node %s: pidfd_open: %s", n->name, strerror(errno));
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		reaper_forget(n->reaper, pid);
		n->pid = 0;
		agent_free(n->agent);
		n->agent = NULL;
		return -1;
	}
	n->timer = loop_timer_add(n->loop, n->boot_timeout_ns, boot_timeout, n);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (to_guest[i] >= 0)
			close(to_guest[i]);
		if (from_guest[i] >= 0)
			close(from_guest[i]);
	}
	close(console);
	return -1;
}

struct node *
node_start(struct loop *l, const struct node_config *c, const struct node_events *ev, void *arg,
	   char *err, size_t errlen)
{
	struct node *n;
	size_t k = 0;

	if (access(c->kernel, X_OK) < 0) {
		snprintf(err, errlen, "node %s: guest kernel %s: %s (install the Debian package "
			 "user-mode-linux)", c->name, c->kernel, strerror(errno));
		return NULL;
	}
	if (access(c->init, R_OK) < 0) {
		snprintf(err, errlen, "node %s: init %s: %s", c->name, c->init, strerror(errno));
		return NULL;
	}
	if (mkdir_p(c->dir, 0755) < 0) {
		snprintf(err, errlen, "node %s: mkdir %s: %s", c->name, c->dir, strerror(errno));
		return NULL;
	}
	if (c->set_ids && chown(c->dir, c->uid, c->gid) < 0) {
		snprintf(err, errlen, "node %s: chown %s: %s", c->name, c->dir, strerror(errno));
		return NULL;
	}
	n = xcalloc(1, sizeof(*n));
	n->loop = l;
	n->name = xstrdup(c->name);
	n->dir = xstrdup(c->dir);
	n->console_log = xstrdup(c->console_log);
	n->mconsole = xasprintf("%s/%s/mconsole", c->dir, c->name);
	n->setup = xstrdup(c->setup ? c->setup : "");
	n->reaper = c->reaper;
	n->ev = ev;
	n->arg = arg;
	n->reason = xstrdup("");
	n->argv = node_build_argv(c);
	n->tmpdir_env = xasprintf("TMPDIR=%s", c->tmpdir ? c->tmpdir : c->dir);
	n->init = xstrdup(c->init);
	n->net_dir = c->net_dir ? xstrdup(c->net_dir) : NULL;
	while (c->ro_paths && c->ro_paths[k])
		k++;
	n->ro_paths = xcalloc(k + 1, sizeof(char *));
	for (size_t i = 0; i < k; i++)
		n->ro_paths[i] = xstrdup(c->ro_paths[i]);
	n->rw_file = c->rw_file ? xstrdup(c->rw_file) : NULL;
	n->confine = c->confine && confine_abi() > 0;
	n->set_ids = c->set_ids;
	n->uid = c->uid;
	n->gid = c->gid;
	n->boot_timeout_ns = c->boot_timeout_ns ? c->boot_timeout_ns : DEFAULT_BOOT_TIMEOUT_NS;
	if (spawn(n, err, errlen) < 0) {
		node_free(n);
		return NULL;
	}
	return n;
}

int
node_respawn(struct node *n, char *err, size_t errlen)
{
	if (n->pid != 0) {
		snprintf(err, errlen, "node %s: still running", n->name);
		errno = EBUSY;
		return -1;
	}
	if (n->timer) {
		loop_timer_cancel(n->loop, n->timer);
		n->timer = NULL;
	}
	if (n->agent) {
		agent_free(n->agent);
		n->agent = NULL;
	}
	return spawn(n, err, errlen);
}

static int64_t
stop_step(struct loop_timer *t, void *arg)
{
	struct node *n = arg;

	if (n->pid == 0) {
		n->timer = NULL;
		return LOOP_TIMER_DONE;
	}
	n->stop_step++;
	switch (n->stop_step) {
	case 1:
		if (n->agent && agent_poweroff(n->agent) == 0)
			return POWEROFF_TIMEOUT_NS;
		/* no agent: go on with halt */
		n->stop_step++;
		/* FALLTHROUGH */
	case 2:
		if (mconsole_command(n->mconsole, "halt", NULL, 0, 0) == 0)
			return HALT_TIMEOUT_NS;
		n->stop_step++;
		/* FALLTHROUGH */
	default:
		kill(-n->pid, SIGKILL);
		n->timer = NULL;
		return LOOP_TIMER_DONE;
	}
}

void
node_stop(struct node *n)
{
	if (n->pid == 0 || n->stop_requested)
		return;
	n->stop_requested = 1;
	n->state = NODE_STOPPING;
	if (n->tr.pid)
		node_thaw(n);   /* a frozen guest cannot power itself off */
	if (n->timer)
		loop_timer_cancel(n->loop, n->timer);
	n->timer = loop_timer_add(n->loop, 0, stop_step, n);
}

void
node_halt(struct node *n)
{
	if (n->pid == 0 || n->stop_requested)
		return;
	n->stop_requested = 1;
	n->state = NODE_STOPPING;
	if (n->tr.pid)
		node_thaw(n);
	if (n->timer)
		loop_timer_cancel(n->loop, n->timer);
	n->stop_step = 1;   /* the next step is mconsole halt */
	n->timer = loop_timer_add(n->loop, 0, stop_step, n);
}

int
node_reboot(struct node *n)
{
	if (n->pid == 0 || n->stop_requested) {
		errno = ESRCH;
		return -1;
	}
	if (n->tr.pid)
		node_thaw(n);
	if (mconsole_command(n->mconsole, "reboot", NULL, 0, 0) < 0)
		return -1;
	booting_again(n);
	return 0;
}

int
node_freeze(struct node *n)
{
	if (n->pid == 0) {
		errno = ESRCH;
		return -1;
	}
	return ptrace_freeze(&n->tr, n->pid);
}

int
node_thaw(struct node *n)
{
	return ptrace_thaw(&n->tr);
}

int
node_frozen(const struct node *n)
{
	return n->tr.pid != 0;
}

int
node_regs(struct node *n, struct user_regs_struct *regs)
{
	return ptrace_regs(&n->tr, regs);
}

int
node_set_regs(struct node *n, const struct user_regs_struct *regs)
{
	return ptrace_set_regs(&n->tr, regs);
}

unsigned long
node_ptrace_stops(const struct node *n)
{
	return (unsigned long)n->tr.stops;
}

double
node_freeze_latency(const struct node *n)
{
	return (double)n->tr.last_latency_ns / 1e9;
}

unsigned
node_boots(const struct node *n)
{
	return n->boots;
}

void
node_kill(struct node *n, const char *reason)
{
	if (n->pid == 0)
		return;
	if (!n->stop_requested) {
		n->state = NODE_CRASHED;
		set_reason(n, reason, NULL);
	}
	kill(-n->pid, SIGKILL);
	/* on_child() finishes the job once the kernel is reaped. */
}

void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	if (n->pid > 0) {
		if (n->tr.pid)
			ptrace_thaw(&n->tr);   /* so that waitpid below sees the exit, not a stop */
		loop_del_child(n->loop, n->pid);
		kill(-n->pid, SIGKILL);
		kill(n->pid, SIGKILL);
		while (waitpid(n->pid, NULL, 0) < 0 && errno == EINTR)
			;
		reaper_forget(n->reaper, n->pid);
	}
	if (n->timer)
		loop_timer_cancel(n->loop, n->timer);
	if (n->agent)
		agent_free(n->agent);
	free(n->name);
	free(n->dir);
	free(n->console_log);
	free(n->mconsole);
	free(n->setup);
	free(n->reason);
	free(n->ready_info);
	node_free_argv(n->argv);
	node_free_argv(n->ro_paths);
	free(n->rw_file);
	free(n->tmpdir_env);
	free(n->init);
	free(n->net_dir);
	free(n);
}

int
node_exec(struct node *n, const char *const argv[], agent_exec_cb cb, void *arg)
{
	if (n->state != NODE_READY || n->agent == NULL) {
		errno = ENOTCONN;
		return -1;
	}
	return agent_exec(n->agent, argv, cb, arg);
}

int
node_mconsole(struct node *n, const char *cmd, char *reply, size_t replylen)
{
	if (n->pid == 0) {
		errno = ESRCH;
		return -1;
	}
	return mconsole_command(n->mconsole, cmd, reply, replylen, reply ? 1000 : 0);
}

struct agent *
node_agent(struct node *n)
{
	return n->state == NODE_READY ? n->agent : NULL;
}

const char *
node_ready_info(const struct node *n)
{
	return n->ready_info ? n->ready_info : "";
}

enum node_state
node_state(const struct node *n)
{
	return n->state;
}

const char *
node_name(const struct node *n)
{
	return n->name;
}

const char *
node_reason(const struct node *n)
{
	return n->reason;
}

double
node_boot_seconds(const struct node *n)
{
	return n->t_ready ? (double)(n->t_ready - n->t_spawn) / 1e9 : -1.0;
}

pid_t
node_pid(const struct node *n)
{
	return n->pid;
}
