// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Human sizes and counts (size.h). Integer arithmetic only, overflow checked.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <linux/vgpu.h>

#include "common/size.h"

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Leading digits of *sp into *v; at least one digit required. */
static int parse_digits(const char **sp, uint64_t *v)
{
	const char *s = *sp;
	uint64_t r = 0;

	if (!is_digit(*s))
		return VGPU_PARSE_BAD;
	for (; is_digit(*s); s++) {
		if (__builtin_mul_overflow(r, 10, &r) ||
		    __builtin_add_overflow(r, (uint64_t)(*s - '0'), &r))
			return VGPU_PARSE_RANGE;
	}
	*sp = s;
	*v = r;
	return VGPU_PARSE_OK;
}

static int check_sign(const char *s)
{
	if (!s || !*s)
		return VGPU_PARSE_BAD;
	if (s[0] == '-' && (is_digit(s[1]) || s[1] == '.'))
		return VGPU_PARSE_NEGATIVE;
	return VGPU_PARSE_OK;
}

/* The sign, and "unlimited" (*out set, *done true); a VGPU_PARSE_* error. */
static int parse_head(const char *s, uint64_t *out, bool *done)
{
	int err = check_sign(s);

	*done = false;
	if (!err && !strcmp(s, "unlimited")) {
		*out = VGPU_LIMIT_UNLIMITED;
		*done = true;
	}
	return err;
}

/*
 * A number with an optional fraction, DIGITS[.DIGITS], from *sp: the whole
 * part in *ip, the fraction as *frac / *scale (*scale is 1 without one).
 */
static int parse_decimal(const char **sp, uint64_t *ip, uint64_t *frac,
			 uint64_t *scale)
{
	const char *s = *sp;
	int ndig = 0, err;

	err = parse_digits(&s, ip);
	if (err)
		return err;
	*frac = 0;
	*scale = 1;
	if (*s == '.') {
		s++;
		if (!is_digit(*s))
			return VGPU_PARSE_BAD;
		/* keep 18 digits (fits in u64), read and drop the rest */
		for (; is_digit(*s); s++) {
			if (ndig < 18) {
				*frac = *frac * 10 + (uint64_t)(*s - '0');
				*scale *= 10;
				ndig++;
			}
		}
	}
	*sp = s;
	return VGPU_PARSE_OK;
}

/* (ip + frac / scale) * mult, rounded down; false when past @max. */
static bool scaled(uint64_t ip, uint64_t frac, uint64_t scale, uint64_t mult,
		   uint64_t max, uint64_t *out)
{
	unsigned __int128 r = (unsigned __int128)ip * mult +
			      (unsigned __int128)frac * mult / scale;

	if (r > max)
		return false;
	*out = (uint64_t)r;
	return true;
}

int vgpu_parse_size(const char *s, uint64_t *out)
{
	uint64_t ip, frac, scale, mult = 1;
	bool done;
	int err;

	err = parse_head(s, out, &done);
	if (err || done)
		return err;
	err = parse_decimal(&s, &ip, &frac, &scale);
	if (err)
		return err;
	switch (*s) {
	case 'k': case 'K': mult = 1ULL << 10; s++; break;
	case 'm': case 'M': mult = 1ULL << 20; s++; break;
	case 'g': case 'G': mult = 1ULL << 30; s++; break;
	case 't': case 'T': mult = 1ULL << 40; s++; break;
	default: break;
	}
	if (mult > 1 && (*s == 'i' || *s == 'I'))
		s++;
	if (*s == 'b' || *s == 'B')
		s++;
	if (*s)
		return VGPU_PARSE_BAD;
	if (scale > 1 && mult == 1)
		return VGPU_PARSE_BAD;	/* a fraction of a byte */
	/* ~0 is "unlimited", never a number */
	if (!scaled(ip, frac, scale, mult, VGPU_LIMIT_UNLIMITED - 1, out))
		return VGPU_PARSE_RANGE;
	return VGPU_PARSE_OK;
}

int vgpu_parse_duration_us(const char *s, uint64_t *out)
{
	static const struct { const char *unit; uint64_t us; } units[] = {
		{ "us", 1 }, { "ms", 1000 }, { "s", 1000000 },
	};
	uint64_t ip, frac, scale, mult = 0;
	size_t i;
	int err;

	err = check_sign(s);
	if (err)
		return err;
	err = parse_decimal(&s, &ip, &frac, &scale);
	if (err)
		return err;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(s, units[i].unit))
			mult = units[i].us;
	if (!mult)
		return VGPU_PARSE_BAD;
	if (!scaled(ip, frac, scale, mult, UINT64_MAX, out))
		return VGPU_PARSE_RANGE;
	return VGPU_PARSE_OK;
}

/* "unlimited", or DIGITS (then '%' when @pct) in [@min, @max] */
static int parse_plain(const char *s, uint64_t *out, bool pct, uint64_t min, uint64_t max)
{
	uint64_t v;
	bool done;
	int err;

	err = parse_head(s, out, &done);
	if (err || done)
		return err;
	err = parse_digits(&s, &v);
	if (err)
		return err;
	if (pct && *s == '%')
		s++;
	if (*s)
		return VGPU_PARSE_BAD;
	if (v < min || v > max)
		return VGPU_PARSE_RANGE;
	*out = v;
	return VGPU_PARSE_OK;
}

int vgpu_parse_count(const char *s, uint64_t *out)
{
	return parse_plain(s, out, false, 0, VGPU_LIMIT_UNLIMITED - 1);
}

int vgpu_parse_percent(const char *s, uint64_t *out)
{
	return parse_plain(s, out, true, 1, 100);
}

int vgpu_parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;
	int err;

	err = check_sign(s);
	if (err)
		return err;
	err = parse_digits(&s, &v);
	if (err)
		return err;
	if (*s)
		return VGPU_PARSE_BAD;
	if (v > UINT32_MAX)
		return VGPU_PARSE_RANGE;
	*out = (uint32_t)v;
	return VGPU_PARSE_OK;
}

const char *vgpu_parse_strerror(int err)
{
	switch (err) {
	case VGPU_PARSE_OK:
		return "ok";
	case VGPU_PARSE_NEGATIVE:
		return "must not be negative";
	case VGPU_PARSE_RANGE:
		return "out of range";
	default:
		return "not a valid number";
	}
}

char *vgpu_format_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int i;

	if (v == VGPU_LIMIT_UNLIMITED) {
		snprintf(buf, len, "unlimited");
		return buf;
	}
	for (i = 3; i >= 0; i--) {
		uint64_t u = 1ULL << (10 * (i + 1));

		if (v < u)
			continue;
		if (v % u == 0)
			snprintf(buf, len, "%llu%c",
				 (unsigned long long)(v / u), units[i]);
		else
			snprintf(buf, len, "%.1f%c", (double)v / (double)u,
				 units[i]);
		return buf;
	}
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

char *vgpu_format_count(uint64_t v, char *buf, size_t len)
{
	if (v == VGPU_LIMIT_UNLIMITED)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

char *vgpu_format_duration_us(uint64_t us, char *buf, size_t len)
{
	if (us && us % 1000000 == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(us / 1000000));
	else if (us && us % 1000 == 0)
		snprintf(buf, len, "%llums", (unsigned long long)(us / 1000));
	else
		snprintf(buf, len, "%lluus", (unsigned long long)us);
	return buf;
}
