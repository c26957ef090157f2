/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tiny TAP helpers for the libvgpu tests. */
#ifndef VGPU_TEST_COMMON_H
#define VGPU_TEST_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpu/libvgpu.h>

extern int t_num, t_failed;

/* ok(cond, fmt...) prints "ok N name" / "not ok N name" */
void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void skip(const char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int t_done(void);			/* prints the plan; exit code */
void t_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* In-process ledger session on the CPU backend, for tests. */
vgpu_session *t_session(const char *guest, uint32_t fallback);
vgpu_session *t_session_limits(const char *guest, uint32_t fallback, uint64_t mem,
			       uint64_t pinned, uint64_t ctx);

uint32_t t_rand(void);
float t_frand(void);			/* [-1, 1) */
int t_quick(void);			/* VGPU_TEST_QUICK: smaller sizes (valgrind) */

#define CHECK_ERR(call, want, ...) ok((call) == (want), __VA_ARGS__)

#endif
