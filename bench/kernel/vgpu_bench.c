// SPDX-License-Identifier: GPL-2.0
/* Shared helpers of the in-VM kernel benchmarks (see vgpu_bench.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <linux/vgpu.h>

#include "vgpu_bench.h"

static int err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	(void)nla;
	*(int *)arg = e->error;	/* 0 for an ACK, -errno for a refusal */
	return NL_STOP;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	(void)msg;
	*(int *)arg = 0;
	return NL_STOP;
}

/* Send one request of the "vgpu" family naming guest @name; wait for its ACK. */
static int guest_cmd(uint8_t cmd, const char *name)
{
	struct nl_sock *sk;
	struct nl_msg *msg = NULL;
	struct nl_cb *cb = NULL;
	int family, ret, done = 1;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	if (genl_connect(sk)) {
		ret = -ECONNREFUSED;
		goto out;
	}
	family = genl_ctrl_resolve(sk, VGPU_GENL_NAME);
	if (family < 0) {
		ret = -ENOENT;	/* the module is not loaded */
		goto out;
	}
	msg = nlmsg_alloc();
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!msg || !cb) {
		ret = -ENOMEM;
		goto out;
	}
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_ACK, cmd,
			 VGPU_GENL_VERSION) ||
	    nla_put_string(msg, VGPU_A_GUEST_NAME, name)) {
		ret = -EMSGSIZE;
		goto out;
	}
	if (nl_send_auto(sk, msg) < 0) {
		ret = -EIO;
		goto out;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, err_cb, &done);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, &done);
	while (done == 1) {
		ret = nl_recvmsgs(sk, cb);
		if (ret < 0 && done == 1) {
			ret = -EIO;
			goto out;
		}
	}
	ret = done;
out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	nl_socket_free(sk);
	return ret;
}

int vb_guest_new(const char *name)
{
	return guest_cmd(VGPU_NL_CMD_GUEST_NEW, name);
}

int vb_guest_del(const char *name)
{
	return guest_cmd(VGPU_NL_CMD_GUEST_DEL, name);
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
