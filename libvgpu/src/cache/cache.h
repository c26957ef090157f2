/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvgpu compile cache: a bounded in-memory LRU in front of a bounded,
 * content-addressed on-disk store.  Internal to libvgpu (not public API).
 *
 * Keys are SHA-256 digests of length-prefixed parts (source, options,
 * backend, target, compiler identity: the caller chooses the parts).
 * Values are opaque blobs (a compiled shared object, a cubin, ...).
 *
 * Disk layout: <dir>/<hh>/<64 hex digits>.bin, each file a fixed header
 * (magic, version, key, payload length, SHA-256 of the payload) followed by
 * the payload.  Files are written to a unique temporary name in the same
 * directory and renamed into place, so readers see either the old complete
 * file or the new complete file; every read verifies length and checksum,
 * and a file that fails is removed and reported as a miss ("corrupt").
 *
 * Environment (read by vgpu_cache_open through core/env.h; a value that
 * does not parse makes it return -EINVAL):
 *   VGPU_CACHE=0|off|no|false   no cache at all (every get misses)
 *   VGPU_CACHE=1|on|yes|true    memory and disk (the default)
 *   VGPU_CACHE=mem              memory only, no disk
 *   VGPU_CACHE_DIR=path         disk location (default $XDG_CACHE_HOME/vgpu,
 *                               else $HOME/.cache/vgpu)
 *   VGPU_CACHE_MAX=size         disk bound, e.g. 256M, 1.5G, 1048576 (common/size.h)
 *   VGPU_CACHE_MEM_MAX=size     memory bound
 *   VGPU_CACHE_FSYNC=0|1        fsync each entry before renaming it into place
 * Explicit arguments to vgpu_cache_open win over the environment (except
 * VGPU_CACHE, which always applies); 0 / NULL mean "environment or default".
 *
 * A directory that cannot be created or written is not an error: the cache
 * keeps working from memory (and reads the directory when it can); stats
 * say which (disk_state, disk_errno).  All functions are thread-safe.
 */
#ifndef VGPU_CACHE_H
#define VGPU_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define VGPU_CACHE_KEY_LEN 32

#ifndef VGPU_INTERNAL_CACHE
#define VGPU_INTERNAL_CACHE __attribute__((visibility("hidden")))
#endif

#define VGPU_CACHE_DEFAULT_MEM  (64ull << 20)
#define VGPU_CACHE_DEFAULT_DISK (1ull << 30)	/* as vgpu_session_opts says */

struct vgpu_cache;

enum vgpu_cache_disk_state {
	VGPU_CACHE_DISK_RW = 0,		/* reading and writing the directory */
	VGPU_CACHE_DISK_RO = 1,		/* directory readable, not writable */
	VGPU_CACHE_DISK_OFF = 2,	/* no directory: memory only */
};

struct vgpu_cache_stats {
	uint64_t hits;		/* mem_hits + disk_hits */
	uint64_t misses;	/* gets that found nothing (corrupt included) */
	uint64_t mem_hits;	/* gets served from memory */
	uint64_t disk_hits;	/* gets served from disk (checksum verified) */
	uint64_t puts;		/* successful puts */
	uint64_t evictions;	/* memory entries evicted by the LRU bound */
	uint64_t corrupt;	/* disk files that failed verification, dropped */
	uint64_t mem_bytes;	/* bytes of blobs held in memory now */
	uint64_t disk_bytes;	/* bytes on disk as of the last scan + own puts */
	uint64_t disk_evictions; /* disk files removed by the disk bound */
	uint64_t disk_errors;	/* disk I/O failures (write, rename, read ...) */
	uint64_t mem_entries;	/* entries in memory now */
	uint64_t mem_limit;	/* memory bound in bytes (0: cache off) */
	uint64_t disk_limit;	/* disk bound in bytes (0: no disk) */
	int disk_state;		/* enum vgpu_cache_disk_state */
	int disk_errno;		/* why the disk is RO/OFF (positive errno), or 0 */
	int enabled;		/* 0 when VGPU_CACHE=0 */
};

/* Open a cache.  dir NULL: $VGPU_CACHE_DIR or the default; mem_bytes /
 * disk_bytes 0: environment or default.  Returns 0 or -ENOMEM / -EINVAL;
 * an unusable directory is not an error. */
int vgpu_cache_open(struct vgpu_cache **c, const char *dir, size_t mem_bytes,
		    size_t disk_bytes) VGPU_INTERNAL_CACHE;
void vgpu_cache_close(struct vgpu_cache *c) VGPU_INTERNAL_CACHE;

/* 0 and a malloc'ed copy in *blob (caller frees) on a hit; -ENOENT on a
 * miss; -EINVAL / -ENOMEM. */
int vgpu_cache_get(struct vgpu_cache *c, const uint8_t key[32], void **blob,
		   size_t *len) VGPU_INTERNAL_CACHE;
/* 0 when stored (memory and/or disk; a disk failure is counted, not
 * returned); -EINVAL / -ENOMEM. */
int vgpu_cache_put(struct vgpu_cache *c, const uint8_t key[32],
		   const void *blob, size_t len) VGPU_INTERNAL_CACHE;
/* Drop one key from memory and disk (0, or -ENOENT when absent). */
int vgpu_cache_remove(struct vgpu_cache *c, const uint8_t key[32]) VGPU_INTERNAL_CACHE;

/* key = SHA-256("vgpu-cache-v1" || n || for each part: le64(len) || bytes) */
void vgpu_cache_key(uint8_t out[32], const char *const parts[],
		    const size_t lens[], int nparts) VGPU_INTERNAL_CACHE;
void vgpu_cache_stats(struct vgpu_cache *c, struct vgpu_cache_stats *st) VGPU_INTERNAL_CACHE;

/* The disk directory in use (NULL when none); valid until close. */
const char *vgpu_cache_dir(struct vgpu_cache *c) VGPU_INTERNAL_CACHE;
/* Path of the file that holds key (for tests/tools); 0 or -ENAMETOOLONG /
 * -ENOENT when there is no disk. */
int vgpu_cache_path(struct vgpu_cache *c, const uint8_t key[32], char *buf,
		    size_t size) VGPU_INTERNAL_CACHE;

#endif /* VGPU_CACHE_H */
