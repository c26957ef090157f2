/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one grammar of sizes and counts in vgpu: vgpuctl's quotas, the
 * exporter, and libvgpu's VGPU_*_LIMIT / VGPU_CACHE_*MAX environment all
 * parse "512M", "1.5G", "4096", "unlimited" here (and durations such as
 * vgpuctl's compute period, "50ms"); and format them back for people. LGPL
 * so that libvgpu links it; the GPL tools may too.
 */
#ifndef VGPU_COMMON_SIZE_H
#define VGPU_COMMON_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* Parse results, 0 on success. */
enum vgpu_parse_err {
	VGPU_PARSE_OK = 0,
	VGPU_PARSE_BAD,		/* not a number of the expected form */
	VGPU_PARSE_NEGATIVE,	/* starts with '-' */
	VGPU_PARSE_RANGE,	/* too large (or outside the allowed range) */
};

/*
 * vgpu_parse_size - bytes: DIGITS[.DIGITS][K|M|G|T][i][B] (binary units,
 * case-insensitive), or "unlimited" (VGPU_LIMIT_UNLIMITED). A fraction needs
 * a unit; the result is rounded down to whole bytes. ~0 is reserved for
 * "unlimited" and so is out of range as a number.
 */
int vgpu_parse_size(const char *s, uint64_t *out);

/* vgpu_parse_count - decimal count without units, or "unlimited". */
int vgpu_parse_count(const char *s, uint64_t *out);

/* vgpu_parse_percent - 1..100 with an optional trailing '%', or "unlimited". */
int vgpu_parse_percent(const char *s, uint64_t *out);

/*
 * vgpu_parse_duration_us - a duration in microseconds: DIGITS[.DIGITS]UNIT,
 * UNIT one of us, ms, s (a unit is required: "50" could be any of them).
 * Rounded down to whole microseconds. The caller checks its own range.
 */
int vgpu_parse_duration_us(const char *s, uint64_t *out);

/* vgpu_parse_u32 - plain decimal u32 (ids, uids). */
int vgpu_parse_u32(const char *s, uint32_t *out);

/* vgpu_parse_strerror - a short reason for a vgpu_parse_err. */
const char *vgpu_parse_strerror(int err);

/*
 * vgpu_format_size - bytes for people: "0", "4096", "512M", "1.5G",
 * "unlimited". Exact multiples print without a fraction.
 */
char *vgpu_format_size(uint64_t v, char *buf, size_t len);

/* vgpu_format_count - "%llu" or "unlimited". */
char *vgpu_format_count(uint64_t v, char *buf, size_t len);

/*
 * vgpu_format_duration_us - microseconds exactly, in the largest unit that
 * divides them: "1s", "50ms", "12500us" (vgpu_parse_duration_us reads it back).
 */
char *vgpu_format_duration_us(uint64_t us, char *buf, size_t len);

#endif /* VGPU_COMMON_SIZE_H */
