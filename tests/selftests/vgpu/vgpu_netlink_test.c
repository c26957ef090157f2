// SPDX-License-Identifier: GPL-2.0
/*
 * The "vgpu" generic netlink family: guest new / get (by id, by name, dump) /
 * set / del, statistics, the refusals with their errno and extended-ACK
 * message, and the "events" multicast group.
 */
#include "vgpu_test.h"

#define MAX_TRACKED	64

FIXTURE(nl) {
	struct vgpu_nl nl;
	__u32 ids[MAX_TRACKED];
	int nr;
	int fd;			/* a session, closed before the guests go */
};

FIXTURE_SETUP(nl)
{
	const char *why = vgpu_missing(&self->nl);

	self->fd = -1;
	if (why)
		SETUP_SKIP("%s", why);
}

FIXTURE_TEARDOWN(nl)
{
	int i;

	if (self->fd >= 0)
		close(self->fd);
	/* guests the test did not delete itself */
	for (i = 0; i < self->nr; i++) {
		int ret = nl_del_id(&self->nl, self->ids[i]);

		EXPECT_TRUE(ret == 0 || ret == -ENOENT) TH_LOG("del %u: %d", self->ids[i], ret);
	}
	vgpu_nl_close(&self->nl);
}

/* Create a guest and remember it for teardown: its id, or -errno. */
static long long new_guest(FIXTURE_DATA(nl) *self, const char *tag,
			   const struct vgpu_nl_req *extra, char *name)
{
	long long id = guest_new(&self->nl, tag, extra, name);

	if (id >= 0 && self->nr < MAX_TRACKED)
		self->ids[self->nr++] = id;
	return id;
}

TEST_F(nl, guest_new_reply)
{
	struct vgpu_nl_req req = {};
	struct vgpu_nl_guest g;
	char name[VGPU_NAME_MAX];
	int r;

	guest_name(name, sizeof(name), "new");
	req.name = name;
	ASSERT_EQ(0, vgpu_nl_guest_new(&self->nl, &req, &g)) TH_LOG("%s", self->nl.ext_msg);
	ASSERT_TRUE(g.has_id);
	self->ids[self->nr++] = g.id;
	EXPECT_NE(0, g.id);
	ASSERT_TRUE(g.has_name);
	EXPECT_STREQ(name, g.name);
	/* owner defaults to the creator */
	ASSERT_TRUE(g.has_uid && g.has_gid);
	EXPECT_EQ(geteuid(), g.uid);
	EXPECT_EQ(getegid(), g.gid);
	ASSERT_TRUE(g.has_sessions);
	EXPECT_EQ(0, g.sessions);
	for (r = 0; r < VGPU_RES_NR; r++) {
		ASSERT_TRUE(g.res[r].present) TH_LOG("resource %d", r);
		EXPECT_EQ(VGPU_LIMIT_UNLIMITED, g.res[r].limit);
		EXPECT_EQ(0, g.res[r].current);
		EXPECT_EQ(0, g.res[r].peak);
		EXPECT_EQ(0, g.res[r].limit_hits);
	}
}

TEST_F(nl, guest_new_with_attrs)
{
	struct vgpu_nl_req req = { .uid = 1234, .has_uid = true, .gid = 4321, .has_gid = true };
	struct vgpu_nl_guest g, got;
	char name[VGPU_NAME_MAX];

	guest_name(name, sizeof(name), "attrs");
	req.name = name;
	vgpu_nl_req_limit(&req, VGPU_RES_MEMORY, 1000);
	vgpu_nl_req_limit(&req, VGPU_RES_PINNED, 8192);
	vgpu_nl_req_limit(&req, VGPU_RES_CONTEXTS, 3);
	vgpu_nl_req_limit(&req, VGPU_RES_COMPUTE, 50);
	ASSERT_EQ(0, vgpu_nl_guest_new(&self->nl, &req, &g)) TH_LOG("%s", self->nl.ext_msg);
	self->ids[self->nr++] = g.id;
	EXPECT_EQ(1234, g.uid);
	EXPECT_EQ(4321, g.gid);
	EXPECT_EQ(1000, g.res[VGPU_RES_MEMORY].limit);
	EXPECT_EQ(8192, g.res[VGPU_RES_PINNED].limit);
	EXPECT_EQ(3, g.res[VGPU_RES_CONTEXTS].limit);
	EXPECT_EQ(50, g.res[VGPU_RES_COMPUTE].limit);

	ASSERT_EQ(0, nl_get_id(&self->nl, g.id, &got));
	EXPECT_EQ(g.id, got.id);
	EXPECT_STREQ(name, got.name);
	EXPECT_EQ(1234, got.uid);
	EXPECT_EQ(4321, got.gid);
	EXPECT_EQ(1000, got.res[VGPU_RES_MEMORY].limit);
	EXPECT_EQ(8192, got.res[VGPU_RES_PINNED].limit);
	EXPECT_EQ(3, got.res[VGPU_RES_CONTEXTS].limit);
	EXPECT_EQ(50, got.res[VGPU_RES_COMPUTE].limit);
}

TEST_F(nl, get_by_id_and_by_name)
{
	char name[VGPU_NAME_MAX];
	long long id = new_guest(self, "get", NULL, name);
	struct vgpu_nl_guest a, b;

	ASSERT_LE(0, id);
	ASSERT_EQ(0, nl_get_id(&self->nl, id, &a));
	ASSERT_EQ(0, nl_get_name(&self->nl, name, &b));
	EXPECT_EQ(id, a.id);
	EXPECT_EQ(id, b.id);
	EXPECT_STREQ(name, a.name);
	EXPECT_STREQ(name, b.name);
}

static int find(const struct vgpu_nl_guest *gs, int n, __u32 id)
{
	int i, seen = 0;

	for (i = 0; i < n; i++)
		if (gs[i].has_id && gs[i].id == id)
			seen++;
	return seen;
}

TEST_F(nl, dump_lists_guests)
{
	static struct vgpu_nl_guest gs[256];
	char n1[VGPU_NAME_MAX], n2[VGPU_NAME_MAX];
	long long a = new_guest(self, "d", NULL, n1);
	long long b = new_guest(self, "d", NULL, n2);
	struct vgpu_nl_stats st;
	int n, i;

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	n = nl_dump_guests(&self->nl, gs, 256);
	ASSERT_LE(2, n) TH_LOG("dump: %d %s", n, self->nl.ext_msg);
	ASSERT_GE(256, n);
	EXPECT_EQ(1, find(gs, n, a));
	EXPECT_EQ(1, find(gs, n, b));
	for (i = 0; i < n; i++) {
		if (gs[i].id == a) {
			EXPECT_STREQ(n1, gs[i].name);
		}
		if (gs[i].id == b) {
			EXPECT_STREQ(n2, gs[i].name);
		}
		EXPECT_TRUE(gs[i].res[VGPU_RES_MEMORY].present);
	}
	ASSERT_EQ(0, vgpu_nl_stats_get(&self->nl, &st));
	EXPECT_EQ(st.guests, n);
}

/* Enough guests that the dump needs several messages. */
TEST_F(nl, dump_many_guests)
{
	static struct vgpu_nl_guest gs[512];
	long long ids[48];
	int n, i;

	for (i = 0; i < 48; i++) {
		ids[i] = new_guest(self, "m", NULL, NULL);
		ASSERT_LE(0, ids[i]);
	}
	n = nl_dump_guests(&self->nl, gs, 512);
	ASSERT_LE(48, n);
	ASSERT_GE(512, n);
	for (i = 0; i < 48; i++) {
		EXPECT_EQ(1, find(gs, n, ids[i])) TH_LOG("guest %lld", ids[i]);
	}
}

TEST_F(nl, set_subset_of_limits)
{
	struct vgpu_nl_req req = {};
	char name[VGPU_NAME_MAX];
	struct vgpu_nl_guest g;
	long long id;

	vgpu_nl_req_limit(&req, VGPU_RES_MEMORY, 1000);
	vgpu_nl_req_limit(&req, VGPU_RES_PINNED, 2 * 4096);
	vgpu_nl_req_limit(&req, VGPU_RES_CONTEXTS, 3);
	id = new_guest(self, "set", &req, name);
	ASSERT_LE(0, id);

	/* one limit, by id */
	ASSERT_EQ(0, nl_set_limit(&self->nl, id, VGPU_RES_PINNED, 5 * 4096));
	ASSERT_EQ(0, nl_get_id(&self->nl, id, &g));
	EXPECT_EQ(1000, g.res[VGPU_RES_MEMORY].limit);
	EXPECT_EQ(5 * 4096, g.res[VGPU_RES_PINNED].limit);
	EXPECT_EQ(3, g.res[VGPU_RES_CONTEXTS].limit);
	EXPECT_EQ(VGPU_LIMIT_UNLIMITED, g.res[VGPU_RES_COMPUTE].limit);

	/* two limits, by name; UNLIMITED removes one */
	memset(&req, 0, sizeof(req));
	req.name = name;
	vgpu_nl_req_limit(&req, VGPU_RES_CONTEXTS, VGPU_LIMIT_UNLIMITED);
	vgpu_nl_req_limit(&req, VGPU_RES_COMPUTE, 25);
	ASSERT_EQ(0, vgpu_nl_guest_set(&self->nl, &req)) TH_LOG("%s", self->nl.ext_msg);
	ASSERT_EQ(0, nl_get_id(&self->nl, id, &g));
	EXPECT_EQ(1000, g.res[VGPU_RES_MEMORY].limit);
	EXPECT_EQ(5 * 4096, g.res[VGPU_RES_PINNED].limit);
	EXPECT_EQ(VGPU_LIMIT_UNLIMITED, g.res[VGPU_RES_CONTEXTS].limit);
	EXPECT_EQ(25, g.res[VGPU_RES_COMPUTE].limit);

	/* all at once */
	memset(&req, 0, sizeof(req));
	req.id = id;
	req.has_id = true;
	vgpu_nl_req_limit(&req, VGPU_RES_MEMORY, 0);
	vgpu_nl_req_limit(&req, VGPU_RES_PINNED, VGPU_LIMIT_UNLIMITED);
	vgpu_nl_req_limit(&req, VGPU_RES_CONTEXTS, 7);
	vgpu_nl_req_limit(&req, VGPU_RES_COMPUTE, 100);
	ASSERT_EQ(0, vgpu_nl_guest_set(&self->nl, &req));
	ASSERT_EQ(0, nl_get_id(&self->nl, id, &g));
	EXPECT_EQ(0, g.res[VGPU_RES_MEMORY].limit);
	EXPECT_EQ(VGPU_LIMIT_UNLIMITED, g.res[VGPU_RES_PINNED].limit);
	EXPECT_EQ(7, g.res[VGPU_RES_CONTEXTS].limit);
	EXPECT_EQ(100, g.res[VGPU_RES_COMPUTE].limit);
}

TEST_F(nl, del_by_id_and_by_name)
{
	char name[VGPU_NAME_MAX];
	long long a = new_guest(self, "del", NULL, NULL);
	long long b = new_guest(self, "del", NULL, name);
	struct vgpu_nl_guest g;

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, nl_del_id(&self->nl, a));
	EXPECT_EQ(-ENOENT, nl_get_id(&self->nl, a, &g));
	EXPECT_EQ(-ENOENT, nl_del_id(&self->nl, a));
	ASSERT_EQ(0, nl_del_name(&self->nl, name));
	EXPECT_EQ(-ENOENT, nl_get_name(&self->nl, name, &g));
	EXPECT_EQ(-ENOENT, nl_get_id(&self->nl, b, &g));
	/* the name is free again */
	{
		struct vgpu_nl_req req = { .name = name };

		ASSERT_EQ(0, vgpu_nl_guest_new(&self->nl, &req, &g));
		self->ids[self->nr++] = g.id;
		EXPECT_NE(b, g.id);
	}
}

/*
 * A deleted guest's id is not handed to the next guest: a stale script or
 * hypervisor configuration naming it must not find someone else's guest.
 */
TEST_F(nl, deleted_id_not_reused)
{
	long long a = new_guest(self, "reuse", NULL, NULL), b;
	struct vgpu_nl_guest g;

	ASSERT_LE(0, a);
	ASSERT_EQ(0, nl_del_id(&self->nl, a));
	b = new_guest(self, "reuse", NULL, NULL);
	ASSERT_LE(0, b);
	EXPECT_NE(a, b);
	EXPECT_EQ(-ENOENT, nl_get_id(&self->nl, a, &g));
}

TEST_F(nl, duplicate_name_eexist)
{
	char name[VGPU_NAME_MAX];
	long long id = new_guest(self, "dup", NULL, name);
	struct vgpu_nl_req req = { .name = name };
	struct vgpu_nl_guest g;
	struct vgpu_nl_stats s0, s1;

	ASSERT_LE(0, id);
	ASSERT_EQ(0, vgpu_nl_stats_get(&self->nl, &s0));
	vgpu_nl_req_limit(&req, VGPU_RES_MEMORY, 1);
	EXPECT_EQ(-EEXIST, vgpu_nl_guest_new(&self->nl, &req, &g));
	EXPECT_STRNE("", self->nl.ext_msg);
	ASSERT_EQ(0, vgpu_nl_stats_get(&self->nl, &s1));
	EXPECT_EQ(s0.guests, s1.guests);
	/* the first one is untouched */
	ASSERT_EQ(0, nl_get_name(&self->nl, name, &g));
	EXPECT_EQ(id, g.id);
	EXPECT_EQ(VGPU_LIMIT_UNLIMITED, g.res[VGPU_RES_MEMORY].limit);
}

TEST_F(nl, bad_name_einval)
{
	static const char *const bad[] = {
		"",
		"abcdefghijklmnopqrstuvwxyz012345",	/* 32: one too many */
		"has space", "slash/name", "new\nline", "t\xc3\xa4st", "semi;colon",
		/* Latin-1 letters: alphanumeric to the kernel's isalnum(),
		 * not in [A-Za-z0-9_.-] */
		"caf\xe9", "\xc0\xc1",
	};
	char ok31[VGPU_NAME_MAX] = "abcdefghijklmnopqrstuvwxyz01234";
	struct vgpu_nl_req req = {};
	struct vgpu_nl_guest g;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret;

		req.name = bad[i];
		ret = vgpu_nl_guest_new(&self->nl, &req, &g);
		if (!ret && self->nr < MAX_TRACKED)
			self->ids[self->nr++] = g.id;	/* wrongly created */
		EXPECT_EQ(-EINVAL, ret) TH_LOG("bad name #%u", i);
		EXPECT_STRNE("", self->nl.ext_msg) TH_LOG("bad name #%u", i);
	}
	/* no name at all */
	req.name = NULL;
	vgpu_nl_req_limit(&req, VGPU_RES_MEMORY, 1);
	EXPECT_EQ(-EINVAL, vgpu_nl_guest_new(&self->nl, &req, &g));
	EXPECT_TRUE(self->nl.ext_msg[0] || self->nl.miss_type == VGPU_A_GUEST_NAME);

	/* 31 characters of every allowed kind is fine */
	snprintf(ok31, sizeof(ok31), "Az09_.-%d-abcdefghijklmnopqrstu", (int)getpid());
	ok31[VGPU_NAME_MAX - 1] = '\0';
	memset(&req, 0, sizeof(req));
	req.name = ok31;
	ASSERT_EQ(0, vgpu_nl_guest_new(&self->nl, &req, &g)) TH_LOG("%s", self->nl.ext_msg);
	self->ids[self->nr++] = g.id;
	EXPECT_STREQ(ok31, g.name);
}

TEST_F(nl, del_with_session_ebusy)
{
	long long id = new_guest(self, "busy", NULL, NULL);
	struct vgpu_nl_guest g;
	int fd;

	ASSERT_LE(0, id);
	fd = session_open(id);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBUSY, nl_del_id(&self->nl, id));
	EXPECT_STRNE("", self->nl.ext_msg);
	ASSERT_EQ(0, nl_get_id(&self->nl, id, &g));
	EXPECT_EQ(1, g.sessions);
	/* the session still works */
	EXPECT_EQ(0, v_charge(fd, 1, NULL));
	close(fd);
	EXPECT_EQ(0, nl_del_id(&self->nl, id));
}

TEST_F(nl, unknown_guest_enoent)
{
	long long id = new_guest(self, "gone", NULL, NULL);
	char missing[VGPU_NAME_MAX];
	struct vgpu_nl_req req = {};
	struct vgpu_nl_guest g;

	ASSERT_LE(0, id);
	ASSERT_EQ(0, nl_del_id(&self->nl, id));
	guest_name(missing, sizeof(missing), "none");

	EXPECT_EQ(-ENOENT, nl_get_id(&self->nl, id, &g));
	EXPECT_STRNE("", self->nl.ext_msg);
	EXPECT_EQ(-ENOENT, nl_get_name(&self->nl, missing, &g));
	EXPECT_STRNE("", self->nl.ext_msg);
	EXPECT_EQ(-ENOENT, nl_del_id(&self->nl, id));
	EXPECT_STRNE("", self->nl.ext_msg);
	EXPECT_EQ(-ENOENT, nl_del_name(&self->nl, missing));
	EXPECT_STRNE("", self->nl.ext_msg);
	EXPECT_EQ(-ENOENT, nl_set_limit(&self->nl, id, VGPU_RES_MEMORY, 1));
	EXPECT_STRNE("", self->nl.ext_msg);
	req.name = missing;
	vgpu_nl_req_limit(&req, VGPU_RES_MEMORY, 1);
	EXPECT_EQ(-ENOENT, vgpu_nl_guest_set(&self->nl, &req));
	EXPECT_STRNE("", self->nl.ext_msg);
}

TEST_F(nl, compute_limit_range_einval)
{
	static const __u64 bad[] = { 0, 101, 1000, VGPU_LIMIT_UNLIMITED - 1 };
	struct vgpu_nl_req req = {};
	char name[VGPU_NAME_MAX];
	struct vgpu_nl_guest g;
	long long id;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		guest_name(name, sizeof(name), "cpt");
		memset(&req, 0, sizeof(req));
		req.name = name;
		vgpu_nl_req_limit(&req, VGPU_RES_COMPUTE, bad[i]);
		EXPECT_EQ(-EINVAL, vgpu_nl_guest_new(&self->nl, &req, &g))
			TH_LOG("compute %llu", (unsigned long long)bad[i]);
		EXPECT_STRNE("", self->nl.ext_msg);
		/* nothing was created */
		EXPECT_EQ(-ENOENT, nl_get_name(&self->nl, name, &g));
	}

	memset(&req, 0, sizeof(req));
	vgpu_nl_req_limit(&req, VGPU_RES_COMPUTE, 1);
	id = new_guest(self, "cpt", &req, NULL);
	ASSERT_LE(0, id);
	ASSERT_EQ(0, nl_set_limit(&self->nl, id, VGPU_RES_COMPUTE, 100));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* a refused set changes no limit, not even a valid one with it */
		memset(&req, 0, sizeof(req));
		req.id = id;
		req.has_id = true;
		vgpu_nl_req_limit(&req, VGPU_RES_MEMORY, 77);
		vgpu_nl_req_limit(&req, VGPU_RES_COMPUTE, bad[i]);
		EXPECT_EQ(-EINVAL, vgpu_nl_guest_set(&self->nl, &req));
		EXPECT_STRNE("", self->nl.ext_msg);
	}
	ASSERT_EQ(0, nl_get_id(&self->nl, id, &g));
	EXPECT_EQ(100, g.res[VGPU_RES_COMPUTE].limit);
	EXPECT_EQ(VGPU_LIMIT_UNLIMITED, g.res[VGPU_RES_MEMORY].limit);
}

TEST_F(nl, stats_counts)
{
	struct vgpu_nl_stats s0, s1, s2;
	long long id;
	int fd;

	ASSERT_EQ(0, vgpu_nl_stats_get(&self->nl, &s0));
	id = new_guest(self, "st", NULL, NULL);
	ASSERT_LE(0, id);
	ASSERT_EQ(0, nl_set_limit(&self->nl, id, VGPU_RES_MEMORY, 10));
	fd = session_open(id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-EDQUOT, v_charge(fd, 11, NULL));
	ASSERT_EQ(-EDQUOT, v_charge(fd, 12, NULL));
	ASSERT_EQ(0, vgpu_nl_stats_get(&self->nl, &s1));
	EXPECT_EQ(s0.guests + 1, s1.guests);
	EXPECT_EQ(s0.sessions + 1, s1.sessions);
	EXPECT_EQ(s0.limit_hits + 2, s1.limit_hits);
	close(fd);
	ASSERT_EQ(0, nl_del_id(&self->nl, id));
	ASSERT_EQ(0, vgpu_nl_stats_get(&self->nl, &s2));
	EXPECT_EQ(s0.guests, s2.guests);
	EXPECT_EQ(s0.sessions, s2.sessions);
	EXPECT_EQ(s1.limit_hits, s2.limit_hits);
}

/* ---- events ------------------------------------------------------------------ */

TEST_F(nl, events_guest_created_destroyed)
{
	struct vgpu_nl ev;
	struct vgpu_nl_event e;
	struct vgpu_nl_stats s0, s1;
	char name[VGPU_NAME_MAX];
	long long id;

	ASSERT_EQ(0, vgpu_nl_events_open(&ev));
	ASSERT_EQ(0, vgpu_nl_stats_get(&self->nl, &s0));
	id = new_guest(self, "ev", NULL, name);
	ASSERT_LE(0, id);
	ASSERT_EQ(0, vgpu_nl_event_wait(&ev, VGPU_NL_CMD_GUEST_CREATED_NTF, id, 2000, &e));
	EXPECT_TRUE(e.guest.has_name);
	EXPECT_STREQ(name, e.guest.name);
	EXPECT_EQ(VGPU_LIMIT_UNLIMITED, e.guest.res[VGPU_RES_MEMORY].limit);

	ASSERT_EQ(0, nl_del_id(&self->nl, id));
	ASSERT_EQ(0, vgpu_nl_event_wait(&ev, VGPU_NL_CMD_GUEST_DESTROYED_NTF, id, 2000, &e));
	EXPECT_STREQ(name, e.guest.name);
	ASSERT_EQ(0, vgpu_nl_stats_get(&self->nl, &s1));
	EXPECT_LE(s0.events + 2, s1.events);
	vgpu_nl_close(&ev);
}

TEST_F(nl, events_limit_hit)
{
	long ps = page_size();
	struct vgpu_nl_req req = {};
	struct vgpu_nl ev;
	struct vgpu_nl_event e;
	char *mem;
	long long id;

	mem = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	vgpu_nl_req_limit(&req, VGPU_RES_MEMORY, 1000);
	vgpu_nl_req_limit(&req, VGPU_RES_PINNED, 2 * ps);
	vgpu_nl_req_limit(&req, VGPU_RES_CONTEXTS, 1);
	id = new_guest(self, "lh", &req, NULL);
	ASSERT_LE(0, id);
	ASSERT_EQ(0, vgpu_nl_events_open(&ev));
	self->fd = session_open(id);
	ASSERT_LE(0, self->fd);

	/* memory: 600 used, 500 more asked, limit 1000 */
	ASSERT_EQ(0, v_charge(self->fd, 600, NULL));
	ASSERT_EQ(-EDQUOT, v_charge(self->fd, 500, NULL));
	ASSERT_EQ(0, vgpu_nl_event_wait(&ev, VGPU_NL_CMD_LIMIT_HIT_NTF, id, 2000, &e));
	ASSERT_TRUE(e.has_resource && e.has_current && e.has_requested && e.has_limit);
	EXPECT_EQ(VGPU_RES_MEMORY, e.resource);
	EXPECT_EQ(600, e.current);
	EXPECT_EQ(500, e.requested);
	EXPECT_EQ(1000, e.limit);

	/* pinned */
	ASSERT_EQ(-EDQUOT, v_pin(self->fd, mem, 3 * ps, 0, NULL));
	ASSERT_EQ(0, vgpu_nl_event_wait(&ev, VGPU_NL_CMD_LIMIT_HIT_NTF, id, 2000, &e));
	EXPECT_EQ(VGPU_RES_PINNED, e.resource);
	EXPECT_EQ(0, e.current);
	EXPECT_EQ(3 * (__u64)ps, e.requested);
	EXPECT_EQ(2 * (__u64)ps, e.limit);

	/* contexts */
	ASSERT_EQ(0, v_ctx_create(self->fd, 0, 0, NULL));
	ASSERT_EQ(-EDQUOT, v_ctx_create(self->fd, 0, 0, NULL));
	ASSERT_EQ(0, vgpu_nl_event_wait(&ev, VGPU_NL_CMD_LIMIT_HIT_NTF, id, 2000, &e));
	EXPECT_EQ(VGPU_RES_CONTEXTS, e.resource);
	EXPECT_EQ(1, e.current);
	EXPECT_EQ(1, e.requested);
	EXPECT_EQ(1, e.limit);

	/* no event for a charge that fits */
	ASSERT_EQ(0, v_charge(self->fd, 400, NULL));
	EXPECT_EQ(-ETIMEDOUT, vgpu_nl_event_wait(&ev, VGPU_NL_CMD_LIMIT_HIT_NTF, id, 300, &e));
	vgpu_nl_close(&ev);
	munmap(mem, 4 * ps);
}

TEST_HARNESS_MAIN
