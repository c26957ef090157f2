// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgpu against the real /dev/vgpu (run by tests/suites/vm/30-libvgpu inside
 * the VM; the guests are made there with vgpuctl).
 *
 *   vm_ledger run GUEST FBGUEST   TAP: quota refusals come from the kernel
 *   vm_ledger hold GUEST          charge memory + pinned, print "ready", sleep
 *   vm_ledger usage GUEST         print "mem=N pinned=N ctx=N hits=N" (no context)
 *   vm_ledger compute GUEST [SECONDS]  TAP: launches spend the kernel's compute
 *                                 leases, saturating for SECONDS (1..10, default 1)
 *   vm_ledger warm                compile the test kernel (fills the cache)
 *
 * GUEST of "compute": compute limit 20 % (100 ms periods), no memory limit.
 * GUEST: memory limit 1 MiB, pinned 64 KiB, contexts 2.
 * FBGUEST: memory limit 64 KiB, policy VGPU_FALLBACK_QUOTA.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/vgpu.h>

#include "common.h"

#define KiB 1024ull

static const char src[] =
"extern \"C\" __global__ void twice(int *p, int n)\n"
"{ int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) p[i] *= 2; }\n";

static vgpu_session *open_dev(const char *guest, uint32_t fallback, int *err)
{
	struct vgpu_session_opts o = { .size = sizeof(o), .guest = guest,
				       .flags = VGPU_SESSION_DEVICE_LEDGER,
				       .backend = VGPU_BACKEND_CPU, .fallback = fallback };
	vgpu_session *s = NULL;

	*err = vgpu_session_open(&s, &o);
	return s;
}

static int usage_raw(const char *guest, struct vgpu_usage *u)
{
	struct vgpu_attach at = { .size = sizeof(at), .flags = VGPU_ATTACH_BY_NAME };
	int fd = open("/dev/vgpu", O_RDWR | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	snprintf(at.name, sizeof(at.name), "%s", guest);
	memset(u, 0, sizeof(*u));
	u->size = sizeof(*u);
	if (ioctl(fd, VGPU_IOC_ATTACH, &at) < 0 || ioctl(fd, VGPU_IOC_USAGE, u) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int compile(vgpu_session *s, vgpu_kernel **k)
{
	vgpu_module *m;
	int ret = vgpu_module_compile(s, src, 0, NULL, &m);

	return ret ? ret : vgpu_kernel_get(m, "twice", k);
}

static int run(const char *guest, const char *fbguest)
{
	struct vgpu_ledger_usage u = { .size = sizeof(u) };
	struct vgpu_stats st = { .size = sizeof(st) };
	vgpu_buffer *a = NULL, *b = NULL;
	vgpu_session *s, *s2, *s3;
	struct vgpu_usage ku;
	void *pin = NULL, *pin2 = NULL;
	vgpu_kernel *k;
	int err, ret;

	s = open_dev(guest, 0, &err);
	tap_ok(s != NULL, "vm: session attached to guest %s through /dev/vgpu (%s)", guest,
	       err ? strerror(-err) : "ok");
	if (!s)
		return tap_done();
	ret = vgpu_ledger_usage(s, &u);
	tap_ok(ret == 0 && u.kernel == 1 && u.guest_id > 0 && u.used[VGPU_LIB_RES_CONTEXTS] == 1 &&
	       u.limit[VGPU_LIB_RES_MEMORY] == 1024 * KiB, "vm: the kernel's books: 1 context, limit 1 MiB");
	tap_ok(vgpu_buffer_alloc(s, 1024 * KiB, &a) == 0, "vm: a buffer exactly at the kernel's limit");
	ret = vgpu_buffer_alloc(s, 1, &b);
	tap_ok(ret == -EDQUOT, "vm: one byte more: EDQUOT from the kernel (%s)", strerror(-ret));
	vgpu_ledger_usage(s, &u);
	tap_ok(u.used[VGPU_LIB_RES_MEMORY] == 1024 * KiB && u.limit_hits[VGPU_LIB_RES_MEMORY] >= 1,
	       "vm: used = limit, the refusal counted by the kernel");
	vgpu_buffer_free(a);
	vgpu_ledger_usage(s, &u);
	tap_ok(u.used[VGPU_LIB_RES_MEMORY] == 1024 * KiB, "vm: a freed buffer's pooled block stays charged");
	vgpu_pool_trim(s, 0);
	vgpu_ledger_usage(s, &u);
	tap_ok(u.used[VGPU_LIB_RES_MEMORY] == 0, "vm: trimming the pool uncharged it in the kernel's books");
	CHECK_ERR(vgpu_ledger_set_limit(s, VGPU_LIB_RES_MEMORY, 1), -EOPNOTSUPP,
		  "vm: limits of kernel guests are not the library's to set");

	ret = vgpu_host_alloc(s, 64 * KiB, &pin);
	tap_ok(ret == 0, "vm: pinned buffer at the pinned limit, pinned by the kernel (%s)",
	       ret ? strerror(-ret) : "ok");
	CHECK_ERR(vgpu_host_alloc(s, 4096, &pin2), -EDQUOT, "vm: one more page: EDQUOT");
	vgpu_ledger_usage(s, &u);
	tap_ok(u.used[VGPU_LIB_RES_PINNED] == 64 * KiB, "vm: pinned bytes in the kernel's books");
	if (pin)
		vgpu_host_free(s, pin);

	s2 = open_dev(guest, 0, &err);
	s3 = open_dev(guest, 0, &ret);
	tap_ok(s2 && !s3 && ret == -EDQUOT, "vm: third context of the guest (limit 2): EDQUOT");
	vgpu_session_close(s2);

	ret = compile(s, &k);
	tap_ok(ret == 0, "vm: compile (or cache hit) of a kernel");
	if (!ret) {
		int v[1000], bad = 0;
		struct vgpu_launch_cfg c = { .size = sizeof(c), .grid = { 4, 1, 1 }, .block = { 256, 1, 1 } };
		struct vgpu_arg args[2];

		for (int i = 0; i < 1000; i++)
			v[i] = i;
		ret = vgpu_buffer_alloc(s, sizeof(v), &a);
		args[0] = vgpu_arg_buf(a);
		args[1] = vgpu_arg_i32(1000);
		if (ret || vgpu_buffer_write(a, 0, v, sizeof(v)) || vgpu_launch(k, &c, args, 2) ||
		    vgpu_buffer_read(a, 0, v, sizeof(v)))
			bad = -1;
		for (int i = 0; bad >= 0 && i < 1000; i++)
			bad += v[i] != 2 * i;
		tap_ok(bad == 0, "vm: launch under the kernel's ledger");
	} else {
		tap_diag("%s", vgpu_last_error(s));
	}
	vgpu_stats_get(s, &st);
	tap_ok(st.quota_refusals >= 2, "vm: refusals in the session statistics");
	vgpu_session_close(s);
	ret = usage_raw(guest, &ku);
	tap_ok(ret == 0 && ku.res[VGPU_RES_MEMORY].used == 0 && ku.res[VGPU_RES_PINNED].used == 0 &&
	       ku.res[VGPU_RES_CONTEXTS].used == 0, "vm: after close the guest's usage is zero");

	/* quota fallback: the kernel refuses, the buffer goes to host memory */
	s = open_dev(fbguest, VGPU_FALLBACK_QUOTA, &err);
	tap_ok(s != NULL, "vm: session of %s with the quota fallback policy", fbguest);
	if (s) {
		ret = vgpu_buffer_alloc(s, 128 * KiB, &b);
		vgpu_stats_get(s, &st);
		vgpu_ledger_usage(s, &u);
		tap_ok(ret == 0 && st.fallbacks[VGPU_FB_QUOTA] == 1 && u.used[VGPU_LIB_RES_MEMORY] == 0 &&
		       u.limit_hits[VGPU_LIB_RES_MEMORY] >= 1,
		       "vm: refused by the kernel, placed in host memory, counted as a fallback");
		vgpu_session_close(s);
	}
	return tap_done();
}

static uint64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The CPU backend's run time is the device time the kernel's lease counts. */
static int compute(const char *guest, int secs)
{
	const int n = 4096;	/* a few ms per launch in the emulated VM */
	struct vgpu_launch_cfg c = { .size = sizeof(c), .grid = { (uint32_t)n / 256, 1, 1 },
				     .block = { 256, 1, 1 } };
	struct vgpu_stats st0 = { .size = sizeof(st0) }, st1 = { .size = sizeof(st1) };
	struct vgpu_usage ku;
	struct vgpu_arg args[2];
	vgpu_buffer *a = NULL;
	vgpu_kernel *k;
	vgpu_session *s;
	uint64_t t0, t1;
	double share;
	int err, ret;

	s = open_dev(guest, 0, &err);
	tap_ok(s != NULL, "vm compute: session of %s (%s)", guest, err ? strerror(-err) : "ok");
	if (!s)
		return tap_done();
	ret = compile(s, &k);
	ret = ret ? ret : vgpu_buffer_alloc(s, (size_t)n * 4, &a);
	tap_ok(ret == 0, "vm compute: kernel and a 16 KiB buffer");
	if (ret) {
		tap_diag("%s", vgpu_last_error(s));
		vgpu_session_close(s);
		return tap_done();
	}
	args[0] = vgpu_arg_buf(a);
	args[1] = vgpu_arg_i32(n);
	/* a period to start, then @secs seconds of saturation */
	for (t0 = mono(); mono() - t0 < 200000000ull && !ret;)
		ret = vgpu_launch(k, &c, args, 2);
	vgpu_stats_get(s, &st0);
	t0 = mono();
	while (mono() - t0 < (uint64_t)secs * 1000000000ull && !ret)
		ret = vgpu_launch(k, &c, args, 2);
	t1 = mono();
	vgpu_stats_get(s, &st1);
	tap_ok(ret == 0, "vm compute: launches succeed under the cap (they wait)");
	share = (double)(st1.compute_ns - st0.compute_ns) / (double)(t1 - t0);
	tap_diag("cap 20 %%: achieved %.1f %% of %d s, %llu launches, %llu leases, throttled %.0f ms",
	       share * 100, secs, (unsigned long long)(st1.launches - st0.launches),
	       (unsigned long long)(st1.compute_leases - st0.compute_leases),
	       (st1.compute_throttled_ns - st0.compute_throttled_ns) / 1e6);
	/* the slack: a launch that starts with a little budget left (debt) */
	tap_ok(share <= 0.20 + 0.10, "vm compute: not above the cap, with one launch of slack (%.1f %%)",
	   share * 100);
	tap_ok(st1.compute_leases > st0.compute_leases && st1.compute_refusals > 0 &&
	   st1.compute_throttled_ns > st0.compute_throttled_ns,
	   "vm compute: leases asked, refused at the cap, waits counted");
	vgpu_session_close(s);
	ret = usage_raw(guest, &ku);
	tap_ok(ret == 0 && ku.res[VGPU_RES_COMPUTE].used == st1.compute_ns &&
	   ku.res[VGPU_RES_COMPUTE].limit_hits >= st1.compute_refusals,
	   "vm compute: the kernel's books hold exactly the time measured (%llu ns, %llu refusals)",
	   (unsigned long long)ku.res[VGPU_RES_COMPUTE].used,
	   (unsigned long long)ku.res[VGPU_RES_COMPUTE].limit_hits);
	return tap_done();
}

static int hold(const char *guest)
{
	vgpu_buffer *b;
	void *pin;
	int err;
	vgpu_session *s = open_dev(guest, 0, &err);

	if (!s || vgpu_buffer_alloc(s, 512 * KiB, &b) || vgpu_host_alloc(s, 32 * KiB, &pin)) {
		printf("failed: %s\n", s ? vgpu_last_error(s) : strerror(-err));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "run"))
		return run(argv[2], argv[3]);
	if (argc >= 3 && !strcmp(argv[1], "hold"))
		return hold(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "compute")) {
		int secs = argc >= 4 ? atoi(argv[3]) : 1;

		if (secs < 1 || secs > 10) {
			fprintf(stderr, "vm_ledger compute: SECONDS '%s': expected 1..10\n", argv[3]);
			return 2;
		}
		return compute(argv[2], secs);
	}
	if (argc >= 3 && !strcmp(argv[1], "usage")) {
		struct vgpu_usage u;
		int ret = usage_raw(argv[2], &u);

		if (ret) {
			printf("error=%s\n", strerror(-ret));
			return 1;
		}
		printf("mem=%llu pinned=%llu ctx=%llu hits=%llu\n",
		       (unsigned long long)u.res[VGPU_RES_MEMORY].used,
		       (unsigned long long)u.res[VGPU_RES_PINNED].used,
		       (unsigned long long)u.res[VGPU_RES_CONTEXTS].used,
		       (unsigned long long)u.res[VGPU_RES_MEMORY].limit_hits);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "warm")) {
		struct vgpu_session_opts o = { .size = sizeof(o), .guest = "warm",
					       .flags = VGPU_SESSION_NO_DEVICE_LEDGER,
					       .backend = VGPU_BACKEND_CPU };
		vgpu_session *s;
		vgpu_kernel *k;
		int ret = vgpu_session_open(&s, &o);

		ret = ret ? ret : compile(s, &k);
		if (ret)
			fprintf(stderr, "warm: %s\n", strerror(-ret));
		vgpu_session_close(s);
		return ret ? 1 : 0;
	}
	fprintf(stderr, "usage: vm_ledger run GUEST FBGUEST | hold GUEST | usage GUEST | compute GUEST [SECONDS] | warm\n");
	return 2;
}
