// SPDX-License-Identifier: GPL-2.0
/*
 * Compute leases (VGPU_IOC_COMPUTE_LEASE / VGPU_IOC_COMPUTE_RETURN): the
 * argument contract, grants bounded by the cap and refilled per period,
 * unused time given back, overrun carried as debt, weights sharing a device
 * in proportion and giving an idle guest's time to the others, a limit
 * changed at run time, a lease held by a SIGKILLed process, the netlink
 * settings and figures, the rate-limited THROTTLED event, and turns
 * (VGPU_COMPUTE_TURN, API 3): one session at a time on a device, BUSY not a
 * refusal, WAIT woken by a return or close and ended by its time or a
 * signal, hand-over, lapse, a budget refusal holding nothing, a lease of
 * one thread kept while another thread of the session sleeps.
 *
 * Device time is simulated: a loop reports each lease as fully used the
 * moment it gets it, so the kernel's arithmetic alone decides the shares.
 */
#include <pthread.h>
#include <sys/syscall.h>

#include "vgpu_test.h"

#define MS	1000000ULL
#define MAX_GUESTS 8

/*
 * Turns are per device index and module-wide, so each test takes devices of
 * its own (TD_*): what one test left (a recent ask) cannot decide another's.
 */
enum { TD_CONTRACT = 40, TD_EXCL, TD_EXCL2, TD_WAKE, TD_HANDOVER, TD_LAPSE,
       TD_CLOSE, TD_SIGNAL, TD_BUDGET, TD_OWNASK, TD_SAME };

#define TURN		VGPU_COMPUTE_TURN
#define TURN_WAIT	(VGPU_COMPUTE_TURN | VGPU_COMPUTE_WAIT)
#define SEC		(1000 * MS)

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_ns(__u64 ns)
{
	struct timespec ts = { ns / 1000000000ULL, ns % 1000000000ULL };

	nanosleep(&ts, NULL);
}

static int v_lease(int fd, __u32 device, __u64 request, __u64 used,
		   struct vgpu_compute_lease *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->device = device;
	out->request_ns = request;
	out->used_ns = used;
	return vioctl(fd, VGPU_IOC_COMPUTE_LEASE, out);
}

/* A lease with @flags and (for VGPU_COMPUTE_WAIT) @wait_ns. */
static int t_lease(int fd, __u32 device, __u64 request, __u64 used,
		   __u32 flags, __u64 wait_ns, struct vgpu_compute_lease *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->flags = flags;
	out->device = device;
	out->request_ns = request;
	out->used_ns = used;
	out->wait_ns = wait_ns;
	return vioctl(fd, VGPU_IOC_COMPUTE_LEASE, out);
}

static int v_return(int fd, __u32 device, __u64 used, __u64 fallback,
		    struct vgpu_compute_lease *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->device = device;
	out->used_ns = used;
	out->fallback_ns = fallback;
	return vioctl(fd, VGPU_IOC_COMPUTE_RETURN, out);
}

FIXTURE(compute) {
	struct vgpu_nl nl;
	long long ids[MAX_GUESTS];
	int nr;
	long turn_min_saved;	/* turn_min_us to restore, or -1 */
};

FIXTURE_SETUP(compute)
{
	const char *why = vgpu_missing(&self->nl);
	struct vgpu_version v;
	int fd;

	self->nr = 0;
	self->turn_min_saved = -1;
	if (why)
		SETUP_SKIP("%s", why);
	fd = vgpu_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, v_version(fd, &v));
	close(fd);
	if (!(v.caps & VGPU_CAP_COMPUTE))
		SETUP_SKIP("module without VGPU_CAP_COMPUTE");
}

static long turn_min_us_rw(long set);

FIXTURE_TEARDOWN(compute)
{
	if (self->turn_min_saved >= 0)
		turn_min_us_rw(self->turn_min_saved);
	while (self->nr > 0)
		nl_del_id(&self->nl, self->ids[--self->nr]);
	vgpu_nl_close(&self->nl);
}

/* A guest with compute cap @cap (0: none), @period_us (0: default), @weight. */
static long long cguest(FIXTURE_DATA(compute) *self, const char *tag,
			__u64 cap, __u32 period_us, __u32 weight)
{
	struct vgpu_nl_req req = {};
	long long id;

	if (cap)
		vgpu_nl_req_limit(&req, VGPU_RES_COMPUTE, cap);
	if (period_us) {
		req.has_period = true;
		req.period_us = period_us;
	}
	if (weight) {
		req.has_weight = true;
		req.weight = weight;
	}
	id = guest_new(&self->nl, tag, &req, NULL);
	if (id > 0 && self->nr < MAX_GUESTS)
		self->ids[self->nr++] = id;
	return id;
}

static __u64 consumed(FIXTURE_DATA(compute) *self, long long id)
{
	struct vgpu_nl_guest g;

	if (nl_get_id(&self->nl, id, &g))
		return ~0ULL;
	return g.consumed;
}

/*
 * Saturate a session for @dur_ns: lease @slice_ns at a time, report each
 * grant as fully used at once, wait for the refill when refused.
 */
static __u64 saturate(int fd, __u64 slice_ns, __u64 dur_ns, const int *stop)
{
	struct vgpu_compute_lease l;
	__u64 end = now_ns() + dur_ns, held = 0, got = 0;

	while (now_ns() < end && !(stop && __atomic_load_n(stop, __ATOMIC_RELAXED))) {
		if (v_lease(fd, 0, slice_ns, held, &l))
			return 0;
		held = l.granted_ns;
		got += held;
		if (!held)
			sleep_ns(l.wait_ns < 1000000 ? l.wait_ns + 1000 : 1000000);
	}
	v_return(fd, 0, held, 0, &l);
	return got;
}

/* ---- the argument contract ------------------------------------------------ */

TEST_F(compute, version_and_contract)
{
	struct vgpu_compute_lease l;
	struct vgpu_version v;
	long long id;
	int fd;

	fd = vgpu_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, v_version(fd, &v));
	EXPECT_LE(3, v.api_version);
	EXPECT_TRUE(v.caps & VGPU_CAP_COMPUTE);
	EXPECT_TRUE(v.caps & VGPU_CAP_COMPUTE_TURNS);
	/* not attached */
	EXPECT_EQ(-ENOTCONN, v_lease(fd, 0, MS, 0, &l));
	EXPECT_EQ(-ENOTCONN, v_return(fd, 0, 0, 0, &l));
	close(fd);

	id = cguest(self, "ct", 0, 0, 0);
	ASSERT_LT(0, id);
	fd = session_open(id);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, v_lease(fd, 0, 0, 0, &l));		/* nothing asked */
	EXPECT_EQ(-EINVAL, v_lease(fd, 0, 1000000001ULL, 0, &l));	/* > 1 s */
	EXPECT_EQ(-EINVAL, v_lease(fd, VGPU_COMPUTE_MAX_DEVICES, MS, 0, &l));
	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.request_ns = MS;
	l.flags = 1U << 2;				/* unknown */
	EXPECT_EQ(-EINVAL, vioctl(fd, VGPU_IOC_COMPUTE_LEASE, &l));
	l.flags = VGPU_COMPUTE_BUSY;			/* an answer, not a request */
	EXPECT_EQ(-EINVAL, vioctl(fd, VGPU_IOC_COMPUTE_LEASE, &l));
	l.flags = VGPU_COMPUTE_WAIT;			/* WAIT without TURN */
	l.wait_ns = MS;
	EXPECT_EQ(-EINVAL, vioctl(fd, VGPU_IOC_COMPUTE_LEASE, &l));
	l.flags = VGPU_COMPUTE_TURN | VGPU_COMPUTE_WAIT;
	l.wait_ns = 0;					/* a wait of nothing */
	EXPECT_EQ(-EINVAL, vioctl(fd, VGPU_IOC_COMPUTE_LEASE, &l));
	l.wait_ns = VGPU_COMPUTE_WAIT_MAX_NS + 1;	/* one past the longest */
	EXPECT_EQ(-EINVAL, vioctl(fd, VGPU_IOC_COMPUTE_LEASE, &l));
	l.flags = 0;
	l.wait_ns = 0;
	l.__reserved = 1;
	EXPECT_EQ(-EINVAL, vioctl(fd, VGPU_IOC_COMPUTE_LEASE, &l));
	l.__reserved = 0;
	l.size = offsetof(struct vgpu_compute_lease, budget_ns);
	EXPECT_EQ(-EINVAL, vioctl(fd, VGPU_IOC_COMPUTE_LEASE, &l));
	/* RETURN asks for nothing */
	l.size = sizeof(l);
	EXPECT_EQ(-EINVAL, vioctl(fd, VGPU_IOC_COMPUTE_RETURN, &l));
	/* RETURN takes no flags, TURN included */
	l.request_ns = 0;
	l.flags = VGPU_COMPUTE_TURN;
	EXPECT_EQ(-EINVAL, vioctl(fd, VGPU_IOC_COMPUTE_RETURN, &l));
	l.flags = 0;
	EXPECT_EQ(-EFAULT, vioctl(fd, VGPU_IOC_COMPUTE_LEASE, NULL));

	/* the edges that are taken: TURN with any wait_ns (ignored without
	 * WAIT), WAIT of exactly the longest; the device is free: granted,
	 * the flags given come back, without BUSY */
	ASSERT_EQ(0, t_lease(fd, TD_CONTRACT, MS, 0, TURN, ~0ULL, &l));
	EXPECT_EQ(MS, l.granted_ns);
	EXPECT_EQ(TURN, l.flags);
	ASSERT_EQ(0, t_lease(fd, TD_CONTRACT, MS, MS, TURN_WAIT,
			     VGPU_COMPUTE_WAIT_MAX_NS, &l));
	EXPECT_EQ(MS, l.granted_ns);
	EXPECT_EQ(TURN_WAIT, l.flags);
	EXPECT_EQ(0, l.wait_ns);
	ASSERT_EQ(0, v_return(fd, TD_CONTRACT, MS, 0, &l));
	EXPECT_EQ(2 * MS, consumed(self, id));

	/* no limit, no weight: granted in full, use counted */
	ASSERT_EQ(0, v_lease(fd, 3, 7 * MS, 0, &l));
	EXPECT_EQ(7 * MS, l.granted_ns);
	EXPECT_EQ(0, l.wait_ns);
	EXPECT_EQ(100 * MS, l.period_ns);	/* the default period */
	ASSERT_EQ(0, v_return(fd, 3, 5 * MS, 2 * MS, &l));
	EXPECT_EQ(7 * MS, consumed(self, id));
	EXPECT_EQ(7 * MS, v_used(fd, VGPU_RES_COMPUTE));
	close(fd);
}

/* ---- turns ------------------------------------------------------------------ */

/* the longest a turn granted @granted ns in a period of @period ns lasts */
static __u64 turn_bound(__u64 granted, __u64 period)
{
	return (2 * granted > period ? 2 * granted : period) + MS;
}

#define TURN_MIN_US	"/sys/module/vgpu/parameters/turn_min_us"

/*
 * The module parameter turn_min_us: its value, or -errno (-ENOENT: a module
 * without it); with @set >= 0 it is written first.
 */
static long turn_min_us_rw(long set)
{
	char buf[32];
	long v = -1;
	FILE *f;

	if (set >= 0) {
		f = fopen(TURN_MIN_US, "w");
		if (!f)
			return -errno;
		fprintf(f, "%ld\n", set);
		if (fclose(f))
			return -errno;
	}
	f = fopen(TURN_MIN_US, "r");
	if (!f)
		return -errno;
	if (fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 10);
	fclose(f);
	return v < 0 ? -EINVAL : v;
}

/*
 * How long a holder of a @period_ns guest keeps the device before it hands
 * over: turn_min_us, at most half the period (0 on a module without it).
 */
static __u64 turn_keep(__u64 period_ns)
{
	long us = turn_min_us_rw(-1);
	__u64 keep = us > 0 ? (__u64)us * 1000 : 0;

	if (keep > SEC)
		keep = SEC;
	return keep < period_ns / 2 ? keep : period_ns / 2;
}

/* the guest's compute limit hits and throttled ns, by netlink */
static void hits(FIXTURE_DATA(compute) *self, long long id, __u64 *limit_hits,
		 __u64 *throttled)
{
	struct vgpu_nl_guest g;

	*limit_hits = *throttled = ~0ULL;
	if (nl_get_id(&self->nl, id, &g))
		return;
	*limit_hits = g.res[VGPU_RES_COMPUTE].limit_hits;
	*throttled = g.throttled;
}

/*
 * The turns tests' pair of guests, "<t>a" (compute cap @cap_a, 0: none;
 * periods of @period_a_us) and "<t>b" (no cap, periods of 1 s: no turn
 * lapses while a test looks), and a session of each (@b NULL: none of B
 * yet). 0, or -1 with nothing left open.
 */
static int turn_pair(FIXTURE_DATA(compute) *self, char t, __u64 cap_a,
		     __u32 period_a_us, long long *ga, long long *gb, int *a,
		     int *b)
{
	char tag[3] = { t, 'a', 0 };

	*ga = cguest(self, tag, cap_a, period_a_us, 0);
	tag[1] = 'b';
	*gb = cguest(self, tag, 0, 1000000, 0);
	if (*ga <= 0 || *gb <= 0)
		return -1;
	*a = session_open(*ga);
	if (*a < 0)
		return -1;
	if (b && (*b = session_open(*gb)) < 0) {
		close(*a);
		return -1;
	}
	return 0;
}

/* A TURN|WAIT lease in a thread, timed. */
struct waiter {
	int fd;
	__u32 device;
	__u64 used, wait_ns;
	struct vgpu_compute_lease l;
	int ret, done, tid;
	__u64 elapsed;
};

static void *waiter_thread(void *p)
{
	struct waiter *w = p;
	__u64 t0 = now_ns();

	__atomic_store_n(&w->tid, (int)syscall(SYS_gettid), __ATOMIC_RELEASE);

	w->ret = t_lease(w->fd, w->device, 5 * MS, w->used, TURN_WAIT,
			 w->wait_ns, &w->l);
	w->elapsed = now_ns() - t0;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

TEST_F(compute, turns_exclusive)
{
	struct vgpu_compute_lease l;
	__u64 hits0, thr0, hits1, thr1;
	long long ga, gb;
	int a, b, c;

	ASSERT_EQ(0, turn_pair(self, 'x', 0, 1000000, &ga, &gb, &a, &b));
	c = session_open(gb);
	ASSERT_LE(0, c);

	ASSERT_EQ(0, t_lease(a, TD_EXCL, 5 * MS, 0, TURN, 0, &l));
	EXPECT_EQ(5 * MS, l.granted_ns);
	EXPECT_EQ(TURN, l.flags);
	EXPECT_EQ(0, l.wait_ns);

	/* another guest's session: busy, told until when at the latest; not
	 * a refusal */
	hits(self, gb, &hits0, &thr0);
	ASSERT_EQ(0, t_lease(b, TD_EXCL, 5 * MS, 0, TURN, 0, &l));
	EXPECT_EQ(0, l.granted_ns);
	EXPECT_EQ(TURN | VGPU_COMPUTE_BUSY, l.flags);
	EXPECT_LT(0, l.wait_ns);
	EXPECT_GE(turn_bound(5 * MS, SEC), l.wait_ns);
	EXPECT_EQ(SEC, l.period_ns);
	EXPECT_EQ(0, v_used(b, VGPU_RES_COMPUTE));
	hits(self, gb, &hits1, &thr1);
	EXPECT_EQ(hits0, hits1);
	EXPECT_EQ(thr0, thr1);

	/* without TURN: no part in turns, granted, and A keeps its turn */
	ASSERT_EQ(0, v_lease(c, TD_EXCL, 5 * MS, 0, &l));
	EXPECT_EQ(5 * MS, l.granted_ns);
	EXPECT_EQ(0, l.flags);
	ASSERT_EQ(0, v_return(c, TD_EXCL, MS, 0, &l));
	ASSERT_EQ(0, t_lease(b, TD_EXCL, 5 * MS, 0, TURN, 0, &l));
	EXPECT_EQ(VGPU_COMPUTE_BUSY, l.flags & VGPU_COMPUTE_BUSY);
	EXPECT_EQ(0, l.granted_ns);

	/* another device index is another turn */
	ASSERT_EQ(0, t_lease(b, TD_EXCL2, 5 * MS, 0, TURN, 0, &l));
	EXPECT_EQ(5 * MS, l.granted_ns);
	EXPECT_EQ(TURN, l.flags);

	/* A returns: the device is B's */
	ASSERT_EQ(0, v_return(a, TD_EXCL, 2 * MS, 0, &l));
	ASSERT_EQ(0, t_lease(b, TD_EXCL, 5 * MS, 0, TURN, 0, &l));
	EXPECT_EQ(5 * MS, l.granted_ns);
	EXPECT_EQ(TURN, l.flags);
	/* and stays B's while no one else asks: its asks were answered */
	ASSERT_EQ(0, t_lease(b, TD_EXCL, 5 * MS, 5 * MS, TURN, 0, &l));
	EXPECT_EQ(5 * MS, l.granted_ns);
	EXPECT_EQ(TURN, l.flags);
	ASSERT_EQ(0, t_lease(a, TD_EXCL, 5 * MS, 0, TURN, 0, &l));
	EXPECT_EQ(TURN | VGPU_COMPUTE_BUSY, l.flags);

	/* B leasing without TURN lets the turn go */
	ASSERT_EQ(0, v_lease(b, TD_EXCL, 5 * MS, 5 * MS, &l));
	EXPECT_EQ(5 * MS, l.granted_ns);
	ASSERT_EQ(0, t_lease(a, TD_EXCL, 5 * MS, 0, TURN, 0, &l));
	EXPECT_EQ(5 * MS, l.granted_ns);
	EXPECT_EQ(TURN, l.flags);

	EXPECT_EQ(2 * MS, consumed(self, ga));
	EXPECT_EQ(MS + 10 * MS, consumed(self, gb));
	close(a);
	close(b);
	close(c);
}

TEST_F(compute, turns_wait_wakes)
{
	struct waiter w = { .device = TD_WAKE, .wait_ns = 500 * MS };
	struct vgpu_compute_lease l;
	long long ga, gb;
	pthread_t th;
	__u64 t0, took;
	int a;

	ASSERT_EQ(0, turn_pair(self, 'w', 0, 1000000, &ga, &gb, &a, &w.fd));

	/* A's turn would last a second: B wakes because A returns */
	ASSERT_EQ(0, t_lease(a, TD_WAKE, 5 * MS, 0, TURN, 0, &l));
	ASSERT_EQ(5 * MS, l.granted_ns);
	ASSERT_EQ(0, pthread_create(&th, NULL, waiter_thread, &w));
	sleep_ns(50 * MS);
	ASSERT_EQ(0, v_return(a, TD_WAKE, MS, 0, &l));
	ASSERT_EQ(0, pthread_join(th, NULL));
	TH_LOG("woken after %llu ms", (unsigned long long)(w.elapsed / MS));
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(5 * MS, w.l.granted_ns);
	EXPECT_EQ(TURN_WAIT, w.l.flags);
	EXPECT_GT(400 * MS, w.elapsed);

	/* B holds now: A's wait ends at its end, busy, rc 0 */
	t0 = now_ns();
	ASSERT_EQ(0, t_lease(a, TD_WAKE, 5 * MS, 0, TURN_WAIT, 200 * MS, &l));
	took = now_ns() - t0;
	TH_LOG("a 200 ms wait took %llu ms", (unsigned long long)(took / MS));
	EXPECT_EQ(0, l.granted_ns);
	EXPECT_EQ(TURN_WAIT | VGPU_COMPUTE_BUSY, l.flags);
	EXPECT_LE(195 * MS, took);
	EXPECT_LT(0, l.wait_ns);
	EXPECT_GE(turn_bound(5 * MS, SEC), l.wait_ns);
	close(a);
	close(w.fd);
}

TEST_F(compute, turns_handover)
{
	struct vgpu_compute_lease l;
	long long ga, gb;
	int a, b, i;

	ASSERT_EQ(0, turn_pair(self, 'h', 0, 1000000, &ga, &gb, &a, &b));

	ASSERT_EQ(0, t_lease(a, TD_HANDOVER, 10 * MS, 0, TURN, 0, &l));
	ASSERT_EQ(10 * MS, l.granted_ns);
	/* within its minimum turn A keeps the device, asked or not */
	if (turn_keep(SEC) >= 10 * MS) {
		ASSERT_EQ(0, t_lease(b, TD_HANDOVER, 10 * MS, 0, TURN, 0, &l));
		ASSERT_EQ(TURN | VGPU_COMPUTE_BUSY, l.flags);
		ASSERT_EQ(0, t_lease(a, TD_HANDOVER, 10 * MS, 0, TURN, 0, &l));
		if (l.granted_ns) {
			EXPECT_EQ(TURN, l.flags);
		} else {
			/* handed over to B already: back to A, a new turn */
			TH_LOG("the VM passed the minimum turn between two calls");
			ASSERT_EQ(0, t_lease(b, TD_HANDOVER, 10 * MS, 0, TURN, 0, &l));
			ASSERT_EQ(TURN, l.flags);
			ASSERT_EQ(0, v_return(b, TD_HANDOVER, 0, 0, &l));
			ASSERT_EQ(0, t_lease(a, TD_HANDOVER, 10 * MS, 0, TURN, 0, &l));
			ASSERT_EQ(TURN, l.flags);
		}
	}
	sleep_ns(turn_keep(SEC) + 10 * MS);

	/* B asks (a poller counts for 5 ms: a slow VM may pass them between
	 * two calls, so up to 5 tries): A leasing again hands the device
	 * over, its lease settled */
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, t_lease(b, TD_HANDOVER, 10 * MS, 0, TURN, 0, &l));
		ASSERT_EQ(TURN | VGPU_COMPUTE_BUSY, l.flags);
		ASSERT_EQ(0, t_lease(a, TD_HANDOVER, 10 * MS, i ? 0 : 4 * MS,
				     TURN, 0, &l));
		if (l.flags & VGPU_COMPUTE_BUSY)
			break;
	}
	TH_LOG("handed over at try %d", i + 1);
	ASSERT_GT(5, i);
	EXPECT_EQ(0, l.granted_ns);
	EXPECT_LT(0, l.wait_ns);
	EXPECT_GE(VGPU_COMPUTE_HANDOVER_NS, l.wait_ns);
	EXPECT_EQ(4 * MS, consumed(self, ga));

	/* B takes it; A is busy until B lets it go */
	ASSERT_EQ(0, t_lease(b, TD_HANDOVER, 10 * MS, 0, TURN, 0, &l));
	EXPECT_EQ(10 * MS, l.granted_ns);
	EXPECT_EQ(TURN, l.flags);
	ASSERT_EQ(0, t_lease(a, TD_HANDOVER, 10 * MS, 0, TURN, 0, &l));
	EXPECT_EQ(TURN | VGPU_COMPUTE_BUSY, l.flags);
	EXPECT_GE(turn_bound(10 * MS, SEC), l.wait_ns);
	ASSERT_EQ(0, v_return(b, TD_HANDOVER, 3 * MS, 0, &l));
	ASSERT_EQ(0, t_lease(a, TD_HANDOVER, 10 * MS, 0, TURN, 0, &l));
	EXPECT_EQ(10 * MS, l.granted_ns);
	EXPECT_EQ(TURN, l.flags);
	/* no one asks now: A keeps the device lease after lease */
	ASSERT_EQ(0, t_lease(a, TD_HANDOVER, 10 * MS, 10 * MS, TURN, 0, &l));
	EXPECT_EQ(10 * MS, l.granted_ns);
	EXPECT_EQ(TURN, l.flags);
	EXPECT_EQ(14 * MS, consumed(self, ga));
	EXPECT_EQ(3 * MS, consumed(self, gb));

	/* a session sleeping for the device is a waiter too: A hands over
	 * and the sleeper takes the device at once */
	{
		struct waiter w = { .fd = b, .device = TD_HANDOVER,
				    .wait_ns = 1000 * MS };
		pthread_t th;

		ASSERT_EQ(0, pthread_create(&th, NULL, waiter_thread, &w));
		sleep_ns(turn_keep(SEC) + 50 * MS);
		ASSERT_EQ(0, t_lease(a, TD_HANDOVER, 10 * MS, 0, TURN, 0, &l));
		EXPECT_EQ(0, l.granted_ns);
		EXPECT_EQ(TURN | VGPU_COMPUTE_BUSY, l.flags);
		EXPECT_GE(VGPU_COMPUTE_HANDOVER_NS, l.wait_ns);
		ASSERT_EQ(0, pthread_join(th, NULL));
		TH_LOG("the sleeper took the device after %llu ms",
		       (unsigned long long)(w.elapsed / MS));
		EXPECT_EQ(0, w.ret);
		EXPECT_EQ(5 * MS, w.l.granted_ns);
		EXPECT_EQ(TURN_WAIT, w.l.flags);
		EXPECT_GT(800 * MS, w.elapsed);
	}
	close(a);
	close(b);
}

TEST_F(compute, turns_lapse)
{
	struct vgpu_compute_lease l;
	long long ga, gb;
	int a, b;

	/* A: periods of 10 ms, a 1 ms grant: its turn lapses after 11 ms */
	ASSERT_EQ(0, turn_pair(self, 'l', 0, VGPU_COMPUTE_PERIOD_MIN_US,
			       &ga, &gb, &a, &b));

	ASSERT_EQ(0, t_lease(a, TD_LAPSE, MS, 0, TURN, 0, &l));
	ASSERT_EQ(MS, l.granted_ns);
	ASSERT_EQ(0, t_lease(b, TD_LAPSE, MS, 0, TURN, 0, &l));
	/* a slow VM may already be past the lapse */
	if (l.flags & VGPU_COMPUTE_BUSY) {
		EXPECT_GE(turn_bound(MS, 10 * MS), l.wait_ns);
	} else {
		TH_LOG("B granted at once: the VM took > 11 ms");
		ASSERT_EQ(0, v_return(b, TD_LAPSE, 0, 0, &l));
	}
	sleep_ns(turn_bound(MS, 10 * MS) + 20 * MS);
	/* A never returned: B is granted all the same, and A is busy now */
	ASSERT_EQ(0, t_lease(b, TD_LAPSE, MS, 0, TURN, 0, &l));
	EXPECT_EQ(MS, l.granted_ns);
	EXPECT_EQ(TURN, l.flags);
	ASSERT_EQ(0, t_lease(a, TD_LAPSE, MS, MS, TURN, 0, &l));
	EXPECT_EQ(0, l.granted_ns);
	EXPECT_EQ(TURN | VGPU_COMPUTE_BUSY, l.flags);
	EXPECT_GE(turn_bound(MS, SEC), l.wait_ns);
	EXPECT_EQ(MS, consumed(self, ga));
	close(a);
	close(b);
}

TEST_F(compute, turns_close_releases)
{
	struct waiter w = { .device = TD_CLOSE, .wait_ns = 1000 * MS };
	struct vgpu_compute_lease l;
	int a, pipefd[2], status;
	long long ga, gb;
	pthread_t th;
	pid_t pid;
	char ch;

	/* close(): A's turn (a second long) ends, B's wait with it */
	ASSERT_EQ(0, turn_pair(self, 'c', 0, 1000000, &ga, &gb, &a, &w.fd));
	ASSERT_EQ(0, t_lease(a, TD_CLOSE, 5 * MS, 0, TURN, 0, &l));
	ASSERT_EQ(5 * MS, l.granted_ns);
	ASSERT_EQ(0, pthread_create(&th, NULL, waiter_thread, &w));
	sleep_ns(100 * MS);
	close(a);
	ASSERT_EQ(0, pthread_join(th, NULL));
	TH_LOG("close: woken after %llu ms", (unsigned long long)(w.elapsed / MS));
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(5 * MS, w.l.granted_ns);
	EXPECT_EQ(TURN_WAIT, w.l.flags);
	EXPECT_GT(800 * MS, w.elapsed);
	EXPECT_EQ(5 * MS, consumed(self, ga));	/* settled as used at close */
	close(w.fd);

	/* a SIGKILLed holder: the same */
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int cfd = session_open(ga);

		close(pipefd[0]);
		if (cfd < 0 || t_lease(cfd, TD_CLOSE, 5 * MS, 0, TURN, 0, &l) ||
		    l.granted_ns != 5 * MS)
			_exit(1);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(2);
		pause();
		_exit(3);
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &ch, 1));
	close(pipefd[0]);
	w.fd = session_open(gb);
	ASSERT_LE(0, w.fd);
	w.done = 0;
	ASSERT_EQ(0, pthread_create(&th, NULL, waiter_thread, &w));
	sleep_ns(100 * MS);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(0, pthread_join(th, NULL));
	TH_LOG("SIGKILL: woken after %llu ms", (unsigned long long)(w.elapsed / MS));
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(5 * MS, w.l.granted_ns);
	EXPECT_EQ(TURN_WAIT, w.l.flags);
	EXPECT_GT(800 * MS, w.elapsed);
	EXPECT_EQ(10 * MS, consumed(self, ga));
	close(w.fd);
}

/*
 * A session's ask ends when it takes the device, or closes: it never makes
 * the holder hand over to itself, or to no one. With turn_min_us 0 (no
 * minimum turn hiding it) within the 5 ms a poller counts.
 */
TEST_F(compute, turns_own_ask)
{
	struct vgpu_compute_lease l;
	long long ga, gb;
	int a, b, c;
	long saved;

	saved = turn_min_us_rw(-1);
	if (saved == -ENOENT)
		SKIP(return, "module without turn_min_us");
	ASSERT_LE(0, saved);
	self->turn_min_saved = saved;
	ASSERT_EQ(0, turn_min_us_rw(0));

	ASSERT_EQ(0, turn_pair(self, 'o', 0, 1000000, &ga, &gb, &a, &b));
	c = session_open(gb);
	ASSERT_LE(0, c);

	/* B asks, A returns, B takes the device and keeps it */
	ASSERT_EQ(0, t_lease(a, TD_OWNASK, 5 * MS, 0, TURN, 0, &l));
	ASSERT_EQ(5 * MS, l.granted_ns);
	ASSERT_EQ(0, t_lease(b, TD_OWNASK, 5 * MS, 0, TURN, 0, &l));
	ASSERT_EQ(TURN | VGPU_COMPUTE_BUSY, l.flags);
	ASSERT_EQ(0, v_return(a, TD_OWNASK, 0, 0, &l));
	ASSERT_EQ(0, t_lease(b, TD_OWNASK, 5 * MS, 0, TURN, 0, &l));
	ASSERT_EQ(5 * MS, l.granted_ns);
	ASSERT_EQ(0, t_lease(b, TD_OWNASK, 5 * MS, 5 * MS, TURN, 0, &l));
	EXPECT_EQ(5 * MS, l.granted_ns);
	EXPECT_EQ(TURN, l.flags);

	/* C asks and closes: B keeps the device */
	ASSERT_EQ(0, t_lease(c, TD_OWNASK, 5 * MS, 0, TURN, 0, &l));
	ASSERT_EQ(TURN | VGPU_COMPUTE_BUSY, l.flags);
	close(c);
	ASSERT_EQ(0, t_lease(b, TD_OWNASK, 5 * MS, 5 * MS, TURN, 0, &l));
	EXPECT_EQ(5 * MS, l.granted_ns);
	EXPECT_EQ(TURN, l.flags);

	/* A asks: now B hands over */
	ASSERT_EQ(0, t_lease(a, TD_OWNASK, 5 * MS, 0, TURN, 0, &l));
	ASSERT_EQ(TURN | VGPU_COMPUTE_BUSY, l.flags);
	ASSERT_EQ(0, t_lease(b, TD_OWNASK, 5 * MS, 5 * MS, TURN, 0, &l));
	if (l.granted_ns) {
		TH_LOG("the VM passed A's 5 ms between two calls");
	} else {
		EXPECT_EQ(TURN | VGPU_COMPUTE_BUSY, l.flags);
	}
	close(a);
	close(b);
}

static volatile sig_atomic_t nr_sigs;

static void on_sig(int sig)
{
	(void)sig;
	nr_sigs++;
}

TEST_F(compute, turns_signal)
{
	struct vgpu_compute_lease l;
	struct sigaction sa = { .sa_handler = on_sig };
	long long ga, gs;
	pthread_t th;
	int a, round, i;

	ASSERT_EQ(0, turn_pair(self, 's', 0, 1000000, &ga, &gs, &a, NULL));

	/* without SA_RESTART, then with it: the same answer, no restart */
	for (round = 0; round < 2; round++) {
		struct waiter w = { .device = TD_SIGNAL, .wait_ns = 1000 * MS,
				    .used = (round + 1) * 3 * MS };

		/* A's turn renewed: it does not lapse while B waits */
		ASSERT_EQ(0, t_lease(a, TD_SIGNAL, 5 * MS, 0, TURN, 0, &l));
		ASSERT_EQ(5 * MS, l.granted_ns);
		sa.sa_flags = round ? SA_RESTART : 0;
		ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
		w.fd = session_open(gs);
		ASSERT_LE(0, w.fd);
		/* a lease without TURN, held: the waiting lease settles it */
		ASSERT_EQ(0, v_lease(w.fd, TD_SIGNAL, 20 * MS, 0, &l));
		ASSERT_EQ(20 * MS, l.granted_ns);
		nr_sigs = 0;
		ASSERT_EQ(0, pthread_create(&th, NULL, waiter_thread, &w));
		/* signalled until it returns: one may come before it sleeps */
		for (i = 0; i < 9 && !__atomic_load_n(&w.done, __ATOMIC_ACQUIRE); i++) {
			sleep_ns(100 * MS);
			pthread_kill(th, SIGUSR1);
		}
		ASSERT_EQ(0, pthread_join(th, NULL));
		TH_LOG("%s: %d signals, returned after %llu ms",
		       round ? "SA_RESTART" : "no SA_RESTART", (int)nr_sigs,
		       (unsigned long long)(w.elapsed / MS));
		EXPECT_EQ(0, w.ret);
		EXPECT_EQ(0, w.l.granted_ns);
		EXPECT_EQ(TURN_WAIT | VGPU_COMPUTE_BUSY, w.l.flags);
		EXPECT_LT(0, w.l.wait_ns);
		EXPECT_LE(1, nr_sigs);
		EXPECT_GT(900 * MS, w.elapsed);
		/* the held lease settled once, as reported */
		EXPECT_EQ(w.used, v_used(w.fd, VGPU_RES_COMPUTE) -
				  (round ? 3 * MS : 0));
		/* and nothing is held any more: the close settles nothing */
		close(w.fd);
		EXPECT_EQ((round ? 3 * MS : 0) + w.used, consumed(self, gs));
	}
	close(a);
}

/* Wait (2 s at most) until @w's thread sleeps (in its lease, once started). */
static void waiter_asleep(struct waiter *w)
{
	char path[64], buf[256], *st;
	int i, tid;
	FILE *f;

	for (i = 0; i < 200; i++, sleep_ns(10 * MS)) {
		tid = __atomic_load_n(&w->tid, __ATOMIC_ACQUIRE);
		if (!tid)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
		f = fopen(path, "r");
		if (!f)
			return;
		st = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (st && st[1] == ' ' && st[2] == 'S')
			return;
	}
}

/*
 * Two threads of one session: a lease granted to one while the other
 * sleeps in a WAIT lease is the session's still; the sleeper, answered BUSY
 * or granted, does not drop it unsettled (it counts as used, as at close).
 */
TEST_F(compute, turns_same_session)
{
	struct waiter w = { .device = TD_SAME, .wait_ns = 200 * MS };
	struct vgpu_compute_lease l;
	long long ga, gb;
	pthread_t th;
	int a;

	ASSERT_EQ(0, turn_pair(self, 'm', 0, 1000000, &ga, &gb, &a, NULL));

	/* the sleeper's wait ends BUSY: the other thread's lease is held */
	ASSERT_EQ(0, t_lease(a, TD_SAME, 5 * MS, 0, TURN, 0, &l));
	ASSERT_EQ(5 * MS, l.granted_ns);
	w.fd = session_open(gb);
	ASSERT_LE(0, w.fd);
	ASSERT_EQ(0, pthread_create(&th, NULL, waiter_thread, &w));
	waiter_asleep(&w);
	sleep_ns(20 * MS);
	ASSERT_EQ(0, v_lease(w.fd, TD_SAME, 10 * MS, 0, &l));
	EXPECT_EQ(10 * MS, l.granted_ns);
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(TURN_WAIT | VGPU_COMPUTE_BUSY, w.l.flags);
	close(w.fd);		/* settles the 10 ms lease as used */
	EXPECT_EQ(10 * MS, consumed(self, gb));

	/* the sleeper is granted: the lease it replaces counts as used */
	ASSERT_EQ(0, t_lease(a, TD_SAME, 5 * MS, 0, TURN, 0, &l));
	ASSERT_EQ(5 * MS, l.granted_ns);
	w.fd = session_open(gb);
	ASSERT_LE(0, w.fd);
	w.wait_ns = 1000 * MS;
	w.done = w.tid = 0;
	ASSERT_EQ(0, pthread_create(&th, NULL, waiter_thread, &w));
	waiter_asleep(&w);
	sleep_ns(20 * MS);
	ASSERT_EQ(0, v_lease(w.fd, TD_SAME, 10 * MS, 0, &l));
	EXPECT_EQ(10 * MS, l.granted_ns);
	ASSERT_EQ(0, v_return(a, TD_SAME, 0, 0, &l));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(5 * MS, w.l.granted_ns);
	EXPECT_EQ(TURN_WAIT, w.l.flags);
	close(w.fd);		/* and its own 5 ms */
	EXPECT_EQ(10 * MS + 10 * MS + 5 * MS, consumed(self, gb));
	close(a);
}

TEST_F(compute, turns_budget_refusal)
{
	struct vgpu_compute_lease l;
	__u64 hits0, thr0, hits1, thr1;
	long long gs, gb;
	int s, b;

	/* S: 10 % of 1 s, 100 ms a period */
	ASSERT_EQ(0, turn_pair(self, 'b', 10, 1000000, &gs, &gb, &s, &b));

	/* S holds the turn, spends its budget and is refused: no turn */
	ASSERT_EQ(0, t_lease(s, TD_BUDGET, 100 * MS, 0, TURN, 0, &l));
	ASSERT_EQ(100 * MS, l.granted_ns);
	hits(self, gs, &hits0, &thr0);
	ASSERT_EQ(0, t_lease(s, TD_BUDGET, MS, 100 * MS, TURN, 0, &l));
	EXPECT_EQ(0, l.granted_ns);
	EXPECT_EQ(TURN, l.flags);		/* refused, not busy */
	EXPECT_LT(0, l.wait_ns);
	hits(self, gs, &hits1, &thr1);
	EXPECT_EQ(hits0 + 1, hits1);
	EXPECT_LT(thr0, thr1);
	ASSERT_EQ(0, t_lease(b, TD_BUDGET, MS, 0, TURN, 0, &l));
	EXPECT_EQ(MS, l.granted_ns);
	EXPECT_EQ(TURN, l.flags);

	/* while B holds, S (spent) is refused, not told busy, and B, past
	 * its minimum turn, is not made to hand over to it */
	sleep_ns(turn_keep(SEC) + 10 * MS);
	ASSERT_EQ(0, t_lease(s, TD_BUDGET, MS, 0, TURN, 0, &l));
	EXPECT_EQ(0, l.granted_ns);
	EXPECT_EQ(TURN, l.flags);
	ASSERT_EQ(0, t_lease(b, TD_BUDGET, MS, MS, TURN, 0, &l));
	EXPECT_EQ(MS, l.granted_ns);
	EXPECT_EQ(TURN, l.flags);

	/* a refused session that did not hold the turn takes none either */
	ASSERT_EQ(0, v_return(b, TD_BUDGET, MS, 0, &l));
	ASSERT_EQ(0, t_lease(s, TD_BUDGET, MS, 0, TURN, 0, &l));
	EXPECT_EQ(0, l.granted_ns);
	EXPECT_EQ(TURN, l.flags);
	ASSERT_EQ(0, t_lease(b, TD_BUDGET, MS, 0, TURN, 0, &l));
	EXPECT_EQ(MS, l.granted_ns);
	EXPECT_EQ(TURN, l.flags);
	close(s);
	close(b);
}

/* ---- netlink settings ------------------------------------------------------ */

TEST_F(compute, netlink_settings)
{
	struct vgpu_nl_req req = {};
	struct vgpu_nl_guest g;
	long long id;
	__u32 bad_period[] = { 0, 9999, 1000001 };
	unsigned int i;

	id = cguest(self, "ns", 0, 0, 0);
	ASSERT_LT(0, id);
	ASSERT_EQ(0, nl_get_id(&self->nl, id, &g));
	ASSERT_TRUE(g.has_compute);
	EXPECT_EQ(VGPU_COMPUTE_PERIOD_DEFAULT_US, g.period_us);
	EXPECT_EQ(0, g.weight);
	EXPECT_EQ(0, g.consumed);
	EXPECT_EQ(0, g.throttled);

	req.has_id = true;
	req.id = id;
	req.has_period = true;
	req.period_us = 50000;
	req.has_weight = true;
	req.weight = 200;
	ASSERT_EQ(0, vgpu_nl_guest_set(&self->nl, &req));
	ASSERT_EQ(0, nl_get_id(&self->nl, id, &g));
	EXPECT_EQ(50000, g.period_us);
	EXPECT_EQ(200, g.weight);

	for (i = 0; i < sizeof(bad_period) / sizeof(bad_period[0]); i++) {
		req.period_us = bad_period[i];
		EXPECT_EQ(-EINVAL, vgpu_nl_guest_set(&self->nl, &req));
	}
	req.has_period = false;
	req.weight = VGPU_COMPUTE_WEIGHT_MAX + 1;
	EXPECT_EQ(-EINVAL, vgpu_nl_guest_set(&self->nl, &req));
	ASSERT_EQ(0, nl_get_id(&self->nl, id, &g));
	EXPECT_EQ(50000, g.period_us);
	EXPECT_EQ(200, g.weight);
	/* weight 0 removes it; the extremes are taken */
	req.weight = 0;
	req.has_period = true;
	req.period_us = VGPU_COMPUTE_PERIOD_MAX_US;
	ASSERT_EQ(0, vgpu_nl_guest_set(&self->nl, &req));
	ASSERT_EQ(0, nl_get_id(&self->nl, id, &g));
	EXPECT_EQ(0, g.weight);
	EXPECT_EQ(VGPU_COMPUTE_PERIOD_MAX_US, g.period_us);

	/* GUEST_NEW takes them too */
	id = cguest(self, "nn", 30, VGPU_COMPUTE_PERIOD_MIN_US, 10000);
	ASSERT_LT(0, id);
	ASSERT_EQ(0, nl_get_id(&self->nl, id, &g));
	EXPECT_EQ(VGPU_COMPUTE_PERIOD_MIN_US, g.period_us);
	EXPECT_EQ(10000, g.weight);
	EXPECT_EQ(30, g.res[VGPU_RES_COMPUTE].limit);
}

/* ---- cap and refill -------------------------------------------------------- */

TEST_F(compute, cap_and_refill)
{
	struct vgpu_compute_lease l;
	struct vgpu_nl_guest g;
	__u64 t0;
	long long id;
	int fd;

	/* 50 % of 1 s: 500 ms per period */
	id = cguest(self, "cr", 50, 1000000, 0);
	ASSERT_LT(0, id);
	fd = session_open(id);
	ASSERT_LE(0, fd);

	ASSERT_EQ(0, v_lease(fd, 0, 300 * MS, 0, &l));
	EXPECT_EQ(300 * MS, l.granted_ns);
	EXPECT_EQ(200 * MS, l.budget_ns);
	EXPECT_EQ(1000 * MS, l.period_ns);
	/* settles the 300 ms as used, then grants what is left, not more */
	ASSERT_EQ(0, v_lease(fd, 0, 300 * MS, 300 * MS, &l));
	EXPECT_EQ(200 * MS, l.granted_ns);
	EXPECT_EQ(0, l.budget_ns);
	/* nothing left: refused, told when the refill comes */
	ASSERT_EQ(0, v_lease(fd, 0, MS, 200 * MS, &l));
	EXPECT_EQ(0, l.granted_ns);
	EXPECT_LT(0, l.wait_ns);
	EXPECT_GE(1000 * MS, l.wait_ns);
	ASSERT_EQ(0, nl_get_id(&self->nl, id, &g));
	EXPECT_EQ(500 * MS, g.consumed);
	EXPECT_LE(1, g.res[VGPU_RES_COMPUTE].limit_hits);
	EXPECT_LT(0, g.throttled);
	EXPECT_GE(1000 * MS, g.throttled);

	/* after the refill: granted again, a full period's quota at most */
	t0 = now_ns();
	sleep_ns(l.wait_ns + MS);
	ASSERT_EQ(0, v_lease(fd, 0, 1000 * MS, 0, &l));
	EXPECT_EQ(500 * MS, l.granted_ns);
	EXPECT_LE(t0, now_ns());
	close(fd);
}

TEST_F(compute, unused_time_returns)
{
	struct vgpu_compute_lease l;
	long long id;
	int fd;

	id = cguest(self, "ru", 50, 1000000, 0);
	ASSERT_LT(0, id);
	fd = session_open(id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, v_lease(fd, 0, 300 * MS, 0, &l));
	ASSERT_EQ(300 * MS, l.granted_ns);
	ASSERT_EQ(0, v_return(fd, 0, 100 * MS, 0, &l));
	EXPECT_EQ(400 * MS, l.budget_ns);
	EXPECT_EQ(0, l.granted_ns);
	/* the session holds no lease now: returning again changes nothing */
	ASSERT_EQ(0, v_return(fd, 0, 0, 0, &l));
	EXPECT_EQ(400 * MS, l.budget_ns);
	EXPECT_EQ(100 * MS, v_used(fd, VGPU_RES_COMPUTE));
	/* the whole rest can be leased */
	ASSERT_EQ(0, v_lease(fd, 0, 1000 * MS, 0, &l));
	EXPECT_EQ(400 * MS, l.granted_ns);
	close(fd);
}

TEST_F(compute, overrun_is_debt)
{
	struct vgpu_compute_lease l;
	__u64 t0, waited;
	long long id;
	int fd, i;

	/* 10 % of 100 ms: 10 ms per period */
	id = cguest(self, "db", 10, 100000, 0);
	ASSERT_LT(0, id);
	fd = session_open(id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, v_lease(fd, 0, 10 * MS, 0, &l));
	ASSERT_EQ(10 * MS, l.granted_ns);
	/* the work took 45 ms: 35 ms of debt */
	ASSERT_EQ(0, v_return(fd, 0, 45 * MS, 0, &l));
	t0 = now_ns();
	EXPECT_GE(-25 * (__s64)MS, l.budget_ns);
	/* paid by the next quotas: four refills, at least three periods */
	for (i = 0; i < 400; i++) {
		ASSERT_EQ(0, v_lease(fd, 0, MS, 0, &l));
		if (l.granted_ns)
			break;
		sleep_ns(l.wait_ns + 100000);
	}
	waited = now_ns() - t0;
	EXPECT_NE(0, l.granted_ns);
	EXPECT_LE(290 * MS, waited);
	EXPECT_EQ(45 * MS, v_used(fd, VGPU_RES_COMPUTE));
	close(fd);
}

/* ---- sharing ---------------------------------------------------------------- */

struct sat_arg {
	long long id;
	__u64 dur;
	__u64 got;
	int stop;
};

static void *sat_thread(void *p)
{
	struct sat_arg *a = p;
	int fd = session_open(a->id);

	if (fd >= 0) {
		a->got = saturate(fd, 5 * MS, a->dur, &a->stop);
		close(fd);
	}
	return NULL;
}

/*
 * Periods of 500 ms: a consumption step per period and guest, so the last
 * complete period holds exactly one quota of each, however late the VM
 * wakes the threads within it.
 */
TEST_F(compute, weights_share_and_conserve)
{
	struct sat_arg a = { .dur = 10000 * MS }, b = { .dur = 4000 * MS };
	struct vgpu_nl_guest ga, gb;
	pthread_t ta, tb;
	double ratio = 0;
	int i;

	/* weights 1:3, no caps */
	a.id = cguest(self, "wa", 0, 500000, 100);
	b.id = cguest(self, "wb", 0, 500000, 300);
	ASSERT_LT(0, a.id);
	ASSERT_LT(0, b.id);
	ASSERT_EQ(0, pthread_create(&ta, NULL, sat_thread, &a));
	ASSERT_EQ(0, pthread_create(&tb, NULL, sat_thread, &b));
	/*
	 * From 1.2 s in (2 periods settled), the first complete period through
	 * which both threads ran: a loaded VM may not run one of them in a
	 * period at all (it then leaves its time to the other, as it should),
	 * which says nothing of the weights. Each look is one period later.
	 */
	sleep_ns(1200 * MS);
	for (i = 0; i < 5; i++) {
		sleep_ns(i ? 500 * MS : 0);
		ASSERT_EQ(0, nl_get_id(&self->nl, a.id, &ga));
		ASSERT_EQ(0, nl_get_id(&self->nl, b.id, &gb));
		if (ga.share_period && gb.share_period &&
		    ga.share_period + gb.share_period >= VGPU_SHARE_ONE - 300)
			break;
	}
	ASSERT_LT(i, 5) TH_LOG("no period in 2.5 s through which both threads ran");
	ratio = (double)gb.share_period / ga.share_period;
	TH_LOG("weights 1:3: shares %u and %u (1/%u) of a period (look %d), ratio %.2f",
	       ga.share_period, gb.share_period, VGPU_SHARE_ONE, i + 1, ratio);
	EXPECT_LT(2.7, ratio);
	EXPECT_GT(3.3, ratio);
	/* together they use the device, no more */
	EXPECT_GE(VGPU_SHARE_ONE + 100, ga.share_period + gb.share_period);

	/* b stops: two of its periods later a gets the whole device (polled:
	 * a loaded VM may run a's thread late) */
	__atomic_store_n(&b.stop, 1, __ATOMIC_RELAXED);
	pthread_join(tb, NULL);
	for (i = 0; i < 60; i++) {
		sleep_ns(100 * MS);
		ASSERT_EQ(0, nl_get_id(&self->nl, a.id, &ga));
		if (ga.share_period >= VGPU_SHARE_ONE * 9 / 10)
			break;
	}
	TH_LOG("weight 1 alone: %u (1/%u) of the last period, %d ms after b stopped",
	       ga.share_period, VGPU_SHARE_ONE, (i + 1) * 100);
	EXPECT_LE(VGPU_SHARE_ONE * 9 / 10, ga.share_period);
	__atomic_store_n(&a.stop, 1, __ATOMIC_RELAXED);
	pthread_join(ta, NULL);
}

TEST_F(compute, limit_change_at_run_time)
{
	struct sat_arg a = { .dur = 2600 * MS };
	pthread_t ta;
	__u64 c0, c1, c2, c3;
	double s1, s2;

	a.id = cguest(self, "lc", 20, 100000, 0);
	ASSERT_LT(0, a.id);
	ASSERT_EQ(0, pthread_create(&ta, NULL, sat_thread, &a));
	sleep_ns(100 * MS);
	c0 = consumed(self, a.id);
	sleep_ns(1000 * MS);
	c1 = consumed(self, a.id);
	ASSERT_EQ(0, nl_set_limit(&self->nl, a.id, VGPU_RES_COMPUTE, 60));
	sleep_ns(200 * MS);		/* at most one period to take effect */
	c2 = consumed(self, a.id);
	sleep_ns(1000 * MS);
	c3 = consumed(self, a.id);
	s1 = (double)(c1 - c0) / (1000.0 * MS);
	s2 = (double)(c3 - c2) / (1000.0 * MS);
	TH_LOG("cap 20 %%: %.1f %%; raised to 60 %%: %.1f %%", s1 * 100, s2 * 100);
	/* a window holds 10 or 11 refills; a loaded VM may run the thread
	 * less (loose lower bounds), the ledger never more (tight upper ones) */
	EXPECT_LT(0.12, s1);
	EXPECT_GT(0.25, s1);
	EXPECT_LT(0.40, s2);
	EXPECT_GT(0.70, s2);
	pthread_join(ta, NULL);
}

TEST_F(compute, share_figures)
{
	struct sat_arg a = { .dur = 2300 * MS };
	struct vgpu_nl_guest g;
	pthread_t ta;

	a.id = cguest(self, "sf", 30, 100000, 0);
	ASSERT_LT(0, a.id);
	ASSERT_EQ(0, pthread_create(&ta, NULL, sat_thread, &a));
	sleep_ns(2100 * MS);		/* a whole second behind us */
	ASSERT_EQ(0, nl_get_id(&self->nl, a.id, &g));
	TH_LOG("share last period %u, last second %u (1/%u)", g.share_period,
	       g.share_second, VGPU_SHARE_ONE);
	/* exactly one quota per period; a second holds ten refills, of which
	 * a thread the VM wakes late may miss some: bounded above only */
	EXPECT_LE(2900, g.share_period);
	EXPECT_GE(3100, g.share_period);
	EXPECT_LT(0, g.share_second);
	EXPECT_GE(3100, g.share_second);
	EXPECT_LT(0, g.throttled);
	pthread_join(ta, NULL);
}

/* ---- a lease holder killed ------------------------------------------------- */

TEST_F(compute, sigkill_while_holding_a_lease)
{
	struct vgpu_compute_lease l;
	struct vgpu_nl_guest g;
	int pipefd[2], status, fd;
	long long id;
	pid_t pid;
	char c;

	id = cguest(self, "sk", 50, 1000000, 0);
	ASSERT_LT(0, id);
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int cfd = session_open(id);

		if (cfd < 0 || v_lease(cfd, 0, 300 * MS, 0, &l) ||
		    l.granted_ns != 300 * MS)
			_exit(1);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(2);
		pause();
		_exit(3);
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	close(pipefd[0]);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));

	/* the lease was settled as used: counted, and not given back */
	ASSERT_EQ(0, nl_get_id(&self->nl, id, &g));
	EXPECT_EQ(0, g.sessions);
	EXPECT_EQ(300 * MS, g.consumed);
	fd = session_open(id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, v_lease(fd, 0, 1000 * MS, 0, &l));
	EXPECT_EQ(200 * MS, l.granted_ns);
	close(fd);
	/* and the guest can go */
	ASSERT_EQ(0, nl_del_id(&self->nl, id));
	self->nr--;
}

/* ---- events and fallback --------------------------------------------------- */

TEST_F(compute, throttled_event_rate_limited_and_fallback)
{
	struct vgpu_compute_lease l;
	struct vgpu_nl_event e;
	struct vgpu_nl_guest g;
	struct vgpu_nl ev;
	long long id;
	int fd, i;

	id = cguest(self, "te", 1, 1000000, 0);
	ASSERT_LT(0, id);
	ASSERT_EQ(0, vgpu_nl_events_open(&ev));
	fd = session_open(id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, v_lease(fd, 5, 10 * MS, 0, &l));
	ASSERT_EQ(10 * MS, l.granted_ns);
	ASSERT_EQ(0, v_lease(fd, 5, 10 * MS, 10 * MS, &l));
	ASSERT_EQ(0, l.granted_ns);
	ASSERT_EQ(0, vgpu_nl_event_wait(&ev, VGPU_NL_CMD_THROTTLED_NTF, id, 2000, &e));
	EXPECT_TRUE(e.has_device && e.has_wait);
	EXPECT_EQ(5, e.device);
	EXPECT_LT(0, e.wait);
	EXPECT_EQ(id, e.guest.id);
	/* many refusals within a second: no second event */
	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, v_lease(fd, 5, 10 * MS, 0, &l));
	EXPECT_EQ(-ETIMEDOUT,
		  vgpu_nl_event_wait(&ev, VGPU_NL_CMD_THROTTLED_NTF, id, 300, &e));

	/* CPU fallback time is counted apart from the device time */
	ASSERT_EQ(0, v_return(fd, 5, 0, 42 * MS, &l));
	ASSERT_EQ(0, nl_get_id(&self->nl, id, &g));
	EXPECT_EQ(42 * MS, g.fallback);
	EXPECT_EQ(10 * MS, g.consumed);
	EXPECT_LE(21, g.res[VGPU_RES_COMPUTE].limit_hits);
	vgpu_nl_close(&ev);
	close(fd);
}

TEST_HARNESS_MAIN
