/*
 * runtime.h - a lab brought to life: the runtime folder, the fabric with
 * one port per link, one node per lab node, and the reaper.  Built from
 * the lab model; used by the scenario runner and (later) by the CLI's
 * interactive commands.
 */
#ifndef UMLAB_RUNTIME_H
#define UMLAB_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

struct lab;
struct lab_link;
struct lab_node;
struct loop;
struct node;
struct ns_fabric;

struct rt;

struct rt_events {
	/* Every node is ready (ok = 1), or one failed to boot (ok = 0,
	 * msg names the node and why). */
	void (*started)(struct rt *rt, int ok, const char *msg, void *arg);
	/* A node left the ready state while the lab ran (crash). */
	void (*node_down)(struct rt *rt, struct lab_node *ln, const char *reason, void *arg);
	/* Every node has exited after rt_stop(). */
	void (*stopped)(struct rt *rt, void *arg);
};

struct rt_options {
	const char *outdir;      /* console/, pcap/ go here */
	const char *kernel;      /* NULL: the configured linux.uml */
	const char *init;        /* NULL: found next to the umlab binary */
	int capture;             /* write pcap/<link>.pcapng */
	int max_booting;         /* bounded parallel boots; 0: a default */
	int quiet;               /* no progress line */
	const char *const *ro_paths; /* host folders every guest may read (the lab's
	                                folder...), NULL-terminated or NULL */
	uint64_t seed;           /* impairments' random seed; 0: $UMLAB_SEED, else from the clock */
};

/* Creates the runtime folder and the reaper.  NULL with err on failure;
 * *env_problem is set when the cause is the environment (exit 3). */
struct rt *rt_new(struct loop *l, struct lab *lab, const struct rt_options *o,
		  const struct rt_events *ev, void *arg, int *env_problem, char *err, size_t errlen);
/* Open every port, start every node (bounded parallelism). */
int rt_start(struct rt *rt, char *err, size_t errlen);
/* Stop every node that still runs; `stopped` follows (at once if none). */
void rt_stop(struct rt *rt);
/* Closes captures, removes the runtime folder; kills what still runs. */
void rt_free(struct rt *rt);

struct node *rt_node(struct rt *rt, const struct lab_node *ln);
struct ns_fabric *rt_fabric(struct rt *rt);
const char *rt_dir(const struct rt *rt);
/* One node's life while the lab runs. */
enum rt_life {
	RT_LIFE_STOP,     /* clean: agent power-off, then halt, then kill */
	RT_LIFE_HALT,     /* mconsole halt */
	RT_LIFE_KILL,     /* SIGKILL of its process group */
	RT_LIFE_START,    /* boot a stopped node again */
	RT_LIFE_RESTART,  /* clean stop, then boot */
	RT_LIFE_REBOOT,   /* mconsole reboot in place (else halt, then boot) */
};
/* Done: ok = 1, or ok = 0 and msg says why. */
typedef void (*rt_life_cb)(struct rt *rt, struct lab_node *ln, int ok, const char *msg, void *arg);
/* Start op on ln; cb follows once it is stopped (STOP/HALT/KILL) or
 * ready again (START/RESTART/REBOOT).  -1 with err when op does not
 * apply to the node's state (then cb is never called). */
int rt_node_life(struct rt *rt, struct lab_node *ln, enum rt_life op, rt_life_cb cb, void *arg,
		 char *err, size_t errlen);
/* "landlock" or "none": how guests are confined. */
const char *rt_confinement(const struct rt *rt);
/* The run's seed (every link's generators derive from it). */
uint64_t rt_seed(const struct rt *rt);
/* Apply a link's impairments and up/down state from the lab model to its
 * open port (dirmask: bit 0 to the node, bit 1 from the node).  Nothing
 * changes on failure.  0 when the port is not open yet: rt_start applies
 * the model then. */
/* The lab model's impairment spec as netsim's. */
struct lab_impair;
struct ns_impair;
void rt_impair_to_ns(const struct lab_impair *a, struct ns_impair *b);
int rt_apply_link(struct rt *rt, struct lab_link *k, int dirmask, char *err, size_t errlen);
/* Where every lab of this user keeps its runtime folder (and, in labs/,
 * its control socket): $XDG_RUNTIME_DIR/umlab or /tmp/umlab-UID. */
const char *rt_runtime_parent(void);
/* Find umlab-init: $UMLAB_INIT, next to /proc/self/exe, or the install dir. */
const char *rt_find_init(void);
/* The folder holding libvdeplug_umlab.so (the umlab:// plugin): the build
 * tree's netsim/ beside this umlab, else where make install put it. */
const char *rt_find_vdeplugin(void);
/* The VDEPLUGIN_PATH host programs need to find the plugin, "DIR:
 * SYSTEM_FOLDER", or NULL when it is in libvdeplug's own plugin folder. */
const char *rt_vdeplugin_path(void);
/* The same as a prefix for a command typed by hand: "VDEPLUGIN_PATH=...
 * ", or "". */
const char *rt_vdeplugin_env(void);

#endif
