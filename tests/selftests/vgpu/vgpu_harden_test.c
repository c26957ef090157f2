// SPDX-License-Identifier: GPL-2.0
/*
 * The module's hardening, one rule per test (Documentation/userspace-api/
 * vgpu.rst says each):
 *  - ioctl arguments declaring more than VGPU_ARG_SIZE_MAX bytes: E2BIG;
 *  - charging ioctls on a file opened without write access: EBADF;
 *  - pins of file-backed memory (ramfs, the host's files, private file
 *    mappings) refused with EFAULT on every kernel; THP and hugetlb pin;
 *  - pins at and past the length cap, of unmapped ranges, killed midway;
 *  - RLIMIT_MEMLOCK charged to the user for as long as the pin lives, so a
 *    child that pins and exits - forked or exec'd - still counts;
 *  - /dev/vgpu is root-owned 0660;
 *  - all-digit guest names refused with an extack message;
 *  - unprivileged users see only their own guests and cannot subscribe to
 *    events;
 *  - LIMIT_HIT events are rate-limited per guest, the dropped ones counted;
 *  - netlink requests with unknown, wrong-length or unterminated attributes
 *    are refused and change nothing.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <sched.h>
#include "rawnl.h"
#include "vgpu_test.h"

#define FAIL(step, fmt, ...) do {					\
	fprintf(stderr, "# child step %d: " fmt "\n", step, ##__VA_ARGS__); \
	return step;							\
} while (0)

#define MEMLOCK_PAGES	4
#define TIB		(1ULL << 40)

FIXTURE(harden) {
	struct vgpu_nl nl;
	long long id;		/* owned by root */
	long long nobody_id;	/* owned by 65534 */
	int fd;			/* attached to id */
	long ps;
};

FIXTURE_SETUP(harden)
{
	const char *why = vgpu_missing(&self->nl);
	struct vgpu_nl_req req = { .uid = NOBODY, .has_uid = true,
			       .gid = NOBODY, .has_gid = true };

	self->fd = -1;
	if (why)
		SETUP_SKIP("%s", why);
	self->ps = page_size();
	self->id = guest_new(&self->nl, "hard", NULL, NULL);
	ASSERT_LE(0, self->id);
	self->nobody_id = guest_new(&self->nl, "hardnb", &req, NULL);
	ASSERT_LE(0, self->nobody_id);
	self->fd = session_open(self->id);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(harden)
{
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_EQ(0, nl_del_id(&self->nl, self->id));
	EXPECT_EQ(0, nl_del_id(&self->nl, self->nobody_id));
	vgpu_nl_close(&self->nl);
}

#define EXPECT_BOOKS_ZERO(fd) do {					\
	struct vgpu_usage _u;						\
	ASSERT_EQ(0, v_usage(fd, &_u));					\
	EXPECT_EQ(0, _u.res[VGPU_RES_MEMORY].used);			\
	EXPECT_EQ(0, _u.res[VGPU_RES_PINNED].used);			\
	EXPECT_EQ(0, _u.res[VGPU_RES_CONTEXTS].used);			\
} while (0)

/* ---- argument size ---------------------------------------------------------- */

static const unsigned long all_ioctls[] = {
	VGPU_IOC_VERSION, VGPU_IOC_ATTACH, VGPU_IOC_CTX_CREATE,
	VGPU_IOC_CTX_DESTROY, VGPU_IOC_MEM_CHARGE, VGPU_IOC_MEM_UNCHARGE,
	VGPU_IOC_PIN, VGPU_IOC_UNPIN, VGPU_IOC_USAGE, VGPU_IOC_COMPUTE_LEASE,
	VGPU_IOC_COMPUTE_RETURN,
};

TEST_F(harden, arg_size_cap)
{
	static __u32 buf[2 * VGPU_ARG_SIZE_MAX / 4];
	unsigned int i;

	for (i = 0; i < sizeof(all_ioctls) / sizeof(all_ioctls[0]); i++) {
		memset(buf, 0, sizeof(buf));
		buf[0] = VGPU_ARG_SIZE_MAX + 1;
		EXPECT_EQ(-E2BIG, vioctl(self->fd, all_ioctls[i], buf))
			TH_LOG("ioctl %u, size cap + 1", i);
		/* 4 GiB declared over an 8 KiB buffer: refused before any scan */
		buf[0] = 0xffffffff;
		EXPECT_EQ(-E2BIG, vioctl(self->fd, all_ioctls[i], buf))
			TH_LOG("ioctl %u, size 0xffffffff", i);
	}
	/* exactly the cap, zero tail: accepted */
	memset(buf, 0, sizeof(buf));
	buf[0] = VGPU_ARG_SIZE_MAX;
	EXPECT_EQ(0, vioctl(self->fd, VGPU_IOC_VERSION, buf));
	EXPECT_EQ(VGPU_API_VERSION, ((struct vgpu_version *)buf)->api_version);
	EXPECT_BOOKS_ZERO(self->fd);
}

/* ---- write access ------------------------------------------------------------ */

TEST_F(harden, read_only_file_cannot_charge)
{
	int fd = open(VGPU_DEV, O_RDONLY | O_CLOEXEC);
	char *mem;
	__u32 h;

	ASSERT_LE(0, fd);
	mem = mmap(NULL, self->ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, v_attach_id(fd, self->id));
	EXPECT_EQ(-EBADF, v_ctx_create(fd, 0, 4096, &h));
	EXPECT_EQ(-EBADF, v_charge(fd, 4096, &h));
	EXPECT_EQ(-EBADF, v_pin(fd, mem, self->ps, 0, &h));
	EXPECT_BOOKS_ZERO(fd);
	close(fd);
	/* the same on a read-write file works */
	EXPECT_EQ(0, v_charge(self->fd, 4096, &h));
	EXPECT_EQ(0, v_uncharge(self->fd, h));
	munmap(mem, self->ps);
}

/* ---- what may be pinned ------------------------------------------------------- */

TEST_F(harden, pin_file_backed_refused)
{
	char dir[] = "/tmp/vgpu-ramfs-XXXXXX", path[64];
	char *shared, *priv, *host;
	int f, hf;

	ASSERT_NE(NULL, mkdtemp(dir));
	/* ramfs: page cache of a filesystem that is not shmem, writable */
	if (mount("vgpu", dir, "ramfs", 0, NULL)) {
		rmdir(dir);
		SKIP(return, "cannot mount ramfs: %s", strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/f", dir);
	f = open(path, O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, f);
	ASSERT_EQ(0, ftruncate(f, 4 * self->ps));
	shared = mmap(NULL, 4 * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	ASSERT_NE(MAP_FAILED, shared);
	memset(shared, 1, 4 * self->ps);
	priv = mmap(NULL, 4 * self->ps, PROT_READ, MAP_PRIVATE, f, 0);
	ASSERT_NE(MAP_FAILED, priv);
	EXPECT_EQ(-EFAULT, v_pin(self->fd, shared, 4 * self->ps, VGPU_PIN_WRITE, NULL));
	EXPECT_EQ(-EFAULT, v_pin(self->fd, shared, 4 * self->ps, 0, NULL));
	EXPECT_EQ(-EFAULT, v_pin(self->fd, priv, self->ps, 0, NULL));
	/* the host's files, as the VM sees them (virtiofs or 9p) */
	hf = open("/proc/self/exe", O_RDONLY);
	ASSERT_LE(0, hf);
	host = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, hf, 0);
	ASSERT_NE(MAP_FAILED, host);
	EXPECT_EQ(-EFAULT, v_pin(self->fd, host, self->ps, 0, NULL));
	EXPECT_BOOKS_ZERO(self->fd);
	munmap(host, self->ps);
	close(hf);
	munmap(priv, 4 * self->ps);
	munmap(shared, 4 * self->ps);
	close(f);
	EXPECT_EQ(0, umount(dir));
	rmdir(dir);
}

TEST_F(harden, pin_thp)
{
	size_t len = 2 << 20;
	char *raw, *mem;
	__u32 h;

	raw = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, raw);
	mem = (char *)(((uintptr_t)raw + len - 1) & ~(uintptr_t)(len - 1));
	madvise(mem, len, MADV_HUGEPAGE);	/* a hint: small pages pin too */
	memset(mem, 2, len);
	ASSERT_EQ(0, v_pin(self->fd, mem, len, VGPU_PIN_WRITE, &h));
	EXPECT_EQ(len, v_used(self->fd, VGPU_RES_PINNED));
	EXPECT_EQ(0, v_unpin(self->fd, h));
	EXPECT_BOOKS_ZERO(self->fd);
	munmap(raw, 2 * len);
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%ld\n", v) < 0 ? -EIO : 0;
	if (fclose(f))
		ret = -errno;
	return ret;
}

TEST_F(harden, pin_hugetlb)
{
	const char *nr = "/proc/sys/vm/nr_hugepages";
	size_t len = 2 << 20;
	long old = read_long(nr);
	char *mem;
	__u32 h;

	if (old < 0)
		SKIP(return, "no %s (no hugetlb in this kernel)", nr);
	write_long(nr, old + 2);
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (mem == MAP_FAILED) {
		write_long(nr, old);
		SKIP(return, "no 2 MiB huge page available: %s", strerror(errno));
	}
	memset(mem, 3, len);
	EXPECT_EQ(0, v_pin(self->fd, mem, len, VGPU_PIN_WRITE, &h));
	EXPECT_EQ(len, v_used(self->fd, VGPU_RES_PINNED));
	EXPECT_EQ(0, v_unpin(self->fd, h));
	EXPECT_BOOKS_ZERO(self->fd);
	munmap(mem, len);
	write_long(nr, old);
}

/* An address with nothing mapped at it (nor in the next @len bytes, as far
 * as a probe can tell). */
static void *unmapped(size_t len)
{
	void *p = mmap(NULL, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, len);
	return p;
}

TEST_F(harden, pin_length_cap_and_unmapped)
{
	char *mem = mmap(NULL, 2 * self->ps, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	void *hole = unmapped(TIB);

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_NE(NULL, hole);
	/* 1 TiB and more: past the cap */
	EXPECT_EQ(-EINVAL, v_pin(self->fd, hole, TIB, 0, NULL));
	EXPECT_EQ(-EINVAL, v_pin_raw(self->fd, 0, 1ULL << 62, 0));
	/* just under the cap, unmapped: refused before anything is allocated */
	EXPECT_EQ(-EFAULT, v_pin(self->fd, hole, TIB - self->ps, 0, NULL));
	EXPECT_EQ(-EFAULT, v_pin(self->fd, hole, TIB - self->ps, VGPU_PIN_WRITE, NULL));
	/* mapped, then a hole */
	ASSERT_EQ(0, munmap(mem + self->ps, self->ps));
	EXPECT_EQ(-EFAULT, v_pin(self->fd, mem, 2 * self->ps, 0, NULL));
	EXPECT_BOOKS_ZERO(self->fd);
	munmap(mem, self->ps);
}

/* A child pins and unpins 1 GiB (the zero page, read-only: no memory needed)
 * and is killed meanwhile: at most one whole pin per child stays, held by the file,
 * and closing the file gives everything back, whenever the kill lands. */
TEST_F(harden, pin_killed_midway)
{
	size_t len = 1UL << 30;
	int round, status;

	for (round = 0; round < 3; round++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (!pid) {
			char *m = mmap(NULL, len, PROT_READ,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

			if (m == MAP_FAILED)
				_exit(2);
			for (;;) {
				__u32 h;

				if (!v_pin(self->fd, m, len, 0, &h))
					v_unpin(self->fd, h);
			}
		}
		usleep(20000 + round * 100000);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	}
	/* the session is shared with the children: their pins are ours */
	{
		struct vgpu_usage u;

		ASSERT_EQ(0, v_usage(self->fd, &u));
		EXPECT_GE(3 * len, u.res[VGPU_RES_PINNED].used);
		EXPECT_EQ(0, u.res[VGPU_RES_PINNED].used % len);
	}
	close(self->fd);
	self->fd = session_open(self->id);
	ASSERT_LE(0, self->fd);
	EXPECT_BOOKS_ZERO(self->fd);
}

/* ---- RLIMIT_MEMLOCK follows the pin -------------------------------------------- */

static int set_memlock(long bytes)
{
	struct rlimit rl = { .rlim_cur = bytes, .rlim_max = bytes };

	return setrlimit(RLIMIT_MEMLOCK, &rl) ? -errno : 0;
}

static char *self_exe;

/* exec'd as "<exe> --pin-child FD PAGES": pin PAGES of fresh memory, exit */
static int pin_child_main(int fd, long pages)
{
	long ps = page_size();
	char *m = mmap(NULL, pages * ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	int ret;

	if (m == MAP_FAILED)
		return 100;
	ret = v_pin(fd, m, pages * ps, VGPU_PIN_WRITE, NULL);
	if (ret)
		fprintf(stderr, "# exec'd child: pin: %s\n", strerror(-ret));
	return ret ? 101 : 0;
}

static int spawn_pinner(int fd, bool do_exec, long pages)
{
	char fdarg[16], parg[16];
	pid_t pid;
	int status;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		if (!do_exec)
			_exit(pin_child_main(fd, pages));
		snprintf(fdarg, sizeof(fdarg), "%d", fd);
		snprintf(parg, sizeof(parg), "%ld", pages);
		execl(self_exe, self_exe, "--pin-child", fdarg, parg, (char *)NULL);
		_exit(102);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -ECHILD;
	return WEXITSTATUS(status);
}

struct memlock_arg {
	__u32 id;
	bool do_exec;
};

/* As uid 65534 with RLIMIT_MEMLOCK = 4 pages. */
static int memlock_as_user(void *arg)
{
	struct memlock_arg *a = arg;
	long ps = page_size();
	char *mem;
	int fd, ret;

	if (set_memlock(MEMLOCK_PAGES * ps))
		FAIL(100, "setrlimit");
	mem = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED)
		FAIL(101, "mmap");
	fd = session_open(a->id);
	if (fd < 0)
		FAIL(102, "session: %s", strerror(-fd));
	if (a->do_exec) {
		int nfd = dup(fd);	/* without O_CLOEXEC: survives exec */

		if (nfd < 0)
			FAIL(103, "dup");
		close(fd);
		fd = nfd;
	}
	/* a child uses all of the user's limit, and exits: its pin stays */
	ret = spawn_pinner(fd, a->do_exec, MEMLOCK_PAGES);
	if (ret)
		FAIL(1, "child pin: status %d", ret);
	if (v_used(fd, VGPU_RES_PINNED) != MEMLOCK_PAGES * (__u64)ps)
		FAIL(2, "pinned %llu after the child exited",
		     (unsigned long long)v_used(fd, VGPU_RES_PINNED));
	/* so nothing is left to the parent, nor to a second child */
	ret = v_pin(fd, mem, ps, 0, NULL);
	if (ret != -ENOMEM)
		FAIL(3, "parent pin past the user's limit: %d, want ENOMEM", ret);
	ret = spawn_pinner(fd, a->do_exec, 1);
	if (ret != 101)
		FAIL(4, "second child pin past the limit: status %d, want refused", ret);
	/* closing the file releases the pins and gives the limit back */
	close(fd);
	fd = session_open(a->id);
	if (fd < 0)
		FAIL(104, "session: %s", strerror(-fd));
	ret = v_pin(fd, mem, ps, 0, NULL);
	if (ret)
		FAIL(5, "pin after the pins were released: %d", ret);
	close(fd);
	return 0;
}

TEST_F(harden, memlock_follows_pin_fork)
{
	struct memlock_arg a = { .id = self->nobody_id };

	EXPECT_EQ(0, run_as(NOBODY, memlock_as_user, &a));
}

/* 0 if uid 65534 may execute this test binary (its child execs it) */
static int exec_as_user(void *arg)
{
	(void)arg;
	return access(self_exe, X_OK) ? 1 : 0;
}

TEST_F(harden, memlock_follows_pin_exec)
{
	struct memlock_arg a = { .id = self->nobody_id, .do_exec = true };

	if (run_as(NOBODY, exec_as_user, NULL) == 1)
		SKIP(return, "uid 65534 cannot execute %s (a directory above it is closed to others)", self_exe);
	EXPECT_EQ(0, run_as(NOBODY, memlock_as_user, &a));
}

/* ---- the device node -------------------------------------------------------------- */

static int open_as_user(void *arg)
{
	int fd = vgpu_open();

	(void)arg;
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return -fd;
}

TEST_F(harden, device_mode)
{
	struct stat st;

	ASSERT_EQ(0, stat(VGPU_DEV, &st));
	EXPECT_EQ(0660, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	/* neither owner nor in its group: no access */
	EXPECT_EQ(EACCES, run_as_groups(NOBODY, NULL, 0, open_as_user, NULL));
	/* in its group (what the tests arrange): access */
	EXPECT_EQ(0, run_as(NOBODY, open_as_user, NULL));
}

/* ---- names -------------------------------------------------------------------------- */

TEST_F(harden, all_digit_name_refused)
{
	static const char *const bad[] = { "1", "42", "007", "4294967295" };
	static const char *const good[] = { "1a", "0x1", "1.0", "-1", "_42" };
	struct vgpu_nl_guest g;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vgpu_nl_req req = { .name = bad[i] };

		EXPECT_EQ(-EINVAL, vgpu_nl_guest_new(&self->nl, &req, &g)) TH_LOG("%s", bad[i]);
		EXPECT_NE(NULL, strstr(self->nl.ext_msg, "not all digits"))
			TH_LOG("extack '%s'", self->nl.ext_msg);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char name[VGPU_NAME_MAX];
		struct vgpu_nl_req req = { .name = name };

		snprintf(name, sizeof(name), "%s%d", good[i], (int)getpid());
		ASSERT_EQ(0, vgpu_nl_guest_new(&self->nl, &req, &g)) TH_LOG("%s", name);
		EXPECT_EQ(0, nl_del_name(&self->nl, name));
	}
}

/* ---- who sees what ------------------------------------------------------------------ */

struct see_arg {
	__u32 own, other;
};

static int see_as_user(void *arg)
{
	struct see_arg *a = arg;
	struct vgpu_nl_guest *all;
	struct vgpu_nl_guest g;
	struct vgpu_nl_stats s;
	struct vgpu_nl nl;
	int ret, n, i, grp, own = 0;

	if (vgpu_nl_open(&nl))
		FAIL(100, "netlink open");
	ret = nl_get_id(&nl, a->other, &g);
	if (ret != -ENOENT)
		FAIL(1, "get of another user's guest: %d, want ENOENT", ret);
	ret = nl_get_id(&nl, a->own, &g);
	if (ret || g.id != a->own)
		FAIL(2, "get of an own guest: %d", ret);
	all = calloc(4096, sizeof(*all));
	if (!all)
		FAIL(101, "calloc");
	n = nl_dump_guests(&nl, all, 4096);
	if (n < 0)
		FAIL(3, "dump: %s", strerror(-n));
	for (i = 0; i < n; i++) {
		if (all[i].uid != NOBODY)
			FAIL(4, "dump shows guest %u of uid %u", all[i].id, all[i].uid);
		own += all[i].id == a->own;
	}
	if (own != 1)
		FAIL(5, "dump shows the own guest %d times", own);
	free(all);
	/* aggregate counters stay readable */
	ret = vgpu_nl_stats_get(&nl, &s);
	if (ret)
		FAIL(6, "stats: %s", strerror(-ret));
	/* events are for administrators */
	grp = genl_ctrl_resolve_grp(nl.sk, VGPU_GENL_NAME, VGPU_MCGRP_EVENTS);
	if (grp < 0)
		FAIL(102, "no events group");
	if (!setsockopt(nl_socket_get_fd(nl.sk), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
			&grp, sizeof(grp)))
		FAIL(7, "an unprivileged user joined the events group");
	if (errno != EPERM)
		FAIL(8, "events join: %s, want EPERM", strerror(errno));
	vgpu_nl_close(&nl);
	return 0;
}

TEST_F(harden, unprivileged_sees_own_guests_only)
{
	struct see_arg a = { .own = self->nobody_id, .other = self->id };

	EXPECT_EQ(0, run_as(NOBODY, see_as_user, &a));
}

/* ---- event rate limit ------------------------------------------------------------------ */

TEST_F(harden, limit_hit_events_rate_limited)
{
	struct vgpu_nl_stats s0, s1;
	struct vgpu_nl_event ev;
	struct vgpu_nl evnl;
	long long id;
	int fd, i, got = 0, tries = 300;

	ASSERT_EQ(0, vgpu_nl_events_open(&evnl));
	id = guest_new_limit(&self->nl, "rate", VGPU_RES_MEMORY, 1);
	ASSERT_LE(0, id);
	fd = session_open(id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vgpu_nl_stats_get(&self->nl, &s0));
	ASSERT_TRUE(s0.has_events_dropped);
	for (i = 0; i < tries; i++)
		EXPECT_EQ(-EDQUOT, v_charge(fd, 4096, NULL));
	ASSERT_EQ(0, vgpu_nl_stats_get(&self->nl, &s1));
	while (vgpu_nl_event_wait(&evnl, VGPU_NL_CMD_LIMIT_HIT_NTF, id, 300, &ev) == 0)
		got++;
	TH_LOG("%d refusals: %d events received, %llu dropped", tries, got,
	       (unsigned long long)(s1.events_dropped - s0.events_dropped));
	/* every refusal either sent or counted as dropped */
	EXPECT_EQ(tries, got + (int)(s1.events_dropped - s0.events_dropped));
	EXPECT_LT(0, s1.events_dropped - s0.events_dropped);
	EXPECT_LE(20, got);	/* at least one burst */
	close(fd);
	EXPECT_EQ(0, nl_del_id(&self->nl, id));
	vgpu_nl_close(&evnl);
}

/* ---- malformed netlink ------------------------------------------------------------ */

struct bad_req {
	const char *what;
	__u8 cmd;
	__u16 type;
	__u16 len;
	const char *data;
};

TEST_F(harden, netlink_malformed_refused)
{
	static const char long_name[40] = "a123456789012345678901234567890123456789";
	const struct bad_req reqs[] = {
		{ "unknown attribute", VGPU_NL_CMD_GUEST_GET, VGPU_A_MAX + 5, 4, "\1\0\0\0" },
		{ "attribute 0x7fff", VGPU_NL_CMD_GUEST_GET, 0x7fff, 4, "\1\0\0\0" },
		{ "u32 of 2 bytes", VGPU_NL_CMD_GUEST_GET, VGPU_A_GUEST_ID, 2, "\1\0" },
		{ "u32 of 8 bytes", VGPU_NL_CMD_GUEST_DEL, VGPU_A_GUEST_ID, 8, "\1\0\0\0\0\0\0\0" },
		{ "u64 of 4 bytes", VGPU_NL_CMD_GUEST_SET, VGPU_A_LIMIT_MEMORY, 4, "\1\0\0\0" },
		{ "name without NUL", VGPU_NL_CMD_GUEST_NEW, VGPU_A_GUEST_NAME, 5, "abcde" },
		{ "name of 40 bytes", VGPU_NL_CMD_GUEST_NEW, VGPU_A_GUEST_NAME, 40, long_name },
		{ "empty name", VGPU_NL_CMD_GUEST_NEW, VGPU_A_GUEST_NAME, 1, "" },
		{ "nested flag on a u32", VGPU_NL_CMD_GUEST_GET, VGPU_A_GUEST_ID | NLA_F_NESTED, 4, "\1\0\0\0" },
		{ "an attribute for STATS_GET", VGPU_NL_CMD_STATS_GET, VGPU_A_GUEST_ID, 4, "\1\0\0\0" },
		{ "a notification as a request", VGPU_NL_CMD_LIMIT_HIT_NTF, VGPU_A_GUEST_ID, 4, "\1\0\0\0" },
	};
	struct vgpu_nl_stats s0, s1;
	char buf[256];
	unsigned int i;
	int sk = rawnl_socket(2000), ret;
	size_t off;

	ASSERT_LE(0, sk);
	ASSERT_EQ(0, vgpu_nl_stats_get(&self->nl, &s0));
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		off = rawnl_start(buf, sizeof(buf), self->nl.family, NLM_F_REQUEST | NLM_F_ACK,
				  reqs[i].cmd, VGPU_GENL_VERSION);
		off = rawnl_put(buf, off, sizeof(buf), reqs[i].type, reqs[i].data, reqs[i].len);
		ret = rawnl_call(sk, buf, off, NULL);
		EXPECT_TRUE(ret == -EINVAL || ret == -ERANGE || ret == -EOPNOTSUPP)
			TH_LOG("%s: %d (%s)", reqs[i].what, ret, strerror(-ret));
	}
	close(sk);
	ASSERT_EQ(0, vgpu_nl_stats_get(&self->nl, &s1));
	EXPECT_EQ(s0.guests, s1.guests);
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--pin-child"))
		return pin_child_main(atoi(argv[2]), atol(argv[3]));
	self_exe = realpath("/proc/self/exe", NULL);
	return test_harness_run(argc, argv);
}
