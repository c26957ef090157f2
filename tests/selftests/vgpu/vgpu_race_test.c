// SPDX-License-Identifier: GPL-2.0
/*
 * Races on one session.
 *
 * create_release: threads create objects (contexts, memory charges, pins)
 * while another thread - or another process holding the same file through
 * fork() - releases the handles it predicts the creators are about to get
 * (generation << 16 | lowest free index). The creating ioctl must never read
 * its object after publishing it: every handle returned must be a handle the
 * module issued (with slub_debug=FZP,vgpu_obj on the VM's command line a
 * read of the freed object returns 0x6b6b6b6b; KASAN reports it on the debug
 * kernel), and the guest's books must be back to zero at the end.
 *
 * VGPU_RACE_MS (default 2500) is each variant's run; it runs on, up to four
 * times as long, until the other side has won the race at least once.
 *
 * The other races (fixture "more"), each for VGPU_RACE_MS: charges while
 * another thread dup2()s another session over the file and closes it;
 * attach while an administrator deletes and recreates the guest; dumps
 * while guests come and go; an unprivileged user namespace asking for admin
 * operations. Each ends with the books of every guest involved at zero.
 */
#include <sys/syscall.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include "vgpu_test.h"

#define CREATORS	2
#define INDEX_MASK	0xffffU
/* at most CREATORS objects live at once, plus the reserved index 1 */
#define INDEX_MAX	(2 + CREATORS + 2)

enum kind { K_CTX, K_CHARGE, K_PIN };

/* shared with a forked releaser: MAP_SHARED */
struct race_shared {
	atomic_uint last;		/* the newest handle a creator got */
	atomic_int stop;
	atomic_ulong created, stolen, bad, other;
	atomic_uint bad_handle;
	atomic_int other_err;
};

FIXTURE(race) {
	struct vgpu_nl nl;
	long long id;
	int fd;
	char *mem;			/* one page per creator, for pins */
	struct race_shared *sh;
};

FIXTURE_VARIANT(race) {
	enum kind kind;
	bool fork_releaser;
};

FIXTURE_VARIANT_ADD(race, ctx_thread) { .kind = K_CTX };
FIXTURE_VARIANT_ADD(race, charge_thread) { .kind = K_CHARGE };
FIXTURE_VARIANT_ADD(race, pin_thread) { .kind = K_PIN };
FIXTURE_VARIANT_ADD(race, ctx_fork) { .kind = K_CTX, .fork_releaser = true };
FIXTURE_VARIANT_ADD(race, charge_fork) { .kind = K_CHARGE, .fork_releaser = true };
FIXTURE_VARIANT_ADD(race, pin_fork) { .kind = K_PIN, .fork_releaser = true };

FIXTURE_SETUP(race)
{
	const char *why = vgpu_missing(&self->nl);

	self->fd = -1;
	if (why)
		SETUP_SKIP("%s", why);
	self->id = guest_new(&self->nl, "race", NULL, NULL);
	ASSERT_LE(0, self->id);
	self->fd = session_open(self->id);
	ASSERT_LE(0, self->fd);
	self->mem = mmap(NULL, CREATORS * page_size(), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
}

FIXTURE_TEARDOWN(race)
{
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_EQ(0, nl_del_id(&self->nl, self->id));
	vgpu_nl_close(&self->nl);
}

static unsigned long race_ms(void)
{
	const char *s = getenv("VGPU_RACE_MS");

	return s ? strtoul(s, NULL, 0) : 2500;
}

static unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static unsigned long release_req(enum kind k)
{
	return k == K_CTX ? VGPU_IOC_CTX_DESTROY :
	       k == K_CHARGE ? VGPU_IOC_MEM_UNCHARGE : VGPU_IOC_UNPIN;
}

static void note_other(struct race_shared *sh, int err)
{
	atomic_fetch_add(&sh->other, 1);
	atomic_store(&sh->other_err, err);
}

struct creator {
	FIXTURE_DATA(race) *self;
	enum kind kind;
	int index;
};

static void *create_loop(void *arg)
{
	struct creator *c = arg;
	struct race_shared *sh = c->self->sh;
	void *page = c->self->mem + c->index * page_size();
	int fd = c->self->fd, ret;
	__u32 h;

	while (!atomic_load(&sh->stop)) {
		h = 0;
		if (c->kind == K_CTX)
			ret = v_ctx_create(fd, 0, 4096, &h);
		else if (c->kind == K_CHARGE)
			ret = v_charge(fd, 4096, &h);
		else
			ret = v_pin(fd, page, page_size(), VGPU_PIN_WRITE, &h);
		if (ret) {
			note_other(sh, ret);
			continue;
		}
		atomic_fetch_add(&sh->created, 1);
		atomic_store(&sh->last, h);
		if (!h || (h & INDEX_MASK) < 2 || (h & INDEX_MASK) > INDEX_MAX) {
			atomic_fetch_add(&sh->bad, 1);
			atomic_store(&sh->bad_handle, h);
		}
		/* ours unless the releaser took it first */
		ret = v_handle_op(fd, release_req(c->kind), h);
		if (ret && ret != -ENOENT)
			note_other(sh, ret);
	}
	return NULL;
}

/* Release the handles the creators are about to be given. */
static void release_loop(struct race_shared *sh, int fd, enum kind k)
{
	unsigned long req = release_req(k);
	unsigned int g, idx, last;

	while (!atomic_load(&sh->stop)) {
		last = atomic_load(&sh->last);
		for (g = 1; g <= 3; g++)
			for (idx = 2; idx < 2 + CREATORS; idx++)
				if (!v_handle_op(fd, req, (((last >> 16) + g) << 16) | idx))
					atomic_fetch_add(&sh->stolen, 1);
	}
}

struct releaser {
	struct race_shared *sh;
	int fd;
	enum kind kind;
};

static void *release_thread(void *arg)
{
	struct releaser *r = arg;

	release_loop(r->sh, r->fd, r->kind);
	return NULL;
}

TEST_F(race, create_release)
{
	struct creator c[CREATORS];
	pthread_t ct[CREATORS], rt;
	struct releaser r = { self->sh, self->fd, variant->kind };
	unsigned long long start;
	struct vgpu_usage u;
	pid_t pid = -1;
	int i, status;

	if (variant->fork_releaser) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			release_loop(self->sh, self->fd, variant->kind);
			_exit(0);
		}
	} else {
		ASSERT_EQ(0, pthread_create(&rt, NULL, release_thread, &r));
	}
	for (i = 0; i < CREATORS; i++) {
		c[i] = (struct creator){ self, variant->kind, i };
		ASSERT_EQ(0, pthread_create(&ct[i], NULL, create_loop, &c[i]));
	}
	/* until the other side has released at least one handle first (a
	 * run that never raced tested nothing), for at most 4 times as long */
	start = now_ms();
	while (now_ms() < start + race_ms() ||
	       (!atomic_load(&self->sh->stolen) &&
		now_ms() < start + 4 * race_ms()))
		usleep(20000);
	atomic_store(&self->sh->stop, 1);
	for (i = 0; i < CREATORS; i++)
		pthread_join(ct[i], NULL);
	if (pid > 0) {
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	} else {
		pthread_join(rt, NULL);
	}

	TH_LOG("%lu created, %lu released by the other %s, %lu bad handles",
	       atomic_load(&self->sh->created), atomic_load(&self->sh->stolen),
	       variant->fork_releaser ? "process" : "thread",
	       atomic_load(&self->sh->bad));
	EXPECT_EQ(0, atomic_load(&self->sh->bad)) {
		TH_LOG("a create ioctl returned handle 0x%x (0x6b6b6b6b: read after free)",
		       atomic_load(&self->sh->bad_handle));
	}
	EXPECT_EQ(0, atomic_load(&self->sh->other)) {
		TH_LOG("unexpected error %d", atomic_load(&self->sh->other_err));
	}
	EXPECT_LT(0, atomic_load(&self->sh->created));
	/* the race was run: the other side released some handles first */
	EXPECT_LT(0, atomic_load(&self->sh->stolen));

	ASSERT_EQ(0, v_usage(self->fd, &u));
	for (i = 0; i < VGPU_RES_NR; i++)
		EXPECT_EQ(0, u.res[i].used);
}

/* ---- the other races -------------------------------------------------------- */

FIXTURE(more) {
	struct vgpu_nl nl;
	long long a, b;		/* two guests */
	char name_b[VGPU_NAME_MAX];
};

FIXTURE_SETUP(more)
{
	const char *why = vgpu_missing(&self->nl);

	self->a = self->b = -1;
	if (why)
		SETUP_SKIP("%s", why);
	self->a = guest_new(&self->nl, "racea", NULL, NULL);
	ASSERT_LE(0, self->a);
	self->b = guest_new(&self->nl, "raceb", NULL, self->name_b);
	ASSERT_LE(0, self->b);
}

FIXTURE_TEARDOWN(more)
{
	struct vgpu_nl_guest g;

	if (self->a >= 0)
		EXPECT_EQ(0, nl_del_id(&self->nl, self->a));
	/* b may have been deleted and made again under its name */
	if (self->b >= 0 && !nl_get_name(&self->nl, self->name_b, &g))
		EXPECT_EQ(0, nl_del_name(&self->nl, self->name_b));
	vgpu_nl_close(&self->nl);
}

/* No session left on @id, nothing charged (a guest that is gone: fine). */
static int guest_idle(struct vgpu_nl *nl, __u32 id)
{
	struct vgpu_nl_guest g;
	int r;

	if (nl_get_id(nl, id, &g))
		return 0;
	if (g.sessions)
		return -1;
	for (r = 0; r < VGPU_RES_NR; r++)
		if (r != VGPU_RES_COMPUTE && g.res[r].current)
			return -1;	/* compute usage is time consumed */
	return 0;
}

struct dup_arg {
	atomic_int *stop;
	int target;		/* the fd number raced on */
	__u32 a, b;
	atomic_ulong ops;
};

static void *charge_on_target(void *p)
{
	struct dup_arg *d = p;
	__u32 h;

	while (!atomic_load(d->stop)) {
		if (!v_charge(d->target, 4096, &h))
			v_uncharge(d->target, h);	/* may be another session now */
		v_ctx_create(d->target, 0, 0, NULL);
		atomic_fetch_add(&d->ops, 1);
	}
	return NULL;
}

TEST_F(more, close_dup2_during_ioctls)
{
	atomic_int stop = 0;
	struct dup_arg d = { .stop = &stop, .a = self->a, .b = self->b };
	pthread_t t[2];
	unsigned long long start = now_ms();
	int i, other, rounds = 0;

	d.target = session_open(self->a);
	ASSERT_LE(0, d.target);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, charge_on_target, &d));
	while (now_ms() < start + race_ms()) {
		/* the fd number now names a session of the other guest, or
		 * nothing for a moment, or a fresh session of the first */
		other = session_open(rounds & 1 ? self->a : self->b);
		ASSERT_LE(0, other);
		ASSERT_EQ(d.target, dup2(other, d.target));
		close(other);
		if (rounds % 3 == 0) {
			close(d.target);
			usleep(100);
			other = session_open(self->a);
			ASSERT_LE(0, other);
			if (other != d.target) {
				ASSERT_EQ(d.target, dup2(other, d.target));
				close(other);
			}
		}
		rounds++;
	}
	atomic_store(&stop, 1);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	close(d.target);
	TH_LOG("%d swaps, %lu ioctl rounds", rounds, atomic_load(&d.ops));
	EXPECT_LT(0, rounds);
	EXPECT_EQ(0, guest_idle(&self->nl, self->a));
	EXPECT_EQ(0, guest_idle(&self->nl, self->b));
}

struct attach_arg {
	atomic_int *stop;
	const char *name;
	atomic_ulong attached, refused;
	atomic_int bad;
};

static void *attach_loop(void *p)
{
	struct attach_arg *a = p;
	__u32 id;
	int fd, ret;

	while (!atomic_load(a->stop)) {
		fd = vgpu_open();
		if (fd < 0) {
			atomic_store(&a->bad, fd);
			break;
		}
		ret = v_attach_name(fd, a->name, &id);
		if (!ret) {
			atomic_fetch_add(&a->attached, 1);
			if (v_charge(fd, 4096, NULL))
				atomic_store(&a->bad, -EIO);
		} else if (ret == -ENOENT) {
			atomic_fetch_add(&a->refused, 1);
		} else {
			atomic_store(&a->bad, ret);
		}
		close(fd);
	}
	return NULL;
}

TEST_F(more, attach_vs_guest_deletion)
{
	atomic_int stop = 0;
	struct attach_arg a = { .stop = &stop, .name = self->name_b };
	unsigned long long start = now_ms();
	unsigned long deleted = 0, busy = 0;
	struct vgpu_nl_req req = { .name = self->name_b };
	struct vgpu_nl_guest g;
	pthread_t t[2];
	int i, ret;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, attach_loop, &a));
	/* until one deletion won against the attaching threads, for at most
	 * 4 times as long */
	while (now_ms() < start + race_ms() ||
	       (!deleted && now_ms() < start + 4 * race_ms())) {
		ret = nl_del_name(&self->nl, self->name_b);
		if (!ret) {
			deleted++;
			/* the same name again, a new id */
			ASSERT_EQ(0, vgpu_nl_guest_new(&self->nl, &req, &g));
		} else {
			ASSERT_EQ(-EBUSY, ret);
			busy++;
		}
	}
	atomic_store(&stop, 1);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	TH_LOG("%lu deleted, %lu busy; %lu attached, %lu refused", deleted, busy,
	       atomic_load(&a.attached), atomic_load(&a.refused));
	EXPECT_EQ(0, atomic_load(&a.bad));
	EXPECT_LT(0, deleted);
	ASSERT_EQ(0, nl_get_name(&self->nl, self->name_b, &g));
	EXPECT_EQ(0, guest_idle(&self->nl, g.id));
}

struct churn_arg {
	atomic_int *stop;
	struct vgpu_nl nl;
	int errors;
};

static void *guest_churn(void *p)
{
	struct churn_arg *c = p;
	char name[VGPU_NAME_MAX];
	long long id;

	while (!atomic_load(c->stop)) {
		id = guest_new(&c->nl, "churn", NULL, name);
		if (id < 0 || nl_del_id(&c->nl, id))
			c->errors++;
	}
	return NULL;
}

TEST_F(more, dumps_while_guests_come_and_go)
{
	atomic_int stop = 0;
	struct churn_arg c = { .stop = &stop };
	unsigned long long start = now_ms();
	struct vgpu_nl_guest *all = calloc(4096, sizeof(*all));
	int dumps = 0, n, i, seen_a;
	pthread_t t;

	ASSERT_NE(NULL, all);
	ASSERT_EQ(0, vgpu_nl_open(&c.nl));
	ASSERT_EQ(0, pthread_create(&t, NULL, guest_churn, &c));
	while (now_ms() < start + race_ms()) {
		n = nl_dump_guests(&self->nl, all, 4096);
		ASSERT_LE(0, n);
		seen_a = 0;
		for (i = 0; i < n; i++) {
			/* id order, each guest once, the stable ones always */
			if (i)
				ASSERT_LT(all[i - 1].id, all[i].id);
			seen_a += all[i].id == (__u32)self->a;
		}
		ASSERT_EQ(1, seen_a);
		dumps++;
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	vgpu_nl_close(&c.nl);
	free(all);
	TH_LOG("%d dumps", dumps);
	EXPECT_EQ(0, c.errors);
	EXPECT_LT(0, dumps);
}

static int userns_admin_ops(void *arg)
{
	__u32 id = *(__u32 *)arg;
	struct vgpu_nl_req req = { .name = "userns-x" };
	struct vgpu_nl_guest g;
	struct vgpu_nl nl;
	int ret, grp;

	/* root of a new user namespace: every capability, there only */
	if (syscall(SYS_unshare, CLONE_NEWUSER))
		return 99;	/* unprivileged user namespaces are off */
	if (vgpu_nl_open(&nl))
		return 101;
	ret = vgpu_nl_guest_new(&nl, &req, &g);
	if (ret != -EPERM)
		return 1;
	ret = nl_set_limit(&nl, id, VGPU_RES_MEMORY, 1);
	if (ret != -EPERM)
		return 2;
	ret = nl_del_id(&nl, id);
	if (ret != -EPERM)
		return 3;
	ret = nl_get_id(&nl, id, &g);	/* another user's guest: unseen */
	if (ret != -ENOENT)
		return 4;
	grp = genl_ctrl_resolve_grp(nl.sk, VGPU_GENL_NAME, VGPU_MCGRP_EVENTS);
	if (grp >= 0 && !setsockopt(nl_socket_get_fd(nl.sk), SOL_NETLINK,
				    NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)))
		return 5;
	vgpu_nl_close(&nl);
	return 0;
}

TEST_F(more, user_namespace_is_not_admin)
{
	__u32 id = self->a;
	struct vgpu_nl_guest g;

	int ret = run_as(NOBODY, userns_admin_ops, &id);

	if (ret == 99)
		SKIP(return, "unprivileged user namespaces are disabled here");
	EXPECT_EQ(0, ret);
	ASSERT_EQ(0, nl_get_id(&self->nl, id, &g));
	EXPECT_EQ(VGPU_LIMIT_UNLIMITED, g.res[VGPU_RES_MEMORY].limit);
}

TEST_HARNESS_MAIN
