// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency and crash cleanup.
 *
 * Many threads and processes (each its own session, or threads sharing one)
 * charge and release one guest in loops against tight limits: usage never
 * passes a limit, every refusal is counted exactly once, and everything comes
 * back to zero. A process that holds contexts, charges and pins and is
 * SIGKILLed leaves nothing behind.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include "vgpu_test.h"

#define UNIT		4096ULL
#define MEM_LIMIT	(10 * UNIT)
#define CTX_LIMIT	3
#define HOLD		4	/* charges a worker holds at most (up to 12 units) */

struct tally {
	unsigned long attempts, ok, refused, released, other;
	unsigned long ctx_attempts, ctx_ok, ctx_refused, ctx_released;
	int last_other;
};

FIXTURE(stress) {
	struct vgpu_nl nl;
	long long id;
	int shared_fd;
	struct tally *tally;	/* MAP_SHARED: one per worker, then the start flag */
	atomic_int *go;
	atomic_int stop;
	atomic_ulong over_limit; /* usage samples above a limit */
	atomic_ulong samples;
};

FIXTURE_VARIANT(stress) {
	int threads;
	int procs;
	bool share_fd;		/* threads use one session */
	int ctx_every;		/* every n-th iteration creates a context */
	int iters;
};

FIXTURE_VARIANT_ADD(stress, threads_8) {
	.threads = 8, .iters = 1500,
};

FIXTURE_VARIANT_ADD(stress, procs_4) {
	.procs = 4, .iters = 1500,
};

FIXTURE_VARIANT_ADD(stress, threads_4_procs_3_ctx) {
	.threads = 4, .procs = 3, .ctx_every = 4, .iters = 1200,
};

FIXTURE_VARIANT_ADD(stress, threads_8_one_session) {
	.threads = 8, .share_fd = true, .ctx_every = 5, .iters = 1200,
};

struct worker {
	FIXTURE_DATA(stress) *self;
	const FIXTURE_VARIANT(stress) *variant;
	int index;
};

/* One worker's loop; returns 0, or -errno if its session could not be made. */
static int work(FIXTURE_DATA(stress) *self, const FIXTURE_VARIANT(stress) *variant,
		int index)
{
	struct tally *t = &self->tally[index];
	__u32 held[HOLD], ctx = 0;
	int nheld = 0, has_ctx = 0, i, ret, fd;
	unsigned int seed = index * 7919 + 1;

	fd = variant->share_fd ? self->shared_fd : session_open(self->id);
	if (fd < 0)
		return fd;
	while (!atomic_load(self->go))
		sched_yield();
	for (i = 0; i < variant->iters; i++) {
		if (variant->ctx_every && i % variant->ctx_every == 0) {
			if (has_ctx) {
				if (!v_ctx_destroy(fd, ctx))
					t->ctx_released++;
				has_ctx = 0;
				continue;
			}
			t->ctx_attempts++;
			ret = v_ctx_create(fd, index, 0, &ctx);
			if (!ret) {
				t->ctx_ok++;
				has_ctx = 1;
			} else if (ret == -EDQUOT) {
				t->ctx_refused++;
			} else {
				t->other++;
				t->last_other = ret;
			}
			continue;
		}
		if (nheld == HOLD || (nheld && rand_r(&seed) % 3 == 0)) {
			ret = v_uncharge(fd, held[--nheld]);
			if (!ret)
				t->released++;
			else {
				t->other++;
				t->last_other = ret;
			}
			continue;
		}
		t->attempts++;
		ret = v_charge(fd, UNIT * (1 + rand_r(&seed) % 3), &held[nheld]);
		if (!ret) {
			t->ok++;
			nheld++;
		} else if (ret == -EDQUOT) {
			t->refused++;
		} else {
			t->other++;
			t->last_other = ret;
		}
	}
	while (nheld) {
		if (!v_uncharge(fd, held[--nheld]))
			t->released++;
	}
	if (has_ctx && !v_ctx_destroy(fd, ctx))
		t->ctx_released++;
	if (!variant->share_fd)
		close(fd);
	return 0;
}

static void *thread_fn(void *arg)
{
	struct worker *w = arg;

	return (void *)(intptr_t)work(w->self, w->variant, w->index);
}

/* Reads the books while the workers run: used must never pass a limit. */
static void *sampler_fn(void *arg)
{
	FIXTURE_DATA(stress) *self = arg;
	struct vgpu_usage u;
	int fd = session_open(self->id);

	if (fd < 0)
		return NULL;
	while (!atomic_load(&self->stop)) {
		if (v_usage(fd, &u))
			break;
		atomic_fetch_add(&self->samples, 1);
		if (u.res[VGPU_RES_MEMORY].used > MEM_LIMIT ||
		    u.res[VGPU_RES_CONTEXTS].used > CTX_LIMIT)
			atomic_fetch_add(&self->over_limit, 1);
	}
	close(fd);
	return NULL;
}

FIXTURE_SETUP(stress)
{
	const char *why = vgpu_missing(&self->nl);
	int n = variant->threads + variant->procs;
	struct vgpu_nl_req req = {};

	self->shared_fd = -1;
	if (why)
		SETUP_SKIP("%s", why);
	vgpu_nl_req_limit(&req, VGPU_RES_MEMORY, MEM_LIMIT);
	vgpu_nl_req_limit(&req, VGPU_RES_CONTEXTS, CTX_LIMIT);
	self->id = guest_new(&self->nl, "stress", &req, NULL);
	ASSERT_LE(0, self->id);
	self->tally = mmap(NULL, n * sizeof(struct tally) + sizeof(atomic_int),
			   PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->tally);
	self->go = (atomic_int *)(self->tally + n);
	if (variant->share_fd) {
		self->shared_fd = session_open(self->id);
		ASSERT_LE(0, self->shared_fd);
	}
}

FIXTURE_TEARDOWN(stress)
{
	if (self->shared_fd >= 0)
		close(self->shared_fd);
	EXPECT_EQ(0, nl_del_id(&self->nl, self->id));
	vgpu_nl_close(&self->nl);
}

TEST_F_TIMEOUT(stress, charge_release_race, 300)
{
	int n = variant->threads + variant->procs, i, status;
	pthread_t tids[16], sampler;
	struct worker w[16];
	pid_t pids[16];
	struct tally sum = {};
	struct vgpu_usage u;
	struct vgpu_nl_guest g;
	void *res;

	ASSERT_GE(16, n);
	ASSERT_EQ(0, pthread_create(&sampler, NULL, sampler_fn, self));
	for (i = 0; i < variant->procs; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			_exit(-work(self, variant, variant->threads + i));
	}
	for (i = 0; i < variant->threads; i++) {
		w[i] = (struct worker){ self, variant, i };
		ASSERT_EQ(0, pthread_create(&tids[i], NULL, thread_fn, &w[i]));
	}
	atomic_store(self->go, 1);	/* all start together */
	for (i = 0; i < variant->threads; i++) {
		ASSERT_EQ(0, pthread_join(tids[i], &res));
		EXPECT_EQ(0, (intptr_t)res);
	}
	for (i = 0; i < variant->procs; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	atomic_store(&self->stop, 1);
	pthread_join(sampler, NULL);

	for (i = 0; i < n; i++) {
		struct tally *t = &self->tally[i];

		EXPECT_EQ(0, t->other) TH_LOG("worker %d: unexpected errno %d", i,
					      -t->last_other);
		EXPECT_EQ(t->attempts, t->ok + t->refused);
		EXPECT_EQ(t->ok, t->released);
		EXPECT_EQ(t->ctx_attempts, t->ctx_ok + t->ctx_refused);
		EXPECT_EQ(t->ctx_ok, t->ctx_released);
		sum.attempts += t->attempts;
		sum.ok += t->ok;
		sum.refused += t->refused;
		sum.ctx_ok += t->ctx_ok;
		sum.ctx_refused += t->ctx_refused;
	}
	TH_LOG("%lu charges: %lu ok, %lu refused; %lu contexts, %lu refused; %lu samples",
	       sum.attempts, sum.ok, sum.refused, sum.ctx_ok, sum.ctx_refused,
	       (unsigned long)atomic_load(&self->samples));
	/* with this much contention both outcomes happen */
	EXPECT_LT(0, sum.ok);
	EXPECT_LT(0, sum.refused);
	EXPECT_EQ(0, atomic_load(&self->over_limit));

	ASSERT_EQ(0, nl_get_id(&self->nl, self->id, &g));
	EXPECT_EQ(0, g.sessions - (variant->share_fd ? 1 : 0));
	EXPECT_EQ(0, g.res[VGPU_RES_MEMORY].current);
	EXPECT_EQ(0, g.res[VGPU_RES_CONTEXTS].current);
	EXPECT_GE(MEM_LIMIT, g.res[VGPU_RES_MEMORY].peak);
	EXPECT_LT(0, g.res[VGPU_RES_MEMORY].peak);
	EXPECT_GE(CTX_LIMIT, g.res[VGPU_RES_CONTEXTS].peak);
	EXPECT_EQ(sum.refused, g.res[VGPU_RES_MEMORY].limit_hits);
	EXPECT_EQ(sum.ctx_refused, g.res[VGPU_RES_CONTEXTS].limit_hits);
	if (variant->share_fd) {
		ASSERT_EQ(0, v_usage(self->shared_fd, &u));
		EXPECT_EQ(0, u.res[VGPU_RES_MEMORY].used);
	}
}

/* ---- crash cleanup ------------------------------------------------------------ */

FIXTURE(crash) {
	struct vgpu_nl nl;
	long long id;
};

FIXTURE_VARIANT(crash) {
	int threads;		/* extra threads, each with its own session */
	bool fd_in_grandchild;	/* a forked grandchild keeps the session open */
};

FIXTURE_VARIANT_ADD(crash, single) {
	.threads = 0,
};

FIXTURE_VARIANT_ADD(crash, threaded) {
	.threads = 3,
};

FIXTURE_VARIANT_ADD(crash, fd_shared_by_fork) {
	.fd_in_grandchild = true,
};

FIXTURE_SETUP(crash)
{
	const char *why = vgpu_missing(&self->nl);

	if (why)
		SETUP_SKIP("%s", why);
	self->id = guest_new(&self->nl, "crash", NULL, NULL);
	ASSERT_LE(0, self->id);
}

FIXTURE_TEARDOWN(crash)
{
	/* EBUSY: a dead process's session stayed attached */
	EXPECT_EQ(0, nl_del_id(&self->nl, self->id));
	vgpu_nl_close(&self->nl);
}

#define CRASH_PAGES	4

/* What one session of the victim holds. */
static int hold_things(__u32 id, char *mem, long ps)
{
	int fd = session_open(id);

	if (fd < 0 ||
	    v_ctx_create(fd, 0, 1 << 20, NULL) ||
	    v_charge(fd, 2 << 20, NULL) ||
	    v_pin(fd, mem, CRASH_PAGES * ps, VGPU_PIN_WRITE, NULL))
		return -1;
	return fd;
}

struct crash_thread {
	__u32 id;
	char *mem;
	long ps;
	int ok;
	pthread_barrier_t *bar;
};

static void *crash_thread_fn(void *arg)
{
	struct crash_thread *c = arg;

	c->ok = hold_things(c->id, c->mem, c->ps) >= 0;
	pthread_barrier_wait(c->bar);
	for (;;)
		pause();
	return NULL;
}

static int all_zero(const struct vgpu_nl_guest *g)
{
	return !g->sessions && !g->res[VGPU_RES_CONTEXTS].current &&
	       !g->res[VGPU_RES_MEMORY].current && !g->res[VGPU_RES_PINNED].current;
}

TEST_F_TIMEOUT(crash, sigkill_releases_everything, 60)
{
	long ps = page_size();
	int n = 1 + variant->threads, pfd[2], status;
	pid_t child, grandchild = 0;
	struct vgpu_nl_guest g;
	char c = 0;

	ASSERT_EQ(0, pipe(pfd));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		char *mem = mmap(NULL, n * CRASH_PAGES * ps, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		struct crash_thread ct[8];
		pthread_barrier_t bar;
		pthread_t tid;
		char ok = 'y';
		int i;

		if (mem == MAP_FAILED || hold_things(self->id, mem, ps) < 0)
			ok = 'n';
		pthread_barrier_init(&bar, NULL, variant->threads + 1);
		for (i = 0; i < variant->threads; i++) {
			ct[i] = (struct crash_thread){ self->id,
				mem + (i + 1) * CRASH_PAGES * ps, ps, 0, &bar };
			pthread_create(&tid, NULL, crash_thread_fn, &ct[i]);
		}
		pthread_barrier_wait(&bar);
		for (i = 0; i < variant->threads; i++)
			if (!ct[i].ok)
				ok = 'n';
		if (variant->fd_in_grandchild) {
			pid_t gc = fork();

			if (!gc) {
				for (;;)
					pause();
			}
			if (write(pfd[1], &gc, sizeof(gc)) != sizeof(gc))
				ok = 'n';
		}
		if (write(pfd[1], &ok, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (variant->fd_in_grandchild) {
		ASSERT_EQ(sizeof(grandchild), read(pfd[0], &grandchild, sizeof(grandchild)));
	}
	ASSERT_EQ(1, read(pfd[0], &c, 1));
	ASSERT_EQ('y', c);

	ASSERT_EQ(0, nl_get_id(&self->nl, self->id, &g));
	EXPECT_EQ(n, g.sessions);
	EXPECT_EQ(n, g.res[VGPU_RES_CONTEXTS].current);
	EXPECT_EQ(n * (3ULL << 20), g.res[VGPU_RES_MEMORY].current);
	EXPECT_EQ(n * CRASH_PAGES * (__u64)ps, g.res[VGPU_RES_PINNED].current);

	ASSERT_EQ(0, kill(child, SIGKILL));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));

	if (variant->fd_in_grandchild) {
		/* the session lives on in the grandchild */
		usleep(200000);
		ASSERT_EQ(0, nl_get_id(&self->nl, self->id, &g));
		EXPECT_EQ(1, g.sessions);
		EXPECT_EQ(3ULL << 20, g.res[VGPU_RES_MEMORY].current);
		EXPECT_EQ(CRASH_PAGES * (__u64)ps, g.res[VGPU_RES_PINNED].current);
		EXPECT_EQ(-EBUSY, nl_del_id(&self->nl, self->id));
		ASSERT_EQ(0, kill(grandchild, SIGKILL));
		/* not our child: its parent is gone, it is reaped by init */
	}
	ASSERT_EQ(0, wait_guest(&self->nl, self->id, 5000, all_zero, &g))
		TH_LOG("left: sessions %u ctx %llu mem %llu pinned %llu", g.sessions,
		       (unsigned long long)g.res[VGPU_RES_CONTEXTS].current,
		       (unsigned long long)g.res[VGPU_RES_MEMORY].current,
		       (unsigned long long)g.res[VGPU_RES_PINNED].current);
	/* peaks remember what was held */
	EXPECT_EQ(n * (3ULL << 20), g.res[VGPU_RES_MEMORY].peak);
}

TEST_HARNESS_MAIN
