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

/* Flip one bit at base+off (off drawn within length when length > 0) in
 * the guest kernel's process and log it as what. */
static void
flip(struct fault *f, struct node *n, const char *what, unsigned long long base, uint64_t off,
     uint64_t length)
{
	unsigned long long addr;
	int bit = f->spec.bit, fd;
	uint8_t old, now, back;
	char path[64];

	/* Random draws, logged: which byte of the region, which bit. */
	if (length > 0)
		off += fault_rand(f) % length;
	if (bit < 0)
		bit = (int)(fault_rand(f) % 8);
	addr = base + off;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)node_pid(n));
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0) {
		fault_log(f, "failed", "%s: %s", path, strerror(errno));
		return;
	}
	if (pread(fd, &old, 1, (off_t)addr) != 1) {
		fault_log(f, "failed", "read %s+%" PRIu64 " at 0x%llx: %s", what, off, addr,
			  strerror(errno));
		close(fd);
		return;
	}
	now = old ^ (uint8_t)(1u << bit);
	if (pwrite(fd, &now, 1, (off_t)addr) != 1 || pread(fd, &back, 1, (off_t)addr) != 1) {
		fault_log(f, "failed", "write %s+%" PRIu64 " at 0x%llx: %s", what, off, addr,
			  strerror(errno));
		close(fd);
		return;
	}
	close(fd);
	/* back may differ from now if the guest wrote the byte meanwhile. */
	fault_log(f, "inject", "%s offset=%" PRIu64 " address=0x%llx bit=%d old=0x%02x "
		  "new=0x%02x readback=0x%02x", what, off, addr, bit, old, now, back);
}

static void
memflip_found(const struct agent_exec_result *r, void *arg)
{
	struct fault *f = arg;
	struct node *n = fault_node(f);
	unsigned long long addr;
	char what[160];

	if (r->error != NULL || n == NULL || node_pid(n) == 0) {
		fault_log(f, "failed", "symbol lookup: %s", r->error ? r->error : "node is gone");
		return;
	}
	if (r->out_len == 0 || sscanf(r->out, "%llx", &addr) != 1 || addr == 0) {
		fault_log(f, "failed", "symbol %s not in the guest's /proc/kallsyms (it lists code "
			  "symbols only)", f->symbol);
		return;
	}
	snprintf(what, sizeof(what), "symbol=%s", f->symbol);
	flip(f, n, what, addr, (uint64_t)f->spec.offset, (uint64_t)f->spec.length);
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

	if (n == NULL || node_state(n) != NODE_READY) {
		fault_log(f, "failed", "node is not ready");
		return;
	}
	if (f->region != NULL) {
		unsigned long long lo, hi;
		char what[32];

		if (find_region(node_pid(n), f->region, &lo, &hi) < 0) {
			fault_log(f, "failed", "region %s not found in the guest kernel's memory map",
				  f->region);
			return;
		}
		snprintf(what, sizeof(what), "region=%s", f->region);
		flip(f, n, what, lo, 0, hi - lo);
		return;
	}
	pattern = xasprintf(" [A-Za-z] %s$", f->symbol);
	argv[3] = pattern;
	if (node_exec(n, argv, memflip_found, f) < 0)
		fault_log(f, "failed", "cannot ask the guest for symbol %s", f->symbol);
	free(pattern);
}

const struct fault_type fault_memflip = {
	.name = "memflip",
	.needs_node = 1,
	.check = check_memflip,
	.inject = inject_memflip,
};
