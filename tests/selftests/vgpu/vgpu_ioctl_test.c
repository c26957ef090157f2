// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/vgpu ioctls: the happy path of every command, attach rules, handles
 * (stale, of another kind, of another session), the per-session object caps,
 * and release of everything on close.
 */
#include "vgpu_test.h"

#define MiB (1024ULL * 1024)

/* ---- a session not attached yet ------------------------------------------ */

FIXTURE(unattached) {
	struct vgpu_nl nl;
	long long id;
	char name[VGPU_NAME_MAX];
	int fd;
};

FIXTURE_SETUP(unattached)
{
	const char *why = vgpu_missing(&self->nl);

	if (why)
		SETUP_SKIP("%s", why);
	self->id = guest_new(&self->nl, "un", NULL, self->name);
	ASSERT_LE(0, self->id) TH_LOG("guest new: %s (%s)",
				      strerror(-self->id), self->nl.ext_msg);
	self->fd = vgpu_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(unattached)
{
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_EQ(0, nl_del_id(&self->nl, self->id));
	vgpu_nl_close(&self->nl);
}

TEST_F(unattached, version)
{
	struct vgpu_version v;

	ASSERT_EQ(0, v_version(self->fd, &v));
	EXPECT_EQ(sizeof(v), v.size);
	EXPECT_EQ(0, v.flags);
	EXPECT_EQ(VGPU_API_VERSION, v.api_version);
	EXPECT_EQ(VGPU_RES_NR, v.nr_resources);
	EXPECT_EQ(VGPU_CAP_CONTEXTS | VGPU_CAP_MEMORY | VGPU_CAP_PIN |
		  VGPU_CAP_USAGE | VGPU_CAP_NETLINK | VGPU_CAP_COMPUTE |
		  VGPU_CAP_COMPUTE_TURNS,
		  v.caps & (VGPU_CAP_CONTEXTS | VGPU_CAP_MEMORY | VGPU_CAP_PIN |
			    VGPU_CAP_USAGE | VGPU_CAP_NETLINK | VGPU_CAP_COMPUTE |
			    VGPU_CAP_COMPUTE_TURNS));
	EXPECT_LT(0, v.max_contexts);
	EXPECT_LT(0, v.max_charges);
	EXPECT_LT(0, v.max_pins);
	EXPECT_EQ(0, v.__reserved);

	/* Same answer on an attached session. */
	ASSERT_EQ(0, v_attach_id(self->fd, self->id));
	ASSERT_EQ(0, v_version(self->fd, &v));
	EXPECT_EQ(VGPU_API_VERSION, v.api_version);
}

TEST_F(unattached, ops_before_attach_enotconn)
{
	struct vgpu_usage u;
	long ps = page_size();
	void *buf = mmap(NULL, ps, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, buf);
	EXPECT_EQ(-ENOTCONN, v_ctx_create(self->fd, 0, 0, NULL));
	EXPECT_EQ(-ENOTCONN, v_charge(self->fd, 4096, NULL));
	EXPECT_EQ(-ENOTCONN, v_pin(self->fd, buf, ps, 0, NULL));
	EXPECT_EQ(-ENOTCONN, v_usage(self->fd, &u));
	EXPECT_EQ(-ENOTCONN, v_ctx_destroy(self->fd, 1));
	EXPECT_EQ(-ENOTCONN, v_uncharge(self->fd, 1));
	EXPECT_EQ(-ENOTCONN, v_unpin(self->fd, 1));
	munmap(buf, ps);

	/* The refusals left the session attachable. */
	ASSERT_EQ(0, v_attach_id(self->fd, self->id));
	EXPECT_EQ(0, v_usage(self->fd, &u));
}

TEST_F(unattached, attach_by_id)
{
	struct vgpu_attach a = { .size = sizeof(a), .guest_id = self->id };
	struct vgpu_usage u;
	struct vgpu_nl_guest g;

	ASSERT_EQ(0, vioctl(self->fd, VGPU_IOC_ATTACH, &a));
	EXPECT_EQ(self->id, a.guest_id);
	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_EQ(self->id, u.guest_id);
	EXPECT_EQ(1, u.sessions);
	ASSERT_EQ(0, nl_get_id(&self->nl, self->id, &g));
	ASSERT_TRUE(g.has_sessions);
	EXPECT_EQ(1, g.sessions);
}

TEST_F(unattached, attach_by_name)
{
	__u32 id = 0;
	struct vgpu_usage u;

	ASSERT_EQ(0, v_attach_name(self->fd, self->name, &id));
	EXPECT_EQ(self->id, id);
	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_EQ(self->id, u.guest_id);
}

TEST_F(unattached, attach_twice_ealready)
{
	long long other = guest_new(&self->nl, "o", NULL, NULL);
	struct vgpu_usage u;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, v_attach_id(self->fd, self->id));
	EXPECT_EQ(-EALREADY, v_attach_id(self->fd, self->id));
	EXPECT_EQ(-EALREADY, v_attach_name(self->fd, self->name, NULL));
	EXPECT_EQ(-EALREADY, v_attach_id(self->fd, other));
	/* Still attached to the first guest only. */
	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_EQ(self->id, u.guest_id);
	EXPECT_EQ(1, u.sessions);
	EXPECT_EQ(0, nl_del_id(&self->nl, other));
}

TEST_F(unattached, attach_unknown_enoent)
{
	long long gone = guest_new(&self->nl, "gone", NULL, NULL);
	char missing[VGPU_NAME_MAX];

	ASSERT_LE(0, gone);
	ASSERT_EQ(0, nl_del_id(&self->nl, gone));
	EXPECT_EQ(-ENOENT, v_attach_id(self->fd, gone));
	guest_name(missing, sizeof(missing), "none");
	EXPECT_EQ(-ENOENT, v_attach_name(self->fd, missing, NULL));
	/* A failed attach leaves the session free to attach. */
	EXPECT_EQ(0, v_attach_id(self->fd, self->id));
}

TEST_F(unattached, attach_bad_name_einval)
{
	struct vgpu_attach a = { .size = sizeof(a), .flags = VGPU_ATTACH_BY_NAME };

	/* empty */
	EXPECT_EQ(-EINVAL, vioctl(self->fd, VGPU_IOC_ATTACH, &a));
	/* not NUL-terminated */
	memset(a.name, 'a', sizeof(a.name));
	EXPECT_EQ(-EINVAL, vioctl(self->fd, VGPU_IOC_ATTACH, &a));
	/* a name without VGPU_ATTACH_BY_NAME: name must be all 0 */
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.guest_id = self->id;
	strcpy(a.name, self->name);
	EXPECT_EQ(-EINVAL, vioctl(self->fd, VGPU_IOC_ATTACH, &a));
	EXPECT_EQ(0, v_attach_id(self->fd, self->id));
}

TEST_F(unattached, unknown_ioctl_enotty)
{
	char buf[256] = {};

	*(__u32 *)buf = sizeof(struct vgpu_handle_op);
	EXPECT_EQ(-ENOTTY, vioctl(self->fd, _IO(VGPU_TYPE, 0), NULL));
	EXPECT_EQ(-ENOTTY, vioctl(self->fd, _IO(VGPU_TYPE, VGPU_CMD_BASE - 1), NULL));
	EXPECT_EQ(-ENOTTY, vioctl(self->fd, _IOWR(VGPU_TYPE, VGPU_CMD_BASE + 0x40,
						 struct vgpu_handle_op), buf));
	/* the compute-lease numbers with another argument type */
	EXPECT_EQ(-ENOTTY, vioctl(self->fd, _IOWR(VGPU_TYPE, VGPU_CMD_COMPUTE_LEASE,
						 struct vgpu_handle_op), buf));
	EXPECT_EQ(-ENOTTY, vioctl(self->fd, _IOWR(VGPU_TYPE, VGPU_CMD_COMPUTE_RETURN,
						 struct vgpu_handle_op), buf));
	/* the first number past the last command */
	EXPECT_EQ(-ENOTTY, vioctl(self->fd, _IOWR(VGPU_TYPE, VGPU_CMD_COMPUTE_RETURN + 1,
						 struct vgpu_handle_op), buf));
	/* a vgpu command number under another ioctl type */
	*(__u32 *)buf = sizeof(struct vgpu_version);
	EXPECT_EQ(-ENOTTY, vioctl(self->fd, _IOWR('x', VGPU_CMD_VERSION,
						 struct vgpu_version), buf));
	/* a tty ioctl */
	EXPECT_EQ(-ENOTTY, vioctl(self->fd, TCGETS, buf));
}

TEST_F(unattached, stats_sessions)
{
	struct vgpu_nl_stats s0, s1, s2;
	int fd;

	ASSERT_EQ(0, vgpu_nl_stats_get(&self->nl, &s0));
	ASSERT_TRUE(s0.has_sessions && s0.has_guests && s0.has_limit_hits &&
		    s0.has_events);
	EXPECT_LE(1, s0.guests);
	EXPECT_LE(1, s0.sessions);	/* self->fd, unattached, counts */
	fd = vgpu_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vgpu_nl_stats_get(&self->nl, &s1));
	EXPECT_EQ(s0.sessions + 1, s1.sessions);
	close(fd);
	ASSERT_EQ(0, vgpu_nl_stats_get(&self->nl, &s2));
	EXPECT_EQ(s0.sessions, s2.sessions);
	EXPECT_EQ(s0.guests, s2.guests);
}

/* ---- an attached session ----------------------------------------------------- */

FIXTURE(attached) {
	struct vgpu_nl nl;
	long long id;
	char name[VGPU_NAME_MAX];
	int fd;
	int fd2;
	struct vgpu_version ver;
	void *buf;
	size_t buflen;
};

FIXTURE_SETUP(attached)
{
	const char *why = vgpu_missing(&self->nl);

	self->fd = self->fd2 = -1;
	if (why)
		SETUP_SKIP("%s", why);
	self->id = guest_new(&self->nl, "at", NULL, self->name);
	ASSERT_LE(0, self->id) TH_LOG("guest new: %s (%s)",
				      strerror(-self->id), self->nl.ext_msg);
	self->fd = session_open(self->id);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, v_version(self->fd, &self->ver));
	self->buflen = 16 * page_size();
	self->buf = mmap(NULL, self->buflen, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(attached)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->fd2 >= 0)
		close(self->fd2);
	/* EBUSY here would mean a closed session stayed attached. */
	EXPECT_EQ(0, nl_del_id(&self->nl, self->id));
	vgpu_nl_close(&self->nl);
}

#define EXPECT_COUNTER(u, r, used_, peak_, hits_) do {			\
	EXPECT_EQ((__u64)(used_), (u).res[r].used);			\
	EXPECT_EQ((__u64)(peak_), (u).res[r].peak);			\
	EXPECT_EQ((__u64)(hits_), (u).res[r].limit_hits);		\
} while (0)

TEST_F(attached, usage_fresh)
{
	struct vgpu_usage u;
	int r;

	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_EQ(sizeof(u), u.size);
	EXPECT_EQ(self->id, u.guest_id);
	EXPECT_EQ(VGPU_RES_NR, u.nr_resources);
	EXPECT_EQ(1, u.sessions);
	EXPECT_EQ(0, u.__reserved);
	for (r = 0; r < VGPU_RES_NR; r++) {
		EXPECT_COUNTER(u, r, 0, 0, 0);
	}
	EXPECT_EQ(VGPU_LIMIT_UNLIMITED, u.res[VGPU_RES_MEMORY].limit);
	EXPECT_EQ(VGPU_LIMIT_UNLIMITED, u.res[VGPU_RES_PINNED].limit);
	EXPECT_EQ(VGPU_LIMIT_UNLIMITED, u.res[VGPU_RES_CONTEXTS].limit);
	/* slots past nr_resources are left zero */
	for (r = VGPU_RES_NR; r < VGPU_RES_SLOTS; r++) {
		EXPECT_COUNTER(u, r, 0, 0, 0);
		EXPECT_EQ(0, u.res[r].limit);
	}
}

TEST_F(attached, ctx_create_destroy)
{
	struct vgpu_usage u;
	__u32 a, b;

	ASSERT_EQ(0, v_ctx_create(self->fd, 0, 3 * MiB, &a));
	ASSERT_EQ(0, v_ctx_create(self->fd, 1, 0, &b));
	EXPECT_NE(a, b);
	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_COUNTER(u, VGPU_RES_CONTEXTS, 2, 2, 0);
	EXPECT_COUNTER(u, VGPU_RES_MEMORY, 3 * MiB, 3 * MiB, 0);

	/* context and its memory go together */
	ASSERT_EQ(0, v_ctx_destroy(self->fd, a));
	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_COUNTER(u, VGPU_RES_CONTEXTS, 1, 2, 0);
	EXPECT_COUNTER(u, VGPU_RES_MEMORY, 0, 3 * MiB, 0);
	ASSERT_EQ(0, v_ctx_destroy(self->fd, b));
	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_COUNTER(u, VGPU_RES_CONTEXTS, 0, 2, 0);
	/* stale */
	EXPECT_EQ(-ENOENT, v_ctx_destroy(self->fd, a));
	EXPECT_EQ(-ENOENT, v_ctx_destroy(self->fd, b));
}

TEST_F(attached, mem_charge_uncharge)
{
	struct vgpu_usage u;
	__u32 a, b;

	ASSERT_EQ(0, v_charge(self->fd, 4096, &a));
	ASSERT_EQ(0, v_charge(self->fd, 8191, &b));
	EXPECT_NE(a, b);
	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_COUNTER(u, VGPU_RES_MEMORY, 12287, 12287, 0);
	ASSERT_EQ(0, v_uncharge(self->fd, a));
	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_COUNTER(u, VGPU_RES_MEMORY, 8191, 12287, 0);
	ASSERT_EQ(0, v_uncharge(self->fd, b));
	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_COUNTER(u, VGPU_RES_MEMORY, 0, 12287, 0);
	/* a large charge is only bookkeeping */
	ASSERT_EQ(0, v_charge(self->fd, 1ULL << 50, &a));
	EXPECT_EQ(1ULL << 50, v_used(self->fd, VGPU_RES_MEMORY));
	ASSERT_EQ(0, v_uncharge(self->fd, a));
	EXPECT_EQ(0, v_used(self->fd, VGPU_RES_MEMORY));
}

TEST_F(attached, mem_charge_zero_einval)
{
	EXPECT_EQ(-EINVAL, v_charge(self->fd, 0, NULL));
	EXPECT_EQ(0, v_used(self->fd, VGPU_RES_MEMORY));
}

TEST_F(attached, pin_unpin)
{
	long ps = page_size();
	struct vgpu_usage u;
	__u32 a, b;

	ASSERT_EQ(0, v_pin(self->fd, self->buf, 4 * ps, 0, &a));
	ASSERT_EQ(0, v_pin(self->fd, (char *)self->buf + 4 * ps, 2 * ps,
			   VGPU_PIN_WRITE, &b));
	EXPECT_NE(a, b);
	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_COUNTER(u, VGPU_RES_PINNED, 6 * ps, 6 * ps, 0);
	ASSERT_EQ(0, v_unpin(self->fd, a));
	EXPECT_EQ(2 * ps, v_used(self->fd, VGPU_RES_PINNED));
	ASSERT_EQ(0, v_unpin(self->fd, b));
	EXPECT_EQ(0, v_used(self->fd, VGPU_RES_PINNED));
	EXPECT_EQ(-ENOENT, v_unpin(self->fd, a));
}

TEST_F(attached, stale_handles_enoent)
{
	__u32 h;

	ASSERT_EQ(0, v_charge(self->fd, 100, &h));
	ASSERT_EQ(0, v_uncharge(self->fd, h));
	EXPECT_EQ(-ENOENT, v_uncharge(self->fd, h));
	/* never created */
	EXPECT_EQ(-ENOENT, v_uncharge(self->fd, h + 1000));
	EXPECT_EQ(-ENOENT, v_uncharge(self->fd, 0xffffffff));
	EXPECT_EQ(-ENOENT, v_unpin(self->fd, 0xffffffff));
	EXPECT_EQ(-ENOENT, v_ctx_destroy(self->fd, 0xffffffff));
	EXPECT_EQ(0, v_used(self->fd, VGPU_RES_MEMORY));
}

/*
 * A released handle stays stale while its table slot is reused over and over
 * (the slot's generation once wrapped after 4096 creations: a second release
 * of the old handle then freed a live object).
 */
TEST_F(attached, stale_handle_not_reissued)
{
	__u32 h0, h;
	int i;

	ASSERT_EQ(0, v_charge(self->fd, 100, &h0));
	ASSERT_EQ(0, v_uncharge(self->fd, h0));
	for (i = 0; i < 20000; i++) {
		ASSERT_EQ(0, v_charge(self->fd, 100, &h));
		ASSERT_NE(h0, h) TH_LOG("handle %#x issued again after %d creations",
					h0, i + 1);
		ASSERT_EQ(0, v_uncharge(self->fd, h));
	}
	ASSERT_EQ(0, v_charge(self->fd, 100, &h));
	EXPECT_EQ(-ENOENT, v_uncharge(self->fd, h0));
	EXPECT_EQ(100, v_used(self->fd, VGPU_RES_MEMORY));
	EXPECT_EQ(0, v_uncharge(self->fd, h));
}

/* Each fresh session holds one object of one kind; the other kinds' release
 * commands must not find it. */
TEST_F(attached, handle_of_other_kind_enoent)
{
	long ps = page_size();
	struct vgpu_usage u;
	__u32 c, m, p;
	int fc, fm, fp;

	fc = session_open(self->id);
	fm = session_open(self->id);
	fp = session_open(self->id);
	ASSERT_LE(0, fc);
	ASSERT_LE(0, fm);
	ASSERT_LE(0, fp);
	ASSERT_EQ(0, v_ctx_create(fc, 0, 10, &c));
	ASSERT_EQ(0, v_charge(fm, 20, &m));
	ASSERT_EQ(0, v_pin(fp, self->buf, ps, 0, &p));

	EXPECT_EQ(-ENOENT, v_uncharge(fc, c));
	EXPECT_EQ(-ENOENT, v_unpin(fc, c));
	EXPECT_EQ(-ENOENT, v_ctx_destroy(fm, m));
	EXPECT_EQ(-ENOENT, v_unpin(fm, m));
	EXPECT_EQ(-ENOENT, v_ctx_destroy(fp, p));
	EXPECT_EQ(-ENOENT, v_uncharge(fp, p));

	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_EQ(1, u.res[VGPU_RES_CONTEXTS].used);
	EXPECT_EQ(30, u.res[VGPU_RES_MEMORY].used);
	EXPECT_EQ((__u64)ps, u.res[VGPU_RES_PINNED].used);
	EXPECT_EQ(4, u.sessions);

	EXPECT_EQ(0, v_ctx_destroy(fc, c));
	EXPECT_EQ(0, v_uncharge(fm, m));
	EXPECT_EQ(0, v_unpin(fp, p));
	close(fc);
	close(fm);
	close(fp);
	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_EQ(0, u.res[VGPU_RES_CONTEXTS].used);
	EXPECT_EQ(0, u.res[VGPU_RES_MEMORY].used);
	EXPECT_EQ(0, u.res[VGPU_RES_PINNED].used);
	EXPECT_EQ(1, u.sessions);
}

TEST_F(attached, other_session_handle_enoent)
{
	long ps = page_size();
	__u32 c, m, p;

	self->fd2 = session_open(self->id);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, v_ctx_create(self->fd, 0, 1, &c));
	ASSERT_EQ(0, v_charge(self->fd, 2, &m));
	ASSERT_EQ(0, v_pin(self->fd, self->buf, ps, 0, &p));

	EXPECT_EQ(-ENOENT, v_ctx_destroy(self->fd2, c));
	EXPECT_EQ(-ENOENT, v_uncharge(self->fd2, m));
	EXPECT_EQ(-ENOENT, v_unpin(self->fd2, p));
	EXPECT_EQ(3, v_used(self->fd2, VGPU_RES_MEMORY));

	EXPECT_EQ(0, v_ctx_destroy(self->fd, c));
	EXPECT_EQ(0, v_uncharge(self->fd, m));
	EXPECT_EQ(0, v_unpin(self->fd, p));
	EXPECT_EQ(0, v_used(self->fd2, VGPU_RES_MEMORY));
	EXPECT_EQ(0, v_used(self->fd2, VGPU_RES_PINNED));
}

TEST_F(attached, usage_sums_sessions)
{
	struct vgpu_usage u;

	self->fd2 = session_open(self->id);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, v_charge(self->fd, 1000, NULL));
	ASSERT_EQ(0, v_charge(self->fd2, 234, NULL));
	ASSERT_EQ(0, v_ctx_create(self->fd2, 0, 1, NULL));
	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_EQ(2, u.sessions);
	EXPECT_EQ(1235, u.res[VGPU_RES_MEMORY].used);
	EXPECT_EQ(1, u.res[VGPU_RES_CONTEXTS].used);
	/* closing a session releases what it held, and only that */
	close(self->fd2);
	self->fd2 = -1;
	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_EQ(1, u.sessions);
	EXPECT_EQ(1000, u.res[VGPU_RES_MEMORY].used);
	EXPECT_EQ(0, u.res[VGPU_RES_CONTEXTS].used);
	EXPECT_EQ(1235, u.res[VGPU_RES_MEMORY].peak);
}

TEST_F(attached, close_releases_everything)
{
	long ps = page_size();
	struct vgpu_nl_guest g;
	int i;

	self->fd2 = session_open(self->id);
	ASSERT_LE(0, self->fd2);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, v_ctx_create(self->fd2, 0, 100, NULL));
		ASSERT_EQ(0, v_charge(self->fd2, 1000, NULL));
		ASSERT_EQ(0, v_pin(self->fd2, (char *)self->buf + i * ps, ps,
				   i & 1 ? VGPU_PIN_WRITE : 0, NULL));
	}
	ASSERT_EQ(0, nl_get_id(&self->nl, self->id, &g));
	EXPECT_EQ(4, g.res[VGPU_RES_CONTEXTS].current);
	EXPECT_EQ(4400, g.res[VGPU_RES_MEMORY].current);
	EXPECT_EQ(4 * (__u64)ps, g.res[VGPU_RES_PINNED].current);
	EXPECT_EQ(2, g.sessions);
	close(self->fd2);
	self->fd2 = -1;
	ASSERT_EQ(0, nl_get_id(&self->nl, self->id, &g));
	EXPECT_EQ(0, g.res[VGPU_RES_CONTEXTS].current);
	EXPECT_EQ(0, g.res[VGPU_RES_MEMORY].current);
	EXPECT_EQ(0, g.res[VGPU_RES_PINNED].current);
	EXPECT_EQ(1, g.sessions);
}

TEST_F(attached, usage_visible_in_netlink)
{
	long ps = page_size();
	struct vgpu_nl_guest g;
	struct vgpu_usage u;
	int r;

	ASSERT_EQ(0, v_charge(self->fd, 12345, NULL));
	ASSERT_EQ(0, v_ctx_create(self->fd, 0, 1000, NULL));
	ASSERT_EQ(0, v_pin(self->fd, self->buf, 2 * ps, 0, NULL));
	/* a limit and a refusal, so that limit and limit_hits are not trivial */
	ASSERT_EQ(0, nl_set_limit(&self->nl, self->id, VGPU_RES_MEMORY, 20000));
	ASSERT_EQ(-EDQUOT, v_charge(self->fd, 10000, NULL));
	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_EQ(20000, u.res[VGPU_RES_MEMORY].limit);
	EXPECT_EQ(1, u.res[VGPU_RES_MEMORY].limit_hits);
	ASSERT_EQ(0, nl_get_id(&self->nl, self->id, &g));
	EXPECT_EQ(1, g.sessions);
	for (r = 0; r < VGPU_RES_NR; r++) {
		ASSERT_TRUE(g.res[r].present) TH_LOG("resource %d missing", r);
		EXPECT_EQ(u.res[r].used, g.res[r].current);
		EXPECT_EQ(u.res[r].peak, g.res[r].peak);
		EXPECT_EQ(u.res[r].limit, g.res[r].limit);
		EXPECT_EQ(u.res[r].limit_hits, g.res[r].limit_hits);
	}
	EXPECT_EQ(13345, g.res[VGPU_RES_MEMORY].current);
	EXPECT_EQ(1, g.res[VGPU_RES_CONTEXTS].current);
	EXPECT_EQ(2 * (__u64)ps, g.res[VGPU_RES_PINNED].current);
}

TEST_F(attached, guests_are_separate)
{
	long long other = guest_new_limit(&self->nl, "sep", VGPU_RES_MEMORY, 100);
	struct vgpu_usage u;
	int fd;

	ASSERT_LE(0, other);
	fd = session_open(other);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, v_charge(self->fd, 1000, NULL));
	ASSERT_EQ(0, v_ctx_create(self->fd, 0, 0, NULL));
	/* the other guest's books and limit are its own */
	ASSERT_EQ(0, v_usage(fd, &u));
	EXPECT_EQ(other, u.guest_id);
	EXPECT_EQ(1, u.sessions);
	EXPECT_EQ(0, u.res[VGPU_RES_MEMORY].used);
	EXPECT_EQ(0, u.res[VGPU_RES_CONTEXTS].used);
	EXPECT_EQ(0, v_charge(fd, 100, NULL));
	EXPECT_EQ(-EDQUOT, v_charge(fd, 1, NULL));
	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_EQ(1000, u.res[VGPU_RES_MEMORY].used);
	EXPECT_EQ(0, u.res[VGPU_RES_MEMORY].limit_hits);
	EXPECT_EQ(1, u.sessions);
	close(fd);
	EXPECT_EQ(0, nl_del_id(&self->nl, other));
}

/* ---- per-session object caps (module parameters) --------------------------- */

#define CAP_TESTABLE	65536

TEST_F(attached, session_cap_charges_enospc)
{
	__u32 cap = self->ver.max_charges, i, h = 0;

	if (cap > CAP_TESTABLE)
		SKIP(return, "max_charges %u too large to exhaust", cap);
	for (i = 0; i < cap; i++) {
		ASSERT_EQ(0, v_charge(self->fd, 1, i ? NULL : &h)) TH_LOG("charge %u", i);
	}
	EXPECT_EQ(-ENOSPC, v_charge(self->fd, 1, NULL));
	EXPECT_EQ(cap, v_used(self->fd, VGPU_RES_MEMORY));
	/* the cap is the session's: another session may still charge */
	self->fd2 = session_open(self->id);
	ASSERT_LE(0, self->fd2);
	EXPECT_EQ(0, v_charge(self->fd2, 1, NULL));
	/* and a release makes room */
	ASSERT_EQ(0, v_uncharge(self->fd, h));
	EXPECT_EQ(0, v_charge(self->fd, 1, NULL));
	EXPECT_EQ(-ENOSPC, v_charge(self->fd, 1, NULL));
	EXPECT_EQ(cap + 1, v_used(self->fd, VGPU_RES_MEMORY));
}

TEST_F(attached, session_cap_contexts_enospc)
{
	__u32 cap = self->ver.max_contexts, i, c = 0;

	if (cap > CAP_TESTABLE)
		SKIP(return, "max_contexts %u too large to exhaust", cap);
	for (i = 0; i < cap; i++) {
		ASSERT_EQ(0, v_ctx_create(self->fd, 0, 1, i ? NULL : &c));
	}
	EXPECT_EQ(-ENOSPC, v_ctx_create(self->fd, 0, 1, NULL));
	EXPECT_EQ(cap, v_used(self->fd, VGPU_RES_CONTEXTS));
	EXPECT_EQ(cap, v_used(self->fd, VGPU_RES_MEMORY));
	self->fd2 = session_open(self->id);
	ASSERT_LE(0, self->fd2);
	EXPECT_EQ(0, v_ctx_create(self->fd2, 0, 1, NULL));
	ASSERT_EQ(0, v_ctx_destroy(self->fd, c));
	EXPECT_EQ(0, v_ctx_create(self->fd, 0, 1, NULL));
	EXPECT_EQ(-ENOSPC, v_ctx_create(self->fd, 0, 1, NULL));
}

TEST_F(attached, session_cap_pins_enospc)
{
	__u32 cap = self->ver.max_pins, i, p = 0;
	long ps = page_size();
	char *mem;

	if (cap > CAP_TESTABLE)
		SKIP(return, "max_pins %u too large to exhaust", cap);
	mem = mmap(NULL, (cap + 1) * ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	for (i = 0; i < cap; i++) {
		ASSERT_EQ(0, v_pin(self->fd, mem + i * ps, ps, 0, i ? NULL : &p));
	}
	EXPECT_EQ(-ENOSPC, v_pin(self->fd, mem + cap * ps, ps, 0, NULL));
	EXPECT_EQ((__u64)cap * ps, v_used(self->fd, VGPU_RES_PINNED));
	self->fd2 = session_open(self->id);
	ASSERT_LE(0, self->fd2);
	EXPECT_EQ(0, v_pin(self->fd2, mem + cap * ps, ps, 0, NULL));
	ASSERT_EQ(0, v_unpin(self->fd, p));
	EXPECT_EQ(0, v_pin(self->fd, mem, ps, 0, NULL));
	EXPECT_EQ(-ENOSPC, v_pin(self->fd, mem, ps, 0, NULL));
}

TEST_HARNESS_MAIN
