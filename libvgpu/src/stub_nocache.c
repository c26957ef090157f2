// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * NOT A FEATURE: stand-in for cache.c, built by the Makefile only while
 * src/cache.c does not exist. Every get misses, every put is dropped; the key
 * is a (non-cryptographic) FNV-1a spread over 32 bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"

struct vgpu_cache {
	struct vgpu_cache_stats st;
};

int vgpu_cache_open(struct vgpu_cache **c, const char *dir, size_t mem_bytes, size_t disk_bytes)
{
	(void)dir;
	(void)mem_bytes;
	(void)disk_bytes;
	*c = calloc(1, sizeof(**c));
	return *c ? 0 : -ENOMEM;
}

void vgpu_cache_close(struct vgpu_cache *c)
{
	free(c);
}

int vgpu_cache_get(struct vgpu_cache *c, const uint8_t key[32], void **blob, size_t *len)
{
	(void)key;
	*blob = NULL;
	*len = 0;
	c->st.misses++;
	return -ENOENT;
}

int vgpu_cache_put(struct vgpu_cache *c, const uint8_t key[32], const void *blob, size_t len)
{
	(void)c;
	(void)key;
	(void)blob;
	(void)len;
	return -ENOSYS;
}

void vgpu_cache_key(uint8_t out[32], const char *const parts[], const size_t lens[], int nparts)
{
	uint64_t h[4] = { 0xcbf29ce484222325ull, 0x84222325cbf29ce4ull, 0x1234567887654321ull,
			  0x0f1e2d3c4b5a6978ull };

	for (int p = 0; p < nparts; p++)
		for (int k = 0; k < 4; k++) {
			for (size_t i = 0; i < sizeof(size_t); i++)
				h[k] = (h[k] ^ ((lens[p] >> (8 * i)) & 0xff)) * 0x100000001b3ull;
			for (size_t i = 0; i < lens[p]; i++)
				h[k] = (h[k] ^ (uint8_t)parts[p][i]) * (0x100000001b3ull + 2 * k);
		}
	memcpy(out, h, 32);
}

void vgpu_cache_stats(struct vgpu_cache *c, struct vgpu_cache_stats *st)
{
	*st = c ? c->st : (struct vgpu_cache_stats){ 0 };
}
