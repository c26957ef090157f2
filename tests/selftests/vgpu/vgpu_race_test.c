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
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
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
	struct vnl nl;
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
	EXPECT_EQ(0, vnl_del_id(&self->nl, self->id));
	vnl_close(&self->nl);
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

TEST_HARNESS_MAIN
