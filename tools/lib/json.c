// SPDX-License-Identifier: GPL-2.0
#include "json.h"

static void escaped(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"':  fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void json_start(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
}

/* The comma and "key": before a value. */
static void member(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	if (key) {
		escaped(j->f, key);
		fputc(':', j->f);
	}
}

static void nest_open(struct json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->f);
	if (j->depth < JSON_DEPTH_MAX - 1)
		j->depth++;
	j->first[j->depth] = true;
}

static void nest_close(struct json *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
}

void json_object_open(struct json *j, const char *key)
{
	nest_open(j, key, '{');
}

void json_object_close(struct json *j)
{
	nest_close(j, '}');
}

void json_array_open(struct json *j, const char *key)
{
	nest_open(j, key, '[');
}

void json_array_close(struct json *j)
{
	nest_close(j, ']');
}

void json_str(struct json *j, const char *key, const char *s)
{
	member(j, key);
	escaped(j->f, s);
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	member(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void json_null(struct json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

char *fmt_decimal(uint64_t v, int digits, char *buf, size_t len)
{
	uint64_t one = 1;
	int i;

	if (digits > 18)
		digits = 18;
	for (i = 0; i < digits; i++)
		one *= 10;
	/* drop the fraction's trailing zeros */
	while (digits > 0 && v % one && (v % one) % 10 == 0) {
		v /= 10;
		one /= 10;
		digits--;
	}
	if (digits <= 0 || v % one == 0)
		snprintf(buf, len, "%llu", (unsigned long long)(v / one));
	else
		snprintf(buf, len, "%llu.%0*llu", (unsigned long long)(v / one),
			 digits & 31, (unsigned long long)(v % one));
	return buf;
}

void json_decimal(struct json *j, const char *key, uint64_t v, int digits)
{
	char buf[32];

	member(j, key);
	fputs(fmt_decimal(v, digits, buf, sizeof(buf)), j->f);
}

void json_end(struct json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
	j->first[0] = true;
}

void prom_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '"':  fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		default:   fputc(*s, f);
		}
	}
}
