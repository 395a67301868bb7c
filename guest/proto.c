/*
 * proto.c - framing of the agent protocol (see proto.h, PROTOCOL.md).
 * Shared by the controller and the in-guest init, so it uses nothing but
 * libc and allocates nothing.
 */
#include <stdio.h>
#include <string.h>

#include "guest/proto.h"

static uint16_t
get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int
type_known(uint16_t type)
{
	switch (type) {
	case PROTO_SETUP: case PROTO_EXEC: case PROTO_STDIN: case PROTO_KILL:
	case PROTO_POWEROFF: case PROTO_HELLO: case PROTO_READY:
	case PROTO_STDOUT: case PROTO_STDERR: case PROTO_EXIT:
	case PROTO_ERROR: case PROTO_LOG: case PROTO_ACK:
	case PROTO_EXECX: case PROTO_WINSZ: case PROTO_PUT: case PROTO_PUTDATA:
	case PROTO_GET: case PROTO_FILE: case PROTO_GETDATA: case PROTO_DONE:
		return 1;
	}
	return 0;
}

const char *
proto_type_name(uint16_t type)
{
	switch (type) {
	case PROTO_SETUP:	return "SETUP";
	case PROTO_EXEC:	return "EXEC";
	case PROTO_STDIN:	return "STDIN";
	case PROTO_KILL:	return "KILL";
	case PROTO_POWEROFF:	return "POWEROFF";
	case PROTO_HELLO:	return "HELLO";
	case PROTO_READY:	return "READY";
	case PROTO_STDOUT:	return "STDOUT";
	case PROTO_STDERR:	return "STDERR";
	case PROTO_EXIT:	return "EXIT";
	case PROTO_ERROR:	return "ERROR";
	case PROTO_LOG:		return "LOG";
	case PROTO_ACK:		return "ACK";
	case PROTO_EXECX:	return "EXECX";
	case PROTO_WINSZ:	return "WINSZ";
	case PROTO_PUT:		return "PUT";
	case PROTO_PUTDATA:	return "PUTDATA";
	case PROTO_GET:		return "GET";
	case PROTO_FILE:	return "FILE";
	case PROTO_GETDATA:	return "GETDATA";
	case PROTO_DONE:	return "DONE";
	}
	return "unknown";
}

int
proto_encode_hdr(uint8_t out[PROTO_HDR_LEN], uint16_t type, uint32_t id, uint32_t len)
{
	if (len > PROTO_MAX_PAYLOAD)
		return -1;
	out[0] = PROTO_MAGIC & 0xff;
	out[1] = PROTO_MAGIC >> 8;
	out[2] = type & 0xff;
	out[3] = type >> 8;
	proto_put_u32(out + 4, id);
	proto_put_u32(out + 8, len);
	return 0;
}

void
proto_decoder_init(struct proto_decoder *d)
{
	d->have = 0;
	d->used = 0;
	d->error = 0;
	d->errmsg[0] = '\0';
}

/* Drop what was already returned; invalidates earlier payload pointers. */
static void
compact(struct proto_decoder *d)
{
	if (d->used == 0)
		return;
	if (d->have > d->used)
		memmove(d->buf, d->buf + d->used, d->have - d->used);
	d->have -= d->used;
	d->used = 0;
}

uint8_t *
proto_decoder_space(struct proto_decoder *d, size_t *room)
{
	if (d->error) {
		*room = 0;
		return NULL;
	}
	compact(d);
	*room = sizeof(d->buf) - d->have;
	return d->buf + d->have;
}

void
proto_decoder_commit(struct proto_decoder *d, size_t n)
{
	if (n > sizeof(d->buf) - d->have)
		n = sizeof(d->buf) - d->have;
	d->have += n;
}

size_t
proto_decoder_feed(struct proto_decoder *d, const void *data, size_t n)
{
	uint8_t *p;
	size_t room;

	if ((p = proto_decoder_space(d, &room)) == NULL)
		return 0;
	if (n > room)
		n = room;
	memcpy(p, data, n);
	d->have += n;
	return n;
}

int
proto_decoder_next(struct proto_decoder *d, struct proto_msg *m)
{
	const uint8_t *h;
	uint16_t magic, type;
	uint32_t len;

	if (d->error)
		return -1;
	/* The previous message's payload is no longer promised to be valid. */
	compact(d);
	if (d->have < PROTO_HDR_LEN)
		return 0;
	h = d->buf;
	magic = get_u16(h);
	type = get_u16(h + 2);
	len = proto_get_u32(h + 8);
	/* Judge the header alone: never wait for a payload we would refuse. */
	if (magic != PROTO_MAGIC) {
		snprintf(d->errmsg, sizeof(d->errmsg), "bad magic 0x%04x", magic);
		goto bad;
	}
	if (!type_known(type)) {
		snprintf(d->errmsg, sizeof(d->errmsg), "message type %u unknown", type);
		goto bad;
	}
	if (len > PROTO_MAX_PAYLOAD) {
		snprintf(d->errmsg, sizeof(d->errmsg),
		    "payload %u bytes exceeds limit %u", len, PROTO_MAX_PAYLOAD);
		goto bad;
	}
	if (d->have < PROTO_HDR_LEN + (size_t)len)
		return 0;
	m->type = type;
	m->id = proto_get_u32(h + 4);
	m->len = len;
	m->payload = h + PROTO_HDR_LEN;
	d->used = PROTO_HDR_LEN + len;
	return 1;
bad:
	d->error = 1;
	return -1;
}
