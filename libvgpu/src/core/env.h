/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The environment libvgpu reads: every VGPU_* variable is in one table
 * (env.c) with its grammar, and vgpu_session_open() checks them all before
 * anything else, so a value that does not parse fails the open with -EINVAL
 * and a text that names the variable -- never a silent default. Readers get
 * their values through the getters below, the same parsers the check uses.
 *
 * Getters: 1 when the variable is unset or empty (the caller's default
 * applies), 0 and *out when it parses, -EINVAL when it does not.
 * Standalone (common/size.c only), so the cache's test links it too.
 */
#ifndef VGPU_ENV_H
#define VGPU_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VGPU_ENV_API __attribute__((visibility("hidden")))

/* a size of common/size.h: 4096, 512M, 1.5G, unlimited */
int vgpu_env_size(const char *name, uint64_t *out) VGPU_ENV_API;
/* a count of common/size.h: 4, unlimited */
int vgpu_env_count(const char *name, uint64_t *out) VGPU_ENV_API;
/* a decimal integer in [min, max] */
int vgpu_env_uint(const char *name, uint64_t min, uint64_t max, uint64_t *out) VGPU_ENV_API;
/* 1, yes, on, true / 0, no, off, false (any case) */
int vgpu_env_bool(const char *name, bool *out) VGPU_ENV_API;
/* one of @words (NULL-terminated, any case): its index */
int vgpu_env_word(const char *name, const char *const *words, int *out) VGPU_ENV_API;
/* all, none, or a comma list of @words: bit i for words[i] ("-" and "_" alike) */
int vgpu_env_flags(const char *name, const char *const *words, uint32_t *out) VGPU_ENV_API;
/* 1 to @max comma-separated decimal integers; *n of them */
int vgpu_env_uints(const char *name, uint64_t *out, int max, int *n) VGPU_ENV_API;

/*
 * vgpu_env_check - check every variable of the table
 * Return: 0, or -EINVAL with @why = "VGPU_X='value': what it must be".
 */
int vgpu_env_check(char *why, size_t len) VGPU_ENV_API;
/* vgpu_env_check_var - the same for one variable of the table (-ENOENT: not in it) */
int vgpu_env_check_var(const char *name, char *why, size_t len) VGPU_ENV_API;

/* the words of the variables that take words */
extern const char *const vgpu_env_backend_words[] VGPU_ENV_API;	/* vgpu_backend_name() order */
extern const char *const vgpu_env_fallback_words[] VGPU_ENV_API;	/* VGPU_FB_* order */
extern const char *const vgpu_env_ledger_words[] VGPU_ENV_API;		/* "inprocess", "device" */

/* VGPU_CACHE: 0/off/no/false -> VGPU_ENV_CACHE_OFF, 1/on/yes/true -> _ON,
 * mem -> _MEM; unset or empty -> _ON. 0, or -EINVAL */
#define VGPU_ENV_CACHE_OFF	0	/* no cache */
#define VGPU_ENV_CACHE_ON	1	/* memory and disk */
#define VGPU_ENV_CACHE_MEM	2	/* memory only */
int vgpu_env_cache(int *mode) VGPU_ENV_API;

#endif /* VGPU_ENV_H */
