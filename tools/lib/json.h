/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vgpu tools' one JSON writer: a streaming writer that places commas and
 * escapes strings, so no caller prints JSON syntax itself; and the escaping of
 * Prometheus label values.
 *
 * Hand-written rather than json-c: the tools only ever write JSON, as a stream
 * (vgpuctl monitor prints an object per event), and iproute2's json_writer
 * shows that a writer this size is all that takes; json-c would add a
 * run-time dependency for a DOM vgpuctl never reads back.
 */
#ifndef VGPU_TOOLS_JSON_H
#define VGPU_TOOLS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX	8

struct json {
	FILE *f;
	int depth;
	bool first[JSON_DEPTH_MAX];	/* nothing written yet at this level */
};

void json_start(struct json *j, FILE *f);
/* KEY is the member name inside an object, NULL at the top or in an array. */
void json_object_open(struct json *j, const char *key);
void json_object_close(struct json *j);
void json_array_open(struct json *j, const char *key);
void json_array_close(struct json *j);
void json_str(struct json *j, const char *key, const char *s);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_null(struct json *j, const char *key);
/* json_decimal - V / 10^DIGITS as an exact decimal (2998, 2: 29.98). */
void json_decimal(struct json *j, const char *key, uint64_t v, int digits);
/* json_end - newline after a top-level value, and flush. */
void json_end(struct json *j);

/*
 * fmt_decimal - V / 10^DIGITS (DIGITS 0..18) exactly, without trailing zeros:
 * "29.98", "0.05", "30", "0". JSON numbers and Prometheus sample values.
 */
char *fmt_decimal(uint64_t v, int digits, char *buf, size_t len);

/* prom_label - write s escaped for a Prometheus label value (no quotes). */
void prom_label(FILE *f, const char *s);

#endif
