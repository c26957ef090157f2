// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgpu core: compute time. Every launch on the session's device spends a
 * lease of the guest's device time (the ledger: /dev/vgpu's
 * VGPU_IOC_COMPUTE_LEASE, or the in-process ledger's equivalent); no system
 * call per launch, one per lease.
 *
 * What a launch costs is measured from its completion:
 *  - CPU sessions and synchronous launches: the wall time of the launch
 *    (the CPU backend's run time is its device time);
 *  - asynchronous GPU launches: at lease boundaries. Each queued launch takes
 *    an estimate off the lease (the last window's time per launch; the
 *    session's first async launch is measured alone); when the
 *    lease is spent the device is synchronised once and the window - from the
 *    first launch queued to the completion of the last - is the time really
 *    used, reported with the next lease. The window is read on the device's
 *    clock where the backend has one (timer_mark: a timing event before the
 *    window's first launch and one after its last), so it holds neither the
 *    host's latency to the device nor the device's switch from another
 *    context to this one (0.1-0.25 ms on the H200 when sessions of one process
 *    take turns, each with its own CUDA context: charged to the session that
 *    took the device, it cost that guest 2-3 % of its share with 10 ms
 *    kernels); else on the host's clock. A saturated queue keeps the device
 *    busy through the window, so the window is its device time; an idle gap
 *    inside it is charged too (never less than used). One synchronisation and
 *    two marks per lease (a few ms of work) keep the launch path free of
 *    events.
 *
 * Handing the device over early: when sessions of one process take turns
 * (in-process ledger), the device idled between two windows for the
 * hand-over itself - the holder's synchronisation returning, the waiter
 * waking, its lease, its first launch: 0.1-0.25 ms a turn on the H200, 1-2 %
 * of the device with turns of 10 ms, which no guest was charged and every
 * guest lost. A window of short kernels (at most EARLY_NS / 4 each) whose
 * lease has EARLY_NS or less left while another session waits records mark 2
 * after that launch; at the lease's end the session waits only for mark 2,
 * reports the time up to it and hands over while its last EARLY_NS or so of
 * work still runs. The next session's work queues behind it on the device
 * (the device's scheduler does not switch contexts for another's work in
 * less than a time slice, which is longer). The rest of the window, mark 2
 * to mark 1, is read later (before marks 1 and 2 are recorded again: at the
 * next window's hand-over mark, its end, or a synchronisation) and reported
 * with a later lease: charged a lease late, never lost.
 *
 * Not draining a lease's end: the same mark lets a session of short kernels
 * that nobody waits for keep the device busy across its leases. Its lease's
 * end drained the device's queue: the device idled while the
 * synchronisation returned, the next lease was taken and the next launch
 * reached it, time no one was charged and a busy guest lost. Alone, it marks
 * mark 2 before the launches of its lease's last EARLY_NS, waits for that
 * mark only and leases again while the rest runs; its next window's work
 * queues behind it (compute_overlapped_leases counts these). Should the next
 * lease be refused or go to another session, the other's first window may
 * hold those last EARLY_NS, as with a hand-over. Not with longer kernels: a
 * lease of 10 ms kernels that ended before its last one and was then
 * refused (its budget spent) let the next guest's window hold up to 10 ms of
 * it (tried on the H200, weights 1:3, 10 ms kernels: achieved 23.3 / 72.7 %
 * over 10 s for a charge of 25.3 / 75.0). Not with the module's turns
 * either, which do not say whether another process waits.
 *
 * With no budget left the launch waits for the refill (bounded by the
 * launch's timeout: -ETIME), or, when the policy allows VGPU_FALLBACK_QUOTA
 * and the session's device is a GPU, runs on the CPU (counted, and its time
 * reported as fallback, not against the share).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include <linux/vgpu.h>

#include "core/internal.h"
#include "include/vgpu_compute_math.h"

/* A pseudo-lease when no limit is in force: how often to look again. */
#define FREE_LEASE_NS	(50ull * 1000000)
#define MIN_SLICE_NS	(200ull * 1000)
/* What of a lease is left to run after an early hand-over (see above). */
#define EARLY_NS	(200ull * 1000)

/* a window's hand-over mark: not looked for yet, recorded, none this window */
enum { EARLY_NOT_YET, EARLY_MARKED, EARLY_NONE };

static int lease_device(vgpu_session *s)
{
	return s->device >= 0 && s->device < VGPU_COMPUTE_MAX_DEVICES ? s->device : 0;
}

/* @ns of device time measured: reported with the next lease */
static void charge(vgpu_session *s, uint64_t ns)
{
	s->cp.used_ns += ns;
	s->st.compute_ns += ns;
}

/* The async window is over: @w charged for its first @n launches (the
 * estimate per launch from then on); the next launch opens a new one. */
static void window_done(vgpu_session *s, uint64_t w, uint64_t n)
{
	struct vgpu_sess_compute *c = &s->cp;

	charge(s, w);
	c->est_ns = w / (n ? n : 1);
	c->async_since = 0;
	c->async_n = 0;
	c->timed = false;
	c->early = EARLY_NOT_YET;
}

/* The device is idle: the async window is over, its time is known
 * (@marked: the window's end is the device's timer mark 1). */
static void synced(vgpu_session *s, bool marked)
{
	struct vgpu_sess_compute *c = &s->cp;
	uint64_t w;

	if (!c->async_since)
		return;
	if (marked && !s->gpu.ops->timer_read(s->gpu.ctx, 0, 1, &w))
		s->st.compute_device_windows++;
	else
		w = vgpu_now_ns() - c->async_since;
	window_done(s, w, c->async_n);
}

/*
 * The end of the last window after an early hand-over, mark 2 to mark 1
 * (waits for it): charged now, reported with the next lease. Should the
 * device's timer fail there, the estimate of its launches is charged.
 */
static void tail_settle(vgpu_session *s)
{
	struct vgpu_sess_compute *c = &s->cp;
	uint64_t w;

	if (!c->tail)
		return;
	c->tail = false;
	if (s->gpu.ops->timer_read(s->gpu.ctx, 2, 1, &w))
		w = c->tail_n * c->est_ns;
	charge(s, w);
}

/*
 * The lease of a window with a hand-over mark is spent: mark its end, wait
 * for the hand-over mark only and account the window up to it (0); the rest
 * is read later (tail_settle). Else (a timer failed) -EIO: synchronise.
 */
static int early_end(vgpu_session *s)
{
	struct vgpu_sess_compute *c = &s->cp;
	uint64_t w;

	c->early = EARLY_NOT_YET;
	if (s->gpu.ops->timer_mark(s->gpu.ctx, 1) || s->gpu.ops->timer_read(s->gpu.ctx, 0, 2, &w))
		return -EIO;
	s->st.compute_device_windows++;
	if (vgpu_ledger_compute_wanted(s->ledger, lease_device(s)))
		s->st.compute_early_handovers++;
	else
		s->st.compute_overlapped_leases++;
	c->tail = true;
	c->tail_n = c->async_n - c->early_n;
	window_done(s, w, c->early_n);
	return 0;
}

/*
 * Synchronise the session's device (the backend's synchronize): the async
 * window open, if any, ends at the completion of its last launch.
 */
int vgpu_compute_sync(vgpu_session *s, int64_t timeout_ns)
{
	struct vgpu_sess_compute *c = &s->cp;
	bool marked;
	int ret;

	tail_settle(s);		/* before mark 1 is recorded again */
	marked = c->async_since && c->timed && !s->gpu.ops->timer_mark(s->gpu.ctx, 1);
	ret = s->gpu.ops->synchronize(s->gpu.ctx, timeout_ns);
	if (!ret)
		synced(s, marked);
	return ret;
}

/* An async launch is about to open a window: mark its start on the device. */
VGPU_HOT void vgpu_compute_open(vgpu_session *s)
{
	struct vgpu_sess_compute *c = &s->cp;

	/* the last window's tail (marks 2 to 1) may still run: read later */
	if (!c->async_since)
		c->timed = s->gpu.ops->timer_mark && !s->gpu.ops->timer_mark(s->gpu.ctx, 0);
}

/*
 * The lease's last EARLY_NS of short kernels is queued next: mark where its
 * end may stop waiting (see above)?
 */
static void early_mark(vgpu_session *s)
{
	struct vgpu_sess_compute *c = &s->cp;

	if (c->left_ns > EARLY_NS || c->est_ns > EARLY_NS / 4)
		return;
	c->early = EARLY_NONE;
	/* (with the module, a waiter in another process is not seen) */
	if (vgpu_ledger_compute_kernel_turns(s->ledger))
		return;
	tail_settle(s);		/* before mark 2 is recorded again */
	if (!s->gpu.ops->timer_mark(s->gpu.ctx, 2)) {
		c->early = EARLY_MARKED;
		c->early_n = c->async_n;
	}
}

void vgpu_compute_spent(vgpu_session *s, uint64_t ns)
{
	struct vgpu_sess_compute *c = &s->cp;

	charge(s, ns);
	c->left_ns -= ns < c->left_ns ? ns : c->left_ns;
}

VGPU_HOT void vgpu_compute_async(vgpu_session *s, uint64_t t0)
{
	struct vgpu_sess_compute *c = &s->cp;

	/* the window starts before its first launch: that launch's own time counts */
	if (!c->async_since)
		c->async_since = t0 ? t0 : vgpu_now_ns();
	c->async_n++;
	/* no estimate yet: the first launch alone makes a window, measured at
	 * the next launch (a guess could let a 10 ms kernel run 64 times on a
	 * lease of 5 ms) */
	if (!c->est_ns)
		c->left_ns = 0;
	else
		c->left_ns -= c->est_ns < c->left_ns ? c->est_ns : c->left_ns;
	if (c->timed && c->on && c->early == EARLY_NOT_YET && c->est_ns)
		early_mark(s);
}

void vgpu_compute_fallback(vgpu_session *s, uint64_t ns)
{
	s->cp.fallback_ns += ns;
	s->st.compute_fallback_ns += ns;
}

/*
 * Settle what was measured and ask for a new lease; with the module's turns
 * it may sleep up to @wait_ns (0: the ledger's default) while another
 * process's session has the device.
 */
static int lease(vgpu_session *s, struct vgpu_ledger_lease *a, uint64_t wait_ns)
{
	struct vgpu_sess_compute *c = &s->cp;
	int ret;

	memset(a, 0, sizeof(*a));
	a->wait_max_ns = wait_ns;
	a->request_ns = c->slice_ns ? c->slice_ns : MIN_SLICE_NS * 10;
	a->used_ns = c->used_ns;
	a->fallback_ns = c->fallback_ns;
	ret = vgpu_ledger_compute_lease(s->ledger, lease_device(s), a);
	if (ret)
		return ret;
	c->used_ns = 0;
	c->fallback_ns = 0;
	/* include/vgpu_compute_math.h: the size and why */
	c->slice_ns = vgpu_cb_lease_size(a->period_ns, !a->unlimited);
	if (c->slice_ns < MIN_SLICE_NS)
		c->slice_ns = MIN_SLICE_NS;
	return 0;
}

VGPU_HOT int vgpu_compute_begin(vgpu_session *s, int64_t timeout_ns, bool *cpu)
{
	struct vgpu_sess_compute *c = &s->cp;
	struct vgpu_ledger_lease a;
	uint64_t waited = 0;
	int ret;

	*cpu = false;
	if (c->left_ns)
		return 0;
	/* lease boundary: what the queued work used is known once it is done
	 * (or, handing over early, up to the hand-over mark) */
	if (!c->async_since)
		tail_settle(s);
	else if (c->early != EARLY_MARKED || early_end(s))
		vgpu_compute_sync(s, -1);
	c->on = vgpu_ledger_compute_on(s->ledger);
	if (!c->on) {
		/* nothing to enforce: report what was measured, look again later */
		if (c->used_ns || c->fallback_ns)
			c->used_ns = c->fallback_ns = 0;
		c->left_ns = FREE_LEASE_NS;
		if (!c->slice_ns)
			c->slice_ns = MIN_SLICE_NS * 10;
		return 0;
	}
	for (;;) {
		uint64_t t0 = vgpu_now_ns();

		/* (a timeout already past sleeps 1 ns: then -ETIME below) */
		ret = lease(s, &a, timeout_ns <= 0 ? 0 :
				   waited < (uint64_t)timeout_ns ? (uint64_t)timeout_ns - waited : 1);
		if (ret)
			return vgpu_seterr(s, ret, "compute lease: %s", strerror(-ret));
		if (a.granted_ns) {
			s->st.compute_leases++;
			c->left_ns = a.granted_ns;
			return 0;
		}
		if (a.busy) {
			/* another session holds the device (of this process, or
			 * the module's turns: the lease slept for it already):
			 * not throttled; woken when it lets go */
			uint64_t w = a.wait_ns;

			waited += vgpu_now_ns() - t0;
			if (timeout_ns > 0) {
				if (waited >= (uint64_t)timeout_ns)
					return vgpu_seterr(s, -ETIME, "the device stayed busy with other guests' work past the launch's timeout");
				if (w > (uint64_t)timeout_ns - waited)
					w = (uint64_t)timeout_ns - waited;
			}
			t0 = vgpu_now_ns();
			vgpu_ledger_compute_wait(s->ledger, lease_device(s), w);
			waited += vgpu_now_ns() - t0;
			continue;
		}
		s->st.compute_leases++;
		s->st.compute_refusals++;
		if (!s->primary_is_cpu && (s->fallback & VGPU_FALLBACK_QUOTA)) {
			vgpu_count_fallback(s, VGPU_FB_QUOTA,
					    "guest '%s' has no GPU time left for %.1f ms",
					    s->guest, a.wait_ns / 1e6);
			*cpu = true;
			return 0;
		}
		if (timeout_ns > 0 && waited + a.wait_ns > (uint64_t)timeout_ns) {
			if ((uint64_t)timeout_ns > waited) {
				vgpu_sleep_ns((uint64_t)timeout_ns - waited);
				s->st.compute_throttled_ns += (uint64_t)timeout_ns - waited;
			}
			return vgpu_seterr(s, -ETIME,
					   "guest '%s' has no GPU time left: the refill comes after the launch's timeout",
					   s->guest);
		}
		vgpu_sleep_ns(a.wait_ns + 1000);
		waited += a.wait_ns + 1000;
		s->st.compute_throttled_ns += a.wait_ns + 1000;
	}
}

/* Report what was measured and return the lease (the device is idle). */
static void lease_return(vgpu_session *s)
{
	struct vgpu_sess_compute *c = &s->cp;
	struct vgpu_ledger_lease a;

	memset(&a, 0, sizeof(a));
	a.used_ns = c->used_ns;
	a.fallback_ns = c->fallback_ns;
	if (vgpu_ledger_compute_lease(s->ledger, lease_device(s), &a))
		return;
	c->used_ns = c->fallback_ns = c->left_ns = 0;
}

/*
 * The session synchronised explicitly: its work is done. If another session
 * of this process waits for the device, hand it over now (the next launch
 * leases again) rather than when this session's hold lapses. With the
 * module's turns it is not told whether one waits: it always hands over
 * (a return now and a lease at the next launch, an ioctl each). A lease
 * spent to its end still holds the device until the next is asked for: it
 * is handed over too (a waiter once waited for the hold to lapse, a
 * period, when the last launch before the synchronisation spent the lease).
 */
void vgpu_compute_idle(vgpu_session *s)
{
	struct vgpu_sess_compute *c = &s->cp;

	if (s->ledger && c->on && !c->async_since &&
	    (vgpu_ledger_compute_kernel_turns(s->ledger) ||
	     vgpu_ledger_compute_wanted(s->ledger, lease_device(s))))
		lease_return(s);
}

void vgpu_compute_close(vgpu_session *s)
{
	struct vgpu_sess_compute *c = &s->cp;

	if (!s->ledger || !s->gpu.ops)
		return;
	if (c->async_since)
		vgpu_compute_sync(s, -1);
	tail_settle(s);
	if (!c->on)
		return;
	lease_return(s);
	/* what could not be reported is dropped with the session */
	c->used_ns = c->fallback_ns = c->left_ns = 0;
}
