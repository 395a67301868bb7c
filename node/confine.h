/*
 * confine.h - Landlock confinement of a guest kernel process.
 *
 * Applied in the forked child just before it execs linux.uml: read and
 * execute on the system folders one by one (not "/", so that a guest's
 * hostfs cannot read other nodes' folders), full access to the node's
 * own folder only, what UML needs in /dev.  Kernels without Landlock run
 * guests unconfined; callers say so once (confine_abi() == 0).
 */
#ifndef UMLAB_CONFINE_H
#define UMLAB_CONFINE_H

struct confine_rules {
	const char *node_dir;          /* full access (uml_dir) */
	const char *tmp_dir;           /* full access (TMPDIR: the memory file), may be NULL */
	const char *net_dir;           /* may create and remove sockets (PATH+) */
	const char *init;              /* read + execute (the guest's init) */
	const char *const *ro_paths;   /* NULL-terminated extra read-only paths, or NULL */
	const char *rw_file;           /* one file read and written (a disk image), or NULL */
};

/* Landlock ABI version of the running kernel, 0 when unavailable. */
int confine_abi(void);
/* "landlock" or "none". */
const char *confine_kind(void);
/* Confine the calling process (and what it execs).  0, or -1 with errno.
 * Async-signal-safe enough for a forked child (no malloc). */
int confine_self(const struct confine_rules *r);

#endif
