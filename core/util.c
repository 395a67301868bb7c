/*
 * util.c - small helpers shared by every part.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/util.h"

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

int
mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int
rm_rf_at(int at, const char *name)
{
	struct stat st;
	int fd, rc = 0;
	DIR *d;
	struct dirent *e;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(at, name, 0) < 0 && errno != ENOENT ? -1 : 0;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (rm_rf_at(dirfd(d), e->d_name) < 0)
			rc = -1;
	}
	closedir(d);
	if (unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

int
rm_rf(const char *path)
{
	return rm_rf_at(AT_FDCWD, path);
}

int
write_file_atomic(const char *path, const void *data, size_t len)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const char *p = data;
	int saved;

	if (fd < 0) {
		free(tmp);
		return -1;
	}
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		fd = -1;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	errno = saved;
	return -1;
}

int
copy_file(const char *from, const char *to, mode_t mode)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	char buf[65536];
	ssize_t n;
	int rc = 0, saved;

	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0) {
		saved = errno;
		close(in);
		errno = saved;
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			rc = -1;
			break;
		}
	}
	if (n < 0)
		rc = -1;
	saved = errno;
	close(in);
	if (close(out) < 0)
		rc = -1;
	errno = saved;
	return rc;
}

static int
copy_tree_at(const char *from, const char *to, uid_t uid, gid_t gid, int depth, char *err,
	     size_t errlen)
{
	struct stat st;
	int rc = 0;

	if (depth > 64) {
		snprintf(err, errlen, "%s: nested too deep", from);
		errno = ELOOP;
		return -1;
	}
	if (lstat(from, &st) < 0) {
		snprintf(err, errlen, "%s: %s", from, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d;
		struct dirent *e;

		if (mkdir(to, 0700) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", to, strerror(errno));
			return -1;
		}
		if ((d = opendir(from)) == NULL) {
			snprintf(err, errlen, "%s: %s", from, strerror(errno));
			return -1;
		}
		while (rc == 0 && (e = readdir(d)) != NULL) {
			char *f, *t;

			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			f = xasprintf("%s/%s", from, e->d_name);
			t = xasprintf("%s/%s", to, e->d_name);
			rc = copy_tree_at(f, t, uid, gid, depth + 1, err, errlen);
			free(f);
			free(t);
		}
		closedir(d);
		if (rc == 0 && chmod(to, st.st_mode & 07777) < 0)
			rc = -1;
	} else if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(from, target, sizeof(target) - 1);

		if (n < 0 || (target[n] = '\0', symlink(target, to)) < 0) {
			snprintf(err, errlen, "%s: %s", to, strerror(errno));
			return -1;
		}
	} else if (S_ISREG(st.st_mode)) {
		if (copy_file(from, to, st.st_mode & 07777) < 0 || chmod(to, st.st_mode & 07777) < 0) {
			snprintf(err, errlen, "%s: %s", from, strerror(errno));
			return -1;
		}
	} else {
		return 0;   /* devices, fifos, sockets: not node files */
	}
	if (rc == 0 && uid != (uid_t)-1 && lchown(to, uid, gid) < 0) {
		snprintf(err, errlen, "%s: chown: %s", to, strerror(errno));
		return -1;
	}
	return rc;
}

int
copy_tree(const char *from, const char *to, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	return copy_tree_at(from, to, uid, gid, 0, err, errlen);
}

char *
read_file(const char *path, size_t max, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 4096;
	char *buf;
	ssize_t n;

	if (fd < 0)
		return NULL;
	buf = xcalloc(1, cap + 1);
	while (len < max && (n = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap && cap < max) {
			cap = cap * 2 > max ? max : cap * 2;
			if ((buf = realloc(buf, cap + 1)) == NULL)
				abort();
		}
	}
	close(fd);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

char *
file_tail(const char *path, int lines)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t size, from;
	char *buf, *p;
	ssize_t n;

	if (fd < 0)
		return xstrdup("");
	size = lseek(fd, 0, SEEK_END);
	from = size > 8192 ? size - 8192 : 0;
	buf = xcalloc(1, 8193);
	n = pread(fd, buf, 8192, from);
	close(fd);
	if (n <= 0) {
		buf[0] = '\0';
		return buf;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	p = buf + n;
	while (p > buf && lines > 0) {
		p--;
		if (*p == '\n')
			lines--;
	}
	if (*p == '\n')
		p++;
	memmove(buf, p, strlen(p) + 1);
	return buf;
}

int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int
set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl < 0 ? -1 : fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

double
now_seconds(void)
{
	return (double)loop_now() / 1e9;
}
