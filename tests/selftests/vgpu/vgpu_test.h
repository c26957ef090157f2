/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the vgpu selftests: thin ioctl wrappers that return 0 or
 * a negative errno, unique guest names, and the checks that decide whether
 * the module is there at all. Include once per test program (it pulls in
 * kselftest_harness.h).
 */
#ifndef VGPU_SELFTEST_H
#define VGPU_SELFTEST_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <grp.h>

#include <linux/vgpu.h>

#include "kselftest_harness.h"
#include "common/vgpu_nl.h"

/* Shorthands over common/vgpu_nl.h: one guest by id or name. */
static inline int nl_get_id(struct vgpu_nl *nl, __u32 id, struct vgpu_nl_guest *out)
{
	struct vgpu_nl_req req = { .has_id = true, .id = id };

	return vgpu_nl_guest_get(nl, &req, out);
}

static inline int nl_get_name(struct vgpu_nl *nl, const char *name,
			      struct vgpu_nl_guest *out)
{
	struct vgpu_nl_req req = { .name = name };

	return vgpu_nl_guest_get(nl, &req, out);
}

static inline int nl_del_id(struct vgpu_nl *nl, __u32 id)
{
	struct vgpu_nl_req req = { .has_id = true, .id = id };

	return vgpu_nl_guest_del(nl, &req);
}

static inline int nl_del_name(struct vgpu_nl *nl, const char *name)
{
	struct vgpu_nl_req req = { .name = name };

	return vgpu_nl_guest_del(nl, &req);
}

static inline int nl_set_limit(struct vgpu_nl *nl, __u32 id,
			       enum vgpu_resource res, __u64 limit)
{
	struct vgpu_nl_req req = { .has_id = true, .id = id };

	vgpu_nl_req_limit(&req, res, limit);
	return vgpu_nl_guest_set(nl, &req);
}

/* A dump into @out (up to @max): how many guests it held, or -errno. */
static inline int nl_dump_guests(struct vgpu_nl *nl, struct vgpu_nl_guest *out, int max)
{
	struct vgpu_nl_guest *all;
	size_t n;
	int ret;

	ret = vgpu_nl_guest_dump(nl, &all, &n);
	if (ret)
		return ret;
	memcpy(out, all, (n < (size_t)max ? n : (size_t)max) * sizeof(*out));
	free(all);
	return (int)n;
}

#define VGPU_DEV	"/dev/vgpu"
#define NOBODY		65534

/*
 * A SKIP in FIXTURE_SETUP: the 6.1 harness (the one scripts/deps.sh extracts)
 * runs the test body after a skipped setup, so end the test process here
 * with the harness's skip status. Harnesses with XFAIL (6.9+) stop by
 * themselves.
 */
#ifdef XFAIL_ADD
#define SETUP_SKIP(fmt, ...) SKIP(return, fmt, ##__VA_ARGS__)
#else
#define SETUP_SKIP(fmt, ...) SKIP(_exit(255), fmt, ##__VA_ARGS__)
#endif

static inline long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* ---- ioctl wrappers: 0 or -errno ---------------------------------------- */

static inline int vgpu_open(void)
{
	int fd = open(VGPU_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static inline int vioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static inline int v_version(int fd, struct vgpu_version *v)
{
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	return vioctl(fd, VGPU_IOC_VERSION, v);
}

static inline int v_attach_id(int fd, __u32 id)
{
	struct vgpu_attach a = { .size = sizeof(a), .guest_id = id };

	return vioctl(fd, VGPU_IOC_ATTACH, &a);
}

static inline int v_attach_name(int fd, const char *name, __u32 *id)
{
	struct vgpu_attach a = { .size = sizeof(a), .flags = VGPU_ATTACH_BY_NAME };
	int ret;

	snprintf(a.name, sizeof(a.name), "%s", name);
	ret = vioctl(fd, VGPU_IOC_ATTACH, &a);
	if (!ret && id)
		*id = a.guest_id;
	return ret;
}

static inline int v_ctx_create(int fd, __u32 device, __u64 mem_bytes, __u32 *ctx_id)
{
	struct vgpu_ctx_create c = {
		.size = sizeof(c), .device = device, .mem_bytes = mem_bytes,
	};
	int ret = vioctl(fd, VGPU_IOC_CTX_CREATE, &c);

	if (!ret && ctx_id)
		*ctx_id = c.ctx_id;
	return ret;
}

static inline int v_handle_op(int fd, unsigned long req, __u32 handle)
{
	struct vgpu_handle_op h = { .size = sizeof(h), .handle = handle };

	return vioctl(fd, req, &h);
}

static inline int v_ctx_destroy(int fd, __u32 ctx_id)
{
	return v_handle_op(fd, VGPU_IOC_CTX_DESTROY, ctx_id);
}

static inline int v_charge(int fd, __u64 bytes, __u32 *handle)
{
	struct vgpu_mem_charge c = { .size = sizeof(c), .bytes = bytes };
	int ret = vioctl(fd, VGPU_IOC_MEM_CHARGE, &c);

	if (!ret && handle)
		*handle = c.handle;
	return ret;
}

static inline int v_uncharge(int fd, __u32 handle)
{
	return v_handle_op(fd, VGPU_IOC_MEM_UNCHARGE, handle);
}

static inline int v_pin(int fd, const void *addr, __u64 length, __u32 flags,
			__u32 *handle)
{
	struct vgpu_pin p = {
		.size = sizeof(p), .flags = flags,
		.addr = (uintptr_t)addr, .length = length,
	};
	int ret = vioctl(fd, VGPU_IOC_PIN, &p);

	if (!ret && handle)
		*handle = p.handle;
	return ret;
}

static inline int v_pin_raw(int fd, __u64 addr, __u64 length, __u32 flags)
{
	struct vgpu_pin p = {
		.size = sizeof(p), .flags = flags, .addr = addr, .length = length,
	};

	return vioctl(fd, VGPU_IOC_PIN, &p);
}

static inline int v_unpin(int fd, __u32 handle)
{
	return v_handle_op(fd, VGPU_IOC_UNPIN, handle);
}

static inline int v_usage(int fd, struct vgpu_usage *u)
{
	memset(u, 0, sizeof(*u));
	u->size = sizeof(*u);
	return vioctl(fd, VGPU_IOC_USAGE, u);
}

/* used of one resource through the session, or (__u64)-errno on error */
static inline __u64 v_used(int fd, enum vgpu_resource r)
{
	struct vgpu_usage u;
	int ret = v_usage(fd, &u);

	return ret ? (__u64)(__s64)ret : u.res[r].used;
}

/* ---- guests --------------------------------------------------------------- */

/* A name unique to this test process: "ks<pid>-<tag><n>" (<= 31 chars). */
static inline void guest_name(char *buf, size_t len, const char *tag)
{
	static unsigned int n;

	snprintf(buf, len, "ks%d-%.8s%u", (int)getpid(), tag, n++);
}

/*
 * Create a guest named after @tag with @req's extras (limits, uid); fills
 * @name (VGPU_NAME_MAX) and returns the id, or a negative errno.
 */
static inline long long guest_new(struct vgpu_nl *nl, const char *tag,
				  const struct vgpu_nl_req *extra, char *name)
{
	struct vgpu_nl_req req = {};
	struct vgpu_nl_guest g;
	char buf[VGPU_NAME_MAX];
	int ret;

	if (extra)
		req = *extra;
	guest_name(buf, sizeof(buf), tag);
	req.name = buf;
	req.has_id = false;
	ret = vgpu_nl_guest_new(nl, &req, &g);
	if (ret)
		return ret;
	if (!g.has_id)
		return -ENODATA;
	if (name)
		memcpy(name, buf, VGPU_NAME_MAX);
	return g.id;
}

/* Guest with one limit set (others unlimited). */
static inline long long guest_new_limit(struct vgpu_nl *nl, const char *tag,
					enum vgpu_resource r, __u64 limit)
{
	struct vgpu_nl_req req = {};

	vgpu_nl_req_limit(&req, r, limit);
	return guest_new(nl, tag, &req, NULL);
}

/* Open a session attached to guest @id: fd or -errno. */
static inline int session_open(__u32 id)
{
	int fd = vgpu_open();
	int ret;

	if (fd < 0)
		return fd;
	ret = v_attach_id(fd, id);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/*
 * Objects in use in the module's slab cache (booted unmerged by
 * slub_debug=FZP,vgpu_obj), or -1 when it cannot be read. Shrinks the cache
 * first: under KASAN, freed objects wait in its quarantine and count as in
 * use until a shrink hands them back.
 */
static inline long vgpu_slab_objects(void)
{
	FILE *f = fopen("/sys/kernel/slab/vgpu_obj/shrink", "w");
	long n = -1;

	if (f) {
		fputs("1", f);
		fclose(f);
	}
	f = fopen("/sys/kernel/slab/vgpu_obj/objects", "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/*
 * The preconditions of every fixture: root, the device node and the netlink
 * family. Returns NULL when all is there, else the reason to skip.
 */
static inline const char *vgpu_missing(struct vgpu_nl *nl)
{
	int ret;

	if (geteuid() != 0)
		return "needs root (CAP_SYS_ADMIN for the admin operations)";
	if (access(VGPU_DEV, F_OK))
		return VGPU_DEV " missing: vgpu.ko not loaded";
	ret = vgpu_nl_open(nl);
	if (ret == -ENOENT)
		return "generic netlink family \"vgpu\" not registered";
	if (ret)
		return "cannot open a generic netlink socket";
	return NULL;
}

/* Poll the guest through netlink until @pred holds or @ms pass. */
static inline int wait_guest(struct vgpu_nl *nl, __u32 id, int ms,
			     int (*pred)(const struct vgpu_nl_guest *g),
			     struct vgpu_nl_guest *g)
{
	int ret, i;

	for (i = 0; ; i++) {
		ret = nl_get_id(nl, id, g);
		if (ret)
			return ret;
		if (pred(g))
			return 0;
		if (i * 10 >= ms)
			return -ETIMEDOUT;
		usleep(10000);
	}
}

/*
 * /dev/vgpu is root:root 0660 (Documentation/admin-guide/vgpu.rst); the
 * tests that act as an unprivileged user give the device this group and
 * make it their supplementary group (run_as()), as the packaged udev rule
 * does with group "vgpu".
 */
#define VGPU_TEST_GID	65533

/*
 * Run @fn in a child that dropped to uid/gid @uid with the supplementary
 * groups @groups (so no capabilities either). The child's exit status is
 * @fn's return value (an errno, 0 for success); 200+ for a failure to drop
 * privileges.
 */
static inline int run_as_groups(uid_t uid, const gid_t *groups, size_t n,
				int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return 250;
	if (!pid) {
		if (setgroups(n, groups) || setresgid(uid, uid, uid) ||
		    setresuid(uid, uid, uid))
			_exit(201);
		if (geteuid() != uid || !setresuid(0, 0, 0))
			_exit(202);	/* still able to become root */
		_exit(fn(arg) & 0xff);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 251;
	if (!WIFEXITED(status))
		return 252;
	return WEXITSTATUS(status);
}

/* run_as_groups() in the device's test group (VGPU_TEST_GID). */
static inline int run_as(uid_t uid, int (*fn)(void *), void *arg)
{
	gid_t gid = VGPU_TEST_GID;

	if (chown(VGPU_DEV, 0, gid))
		return 253;
	return run_as_groups(uid, &gid, 1, fn, arg);
}

#endif /* VGPU_SELFTEST_H */
