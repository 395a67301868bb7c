/*
 * node.h - one guest kernel (linux.uml) under the controller's supervision:
 * start, watch, exec through its agent, stop.  A node knows only its own
 * folder and its NICs' URLs; never the fabric, never Lua.
 */
#ifndef UMLAB_NODE_H
#define UMLAB_NODE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "node/agent.h"

struct loop;
struct reaper;
struct node;

#define NODE_MAX_NICS 16

struct node_config {
	const char *name;
	const char *dir;         /* the node's runtime folder: umid dir, memory file */
	const char *kernel;      /* linux.uml */
	const char *init;        /* umlab-init, readable by the guest */
	const char *console_log; /* the guest console goes here */
	unsigned mem_mb;
	int nnics;
	struct {
		char url[128];   /* bess://PATH (a fabric port), or a vdeplug URL for eth=vde */
		uint8_t mac[6];
	} nics[NODE_MAX_NICS];
	const char *setup;       /* agent SETUP text (guest/PROTOCOL.md) */
	const char *disk;        /* NULL or an image for ubd0 (/dev/ubda in the guest) */
	const char *data_disk;   /* NULL or a raw image for ubd1 (/dev/ubdb): disk faults */
	int64_t boot_timeout_ns; /* 0: 60 s */
	struct reaper *reaper;   /* told about the guest's process group */
	/* Confinement and rights (all optional). */
	const char *tmpdir;      /* guest memory file; NULL: the node's folder */
	const char *net_dir;     /* where the guest binds its NICs' PATH+ sockets */
	const char *const *ro_paths; /* extra read-only paths for the guest (NULL-terminated) */
	const char *rw_file;     /* a file the guest reads and writes (its disk), or NULL */
	int confine;             /* Landlock the guest kernel (when the kernel has it) */
	uid_t uid;               /* run the guest as uid:gid when we are root ... */
	gid_t gid;
	int set_ids;             /* ... if this is set */
};

enum node_state { NODE_BOOTING, NODE_READY, NODE_STOPPING, NODE_STOPPED, NODE_CRASHED };

struct node_events {
	void (*ready)(struct node *n, void *arg);
	/* The guest is gone: node_state() is NODE_STOPPED or NODE_CRASHED,
	 * node_reason() says why.  The node may be freed from here. */
	void (*exited)(struct node *n, void *arg);
	/* The guest rebooted by itself (reboot -f inside it): the node is
	 * NODE_BOOTING again and `ready` follows.  Optional. */
	void (*rebooting)(struct node *n, void *arg);
};

struct node *node_start(struct loop *l, const struct node_config *c, const struct node_events *ev,
			void *arg, char *err, size_t errlen);
/* Clean stop: agent power-off, then mconsole halt, then SIGKILL of the
 * process group, each after a timeout.  `exited` follows. */
void node_stop(struct node *n);
/* Immediate SIGKILL of the guest's process group. */
void node_kill(struct node *n, const char *reason);
/* mconsole halt (no clean power-off in the guest), SIGKILL after a
 * timeout.  `exited` follows with NODE_STOPPED. */
void node_halt(struct node *n);
/* Reboot in place: mconsole "reboot" makes UML re-exec itself in the
 * same process (same pid and process group, same pipes); the new init
 * says HELLO again and gets SETUP again.  The node is booting until its
 * agent is ready (`ready` follows).  0, or -1 if mconsole failed. */
int node_reboot(struct node *n);
/* Boot a stopped or crashed node again with the same configuration (same
 * NICs: the fabric's ports stay, the guest binds PATH+ again).  `ready`
 * or `exited` follow as for node_start().  0, or -1 (EBUSY: it runs). */
int node_respawn(struct node *n, char *err, size_t errlen);
/* Freeze the guest kernel (ptrace seize + interrupt; see node/ptrace.h),
 * thaw it.  0 or -1/errno.  While not frozen the guest is not traced. */
int node_freeze(struct node *n);
int node_thaw(struct node *n);
int node_frozen(const struct node *n);
/* Registers of the frozen kernel process. */
int node_regs(struct node *n, struct user_regs_struct *regs);
int node_set_regs(struct node *n, const struct user_regs_struct *regs);
/* Ptrace stops seen so far (0 unless a freeze happened); the last
 * freeze's latency, request to confirmed stop, in seconds. */
unsigned long node_ptrace_stops(const struct node *n);
double node_freeze_latency(const struct node *n);
/* How many times this node was spawned. */
unsigned node_boots(const struct node *n);
/* Free a node; kills the guest first if it still runs. */
void node_free(struct node *n);

int node_exec(struct node *n, const char *const argv[], agent_exec_cb cb, void *arg);
/* Send a command to the guest's management console ("sysrq c", "halt");
 * reply may be NULL (do not wait).  0 on success. */
int node_mconsole(struct node *n, const char *cmd, char *reply, size_t replylen);
/* The node's agent while it is ready (for agent_exec_ex, put, get), else NULL. */
struct agent *node_agent(struct node *n);
/* The READY message's text ("boot_ms N\n...startup_status N\n"), or "". */
const char *node_ready_info(const struct node *n);

enum node_state node_state(const struct node *n);
const char *node_state_name(enum node_state s);
const char *node_name(const struct node *n);
/* Why it stopped or crashed (with the console's last lines), or "". */
const char *node_reason(const struct node *n);
/* Seconds from spawn to the agent's READY; < 0 if never ready. */
double node_boot_seconds(const struct node *n);
pid_t node_pid(const struct node *n);

/* The kernel command line for c (malloc'ed argv, NULL-terminated; free
 * with node_free_argv).  Exposed for tests and for `umlab doctor`. */
char **node_build_argv(const struct node_config *c);
void node_free_argv(char **argv);

#endif
