// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * compute_probe.c - where a launch-bound guest's launches go when guests
 * take turns on one device, measured straight against the CUDA driver API
 * (no libvgpu): the mechanism under compute_share's tiny-kernel shares.
 * Built and run on the GPU machine (bench/gpu/compute.sh with
 * COMPUTE_PROBE=1). Prints "probe ..." lines.
 *
 * The kernel is compute_share's "tiny" one (spin, grid 4 x multiprocessors,
 * 256 threads, n calibrated to about 5 us a launch saturated). Measured:
 *  - alone, one thread, one context: host cost of a launch (n = 0 and
 *    tiny), the device's time per tiny kernel run back to back (queued
 *    behind a 2 ms blocker kernel, timed with events), the launch rate over
 *    100 ms buckets (its spread over time), the drain (synchronize) after
 *    H ms of saturating launches;
 *  - two threads taking turns holding the device for H ms each, as
 *    libvgpu's in-process ledger makes them (launch for H ms, synchronize,
 *    hand over): launches per second of holding (first launch to
 *    completion) against alone, split into the launching part and the
 *    drain, the gap between one's completion and the other's first launch,
 *    and the cost of the first launch of a turn. Variants: a context per
 *    thread (libvgpu's sessions each have one) or one shared context;
 *    H = 5 ms (a capped session's lease, a twentieth of a 100 ms period) or
 *    25 ms; the waiter sleeping in 50 us polls (libvgpu's); and one thread
 *    alone, duty-cycled (H on, as long idle, spinning or sleeping). Each
 *    for the empty kernel (the host's launch is the bottleneck) and the
 *    tiny one, in two interleaved rounds, against a steady alone rate
 *    measured just before in a thread and context of its own;
 *  - two threads, a context each, launching at once with no turns;
 *  - with PROBE_LONG=1 instead: turns of one ~10 ms kernel each.
 */
#define _GNU_SOURCE
#include <cuda.h>
#include <dlfcn.h>
#include <math.h>
#include <nvrtc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"

#define CK(x) do { CUresult r_ = (x); if (r_ != CUDA_SUCCESS) { const char *s_ = "?"; \
	cuGetErrorString(r_, &s_); fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, s_); exit(2); } } while (0)
#define NK(x) do { nvrtcResult r_ = (x); if (r_ != NVRTC_SUCCESS) { \
	fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, nvrtcGetErrorString(r_)); exit(2); } } while (0)

static const char src[] = BENCH_SPIN_SRC;

typedef CUresult (*ctx_create_t)(CUcontext *, unsigned int, CUdevice);

static CUdevice dev;
static char *cubin;
static int grid;
static int tiny_n;

struct gc {
	CUcontext ctx;
	CUmodule mod;
	CUfunction fn;
	CUdeviceptr d;
};

static void gc_make(struct gc *g, const struct gc *share)
{
	if (share) {
		*g = *share;
		CK(cuCtxSetCurrent(g->ctx));
		return;
	}
	/* as libvgpu's CUDA backend: cuCtxCreate_v2, CU_CTX_SCHED_AUTO */
	ctx_create_t create = (ctx_create_t)dlsym(RTLD_DEFAULT, "cuCtxCreate_v2");

	if (!create) {
		fprintf(stderr, "no cuCtxCreate_v2\n");
		exit(2);
	}
	CK(create(&g->ctx, CU_CTX_SCHED_AUTO, dev));
	CK(cuCtxSetCurrent(g->ctx));
	CK(cuModuleLoadData(&g->mod, cubin));
	CK(cuModuleGetFunction(&g->fn, g->mod, "spin"));
	CK(cuMemAlloc(&g->d, 4));
}

static void launch(struct gc *g, int n, unsigned gx)
{
	void *params[] = { &g->d, &n };

	CK(cuLaunchKernel(g->fn, gx, 1, 1, 256, 1, 1, 0, NULL, params, NULL));
}

/* launches for @secs; returns launches per second (with the final sync) */
static double rate_for(struct gc *g, int n, double secs, double *bucket_rates, int nb)
{
	double t0 = bench_now(), t, next = t0 + 0.1;
	long c = 0, cb = 0;
	int b = 0;

	while ((t = bench_now()) - t0 < secs) {
		launch(g, n, grid);
		c++;
		cb++;
		if (bucket_rates && t >= next) {
			if (b < nb)
				bucket_rates[b++] = cb / 0.1;
			cb = 0;
			next += 0.1;
		}
	}
	CK(cuCtxSynchronize());
	return c / (bench_now() - t0);
}

static void calibrate(struct gc *g)
{
	int n = 64;

	for (int round = 0; round < 4; round++) {
		double r = rate_for(g, n, 0.05, NULL, 0);

		n = (int)(n * 5.0 / (1e6 / r)) + 1;
	}
	tiny_n = n;
}

static void stats(const double *v, int n, double *mean, double *mn, double *mx, double *sd)
{
	double s = 0, s2 = 0;

	*mn = 1e300;
	*mx = 0;
	for (int i = 0; i < n; i++) {
		s += v[i];
		s2 += v[i] * v[i];
		*mn = v[i] < *mn ? v[i] : *mn;
		*mx = v[i] > *mx ? v[i] : *mx;
	}
	*mean = s / n;
	*sd = sqrt(s2 / n - *mean * *mean > 0 ? s2 / n - *mean * *mean : 0);
}

static double alone_ref;	/* launches/s alone, tiny */

static void alone(struct gc *g)
{
	double b[40], mean, mn, mx, sd, t0;
	CUevent e0, e1;
	float ms;
	const int q = 300;

	/* host cost of a launch: empty kernel, a sync every 256 */
	t0 = bench_now();
	for (int i = 0; i < 20480; i++) {
		launch(g, 0, grid);
		if (i % 256 == 255)
			CK(cuCtxSynchronize());
	}
	printf("probe alone launch_us_empty %.3f\n", (bench_now() - t0) / 20480 * 1e6);
	calibrate(g);
	/* the device's time per tiny kernel: queued behind a blocker, run back to back */
	CK(cuEventCreate(&e0, CU_EVENT_DEFAULT));
	CK(cuEventCreate(&e1, CU_EVENT_DEFAULT));
	for (int rep = 0; rep < 2; rep++) {
		launch(g, 2000000, 1);		/* about 2 ms or more on one block */
		CK(cuEventRecord(e0, NULL));
		for (int i = 0; i < q; i++)
			launch(g, tiny_n, grid);
		CK(cuEventRecord(e1, NULL));
		CK(cuEventSynchronize(e1));
		CK(cuEventElapsedTime(&ms, e0, e1));
	}
	printf("probe alone tiny_n %d device_us_per_kernel %.3f\n", tiny_n, ms * 1000 / q);
	for (int rep = 0; rep < 2; rep++) {
		launch(g, 2000000, 1);
		CK(cuEventRecord(e0, NULL));
		for (int i = 0; i < q; i++)
			launch(g, 0, grid);
		CK(cuEventRecord(e1, NULL));
		CK(cuEventSynchronize(e1));
		CK(cuEventElapsedTime(&ms, e0, e1));
	}
	printf("probe alone empty device_us_per_kernel %.3f\n", ms * 1000 / q);
	CK(cuEventDestroy(e0));
	CK(cuEventDestroy(e1));
	alone_ref = rate_for(g, tiny_n, 3.0, b, 40);
	stats(b, 29, &mean, &mn, &mx, &sd);
	printf("probe alone tiny rate %.0f/s (%.3f us) 100ms buckets mean %.0f min %.0f max %.0f sd %.1f %%\n",
	       alone_ref, 1e6 / alone_ref, mean, mn, mx, sd / mean * 100);
	/* drain after H ms of launches */
	for (int h = 5; h <= 25; h += 20) {
		double dr[20], lr[20];

		for (int rep = 0; rep < 20; rep++) {
			double s = bench_now(), l;
			long c = 0;

			while (bench_now() - s < h / 1e3) {
				launch(g, tiny_n, grid);
				c++;
			}
			l = bench_now();
			CK(cuCtxSynchronize());
			dr[rep] = (bench_now() - l) * 1e6;
			lr[rep] = c / (bench_now() - s) / alone_ref;
		}
		printf("probe alone hold %d ms: drain_us median %.1f; launches per held s / alone median %.3f\n",
		       h, bench_median(dr, 20), bench_median(lr, 20));
	}
}

/* ---- two threads taking turns ------------------------------------------------ */

struct turns {
	int nthreads, shared, hold_ms, sleepy, n;
	double secs;
	_Atomic int turn;
	_Atomic double released;	/* when the last holder's work completed */
	struct gc *base;
};

struct tt {
	struct turns *T;
	int id;
	long n, turns;
	double held, launching, drain, gap, first_us, first64_us;
};

static void wait_until(double t, int sleepy)
{
	while (bench_now() < t)
		if (sleepy) {
			struct timespec ts = { 0, 50000 };

			nanosleep(&ts, NULL);
		}
}

static void *taker(void *p)
{
	struct tt *me = p;
	struct turns *T = me->T;
	struct gc g;
	double t_end;

	gc_make(&g, T->shared ? T->base : NULL);
	launch(&g, T->n, grid);	/* warm */
	CK(cuCtxSynchronize());
	t_end = bench_now() + T->secs;
	for (;;) {
		double s, f, l, e;
		long c = 0;

		while (atomic_load(&T->turn) != me->id) {
			if (T->sleepy) {
				struct timespec ts = { 0, 50000 };

				nanosleep(&ts, NULL);
			}
			if (bench_now() > t_end + 1)
				goto out;
		}
		s = bench_now();
		if (s > t_end) {
			atomic_store(&T->turn, 1 - me->id);
			break;
		}
		if (atomic_load(&T->released) > 0 && T->nthreads > 1)
			me->gap += s - atomic_load(&T->released);
		launch(&g, T->n, grid);
		f = bench_now();
		c = 1;
		while (bench_now() - s < T->hold_ms / 1e3) {
			launch(&g, T->n, grid);
			if (++c == 64)
				me->first64_us += (bench_now() - s) * 1e6;
		}
		l = bench_now();
		CK(cuCtxSynchronize());
		e = bench_now();
		me->n += c;
		me->turns++;
		me->held += e - s;
		me->launching += l - s;
		me->drain += e - l;
		me->first_us += (f - s) * 1e6;
		atomic_store(&T->released, e);
		if (T->nthreads == 1)	/* alone, duty-cycled: idle as long as it held */
			wait_until(e + (e - s), T->sleepy);
		else
			atomic_store(&T->turn, 1 - me->id);
	}
out:
	if (!T->shared) {
		CK(cuModuleUnload(g.mod));
		CK(cuMemFree(g.d));
		CK(cuCtxDestroy(g.ctx));
	}
	return NULL;
}

static void turns(struct gc *base, int nthreads, int shared, int hold_ms, int sleepy, int n,
		  double ref, double secs)
{
	struct turns T = { .nthreads = nthreads, .shared = shared, .hold_ms = hold_ms,
			   .sleepy = sleepy, .n = n, .secs = secs, .base = base };
	struct tt t[2];
	pthread_t th[2];

	atomic_store(&T.turn, 0);
	atomic_store(&T.released, 0.0);
	for (int i = 0; i < nthreads; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].T = &T;
		t[i].id = i;
		pthread_create(&th[i], NULL, taker, &t[i]);
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < nthreads; i++)
		printf("probe %s n %d %s hold %d ms %s thread %d: turns %ld launches/held s / alone %.3f, launching part %.3f; per turn: held %.0f us drain %.1f us gap before %.1f us first launch %.1f us first 64 %.1f us (steady %.1f); of wall: held %.1f %%\n",
		       nthreads == 1 ? "duty-alone" : "turns", n, shared ? "shared-ctx" : "ctx-each",
		       hold_ms, sleepy ? "sleep-poll" : "spin",
		       i, t[i].turns, t[i].n / t[i].held / ref,
		       t[i].n / t[i].launching / ref, t[i].held / t[i].turns * 1e6,
		       t[i].drain / t[i].turns * 1e6, t[i].gap / t[i].turns * 1e6,
		       t[i].first_us / t[i].turns, t[i].first64_us / t[i].turns,
		       64e6 / ref, t[i].held / T.secs * 100);
}

/* ---- two threads at once ----------------------------------------------------- */

struct conc {
	int n;
	double secs, rate;
};

static void *concurrent(void *p)
{
	struct conc *c = p;
	struct gc g;

	gc_make(&g, NULL);
	launch(&g, c->n, grid);
	CK(cuCtxSynchronize());
	c->rate = rate_for(&g, c->n, c->secs, NULL, 0);
	CK(cuModuleUnload(g.mod));
	CK(cuMemFree(g.d));
	CK(cuCtxDestroy(g.ctx));
	return NULL;
}

/*
 * PROBE_LONG=1: the same turns with ~10 ms kernels, one kernel a turn (as a
 * lease of 10 ms holds one), against the alone rate of back-to-back kernels:
 * a context each, one shared context, and one thread alone synchronising
 * after every kernel (no hand-over).
 */
static void long_probe(struct gc *g)
{
	int n = 1000000;
	double t0, t, ref;

	launch(g, n, grid);
	CK(cuCtxSynchronize());
	t0 = bench_now();
	launch(g, n, grid);
	CK(cuCtxSynchronize());
	t = bench_now() - t0;
	n = (int)(n * 0.010 / t);
	ref = rate_for(g, n, 1.0, NULL, 0);
	printf("probe long n %d alone back to back %.2f/s (%.3f ms)\n", n, ref, 1e3 / ref);
	turns(g, 2, 0, 0, 0, n, ref, 2.0);
	turns(g, 2, 1, 0, 0, n, ref, 2.0);
	turns(g, 1, 0, 0, 0, n, ref, 2.0);
}

int main(void)
{
	struct gc g;
	int major, minor, sms;
	char arch[64];
	nvrtcProgram prog;
	size_t sz;
	struct conc c[2];
	pthread_t th[2];

	setvbuf(stdout, NULL, _IOLBF, 0);
	CK(cuInit(0));
	CK(cuDeviceGet(&dev, 0));
	CK(cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev));
	CK(cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev));
	CK(cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev));
	grid = sms * 4;
	snprintf(arch, sizeof(arch), "--gpu-architecture=sm_%d%d", major, minor);
	{
		const char *opts[] = { arch, "-default-device" };

		NK(nvrtcCreateProgram(&prog, src, "probe.cu", 0, NULL, NULL));
		NK(nvrtcCompileProgram(prog, 2, opts));
		NK(nvrtcGetCUBINSize(prog, &sz));
		cubin = malloc(sz);
		NK(nvrtcGetCUBIN(prog, cubin));
		NK(nvrtcDestroyProgram(&prog));
	}
	gc_make(&g, NULL);
	if (getenv("PROBE_LONG")) {
		long_probe(&g);
		return 0;
	}
	alone(&g);
	/*
	 * Launch-bound (empty kernel: the host's launch is the bottleneck) and
	 * the calibrated tiny one, interleaved rounds against a steady alone
	 * rate measured just before in a thread of its own: turns of 5 and
	 * 25 ms with sleeping waiters (libvgpu's), one thread alone
	 * duty-cycled (5 ms on, 5 ms idle), spinning or sleeping.
	 */
	for (int round = 0; round < 2; round++)
		for (int k = 0; k < 2; k++) {
			int n = k ? tiny_n : 0;
			double ref;
			struct conc r1;
			pthread_t t1;

			r1.n = n;
			r1.secs = 1.0;
			pthread_create(&t1, NULL, concurrent, &r1);
			pthread_join(t1, NULL);
			ref = r1.rate;
			printf("probe round %d n %d steady alone in a thread %.0f/s (%.3f us)\n", round, n,
			       ref, 1e6 / ref);
			turns(&g, 2, 0, 5, 1, n, ref, 1.0);
			turns(&g, 2, 0, 25, 1, n, ref, 1.0);
			turns(&g, 1, 0, 5, 1, n, ref, 1.0);
			turns(&g, 1, 0, 5, 0, n, ref, 1.0);
			if (round == 0)
				turns(&g, 2, 1, 5, 1, n, ref, 1.0);
		}
	for (int i = 0; i < 2; i++) {
		c[i].n = tiny_n;
		c[i].secs = 2.0;
		pthread_create(&th[i], NULL, concurrent, &c[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	printf("probe concurrent ctx-each: thread rates / alone %.3f %.3f\n", c[0].rate / alone_ref,
	       c[1].rate / alone_ref);
	CK(cuCtxSetCurrent(g.ctx));
	{
		double r = rate_for(&g, tiny_n, 1.0, NULL, 0);

		printf("probe alone again (main thread) rate / first %.3f\n", r / alone_ref);
	}
	return 0;
}
