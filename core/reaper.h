/*
 * reaper.h - the lab's last line of defence against orphans.
 *
 * A small process forked at lab start, in a session of its own, that
 * outlives the controller however the controller dies (SIGKILL included):
 * when its pipe from the controller closes, it SIGKILLs every guest
 * process group it was told about and removes the lab's runtime folder.
 * (SIGKILL of a guest kernel alone leaves its helper processes behind;
 * killing its process group does not.)
 */
#ifndef UMLAB_REAPER_H
#define UMLAB_REAPER_H

#include <sys/types.h>

struct reaper;

/* Fork the reaper for rundir.  NULL on failure (errno set). */
struct reaper *reaper_start(const char *rundir);
/* Tell it about a guest's process group, or that the group is gone. */
void reaper_watch(struct reaper *r, pid_t pgid);
void reaper_forget(struct reaper *r, pid_t pgid);
/* Normal end: the reaper does its sweep now and exits; we wait for it. */
void reaper_finish(struct reaper *r);

/* The folder in /dev/shm that holds rundir's guest memory files when
 * rundir is not on tmpfs (malloc'ed); removed with rundir. */
char *reaper_shm_dir(const char *rundir);

/* Remove runtime folders under parent whose controller (the pid in
 * their "pid" file) is dead, first killing the process groups of their
 * guests still alive (recorded in RUNDIR/pgids; checked against each
 * process's uml_dir= before the kill).  Returns how many were removed. */
int reaper_sweep_stale(const char *parent);

#endif
