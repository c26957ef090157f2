// SPDX-License-Identifier: GPL-2.0
/*
 * VGPU_IOC_MEM_CHARGE + VGPU_IOC_MEM_UNCHARGE round trip against
 * syscall(SYS_getpid), in the same VM, interleaved batch by batch so that
 * both see the same machine. Prints median ns per operation and the ratios.
 *
 * usage: bench_charge [BATCHES [OPS_PER_BATCH]]   (default 101 x 2000)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/vgpu.h>

#include "vgpu_bench.h"

static int charge_roundtrip(int fd)
{
	struct vgpu_mem_charge c = { .size = sizeof(c), .device = 0, .bytes = 4096 };
	struct vgpu_handle_op u = { .size = sizeof(u) };

	if (ioctl(fd, VGPU_IOC_MEM_CHARGE, &c))
		return -errno;
	u.handle = c.handle;
	if (ioctl(fd, VGPU_IOC_MEM_UNCHARGE, &u))
		return -errno;
	return 0;
}

/* The cheapest ioctl of the module: the dispatch and copy cost alone. */
static int version_ioctl(int fd)
{
	struct vgpu_version v = { .size = sizeof(v) };

	return ioctl(fd, VGPU_IOC_VERSION, &v) ? -errno : 0;
}

int main(int argc, char **argv)
{
	int batches = argc > 1 ? atoi(argv[1]) : 101;
	int ops = argc > 2 ? atoi(argv[2]) : 2000;
	double *t_pid, *t_chg, *t_ver, m_pid, m_chg, m_ver;
	char name[32];
	int fd, err, b, i;

	if (batches < 1 || ops < 1) {
		fprintf(stderr, "usage: %s [BATCHES [OPS_PER_BATCH]]\n", argv[0]);
		return 2;
	}
	snprintf(name, sizeof(name), "bench-charge-%d", (int)getpid());
	err = vb_guest_new(name);
	if (err) {
		fprintf(stderr, "bench_charge: guest new %s: %s\n", name, strerror(-err));
		return 1;
	}
	fd = vb_open_attached(name);
	if (fd < 0) {
		fprintf(stderr, "bench_charge: attach %s: %s\n", name, strerror(-fd));
		vb_guest_del(name);
		return 1;
	}
	t_pid = calloc(batches, sizeof(*t_pid));
	t_chg = calloc(batches, sizeof(*t_chg));
	t_ver = calloc(batches, sizeof(*t_ver));
	if (!t_pid || !t_chg || !t_ver)
		return 1;

	/* warm up caches, branch predictors and the handle allocator */
	for (i = 0; i < ops; i++) {
		syscall(SYS_getpid);
		err = charge_roundtrip(fd);
		if (err) {
			fprintf(stderr, "bench_charge: charge/uncharge: %s\n", strerror(-err));
			return 1;
		}
	}
	for (b = 0; b < batches; b++) {
		uint64_t t0 = vb_now_ns();

		for (i = 0; i < ops; i++)
			syscall(SYS_getpid);
		t_pid[b] = (double)(vb_now_ns() - t0) / ops;

		t0 = vb_now_ns();
		for (i = 0; i < ops; i++)
			if (charge_roundtrip(fd))
				return 1;
		t_chg[b] = (double)(vb_now_ns() - t0) / ops;

		t0 = vb_now_ns();
		for (i = 0; i < ops; i++)
			if (version_ioctl(fd))
				return 1;
		t_ver[b] = (double)(vb_now_ns() - t0) / ops;
	}
	m_pid = vb_median(t_pid, batches);
	m_chg = vb_median(t_chg, batches);
	m_ver = vb_median(t_ver, batches);
	close(fd);
	err = vb_guest_del(name);
	if (err)
		fprintf(stderr, "bench_charge: guest del %s: %s\n", name, strerror(-err));

	printf("charge: %d batches x %d ops, median per batch\n", batches, ops);
	printf("charge: getpid()                %10.1f ns/op\n", m_pid);
	printf("charge: charge+uncharge         %10.1f ns/round trip (2 ioctls), %.1f ns/ioctl\n",
	       m_chg, m_chg / 2);
	printf("charge: VGPU_IOC_VERSION (baseline: ioctl dispatch and copies only) %.1f ns/op\n",
	       m_ver);
	printf("RESULT charge_roundtrip_vs_getpid %.2f (target <= 1.5: %s)\n",
	       m_chg / m_pid, m_chg / m_pid <= 1.5 ? "met" : "MISSED");
	printf("RESULT charge_per_ioctl_vs_getpid %.2f (each of the 2 ioctls vs 1 getpid)\n",
	       m_chg / 2 / m_pid);
	return 0;
}
