/*
 * kathara.h - a Kathará/Netkit lab folder as an umlab lab: the topology
 * (one switch per collision domain, one node per device, interfaces in
 * index order, MACs kept) and, per device, the run plan that reproduces
 * Kathará's start sequence: files to copy onto /, a generated startup
 * script (sysctls, /shared, shared.startup, DEV.startup with `set -x`,
 * exec lines, /tmp/EOS) and a shutdown script.
 *
 * The plan maps one to one onto the guest's SETUP directives
 * `copy HOSTDIR`, `startup HOSTFILE`, `shutdown HOSTFILE` (the agent
 * branch): files_dir, startup and shutdown below are host paths the guest
 * reads through its hostfs root.
 */
#ifndef UMLAB_KATHARA_H
#define UMLAB_KATHARA_H

#include <stdio.h>

#include "scenarios/labconf.h"

struct lab;
struct lab_node;

struct kathara_node {
	const struct lc_device *dev;
	struct lab_node *node;       /* NULL: not started (see skip) */
	char *skip;                  /* why it is not started, or NULL */
	/* The plan (host paths; NULL: nothing to do). */
	char *files_dir;             /* LAB/DEV/: copied onto / at boot */
	char *startup;               /* OUTDIR/kathara/DEV.startup.sh once written */
	char *shutdown;              /* OUTDIR/kathara/DEV.shutdown.sh once written */
	char *startup_text;          /* their contents (always set for started nodes) */
	char *shutdown_text;
	struct lc_kv *sysctls;       /* Kathará's defaults, then the device's (also in startup_text) */
	size_t nsysctls;
};

struct kathara_lab {
	struct lc_lab *conf;
	char *dir;                   /* absolute lab folder */
	char *shared_dir;            /* LAB/shared when it exists */
	char *shimdir;               /* folder with the systemctl shim, put first in PATH */
	struct kathara_node *nodes;  /* one per device, in start order */
	size_t nnodes;
	size_t nstarted;
	char **missing;              /* required Debian packages not installed */
	size_t nmissing;
	char **suggested;            /* useful, not installed (a note only) */
	size_t nsuggested;
	char **notes;                /* what umlab does differently, one line each */
	size_t nnotes;
	char *scenario;              /* the built-in scenario (Lua) */
	int quagga_noted;
};

/* Parse DIR's lab.conf/lab.dep/lab.ext and add its topology to lab.
 * NULL with err ("DIR/lab.conf:7: ...") on bad input. */
struct kathara_lab *kathara_open(const char *dir, struct lab *lab, char *err, size_t errlen);
void kathara_free(struct kathara_lab *kl);

/* Write every started node's startup/shutdown script under
 * OUTDIR/kathara/ and set their paths.  -1 with err on failure. */
int kathara_write_scripts(struct kathara_lab *kl, const char *outdir, char *err, size_t errlen);

/* "apt-get install -y PKG..." for the missing packages (malloc'd), or NULL. */
char *kathara_apt_line(const struct kathara_lab *kl);

/* Notes and skipped devices, for the user. */
void kathara_print_plan(const struct kathara_lab *kl, FILE *f);

/* Packages an image needs (space-separated, "" for none), and a note
 * (NULL: none); *skip is set for images umlab does not start. */
const char *kathara_image_packages(const char *image, const char **note, int *skip);

/* dpkg says pkg is installed ($UMLAB_DPKG_INFO overrides /var/lib/dpkg/info). */
int kathara_pkg_installed(const char *pkg);

/* Kathará's start sequence for one device, as a bash script. */
char *kathara_startup_script(const struct kathara_lab *kl, const struct kathara_node *kn);

#endif
