// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * GPU time of an unmodified program: every launch (cuLaunchKernel,
 * cuLaunchKernelEx, cuLaunchCooperativeKernel, cuGraphLaunch, each with its
 * per-thread-stream variant) spends the guest's compute lease, through
 * libvgpu's ledger (vgpu_ledger_compute_lease: the kernel's
 * VGPU_IOC_COMPUTE_LEASE, or the in-process ledger's equivalent with the cap
 * of VGPU_COMPUTE_LIMIT). The rules are libvgpu's (core/compute.c), kept per
 * process here:
 *  - a queued launch takes an estimate off the lease (the last window's time
 *    per launch; the first launch is measured alone);
 *  - when the lease is spent, the context is synchronised once and the window
 *    from the first launch queued to that completion is the time used,
 *    reported with the request for the next lease;
 *  - with no budget the launching thread waits for the refill (other threads
 *    launching meanwhile wait behind it), so a graph launch is throttled like
 *    any other work;
 *  - when the program synchronises its context (cuCtxSynchronize: e.g.
 *    cudaDeviceSynchronize) and nothing was launched meanwhile, its device is
 *    idle: the window is reported and, where others may wait for the device
 *    (the module's turns), the lease is returned, as libvgpu does at
 *    vgpu_session_sync. Else a process that synchronised and went on with
 *    host work kept its turn until it lapsed (up to its guest's period + the
 *    grant: other guests' processes stalled a second with periods of 1 s).
 * Launches into a capturing stream run nothing now (their graph's launch is
 * what is counted) and are passed through untouched, never synchronised.
 * Without a compute limit (in-process, no cap or weight) the launch path
 * costs a clock read; the ledger is asked again every 50 ms.
 * VGPU_PRELOAD_TRACE=PATH writes the leases, windows and waits at exit
 * (tr_add()).
 */
#define _GNU_SOURCE
#define __CUDA_API_VERSION_INTERNAL 1
#include <cuda.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/internal.h"
#include "pl.h"

#define FREE_LEASE_NS	(50ull * 1000000)
#define MIN_SLICE_NS	(200ull * 1000)

static struct {
	pthread_mutex_t lock;
	bool on;		/* leases in force */
	uint64_t next_check;	/* when off: when to ask the ledger again */
	uint64_t left_ns, used_ns, slice_ns, est_ns;
	uint64_t async_since, async_n;
	uint64_t launches;	/* counted launches queued, ever */
	int dev;
} cp = { .lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * VGPU_PRELOAD_TRACE=PATH: every lease asked, window measured and wait for
 * the refill, kept in memory (the slow paths only, under cp.lock) and written
 * to PATH at exit, one line each:
 *   L t0 t1 request used granted wait busy consumed   a lease asked
 *   W start end launches estimate synced            a window measured (synced:
 *                                                    0 its synchronisation failed)
 *   S t0 t1 wait                                     a sleep for the refill
 *   B t0 t1 wait                                     a wait for another session
 *   R t0 t1 used                                     a lease returned at a sync
 * (times in ns on CLOCK_MONOTONIC).
 */
struct tr_ev {
	char k;
	uint64_t t0, t1, a, b, c, d, e, f;
};
#define TR_MAX	(1u << 17)
static struct { int state; struct tr_ev *ev; unsigned n; } tr;	/* state: 0 unknown, 1 off, 2 on */

static bool tr_on(void)
{
	if (!tr.state) {
		const char *p = getenv("VGPU_PRELOAD_TRACE");

		tr.ev = p && *p ? calloc(TR_MAX, sizeof(*tr.ev)) : NULL;
		tr.state = tr.ev ? 2 : 1;
	}
	return tr.state == 2;
}

static void tr_add(char k, uint64_t t0, uint64_t t1, uint64_t a, uint64_t b, uint64_t c,
		   uint64_t d, uint64_t e, uint64_t f)
{
	if (!tr_on() || tr.n >= TR_MAX)
		return;
	tr.ev[tr.n++] = (struct tr_ev){ k, t0, t1, a, b, c, d, e, f };
}

static void tr_write(void)
{
	const char *p = getenv("VGPU_PRELOAD_TRACE");
	FILE *f;

	if (tr.state != 2 || !p || !(f = fopen(p, "we")))
		return;
	for (unsigned i = 0; i < tr.n; i++) {
		struct tr_ev *e = &tr.ev[i];

		fprintf(f, "%c %llu %llu %llu %llu %llu %llu %llu %llu\n", e->k,
			(unsigned long long)e->t0, (unsigned long long)e->t1,
			(unsigned long long)e->a, (unsigned long long)e->b,
			(unsigned long long)e->c, (unsigned long long)e->d,
			(unsigned long long)e->e, (unsigned long long)e->f);
	}
	fclose(f);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

typedef CUresult (*sync_t)(void);
typedef CUresult (*capturing_t)(CUstream, CUstreamCaptureStatus *);

/* the context is idle: the window of queued launches is over now */
static void window_done_locked(void)
{
	uint64_t w;

	if (!cp.async_since)
		return;
	w = now_ns() - cp.async_since;
	cp.used_ns += w;
	cp.est_ns = w / (cp.async_n ? cp.async_n : 1);
	tr_add('W', cp.async_since, cp.async_since + w, cp.async_n, cp.est_ns, 1, 0, 0, 0);
	cp.async_since = 0;
	cp.async_n = 0;
}

/* the window of queued launches is over once the context is idle */
static void settle_locked(void)
{
	static sync_t sync;
	bool idle;

	if (!cp.async_since)
		return;
	if (!sync)
		sync = (sync_t)pl_cu_sym("cuCtxSynchronize");
	pl_depth++;
	idle = sync && sync() == CUDA_SUCCESS;
	pl_depth--;
	if (idle) {
		window_done_locked();
	} else {
		tr_add('W', cp.async_since, now_ns(), cp.async_n, cp.est_ns, 0, 0, 0, 0);
		cp.async_since = 0;
		cp.async_n = 0;
	}
}

/* what was measured goes back with the lease; none is held after */
static void return_locked(struct vgpu_lib_ledger *l)
{
	struct vgpu_ledger_lease a;
	uint64_t t0 = now_ns();

	memset(&a, 0, sizeof(a));
	a.used_ns = cp.used_ns;
	vgpu_ledger_compute_lease(l, cp.dev, &a);
	tr_add('R', t0, now_ns(), cp.used_ns, 0, 0, 0, 0, 0);
	cp.used_ns = cp.left_ns = 0;
}

static bool capturing(CUstream s, bool ptsz)
{
	static capturing_t f, fp;
	CUstreamCaptureStatus st = CU_STREAM_CAPTURE_STATUS_NONE;
	capturing_t *p = ptsz ? &fp : &f;

	if (!*p)
		*p = (capturing_t)pl_cu_sym(ptsz ? "cuStreamIsCapturing_ptsz" : "cuStreamIsCapturing");
	if (!*p || (*p)(s, &st) != CUDA_SUCCESS)
		return false;
	return st != CU_STREAM_CAPTURE_STATUS_NONE;
}

/*
 * Before a launch into @s: a lease with time left (waiting for the refill
 * when the guest has none). Returns true when the launch is to be counted
 * (pl_compute_after then).
 */
static bool compute_before(CUstream s, bool ptsz)
{
	struct vgpu_lib_ledger *l;
	struct vgpu_ledger_lease a;
	uint64_t t;

	if (!pl_accounting())
		return false;
	t = now_ns();
	if (!__atomic_load_n(&cp.on, __ATOMIC_RELAXED) &&
	    t < __atomic_load_n(&cp.next_check, __ATOMIC_RELAXED))
		return false;
	if (capturing(s, ptsz))
		return false;
	l = pl_ledger();
	if (!l)
		return false;	/* memory calls are refused already; launches need memory */
	pthread_mutex_lock(&cp.lock);
	if (cp.on && cp.left_ns)
		goto out;
	settle_locked();
	if (!cp.slice_ns)
		cp.dev = pl_cur_dev(NULL);
	cp.on = vgpu_ledger_compute_on(l);
	if (!cp.on) {
		cp.used_ns = 0;
		__atomic_store_n(&cp.next_check, now_ns() + FREE_LEASE_NS, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&cp.lock);
		return false;
	}
	for (;;) {
		uint64_t t0 = now_ns();
		int ret;

		memset(&a, 0, sizeof(a));
		a.request_ns = cp.slice_ns ? cp.slice_ns : MIN_SLICE_NS * 10;
		a.used_ns = cp.used_ns;
		ret = vgpu_ledger_compute_lease(l, cp.dev, &a);
		if (tr_on()) {
			struct vgpu_ledger_compute c = { 0 };

			vgpu_ledger_compute_get(l, &c);
			tr_add('L', t0, now_ns(), a.request_ns, a.used_ns, a.granted_ns, a.wait_ns,
			       a.busy, c.consumed_ns);
		}
		if (ret) {
			/* the ledger failed: count nothing rather than stop the program */
			cp.on = false;
			__atomic_store_n(&cp.next_check, now_ns() + FREE_LEASE_NS, __ATOMIC_RELAXED);
			pthread_mutex_unlock(&cp.lock);
			return false;
		}
		cp.used_ns = 0;
		cp.slice_ns = a.period_ns / 20 > MIN_SLICE_NS ? a.period_ns / 20 : MIN_SLICE_NS;
		if (a.granted_ns) {
			cp.left_ns = a.granted_ns;
			break;
		}
		if (a.busy) {	/* another session has the device (of this process,
				 * or the module's turns: the lease slept there) */
			t0 = now_ns();
			vgpu_ledger_compute_wait(l, cp.dev, a.wait_ns);
			tr_add('B', t0, now_ns(), a.wait_ns, 0, 0, 0, 0, 0);
			continue;
		}
		t0 = now_ns();
		sleep_ns(a.wait_ns + 1000);	/* throttled: the refill */
		tr_add('S', t0, now_ns(), a.wait_ns, 0, 0, 0, 0, 0);
	}
out:
	pthread_mutex_unlock(&cp.lock);
	return true;
}

/* after a launch was queued: its estimate comes off the lease */
static void compute_after(CUresult r)
{
	if (r != CUDA_SUCCESS)
		return;
	pthread_mutex_lock(&cp.lock);
	if (!cp.async_since)
		cp.async_since = now_ns();
	cp.async_n++;
	cp.launches++;
	if (!cp.est_ns)
		cp.left_ns = 0;	/* no estimate yet: the first launch is measured alone */
	else
		cp.left_ns -= cp.est_ns < cp.left_ns ? cp.est_ns : cp.left_ns;
	pthread_mutex_unlock(&cp.lock);
}

/* at exit: what was measured goes back with the lease */
void pl_compute_fini(void)
{
	struct vgpu_lib_ledger *l = pl.active ? pl_ledger() : NULL;

	if (!l || !cp.on)
		return;
	pthread_mutex_lock(&cp.lock);
	settle_locked();
	return_locked(l);
	tr_write();
	pthread_mutex_unlock(&cp.lock);
}

/*
 * The GPU time this process's guest was charged, with what this process
 * measured and has not reported yet (for tests in the process; the device
 * time its leases cover, where its work's completions say how much of the
 * device it had: on a power-limited GPU the work done in that time depends
 * on the clocks). Returns 0, or a negative errno.
 */
PL_EXPORT int vgpu_preload_compute_ns(uint64_t *consumed_ns)
{
	struct vgpu_lib_ledger *l = pl.active ? pl_ledger() : NULL;
	struct vgpu_ledger_compute c;
	int ret;

	if (!l)
		return -ENODATA;
	pthread_mutex_lock(&cp.lock);
	ret = vgpu_ledger_compute_get(l, &c);
	if (!ret)
		*consumed_ns = c.consumed_ns + cp.used_ns;
	pthread_mutex_unlock(&cp.lock);
	return ret;
}

/*
 * The program synchronised its context (cuCtxSynchronize returned success)
 * and had queued @launches counted launches when it began: if none came
 * since, the device is idle. Hand it over where another may want it.
 */
static void compute_synced(uint64_t launches)
{
	struct vgpu_lib_ledger *l = pl_ledger();

	if (!l)
		return;
	/* busy: another thread leases or launches (or waits for its
	 * refill, which a synchronisation must not wait for): not idle */
	if (pthread_mutex_trylock(&cp.lock))
		return;
	if (cp.launches == launches) {
		window_done_locked();
		if (cp.on && cp.left_ns &&
		    (vgpu_ledger_compute_kernel_turns(l) || vgpu_ledger_compute_wanted(l, cp.dev)))
			return_locked(l);
	}
	pthread_mutex_unlock(&cp.lock);
}

/* before a synchronisation of context @ctx (NULL: the current one): the
 * launches counted so far, if the synchronisation may hand the device over
 * (accounting on; the context the launches went to, the current one: another
 * context's idleness says nothing of them; and no other thread in the launch
 * path: one waiting for its refill holds the lock) */
static bool sync_begin(CUcontext ctx, uint64_t *launches)
{
	uint64_t cur;

	if (!pl_accounting() || !__atomic_load_n(&cp.on, __ATOMIC_RELAXED))
		return false;
	if (ctx && (pl_cur_dev(&cur), cur != (uint64_t)(uintptr_t)ctx))
		return false;
	if (pthread_mutex_trylock(&cp.lock))
		return false;
	*launches = cp.launches;
	pthread_mutex_unlock(&cp.lock);
	return true;
}

PL_HOOK(cuCtxSynchronize, CUresult, (void))
{
	uint64_t launches = 0;
	bool counted;
	CUresult r;

	if (!PL_REAL(cuCtxSynchronize))
		return CUDA_ERROR_NOT_FOUND;
	counted = sync_begin(NULL, &launches);
	pl_depth++;
	r = real_cuCtxSynchronize();
	pl_depth--;
	if (counted && r == CUDA_SUCCESS)
		compute_synced(launches);
	return r;
}

/* CUDA 13's ABI of cuCtxSynchronize (cuGetProcAddress at 13000) */
PL_HOOK(cuCtxSynchronize_v2, CUresult, (CUcontext ctx))
{
	uint64_t launches = 0;
	bool counted;
	CUresult r;

	if (!PL_REAL(cuCtxSynchronize_v2))
		return CUDA_ERROR_NOT_FOUND;
	counted = sync_begin(ctx, &launches);
	pl_depth++;
	r = real_cuCtxSynchronize_v2(ctx);
	pl_depth--;
	if (counted && r == CUDA_SUCCESS)
		compute_synced(launches);
	return r;
}

#define LAUNCH_BODY(name, stream, ptsz, call)					\
	do {									\
		bool counted;							\
		CUresult r;							\
		if (!PL_REAL(name))						\
			return CUDA_ERROR_NOT_FOUND;				\
		counted = compute_before(stream, ptsz);				\
		r = call;							\
		if (counted)							\
			compute_after(r);					\
		return r;							\
	} while (0)

PL_HOOK(cuLaunchKernel, CUresult, (CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
				  unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY,
				  unsigned int blockDimZ, unsigned int sharedMemBytes, CUstream hStream,
				  void **kernelParams, void **extra))
{
	LAUNCH_BODY(cuLaunchKernel, hStream, false,
		    real_cuLaunchKernel(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ,
					sharedMemBytes, hStream, kernelParams, extra));
}

PL_HOOK(cuLaunchKernel_ptsz, CUresult, (CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
				       unsigned int gridDimZ, unsigned int blockDimX,
				       unsigned int blockDimY, unsigned int blockDimZ,
				       unsigned int sharedMemBytes, CUstream hStream,
				       void **kernelParams, void **extra))
{
	LAUNCH_BODY(cuLaunchKernel_ptsz, hStream, true,
		    real_cuLaunchKernel_ptsz(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY,
					     blockDimZ, sharedMemBytes, hStream, kernelParams, extra));
}

PL_HOOK(cuLaunchKernelEx, CUresult, (const CUlaunchConfig *config, CUfunction f, void **kernelParams,
				    void **extra))
{
	LAUNCH_BODY(cuLaunchKernelEx, config ? config->hStream : NULL, false,
		    real_cuLaunchKernelEx(config, f, kernelParams, extra));
}

PL_HOOK(cuLaunchKernelEx_ptsz, CUresult, (const CUlaunchConfig *config, CUfunction f,
					 void **kernelParams, void **extra))
{
	LAUNCH_BODY(cuLaunchKernelEx_ptsz, config ? config->hStream : NULL, true,
		    real_cuLaunchKernelEx_ptsz(config, f, kernelParams, extra));
}

PL_HOOK(cuLaunchCooperativeKernel, CUresult, (CUfunction f, unsigned int gridDimX,
					     unsigned int gridDimY, unsigned int gridDimZ,
					     unsigned int blockDimX, unsigned int blockDimY,
					     unsigned int blockDimZ, unsigned int sharedMemBytes,
					     CUstream hStream, void **kernelParams))
{
	LAUNCH_BODY(cuLaunchCooperativeKernel, hStream, false,
		    real_cuLaunchCooperativeKernel(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY,
						   blockDimZ, sharedMemBytes, hStream, kernelParams));
}

PL_HOOK(cuLaunchCooperativeKernel_ptsz, CUresult, (CUfunction f, unsigned int gridDimX,
						  unsigned int gridDimY, unsigned int gridDimZ,
						  unsigned int blockDimX, unsigned int blockDimY,
						  unsigned int blockDimZ, unsigned int sharedMemBytes,
						  CUstream hStream, void **kernelParams))
{
	LAUNCH_BODY(cuLaunchCooperativeKernel_ptsz, hStream, true,
		    real_cuLaunchCooperativeKernel_ptsz(f, gridDimX, gridDimY, gridDimZ, blockDimX,
							blockDimY, blockDimZ, sharedMemBytes, hStream,
							kernelParams));
}

PL_HOOK(cuGraphLaunch, CUresult, (CUgraphExec hGraphExec, CUstream hStream))
{
	LAUNCH_BODY(cuGraphLaunch, hStream, false, real_cuGraphLaunch(hGraphExec, hStream));
}

PL_HOOK(cuGraphLaunch_ptsz, CUresult, (CUgraphExec hGraphExec, CUstream hStream))
{
	LAUNCH_BODY(cuGraphLaunch_ptsz, hStream, true, real_cuGraphLaunch_ptsz(hGraphExec, hStream));
}
