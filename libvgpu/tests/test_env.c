// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The environment: every VGPU_* variable libvgpu reads, set to a value that
 * does not parse, makes vgpu_session_open() fail with -EINVAL and a text
 * (vgpu_last_error(NULL)) that names the variable -- never a silent default;
 * and values in the documented grammar take effect.
 */
#include "common.h"

#define MiB (1ull << 20)

static int open_cpu(vgpu_session **s, const char *guest)
{
	struct vgpu_session_opts o = { .size = sizeof(o), .guest = guest,
				       .flags = VGPU_SESSION_NO_DEVICE_LEDGER,
				       .backend = VGPU_BACKEND_CPU };

	*s = NULL;
	return vgpu_session_open(s, &o);
}

/* @name=@bad: the open fails with -EINVAL, the text names the variable */
static void refused(const char *name, const char *bad)
{
	vgpu_session *s;
	int ret;

	setenv(name, bad, 1);
	ret = open_cpu(&s, "env-bad");
	unsetenv(name);
	tap_ok(ret == -EINVAL && !s && strstr(vgpu_last_error(NULL), name),
	       "%s='%s': open fails with EINVAL naming it (%d: %s)", name, bad, ret,
	       vgpu_last_error(NULL));
	vgpu_session_close(s);
}

/* @name=@good: the open succeeds (a guest of its own: in-process books,
 * and the limits in them, are made by a guest's first open) */
static int n_good;

static vgpu_session *accepted(const char *name, const char *good)
{
	vgpu_session *s;
	char guest[32];
	int ret;

	snprintf(guest, sizeof(guest), "env-good-%d", n_good++);
	setenv(name, good, 1);
	ret = open_cpu(&s, guest);
	tap_ok(ret == 0 && s, "%s='%s' accepted (%d: %s)", name, good, ret,
	       ret ? vgpu_last_error(NULL) : "");
	return s;
}

static uint64_t limit_of(vgpu_session *s, int res)
{
	struct vgpu_ledger_usage u = { .size = sizeof(u) };

	return s && !vgpu_ledger_usage(s, &u) ? u.limit[res] : 0;
}

int main(void)
{
	static const struct { const char *name, *bad; } bad[] = {
		{ "VGPU_BACKEND", "gpu" },
		{ "VGPU_FALLBACK", "no-gpu,sometimes" },
		{ "VGPU_GUEST", "a-guest-name-that-is-longer-than-31-bytes" },
		{ "VGPU_DEVICE", "abc" },
		{ "VGPU_DEVICE", "-1" },
		{ "VGPU_LEDGER", "kernel" },
		{ "VGPU_MEM_LIMIT", "12XB" },
		{ "VGPU_MEM_LIMIT", "1.5" },
		{ "VGPU_MEM_LIMIT", " 1G" },
		{ "VGPU_PINNED_LIMIT", "-1" },
		{ "VGPU_CONTEXT_LIMIT", "4K" },
		{ "VGPU_CACHE", "maybe" },
		{ "VGPU_CACHE_MAX", "lots" },
		{ "VGPU_CACHE_MEM_MAX", "64kk" },
		{ "VGPU_CACHE_FSYNC", "2" },
		{ "VGPU_POOL", "sometimes" },
		{ "VGPU_CPU_THREADS", "many" },
		{ "VGPU_CPU_THREADS", "2000" },
		{ "VGPU_SPIN_US", "200000" },
		{ "VGPU_CPU_STACK_KB", "4" },
		{ "VGPU_CPU_FISSION", "sometimes" },
		{ "VGPU_CPU_KEEP_TMP", "please" },
		{ "VGPU_CPU_PROFILE", "often" },
		{ "VGPU_CUDA_NO_NVML", "sure" },
		{ "VGPU_CUDA_STAGING", "8,x" },
		{ "VGPU_CUDA_STAGING", "1,2,3,4" },
	};
	static const struct { const char *name, *v; int res; uint64_t want; } limits[] = {
		/* the example: 1.5G was an unlimited ledger */
		{ "VGPU_MEM_LIMIT", "1.5G", VGPU_LIB_RES_MEMORY, 1536 * MiB },
		{ "VGPU_PINNED_LIMIT", "512M", VGPU_LIB_RES_PINNED, 512 * MiB },
		{ "VGPU_CONTEXT_LIMIT", "unlimited", VGPU_LIB_RES_CONTEXTS, VGPU_UNLIMITED },
		{ "VGPU_CONTEXT_LIMIT", "3", VGPU_LIB_RES_CONTEXTS, 3 },
	};
	vgpu_session *s;

	tap_subtest("a value that does not parse fails the open");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(bad[i].name, bad[i].bad);
	tap_end();

	tap_subtest("values in the documented grammar take effect");
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		s = accepted(limits[i].name, limits[i].v);
		tap_ok(limit_of(s, limits[i].res) == limits[i].want, "%s=%s is %llu", limits[i].name,
		       limits[i].v, (unsigned long long)limits[i].want);
		vgpu_session_close(s);
		unsetenv(limits[i].name);
	}
	s = accepted("VGPU_BACKEND", "CPU");
	tap_ok(s && vgpu_session_backend(s) == VGPU_BACKEND_CPU, "VGPU_BACKEND=CPU: the CPU backend");
	vgpu_session_close(s);
	unsetenv("VGPU_BACKEND");
	vgpu_session_close(accepted("VGPU_FALLBACK", "no_gpu,quota"));
	unsetenv("VGPU_FALLBACK");
	vgpu_session_close(accepted("VGPU_CPU_THREADS", "0"));
	unsetenv("VGPU_CPU_THREADS");
	vgpu_session_close(accepted("VGPU_CACHE", "mem"));
	unsetenv("VGPU_CACHE");
	vgpu_session_close(accepted("VGPU_CUDA_STAGING", "8,2048,4096"));
	unsetenv("VGPU_CUDA_STAGING");
	tap_end();

	tap_subtest("the text of a failed open");
	setenv("VGPU_DEVICE", "abc", 1);
	open_cpu(&s, "env-text");
	unsetenv("VGPU_DEVICE");
	tap_ok(strstr(vgpu_last_error(NULL), "VGPU_DEVICE='abc'") != NULL,
	       "it quotes the value (%s)", vgpu_last_error(NULL));
	tap_ok(open_cpu(&s, "env-text") == 0 && !vgpu_last_error(NULL)[0],
	       "a successful open clears it");
	vgpu_session_close(s);
	tap_end();
	return tap_done();
}
