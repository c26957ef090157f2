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

/* The CUDA device runtime of the clang path (cuda.h), embedded by cuda_prelude.S. */
extern const char vgpu_cpu_cuda_prelude[] VGPU_INTERNAL;

/* compile.c: the @compile and @target_id ops, and what both compilers use */
int vgpu_cpu_compile(void *ctx, const struct vgpu_bk_source *s, void **blob, size_t *blob_len,
		     char **log) VGPU_INTERNAL;
int vgpu_cpu_target_id(void *ctx, char *buf, size_t len) VGPU_INTERNAL;
/* run argv, its stdout+stderr in *out (malloc()ed); exit status or -errno */
int vgpu_cpu_run(char *const argv[], char **out) VGPU_INTERNAL;
/* run argv: the first line it printed (malloc()ed), NULL if it failed */
char *vgpu_cpu_run_line(char *const argv[]) VGPU_INTERNAL;
/* a new directory $TMPDIR/vgpu-cc-XXXXXX (else /tmp) into @dir; -errno, text set */
int vgpu_cpu_tmpdir(char *dir, size_t len) VGPU_INTERNAL;
int vgpu_cpu_read_file(const char *path, void **out, size_t *len) VGPU_INTERNAL;
/* an image: the header, @sig's kernels, the shared object; the name table (x<i> per
 * name expression) in front when there are names */
int vgpu_cpu_blob(const struct vgpu_ksig *sig, const void *so, size_t solen,
		  const char *const *names, int nr_names, void **blob, size_t *blob_len) VGPU_INTERNAL;
unsigned long long vgpu_cpu_hash_bytes(const void *p, size_t n) VGPU_INTERNAL;
unsigned long long vgpu_cpu_hash(const char *s) VGPU_INTERNAL;

/* clang.c: the clang path, chosen by VGPU_CPU_CC=clang */
bool vgpu_cpu_use_clang(void) VGPU_INTERNAL;
int vgpu_cpu_clang_target_id(char *buf, size_t len) VGPU_INTERNAL;
int vgpu_cpu_clang_compile(const struct vgpu_bk_source *s, void **blob, size_t *blob_len,
			   char **log) VGPU_INTERNAL;

#endif /* VGPU_CPU_H */
