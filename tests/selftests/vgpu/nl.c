// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink helpers of the vgpu selftests (libnl-genl).
 *
 * Every request asks for an ACK; the error callback keeps the errno and the
 * extended-ACK message (NETLINK_EXT_ACK is switched on), so a test can check
 * both. Replies are parsed into plain structs.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>

#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/socket.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

enum vnl_kind { VNL_NONE, VNL_GUEST, VNL_DUMP, VNL_STATS, VNL_EVENT };

struct vnl_ctx {
	struct vnl *nl;
	enum vnl_kind kind;
	int pending;			/* 1 until ACK, DONE or error */
	void *out;			/* struct vnl_guest/vnl_stats/... */
	int max;			/* VNL_DUMP: room in out */
	int count;			/* VNL_DUMP: guests seen; others: replies */
	/* VNL_EVENT filter and result */
	int want_cmd;
	__u32 want_id;
	int found;
};

static void parse_guest(struct nlattr **tb, struct nlattr *attrs, int len,
			struct vnl_guest *g)
{
	struct nlattr *nla;
	int rem;

	memset(g, 0, sizeof(*g));
	if (tb[VGPU_A_GUEST_ID]) {
		g->has_id = true;
		g->id = nla_get_u32(tb[VGPU_A_GUEST_ID]);
	}
	if (tb[VGPU_A_GUEST_NAME]) {
		g->has_name = true;
		nla_strlcpy(g->name, tb[VGPU_A_GUEST_NAME], sizeof(g->name));
	}
	if (tb[VGPU_A_GUEST_UID]) {
		g->has_uid = true;
		g->uid = nla_get_u32(tb[VGPU_A_GUEST_UID]);
	}
	if (tb[VGPU_A_GUEST_GID]) {
		g->has_gid = true;
		g->gid = nla_get_u32(tb[VGPU_A_GUEST_GID]);
	}
	if (tb[VGPU_A_GUEST_SESSIONS]) {
		g->has_sessions = true;
		g->sessions = nla_get_u32(tb[VGPU_A_GUEST_SESSIONS]);
	}
	if (tb[VGPU_A_COMPUTE_PERIOD]) {
		g->has_compute = true;
		g->period_us = nla_get_u32(tb[VGPU_A_COMPUTE_PERIOD]);
	}
	if (tb[VGPU_A_COMPUTE_WEIGHT])
		g->weight = nla_get_u32(tb[VGPU_A_COMPUTE_WEIGHT]);
	if (tb[VGPU_A_COMPUTE_SHARE_PERIOD])
		g->share_period = nla_get_u32(tb[VGPU_A_COMPUTE_SHARE_PERIOD]);
	if (tb[VGPU_A_COMPUTE_SHARE_SECOND])
		g->share_second = nla_get_u32(tb[VGPU_A_COMPUTE_SHARE_SECOND]);
	if (tb[VGPU_A_COMPUTE_CONSUMED])
		g->consumed = nla_get_u64(tb[VGPU_A_COMPUTE_CONSUMED]);
	if (tb[VGPU_A_COMPUTE_THROTTLED])
		g->throttled = nla_get_u64(tb[VGPU_A_COMPUTE_THROTTLED]);
	if (tb[VGPU_A_COMPUTE_FALLBACK])
		g->fallback = nla_get_u64(tb[VGPU_A_COMPUTE_FALLBACK]);
	/* GUEST_RES comes once per resource: walk all attributes. */
	nla_for_each_attr(nla, attrs, len, rem) {
		struct nlattr *rtb[VGPU_A_RES_MAX + 1];
		struct vnl_res *r;
		__u32 type;

		if (nla_type(nla) != VGPU_A_GUEST_RES)
			continue;
		if (nla_parse_nested(rtb, VGPU_A_RES_MAX, nla, NULL) < 0)
			continue;
		if (!rtb[VGPU_A_RES_TYPE])
			continue;
		type = nla_get_u32(rtb[VGPU_A_RES_TYPE]);
		if (type >= VGPU_RES_SLOTS)
			continue;
		r = &g->res[type];
		r->present = true;
		if (rtb[VGPU_A_RES_CURRENT])
			r->current = nla_get_u64(rtb[VGPU_A_RES_CURRENT]);
		if (rtb[VGPU_A_RES_PEAK])
			r->peak = nla_get_u64(rtb[VGPU_A_RES_PEAK]);
		if (rtb[VGPU_A_RES_LIMIT])
			r->limit = nla_get_u64(rtb[VGPU_A_RES_LIMIT]);
		if (rtb[VGPU_A_RES_LIMIT_HITS])
			r->limit_hits = nla_get_u64(rtb[VGPU_A_RES_LIMIT_HITS]);
	}
}

static void parse_stats(struct nlattr **tb, struct vnl_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (tb[VGPU_A_STATS_GUESTS]) {
		s->has_guests = true;
		s->guests = nla_get_u32(tb[VGPU_A_STATS_GUESTS]);
	}
	if (tb[VGPU_A_STATS_SESSIONS]) {
		s->has_sessions = true;
		s->sessions = nla_get_u32(tb[VGPU_A_STATS_SESSIONS]);
	}
	if (tb[VGPU_A_STATS_LIMIT_HITS]) {
		s->has_limit_hits = true;
		s->limit_hits = nla_get_u64(tb[VGPU_A_STATS_LIMIT_HITS]);
	}
	if (tb[VGPU_A_STATS_EVENTS]) {
		s->has_events = true;
		s->events = nla_get_u64(tb[VGPU_A_STATS_EVENTS]);
	}
	if (tb[VGPU_A_STATS_EVENTS_DROPPED]) {
		s->has_events_dropped = true;
		s->events_dropped = nla_get_u64(tb[VGPU_A_STATS_EVENTS_DROPPED]);
	}
}

static void parse_event(struct genlmsghdr *gh, struct nlattr **tb,
			struct nlattr *attrs, int len, struct vnl_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->cmd = gh->cmd;
	parse_guest(tb, attrs, len, &ev->guest);
	if (tb[VGPU_A_EV_RESOURCE]) {
		ev->has_resource = true;
		ev->resource = nla_get_u32(tb[VGPU_A_EV_RESOURCE]);
	}
	if (tb[VGPU_A_EV_CURRENT]) {
		ev->has_current = true;
		ev->current = nla_get_u64(tb[VGPU_A_EV_CURRENT]);
	}
	if (tb[VGPU_A_EV_REQUESTED]) {
		ev->has_requested = true;
		ev->requested = nla_get_u64(tb[VGPU_A_EV_REQUESTED]);
	}
	if (tb[VGPU_A_EV_DEVICE]) {
		ev->has_device = true;
		ev->device = nla_get_u32(tb[VGPU_A_EV_DEVICE]);
	}
	if (tb[VGPU_A_EV_WAIT]) {
		ev->has_wait = true;
		ev->wait = nla_get_u64(tb[VGPU_A_EV_WAIT]);
	}
	if (tb[VGPU_A_EV_LIMIT]) {
		ev->has_limit = true;
		ev->limit = nla_get_u64(tb[VGPU_A_EV_LIMIT]);
	}
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct vnl_ctx *ctx = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct nlattr *tb[VGPU_A_MAX + 1];
	struct nlattr *attrs = genlmsg_attrdata(gh, 0);
	int len = genlmsg_attrlen(gh, 0);

	if (genlmsg_parse(nlh, 0, tb, VGPU_A_MAX, NULL) < 0)
		return NL_SKIP;

	switch (ctx->kind) {
	case VNL_GUEST:
		if (ctx->out && !ctx->count)
			parse_guest(tb, attrs, len, ctx->out);
		ctx->count++;
		break;
	case VNL_DUMP:
		if (ctx->count < ctx->max)
			parse_guest(tb, attrs, len,
				    (struct vnl_guest *)ctx->out + ctx->count);
		ctx->count++;
		break;
	case VNL_STATS:
		if (ctx->out && !ctx->count)
			parse_stats(tb, ctx->out);
		ctx->count++;
		break;
	case VNL_EVENT: {
		struct vnl_event ev;

		if (ctx->found)
			break;
		parse_event(gh, tb, attrs, len, &ev);
		if (ctx->want_cmd && ev.cmd != ctx->want_cmd)
			break;
		if (ctx->want_id && (!ev.guest.has_id || ev.guest.id != ctx->want_id))
			break;
		*(struct vnl_event *)ctx->out = ev;
		ctx->found = 1;
		break;
	}
	default:
		ctx->count++;
		break;
	}
	return NL_OK;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	struct vnl_ctx *ctx = arg;

	(void)msg;
	ctx->pending = 0;
	return NL_STOP;
}

static int finish_cb(struct nl_msg *msg, void *arg)
{
	struct vnl_ctx *ctx = arg;

	(void)msg;
	ctx->pending = 0;
	return NL_STOP;
}

/* Keep the errno and the extended ACK of a refusal. */
static int err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct vnl_ctx *ctx = arg;
	struct vnl *nl = ctx->nl;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off;

	(void)nla;
	nl->err = e->error;
	ctx->pending = 0;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;

	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	if (NLMSG_HDRLEN + off >= nlh->nlmsg_len)
		return NL_STOP;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off),
		      nlh->nlmsg_len - NLMSG_HDRLEN - off, NULL) < 0)
		return NL_STOP;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(nl->extack, tb[NLMSGERR_ATTR_MSG], sizeof(nl->extack));
	if (tb[NLMSGERR_ATTR_MISS_TYPE])
		nl->ack_miss_type = nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
	return NL_STOP;
}

static struct nl_cb *make_cb(struct vnl_ctx *ctx)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);

	if (!cb)
		return NULL;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, ctx);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, ctx);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, ctx);
	nl_cb_err(cb, NL_CB_CUSTOM, err_cb, ctx);
	return cb;
}

static int put_req(struct nl_msg *msg, const struct vnl_req *req)
{
	static const int limit_attr[VGPU_RES_NR] = {
		[VGPU_RES_MEMORY] = VGPU_A_LIMIT_MEMORY,
		[VGPU_RES_PINNED] = VGPU_A_LIMIT_PINNED,
		[VGPU_RES_CONTEXTS] = VGPU_A_LIMIT_CONTEXTS,
		[VGPU_RES_COMPUTE] = VGPU_A_LIMIT_COMPUTE,
	};
	int r;

	if (!req)
		return 0;
	if (req->has_id && nla_put_u32(msg, VGPU_A_GUEST_ID, req->id))
		return -EMSGSIZE;
	if (req->name && nla_put_string(msg, VGPU_A_GUEST_NAME, req->name))
		return -EMSGSIZE;
	if (req->has_uid && nla_put_u32(msg, VGPU_A_GUEST_UID, req->uid))
		return -EMSGSIZE;
	if (req->has_gid && nla_put_u32(msg, VGPU_A_GUEST_GID, req->gid))
		return -EMSGSIZE;
	for (r = 0; r < VGPU_RES_NR; r++) {
		if (!(req->limits_set & (1U << r)))
			continue;
		if (nla_put_u64(msg, limit_attr[r], req->limits[r]))
			return -EMSGSIZE;
	}
	if (req->has_period &&
	    nla_put_u32(msg, VGPU_A_COMPUTE_PERIOD, req->period_us))
		return -EMSGSIZE;
	if (req->has_weight &&
	    nla_put_u32(msg, VGPU_A_COMPUTE_WEIGHT, req->weight))
		return -EMSGSIZE;
	return 0;
}

/* Send one request and read until its ACK, DONE or error. */
static int vnl_request(struct vnl *nl, int cmd, int flags,
		       const struct vnl_req *req, struct vnl_ctx *ctx)
{
	struct nl_msg *msg;
	struct nl_cb *cb;
	int ret;

	nl->err = 0;
	nl->extack[0] = '\0';
	nl->ack_miss_type = 0;
	ctx->nl = nl;
	ctx->pending = 1;

	msg = nlmsg_alloc();
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags,
			 cmd, VGPU_GENL_VERSION)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	ret = put_req(msg, req);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	cb = make_cb(ctx);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	ret = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		nl_cb_put(cb);
		return -EIO;
	}
	while (ctx->pending) {
		ret = nl_recvmsgs(nl->sk, cb);
		if (ret < 0 && ctx->pending) {
			nl_cb_put(cb);
			return nl->err ? nl->err : -EIO;
		}
	}
	nl_cb_put(cb);
	return nl->err;
}

static int set_ext_ack(struct nl_sock *sk)
{
	int one = 1;
	int fd = nl_socket_get_fd(sk);

	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)))
		return -errno;
	/* Error messages without the original request: simpler to parse. */
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return 0;
}

int vnl_open(struct vnl *nl)
{
	int ret;

	memset(nl, 0, sizeof(*nl));
	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return -ENOMEM;
	if (genl_connect(nl->sk)) {
		ret = -EIO;
		goto fail;
	}
	ret = set_ext_ack(nl->sk);
	if (ret)
		goto fail;
	nl->family = genl_ctrl_resolve(nl->sk, VGPU_GENL_NAME);
	if (nl->family < 0) {
		ret = -ENOENT;
		goto fail;
	}
	return 0;
fail:
	nl_socket_free(nl->sk);
	nl->sk = NULL;
	return ret;
}

void vnl_close(struct vnl *nl)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

int vnl_guest_new(struct vnl *nl, const struct vnl_req *req, struct vnl_guest *out)
{
	struct vnl_ctx ctx = { .kind = VNL_GUEST, .out = out };

	if (out)
		memset(out, 0, sizeof(*out));
	return vnl_request(nl, VGPU_NL_CMD_GUEST_NEW, 0, req, &ctx);
}

int vnl_guest_del(struct vnl *nl, const struct vnl_req *req)
{
	struct vnl_ctx ctx = { .kind = VNL_NONE };

	return vnl_request(nl, VGPU_NL_CMD_GUEST_DEL, 0, req, &ctx);
}

int vnl_guest_get(struct vnl *nl, const struct vnl_req *req, struct vnl_guest *out)
{
	struct vnl_ctx ctx = { .kind = VNL_GUEST, .out = out };
	int ret;

	if (out)
		memset(out, 0, sizeof(*out));
	ret = vnl_request(nl, VGPU_NL_CMD_GUEST_GET, 0, req, &ctx);
	if (!ret && !ctx.count)
		return -ENODATA;
	return ret;
}

int vnl_guest_set(struct vnl *nl, const struct vnl_req *req)
{
	struct vnl_ctx ctx = { .kind = VNL_NONE };

	return vnl_request(nl, VGPU_NL_CMD_GUEST_SET, 0, req, &ctx);
}

int vnl_guest_dump(struct vnl *nl, struct vnl_guest *out, int max)
{
	struct vnl_ctx ctx = { .kind = VNL_DUMP, .out = out, .max = max };
	int ret;

	ret = vnl_request(nl, VGPU_NL_CMD_GUEST_GET, NLM_F_DUMP, NULL, &ctx);
	return ret ? ret : ctx.count;
}

int vnl_stats_get(struct vnl *nl, struct vnl_stats *out)
{
	struct vnl_ctx ctx = { .kind = VNL_STATS, .out = out };
	int ret;

	memset(out, 0, sizeof(*out));
	ret = vnl_request(nl, VGPU_NL_CMD_STATS_GET, 0, NULL, &ctx);
	if (!ret && !ctx.count)
		return -ENODATA;
	return ret;
}

int vnl_get_id(struct vnl *nl, __u32 id, struct vnl_guest *out)
{
	struct vnl_req req = { .id = id, .has_id = true };

	return vnl_guest_get(nl, &req, out);
}

int vnl_get_name(struct vnl *nl, const char *name, struct vnl_guest *out)
{
	struct vnl_req req = { .name = name };

	return vnl_guest_get(nl, &req, out);
}

int vnl_del_id(struct vnl *nl, __u32 id)
{
	struct vnl_req req = { .id = id, .has_id = true };

	return vnl_guest_del(nl, &req);
}

int vnl_del_name(struct vnl *nl, const char *name)
{
	struct vnl_req req = { .name = name };

	return vnl_guest_del(nl, &req);
}

int vnl_set_limit(struct vnl *nl, __u32 id, enum vgpu_resource res, __u64 limit)
{
	struct vnl_req req = { .id = id, .has_id = true };

	vnl_req_limit(&req, res, limit);
	return vnl_guest_set(nl, &req);
}

int vnl_events_open(struct vnl *nl)
{
	int grp, ret;

	ret = vnl_open(nl);
	if (ret)
		return ret;
	grp = genl_ctrl_resolve_grp(nl->sk, VGPU_GENL_NAME, VGPU_MCGRP_EVENTS);
	if (grp < 0) {
		vnl_close(nl);
		return -ENOENT;
	}
	if (nl_socket_add_membership(nl->sk, grp)) {
		vnl_close(nl);
		return -EIO;
	}
	nl_socket_disable_seq_check(nl->sk);
	nl_socket_set_nonblocking(nl->sk);
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

int vnl_event_wait(struct vnl *nl, int cmd, __u32 guest_id, int timeout_ms,
		   struct vnl_event *ev)
{
	struct vnl_ctx ctx = {
		.nl = nl, .kind = VNL_EVENT, .out = ev,
		.want_cmd = cmd, .want_id = guest_id,
	};
	long long deadline = now_ms() + timeout_ms;
	struct nl_cb *cb = make_cb(&ctx);
	int ret = -ETIMEDOUT;

	if (!cb)
		return -ENOMEM;
	/* notifications carry sequence number 0 */
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	while (!ctx.found) {
		struct pollfd pfd = { .fd = nl_socket_get_fd(nl->sk), .events = POLLIN };
		long long left = deadline - now_ms();

		if (left <= 0)
			break;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		nl_recvmsgs(nl->sk, cb);
	}
	if (ctx.found)
		ret = 0;
	nl_cb_put(cb);
	return ret;
}
