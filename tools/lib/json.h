/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal JSON and Prometheus label escaping for the vgpu tools. */
#ifndef VGPU_TOOLS_JSON_H
#define VGPU_TOOLS_JSON_H

#include <stdio.h>

/* json_string - write s as a quoted, escaped JSON string. */
void json_string(FILE *f, const char *s);

/* prom_label - write s escaped for a Prometheus label value (no quotes). */
void prom_label(FILE *f, const char *s);

#endif
