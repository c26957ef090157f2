/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel corpus of libvgpu: CUDA kernels written the way real projects
 * write them, each checked against a plain C reference and timed against a
 * hand-written OpenMP version of the same algorithm.
 *
 * One kernel = two files in tests/corpus/kernels/:
 *
 *	NAME.cu	the CUDA source, as a user writes it (templates, __constant__,
 *		warp intrinsics, cooperative groups, ... whatever the shape uses)
 *	NAME.c	everything else: input generation, the plain C reference, the
 *		OpenMP baseline, the launches and the comparison, registered
 *		with CORPUS_CASE(NAME) (a linker section: no shared table to edit)
 *
 * The harness (harness.c, one program: build/corpus/corpus) runs them three
 * ways: `corpus --test` (TAP; small sizes; tests/suites/host/23-corpus, CPU
 * backend), `corpus --bench` (large sizes; ratios against OpenMP in the same
 * run; bench/cpu/run.sh) and, with VGPU_BACKEND=cuda, on a GPU against the
 * same references (tests/gpu/run.sh). See tests/corpus/README.md.
 *
 * The callbacks of a case, in the order the harness calls them:
 *	setup(r)	allocate (corpus_alloc) and fill the inputs of size r->n;
 *			keep them in a struct of yours, r->st = that struct
 *	ref(r)		plain C, one thread, the obvious algorithm: the answer
 *	omp(r)		the OpenMP baseline: the same algorithm as the kernel,
 *			as a C programmer would parallelise it (bench: timed)
 *	upload(r)	allocate device buffers (corpus_buf/corpus_buf_in) and
 *			copy the inputs (not timed)
 *	launch(r)	the kernel launches (timed); must be repeatable: the same
 *			inputs give the same outputs however often it runs (zero
 *			accumulators inside it, never read what it wrote before)
 *	download(r)	read the device outputs back into host memory (not timed)
 *	check(r, omp)	compare the device output (omp 0) or the OpenMP output
 *			(omp 1) with the reference: NULL when equal within the
 *			case's tolerance, else a message (corpus_msg)
 * Memory from corpus_alloc and buffers from corpus_buf* are freed by the
 * harness. Callbacks return 0 or a negative errno (launch/upload/download:
 * use CORPUS_TRY, which records the failing call and libvgpu's text).
 */
#ifndef VGPU_TESTS_CORPUS_H
#define VGPU_TESTS_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include <vgpu/libvgpu.h>

/* flags of struct corpus_case */
#define CORPUS_BARRIER_LOOP	(1U << 0)	/* __syncthreads inside a loop: reported apart */
#define CORPUS_WARP		(1U << 1)	/* warp intrinsics or tiled_partition */

struct corpus_run;

/**
 * struct corpus_case - one corpus kernel (see the file comment)
 * @name: the file name without extension (kernels/@name.cu)
 * @shape: what real code it stands for, a few words
 * @src: the .cu text (CORPUS_SOURCE defines it)
 * @names: kernels to look up, NULL-terminated: plain names ("stencil2d") or
 *	name expressions of template instantiations ("gemm<float,64>"); the
 *	expressions are passed to the compiler (vgpu_compile_opts.names)
 * @options: compile options, NULL-terminated or NULL ("--use_fast_math")
 * @flags: CORPUS_*
 * @n_test, @n_bench: problem size (r->n) in --test and --bench mode; the
 *	case says what n means (elements, matrix side, nodes, ...)
 * @cpu_xfail: NULL, or why the kernel does not run right on the CPU backend
 *	yet (a finding, reported as a skip with this text while it fails and
 *	as a failure once it passes, so the mark gets removed)
 */
struct corpus_case {
	const char *name;
	const char *shape;
	const char *src;
	const char *const *names;
	const char *const *options;
	unsigned int flags;
	size_t n_test, n_bench;
	const char *cpu_xfail;
	int (*setup)(struct corpus_run *r);
	void (*ref)(struct corpus_run *r);
	void (*omp)(struct corpus_run *r);
	int (*upload)(struct corpus_run *r);
	int (*launch)(struct corpus_run *r);
	int (*download)(struct corpus_run *r);
	const char *(*check)(struct corpus_run *r, int omp);
};

/**
 * struct corpus_run - one case being run (the harness owns it)
 * @c: the case
 * @n: problem size for this run
 * @st: the case's own state (setup sets it)
 * @sess, @mod: the session and the compiled module
 * @kernels: the kernels, in the order of @c->names
 * @threads: worker threads of the CPU backend (OpenMP uses as many)
 */
struct corpus_run {
	const struct corpus_case *c;
	size_t n;
	void *st;
	vgpu_session *sess;
	vgpu_module *mod;
	vgpu_kernel *kernels[8];
	unsigned int threads;
	/* the harness's */
	void *arena;
	vgpu_buffer *bufs[32];
	unsigned int nr_bufs;
	char err[512];
};

/* the .cu text, embedded at build time (the Makefile passes -Wa,-I<dir>) */
#define CORPUS_SOURCE(NAME)							\
	extern const char corpus_src_##NAME[];					\
	__asm__(".pushsection .rodata\n"					\
		".globl corpus_src_" #NAME "\n"					\
		"corpus_src_" #NAME ":\n"					\
		".incbin \"" #NAME ".cu\"\n"					\
		".byte 0\n"							\
		".popsection\n")

/* register a case: CORPUS_CASE(name) = { ... }; */
#define CORPUS_CASE(NAME)							\
	CORPUS_SOURCE(NAME);							\
	static const struct corpus_case corpus_case_##NAME;			\
	static const struct corpus_case *const corpus_ptr_##NAME		\
		__attribute__((used, section("corpus_cases"))) = &corpus_case_##NAME; \
	static const struct corpus_case corpus_case_##NAME

/* ---- helpers for the cases (harness.c) ---- */

/* zeroed, 64-byte aligned host memory, freed with the run; NULL: no memory */
void *corpus_alloc(struct corpus_run *r, size_t bytes);

/* deterministic inputs: the same for a given seed on every machine */
void corpus_fill_f32(float *p, size_t n, uint32_t seed, float lo, float hi);
void corpus_fill_f64(double *p, size_t n, uint32_t seed, double lo, double hi);
void corpus_fill_u32(uint32_t *p, size_t n, uint32_t seed, uint32_t mod);
uint32_t corpus_rand(uint32_t *state);

/* device buffers, freed with the run; 0 or a negative errno */
int corpus_buf(struct corpus_run *r, size_t bytes, vgpu_buffer **out);	/* zeroed */
int corpus_buf_in(struct corpus_run *r, const void *host, size_t bytes, vgpu_buffer **out);
int corpus_read(struct corpus_run *r, vgpu_buffer *b, void *host, size_t bytes);

/* launch r->kernels[k] on a grid x block (x, y, z) with @shmem dynamic shared bytes */
int corpus_launch(struct corpus_run *r, int k, struct vgpu_dim3 grid, struct vgpu_dim3 block,
		  uint32_t shmem, const struct vgpu_arg *args, unsigned int nr_args);
#define CORPUS_DIM(x, y, z) ((struct vgpu_dim3){ (x), (y), (z) })
#define CORPUS_ARGS(...) (const struct vgpu_arg[]){ __VA_ARGS__ }, \
	(unsigned int)(sizeof((const struct vgpu_arg[]){ __VA_ARGS__ }) / sizeof(struct vgpu_arg))

/* record a failed call (its text and libvgpu's) and return its errno */
#define CORPUS_TRY(r, call)							\
	do {									\
		int ret_ = (call);						\
		if (ret_ < 0)							\
			return corpus_fail((r), ret_, #call);			\
	} while (0)
int corpus_fail(struct corpus_run *r, int err, const char *what);

/*
 * comparisons: NULL when every element is within atol + rtol * |want|
 * (integers: equal), else a message naming the first bad index (kept in r)
 */
const char *corpus_cmp_f32(struct corpus_run *r, const float *got, const float *want, size_t n,
			   double rtol, double atol);
const char *corpus_cmp_f64(struct corpus_run *r, const double *got, const double *want, size_t n,
			   double rtol, double atol);
const char *corpus_cmp_u32(struct corpus_run *r, const uint32_t *got, const uint32_t *want,
			   size_t n);
const char *corpus_cmp_i32(struct corpus_run *r, const int32_t *got, const int32_t *want, size_t n);
/* a message of the case's own (printf), kept in r */
const char *corpus_msg(struct corpus_run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline uint32_t corpus_div_up(size_t n, size_t d)
{
	return (uint32_t)((n + d - 1) / d);
}

#endif
