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

int vgpu_parse_size(const char *s, uint64_t *out)
{
	uint64_t ip, frac = 0, scale = 1, mult = 1;
	unsigned __int128 r;
	int ndig = 0, err;
	bool done;

	err = parse_head(s, out, &done);
	if (err || done)
		return err;
	err = parse_digits(&s, &ip);
	if (err)
		return err;
	if (*s == '.') {
		s++;
		if (!is_digit(*s))
			return VGPU_PARSE_BAD;
		/* keep 18 digits (fits in u64), read and drop the rest */
		for (; is_digit(*s); s++) {
			if (ndig < 18) {
				frac = frac * 10 + (uint64_t)(*s - '0');
				scale *= 10;
				ndig++;
			}
		}
	}
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
	if (ndig && mult == 1)
		return VGPU_PARSE_BAD;	/* a fraction of a byte */

	r = (unsigned __int128)ip * mult +
	    (unsigned __int128)frac * mult / scale;
	if (r >= VGPU_LIMIT_UNLIMITED)
		return VGPU_PARSE_RANGE;
	*out = (uint64_t)r;
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
