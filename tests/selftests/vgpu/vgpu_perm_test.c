// SPDX-License-Identifier: GPL-2.0
/*
 * Permissions, from a child that dropped to uid/gid 65534 with no
 * capabilities: netlink admin operations are EPERM, attaching to another
 * owner's guest is EACCES, attaching to one's own guest works; and pins are
 * held to RLIMIT_MEMLOCK (ENOMEM) unless the caller has CAP_IPC_LOCK.
 *
 * The child returns 0 or an errno (or a step number) as its exit status;
 * it says what went wrong on stderr.
 */
#include "vgpu_test.h"

FIXTURE(perm) {
	struct vgpu_nl nl;
	long long root_id;		/* owned by root */
	long long nobody_id;		/* owned by 65534 */
	long long other_id;		/* owned by 1000 */
	char root_name[VGPU_NAME_MAX];
	char nobody_name[VGPU_NAME_MAX];
};

FIXTURE_SETUP(perm)
{
	const char *why = vgpu_missing(&self->nl);
	struct vgpu_nl_req req = { .uid = NOBODY, .has_uid = true,
			       .gid = NOBODY, .has_gid = true };

	if (why)
		SETUP_SKIP("%s", why);
	self->root_id = guest_new(&self->nl, "root", NULL, self->root_name);
	ASSERT_LE(0, self->root_id);
	self->nobody_id = guest_new(&self->nl, "nobody", &req, self->nobody_name);
	ASSERT_LE(0, self->nobody_id);
	req.uid = req.gid = 1000;
	self->other_id = guest_new(&self->nl, "u1000", &req, NULL);
	ASSERT_LE(0, self->other_id);
}

FIXTURE_TEARDOWN(perm)
{
	EXPECT_EQ(0, nl_del_id(&self->nl, self->root_id));
	EXPECT_EQ(0, nl_del_id(&self->nl, self->nobody_id));
	EXPECT_EQ(0, nl_del_id(&self->nl, self->other_id));
	vgpu_nl_close(&self->nl);
}

#define FAIL(step, fmt, ...) do {					\
	fprintf(stderr, "# child step %d: " fmt "\n", step, ##__VA_ARGS__); \
	return step;							\
} while (0)

/* ---- netlink --------------------------------------------------------------- */

static int nl_new_as_user(void *arg)
{
	struct vgpu_nl nl;
	struct vgpu_nl_req req = { .name = arg };
	struct vgpu_nl_guest g;

	if (vgpu_nl_open(&nl))
		FAIL(100, "netlink open");
	return -vgpu_nl_guest_new(&nl, &req, &g);
}

TEST_F(perm, nl_new_eperm)
{
	char name[VGPU_NAME_MAX];
	struct vgpu_nl_guest g;

	guest_name(name, sizeof(name), "evil");
	EXPECT_EQ(EPERM, run_as(NOBODY, nl_new_as_user, name));
	EXPECT_EQ(-ENOENT, nl_get_name(&self->nl, name, &g));
}

static int nl_set_as_user(void *arg)
{
	struct vgpu_nl nl;

	if (vgpu_nl_open(&nl))
		FAIL(100, "netlink open");
	return -nl_set_limit(&nl, *(__u32 *)arg, VGPU_RES_MEMORY, 1);
}

TEST_F(perm, nl_set_eperm)
{
	__u32 root = self->root_id, own = self->nobody_id;
	struct vgpu_nl_guest g;

	EXPECT_EQ(EPERM, run_as(NOBODY, nl_set_as_user, &root));
	/* even on the guest the user owns: quotas are the administrator's */
	EXPECT_EQ(EPERM, run_as(NOBODY, nl_set_as_user, &own));
	ASSERT_EQ(0, nl_get_id(&self->nl, own, &g));
	EXPECT_EQ(VGPU_LIMIT_UNLIMITED, g.res[VGPU_RES_MEMORY].limit);
	ASSERT_EQ(0, nl_get_id(&self->nl, root, &g));
	EXPECT_EQ(VGPU_LIMIT_UNLIMITED, g.res[VGPU_RES_MEMORY].limit);
}

static int nl_del_as_user(void *arg)
{
	struct vgpu_nl nl;

	if (vgpu_nl_open(&nl))
		FAIL(100, "netlink open");
	return -nl_del_id(&nl, *(__u32 *)arg);
}

TEST_F(perm, nl_del_eperm)
{
	__u32 root = self->root_id, own = self->nobody_id;
	struct vgpu_nl_guest g;

	EXPECT_EQ(EPERM, run_as(NOBODY, nl_del_as_user, &root));
	EXPECT_EQ(EPERM, run_as(NOBODY, nl_del_as_user, &own));
	EXPECT_EQ(0, nl_get_id(&self->nl, root, &g));
	EXPECT_EQ(0, nl_get_id(&self->nl, own, &g));
}

/* GUEST_GET and STATS_GET are not admin operations (vgpu.h); an
 * unprivileged user gets its own guests (vgpu_harden_test checks that it
 * does not get the others). */
static int nl_read_as_user(void *arg)
{
	struct vgpu_nl nl;
	struct vgpu_nl_guest g;
	struct vgpu_nl_stats s;
	int ret;

	if (vgpu_nl_open(&nl))
		FAIL(100, "netlink open");
	ret = nl_get_id(&nl, *(__u32 *)arg, &g);
	if (ret)
		FAIL(-ret, "get: %s", strerror(-ret));
	if (g.id != *(__u32 *)arg)
		FAIL(101, "get returned guest %u", g.id);
	ret = vgpu_nl_stats_get(&nl, &s);
	if (ret)
		FAIL(-ret, "stats: %s", strerror(-ret));
	return 0;
}

TEST_F(perm, nl_read_unprivileged_ok)
{
	__u32 own = self->nobody_id;

	EXPECT_EQ(0, run_as(NOBODY, nl_read_as_user, &own));
}

/* ---- attach ------------------------------------------------------------------ */

struct attach_arg {
	__u32 id;
	const char *name;	/* attach by name when set */
};

static int attach_as_user(void *arg)
{
	struct attach_arg *a = arg;
	struct vgpu_usage u;
	int fd = vgpu_open(), ret;

	if (fd < 0)
		FAIL(100, "open " VGPU_DEV ": %s", strerror(-fd));
	ret = a->name ? v_attach_name(fd, a->name, NULL) : v_attach_id(fd, a->id);
	if (ret) {
		/* a refused attach leaves the session unattached */
		if (v_usage(fd, &u) != -ENOTCONN)
			FAIL(101, "session attached after a refusal");
		return -ret;
	}
	ret = v_charge(fd, 4096, NULL);
	if (ret)
		FAIL(102, "charge: %s", strerror(-ret));
	ret = v_usage(fd, &u);
	if (ret || u.guest_id != a->id || u.res[VGPU_RES_MEMORY].used != 4096)
		FAIL(103, "usage: %d, guest %u, used %llu", ret, u.guest_id,
		     (unsigned long long)u.res[VGPU_RES_MEMORY].used);
	return 0;
}

TEST_F(perm, attach_other_owner_eacces)
{
	struct attach_arg by_id = { .id = self->root_id };
	struct attach_arg by_name = { .id = self->root_id, .name = self->root_name };
	struct attach_arg other = { .id = self->other_id };
	struct vgpu_nl_guest g;

	EXPECT_EQ(EACCES, run_as(NOBODY, attach_as_user, &by_id));
	EXPECT_EQ(EACCES, run_as(NOBODY, attach_as_user, &by_name));
	EXPECT_EQ(EACCES, run_as(NOBODY, attach_as_user, &other));
	ASSERT_EQ(0, nl_get_id(&self->nl, self->root_id, &g));
	EXPECT_EQ(0, g.sessions);
	EXPECT_EQ(0, g.res[VGPU_RES_MEMORY].peak);
}

TEST_F(perm, attach_own_guest_ok)
{
	struct attach_arg by_id = { .id = self->nobody_id };
	struct attach_arg by_name = { .id = self->nobody_id, .name = self->nobody_name };
	struct vgpu_nl_guest g;

	EXPECT_EQ(0, run_as(NOBODY, attach_as_user, &by_id));
	EXPECT_EQ(0, run_as(NOBODY, attach_as_user, &by_name));
	/* both sessions ended with their processes */
	ASSERT_EQ(0, nl_get_id(&self->nl, self->nobody_id, &g));
	EXPECT_EQ(0, g.sessions);
	EXPECT_EQ(0, g.res[VGPU_RES_MEMORY].current);
	EXPECT_EQ(4096, g.res[VGPU_RES_MEMORY].peak);
}

TEST_F(perm, admin_attaches_any_guest)
{
	int fd = session_open(self->nobody_id);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, v_charge(fd, 1, NULL));
	close(fd);
}

/* ---- RLIMIT_MEMLOCK ------------------------------------------------------------ */

#define MEMLOCK_PAGES	4

struct memlock_arg {
	__u32 id;
	long ps;
};

/* As uid 65534 with RLIMIT_MEMLOCK = 4 pages. */
static int memlock_as_user(void *arg)
{
	struct memlock_arg *a = arg;
	long ps = a->ps;
	struct vgpu_usage u;
	char *mem;
	__u32 h;
	int fd, fd2, ret;

	mem = mmap(NULL, 16 * ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED)
		FAIL(100, "mmap");
	fd = session_open(a->id);
	if (fd < 0)
		FAIL(101, "session: %s", strerror(-fd));

	/* beyond the limit in one pin */
	ret = v_pin(fd, mem, 2 * MEMLOCK_PAGES * ps, 0, NULL);
	if (ret != -ENOMEM)
		FAIL(1, "pin of 8 pages: %d, want ENOMEM", ret);
	ret = v_pin(fd, mem, (MEMLOCK_PAGES + 1) * ps, VGPU_PIN_WRITE, NULL);
	if (ret != -ENOMEM)
		FAIL(2, "pin of 5 pages: %d, want ENOMEM", ret);
	/* nothing charged to the guest by the refusals, no quota hit */
	if (v_usage(fd, &u) || u.res[VGPU_RES_PINNED].used ||
	    u.res[VGPU_RES_PINNED].limit_hits)
		FAIL(3, "pinned %llu after ENOMEM",
		     (unsigned long long)u.res[VGPU_RES_PINNED].used);
	/* exactly the limit */
	ret = v_pin(fd, mem, MEMLOCK_PAGES * ps, 0, &h);
	if (ret)
		FAIL(4, "pin of 4 pages: %d", ret);
	ret = v_pin(fd, mem + 8 * ps, ps, 0, NULL);
	if (ret != -ENOMEM)
		FAIL(5, "one page more: %d, want ENOMEM", ret);
	/* the limit is the process's, not the session's */
	fd2 = session_open(a->id);
	if (fd2 < 0)
		FAIL(102, "second session: %s", strerror(-fd2));
	ret = v_pin(fd2, mem + 8 * ps, ps, 0, NULL);
	if (ret != -ENOMEM)
		FAIL(6, "one page more in another session: %d, want ENOMEM", ret);
	/* unpin gives it back */
	ret = v_unpin(fd, h);
	if (ret)
		FAIL(7, "unpin: %d", ret);
	ret = v_pin(fd2, mem + 8 * ps, MEMLOCK_PAGES * ps, 0, NULL);
	if (ret)
		FAIL(8, "pin after unpin: %d", ret);
	/* and so does closing the session */
	close(fd2);
	ret = v_pin(fd, mem, MEMLOCK_PAGES * ps, VGPU_PIN_WRITE, NULL);
	if (ret)
		FAIL(9, "pin after close: %d", ret);
	if (v_usage(fd, &u) || u.res[VGPU_RES_PINNED].used != MEMLOCK_PAGES * (__u64)ps)
		FAIL(10, "pinned %llu", (unsigned long long)u.res[VGPU_RES_PINNED].used);
	close(fd);
	return 0;
}

static int set_memlock(long bytes)
{
	struct rlimit rl = { .rlim_cur = bytes, .rlim_max = bytes };

	return setrlimit(RLIMIT_MEMLOCK, &rl) ? -errno : 0;
}

TEST_F(perm, rlimit_memlock_enomem)
{
	struct memlock_arg a = { .id = self->nobody_id, .ps = page_size() };
	struct vgpu_nl_guest g;
	pid_t pid;
	int status;

	/* in a child, so that the lowered limit does not outlive the test */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (set_memlock(MEMLOCK_PAGES * a.ps))
			_exit(99);
		_exit(run_as(NOBODY, memlock_as_user, &a));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, nl_get_id(&self->nl, self->nobody_id, &g));
	EXPECT_EQ(0, g.res[VGPU_RES_PINNED].current);
	EXPECT_EQ(0, g.sessions);
}

/* With CAP_IPC_LOCK (root here), RLIMIT_MEMLOCK does not apply. */
TEST_F(perm, rlimit_memlock_cap_ipc_lock_exempt)
{
	long ps = page_size();
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *mem = mmap(NULL, 16 * ps, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		int fd = session_open(self->nobody_id);

		if (mem == MAP_FAILED || fd < 0 || set_memlock(MEMLOCK_PAGES * ps))
			_exit(100);
		_exit(-v_pin(fd, mem, 16 * ps, VGPU_PIN_WRITE, NULL));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
