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

/*
 * Diagnostic: the same round trip in a second session that keeps WINDOW
 * older charges outstanding (charge a new one, uncharge the oldest), so its
 * handle table is never empty. Compared with the plain round trip it shows
 * what creating and tearing down per-session state on every call costs.
 */
#define WINDOW 64
static uint32_t window[WINDOW];

static int window_fill(int fd)
{
	struct vgpu_mem_charge c = { .size = sizeof(c), .bytes = 4096 };
	int i;

	for (i = 0; i < WINDOW; i++) {
		if (ioctl(fd, VGPU_IOC_MEM_CHARGE, &c))
			return -errno;
		window[i] = c.handle;
	}
	return 0;
}

static int window_step(int fd, unsigned int i)
{
	struct vgpu_mem_charge c = { .size = sizeof(c), .bytes = 4096 };
	struct vgpu_handle_op u = { .size = sizeof(u), .handle = window[i % WINDOW] };

	if (ioctl(fd, VGPU_IOC_MEM_CHARGE, &c))
		return -errno;
	if (ioctl(fd, VGPU_IOC_MEM_UNCHARGE, &u))
		return -errno;
	window[i % WINDOW] = c.handle;
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
	double *t_pid, *t_chg, *t_ver, *t_win, *t_nul, m_pid, m_chg, m_ver, m_win, m_nul;
	char name[32];
	int fd, fd2, err, b, i;

	if (batches < 1 || ops < 1) {
		fprintf(stderr, "usage: %s [BATCHES [OPS_PER_BATCH]]\n", argv[0]);
		return 2;
	}
	fd = vb_bench_guest("bench_charge", "bench-charge", name, sizeof(name));
	if (fd < 0)
		return 1;
	/* a second session of the guest for the window diagnostic */
	fd2 = vb_open_attached(name);
	if (fd2 < 0 || (err = window_fill(fd2))) {
		fprintf(stderr, "bench_charge: window session: %s\n", strerror(fd2 < 0 ? -fd2 : -err));
		return 1;
	}
	t_pid = calloc(batches, sizeof(*t_pid));
	t_chg = calloc(batches, sizeof(*t_chg));
	t_ver = calloc(batches, sizeof(*t_ver));
	t_win = calloc(batches, sizeof(*t_win));
	t_nul = calloc(batches, sizeof(*t_nul));
	if (!t_pid || !t_chg || !t_ver || !t_win || !t_nul)
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

		t0 = vb_now_ns();
		for (i = 0; i < ops; i++)
			if (window_step(fd2, i))
				return 1;
		t_win[b] = (double)(vb_now_ns() - t0) / ops;

		/* the floor of any ioctl: a command the module refuses at once */
		t0 = vb_now_ns();
		for (i = 0; i < ops; i++)
			ioctl(fd, _IO(VGPU_TYPE, 0));
		t_nul[b] = (double)(vb_now_ns() - t0) / ops;
	}
	m_pid = vb_median(t_pid, batches);
	m_chg = vb_median(t_chg, batches);
	m_ver = vb_median(t_ver, batches);
	m_win = vb_median(t_win, batches);
	m_nul = vb_median(t_nul, batches);
	close(fd);
	close(fd2);
	err = vb_guest_del(name);
	if (err)
		fprintf(stderr, "bench_charge: guest del %s: %s\n", name, strerror(-err));

	printf("charge: %d batches x %d ops, median per batch\n", batches, ops);
	printf("charge: getpid()                %10.1f ns/op\n", m_pid);
	printf("charge: charge+uncharge         %10.1f ns/round trip (2 ioctls), %.1f ns/ioctl\n",
	       m_chg, m_chg / 2);
	printf("charge: ioctl refused with ENOTTY (baseline: syscall + fd lookup) %.1f ns/op\n",
	       m_nul);
	printf("charge: VGPU_IOC_VERSION (baseline: ioctl dispatch and copies only) %.1f ns/op\n",
	       m_ver);
	printf("charge: charge+uncharge with %d other charges outstanding (diagnostic) %.1f ns/round trip\n",
	       WINDOW, m_win);
	printf("RESULT charge_roundtrip_vs_getpid %.2f (target <= 1.5: %s)\n",
	       m_chg / m_pid, m_chg / m_pid <= 1.5 ? "met" : "MISSED");
	printf("RESULT charge_per_ioctl_vs_getpid %.2f (each of the 2 ioctls vs 1 getpid)\n",
	       m_chg / 2 / m_pid);
	return 0;
}
