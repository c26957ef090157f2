// SPDX-License-Identifier: GPL-2.0
/*
 * The uAPI contract of every ioctl, swept over the commands with
 * FIXTURE_VARIANT: @size one byte short of the struct -> EINVAL, a larger
 * struct with non-zero trailing bytes -> E2BIG and with zero trailing bytes ->
 * OK, unknown flags and non-zero reserved fields -> EINVAL, NULL and bad
 * pointers -> EFAULT. Every refusal must leave the books unchanged, which a
 * second session of the same guest checks.
 */
#include "vgpu_test.h"

FIXTURE(contract) {
	struct vgpu_nl nl;
	long long id;
	int fd;			/* the session under test */
	int mon;		/* a second session of the guest, to read the books */
	__u32 ctx, charge, pin;	/* one object of each kind, when attached */
	char *buf;		/* 2 pages, pinnable */
	long ps;
};

FIXTURE_VARIANT(contract) {
	unsigned long cmd;
	__u32 size;		/* the struct of this header */
	bool attach;		/* attach fd before the call */
	bool out;		/* the command writes its struct back */
	int reserved_off;	/* offset of __reserved, -1: none */
	__u32 bad_flag;		/* lowest flag bit this header does not define */
	void (*fill)(FIXTURE_DATA(contract) *self, void *arg);
};

static void fill_none(FIXTURE_DATA(contract) *self, void *arg)
{
	(void)self;
	(void)arg;
}

static void fill_attach(FIXTURE_DATA(contract) *self, void *arg)
{
	((struct vgpu_attach *)arg)->guest_id = self->id;
}

static void fill_ctx_create(FIXTURE_DATA(contract) *self, void *arg)
{
	(void)self;
	((struct vgpu_ctx_create *)arg)->mem_bytes = 1;
}

static void fill_ctx(FIXTURE_DATA(contract) *self, void *arg)
{
	((struct vgpu_handle_op *)arg)->handle = self->ctx;
}

static void fill_charge(FIXTURE_DATA(contract) *self, void *arg)
{
	(void)self;
	((struct vgpu_mem_charge *)arg)->bytes = 1;
}

static void fill_uncharge(FIXTURE_DATA(contract) *self, void *arg)
{
	((struct vgpu_handle_op *)arg)->handle = self->charge;
}

static void fill_pin(FIXTURE_DATA(contract) *self, void *arg)
{
	struct vgpu_pin *p = arg;

	p->addr = (uintptr_t)(self->buf + self->ps);
	p->length = self->ps;
}

static void fill_unpin(FIXTURE_DATA(contract) *self, void *arg)
{
	((struct vgpu_handle_op *)arg)->handle = self->pin;
}

static void fill_lease(FIXTURE_DATA(contract) *self, void *arg)
{
	(void)self;
	((struct vgpu_compute_lease *)arg)->request_ns = 1000000;
}

#define RSV(type) offsetof(struct type, __reserved)

FIXTURE_VARIANT_ADD(contract, version) {
	.cmd = VGPU_IOC_VERSION, .size = sizeof(struct vgpu_version),
	.out = true, .reserved_off = RSV(vgpu_version), .bad_flag = 1,
	.fill = fill_none,
};

FIXTURE_VARIANT_ADD(contract, attach) {
	.cmd = VGPU_IOC_ATTACH, .size = sizeof(struct vgpu_attach),
	.out = true, .reserved_off = RSV(vgpu_attach), .bad_flag = 2,
	.fill = fill_attach,
};

FIXTURE_VARIANT_ADD(contract, ctx_create) {
	.cmd = VGPU_IOC_CTX_CREATE, .size = sizeof(struct vgpu_ctx_create),
	.attach = true, .out = true, .reserved_off = -1, .bad_flag = 1,
	.fill = fill_ctx_create,
};

FIXTURE_VARIANT_ADD(contract, ctx_destroy) {
	.cmd = VGPU_IOC_CTX_DESTROY, .size = sizeof(struct vgpu_handle_op),
	.attach = true, .reserved_off = RSV(vgpu_handle_op), .bad_flag = 1,
	.fill = fill_ctx,
};

FIXTURE_VARIANT_ADD(contract, mem_charge) {
	.cmd = VGPU_IOC_MEM_CHARGE, .size = sizeof(struct vgpu_mem_charge),
	.attach = true, .out = true, .reserved_off = -1, .bad_flag = 1,
	.fill = fill_charge,
};

FIXTURE_VARIANT_ADD(contract, mem_uncharge) {
	.cmd = VGPU_IOC_MEM_UNCHARGE, .size = sizeof(struct vgpu_handle_op),
	.attach = true, .reserved_off = RSV(vgpu_handle_op), .bad_flag = 1,
	.fill = fill_uncharge,
};

FIXTURE_VARIANT_ADD(contract, pin) {
	.cmd = VGPU_IOC_PIN, .size = sizeof(struct vgpu_pin),
	.attach = true, .out = true, .reserved_off = RSV(vgpu_pin), .bad_flag = 2,
	.fill = fill_pin,
};

FIXTURE_VARIANT_ADD(contract, unpin) {
	.cmd = VGPU_IOC_UNPIN, .size = sizeof(struct vgpu_handle_op),
	.attach = true, .reserved_off = RSV(vgpu_handle_op), .bad_flag = 1,
	.fill = fill_unpin,
};

FIXTURE_VARIANT_ADD(contract, usage) {
	.cmd = VGPU_IOC_USAGE, .size = sizeof(struct vgpu_usage),
	.attach = true, .out = true, .reserved_off = RSV(vgpu_usage), .bad_flag = 1,
	.fill = fill_none,
};

FIXTURE_VARIANT_ADD(contract, compute_lease) {
	.cmd = VGPU_IOC_COMPUTE_LEASE, .size = sizeof(struct vgpu_compute_lease),
	.attach = true, .out = true, .reserved_off = RSV(vgpu_compute_lease),
	.bad_flag = 1U << 2, .fill = fill_lease,	/* after TURN and WAIT */
};

FIXTURE_VARIANT_ADD(contract, compute_return) {
	.cmd = VGPU_IOC_COMPUTE_RETURN, .size = sizeof(struct vgpu_compute_lease),
	.attach = true, .out = true, .reserved_off = RSV(vgpu_compute_lease),
	.bad_flag = 1, .fill = fill_none,	/* RETURN takes no flag, TURN neither */
};

FIXTURE_SETUP(contract)
{
	const char *why = vgpu_missing(&self->nl);

	self->fd = self->mon = -1;
	if (why)
		SETUP_SKIP("%s", why);
	self->ps = page_size();
	self->id = guest_new(&self->nl, "ct", NULL, NULL);
	ASSERT_LE(0, self->id);
	self->fd = vgpu_open();
	ASSERT_LE(0, self->fd);
	self->mon = session_open(self->id);
	ASSERT_LE(0, self->mon);
	self->buf = mmap(NULL, 2 * self->ps, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	if (!variant->attach)
		return;
	ASSERT_EQ(0, v_attach_id(self->fd, self->id));
	ASSERT_EQ(0, v_ctx_create(self->fd, 0, 0, &self->ctx));
	ASSERT_EQ(0, v_charge(self->fd, 10, &self->charge));
	ASSERT_EQ(0, v_pin(self->fd, self->buf, self->ps, 0, &self->pin));
}

FIXTURE_TEARDOWN(contract)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->mon >= 0)
		close(self->mon);
	EXPECT_EQ(0, nl_del_id(&self->nl, self->id));
	vgpu_nl_close(&self->nl);
}

/* The guest's books, as the monitor session sees them. */
struct books {
	__u32 sessions;
	struct vgpu_counter res[VGPU_RES_SLOTS];
};

static int books(FIXTURE_DATA(contract) *self, struct books *b)
{
	struct vgpu_usage u;
	int ret = v_usage(self->mon, &u);

	memset(b, 0, sizeof(*b));
	if (ret)
		return ret;
	b->sessions = u.sessions;
	memcpy(b->res, u.res, sizeof(b->res));
	return 0;
}

/* peak too, unless a charge was made and undone in between */
#define __BOOKS_EQ(a, b, peak_too) do {					\
	int _r;								\
	EXPECT_EQ((a).sessions, (b).sessions);				\
	for (_r = 0; _r < VGPU_RES_SLOTS; _r++) {			\
		EXPECT_EQ((a).res[_r].used, (b).res[_r].used)		\
			TH_LOG("resource %d", _r);			\
		if (peak_too) {						\
			EXPECT_EQ((a).res[_r].peak, (b).res[_r].peak);	\
		}							\
		EXPECT_EQ((a).res[_r].limit_hits, (b).res[_r].limit_hits); \
	}								\
} while (0)
#define ASSERT_BOOKS_EQ(a, b) __BOOKS_EQ(a, b, true)

/* A valid argument of @size bytes (>= the struct) in @arg. */
static void build(FIXTURE_DATA(contract) *self,
		  const FIXTURE_VARIANT(contract) *variant, void *arg, __u32 size)
{
	memset(arg, 0, size);
	((__u32 *)arg)[0] = size;
	variant->fill(self, arg);
}

/* Issue the command with @arg; the books must not move when it fails. */
static int call(FIXTURE_DATA(contract) *self,
		const FIXTURE_VARIANT(contract) *variant, void *arg)
{
	return vioctl(self->fd, variant->cmd, arg);
}

TEST_F(contract, exact_size_ok)
{
	char arg[512];

	build(self, variant, arg, variant->size);
	EXPECT_EQ(0, call(self, variant, arg));
	EXPECT_EQ(variant->size, *(__u32 *)arg);
}

TEST_F(contract, size_short_einval)
{
	char arg[512];
	struct books before, after;
	__u32 sizes[] = { variant->size - 1, variant->size - 8, 8, 4, 0 };
	unsigned int i;

	ASSERT_EQ(0, books(self, &before));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		build(self, variant, arg, variant->size);
		*(__u32 *)arg = sizes[i];
		EXPECT_EQ(-EINVAL, call(self, variant, arg)) TH_LOG("size %u", sizes[i]);
	}
	ASSERT_EQ(0, books(self, &after));
	ASSERT_BOOKS_EQ(before, after);
}

TEST_F(contract, larger_zero_tail_ok)
{
	char arg[512];
	__u32 big = variant->size + 64;

	build(self, variant, arg, big);
	EXPECT_EQ(0, call(self, variant, arg));
	/* the kernel's copy-out stays within its struct */
	EXPECT_EQ(big, *(__u32 *)arg);
	for (__u32 i = variant->size; i < big; i++) {
		ASSERT_EQ(0, arg[i]) TH_LOG("trailing byte %u written", i);
	}
}

TEST_F(contract, larger_nonzero_tail_e2big)
{
	char arg[512];
	struct books before, after;
	__u32 big = variant->size + 64;
	__u32 where[] = { variant->size, variant->size + 7, big - 1 };
	unsigned int i;

	ASSERT_EQ(0, books(self, &before));
	for (i = 0; i < 3; i++) {
		build(self, variant, arg, big);
		arg[where[i]] = 1;
		EXPECT_EQ(-E2BIG, call(self, variant, arg)) TH_LOG("byte %u", where[i]);
	}
	ASSERT_EQ(0, books(self, &after));
	ASSERT_BOOKS_EQ(before, after);
}

TEST_F(contract, flags_and_reserved_einval)
{
	char arg[512];
	struct books before, after;
	__u32 bad[] = { variant->bad_flag, 1U << 31, ~0U };
	unsigned int i;

	ASSERT_EQ(0, books(self, &before));
	for (i = 0; i < 3; i++) {
		build(self, variant, arg, variant->size);
		((__u32 *)arg)[1] |= bad[i];
		EXPECT_EQ(-EINVAL, call(self, variant, arg)) TH_LOG("flags %#x", bad[i]);
	}
	if (variant->reserved_off >= 0) {
		for (i = 0; i < 4; i++) {
			build(self, variant, arg, variant->size);
			arg[variant->reserved_off + i] = 0x10;
			EXPECT_EQ(-EINVAL, call(self, variant, arg))
				TH_LOG("reserved byte %u", i);
		}
	}
	ASSERT_EQ(0, books(self, &after));
	ASSERT_BOOKS_EQ(before, after);
}

TEST_F(contract, bad_pointer_efault)
{
	struct books before, after;
	char *none;

	none = mmap(NULL, self->ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	ASSERT_EQ(0, books(self, &before));
	EXPECT_EQ(-EFAULT, vioctl(self->fd, variant->cmd, NULL));
	EXPECT_EQ(-EFAULT, vioctl(self->fd, variant->cmd, none));
	EXPECT_EQ(-EFAULT, vioctl(self->fd, variant->cmd, (void *)1));
	EXPECT_EQ(-EFAULT, vioctl(self->fd, variant->cmd, (void *)0xffffffff81000000ULL));
	ASSERT_EQ(0, books(self, &after));
	ASSERT_BOOKS_EQ(before, after);
	munmap(none, self->ps);
}

/* The struct, or its trailing bytes, run into an inaccessible page. */
TEST_F(contract, straddling_page_efault)
{
	struct books before, after;
	char *two;
	void *arg;

	two = mmap(NULL, 2 * self->ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, mprotect(two + self->ps, self->ps, PROT_NONE));
	ASSERT_EQ(0, books(self, &before));

	/* struct's last 4 bytes inaccessible */
	{
		char full[512];

		build(self, variant, full, variant->size);
		arg = two + self->ps - variant->size + 4;
		memcpy(arg, full, variant->size - 4);
		EXPECT_EQ(-EFAULT, call(self, variant, arg));
	}

	/* struct readable, the zero tail past it is not */
	arg = two + self->ps - variant->size;
	build(self, variant, arg, variant->size);
	*(__u32 *)arg = variant->size + 16;
	EXPECT_EQ(-EFAULT, call(self, variant, arg));

	ASSERT_EQ(0, books(self, &after));
	ASSERT_BOOKS_EQ(before, after);
	munmap(two, 2 * self->ps);
}

/*
 * A read-only argument: a command that only reads its struct works; one that
 * writes an answer back gets EFAULT, and must not leave behind what it
 * created (the caller never learnt its handle).
 */
TEST_F(contract, readonly_arg)
{
	struct books before, after;
	char *page;

	page = mmap(NULL, self->ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	build(self, variant, page, variant->size);
	ASSERT_EQ(0, mprotect(page, self->ps, PROT_READ));
	if (!variant->out) {
		EXPECT_EQ(0, call(self, variant, page));
		munmap(page, self->ps);
		return;
	}
	ASSERT_EQ(0, books(self, &before));
	EXPECT_EQ(-EFAULT, call(self, variant, page));
	ASSERT_EQ(0, books(self, &after));
	/* the kernel may have charged and undone: peak may have moved */
	__BOOKS_EQ(before, after, false);
	munmap(page, self->ps);
}

TEST_HARNESS_MAIN
