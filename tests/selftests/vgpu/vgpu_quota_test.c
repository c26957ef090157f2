// SPDX-License-Identifier: GPL-2.0
/*
 * Quotas, swept over the resources: exactly at the limit succeeds, one unit
 * past it is EDQUOT with the refusal counted and nothing charged; lowering a
 * limit below usage blocks new charges and takes nothing away; raising it or
 * making it unlimited lets charges through again.
 */
#include "vgpu_test.h"

#define MAX_OBJS	64

FIXTURE(quota) {
	struct vgpu_nl nl;
	long long id;
	int fd;
	long ps;
	char *buf;		/* pinnable memory, (limit + 2) pages */
	size_t buflen;
	size_t buf_used;	/* bytes of buf pinned so far */
	__u32 handles[MAX_OBJS];
	int nr;
};

FIXTURE_VARIANT(quota) {
	enum vgpu_resource res;	/* the resource whose limit is set */
	int op;			/* how to charge it, see charge() */
	__u64 unit;		/* smallest chargeable amount (0: page size) */
	__u64 limit;		/* in units */
	bool big;		/* one call may charge several units */
};

enum { OP_CHARGE, OP_PIN, OP_CTX, OP_CTX_MEM };

FIXTURE_VARIANT_ADD(quota, memory) {
	.res = VGPU_RES_MEMORY, .op = OP_CHARGE, .unit = 1,
	.limit = 1048576 + 7, .big = true,
};

FIXTURE_VARIANT_ADD(quota, pinned) {
	.res = VGPU_RES_PINNED, .op = OP_PIN, .unit = 0, .limit = 8, .big = true,
};

FIXTURE_VARIANT_ADD(quota, contexts) {
	.res = VGPU_RES_CONTEXTS, .op = OP_CTX, .unit = 1, .limit = 5,
	.big = false,
};

/* a context's own memory against the memory limit */
FIXTURE_VARIANT_ADD(quota, context_memory) {
	.res = VGPU_RES_MEMORY, .op = OP_CTX_MEM, .unit = 1, .limit = 65536 + 3,
	.big = true,
};

static __u64 unit(FIXTURE_DATA(quota) *self, const FIXTURE_VARIANT(quota) *variant)
{
	return variant->unit ? variant->unit : (__u64)self->ps;
}

static __u64 limit(FIXTURE_DATA(quota) *self, const FIXTURE_VARIANT(quota) *variant)
{
	return variant->limit * unit(self, variant);
}

/* Charge @amount of the variant's resource through one call; keep the handle. */
static int charge(FIXTURE_DATA(quota) *self, const FIXTURE_VARIANT(quota) *variant,
		  __u64 amount)
{
	__u32 h = 0;
	int ret;

	if (self->nr >= MAX_OBJS)
		return -E2BIG;
	switch (variant->op) {
	case OP_CHARGE:
		ret = v_charge(self->fd, amount, &h);
		break;
	case OP_PIN:
		if (self->buf_used + amount > self->buflen)
			return -E2BIG;
		ret = v_pin(self->fd, self->buf + self->buf_used, amount, 0, &h);
		if (!ret)
			self->buf_used += amount;
		break;
	case OP_CTX:
		if (amount != 1)
			return -E2BIG;
		ret = v_ctx_create(self->fd, 0, 0, &h);
		break;
	default:
		ret = v_ctx_create(self->fd, 0, amount, &h);
		break;
	}
	if (!ret)
		self->handles[self->nr++] = h;
	return ret;
}

static int release_all(FIXTURE_DATA(quota) *self, const FIXTURE_VARIANT(quota) *variant)
{
	int ret = 0;

	while (self->nr) {
		__u32 h = self->handles[--self->nr];

		switch (variant->op) {
		case OP_CHARGE:
			ret = ret ?: v_uncharge(self->fd, h);
			break;
		case OP_PIN:
			ret = ret ?: v_unpin(self->fd, h);
			break;
		default:
			ret = ret ?: v_ctx_destroy(self->fd, h);
			break;
		}
	}
	self->buf_used = 0;
	return ret;
}

/* Charge exactly @amount, in one call if the resource allows it. */
static int fill(FIXTURE_DATA(quota) *self, const FIXTURE_VARIANT(quota) *variant,
		__u64 amount)
{
	__u64 u = unit(self, variant);
	int ret = 0;

	if (variant->big)
		return amount ? charge(self, variant, amount) : 0;
	for (; amount && !ret; amount -= u)
		ret = charge(self, variant, u);
	return ret;
}

static struct vgpu_counter counter(FIXTURE_DATA(quota) *self,
				   const FIXTURE_VARIANT(quota) *variant)
{
	struct vgpu_usage u;
	struct vgpu_counter none = { .used = ~0ULL, .peak = ~0ULL };

	if (v_usage(self->fd, &u))
		return none;
	return u.res[variant->res];
}

FIXTURE_SETUP(quota)
{
	const char *why = vgpu_missing(&self->nl);

	self->fd = -1;
	if (why)
		SETUP_SKIP("%s", why);
	self->ps = page_size();
	self->id = guest_new_limit(&self->nl, "q", variant->res, limit(self, variant));
	ASSERT_LE(0, self->id) TH_LOG("%s", self->nl.ext_msg);
	self->fd = session_open(self->id);
	ASSERT_LE(0, self->fd);
	/* only pins need real memory: limit + 4 pages */
	self->buflen = (variant->op == OP_PIN ? variant->limit + 4 : 1) * self->ps;
	self->buf = mmap(NULL, self->buflen, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(quota)
{
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_EQ(0, nl_del_id(&self->nl, self->id));
	vgpu_nl_close(&self->nl);
}

TEST_F(quota, limit_reported)
{
	struct vgpu_nl_guest g;
	struct vgpu_counter c = counter(self, variant);

	EXPECT_EQ(limit(self, variant), c.limit);
	ASSERT_EQ(0, nl_get_id(&self->nl, self->id, &g));
	EXPECT_EQ(limit(self, variant), g.res[variant->res].limit);
}

TEST_F(quota, exactly_at_limit_ok)
{
	__u64 L = limit(self, variant), u = unit(self, variant);
	struct vgpu_counter c;

	ASSERT_EQ(0, fill(self, variant, L));
	c = counter(self, variant);
	EXPECT_EQ(L, c.used);
	EXPECT_EQ(L, c.peak);
	EXPECT_EQ(0, c.limit_hits);
	/* one unit more */
	EXPECT_EQ(-EDQUOT, charge(self, variant, u));
	c = counter(self, variant);
	EXPECT_EQ(L, c.used);
	EXPECT_EQ(L, c.peak);
	EXPECT_EQ(1, c.limit_hits);
	/* released, the whole limit is available again */
	ASSERT_EQ(0, release_all(self, variant));
	EXPECT_EQ(0, counter(self, variant).used);
	ASSERT_EQ(0, fill(self, variant, L));
	EXPECT_EQ(L, counter(self, variant).used);
}

TEST_F(quota, one_unit_past_edquot)
{
	__u64 L = limit(self, variant), u = unit(self, variant);
	struct vgpu_counter c;

	if (variant->big) {
		/* from empty, a single charge of limit + 1 */
		EXPECT_EQ(-EDQUOT, charge(self, variant, L + u));
		c = counter(self, variant);
		EXPECT_EQ(0, c.used);
		EXPECT_EQ(0, c.peak);
		EXPECT_EQ(1, c.limit_hits);
		/* from one unit short: two units */
		ASSERT_EQ(0, fill(self, variant, L - u));
		EXPECT_EQ(-EDQUOT, charge(self, variant, 2 * u));
		c = counter(self, variant);
		EXPECT_EQ(L - u, c.used);
		EXPECT_EQ(2, c.limit_hits);
		/* the last unit still fits */
		EXPECT_EQ(0, charge(self, variant, u));
		EXPECT_EQ(L, counter(self, variant).used);
	} else {
		/* count resources: a limit of 0 refuses the first one */
		ASSERT_EQ(0, nl_set_limit(&self->nl, self->id, variant->res, 0));
		EXPECT_EQ(-EDQUOT, charge(self, variant, u));
		c = counter(self, variant);
		EXPECT_EQ(0, c.used);
		EXPECT_EQ(1, c.limit_hits);
	}
	/* nothing else was charged by the refusals */
	{
		struct vgpu_usage us;
		int r;

		ASSERT_EQ(0, v_usage(self->fd, &us));
		for (r = 0; r < VGPU_RES_NR; r++) {
			if (r == (int)variant->res)
				continue;
			if (variant->op == OP_CTX_MEM && r == VGPU_RES_CONTEXTS)
				continue;
			EXPECT_EQ(0, us.res[r].used) TH_LOG("resource %d", r);
			EXPECT_EQ(0, us.res[r].limit_hits) TH_LOG("resource %d", r);
		}
	}
}

TEST_F(quota, limit_zero_edquot)
{
	struct vgpu_counter c;

	ASSERT_EQ(0, nl_set_limit(&self->nl, self->id, variant->res, 0));
	EXPECT_EQ(-EDQUOT, charge(self, variant, unit(self, variant)));
	c = counter(self, variant);
	EXPECT_EQ(0, c.used);
	EXPECT_EQ(0, c.limit);
	EXPECT_EQ(1, c.limit_hits);
}

TEST_F(quota, lower_below_usage_keeps_existing)
{
	__u64 L = limit(self, variant), u = unit(self, variant);
	__u64 half = (variant->limit / 2) * u;
	struct vgpu_counter c;
	struct vgpu_nl_guest g;

	ASSERT_EQ(0, fill(self, variant, L));
	ASSERT_EQ(0, nl_set_limit(&self->nl, self->id, variant->res, half));
	c = counter(self, variant);
	EXPECT_EQ(L, c.used);		/* nothing taken away */
	EXPECT_EQ(half, c.limit);
	ASSERT_EQ(0, nl_get_id(&self->nl, self->id, &g));
	EXPECT_EQ(half, g.res[variant->res].limit);
	EXPECT_EQ(L, g.res[variant->res].current);
	/* but nothing new fits, not even one unit */
	EXPECT_EQ(-EDQUOT, charge(self, variant, u));
	EXPECT_EQ(1, counter(self, variant).limit_hits);
	EXPECT_EQ(L, counter(self, variant).used);
	/* releasing works, and then the new limit applies exactly */
	ASSERT_EQ(0, release_all(self, variant));
	EXPECT_EQ(0, counter(self, variant).used);
	ASSERT_EQ(0, fill(self, variant, half));
	EXPECT_EQ(-EDQUOT, charge(self, variant, u));
	c = counter(self, variant);
	EXPECT_EQ(half, c.used);
	EXPECT_EQ(L, c.peak);
	EXPECT_EQ(2, c.limit_hits);
}

TEST_F(quota, raise_and_unlimited)
{
	__u64 L = limit(self, variant), u = unit(self, variant);
	int i;

	ASSERT_EQ(0, fill(self, variant, L));
	EXPECT_EQ(-EDQUOT, charge(self, variant, u));
	ASSERT_EQ(0, nl_set_limit(&self->nl, self->id, variant->res, L + u));
	EXPECT_EQ(0, charge(self, variant, u));
	EXPECT_EQ(-EDQUOT, charge(self, variant, u));
	ASSERT_EQ(0, nl_set_limit(&self->nl, self->id, variant->res,
				   VGPU_LIMIT_UNLIMITED));
	EXPECT_EQ(VGPU_LIMIT_UNLIMITED, counter(self, variant).limit);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, charge(self, variant, u));
	}
	EXPECT_EQ(L + 4 * u, counter(self, variant).used);
	EXPECT_EQ(2, counter(self, variant).limit_hits);
}

/* ---- one context: a context and its memory, both or neither --------------- */

FIXTURE(ctxmem) {
	struct vgpu_nl nl;
	long long id;
	int fd;
};

FIXTURE_SETUP(ctxmem)
{
	const char *why = vgpu_missing(&self->nl);
	struct vgpu_nl_req req = {};

	self->fd = -1;
	if (why)
		SETUP_SKIP("%s", why);
	vgpu_nl_req_limit(&req, VGPU_RES_CONTEXTS, 1);
	vgpu_nl_req_limit(&req, VGPU_RES_MEMORY, 1000);
	self->id = guest_new(&self->nl, "cm", &req, NULL);
	ASSERT_LE(0, self->id);
	self->fd = session_open(self->id);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(ctxmem)
{
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_EQ(0, nl_del_id(&self->nl, self->id));
	vgpu_nl_close(&self->nl);
}

TEST_F(ctxmem, both_or_neither)
{
	struct vgpu_usage u;
	__u32 c;

	/* memory over: no context either */
	EXPECT_EQ(-EDQUOT, v_ctx_create(self->fd, 0, 1001, NULL));
	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_EQ(0, u.res[VGPU_RES_CONTEXTS].used);
	EXPECT_EQ(0, u.res[VGPU_RES_MEMORY].used);
	EXPECT_EQ(1, u.res[VGPU_RES_MEMORY].limit_hits);
	EXPECT_EQ(0, u.res[VGPU_RES_CONTEXTS].limit_hits);

	/* both exactly at their limits */
	ASSERT_EQ(0, v_ctx_create(self->fd, 0, 1000, &c));
	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_EQ(1, u.res[VGPU_RES_CONTEXTS].used);
	EXPECT_EQ(1000, u.res[VGPU_RES_MEMORY].used);

	/* context over (no memory asked): memory untouched */
	EXPECT_EQ(-EDQUOT, v_ctx_create(self->fd, 0, 0, NULL));
	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_EQ(1, u.res[VGPU_RES_CONTEXTS].used);
	EXPECT_EQ(1000, u.res[VGPU_RES_MEMORY].used);
	EXPECT_EQ(1, u.res[VGPU_RES_CONTEXTS].limit_hits);
	EXPECT_EQ(1, u.res[VGPU_RES_MEMORY].limit_hits);

	/* memory charges share the memory limit with the context */
	EXPECT_EQ(-EDQUOT, v_charge(self->fd, 1, NULL));
	ASSERT_EQ(0, v_ctx_destroy(self->fd, c));
	ASSERT_EQ(0, v_usage(self->fd, &u));
	EXPECT_EQ(0, u.res[VGPU_RES_CONTEXTS].used);
	EXPECT_EQ(0, u.res[VGPU_RES_MEMORY].used);
	EXPECT_EQ(0, v_charge(self->fd, 1000, NULL));
	/* memory full: a context with memory is refused, without memory fits */
	EXPECT_EQ(-EDQUOT, v_ctx_create(self->fd, 0, 1, NULL));
	EXPECT_EQ(0, v_ctx_create(self->fd, 0, 0, NULL));
}

TEST_F(ctxmem, no_wrap_around)
{
	__u64 used;

	ASSERT_EQ(0, v_charge(self->fd, 100, NULL));
	/* 100 + (2^64 - 50) wraps to 50, which would "fit" under 1000 */
	EXPECT_EQ(-EDQUOT, v_charge(self->fd, ~0ULL - 49, NULL));
	EXPECT_EQ(-EDQUOT, v_ctx_create(self->fd, 0, ~0ULL - 49, NULL));
	used = v_used(self->fd, VGPU_RES_MEMORY);
	EXPECT_EQ(100, used);
	EXPECT_EQ(0, v_used(self->fd, VGPU_RES_CONTEXTS));
	/* unlimited is a limit of 2^64 - 1: still no wrap */
	ASSERT_EQ(0, nl_set_limit(&self->nl, self->id, VGPU_RES_MEMORY,
				   VGPU_LIMIT_UNLIMITED));
	EXPECT_EQ(-EDQUOT, v_charge(self->fd, ~0ULL - 49, NULL));
	EXPECT_EQ(100, v_used(self->fd, VGPU_RES_MEMORY));
	EXPECT_EQ(0, v_charge(self->fd, ~0ULL - 100, NULL));
	EXPECT_EQ(~0ULL, v_used(self->fd, VGPU_RES_MEMORY));
	EXPECT_EQ(-EDQUOT, v_charge(self->fd, 1, NULL));
}

TEST_HARNESS_MAIN
