// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the size/count/percent/duration parsers and formatters (common/size.c)
 * (the JSON writer has tests/test-json.c); TAP output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/vgpu.h>

#include "common/size.h"
#include "common/tap.h"

static void ok(int cond, const char *what, const char *arg)
{
	tap_ok(cond, "%s '%s'", what, arg);
}

static void size_ok(const char *s, uint64_t want)
{
	uint64_t v = 0;
	int err = vgpu_parse_size(s, &v);

	ok(!err && v == want, "size parses", s);
	if (err || v != want)
		tap_diag("got err %d value %llu, want %llu", err,
			 (unsigned long long)v, (unsigned long long)want);
}

static void size_bad(const char *s, int want)
{
	uint64_t v = 12345;
	int err = vgpu_parse_size(s, &v);

	ok(err == want && v == 12345, "size rejected", s);
	if (err != want)
		tap_diag("got err %d, want %d", err, want);
}

static void fmt_ok(uint64_t v, const char *want)
{
	char buf[32];

	vgpu_format_size(v, buf, sizeof(buf));
	ok(!strcmp(buf, want), "size formats as", want);
	if (strcmp(buf, want))
		tap_diag("got '%s'", buf);
}

static void dur_ok(const char *s, uint64_t want)
{
	uint64_t v = 0;
	int err = vgpu_parse_duration_us(s, &v);
	char buf[32];

	ok(!err && v == want, "duration parses", s);
	if (err || v != want)
		tap_diag("got err %d value %llu us, want %llu", err,
			 (unsigned long long)v, (unsigned long long)want);
	/* what is printed reads back as the same microseconds */
	vgpu_format_duration_us(want, buf, sizeof(buf));
	ok(!vgpu_parse_duration_us(buf, &v) && v == want, "duration formats and reads back", buf);
}

static void dur_bad(const char *s, int want)
{
	uint64_t v = 12345;
	int err = vgpu_parse_duration_us(s, &v);

	ok(err == want && v == 12345, "duration rejected", s);
	if (err != want)
		tap_diag("got err %d, want %d", err, want);
}

static void dur_fmt(uint64_t us, const char *want)
{
	char buf[32];

	vgpu_format_duration_us(us, buf, sizeof(buf));
	ok(!strcmp(buf, want), "duration formats as", want);
	if (strcmp(buf, want))
		tap_diag("got '%s'", buf);
}

int main(void)
{
	uint64_t v;
	uint32_t u;

	size_ok("0", 0);
	size_ok("4096", 4096);
	size_ok("512M", 512ULL << 20);
	size_ok("8G", 8ULL << 30);
	size_ok("1.5G", 3ULL << 29);
	size_ok("1K", 1024);
	size_ok("1k", 1024);
	size_ok("2T", 2ULL << 40);
	size_ok("1MiB", 1ULL << 20);
	size_ok("1GB", 1ULL << 30);
	size_ok("100B", 100);
	size_ok("0.5K", 512);
	size_ok("1.1K", 1126);			/* 1126.4 rounds down */
	size_ok("16777215T", 16777215ULL << 40);
	size_ok("18446744073709551614", 18446744073709551614ULL);
	size_ok("unlimited", VGPU_LIMIT_UNLIMITED);
	size_bad("12Q", VGPU_PARSE_BAD);
	size_bad("", VGPU_PARSE_BAD);
	size_bad("M", VGPU_PARSE_BAD);
	size_bad("1.", VGPU_PARSE_BAD);
	size_bad(".5G", VGPU_PARSE_BAD);
	size_bad("1.5", VGPU_PARSE_BAD);	/* a fraction of a byte */
	size_bad(" 1G", VGPU_PARSE_BAD);
	size_bad("1G ", VGPU_PARSE_BAD);
	size_bad("+1G", VGPU_PARSE_BAD);
	size_bad("1GG", VGPU_PARSE_BAD);
	size_bad("1iB", VGPU_PARSE_BAD);
	size_bad("0x10", VGPU_PARSE_BAD);
	size_bad("Unlimited", VGPU_PARSE_BAD);
	size_bad("-1", VGPU_PARSE_NEGATIVE);
	size_bad("-1G", VGPU_PARSE_NEGATIVE);
	size_bad("-0.5G", VGPU_PARSE_NEGATIVE);
	size_bad("18446744073709551615", VGPU_PARSE_RANGE);	/* = unlimited */
	size_bad("18446744073709551616", VGPU_PARSE_RANGE);
	size_bad("99999999999999999999999", VGPU_PARSE_RANGE);
	size_bad("16777216T", VGPU_PARSE_RANGE);
	size_bad("17179869184G", VGPU_PARSE_RANGE);

	ok(!vgpu_parse_count("4", &v) && v == 4, "count parses", "4");
	ok(!vgpu_parse_count("unlimited", &v) && v == VGPU_LIMIT_UNLIMITED,
	   "count parses", "unlimited");
	ok(vgpu_parse_count("4K", &v) == VGPU_PARSE_BAD, "count rejected", "4K");
	ok(vgpu_parse_count("-4", &v) == VGPU_PARSE_NEGATIVE, "count rejected", "-4");
	ok(vgpu_parse_count("18446744073709551616", &v) == VGPU_PARSE_RANGE,
	   "count rejected", "18446744073709551616");

	ok(!vgpu_parse_percent("1", &v) && v == 1, "percent parses", "1");
	ok(!vgpu_parse_percent("100", &v) && v == 100, "percent parses", "100");
	ok(!vgpu_parse_percent("50%", &v) && v == 50, "percent parses", "50%");
	ok(!vgpu_parse_percent("unlimited", &v) && v == VGPU_LIMIT_UNLIMITED,
	   "percent parses", "unlimited");
	ok(vgpu_parse_percent("0", &v) == VGPU_PARSE_RANGE, "percent rejected", "0");
	ok(vgpu_parse_percent("101", &v) == VGPU_PARSE_RANGE, "percent rejected", "101");
	ok(vgpu_parse_percent("-5", &v) == VGPU_PARSE_NEGATIVE, "percent rejected", "-5");
	ok(vgpu_parse_percent("5.5", &v) == VGPU_PARSE_BAD, "percent rejected", "5.5");

	ok(!vgpu_parse_u32("4294967295", &u) && u == 4294967295U, "u32 parses",
	   "4294967295");
	ok(vgpu_parse_u32("4294967296", &u) == VGPU_PARSE_RANGE, "u32 rejected",
	   "4294967296");

	dur_ok("50ms", 50000);
	dur_ok("10ms", 10000);
	dur_ok("1s", 1000000);
	dur_ok("0.5s", 500000);
	dur_ok("12.5ms", 12500);
	dur_ok("20000us", 20000);
	dur_ok("1.0009ms", 1000);		/* rounds down to whole us */
	dur_ok("0us", 0);
	dur_bad("50", VGPU_PARSE_BAD);		/* no unit: us, ms or s? */
	dur_bad("50 ms", VGPU_PARSE_BAD);
	dur_bad("50MS", VGPU_PARSE_BAD);
	dur_bad("1m", VGPU_PARSE_BAD);
	dur_bad("ms", VGPU_PARSE_BAD);
	dur_bad(".5s", VGPU_PARSE_BAD);
	dur_bad("1.s", VGPU_PARSE_BAD);
	dur_bad("unlimited", VGPU_PARSE_BAD);
	dur_bad("", VGPU_PARSE_BAD);
	dur_bad("-5ms", VGPU_PARSE_NEGATIVE);
	dur_bad("99999999999999999999s", VGPU_PARSE_RANGE);
	dur_bad("18446744073709552s", VGPU_PARSE_RANGE);
	dur_fmt(100000, "100ms");
	dur_fmt(1000000, "1s");
	dur_fmt(12500, "12500us");
	dur_fmt(2500000, "2500ms");
	dur_fmt(0, "0us");

	fmt_ok(0, "0");
	fmt_ok(4096, "4K");
	fmt_ok(4097, "4.0K");
	fmt_ok(1000, "1000");
	fmt_ok(512ULL << 20, "512M");
	fmt_ok(3ULL << 29, "1.5G");
	fmt_ok(8ULL << 30, "8G");
	fmt_ok(2ULL << 40, "2T");
	fmt_ok(VGPU_LIMIT_UNLIMITED, "unlimited");

	return tap_done();
}
