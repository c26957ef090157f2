// SPDX-License-Identifier: GPL-2.0
/*
 * The "vgpu" generic netlink family through libnl-genl-3.
 *
 * libnl 3.7 has no nl_socket_set_ext_ack(), so NETLINK_EXT_ACK is set with
 * setsockopt() and the NLMSGERR_ATTR_MSG TLV is read in the error callback.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "vgpu_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

const char *const vgpu_res_names[VGPU_RES_NR] = {
	[VGPU_RES_MEMORY] = "memory",
	[VGPU_RES_PINNED] = "pinned",
	[VGPU_RES_CONTEXTS] = "contexts",
	[VGPU_RES_COMPUTE] = "compute",
};

static const int limit_attr[VGPU_RES_NR] = {
	[VGPU_RES_MEMORY] = VGPU_A_LIMIT_MEMORY,
	[VGPU_RES_PINNED] = VGPU_A_LIMIT_PINNED,
	[VGPU_RES_CONTEXTS] = VGPU_A_LIMIT_CONTEXTS,
	[VGPU_RES_COMPUTE] = VGPU_A_LIMIT_COMPUTE,
};

const char *vgpu_res_name(uint32_t res, char *buf, size_t len)
{
	if (res < VGPU_RES_NR)
		return vgpu_res_names[res];
	snprintf(buf, len, "resource%u", res);
	return buf;
}

void vgpu_guest_init(struct vgpu_guest *g)
{
	int i;

	memset(g, 0, sizeof(*g));
	for (i = 0; i < VGPU_RES_SLOTS; i++)
		g->res[i].limit = VGPU_LIMIT_UNLIMITED;
}

static struct nla_policy attr_policy[VGPU_A_MAX + 1] = {
	[VGPU_A_GUEST_ID] = { .type = NLA_U32 },
	[VGPU_A_GUEST_NAME] = { .type = NLA_STRING, .maxlen = VGPU_NAME_MAX },
	[VGPU_A_GUEST_UID] = { .type = NLA_U32 },
	[VGPU_A_GUEST_GID] = { .type = NLA_U32 },
	[VGPU_A_GUEST_SESSIONS] = { .type = NLA_U32 },
	[VGPU_A_LIMIT_MEMORY] = { .type = NLA_U64 },
	[VGPU_A_LIMIT_PINNED] = { .type = NLA_U64 },
	[VGPU_A_LIMIT_CONTEXTS] = { .type = NLA_U64 },
	[VGPU_A_LIMIT_COMPUTE] = { .type = NLA_U64 },
	[VGPU_A_GUEST_RES] = { .type = NLA_NESTED },
	[VGPU_A_EV_RESOURCE] = { .type = NLA_U32 },
	[VGPU_A_EV_CURRENT] = { .type = NLA_U64 },
	[VGPU_A_EV_REQUESTED] = { .type = NLA_U64 },
	[VGPU_A_EV_LIMIT] = { .type = NLA_U64 },
	[VGPU_A_STATS_GUESTS] = { .type = NLA_U32 },
	[VGPU_A_STATS_SESSIONS] = { .type = NLA_U32 },
	[VGPU_A_STATS_LIMIT_HITS] = { .type = NLA_U64 },
	[VGPU_A_STATS_EVENTS] = { .type = NLA_U64 },
};

static struct nla_policy res_policy[VGPU_A_RES_MAX + 1] = {
	[VGPU_A_RES_TYPE] = { .type = NLA_U32 },
	[VGPU_A_RES_CURRENT] = { .type = NLA_U64 },
	[VGPU_A_RES_PEAK] = { .type = NLA_U64 },
	[VGPU_A_RES_LIMIT] = { .type = NLA_U64 },
	[VGPU_A_RES_LIMIT_HITS] = { .type = NLA_U64 },
};

/* libnl error codes to errnos, for the few that matter here. */
static int nlerr_to_errno(int e)
{
	switch (-e) {
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
	case NLE_NOADDR: return -EADDRNOTAVAIL;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_PROTO_MISMATCH: return -EPROTO;
	case NLE_PARSE_ERR: return -EBADMSG;
	default: return -EIO;
	}
}

static void set_sockopts(struct nl_sock *sk)
{
	int one = 1;

	/* best effort: old kernels simply do not send the TLVs */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
}

int vnl_open(struct vnl *v)
{
	int err;

	memset(v, 0, sizeof(*v));
	v->sk = nl_socket_alloc();
	if (!v->sk)
		return -ENOMEM;
	err = genl_connect(v->sk);
	if (err < 0) {
		err = nlerr_to_errno(err);
		goto free;
	}
	set_sockopts(v->sk);
	nl_socket_enable_msg_peek(v->sk);
	v->family = genl_ctrl_resolve(v->sk, VGPU_GENL_NAME);
	if (v->family < 0) {
		err = v->family == -NLE_OBJ_NOTFOUND ? -ENOENT :
			nlerr_to_errno(v->family);
		goto free;
	}
	return 0;
free:
	nl_socket_free(v->sk);
	v->sk = NULL;
	return err;
}

void vnl_close(struct vnl *v)
{
	if (v->sk)
		nl_socket_free(v->sk);
	v->sk = NULL;
}

/* ---- parsing ---------------------------------------------------------- */

static int parse_res_nest(struct nlattr *nest, struct vgpu_guest *g)
{
	struct nlattr *tb[VGPU_A_RES_MAX + 1];
	struct vgpu_res *r;
	uint32_t type;

	if (nla_parse_nested(tb, VGPU_A_RES_MAX, nest, res_policy) < 0)
		return -EBADMSG;
	if (!tb[VGPU_A_RES_TYPE])
		return -EBADMSG;
	type = nla_get_u32(tb[VGPU_A_RES_TYPE]);
	if (type >= VGPU_RES_SLOTS)
		return 0;	/* newer module, more resources: skip */
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

/* Fill g from the attributes of a guest message (GET reply or event). */
static int parse_guest(struct nlattr **tb, struct nlattr *head, int len,
		       struct vgpu_guest *g)
{
	struct nlattr *nla;
	int rem, i, err;

	vgpu_guest_init(g);
	if (tb[VGPU_A_GUEST_ID])
		g->id = nla_get_u32(tb[VGPU_A_GUEST_ID]);
	if (tb[VGPU_A_GUEST_NAME])
		nla_strlcpy(g->name, tb[VGPU_A_GUEST_NAME], sizeof(g->name));
	if (tb[VGPU_A_GUEST_UID]) {
		g->uid = nla_get_u32(tb[VGPU_A_GUEST_UID]);
		g->has_uid = true;
	}
	if (tb[VGPU_A_GUEST_GID]) {
		g->gid = nla_get_u32(tb[VGPU_A_GUEST_GID]);
		g->has_gid = true;
	}
	if (tb[VGPU_A_GUEST_SESSIONS]) {
		g->sessions = nla_get_u32(tb[VGPU_A_GUEST_SESSIONS]);
		g->has_sessions = true;
	}
	for (i = 0; i < VGPU_RES_NR; i++) {
		if (tb[limit_attr[i]]) {
			g->res[i].limit = nla_get_u64(tb[limit_attr[i]]);
			g->res[i].present = true;
		}
	}
	/* several VGPU_A_GUEST_RES nests: nla_parse() keeps only the last */
	nla_for_each_attr(nla, head, len, rem) {
		if (nla_type(nla) != VGPU_A_GUEST_RES)
			continue;
		err = parse_res_nest(nla, g);
		if (err)
			return err;
	}
	return 0;
}

static int parse_msg(struct nl_msg *msg, struct nlattr **tb,
		     struct nlattr **head, int *len, uint8_t *cmd)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gnlh = nlmsg_data(nlh);

	if (genlmsg_parse(nlh, 0, tb, VGPU_A_MAX, attr_policy) < 0)
		return -EBADMSG;
	*head = genlmsg_attrdata(gnlh, 0);
	*len = genlmsg_attrlen(gnlh, 0);
	if (cmd)
		*cmd = gnlh->cmd;
	return 0;
}

/* ---- request / reply -------------------------------------------------- */

struct req_ctx {
	struct vnl *v;
	int done;
	int err;		/* negative errno */
	int (*parse)(struct nl_msg *msg, void *arg);
	void *arg;
};

static int error_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct req_ctx *c = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	int len = (int)nlh->nlmsg_len, ack_len;

	(void)nla;
	c->err = e->error < 0 ? e->error : -EIO;
	c->v->err = -c->err;
	c->done = 1;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	ack_len = NLMSG_HDRLEN + (int)sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		ack_len += (int)e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (len <= ack_len)
		return NL_STOP;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlh + ack_len),
		      len - ack_len, NULL) < 0)
		return NL_STOP;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(c->v->ext_msg, tb[NLMSGERR_ATTR_MSG],
			    sizeof(c->v->ext_msg));
	return NL_STOP;
}

static int finish_cb(struct nl_msg *msg, void *arg)
{
	struct req_ctx *c = arg;

	(void)msg;
	c->done = 1;
	return NL_STOP;
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct req_ctx *c = arg;
	int err;

	if (!c->parse)
		return NL_OK;
	err = c->parse(msg, c->arg);
	if (err && !c->err)
		c->err = err;
	return NL_OK;
}

static struct nl_msg *new_req(struct vnl *v, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, v->family, 0,
			 flags, cmd, VGPU_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Send msg (consumed), receive replies until ACK / DONE / error. */
static int transact(struct vnl *v, struct nl_msg *msg,
		    int (*parse)(struct nl_msg *, void *), void *arg)
{
	struct req_ctx c = { .v = v, .parse = parse, .arg = arg };
	struct nl_cb *cb;
	int err;

	v->err = 0;
	v->ext_msg[0] = '\0';
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	err = nl_send_auto(v->sk, msg);
	nlmsg_free(msg);
	if (err < 0) {
		nl_cb_put(cb);
		return nlerr_to_errno(err);
	}
	nl_cb_err(cb, NL_CB_CUSTOM, error_cb, &c);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, &c);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, finish_cb, &c);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, &c);
	while (!c.done) {
		err = nl_recvmsgs(v->sk, cb);
		if (err < 0 && !c.done) {
			c.err = nlerr_to_errno(err);
			break;
		}
	}
	nl_cb_put(cb);
	return c.err;
}

static int put_sel(struct nl_msg *msg, const struct vgpu_sel *sel)
{
	if (sel->by_id)
		return nla_put_u32(msg, VGPU_A_GUEST_ID, sel->id);
	return nla_put_string(msg, VGPU_A_GUEST_NAME, sel->name);
}

static int put_limits(struct nl_msg *msg, const struct vgpu_spec *spec)
{
	int i, err;

	for (i = 0; i < VGPU_RES_NR; i++) {
		if (!spec->has_limit[i])
			continue;
		err = nla_put_u64(msg, limit_attr[i], spec->limit[i]);
		if (err < 0)
			return err;
	}
	return 0;
}

struct one_guest {
	struct vgpu_guest *g;
	bool seen;
};

static int parse_one_guest(struct nl_msg *msg, void *arg)
{
	struct one_guest *o = arg;
	struct nlattr *tb[VGPU_A_MAX + 1], *head;
	int len, err;

	err = parse_msg(msg, tb, &head, &len, NULL);
	if (err)
		return err;
	err = parse_guest(tb, head, len, o->g);
	if (!err)
		o->seen = true;
	return err;
}

int vnl_guest_new(struct vnl *v, const struct vgpu_spec *spec,
		  struct vgpu_guest *reply, bool *has_reply)
{
	struct one_guest o = { .g = reply };
	struct nl_msg *msg;
	int err;

	msg = new_req(v, VGPU_NL_CMD_GUEST_NEW, NLM_F_ACK);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, VGPU_A_GUEST_NAME, spec->name) < 0 ||
	    (spec->has_uid &&
	     nla_put_u32(msg, VGPU_A_GUEST_UID, spec->uid) < 0) ||
	    (spec->has_gid &&
	     nla_put_u32(msg, VGPU_A_GUEST_GID, spec->gid) < 0) ||
	    put_limits(msg, spec) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	err = transact(v, msg, parse_one_guest, &o);
	if (has_reply)
		*has_reply = o.seen;
	return err;
}

int vnl_guest_del(struct vnl *v, const struct vgpu_sel *sel)
{
	struct nl_msg *msg;

	msg = new_req(v, VGPU_NL_CMD_GUEST_DEL, NLM_F_ACK);
	if (!msg)
		return -ENOMEM;
	if (put_sel(msg, sel) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return transact(v, msg, NULL, NULL);
}

int vnl_guest_set(struct vnl *v, const struct vgpu_sel *sel,
		  const struct vgpu_spec *spec)
{
	struct nl_msg *msg;

	msg = new_req(v, VGPU_NL_CMD_GUEST_SET, NLM_F_ACK);
	if (!msg)
		return -ENOMEM;
	if (put_sel(msg, sel) < 0 || put_limits(msg, spec) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return transact(v, msg, NULL, NULL);
}

int vnl_guest_get(struct vnl *v, const struct vgpu_sel *sel,
		  struct vgpu_guest *out)
{
	struct one_guest o = { .g = out };
	struct nl_msg *msg;
	int err;

	msg = new_req(v, VGPU_NL_CMD_GUEST_GET, NLM_F_ACK);
	if (!msg)
		return -ENOMEM;
	if (put_sel(msg, sel) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	err = transact(v, msg, parse_one_guest, &o);
	if (!err && !o.seen)
		err = -EBADMSG;	/* acked without a reply */
	return err;
}

struct guest_list {
	struct vgpu_guest *a;
	size_t n, cap;
};

static int parse_list_guest(struct nl_msg *msg, void *arg)
{
	struct guest_list *l = arg;
	struct one_guest o;
	int err;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct vgpu_guest *a = realloc(l->a, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		l->a = a;
		l->cap = cap;
	}
	o.g = &l->a[l->n];
	o.seen = false;
	err = parse_one_guest(msg, &o);
	if (err)
		return err;
	l->n++;
	return 0;
}

int vnl_guest_dump(struct vnl *v, struct vgpu_guest **out, size_t *n)
{
	struct guest_list l = { 0 };
	struct nl_msg *msg;
	int err;

	msg = new_req(v, VGPU_NL_CMD_GUEST_GET, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	err = transact(v, msg, parse_list_guest, &l);
	if (err) {
		free(l.a);
		return err;
	}
	*out = l.a;
	*n = l.n;
	return 0;
}

static int parse_stats(struct nl_msg *msg, void *arg)
{
	struct vgpu_stats *s = arg;
	struct nlattr *tb[VGPU_A_MAX + 1], *head;
	int len, err;

	err = parse_msg(msg, tb, &head, &len, NULL);
	if (err)
		return err;
	if (tb[VGPU_A_STATS_GUESTS]) {
		s->guests = nla_get_u32(tb[VGPU_A_STATS_GUESTS]);
		s->has_guests = true;
	}
	if (tb[VGPU_A_STATS_SESSIONS]) {
		s->sessions = nla_get_u32(tb[VGPU_A_STATS_SESSIONS]);
		s->has_sessions = true;
	}
	if (tb[VGPU_A_STATS_LIMIT_HITS]) {
		s->limit_hits = nla_get_u64(tb[VGPU_A_STATS_LIMIT_HITS]);
		s->has_limit_hits = true;
	}
	if (tb[VGPU_A_STATS_EVENTS]) {
		s->events = nla_get_u64(tb[VGPU_A_STATS_EVENTS]);
		s->has_events = true;
	}
	return 0;
}

int vnl_stats(struct vnl *v, struct vgpu_stats *out)
{
	struct nl_msg *msg;

	memset(out, 0, sizeof(*out));
	msg = new_req(v, VGPU_NL_CMD_STATS_GET, NLM_F_ACK);
	if (!msg)
		return -ENOMEM;
	return transact(v, msg, parse_stats, out);
}

/* ---- events ----------------------------------------------------------- */

int vnl_events_open(struct vnl *v)
{
	int grp, err;

	err = vnl_open(v);
	if (err)
		return err;
	grp = genl_ctrl_resolve_grp(v->sk, VGPU_GENL_NAME, VGPU_MCGRP_EVENTS);
	if (grp < 0) {
		err = grp == -NLE_OBJ_NOTFOUND ? -ENOENT : nlerr_to_errno(grp);
		goto close;
	}
	nl_socket_disable_seq_check(v->sk);
	err = nl_socket_add_membership(v->sk, grp);
	if (err < 0) {
		err = nlerr_to_errno(err);
		goto close;
	}
	err = nl_socket_set_nonblocking(v->sk);
	if (err < 0) {
		err = nlerr_to_errno(err);
		goto close;
	}
	return 0;
close:
	vnl_close(v);
	return err;
}

int vnl_events_fd(struct vnl *v)
{
	return nl_socket_get_fd(v->sk);
}

struct ev_ctx {
	vnl_event_cb cb;
	void *arg;
	int n;
};

static int event_cb(struct nl_msg *msg, void *arg)
{
	struct ev_ctx *c = arg;
	struct nlattr *tb[VGPU_A_MAX + 1], *head;
	struct vgpu_event ev;
	int len;

	memset(&ev, 0, sizeof(ev));
	if (parse_msg(msg, tb, &head, &len, &ev.cmd))
		return NL_SKIP;
	if (parse_guest(tb, head, len, &ev.g))
		return NL_SKIP;
	ev.has_id = tb[VGPU_A_GUEST_ID] != NULL;
	ev.has_name = tb[VGPU_A_GUEST_NAME] != NULL;
	if (tb[VGPU_A_EV_RESOURCE]) {
		ev.resource = nla_get_u32(tb[VGPU_A_EV_RESOURCE]);
		ev.has_resource = true;
	}
	if (tb[VGPU_A_EV_CURRENT]) {
		ev.current = nla_get_u64(tb[VGPU_A_EV_CURRENT]);
		ev.has_current = true;
	}
	if (tb[VGPU_A_EV_REQUESTED]) {
		ev.requested = nla_get_u64(tb[VGPU_A_EV_REQUESTED]);
		ev.has_requested = true;
	}
	if (tb[VGPU_A_EV_LIMIT]) {
		ev.limit = nla_get_u64(tb[VGPU_A_EV_LIMIT]);
		ev.has_limit = true;
	}
	c->n++;
	c->cb(&ev, c->arg);
	return NL_OK;
}

int vnl_events_read(struct vnl *v, vnl_event_cb cb, void *arg)
{
	struct ev_ctx c = { .cb = cb, .arg = arg };
	struct nl_cb *nlcb, *base;
	int err;

	/* a clone of the socket's callbacks keeps its disabled seq check */
	nlcb = nl_socket_get_cb(v->sk);
	if (!nlcb)
		return -ENOMEM;
	base = nlcb;
	nlcb = nl_cb_clone(base);
	nl_cb_put(base);
	if (!nlcb)
		return -ENOMEM;
	nl_cb_set(nlcb, NL_CB_VALID, NL_CB_CUSTOM, event_cb, &c);
	err = nl_recvmsgs(v->sk, nlcb);
	nl_cb_put(nlcb);
	if (err == -NLE_AGAIN)
		return c.n ? 0 : -EAGAIN;
	if (err == -NLE_NOMEM)
		return -ENOBUFS;	/* libnl reports ENOBUFS as NLE_NOMEM */
	if (err < 0)
		return nlerr_to_errno(err);
	return 0;
}
