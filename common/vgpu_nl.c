// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu_nl - the "vgpu" generic netlink family through libnl-genl-3.
 *
 * Every request asks for an ACK. NETLINK_EXT_ACK is switched on with
 * setsockopt() (libnl 3.7 has no call for it) and the error callback reads
 * NLMSGERR_ATTR_MSG and NLMSGERR_ATTR_MISS_TYPE from the ACK's TLVs.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "common/resource.h"
#include "common/vgpu_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* ---- the family's tables (checked against the YNL spec by a test) ----- */

const struct vgpu_nl_attr_desc vgpu_nl_attrs[VGPU_A_MAX + 1] = {
	[VGPU_A_GUEST_ID]	= { "guest-id", NLA_U32, 0 },
	[VGPU_A_GUEST_NAME]	= { "guest-name", NLA_STRING, VGPU_NAME_MAX },
	[VGPU_A_GUEST_UID]	= { "guest-uid", NLA_U32, 0 },
	[VGPU_A_GUEST_GID]	= { "guest-gid", NLA_U32, 0 },
	[VGPU_A_GUEST_SESSIONS]	= { "guest-sessions", NLA_U32, 0 },
	[VGPU_A_LIMIT_MEMORY]	= { "limit-memory", NLA_U64, 0 },
	[VGPU_A_LIMIT_PINNED]	= { "limit-pinned", NLA_U64, 0 },
	[VGPU_A_LIMIT_CONTEXTS]	= { "limit-contexts", NLA_U64, 0 },
	[VGPU_A_LIMIT_COMPUTE]	= { "limit-compute", NLA_U64, 0 },
	[VGPU_A_GUEST_RES]	= { "guest-res", NLA_NESTED, 0 },
	[VGPU_A_EV_RESOURCE]	= { "ev-resource", NLA_U32, 0 },
	[VGPU_A_EV_CURRENT]	= { "ev-current", NLA_U64, 0 },
	[VGPU_A_EV_REQUESTED]	= { "ev-requested", NLA_U64, 0 },
	[VGPU_A_EV_LIMIT]	= { "ev-limit", NLA_U64, 0 },
	[VGPU_A_STATS_GUESTS]	= { "stats-guests", NLA_U32, 0 },
	[VGPU_A_STATS_SESSIONS]	= { "stats-sessions", NLA_U32, 0 },
	[VGPU_A_STATS_LIMIT_HITS] = { "stats-limit-hits", NLA_U64, 0 },
	[VGPU_A_STATS_EVENTS]	= { "stats-events", NLA_U64, 0 },
	[VGPU_A_PAD]		= { "pad", NLA_UNSPEC, 0 },
	[VGPU_A_COMPUTE_PERIOD]	= { "compute-period", NLA_U32, 0 },
	[VGPU_A_COMPUTE_WEIGHT]	= { "compute-weight", NLA_U32, 0 },
	[VGPU_A_COMPUTE_CONSUMED] = { "compute-consumed", NLA_U64, 0 },
	[VGPU_A_COMPUTE_SHARE_PERIOD] = { "compute-share-period", NLA_U32, 0 },
	[VGPU_A_COMPUTE_SHARE_SECOND] = { "compute-share-second", NLA_U32, 0 },
	[VGPU_A_COMPUTE_THROTTLED] = { "compute-throttled", NLA_U64, 0 },
	[VGPU_A_COMPUTE_FALLBACK] = { "compute-fallback", NLA_U64, 0 },
	[VGPU_A_EV_DEVICE]	= { "ev-device", NLA_U32, 0 },
	[VGPU_A_EV_WAIT]	= { "ev-wait", NLA_U64, 0 },
	[VGPU_A_STATS_EVENTS_DROPPED] = { "stats-events-dropped", NLA_U64, 0 },
};

const struct vgpu_nl_attr_desc vgpu_nl_res_attrs[VGPU_A_RES_MAX + 1] = {
	[VGPU_A_RES_TYPE]	= { "type", NLA_U32, 0 },
	[VGPU_A_RES_CURRENT]	= { "current", NLA_U64, 0 },
	[VGPU_A_RES_PEAK]	= { "peak", NLA_U64, 0 },
	[VGPU_A_RES_LIMIT]	= { "limit", NLA_U64, 0 },
	[VGPU_A_RES_LIMIT_HITS]	= { "limit-hits", NLA_U64, 0 },
	[VGPU_A_RES_PAD]	= { "pad", NLA_UNSPEC, 0 },
};

const int vgpu_nl_limit_attr[VGPU_RES_NR] = {
	[VGPU_RES_MEMORY]	= VGPU_A_LIMIT_MEMORY,
	[VGPU_RES_PINNED]	= VGPU_A_LIMIT_PINNED,
	[VGPU_RES_CONTEXTS]	= VGPU_A_LIMIT_CONTEXTS,
	[VGPU_RES_COMPUTE]	= VGPU_A_LIMIT_COMPUTE,
};

const char *vgpu_nl_res_name(uint32_t res, char *buf, size_t len)
{
	if (res < VGPU_RES_NR)
		return vgpu_res_name(res);
	snprintf(buf, len, "resource%u", res);
	return buf;
}

const char *vgpu_nl_event_name(uint8_t cmd)
{
	switch (cmd) {
	case VGPU_NL_CMD_GUEST_CREATED_NTF:
		return "guest-created";
	case VGPU_NL_CMD_GUEST_DESTROYED_NTF:
		return "guest-destroyed";
	case VGPU_NL_CMD_LIMIT_HIT_NTF:
		return "limit-hit";
	case VGPU_NL_CMD_THROTTLED_NTF:
		return "throttled";
	default:
		return NULL;
	}
}

/* The libnl policy of one attribute table (n entries). */
static void policy(const struct vgpu_nl_attr_desc *a, struct nla_policy *p, int n)
{
	int i;

	memset(p, 0, sizeof(*p) * (size_t)n);
	for (i = 0; i < n; i++) {
		p[i].type = a[i].type;
		p[i].maxlen = a[i].maxlen;
	}
}

/* libnl error codes to errnos, for those that can happen here. */
static int nlerr_to_errno(int e)
{
	switch (e < 0 ? -e : e) {
	case NLE_NOMEM: return -ENOMEM;
	case NLE_PERM: return -EPERM;
	case NLE_NOACCESS: return -EACCES;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_INVAL: return -EINVAL;
	case NLE_RANGE: return -ERANGE;
	case NLE_MSGSIZE: return -EMSGSIZE;
	case NLE_BUSY: return -EBUSY;
	case NLE_EXIST: return -EEXIST;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_PROTO_MISMATCH: return -EPROTO;
	case NLE_PARSE_ERR: return -EBADMSG;
	default: return -EIO;
	}
}

/* ---- socket ----------------------------------------------------------- */

int vgpu_nl_open(struct vgpu_nl *nl)
{
	int one = 1, fd, err;

	memset(nl, 0, sizeof(*nl));
	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return -ENOMEM;
	err = genl_connect(nl->sk);
	if (err < 0) {
		err = nlerr_to_errno(err);
		goto free;
	}
	fd = nl_socket_get_fd(nl->sk);
	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one))) {
		err = -errno;
		goto free;
	}
	/* ACKs without a copy of the request: the TLVs follow the header */
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* dumps of many guests: messages larger than libnl's default buffer */
	nl_socket_enable_msg_peek(nl->sk);
	nl->family = genl_ctrl_resolve(nl->sk, VGPU_GENL_NAME);
	if (nl->family < 0) {
		err = nlerr_to_errno(nl->family);
		goto free;
	}
	return 0;
free:
	nl_socket_free(nl->sk);
	nl->sk = NULL;
	return err;
}

void vgpu_nl_close(struct vgpu_nl *nl)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

/* ---- parsing ---------------------------------------------------------- */

static int parse_res_nest(struct nlattr *nest, struct vgpu_nl_guest *g)
{
	struct nla_policy pol[VGPU_A_RES_MAX + 1];
	struct nlattr *tb[VGPU_A_RES_MAX + 1];
	struct vgpu_nl_res *r;
	uint32_t type;

	policy(vgpu_nl_res_attrs, pol, VGPU_A_RES_MAX + 1);
	if (nla_parse_nested(tb, VGPU_A_RES_MAX, nest, pol) < 0 ||
	    !tb[VGPU_A_RES_TYPE])
		return -EBADMSG;
	type = nla_get_u32(tb[VGPU_A_RES_TYPE]);
	if (type >= VGPU_RES_SLOTS)
		return 0;	/* a newer module's resource: skipped */
	r = &g->res[type];
	r->present = true;
	if (tb[VGPU_A_RES_CURRENT]) {
		r->current = nla_get_u64(tb[VGPU_A_RES_CURRENT]);
		r->has_usage = true;
	}
	if (tb[VGPU_A_RES_PEAK])
		r->peak = nla_get_u64(tb[VGPU_A_RES_PEAK]);
	if (tb[VGPU_A_RES_LIMIT])
		r->limit = nla_get_u64(tb[VGPU_A_RES_LIMIT]);
	if (tb[VGPU_A_RES_LIMIT_HITS])
		r->limit_hits = nla_get_u64(tb[VGPU_A_RES_LIMIT_HITS]);
	return 0;
}

/* One parsed message: its command, attribute table and raw attributes. */
struct msg {
	uint8_t cmd;
	struct nlattr *tb[VGPU_A_MAX + 1];
	struct nlattr *head;
	int len;
};

static int parse_msg(struct nl_msg *m, struct msg *out)
{
	struct nla_policy pol[VGPU_A_MAX + 1];
	struct nlmsghdr *nlh = nlmsg_hdr(m);
	struct genlmsghdr *gnlh = nlmsg_data(nlh);

	policy(vgpu_nl_attrs, pol, VGPU_A_MAX + 1);
	if (genlmsg_parse(nlh, 0, out->tb, VGPU_A_MAX, pol) < 0)
		return -EBADMSG;
	out->cmd = gnlh->cmd;
	out->head = genlmsg_attrdata(gnlh, 0);
	out->len = genlmsg_attrlen(gnlh, 0);
	return 0;
}

static bool get_u32(struct nlattr *a, uint32_t *v)
{
	if (a)
		*v = nla_get_u32(a);
	return a != NULL;
}

static bool get_u64(struct nlattr *a, uint64_t *v)
{
	if (a)
		*v = nla_get_u64(a);
	return a != NULL;
}

static int parse_guest(const struct msg *m, struct vgpu_nl_guest *g)
{
	struct nlattr *const *tb = m->tb;
	struct nlattr *nla;
	int rem, i, err;

	memset(g, 0, sizeof(*g));
	for (i = 0; i < VGPU_RES_SLOTS; i++)
		g->res[i].limit = VGPU_LIMIT_UNLIMITED;
	g->has_id = get_u32(tb[VGPU_A_GUEST_ID], &g->id);
	g->has_uid = get_u32(tb[VGPU_A_GUEST_UID], &g->uid);
	g->has_gid = get_u32(tb[VGPU_A_GUEST_GID], &g->gid);
	g->has_sessions = get_u32(tb[VGPU_A_GUEST_SESSIONS], &g->sessions);
	if (tb[VGPU_A_GUEST_NAME]) {
		nla_strlcpy(g->name, tb[VGPU_A_GUEST_NAME], sizeof(g->name));
		g->has_name = true;
	}
	for (i = 0; i < VGPU_RES_NR; i++)
		if (get_u64(tb[vgpu_nl_limit_attr[i]], &g->res[i].limit))
			g->res[i].present = true;
	g->has_compute = get_u32(tb[VGPU_A_COMPUTE_PERIOD], &g->period_us);
	get_u32(tb[VGPU_A_COMPUTE_WEIGHT], &g->weight);
	get_u32(tb[VGPU_A_COMPUTE_SHARE_PERIOD], &g->share_period);
	get_u32(tb[VGPU_A_COMPUTE_SHARE_SECOND], &g->share_second);
	get_u64(tb[VGPU_A_COMPUTE_CONSUMED], &g->consumed);
	get_u64(tb[VGPU_A_COMPUTE_THROTTLED], &g->throttled);
	get_u64(tb[VGPU_A_COMPUTE_FALLBACK], &g->fallback);
	/* one VGPU_A_GUEST_RES per resource: nla_parse() keeps only the last */
	nla_for_each_attr(nla, m->head, m->len, rem) {
		if (nla_type(nla) != VGPU_A_GUEST_RES)
			continue;
		err = parse_res_nest(nla, g);
		if (err)
			return err;
	}
	return 0;
}

static void parse_stats(const struct msg *m, struct vgpu_nl_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->has_guests = get_u32(m->tb[VGPU_A_STATS_GUESTS], &s->guests);
	s->has_sessions = get_u32(m->tb[VGPU_A_STATS_SESSIONS], &s->sessions);
	s->has_limit_hits = get_u64(m->tb[VGPU_A_STATS_LIMIT_HITS], &s->limit_hits);
	s->has_events = get_u64(m->tb[VGPU_A_STATS_EVENTS], &s->events);
	s->has_events_dropped = get_u64(m->tb[VGPU_A_STATS_EVENTS_DROPPED],
					&s->events_dropped);
}

static int parse_event(const struct msg *m, struct vgpu_nl_event *ev)
{
	struct nlattr *const *tb = m->tb;

	memset(ev, 0, sizeof(*ev));
	ev->cmd = m->cmd;
	ev->has_resource = get_u32(tb[VGPU_A_EV_RESOURCE], &ev->resource);
	ev->has_current = get_u64(tb[VGPU_A_EV_CURRENT], &ev->current);
	ev->has_requested = get_u64(tb[VGPU_A_EV_REQUESTED], &ev->requested);
	ev->has_limit = get_u64(tb[VGPU_A_EV_LIMIT], &ev->limit);
	ev->has_device = get_u32(tb[VGPU_A_EV_DEVICE], &ev->device);
	ev->has_wait = get_u64(tb[VGPU_A_EV_WAIT], &ev->wait);
	return parse_guest(m, &ev->guest);
}

/* ---- request / reply -------------------------------------------------- */

/* What the replies of one request go to. */
struct reply {
	struct vgpu_nl *nl;
	bool done;
	int err;			/* first parse error, negative */
	size_t count;			/* replies seen */
	int (*parse)(const struct msg *m, struct reply *r);
	void *out;
	size_t cap;			/* dump: room in *out */
};

static int error_cb(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct reply *r = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t payload = sizeof(*e);
	size_t off;

	(void)who;
	r->nl->err = e->error < 0 ? e->error : -EIO;
	r->done = true;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		payload += e->msg.nlmsg_len - NLMSG_HDRLEN;
	off = NLMSG_HDRLEN + NLMSG_ALIGN(payload);
	if (off >= nlh->nlmsg_len ||
	    nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)nlh + off),
		      (int)(nlh->nlmsg_len - off), NULL) < 0)
		return NL_STOP;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(r->nl->ext_msg, tb[NLMSGERR_ATTR_MSG],
			    sizeof(r->nl->ext_msg));
	if (tb[NLMSGERR_ATTR_MISS_TYPE])
		r->nl->miss_type = (int)nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
	return NL_STOP;
}

static int finish_cb(struct nl_msg *m, void *arg)
{
	struct reply *r = arg;

	(void)m;
	r->done = true;
	return NL_STOP;
}

static int valid_cb(struct nl_msg *nm, void *arg)
{
	struct reply *r = arg;
	struct msg m;
	int err;

	err = parse_msg(nm, &m);
	if (!err && r->parse)
		err = r->parse(&m, r);
	if (err && !r->err)
		r->err = err;
	r->count++;
	return NL_OK;
}

static int put_req(struct nl_msg *m, const struct vgpu_nl_req *req)
{
	int i;

	if (!req)
		return 0;
	if ((req->has_id && nla_put_u32(m, VGPU_A_GUEST_ID, req->id)) ||
	    (req->name && nla_put_string(m, VGPU_A_GUEST_NAME, req->name)) ||
	    (req->has_uid && nla_put_u32(m, VGPU_A_GUEST_UID, req->uid)) ||
	    (req->has_gid && nla_put_u32(m, VGPU_A_GUEST_GID, req->gid)))
		return -EMSGSIZE;
	for (i = 0; i < VGPU_RES_NR; i++)
		if ((req->limits_set & (1U << i)) &&
		    nla_put_u64(m, vgpu_nl_limit_attr[i], req->limits[i]))
			return -EMSGSIZE;
	if ((req->has_period &&
	     nla_put_u32(m, VGPU_A_COMPUTE_PERIOD, req->period_us)) ||
	    (req->has_weight &&
	     nla_put_u32(m, VGPU_A_COMPUTE_WEIGHT, req->weight)))
		return -EMSGSIZE;
	return 0;
}

/*
 * request - send @cmd with @req's attributes and read the replies until the
 * ACK, DONE or error. Returns the kernel's errno, else the first parse error.
 */
static int request(struct vgpu_nl *nl, uint8_t cmd, int flags,
		   const struct vgpu_nl_req *req, struct reply *r)
{
	struct nl_msg *m;
	struct nl_cb *cb;
	int err;

	nl->err = 0;
	nl->ext_msg[0] = '\0';
	nl->miss_type = 0;
	r->nl = nl;
	m = nlmsg_alloc();
	if (!m)
		return -ENOMEM;
	if (!genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 flags | NLM_F_ACK, cmd, VGPU_GENL_VERSION)) {
		nlmsg_free(m);
		return -EMSGSIZE;
	}
	err = put_req(m, req);
	if (err) {
		nlmsg_free(m);
		return err;
	}
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(m);
		return -ENOMEM;
	}
	err = nl_send_auto(nl->sk, m);
	nlmsg_free(m);
	if (err < 0) {
		nl_cb_put(cb);
		return nlerr_to_errno(err);
	}
	nl_cb_err(cb, NL_CB_CUSTOM, error_cb, r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, finish_cb, r);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, r);
	while (!r->done) {
		err = nl_recvmsgs(nl->sk, cb);
		if (err < 0 && !r->done) {
			nl->err = nlerr_to_errno(err);
			break;
		}
	}
	nl_cb_put(cb);
	return nl->err ? nl->err : r->err;
}

static int reply_guest(const struct msg *m, struct reply *r)
{
	struct vgpu_nl_guest g, *out = r->out;

	if (r->count || !out)
		return parse_guest(m, &g);
	return parse_guest(m, out);
}

static int reply_dump(const struct msg *m, struct reply *r)
{
	struct vgpu_nl_guest *a = r->out;

	if (r->count == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;

		a = realloc(a, cap * sizeof(*a));
		if (!a)
			return -ENOMEM;
		r->out = a;
		r->cap = cap;
	}
	return parse_guest(m, &a[r->count]);
}

static int reply_stats(const struct msg *m, struct reply *r)
{
	if (!r->count)
		parse_stats(m, r->out);
	return 0;
}

int vgpu_nl_guest_new(struct vgpu_nl *nl, const struct vgpu_nl_req *req,
		      struct vgpu_nl_guest *out)
{
	struct reply r = { .parse = reply_guest, .out = out };

	if (out)
		memset(out, 0, sizeof(*out));
	return request(nl, VGPU_NL_CMD_GUEST_NEW, 0, req, &r);
}

int vgpu_nl_guest_del(struct vgpu_nl *nl, const struct vgpu_nl_req *req)
{
	struct reply r = { 0 };

	return request(nl, VGPU_NL_CMD_GUEST_DEL, 0, req, &r);
}

int vgpu_nl_guest_set(struct vgpu_nl *nl, const struct vgpu_nl_req *req)
{
	struct reply r = { 0 };

	return request(nl, VGPU_NL_CMD_GUEST_SET, 0, req, &r);
}

/* request_one - a "do" whose reply is required: -ENODATA when acked without. */
static int request_one(struct vgpu_nl *nl, uint8_t cmd,
		       const struct vgpu_nl_req *req, struct reply *r)
{
	int err = request(nl, cmd, 0, req, r);

	return !err && !r->count ? -ENODATA : err;
}

int vgpu_nl_guest_get(struct vgpu_nl *nl, const struct vgpu_nl_req *req,
		      struct vgpu_nl_guest *out)
{
	struct reply r = { .parse = reply_guest, .out = out };

	memset(out, 0, sizeof(*out));
	return request_one(nl, VGPU_NL_CMD_GUEST_GET, req, &r);
}

int vgpu_nl_guest_dump(struct vgpu_nl *nl, struct vgpu_nl_guest **out,
		       size_t *n)
{
	struct reply r = { .parse = reply_dump };
	int err;

	*out = NULL;
	*n = 0;
	err = request(nl, VGPU_NL_CMD_GUEST_GET, NLM_F_DUMP, NULL, &r);
	if (err) {
		free(r.out);
		return err;
	}
	*out = r.out;
	*n = r.count;
	return 0;
}

int vgpu_nl_stats_get(struct vgpu_nl *nl, struct vgpu_nl_stats *out)
{
	struct reply r = { .parse = reply_stats, .out = out };

	memset(out, 0, sizeof(*out));
	return request_one(nl, VGPU_NL_CMD_STATS_GET, NULL, &r);
}

/* ---- events ----------------------------------------------------------- */

int vgpu_nl_events_open(struct vgpu_nl *nl)
{
	int grp, err;

	err = vgpu_nl_open(nl);
	if (err)
		return err;
	grp = genl_ctrl_resolve_grp(nl->sk, VGPU_GENL_NAME, VGPU_MCGRP_EVENTS);
	if (grp < 0) {
		err = nlerr_to_errno(grp);
		goto close;
	}
	/* notifications carry sequence number 0 */
	nl_socket_disable_seq_check(nl->sk);
	err = nl_socket_add_membership(nl->sk, grp);
	if (!err)
		err = nl_socket_set_nonblocking(nl->sk);
	if (err < 0) {
		err = nlerr_to_errno(err);
		goto close;
	}
	return 0;
close:
	vgpu_nl_close(nl);
	return err;
}

int vgpu_nl_events_fd(struct vgpu_nl *nl)
{
	return nl_socket_get_fd(nl->sk);
}

struct ev_ctx {
	vgpu_nl_event_cb cb;
	void *arg;
	int n;
};

static int event_cb(struct nl_msg *nm, void *arg)
{
	struct ev_ctx *c = arg;
	struct vgpu_nl_event ev;
	struct msg m;

	if (parse_msg(nm, &m) || parse_event(&m, &ev))
		return NL_SKIP;
	c->n++;
	c->cb(&ev, c->arg);
	return NL_OK;
}

int vgpu_nl_events_read(struct vgpu_nl *nl, vgpu_nl_event_cb cb, void *arg)
{
	struct ev_ctx c = { .cb = cb, .arg = arg };
	struct nl_cb *base, *nlcb;
	int err;

	/* a clone of the socket's callbacks keeps its disabled seq check */
	base = nl_socket_get_cb(nl->sk);
	if (!base)
		return -ENOMEM;
	nlcb = nl_cb_clone(base);
	nl_cb_put(base);
	if (!nlcb)
		return -ENOMEM;
	nl_cb_set(nlcb, NL_CB_VALID, NL_CB_CUSTOM, event_cb, &c);
	err = nl_recvmsgs(nl->sk, nlcb);
	nl_cb_put(nlcb);
	if (err == -NLE_AGAIN)
		return c.n ? 0 : -EAGAIN;
	if (err == -NLE_NOMEM)
		return -ENOBUFS;	/* libnl reports ENOBUFS as NLE_NOMEM */
	return err < 0 ? nlerr_to_errno(err) : 0;
}

struct ev_want {
	int cmd;
	uint32_t id;
	bool found;
	struct vgpu_nl_event *ev;
};

static void match_event(const struct vgpu_nl_event *ev, void *arg)
{
	struct ev_want *w = arg;

	if (w->found || (w->cmd && ev->cmd != w->cmd) ||
	    (w->id && (!ev->guest.has_id || ev->guest.id != w->id)))
		return;
	*w->ev = *ev;
	w->found = true;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int vgpu_nl_event_wait(struct vgpu_nl *nl, int cmd, uint32_t guest_id,
		       int timeout_ms, struct vgpu_nl_event *ev)
{
	struct ev_want w = { .cmd = cmd, .id = guest_id, .ev = ev };
	long long deadline = now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = vgpu_nl_events_fd(nl), .events = POLLIN };
	int err;

	while (!w.found) {
		long long left = deadline - now_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		err = vgpu_nl_events_read(nl, match_event, &w);
		if (err && err != -EAGAIN && err != -ENOBUFS)
			return err;
	}
	return 0;
}
