// SPDX-License-Identifier: GPL-2.0
/*
 * Compute leases (VGPU_IOC_COMPUTE_LEASE / VGPU_IOC_COMPUTE_RETURN): the
 * argument contract, grants bounded by the cap and refilled per period,
 * unused time given back, overrun carried as debt, weights sharing a device
 * in proportion and giving an idle guest's time to the others, a limit
 * changed at run time, a lease held by a SIGKILLed process, the netlink
 * settings and figures, and the rate-limited THROTTLED event.
 *
 * Device time is simulated: a loop reports each lease as fully used the
 * moment it gets it, so the kernel's arithmetic alone decides the shares.
 */
#include <pthread.h>

#include "vgpu_test.h"

#define MS	1000000ULL
#define MAX_GUESTS 8

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
};

FIXTURE_SETUP(compute)
{
	const char *why = vgpu_missing(&self->nl);
	struct vgpu_version v;
	int fd;

	self->nr = 0;
	if (why)
		SETUP_SKIP("%s", why);
	fd = vgpu_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, v_version(fd, &v));
	close(fd);
	if (!(v.caps & VGPU_CAP_COMPUTE))
		SETUP_SKIP("module without VGPU_CAP_COMPUTE");
}

FIXTURE_TEARDOWN(compute)
{
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
	EXPECT_LE(2, v.api_version);
	EXPECT_TRUE(v.caps & VGPU_CAP_COMPUTE);
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
	l.flags = 1;
	EXPECT_EQ(-EINVAL, vioctl(fd, VGPU_IOC_COMPUTE_LEASE, &l));
	l.flags = 0;
	l.__reserved = 1;
	EXPECT_EQ(-EINVAL, vioctl(fd, VGPU_IOC_COMPUTE_LEASE, &l));
	l.__reserved = 0;
	l.size = offsetof(struct vgpu_compute_lease, budget_ns);
	EXPECT_EQ(-EINVAL, vioctl(fd, VGPU_IOC_COMPUTE_LEASE, &l));
	/* RETURN asks for nothing */
	l.size = sizeof(l);
	EXPECT_EQ(-EINVAL, vioctl(fd, VGPU_IOC_COMPUTE_RETURN, &l));
	EXPECT_EQ(-EFAULT, vioctl(fd, VGPU_IOC_COMPUTE_LEASE, NULL));

	/* no limit, no weight: granted in full, use counted */
	ASSERT_EQ(0, v_lease(fd, 3, 7 * MS, 0, &l));
	EXPECT_EQ(7 * MS, l.granted_ns);
	EXPECT_EQ(0, l.wait_ns);
	EXPECT_EQ(100 * MS, l.period_ns);	/* the default period */
	ASSERT_EQ(0, v_return(fd, 3, 5 * MS, 2 * MS, &l));
	EXPECT_EQ(5 * MS, consumed(self, id));
	EXPECT_EQ(5 * MS, v_used(fd, VGPU_RES_COMPUTE));
	close(fd);
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
