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
		char url[128];   /* vdeplug URL, e.g. ptp:///run/x/a.eth0 */
		uint8_t mac[6];
	} nics[NODE_MAX_NICS];
	const char *setup;       /* agent SETUP text (guest/PROTOCOL.md) */
	const char *disk;        /* NULL or an image for ubd0 (/dev/ubda in the guest) */
	int64_t boot_timeout_ns; /* 0: 60 s */
	struct reaper *reaper;   /* told about the guest's process group */
};

enum node_state { NODE_BOOTING, NODE_READY, NODE_STOPPING, NODE_STOPPED, NODE_CRASHED };

struct node_events {
	void (*ready)(struct node *n, void *arg);
	/* The guest is gone: node_state() is NODE_STOPPED or NODE_CRASHED,
	 * node_reason() says why.  The node may be freed from here. */
	void (*exited)(struct node *n, void *arg);
};

struct node *node_start(struct loop *l, const struct node_config *c, const struct node_events *ev,
			void *arg, char *err, size_t errlen);
/* Clean stop: agent power-off, then mconsole halt, then SIGKILL of the
 * process group, each after a timeout.  `exited` follows. */
void node_stop(struct node *n);
/* Immediate SIGKILL of the guest's process group. */
void node_kill(struct node *n, const char *reason);
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
