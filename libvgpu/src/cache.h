/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvgpu compile cache (initial interface, written by the libvgpu helper;
 * owned and implemented by the cache helper in cache.c). The contract of
 * each call is in the comment block of backend.h.
 */
#ifndef VGPU_CACHE_H
#define VGPU_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define VGPU_INTERNAL_CACHE __attribute__((visibility("hidden")))

struct vgpu_cache;

struct vgpu_cache_stats {
	uint64_t hits;		/* mem_hits + disk_hits */
	uint64_t misses;
	uint64_t mem_hits;
	uint64_t disk_hits;
	uint64_t puts;
	uint64_t evictions;
	uint64_t corrupt;	/* entries found damaged and dropped */
	uint64_t mem_bytes;	/* bytes held in memory now */
	uint64_t disk_bytes;	/* bytes held on disk now (as last seen) */
};

int vgpu_cache_open(struct vgpu_cache **c, const char *dir /* NULL = env/default */,
		    size_t mem_bytes, size_t disk_bytes) VGPU_INTERNAL_CACHE;
void vgpu_cache_close(struct vgpu_cache *c) VGPU_INTERNAL_CACHE;
int vgpu_cache_get(struct vgpu_cache *c, const uint8_t key[32], void **blob,
		   size_t *len) VGPU_INTERNAL_CACHE;
int vgpu_cache_put(struct vgpu_cache *c, const uint8_t key[32], const void *blob,
		   size_t len) VGPU_INTERNAL_CACHE;
void vgpu_cache_key(uint8_t out[32], const char *const parts[], const size_t lens[],
		    int nparts) VGPU_INTERNAL_CACHE;
void vgpu_cache_stats(struct vgpu_cache *c, struct vgpu_cache_stats *st) VGPU_INTERNAL_CACHE;

#endif /* VGPU_CACHE_H */
