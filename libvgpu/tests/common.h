/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers of the libvgpu tests; TAP output through common/tap.h. */
#ifndef VGPU_TEST_COMMON_H
#define VGPU_TEST_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpu/libvgpu.h>

#include "common/tap.h"

/* In-process ledger session on the CPU backend, for tests. */
vgpu_session *t_session(const char *guest, uint32_t fallback);
vgpu_session *t_session_limits(const char *guest, uint32_t fallback, uint64_t mem,
			       uint64_t pinned, uint64_t ctx);

uint32_t t_rand(void);
float t_frand(void);			/* [-1, 1) */
int t_quick(void);			/* VGPU_TEST_QUICK: smaller sizes (valgrind) */
uint64_t t_now_ns(void);		/* CLOCK_MONOTONIC, ns */

#define CHECK_ERR(call, want, ...) tap_ok((call) == (want), __VA_ARGS__)

#endif
