// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu: the "vgpu" generic netlink family, the control plane.
 *
 * Administrators (CAP_NET_ADMIN) create, change and destroy guests and see
 * them all; any other user sees the guests it owns (GUEST_GET and its dump
 * skip the others, as if they did not exist) and the module-wide counters
 * of STATS_GET. The "events" multicast group, which announces guests
 * created and destroyed and charges refused, is for administrators only
 * (GENL_MCAST_CAP_NET_ADMIN). Documentation/netlink/specs/vgpu.yaml
 * describes the family.
 *
 * Classic struct genl_ops with per-op policies, so that the same source
 * builds on 6.1 and on later kernels. Every op is strictly validated:
 * attributes an op does not know are refused.
 */
#include <linux/cred.h>
#include <linux/user_namespace.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "vgpu.h"

enum {
	VGPU_NL_GRP_EVENTS,
};

/*
 * Subscribing to "events" needs CAP_NET_ADMIN where genetlink can say so:
 * Linux 6.7 and the stable kernels that took that change (Debian's 6.1
 * has it). Without it, unprivileged listeners could not be kept out, so
 * no event is sent at all.
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define VGPU_NL_EVENTS_FLAGS	GENL_MCAST_CAP_NET_ADMIN
#define VGPU_NL_EVENTS		true
#else
#define VGPU_NL_EVENTS_FLAGS	0
#define VGPU_NL_EVENTS		false
#endif

static struct genl_family vgpu_genl_family;

static const unsigned int vgpu_limit_attr[VGPU_RES_NR] = {
	[VGPU_RES_MEMORY] = VGPU_A_LIMIT_MEMORY,
	[VGPU_RES_PINNED] = VGPU_A_LIMIT_PINNED,
	[VGPU_RES_CONTEXTS] = VGPU_A_LIMIT_CONTEXTS,
	[VGPU_RES_COMPUTE] = VGPU_A_LIMIT_COMPUTE,
};

/* ------------------------------------------------------------------------ */
/* messages                                                                 */

static int vgpu_nl_put_res(struct sk_buff *msg, unsigned int type,
			   const struct vgpu_ledger *l)
{
	struct nlattr *nest;

	nest = nla_nest_start(msg, VGPU_A_GUEST_RES);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(msg, VGPU_A_RES_TYPE, type) ||
	    nla_put_u64_64bit(msg, VGPU_A_RES_CURRENT, l->used,
			      VGPU_A_RES_PAD) ||
	    nla_put_u64_64bit(msg, VGPU_A_RES_PEAK, l->peak, VGPU_A_RES_PAD) ||
	    nla_put_u64_64bit(msg, VGPU_A_RES_LIMIT, l->limit,
			      VGPU_A_RES_PAD) ||
	    nla_put_u64_64bit(msg, VGPU_A_RES_LIMIT_HITS, l->limit_hits,
			      VGPU_A_RES_PAD)) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int vgpu_nl_put_compute(struct sk_buff *msg, struct vgpu_guest *g)
{
	struct vgpu_compute_usage u;

	vgpu_compute_usage(g, &u);
	if (nla_put_u32(msg, VGPU_A_COMPUTE_PERIOD, u.period_us) ||
	    nla_put_u32(msg, VGPU_A_COMPUTE_WEIGHT, u.weight) ||
	    nla_put_u64_64bit(msg, VGPU_A_COMPUTE_CONSUMED, u.consumed_ns,
			      VGPU_A_PAD) ||
	    nla_put_u32(msg, VGPU_A_COMPUTE_SHARE_PERIOD, u.share_period) ||
	    nla_put_u32(msg, VGPU_A_COMPUTE_SHARE_SECOND, u.share_second) ||
	    nla_put_u64_64bit(msg, VGPU_A_COMPUTE_THROTTLED, u.throttled_ns,
			      VGPU_A_PAD) ||
	    nla_put_u64_64bit(msg, VGPU_A_COMPUTE_FALLBACK, u.fallback_ns,
			      VGPU_A_PAD))
		return -EMSGSIZE;
	return 0;
}

/*
 * One guest, as GUEST_GET replies, GUEST_NEW replies and GUEST_CREATED_NTF
 * carry it. vgpu_lock held (for @g->sessions).
 */
static int vgpu_nl_fill_guest(struct sk_buff *msg, struct vgpu_guest *g,
			      struct user_namespace *ns, u32 portid, u32 seq,
			      int flags, u8 cmd)
{
	struct vgpu_ledger res[VGPU_RES_NR];
	unsigned int i;
	void *hdr;

	lockdep_assert_held(&vgpu_lock);
	hdr = genlmsg_put(msg, portid, seq, &vgpu_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	vgpu_guest_snapshot(g, res);
	if (nla_put_u32(msg, VGPU_A_GUEST_ID, g->id) ||
	    nla_put_string(msg, VGPU_A_GUEST_NAME, g->name) ||
	    nla_put_u32(msg, VGPU_A_GUEST_UID, from_kuid_munged(ns, g->uid)) ||
	    nla_put_u32(msg, VGPU_A_GUEST_GID, from_kgid_munged(ns, g->gid)) ||
	    nla_put_u32(msg, VGPU_A_GUEST_SESSIONS, g->sessions))
		goto cancel;
	for (i = 0; i < VGPU_RES_NR; i++)
		if (vgpu_nl_put_res(msg, i, &res[i]))
			goto cancel;
	if (vgpu_nl_put_compute(msg, g))
		goto cancel;
	genlmsg_end(msg, hdr);
	return 0;

cancel:
	genlmsg_cancel(msg, hdr);
	return -EMSGSIZE;
}

static bool vgpu_nl_listened(void)
{
	return VGPU_NL_EVENTS &&
	       genl_has_listeners(&vgpu_genl_family, &init_net,
				  VGPU_NL_GRP_EVENTS);
}

/*
 * May a requester see @g? Administrators see every guest, others their own
 * (@requester: the effective uid of the task that asks).
 */
static bool vgpu_nl_may_see(bool admin, kuid_t requester,
			    const struct vgpu_guest *g)
{
	return admin || uid_eq(g->uid, requester);
}

static bool vgpu_nl_admin(const struct sk_buff *skb)
{
	return netlink_capable(skb, CAP_NET_ADMIN);
}

/* Send an event built by the helpers below (NULL: nobody listens). */
static void vgpu_nl_multicast(struct sk_buff *msg)
{
	if (msg && !genlmsg_multicast(&vgpu_genl_family, msg, 0,
				      VGPU_NL_GRP_EVENTS, GFP_KERNEL))
		atomic64_inc(&vgpu_nr_events);
}

/* GUEST_CREATED_NTF, or NULL when nobody listens. vgpu_lock held. */
static struct sk_buff *vgpu_nl_created_ntf(struct vgpu_guest *g)
{
	struct sk_buff *msg;

	if (!vgpu_nl_listened())
		return NULL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	if (vgpu_nl_fill_guest(msg, g, &init_user_ns, 0, 0, 0,
			       VGPU_NL_CMD_GUEST_CREATED_NTF)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* GUEST_DESTROYED_NTF, or NULL when nobody listens. */
static struct sk_buff *vgpu_nl_destroyed_ntf(struct vgpu_guest *g)
{
	struct sk_buff *msg;
	void *hdr;

	if (!vgpu_nl_listened())
		return NULL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	hdr = genlmsg_put(msg, 0, 0, &vgpu_genl_family, 0,
			  VGPU_NL_CMD_GUEST_DESTROYED_NTF);
	if (!hdr || nla_put_u32(msg, VGPU_A_GUEST_ID, g->id) ||
	    nla_put_string(msg, VGPU_A_GUEST_NAME, g->name)) {
		nlmsg_free(msg);
		return NULL;
	}
	genlmsg_end(msg, hdr);
	return msg;
}

/**
 * vgpu_nl_notify_limit_hit - announce a refused charge on "events"
 * @g: the guest
 * @res: enum vgpu_resource
 * @used: usage when the charge was refused
 * @requested: the amount asked for
 * @limit: the limit in force
 *
 * Context: process context, no spinlock held. Does nothing when nobody
 * listens. At most VGPU_EVENTS_BURST events per VGPU_EVENTS_INTERVAL per
 * guest; the others are counted in vgpu_nr_events_dropped.
 */
void vgpu_nl_notify_limit_hit(struct vgpu_guest *g, unsigned int res,
			      u64 used, u64 requested, u64 limit)
{
	struct sk_buff *msg;
	void *hdr;

	if (!vgpu_nl_listened())
		return;
	if (!__ratelimit(&g->events_rs)) {
		atomic64_inc(&vgpu_nr_events_dropped);
		return;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &vgpu_genl_family, 0,
			  VGPU_NL_CMD_LIMIT_HIT_NTF);
	if (!hdr || nla_put_u32(msg, VGPU_A_GUEST_ID, g->id) ||
	    nla_put_string(msg, VGPU_A_GUEST_NAME, g->name) ||
	    nla_put_u32(msg, VGPU_A_EV_RESOURCE, res) ||
	    nla_put_u64_64bit(msg, VGPU_A_EV_CURRENT, used, VGPU_A_PAD) ||
	    nla_put_u64_64bit(msg, VGPU_A_EV_REQUESTED, requested,
			      VGPU_A_PAD) ||
	    nla_put_u64_64bit(msg, VGPU_A_EV_LIMIT, limit, VGPU_A_PAD)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	vgpu_nl_multicast(msg);
}

/**
 * vgpu_nl_notify_throttled - announce a refused compute lease on "events"
 * @g: the guest
 * @device: the device
 * @wait_ns: time until the guest's budget refills
 *
 * Context: process context, no spinlock held. The caller rate-limits.
 */
void vgpu_nl_notify_throttled(struct vgpu_guest *g, u32 device, u64 wait_ns)
{
	struct sk_buff *msg;
	void *hdr;

	if (!vgpu_nl_listened())
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &vgpu_genl_family, 0,
			  VGPU_NL_CMD_THROTTLED_NTF);
	if (!hdr || nla_put_u32(msg, VGPU_A_GUEST_ID, g->id) ||
	    nla_put_string(msg, VGPU_A_GUEST_NAME, g->name) ||
	    nla_put_u32(msg, VGPU_A_EV_DEVICE, device) ||
	    nla_put_u64_64bit(msg, VGPU_A_EV_WAIT, wait_ns, VGPU_A_PAD)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	vgpu_nl_multicast(msg);
}

/* ------------------------------------------------------------------------ */
/* requests                                                                 */

/* The guest named by ID or NAME (both: they must agree). vgpu_lock held. */
static struct vgpu_guest *vgpu_nl_lookup(struct genl_info *info)
{
	struct nlattr *id = info->attrs[VGPU_A_GUEST_ID];
	struct nlattr *name = info->attrs[VGPU_A_GUEST_NAME];
	struct vgpu_guest *g;

	lockdep_assert_held(&vgpu_lock);
	if (!id && !name) {
		NL_SET_ERR_MSG(info->extack, "missing guest id or name");
		return ERR_PTR(-EINVAL);
	}
	if (id)
		g = vgpu_guest_find(nla_get_u32(id));
	else
		g = vgpu_guest_find_by_name(nla_data(name));
	if (!g) {
		NL_SET_ERR_MSG_ATTR(info->extack, id ?: name, "no such guest");
		return ERR_PTR(-ENOENT);
	}
	if (id && name && strcmp(g->name, nla_data(name))) {
		NL_SET_ERR_MSG_ATTR(info->extack, name,
				    "guest id and name name different guests");
		return ERR_PTR(-ENOENT);
	}
	return g;
}

/* Read the LIMIT_* attributes present into @limits, their bits into @mask. */
static int vgpu_nl_parse_limits(struct genl_info *info,
				u64 limits[VGPU_RES_NR], unsigned long *mask)
{
	unsigned int i;

	*mask = 0;
	for (i = 0; i < VGPU_RES_NR; i++) {
		struct nlattr *attr = info->attrs[vgpu_limit_attr[i]];
		u64 v;

		if (!attr)
			continue;
		v = nla_get_u64(attr);
		if (i == VGPU_RES_COMPUTE && v != VGPU_LIMIT_UNLIMITED &&
		    (v < 1 || v > 100)) {
			NL_SET_ERR_MSG_ATTR(info->extack, attr,
					    "compute limit must be 1..100 (percent) or unlimited");
			return -EINVAL;
		}
		limits[i] = v;
		*mask |= BIT(i);
	}
	return 0;
}

/*
 * Read COMPUTE_PERIOD / COMPUTE_WEIGHT into @period_us / @weight, their
 * VGPU_COMPUTE_SET_* bits into @mask. EINVAL (like a compute limit out of
 * range) rather than the policy's ERANGE.
 */
static int vgpu_nl_parse_compute(struct genl_info *info, u32 *period_us,
				 u32 *weight, unsigned long *mask)
{
	struct nlattr *period = info->attrs[VGPU_A_COMPUTE_PERIOD];
	struct nlattr *w = info->attrs[VGPU_A_COMPUTE_WEIGHT];

	*mask = 0;
	if (period) {
		*period_us = nla_get_u32(period);
		if (*period_us < VGPU_COMPUTE_PERIOD_MIN_US ||
		    *period_us > VGPU_COMPUTE_PERIOD_MAX_US) {
			NL_SET_ERR_MSG_ATTR(info->extack, period,
					    "compute period must be 10000..1000000 (microseconds)");
			return -EINVAL;
		}
		*mask |= VGPU_COMPUTE_SET_PERIOD;
	}
	if (w) {
		*weight = nla_get_u32(w);
		if (*weight > VGPU_COMPUTE_WEIGHT_MAX) {
			NL_SET_ERR_MSG_ATTR(info->extack, w,
					    "compute weight must be 1..10000, or 0 for none");
			return -EINVAL;
		}
		*mask |= VGPU_COMPUTE_SET_WEIGHT;
	}
	return 0;
}

/*
 * The new guest's name and owner from @info: the uid and gid attributes are
 * read in @ns (the requesting socket's namespace, as GET and dumps use);
 * without them the owner is the caller.
 */
static int vgpu_nl_parse_owner(struct genl_info *info, struct user_namespace *ns,
			       const char **name, kuid_t *uid, kgid_t *gid)
{
	struct nlattr **tb = info->attrs;

	*uid = current_euid();
	*gid = current_egid();
	if (!tb[VGPU_A_GUEST_NAME]) {
		NL_SET_ERR_MSG(info->extack, "missing guest name");
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, VGPU_A_GUEST_NAME);
		return -EINVAL;
	}
	*name = nla_data(tb[VGPU_A_GUEST_NAME]);
	if (!vgpu_name_valid(*name)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[VGPU_A_GUEST_NAME],
				    "guest name must be 1..31 characters of [A-Za-z0-9_.-], not all digits");
		return -EINVAL;
	}
	if (tb[VGPU_A_GUEST_UID]) {
		*uid = make_kuid(ns, nla_get_u32(tb[VGPU_A_GUEST_UID]));
		if (!uid_valid(*uid)) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[VGPU_A_GUEST_UID],
					    "uid not mapped in the caller's user namespace");
			return -EINVAL;
		}
	}
	if (tb[VGPU_A_GUEST_GID]) {
		*gid = make_kgid(ns, nla_get_u32(tb[VGPU_A_GUEST_GID]));
		if (!gid_valid(*gid)) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[VGPU_A_GUEST_GID],
					    "gid not mapped in the caller's user namespace");
			return -EINVAL;
		}
	}
	return 0;
}

static int vgpu_nl_guest_new(struct sk_buff *skb, struct genl_info *info)
{
	/* the requesting socket's namespace, as GET and dumps use */
	struct user_namespace *ns = sk_user_ns(NETLINK_CB(skb).sk);
	struct nlattr **tb = info->attrs;
	struct sk_buff *reply;
	kuid_t uid;
	kgid_t gid;
	u64 limits[VGPU_RES_NR];
	struct vgpu_guest *g;
	unsigned long mask, cmask;
	u32 period_us = 0, weight = 0;
	const char *name;
	unsigned int i;
	int ret;

	ret = vgpu_nl_parse_owner(info, ns, &name, &uid, &gid);
	if (ret)
		return ret;
	for (i = 0; i < VGPU_RES_NR; i++)
		limits[i] = VGPU_LIMIT_UNLIMITED;
	ret = vgpu_nl_parse_limits(info, limits, &mask);
	if (ret)
		return ret;
	ret = vgpu_nl_parse_compute(info, &period_us, &weight, &cmask);
	if (ret)
		return ret;

	/* allocated first: once the guest exists, the reply cannot fail */
	reply = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;

	mutex_lock(&vgpu_lock);
	g = vgpu_guest_create(name, uid, gid, limits);
	if (IS_ERR(g)) {
		ret = PTR_ERR(g);
		if (ret == -EEXIST)
			NL_SET_ERR_MSG_ATTR(info->extack, tb[VGPU_A_GUEST_NAME],
					    "guest name exists");
		else if (ret == -ENOSPC)
			NL_SET_ERR_MSG(info->extack, "no guest id left");
		goto unlock;
	}
	if (cmask)
		vgpu_compute_set(g, period_us, weight, cmask);
	ret = vgpu_nl_fill_guest(reply, g, ns, info->snd_portid,
				 info->snd_seq, 0, VGPU_NL_CMD_GUEST_NEW);
	if (WARN_ON_ONCE(ret)) {
		vgpu_guest_destroy(g);
		goto unlock;
	}
	/*
	 * Events are sent under vgpu_lock, so that they leave in the order
	 * the guests changed: with parallel ops, a CREATED sent after the
	 * unlock could follow the DESTROYED of a concurrent delete.
	 */
	vgpu_nl_multicast(vgpu_nl_created_ntf(g));
	mutex_unlock(&vgpu_lock);

	return genlmsg_reply(reply, info);

unlock:
	mutex_unlock(&vgpu_lock);
	nlmsg_free(reply);
	return ret;
}

static int vgpu_nl_guest_del(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *ntf;
	struct vgpu_guest *g;
	int ret;

	mutex_lock(&vgpu_lock);
	g = vgpu_nl_lookup(info);
	if (IS_ERR(g)) {
		ret = PTR_ERR(g);
		goto unlock;
	}
	if (g->sessions) {
		NL_SET_ERR_MSG(info->extack, "guest has attached sessions");
		ret = -EBUSY;
		goto unlock;
	}
	ntf = vgpu_nl_destroyed_ntf(g);
	ret = vgpu_guest_destroy(g);
	vgpu_nl_multicast(ntf);		/* under vgpu_lock, see guest_new */
	mutex_unlock(&vgpu_lock);
	return ret;

unlock:
	mutex_unlock(&vgpu_lock);
	return ret;
}

static int vgpu_nl_guest_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *reply;
	struct vgpu_guest *g;
	int ret;

	reply = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;

	mutex_lock(&vgpu_lock);
	g = vgpu_nl_lookup(info);
	if (!IS_ERR(g) &&
	    !vgpu_nl_may_see(vgpu_nl_admin(skb), current_euid(), g)) {
		/* the same answer as for a guest that does not exist */
		NL_SET_ERR_MSG(info->extack, "no such guest");
		g = ERR_PTR(-ENOENT);
	}
	if (IS_ERR(g))
		ret = PTR_ERR(g);
	else
		ret = vgpu_nl_fill_guest(reply, g,
					 sk_user_ns(NETLINK_CB(skb).sk),
					 info->snd_portid, info->snd_seq, 0,
					 VGPU_NL_CMD_GUEST_GET);
	mutex_unlock(&vgpu_lock);

	if (ret) {
		nlmsg_free(reply);
		return ret;
	}
	return genlmsg_reply(reply, info);
}

/*
 * cb->args[0]: the id to resume from; [1]: the requester is an
 * administrator; [2]: its effective uid. Who may see what is decided when
 * the dump starts, in the requesting task: a dump continues in whichever
 * task reads the socket.
 */
static int vgpu_nl_guest_get_start(struct netlink_callback *cb)
{
	cb->args[1] = vgpu_nl_admin(cb->skb);
	cb->args[2] = __kuid_val(current_euid());
	return 0;
}

static int vgpu_nl_guest_get_dumpit(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	kuid_t requester = KUIDT_INIT(cb->args[2]);
	struct vgpu_guest *g;
	unsigned long id;
	int ret = 0;

	mutex_lock(&vgpu_lock);
	xa_for_each_start(&vgpu_guests, id, g, cb->args[0]) {
		if (!vgpu_nl_may_see(cb->args[1], requester, g)) {
			cb->args[0] = id + 1;
			continue;
		}
		/* the requester's user namespace: a dump continues in
		 * whichever task reads the socket */
		ret = vgpu_nl_fill_guest(skb, g,
					 sk_user_ns(NETLINK_CB(cb->skb).sk),
					 NETLINK_CB(cb->skb).portid,
					 cb->nlh->nlmsg_seq, NLM_F_MULTI,
					 VGPU_NL_CMD_GUEST_GET);
		if (ret)
			break;
		cb->args[0] = id + 1;
	}
	mutex_unlock(&vgpu_lock);

	/* a full skb is sent, the dump resumes at cb->args[0] */
	if (ret && !skb->len)
		return ret;
	return skb->len;
}

static int vgpu_nl_guest_set(struct sk_buff *skb, struct genl_info *info)
{
	u32 period_us = 0, weight = 0;
	u64 limits[VGPU_RES_NR];
	unsigned long mask, cmask;
	struct vgpu_guest *g;
	int ret;

	ret = vgpu_nl_parse_limits(info, limits, &mask);
	if (ret)
		return ret;
	ret = vgpu_nl_parse_compute(info, &period_us, &weight, &cmask);
	if (ret)
		return ret;
	if (mask & BIT(VGPU_RES_COMPUTE))
		cmask |= VGPU_COMPUTE_SET_LIMIT;

	mutex_lock(&vgpu_lock);
	g = vgpu_nl_lookup(info);
	if (IS_ERR(g)) {
		ret = PTR_ERR(g);
	} else {
		vgpu_guest_set_limits(g, limits, mask);
		if (cmask)
			vgpu_compute_set(g, period_us, weight, cmask);
	}
	mutex_unlock(&vgpu_lock);
	return ret;
}

static int vgpu_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *reply;
	unsigned int guests;
	void *hdr;

	reply = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	hdr = genlmsg_put_reply(reply, info, &vgpu_genl_family, 0,
				VGPU_NL_CMD_STATS_GET);
	if (!hdr)
		goto nomem;

	mutex_lock(&vgpu_lock);
	guests = vgpu_nr_guests;
	mutex_unlock(&vgpu_lock);

	if (nla_put_u32(reply, VGPU_A_STATS_GUESTS, guests) ||
	    nla_put_u32(reply, VGPU_A_STATS_SESSIONS,
			atomic_read(&vgpu_nr_sessions)) ||
	    nla_put_u64_64bit(reply, VGPU_A_STATS_LIMIT_HITS,
			      atomic64_read(&vgpu_nr_limit_hits), VGPU_A_PAD) ||
	    nla_put_u64_64bit(reply, VGPU_A_STATS_EVENTS,
			      atomic64_read(&vgpu_nr_events), VGPU_A_PAD) ||
	    nla_put_u64_64bit(reply, VGPU_A_STATS_EVENTS_DROPPED,
			      atomic64_read(&vgpu_nr_events_dropped),
			      VGPU_A_PAD))
		goto nomem;
	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);

nomem:
	nlmsg_free(reply);
	return -EMSGSIZE;
}

/* ------------------------------------------------------------------------ */
/* the family                                                               */

#define VGPU_NL_POLICY_NAME \
	{ .type = NLA_NUL_STRING, .len = VGPU_NAME_MAX - 1 }

static const struct nla_policy vgpu_nl_new_policy[VGPU_A_MAX + 1] = {
	[VGPU_A_GUEST_NAME] = VGPU_NL_POLICY_NAME,
	[VGPU_A_GUEST_UID] = { .type = NLA_U32 },
	[VGPU_A_GUEST_GID] = { .type = NLA_U32 },
	[VGPU_A_LIMIT_MEMORY] = { .type = NLA_U64 },
	[VGPU_A_LIMIT_PINNED] = { .type = NLA_U64 },
	[VGPU_A_LIMIT_CONTEXTS] = { .type = NLA_U64 },
	[VGPU_A_LIMIT_COMPUTE] = { .type = NLA_U64 },
	[VGPU_A_COMPUTE_PERIOD] = { .type = NLA_U32 },
	[VGPU_A_COMPUTE_WEIGHT] = { .type = NLA_U32 },
};

/* GUEST_DEL, GUEST_GET */
static const struct nla_policy vgpu_nl_guest_policy[VGPU_A_MAX + 1] = {
	[VGPU_A_GUEST_ID] = { .type = NLA_U32 },
	[VGPU_A_GUEST_NAME] = VGPU_NL_POLICY_NAME,
};

static const struct nla_policy vgpu_nl_set_policy[VGPU_A_MAX + 1] = {
	[VGPU_A_GUEST_ID] = { .type = NLA_U32 },
	[VGPU_A_GUEST_NAME] = VGPU_NL_POLICY_NAME,
	[VGPU_A_LIMIT_MEMORY] = { .type = NLA_U64 },
	[VGPU_A_LIMIT_PINNED] = { .type = NLA_U64 },
	[VGPU_A_LIMIT_CONTEXTS] = { .type = NLA_U64 },
	[VGPU_A_LIMIT_COMPUTE] = { .type = NLA_U64 },
	[VGPU_A_COMPUTE_PERIOD] = { .type = NLA_U32 },
	[VGPU_A_COMPUTE_WEIGHT] = { .type = NLA_U32 },
};

/* STATS_GET takes no attribute; with no policy, any attribute is refused. */
static const struct genl_ops vgpu_nl_ops[] = {
	{
		.cmd = VGPU_NL_CMD_GUEST_NEW,
		.flags = GENL_ADMIN_PERM,
		.doit = vgpu_nl_guest_new,
		.policy = vgpu_nl_new_policy,
		.maxattr = VGPU_A_MAX,
	},
	{
		.cmd = VGPU_NL_CMD_GUEST_DEL,
		.flags = GENL_ADMIN_PERM,
		.doit = vgpu_nl_guest_del,
		.policy = vgpu_nl_guest_policy,
		.maxattr = VGPU_A_MAX,
	},
	{
		.cmd = VGPU_NL_CMD_GUEST_GET,
		.doit = vgpu_nl_guest_get_doit,
		.start = vgpu_nl_guest_get_start,
		.dumpit = vgpu_nl_guest_get_dumpit,
		.policy = vgpu_nl_guest_policy,
		.maxattr = VGPU_A_MAX,
	},
	{
		.cmd = VGPU_NL_CMD_GUEST_SET,
		.flags = GENL_ADMIN_PERM,
		.doit = vgpu_nl_guest_set,
		.policy = vgpu_nl_set_policy,
		.maxattr = VGPU_A_MAX,
	},
	{
		.cmd = VGPU_NL_CMD_STATS_GET,
		.doit = vgpu_nl_stats_get,
	},
};

static const struct genl_multicast_group vgpu_nl_mcgrps[] = {
	[VGPU_NL_GRP_EVENTS] = { .name = VGPU_MCGRP_EVENTS,
				 .flags = VGPU_NL_EVENTS_FLAGS },
};

static struct genl_family vgpu_genl_family __ro_after_init = {
	.name = VGPU_GENL_NAME,
	.version = VGPU_GENL_VERSION,
	.netnsok = false,
	.parallel_ops = true,		/* vgpu_lock serialises what needs it */
	.module = THIS_MODULE,
	.ops = vgpu_nl_ops,
	.n_ops = ARRAY_SIZE(vgpu_nl_ops),
	/* every op is new: reserved header bytes checked, strict policies */
	.resv_start_op = VGPU_NL_CMD_GUEST_NEW,
	.mcgrps = vgpu_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vgpu_nl_mcgrps),
};

int vgpu_nl_register(void)
{
	return genl_register_family(&vgpu_genl_family);
}

void vgpu_nl_unregister(void)
{
	genl_unregister_family(&vgpu_genl_family);
}
