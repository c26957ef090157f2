/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw generic netlink for the tests that must control every byte of a
 * request (the fuzzer) or must not wait forever for an answer that a fault
 * injected in the kernel may have swallowed (the fail-nth sweep). nl.[ch]
 * (libnl) is for everything else.
 */
#ifndef VGPU_RAWNL_H
#define VGPU_RAWNL_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

/* A generic netlink socket whose receives time out after @ms; -1 on error. */
static inline int rawnl_socket(int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	int one = 1, s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return s;
}

/* Start a request of @family in @buf: returns the offset of the first
 * attribute. */
static inline size_t rawnl_start(char *buf, size_t cap, int family, __u16 flags,
				 __u8 cmd, __u8 version)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct genlmsghdr *gh = NLMSG_DATA(nh);

	memset(buf, 0, cap < 64 ? cap : 64);
	nh->nlmsg_type = family;
	nh->nlmsg_flags = flags;
	gh->cmd = cmd;
	gh->version = version;
	return NLMSG_HDRLEN + GENL_HDRLEN;
}

/* Append an attribute (if it fits); returns the new end. */
static inline size_t rawnl_put(char *buf, size_t off, size_t cap, __u16 type,
			       const void *data, __u16 len)
{
	struct nlattr *a = (struct nlattr *)(buf + off);
	size_t need = NLA_ALIGN(NLA_HDRLEN + len);

	if (off + need > cap)
		return off;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(buf + off + NLA_HDRLEN, data, len);
	return off + need;
}

/*
 * Send @len bytes of @buf (its length field set here) and read until the
 * ACK, an error or the end of a dump. Returns 0 or the negative errno the
 * kernel answered; -errno of a failed send (the request did not run);
 * -ETIMEDOUT when no answer came, in time or at all: the request may have
 * run. A failed receive is that too: ENOBUFS is the kernel's word for a
 * message (here the ACK) it could not allocate, EFAULT a message lost while
 * copied out.
 * *@nmsg (if set) counts the other messages (replies, dump parts).
 */
static inline int rawnl_call(int s, char *buf, size_t len, int *nmsg)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	static __thread char reply[16384];
	int i;

	nh->nlmsg_len = len;
	if (nmsg)
		*nmsg = 0;
	if (send(s, buf, len, 0) < 0)
		return -errno;
	for (i = 0; i < 256; i++) {
		ssize_t r = recv(s, reply, sizeof(reply), 0);
		struct nlmsghdr *rh = (struct nlmsghdr *)reply;

		if (r < 0)
			return -ETIMEDOUT;
		for (; NLMSG_OK(rh, (size_t)r); rh = NLMSG_NEXT(rh, r)) {
			if (rh->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(rh))->error;
			if (rh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nmsg)
				(*nmsg)++;
		}
	}
	return -ETIMEDOUT;
}

#endif /* VGPU_RAWNL_H */
