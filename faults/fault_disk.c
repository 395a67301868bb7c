/*
 * fault_disk.c - disk faults: the node's data disk (node option
 * data_disk, /dev/ubdb in the guest) seen through device-mapper as
 * /dev/mapper/data, a plain linear table while no fault is armed.  A
 * fault loads another table for the sector range (the rest stays
 * linear) through the agent: error (reads and writes fail), flakey with
 * error_writes (writes fail, reads pass) or dust with bad blocks (reads
 * fail; dust forgets a bad block once it is written); clear loads the
 * linear table again.  dmsetup runs without udev (--noudevsync).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "faults/fault_int.h"
#include "node/node.h"

#define DISK_READ_MAX 256	/* dust: one message per bad sector */

static int
parse_range(const char *s, unsigned long long *lo, unsigned long long *hi)
{
	char c;

	if (s == NULL) {
		*lo = 0;
		*hi = ~0ULL;
		return 0;
	}
	if (sscanf(s, "%llu-%llu%c", lo, hi, &c) == 2 && *lo <= *hi)
		return 0;
	if (sscanf(s, "%llu%c", lo, &c) == 1) {
		*hi = *lo;
		return 0;
	}
	return -1;
}

static int
check_disk(const struct fault_spec *s, char *err, size_t errlen)
{
	unsigned long long lo, hi;
	const char *m = s->mode ? s->mode : "both";

	if (strcmp(m, "read") != 0 && strcmp(m, "write") != 0 && strcmp(m, "both") != 0) {
		snprintf(err, errlen, "fault disk on %s: mode '%s' is not read, write or both",
			 s->target, m);
		return -1;
	}
	if (parse_range(s->sectors, &lo, &hi) < 0) {
		snprintf(err, errlen, "fault disk on %s: sectors '%s' is not FIRST-LAST (512-byte "
			 "sectors, e.g. \"100-200\")", s->target, s->sectors);
		return -1;
	}
	if (strcmp(m, "read") == 0 && (s->sectors == NULL || hi - lo + 1 > DISK_READ_MAX)) {
		snprintf(err, errlen, "fault disk on %s: mode=read takes a sectors range of at most "
			 "%d sectors (dm-dust, one bad block each)", s->target, DISK_READ_MAX);
		return -1;
	}
	if (s->after != 0) {
		snprintf(err, errlen, "fault disk on %s: after= is not built yet (the guest kernel's "
			 "dm targets count time, not operations)", s->target);
		return -1;
	}
	return 0;
}

/* Shell prelude: the modules, S = the disk's size, /dev/mapper/data linear. */
#define PRELUDE \
	"export DM_DISABLE_UDEV=1; D=/dev/ubdb; " \
	"[ -b $D ] || { echo 'no data disk /dev/ubdb: give the node data_disk=\"64M\"' >&2; exit 3; }; " \
	"modprobe dm_mod 2>/dev/null; modprobe dm_flakey 2>/dev/null; modprobe dm_dust 2>/dev/null; " \
	"S=$(cat /sys/block/ubdb/size); " \
	"[ -e /dev/mapper/data ] || dmsetup create data --noudevsync --table \"0 $S linear $D 0\" || exit 4; " \
	"swap() { dmsetup load data --noudevsync && dmsetup suspend --noudevsync data && " \
	"dmsetup resume --noudevsync data; }; "

static void
disk_done(const struct agent_exec_result *r, void *arg)
{
	struct fault *f = arg;
	int clear = f->state != NULL && *(int *)f->state;

	if (r->error != NULL || !WIFEXITED(r->status) || WEXITSTATUS(r->status) != 0) {
		char msg[200];

		snprintf(msg, sizeof(msg), "%.*s", (int)(r->err_len ? r->err_len : r->out_len),
			 r->err_len ? r->err : r->out ? r->out : "");
		for (char *p = msg; *p; p++)
			if (*p == '\n')
				*p = ' ';
		fault_log(f, "failed", "dmsetup in the guest: %s", r->error ? r->error : msg);
		return;
	}
	if (clear)
		fault_log(f, "clear", "/dev/mapper/data linear again");
	else
		fault_log(f, "inject", "/dev/mapper/data: %s errors on sectors %s",
			  f->spec.mode ? f->spec.mode : "both", f->spec.sectors ? f->spec.sectors : "all");
}

static void
disk_run(struct fault *f, const char *script, int clear)
{
	struct node *n = fault_node(f);
	const char *argv[] = { "/bin/sh", "-c", script, NULL };

	if (f->state == NULL)
		f->state = xcalloc(1, sizeof(int));
	*(int *)f->state = clear;
	if (n == NULL || node_state(n) != NODE_READY) {
		/* At the end of the run the node goes with its table. */
		fault_log(f, clear ? "clear" : "failed", "node is not ready");
		return;
	}
	if (node_exec(n, argv, disk_done, f) < 0)
		fault_log(f, "failed", "cannot ask the guest: %s", strerror(errno));
}

static void
inject_disk(struct fault *f)
{
	const char *m = f->spec.mode ? f->spec.mode : "both";
	unsigned long long lo, hi;
	char *script, *seg, *bad = xstrdup("");

	parse_range(f->spec.sectors, &lo, &hi);
	/* The range's own target; L and H (last sector) are computed in the guest. */
	if (strcmp(m, "both") == 0)
		seg = xstrdup("error");
	else if (strcmp(m, "write") == 0)
		seg = xstrdup("flakey $D $L 0 86400 1 error_writes");
	else {
		seg = xstrdup("dust $D $L 512");
		free(bad);
		bad = xstrdup("for b in $(seq $L $H); do dmsetup message data $L addbadblock $b "
			      ">/dev/null || exit 6; done; dmsetup message data $L enable || exit 6; ");
	}
	script = xasprintf(PRELUDE
		"L=%llu; H=%llu; [ $H -ge $S ] && H=$((S - 1)); "
		"[ $L -gt $H ] && { echo \"sector $L is beyond the disk ($S sectors)\" >&2; exit 5; }; "
		"{ [ $L -gt 0 ] && echo \"0 $L linear $D 0\"; "
		"echo \"$L $((H - L + 1)) %s\"; "
		"[ $((H + 1)) -lt $S ] && echo \"$((H + 1)) $((S - H - 1)) linear $D $((H + 1))\"; "
		"true; } | swap || exit 5; %s"
		"echo \"umlab: fault disk armed: %s errors on sectors $L-$H\" > /dev/kmsg",
		lo, hi, seg, bad, m);
	disk_run(f, script, 0);
	free(script);
	free(seg);
	free(bad);
}

static void
clear_disk(struct fault *f)
{
	disk_run(f, PRELUDE "echo \"0 $S linear $D 0\" | swap && "
		 "echo 'umlab: fault disk cleared' > /dev/kmsg", 1);
}

const struct fault_type fault_disk = {
	.name = "disk", .needs_node = 1, .clearable = 1, .check = check_disk,
	.inject = inject_disk, .clear = clear_disk,
};
