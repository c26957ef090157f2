// SPDX-License-Identifier: GPL-2.0
/* Shared helpers of the in-VM kernel benchmarks (see vgpu_bench.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <linux/vgpu.h>

#include "common/vgpu_nl.h"
#include "vgpu_bench.h"

/* Create (@create) or destroy guest @name through the common netlink client. */
static int guest_cmd(bool create, const char *name)
{
	struct vgpu_nl_req req = { .name = name };
	struct vgpu_nl nl;
	int ret;

	ret = vgpu_nl_open(&nl);	/* -ENOENT: the module is not loaded */
	if (ret)
		return ret;
	ret = create ? vgpu_nl_guest_new(&nl, &req, NULL) :
		vgpu_nl_guest_del(&nl, &req);
	vgpu_nl_close(&nl);
	return ret;
}

int vb_guest_new(const char *name)
{
	return guest_cmd(true, name);
}

int vb_guest_del(const char *name)
{
	return guest_cmd(false, name);
}

int vb_bench_guest(const char *prog, const char *prefix, char *name, size_t len)
{
	int err, fd;

	snprintf(name, len, "%s-%d", prefix, (int)getpid());
	err = vb_guest_new(name);
	if (err) {
		fprintf(stderr, "%s: guest new %s: %s\n", prog, name, strerror(-err));
		return -1;
	}
	fd = vb_open_attached(name);
	if (fd < 0) {
		fprintf(stderr, "%s: attach %s: %s\n", prog, name, strerror(-fd));
		vb_guest_del(name);
		return -1;
	}
	return fd;
}

int vb_open_attached(const char *name)
{
	struct vgpu_attach a = { .size = sizeof(a), .flags = VGPU_ATTACH_BY_NAME };
	int fd, err;

	if (strlen(name) >= sizeof(a.name))
		return -ENAMETOOLONG;
	strcpy(a.name, name);
	fd = open("/dev/vgpu", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, VGPU_IOC_ATTACH, &a)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

uint64_t vb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double vb_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
