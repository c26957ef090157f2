// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * compute_share - GPU time shares through libvgpu, measured in one run.
 *
 *   compute_share cuda|cpu [--kernel] [--quick] [--warm] [--tiny|--long] [--config NAME] [--overhead] [--period-us US]
 *   compute_share cuda|cpu --kernel --one GUEST SECONDS
 *
 * Achieved share = work a guest completes per second under sharing / work it
 * completes alone (same kernel, same run). Each guest is one session (its
 * own guest name) in a thread of this process, saturating the device with
 * unsynchronised asynchronous launches of a kernel of about 5 us of device
 * time ("tiny", calibrated where the device, not the launching thread, is
 * the bottleneck) or 10 ms ("long") that fills every multiprocessor. Reported: target and
 * achieved for caps 10/90, 30/70, 50/50 and weights 1:3 (2 guests), caps
 * 10/20/30/40 (4 guests), weights 1..8 (8 guests), over the first second
 * after a one-second settle and over ten seconds; the settle time after a
 * limit change (30/70 -> 70/30: the end of the first 300 ms window from which
 * on both shares stay within 5 points of the new targets); the launch cost and the
 * saturating throughput with a 100 % cap (accounting on) against no limit
 * (accounting off). Beside each share: "charged", the device time the
 * ledger charged the guest over the window / the window, and "rate", its
 * launches per charged second / launches per second alone (1.0: a launch
 * costs the guest what it costs alone; above 1: launches ran uncharged).
 * Then "launch_us": the mean time of the guest's launch calls that did not
 * wait (beside the same of its configuration's baseline), and "waits/s" and
 * "waiting": the calls that took over 20 us (a lease's synchronisation,
 * another guest's turn, a refill) and the part of the window they took.
 * The settle line is followed by the 300 ms shares it was read from.
 * For tiny kernels, "own": the share against the guest's own baseline,
 * its launches per second alone (no limit) in the thread it shares in,
 * measured in a slot of its own before the shared phase and after it
 * (0.5 s each, the other guests idle; both printed): a launch-bound
 * kernel's launch rate depends on the thread's CPU and drifts over seconds.
 * --config NAME runs that configuration alone ("settle": the settle run), no
 * overhead;
 * --overhead runs only the launch cost and the throughput with a 100 % cap;
 * --period-us sets the guests' period (default 100 ms).
 *
 * The ledger is libvgpu's in-process one (set with vgpu_ledger_set_compute)
 * unless --kernel: then guests cs-g0..cs-g3 must exist in /dev/vgpu with the
 * caps 10/90 (g0, g1) and 30/70 (g2, g3), and cs-free without a limit (the
 * alone baseline), made by the caller (vgpuctl); only those two pairs run. Prints "key value" lines and a summary table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vgpu/libvgpu.h>

#include "bench_common.h"

#define MAX_G	8

static const char src[] = BENCH_SPIN_SRC;

static int backend;
static int kmode;
static int quick;
static int only;	/* 1: tiny kernels only, 2: long ones */
static uint32_t period_us = 100000;	/* --period-us: the guests' period */
static const char *only_config;	/* --config NAME: that configuration only, no settle */

struct rig {
	vgpu_session *s;
	vgpu_kernel *k;
	vgpu_buffer *b;
	struct vgpu_launch_cfg c;
	int n;
};

static int rig_open(struct rig *r, const char *guest)
{
	struct vgpu_session_opts o = { .size = sizeof(o), .guest = guest, .backend = (uint32_t)backend,
				       .flags = kmode ? VGPU_SESSION_DEVICE_LEDGER :
							VGPU_SESSION_NO_DEVICE_LEDGER };
	struct vgpu_device_props p = { .size = sizeof(p) };
	vgpu_module *m;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = vgpu_session_open(&r->s, &o);
	if (ret) {
		fprintf(stderr, "session %s: %s\n", guest, strerror(-ret));
		return ret;
	}
	ret = vgpu_module_compile(r->s, src, 0, NULL, &m);
	ret = ret ? ret : vgpu_kernel_get(m, "spin", &r->k);
	ret = ret ? ret : vgpu_buffer_alloc(r->s, 4, &r->b);
	ret = ret ? ret : vgpu_device_props(r->s, 0, &p);
	if (ret) {
		fprintf(stderr, "rig %s: %s\n", guest, vgpu_last_error(r->s));
		return ret;
	}
	r->c.size = sizeof(r->c);
	r->c.block.x = backend == VGPU_BACKEND_CPU ? 32 : 256;
	r->c.grid.x = backend == VGPU_BACKEND_CPU ? 1 : (p.multiprocessors ? p.multiprocessors : 1) * 4;
	r->c.grid.y = r->c.grid.z = r->c.block.y = r->c.block.z = 1;
	r->n = 64;
	return 0;
}

static int launch(struct rig *r, bool async)
{
	struct vgpu_arg a[2] = { vgpu_arg_buf(r->b), vgpu_arg_i32(r->n) };

	r->c.flags = async ? VGPU_LAUNCH_ASYNC : 0;
	return vgpu_launch(r->k, &r->c, a, 2);
}

/* n such that one launch takes about @us microseconds, measured saturated */
static void calibrate(struct rig *r, double us)
{
	for (int round = 0; round < 4; round++) {
		int reps = 0;
		double t0 = bench_now(), t;

		do {
			launch(r, true);
			reps++;
		} while (bench_now() - t0 < 0.05);
		vgpu_session_sync(r->s, -1);
		t = (bench_now() - t0) / reps * 1e6;
		r->n = (int)(r->n * us / t) + 1;
	}
}

/* the saturated time of one launch of the rig's kernel, in microseconds */
static double saturated_us(struct rig *r)
{
	int reps = 0;
	double t0 = bench_now();

	do {
		launch(r, true);
		reps++;
	} while (bench_now() - t0 < 0.1);
	vgpu_session_sync(r->s, -1);
	return (bench_now() - t0) / reps * 1e6;
}

/*
 * n such that one launch keeps the device busy about @us microseconds: a
 * line through the saturated times at 20 and 10 times that (the device is
 * the bottleneck there, not the launching thread), read at @us. Calibrated
 * on its saturated time alone, a 5 us kernel came out host-bound on the
 * H200 (2.4-3.7 us on the device behind a 3.2-4.6 us launch), and its shares
 * by launches measured the launching thread's speed, not the device time.
 */
static void calibrate_device(struct rig *r, double us)
{
	int n[2];
	double t[2];

	for (int i = 0; i < 2; i++) {
		calibrate(r, (i ? 10 : 20) * us);
		n[i] = r->n;
		t[i] = saturated_us(r);
	}
	const double b = (t[0] - t[1]) / (n[0] - n[1]), a = t[1] - b * n[1];

	r->n = b > 0 && us > a ? (int)((us - a) / b + 0.5) : n[1] / 10;
	if (r->n < 1)
		r->n = 1;
	printf("calibrate %.1f us of device time: n %d -> %.1f us, n %d -> %.1f us saturated: n = %d\n", us, n[0],
	       t[0], n[1], t[1], r->n);
}

/* ---- a guest thread ---------------------------------------------------------- */

#define BUCKET_NS	100000000ull	/* settle analysis: 100 ms buckets */
#define STALL_S		20e-6		/* a launch call longer than this waited */
#define MAX_BUCKETS	200

struct guest {
	struct rig r;
	char name[32];
	double t_end;
	double w1_start, w1_end, w10_start, w10_end;	/* windows, absolute */
	uint64_t n_w1, n_w10;
	/* over the long window: launch calls that returned within STALL_S of
	 * the previous one (launching) and the others (waiting: a lease's
	 * synchronisation, a turn of another guest, a refill) */
	double launching_s, stalled_s, t_prev;
	uint64_t n_stalls;
	/* own baseline: this guest alone, in its own thread, before and after */
	double own_at[2], shared_at;
	uint64_t n_own[2];
	uint32_t cap, weight;		/* its settings in the shared phase */
	struct vgpu_stats st[2];	/* at the start and end of the long window */
	bool st_taken[2];
	uint64_t bucket[MAX_BUCKETS];
	uint64_t cns[MAX_BUCKETS + 1];	/* compute_ns charged when bucket b began */
	int nb;				/* buckets begun */
	double t0;
	int ret;
};

/* the session's device time measured so far (charged with its next lease) */
static uint64_t charged_ns(struct guest *g)
{
	struct vgpu_stats st = { .size = sizeof(st) };

	vgpu_stats_get(g->r.s, &st);
	return st.compute_ns;
}

static void *saturate(void *p)
{
	struct guest *g = p;
	double t;

	while ((t = bench_now()) < g->t_end && !g->ret) {
		for (int i = 0; i < 2; i++)
			if (!g->st_taken[i] && t >= (i ? g->w10_end : g->w10_start) && g->w10_end > 0) {
				g->st[i].size = sizeof(g->st[i]);
				vgpu_stats_get(g->r.s, &g->st[i]);
				g->st_taken[i] = true;
			}
		g->ret = launch(&g->r, true);
		if (t >= g->w1_start && t < g->w1_end)
			g->n_w1++;
		if (t >= g->w10_start && t < g->w10_end) {
			g->n_w10++;
			if (g->t_prev > 0) {
				double dt = t - g->t_prev;

				if (dt > STALL_S) {
					g->stalled_s += dt;
					g->n_stalls++;
				} else {
					g->launching_s += dt;
				}
			}
			g->t_prev = t;
		}
		if (t >= g->t0 && g->t0 > 0) {
			uint64_t b = (uint64_t)((t - g->t0) * 1e9) / BUCKET_NS;

			if (b < MAX_BUCKETS) {
				g->bucket[b]++;
				if ((int)b >= g->nb) {
					uint64_t c = charged_ns(g);

					while (g->nb <= (int)b)
						g->cns[g->nb++] = c;
				}
			}
		}
	}
	vgpu_session_sync(g->r.s, -1);
	if (g->t0 > 0) {
		uint64_t c = charged_ns(g);

		while (g->nb <= MAX_BUCKETS)
			g->cns[g->nb++] = c;
	}
	if (!g->st_taken[1] && g->w10_end > 0) {
		g->st[1].size = sizeof(g->st[1]);
		vgpu_stats_get(g->r.s, &g->st[1]);
		g->st_taken[1] = true;
	}
	return NULL;
}

/*
 * The own baseline: each guest alone (no limit) in its own slot, in the
 * thread it shares in, before the shared phase and after it, the others
 * idle. A launch-bound kernel's launch rate depends on the thread (its
 * CPU) and drifts over seconds; the configuration's baseline ("base") is
 * another thread a second earlier.
 */
#define OWN_SLOT_S	0.7	/* a guest's slot */
#define OWN_FROM_S	0.15	/* counted from then (the last holder's hold lapses) */
#define OWN_TO_S	0.65	/* to then */

static void sleep_until(double t)
{
	double d;

	while ((d = t - bench_now()) > 0)
		usleep(d > 0.01 ? 10000 : (useconds_t)(d * 1e6) + 1);
}

static void own_slot(struct guest *g, int k)
{
	double s = g->own_at[k], t;

	sleep_until(s);
	vgpu_ledger_set_compute(g->r.s, 100, period_us, 0);
	while ((t = bench_now()) < s + OWN_TO_S && !g->ret) {
		g->ret = launch(&g->r, true);
		if (t >= s + OWN_FROM_S)
			g->n_own[k]++;
	}
	vgpu_session_sync(g->r.s, -1);
}

static void *guest_main(void *p)
{
	struct guest *g = p;

	if (g->own_at[0] > 0) {
		own_slot(g, 0);
		sleep_until(g->shared_at);
		if (vgpu_ledger_set_compute(g->r.s, g->cap, period_us, g->weight))
			g->ret = -EINVAL;
	}
	saturate(g);
	if (g->own_at[1] > 0)
		own_slot(g, 1);
	return NULL;
}

static double own_rate(const struct guest *g)
{
	return (g->n_own[0] + g->n_own[1]) / (2 * (OWN_TO_S - OWN_FROM_S));
}

/* launches per second of one unlimited session */
static double alone_rate(struct rig *r, double secs)
{
	uint64_t n = 0;
	double t0 = bench_now(), t1;

	while (bench_now() - t0 < secs) {
		launch(r, true);
		n++;
	}
	vgpu_session_sync(r->s, -1);
	t1 = bench_now();
	return n / (t1 - t0);
}

/* mean time of a launch call that did not wait, over the long window, us */
static double launch_us(const struct guest *g)
{
	uint64_t n = g->n_w10 > g->n_stalls + 1 ? g->n_w10 - g->n_stalls - 1 : 0;

	return n ? g->launching_s / n * 1e6 : 0;
}

static double base_launch_us;

/*
 * The alone baseline of a configuration, measured just before it the way
 * the guests run: a session in a thread of its own, saturating for a
 * second, accounting on with nothing to limit it (a 100 % cap in-process,
 * an unlimited guest of the module). A launch-bound tiny kernel's rate
 * moves by 10 % between threads and runs (3.6 - 4.2 us on the H200), so a
 * baseline taken once, in the main thread, said more of that than of the
 * shares.
 */
static double base_rate(int n)
{
	static struct guest b;
	static int serial;
	pthread_t th;
	double t0;

	memset(&b, 0, sizeof(b));
	snprintf(b.name, sizeof(b.name), "cs-base%d", serial++);
	if (rig_open(&b.r, kmode ? "cs-free" : b.name))
		exit(1);
	b.r.n = n;
	if (!kmode)
		vgpu_ledger_set_compute(b.r.s, 100, period_us, 0);
	/* warm, as the guests are when their windows open: a new session's
	 * first launches load its module (5 % of a second of 10 ms kernels) */
	t0 = bench_now();
	b.w1_start = t0 + (quick ? 0.2 : 0.5);
	b.w1_end = b.t_end = b.w1_start + (quick ? 0.3 : 1.0);
	b.w10_start = b.w1_start;
	b.w10_end = b.w1_end;
	pthread_create(&th, NULL, saturate, &b);
	pthread_join(th, NULL);
	vgpu_session_close(b.r.s);
	base_launch_us = launch_us(&b);
	return b.n_w1 / (b.w1_end - b.w1_start);
}

struct config {
	const char *name;
	int nr;
	uint32_t cap[MAX_G];		/* percent, 0: none */
	uint32_t weight[MAX_G];		/* 0: none */
	double window;			/* 1 or 10 s (the 1 s window is always measured) */
};

static double target(const struct config *c, int i)
{
	double wsum = 0;

	if (c->cap[i])
		return c->cap[i] / 100.0;
	for (int j = 0; j < c->nr; j++)
		wsum += c->weight[j];
	return c->weight[i] / wsum;
}

static double worst1, worst10, worst_own1, worst_own10;

/* @own: measure each guest's own baseline too */
static void run_config(const struct config *c, const char *kname, int n, bool own)
{
	static struct guest g[MAX_G];
	pthread_t th[MAX_G];
	double t0, dur = 1 + c->window, alone;
	static int serial;

	if (only_config && strcmp(only_config, c->name))
		return;
	alone = base_rate(n);

	for (int i = 0; i < c->nr; i++) {
		memset(&g[i], 0, sizeof(g[i]));
		if (kmode)
			snprintf(g[i].name, sizeof(g[i].name), "cs-g%d", c->cap[i] == 10 ? 0 :
				 c->cap[i] == 90 ? 1 : c->cap[i] == 30 ? 2 : 3);
		else
			snprintf(g[i].name, sizeof(g[i].name), "cs%d-%d", serial, i);
		if (rig_open(&g[i].r, g[i].name))
			exit(1);
		g[i].r.n = n;
		g[i].cap = c->cap[i];
		g[i].weight = c->weight[i];
		if (!kmode && vgpu_ledger_set_compute(g[i].r.s, own ? 100 : c->cap[i], period_us,
						      own ? 0 : c->weight[i])) {
			fprintf(stderr, "set_compute: %s\n", vgpu_last_error(g[i].r.s));
			exit(1);
		}
	}
	serial++;
	own = own && !kmode;
	t0 = bench_now() + 0.05;
	for (int i = 0; i < c->nr; i++) {
		g[i].shared_at = own ? t0 + c->nr * OWN_SLOT_S : t0;
		if (own) {
			g[i].own_at[0] = t0 + i * OWN_SLOT_S;
			g[i].own_at[1] = g[i].shared_at + dur + i * OWN_SLOT_S;
		}
		g[i].t_end = g[i].shared_at + dur;
		g[i].w1_start = g[i].shared_at + 1;
		g[i].w1_end = g[i].shared_at + 2;
		g[i].w10_start = g[i].shared_at + 1;
		g[i].w10_end = g[i].shared_at + dur;
		pthread_create(&th[i], NULL, guest_main, &g[i]);
	}
	for (int i = 0; i < c->nr; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < c->nr; i++) {
		double tg = target(c, i) * 100;
		double a1 = g[i].n_w1 / 1.0 / alone * 100;
		double a10 = g[i].n_w10 / c->window / alone * 100;

		double ch = (double)(g[i].st[1].compute_ns - g[i].st[0].compute_ns) / 1e9;
		double leases = (double)(g[i].st[1].compute_leases - g[i].st[0].compute_leases);
		double early = (double)(g[i].st[1].compute_early_handovers -
					g[i].st[0].compute_early_handovers);

		printf("share %-6s %-12s guest %d target %5.1f %% achieved_1s %5.1f %% achieved_%.0fs %5.1f %% charged %5.1f %% rate %.3f leases/s %.0f base %.0f/s launch_us %.2f base %.2f waits/s %.0f waiting %.1f %% early/s %.0f%s\n",
		       kname, c->name, i, tg, a1, c->window, a10, ch / c->window * 100,
		       ch > 0 ? g[i].n_w10 / ch / alone : 0, leases / c->window, alone,
		       launch_us(&g[i]), base_launch_us, g[i].n_stalls / c->window,
		       g[i].stalled_s / c->window * 100, early / c->window,
		       g[i].ret ? " (launch error)" : "");
		if (fabs(a1 - tg) > worst1)
			worst1 = fabs(a1 - tg);
		if (c->window >= 10 && fabs(a10 - tg) > worst10)
			worst10 = fabs(a10 - tg);
		if (own && own_rate(&g[i]) > 0) {
			double o1 = g[i].n_w1 / own_rate(&g[i]) * 100;
			double o10 = g[i].n_w10 / c->window / own_rate(&g[i]) * 100;

			printf("own    %-6s %-12s guest %d target %5.1f %% own_1s %5.1f %% own_%.0fs %5.1f %% own alone %.0f/s before, %.0f/s after (base %.0f/s)\n",
			       kname, c->name, i, tg, o1, c->window, o10,
			       g[i].n_own[0] / (OWN_TO_S - OWN_FROM_S),
			       g[i].n_own[1] / (OWN_TO_S - OWN_FROM_S), alone);
			if (fabs(o1 - tg) > worst_own1)
				worst_own1 = fabs(o1 - tg);
			if (c->window >= 10 && fabs(o10 - tg) > worst_own10)
				worst_own10 = fabs(o10 - tg);
		}
		vgpu_session_close(g[i].r.s);
	}
}

/* 30/70 -> 70/30 at 2 s; settle: first bucket from which both stay within 5 points */
/* the first bucket from which on every 300 ms window of both guests is within 5 points */
static int settled(double sh[2][MAX_BUCKETS], const uint32_t *after, int from, int last)
{
	int first_ok = -1;

	for (int b = from; b < last; b++) {
		bool in = fabs(sh[0][b] - after[0]) <= 5 && fabs(sh[1][b] - after[1]) <= 5;

		if (in && first_ok < 0)
			first_ok = b;
		if (!in)
			first_ok = -1;
	}
	return first_ok;
}

static void settle_print(const char *what, int first_ok, int change, int last)
{
	if (first_ok < 0)
		printf("settle after 30/70 -> 70/30 (%s): not within 5 points in %.1f s\n", what,
		       (last - change) * BUCKET_NS / 1e9);
	else
		printf("settle after 30/70 -> 70/30 (%s): %.1f s (300 ms windows ending then and later within 5 points)\n",
		       what, (first_ok + 1 - change) * BUCKET_NS / 1e9);
}

/*
 * 30/70 -> 70/30 at 2 s; settle: the first bucket from which both stay
 * within 5 points, by launches (against the alone baseline) and by the
 * device time charged.
 */
static void settle(int n)
{
	static struct guest g[2];
	static double sl[2][MAX_BUCKETS], sc[2][MAX_BUCKETS];
	pthread_t th[2];
	const uint32_t before[2] = { 30, 70 }, after[2] = { 70, 30 };
	double t0, alone = base_rate(n);
	int change = 20, last = 45;

	for (int i = 0; i < 2; i++) {
		memset(&g[i], 0, sizeof(g[i]));
		snprintf(g[i].name, sizeof(g[i].name), "cs-settle%d", i);
		if (rig_open(&g[i].r, g[i].name))
			exit(1);
		g[i].r.n = n;
		vgpu_ledger_set_compute(g[i].r.s, before[i], period_us, 0);
	}
	t0 = bench_now();
	for (int i = 0; i < 2; i++) {
		g[i].t0 = t0;
		g[i].t_end = t0 + 4.6;
		pthread_create(&th[i], NULL, saturate, &g[i]);
	}
	while (bench_now() < t0 + 2.0)
		usleep(1000);
	for (int i = 0; i < 2; i++)
		vgpu_ledger_set_compute(g[i].r.s, after[i], period_us, 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	/* shares over 300 ms windows (three buckets) ending at each bucket */
	for (int i = 0; i < 2; i++)
		for (int b = 2; b < last; b++) {
			uint64_t n3 = g[i].bucket[b] + g[i].bucket[b - 1] + g[i].bucket[b - 2];

			sl[i][b] = n3 / (alone * 3 * BUCKET_NS / 1e9) * 100;
			sc[i][b] = (double)(g[i].cns[b + 1] - g[i].cns[b - 2]) / (3 * BUCKET_NS) * 100;
		}
	settle_print("launches", settled(sl, after, change + 2, last), change, last);
	settle_print("device time charged", settled(sc, after, change + 2, last), change, last);
	for (int i = 0; i < 2; i++) {
		printf("settle guest %d (%u -> %u %%), 300 ms shares from 0.5 s before the change, launches/charged:",
		       i, before[i], after[i]);
		for (int b = change - 3; b < last; b++)
			printf(" %.0f/%.0f", sl[i][b], sc[i][b]);
		printf("\n");
		vgpu_session_close(g[i].r.s);
	}
}

static void overhead(void)
{
	struct rig off, on;
	double t_off[11], t_on[11], lr[11], r_off[8], r_on[8], pr[8];
	const int launches = 20000;
	struct vgpu_stats st0[2], st1[2];
	struct rig *rs[2] = { &off, &on };

	if (rig_open(&off, "cs-off") || rig_open(&on, "cs-on"))
		exit(1);
	vgpu_ledger_set_compute(on.s, 100, period_us, 0);
	/* launch cost: empty kernel (n = 0), async, a sync every 256; 11 pairs,
	 * the order alternating */
	off.n = on.n = 0;
	for (int rep = 0; rep < 11; rep++) {
		double *ts[2] = { &t_off[rep], &t_on[rep] };

		for (int w0 = 0; w0 < 2; w0++) {
			int w = (w0 + rep) % 2;
			double t0 = bench_now();

			for (int i = 0; i < launches; i++) {
				launch(rs[w], true);
				if (i % 256 == 255)
					vgpu_session_sync(rs[w]->s, -1);
			}
			vgpu_session_sync(rs[w]->s, -1);
			*ts[w] = (bench_now() - t0) / launches * 1e6;
		}
	}
	for (int rep = 0; rep < 11; rep++)
		lr[rep] = t_on[rep] / t_off[rep];
	printf("overhead launch_us off %.3f on %.3f ratio %.3f (median of 11 pairs)\n",
	       bench_median(t_off, 11), bench_median(t_on, 11), bench_median(lr, 11));
	/*
	 * saturating throughput, 50 us kernels: 8 pairs, each a 100 % cap on one
	 * session against no limit on the other, the capped session and the
	 * order alternating (two sessions' launch rates in one process differ by
	 * up to 2 % whatever their limits: H200, session 16)
	 */
	calibrate(&off, 50);
	on.n = off.n;
	memset(st0, 0, sizeof(st0));
	memset(st1, 0, sizeof(st1));
	for (int i = 0; i < 2; i++) {
		st0[i].size = st1[i].size = sizeof(st0[i]);
		vgpu_stats_get(rs[i]->s, &st0[i]);
	}
	for (int rep = 0; rep < 8; rep++) {
		int capped = rep & 1, first = (rep >> 1) & 1;

		vgpu_ledger_set_compute(rs[capped]->s, 100, period_us, 0);
		vgpu_ledger_set_compute(rs[!capped]->s, 0, period_us, 0);
		for (int w0 = 0; w0 < 2; w0++) {
			int w = w0 ^ first;
			double r = alone_rate(rs[w], quick ? 0.2 : 0.5);

			if (w == capped)
				r_on[rep] = r;
			else
				r_off[rep] = r;
		}
		pr[rep] = r_on[rep] / r_off[rep];
	}
	for (int i = 0; i < 2; i++)
		vgpu_stats_get(rs[i]->s, &st1[i]);
	/* where the capped launches lost time, if they did (the two sessions) */
#define D(f) ((st1[0].f - st0[0].f) + (st1[1].f - st0[1].f))
	printf("overhead on(100%%): n %d, %.1f us a launch; both sessions: leases %llu (refused %llu, throttled %.3f ms), "
	       "overlapped %llu, device windows %llu, charged %.1f ms of %.1f s\n", on.n,
	       1e6 / bench_median(r_on, 8), (unsigned long long)D(compute_leases),
	       (unsigned long long)D(compute_refusals), D(compute_throttled_ns) / 1e6,
	       (unsigned long long)D(compute_overlapped_leases),
	       (unsigned long long)D(compute_device_windows), D(compute_ns) / 1e6,
	       16 * (quick ? 0.2 : 0.5));
#undef D
	printf("overhead throughput_per_s off %.0f on(100%%) %.0f ratio %.4f (pairs:", bench_median(r_off, 8),
	       bench_median(r_on, 8), bench_median(r_on, 8) / bench_median(r_off, 8));
	for (int rep = 0; rep < 8; rep++)
		printf(" %.4f", pr[rep]);
	printf("; median of pairs %.4f)\n", bench_median(pr, 8));
	vgpu_session_close(off.s);
	vgpu_session_close(on.s);
}

/* --one GUEST SECONDS */
static int one(const char *guest, double secs)
{
	struct vgpu_stats st = { .size = sizeof(st) };
	struct rig r;
	uint64_t n = 0;
	double t0;
	int ret = 0;

	if (rig_open(&r, guest))
		return 1;
	r.n = backend == VGPU_BACKEND_CPU ? 100000 : 20000;	/* a few ms */
	for (t0 = bench_now(); bench_now() - t0 < secs && !ret; n++)
		ret = launch(&r, true);
	vgpu_session_sync(r.s, -1);
	vgpu_stats_get(r.s, &st);
	/* the last lease is settled at close: every measured ns is then reported */
	vgpu_session_close(r.s);
	printf("one %s launches %llu measured_ns %llu%s\n", guest, (unsigned long long)n,
	       (unsigned long long)st.compute_ns, ret ? " (launch error)" : "");
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct config two[] = {
		{ "caps10/90", 2, { 10, 90 }, { 0 }, 10 },
		{ "caps30/70", 2, { 30, 70 }, { 0 }, 10 },
		{ "caps50/50", 2, { 50, 50 }, { 0 }, 10 },
		{ "weights1:3", 2, { 0 }, { 100, 300 }, 10 },
	};
	static const struct config more[] = {
		{ "4caps10-40", 4, { 10, 20, 30, 40 }, { 0 }, 1 },
		{ "8weights1-8", 8, { 0 }, { 100, 200, 300, 400, 500, 600, 700, 800 }, 1 },
	};
	const double us[2] = { 5, 10000 };
	const char *kn[2] = { "tiny", "long" };

	if (argc < 2 || (strcmp(argv[1], "cuda") && strcmp(argv[1], "cpu"))) {
		fprintf(stderr, "usage: %s cuda|cpu [--kernel] [--quick] [--warm] [--tiny|--long] [--config NAME] [--overhead] [--period-us US] [--one GUEST SECONDS]\n", argv[0]);
		return 2;
	}
	backend = !strcmp(argv[1], "cuda") ? VGPU_BACKEND_CUDA : VGPU_BACKEND_CPU;
	for (int i = 2; i < argc; i++) {
		kmode |= !strcmp(argv[i], "--kernel");
		only = !strcmp(argv[i], "--tiny") ? 1 : !strcmp(argv[i], "--long") ? 2 : only;
		quick |= !strcmp(argv[i], "--quick");
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			only_config = argv[++i];
		if (!strcmp(argv[i], "--period-us") && i + 1 < argc)
			period_us = (uint32_t)atoi(argv[++i]);
		if (!strcmp(argv[i], "--warm")) {	/* compile into the cache, nothing else */
			struct rig r;

			kmode = 0;
			if (rig_open(&r, "cs-warm"))
				return 1;
			vgpu_session_close(r.s);
			return 0;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 2; i + 2 < argc; i++)
		if (!strcmp(argv[i], "--one"))
			return one(argv[i + 1], atof(argv[i + 2]));
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--overhead")) {	/* the cost of accounting only */
			overhead();
			return 0;
		}
	for (int k = 0; k < 2; k++) {
		struct rig r;
		double alone;

		if (only && only != k + 1)
			continue;
		if (rig_open(&r, kmode ? "cs-free" : "cs-alone"))
			return 1;
		/* a CPU launch costs about a microsecond of its own: tiny is 200 us
		 * there; on a GPU tiny is 5 us of device time */
		if (backend == VGPU_BACKEND_CPU)
			calibrate(&r, k == 0 ? 200 : us[k]);
		else if (k == 0)
			calibrate_device(&r, us[k]);
		else
			calibrate(&r, us[k]);
		alone = alone_rate(&r, 1.0);
		printf("alone %s n=%d rate %.1f launches/s (%.1f us each), accounting off, main thread; each configuration's own baseline: base\n",
		       kn[k], r.n, alone, 1e6 / alone);
		for (unsigned c = 0; c < sizeof(two) / sizeof(two[0]); c++) {
			struct config cf = two[c];

			if (kmode && c >= 2)
				break;
			if (quick)
				cf.window = 1;
			run_config(&cf, kn[k], r.n, k == 0);
		}
		if (!kmode)
			for (unsigned c = 0; c < sizeof(more) / sizeof(more[0]); c++)
				run_config(&more[c], kn[k], r.n, k == 0);
		if (!kmode && k == 0 && (!only_config || !strcmp(only_config, "settle")))
			settle(r.n);
		vgpu_session_close(r.s);
	}
	if (!kmode && !only && !only_config)
		overhead();
	printf("worst |achieved - target|: %.1f points over 1 s windows, %.1f points over 10 s windows\n",
	       worst1, worst10);
	if (worst_own1 > 0)
		printf("worst |achieved against the own baseline - target| (tiny): %.1f points over 1 s windows, %.1f points over 10 s windows\n",
		       worst_own1, worst_own10);
	return 0;
}
