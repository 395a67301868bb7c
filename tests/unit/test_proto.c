/*
 * test_proto.c - framing of the agent protocol: encoding, incremental
 * decoding and the rejection of malformed streams.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "guest/proto.h"

/* Append one message to out; returns its size. */
static size_t
build(uint8_t *out, uint16_t type, uint32_t id, const void *p, uint32_t len)
{
	assert_int_equal(proto_encode_hdr(out, type, id, len), 0);
	if (len > 0)
		memcpy(out + PROTO_HDR_LEN, p, len);
	return PROTO_HDR_LEN + len;
}

static struct proto_decoder *
new_decoder(void)
{
	struct proto_decoder *d = malloc(sizeof(*d));

	assert_non_null(d);
	proto_decoder_init(d);
	return d;
}

static void
test_round_trip(void **state)
{
	struct proto_decoder *d = new_decoder();
	struct proto_msg m;
	uint8_t buf[64];
	size_t n;

	n = build(buf, PROTO_EXEC, 0xdeadbeef, "true\0", 5);
	/* the wire format is fixed: check the header bytes themselves */
	assert_int_equal(buf[0], 'U');
	assert_int_equal(buf[1], 'M');
	assert_int_equal(buf[2], PROTO_EXEC);
	assert_int_equal(buf[3], 0);
	assert_int_equal(proto_get_u32(buf + 4), 0xdeadbeef);
	assert_int_equal(proto_get_u32(buf + 8), 5);
	assert_int_equal(proto_decoder_feed(d, buf, n), n);
	assert_int_equal(proto_decoder_next(d, &m), 1);
	assert_int_equal(m.type, PROTO_EXEC);
	assert_int_equal(m.id, 0xdeadbeef);
	assert_int_equal(m.len, 5);
	assert_memory_equal(m.payload, "true\0", 5);
	assert_int_equal(proto_decoder_next(d, &m), 0);
	free(d);
}

static void
test_byte_by_byte(void **state)
{
	struct proto_decoder *d = new_decoder();
	struct proto_msg m;
	uint8_t buf[256];
	size_t n = 0, i;
	int got = 0, r;

	n += build(buf + n, PROTO_STDOUT, 1, "hello", 5);
	n += build(buf + n, PROTO_STDERR, 2, "world!", 6);
	n += build(buf + n, PROTO_EXIT, 1, "\0\0\0\0", 4);
	for (i = 0; i < n; i++) {
		assert_int_equal(proto_decoder_feed(d, buf + i, 1), 1);
		while ((r = proto_decoder_next(d, &m)) == 1) {
			got++;
			if (got == 1) {
				assert_int_equal(m.type, PROTO_STDOUT);
				assert_memory_equal(m.payload, "hello", 5);
			} else if (got == 2) {
				assert_int_equal(m.type, PROTO_STDERR);
				assert_int_equal(m.id, 2);
				assert_memory_equal(m.payload, "world!", 6);
			} else {
				assert_int_equal(m.type, PROTO_EXIT);
				assert_int_equal(i, n - 1);
			}
		}
		assert_int_equal(r, 0);
	}
	assert_int_equal(got, 3);
	free(d);
}

static void
test_arbitrary_splits(void **state)
{
	struct proto_decoder *d;
	struct proto_msg m;
	uint8_t buf[512];
	size_t n = 0, off, step;
	int got;

	n += build(buf + n, PROTO_HELLO, 0, "\1\0\0\0banner", 10);
	n += build(buf + n, PROTO_LOG, 0, NULL, 0);
	n += build(buf + n, PROTO_READY, 9, "boot_ms 5\n", 10);
	for (step = 1; step <= n; step++) {
		d = new_decoder();
		got = 0;
		for (off = 0; off < n; off += step) {
			size_t k = n - off < step ? n - off : step;

			proto_decoder_feed(d, buf + off, k);
			while (proto_decoder_next(d, &m) == 1) {
				got++;
				if (m.type == PROTO_READY)
					assert_memory_equal(m.payload, "boot_ms 5\n", 10);
			}
		}
		assert_int_equal(got, 3);
		free(d);
	}
}

static void
test_several_in_one_feed(void **state)
{
	struct proto_decoder *d = new_decoder();
	struct proto_msg m;
	uint8_t buf[256];
	size_t n = 0;
	uint32_t i;

	for (i = 1; i <= 5; i++)
		n += build(buf + n, PROTO_STDOUT, i, "x", 1);
	proto_decoder_feed(d, buf, n);
	for (i = 1; i <= 5; i++) {
		assert_int_equal(proto_decoder_next(d, &m), 1);
		assert_int_equal(m.id, i);
	}
	assert_int_equal(proto_decoder_next(d, &m), 0);
	free(d);
}

static void
test_bad_magic(void **state)
{
	struct proto_decoder *d = new_decoder();
	struct proto_msg m;
	uint8_t buf[32];
	size_t n = build(buf, PROTO_EXIT, 1, "\0\0\0\0", 4);

	buf[0] = 'X';
	proto_decoder_feed(d, buf, n);
	assert_int_equal(proto_decoder_next(d, &m), -1);
	assert_non_null(strstr(d->errmsg, "magic"));
	/* sticky */
	assert_int_equal(proto_decoder_next(d, &m), -1);
	assert_int_equal(proto_decoder_feed(d, buf, n), 0);
	free(d);
}

static void
test_unknown_type(void **state)
{
	struct proto_decoder *d = new_decoder();
	struct proto_msg m;
	uint8_t buf[32];

	/* encode_hdr does not judge the type: only the decoder does */
	build(buf, 99, 1, NULL, 0);
	proto_decoder_feed(d, buf, PROTO_HDR_LEN);
	assert_int_equal(proto_decoder_next(d, &m), -1);
	assert_string_equal(d->errmsg, "message type 99 unknown");
	free(d);
}

static void
test_oversized_from_header(void **state)
{
	struct proto_decoder *d = new_decoder();
	struct proto_msg m;
	uint8_t hdr[PROTO_HDR_LEN];

	assert_int_equal(proto_encode_hdr(hdr, PROTO_STDOUT, 1, PROTO_MAX_PAYLOAD + 1), -1);
	/* forge it: a hostile peer does not use our encoder */
	proto_encode_hdr(hdr, PROTO_STDOUT, 1, 0);
	proto_put_u32(hdr + 8, 70000);
	/* all but the last header byte: not yet judged */
	proto_decoder_feed(d, hdr, PROTO_HDR_LEN - 1);
	assert_int_equal(proto_decoder_next(d, &m), 0);
	/* the header alone, no payload at all: rejected now */
	proto_decoder_feed(d, hdr + PROTO_HDR_LEN - 1, 1);
	assert_int_equal(proto_decoder_next(d, &m), -1);
	assert_string_equal(d->errmsg, "payload 70000 bytes exceeds limit 65536");
	free(d);
}

static void
test_truncated(void **state)
{
	struct proto_decoder *d = new_decoder();
	struct proto_msg m;
	uint8_t buf[64];
	size_t n = build(buf, PROTO_STDOUT, 3, "0123456789", 10);

	proto_decoder_feed(d, buf, n - 1);
	assert_int_equal(proto_decoder_next(d, &m), 0);
	assert_int_equal(proto_decoder_next(d, &m), 0);
	proto_decoder_feed(d, buf + n - 1, 1);
	assert_int_equal(proto_decoder_next(d, &m), 1);
	assert_int_equal(m.len, 10);
	free(d);
}

static void
test_zero_payload(void **state)
{
	struct proto_decoder *d = new_decoder();
	struct proto_msg m;
	uint8_t buf[PROTO_HDR_LEN];

	build(buf, PROTO_POWEROFF, 0, NULL, 0);
	proto_decoder_feed(d, buf, sizeof(buf));
	assert_int_equal(proto_decoder_next(d, &m), 1);
	assert_int_equal(m.type, PROTO_POWEROFF);
	assert_int_equal(m.len, 0);
	assert_int_equal(proto_decoder_next(d, &m), 0);
	free(d);
}

static void
test_max_payload(void **state)
{
	struct proto_decoder *d = new_decoder();
	struct proto_msg m;
	size_t n = PROTO_HDR_LEN + PROTO_MAX_PAYLOAD, off = 0, room;
	uint8_t *buf = malloc(2 * n), *space;
	int i, got = 0;

	assert_non_null(buf);
	for (i = 0; i < 2; i++) {
		memset(buf + i * n + PROTO_HDR_LEN, 'a' + i, PROTO_MAX_PAYLOAD);
		assert_int_equal(proto_encode_hdr(buf + i * n, PROTO_STDOUT, i + 1,
		    PROTO_MAX_PAYLOAD), 0);
	}
	/* two maximal messages through the zero-copy interface, odd chunks */
	while (got < 2) {
		space = proto_decoder_space(d, &room);
		assert_non_null(space);
		assert_true(room >= 1);
		if (room > 1000)
			room = 1000;
		if (room > 2 * n - off)
			room = 2 * n - off;
		memcpy(space, buf + off, room);
		proto_decoder_commit(d, room);
		off += room;
		while (proto_decoder_next(d, &m) == 1) {
			assert_int_equal(m.len, PROTO_MAX_PAYLOAD);
			assert_int_equal(m.payload[0], 'a' + got);
			assert_int_equal(m.payload[PROTO_MAX_PAYLOAD - 1], 'a' + got);
			got++;
		}
	}
	assert_int_equal(off, 2 * n);
	free(buf);
	free(d);
}

static void
test_type_names(void **state)
{
	assert_string_equal(proto_type_name(PROTO_EXEC), "EXEC");
	assert_string_equal(proto_type_name(PROTO_LOG), "LOG");
	assert_string_equal(proto_type_name(1234), "unknown");
}

/* Every message type added for exec options and files is known to the
 * decoder and named; the next free numbers are not. */
static void
test_new_types(void **state)
{
	static const struct { uint16_t type; const char *name; } t[] = {
		{ PROTO_EXECX, "EXECX" }, { PROTO_WINSZ, "WINSZ" }, { PROTO_PUT, "PUT" },
		{ PROTO_PUTDATA, "PUTDATA" }, { PROTO_GET, "GET" }, { PROTO_FILE, "FILE" },
		{ PROTO_GETDATA, "GETDATA" }, { PROTO_DONE, "DONE" },
	};
	struct proto_decoder *d = malloc(sizeof(*d));
	struct proto_msg m;
	uint8_t hdr[PROTO_HDR_LEN + 4];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_string_equal(proto_type_name(t[i].type), t[i].name);
		proto_decoder_init(d);
		assert_int_equal(proto_encode_hdr(hdr, t[i].type, 9, 4), 0);
		memcpy(hdr + PROTO_HDR_LEN, "abcd", 4);
		proto_decoder_feed(d, hdr, sizeof(hdr));
		assert_int_equal(proto_decoder_next(d, &m), 1);
		assert_int_equal(m.type, t[i].type);
		assert_int_equal(m.id, 9);
		assert_int_equal(m.len, 4);
	}
	for (i = 0; i < 2; i++) {
		uint16_t bad = i == 0 ? 11 : 75;

		proto_decoder_init(d);
		assert_int_equal(proto_encode_hdr(hdr, bad, 1, 0), 0);
		proto_decoder_feed(d, hdr, PROTO_HDR_LEN);
		assert_int_equal(proto_decoder_next(d, &m), -1);
	}
	free(d);
}

static void
test_u16_helpers(void **state)
{
	uint8_t b[2];

	proto_put_u16(b, 0xbeef);
	assert_int_equal(b[0], 0xef);
	assert_int_equal(b[1], 0xbe);
	assert_int_equal(proto_get_u16(b), 0xbeef);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_arbitrary_splits),
		cmocka_unit_test(test_several_in_one_feed),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_oversized_from_header),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_zero_payload),
		cmocka_unit_test(test_max_payload),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_new_types),
		cmocka_unit_test(test_u16_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
