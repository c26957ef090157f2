// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_cuda_double: libvgpu's CUDA backend (src/cuda/cuda.c, src/gpu/) over
 * the CUDA driver's TEST DOUBLE (tests/preload/fakecuda.c, named by
 * VGPU_CUDA_LIBRARY; tests/suites/host/25-preload builds it and runs this),
 * where there is no GPU: a session opens on it, a PTX image loads, launches
 * run on its made-up device queue (FAKECUDA_KERNEL_US of made-up device time
 * each), and GPU time is read on the double's device clock - its events
 * complete when the made-up queue reaches them. Without VGPU_CUDA_LIBRARY
 * every result is skipped, with that reason.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#include "common.h"

static const char ptx[] = ".version 6.0\n.target sm_50\n.address_size 64\n"
			  ".visible .entry tiny(.param .u64 p, .param .u32 n)\n{\n\tret;\n}\n";

struct rig {
	vgpu_session *s;
	vgpu_kernel *k;
	vgpu_buffer *b;
};

static int rig_open(struct rig *r, const char *guest, unsigned int cap)
{
	struct vgpu_session_opts o = { .size = sizeof(o) };
	vgpu_module *m;
	int ret;

	memset(r, 0, sizeof(*r));
	o.flags = VGPU_SESSION_NO_DEVICE_LEDGER | VGPU_SESSION_LIMITS;
	o.guest = guest;
	o.backend = VGPU_BACKEND_CUDA;
	o.mem_limit = 1ull << 30;
	o.pinned_limit = 1ull << 30;
	o.context_limit = 4;
	ret = vgpu_session_open(&r->s, &o);
	if (ret)
		return ret;
	ret = cap ? vgpu_ledger_set_compute(r->s, cap, 100000, 0) : 0;
	ret = ret ?: vgpu_module_load(r->s, ptx, sizeof(ptx), VGPU_IMAGE_PTX, &m);
	ret = ret ?: vgpu_kernel_get(m, "tiny", &r->k);
	ret = ret ?: vgpu_buffer_alloc(r->s, 4096, &r->b);
	if (ret)
		tap_diag("%s: %s", guest, vgpu_last_error(r->s));
	return ret;
}

static int launch_async(struct rig *r, int n)
{
	struct vgpu_launch_cfg c = { .size = sizeof(c), .flags = VGPU_LAUNCH_ASYNC };
	struct vgpu_arg a[] = { vgpu_arg_buf(r->b), vgpu_arg_u32(1) };
	int ret = 0;

	c.grid = (struct vgpu_dim3){ 1, 1, 1 };
	c.block = (struct vgpu_dim3){ 32, 1, 1 };
	for (int i = 0; i < n && !ret; i++)
		ret = vgpu_launch(r->k, &c, a, 2);
	return ret;
}

static struct vgpu_stats stats(struct rig *r)
{
	struct vgpu_stats st = { .size = sizeof(st) };

	vgpu_stats_get(r->s, &st);
	return st;
}

/*
 * libvgpu trusts the context it made current on a thread for asynchronous
 * launches; the application may make another current (or none) in between.
 * The double refuses a function of another context, as the driver does:
 * the launches must still run, in the session's context.
 */
static void other_context(struct rig *a)
{
	void *lib = dlopen(getenv("VGPU_CUDA_LIBRARY"), RTLD_NOW | RTLD_NOLOAD);
	int (*create)(void **ctx, unsigned int flags, int dev) = lib ? dlsym(lib, "cuCtxCreate_v2") : NULL;
	int (*set)(void *ctx) = lib ? dlsym(lib, "cuCtxSetCurrent") : NULL;
	int (*destroy)(void *ctx) = lib ? dlsym(lib, "cuCtxDestroy_v2") : NULL;
	struct vgpu_stats st0, st1;
	void *mine = NULL;
	int ret, r1 = -1, r2 = -1, r3 = -1;

	if (!create || !set || !destroy) {
		tap_ok(0, "cuda over the double: launches after the application changed the context "
		       "(the double's cuCtxCreate_v2, cuCtxSetCurrent, cuCtxDestroy_v2: %s)", dlerror());
		return;
	}
	ret = launch_async(a, 1) ?: vgpu_session_sync(a->s, -1);	/* the session's, current */
	st0 = stats(a);
	ret = ret ?: create(&mine, 0, 0);	/* made current */
	if (!ret) {
		r1 = launch_async(a, 2);
		set(mine);
		r2 = launch_async(a, 1);
		set(NULL);
		r3 = launch_async(a, 1);
		ret = vgpu_session_sync(a->s, -1);
		destroy(mine);
	}
	st1 = stats(a);
	tap_ok(!ret && !r1 && !r2 && !r3 && st1.launches_gpu_ok == st0.launches_gpu_ok + 4 &&
	       st1.launches_gpu == st0.launches_gpu + 4,
	       "cuda over the double: launches after the application changed the context run in the "
	       "session's (%d; after a context of its own was made %d, made again %d, none current %d; "
	       "%llu of 4 ran)", ret, r1, r2, r3,
	       (unsigned long long)(st1.launches_gpu_ok - st0.launches_gpu_ok));
	dlclose(lib);
}

/* one guest's thread: short async launches for @ms of the host's time */
struct turn_arg {
	struct rig r;
	uint64_t ms, launches;
	int ret;
};

static void *turns(void *p)
{
	struct turn_arg *t = p;
	uint64_t end = t_now_ns() + t->ms * 1000000ull;

	while (!t->ret && t_now_ns() < end) {
		t->ret = launch_async(&t->r, 16);
		t->launches += 16;
	}
	t->ret = t->ret ?: vgpu_session_sync(t->r.s, -1);
	return NULL;
}

/*
 * Two capped guests of 20 us kernels take turns (in-process ledger, leases
 * of 10 ms): a lease's end hands the device over at its hand-over mark, before
 * its last kernels ran; the rest of its window is charged later. Every
 * kernel is charged (together at least their device time) and no device
 * time twice (together at most the host's time around them: the two
 * sessions' windows on the double's one device clock do not overlap).
 */
static void early_handover(void)
{
	const uint64_t k_ns = 20000;
	struct turn_arg t[2] = { { .ms = 300 }, { .ms = 300 } };
	struct vgpu_stats st[2];
	pthread_t th[2];
	uint64_t t0, t1, charged = 0, early = 0, n = 0;
	int ret;

	setenv("FAKECUDA_KERNEL_US", "20", 1);	/* the double reads it at each launch */
	ret = rig_open(&t[0].r, "cd-turn-a", 50) ?: rig_open(&t[1].r, "cd-turn-b", 50);
	/* each session's first window (a launch alone) before the clock starts */
	for (int i = 0; i < 2 && !ret; i++)
		ret = launch_async(&t[i].r, 1) ?: vgpu_session_sync(t[i].r.s, -1);
	for (int i = 0; i < 2 && !ret; i++)
		st[i] = stats(&t[i].r);
	t0 = t_now_ns();
	for (int i = 0; i < 2 && !ret; i++)
		ret = pthread_create(&th[i], NULL, turns, &t[i]) ? -EAGAIN : 0;
	for (int i = 0; i < 2 && !ret; i++)
		pthread_join(th[i], NULL);
	t1 = t_now_ns();
	for (int i = 0; i < 2 && !ret; i++) {
		struct vgpu_stats e = stats(&t[i].r);

		ret = t[i].ret;
		charged += e.compute_ns - st[i].compute_ns;
		early += e.compute_early_handovers - st[i].compute_early_handovers;
		n += t[i].launches;
	}
	tap_ok(!ret && early > 0 && charged >= n * k_ns && charged <= t1 - t0,
	       "cuda over the double: turns of short kernels hand over early, nothing lost (%d; %llu "
	       "early hand-overs; %.3f ms charged for %llu kernels of %.3f ms, %.3f ms on the host)",
	       ret, (unsigned long long)early, charged / 1e6, (unsigned long long)n, k_ns / 1e6,
	       (t1 - t0) / 1e6);
	for (int i = 0; i < 2; i++)
		if (t[i].r.s)
			vgpu_session_close(t[i].r.s);
}

/*
 * A capped guest alone (in-process ledger, leases of 10 ms), kernels of
 * @kus: with short kernels (@overlap) its leases end without draining the
 * device - each waits for its mark before its last 0.2 ms of kernels and
 * leases again while they run; their time is read later. Longer kernels
 * drain at each lease's end. Every kernel is charged and nothing twice, as
 * with turns.
 */
static void alone_overlaps(const char *kus, bool overlap)
{
	const uint64_t k_ns = strtoull(kus, NULL, 0) * 1000;
	struct turn_arg t = { .ms = 300 };
	struct vgpu_stats st0, st1;
	uint64_t t0, t1, charged = 0;
	int ret;

	setenv("FAKECUDA_KERNEL_US", kus, 1);
	ret = rig_open(&t.r, "cd-alone", 100);
	ret = ret ?: launch_async(&t.r, 1) ?: vgpu_session_sync(t.r.s, -1);
	st0 = stats(&t.r);
	t0 = t_now_ns();
	if (!ret) {
		turns(&t);
		ret = t.ret;
	}
	t1 = t_now_ns();
	st1 = stats(&t.r);
	charged = st1.compute_ns - st0.compute_ns;
	tap_ok(!ret && (st1.compute_overlapped_leases > st0.compute_overlapped_leases) == overlap &&
	       st1.compute_early_handovers == st0.compute_early_handovers &&
	       charged >= t.launches * k_ns && charged <= t1 - t0,
	       "cuda over the double: a guest alone, kernels of %s us, %s, nothing lost (%d; %llu of "
	       "%llu leases overlapped; %.3f ms charged for %llu kernels, %.3f ms on the host)", kus,
	       overlap ? "ends its leases without draining the device" : "drains at its leases' ends", ret,
	       (unsigned long long)(st1.compute_overlapped_leases - st0.compute_overlapped_leases),
	       (unsigned long long)(st1.compute_leases - st0.compute_leases), charged / 1e6,
	       (unsigned long long)t.launches, (t1 - t0) / 1e6);
	if (t.r.s)
		vgpu_session_close(t.r.s);
}

int main(void)
{
	const char *lib = getenv("VGPU_CUDA_LIBRARY");
	const char *kus = getenv("FAKECUDA_KERNEL_US");
	uint64_t k_ns = (kus ? strtoull(kus, NULL, 0) : 1000) * 1000;
	struct vgpu_device_props p = { .size = sizeof(p) };
	struct vgpu_stats st0, st1;
	struct rig a, b;
	uint64_t t0, t1;
	int ret;

	printf("TAP version 13\n");
	if (!lib || access(lib, R_OK)) {
		const char *why = "VGPU_CUDA_LIBRARY does not name the CUDA driver's test double";

		tap_skip(why, "cuda over the driver's double: a session opens");
		tap_skip(why, "cuda over the double: asynchronous windows are read on the device's clock");
		tap_skip(why, "cuda over the double: another session's queued work is not charged");
		tap_skip(why, "cuda over the double: launches after the application changed the context");
		tap_skip(why, "cuda over the double: turns of short kernels hand over early, nothing lost");
		tap_skip(why, "cuda over the double: a guest alone, kernels of 20 us, ends its leases "
			 "without draining the device");
		tap_skip(why, "cuda over the double: a guest alone, kernels of 2000 us, drains at its "
			 "leases' ends");
		return tap_done();
	}

	ret = rig_open(&a, "cd-capped", 100);
	if (!ret && vgpu_session_backend(a.s) == VGPU_BACKEND_CUDA)
		ret = vgpu_device_props(a.s, 0, &p);
	tap_ok(!ret && vgpu_session_backend(a.s) == VGPU_BACKEND_CUDA && p.cc_major == 9 &&
	       p.warp_size == 32,
	       "cuda over the driver's double: a session opens, a PTX image loads (%d; cc %u.%u)", ret,
	       p.cc_major, p.cc_minor);
	if (ret)
		return tap_done();

	/* the first async launch is a window alone; then 4 launches, one window */
	ret = launch_async(&a, 1) ?: vgpu_session_sync(a.s, -1);
	st0 = stats(&a);
	t0 = t_now_ns();
	ret = ret ?: launch_async(&a, 4) ?: vgpu_session_sync(a.s, -1);
	t1 = t_now_ns();
	st1 = stats(&a);
	tap_ok(!ret && st1.compute_device_windows == st0.compute_device_windows + 1 &&
	       st1.compute_ns - st0.compute_ns >= 4 * k_ns && st1.compute_ns - st0.compute_ns <= t1 - t0,
	       "cuda over the double: asynchronous windows are read on the device's clock (%d; %.3f ms "
	       "charged for 4 kernels of %.3f ms, %.3f ms on the host)", ret,
	       (st1.compute_ns - st0.compute_ns) / 1e6, k_ns / 1e6, (t1 - t0) / 1e6);

	/*
	 * Two sessions without limits (no turns): 12 kernels of A queued, then
	 * one of B. B's window starts when the device reaches B's work, so B is
	 * charged its own kernel, not A's queue ahead of it (the host's clock
	 * would charge it both).
	 */
	ret = rig_open(&b, "cd-other", 0);
	if (!ret) {
		struct rig c;

		ret = rig_open(&c, "cd-queue", 0);
		if (!ret) {
			ret = launch_async(&c, 1) ?: vgpu_session_sync(c.s, -1);	/* c's first window */
			ret = ret ?: launch_async(&b, 1) ?: vgpu_session_sync(b.s, -1);
			st0 = stats(&b);
			ret = ret ?: launch_async(&c, 12);
			t0 = t_now_ns();
			ret = ret ?: launch_async(&b, 1) ?: vgpu_session_sync(b.s, -1);
			t1 = t_now_ns();
			st1 = stats(&b);
			vgpu_session_sync(c.s, -1);
			tap_ok(!ret && st1.compute_device_windows == st0.compute_device_windows + 1 &&
			       st1.compute_ns - st0.compute_ns >= k_ns &&
			       st1.compute_ns - st0.compute_ns < 3 * k_ns && t1 - t0 >= 12 * k_ns,
			       "cuda over the double: another session's queued work is not charged (%d; %.3f ms "
			       "charged for 1 kernel of %.3f ms behind 12 of another's, %.3f ms on the host)",
			       ret, (st1.compute_ns - st0.compute_ns) / 1e6, k_ns / 1e6, (t1 - t0) / 1e6);
			vgpu_session_close(c.s);
		} else {
			tap_ok(0, "cuda over the double: another session's queued work is not charged (%d)", ret);
		}
		vgpu_session_close(b.s);
	} else {
		tap_ok(0, "cuda over the double: another session's queued work is not charged (%d)", ret);
	}
	other_context(&a);
	vgpu_session_close(a.s);
	early_handover();
	alone_overlaps("20", true);
	alone_overlaps("2000", false);
	return tap_done();
}
