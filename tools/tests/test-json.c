// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the tools' JSON writer and Prometheus label escaping; TAP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tap.h"
#include "lib/json.h"

/* The text FN wrote, compared with WANT. */
static void check(void (*fn)(FILE *f), const char *want, const char *what)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(f);
	fclose(f);
	if (!tap_ok(!strcmp(buf, want), "%s", what)) {
		tap_diag("got  %s", buf);
		tap_diag("want %s", want);
	}
	free(buf);
}

static void escaping(FILE *f)
{
	struct json j;

	json_start(&j, f);
	json_str(&j, NULL, "a\"b\\c\n\x01\t\x7f");
	fputc(' ', f);
	prom_label(f, "a\"b\\c\nd");
}

static void nesting(FILE *f)
{
	struct json j;

	json_start(&j, f);
	json_array_open(&j, NULL);
	json_object_open(&j, NULL);
	json_u64(&j, "id", 1);
	json_str(&j, "name", "vm1");
	json_object_open(&j, "resources");
	json_object_open(&j, "memory");
	json_u64(&j, "current", 0);
	json_null(&j, "limit");
	json_object_close(&j);
	json_object_open(&j, "pinned");
	json_object_close(&j);
	json_object_close(&j);
	json_object_close(&j);
	json_object_open(&j, NULL);
	json_u64(&j, "id", 18446744073709551615ULL);
	json_object_close(&j);
	json_array_close(&j);
	json_end(&j);
}

static void empty_array_then_object(FILE *f)
{
	struct json j;

	json_start(&j, f);
	json_array_open(&j, NULL);
	json_array_close(&j);
	json_end(&j);
	json_object_open(&j, NULL);
	json_u64(&j, "a", 2);
	json_object_close(&j);
	json_end(&j);
}

static void decimals(FILE *f)
{
	struct json j;

	json_start(&j, f);
	json_array_open(&j, NULL);
	json_decimal(&j, NULL, 2998, 2);
	json_decimal(&j, NULL, 3000, 2);
	json_decimal(&j, NULL, 5, 2);
	json_decimal(&j, NULL, 0, 2);
	json_decimal(&j, NULL, 2990, 4);
	json_decimal(&j, NULL, 10000, 4);
	json_decimal(&j, NULL, 123, 0);
	json_decimal(&j, NULL, 18446744073709551615ULL, 18);
	json_array_close(&j);
	json_end(&j);
}

int main(void)
{
	check(escaping, "\"a\\\"b\\\\c\\n\\u0001\\t\\u007f\" a\\\"b\\\\c\\nd",
	      "json: strings and labels escaped");
	check(nesting, "[{\"id\":1,\"name\":\"vm1\",\"resources\":{\"memory\":"
	      "{\"current\":0,\"limit\":null},\"pinned\":{}}},"
	      "{\"id\":18446744073709551615}]\n",
	      "json: commas and nesting, null, u64 max");
	check(empty_array_then_object, "[]\n{\"a\":2}\n",
	      "json: one value per line after json_end");
	check(decimals, "[29.98,30,0.05,0,0.299,1,123,18.446744073709551615]\n",
	      "json: exact decimals, no trailing zeros");
	return tap_done();
}
