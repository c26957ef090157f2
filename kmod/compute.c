// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu: compute time - budgets, leases, weights.
 *
 * The rules (refill, debt, leases, weights) are include/vgpu_compute_math.h,
 * which libvgpu's in-process ledger compiles too; this file keeps a budget
 * per guest and device, the sessions' lease slots, the figures and the
 * events.
 *
 * Sessions lease slices of the budget (VGPU_IOC_COMPUTE_LEASE), spend them
 * in userspace as completions are measured, and settle each lease with what
 * it really used: one ioctl per lease, none per launch. Closing a session
 * settles its leases as fully used: its work may still be running on the
 * device.
 *
 * Everything here is under vgpu_compute_lock; periods are rolled lazily, by
 * whichever lease or read comes first after a period ends. The clock is read
 * under the lock too, so that every time stored is at most "now" of whoever
 * holds it next.
 *
 * Turns (VGPU_COMPUTE_TURN): sessions that ask for them take a device one at
 * a time, across guests and processes, as libvgpu's in-process ledger makes
 * the sessions of one process do. A session's lease window then holds only
 * its own work, so what it measures and is charged is its own time, and the
 * CPU as a device runs one guest's kernels at a time as a GPU would. The
 * turn is the session's from a grant through its next leases until it
 * returns, is refused or closes, or until it lapses (a holder that stopped
 * launching). A holder that leases again while another session waits hands
 * the device over once its turn is turn_min_us old: it is told BUSY until
 * another session passes (VGPU_COMPUTE_HANDOVER_NS at most). Waiters
 * (VGPU_COMPUTE_WAIT) sleep on vgpu_turn_wq until their device's turn
 * generation changes or the holder's turn lapses; whoever of them takes the
 * lock first has the device (no queue: the guests' budgets, not the order
 * of turns, decide the shares).
 */
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "vgpu.h"
#include "vgpu_trace.h"
#include "../include/vgpu_compute_math.h"

static_assert(VGPU_CM_SHARE_ONE == VGPU_SHARE_ONE);

static DEFINE_SPINLOCK(vgpu_compute_lock);
/* every budget of every guest, for the weighted arbitration */
static LIST_HEAD(vgpu_compute_budgets);

/**
 * struct vgpu_compute_turn - who has a device (VGPU_COMPUTE_TURN leases)
 * @owner: the holding session's lease slots (its identity here), or NULL
 * @until: the owner's turn lapses then
 * @yielder: the session that last handed the device over
 * @yield_until: it may not take the device back before then, unless
 *	another took it (which clears @yielder)
 * @asked_until: a session was told BUSY without sleeping: it is taken to
 *	wait until then (it asks again)
 * @asker: the session told so last; its ask is answered when it takes the
 *	device (which clears @asked_until) or closes
 * @since: the owner's turn began then
 * @keep_ns: the owner keeps the device (leases again without handing over)
 *	for this long at least: turn_min_us or half its period, whichever is
 *	shorter (less while several sessions wait: vgpu_turn_busy())
 * @waiters: sessions sleeping for this device now
 * @gen: changes whenever the device is let go (the waiters' condition)
 *
 * All under vgpu_compute_lock but @gen, which waiters also read without it.
 */
struct vgpu_compute_turn {
	const void *owner;
	u64 until;
	const void *yielder;
	u64 yield_until;
	u64 asked_until;
	const void *asker;
	u64 since;
	u64 keep_ns;
	unsigned int waiters;
	unsigned int gen;
};

/*
 * Each hand-over leaves the device idle for a moment (the waiter wakes, its
 * lease returns, its first launch starts), which no guest is charged and
 * every guest loses: a turn lasts at least turn_min_us (or half the
 * holder's period, whichever is shorter, divided among the sessions that
 * sleep for the device: a round of turns fits half a period) before its
 * holder hands over.
 */
static unsigned int vgpu_turn_min_us = 20000;
module_param_named(turn_min_us, vgpu_turn_min_us, uint, 0644);
MODULE_PARM_DESC(turn_min_us,
		 "shortest compute turn before a hand-over, us (default 20000, at most 1000000)");

static struct vgpu_compute_turn vgpu_turns[VGPU_COMPUTE_MAX_DEVICES];
static DECLARE_WAIT_QUEUE_HEAD(vgpu_turn_wq);

/**
 * struct vgpu_compute_budget - a guest's budget on one device
 * @cb: the budget (include/vgpu_compute_math.h)
 * @node: in vgpu_compute_budgets
 * @guest: the guest (the budget lives and dies with it)
 * @device: device index
 */
struct vgpu_compute_budget {
	struct vgpu_cbudget cb;
	struct list_head node;
	struct vgpu_guest *guest;
	u32 device;
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
/* budgets                                                                  */

/* The budgets of device (unsigned long)@it after @prev (vgpu_cb_next_t). */
static struct vgpu_cbudget *vgpu_budget_next(void *it, struct vgpu_cbudget *prev)
{
	u32 device = (u32)(unsigned long)it;
	struct list_head *pos = prev ?
		container_of(prev, struct vgpu_compute_budget, cb)->node.next :
		vgpu_compute_budgets.next;

	lockdep_assert_held(&vgpu_compute_lock);
	for (; pos != &vgpu_compute_budgets; pos = pos->next) {
		struct vgpu_compute_budget *b =
			list_entry(pos, struct vgpu_compute_budget, node);

		if (b->device == device)
			return &b->cb;
	}
	return NULL;
}

#define VGPU_BUDGET_IT(b)	((void *)(unsigned long)(b)->device)

/* The guest's cap in 1/VGPU_SHARE_ONE, VGPU_SHARE_ONE when it has none. */
static u32 vgpu_cap_share(struct vgpu_guest *g)
{
	u64 cap;

	spin_lock(&g->lock);
	cap = g->res[VGPU_RES_COMPUTE].limit;
	spin_unlock(&g->lock);
	return vgpu_cb_cap_share(cap == VGPU_LIMIT_UNLIMITED ? 0 : cap);
}

/* Bring @b up to @now: roll periods and seconds that ended. */
static void vgpu_budget_roll(struct vgpu_compute_budget *b, u64 now)
{
	lockdep_assert_held(&vgpu_compute_lock);
	vgpu_cb_roll(&b->cb, now, vgpu_budget_next, VGPU_BUDGET_IT(b));
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
	list_add_tail(&b->node, &vgpu_compute_budgets);
	g->compute.budgets[device] = b;
	/* the first period starts now, full */
	vgpu_cb_init(&b->cb, vgpu_cap_share(g), g->compute.weight,
		     g->compute.period_us, now, vgpu_budget_next,
		     VGPU_BUDGET_IT(b));
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
 * lower quota cuts the budget left at once, a higher one adds its part of
 * what is left of the period (vgpu_cb_set()).
 */
void vgpu_compute_set(struct vgpu_guest *g, u32 period_us, u32 weight,
		      unsigned long mask)
{
	unsigned int i;
	u32 cap;
	u64 now;

	spin_lock(&vgpu_compute_lock);
	now = ktime_get_ns();
	if (mask & VGPU_COMPUTE_SET_PERIOD)
		g->compute.period_us = period_us;
	if (mask & VGPU_COMPUTE_SET_WEIGHT)
		g->compute.weight = weight;
	cap = vgpu_cap_share(g);
	for (i = 0; i < VGPU_COMPUTE_MAX_DEVICES; i++) {
		struct vgpu_compute_budget *b = g->compute.budgets[i];

		if (!b)
			continue;
		vgpu_budget_roll(b, now);
		vgpu_cb_set(&b->cb, cap, g->compute.weight, g->compute.period_us,
			    now, vgpu_budget_next, VGPU_BUDGET_IT(b));
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
		share_period += vgpu_cb_share_period(&b->cb);
		share_second += vgpu_cb_share_second(&b->cb);
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
	lockdep_assert_held(&vgpu_compute_lock);
	vgpu_cb_settle(&b->cb, slot->granted, slot->gen, used);
	slot->granted = 0;
}

/* are @cl's fields valid for a lease (@lease) or a return? */
static bool vgpu_compute_args_valid(const struct vgpu_compute_lease *cl, bool lease)
{
	if (cl->__reserved || cl->device >= VGPU_COMPUTE_MAX_DEVICES)
		return false;
	if (!lease)
		return !cl->flags && !cl->request_ns;
	if (cl->flags & ~(VGPU_COMPUTE_TURN | VGPU_COMPUTE_WAIT))
		return false;
	if ((cl->flags & VGPU_COMPUTE_WAIT) &&
	    (!(cl->flags & VGPU_COMPUTE_TURN) || !cl->wait_ns ||
	     cl->wait_ns > VGPU_COMPUTE_WAIT_MAX_NS))
		return false;
	return cl->request_ns &&
	       cl->request_ns <= (u64)VGPU_COMPUTE_PERIOD_MAX_US * NSEC_PER_USEC;
}

/*
 * Tracepoints, the limit-hit counter and the (rate-limited, @ntf) throttled
 * event of a lease or return @cl just answered, outside the lock; @settled
 * is what the session's previous lease had been granted.
 */
static void vgpu_compute_report(struct vgpu_guest *g,
				const struct vgpu_compute_lease *cl, u64 settled,
				bool lease, bool ntf)
{
	if (settled || cl->used_ns)
		trace_vgpu_compute_return(g->id, cl->device, settled,
					  cl->used_ns, cl->budget_ns);
	if (!lease)
		return;
	trace_vgpu_compute_lease(g->id, cl->device, cl->request_ns,
				 cl->granted_ns, cl->budget_ns);
	if (!cl->granted_ns && !(cl->flags & VGPU_COMPUTE_BUSY)) {
		atomic64_inc(&vgpu_nr_limit_hits);
		trace_vgpu_compute_throttle(g->id, cl->device, cl->wait_ns);
		if (ntf)
			vgpu_nl_notify_throttled(g, cl->device, cl->wait_ns);
	}
}

/* ------------------------------------------------------------------------ */
/* turns                                                                    */

/* @t may be taken (again): its waiters look. vgpu_compute_lock held. */
static void vgpu_turn_wake(struct vgpu_compute_turn *t)
{
	lockdep_assert_held(&vgpu_compute_lock);
	WRITE_ONCE(t->gen, t->gen + 1);
	if (t->waiters)
		wake_up_all(&vgpu_turn_wq);
}

/* @me lets @t go (if it has it): waiters may take it. vgpu_compute_lock held. */
static void vgpu_turn_release(struct vgpu_compute_turn *t, const void *me)
{
	lockdep_assert_held(&vgpu_compute_lock);
	if (t->owner != me)
		return;
	t->owner = NULL;
	vgpu_turn_wake(t);
}

/* @me's ask for @t, if it is the one asking, is over. vgpu_compute_lock held. */
static void vgpu_turn_forget_ask(struct vgpu_compute_turn *t, const void *me)
{
	lockdep_assert_held(&vgpu_compute_lock);
	if (t->asker == me) {
		t->asker = NULL;
		t->asked_until = 0;
	}
}

/*
 * May @me take @t now? Else the time its wait ends at the latest (the
 * holder's turn lapses, or the hand-over's). A holder asking again while
 * another session waits hands the device over. vgpu_compute_lock held.
 */
static u64 vgpu_turn_busy(struct vgpu_compute_turn *t, const void *me, u64 now)
{
	lockdep_assert_held(&vgpu_compute_lock);
	if (t->owner && t->owner != me && now < t->until)
		return t->until;
	if (t->yielder == me && now < t->yield_until)
		return t->yield_until;
	/* a round of n waiters' turns fits half the holder's period */
	if (t->owner == me && (t->waiters || now < t->asked_until) &&
	    now - t->since >= t->keep_ns / (t->waiters ? t->waiters : 1)) {
		vgpu_turn_release(t, me);
		t->yielder = me;
		t->yield_until = now + VGPU_COMPUTE_HANDOVER_NS;
		return t->yield_until;
	}
	return 0;
}

/*
 * Would @b's lease be refused now (no budget, nothing to borrow)? Such a
 * session does not wait for the device: it waits for its refill, and the
 * holder is not made to hand over to it. vgpu_compute_lock held.
 */
static bool vgpu_budget_spent(struct vgpu_compute_budget *b, u64 now)
{
	lockdep_assert_held(&vgpu_compute_lock);
	return b->cb.limited && b->cb.budget <= 0 &&
	       !vgpu_cb_may_borrow(&b->cb, now, vgpu_budget_next,
				   VGPU_BUDGET_IT(b));
}

/* @me was granted @granted ns: the turn is its own. vgpu_compute_lock held. */
static void vgpu_turn_hold(struct vgpu_compute_turn *t, const void *me, u64 now,
			   u64 granted, u64 period_ns)
{
	lockdep_assert_held(&vgpu_compute_lock);
	if (t->owner != me) {
		WRITE_ONCE(t->gen, t->gen + 1);
		t->since = now;
		t->keep_ns = min3(period_ns / 2, (u64)VGPU_COMPUTE_WAIT_MAX_NS,
				  (u64)READ_ONCE(vgpu_turn_min_us) * NSEC_PER_USEC);
	}
	t->owner = me;
	/* a kernel may run far past a small grant: a period at least */
	t->until = now + max(2 * granted, period_ns) + NSEC_PER_MSEC;
	t->yielder = NULL;
	/* its own ask is answered: it must not hand the device to itself */
	vgpu_turn_forget_ask(t, me);
}

/**
 * vgpu_compute_ioctl - VGPU_IOC_COMPUTE_LEASE and VGPU_IOC_COMPUTE_RETURN
 * @g: the session's guest
 * @slots: the session's lease slots, allocated here at the first call (the
 *	array is also the session's identity in turns)
 * @cl: the argument, copied in; outputs filled
 * @lease: LEASE (settle and grant) or RETURN (settle)
 *
 * A VGPU_COMPUTE_WAIT lease told BUSY sleeps here, without the lock, and
 * tries again when the device is let go; what the session's previous lease
 * used is settled once, before. A lease another call of the session was
 * granted meanwhile stays the session's (BUSY), or counts as used when
 * this call's grant or refusal takes its slot.
 *
 * Return: 0, -EINVAL for a malformed argument, -ENOMEM.
 */
int vgpu_compute_ioctl(struct vgpu_guest *g,
		       struct vgpu_compute_lease_slot **slots,
		       struct vgpu_compute_lease *cl, bool lease)
{
	struct vgpu_compute_lease_slot *slot, *new_slots = NULL;
	struct vgpu_compute_budget *b, *spare = NULL;
	bool turn = cl->flags & VGPU_COMPUTE_TURN;
	u64 now, granted = 0, settled = 0, wait = 0, deadline = 0;
	struct vgpu_compute_turn *t;
	unsigned int gen;
	bool ntf = false, first = true;
	long ret;

	if (!vgpu_compute_args_valid(cl, lease))
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
	t = &vgpu_turns[cl->device];

	spin_lock(&vgpu_compute_lock);
again:
	now = ktime_get_ns();
	if (first) {
		if (!*slots) {
			*slots = new_slots;
			new_slots = NULL;
		}
		if (cl->flags & VGPU_COMPUTE_WAIT)
			deadline = now + cl->wait_ns;
	}
	slot = &(*slots)[cl->device];
	b = vgpu_budget_get(g, cl->device, &spare, now);
	vgpu_budget_roll(b, now);

	if (first) {
		settled = slot->granted;
		if (slot->granted || cl->used_ns)
			vgpu_lease_settle(b, slot, cl->used_ns);
		g->compute.fallback_ns += cl->fallback_ns;
		vgpu_compute_consumed(g, cl->used_ns, false);
		first = false;
	}

	cl->flags &= ~VGPU_COMPUTE_BUSY;
	if (!lease) {
		vgpu_turn_release(t, *slots);
	} else if (turn && !vgpu_budget_spent(b, now) &&
		   (wait = vgpu_turn_busy(t, *slots, now))) {
		/* not a refusal: the guest is not throttled, only waits */
		b->cb.last_ask = now;
		if (now < deadline) {
			gen = t->gen;
			t->waiters++;
			spin_unlock(&vgpu_compute_lock);
			ret = wait_event_interruptible_hrtimeout(vgpu_turn_wq,
				READ_ONCE(t->gen) != gen,
				ns_to_ktime(min(wait, deadline) - now));
			spin_lock(&vgpu_compute_lock);
			t->waiters--;
			if (ret != -ERESTARTSYS)
				goto again;
			now = ktime_get_ns();
			wait = max(wait, now + 1);
		} else if (!(cl->flags & VGPU_COMPUTE_WAIT)) {
			/*
			 * It polls: a waiter the holder hands over to if it
			 * asks again within a hand-over (one that sleeps is
			 * counted in @waiters meanwhile; one that stopped
			 * asking must not keep the holder off its device).
			 */
			t->asked_until = max(t->asked_until,
					     now + VGPU_COMPUTE_HANDOVER_NS);
			t->asker = *slots;
		}
		cl->flags |= VGPU_COMPUTE_BUSY;
		wait -= now;
	} else {
		bool handed = turn && t->yielder && t->yielder != *slots;
		u64 throttled;

		/*
		 * Another call of this session (a thread sharing its file) was
		 * granted a lease while this one slept: the session's next
		 * report settles the lease granted here, so that one counts as
		 * used, as at close, rather than being lost unsettled.
		 */
		if (slot->granted) {
			u64 other = slot->granted;

			vgpu_lease_settle(b, slot, other);
			vgpu_compute_consumed(g, other, false);
			trace_vgpu_compute_return(g->id, cl->device, other, other,
						  vgpu_cb_left(&b->cb));
		}
		/* the device was handed over, and another took it (or passed) */
		if (handed)
			t->yielder = NULL;
		granted = vgpu_cb_grant(&b->cb, cl->request_ns, now, &wait,
					&throttled, vgpu_budget_next,
					VGPU_BUDGET_IT(b));
		if (!granted) {
			g->compute.throttled_ns += throttled;
			vgpu_compute_consumed(g, 0, true);
			if (time_after_eq(jiffies, g->compute.ntf_next)) {
				g->compute.ntf_next = jiffies + HZ;
				ntf = true;
			}
		}
		slot->granted = granted;
		slot->gen = b->cb.gen;
		if (turn && granted) {
			vgpu_turn_hold(t, *slots, now, granted, b->cb.period_ns);
		} else {
			/* refused, or not taking turns: the device is free */
			vgpu_turn_release(t, *slots);
			if (handed && !t->owner) {
				/* the one that handed it over may take it back */
				vgpu_turn_wake(t);
			}
		}
	}
	cl->granted_ns = granted;
	cl->wait_ns = wait;
	cl->period_ns = b->cb.period_ns;
	cl->budget_ns = vgpu_cb_left(&b->cb);
	spin_unlock(&vgpu_compute_lock);

	kfree(new_slots);
	kfree(spare);
	vgpu_compute_report(g, cl, settled, lease, ntf);
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
					  vgpu_cb_left(&b->cb));
	}
	/* its turns end with it: waiters may take the devices */
	for (i = 0; i < VGPU_COMPUTE_MAX_DEVICES; i++) {
		vgpu_turn_release(&vgpu_turns[i], slots);
		if (vgpu_turns[i].yielder == slots)
			vgpu_turns[i].yielder = NULL;
		vgpu_turn_forget_ask(&vgpu_turns[i], slots);
	}
	spin_unlock(&vgpu_compute_lock);
	kfree(slots);
}
