/*
 * cmd-doctor.c - `umlab doctor [LAB]`: is this machine fit to run labs
 * (and LAB, when given)?  Every line says what was checked and, when it
 * fails, the exact fix.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "core/lab.h"
#include "core/util.h"
#include "scenarios/cmd.h"
#include "scenarios/kathara.h"
#include "scenarios/runtime.h"
#include "scenarios/scn.h"

struct doctor {
	int bad;
	char missing[512];
};

/* Whether the file at path holds the bytes of s (a kernel's strings). */
static int
file_has(const char *path, const char *s)
{
	struct stat st;
	void *m;
	int fd = open(path, O_RDONLY | O_CLOEXEC), found = 0;

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && st.st_size > 0 &&
	    (m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) != MAP_FAILED) {
		found = memmem(m, (size_t)st.st_size, s, strlen(s)) != NULL;
		munmap(m, (size_t)st.st_size);
	}
	close(fd);
	return found;
}

static void
report(struct doctor *d, int ok, const char *what, const char *fix)
{
	printf("  %-4s %s%s%s\n", ok ? "ok" : "FIX", what, ok || fix == NULL ? "" : ": ", ok || !fix ? "" : fix);
	if (!ok)
		d->bad++;
}

static void
need_pkg(struct doctor *d, const char *pkg, const char *why)
{
	char what[160];
	int ok = kathara_pkg_installed(pkg);

	snprintf(what, sizeof(what), "package %s (%s)", pkg, why);
	report(d, ok, what, NULL);
	if (!ok && strlen(d->missing) + strlen(pkg) + 2 < sizeof(d->missing)) {
		strcat(d->missing, " ");
		strcat(d->missing, pkg);
	}
}

static int
landlock_abi(void)
{
#ifdef SYS_landlock_create_ruleset
	return (int)syscall(SYS_landlock_create_ruleset, NULL, 0, 1 /* VERSION */);
#else
	return -1;
#endif
}

static int
cmd_doctor(int argc, char **argv)
{
	struct doctor d = { 0 };
	const char *kernel = getenv("UMLAB_KERNEL") ? getenv("UMLAB_KERNEL") : UMLAB_KERNEL;
	const char *init = rt_find_init();
	char what[256];
	int abi;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			cmd_print_help(&cmd_doctor_entry);
			return UMLAB_EXIT_OK;
		}
		fprintf(stderr, "usage: umlab doctor %s\n", cmd_doctor_entry.args);
		return UMLAB_EXIT_USAGE;
	}
	printf("umlab %s: checking this machine\n", PACKAGE_VERSION);
	snprintf(what, sizeof(what), "guest kernel %s", kernel);
	report(&d, access(kernel, X_OK) == 0, what, "apt-get install user-mode-linux");
	need_pkg(&d, "user-mode-linux", "the guest kernel");
	report(&d, file_has(kernel, "bess open:"),
	       "the guest kernel has the vector network driver (guest NICs use it)",
	       "build the guest kernel with CONFIG_UML_NET_VECTOR=y (Debian's has it)");
	need_pkg(&d, "vdeplug", "linux.uml's VDE transport runs vde_plug, for a NIC with no cable");
	need_pkg(&d, "iproute2", "ip, used by labs and tests");
	need_pkg(&d, "iputils-ping", "ping, used by most labs");
	need_pkg(&d, "kmod", "guests load kernel modules with insmod/modprobe");
	snprintf(what, sizeof(what), "in-guest init %s", init);
	report(&d, access(init, R_OK) == 0, what, "build it with make, or set UMLAB_INIT");
	{
		char plugin[PATH_MAX], line[PATH_MAX + 64];

		snprintf(plugin, sizeof(plugin), "%s/libvdeplug_umlab.so", rt_find_vdeplugin());
		snprintf(line, sizeof(line), "umlab:// plugin for host programs on a switch %s",
		    plugin);
		report(&d, access(plugin, R_OK) == 0, line, "build it with make");
		if (access(plugin, R_OK) == 0 && *rt_vdeplugin_env() != '\0')
			printf("  note host programs find it with: %sPROGRAM umlab://...\n",
			    rt_vdeplugin_env());
	}
	report(&d, access("/dev/shm", W_OK) == 0, "/dev/shm is writable (guest memory files)",
	       "guests then keep their memory in /tmp, which is slower");
	abi = landlock_abi();
	snprintf(what, sizeof(what), "Landlock (ABI %d): guests can be confined to their folder", abi);
	if (abi > 0)
		report(&d, 1, what, NULL);
	else
		printf("  note Landlock is not available here: guests are not confined by Landlock\n");
	if (getuid() == 0)
		printf("  note running as root: guests run under an unprivileged uid\n");
	if (argc == 2) {
		struct lab *lab = lab_new("doctor");
		struct kathara_lab *kl;
		char err[512], *conf = xasprintf("%s/lab.conf", argv[1]);
		char *apt;

		if (access(conf, R_OK) == 0) {
			printf("lab %s:\n", argv[1]);
			if ((kl = kathara_open(argv[1], lab, err, sizeof(err))) == NULL) {
				printf("  FIX  %s\n", err);
				d.bad++;
			} else {
				apt = kathara_apt_line(kl);
				report(&d, apt == NULL, "the programs its images and startup files use",
				       apt);
				free(apt);
				kathara_free(kl);
			}
		} else {
			char **pk = scn_lab_packages(argv[1]);

			printf("lab %s:\n", argv[1]);
			if (pk == NULL)
				printf("  note a scenario without a packages file: its programs are "
				       "not known before it runs\n");
			for (size_t i = 0; pk && pk[i]; i++) {
				need_pkg(&d, pk[i], "the lab's packages file");
				free(pk[i]);
			}
			free(pk);
		}
		free(conf);
		lab_free(lab);
	}
	if (d.missing[0])
		printf("\nInstall what is missing with:\n  apt-get install%s\n", d.missing);
	printf("%s\n", d.bad ? "umlab doctor: this machine is not ready (see FIX lines)" :
	       "umlab doctor: ready");
	return d.bad ? UMLAB_EXIT_ENV : UMLAB_EXIT_OK;
}

const struct cmd_entry cmd_doctor_entry = {
	.name = "doctor",
	.args = "[LAB]",
	.summary = "check that this machine (and LAB) can run labs",
	.help = "Checks the guest kernel, the packages guests need, the in-guest init,\n"
		"/dev/shm and Landlock; for a Kathará lab folder the Debian packages its\n"
		"images and startup files need; for a lab with a `packages` file (one\n"
		"Debian package a line, as in labs/*/packages) those.  Prints the exact\n"
		"apt-get line.  Exit status 0 when ready, 3 when something must be fixed.\n",
	.exec = cmd_doctor,
};
