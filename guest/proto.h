/*
 * proto.h - the agent protocol between the controller (node/agent.c) and
 * the in-guest init (guest/umlab-init.c), carried on the guest's serial
 * line /dev/ttyS1 (host side: a pair of pipes).  See guest/PROTOCOL.md.
 *
 * Every message is a 12-byte header followed by `len` bytes of payload:
 *
 *   offset 0  u16  magic  PROTO_MAGIC ("UM")
 *   offset 2  u16  type   enum proto_type
 *   offset 4  u32  id     request id chosen by the host (0: none)
 *   offset 8  u32  len    payload length, <= PROTO_MAX_PAYLOAD
 *
 * All integers are little-endian.  Both sides treat what they read as
 * untrusted: a bad magic, an unknown type or an oversized length is a
 * protocol error and the channel is dropped.
 */
#ifndef UMLAB_PROTO_H
#define UMLAB_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_MAGIC 0x4d55u /* "UM" little-endian */
#define PROTO_HDR_LEN 12
#define PROTO_MAX_PAYLOAD (64 * 1024)
#define PROTO_VERSION 1

/* Where the guest sees the host's / as the host does (its own /tmp and
 * /run are tmpfs): init mounts hostfs there for copy, startup, shutdown. */
#define PROTO_HOST_VIEW "/run/umlab-host"

enum proto_type {
	/* host -> guest */
	PROTO_SETUP = 1,    /* text lines, see PROTOCOL.md; answered by READY or ERROR */
	PROTO_EXEC = 2,     /* id; NUL-terminated argv strings back to back */
	PROTO_STDIN = 3,    /* id; bytes for the process's stdin; len 0 = EOF */
	PROTO_KILL = 4,     /* id; u32 signal number */
	PROTO_POWEROFF = 5, /* no payload */
	PROTO_EXECX = 6,    /* id; exec with options: see struct layout in PROTOCOL.md */
	PROTO_WINSZ = 7,    /* id; u16 rows, u16 cols: a pty exec's window size */
	PROTO_PUT = 8,      /* id; u32 mode, path NUL: start writing a file */
	PROTO_PUTDATA = 9,  /* id; bytes of the file; len 0 = end, answered by DONE or ERROR */
	PROTO_GET = 10,     /* id; path NUL: answered by FILE, GETDATA..., DONE or ERROR */

	/* guest -> host */
	PROTO_HELLO = 64,   /* u32 protocol version, then a text banner */
	PROTO_READY = 65,   /* setup applied; text: "key value" lines (e.g. "boot_ms 123") */
	PROTO_STDOUT = 66,  /* id; bytes */
	PROTO_STDERR = 67,  /* id; bytes */
	PROTO_EXIT = 68,    /* id; i32 wait status as from waitpid(2) */
	PROTO_ERROR = 69,   /* id (0 for setup/global); text message */
	PROTO_LOG = 70,     /* text for the node's log */
	PROTO_ACK = 71,     /* u32: bytes of the host's stream the guest has read */
	PROTO_FILE = 72,    /* id; u32 mode, u64 size: a GET's file is coming */
	PROTO_GETDATA = 73, /* id; bytes of a GET's file */
	PROTO_DONE = 74,    /* id; a PUT or GET finished */
};

/*
 * Host-to-guest flow control.  UML's serial line driver stops reading its
 * host fd for good once the guest tty throttles (about 4 KiB unread), so
 * the host never has more than PROTO_WINDOW bytes unacknowledged; the guest
 * sends ACK for every read.  See PROTOCOL.md.
 */
#define PROTO_WINDOW 2048

/* EXECX payload: a fixed part, then cwd, argv and env as NUL-terminated
 * strings back to back (cwd may be empty: "/"). */
#define PROTO_EXECX_FIXED 20	/* u32 flags, u32 timeout_ms, u16 rows, u16 cols, u32 argc, u32 envc */
#define PROTO_EXECX_PTY 1u	/* run on a pty: stdout carries the terminal, no stderr */
#define PROTO_EXECX_FLAGS PROTO_EXECX_PTY

/* EXIT payload: i32 wait status, then (optional) u32 flags. */
#define PROTO_EXIT_TIMEOUT 1u	/* killed by the guest after timeout_ms */
#define PROTO_EXIT_DETACHED 2u	/* output still held open by a leftover process */

/* Paths in PUT and GET, without the NUL. */
#define PROTO_PATH_MAX 4095

struct proto_msg {
	uint16_t type;
	uint32_t id;
	uint32_t len;
	const uint8_t *payload; /* points into the decoder's buffer; valid until the next call */
};

/* Encode a header into out[PROTO_HDR_LEN]. Returns -1 if len is too big. */
int proto_encode_hdr(uint8_t out[PROTO_HDR_LEN], uint16_t type, uint32_t id, uint32_t len);

/* Incremental decoder over a byte stream with a fixed-size buffer. */
struct proto_decoder {
	uint8_t buf[PROTO_HDR_LEN + PROTO_MAX_PAYLOAD];
	size_t have;   /* bytes in buf */
	size_t used;   /* bytes of buf already returned as messages */
	int error;     /* sticky: once set, the stream is unusable */
	char errmsg[96];
};

void proto_decoder_init(struct proto_decoder *d);
/* Space to read into; at least 1 byte unless an error is set. */
uint8_t *proto_decoder_space(struct proto_decoder *d, size_t *room);
/* Account for n bytes just read into the space. */
void proto_decoder_commit(struct proto_decoder *d, size_t n);
/* Copy bytes in (convenience for tests and small reads); returns bytes taken. */
size_t proto_decoder_feed(struct proto_decoder *d, const void *data, size_t n);
/* 1: a whole message is in *m; 0: need more bytes; -1: protocol error
 * (see d->errmsg). */
int proto_decoder_next(struct proto_decoder *d, struct proto_msg *m);

/* Little-endian helpers for payload fields. */
static inline void proto_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}
static inline void proto_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = v; p[1] = v >> 8;
}
static inline uint16_t proto_get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t proto_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

const char *proto_type_name(uint16_t type);

#endif
