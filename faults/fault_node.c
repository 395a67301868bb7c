/*
 * fault_node.c - faults of a whole guest: crash, kernel panic, halt, and
 * UMLinux-style bit flips in the guest kernel's memory.
 *
 * In the guest kernel's process, guest kernel virtual addresses are host
 * virtual addresses, so a flip is a read and a write of one byte through
 * /proc/PID/mem (the controller is the kernel's parent: allowed without
 * stopping it).  Symbols come from the guest's own /proc/kallsyms (the
 * binary has none).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <sys/user.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "faults/fault_int.h"
#include "node/node.h"

static void
inject_crash(struct fault *f)
{
	struct node *n = fault_node(f);

	if (n == NULL || node_pid(n) == 0) {
		fault_log(f, "failed", "node is not running");
		return;
	}
	fault_log(f, "inject", "SIGKILL of the guest kernel (pid %d)", (int)node_pid(n));
	node_kill(n, "fault: crash (the guest kernel was killed)");
}

static void
inject_mconsole(struct fault *f, const char *cmd, const char *what)
{
	struct node *n = fault_node(f);

	if (n == NULL || node_pid(n) == 0) {
		fault_log(f, "failed", "node is not running");
		return;
	}
	if (node_mconsole(n, cmd, NULL, 0) < 0) {
		fault_log(f, "failed", "mconsole '%s': %s", cmd, strerror(errno));
		return;
	}
	fault_log(f, "inject", "%s (mconsole '%s')", what, cmd);
}

static void
inject_panic(struct fault *f)
{
	inject_mconsole(f, "sysrq c", "kernel panic");
}

static void
inject_halt(struct fault *f)
{
	inject_mconsole(f, "halt", "halt");
}

/* --- freeze: the guest stops dead (ptrace), its peers see a silent node --- */

static void
inject_freeze(struct fault *f)
{
	struct node *n = fault_node(f);

	if (n == NULL || node_pid(n) == 0) {
		fault_log(f, "failed", "node is not running");
		return;
	}
	if (node_freeze(n) < 0) {
		fault_log(f, "failed", "ptrace: %s", strerror(errno));
		return;
	}
	/* The latency moves from run to run: it is in report.json's detail only
	 * through the node's own figures, not in the reproducible log. */
	fault_log(f, "inject", "frozen for %g s", f->spec.duration);
}

static void
clear_freeze(struct fault *f)
{
	struct node *n = fault_node(f);

	if (n == NULL || node_pid(n) == 0) {
		fault_log(f, "clear", "node is gone");
		return;
	}
	if (node_thaw(n) == 0)
		fault_log(f, "clear", "thawed");
	else if (errno == EALREADY)	/* a stop thawed it first: the lab is ending */
		fault_log(f, "clear", "already thawed");
	else
		fault_log(f, "failed", "thaw: %s", strerror(errno));
}

static int
check_freeze(const struct fault_spec *s, char *err, size_t errlen)
{
	if (s->duration <= 0) {
		snprintf(err, errlen, "fault freeze on %s: give duration= (seconds frozen); for a "
			 "slow node add every= (e.g. duration=0.03, every=0.1)", s->target);
		return -1;
	}
	return 0;
}

const struct fault_type fault_freeze = {
	.name = "freeze",
	.needs_node = 1,
	.clearable = 1,
	.check = check_freeze,
	.inject = inject_freeze,
	.clear = clear_freeze,
};

/* --- regflip: one bit of a register of the guest kernel's process --- */

static const struct {
	const char *name;
	size_t off;
} regs[] = {
#define R(x) { #x, offsetof(struct user_regs_struct, x) }
	R(rax), R(rbx), R(rcx), R(rdx), R(rsi), R(rdi), R(rbp), R(rsp), R(r8), R(r9), R(r10),
	R(r11), R(r12), R(r13), R(r14), R(r15), R(rip), R(eflags),
#undef R
};

static int
reg_index(const char *name)
{
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		if (strcmp(regs[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
check_regflip(const struct fault_spec *s, char *err, size_t errlen)
{
	if (s->symbol != NULL && reg_index(s->symbol) < 0) {
		snprintf(err, errlen, "fault regflip on %s: unknown register '%s' (rax ... r15, rip, "
			 "rsp, eflags)", s->target, s->symbol);
		return -1;
	}
	if (s->bit < -1 || s->bit > 63) {
		snprintf(err, errlen, "fault regflip on %s: bit %d is outside 0..63", s->target, s->bit);
		return -1;
	}
	return 0;
}

static void
inject_regflip(struct fault *f)
{
	struct node *n = fault_node(f);
	struct user_regs_struct r, back;
	int ri = f->symbol ? reg_index(f->symbol) :
		(int)(fault_rand(f) % (sizeof(regs) / sizeof(regs[0])));
	int bit = f->spec.bit >= 0 ? f->spec.bit : (int)(fault_rand(f) % 64);
	unsigned long long *slot, old;
	int froze = 0;

	if (n == NULL || node_pid(n) == 0) {
		fault_log(f, "failed", "node is not running");
		return;
	}
	/* A node already frozen by another fault is flipped at that stop. */
	if (node_freeze(n) == 0)
		froze = 1;
	else if (errno != EALREADY) {
		fault_log(f, "failed", "ptrace: %s", strerror(errno));
		return;
	}
	if (node_regs(n, &r) < 0) {
		fault_log(f, "failed", "GETREGS: %s", strerror(errno));
		if (froze)
			node_thaw(n);
		return;
	}
	slot = (unsigned long long *)((char *)&r + regs[ri].off);
	old = *slot;
	*slot ^= 1ULL << bit;
	if (node_set_regs(n, &r) < 0 || node_regs(n, &back) < 0) {
		fault_log(f, "failed", "SETREGS: %s", strerror(errno));
		if (froze)
			node_thaw(n);
		return;
	}
	if (froze)
		node_thaw(n);
	/* Values move from run to run; the register and bit are the schedule. */
	f->address = old;
	fault_log(f, "inject", "register=%s bit=%d readback_matches=%s", regs[ri].name, bit,
		  *(unsigned long long *)((char *)&back + regs[ri].off) == *slot ? "yes" : "no");
}

const struct fault_type fault_regflip = {
	.name = "regflip",
	.needs_node = 1,
	.check = check_regflip,
	.inject = inject_regflip,
};

const struct fault_type fault_crash = { .name = "crash", .needs_node = 1, .inject = inject_crash };
const struct fault_type fault_panic = { .name = "panic", .needs_node = 1, .inject = inject_panic };
const struct fault_type fault_halt = { .name = "halt", .needs_node = 1, .inject = inject_halt };

/* --- memflip --- */

static int
check_memflip(const struct fault_spec *s, char *err, size_t errlen)
{
	if ((s->symbol == NULL) == (s->region == NULL)) {
		snprintf(err, errlen, "fault memflip on %s: give symbol= (a guest kernel code symbol) "
			 "or region= (ram, text or data)", s->target);
		return -1;
	}
	if (s->region != NULL) {
		if (strcmp(s->region, "ram") != 0 && strcmp(s->region, "text") != 0 &&
		    strcmp(s->region, "data") != 0) {
			snprintf(err, errlen, "fault memflip on %s: unknown region '%s' (ram, text "
				 "or data)", s->target, s->region);
			return -1;
		}
	}
	for (const char *p = s->symbol ? s->symbol : ""; *p; p++)
		if (!(*p == '_' || *p == '.' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9'))) {
			snprintf(err, errlen, "fault memflip on %s: bad symbol name '%s'", s->target,
				 s->symbol);
			return -1;
		}
	if (s->bit < -1 || s->bit > 7) {
		snprintf(err, errlen, "fault memflip on %s: bit %d is outside 0..7", s->target, s->bit);
		return -1;
	}
	if (s->offset < 0 || s->length < 0 || s->length > 1 << 24) {
		snprintf(err, errlen, "fault memflip on %s: offset and length must be >= 0 (length "
			 "at most 16 MiB)", s->target);
		return -1;
	}
	return 0;
}

/* One injection's random draws, made when it fires (not when an
 * asynchronous step returns), and its planned time. */
struct flip_plan {
	struct fault *f;
	uint64_t draw_off;      /* drawn within spec.length (or a region) */
	int bit;
	int64_t planned_ns;
};

static void
plan_draw(struct fault *f, struct flip_plan *p)
{
	p->f = f;
	p->planned_ns = f->planned_ns;
	p->draw_off = fault_rand(f);
	p->bit = f->spec.bit >= 0 ? f->spec.bit : (int)(fault_rand(f) % 8);
}

/* Flip bit p->bit at base+off, off = spec.offset plus the draw within
 * length when length > 0, in the guest kernel's process; log it as what. */
static void
flip(struct flip_plan *p, struct node *n, const char *what, unsigned long long base, uint64_t off,
     uint64_t length)
{
	struct fault *f = p->f;
	unsigned long long addr;
	int bit = p->bit, fd;
	uint8_t old, now, back;
	char path[64];
	int64_t saved = f->planned_ns;

	f->planned_ns = p->planned_ns;   /* log it at the time it was planned for */
	if (length > 0)
		off += p->draw_off % length;
	addr = base + off;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)node_pid(n));
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0) {
		fault_log(f, "failed", "%s: %s", path, strerror(errno));
		f->planned_ns = saved;
		return;
	}
	if (pread(fd, &old, 1, (off_t)addr) != 1) {
		fault_log(f, "failed", "read %s+%" PRIu64 " at 0x%llx: %s", what, off, addr,
			  strerror(errno));
		close(fd);
		f->planned_ns = saved;
		return;
	}
	now = old ^ (uint8_t)(1u << bit);
	if (pwrite(fd, &now, 1, (off_t)addr) != 1 || pread(fd, &back, 1, (off_t)addr) != 1) {
		fault_log(f, "failed", "write %s+%" PRIu64 " at 0x%llx: %s", what, off, addr,
			  strerror(errno));
		close(fd);
		f->planned_ns = saved;
		return;
	}
	close(fd);
	/* back may differ from now if the guest wrote the byte meanwhile. */
	f->address = addr;
	fault_log(f, "inject", "%s offset=%" PRIu64 " bit=%d old=0x%02x new=0x%02x readback=0x%02x",
		  what, off, bit, old, now, back);
	f->planned_ns = saved;
}

/* A symbol is looked up in the guest once; injections that fire while
 * the lookup runs wait in order, so that flips on the same bytes always
 * apply in the same order (the log stays reproducible). */
struct memflip_state {
	int resolving, resolved, failed;
	unsigned long long addr;
	struct plan_q { struct flip_plan *p; struct plan_q *next; } *q, **qtail;
};

static void
apply_plan(struct memflip_state *st, struct flip_plan *p)
{
	struct fault *f = p->f;
	struct node *n = fault_node(f);
	char what[160];
	int64_t saved = f->planned_ns;

	f->planned_ns = p->planned_ns;
	if (st->failed)
		fault_log(f, "failed", "symbol %s not in the guest's /proc/kallsyms (it lists code "
			  "symbols only)", f->symbol);
	else if (n == NULL || node_pid(n) == 0)
		fault_log(f, "failed", "node is not running");
	else {
		snprintf(what, sizeof(what), "symbol=%s", f->symbol);
		flip(p, n, what, st->addr, (uint64_t)f->spec.offset, (uint64_t)f->spec.length);
	}
	f->planned_ns = saved;
	free(p);
}

static void
memflip_found(const struct agent_exec_result *r, void *arg)
{
	struct fault *f = arg;
	struct memflip_state *st = f->state;

	st->resolving = 0;
	if (r->error != NULL || r->out_len == 0 || sscanf(r->out, "%llx", &st->addr) != 1 ||
	    st->addr == 0)
		st->failed = 1;
	st->resolved = 1;
	while (st->q) {
		struct plan_q *q = st->q;

		st->q = q->next;
		apply_plan(st, q->p);
		free(q);
	}
	st->qtail = &st->q;
}

/* The region's address range in the kernel process, from /proc/PID/maps:
 * ram = the largest shared mapping (guest physical memory, a deleted file
 * in TMPDIR); text = the kernel binary's executable mapping; data = its
 * largest writable one. */
static int
find_region(pid_t pid, const char *region, unsigned long long *lo, unsigned long long *hi)
{
	char path[64], line[512], perms[8], file[256];
	unsigned long long a, b, best = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		file[0] = '\0';
		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %255[^\n]", &a, &b, perms, file) < 3)
			continue;
		int ok;

		if (strcmp(region, "ram") == 0)
			ok = perms[3] == 's' && strstr(file, "(deleted)") != NULL;
		else if (strcmp(region, "text") == 0)
			ok = perms[2] == 'x' && perms[1] != 'w' && strstr(file, "linux") != NULL;
		else
			ok = perms[1] == 'w' && perms[3] == 'p' && strstr(file, "linux") != NULL;
		if (ok && b - a > best) {
			best = b - a;
			*lo = a;
			*hi = b;
		}
	}
	fclose(fp);
	return best > 0 ? 0 : -1;
}

static void
inject_memflip(struct fault *f)
{
	struct node *n = fault_node(f);
	char *pattern;
	const char *argv[] = { "grep", "-m1", "-E", NULL, "/proc/kallsyms", NULL };
	struct flip_plan *p;

	if (n == NULL || node_state(n) != NODE_READY) {
		fault_log(f, "failed", "node is not ready");
		return;
	}
	p = xcalloc(1, sizeof(*p));
	plan_draw(f, p);
	if (f->region != NULL) {
		unsigned long long lo, hi;
		char what[32];

		if (find_region(node_pid(n), f->region, &lo, &hi) < 0)
			fault_log(f, "failed", "region %s not found in the guest kernel's memory map",
				  f->region);
		else {
			snprintf(what, sizeof(what), "region=%s", f->region);
			flip(p, n, what, lo, 0, hi - lo);
		}
		free(p);
		return;
	}
	if (f->state == NULL) {
		struct memflip_state *st = xcalloc(1, sizeof(*st));

		st->qtail = &st->q;
		f->state = st;
	}
	struct memflip_state *st = f->state;

	if (st->resolved) {
		apply_plan(st, p);
		return;
	}
	*st->qtail = xcalloc(1, sizeof(struct plan_q));
	(*st->qtail)->p = p;
	st->qtail = &(*st->qtail)->next;
	if (st->resolving)
		return;
	pattern = xasprintf(" [A-Za-z] %s$", f->symbol);
	argv[3] = pattern;
	st->resolving = 1;
	if (node_exec(n, argv, memflip_found, f) < 0) {
		struct agent_exec_result fail = { .error = "cannot ask the guest" };

		memflip_found(&fail, f);
	}
	free(pattern);
}

const struct fault_type fault_memflip = {
	.name = "memflip",
	.needs_node = 1,
	.check = check_memflip,
	.inject = inject_memflip,
};
