// SPDX-License-Identifier: GPL-2.0
/*
 * VGPU_IOC_PIN / VGPU_IOC_UNPIN: ranges that pin (anonymous, shared memory,
 * read-only without VGPU_PIN_WRITE, large), ranges that must be refused with
 * the documented errno (EINVAL for zero, unaligned or wrapping ranges, EFAULT
 * for unmapped or unpinnable ones) and never leave anything charged.
 */
#include <sys/syscall.h>
#include "vgpu_test.h"

FIXTURE(pin) {
	struct vgpu_nl nl;
	long long id;
	int fd;
	long ps;
	char *mem;		/* 16 pages, read-write, populated */
};

FIXTURE_SETUP(pin)
{
	const char *why = vgpu_missing(&self->nl);

	self->fd = -1;
	if (why)
		SETUP_SKIP("%s", why);
	self->ps = page_size();
	self->id = guest_new(&self->nl, "pin", NULL, NULL);
	ASSERT_LE(0, self->id);
	self->fd = session_open(self->id);
	ASSERT_LE(0, self->fd);
	self->mem = mmap(NULL, 16 * self->ps, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
}

FIXTURE_TEARDOWN(pin)
{
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_EQ(0, nl_del_id(&self->nl, self->id));
	vgpu_nl_close(&self->nl);
}

#define EXPECT_NOTHING_PINNED() do {					\
	struct vgpu_usage _u;						\
	ASSERT_EQ(0, v_usage(self->fd, &_u));				\
	EXPECT_EQ(0, _u.res[VGPU_RES_PINNED].used);			\
	EXPECT_EQ(0, _u.res[VGPU_RES_PINNED].limit_hits);		\
} while (0)

TEST_F(pin, read_and_write)
{
	__u32 r, w;

	ASSERT_EQ(0, v_pin(self->fd, self->mem, 4 * self->ps, 0, &r));
	ASSERT_EQ(0, v_pin(self->fd, self->mem + 4 * self->ps, 4 * self->ps,
			   VGPU_PIN_WRITE, &w));
	EXPECT_EQ(8 * (__u64)self->ps, v_used(self->fd, VGPU_RES_PINNED));
	/* the pinned pages stay usable by the process */
	memset(self->mem, 0x5a, 8 * self->ps);
	EXPECT_EQ(0x5a, self->mem[8 * self->ps - 1]);
	ASSERT_EQ(0, v_unpin(self->fd, r));
	ASSERT_EQ(0, v_unpin(self->fd, w));
	EXPECT_EQ(0, v_used(self->fd, VGPU_RES_PINNED));
}

TEST_F(pin, not_populated_yet)
{
	char *fresh = mmap(NULL, 4 * self->ps, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, fresh);
	/* pinning faults the pages in */
	EXPECT_EQ(0, v_pin(self->fd, fresh, 4 * self->ps, VGPU_PIN_WRITE, NULL));
	EXPECT_EQ(0, v_pin(self->fd, fresh, 4 * self->ps, 0, NULL));
	EXPECT_EQ(8 * (__u64)self->ps, v_used(self->fd, VGPU_RES_PINNED));
}

TEST_F(pin, same_range_twice)
{
	__u32 a, b;

	ASSERT_EQ(0, v_pin(self->fd, self->mem, 2 * self->ps, 0, &a));
	ASSERT_EQ(0, v_pin(self->fd, self->mem, 2 * self->ps, 0, &b));
	EXPECT_NE(a, b);
	EXPECT_EQ(4 * (__u64)self->ps, v_used(self->fd, VGPU_RES_PINNED));
	ASSERT_EQ(0, v_unpin(self->fd, a));
	EXPECT_EQ(2 * (__u64)self->ps, v_used(self->fd, VGPU_RES_PINNED));
	ASSERT_EQ(0, v_unpin(self->fd, b));
	EXPECT_EQ(-ENOENT, v_unpin(self->fd, a));
}

TEST_F(pin, shared_memory)
{
	int mfd = syscall(SYS_memfd_create, "vgpu-pin", 0);
	char *shm;

	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, 4 * self->ps));
	shm = mmap(NULL, 4 * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, shm);
	EXPECT_EQ(0, v_pin(self->fd, shm, 4 * self->ps, VGPU_PIN_WRITE, NULL));
	EXPECT_EQ(4 * (__u64)self->ps, v_used(self->fd, VGPU_RES_PINNED));
	munmap(shm, 4 * self->ps);
	close(mfd);
}

TEST_F(pin, large_range)
{
	size_t len = 8 << 20;
	char *big = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__u32 h;

	ASSERT_NE(MAP_FAILED, big);
	ASSERT_EQ(0, v_pin(self->fd, big, len, VGPU_PIN_WRITE, &h));
	EXPECT_EQ(len, v_used(self->fd, VGPU_RES_PINNED));
	ASSERT_EQ(0, v_unpin(self->fd, h));
	EXPECT_EQ(0, v_used(self->fd, VGPU_RES_PINNED));
	{
		struct vgpu_usage u;

		ASSERT_EQ(0, v_usage(self->fd, &u));
		EXPECT_EQ(len, u.res[VGPU_RES_PINNED].peak);
	}
	munmap(big, len);
}

TEST_F(pin, munmap_while_pinned)
{
	char *m = mmap(NULL, 2 * self->ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	__u32 h;

	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, v_pin(self->fd, m, 2 * self->ps, VGPU_PIN_WRITE, &h));
	ASSERT_EQ(0, munmap(m, 2 * self->ps));
	/* the pin holds the pages, not the mapping */
	EXPECT_EQ(2 * (__u64)self->ps, v_used(self->fd, VGPU_RES_PINNED));
	EXPECT_EQ(0, v_unpin(self->fd, h));
	EXPECT_EQ(0, v_used(self->fd, VGPU_RES_PINNED));
	/* and one left pinned in an unmapped range is released by close */
	m = mmap(NULL, self->ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, v_pin(self->fd, m, self->ps, 0, NULL));
	ASSERT_EQ(0, munmap(m, self->ps));
}

TEST_F(pin, bad_range_einval)
{
	long ps = self->ps;
	__u64 top = ~(__u64)(ps - 1);	/* the last page of the address space */

	EXPECT_EQ(-EINVAL, v_pin(self->fd, self->mem, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, v_pin(self->fd, self->mem + 1, ps, 0, NULL));
	EXPECT_EQ(-EINVAL, v_pin(self->fd, self->mem + ps / 2, ps, 0, NULL));
	EXPECT_EQ(-EINVAL, v_pin(self->fd, self->mem, ps + 1, 0, NULL));
	EXPECT_EQ(-EINVAL, v_pin(self->fd, self->mem, ps - 1, 0, NULL));
	EXPECT_EQ(-EINVAL, v_pin(self->fd, self->mem, 1, VGPU_PIN_WRITE, NULL));
	/* wrapping around the end of the address space */
	EXPECT_EQ(-EINVAL, v_pin_raw(self->fd, top, 2 * ps, 0));
	EXPECT_EQ(-EINVAL, v_pin_raw(self->fd, (__u64)(uintptr_t)self->mem,
				     ~(__u64)(ps - 1), 0));
	EXPECT_EQ(-EINVAL, v_pin_raw(self->fd, top, top, 0));
	EXPECT_NOTHING_PINNED();
}

TEST_F(pin, unmapped_efault)
{
	long ps = self->ps;
	char *m = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, munmap(m + 2 * ps, 2 * ps));
	/* wholly unmapped */
	EXPECT_EQ(-EFAULT, v_pin(self->fd, m + 2 * ps, 2 * ps, 0, NULL));
	/* mapped start, unmapped end: nothing stays pinned or charged */
	EXPECT_EQ(-EFAULT, v_pin(self->fd, m, 4 * ps, 0, NULL));
	EXPECT_EQ(-EFAULT, v_pin(self->fd, m + ps, 2 * ps, VGPU_PIN_WRITE, NULL));
	/* page 0 */
	EXPECT_EQ(-EFAULT, v_pin_raw(self->fd, 0, ps, 0));
	/* the last page of the address space (not user memory, no wrap) */
	EXPECT_EQ(-EFAULT, v_pin_raw(self->fd, ~(__u64)(ps - 1), ps, 0));
	/* kernel addresses */
	EXPECT_EQ(-EFAULT, v_pin_raw(self->fd, 0xffffffff81000000ULL, ps, 0));
	EXPECT_NOTHING_PINNED();
	/* the mapped part still pins fine */
	EXPECT_EQ(0, v_pin(self->fd, m, 2 * ps, 0, NULL));
	munmap(m, 2 * ps);
}

TEST_F(pin, unpinnable_efault)
{
	long ps = self->ps;
	char *ro = mmap(NULL, 2 * ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *none = mmap(NULL, 2 * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_NE(MAP_FAILED, none);
	/* no access at all */
	EXPECT_EQ(-EFAULT, v_pin(self->fd, none, 2 * ps, 0, NULL));
	/* read-only memory cannot be pinned for the device to write */
	EXPECT_EQ(-EFAULT, v_pin(self->fd, ro, 2 * ps, VGPU_PIN_WRITE, NULL));
	EXPECT_NOTHING_PINNED();
	/* but may be pinned for reading */
	EXPECT_EQ(0, v_pin(self->fd, ro, 2 * ps, 0, NULL));
	EXPECT_EQ(2 * (__u64)ps, v_used(self->fd, VGPU_RES_PINNED));
	munmap(ro, 2 * ps);
	munmap(none, 2 * ps);
}

TEST_F(pin, unpin_stale_and_foreign)
{
	int fd2 = session_open(self->id);
	__u32 h;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, v_pin(self->fd, self->mem, self->ps, 0, &h));
	EXPECT_EQ(-ENOENT, v_unpin(fd2, h));
	EXPECT_EQ((__u64)self->ps, v_used(fd2, VGPU_RES_PINNED));
	EXPECT_EQ(0, v_unpin(self->fd, h));
	EXPECT_EQ(-ENOENT, v_unpin(self->fd, h));
	EXPECT_EQ(-ENOENT, v_unpin(self->fd, 0));
	close(fd2);
}

TEST_HARNESS_MAIN
