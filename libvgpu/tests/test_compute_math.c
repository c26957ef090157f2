// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_compute_math: the compute-time arithmetic that the kernel and the
 * in-process ledger share (include/vgpu_compute_math.h), on a simulated
 * clock: no timing, the same result on any machine.
 *
 * A simulated device runs the guests' leases one at a time, in turn (as the
 * in-process ledger hands the device over to a waiting session): each guest
 * saturates it with kernels of one length, asks leases of libvgpu's size
 * (vgpu_cb_lease_size), spends a lease on whole kernels (a kernel longer than the lease
 * runs past it: debt), settles what it used at its next lease, and sleeps
 * until its refill when refused. The shares each guest got over 10 s are
 * checked against caps and weights, and the rules one by one: refill, debt,
 * the overrun of a lease that straddles a period end, a raised or lowered
 * limit at run time, weights that give an idle guest's time to the others.
 */
#include <stdio.h>
#include <string.h>

#include "include/vgpu_compute_math.h"
#include "common/tap.h"

#define MAXG	8
#define MS	1000000ull
#define US	1000ull

struct sim {
	int nr;
	struct vgpu_cbudget cb[MAXG];
	__u64 granted[MAXG], gen[MAXG], used[MAXG];	/* lease held, to settle */
	__u64 wake[MAXG];				/* throttled until */
	__u64 kernel_ns, gap_ns;
	__u64 got[MAXG];				/* device time in the window */
	__u64 w_start, w_end;
	__u64 now;
	int turn;
};

static struct vgpu_cbudget *sim_next(void *it, struct vgpu_cbudget *prev)
{
	struct sim *s = it;
	int i = prev ? (int)(prev - s->cb) + 1 : 0;

	return i < s->nr ? &s->cb[i] : NULL;
}

/* time [a, b) of guest @g counted inside the measuring window */
static void sim_count(struct sim *s, int g, __u64 a, __u64 b)
{
	if (a < s->w_start)
		a = s->w_start;
	if (b > s->w_end)
		b = s->w_end;
	if (b > a)
		s->got[g] += b - a;
}

static void sim_init(struct sim *s, int nr, const __u32 *cap_pct, const __u32 *weight,
		     __u64 kernel_ns)
{
	memset(s, 0, sizeof(*s));
	s->nr = nr;
	s->kernel_ns = kernel_ns;
	s->gap_ns = 20 * US;		/* a handover: sync, lease, first launch */
	s->now = 1000 * MS;
	for (int i = 0; i < nr; i++) {
		s->cb[i].last_ask = 0;
		vgpu_cb_init(&s->cb[i], vgpu_cb_cap_share(cap_pct[i]), weight[i], 100000,
			     s->now + i * US, sim_next, s);
	}
}

/* one lease of guest @g at s->now; returns false if it was refused */
static bool sim_lease(struct sim *s, int g)
{
	struct vgpu_cbudget *c = &s->cb[g];
	__u64 wait, thr, granted, run, n;

	vgpu_cb_roll(c, s->now, sim_next, s);
	if (s->granted[g] || s->used[g])
		vgpu_cb_settle(c, s->granted[g], s->gen[g], s->used[g]);
	s->granted[g] = s->used[g] = 0;
	granted = vgpu_cb_grant(c, vgpu_cb_lease_size(c->period_ns, true), s->now, &wait, &thr,
				sim_next, s);
	if (!granted) {
		s->wake[g] = s->now + wait + US;
		return false;
	}
	s->granted[g] = granted;
	s->gen[g] = c->gen;
	/* whole kernels until the lease is spent */
	n = (granted + s->kernel_ns - 1) / s->kernel_ns;
	run = n * s->kernel_ns;
	sim_count(s, g, s->now, s->now + run);
	s->used[g] = run;
	s->now += run + s->gap_ns;
	return true;
}

/* run until @end: the device goes round the guests that are awake */
static void sim_run(struct sim *s, __u64 end)
{
	while (s->now < end) {
		bool ran = false;
		__u64 first = ~0ull;

		for (int k = 0; k < s->nr && !ran; k++) {
			int g = (s->turn + k) % s->nr;

			if (s->wake[g] > s->now)
				continue;
			if (sim_lease(s, g)) {
				s->turn = g + 1;
				ran = true;
			}
		}
		if (ran)
			continue;
		for (int g = 0; g < s->nr; g++)
			if (s->wake[g] < first)
				first = s->wake[g];
		s->now = first > s->now ? first : s->now + US;
	}
}

/* shares (percent) over a 10 s window after 1 s */
static void sim_shares(struct sim *s, double *pct)
{
	__u64 t0 = s->now;

	s->w_start = t0 + 1000 * MS;
	s->w_end = s->w_start + 10000 * MS;
	sim_run(s, s->w_end + 200 * MS);
	for (int g = 0; g < s->nr; g++)
		pct[g] = 100.0 * (double)s->got[g] / (double)(s->w_end - s->w_start);
}

struct scase {
	const char *name;
	int nr;
	__u32 cap[MAXG], weight[MAXG];
};

static double target(const struct scase *c, int g, double device_pct)
{
	double ws = 0;

	if (c->cap[g])
		return c->cap[g];
	for (int i = 0; i < c->nr; i++)
		ws += c->weight[i];
	return device_pct * c->weight[g] / ws;
}

static void shares(void)
{
	static const struct scase cases[] = {
		{ "caps 10/90", 2, { 10, 90 }, { 0 } },
		{ "caps 30/70", 2, { 30, 70 }, { 0 } },
		{ "caps 50/50", 2, { 50, 50 }, { 0 } },
		{ "weights 1:3", 2, { 0 }, { 100, 300 } },
		{ "caps 10/20/30/40", 4, { 10, 20, 30, 40 }, { 0 } },
		{ "weights 1..8", 8, { 0 }, { 100, 200, 300, 400, 500, 600, 700, 800 } },
	};
	static const __u64 kns[2] = { 5 * US, 10 * MS };
	static const char *const kname[2] = { "tiny (5 us)", "long (10 ms)" };

	for (int k = 0; k < 2; k++)
		for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const struct scase *c = &cases[i];
			double pct[MAXG], worst = 0, sum = 0, busy;
			struct sim s;
			int wg = 0;

			sim_init(&s, c->nr, c->cap, c->weight, kns[k]);
			sim_shares(&s, pct);
			for (int g = 0; g < c->nr; g++)
				sum += pct[g];
			/* weights share what the device delivered (its handovers
			 * cost time), caps are absolute */
			busy = sum;
			for (int g = 0; g < c->nr; g++) {
				double d = pct[g] - target(c, g, busy);

				if (d < 0)
					d = -d;
				if (d > worst) {
					worst = d;
					wg = g;
				}
			}
			for (int g = 0; g < c->nr; g++)
				tap_diag("%s %s: guest %d %.2f %% (target %.2f %%)", c->name, kname[k],
					 g, pct[g], target(c, g, busy));
			tap_ok(worst <= 1.0, "shares %s, %s kernels: within 1 point over 10 s "
			       "(worst: guest %d, %.2f %% for %.2f %%)", c->name, kname[k], wg,
			       pct[wg], target(c, wg, busy));
		}
}

/* a budget of one capped guest, alone on its device, its period starting @now */
static void one_cap(struct vgpu_cbudget *c, __u32 pct, __u64 now)
{
	memset(c, 0, sizeof(*c));
	vgpu_cb_init(c, vgpu_cb_cap_share(pct), 0, 100000, now, NULL, NULL);
}

/* lease @ask at @now and settle it at once with @used: what was granted */
static __u64 spend(struct vgpu_cbudget *c, __u64 ask, __u64 now, __u64 used)
{
	__u64 wait, thr, g = vgpu_cb_grant(c, ask, now, &wait, &thr, NULL, NULL);

	vgpu_cb_settle(c, g, c->gen, used);
	return g;
}

/* a 10 ms kernel on a 5 ms lease at the end of a period with 10 ms left is
 * paid by that period: the next one starts full */
static void straddle(void)
{
	struct vgpu_cbudget c;
	__u64 now = 5000 * MS, wait, thr, g, gen;

	one_cap(&c, 50, now);
	spend(&c, 40 * MS, now, 40 * MS);	/* 40 of the 50 ms */
	tap_ok(c.budget == (__s64)(10 * MS), "straddle: 10 ms left (%lld)", (long long)c.budget);
	now += 95 * MS;
	g = vgpu_cb_grant(&c, 5 * MS, now, &wait, &thr, NULL, NULL);
	gen = c.gen;
	tap_ok(g == 5 * MS, "straddle: 5 ms leased near the period's end");
	now += 10 * MS;		/* the kernel ran 10 ms, past the period */
	vgpu_cb_roll(&c, now, NULL, NULL);
	vgpu_cb_settle(&c, g, gen, 10 * MS);
	tap_ok(c.budget == (__s64)(50 * MS),
	       "straddle: its overrun paid by the period it was owed in (next: %lld ns of 50 ms)",
	       (long long)c.budget);
	/* what the old period did not have is debt of the new one */
	now += 90 * MS;
	vgpu_cb_roll(&c, now, NULL, NULL);
	g = vgpu_cb_grant(&c, 45 * MS, now, &wait, &thr, NULL, NULL);
	gen = c.gen;
	now += 60 * MS;
	vgpu_cb_roll(&c, now, NULL, NULL);
	vgpu_cb_settle(&c, g, gen, 60 * MS);
	tap_ok(c.budget == (__s64)(50 * MS - 10 * MS),
	       "straddle: beyond what its period had left, the overrun is debt (%lld)",
	       (long long)c.budget);
}

static void debt(void)
{
	struct vgpu_cbudget c;
	__u64 now = 7000 * MS, wait, thr, g;

	one_cap(&c, 10, now);
	spend(&c, 5 * MS, now, 35 * MS);	/* a kernel of 35 ms */
	tap_ok(c.budget == -(__s64)(25 * MS), "debt: 35 ms used of a 10 ms quota: -25 ms");
	g = vgpu_cb_grant(&c, 5 * MS, now + MS, &wait, &thr, NULL, NULL);
	tap_ok(!g && wait == 99 * MS && thr == 99 * MS, "debt: refused until the refill (%llu)",
	       (unsigned long long)wait);
	now += 100 * MS;
	vgpu_cb_roll(&c, now, NULL, NULL);
	tap_ok(c.budget == -(__s64)(15 * MS), "debt: carried: -25 + 10 = -15 ms");
	now += 300 * MS;	/* three periods later: the two missed quotas pay */
	vgpu_cb_roll(&c, now, NULL, NULL);
	tap_ok(c.budget == (__s64)(10 * MS), "debt: paid by missed periods, then refilled (%lld)",
	       (long long)c.budget);
	spend(&c, 5 * MS, now, MS);
	tap_ok(c.budget == (__s64)(9 * MS), "debt: unused time of a lease comes back");
	now += 100 * MS;
	vgpu_cb_roll(&c, now, NULL, NULL);
	tap_ok(c.budget == (__s64)(10 * MS) && c.used_last == MS,
	       "debt: nothing saved up across a refill");
}

static void set_at_run_time(void)
{
	struct vgpu_cbudget c;
	__u64 now = 9000 * MS, wait, thr, g;

	one_cap(&c, 20, now);
	spend(&c, 20 * MS, now, 20 * MS);
	/* half way through the period 20 % -> 60 %: 20 ms more for the rest */
	now += 50 * MS;
	vgpu_cb_roll(&c, now, NULL, NULL);
	vgpu_cb_set(&c, vgpu_cb_cap_share(60), 0, 100000, now, NULL, NULL);
	tap_ok(c.budget == (__s64)(20 * MS) && c.quota == 60 * MS,
	       "set: a raised cap gives its part of the rest of the period at once (%lld)",
	       (long long)c.budget);
	vgpu_cb_set(&c, vgpu_cb_cap_share(10), 0, 100000, now, NULL, NULL);
	tap_ok(c.budget == (__s64)(10 * MS), "set: a lowered cap cuts the budget at once");
	vgpu_cb_set(&c, 0 + VGPU_CM_SHARE_ONE, 0, 100000, now, NULL, NULL);
	g = vgpu_cb_grant(&c, 500 * MS, now, &wait, &thr, NULL, NULL);
	tap_ok(!c.limited && g == 500 * MS, "set: no cap: leases granted in full");
	vgpu_cb_set(&c, vgpu_cb_cap_share(30), 0, 50000, now, NULL, NULL);
	tap_ok(c.limited && c.period_ns == 50 * MS && c.budget == (__s64)(15 * MS) &&
	       c.start == now, "set: a new period length starts a period now, full");
}

/* an idle weighted guest's time goes to the one that works, and comes back */
static void weights_conserve(void)
{
	static const __u32 caps[2] = { 0, 0 }, w[2] = { 100, 300 };
	struct sim s;
	double pct[2];

	sim_init(&s, 2, caps, w, 50 * US);
	/* guest 1 asks once, then idles: guest 0 alone gets the device */
	sim_lease(&s, 1);
	s.wake[1] = ~0ull;
	sim_shares(&s, pct);
	tap_ok(pct[0] > 97, "weights: the weight-1 guest gets the device its idle neighbour "
	       "leaves (%.1f %%)", pct[0]);
	/* the neighbour comes back: 1:3 again within a few periods */
	s.wake[1] = 0;
	memset(s.got, 0, sizeof(s.got));
	s.w_start = s.now + 500 * MS;
	s.w_end = s.w_start + 1000 * MS;
	sim_run(&s, s.w_end);
	pct[0] = 100.0 * s.got[0] / (s.w_end - s.w_start);
	pct[1] = 100.0 * s.got[1] / (s.w_end - s.w_start);
	tap_ok(pct[1] > 2.5 * pct[0] && pct[1] < 3.5 * pct[0],
	       "weights: 1:3 again half a second after the idle guest returns (%.1f / %.1f)",
	       pct[0], pct[1]);
}

/* leases that cost no time (a client that lies, or a lease loop): borrowing
 * never gives weighted guests more than the device's period together */
static void borrow_bounded(void)
{
	static const __u32 caps[2] = { 0, 0 }, w[2] = { 100, 300 };
	__u64 wait, thr, total = 0, g;
	struct sim s;
	int i, k;

	sim_init(&s, 2, caps, w, 10 * MS);
	s.now += 101 * MS;	/* the second period of both: both are active */
	for (i = 0; i < 2; i++) {
		vgpu_cb_roll(&s.cb[i], s.now, sim_next, &s);
		s.cb[i].last_ask = s.now;
	}
	for (k = 0; k < 400; k++) {
		i = k % 2;
		g = vgpu_cb_grant(&s.cb[i], 5 * MS, s.now, &wait, &thr, sim_next, &s);
		vgpu_cb_settle(&s.cb[i], g, s.cb[i].gen, g);
		total += g;
	}
	tap_ok(total <= 105 * MS && total >= 95 * MS,
	       "weights: instant leases get one period and a lease together, borrowing included (%llu ms)",
	       (unsigned long long)(total / MS));
}

int main(void)
{
	shares();
	straddle();
	debt();
	set_at_run_time();
	weights_conserve();
	borrow_bounded();
	return tap_done();
}
