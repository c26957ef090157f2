// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * launch_cost.c - the cost of a libvgpu launch against raw cuLaunchKernel,
 * measured in one process and one thread, the arms interleaved so that the
 * host's drift (its launch cost moved 3.1 -> 4.3 us between two runs on the
 * H200 machine) falls on all of them alike. Built on the GPU machine by
 * bench/gpu/compute.sh (links -lcuda -lnvrtc and libvgpu).
 *
 * Arms, each a repetition of BENCH_BATCHES batches of BENCH_LAUNCHES
 * asynchronous launches of the tiny kernel on one stream, each batch then
 * synchronized (the stream's), as raw_cuda.c and vgpu_bench.c do:
 *   raw  cuLaunchKernel in the device's primary context, a non-blocking stream
 *   rawb the same on a blocking stream (CU_STREAM_DEFAULT), as libvgpu's are
 *   rawc the same in a context of its own (cuCtxCreate), as each libvgpu
 *        session has
 *   rawd the same in the context of the "off" session (libvgpu's, as it
 *        set it up), its own module and blocking stream there: what the
 *        context costs apart from libvgpu's launch path
 *   rawx rawd's launches with the arguments in one buffer
 *        (CU_LAUNCH_PARAM_BUFFER_POINTER in `extra`), not kernelParams
 *   off  vgpu_launch, a session with no GPU-time limit (nothing leased)
 *   on   vgpu_launch, a session with a 100 % cap (in-process leases)
 * Each round runs the arms in a rotated order. Printed: each arm's
 * median per-launch time over the rounds (and the part of its last round
 * spent in the launch calls, before each batch's synchronisation: near 1,
 * the host is the bottleneck) and the medians of the per-round ratios
 * on/raw, off/raw, on/off, on/rawb, on/rawc, off/rawd (libvgpu's launch
 * path alone) and rawd/rawc (libvgpu's context alone).
 *
 * Argument 1: rounds (default 15). Argument 2, optional: one arm's name, run
 * alone (for a profiler), or "probe": the cost of cuCtxGetCurrent, and what
 * the driver answers to a launch of another context's function or stream.
 */
#define _GNU_SOURCE
#include <cuda.h>
#include <nvrtc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu/libvgpu.h"
#include "bench_common.h"
#include "bench_vgpu.h"

#define CK(x) do { CUresult r_ = (x); if (r_ != CUDA_SUCCESS) { const char *s_ = "?"; \
	cuGetErrorString(r_, &s_); fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, s_); exit(2); } } while (0)
#define NK(x) do { nvrtcResult r_ = (x); if (r_ != NVRTC_SUCCESS) { \
	fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, nvrtcGetErrorString(r_)); exit(2); } } while (0)

enum { RAW, RAWB, RAWC, RAWD, RAWX, OFF, ON, ARMS };
static const char *arm_name[ARMS] = { "raw", "rawb", "rawc", "rawd", "rawx", "off", "on" };

static struct {
	CUcontext ctx, own, sess;
	CUfunction fn, fn_own, fn_sess;
	CUstream st, stb, st_own, st_sess;
	CUdeviceptr d, d_own, d_sess;
	char *cubin;
} raw;


static void raw_open(void)
{
	CUdevice dev;
	int major, minor;
	char arch[64];
	const char *opts[] = { arch, "-default-device" };
	nvrtcProgram prog;
	size_t n;
	char *cubin;
	CUmodule mod;

	CK(cuInit(0));
	CK(cuDeviceGet(&dev, 0));
	CK(cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev));
	CK(cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev));
	CK(cuDevicePrimaryCtxRetain(&raw.ctx, dev));
	CK(cuCtxSetCurrent(raw.ctx));
	snprintf(arch, sizeof(arch), "--gpu-architecture=sm_%d%d", major, minor);
	NK(nvrtcCreateProgram(&prog, BENCH_KERNEL_SRC, "bench.cu", 0, NULL, NULL));
	NK(nvrtcCompileProgram(prog, 2, opts));
	NK(nvrtcGetCUBINSize(prog, &n));
	cubin = malloc(n);
	if (!cubin)
		BENCH_DIE("out of memory");
	NK(nvrtcGetCUBIN(prog, cubin));
	NK(nvrtcDestroyProgram(&prog));
	CK(cuModuleLoadData(&mod, cubin));
	CK(cuModuleGetFunction(&raw.fn, mod, "tiny"));
	CK(cuStreamCreate(&raw.st, CU_STREAM_NON_BLOCKING));
	CK(cuStreamCreate(&raw.stb, CU_STREAM_DEFAULT));
	CK(cuMemAlloc(&raw.d, 1 << 20));
#if CUDA_VERSION >= 13000	/* cuCtxCreate_v4: creation parameters first */
	CK(cuCtxCreate(&raw.own, NULL, 0, dev));	/* made current */
#else
	CK(cuCtxCreate(&raw.own, 0, dev));
#endif
	CK(cuModuleLoadData(&mod, cubin));
	CK(cuModuleGetFunction(&raw.fn_own, mod, "tiny"));
	CK(cuStreamCreate(&raw.st_own, CU_STREAM_DEFAULT));
	CK(cuMemAlloc(&raw.d_own, 1 << 20));
	raw.cubin = cubin;
}

/* rawd: raw launches in the context libvgpu made for session @v */
static void raw_in_session(struct bench_vg *v)
{
	CUmodule mod;

	if (vgpu_stream_sync(v->st, -1))	/* makes the session's context current */
		BENCH_DIE("sync: %s", vgpu_last_error(v->s));
	CK(cuCtxGetCurrent(&raw.sess));
	CK(cuModuleLoadData(&mod, raw.cubin));
	CK(cuModuleGetFunction(&raw.fn_sess, mod, "tiny"));
	CK(cuStreamCreate(&raw.st_sess, CU_STREAM_DEFAULT));
	CK(cuMemAlloc(&raw.d_sess, 1 << 20));
}

/* per arm, the part of its last repetition spent in the launch calls (before
 * each batch's synchronisation): near 1, the host was the bottleneck */
static double host_part[ARMS];

/* one repetition of an arm: per-launch time in us */
static double rep(int arm, struct bench_vg *v)
{
	double total = 0, host = 0;
	int n = 1 << 18;

	if (arm != OFF && arm != ON) {
		/* rawd and rawx: the session's context, module and stream */
		const int sess = arm == RAWD || arm == RAWX;
		void *params[] = { arm == RAWC ? &raw.d_own : sess ? &raw.d_sess : &raw.d, &n };
		/* rawx: the parameters' layout, 8 bytes of pointer and 4 of int
		 * (the driver refuses any other size), in one buffer */
		struct { CUdeviceptr p; int n; int pad; } buf = { raw.d_sess, n, 0 };
		size_t size = 12;
		void *extra[] = { CU_LAUNCH_PARAM_BUFFER_POINTER, &buf, CU_LAUNCH_PARAM_BUFFER_SIZE, &size,
				  CU_LAUNCH_PARAM_END };
		void **kp = arm == RAWX ? NULL : params, **ex = arm == RAWX ? extra : NULL;
		CUstream st = arm == RAW ? raw.st : arm == RAWB ? raw.stb : arm == RAWC ? raw.st_own :
			      raw.st_sess;
		CUfunction fn = arm == RAWC ? raw.fn_own : sess ? raw.fn_sess : raw.fn;

		CK(cuCtxSetCurrent(arm == RAWC ? raw.own : sess ? raw.sess : raw.ctx));
		for (int b = 0; b < BENCH_BATCHES; b++) {
			double t0 = bench_now();

			for (int i = 0; i < BENCH_LAUNCHES; i++)
				CK(cuLaunchKernel(fn, 1, 1, 1, 32, 1, 1, 0, st, kp, ex));
			host += bench_now() - t0;
			CK(cuStreamSynchronize(st));
			total += bench_now() - t0;
		}
	} else {
		for (int b = 0; b < BENCH_BATCHES; b++) {
			double t0 = bench_now();

			host += bench_vg_batch(v, n);
			total += bench_now() - t0;
		}
	}
	host_part[arm] = host / total;
	return total / (BENCH_BATCHES * BENCH_LAUNCHES) * 1e6;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 15, n_probe = 1 << 18;
	struct bench_vg v[ARMS] = { 0 };
	double *t[ARMS], *r_onraw, *r_offraw, *r_onoff, *r_onrawb, *r_onrawc, *r_offrawd, *r_rawdc, *r_rawxd;

	if (rounds < 1)
		rounds = 1;
	raw_open();
	bench_vg_open(&v[OFF], "lc-off", 0, NULL, 0);
	bench_vg_open(&v[ON], "lc-on", 100, NULL, 0);
	raw_in_session(&v[OFF]);
	for (int a = 0; a < ARMS; a++) {
		t[a] = calloc(rounds, sizeof(double));
		if (!t[a])
			BENCH_DIE("out of memory");
		rep(a, &v[a]);		/* warm-up */
	}
	r_onraw = calloc(rounds, sizeof(double));
	r_offraw = calloc(rounds, sizeof(double));
	r_onoff = calloc(rounds, sizeof(double));
	r_onrawb = calloc(rounds, sizeof(double));
	r_onrawc = calloc(rounds, sizeof(double));
	r_offrawd = calloc(rounds, sizeof(double));
	r_rawdc = calloc(rounds, sizeof(double));
	r_rawxd = calloc(rounds, sizeof(double));
	if (!r_rawxd || !r_onraw || !r_offraw || !r_onoff || !r_onrawb || !r_onrawc || !r_offrawd || !r_rawdc)
		BENCH_DIE("out of memory");
	if (argc > 2 && !strcmp(argv[2], "probe")) {
		/* what a driver call costs, and whether the driver refuses a
		 * function or stream of another context than the current one */
		CUcontext cur;
		void *params[] = { &raw.d_own, &n_probe };
		double t0;
		int r1, r2, r3, r4, r5;

		/* libvgpu's launch after another context was made current
		 * behind its back: it must run, in the session's context */
		{
			struct vgpu_launch_cfg c = { .size = sizeof(c), .flags = VGPU_LAUNCH_ASYNC };
			struct vgpu_arg a[] = { vgpu_arg_buf(v[ON].d), vgpu_arg_i32(0) };
			float one = 0.0f, zero = 0.0f;
			int q0, q1, q2, q3;

			c.grid = (struct vgpu_dim3){ 1, 1, 1 };
			c.block = (struct vgpu_dim3){ 32, 1, 1 };
			c.stream = v[ON].st;
			q0 = vgpu_buffer_write(v[ON].d, 0, &zero, 4);
			CK(cuCtxSetCurrent(raw.ctx));
			q1 = vgpu_launch(v[ON].k, &c, a, 2);
			q2 = vgpu_stream_sync(v[ON].st, -1);
			q3 = vgpu_buffer_read(v[ON].d, 0, &one, 4);
			printf("probe vgpu_launch after another context was made current: write %d launch %d "
			       "sync %d read %d value %.1f (1.0: it ran in the session's context)\n",
			       q0, q1, q2, q3, one);
		}
		CK(cuCtxSetCurrent(raw.ctx));
		t0 = bench_now();
		for (int i = 0; i < 1000000; i++)
			cuCtxGetCurrent(&cur);
		printf("probe cuCtxGetCurrent_ns %.1f\n", (bench_now() - t0) * 1e3);
		r1 = cuLaunchKernel(raw.fn_own, 1, 1, 1, 32, 1, 1, 0, NULL, params, NULL);
		r2 = cuLaunchKernel(raw.fn_own, 1, 1, 1, 32, 1, 1, 0, raw.st_own, params, NULL);
		r3 = cuLaunchKernel(raw.fn_own, 1, 1, 1, 32, 1, 1, 0, raw.st, params, NULL);
		r4 = cuLaunchKernel(raw.fn, 1, 1, 1, 32, 1, 1, 0, raw.st_own, params, NULL);
		r5 = cuCtxSynchronize();
		printf("probe other context's function: null stream %d, its stream %d, current's stream %d; "
		       "current's function on the other's stream %d; sync %d\n", r1, r2, r3, r4, r5);
		CK(cuCtxSetCurrent(raw.own));
		printf("probe the other context's sync %d\n", (int)cuCtxSynchronize());
		return 0;
	}
	if (argc > 2) {
		for (int a = 0; a < ARMS; a++)
			if (!strcmp(argv[2], arm_name[a])) {
				for (int r = 0; r < rounds; r++)
					printf("launch_cost %s %.3f us\n", arm_name[a], rep(a, &v[a]));
				return 0;
			}
		BENCH_DIE("no arm %s", argv[2]);
	}
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < ARMS; i++) {
			int a = (r + i) % ARMS;

			t[a][r] = rep(a, &v[a]);
		}
		r_onraw[r] = t[ON][r] / t[RAW][r];
		r_offraw[r] = t[OFF][r] / t[RAW][r];
		r_onoff[r] = t[ON][r] / t[OFF][r];
		r_onrawb[r] = t[ON][r] / t[RAWB][r];
		r_onrawc[r] = t[ON][r] / t[RAWC][r];
		r_offrawd[r] = t[OFF][r] / t[RAWD][r];
		r_rawdc[r] = t[RAWD][r] / t[RAWC][r];
		r_rawxd[r] = t[RAWX][r] / t[RAWD][r];
		printf("launch_cost round %d: raw %.3f rawb %.3f rawc %.3f rawd %.3f rawx %.3f off %.3f on %.3f us\n",
		       r, t[RAW][r], t[RAWB][r], t[RAWC][r], t[RAWD][r], t[RAWX][r], t[OFF][r], t[ON][r]);
	}
	for (int a = 0; a < ARMS; a++)
		printf("launch_cost.%s_us %.3f (in the launch calls: %.3f of it, last round)\n",
		       arm_name[a], bench_median(t[a], rounds), host_part[a]);
	printf("launch_cost.on_over_raw %.3f\nlaunch_cost.off_over_raw %.3f\nlaunch_cost.on_over_off %.3f\n"
	       "launch_cost.on_over_rawb %.3f\nlaunch_cost.on_over_rawc %.3f\n"
	       "launch_cost.off_over_rawd %.3f\nlaunch_cost.rawd_over_rawc %.3f\n"
	       "launch_cost.rawx_over_rawd %.3f\n",
	       bench_median(r_onraw, rounds), bench_median(r_offraw, rounds),
	       bench_median(r_onoff, rounds), bench_median(r_onrawb, rounds),
	       bench_median(r_onrawc, rounds), bench_median(r_offrawd, rounds),
	       bench_median(r_rawdc, rounds), bench_median(r_rawxd, rounds));
	{
		struct vgpu_stats st = { .size = sizeof(st) };

		vgpu_stats_get(v[ON].s, &st);
		printf("launch_cost.on_leases %llu device_windows %llu\n",
		       (unsigned long long)st.compute_leases,
		       (unsigned long long)st.compute_device_windows);

	}
	for (int a = OFF; a < ARMS; a++)
		vgpu_session_close(v[a].s);
	return 0;
}
