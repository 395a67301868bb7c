/*
 * shmring.h - the umlab:// transport between a fabric port and a host
 * program: shared-memory rings instead of one socket message per frame.
 * Both sides include this file: netsim/shm.c (the fabric) and
 * netsim/libvdeplug_umlab.c (the vdeplug4 plugin).  See netsim/README.md.
 *
 * Handshake.  The plug connects SOCK_SEQPACKET to the port's path, the
 * same listener a guest's vector driver uses, and sends SHM_HELLO as its
 * first message.  Only ports made for host programs answer it (plugs,
 * ns_port_allow_shm); a guest's port takes it for a frame.  The fabric answers with struct shm_welcome and, by
 * SCM_RIGHTS, SHM_NFDS descriptors in this order:
 *   0 memfd       the rings, sealed against shrinking and growing
 *   1 kick_fab    the plug sends a byte here to wake the fabric
 *   2 kick_rx     the plug's datafd: the fabric sends a byte to the other
 *                 end when frames wait
 *   3 kick_space  the fabric sends a byte to the other end when a plug
 *                 that waits for room in its to-fabric ring may go on
 *   4 kick_self   the other end of kick_rx: the plug wakes itself (below)
 * Each kick is one end of an AF_UNIX stream socketpair, and both sides
 * send and receive with MSG_DONTWAIT: O_NONBLOCK is a flag of the open
 * file description, shared through SCM_RIGHTS, so neither side may rely
 * on it (an eventfd would let a plug make the fabric's read() block).
 * The connection then carries nothing; its end is the plug's end.
 *
 * Rings.  One memfd holds two single-producer, single-consumer rings:
 * ring[SHM_TOFAB] (the plug produces) and ring[SHM_FROMFAB] (the fabric
 * produces).  head is written only by the producer, tail only by the
 * consumer, each on its own cache line; both count frames and wrap at
 * 2^32, the slot is (count & (SHM_SLOTS - 1)).
 *
 * Wakeups, per ring.  A consumer that finds its ring empty sets
 * cons_sleep, issues a full fence, reads head again and sleeps only if it
 * is still empty.  A producer publishes head, issues a full fence, and
 * kicks the consumer if cons_sleep is set, exchanging it back to 0 (one
 * kick per sleep).  Either the producer sees the flag or the consumer
 * sees the frame.  prod_wait is the mirror image for a producer waiting
 * for room.  New rings start with cons_sleep set (nobody has looked
 * yet), so their first frames kick.
 *
 * Trust.  The fabric treats everything in the mapping as written by a
 * stranger: a head more than SHM_SLOTS ahead of tail ends the connection,
 * a length over SHM_MTU is an rx error, each length is read once.  The
 * memfd is sealed, so the plug cannot shrink it under the fabric.
 */
#ifndef UMLAB_NETSIM_SHMRING_H
#define UMLAB_NETSIM_SHMRING_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#define SHM_MAGIC	0x756d6c33u	/* "uml3" */
#define SHM_SLOTS	256u		/* a power of two */
#define SHM_SLOTSZ	2048u
#define SHM_MTU		(SHM_SLOTSZ - 4)	/* 2044: a tagged 1518-byte frame fits */
#define SHM_TOFAB	0
#define SHM_FROMFAB	1
#define SHM_HELLO	"umlab-shm-hello-3"	/* sent with its NUL */
#define SHM_NFDS	5

struct shm_slot {
	uint32_t len;
	unsigned char data[SHM_MTU];
};

struct shm_ring {
	_Alignas(64) _Atomic uint32_t head;	/* producer: next slot to fill */
	_Alignas(64) _Atomic uint32_t tail;	/* consumer: next slot to read */
	_Alignas(64) _Atomic uint32_t cons_sleep; /* consumer wants a kick on push */
	_Atomic uint32_t prod_wait;		/* producer wants a kick on pop */
	_Alignas(64) struct shm_slot slot[SHM_SLOTS];
};

struct shm_area {
	uint32_t magic, nslots, slotsz, pad;
	_Alignas(64) struct shm_ring ring[2];
};

struct shm_welcome {
	uint32_t magic;
	uint32_t size;			/* bytes to map */
};

/* A kick: one byte that makes the other end of a kick socketpair
 * readable (a full buffer means it is readable already). */
static inline void
shm_kick(int fd)
{
	(void)!send(fd, "k", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* The producer's half of the wakeup rule, after publishing head (flag:
 * cons_sleep) or a consumer's after publishing tail (flag: prod_wait):
 * kick fd if the other side said it waits, taking the flag back, so that
 * one sleep gets one kick. */
static inline void
shm_wake(_Atomic uint32_t *flag, int fd)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(flag, memory_order_relaxed) && atomic_exchange(flag, 0))
		shm_kick(fd);
}

#endif
