/*
 * runtime.c - bring a lab model to life and take it down again.
 *
 * Runtime folder layout (short paths: unix socket names are limited to
 * 108 bytes):
 *   RUN/pid            the controller's pid, for stale-folder sweeps
 *   RUN/umlab-init     a copy of the init, readable by any guest uid
 *   RUN/net/NODE.IFACE the fabric's end of each guest NIC (bess://, stream.c)
 *   RUN/net/SW.plugN   a plug: the same kind of port, for host programs
 *   RUN/n/NODE/        the node's uml_dir (umid folder, mconsole)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "config.h"
#include "core/lab.h"
#include "core/loop.h"
#include "core/reaper.h"
#include "core/util.h"
#include "netsim/netsim.h"
#include "node/confine.h"
#include "node/node.h"
#include "scenarios/runtime.h"

/* 100 nodes on 2 cores, all ready in: 10.4 s with 4 booting at once, 8.6 s
 * with 8, 5.5 s with 16, 5.6 s with 32, 7.1 s unbounded (bench/node-scale.sh). */
#define DEFAULT_MAX_BOOTING 16

struct rt_node {
	struct rt *rt;
	struct lab_node *ln;
	struct node *node;
	int started;            /* node_start() called */
	int done;               /* exited */
	int first_boot;         /* counted in nbooting */
	int life_pending;       /* a life operation waits for its end */
	enum rt_life life;
	rt_life_cb life_cb;
	void *life_arg;
};

struct rt {
	struct loop *loop;
	struct lab *lab;
	struct rt_options o;
	const struct rt_events *ev;
	void *arg;
	char *dir;
	char *init;
	char *kernel;
	struct reaper *reaper;
	struct ns_fabric *fabric;
	int *env_problem;       /* set when rt_start fails for want of the machine */
	struct loop_timer *empty_timer;   /* a lab without nodes: started_empty */
	struct rt_node *nodes;  /* lab->nnodes of them */
	size_t nready, nbooting, next;
	int starting;           /* between rt_start() and `started` */
	int stopping;
	int64_t t_start;
	int set_ids;            /* we are root: guests run as uid:gid */
	uid_t uid;
	gid_t gid;
	int confine;            /* Landlock available */
	char *shmdir;           /* memory files when RUN is not on tmpfs, or NULL */
	uint64_t seed;
};

const char *
rt_runtime_parent(void)
{
	static char buf[PATH_MAX];
	const char *x = getenv("XDG_RUNTIME_DIR");

	if (x != NULL && *x == '/' && strlen(x) < 64)
		snprintf(buf, sizeof(buf), "%s/umlab", x);
	else
		snprintf(buf, sizeof(buf), "/tmp/umlab-%u", (unsigned)getuid());
	return buf;
}

/* rel (a file) beside this umlab, as in a build tree: its path in buf,
 * or NULL when it is not there. */
static const char *
beside_exe(char *buf, size_t len, const char *rel)
{
	ssize_t n = readlink("/proc/self/exe", buf, len);
	char *slash;

	if (n <= 0 || (size_t)n >= len)
		return NULL;
	buf[n] = '\0';
	if ((slash = strrchr(buf, '/')) == NULL ||
	    (size_t)(slash + 1 - buf) + strlen(rel) >= len)
		return NULL;
	strcpy(slash + 1, rel);
	return access(buf, R_OK) == 0 ? buf : NULL;
}

const char *
rt_find_init(void)
{
	static char buf[PATH_MAX];
	const char *e = getenv("UMLAB_INIT");

	if (e != NULL && *e != '\0')
		return e;
	if (beside_exe(buf, sizeof(buf), "umlab-init") != NULL)
		return buf;
	snprintf(buf, sizeof(buf), "%s/umlab-init", UMLAB_LIBEXECDIR);
	return buf;
}

const char *
rt_find_vdeplugin(void)
{
	static char buf[PATH_MAX];

	/* a build tree: umlab beside netsim/libvdeplug_umlab.so */
	if (beside_exe(buf, sizeof(buf), "netsim/libvdeplug_umlab.so") != NULL) {
		*strrchr(buf, '/') = '\0';
		return buf;
	}
	return UMLAB_VDEPLUGINDIR;
}

const char *
rt_vdeplugin_path(void)
{
	static char buf[2 * PATH_MAX + 2];
	const char *dir = rt_find_vdeplugin();

	if (strcmp(dir, VDEPLUG_SYSDIR) == 0)
		return NULL;
	/* VDEPLUGIN_PATH replaces libvdeplug's search: keep its own folder */
	snprintf(buf, sizeof(buf), "%s:%s", dir, VDEPLUG_SYSDIR);
	return buf;
}

const char *
rt_vdeplugin_env(void)
{
	static char buf[2 * PATH_MAX + 32];
	const char *path = rt_vdeplugin_path();

	if (path == NULL)
		return "";
	snprintf(buf, sizeof(buf), "VDEPLUGIN_PATH=%s ", path);
	return buf;
}

/* The guests' uid must walk from / down to parent: a folder above it that
 * it may not enter (an XDG_RUNTIME_DIR inside a 0700 folder) would only
 * show as a guest that dies at once with an empty console.  1 and err
 * naming the folder when so. */
static int
unreachable_above(const char *parent, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	char *p = xstrdup(parent), *slash;
	int bad = 0;

	while (!bad && (slash = strrchr(p, '/')) != NULL) {
		struct stat st;
		mode_t x;

		*slash = '\0';
		if (stat(*p ? p : "/", &st) != 0)
			break;
		x = st.st_uid == uid ? S_IXUSR : st.st_gid == gid ? S_IXGRP : S_IXOTH;
		if (!(st.st_mode & x)) {
			snprintf(err, errlen, "the guests' uid %u cannot enter %s (mode %04o) on the way "
				 "to %s: chmod o+x it, or set XDG_RUNTIME_DIR elsewhere", (unsigned)uid,
				 *p ? p : "/", (unsigned)(st.st_mode & 07777), parent);
			bad = 1;
		}
	}
	free(p);
	return bad;
}

struct rt *
rt_new(struct loop *l, struct lab *lab, const struct rt_options *o, const struct rt_events *ev,
       void *arg, int *env_problem, char *err, size_t errlen)
{
	struct rt *rt;
	const char *parent = rt_runtime_parent(), *init = o->init ? o->init : rt_find_init();
	const char *kernel = o->kernel ? o->kernel : UMLAB_KERNEL;
	char name[24], *tmpl, *p;

	*env_problem = 0;
	if (access(kernel, X_OK) < 0) {
		snprintf(err, errlen, "guest kernel %s: %s (install the Debian package "
			 "user-mode-linux)", kernel, strerror(errno));
		*env_problem = 1;
		return NULL;
	}
	if (access(init, R_OK) < 0) {
		snprintf(err, errlen, "umlab-init %s: %s (build it with make, or set UMLAB_INIT)",
			 init, strerror(errno));
		*env_problem = 1;
		return NULL;
	}
	if (mkdir_p(parent, geteuid() == 0 ? 0711 : 0700) < 0) {
		snprintf(err, errlen, "runtime folder %s: %s", parent, strerror(errno));
		*env_problem = 1;
		return NULL;
	}
	reaper_sweep_stale(parent);
	snprintf(name, sizeof(name), "%.16s", lab->name);
	tmpl = xasprintf("%s/%s.XXXXXX", parent, name);
	if (mkdtemp(tmpl) == NULL) {
		snprintf(err, errlen, "mkdtemp %s: %s", tmpl, strerror(errno));
		free(tmpl);
		*env_problem = 1;
		return NULL;
	}
	rt = xcalloc(1, sizeof(*rt));
	rt->loop = l;
	rt->lab = lab;
	rt->o = *o;
	rt->ev = ev;
	rt->arg = arg;
	rt->dir = tmpl;
	rt->kernel = xstrdup(kernel);
	chmod(rt->dir, 0755);
	if (geteuid() == 0) {
		/* Guests never run as root (DESIGN.md, Security): the `umlab`
		 * system user if there is one, else nobody.  They must be able
		 * to walk down to their node folder. */
		struct passwd *pw = getpwnam("umlab");

		rt->set_ids = 1;
		rt->uid = pw ? pw->pw_uid : 65534;
		rt->gid = pw ? pw->pw_gid : 65534;
		chmod(parent, 0711);
		if (unreachable_above(parent, rt->uid, rt->gid, err, errlen)) {
			*env_problem = 1;
			rmdir(rt->dir);
			free(rt->dir);
			free(rt->kernel);
			free(rt);
			return NULL;
		}
	}
	{
		/* The guest's memory is a shared mapping of a file in TMPDIR;
		 * on a disk it is written back (UML warns "not on tmpfs").
		 * RUN itself cannot move to /dev/shm: the guest mounts its own
		 * devtmpfs over /dev and would not find its init there. */
		struct statfs sf;

		if (statfs(rt->dir, &sf) == 0 && sf.f_type != TMPFS_MAGIC &&
		    statfs("/dev/shm", &sf) == 0 && sf.f_type == TMPFS_MAGIC) {
			rt->shmdir = reaper_shm_dir(rt->dir);
			if (mkdir(rt->shmdir, 0711) < 0) {
				free(rt->shmdir);
				rt->shmdir = NULL;
			}
		}
	}
	rt->confine = confine_abi() > 0;
	if (!rt->confine) {
		static int warned;

		if (!warned++)
			fprintf(stderr, "umlab: warning: this kernel has no Landlock: guests run "
				"unconfined (a guest's root can reach every file its uid can)\n");
	}
	p = xasprintf("%s/pid", rt->dir);
	{
		char *pid = xasprintf("%d\n", (int)getpid());

		write_file_atomic(p, pid, strlen(pid));
		free(pid);
	}
	free(p);
	rt->reaper = reaper_start(rt->dir);
	if (rt->reaper == NULL) {
		snprintf(err, errlen, "cannot start the reaper: %s", strerror(errno));
		*env_problem = 1;
		rt_free(rt);
		return NULL;
	}
	rt->init = xasprintf("%s/umlab-init", rt->dir);
	if (copy_file(init, rt->init, 0755) < 0) {
		snprintf(err, errlen, "copy %s to %s: %s", init, rt->init, strerror(errno));
		*env_problem = 1;
		rt_free(rt);
		return NULL;
	}
	rt->nodes = xcalloc(lab->nnodes, sizeof(*rt->nodes));
	for (size_t i = 0; i < lab->nnodes; i++) {
		rt->nodes[i].rt = rt;
		rt->nodes[i].ln = lab->nodes[i];
		lab->nodes[i]->rt = &rt->nodes[i];
	}
	rt->fabric = ns_fabric_new(l);
	rt->env_problem = env_problem;
	rt->seed = o->seed;
	if (rt->seed == 0 && getenv("UMLAB_SEED") != NULL)
		rt->seed = strtoull(getenv("UMLAB_SEED"), NULL, 0);
	if (rt->seed == 0)
		rt->seed = (uint64_t)loop_now() ^ ((uint64_t)getpid() << 32);
	ns_fabric_set_seed(rt->fabric, rt->seed);
	return rt;
}

/* files, startup, shutdown: the node's own copies (see stage_files()). */
static char *
node_setup_text(const struct lab_node *ln, const char *files, const char *startup,
		const char *shutdown)
{
	size_t cap = 4096 + 3 * 4200, len = 0;
	char *s = xcalloc(1, cap), a[64];

	/* First: later directives and every exec see the private root. */
	if (ln->disk != NULL)
		len += (size_t)snprintf(s + len, cap - len, "root overlay disk /dev/ubda %s\n",
					strpbrk(ln->disk, " \t\n") ? "" : ln->disk);
	else
		len += (size_t)snprintf(s + len, cap - len, "root overlay tmpfs\n");
	len += (size_t)snprintf(s + len, cap - len, "hostname %s\n", ln->name);
	for (int i = 0; i < ln->nifaces; i++) {
		lab_iface_cidr(&ln->ifaces[i], a, sizeof(a));
		len += (size_t)snprintf(s + len, cap - len, "iface %s%s%s\n", ln->ifaces[i].name,
					*a ? " " : "", a);
	}
	if (ln->has_gateway) {
		inet_ntop(AF_INET, &ln->gateway, a, sizeof(a));
		len += (size_t)snprintf(s + len, cap - len, "route default %s\n", a);
	}
	if (files != NULL)
		len += (size_t)snprintf(s + len, cap - len, "copy %.4096s\n", files);
	if (shutdown != NULL)
		len += (size_t)snprintf(s + len, cap - len, "shutdown %.4096s\n", shutdown);
	if (startup != NULL)
		snprintf(s + len, cap - len, "startup %.4096s\n", startup);
	return s;
}

/*
 * Copy the node's files and scripts into its own folder before it boots,
 * owned by the guest's uid: the guest then reads them whatever their
 * owner and mode in the lab folder (a root-owned 0640 file, a lab under
 * /root), and Landlock needs to let it read nothing of the lab's.
 */
static int
stage_files(struct rt *rt, const struct lab_node *ln, const char *dir, char *paths[3], char *err,
	    size_t errlen)
{
	const char *src[3] = { ln->files_dir, ln->startup, ln->shutdown };
	static const char *const name[3] = { "files", "startup", "shutdown" };
	uid_t uid = rt->set_ids ? rt->uid : (uid_t)-1;
	char *stage = xasprintf("%s/stage", dir), why[384];

	rm_rf(stage);   /* a restart stages again: the lab's files may have changed */
	if (mkdir_p(stage, 0755) < 0 || (rt->set_ids && chown(stage, rt->uid, rt->gid) < 0)) {
		snprintf(err, errlen, "node %s: %s: %s", ln->name, stage, strerror(errno));
		free(stage);
		return -1;
	}
	for (int i = 0; i < 3; i++) {
		paths[i] = NULL;
		if (src[i] == NULL)
			continue;
		paths[i] = xasprintf("%s/%s", stage, name[i]);
		if (copy_tree(src[i], paths[i], uid, rt->gid, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "node %s: %s: %s", ln->name, name[i], why);
			free(stage);
			return -1;
		}
	}
	free(stage);
	return 0;
}

static void start_more(struct rt *rt);

static void
started(struct rt *rt, int ok, const char *msg)
{
	if (!rt->starting)
		return;
	rt->starting = 0;
	if (!rt->o.quiet && isatty(2))
		fprintf(stderr, "\r\033[K");
	if (rt->ev->started)
		rt->ev->started(rt, ok, msg, rt->arg);
}

static void
progress(struct rt *rt)
{
	if (rt->o.quiet || !isatty(2))
		return;
	fprintf(stderr, "\rumlab: booting %zu nodes: %zu ready, %zu booting, %.1f s\033[K",
		rt->lab->nnodes, rt->nready, rt->nbooting,
		(double)(loop_now() - rt->t_start) / 1e9);
}

static void
life_done(struct rt_node *rn, int ok, const char *msg)
{
	rt_life_cb cb = rn->life_cb;

	rn->life_pending = 0;
	rn->life_cb = NULL;
	if (cb)
		cb(rn->rt, rn->ln, ok, msg, rn->life_arg);
}

static void
on_ready(struct node *n, void *arg)
{
	struct rt_node *rn = arg;
	struct rt *rt = rn->rt;

	const char *st = strstr(node_ready_info(n), "startup_status ");

	/* A broken startup script leaves a silently broken lab: say so. */
	if (st != NULL && atoi(st + 15) != 0)
		fprintf(stderr, "umlab: node %s: startup script %s exited with status %d "
			"(its output: /var/log/startup.log in the node, and the console log)\n",
			rn->ln->name, rn->ln->startup ? rn->ln->startup : "", atoi(st + 15));
	rt->nready++;
	if (rn->first_boot) {
		rn->first_boot = 0;
		rt->nbooting--;
		progress(rt);
		if (rt->starting && rt->nready == rt->lab->nnodes)
			started(rt, 1, NULL);
		else
			start_more(rt);
		return;
	}
	if (rn->life_pending)
		life_done(rn, 1, NULL);
}

static int
all_done(const struct rt *rt)
{
	for (size_t i = 0; i < rt->lab->nnodes; i++)
		if (rt->nodes[i].started && !rt->nodes[i].done)
			return 0;
	return 1;
}

static void
on_exited(struct node *n, void *arg)
{
	struct rt_node *rn = arg;
	struct rt *rt = rn->rt;
	int was_booting = rt->starting && rn->first_boot;

	rn->done = 1;
	if (node_boot_seconds(n) >= 0 && rt->nready > 0)
		rt->nready--;
	if (rn->life_pending && !rt->stopping) {
		enum rt_life op = rn->life;
		char err[512];

		if (op == RT_LIFE_RESTART || op == RT_LIFE_REBOOT) {
			if (node_state(n) == NODE_STOPPED && node_respawn(n, err, sizeof(err)) == 0) {
				rn->done = 0;
				rn->life = RT_LIFE_START;
				return;
			}
			life_done(rn, 0, node_state(n) == NODE_STOPPED ? err : node_reason(n));
		} else if (op == RT_LIFE_START) {
			char *msg = xasprintf("did not boot: %s", node_reason(n));

			life_done(rn, 0, msg);
			free(msg);
		} else {
			life_done(rn, 1, NULL);
		}
	} else if (was_booting) {
		char *msg = xasprintf("node %s: did not boot: %s", rn->ln->name, node_reason(n));

		rt->nbooting--;
		rn->first_boot = 0;
		started(rt, 0, msg);
		free(msg);
		rt_stop(rt);
	} else if (!rt->stopping) {
		if (rt->ev->node_down)
			rt->ev->node_down(rt, rn->ln, node_reason(n), rt->arg);
	}
	if (rn->life_pending && rt->stopping)
		life_done(rn, 0, "the lab is stopping");
	if (rt->stopping && all_done(rt) && rt->ev->stopped && rt->stopping == 1) {
		rt->stopping = 2;   /* report once */
		rt->ev->stopped(rt, rt->arg);
	}
}

int
rt_node_life(struct rt *rt, struct lab_node *ln, enum rt_life op, rt_life_cb cb, void *arg,
	     char *err, size_t errlen)
{
	struct rt_node *rn = ln->rt;
	struct node *n = rn ? rn->node : NULL;
	int running;

	if (n == NULL || rt->starting || rt->stopping) {
		snprintf(err, errlen, "node %s: the lab is not running", ln->name);
		return -1;
	}
	if (rn->life_pending) {
		snprintf(err, errlen, "node %s: busy with an earlier stop/start", ln->name);
		return -1;
	}
	running = !rn->done;
	if (op == RT_LIFE_START && running) {
		snprintf(err, errlen, "node %s: already %s", ln->name,
			 node_state_name(node_state(n)));
		return -1;
	}
	if (op != RT_LIFE_START && !running) {
		snprintf(err, errlen, "node %s: not running (%s)", ln->name,
			 node_state_name(node_state(n)));
		return -1;
	}
	rn->life = op;
	rn->life_cb = cb;
	rn->life_arg = arg;
	rn->life_pending = 1;
	switch (op) {
	case RT_LIFE_START:
		if (node_respawn(n, err, errlen) < 0) {
			rn->life_pending = 0;
			return -1;
		}
		rn->done = 0;
		break;
	case RT_LIFE_STOP:
	case RT_LIFE_RESTART:
		node_stop(n);
		break;
	case RT_LIFE_REBOOT:
		running = node_state(n) == NODE_READY;
		if (node_reboot(n) == 0) {
			if (running && rt->nready > 0)
				rt->nready--;   /* on_ready counts it again */
			rn->life = RT_LIFE_START;
			break;
		}
		node_halt(n);   /* no mconsole: a hard reset */
		break;
	case RT_LIFE_HALT:
		node_halt(n);
		break;
	case RT_LIFE_KILL:
		node_stop(n);   /* marks the stop as requested ... */
		node_kill(n, "killed");   /* ... and ends it now */
		break;
	}
	return 0;
}

const char *
rt_confinement(const struct rt *rt)
{
	return rt->confine ? "landlock" : "none";
}

/* The guest rebooted by itself; on_ready counts it again. */
static void
on_rebooting(struct node *n, void *arg)
{
	struct rt_node *rn = arg;

	(void)n;
	if (rn->rt->nready > 0)
		rn->rt->nready--;
	fprintf(stderr, "umlab: node %s rebooted from inside the guest\n", rn->ln->name);
}

static const struct node_events node_events = {
	.ready = on_ready,
	.exited = on_exited,
	.rebooting = on_rebooting,
};

static int
start_node(struct rt *rt, struct rt_node *rn, char *err, size_t errlen)
{
	struct lab_node *ln = rn->ln;
	struct node_config c = { 0 };
	char *dir = xasprintf("%s/n/%s", rt->dir, ln->name);
	char *console = xasprintf("%s/console/%s.log", rt->o.outdir, ln->name);
	char *staged[3] = { NULL, NULL, NULL }, *setup = NULL;
	char *netdir = xasprintf("%s/net", rt->dir);
	char *tmpdir = NULL, *data_disk = NULL;
	int rc = -1;

	if (mkdir_p(dir, 0755) != 0 || (rt->set_ids && chown(dir, rt->uid, rt->gid) != 0)) {
		snprintf(err, errlen, "node %s: %s: %s", ln->name, dir, strerror(errno));
		goto out;
	}
	if (stage_files(rt, ln, dir, staged, err, errlen) < 0)
		goto out;
	setup = node_setup_text(ln, staged[0], staged[1], staged[2]);
	if (rt->shmdir) {
		tmpdir = xasprintf("%s/%s", rt->shmdir, ln->name);
		if (mkdir(tmpdir, 0700) < 0 && errno != EEXIST) {
			free(tmpdir);
			tmpdir = NULL;
		} else if (rt->set_ids) {
			(void)!chown(tmpdir, rt->uid, rt->gid);
		}
	}
	c.tmpdir = tmpdir;
	c.name = ln->name;
	c.dir = dir;
	c.kernel = rt->kernel;
	c.init = rt->init;
	c.console_log = console;
	c.mem_mb = ln->mem_mb;
	c.setup = setup;
	c.disk = ln->disk;
	c.reaper = rt->reaper;
	c.net_dir = netdir;
	c.confine = rt->confine;
	c.set_ids = rt->set_ids;
	c.uid = rt->uid;
	c.gid = rt->gid;
	c.nnics = ln->nifaces;
	/* What the guest reads from the host beside the system and its own
	 * folder (Landlock allows no more). */
	c.ro_paths = rt->o.ro_paths;
	c.rw_file = ln->disk;
	if (ln->data_disk_bytes > 0) {
		/* A sparse raw disk in the node's folder, fresh every boot. */
		int fd;

		data_disk = xasprintf("%s/data.disk", dir);
		if ((fd = open(data_disk, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
		    ftruncate(fd, (off_t)ln->data_disk_bytes) < 0) {
			snprintf(err, errlen, "node %s: %s: %s", ln->name, data_disk, strerror(errno));
			if (fd >= 0)
				close(fd);
			goto out;
		}
		close(fd);
		if (rt->set_ids)
			(void)!chown(data_disk, rt->uid, rt->gid);
		c.data_disk = data_disk;
	}
	if (ln->disk && rt->set_ids)
		(void)!chown(ln->disk, rt->uid, rt->gid);   /* the guest's uid writes it */
	for (int i = 0; i < ln->nifaces; i++) {
		struct ns_port *p = ln->ifaces[i].link ? ln->ifaces[i].link->rt : NULL;

		snprintf(c.nics[i].url, sizeof(c.nics[i].url), "%s", p ? ns_port_url(p) : "null://");
		memcpy(c.nics[i].mac, ln->ifaces[i].mac, 6);
	}
	if ((rn->node = node_start(rt->loop, &c, &node_events, rn, err, errlen)) == NULL)
		goto out;
	rn->started = 1;
	rn->first_boot = 1;
	rt->nbooting++;
	rc = 0;
out:
	free(data_disk);
	for (int i = 0; i < 3; i++)
		free(staged[i]);
	free(dir);
	free(console);
	free(setup);
	free(netdir);
	free(tmpdir);
	return rc;
}

static void
start_more(struct rt *rt)
{
	const char *env = getenv("UMLAB_MAX_BOOTING");   /* for measuring the bound */
	int max = rt->o.max_booting > 0 ? rt->o.max_booting :
		  env && atoi(env) > 0 ? atoi(env) : DEFAULT_MAX_BOOTING;
	char err[512];

	while (rt->starting && rt->next < rt->lab->nnodes && rt->nbooting < (size_t)max) {
		struct rt_node *rn = &rt->nodes[rt->next++];

		if (start_node(rt, rn, err, sizeof(err)) < 0) {
			started(rt, 0, err);
			rt_stop(rt);
			return;
		}
	}
	progress(rt);
}

/* A lab without nodes is ready as soon as the loop runs. */
static int64_t
started_empty(struct loop_timer *t, void *arg)
{
	struct rt *rt = arg;

	(void)t;
	rt->empty_timer = NULL;
	if (rt->starting)
		started(rt, 1, NULL);
	return LOOP_TIMER_DONE;
}

/* Record port's frames to OUTDIR/pcap/NAME.pcapng unless captures are
 * off: a link's, a plug's, an uplink's. */
static int
capture_port(struct rt *rt, struct ns_port *port, const char *name, char *err, size_t errlen)
{
	char *pcap;
	int r;

	if (!rt->o.capture)
		return 0;
	pcap = xasprintf("%s/pcap/%s.pcapng", rt->o.outdir, name);
	r = ns_port_capture(port, pcap, err, errlen);
	free(pcap);
	return r;
}

int
rt_start(struct rt *rt, char *err, size_t errlen)
{
	struct lab *lab = rt->lab;
	char *netdir = xasprintf("%s/net", rt->dir), *dir;

	dir = xasprintf("%s/console", rt->o.outdir);
	if (mkdir_p(netdir, 0755) < 0 || mkdir_p(dir, 0755) < 0) {
		snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
		free(dir);
		free(netdir);
		return -1;
	}
	free(dir);
	if (rt->set_ids && chown(netdir, rt->uid, rt->gid) < 0) {
		snprintf(err, errlen, "chown %s: %s", netdir, strerror(errno));
		free(netdir);
		return -1;
	}
	if (rt->o.capture) {
		dir = xasprintf("%s/pcap", rt->o.outdir);
		if (mkdir_p(dir, 0755) < 0) {
			snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
			free(dir);
			free(netdir);
			return -1;
		}
		free(dir);
	}
	for (size_t i = 0; i < lab->nswitches; i++) {
		struct lab_switch *s = lab->switches[i];
		enum ns_kind k = s->kind == LAB_HUB ? NS_HUB : s->kind == LAB_WIRE ? NS_WIRE : NS_SWITCH;

		s->rt = ns_switch_new(rt->fabric, s->name, k);
	}
	for (size_t i = 0; i < lab->ntrunks; i++) {
		struct lab_trunk *t = lab->trunks[i];

		t->rt = ns_trunk_new(t->a->rt, t->b->rt, t->vlans, t->nvlans, err, errlen);
		if (t->rt == NULL) {
			free(netdir);
			return -1;
		}
	}
	for (size_t i = 0; i < lab->nuplinks; i++) {
		struct lab_uplink *u = lab->uplinks[i];

		if ((u->rt = ns_uplink_new(u->sw->rt, u->name, u->url, err, errlen)) == NULL) {
			*rt->env_problem = 1;	/* what the URL names is not here */
			free(netdir);
			return -1;
		}
		if (capture_port(rt, u->rt, u->name, err, errlen) < 0) {
			free(netdir);
			return -1;
		}
	}
	for (size_t i = 0; i < lab->nlinks; i++) {
		struct lab_link *k = lab->links[i];
		char *path = xasprintf("%s/%s.%s", netdir, k->iface->node->name, k->iface->name);

		/* a stream port: the guest's vector driver connects to PATH
		 * (netsim/stream.c) */
		k->rt = ns_port_new(k->sw->rt, k->name, path, err, errlen);
		/* The guest (maybe another uid) connects to PATH. */
		if (k->rt != NULL && rt->set_ids)
			(void)!lchown(path, rt->uid, rt->gid);
		free(path);
		if (k->rt == NULL || rt_apply_link(rt, k, 3, err, errlen) < 0) {
			free(netdir);
			return -1;
		}
		if (k->trunk)	/* the guest tags its own frames (eth0.10 ...) */
			ns_port_set_trunk(k->rt, k->vlans, k->nvlans);
		else
			ns_port_set_vlan(k->rt, k->vlan);
		if (capture_port(rt, k->rt, k->name, err, errlen) < 0) {
			free(netdir);
			return -1;
		}
	}
	for (size_t i = 0; i < lab->nplugs; i++) {
		struct lab_plug *p = lab->plugs[i];
		char *path = xasprintf("%s/%s", netdir, p->name);

		/* Unlike a guest port it stays ours (0700): the programs that
		 * attach are the invoking user's, not the guests' uid. */
		if ((p->rt = ns_port_new(p->sw->rt, p->name, path, err, errlen)) != NULL)
			snprintf(p->path, sizeof(p->path), "%s", path);
		free(path);
		if (p->rt != NULL)
			ns_port_allow_shm(p->rt);	/* umlab:// */
		/* what the program sent ("from node") and got, like a link */
		if (p->rt == NULL || capture_port(rt, p->rt, p->name, err, errlen) < 0) {
			free(netdir);
			return -1;
		}
	}
	free(netdir);
	rt->starting = 1;
	rt->t_start = loop_now();
	if (lab->nnodes == 0) {
		/* ready at once, but from the loop: the caller (start() in
		 * Lua) must get to wait first */
		rt->empty_timer = loop_timer_add(rt->loop, 0, started_empty, rt);
		return 0;
	}
	start_more(rt);
	return 0;
}

void
rt_stop(struct rt *rt)
{
	if (rt->stopping)
		return;
	rt->stopping = 1;
	rt->starting = 0;
	for (size_t i = 0; i < rt->lab->nnodes; i++) {
		struct rt_node *rn = &rt->nodes[i];

		if (rn->started && !rn->done)
			node_stop(rn->node);
	}
	if (all_done(rt) && rt->ev->stopped) {
		rt->stopping = 2;   /* report once */
		rt->ev->stopped(rt, rt->arg);
	}
}

void
rt_free(struct rt *rt)
{
	if (rt == NULL)
		return;
	if (rt->empty_timer != NULL)
		loop_timer_cancel(rt->loop, rt->empty_timer);
	for (size_t i = 0; rt->nodes && i < rt->lab->nnodes; i++) {
		node_free(rt->nodes[i].node);
		rt->lab->nodes[i]->rt = NULL;
	}
	if (rt->fabric)
		ns_fabric_free(rt->fabric);
	for (size_t i = 0; i < rt->lab->nlinks; i++)
		rt->lab->links[i]->rt = NULL;
	for (size_t i = 0; i < rt->lab->nswitches; i++)
		rt->lab->switches[i]->rt = NULL;
	for (size_t i = 0; i < rt->lab->ntrunks; i++)
		rt->lab->trunks[i]->rt = NULL;
	for (size_t i = 0; i < rt->lab->nuplinks; i++)
		rt->lab->uplinks[i]->rt = NULL;
	for (size_t i = 0; i < rt->lab->nplugs; i++) {
		rt->lab->plugs[i]->rt = NULL;
		rt->lab->plugs[i]->path[0] = '\0';   /* gone with the folder */
	}
	rm_rf(rt->dir);
	if (rt->shmdir)
		rm_rf(rt->shmdir);
	reaper_finish(rt->reaper);
	free(rt->nodes);
	free(rt->dir);
	free(rt->init);
	free(rt->kernel);
	free(rt->shmdir);
	free(rt);
}

struct node *
rt_node(struct rt *rt, const struct lab_node *ln)
{
	struct rt_node *rn = ln->rt;

	return rn ? rn->node : NULL;
}

struct ns_fabric *
rt_fabric(struct rt *rt)
{
	return rt->fabric;
}

const char *
rt_dir(const struct rt *rt)
{
	return rt->dir;
}

uint64_t
rt_seed(const struct rt *rt)
{
	return rt->seed;
}

void
rt_impair_to_ns(const struct lab_impair *a, struct ns_impair *b)
{
	memset(b, 0, sizeof(*b));
	b->delay_ns = a->delay_ns;
	b->jitter_ns = a->jitter_ns;
	b->dist = (enum ns_dist)a->dist;
	b->loss = a->loss;
	b->ge = a->ge;
	b->ge_p = a->ge_p;
	b->ge_r = a->ge_r;
	b->ge_h = a->ge_h;
	b->ge_k = a->ge_k;
	b->duplicate = a->duplicate;
	b->corrupt = a->corrupt;
	b->reorder = a->reorder;
	b->rate_bps = a->rate_bps;
	b->limit = a->limit;
	b->mtu = a->mtu;
}

int
rt_apply_link(struct rt *rt, struct lab_link *k, int dirmask, char *err, size_t errlen)
{
	struct ns_impair im[2], old[2];
	int d;

	(void)rt;
	if (k->rt == NULL)
		return 0;
	for (d = 0; d < 2; d++) {
		rt_impair_to_ns(&k->imp[d], &im[d]);
		if (ns_impair_check(&im[d], err, errlen) < 0)
			return -1;
		ns_port_get_impair(k->rt, (enum ns_dir)d, &old[d]);
	}
	for (d = 0; d < 2; d++) {
		if (!(dirmask & (1 << d)))
			continue;
		if (ns_port_impair(k->rt, (enum ns_dir)d, &im[d], k->imp[d].seed, err, errlen) < 0) {
			if (d == 1 && (dirmask & 1))	/* undo the first direction */
				ns_port_impair(k->rt, NS_TO_NODE, &old[0], 0, err, 0);
			return -1;
		}
	}
	ns_port_set_up(k->rt, !k->down);
	return 0;
}
