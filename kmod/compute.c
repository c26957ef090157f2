// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu: compute time - budgets, leases, weights.
 *
 * A guest's compute limit is a share (1..100 %) of one device's time in each
 * of its periods (10 ms..1 s); its weight (1..10000) shares a device among the
 * weighted guests that ask for it, in proportion, work-conserving. For each
 * device a guest uses it has a budget: refilled at each period start with
 * the guest's quota for that period, decremented by leases, and carrying a
 * negative balance (debt: work that ran past its lease) into the next
 * periods, so that a long kernel cannot buy more than the share over time.
 *
 * Sessions lease slices of the budget (VGPU_IOC_COMPUTE_LEASE), spend them
 * in userspace as completions are measured, and settle each lease with what
 * it really used: one ioctl per lease, none per launch. Unused time of a
 * lease goes back to the budget of the period it was granted in (never to a
 * later one, which would let a guest save time up); use past the grant is
 * taken from the current period. Closing a session settles its leases as
 * fully used: its work may still be running on the device.
 *
 * Weights: at each period start a weighted guest's quota is its part of the
 * device by max-min fairness (water-filling) over the weighted guests that
 * asked for the device in their last two periods. A guest's demand is
 * unbounded if it was refused a lease in its last period, else what it used
 * then plus a margin: a guest that leaves time unused gives it to the others
 * from the next period on, and gets it back as its use grows (by a quarter
 * per period at least). The cap, when set, bounds the weighted quota.
 *
 * Everything here is under vgpu_compute_lock; periods are rolled lazily, by
 * whichever lease or read comes first after a period ends. The clock is read
 * under the lock too, so that every time stored is at most "now" of whoever
 * holds it next.
 */
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/slab.h>

#include "vgpu.h"
#include "vgpu_trace.h"

static DEFINE_SPINLOCK(vgpu_compute_lock);
/* every budget of every guest, for the weighted arbitration */
static LIST_HEAD(vgpu_compute_budgets);

/* A guest's demand grows by at least this share per period (1/SHARE_ONE). */
#define VGPU_DEMAND_MARGIN	200
/* A weighted guest takes part in the arbitration this many periods after
 * it last asked. */
#define VGPU_ACTIVE_PERIODS	2

/**
 * struct vgpu_compute_budget - a guest's budget on one device
 * @node: in vgpu_compute_budgets
 * @guest: the guest (the budget lives and dies with it)
 * @device: device index
 * @limited: a cap or weight is in force; else leases are granted in full
 * @period_ns: length of the current period
 * @start: ktime of the current period's start
 * @gen: number of the current period, for settling leases
 * @quota: budget given at the start of each period now
 * @budget: left in this period; negative: debt
 * @used_cur: device time settled in this period
 * @used_last: device time settled in the last complete period
 * @last_period_ns: length of the last complete period
 * @refused_cur: a lease was refused or cut short in this period
 * @refused_last: the same for the last complete period
 * @last_ask: ktime of the last lease request
 * @throttled_end: end of the throttled time counted so far
 * @sec: index of the current second (ktime / NSEC_PER_SEC)
 * @sec_used_cur: device time settled in the current second
 * @sec_used_last: device time settled in the last complete second
 * @fixed: scratch flag of the water-filling
 */
struct vgpu_compute_budget {
	struct list_head node;
	struct vgpu_guest *guest;
	u32 device;
	bool limited;
	u64 period_ns;
	u64 start;
	u64 gen;
	u64 quota;
	s64 budget;
	u64 used_cur;
	u64 used_last;
	u64 last_period_ns;
	bool refused_cur;
	bool refused_last;
	u64 last_ask;
	u64 throttled_end;
	u64 sec;
	u64 sec_used_cur;
	u64 sec_used_last;
	bool fixed;
};

/**
 * struct vgpu_compute_lease_slot - the lease a session holds on one device
 * @granted: granted and not yet settled, ns (0: no lease)
 * @gen: the budget's period the lease was granted in
 */
struct vgpu_compute_lease_slot {
	u64 granted;
	u64 gen;
};

/* ------------------------------------------------------------------------ */
/* quotas                                                                   */

/* The guest's cap in 1/VGPU_SHARE_ONE, VGPU_SHARE_ONE when it has none. */
static u32 vgpu_cap_share(struct vgpu_guest *g)
{
	u64 cap;

	spin_lock(&g->lock);
	cap = g->res[VGPU_RES_COMPUTE].limit;
	spin_unlock(&g->lock);
	if (cap == VGPU_LIMIT_UNLIMITED || cap > 100)
		return VGPU_SHARE_ONE;
	return cap * (VGPU_SHARE_ONE / 100);
}

/* Asked in its last VGPU_ACTIVE_PERIODS periods; @now is the lock holder's. */
static bool vgpu_budget_active(struct vgpu_compute_budget *b, u64 now)
{
	return b->last_ask && now >= b->last_ask &&
	       now - b->last_ask <= VGPU_ACTIVE_PERIODS * b->period_ns;
}

/* What @b would use of the device in its next period, 1/VGPU_SHARE_ONE. */
static u32 vgpu_budget_demand(struct vgpu_compute_budget *b)
{
	u32 cap = vgpu_cap_share(b->guest);
	u64 d;

	if (b->refused_last || b->refused_cur || !b->last_period_ns)
		return cap;
	d = div64_u64(b->used_last * VGPU_SHARE_ONE, b->last_period_ns);
	d += d / 4 + VGPU_DEMAND_MARGIN;
	return min_t(u64, d, cap);
}

/*
 * The share of its device that weighted budget @self gets: water-filling of
 * VGPU_SHARE_ONE over the active weighted budgets of the device by weight,
 * each bounded by its demand.
 */
static u32 vgpu_weighted_share(struct vgpu_compute_budget *self, u64 now)
{
	struct vgpu_compute_budget *b;
	u64 left = VGPU_SHARE_ONE, weights = 0;
	bool changed;

	lockdep_assert_held(&vgpu_compute_lock);
	list_for_each_entry(b, &vgpu_compute_budgets, node) {
		b->fixed = true;
		if (b->device != self->device || !b->guest->compute.weight ||
		    (b != self && !vgpu_budget_active(b, now)))
			continue;
		b->fixed = false;
		weights += b->guest->compute.weight;
	}
	/* fix every budget whose demand is below its fair part, repeat */
	do {
		changed = false;
		list_for_each_entry(b, &vgpu_compute_budgets, node) {
			u64 fair, demand;

			if (b->fixed || !weights)
				continue;
			fair = div64_u64(left * b->guest->compute.weight, weights);
			demand = vgpu_budget_demand(b);
			if (demand >= fair)
				continue;
			if (b == self)
				return demand;
			b->fixed = true;
			left -= demand;
			weights -= b->guest->compute.weight;
			changed = true;
		}
	} while (changed);
	if (!weights)
		return 0;
	return div64_u64(left * self->guest->compute.weight, weights);
}

/* Take the guest's settings for the period starting now. */
static void vgpu_budget_configure(struct vgpu_compute_budget *b, u64 now)
{
	struct vgpu_guest *g = b->guest;
	u32 cap = vgpu_cap_share(g);
	u32 share = cap;

	b->period_ns = (u64)g->compute.period_us * NSEC_PER_USEC;
	b->limited = cap < VGPU_SHARE_ONE || g->compute.weight;
	if (g->compute.weight)
		share = min(share, vgpu_weighted_share(b, now));
	b->quota = div_u64(b->period_ns * share, VGPU_SHARE_ONE);
}

/*
 * Start a new period at @start <= @now, @n periods after the current one
 * started (0: restart, the current one is not complete).
 */
static void vgpu_budget_new_period(struct vgpu_compute_budget *b, u64 start,
				   u64 n, u64 now)
{
	bool limited = b->limited;
	u64 old_quota = b->quota;

	b->last_period_ns = n == 1 ? b->period_ns : 0;
	b->used_last = n == 1 ? b->used_cur : 0;
	b->refused_last = n == 1 && b->refused_cur;
	b->used_cur = 0;
	b->refused_cur = false;
	b->start = start;
	b->gen++;
	vgpu_budget_configure(b, now);
	if (!b->limited) {
		b->budget = 0;
		return;
	}
	if (!limited) {
		b->budget = b->quota;
		return;
	}
	/* debt is paid by the quotas of the periods missed, then refilled */
	if (n > 1)
		b->budget = min_t(s64, 0, b->budget + (n - 1) * old_quota);
	b->budget = min_t(s64, b->budget, 0) + b->quota;
}

/* Bring @b up to @now: roll periods and seconds that ended. */
static void vgpu_budget_roll(struct vgpu_compute_budget *b, u64 now)
{
	u64 sec = div_u64(now, NSEC_PER_SEC);

	lockdep_assert_held(&vgpu_compute_lock);
	if (sec != b->sec) {
		b->sec_used_last = sec == b->sec + 1 ? b->sec_used_cur : 0;
		b->sec_used_cur = 0;
		b->sec = sec;
	}
	if (now - b->start >= b->period_ns) {
		u64 n = div64_u64(now - b->start, b->period_ns);

		vgpu_budget_new_period(b, b->start + n * b->period_ns, n, now);
	}
}

static struct vgpu_compute_budget *vgpu_budget_alloc(void)
{
	return kzalloc(sizeof(struct vgpu_compute_budget), GFP_KERNEL_ACCOUNT);
}

/* Install @spare as @g's budget on @device unless it has one. */
static struct vgpu_compute_budget *
vgpu_budget_get(struct vgpu_guest *g, u32 device,
		struct vgpu_compute_budget **spare, u64 now)
{
	struct vgpu_compute_budget *b = g->compute.budgets[device];

	lockdep_assert_held(&vgpu_compute_lock);
	if (b || !*spare)
		return b;
	b = *spare;
	*spare = NULL;
	b->guest = g;
	b->device = device;
	b->sec = div_u64(now, NSEC_PER_SEC);
	list_add_tail(&b->node, &vgpu_compute_budgets);
	g->compute.budgets[device] = b;
	/* the first period starts now, full */
	b->limited = false;
	vgpu_budget_new_period(b, now, 0, now);
	return b;
}

/* ------------------------------------------------------------------------ */
/* settings and reports                                                     */

/**
 * vgpu_compute_guest_init - compute defaults of a new guest
 * @g: the guest, not yet visible
 */
void vgpu_compute_guest_init(struct vgpu_guest *g)
{
	g->compute.period_us = VGPU_COMPUTE_PERIOD_DEFAULT_US;
	/* jiffies start near the wrap: 0 would be "in the future" for 5 min */
	g->compute.ntf_next = jiffies;
}

/**
 * vgpu_compute_guest_release - free a guest's budgets
 * @g: the guest, whose last reference is gone
 */
void vgpu_compute_guest_release(struct vgpu_guest *g)
{
	unsigned int i;

	spin_lock(&vgpu_compute_lock);
	for (i = 0; i < VGPU_COMPUTE_MAX_DEVICES; i++)
		if (g->compute.budgets[i])
			list_del(&g->compute.budgets[i]->node);
	spin_unlock(&vgpu_compute_lock);
	for (i = 0; i < VGPU_COMPUTE_MAX_DEVICES; i++)
		kfree(g->compute.budgets[i]);
}

/**
 * vgpu_compute_set - change a guest's compute settings, in force now
 * @g: the guest
 * @period_us: new period (VGPU_COMPUTE_SET_PERIOD), validated by the caller
 * @weight: new weight (VGPU_COMPUTE_SET_WEIGHT), validated by the caller
 * @mask: VGPU_COMPUTE_SET_* bits; VGPU_COMPUTE_SET_LIMIT after the compute
 *	limit itself was changed
 *
 * A budget whose period changes starts a new period now, with its debt; a
 * lower quota cuts the budget left at once, a higher one applies from the
 * next refill (at most one period away).
 */
void vgpu_compute_set(struct vgpu_guest *g, u32 period_us, u32 weight,
		      unsigned long mask)
{
	unsigned int i;
	u64 now;

	spin_lock(&vgpu_compute_lock);
	now = ktime_get_ns();
	if (mask & VGPU_COMPUTE_SET_PERIOD)
		g->compute.period_us = period_us;
	if (mask & VGPU_COMPUTE_SET_WEIGHT)
		g->compute.weight = weight;
	for (i = 0; i < VGPU_COMPUTE_MAX_DEVICES; i++) {
		struct vgpu_compute_budget *b = g->compute.budgets[i];
		bool limited;

		if (!b)
			continue;
		vgpu_budget_roll(b, now);
		limited = b->limited;
		if (b->period_ns != (u64)g->compute.period_us * NSEC_PER_USEC ||
		    !limited) {
			vgpu_budget_new_period(b, now, 0, now);
			continue;
		}
		vgpu_budget_configure(b, now);
		if (b->limited)
			b->budget = min_t(s64, b->budget, b->quota);
		else
			b->budget = 0;
	}
	spin_unlock(&vgpu_compute_lock);
}

/**
 * vgpu_compute_usage - a guest's compute settings and figures
 * @g: the guest
 * @u: filled
 */
void vgpu_compute_usage(struct vgpu_guest *g, struct vgpu_compute_usage *u)
{
	u64 now, share_period = 0, share_second = 0;
	unsigned int i;

	memset(u, 0, sizeof(*u));
	spin_lock(&vgpu_compute_lock);
	now = ktime_get_ns();
	u->period_us = g->compute.period_us;
	u->weight = g->compute.weight;
	u->throttled_ns = g->compute.throttled_ns;
	u->fallback_ns = g->compute.fallback_ns;
	for (i = 0; i < VGPU_COMPUTE_MAX_DEVICES; i++) {
		struct vgpu_compute_budget *b = g->compute.budgets[i];

		if (!b)
			continue;
		vgpu_budget_roll(b, now);
		if (b->last_period_ns)
			share_period += div64_u64(b->used_last * VGPU_SHARE_ONE,
						  b->last_period_ns);
		share_second += div_u64(b->sec_used_last * VGPU_SHARE_ONE,
					NSEC_PER_SEC);
	}
	spin_unlock(&vgpu_compute_lock);
	u->share_period = min_t(u64, share_period, U32_MAX);
	u->share_second = min_t(u64, share_second, U32_MAX);
	spin_lock(&g->lock);
	u->consumed_ns = g->res[VGPU_RES_COMPUTE].used;
	spin_unlock(&g->lock);
}

/* ------------------------------------------------------------------------ */
/* leases                                                                   */

/* Account @used ns of device time to @g's ledger. vgpu_compute_lock held. */
static void vgpu_compute_consumed(struct vgpu_guest *g, u64 used, bool refused)
{
	struct vgpu_ledger *l = &g->res[VGPU_RES_COMPUTE];

	spin_lock(&g->lock);
	l->used += used;
	l->peak = l->used;
	if (refused)
		l->limit_hits++;
	spin_unlock(&g->lock);
}

/* Settle the lease in @slot on @b with @used ns really used. */
static void vgpu_lease_settle(struct vgpu_compute_budget *b,
			      struct vgpu_compute_lease_slot *slot, u64 used)
{
	u64 granted = slot->granted;

	lockdep_assert_held(&vgpu_compute_lock);
	/* a lease is at most one period: no report can be near S64_MAX */
	used = min_t(u64, used, (u64)S64_MAX / 4);
	if (b->limited) {
		if (slot->gen == b->gen)
			b->budget += (s64)granted - (s64)used;
		else if (used > granted)
			b->budget -= used - granted;
		/* a quota lowered meanwhile bounds what comes back */
		b->budget = min_t(s64, b->budget, b->quota);
	}
	b->used_cur += used;
	b->sec_used_cur += used;
	slot->granted = 0;
}

/**
 * vgpu_compute_ioctl - VGPU_IOC_COMPUTE_LEASE and VGPU_IOC_COMPUTE_RETURN
 * @g: the session's guest
 * @slots: the session's lease slots, allocated here at the first call
 * @cl: the argument, copied in; outputs filled
 * @lease: LEASE (settle and grant) or RETURN (settle)
 *
 * Return: 0, -EINVAL for a malformed argument, -ENOMEM.
 */
int vgpu_compute_ioctl(struct vgpu_guest *g,
		       struct vgpu_compute_lease_slot **slots,
		       struct vgpu_compute_lease *cl, bool lease)
{
	struct vgpu_compute_lease_slot *slot, *new_slots = NULL;
	struct vgpu_compute_budget *b, *spare = NULL;
	u64 now, granted = 0, settled, wait = 0;
	bool ntf = false;

	if (cl->flags || cl->__reserved ||
	    cl->device >= VGPU_COMPUTE_MAX_DEVICES)
		return -EINVAL;
	if (lease ? !cl->request_ns ||
		    cl->request_ns > (u64)VGPU_COMPUTE_PERIOD_MAX_US * NSEC_PER_USEC
		  : cl->request_ns)
		return -EINVAL;

	/* allocations first, outside the lock; unused ones are freed below */
	if (!READ_ONCE(*slots)) {
		new_slots = kcalloc(VGPU_COMPUTE_MAX_DEVICES, sizeof(*new_slots),
				    GFP_KERNEL_ACCOUNT);
		if (!new_slots)
			return -ENOMEM;
	}
	if (!READ_ONCE(g->compute.budgets[cl->device])) {
		spare = vgpu_budget_alloc();
		if (!spare) {
			kfree(new_slots);
			return -ENOMEM;
		}
	}

	spin_lock(&vgpu_compute_lock);
	now = ktime_get_ns();
	if (!*slots) {
		*slots = new_slots;
		new_slots = NULL;
	}
	slot = &(*slots)[cl->device];
	b = vgpu_budget_get(g, cl->device, &spare, now);
	vgpu_budget_roll(b, now);

	settled = slot->granted;
	if (slot->granted || cl->used_ns)
		vgpu_lease_settle(b, slot, cl->used_ns);
	g->compute.fallback_ns += cl->fallback_ns;

	if (lease) {
		b->last_ask = now;
		if (!b->limited)
			granted = cl->request_ns;
		else if (b->budget > 0)
			granted = min_t(u64, cl->request_ns, b->budget);
		if (granted < cl->request_ns)
			b->refused_cur = true;
		if (!granted) {
			u64 end = b->start + b->period_ns;

			wait = end - now;
			g->compute.throttled_ns +=
				end - max(now, min(b->throttled_end, end));
			b->throttled_end = max(b->throttled_end, end);
			if (time_after_eq(jiffies, g->compute.ntf_next)) {
				g->compute.ntf_next = jiffies + HZ;
				ntf = true;
			}
		}
		if (b->limited)
			b->budget -= granted;
		slot->granted = granted;
		slot->gen = b->gen;
	}
	cl->granted_ns = granted;
	cl->wait_ns = wait;
	cl->period_ns = b->period_ns;
	cl->budget_ns = b->limited ? b->budget : S64_MAX;
	vgpu_compute_consumed(g, cl->used_ns, lease && !granted);
	spin_unlock(&vgpu_compute_lock);

	kfree(new_slots);
	kfree(spare);
	if (settled || cl->used_ns)
		trace_vgpu_compute_return(g->id, cl->device, settled,
					  cl->used_ns, cl->budget_ns);
	if (lease)
		trace_vgpu_compute_lease(g->id, cl->device, cl->request_ns,
					 granted, cl->budget_ns);
	if (lease && !granted) {
		atomic64_inc(&vgpu_nr_limit_hits);
		trace_vgpu_compute_throttle(g->id, cl->device, wait);
		if (ntf)
			vgpu_nl_notify_throttled(g, cl->device, wait);
	}
	return 0;
}

/**
 * vgpu_compute_session_release - settle a closing session's leases
 * @g: its guest (NULL: it never attached, so it holds none)
 * @slots: its lease slots, or NULL; freed here
 *
 * Each lease counts as fully used: the session's work may still be running.
 */
void vgpu_compute_session_release(struct vgpu_guest *g,
				  struct vgpu_compute_lease_slot *slots)
{
	unsigned int i;
	u64 now;

	if (!slots)
		return;
	spin_lock(&vgpu_compute_lock);
	now = ktime_get_ns();
	for (i = 0; i < VGPU_COMPUTE_MAX_DEVICES; i++) {
		struct vgpu_compute_budget *b = g->compute.budgets[i];
		u64 granted = slots[i].granted;

		if (!granted || WARN_ON_ONCE(!b))
			continue;
		vgpu_budget_roll(b, now);
		vgpu_lease_settle(b, &slots[i], granted);
		vgpu_compute_consumed(g, granted, false);
		trace_vgpu_compute_return(g->id, i, granted, granted,
					  b->limited ? b->budget : S64_MAX);
	}
	spin_unlock(&vgpu_compute_lock);
	kfree(slots);
}
