/*
 * fault_int.h - what fault types share with the scheduler.  Each type is
 * one file defining one struct fault_type.
 */
#ifndef UMLAB_FAULT_INT_H
#define UMLAB_FAULT_INT_H

#include "faults/fault.h"

struct fault;

struct fault_type {
	const char *name;
	int needs_node;            /* the target is a node (else a link) */
	int clearable;             /* duration makes sense */
	/* The target is not one node or link (e.g. "a b | c d"): checks it
	 * instead of the generic lookup. */
	int (*check_target)(const struct fault_hooks *h, const struct fault_spec *spec, char *err,
			    size_t errlen);
	/* Check the spec beyond the generic checks; NULL: nothing to check. */
	int (*check)(const struct fault_spec *spec, char *err, size_t errlen);
	/* Inject once.  Log through fault_log() (inject or failed); may
	 * finish asynchronously. */
	void (*inject)(struct fault *f);
	/* Undo (after duration); NULL when not clearable. */
	void (*clear)(struct fault *f);
};

/* One scheduled fault. */
struct fault {
	struct fault_ctx *ctx;
	const struct fault_type *type;
	struct fault_spec spec;    /* strings copied */
	char *target;
	char *symbol;
	char *region;
	char *mode;
	char *sectors;
	int done;                  /* injections so far */
	unsigned seq;
	uint64_t rng;              /* this fault's own stream: draws do not depend on
	                              how faults interleave */
	int64_t planned_ns;        /* the current event's planned time since scheduling */
	unsigned long long address;   /* set by a type before fault_log() */
	int active;                /* injected and not yet cleared */
	struct loop_timer *timer;
	struct fault *next;
	void *state;               /* the type's own */
};

void fault_log(struct fault *f, const char *phase, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct node *fault_node(struct fault *f);
uint64_t fault_rand(struct fault *f);
/* Faults live until fault_ctx_free(), which the runner calls only after
 * every node is gone: an asynchronous step (an exec in the guest) always
 * finds its fault alive. */

extern const struct fault_type fault_crash, fault_panic, fault_halt, fault_memflip;
extern const struct fault_type fault_freeze, fault_regflip;
extern const struct fault_type fault_link_down, fault_isolate, fault_loss, fault_delay;
extern const struct fault_type fault_partition, fault_disk;

const struct fault_hooks *fault_hooks(struct fault *f);

#endif
