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
 *  - when no launch came for QUIET_NS (2 ms) with a window open, the
 *    watcher thread synchronises the context, and if still none came the
 *    window ends there (watch()): host work between two launches is not
 *    charged as GPU time; it never synchronises while a stream captures;
 *    the device idle, the lease goes back as at a synchronisation (below),
 *    so a process that went on with host work without synchronising hands
 *    the module's turn over too;
 *  - with no budget the launching thread waits for the refill (other threads
 *    launching meanwhile wait behind it), so a graph launch is throttled like
 *    any other work;
 *  - when the program synchronises its context (cuCtxSynchronize: e.g.
 *    cudaDeviceSynchronize) and nothing was launched meanwhile, its device is
 *    idle: the window is reported and, where others may wait for the device
 *    (the module's turns), the lease is returned (hand_over_locked), as
 *    libvgpu does at vgpu_session_sync; never while another thread's launch
 *    holds a lease granted and not yet queued (cp.inflight). Else a process
 *    that synchronised and went on with host work kept its turn until it
 *    lapsed (up to its guest's period + the grant: other guests' processes
 *    stalled a second with periods of 1 s).
 * Launches into a capturing stream run nothing now (their graph's launch is
 * what is counted) and are passed through untouched, never synchronised.
 * Without a compute limit (in-process, no cap or weight) the launch path
 * costs a clock read; the ledger is asked again every 50 ms, and no watcher
 * is started. VGPU_PRELOAD_TRACE=PATH writes the leases, windows and waits
 * at exit (tr_add()).
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
/* no counted launch for this long, a window open and its work due: the
 * watcher looks whether the device is idle (see watch()) */
#define QUIET_NS	(2ull * 1000000)
/* a synchronisation that took longer waited for the device */
#define WAITED_NS	(100ull * 1000)

static struct {
	pthread_mutex_t lock;
	bool on;		/* leases in force */
	uint64_t next_check;	/* when off: when to ask the ledger again */
	uint64_t left_ns, used_ns, slice_ns, est_ns;
	uint64_t async_since, async_n;
	uint64_t launches;	/* counted launches queued, ever */
	uint64_t last_ns;	/* when the last one was queued */
	unsigned int inflight;	/* counted launches between compute_before and _after */
	CUcontext ctx;		/* the context of the window's first launch */
	int dev;
	/* the watcher: started with the first window; cond: a window opened */
	pthread_cond_t cond;
	bool watching, watcher_waits, stop;
	bool watcher_syncs;	/* the watcher is in its synchronisation */
} cp = { .lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * Stream captures of every thread begun and not ended. A context's
 * synchronisation while any stream of its device captures invalidates that
 * capture (whatever the capture modes), so the watcher looks only while none
 * is underway; cap_lock is held across its synchronisation and across a
 * capture's begin, so that none begins meanwhile.
 */
static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;
static int captures;

/*
 * VGPU_PRELOAD_TRACE=PATH: every lease asked, window measured and wait for
 * the refill, kept in memory (the slow paths only, under cp.lock) and written
 * to PATH at exit, one line each:
 *   L t0 t1 request used granted wait busy consumed   a lease asked
 *   W start end launches estimate how               a window measured (how: 0 the
 *                                                    synchronisation failed, 1 it
 *                                                    waited for the device, 2 the
 *                                                    watcher found it idle)
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

typedef CUresult (*capturing_t)(CUstream, CUstreamCaptureStatus *);
typedef CUresult (*ctx_t)(CUcontext);
/* hooked below: the driver's own, for the synchronisations of the books */
PL_FWD(cuCtxSynchronize, CUresult, (void));

/*
 * The context is idle since @end at the latest: the window of queued launches
 * is over. @how: WIN_SYNC the device was synchronised at @end (a lease's end,
 * the program's synchronisation, the watcher waiting for the device);
 * WIN_IDLE the watcher found it idle already (the window holds up to
 * QUIET_NS of idle device: it never raises the estimate, which would push
 * the watcher's next look later each time); WIN_FAILED the synchronisation
 * failed: the window is dropped, nothing charged.
 */
enum { WIN_FAILED, WIN_SYNC, WIN_IDLE };

static void window_end_locked(uint64_t end, int how)
{
	uint64_t w, per;

	if (!cp.async_since)
		return;
	if (how != WIN_FAILED) {
		w = end > cp.async_since ? end - cp.async_since : 0;
		cp.used_ns += w;
		per = w / (cp.async_n ? cp.async_n : 1);
		if (how != WIN_IDLE || !cp.est_ns || per < cp.est_ns)
			cp.est_ns = per;
	}
	tr_add('W', cp.async_since, end, cp.async_n, cp.est_ns, how, 0, 0, 0);
	cp.async_since = 0;
	cp.async_n = 0;
}

/* the window of queued launches is over once the context is idle */
static void settle_locked(void)
{
	bool idle;

	if (!cp.async_since)
		return;
	pl_depth++;
	idle = PL_REAL(cuCtxSynchronize) && real_cuCtxSynchronize() == CUDA_SUCCESS;
	pl_depth--;
	window_end_locked(now_ns(), idle ? WIN_SYNC : WIN_FAILED);
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

/*
 * The device is idle and no launch is on its way (none between
 * compute_before and _after: a lease granted to another thread is not handed
 * back under it): where another may wait for the device (the module's turns;
 * another session of this process waiting), the lease goes back now rather
 * than when the turn lapses.
 */
static void hand_over_locked(struct vgpu_lib_ledger *l)
{
	if (l && cp.on && cp.left_ns && !cp.inflight &&
	    (vgpu_ledger_compute_kernel_turns(l) || vgpu_ledger_compute_wanted(l, cp.dev)))
		return_locked(l);
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
	cp.inflight++;
	pthread_mutex_unlock(&cp.lock);
	return true;
}

/*
 * The watcher: a window is measured on the host's clock up to the
 * synchronisation that ends it, so a program that queued a launch and went on
 * with host work (PyTorch's first matmul: ~90 ms of cuBLAS set-up on the
 * H200 machine between two launches of one window, charged whole, a debt
 * that throttled the next 200 ms) was charged that host work as GPU time.
 * When no counted launch came for QUIET_NS and the window's work is due
 * (its launches at the last window's time each), this thread synchronises
 * the window's context, outside the lock; if still no launch came nor is
 * being queued (compute_before to _after, cp.inflight), the window ends at
 * that synchronisation's return: it is charged the device's time and at most
 * QUIET_NS and a wake-up of what the host did after. A launch that came
 * meanwhile keeps the window open (it ends later, as before). Its clock is
 * the device's completion, never an estimate: a kernel longer than its
 * estimate holds the synchronisation until it is done.
 */
static void *watch(void *arg)
{
	static ctx_t set;
	CUcontext mine = NULL;
	/* started by a counted launch: the ledger is there */
	struct vgpu_lib_ledger *l = pl_ledger();

	(void)arg;
	if (!set)
		set = (ctx_t)pl_cu_sym("cuCtxSetCurrent");
	pthread_mutex_lock(&cp.lock);
	while (!cp.stop && PL_REAL(cuCtxSynchronize) && set) {
		uint64_t now = now_ns(), due, n, t0 = 0, t;
		CUcontext ctx;
		struct timespec ts;
		bool ok, busy;

		if (!cp.async_since) {
			cp.watcher_waits = true;
			pthread_cond_wait(&cp.cond, &cp.lock);
			cp.watcher_waits = false;
			continue;
		}
		due = cp.last_ns + QUIET_NS;
		if (cp.async_since + cp.async_n * cp.est_ns > due)
			due = cp.async_since + cp.async_n * cp.est_ns;
		if (cp.inflight && due < now + QUIET_NS)
			due = now + QUIET_NS;
		if (now < due) {
			ts.tv_sec = (time_t)(due / 1000000000ull);
			ts.tv_nsec = (long)(due % 1000000000ull);
			pthread_cond_timedwait(&cp.cond, &cp.lock, &ts);
			continue;
		}
		n = cp.launches;
		ctx = cp.ctx;
		cp.watcher_syncs = true;
		pthread_mutex_unlock(&cp.lock);
		pthread_mutex_lock(&cap_lock);
		busy = __atomic_load_n(&captures, __ATOMIC_RELAXED) > 0;
		ok = !busy && ctx && (ctx == mine || !set(ctx));
		if (ok) {
			mine = ctx;
			t0 = now_ns();
			pl_depth++;
			ok = real_cuCtxSynchronize() == CUDA_SUCCESS;
			pl_depth--;
		}
		pthread_mutex_unlock(&cap_lock);
		t = now_ns();
		pthread_mutex_lock(&cp.lock);
		cp.watcher_syncs = false;
		if (cp.stop) {
			pthread_cond_broadcast(&cp.cond);	/* pl_compute_fini waits */
			break;
		}
		if (cp.launches != n || cp.inflight || cp.ctx != ctx)
			continue;	/* a launch came: the window goes on */
		if (busy) {
			/* a capture is underway: look again later */
			cp.last_ns = t;
			continue;
		}
		if (ok) {
			/* waited for the device, or found it idle: the program
			 * went on with host work, the device may go to another */
			window_end_locked(t, t - t0 > WAITED_NS ? WIN_SYNC : WIN_IDLE);
			hand_over_locked(l);
		} else {
			/* the synchronisation failed: the lease's end will look
			 * (settle_locked); this thread again after a new launch,
			 * or in FREE_LEASE_NS */
			cp.last_ns = t + FREE_LEASE_NS;
		}
	}
	pthread_mutex_unlock(&cp.lock);
	return NULL;
}

static void watch_child(void)
{
	pthread_mutex_init(&cp.lock, NULL);
	cp.watching = false;
	cp.watcher_waits = false;
}

/* a window opens: start the watcher or wake it */
static void watch_start_locked(void)
{
	pthread_condattr_t a;
	pthread_attr_t ta;
	pthread_t t;

	if (cp.watching) {
		if (cp.watcher_waits)
			pthread_cond_signal(&cp.cond);
		return;
	}
	cp.watching = true;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&cp.cond, &a);
	pthread_condattr_destroy(&a);
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&ta, 64 * 1024);
	if (pthread_create(&t, &ta, watch, NULL))
		cp.watching = false;	/* tried again at the next window */
	else
		pthread_atfork(NULL, NULL, watch_child);
	pthread_attr_destroy(&ta);
}

/* after a launch was queued: its estimate comes off the lease */
static void compute_after(CUresult r)
{
	pthread_mutex_lock(&cp.lock);
	cp.inflight--;
	if (r != CUDA_SUCCESS) {
		pthread_mutex_unlock(&cp.lock);
		return;
	}
	cp.last_ns = now_ns();
	if (!cp.async_since) {
		uint64_t ctx;

		cp.async_since = cp.last_ns;
		pl_cur_dev(&ctx);
		cp.ctx = (CUcontext)(uintptr_t)ctx;
		watch_start_locked();
	}
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
	cp.stop = true;
	if (cp.watcher_waits)
		pthread_cond_signal(&cp.cond);
	/* the watcher in the driver while the process's exit tears it down:
	 * wait (bounded: a hung device must not hang the exit) for it to leave */
	if (cp.watcher_syncs) {
		uint64_t until = now_ns() + 1000000000ull;
		struct timespec ts = { (time_t)(until / 1000000000ull), (long)(until % 1000000000ull) };

		while (cp.watcher_syncs && pthread_cond_timedwait(&cp.cond, &cp.lock, &ts) != ETIMEDOUT)
			;
	}
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
		window_end_locked(now_ns(), WIN_SYNC);	/* idle: the window is over */
		hand_over_locked(l);
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

/* captures: counted for the watcher (see cap_lock) */
static void capture_begun(CUresult r)
{
	if (r == CUDA_SUCCESS)
		__atomic_add_fetch(&captures, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&cap_lock);
}

/* a capture's end ends it, also an invalidated one's; an error else
 * (a stream not capturing) counts nothing. Never below 0. */
static CUresult capture_ended(CUresult r)
{
	int n = __atomic_load_n(&captures, __ATOMIC_RELAXED);

	if (r == CUDA_SUCCESS || r == CUDA_ERROR_STREAM_CAPTURE_INVALIDATED)
		while (n > 0 && !__atomic_compare_exchange_n(&captures, &n, n - 1, false,
							     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			;
	return r;
}

#define CAPTURE_BODY(name, call)						\
	do {									\
		CUresult r;							\
		if (!PL_REAL(name))						\
			return CUDA_ERROR_NOT_FOUND;				\
		pthread_mutex_lock(&cap_lock);					\
		r = call;							\
		capture_begun(r);						\
		return r;							\
	} while (0)

PL_HOOK(cuStreamBeginCapture, CUresult, (CUstream hStream))
{
	CAPTURE_BODY(cuStreamBeginCapture, real_cuStreamBeginCapture(hStream));
}

PL_HOOK(cuStreamBeginCapture_ptsz, CUresult, (CUstream hStream))
{
	CAPTURE_BODY(cuStreamBeginCapture_ptsz, real_cuStreamBeginCapture_ptsz(hStream));
}

PL_HOOK(cuStreamBeginCapture_v2, CUresult, (CUstream hStream, CUstreamCaptureMode mode))
{
	CAPTURE_BODY(cuStreamBeginCapture_v2, real_cuStreamBeginCapture_v2(hStream, mode));
}

PL_HOOK(cuStreamBeginCapture_v2_ptsz, CUresult, (CUstream hStream, CUstreamCaptureMode mode))
{
	CAPTURE_BODY(cuStreamBeginCapture_v2_ptsz, real_cuStreamBeginCapture_v2_ptsz(hStream, mode));
}

PL_HOOK(cuStreamBeginCaptureToGraph, CUresult, (CUstream hStream, CUgraph hGraph,
					       const CUgraphNode *dependencies,
					       const CUgraphEdgeData *dependencyData,
					       size_t numDependencies, CUstreamCaptureMode mode))
{
	CAPTURE_BODY(cuStreamBeginCaptureToGraph,
		     real_cuStreamBeginCaptureToGraph(hStream, hGraph, dependencies, dependencyData,
						      numDependencies, mode));
}

PL_HOOK(cuStreamBeginCaptureToGraph_ptsz, CUresult, (CUstream hStream, CUgraph hGraph,
						    const CUgraphNode *dependencies,
						    const CUgraphEdgeData *dependencyData,
						    size_t numDependencies, CUstreamCaptureMode mode))
{
	CAPTURE_BODY(cuStreamBeginCaptureToGraph_ptsz,
		     real_cuStreamBeginCaptureToGraph_ptsz(hStream, hGraph, dependencies,
							   dependencyData, numDependencies, mode));
}

PL_HOOK(cuStreamEndCapture, CUresult, (CUstream hStream, CUgraph *phGraph))
{
	if (!PL_REAL(cuStreamEndCapture))
		return CUDA_ERROR_NOT_FOUND;
	return capture_ended(real_cuStreamEndCapture(hStream, phGraph));
}

PL_HOOK(cuStreamEndCapture_ptsz, CUresult, (CUstream hStream, CUgraph *phGraph))
{
	if (!PL_REAL(cuStreamEndCapture_ptsz))
		return CUDA_ERROR_NOT_FOUND;
	return capture_ended(real_cuStreamEndCapture_ptsz(hStream, phGraph));
}
