/* SPDX-License-Identifier: GPL-2.0 OR LGPL-2.1-or-later */
/*
 * vgpu: the arithmetic of compute time - budgets, refills, debt, leases,
 * weights. Pure functions of a budget's state and the time; no locks, no
 * allocation, no clock. The kernel (kmod/compute.c, under its
 * vgpu_compute_lock) and libvgpu's in-process ledger (libvgpu/src/ledger/
 * ledger.c, under its books lock) both compile this one file, so that the
 * two ledgers cannot drift apart; it ships in the DKMS source with the module.
 *
 * A guest's compute limit is a share (1..100 %) of one device's time in each
 * of its periods (10 ms..1 s); its weight (1..10000) shares a device among the
 * weighted guests that ask for it, in proportion, work-conserving. For each
 * device a guest uses it has a budget: refilled at each period start with
 * the guest's quota for that period, decremented by leases, and carrying a
 * negative balance (debt: work that ran past its lease) into the next
 * periods, so that a long kernel cannot buy more than the share over time.
 *
 * Sessions lease slices of the budget, spend them as completions are
 * measured, and settle each lease with what it really used. Unused time of
 * a lease goes back to the budget of the period it was granted in (never to
 * a later one, which would let a guest save time up). Use past the grant is
 * paid first from what the period of the grant had left when it ended - the
 * time the guest was still owed there, which the refill dropped - and only
 * the rest from the current period (a 10 ms kernel leased 5 ms at the end of
 * a period with 10 ms left is paid by that period, not twice).
 *
 * Weights: at each period start a weighted guest's quota is its part of the
 * device by max-min fairness (water-filling) over the weighted guests that
 * asked for the device in their last two periods. A guest's demand is
 * unbounded if it was refused a lease in its last period, else what it used
 * then plus a margin: a guest that leaves time unused gives it to the others
 * from the next period on, and gets it back as its use grows (by a quarter
 * per period at least). The cap, when set, bounds the weighted quota.
 * Within a period, when every active weighted budget of the device is spent
 * and what they took in their periods leaves time of one, an uncapped
 * weighted guest that asks may borrow (a lease into debt, less than a period
 * of it): the device would idle otherwise - a 10 ms kernel on a 2 ms quota
 * leaves it so - and the debt, paid by later refills, keeps the shares in
 * proportion.
 *
 * Periods are rolled lazily, by whichever lease or read comes first after a
 * period ends; "now" is the caller's clock, read under its lock, so that
 * every time stored is at most "now" of whoever holds the lock next.
 */
#ifndef VGPU_COMPUTE_MATH_H
#define VGPU_COMPUTE_MATH_H

#ifdef __KERNEL__
#include <linux/math64.h>
#include <linux/types.h>
#define VGPU_CM_DIV(a, b)	div64_u64((a), (b))
#else
#include <stdbool.h>
#include <linux/types.h>
#define VGPU_CM_DIV(a, b)	((a) / (b))
#endif

/* 100 % in 1/VGPU_CM_SHARE_ONE (= the uAPI's VGPU_SHARE_ONE) */
#define VGPU_CM_SHARE_ONE	10000
/* A guest's demand grows by at least this share per period. */
#define VGPU_CM_DEMAND_MARGIN	200
/* A weighted guest takes part in the arbitration this many periods after
 * it last asked. */
#define VGPU_CM_ACTIVE_PERIODS	2
#define VGPU_CM_NSEC_PER_SEC	1000000000ull
#define VGPU_CM_S64_MAX		((__s64)(~0ull >> 1))

/**
 * struct vgpu_cbudget - a guest's budget on one device
 * @cap: the guest's cap in 1/VGPU_CM_SHARE_ONE (VGPU_CM_SHARE_ONE: none)
 * @weight: the guest's weight (0: none)
 * @period_us: the guest's period
 * @limited: a cap or weight is in force; else leases are granted in full
 * @period_ns: length of the current period
 * @start: time of the current period's start
 * @gen: number of the current period, for settling leases
 * @quota: budget given at the start of each period now
 * @budget: left in this period; negative: debt
 * @prev_left: what the last period had left when it ended, for the overrun
 *	of leases granted in it (@prev_gen)
 * @prev_gen: the period @prev_left belongs to
 * @used_cur: device time settled in this period
 * @taken_cur: device time leased in this period and charged to it
 * @used_last: device time settled in the last complete period
 * @last_period_ns: length of the last complete period (0: none)
 * @refused_cur: a lease was refused or cut short in this period
 * @refused_last: the same for the last complete period
 * @last_ask: time of the last lease request (0: never)
 * @throttled_end: end of the throttled time counted so far
 * @sec: index of the current second (time / 1 s)
 * @sec_used_cur: device time settled in the current second
 * @sec_used_last: device time settled in the last complete second
 * @fixed: scratch flag of the water-filling
 *
 * @cap, @weight and @period_us are the guest's settings, copied in by
 * vgpu_cb_init() and vgpu_cb_set(); the rest is this file's.
 */
struct vgpu_cbudget {
	__u32 cap, weight, period_us;
	bool limited;
	__u64 period_ns, start, gen, quota;
	__s64 budget;
	__u64 prev_left, prev_gen;
	__u64 used_cur, used_last, last_period_ns, taken_cur;
	bool refused_cur, refused_last;
	__u64 last_ask, throttled_end;
	__u64 sec, sec_used_cur, sec_used_last;
	bool fixed;
};

/*
 * The budgets of one device, for the weighted arbitration: returns the
 * budget after @prev (the first one when @prev is NULL), NULL at the end.
 */
typedef struct vgpu_cbudget *(*vgpu_cb_next_t)(void *it, struct vgpu_cbudget *prev);

#define vgpu_cb_for_each(c, next, it) \
	for ((c) = (next)((it), NULL); (c); (c) = (next)((it), (c)))

/* A cap of @pct percent in 1/VGPU_CM_SHARE_ONE; 0 or above 100: none. */
static inline __u32 vgpu_cb_cap_share(__u64 pct)
{
	return pct && pct < 100 ? (__u32)pct * (VGPU_CM_SHARE_ONE / 100) : VGPU_CM_SHARE_ONE;
}

/* Asked in its last VGPU_CM_ACTIVE_PERIODS periods. */
static inline bool vgpu_cb_active(const struct vgpu_cbudget *c, __u64 now)
{
	return c->last_ask && now >= c->last_ask &&
	       now - c->last_ask <= VGPU_CM_ACTIVE_PERIODS * c->period_ns;
}

/* What @c would use of the device in its next period, 1/VGPU_CM_SHARE_ONE. */
static inline __u32 vgpu_cb_demand(const struct vgpu_cbudget *c)
{
	__u64 d;

	if (c->refused_last || c->refused_cur || !c->last_period_ns)
		return c->cap;
	d = VGPU_CM_DIV(c->used_last * VGPU_CM_SHARE_ONE, c->last_period_ns);
	d += d / 4 + VGPU_CM_DEMAND_MARGIN;
	return d < c->cap ? (__u32)d : c->cap;
}

/*
 * The share of its device that weighted budget @self gets: water-filling of
 * the device over the active weighted budgets by weight, each bounded by its
 * demand.
 */
static inline __u32 vgpu_cb_weighted_share(struct vgpu_cbudget *self, __u64 now,
					   vgpu_cb_next_t next, void *it)
{
	__u64 left = VGPU_CM_SHARE_ONE, weights = 0;
	struct vgpu_cbudget *c;
	bool changed;

	vgpu_cb_for_each(c, next, it) {
		c->fixed = !c->weight || (c != self && !vgpu_cb_active(c, now));
		if (!c->fixed)
			weights += c->weight;
	}
	/* fix every budget whose demand is below its fair part, repeat */
	do {
		changed = false;
		vgpu_cb_for_each(c, next, it) {
			__u64 fair, demand;

			if (c->fixed || !weights)
				continue;
			fair = VGPU_CM_DIV(left * c->weight, weights);
			demand = vgpu_cb_demand(c);
			if (demand >= fair)
				continue;
			if (c == self)
				return (__u32)demand;
			c->fixed = true;
			left -= demand;
			weights -= c->weight;
			changed = true;
		}
	} while (changed);
	return weights ? (__u32)VGPU_CM_DIV(left * self->weight, weights) : 0;
}

/* Take the guest's settings for the period starting now. */
static inline void vgpu_cb_configure(struct vgpu_cbudget *c, __u64 now,
				     vgpu_cb_next_t next, void *it)
{
	__u32 share = c->cap;

	c->period_ns = (__u64)c->period_us * 1000;
	c->limited = c->cap < VGPU_CM_SHARE_ONE || c->weight;
	if (c->weight) {
		__u32 w = vgpu_cb_weighted_share(c, now, next, it);

		if (w < share)
			share = w;
	}
	c->quota = VGPU_CM_DIV(c->period_ns * share, VGPU_CM_SHARE_ONE);
}

/*
 * Start a new period at @start <= @now, @n periods after the current one
 * started (0: restart, the current one is not complete).
 */
static inline void vgpu_cb_new_period(struct vgpu_cbudget *c, __u64 start, __u64 n,
				      __u64 now, vgpu_cb_next_t next, void *it)
{
	bool limited = c->limited;
	__u64 old_quota = c->quota;

	/* owed to leases of the period that ends, for their overrun */
	c->prev_left = limited && c->budget > 0 ? (__u64)c->budget : 0;
	c->prev_gen = c->gen;
	c->last_period_ns = n == 1 ? c->period_ns : 0;
	c->used_last = n == 1 ? c->used_cur : 0;
	c->refused_last = n == 1 && c->refused_cur;
	c->used_cur = 0;
	c->taken_cur = 0;
	c->refused_cur = false;
	c->start = start;
	c->gen++;
	vgpu_cb_configure(c, now, next, it);
	if (!c->limited) {
		c->budget = 0;
		return;
	}
	if (!limited) {
		c->budget = (__s64)c->quota;
		return;
	}
	/* debt is paid by the quotas of the periods missed, then refilled */
	if (n > 1) {
		c->budget += (__s64)((n - 1) * old_quota);
		if (c->budget > 0)
			c->budget = 0;
	}
	c->budget = (c->budget < 0 ? c->budget : 0) + (__s64)c->quota;
}

/* Bring @c up to @now: roll periods and seconds that ended. */
static inline void vgpu_cb_roll(struct vgpu_cbudget *c, __u64 now,
				vgpu_cb_next_t next, void *it)
{
	__u64 sec = VGPU_CM_DIV(now, VGPU_CM_NSEC_PER_SEC);

	if (sec != c->sec) {
		c->sec_used_last = sec == c->sec + 1 ? c->sec_used_cur : 0;
		c->sec_used_cur = 0;
		c->sec = sec;
	}
	if (now - c->start >= c->period_ns) {
		__u64 n = VGPU_CM_DIV(now - c->start, c->period_ns);

		vgpu_cb_new_period(c, c->start + n * c->period_ns, n, now, next, it);
	}
}

/*
 * A new budget with the guest's settings, its first period starting @now,
 * full. The caller makes it visible to @next first.
 */
static inline void vgpu_cb_init(struct vgpu_cbudget *c, __u32 cap, __u32 weight,
				__u32 period_us, __u64 now, vgpu_cb_next_t next, void *it)
{
	c->cap = cap;
	c->weight = weight;
	c->period_us = period_us;
	c->sec = VGPU_CM_DIV(now, VGPU_CM_NSEC_PER_SEC);
	c->limited = false;
	vgpu_cb_new_period(c, now, 0, now, next, it);
}

/*
 * New settings, in force now (@c rolled to @now by the caller). A budget
 * whose period changes starts a new period now, with its debt; a lower quota
 * cuts the budget left at once; a higher one adds the difference for what
 * is left of the period, so that a raised share applies at once too.
 */
static inline void vgpu_cb_set(struct vgpu_cbudget *c, __u32 cap, __u32 weight,
			       __u32 period_us, __u64 now, vgpu_cb_next_t next, void *it)
{
	__u64 old_quota = c->quota, end, rest;

	c->cap = cap;
	c->weight = weight;
	c->period_us = period_us;
	if (c->period_ns != (__u64)period_us * 1000 || !c->limited) {
		vgpu_cb_new_period(c, now, 0, now, next, it);
		return;
	}
	vgpu_cb_configure(c, now, next, it);
	if (!c->limited) {
		c->budget = 0;
		return;
	}
	end = c->start + c->period_ns;
	if (c->quota > old_quota && end > now) {
		rest = VGPU_CM_DIV((c->quota - old_quota) * (end - now), c->period_ns);
		c->budget += (__s64)rest;
	}
	if (c->budget > (__s64)c->quota)
		c->budget = (__s64)c->quota;
}

/*
 * May weighted, uncapped @self lease into debt at @now: is every other active
 * weighted budget of its device spent too (nobody could use the device)?
 */
static inline bool vgpu_cb_may_borrow(struct vgpu_cbudget *self, __u64 now,
				      vgpu_cb_next_t next, void *it)
{
	__u64 taken = 0;
	struct vgpu_cbudget *c;

	if (!self->weight || self->cap < VGPU_CM_SHARE_ONE ||
	    self->budget <= -(__s64)self->period_ns)
		return false;
	vgpu_cb_for_each(c, next, it) {
		if (!c->weight || (c != self && !vgpu_cb_active(c, now)))
			continue;
		if (c != self && c->budget > 0)
			return false;
		taken += c->taken_cur;
	}
	/* the device's period is not all taken yet (the lease may end past it) */
	return taken < self->period_ns;
}

/*
 * A lease of @request ns asked at @now (@c rolled to @now): returns what is
 * granted (0: nothing, *@wait until the refill, *@throttled the throttled
 * time to count). The caller records the grant with @c->gen.
 */
static inline __u64 vgpu_cb_grant(struct vgpu_cbudget *c, __u64 request, __u64 now,
				  __u64 *wait, __u64 *throttled,
				  vgpu_cb_next_t next, void *it)
{
	__u64 granted = 0;

	*wait = 0;
	*throttled = 0;
	c->last_ask = now;
	if (!c->limited)
		granted = request;
	else if (c->budget > 0)
		granted = request < (__u64)c->budget ? request : (__u64)c->budget;
	else if (vgpu_cb_may_borrow(c, now, next, it))
		granted = request;
	/* cut short, refused or borrowed: it wants more than its quota */
	if (granted < request || (c->limited && c->budget <= 0))
		c->refused_cur = true;
	if (!granted) {
		__u64 end = c->start + c->period_ns, from = now;

		if (c->throttled_end > from)
			from = c->throttled_end < end ? c->throttled_end : end;
		*throttled = end - from;
		if (end > c->throttled_end)
			c->throttled_end = end;
		*wait = end - now;
	}
	if (c->limited)
		c->budget -= (__s64)granted;
	c->taken_cur += granted;
	return granted;
}

/*
 * Settle a lease of @granted ns granted in period @gen with @used ns really
 * used (@c rolled to now).
 */
static inline void vgpu_cb_settle(struct vgpu_cbudget *c, __u64 granted, __u64 gen,
				  __u64 used)
{
	/* a lease is at most one period: no report can be near S64_MAX */
	if (used > (__u64)VGPU_CM_S64_MAX / 4)
		used = (__u64)VGPU_CM_S64_MAX / 4;
	if (c->limited) {
		if (gen == c->gen) {
			c->budget += (__s64)granted - (__s64)used;
			c->taken_cur = c->taken_cur + used > granted ?
				       c->taken_cur + used - granted : 0;
		} else if (used > granted) {
			__u64 over = used - granted;

			if (gen == c->prev_gen) {
				__u64 owed = over < c->prev_left ? over : c->prev_left;

				c->prev_left -= owed;
				over -= owed;
			}
			c->budget -= (__s64)over;
			c->taken_cur += over;
		}
		/* a quota lowered meanwhile bounds what comes back */
		if (c->budget > (__s64)c->quota)
			c->budget = (__s64)c->quota;
	}
	/* the figures count a lease in the period it was granted in */
	if (gen != c->gen && gen == c->prev_gen && c->last_period_ns)
		c->used_last += used;
	else
		c->used_cur += used;
	c->sec_used_cur += used;
}

/* The budget left to report (S64_MAX: not limited). */
static inline __s64 vgpu_cb_left(const struct vgpu_cbudget *c)
{
	return c->limited ? c->budget : VGPU_CM_S64_MAX;
}

/* Share achieved in the last complete period, 1/VGPU_CM_SHARE_ONE. */
static inline __u64 vgpu_cb_share_period(const struct vgpu_cbudget *c)
{
	return c->last_period_ns ?
	       VGPU_CM_DIV(c->used_last * VGPU_CM_SHARE_ONE, c->last_period_ns) : 0;
}

/*
 * The lease a session of libvgpu asks for (the ledger grants up to the
 * budget; the module takes what it is asked). Without a cap or weight in
 * force (!@limited), a fifth of the period: each lease ends with a
 * synchronisation that drains the device's queue, and only the use is
 * counted. With one, a twentieth of the period, but at least
 * VGPU_CM_TURN_NS and at most the period: in-process, sessions take turns on
 * the device a lease at a time, and each turn costs the device a switch (the
 * drain, the next session's first launch, the change of CUDA context:
 * 0.2-0.3 ms on the H200, charged to no one). Turns of 20 ms instead (H200,
 * weights 1:3, 10 s): tiny kernels 73.3-74.3 % for 75 against 72.5-73.5 with
 * 10 ms, but 10 ms kernels 72.4-74.8 against 73.9-74.8, and 8 weighted guests
 * at a 100 ms period do not all get a turn each period (test_compute_math).
 */
#define VGPU_CM_TURN_NS		(10ull * 1000000)
static inline __u64 vgpu_cb_lease_size(__u64 period_ns, bool limited)
{
	__u64 n;

	if (!limited)
		return VGPU_CM_DIV(period_ns, 5);
	n = VGPU_CM_DIV(period_ns, 20);
	if (n < VGPU_CM_TURN_NS)
		n = VGPU_CM_TURN_NS;
	return n < period_ns ? n : period_ns;
}

/* Share achieved in the last complete second, 1/VGPU_CM_SHARE_ONE. */
static inline __u64 vgpu_cb_share_second(const struct vgpu_cbudget *c)
{
	return VGPU_CM_DIV(c->sec_used_last * VGPU_CM_SHARE_ONE, VGPU_CM_NSEC_PER_SEC);
}

#endif /* VGPU_COMPUTE_MATH_H */
