/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CPU backend's two halves: compile.c (CUDA-dialect source -> C++ ->
 * the system compiler -> an image) and runtime.c (contexts, the worker pool,
 * fibers, loading images, launches, the ops table).
 *
 * Image ("blob") format: struct cpu_blob_hdr, nkernels struct vgpu_kinfo,
 * then the shared object. The signatures travel with the image so a cached or
 * saved image launches type-checked.
 */
#ifndef VGPU_CPU_H
#define VGPU_CPU_H

#include "backend.h"

#define CPU_BLOB_MAGIC "VGPUCPU1"
struct cpu_blob_hdr {
	char magic[8];
	uint32_t kinfo_size;
	uint32_t nkernels;
	uint8_t helpers_use_barrier;
	uint8_t helpers_use_builtins;
	uint8_t __pad[6];
	uint64_t so_len;
};

/* The prelude, embedded by prelude.S. */
extern const char vgpu_cpu_prelude[] VGPU_INTERNAL;

/* compile.c: the @compile and @target_id ops */
int vgpu_cpu_compile(void *ctx, const struct vgpu_bk_source *s, void **blob, size_t *blob_len,
		     char **log) VGPU_INTERNAL;
int vgpu_cpu_target_id(void *ctx, char *buf, size_t len) VGPU_INTERNAL;

#endif /* VGPU_CPU_H */
