// SPDX-License-Identifier: LGPL-2.1-or-later
#include <time.h>

#include "common.h"

vgpu_session *t_session_limits(const char *guest, uint32_t fallback, uint64_t mem,
			       uint64_t pinned, uint64_t ctx)
{
	struct vgpu_session_opts o = {
		.size = sizeof(o),
		.flags = VGPU_SESSION_NO_DEVICE_LEDGER | VGPU_SESSION_LIMITS,
		.guest = guest,
		.backend = VGPU_BACKEND_CPU,
		.fallback = fallback,
		.mem_limit = mem,
		.pinned_limit = pinned,
		.context_limit = ctx,
	};
	vgpu_session *s = NULL;
	int ret = vgpu_session_open(&s, &o);

	if (ret) {
		tap_diag("session_open(%s): %s", guest, strerror(-ret));
		return NULL;
	}
	return s;
}

vgpu_session *t_session(const char *guest, uint32_t fallback)
{
	return t_session_limits(guest, fallback, VGPU_UNLIMITED, VGPU_UNLIMITED, VGPU_UNLIMITED);
}

static uint64_t rs = 0x9e3779b97f4a7c15ull;

uint32_t t_rand(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)(rs >> 11);
}

float t_frand(void)
{
	return (float)(t_rand() % 2000000) / 1000000.0f - 1.0f;
}

int t_quick(void)
{
	const char *e = getenv("VGPU_TEST_QUICK");

	return e && *e && *e != '0';
}

uint64_t t_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
