/* test_fault.c - the fault schedule's checks and its generator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/loop.h"
#include "faults/fault.h"

static int fake_node;

static struct node *
node_hook(void *arg, const char *name)
{
	return strcmp(name, "a") == 0 ? (struct node *)&fake_node : NULL;
}

static struct fault_ctx *
ctx(struct loop *l)
{
	struct fault_hooks h = { .node = node_hook };

	return fault_ctx_new(l, 42, &h);
}

static void
bad_specs_are_named(void **state)
{
	struct loop *l = loop_new();
	struct fault_ctx *c = ctx(l);
	char err[512];
	struct fault_spec s = { .kind = "explode", .target = "a", .bit = -1 };

	assert_int_equal(fault_schedule(c, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown fault kind 'explode' (known: crash panic halt memflip freeze regflip link_down isolate loss delay partition disk)"));
	s.kind = "crash";
	s.target = "zz";
	assert_int_equal(fault_schedule(c, &s, err, sizeof(err)), -1);
	assert_string_equal(err, "fault crash: no running node named 'zz'");
	s.target = "a";
	s.at = -1;
	assert_int_equal(fault_schedule(c, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "times must be finite and >= 0"));
	s.at = 0;
	s.duration = 2;
	assert_int_equal(fault_schedule(c, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot last a duration"));
	s.duration = 0;
	s.every = 1;
	s.rate = 2;
	assert_int_equal(fault_schedule(c, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "every or rate, not both"));
	s = (struct fault_spec){ .kind = "memflip", .target = "a", .bit = -1 };
	assert_int_equal(fault_schedule(c, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "give symbol="));
	s.region = "heap";
	assert_int_equal(fault_schedule(c, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown region 'heap'"));
	s.region = NULL;
	s.symbol = "jiffies; rm";
	assert_int_equal(fault_schedule(c, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad symbol name"));
	s.symbol = "jiffies";
	s.bit = 8;
	assert_int_equal(fault_schedule(c, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bit 8 is outside 0..7"));
	assert_int_equal(fault_log_count(c), 0);
	fault_ctx_free(c);
	loop_free(l);
}

static void
generator_is_reproducible(void **state)
{
	uint64_t a = 1234, b = 1234, c = 1235;
	uint64_t x = fault_rand_next(&a);

	assert_true(x == fault_rand_next(&b));
	assert_true(x != fault_rand_next(&c));
	/* splitmix64's published first output for seed 0. */
	a = 0;
	assert_true(fault_rand_next(&a) == 0xe220a8397b1dcdafULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_specs_are_named),
		cmocka_unit_test(generator_is_reproducible),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
