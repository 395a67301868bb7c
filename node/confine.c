/*
 * confine.c - see confine.h.
 *
 * Debian 12's <linux/landlock.h> knows ABI 1-2 only; the kernels we run
 * on have ABI 7.  The constants below are the kernel's (uapi), defined
 * here when the header lacks them; rights are masked down to the ABI the
 * running kernel reports, so older kernels get what they can enforce.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "node/confine.h"

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#define UMLAB_LL_SCOPE_SIGNAL (1ULL << 1)

/* Our own copy of the attribute: the header's has no handled_access_net
 * (ABI 4) nor scoped (ABI 6). */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

#define RX (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FILE_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
		     LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE | \
		     LANDLOCK_ACCESS_FS_IOCTL_DEV)
#define ALL_FS ((1ULL << 16) - 1)

/* Read-only system folders a guest with the host's / as root needs.  Not
 * /tmp, /home, /root, /run, /srv, /mnt, /media: they hold other users' and
 * other labs' files. */
static const char *const system_ro[] = {
	"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt",
	"/var", "/proc", "/sys", NULL,
};
/* Devices: read/write (ioctl for the pty UML probes in check_one_sigio). */
static const char *const dev_rw[] = {
	"/dev/null", "/dev/zero", "/dev/random", "/dev/urandom", "/dev/ptmx", "/dev/pts",
	"/dev/tty", "/dev/net/tun", NULL,
};

static long
ll_create(const struct ll_ruleset_attr *a, size_t size, uint32_t flags)
{
	return syscall(SYS_landlock_create_ruleset, a, size, flags);
}

int
confine_abi(void)
{
	long v = ll_create(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}

const char *
confine_kind(void)
{
	return confine_abi() > 0 ? "landlock" : "none";
}

static uint64_t
fs_rights_for(int abi)
{
	uint64_t r = ALL_FS;

	if (abi < 2)
		r &= ~LANDLOCK_ACCESS_FS_REFER;
	if (abi < 3)
		r &= ~LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi < 5)
		r &= ~LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return r;
}

/* Allow `want` beneath path; missing paths are fine (not every host has
 * /lib32).  A file gets only the rights that apply to files. */
static int
allow(int rs, const char *path, uint64_t want, uint64_t handled)
{
	struct ll_path_beneath pb;
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC);

	/* A path the guest's uid cannot even reach (a lab under /root when we
	 * run as root) needs no rule: the guest could not read it anyway. */
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == EACCES ? 0 : -1;
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		want &= FILE_RIGHTS;
	pb.allowed_access = want & handled;
	pb.parent_fd = fd;
	if (pb.allowed_access != 0 &&
	    syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

int
confine_self(const struct confine_rules *r)
{
	int abi = confine_abi();
	struct ll_ruleset_attr attr = { 0 };
	size_t size;
	uint64_t h;
	int rs, rc = -1;

	if (abi <= 0) {
		errno = EOPNOTSUPP;
		return -1;
	}
	h = attr.handled_access_fs = fs_rights_for(abi);
	size = 8;                             /* ABI 1-3: fs only */
	if (abi >= 6) {
		/* A guest may signal only its own processes (helpers and
		 * traced children), never the controller or other guests. */
		attr.scoped = UMLAB_LL_SCOPE_SIGNAL;
		size = sizeof(attr);
	}
	rs = (int)ll_create(&attr, size, 0);
	if (rs < 0)
		return -1;
	for (const char *const *p = system_ro; *p; p++)
		if (allow(rs, *p, RX, h) < 0)
			goto out;
	for (const char *const *p = dev_rw; *p; p++)
		if (allow(rs, *p, RX | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_IOCTL_DEV |
			  LANDLOCK_ACCESS_FS_TRUNCATE, h) < 0)
			goto out;
	for (const char *const *p = r->ro_paths; p && *p; p++)
		if (allow(rs, *p, RX, h) < 0)
			goto out;
	if (r->init && allow(rs, r->init, LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_EXECUTE,
			     h) < 0)
		goto out;
	if (r->net_dir && allow(rs, r->net_dir, LANDLOCK_ACCESS_FS_MAKE_SOCK |
				LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_READ_DIR, h) < 0)
		goto out;
	if (r->rw_file && allow(rs, r->rw_file, LANDLOCK_ACCESS_FS_READ_FILE |
				LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE, h) < 0)
		goto out;
	if (r->node_dir && allow(rs, r->node_dir, ALL_FS, h) < 0)
		goto out;
	if (r->tmp_dir && allow(rs, r->tmp_dir, ALL_FS, h) < 0)
		goto out;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto out;
	if (syscall(SYS_landlock_restrict_self, rs, 0) < 0)
		goto out;
	rc = 0;
out:
	{
		int e = errno;

		close(rs);
		errno = e;
	}
	return rc;
}
