// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Every environment variable libvgpu reads, with its grammar (env.h).
 * libvgpu/README.md's "Environment" table documents the same list; the
 * tests (test_env.c) set a bad value of each and expect the open to fail.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/size.h"
#include "core/env.h"

const char *const vgpu_env_backend_words[] = { "auto", "cuda", "hip", "cpu", NULL };
const char *const vgpu_env_fallback_words[] = { "no-gpu", "compile", "launch", "quota", NULL };
const char *const vgpu_env_ledger_words[] = { "inprocess", "device", NULL };
static const char *const cpu_cc_words[] = { "g++", "clang", NULL };
static const char *const cache_words[] = {
	"0", "off", "no", "false", "1", "on", "yes", "true", "mem", NULL };
static const char *const bool_words[] = {
	"0", "off", "no", "false", "1", "on", "yes", "true", NULL };

enum env_kind {
	ENV_STRING, ENV_SIZE, ENV_COUNT, ENV_UINT, ENV_BOOL, ENV_WORD, ENV_FLAGS, ENV_UINTS,
};

struct env_var {
	const char *name;
	enum env_kind kind;
	uint64_t min, max;		/* ENV_UINT range; ENV_STRING: max bytes (0: any) */
	const char *const *words;	/* ENV_WORD, ENV_FLAGS */
	const char *what;		/* for the error text */
};

#define SIZE_WHAT "a size such as 4096, 512M, 1.5G or unlimited"
#define BOOL_WHAT "1, on, yes, true or 0, off, no, false"

static const struct env_var vars[] = {
	/* the session (core/session.c) */
	{ .name = "VGPU_BACKEND", .kind = ENV_WORD, .words = vgpu_env_backend_words,
	  .what = "auto, cuda, hip or cpu" },
	{ .name = "VGPU_FALLBACK", .kind = ENV_FLAGS, .words = vgpu_env_fallback_words,
	  .what = "all, none, or a comma list of no-gpu, compile, launch, quota" },
	{ .name = "VGPU_GUEST", .kind = ENV_STRING, .max = 31,
	  .what = "a guest name of at most 31 bytes" },
	{ .name = "VGPU_DEVICE", .kind = ENV_UINT, .min = 0, .max = 0x7fffffff,
	  .what = "a device index: 0, 1, ..." },
	/* the ledger (ledger/ledger.c) */
	{ .name = "VGPU_LEDGER", .kind = ENV_WORD, .words = vgpu_env_ledger_words,
	  .what = "inprocess or device" },
	{ .name = "VGPU_DEVICE_PATH", .kind = ENV_STRING },
	{ .name = "VGPU_MEM_LIMIT", .kind = ENV_SIZE, .what = SIZE_WHAT },
	{ .name = "VGPU_PINNED_LIMIT", .kind = ENV_SIZE, .what = SIZE_WHAT },
	{ .name = "VGPU_CONTEXT_LIMIT", .kind = ENV_COUNT,
	  .what = "a count such as 4, or unlimited" },
	/* the buffer pool (core/pool.c) */
	{ .name = "VGPU_POOL", .kind = ENV_BOOL, .what = BOOL_WHAT },
	/* the compile cache (cache/cache.c) */
	{ .name = "VGPU_CACHE", .kind = ENV_WORD, .words = cache_words,
	  .what = "0, off, 1, on or mem" },
	{ .name = "VGPU_CACHE_DIR", .kind = ENV_STRING },
	{ .name = "VGPU_CACHE_MAX", .kind = ENV_SIZE, .what = SIZE_WHAT },
	{ .name = "VGPU_CACHE_MEM_MAX", .kind = ENV_SIZE, .what = SIZE_WHAT },
	{ .name = "VGPU_CACHE_FSYNC", .kind = ENV_BOOL, .what = BOOL_WHAT },
	/* the CPU backend (cpu/) */
	{ .name = "VGPU_COMPUTE_LIMIT", .kind = ENV_UINT, .min = 1, .max = 100,
	  .what = "a GPU time cap of 1 to 100 (percent of a period)" },
	{ .name = "VGPU_COMPUTE_PERIOD_US", .kind = ENV_UINT, .min = 10000, .max = 1000000,
	  .what = "a period of 10000 to 1000000 microseconds" },
	{ .name = "VGPU_COMPUTE_WEIGHT", .kind = ENV_UINT, .min = 0, .max = 10000,
	  .what = "a GPU time weight of 0 (none) to 10000" },
	{ .name = "VGPU_COMPUTE_TURNS", .kind = ENV_BOOL, .what = BOOL_WHAT },
	{ .name = "VGPU_CPU_THREADS", .kind = ENV_UINT, .min = 0, .max = 1024,
	  .what = "0 (one per core) to 1024 threads" },
	{ .name = "VGPU_SPIN_US", .kind = ENV_UINT, .min = 0, .max = 100000,
	  .what = "0 (sleep at once) to 100000 microseconds" },
	{ .name = "VGPU_CPU_STACK_KB", .kind = ENV_UINT, .min = 8, .max = 65536,
	  .what = "8 to 65536 KiB" },
	{ .name = "VGPU_CPU_FISSION", .kind = ENV_BOOL, .what = BOOL_WHAT },
	{ .name = "VGPU_CPU_KEEP_TMP", .kind = ENV_BOOL, .what = BOOL_WHAT },
	{ .name = "VGPU_CPU_PROFILE", .kind = ENV_BOOL, .what = BOOL_WHAT },
	{ .name = "VGPU_CPU_MARCH", .kind = ENV_STRING },
	{ .name = "VGPU_CXX", .kind = ENV_STRING },
	{ .name = "VGPU_CPU_CC", .kind = ENV_WORD, .words = cpu_cc_words, .what = "g++ or clang" },
	{ .name = "VGPU_CLANG", .kind = ENV_STRING },
	{ .name = "VGPU_CPU_PASS", .kind = ENV_STRING },
	{ .name = "VGPU_CXXFLAGS", .kind = ENV_STRING },
	/* the GPU backends (cuda/, hip/) */
	{ .name = "VGPU_CUDA_LIBRARY", .kind = ENV_STRING },
	{ .name = "VGPU_NVRTC_LIBRARY", .kind = ENV_STRING },
	{ .name = "VGPU_CUDA_INCLUDE", .kind = ENV_STRING },
	{ .name = "VGPU_CUDA_NO_NVML", .kind = ENV_BOOL, .what = BOOL_WHAT },
	{ .name = "VGPU_CUDA_STAGING", .kind = ENV_UINTS, .min = 1, .max = 3,
	  .what = "THREADS[,CHUNK_KB[,MIN_KB]] (0 threads: no staging)" },
	{ .name = "VGPU_HIP_LIBRARY", .kind = ENV_STRING },
};

static const char *value(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* size.h's result -> 0 / -EINVAL */
static int size_ret(int err)
{
	return err == VGPU_PARSE_OK ? 0 : -EINVAL;
}

int vgpu_env_size(const char *name, uint64_t *out)
{
	const char *v = value(name);

	return v ? size_ret(vgpu_parse_size(v, out)) : 1;
}

int vgpu_env_count(const char *name, uint64_t *out)
{
	const char *v = value(name);

	return v ? size_ret(vgpu_parse_count(v, out)) : 1;
}

/* decimal digits only, no sign, no space; 0 or -EINVAL */
static int parse_uint(const char *s, const char **end, uint64_t *out)
{
	uint64_t r = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++)
		if (__builtin_mul_overflow(r, 10, &r) ||
		    __builtin_add_overflow(r, (uint64_t)(*s - '0'), &r))
			return -EINVAL;
	*end = s;
	*out = r;
	return 0;
}

int vgpu_env_uint(const char *name, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *v = value(name), *end;
	uint64_t r;

	if (!v)
		return 1;
	if (parse_uint(v, &end, &r) || *end || r < min || r > max)
		return -EINVAL;
	*out = r;
	return 0;
}

static int word_index(const char *v, size_t n, const char *const *words)
{
	for (int i = 0; words[i]; i++) {
		size_t k;

		if (strlen(words[i]) != n)
			continue;
		for (k = 0; k < n; k++) {
			char c = v[k] == '_' ? '-' : (char)tolower((unsigned char)v[k]);

			if (c != words[i][k])
				break;
		}
		if (k == n)
			return i;
	}
	return -1;
}

int vgpu_env_word(const char *name, const char *const *words, int *out)
{
	const char *v = value(name);
	int i;

	if (!v)
		return 1;
	i = word_index(v, strlen(v), words);
	if (i < 0)
		return -EINVAL;
	*out = i;
	return 0;
}

int vgpu_env_bool(const char *name, bool *out)
{
	int i, r = vgpu_env_word(name, bool_words, &i);

	if (!r)
		*out = i >= 4;
	return r;
}

int vgpu_env_cache(int *mode)
{
	int i, r = vgpu_env_word("VGPU_CACHE", cache_words, &i);

	*mode = VGPU_ENV_CACHE_ON;
	if (r < 0)
		return r;
	if (!r)
		*mode = i < 4 ? VGPU_ENV_CACHE_OFF : i < 8 ? VGPU_ENV_CACHE_ON : VGPU_ENV_CACHE_MEM;
	return 0;
}

int vgpu_env_flags(const char *name, const char *const *words, uint32_t *out)
{
	const char *v = getenv(name), *p;
	uint32_t m = 0;
	int all;

	if (!v)
		return 1;
	if (!*v || !strcasecmp(v, "none")) {	/* set but empty: none */
		*out = 0;
		return 0;
	}
	for (all = 0; words[all]; all++)
		;
	if (!strcasecmp(v, "all")) {
		*out = (1u << all) - 1;
		return 0;
	}
	for (p = v; ; p++) {
		size_t n = strcspn(p, ",");
		int i = word_index(p, n, words);

		if (i < 0)
			return -EINVAL;
		m |= 1u << i;
		p += n;
		if (!*p)
			break;
	}
	*out = m;
	return 0;
}

int vgpu_env_uints(const char *name, uint64_t *out, int max, int *n)
{
	const char *v = value(name), *end;
	int k = 0;

	if (!v)
		return 1;
	for (;;) {
		if (k == max || parse_uint(v, &end, &out[k]))
			return -EINVAL;
		k++;
		if (!*end)
			break;
		if (*end != ',')
			return -EINVAL;
		v = end + 1;
	}
	*n = k;
	return 0;
}

static int check_one(const struct env_var *e)
{
	uint64_t u[3];
	uint32_t m;
	bool b;
	int i;

	switch (e->kind) {
	case ENV_STRING:
		return e->max && value(e->name) && strlen(value(e->name)) > e->max ? -EINVAL : 0;
	case ENV_SIZE:
		return vgpu_env_size(e->name, u);
	case ENV_COUNT:
		return vgpu_env_count(e->name, u);
	case ENV_UINT:
		return vgpu_env_uint(e->name, e->min, e->max, u);
	case ENV_BOOL:
		return vgpu_env_bool(e->name, &b);
	case ENV_WORD:
		return vgpu_env_word(e->name, e->words, &i);
	case ENV_FLAGS:
		return vgpu_env_flags(e->name, e->words, &m);
	case ENV_UINTS:
		return vgpu_env_uints(e->name, u, (int)e->max, &i);
	}
	return -EINVAL;
}

static int check_why(const struct env_var *e, char *why, size_t len)
{
	if (check_one(e) >= 0)
		return 0;
	snprintf(why, len, "%s='%s': expected %s", e->name, getenv(e->name),
		 e->what ? e->what : "a value");
	return -EINVAL;
}

int vgpu_env_check(char *why, size_t len)
{
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (check_why(&vars[i], why, len))
			return -EINVAL;
	return 0;
}

int vgpu_env_check_var(const char *name, char *why, size_t len)
{
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (!strcmp(vars[i].name, name))
			return check_why(&vars[i], why, len);
	snprintf(why, len, "%s: not a variable of libvgpu", name);
	return -ENOENT;
}
