// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_gpu.c - libvgpu on a real GPU: the kernel corpus on CUDA compared with
 * the CPU backend and with plain C, copies, modules, launch errors, timeouts,
 * the quota at its exact limit and the ledger against the device's own
 * free-memory count; HIP must report "no device" cleanly where there is no
 * AMD GPU. Prints TAP: every test is "ok", "not ok" or "ok ... # SKIP why".
 * Without a GPU every CUDA test is skipped with the reason libvgpu gives.
 *
 * The in-process ledger is used throughout (VGPU_SESSION_NO_DEVICE_LEDGER):
 * on the GPU machine vgpu.ko cannot be loaded (its kernel enforces module
 * signatures), so the kernel ledger is tested in the VM suites instead.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vgpu/libvgpu.h"
#include "common/corpus.h"
#include "common/tap.h"

/* the dialect corpus (one source, every backend) and its buffer helper, dialect_buf */
#define DIALECT_OK(cond, ...) tap_ok(cond, __VA_ARGS__)
#include "dialect.h"
/* the half-precision kernel and its reference (test_clang runs it on the CPU) */
#include "convert.h"
#include "cudastd.h"
#include "cucomplex.h"
#include "cvtdot.h"
#include "mathx.h"
#include "half.h"

#define MiB (1024ull * 1024)

static char cuda_skip[512];		/* non-empty: why CUDA tests skip */


/* ------------------------------------------------------------- helpers */

static const char *guest_name = "gputest";

static int open_sess(vgpu_session **s, int backend, unsigned fallback, uint64_t mem_limit,
		     unsigned extra_flags)
{
	struct vgpu_session_opts o = { .size = sizeof(o) };

	o.flags = VGPU_SESSION_NO_DEVICE_LEDGER | VGPU_SESSION_LIMITS | extra_flags;
	o.guest = guest_name;
	o.backend = backend;
	o.fallback = fallback;
	o.mem_limit = mem_limit;
	o.pinned_limit = VGPU_UNLIMITED;
	o.context_limit = VGPU_UNLIMITED;
	return vgpu_session_open(s, &o);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

static float frnd(void)
{
	return (rnd() % 2000001) / 1000000.0f - 1.0f;
}

static struct vgpu_launch_cfg cfg1(uint32_t grid, uint32_t block, uint32_t shared)
{
	struct vgpu_launch_cfg c = { .size = sizeof(c) };

	c.grid.x = grid;
	c.block.x = block;
	c.shared_bytes = shared;
	c.timeout_ms = -1;
	return c;
}

static bool feq(float a, float b, float rel)
{
	return fabsf(a - b) <= rel * (1.0f + fabsf(b));
}

/* ------------------------------------------------------------- corpus */

struct run {
	vgpu_session *s;
	vgpu_module *m;
	char err[512];
};

static int run_open(struct run *r, int backend)
{
	int ret;

	memset(r, 0, sizeof(*r));
	ret = open_sess(&r->s, backend, 0, VGPU_UNLIMITED, 0);
	if (ret) {
		snprintf(r->err, sizeof(r->err), "session_open(%s): %s", vgpu_backend_name(backend),
			 strerror(-ret));
		return ret;
	}
	ret = vgpu_module_compile(r->s, VGPU_CORPUS_SRC, 0, NULL, &r->m);
	if (ret) {
		snprintf(r->err, sizeof(r->err), "compile(%s): %s: %.400s", vgpu_backend_name(backend),
			 strerror(-ret), vgpu_last_error(r->s));
		vgpu_session_close(r->s);
		r->s = NULL;
	}
	return ret;
}

static void run_close(struct run *r)
{
	vgpu_module_unload(r->m);
	vgpu_session_close(r->s);
}

static int launch(struct run *r, const char *name, struct vgpu_launch_cfg *c, struct vgpu_arg *a,
		  unsigned n)
{
	vgpu_kernel *k;
	int ret = vgpu_kernel_get(r->m, name, &k);

	if (!ret)
		ret = vgpu_launch(k, c, a, n);
	if (ret)
		snprintf(r->err, sizeof(r->err), "%s: %s: %.400s", name, strerror(-ret), vgpu_last_error(r->s));
	return ret;
}

/* Each corpus test fills out[] (floats or ints as bytes) on one backend. */
typedef int (*corpus_fn)(struct run *r, void *out, size_t *outlen);

#define NV (1 << 20)
static float *A, *B, *Cm;
static unsigned *H;
static int *SI;
#define MM 200
#define MN 136
#define MK 152
#define SW 517
#define SH 263
#define NSCAN 200000

static int k_vadd(struct run *r, void *out, size_t *len)
{
	vgpu_buffer *a = dialect_buf(r->s, A, NV * 4), *b = dialect_buf(r->s, B, NV * 4), *c = dialect_buf(r->s, NULL, NV * 4);
	struct vgpu_launch_cfg cf = cfg1((NV + 255) / 256, 256, 0);
	struct vgpu_arg args[] = { vgpu_arg_buf(a), vgpu_arg_buf(b), vgpu_arg_buf(c), vgpu_arg_i32(NV) };
	int ret = a && b && c ? launch(r, "vadd", &cf, args, 4) : -ENOMEM;

	if (!ret)
		ret = vgpu_buffer_read(c, 0, out, NV * 4);
	*len = NV * 4;
	vgpu_buffer_free(a); vgpu_buffer_free(b); vgpu_buffer_free(c);
	return ret;
}

static int k_saxpy(struct run *r, void *out, size_t *len)
{
	vgpu_buffer *x = dialect_buf(r->s, A, NV * 4), *y = dialect_buf(r->s, B, NV * 4);
	struct vgpu_launch_cfg cf = cfg1((NV + 127) / 128, 128, 0);
	struct vgpu_arg args[] = { vgpu_arg_i32(NV), vgpu_arg_f32(2.5f), vgpu_arg_buf(x), vgpu_arg_buf(y) };
	int ret = x && y ? launch(r, "saxpy", &cf, args, 4) : -ENOMEM;

	if (!ret)
		ret = vgpu_buffer_read(y, 0, out, NV * 4);
	*len = NV * 4;
	vgpu_buffer_free(x); vgpu_buffer_free(y);
	return ret;
}

static int k_reduce(struct run *r, void *out, size_t *len)
{
	int blocks = (NV + 511) / 512;
	vgpu_buffer *in = dialect_buf(r->s, A, NV * 4), *o = dialect_buf(r->s, NULL, blocks * 4);
	struct vgpu_launch_cfg cf = cfg1(blocks, 256, 256 * 4);
	struct vgpu_arg args[] = { vgpu_arg_buf(in), vgpu_arg_buf(o), vgpu_arg_i32(NV) };
	int ret = in && o ? launch(r, "reduce_sum", &cf, args, 3) : -ENOMEM;

	if (!ret)
		ret = vgpu_buffer_read(o, 0, out, blocks * 4);
	*len = blocks * 4;
	vgpu_buffer_free(in); vgpu_buffer_free(o);
	return ret;
}

static int k_matmul(struct run *r, void *out, size_t *len)
{
	vgpu_buffer *a = dialect_buf(r->s, A, MM * MK * 4), *b = dialect_buf(r->s, B, MK * MN * 4),
		    *c = dialect_buf(r->s, NULL, MM * MN * 4);
	struct vgpu_launch_cfg cf = { .size = sizeof(cf), .timeout_ms = -1 };
	struct vgpu_arg args[] = { vgpu_arg_buf(a), vgpu_arg_buf(b), vgpu_arg_buf(c), vgpu_arg_i32(MM),
				   vgpu_arg_i32(MN), vgpu_arg_i32(MK) };
	int ret;

	cf.grid = (struct vgpu_dim3){ (MN + 15) / 16, (MM + 15) / 16, 1 };
	cf.block = (struct vgpu_dim3){ 16, 16, 1 };
	ret = a && b && c ? launch(r, "matmul", &cf, args, 6) : -ENOMEM;
	if (!ret)
		ret = vgpu_buffer_read(c, 0, out, MM * MN * 4);
	*len = MM * MN * 4;
	vgpu_buffer_free(a); vgpu_buffer_free(b); vgpu_buffer_free(c);
	return ret;
}

static int k_hist(struct run *r, void *out, size_t *len)
{
	vgpu_buffer *d = dialect_buf(r->s, H, NV * 4), *bins = dialect_buf(r->s, NULL, 256 * 4);
	unsigned zero[256] = { 0 };
	struct vgpu_launch_cfg cf = cfg1(120, 256, 0);
	struct vgpu_arg args[] = { vgpu_arg_buf(d), vgpu_arg_buf(bins), vgpu_arg_i32(NV) };
	int ret = d && bins ? vgpu_buffer_write(bins, 0, zero, sizeof(zero)) : -ENOMEM;

	if (!ret)
		ret = launch(r, "histogram", &cf, args, 3);
	if (!ret)
		ret = vgpu_buffer_read(bins, 0, out, 256 * 4);
	*len = 256 * 4;
	vgpu_buffer_free(d); vgpu_buffer_free(bins);
	return ret;
}

static int k_stencil(struct run *r, void *out, size_t *len)
{
	vgpu_buffer *in = dialect_buf(r->s, A, SW * SH * 4), *o = dialect_buf(r->s, NULL, SW * SH * 4);
	struct vgpu_launch_cfg cf = { .size = sizeof(cf), .timeout_ms = -1 };
	struct vgpu_arg args[] = { vgpu_arg_buf(in), vgpu_arg_buf(o), vgpu_arg_i32(SW), vgpu_arg_i32(SH) };
	int ret;

	cf.grid = (struct vgpu_dim3){ (SW + 31) / 32, (SH + 7) / 8, 1 };
	cf.block = (struct vgpu_dim3){ 32, 8, 1 };
	ret = in && o ? launch(r, "stencil2d", &cf, args, 4) : -ENOMEM;
	if (!ret)
		ret = vgpu_buffer_read(o, 0, out, SW * SH * 4);
	*len = SW * SH * 4;
	vgpu_buffer_free(in); vgpu_buffer_free(o);
	return ret;
}

static int k_scan(struct run *r, void *out, size_t *len)
{
	int bs = 256, nb = (NSCAN + bs - 1) / bs, bs2 = 1;
	vgpu_buffer *in = dialect_buf(r->s, SI, NSCAN * 4), *o = dialect_buf(r->s, NULL, NSCAN * 4),
		    *sums = dialect_buf(r->s, NULL, nb * 4), *ssc = dialect_buf(r->s, NULL, nb * 4),
		    *dummy = dialect_buf(r->s, NULL, 4);
	int ret = in && o && sums && ssc && dummy ? 0 : -ENOMEM;

	while (bs2 < nb)
		bs2 <<= 1;
	if (!ret) {
		struct vgpu_launch_cfg cf = cfg1(nb, bs, bs * 4);
		struct vgpu_arg a[] = { vgpu_arg_buf(in), vgpu_arg_buf(o), vgpu_arg_buf(sums), vgpu_arg_i32(NSCAN) };

		ret = launch(r, "scan_block", &cf, a, 4);
	}
	if (!ret) {	/* scan the block sums in one block */
		struct vgpu_launch_cfg cf = cfg1(1, bs2, bs2 * 4);
		struct vgpu_arg a[] = { vgpu_arg_buf(sums), vgpu_arg_buf(ssc), vgpu_arg_buf(dummy), vgpu_arg_i32(nb) };

		ret = launch(r, "scan_block", &cf, a, 4);
	}
	if (!ret) {
		struct vgpu_launch_cfg cf = cfg1(nb, bs, 0);
		struct vgpu_arg a[] = { vgpu_arg_buf(o), vgpu_arg_buf(ssc), vgpu_arg_i32(NSCAN) };

		ret = launch(r, "scan_add", &cf, a, 3);
	}
	if (!ret)
		ret = vgpu_buffer_read(o, 0, out, NSCAN * 4);
	*len = NSCAN * 4;
	vgpu_buffer_free(in); vgpu_buffer_free(o); vgpu_buffer_free(sums); vgpu_buffer_free(ssc);
	vgpu_buffer_free(dummy);
	return ret;
}

/* plain-C references */
static void ref_vadd(float *o) { for (int i = 0; i < NV; i++) o[i] = A[i] + B[i]; }
static void ref_saxpy(float *o) { for (int i = 0; i < NV; i++) o[i] = 2.5f * A[i] + B[i]; }
static void ref_reduce(float *o)
{
	for (int b = 0; b < (NV + 511) / 512; b++) {
		double s = 0;

		for (int i = b * 512; i < (b + 1) * 512 && i < NV; i++)
			s += A[i];
		o[b] = (float)s;
	}
}
static void ref_matmul(float *o)
{
	for (int i = 0; i < MM; i++)
		for (int j = 0; j < MN; j++) {
			double s = 0;

			for (int k = 0; k < MK; k++)
				s += (double)A[i * MK + k] * B[k * MN + j];
			o[i * MN + j] = (float)s;
		}
}
static void ref_hist(unsigned *o)
{
	memset(o, 0, 256 * 4);
	for (int i = 0; i < NV; i++)
		o[H[i] & 255]++;
}
static void ref_stencil(float *o)
{
	for (int y = 0; y < SH; y++)
		for (int x = 0; x < SW; x++) {
			int i = y * SW + x;

			o[i] = (x == 0 || y == 0 || x == SW - 1 || y == SH - 1) ? A[i] :
				0.5f * A[i] + 0.125f * (A[i - 1] + A[i + 1] + A[i - SW] + A[i + SW]);
		}
}
static void ref_scan(int *o)
{
	int s = 0;

	for (int i = 0; i < NSCAN; i++)
		o[i] = s += SI[i];
}

struct corpus_case {
	const char *name;
	corpus_fn fn;
	void (*ref)(void *);
	bool is_float;
	float tol;		/* relative, floats */
};

static const struct corpus_case corpus[] = {
	{ "vector add", k_vadd, (void (*)(void *))ref_vadd, true, 0 },
	{ "saxpy", k_saxpy, (void (*)(void *))ref_saxpy, true, 1e-6f },
	{ "reduction (shared memory, __syncthreads)", k_reduce, (void (*)(void *))ref_reduce, true, 1e-4f },
	{ "tiled matmul (16x16 shared tiles)", k_matmul, (void (*)(void *))ref_matmul, true, 1e-4f },
	{ "histogram (shared + global atomics)", k_hist, (void (*)(void *))ref_hist, false, 0 },
	{ "2-D stencil", k_stencil, (void (*)(void *))ref_stencil, true, 1e-6f },
	{ "prefix scan (3 launches)", k_scan, (void (*)(void *))ref_scan, false, 0 },
};

static const char *compare(const struct corpus_case *c, const void *x, const void *y, size_t len,
			   float tol, char *msg, size_t mlen)
{
	size_t n = len / 4;

	for (size_t i = 0; i < n; i++) {
		if (c->is_float) {
			float a = ((const float *)x)[i], b = ((const float *)y)[i];

			if (isnan(a) || !feq(a, b, tol)) {
				snprintf(msg, mlen, "element %zu: %.9g vs %.9g", i, a, b);
				return msg;
			}
		} else if (((const int *)x)[i] != ((const int *)y)[i]) {
			snprintf(msg, mlen, "element %zu: %d vs %d", i, ((const int *)x)[i], ((const int *)y)[i]);
			return msg;
		}
	}
	return NULL;
}

static void test_corpus(void)
{
	struct run gpu, cpu;
	int rg, rc;
	size_t cap = (size_t)NV * 4;
	void *og = malloc(cap), *oc = malloc(cap), *oref = malloc(cap);
	char msg[200];

	rg = cuda_skip[0] ? -ENODEV : run_open(&gpu, VGPU_BACKEND_CUDA);
	rc = run_open(&cpu, VGPU_BACKEND_CPU);
	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		const struct corpus_case *c = &corpus[i];
		char name[128];
		size_t lg = 0, lc = 0;
		const char *bad = NULL;
		int eg, ec;

		snprintf(name, sizeof(name), "corpus: %s: cuda == cpu backend == plain C", c->name);
		if (cuda_skip[0]) {
			tap_skip(cuda_skip, "%s", name);
			continue;
		}
		if (rg || rc) {
			tap_ok(false, "%s (%s)", name, rg ? gpu.err : cpu.err);
			continue;
		}
		memset(og, 0xff, cap);
		memset(oc, 0xfe, cap);
		eg = c->fn(&gpu, og, &lg);
		ec = c->fn(&cpu, oc, &lc);
		if (eg || ec) {
			tap_ok(false, "%s (%s)", name, eg ? gpu.err : cpu.err);
			continue;
		}
		c->ref(oref);
		bad = compare(c, og, oref, lg, c->tol, msg, sizeof(msg));
		if (bad) {
			tap_ok(false, "%s (cuda vs C: %s)", name, bad);
			continue;
		}
		bad = compare(c, og, oc, lg, c->tol * 2, msg, sizeof(msg));
		tap_ok(!bad, "%s%s%s", name, bad ? " (cuda vs cpu: " : "", bad ? bad : "");
		if (bad)
			printf("# )\n");
	}
	if (!rg)
		run_close(&gpu);
	if (!rc)
		run_close(&cpu);
	free(og); free(oc); free(oref);
}

/* ------------------------------------------------------------- raw CUDA */

/* The test's own view of device memory: libcuda directly (not libvgpu). */
typedef int (*cuInit_t)(unsigned);
typedef int (*cuDeviceGet_t)(int *, int);
typedef int (*cuCtxRetain_t)(void **, int);
typedef int (*cuCtxSet_t)(void *);
typedef int (*cuCtxGet_t)(void **);
typedef int (*cuMemGetInfo_t)(size_t *, size_t *);
static struct {
	void *lib, *ctx;
	cuCtxSet_t set;
	cuCtxGet_t get;
	cuMemGetInfo_t info;
} raw;

static int raw_open(void)
{
	cuInit_t init;
	cuDeviceGet_t dget;
	cuCtxRetain_t retain;
	int dev;

	raw.lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!raw.lib)
		return -1;
	init = (cuInit_t)dlsym(raw.lib, "cuInit");
	dget = (cuDeviceGet_t)dlsym(raw.lib, "cuDeviceGet");
	retain = (cuCtxRetain_t)dlsym(raw.lib, "cuDevicePrimaryCtxRetain");
	raw.set = (cuCtxSet_t)dlsym(raw.lib, "cuCtxSetCurrent");
	raw.get = (cuCtxGet_t)dlsym(raw.lib, "cuCtxGetCurrent");
	raw.info = (cuMemGetInfo_t)dlsym(raw.lib, "cuMemGetInfo_v2");
	if (!init || !dget || !retain || !raw.set || !raw.info || init(0) || dget(&dev, 0) ||
	    retain(&raw.ctx, dev))
		return -1;
	return 0;
}

/* device-wide used bytes, through the test's own context */
static long long raw_used(void)
{
	size_t f = 0, t = 0;
	void *prev = NULL;
	int r;

	raw.get(&prev);
	raw.set(raw.ctx);
	r = raw.info(&f, &t);
	raw.set(prev);
	return r ? -1 : (long long)(t - f);
}

/* ------------------------------------------------------------- tests */

static void test_open_and_props(void)
{
	vgpu_session *s = NULL;
	struct vgpu_device_props p = { .size = sizeof(p) };
	char fb[512] = "";
	int ret, n;

	ret = open_sess(&s, VGPU_BACKEND_CUDA, VGPU_FALLBACK_NO_GPU, VGPU_UNLIMITED, 0);
	if (ret == 0 && vgpu_session_backend(s) != VGPU_BACKEND_CUDA) {
		vgpu_fallback_text(s, VGPU_FB_NO_GPU, fb, sizeof(fb));
		snprintf(cuda_skip, sizeof(cuda_skip), "no CUDA GPU: %s", fb[0] ? fb : "(no reason given)");
		tap_ok(fb[0] != 0, "cuda: absent CUDA is a clean fallback with a reason (%s)", fb);
		vgpu_session_close(s);
		return;
	}
	if (ret) {
		snprintf(cuda_skip, sizeof(cuda_skip), "no CUDA: session_open: %s", strerror(-ret));
		tap_ok(false, "cuda: session opens (%s)", strerror(-ret));
		return;
	}
	tap_ok(true, "cuda: session opens on the CUDA backend");
	n = vgpu_device_count(s);
	ret = n > 0 ? vgpu_device_props(s, 0, &p) : n;
	tap_ok(ret == 0 && p.cc_major >= 3 && p.multiprocessors > 0 && p.total_mem > 0 && p.warp_size == 32 &&
	       p.max_threads_per_block >= 512 && p.name[0],
	       "cuda: device properties (%d device(s); 0: %s, cc %u.%u, %u SMs, %.1f GiB, %llu KiB shared/block)",
	       n, p.name, p.cc_major, p.cc_minor, p.multiprocessors, p.total_mem / 1073741824.0,
	       (unsigned long long)p.max_shared_per_block / 1024);
	for (int i = 1; i < n; i++) {
		struct vgpu_device_props q = { .size = sizeof(q) };

		if (vgpu_device_props(s, i, &q) == 0)
			tap_diag("device %d: %s, cc %u.%u, %u SMs", i, q.name, q.cc_major, q.cc_minor, q.multiprocessors);
	}
	ret = vgpu_device_props(s, n, &p);
	tap_ok(ret == -ENOENT, "cuda: device index %d (one past the last) is -ENOENT (got %d)", n, ret);
	vgpu_session_close(s);
}

static void test_no_cuda_library(void)
{
	const char *name = "cuda: libcuda missing (VGPU_CUDA_LIBRARY=/nonexistent) -> CPU fallback with reason";
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		vgpu_session *s = NULL;
		char fb[512] = "";
		int ret;

		setenv("VGPU_CUDA_LIBRARY", "/nonexistent/libcuda.so.1", 1);
		ret = open_sess(&s, VGPU_BACKEND_CUDA, VGPU_FALLBACK_NO_GPU, VGPU_UNLIMITED, 0);
		if (ret || vgpu_session_backend(s) != VGPU_BACKEND_CPU)
			_exit(1);
		vgpu_fallback_text(s, VGPU_FB_NO_GPU, fb, sizeof(fb));
		printf("# fallback reason: %s\n", fb);
		fflush(stdout);
		vgpu_session_close(s);
		ret = open_sess(&s, VGPU_BACKEND_CUDA, 0, VGPU_UNLIMITED, 0);
		_exit(strstr(fb, "libcuda") && ret == -ENODEV ? 0 : 2);
	}
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s (child status %d)", name,
	       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void test_hip(void)
{
	vgpu_session *s = NULL;
	char fb[512] = "";
	int ret;

	ret = open_sess(&s, VGPU_BACKEND_HIP, 0, VGPU_UNLIMITED, 0);
	if (ret == 0) {
		struct vgpu_device_props p = { .size = sizeof(p) };

		vgpu_device_props(s, 0, &p);
		tap_skip("an AMD GPU is present; run the corpus with VGPU_BACKEND=hip", "%s", "hip: reports no device cleanly");
		tap_diag("HIP device: %s", p.name);
		vgpu_session_close(s);
		return;
	}
	tap_ok(ret == -ENODEV, "hip: without an AMD GPU, session_open(hip, no fallback) is -ENODEV (got %d)", ret);
	ret = open_sess(&s, VGPU_BACKEND_HIP, VGPU_FALLBACK_NO_GPU, VGPU_UNLIMITED, 0);
	if (ret == 0) {
		struct vgpu_stats st = { .size = sizeof(st) };

		vgpu_fallback_text(s, VGPU_FB_NO_GPU, fb, sizeof(fb));
		vgpu_stats_get(s, &st);
		tap_diag("HIP fallback reason: %s", fb);
		tap_ok(vgpu_session_backend(s) == VGPU_BACKEND_CPU && st.fallbacks[VGPU_FB_NO_GPU] == 1 &&
		       (strstr(fb, "HIP") || strstr(fb, "hip")),
		       "hip: with fallback allowed the session runs on the CPU, fallback counted with its reason");
		vgpu_session_close(s);
	} else {
		tap_ok(false, "hip: session_open(hip, fallback no-gpu) failed: %s", strerror(-ret));
	}
}

static void test_copies(void)
{
	const char *name = "cuda: copies h2d/d2h/d2d, sync and on a stream, offsets, pinned, 64 MiB staged";
	vgpu_session *s = NULL;
	vgpu_buffer *a = NULL, *b = NULL;
	vgpu_stream *st = NULL;
	size_t n = 64 * MiB + 4093;	/* odd size: the staged path's tail */
	unsigned char *src = malloc(n), *dst = malloc(n), *pin = NULL;
	bool ok = true;
	int ret;

	if (cuda_skip[0]) {
		tap_skip(cuda_skip, "%s", name);
		free(src); free(dst);
		return;
	}
	for (size_t i = 0; i < n; i++)
		src[i] = (unsigned char)(i * 7 + (i >> 13));
	ret = open_sess(&s, VGPU_BACKEND_CUDA, 0, VGPU_UNLIMITED, 0);
	ret = ret ?: vgpu_buffer_alloc(s, n, &a);
	ret = ret ?: vgpu_buffer_alloc(s, n, &b);
	ret = ret ?: vgpu_stream_create(s, &st);
	/* big sync write (staged), d2d, big sync read (staged) */
	ret = ret ?: vgpu_buffer_write(a, 0, src, n);
	ret = ret ?: vgpu_buffer_copy(b, 0, a, 0, n);
	memset(dst, 0, n);
	ret = ret ?: vgpu_buffer_read(b, 0, dst, n);
	ok = ok && !ret && memcmp(src, dst, n) == 0;
	if (!ok)
		tap_diag("sync round trip: ret %d %s", ret, s ? vgpu_last_error(s) : "");
	/* small copies at odd offsets */
	ret = ret ?: vgpu_buffer_write(a, 12345, src + 777, 1000);
	memset(dst, 0, 1000);
	ret = ret ?: vgpu_buffer_read(a, 12345, dst, 1000);
	ok = ok && !ret && memcmp(src + 777, dst, 1000) == 0;
	/* async on a stream, from and to pinned memory */
	ret = ret ?: vgpu_host_alloc(s, 8 * MiB, (void **)&pin);
	if (!ret) {
		memcpy(pin, src + 99, 8 * MiB);
		ret = vgpu_buffer_write_async(a, 4096, pin, 8 * MiB, st);
		ret = ret ?: vgpu_buffer_copy_async(b, 0, a, 4096, 8 * MiB, st);
		ret = ret ?: vgpu_stream_sync(st, -1);
		memset(pin, 0, 8 * MiB);
		ret = ret ?: vgpu_buffer_read_async(b, 0, pin, 8 * MiB, st);
		ret = ret ?: vgpu_stream_sync(st, -1);
		ok = ok && !ret && memcmp(pin, src + 99, 8 * MiB) == 0;
		/* pinned memory through the synchronous calls (direct, not staged) */
		ret = ret ?: vgpu_buffer_write(a, 0, pin, 8 * MiB);
		memset(dst, 0, 8 * MiB);
		ret = ret ?: vgpu_buffer_read(a, 0, dst, 8 * MiB);
		ok = ok && !ret && memcmp(dst, src + 99, 8 * MiB) == 0;
		vgpu_host_free(s, pin);
	}
	/* out of range */
	if (!ret)
		ok = ok && vgpu_buffer_write(a, n - 10, src, 11) == -EINVAL;
	tap_ok(ok && !ret, "%s%s%s", name, ret ? ": " : "", ret ? vgpu_last_error(s) : "");
	vgpu_stream_destroy(st);
	vgpu_buffer_free(a);
	vgpu_buffer_free(b);
	vgpu_session_close(s);
	free(src);
	free(dst);
}

static const char *PTX_SET42 =
	".version 6.0\n.target sm_50\n.address_size 64\n"
	".visible .entry set42(.param .u64 p)\n{\n"
	"	.reg .b64 %rd<3>;\n	.reg .b32 %r<2>;\n"
	"	ld.param.u64 %rd1, [p];\n	cvta.to.global.u64 %rd2, %rd1;\n"
	"	mov.u32 %r1, 42;\n	st.global.u32 [%rd2], %r1;\n	ret;\n}\n";

static void test_modules(void)
{
	vgpu_session *s = NULL;
	vgpu_module *m = NULL, *m2 = NULL;
	vgpu_kernel *k = NULL;
	vgpu_buffer *b = NULL;
	struct vgpu_stats st0 = { .size = sizeof(st0) }, st1 = { .size = sizeof(st1) };
	char cache_dir[] = "/tmp/vgpu-gputest-cache-XXXXXX";
	struct vgpu_session_opts o = { .size = sizeof(o) };
	const char *bad = "extern \"C\" __global__ void broken(int *p) { p[0] = undeclared_thing; }\n";
	long imglen;
	void *img;
	unsigned v = 0;
	int ret;

	if (cuda_skip[0]) {
		tap_skip(cuda_skip, "%s", "cuda: compile error returns -ENOEXEC with NVRTC's log");
		tap_skip(cuda_skip, "%s", "cuda: recompile is a cache hit; cubin image reloads and runs");
		tap_skip(cuda_skip, "%s", "cuda: PTX module loads (driver JIT) and runs");
		return;
	}
	if (!mkdtemp(cache_dir))
		strcpy(cache_dir, "/tmp");
	o.flags = VGPU_SESSION_NO_DEVICE_LEDGER;
	o.guest = "gputest";
	o.backend = VGPU_BACKEND_CUDA;
	o.cache_dir = cache_dir;
	ret = vgpu_session_open(&s, &o);
	if (ret) {
		tap_ok(false, "cuda: session_open with a cache dir: %s", strerror(-ret));
		return;
	}
	ret = vgpu_module_compile(s, bad, 0, NULL, &m);
	tap_ok(ret == -ENOEXEC && strstr(vgpu_last_error(s), "undeclared_thing"),
	       "cuda: compile error returns -ENOEXEC with NVRTC's log (got %d, log: %.120s)", ret,
	       vgpu_last_error(s));
	m = NULL;

	vgpu_stats_get(s, &st0);
	ret = vgpu_module_compile(s, VGPU_CORPUS_SRC, 0, NULL, &m);
	ret = ret ?: vgpu_module_compile(s, VGPU_CORPUS_SRC, 0, NULL, &m2);
	vgpu_stats_get(s, &st1);
	vgpu_module_unload(m2);
	m2 = NULL;
	imglen = ret ? -1 : vgpu_module_image(m, NULL, 0);
	img = imglen > 0 ? malloc(imglen) : NULL;
	if (img && vgpu_module_image(m, img, imglen) == imglen)
		ret = vgpu_module_load(s, img, imglen, VGPU_IMAGE_CUBIN, &m2);
	else
		ret = ret ?: -EIO;
	ret = ret ?: vgpu_buffer_alloc(s, 4 * NV, &b);
	ret = ret ?: vgpu_kernel_get(m2, "vadd", &k);
	if (!ret) {
		struct vgpu_launch_cfg c = cfg1(1, 32, 0);
		struct vgpu_arg a[] = { vgpu_arg_buf(b), vgpu_arg_buf(b), vgpu_arg_buf(b), vgpu_arg_i32(0) };

		ret = vgpu_launch(k, &c, a, 4);
	}
	/* libvgpu's image: the name table (lowered names), then the cubin */
	tap_ok(!ret && st1.cache_hits >= st0.cache_hits + 1 && imglen > 0 &&
	       memcmp(img, "VGPUNAM1", 8) == 0 && memmem(img, imglen, "\177ELF", 4),
	       "cuda: recompile is a cache hit; cubin image (%ld bytes) reloads and runs%s%s", imglen,
	       ret ? ": " : "", ret ? vgpu_last_error(s) : "");
	free(img);
	vgpu_module_unload(m2);
	m2 = NULL;
	ret = vgpu_module_load(s, PTX_SET42, strlen(PTX_SET42), VGPU_IMAGE_PTX, &m2);
	ret = ret ?: vgpu_kernel_get(m2, "set42", &k);
	if (!ret) {
		struct vgpu_launch_cfg c = cfg1(1, 1, 0);
		struct vgpu_arg a[] = { vgpu_arg_buf(b) };

		ret = vgpu_launch(k, &c, a, 1);
	}
	ret = ret ?: vgpu_buffer_read(b, 0, &v, 4);
	tap_ok(!ret && v == 42, "cuda: PTX module loads (driver JIT) and runs (got %u)%s%s", v,
	       ret ? ": " : "", ret ? vgpu_last_error(s) : "");
	vgpu_module_unload(m2);
	vgpu_module_unload(m);
	vgpu_buffer_free(b);
	vgpu_session_close(s);
}

static const char *SPIN_SRC =
	"extern \"C\" __global__ void spin(long long cycles, int *flag)\n"
	"{\n"
	"	long long t0 = clock64();\n"
	"	while (clock64() - t0 < cycles)\n"
	"		;\n"
	"	flag[0] = 1;\n"
	"}\n"
	"extern \"C\" __global__ void poke(unsigned long long addr)\n"
	"{\n"
	"	*(volatile int *)addr = 1;\n"
	"}\n";

static void test_launch_errors(void)
{
	vgpu_session *s = NULL;
	vgpu_module *m = NULL;
	vgpu_kernel *k = NULL, *spin = NULL, *poke = NULL;
	vgpu_buffer *b = NULL;
	vgpu_stream *st = NULL;
	int ret, r1, r2, r3;
	char txt[300] = "";

	if (cuda_skip[0]) {
		tap_skip(cuda_skip, "%s", "cuda: launch errors map to errnos with text");
		tap_skip(cuda_skip, "%s", "cuda: synchronize timeout -ETIME, then completes");
		return;
	}
	ret = open_sess(&s, VGPU_BACKEND_CUDA, 0, VGPU_UNLIMITED, 0);
	ret = ret ?: vgpu_module_compile(s, VGPU_CORPUS_SRC, 0, NULL, &m);
	ret = ret ?: vgpu_buffer_alloc(s, 1 << 20, &b);
	ret = ret ?: vgpu_kernel_get(m, "vadd", &k);
	if (ret) {
		tap_ok(false, "cuda: launch errors: setup: %s", vgpu_last_error(s));
		vgpu_session_close(s);
		return;
	}
	{
		struct vgpu_launch_cfg c = cfg1(1, 2048, 0);
		struct vgpu_arg a[] = { vgpu_arg_buf(b), vgpu_arg_buf(b), vgpu_arg_buf(b), vgpu_arg_i32(0) };

		r1 = vgpu_launch(k, &c, a, 3);			/* one argument short */
		r2 = vgpu_launch(k, &c, a, 4);			/* 2048 threads per block */
		snprintf(txt, sizeof(txt), "%s", vgpu_last_error(s));
		c = cfg1(1, 32, 0);
		r3 = vgpu_launch(k, &c, a, 4);			/* still usable */
	}
	tap_ok(r1 == -EINVAL && r2 == -EINVAL && r3 == 0,
	       "cuda: launch errors map to errnos with text (argc %d, block 2048 %d: '%.100s', then ok %d)",
	       r1, r2, txt, r3);

	ret = vgpu_module_compile(s, SPIN_SRC, 0, NULL, &m);
	ret = ret ?: vgpu_kernel_get(m, "spin", &spin);
	ret = ret ?: vgpu_kernel_get(m, "poke", &poke);
	ret = ret ?: vgpu_stream_create(s, &st);
	if (!ret) {
		struct vgpu_launch_cfg c = cfg1(1, 1, 0);
		struct vgpu_arg a[] = { vgpu_arg_i64(3000000000ll), vgpu_arg_buf(b) };
		uint64_t t0;
		int flag = 0;

		c.flags = VGPU_LAUNCH_ASYNC;
		c.stream = st;
		ret = vgpu_launch(spin, &c, a, 2);
		t0 = (uint64_t)clock();
		r1 = vgpu_stream_sync(st, 50);
		r2 = vgpu_stream_sync(st, -1);
		r3 = vgpu_buffer_read(b, 0, &flag, 4);
		(void)t0;
		/* synchronous launch with a timeout */
		c.flags = 0;
		c.timeout_ms = 50;
		{
			int r4 = vgpu_launch(spin, &c, a, 2);
			int r5 = vgpu_session_sync(s, -1);

			tap_ok(!ret && r1 == -ETIME && r2 == 0 && r3 == 0 && flag == 1 && r4 == -ETIME && r5 == 0,
			       "cuda: synchronize timeout -ETIME, then completes (sync(50ms) %d, sync() %d, "
			       "flag %d, launch timeout %d, session sync %d)", r1, r2, flag, r4, r5);
		}
	} else {
		tap_ok(false, "cuda: spin kernel: %s", vgpu_last_error(s));
	}

	vgpu_stream_destroy(st);
	vgpu_buffer_free(b);
	vgpu_module_unload(m);
	vgpu_session_close(s);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * GPU time of asynchronous launches is read on the device's clock: a window
 * of 4 spin kernels of 2e6 cycles each is charged at least their cycles at
 * 3 GHz (faster than any GPU's clock) and at most the host's time around the
 * window, and it is counted as a device-timed window. The session has a cap
 * (leases in force), in-process.
 */
static void test_compute_window(void)
{
	const char *name = "cuda: asynchronous launches' GPU time is read on the device's clock";
	const long long cycles = 2000000;
	struct vgpu_stats st0 = { .size = sizeof(st0) }, st1 = { .size = sizeof(st1) };
	vgpu_session *s = NULL;
	vgpu_module *m = NULL;
	vgpu_kernel *spin = NULL;
	vgpu_buffer *b = NULL;
	uint64_t t0 = 0, t1 = 0, charged;
	int ret;

	if (cuda_skip[0]) {
		tap_skip(cuda_skip, "%s", name);
		return;
	}
	guest_name = "gputest-window";
	ret = open_sess(&s, VGPU_BACKEND_CUDA, 0, VGPU_UNLIMITED, 0);
	guest_name = "gputest";
	ret = ret ?: vgpu_ledger_set_compute(s, 100, 100000, 0);
	ret = ret ?: vgpu_module_compile(s, SPIN_SRC, 0, NULL, &m);
	ret = ret ?: vgpu_kernel_get(m, "spin", &spin);
	ret = ret ?: vgpu_buffer_alloc(s, 4096, &b);
	if (!ret) {
		struct vgpu_launch_cfg c = cfg1(1, 1, 0);
		struct vgpu_arg a[] = { vgpu_arg_i64(cycles), vgpu_arg_buf(b) };

		c.flags = VGPU_LAUNCH_ASYNC;
		/* the first window: one launch alone (no estimate yet) */
		ret = vgpu_launch(spin, &c, a, 2) ?: vgpu_session_sync(s, -1);
		ret = ret ?: vgpu_stats_get(s, &st0);
		t0 = mono_ns();
		for (int i = 0; i < 4 && !ret; i++)
			ret = vgpu_launch(spin, &c, a, 2);
		ret = ret ?: vgpu_session_sync(s, -1);
		t1 = mono_ns();
		ret = ret ?: vgpu_stats_get(s, &st1);
	}
	if (ret) {
		tap_ok(false, "%s: %s", name, s ? vgpu_last_error(s) : strerror(-ret));
	} else {
		charged = st1.compute_ns - st0.compute_ns;
		tap_ok(st1.compute_device_windows > st0.compute_device_windows &&
		       charged >= (uint64_t)(4 * cycles / 3) && charged <= t1 - t0,
		       "%s (%.3f ms charged, %.3f ms on the host, %llu device-timed windows)", name,
		       charged / 1e6, (t1 - t0) / 1e6,
		       (unsigned long long)(st1.compute_device_windows - st0.compute_device_windows));
	}
	vgpu_buffer_free(b);
	vgpu_module_unload(m);
	vgpu_session_close(s);
}

/*
 * A device fault (illegal address) in a kernel. It is reported at the next
 * synchronize as -EIO with the driver's text. Current drivers leave CUDA in
 * the whole process unusable after such a fault, so this runs in a child
 * process (this program re-executed with --fault): there, a session that
 * allows fallback must still get its work done (on the CPU).
 */
static int fault_child(void)
{
	vgpu_session *s = NULL;
	vgpu_module *m = NULL;
	vgpu_kernel *poke = NULL;
	struct run other;
	char txt[300] = "";
	int r1 = -1, r2 = -1, r3, ret;
	float *big = malloc(NV * 4), *ref = malloc(NV * 4);
	size_t len;

	ret = open_sess(&s, VGPU_BACKEND_CUDA, 0, VGPU_UNLIMITED, 0);
	ret = ret ?: vgpu_module_compile(s, SPIN_SRC, 0, NULL, &m);
	ret = ret ?: vgpu_kernel_get(m, "poke", &poke);
	if (!ret) {
		struct vgpu_launch_cfg c = cfg1(1, 1, 0);
		struct vgpu_arg a[] = { vgpu_arg_u64(0x10) };

		c.flags = VGPU_LAUNCH_ASYNC;
		r1 = vgpu_launch(poke, &c, a, 1);
		r2 = vgpu_session_sync(s, -1);
		snprintf(txt, sizeof(txt), "%s", vgpu_last_error(s));
	}
	printf("# fault: launch %d, sync %d: %s\n", r1, r2, txt);
	vgpu_module_unload(m);
	vgpu_session_close(s);
	/* a new session, all fallbacks allowed: the work must still be done */
	memset(&other, 0, sizeof(other));
	r3 = open_sess(&other.s, VGPU_BACKEND_CUDA, VGPU_FALLBACK_ALL, VGPU_UNLIMITED, 0);
	if (!r3) {
		char fb[300] = "";

		r3 = vgpu_module_compile(other.s, VGPU_CORPUS_SRC, 0, NULL, &other.m);
		r3 = r3 ?: k_vadd(&other, big, &len);
		for (int i = 0; !r3 && i < VGPU_FB_NR; i++)
			if (vgpu_fallback_text(other.s, i, fb, sizeof(fb)) > 0)
				printf("# after the fault, fallback %d: %s\n", i, fb);
		printf("# after the fault, the new session ran on %s (module on %s)\n",
		       vgpu_backend_name(vgpu_session_backend(other.s)),
		       other.m ? vgpu_backend_name(vgpu_module_backend(other.m)) : "-");
		if (r3)
			printf("# after the fault: %s\n", other.err[0] ? other.err : vgpu_last_error(other.s));
		run_close(&other);
	}
	ref_vadd(ref);
	r3 = r3 ?: memcmp(big, ref, NV * 4) ? -EBADMSG : 0;
	fflush(stdout);
	return r1 == 0 && r2 == -EIO && strstr(txt, "ILLEGAL_ADDRESS") && r3 == 0 ? 0 : 1;
}

static void test_fault(void)
{
	const char *name = "cuda: device fault -> -EIO with the driver's text; fallback session still does the work";
	pid_t pid;
	int st;

	if (cuda_skip[0]) {
		tap_skip(cuda_skip, "%s", name);
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "test_gpu", "--fault", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s (child status %d)", name,
	       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void test_launch_fallback(void)
{
	const char *name = "cuda: a launch the GPU refuses reruns on the CPU (policy launch), counted";
	vgpu_session *s = NULL;
	vgpu_module *m = NULL;
	vgpu_kernel *k = NULL;
	vgpu_buffer *in = NULL, *o = NULL;
	struct vgpu_stats st = { .size = sizeof(st) };
	int blocks = (NV + 511) / 512, ret;
	float *out = malloc(blocks * 4), *ref = malloc(blocks * 4);
	char fb[300] = "";

	if (cuda_skip[0]) {
		tap_skip(cuda_skip, "%s", name);
		free(out); free(ref);
		return;
	}
	ret = open_sess(&s, VGPU_BACKEND_CUDA, VGPU_FALLBACK_LAUNCH, VGPU_UNLIMITED, 0);
	ret = ret ?: vgpu_module_compile(s, VGPU_CORPUS_SRC, 0, NULL, &m);
	ret = ret ?: vgpu_kernel_get(m, "reduce_sum", &k);
	in = dialect_buf(s, A, NV * 4);
	ret = ret ?: vgpu_buffer_alloc(s, blocks * 4, &o);
	if (!ret && in) {
		/* 1 MiB of dynamic shared memory: more than any GPU has per block */
		struct vgpu_launch_cfg c = cfg1(blocks, 256, 1 << 20);
		struct vgpu_arg a[] = { vgpu_arg_buf(in), vgpu_arg_buf(o), vgpu_arg_i32(NV) };

		ret = vgpu_launch(k, &c, a, 3);
		ret = ret ?: vgpu_buffer_read(o, 0, out, blocks * 4);
	}
	vgpu_stats_get(s, &st);
	vgpu_fallback_text(s, VGPU_FB_LAUNCH, fb, sizeof(fb));
	ref_reduce(ref);
	tap_ok(!ret && st.fallbacks[VGPU_FB_LAUNCH] == 1 && fb[0] &&
	       feq(out[0], ref[0], 1e-4f) && feq(out[blocks - 1], ref[blocks - 1], 1e-4f),
	       "%s (ret %d, fallbacks %llu, reason '%.100s')", name, ret,
	       (unsigned long long)st.fallbacks[VGPU_FB_LAUNCH], fb);
	vgpu_buffer_free(in);
	vgpu_buffer_free(o);
	vgpu_module_unload(m);
	vgpu_session_close(s);
	free(out); free(ref);
}

/* ------------------------------------------------- one source, every backend */



/* Kernel @k of @src on CUDA, one block of @threads, its arguments @n
 * buffers made from @arg[i] (@len[i] bytes; NULL: not written), the last read back
 * into @out: 0 or -errno, what went wrong in @why */
static int cuda_one_block(const char *src, const char *k, unsigned threads, int n, const void *const *arg,
			  const size_t *len, void *out, char *why, size_t wlen)
{
	struct vgpu_launch_cfg c = { .size = sizeof(c), .grid = { 1, 1, 1 }, .block = { threads, 1, 1 },
				     .timeout_ms = -1 };
	struct vgpu_arg a[4];
	vgpu_buffer *b[4] = { NULL };
	vgpu_session *s = NULL;
	vgpu_module *m = NULL;
	vgpu_kernel *kk = NULL;
	int ret = n <= 4 ? open_sess(&s, VGPU_BACKEND_CUDA, 0, VGPU_UNLIMITED, 0) : -EINVAL;

	ret = ret ?: vgpu_module_compile(s, src, 0, NULL, &m);
	ret = ret ?: vgpu_kernel_get(m, k, &kk);
	for (int i = 0; !ret && i < n; i++) {
		if (!(b[i] = dialect_buf(s, arg[i], len[i])))
			ret = -ENOMEM;
		a[i] = vgpu_arg_buf(b[i]);
	}
	ret = ret ?: vgpu_launch(kk, &c, a, n);
	ret = ret ?: vgpu_buffer_read(b[n - 1], 0, out, len[n - 1]);
	if (ret)
		snprintf(why, wlen, "%.190s", s ? vgpu_last_error(s) : strerror(-ret));
	for (int i = 0; i < n; i++)
		if (b[i])
			vgpu_buffer_free(b[i]);
	if (m)
		vgpu_module_unload(m);
	if (s)
		vgpu_session_close(s);
	return ret;
}

/* Half precision (cuda_fp16.h, cuda_bf16.h) on CUDA: the kernel of half.h
 * against its reference, the bits test_clang expects of the CPU backend */
static void test_half(void)
{
	const char *name = "cuda: half precision (tests/gpu/half.h), bit-exact against rounding by search";
	float a[HALF_THREADS], b[HALF_THREADS];
	unsigned short out[HALF_THREADS * HALF_OUT];
	char why[200] = "";

	if (cuda_skip[0]) {
		tap_skip(cuda_skip, "%s", name);
		return;
	}
	half_inputs(a, b);
	const int ret = cuda_one_block(half_src, "halfops", HALF_THREADS, 3, (const void *[]){ a, b, NULL },
				       (const size_t[]){ sizeof(a), sizeof(b), sizeof(out) }, out, why, sizeof(why));
	const int bad = ret ? 1 : half_check(a, b, out, why, sizeof(why));

	tap_ok(!bad, "%s%s%s", name, why[0] ? ": " : "", why);
}

/* The float and double to integer intrinsics on CUDA: the kernel of
 * convert.h against its reference, the integers test_clang expects of the
 * CPU backend */
static void test_conv(void)
{
	const char *name = "cuda: __float2int_rn ... __double2ull_ru (tests/gpu/convert.h): rounding, clamping, NaN";
	float f[CONV_THREADS];
	double d[CONV_THREADS];
	unsigned long long out[CONV_THREADS * CONV_OUT];
	char why[200] = "";

	if (cuda_skip[0]) {
		tap_skip(cuda_skip, "%s", name);
		return;
	}
	conv_inputs(f, d);
	const int ret = cuda_one_block(conv_src, "convs", CONV_THREADS, 3, (const void *[]){ f, d, NULL },
				       (const size_t[]){ sizeof(f), sizeof(d), sizeof(out) }, out, why, sizeof(why));
	const int bad = ret ? 1 : conv_check(f, d, out, why, sizeof(why));

	tap_ok(!bad, "%s%s%s", name, why[0] ? ": " : "", why);
}

/* libcu++ on CUDA (NVRTC with the toolkit's headers): the kernel of
 * cudastd.h against its reference, what test_clang expects of the CPU
 * backend's own subset */
static void test_cudastd(void)
{
	const char *name = "cuda: <cuda/std/...> and <cuda/atomic> (tests/gpu/cudastd.h)";
	float x[CSTD_THREADS];
	long long out[CSTD_THREADS * CSTD_OUT];
	char why[200] = "";

	if (cuda_skip[0]) {
		tap_skip(cuda_skip, "%s", name);
		return;
	}
	cstd_inputs(x);
	const int ret = cuda_one_block(cstd_src, "cstd", CSTD_THREADS, 2, (const void *[]){ x, NULL },
				       (const size_t[]){ sizeof(x), sizeof(out) }, out, why, sizeof(why));
	const int bad = ret ? 1 : cstd_check(x, out, why, sizeof(why));

	tap_ok(!bad, "%s%s%s", name, why[0] ? ": " : "", why);
}

/* CUDA's math functions past the C library's: the kernel of mathx.h
 * against its reference, as test_clang checks the CPU backend */
static void test_mathx(void)
{
	const char *name = "cuda: erfinv, sinpi/cospi, norm3d, Bessel, remquo ... (tests/gpu/mathx.h)";
	double in[5 * MX_THREADS], out[MX_THREADS * MX_OUT];
	char why[200] = "";

	if (cuda_skip[0]) {
		tap_skip(cuda_skip, "%s", name);
		return;
	}
	mx_inputs(in);
	const int ret = cuda_one_block(mx_src, "mathx", MX_THREADS, 2, (const void *[]){ in, NULL },
				       (const size_t[]){ sizeof(in), sizeof(out) }, out, why, sizeof(why));
	const int bad = ret ? 1 : mx_check(in, out, why, sizeof(why));

	tap_ok(!bad, "%s%s%s", name, why[0] ? ": " : "", why);
}

/* rounded conversions and byte dot products on CUDA: the kernel of
 * cvtdot.h against its reference, as test_clang checks the CPU backend */
static void test_cvtdot(void)
{
	const char *name = "cuda: __int2float_rz ... __double2float_ru, __dp4a, __dp2a (tests/gpu/cvtdot.h)";
	long long v[CVT_THREADS];
	double d[CVT_THREADS];
	unsigned long long out[CVT_THREADS * CVT_OUT];
	char why[200] = "";

	if (cuda_skip[0]) {
		tap_skip(cuda_skip, "%s", name);
		return;
	}
	cvt_inputs(v, d);
	const int ret = cuda_one_block(cvt_src, "cvtdot", CVT_THREADS, 3, (const void *[]){ v, d, NULL },
				       (const size_t[]){ sizeof(v), sizeof(d), sizeof(out) }, out, why, sizeof(why));
	const int bad = ret ? 1 : cvt_check(v, d, out, why, sizeof(why));

	tap_ok(!bad, "%s%s%s", name, why[0] ? ": " : "", why);
}

/* cuComplex.h on CUDA (NVRTC with the toolkit's header): the kernel of
 * cucomplex.h against its reference, as test_clang checks the CPU backend */
static void test_cplx(void)
{
	const char *name = "cuda: <cuComplex.h> (tests/gpu/cucomplex.h)";
	float x[4 * CPLX_THREADS];
	double y[4 * CPLX_THREADS], out[CPLX_THREADS * CPLX_OUT];
	char why[200] = "";

	if (cuda_skip[0]) {
		tap_skip(cuda_skip, "%s", name);
		return;
	}
	cplx_inputs(x, y);
	const int ret = cuda_one_block(cplx_src, "cplx", CPLX_THREADS, 3, (const void *[]){ x, y, NULL },
				       (const size_t[]){ sizeof(x), sizeof(y), sizeof(out) }, out, why, sizeof(why));
	const int bad = ret ? 1 : cplx_check(x, y, out, why, sizeof(why));

	tap_ok(!bad, "%s%s%s", name, why[0] ? ": " : "", why);
}

/* Shuffles at the edges of width groups on CUDA, against PTX's shfl.sync
 * rule (a xor into an earlier group reads it, into a later one gives the
 * caller's own value; down and up stay in their group). test_clang checks
 * the CPU backend's clang path against the same rule; the dialect corpus
 * cannot hold it (the g++ path has no warp functions). */
static void test_shfl_edges(void)
{
	static const char src[] =
		"extern \"C\" __global__ void shfl_edges(const int *in, int *out)\n"
		"{\n"
		"	int t = threadIdx.x, v = in[t];\n"
		"	out[4 * t + 0] = __shfl_xor_sync(0xffffffffu, v, 16, 16);\n"
		"	out[4 * t + 1] = __shfl_xor_sync(0xffffffffu, v, 24, 8);\n"
		"	out[4 * t + 2] = __shfl_xor_sync(0xffffffffu, v, 4) - __shfl_xor_sync(0xffffffffu, v, 5, 4);\n"
		"	out[4 * t + 3] = __shfl_down_sync(0xffffffffu, v, 3, 8) + 5 * __shfl_up_sync(0xffffffffu, v, 2, 16);\n"
		"}\n";
	const char *name = "cuda: __shfl_xor/down/up_sync at the edges of width groups (PTX shfl.sync rule)";
	int in[64], out[64 * 4], bad = 0;
	char why[200] = "";

	if (cuda_skip[0]) {
		tap_skip(cuda_skip, "%s", name);
		return;
	}
	for (int t = 0; t < 64; t++)
		in[t] = (int)(rnd() % 1000);
	const int ret = cuda_one_block(src, "shfl_edges", 64, 2, (const void *[]){ in, NULL },
				       (const size_t[]){ sizeof(in), sizeof(out) }, out, why, sizeof(why));
	for (int t = 0; !ret && t < 64; t++) {
		/* lane j of lane l's warp, if its group of w is l's or an earlier one */
#define BFLY(m, w) ({ int l_ = t & 31, j_ = l_ ^ (m); in[(j_ & ~((w) - 1)) <= (l_ & ~((w) - 1)) ? t - l_ + j_ : t]; })
		const int l = t & 31;
		const int dn = (l & 7) + 3 < 8 ? in[t + 3] : in[t], up = (l & 15) >= 2 ? in[t - 2] : in[t];

		bad += out[4 * t] != BFLY(16, 16) || out[4 * t + 1] != BFLY(24, 8) ||
		       out[4 * t + 2] != BFLY(4, 32) - BFLY(5, 4) || out[4 * t + 3] != dn + 5 * up;
#undef BFLY
	}
	tap_ok(!ret && !bad, "%s%s%s", name, ret ? ": " : "", why);
}

static void test_dialect(void)
{
	static const char *const names[] = {
		"cuda dialect: the corpus of tests/gpu/dialect.h on CUDA, against plain C",
		"cuda: template kernel's signature from the compiler (reduce<float,256>)",
		"cuda: foreign PTX: parameter count and sizes from the driver, wrong size refused",
		"cuda: module globals: size, write, read back on the device",
		"cuda: pool: freed 64 MiB stays reserved on the device and in the books; trim returns both",
	};
	const char *const nm[] = { "reduce<float,256>" };
	struct vgpu_compile_opts o = { .size = sizeof(o), .names = nm, .nr_names = 1 };
	struct vgpu_kernel_info ki = { .size = sizeof(ki) };
	vgpu_session *s = NULL;
	vgpu_module *m = NULL;
	vgpu_kernel *k = NULL;
	int ret;

	if (cuda_skip[0]) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			tap_skip(cuda_skip, "%s", names[i]);
		return;
	}
	ret = open_sess(&s, VGPU_BACKEND_CUDA, 0, VGPU_UNLIMITED, 0);
	if (ret) {
		tap_ok(false, "%s: session_open: %s", names[0], strerror(-ret));
		return;
	}
	tap_ok(dialect_run(s, "cuda") == 0, "%s", names[0]);

	ret = vgpu_module_compile(s, dialect_src, 0, &o, &m);
	ret = ret ?: vgpu_kernel_get(m, "reduce<float, 256>", &k);
	ret = ret ?: vgpu_kernel_info(k, &ki);
	tap_ok(!ret && ki.sig_source == VGPU_SIG_COMPILER && ki.nr_params == 3 &&
	       ki.param_types[0] == VGPU_ARG_BUFFER && ki.param_types[2] == VGPU_ARG_I32,
	       "%s (source %u, %d params) %s", names[1], ki.sig_source, ki.nr_params,
	       ret ? vgpu_last_error(s) : "");
	vgpu_module_unload(m);
	m = NULL;

	/* a PTX of our own, not made by libvgpu: no name table, no descriptor */
	ret = vgpu_module_load(s, PTX_SET42, strlen(PTX_SET42), VGPU_IMAGE_PTX, &m);
	ret = ret ?: vgpu_kernel_get(m, "set42", &k);
	ret = ret ?: vgpu_kernel_info(k, &ki);
	if (!ret && ki.sig_source == VGPU_SIG_SIZES) {
		struct vgpu_launch_cfg c = cfg1(1, 1, 0);
		struct vgpu_arg a = vgpu_arg_i32(1);
		int r2 = vgpu_launch(k, &c, &a, 1);

		tap_ok(ki.nr_params == 1 && ki.param_sizes[0] == 8 && r2 == -EINVAL &&
		       strstr(vgpu_last_error(s), "parameter 1"), "%s: %s", names[2], vgpu_last_error(s));
	} else if (!ret && ki.sig_source == VGPU_SIG_NONE) {
		tap_skip("this driver has no cuFuncGetParamInfo (CUDA < 12.4): launches of foreign images are unchecked", "%s", names[2]);
	} else {
		tap_ok(false, "%s: %s (source %u)", names[2], ret ? vgpu_last_error(s) : "", ki.sig_source);
	}
	vgpu_module_unload(m);
	m = NULL;

	{
		static const char src[] = "__constant__ float c4[4];\n__device__ int dv = 7;\n"
			"extern \"C\" __global__ void g(float *o) { o[threadIdx.x] = c4[threadIdx.x] + dv; }\n";
		float cv[4] = { 1, 2, 3, 4 }, out[4] = { 0 };
		bool ok = false;
		int dv = 0;
		size_t n = 0;
		vgpu_buffer *b = NULL;

		ret = vgpu_module_compile(s, src, 0, NULL, &m);
		ret = ret ?: vgpu_module_global(m, "c4", &n);
		ret = ret ?: vgpu_module_global_write(m, "c4", 0, cv, sizeof(cv));
		ret = ret ?: vgpu_module_global_read(m, "dv", 0, &dv, sizeof(dv));
		ret = ret ?: vgpu_buffer_alloc(s, sizeof(out), &b);
		ret = ret ?: vgpu_kernel_get(m, "g", &k);
		if (!ret) {
			struct vgpu_launch_cfg c = cfg1(1, 4, 0);
			struct vgpu_arg a = vgpu_arg_buf(b);

			ret = vgpu_launch(k, &c, &a, 1);
			ret = ret ?: vgpu_buffer_read(b, 0, out, sizeof(out));
			ok = !ret && out[0] == 8 && out[3] == 11;
			/* the module's CPU copy, made now, gets what the host wrote */
			memset(out, 0, sizeof(out));
			c.flags = VGPU_LAUNCH_CPU;
			ret = ret ?: vgpu_buffer_write(b, 0, out, sizeof(out));
			ret = ret ?: vgpu_launch(k, &c, &a, 1);
			ret = ret ?: vgpu_buffer_read(b, 0, out, sizeof(out));
			ok = ok && !ret && out[0] == 8 && out[3] == 11;
		}
		tap_ok(ok && !ret && n == sizeof(cv) && dv == 7,
		       "%s, and in the module's CPU copy %s", names[3], ret ? vgpu_last_error(s) : "");
		vgpu_buffer_free(b);
		vgpu_module_unload(m);
		m = NULL;
	}
	vgpu_session_close(s);

	/* the pool against the device's own count */
	if (raw_open()) {
		tap_ok(false, "%s (cannot open libcuda for the reference count)", names[4]);
		return;
	}
	guest_name = "gpupool";
	ret = open_sess(&s, VGPU_BACKEND_CUDA, 0, VGPU_UNLIMITED, 0);
	guest_name = "gputest";
	if (!ret) {
		struct vgpu_ledger_usage u0 = { .size = sizeof(u0) }, u1 = { .size = sizeof(u1) },
					 u2 = { .size = sizeof(u2) };
		struct vgpu_pool_stats p = { .size = sizeof(p) };
		long long d0, d1, d2;
		vgpu_buffer *b = NULL;

		vgpu_ledger_usage(s, &u0);
		d0 = raw_used();
		ret = vgpu_buffer_alloc(s, 64 * MiB, &b);
		vgpu_buffer_free(b);
		vgpu_ledger_usage(s, &u1);
		vgpu_pool_stats(s, &p);
		d1 = raw_used();
		vgpu_pool_trim(s, 0);
		vgpu_ledger_usage(s, &u2);
		d2 = raw_used();
		tap_diag("pool: idle %.1f MiB; books +%.1f MiB, device +%.1f MiB; after trim books +%.1f, device +%.1f",
		     p.idle_bytes / (double)MiB, (u1.used[0] - u0.used[0]) / (double)MiB, (d1 - d0) / (double)MiB,
		     (u2.used[0] - u0.used[0]) / (double)MiB, (d2 - d0) / (double)MiB);
		tap_ok(!ret && p.idle_bytes == 64 * MiB && u1.used[0] - u0.used[0] == 64 * MiB &&
		       d1 - d0 >= (long long)(62 * MiB) && u2.used[0] == u0.used[0] && llabs(d2 - d0) <= (long long)(2 * MiB),
		       "%s", names[4]);
		vgpu_session_close(s);
	} else {
		tap_ok(false, "%s: session_open %s", names[4], strerror(-ret));
	}
}

static void test_quota_and_books(void)
{
	const char *n1 = "cuda: quota: a charge exactly at the limit succeeds, one byte more is -EDQUOT";
	const char *n2 = "cuda: ledger total (context + buffers + modules) == cuMemGetInfo used delta within 2 MiB";
	struct vgpu_ledger_usage u = { .size = sizeof(u) }, u2 = { .size = sizeof(u2) };
	vgpu_session *s = NULL;
	vgpu_buffer *bufs[8] = { 0 }, *x = NULL, *y = NULL;
	long long used0, used1, used2, used3;
	uint64_t lim;
	int ret, r1, r2, r3;
	vgpu_module *m = NULL;

	if (cuda_skip[0]) {
		tap_skip(cuda_skip, "%s", n1);
		tap_skip(cuda_skip, "%s", n2);
		tap_skip(cuda_skip, "%s", "cuda: everything returns to the books after free and close");
		return;
	}
	if (raw_open()) {
		tap_ok(false, "%s (cannot open libcuda for the reference count)", n2);
		return;
	}
	used0 = raw_used();
	guest_name = "gpubooks";	/* a guest of its own: its books hold only this session */
	ret = open_sess(&s, VGPU_BACKEND_CUDA, 0, VGPU_UNLIMITED, 0);
	guest_name = "gputest";
	if (ret) {
		tap_ok(false, "%s: session_open %s", n1, strerror(-ret));
		return;
	}
	used1 = raw_used();
	vgpu_ledger_usage(s, &u);
	tap_diag("context: ledger charged %.2f MiB device memory + %llu context(s); cuMemGetInfo saw %.2f MiB",
	     u.used[VGPU_LIB_RES_MEMORY] / (double)MiB, (unsigned long long)u.used[VGPU_LIB_RES_CONTEXTS],
	     (used1 - used0) / (double)MiB);

	/* exact limit: limit = used + 6 MiB; 6 MiB fits, then 1 byte does not */
	lim = u.used[VGPU_LIB_RES_MEMORY] + 6 * MiB;
	ret = vgpu_ledger_set_limit(s, VGPU_LIB_RES_MEMORY, lim);
	r1 = ret ?: vgpu_buffer_alloc(s, 6 * MiB, &x);
	r2 = vgpu_buffer_alloc(s, 1, &y);
	vgpu_ledger_usage(s, &u2);
	tap_ok(r1 == 0 && r2 == -EDQUOT && u2.used[VGPU_LIB_RES_MEMORY] == lim &&
	       u2.limit_hits[VGPU_LIB_RES_MEMORY] >= 1,
	       "%s (at limit %d, +1 byte %d, used == limit %d, hits %llu)", n1, r1, r2,
	       u2.used[VGPU_LIB_RES_MEMORY] == lim, (unsigned long long)u2.limit_hits[VGPU_LIB_RES_MEMORY]);
	vgpu_buffer_free(y);
	vgpu_buffer_free(x);
	x = NULL;
	vgpu_ledger_set_limit(s, VGPU_LIB_RES_MEMORY, VGPU_UNLIMITED);

	/* books vs the device: buffers of 2 MiB multiples (the driver's granularity), a module, a launch */
	r3 = 0;
	for (int i = 0; i < 8 && !r3; i++)
		r3 = vgpu_buffer_alloc(s, (size_t)(i + 1) * 2 * MiB + (i == 7 ? 62 * MiB : 0), &bufs[i]);
	r3 = r3 ?: vgpu_module_compile(s, VGPU_CORPUS_SRC, 0, NULL, &m);
	if (!r3) {
		vgpu_kernel *k;
		struct vgpu_launch_cfg c = cfg1(64, 256, 0);
		struct vgpu_arg a[] = { vgpu_arg_buf(bufs[0]), vgpu_arg_buf(bufs[1]), vgpu_arg_buf(bufs[2]),
					vgpu_arg_i32(1 << 14) };

		r3 = vgpu_kernel_get(m, "vadd", &k);
		r3 = r3 ?: vgpu_launch(k, &c, a, 4);
	}
	used2 = raw_used();
	vgpu_ledger_usage(s, &u2);
	{
		long long dev = used2 - used0, led = (long long)u2.used[VGPU_LIB_RES_MEMORY];

		tap_diag("after buffers + module + launch: ledger %.2f MiB, device delta %.2f MiB, diff %.2f MiB",
		     led / (double)MiB, dev / (double)MiB, (dev - led) / (double)MiB);
		tap_ok(!r3 && llabs(dev - led) <= (long long)(2 * MiB),
		       "%s (ledger %.2f MiB, device %.2f MiB)", n2, led / (double)MiB, dev / (double)MiB);
	}
	for (int i = 0; i < 8; i++)
		vgpu_buffer_free(bufs[i]);
	vgpu_module_unload(m);
	vgpu_pool_trim(s, 0);	/* the pool's idle blocks back to the device */
	vgpu_ledger_usage(s, &u2);
	vgpu_session_close(s);
	used3 = raw_used();
	tap_ok(u2.used[VGPU_LIB_RES_MEMORY] == u.used[VGPU_LIB_RES_MEMORY] &&
	       llabs(used3 - used0) <= (long long)(2 * MiB),
	       "cuda: everything returns to the books after free and close (ledger back to the context's "
	       "%.2f MiB; device delta after close %.2f MiB)", u.used[VGPU_LIB_RES_MEMORY] / (double)MiB,
	       (used3 - used0) / (double)MiB);
}

int main(int argc, char **argv)
{
	bool fault_mode = argc > 1 && strcmp(argv[1], "--fault") == 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!fault_mode)
		printf("TAP version 13\n");
	A = malloc(NV * 4);
	B = malloc(NV * 4);
	Cm = malloc(NV * 4);
	H = malloc(NV * 4);
	SI = malloc(NSCAN * 4);
	for (int i = 0; i < NV; i++) {
		A[i] = frnd();
		B[i] = frnd();
		H[i] = rnd() % 256;
	}
	for (int i = 0; i < NSCAN; i++)
		SI[i] = (int)(rnd() % 201) - 100;

	if (fault_mode)
		return fault_child();
	test_no_cuda_library();		/* first: forks before this process touches CUDA */
	test_open_and_props();
	test_corpus();
	test_copies();
	test_modules();
	test_launch_errors();
	test_compute_window();
	test_launch_fallback();
	test_quota_and_books();
	test_dialect();
	test_shfl_edges();
	test_half();
	test_conv();
	test_cudastd();
	test_cplx();
	test_cvtdot();
	test_mathx();
	test_fault();
	test_hip();

	tap_diag("gpu tests: %d passed, %d failed, %d skipped", tap_state.lv[0].n - tap_failed() -
		 tap_skipped(), tap_failed(), tap_skipped());
	return tap_done();
}
