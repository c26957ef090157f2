// SPDX-License-Identifier: GPL-2.0
/*
 * VGPU_IOC_PIN + VGPU_IOC_UNPIN of a 1 GiB range against io_uring fixed-buffer
 * registration (IORING_REGISTER_BUFFERS + unregister) of the same memory,
 * both long-term pins for write (FOLL_LONGTERM | FOLL_WRITE), interleaved rep
 * by rep. Once with 4 KiB pages (MADV_NOHUGEPAGE), once with THP (2 MiB
 * aligned, MADV_HUGEPAGE); the memory is pre-faulted in both cases.
 * Prints median times, throughput in GiB/s and the ratio vgpu / io_uring.
 *
 * usage: bench_pin [REPS [MIB]]   (default 5 reps of 1024 MiB)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <liburing.h>
#include <linux/vgpu.h>

#include "vgpu_bench.h"

#define SZ_2M	(2UL << 20)
#define SZ_1G	(1UL << 30)	/* io_uring's limit for one registered buffer */

static long anon_huge_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* pin + unpin once; times in ns */
static int vgpu_once(int fd, void *p, size_t len, double *t_pin, double *t_unpin)
{
	struct vgpu_pin pin = {
		.size = sizeof(pin), .flags = VGPU_PIN_WRITE,
		.addr = (uintptr_t)p, .length = len,
	};
	struct vgpu_handle_op op = { .size = sizeof(op) };
	uint64_t t0, t1, t2;

	t0 = vb_now_ns();
	if (ioctl(fd, VGPU_IOC_PIN, &pin))
		return -errno;
	t1 = vb_now_ns();
	op.handle = pin.handle;
	if (ioctl(fd, VGPU_IOC_UNPIN, &op))
		return -errno;
	t2 = vb_now_ns();
	*t_pin = t1 - t0;
	*t_unpin = t2 - t1;
	return 0;
}

/* Pin, check the books show @len pinned, unpin. */
static int vgpu_check(int fd, void *p, size_t len)
{
	struct vgpu_pin pin = {
		.size = sizeof(pin), .flags = VGPU_PIN_WRITE,
		.addr = (uintptr_t)p, .length = len,
	};
	struct vgpu_usage u = { .size = sizeof(u) };
	struct vgpu_handle_op op = { .size = sizeof(op) };
	int err = 0;

	if (ioctl(fd, VGPU_IOC_PIN, &pin))
		return -errno;
	if (ioctl(fd, VGPU_IOC_USAGE, &u))
		err = -errno;
	else if (u.res[VGPU_RES_PINNED].used != len)
		err = -EPROTO;
	op.handle = pin.handle;
	if (ioctl(fd, VGPU_IOC_UNPIN, &op) && !err)
		err = -errno;
	return err;
}

static int uring_once(struct io_uring *ring, struct iovec *iov, unsigned int nr,
		      double *t_reg, double *t_unreg)
{
	uint64_t t0, t1, t2;
	int ret;

	t0 = vb_now_ns();
	ret = io_uring_register_buffers(ring, iov, nr);
	if (ret)
		return ret;
	t1 = vb_now_ns();
	ret = io_uring_unregister_buffers(ring);
	if (ret)
		return ret;
	t2 = vb_now_ns();
	*t_reg = t1 - t0;
	*t_unreg = t2 - t1;
	return 0;
}

static int run_mode(const char *mode, int huge, int fd, struct io_uring *ring,
		    size_t len, int reps)
{
	double vp[reps], vu[reps], vt[reps], up[reps], uu[reps], ut[reps];
	double gib = (double)len / SZ_1G, mv, mu;
	unsigned int nr = (len + SZ_1G - 1) / SZ_1G, i;
	struct iovec iov[nr];
	char *map, *p;
	size_t off;
	int r, err;

	map = mmap(NULL, len + SZ_2M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		perror("bench_pin: mmap");
		return 1;
	}
	p = (char *)(((uintptr_t)map + SZ_2M - 1) & ~(SZ_2M - 1));
	if (madvise(p, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		perror("bench_pin: madvise");
	for (off = 0; off < len; off += 4096)
		p[off] = 1;	/* pre-fault, writable */
	for (i = 0; i < nr; i++) {
		iov[i].iov_base = p + (size_t)i * SZ_1G;
		iov[i].iov_len = len - (size_t)i * SZ_1G < SZ_1G ? len - (size_t)i * SZ_1G : SZ_1G;
	}
	printf("pin[%s]: %.2f GiB, AnonHugePages %ld kB\n", mode, gib, anon_huge_kb());

	/* one warm-up of each; the vgpu one checks that the pin is charged */
	err = vgpu_check(fd, p, len);
	if (err) {
		fprintf(stderr, "bench_pin: VGPU_IOC_PIN/USAGE/UNPIN: %s\n", strerror(-err));
		return 1;
	}
	err = uring_once(ring, iov, nr, &up[0], &uu[0]);
	if (err) {
		fprintf(stderr, "bench_pin: io_uring register buffers: %s\n", strerror(-err));
		return 1;
	}
	for (r = 0; r < reps; r++) {
		if (vgpu_once(fd, p, len, &vp[r], &vu[r]) ||
		    uring_once(ring, iov, nr, &up[r], &uu[r])) {
			fprintf(stderr, "bench_pin: rep %d failed\n", r);
			return 1;
		}
		vt[r] = vp[r] + vu[r];
		ut[r] = up[r] + uu[r];
	}
	mv = vb_median(vt, reps);
	mu = vb_median(ut, reps);
	printf("pin[%s]: vgpu     pin %8.2f ms  unpin      %8.2f ms  total %8.2f ms  %6.2f GiB/s\n",
	       mode, vb_median(vp, reps) / 1e6, vb_median(vu, reps) / 1e6, mv / 1e6, gib / (mv / 1e9));
	printf("pin[%s]: io_uring register %8.2f ms  unregister %8.2f ms  total %8.2f ms  %6.2f GiB/s\n",
	       mode, vb_median(up, reps) / 1e6, vb_median(uu, reps) / 1e6, mu / 1e6, gib / (mu / 1e9));
	printf("RESULT pin_%s_vs_io_uring %.2f (throughput ratio, target >= 1.0: %s)\n",
	       mode, mu / mv, mu / mv >= 1.0 ? "met" : "MISSED");
	munmap(map, len + SZ_2M);
	return 0;
}

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 5;
	size_t mib = argc > 2 ? strtoul(argv[2], NULL, 0) : 1024;
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	struct io_uring ring;
	char name[32];
	int fd, err, ret = 0;

	if (reps < 1 || !mib) {
		fprintf(stderr, "usage: %s [REPS [MIB]]\n", argv[0]);
		return 2;
	}
	/* both pin paths charge RLIMIT_MEMLOCK unless CAP_IPC_LOCK */
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		perror("bench_pin: setrlimit(RLIMIT_MEMLOCK) (continuing)");
	err = io_uring_queue_init(8, &ring, 0);
	if (err) {
		fprintf(stderr, "bench_pin: io_uring_queue_init: %s\n", strerror(-err));
		return 1;
	}
	fd = vb_bench_guest("bench_pin", "bench-pin", name, sizeof(name));
	if (fd < 0)
		return 1;
	printf("pin: %d reps, median; each rep pins and unpins the whole range once per method\n", reps);
	ret |= run_mode("4k", 0, fd, &ring, mib << 20, reps);
	ret |= run_mode("thp", 1, fd, &ring, mib << 20, reps);
	close(fd);
	io_uring_queue_exit(&ring);
	err = vb_guest_del(name);
	if (err)
		fprintf(stderr, "bench_pin: guest del %s: %s\n", name, strerror(-err));
	return ret;
}
