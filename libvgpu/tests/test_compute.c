// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * GPU time with the in-process ledger on the CPU backend (whose kernels' run
 * time is its device time): no limit costs nothing and is still measured; a
 * cap bounds the time a saturating session gets per period and makes it wait
 * (counted); a refill later than the launch's timeout is -ETIME; weights 1:3
 * share the device 1:3 between two guests of the process; a session waiting
 * for the device is woken when its holder lets it go; settings checked;
 * the figures reach vgpu_ledger_usage, the statistics and Prometheus text.
 *
 * Shares are ratios of times measured in the run. A loaded machine may run
 * a session less than its share (the bounds below are loose there) but the
 * ledger never lets it run more (those bounds are tight).
 */
#include <pthread.h>
#include <time.h>

#include "common.h"

static const char src[] =
"extern \"C\" __global__ void spin(float *p, int n)\n"
"{ float x = p[0]; for (int i = 0; i < n; i++) x = x * 0.9999f + 0.0001f;\n"
"  if (threadIdx.x == 0 && blockIdx.x == 0) p[0] = x; }\n";

struct rig {
	vgpu_session *s;
	vgpu_module *m;
	vgpu_kernel *k;
	vgpu_buffer *b;
	int n;			/* iterations for about 2 ms */
};

static int rig_open(struct rig *r, const char *guest)
{
	float zero = 0;

	memset(r, 0, sizeof(*r));
	r->s = t_session(guest, 0);
	if (!r->s)
		return -1;
	if (vgpu_module_compile(r->s, src, 0, NULL, &r->m) ||
	    vgpu_kernel_get(r->m, "spin", &r->k) || vgpu_buffer_alloc(r->s, 4, &r->b) ||
	    vgpu_buffer_write(r->b, 0, &zero, 4)) {
		tap_diag("rig %s: %s", guest, vgpu_last_error(r->s));
		return -1;
	}
	r->n = 100000;
	return 0;
}

static int spin(struct rig *r, int timeout_ms)
{
	struct vgpu_launch_cfg c = { .size = sizeof(c), .grid = { 1, 1, 1 }, .block = { 1, 1, 1 },
				     .timeout_ms = timeout_ms };
	struct vgpu_arg a[2] = { vgpu_arg_buf(r->b), vgpu_arg_i32(r->n) };

	return vgpu_launch(r->k, &c, a, 2);
}

/* scale the loop so that a launch takes about 2 ms */
static void calibrate(struct rig *r)
{
	uint64_t t = t_now_ns();

	for (int i = 0; i < 5; i++)
		spin(r, 0);
	t = (t_now_ns() - t) / 5;
	if (t)
		r->n = (int)((double)r->n * 2e6 / (double)t) + 1;
}

static void rig_close(struct rig *r)
{
	vgpu_session_close(r->s);
}

static struct vgpu_stats stats(vgpu_session *s)
{
	struct vgpu_stats st = { .size = sizeof(st) };

	vgpu_stats_get(s, &st);
	return st;
}

/* spin once; *@longest: the longest launch's device time so far (from @st, updated) */
static int spin_longest(struct rig *r, struct vgpu_stats *st, uint64_t *longest)
{
	uint64_t c0 = st->compute_ns;
	int ret = spin(r, 0);

	*st = stats(r->s);
	if (st->compute_ns - c0 > *longest)
		*longest = st->compute_ns - c0;
	return ret;
}

static struct vgpu_ledger_usage usage(vgpu_session *s)
{
	struct vgpu_ledger_usage u = { .size = sizeof(u) };

	vgpu_ledger_usage(s, &u);
	return u;
}

static void unlimited(void)
{
	struct rig r;
	struct vgpu_stats st;

	if (rig_open(&r, "cp-free")) {
		tap_ok(0, "compute: unlimited rig");
		return;
	}
	calibrate(&r);
	for (int i = 0; i < 10; i++)
		spin(&r, 0);
	st = stats(r.s);
	tap_ok(st.compute_ns > 0 && st.compute_ns <= st.launch_ns && !st.compute_device_windows,
	   "compute: no limit: CPU run time measured on the host's clock (%.1f ms of %.1f ms in "
	   "launches, %llu device-timed windows)", st.compute_ns / 1e6, st.launch_ns / 1e6,
	   (unsigned long long)st.compute_device_windows);
	tap_ok(st.compute_leases == 0 && st.compute_throttled_ns == 0,
	   "compute: no limit: no lease asked, never throttled");
	rig_close(&r);
}

static void cap(void)
{
	struct rig r;
	struct vgpu_stats st0, st1;
	struct vgpu_ledger_usage u;
	uint64_t t0, t1, longest = 0;
	double share;
	int ret = 0;

	if (rig_open(&r, "cp-cap")) {
		tap_ok(0, "compute: cap rig");
		return;
	}
	calibrate(&r);
	tap_ok(vgpu_ledger_set_compute(r.s, 20, 50000, 0) == 0, "compute: cap 20 %% of 50 ms set");
	/* a period to settle, then a second of saturation */
	st1 = stats(r.s);
	for (t0 = t_now_ns(); t_now_ns() - t0 < 100000000ull && !ret;)
		ret = spin_longest(&r, &st1, &longest);
	st0 = stats(r.s);
	t0 = t_now_ns();
	while (t_now_ns() - t0 < 1000000000ull && !ret)
		ret = spin_longest(&r, &st1, &longest);
	t1 = t_now_ns();
	st1 = stats(r.s);
	tap_ok(ret == 0, "compute: launches under the cap succeed (they wait)");
	share = (double)(st1.compute_ns - st0.compute_ns) / (double)(t1 - t0);
	tap_diag("cap 20 %%: achieved %.1f %% over %.0f ms, throttled %.0f ms", share * 100,
	       (t1 - t0) / 1e6, (st1.compute_throttled_ns - st0.compute_throttled_ns) / 1e6);
	/* a launch of ~2 ms may start with little budget left: one launch of slack per period;
	 * one the machine stretched runs on past the window (its debt is paid after it) */
	tap_ok(share <= 0.20 + 0.05 + (double)longest / (double)(t1 - t0),
	       "compute: never more than the cap and a launch (%.1f %%, longest launch %.1f ms)",
	       share * 100, longest / 1e6);
	if (t_quick())
		tap_skip("VGPU_TEST_QUICK (valgrind): launches too slow for a share", "compute: about the cap");
	else if (share < 0.10 && longest > 10000000)
		tap_skip("a launch ran longer than the quota (the machine stretched it): its debt "
			 "throttled the window", "compute: about the cap");
	else
		tap_ok(share >= 0.10, "compute: a saturating session gets about its cap (%.1f %%)", share * 100);
	tap_ok(st1.compute_throttled_ns > st0.compute_throttled_ns && st1.compute_refusals > 0,
	   "compute: waits for the refill are counted");
	u = usage(r.s);
	tap_ok(u.compute_limit == 20 && u.compute_period_us == 50000 && u.compute_ns > 0 &&
	   u.compute_limit_hits > 0 && u.compute_throttled_ns > 0,
	   "compute: the guest's books show limit, period, time consumed, refusals, throttled time");
	/* time is reported with the next lease: a period in debt may show 0;
	 * a period's leases may overrun it by a launch at most (the longest
	 * measured, however long a loaded machine made it) */
	tap_ok(u.compute_share_period <= 2000 + longest * 10000 / 50000000 + 100,
	   "compute: share of the last period %u (1/10000), not above the cap and a launch (%.1f ms)",
	   u.compute_share_period, longest / 1e6);

	/* quota of 1 % of 1 s, spent: the next refill is past a 20 ms timeout */
	tap_ok(vgpu_ledger_set_compute(r.s, 1, 1000000, 0) == 0, "compute: cap 1 %% of 1 s");
	do
		ret = spin(&r, 20);
	while (!ret);
	tap_ok(ret == -ETIME && strstr(vgpu_last_error(r.s), "no GPU time left"),
	   "compute: a refill after the launch's timeout is -ETIME: %s", vgpu_last_error(r.s));

	/* settings */
	CHECK_ERR(vgpu_ledger_set_compute(r.s, 101, 0, 0), -EINVAL, "compute: cap 101 %% is EINVAL");
	CHECK_ERR(vgpu_ledger_set_compute(r.s, 10, 9999, 0), -EINVAL, "compute: period 9.999 ms is EINVAL");
	CHECK_ERR(vgpu_ledger_set_compute(r.s, 10, 0, 10001), -EINVAL, "compute: weight 10001 is EINVAL");
	{
		char buf[16384];
		int n = vgpu_stats_prometheus(r.s, buf, sizeof(buf));

		tap_ok(n > 0 && n < (int)sizeof(buf) && strstr(buf, "vgpu_lib_compute_seconds_total{") &&
		   strstr(buf, "vgpu_lib_compute_throttled_seconds_total{") &&
		   strstr(buf, "vgpu_lib_ledger_compute_limit_ratio{") &&
		   strstr(buf, "vgpu_lib_ledger_compute_share_ratio{"),
		   "compute: Prometheus text has the compute metrics");
	}
	rig_close(&r);
}

struct wthread {
	struct rig r;
	uint64_t until;
	int ret;
};

static void *wrun(void *p)
{
	struct wthread *w = p;

	while (t_now_ns() < w->until && !w->ret)
		w->ret = spin(&w->r, 0);
	return NULL;
}

static void weights(void)
{
	struct wthread a, b;
	struct vgpu_ledger_usage ua, ub;
	pthread_t ta, tb;
	uint64_t a0, b0, t0, t1;
	double ratio, sum;

	if (rig_open(&a.r, "cp-w1") || rig_open(&b.r, "cp-w3")) {
		tap_ok(0, "compute: weight rigs");
		return;
	}
	calibrate(&a.r);
	b.r.n = a.r.n;
	a.ret = b.ret = 0;
	tap_ok(vgpu_ledger_set_compute(a.r.s, 0, 100000, 100) == 0 &&
	   vgpu_ledger_set_compute(b.r.s, 0, 100000, 300) == 0, "compute: weights 1 and 3 set");
	a0 = usage(a.r.s).compute_ns;
	b0 = usage(b.r.s).compute_ns;
	t0 = t_now_ns();
	a.until = b.until = t0 + 2000000000ull;
	pthread_create(&ta, NULL, wrun, &a);
	pthread_create(&tb, NULL, wrun, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	t1 = t_now_ns();
	/* the last leases are reported at close */
	vgpu_session_sync(a.r.s, -1);
	ua = usage(a.r.s);
	ub = usage(b.r.s);
	ratio = ua.compute_ns > a0 ? (double)(ub.compute_ns - b0) / (double)(ua.compute_ns - a0) : 0;
	sum = (double)(ua.compute_ns - a0 + ub.compute_ns - b0) / (double)(t1 - t0);
	tap_diag("weights 1:3: %.0f ms and %.0f ms of device time in %.0f ms, ratio %.2f",
	       (ua.compute_ns - a0) / 1e6, (ub.compute_ns - b0) / 1e6, (t1 - t0) / 1e6, ratio);
	tap_ok(a.ret == 0 && b.ret == 0, "compute: weighted launches succeed");
	/* loose: a loaded machine stretches single launches over periods */
	if (t_quick())
		tap_skip("VGPU_TEST_QUICK (valgrind): launches too slow for a share", "compute: weights 1:3");
	else
		/* work-conserving: a thread the loaded machine starves leaves its
		 * share to the other, so only the order is certain here (the
		 * ratios are measured by bench/gpu/compute_share) */
		tap_ok(ratio > 1.0 && ratio < 6, "compute: the heavier weight gets more (%.2f, 3 asked)", ratio);
	tap_ok(sum <= 1.3, "compute: together about the device, no more (%.2f)", sum);
	rig_close(&a.r);
	rig_close(&b.r);
}

/*
 * Sessions of one process take turns on the device: a waiting session is
 * woken when the holder lets the device go (at its next lease end, or its
 * close), not when the holder's hold would lapse (a period: 1 s here).
 */
struct hthread {
	struct rig *r;
	volatile int stop;
	int ret;
	uint64_t done;
};

static void *spin_once(void *p)
{
	struct hthread *h = p;

	h->ret = spin(h->r, 0);
	__atomic_store_n(&h->done, t_now_ns(), __ATOMIC_RELEASE);
	return NULL;
}

static void *hrun(void *p)
{
	struct hthread *h = p;

	while (!h->stop && !h->ret)
		h->ret = spin(h->r, 0);
	return NULL;
}

static void *close_soon(void *p)
{
	struct timespec ts = { 0, 20000000 };

	nanosleep(&ts, NULL);
	rig_close(p);
	return NULL;
}

static void handover(void)
{
	struct rig a, b, c;
	struct hthread h = { .r = &c };
	pthread_t th;
	uint64_t t, c0, c1;
	int ret;

	if (rig_open(&a, "cp-h1") || rig_open(&b, "cp-h2") || rig_open(&c, "cp-h3")) {
		tap_ok(0, "compute: hand-over rigs");
		return;
	}
	calibrate(&a);
	b.n = c.n = a.n;
	tap_ok(vgpu_ledger_set_compute(a.s, 50, 1000000, 0) == 0 &&
	       vgpu_ledger_set_compute(b.s, 50, 1000000, 0) == 0 &&
	       vgpu_ledger_set_compute(c.s, 50, 1000000, 0) == 0, "compute: hand-over caps set");
	/* a holds the device (a lease of 50 ms, held up to its 1 s period) and closes */
	ret = spin(&a, 0);
	pthread_create(&th, NULL, close_soon, &a);
	t = t_now_ns();
	ret = ret ? ret : spin(&b, 0);
	t = t_now_ns() - t;
	pthread_join(th, NULL);
	if (t_quick())
		tap_skip("VGPU_TEST_QUICK (valgrind): launches too slow", "compute: woken at the holder's close");
	else
		tap_ok(ret == 0 && t < 500000000ull,
		       "compute: a session waiting for the device is woken when its holder closes (%.0f ms; the hold lapses after 1000)",
		       t / 1e6);
	/* b lets the device go; c saturates, then b asks: c yields at its next lease end */
	rig_close(&b);
	if (rig_open(&b, "cp-h2")) {
		tap_ok(0, "compute: hand-over rig");
		rig_close(&c);
		return;
	}
	b.n = c.n;
	pthread_create(&th, NULL, hrun, &h);
	while (!stats(c.s).compute_ns && !h.ret)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	c0 = stats(c.s).compute_ns;
	ret = spin(&b, 0);
	c1 = stats(c.s).compute_ns;
	h.stop = 1;
	pthread_join(th, NULL);
	if (t_quick())	/* valgrind runs one thread at a time, for longer than a hand-over */
		tap_skip("VGPU_TEST_QUICK (valgrind): threads too slow to wake", "compute: handed over at a lease end");
	else
		tap_ok(ret == 0 && h.ret == 0 && c1 - c0 < 200000000ull,
		       "compute: a waiting session gets the device at the holder's next lease end (the holder ran %.0f ms meanwhile; its lease is 50 ms, its budget 500)",
		       (c1 - c0) / 1e6);
	rig_close(&b);
	rig_close(&c);
	/* b holds the device and stops; c waits; b synchronises: c runs then */
	if (rig_open(&b, "cp-h4") || rig_open(&c, "cp-h5")) {
		tap_ok(0, "compute: hand-over rigs");
		return;
	}
	b.n = c.n = a.n;
	h = (struct hthread){ .r = &c };
	ret = vgpu_ledger_set_compute(b.s, 50, 1000000, 0) ||
	      vgpu_ledger_set_compute(c.s, 50, 1000000, 0);
	/* a session's first lease is 2 ms: the second or third spin leases 50,
	 * of which b keeps most */
	for (int i = 0; i < 3; i++)
		ret = ret ? ret : spin(&b, 0);
	pthread_create(&th, NULL, spin_once, &h);
	nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	t = t_now_ns();
	/* again every 20 ms while c is not done: on a loaded machine c may not
	 * wait yet at the first (it is handed nothing then) */
	while (!ret && !__atomic_load_n(&h.done, __ATOMIC_ACQUIRE) && t_now_ns() - t < 500000000ull) {
		ret = vgpu_session_sync(b.s, -1);
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
	pthread_join(th, NULL);
	if (t_quick())
		tap_skip("VGPU_TEST_QUICK (valgrind): launches too slow", "compute: handed over at a synchronisation");
	else
		tap_ok(ret == 0 && h.ret == 0 && h.done >= t && h.done - t < 500000000ull,
		       "compute: a session that synchronises while another waits hands the device over (%.0f ms after; its hold lapses after 1000)",
		       ((double)h.done - (double)t) / 1e6);
	/* b holds the device again and its limit is taken off: c runs then */
	h = (struct hthread){ .r = &c };
	ret = vgpu_ledger_set_compute(b.s, 50, 1000000, 0);
	for (int i = 0; i < 3; i++)
		ret = ret ? ret : spin(&b, 0);
	t = t_now_ns();
	ret = ret ? ret : vgpu_ledger_set_compute(b.s, 0, 0, 0);
	pthread_create(&th, NULL, spin_once, &h);
	pthread_join(th, NULL);
	if (t_quick())
		tap_skip("VGPU_TEST_QUICK (valgrind): launches too slow", "compute: a limit taken off lets the device go");
	else
		tap_ok(ret == 0 && h.ret == 0 && h.done - t < 500000000ull,
		       "compute: a session whose limit is taken off lets the device go (another ran %.0f ms after; the hold lapses after 1000)",
		       ((double)h.done - (double)t) / 1e6);
	rig_close(&b);
	rig_close(&c);
}

int main(void)
{
	unlimited();
	cap();
	weights();
	handover();
	return tap_done();
}
