/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink helpers of the vgpu selftests: the guest operations of the
 * "vgpu" family through libnl-genl, with the errno and the extended-ACK
 * message of every refusal kept for the test to check.
 */
#ifndef VGPU_SELFTEST_NL_H
#define VGPU_SELFTEST_NL_H

#include <stdbool.h>
#include <linux/types.h>
#include <linux/vgpu.h>

struct nl_sock;

/**
 * struct vnl - one netlink socket talking to the "vgpu" family
 * @sk: libnl socket
 * @family: resolved family id
 * @err: errno of the last request (0 or negative)
 * @extack: extended-ACK message of the last refused request ("" if none)
 * @ack_miss_type: NLMSGERR_ATTR_MISS_TYPE of the last refusal, 0 if none
 */
struct vnl {
	struct nl_sock *sk;
	int family;
	int err;
	char extack[256];
	int ack_miss_type;
};

/**
 * struct vnl_req - what a guest request carries; unset fields are left out
 * @id: VGPU_A_GUEST_ID when @has_id
 * @name: VGPU_A_GUEST_NAME when not NULL
 * @uid: VGPU_A_GUEST_UID when @has_uid
 * @gid: VGPU_A_GUEST_GID when @has_gid
 * @limits_set: bit (1 << enum vgpu_resource) per LIMIT_* attribute to send
 * @limits: the LIMIT_* values, indexed by enum vgpu_resource
 * @period_us: VGPU_A_COMPUTE_PERIOD when @has_period
 * @weight: VGPU_A_COMPUTE_WEIGHT when @has_weight
 */
struct vnl_req {
	__u32 id;
	bool has_id;
	const char *name;
	__u32 uid;
	bool has_uid;
	__u32 gid;
	bool has_gid;
	unsigned int limits_set;
	__u64 limits[VGPU_RES_SLOTS];
	__u32 period_us;
	bool has_period;
	__u32 weight;
	bool has_weight;
};

/** struct vnl_res - one VGPU_A_GUEST_RES nest of a reply */
struct vnl_res {
	bool present;
	__u64 current;
	__u64 peak;
	__u64 limit;
	__u64 limit_hits;
};

/** struct vnl_guest - a guest as GUEST_GET (or GUEST_NEW, or an event) tells it */
struct vnl_guest {
	bool has_id, has_name, has_uid, has_gid, has_sessions;
	__u32 id;
	char name[64];
	__u32 uid;
	__u32 gid;
	__u32 sessions;
	struct vnl_res res[VGPU_RES_SLOTS];
	/* compute: has_compute when COMPUTE_PERIOD came */
	bool has_compute;
	__u32 period_us, weight, share_period, share_second;
	__u64 consumed, throttled, fallback;
};

/** struct vnl_stats - STATS_GET reply */
struct vnl_stats {
	bool has_guests, has_sessions, has_limit_hits, has_events;
	bool has_events_dropped;
	__u32 guests;
	__u32 sessions;
	__u64 limit_hits;
	__u64 events;
	__u64 events_dropped;
};

/** struct vnl_event - one notification of the "events" group */
struct vnl_event {
	int cmd;
	struct vnl_guest guest;
	bool has_resource, has_current, has_requested, has_limit;
	__u32 resource;
	__u64 current;
	__u64 requested;
	__u64 limit;
	bool has_device, has_wait;
	__u32 device;
	__u64 wait;
};

/* All calls return 0 (or a count) or a negative errno. */
int vnl_open(struct vnl *nl);		/* -ENOENT: no "vgpu" family */
void vnl_close(struct vnl *nl);

int vnl_guest_new(struct vnl *nl, const struct vnl_req *req, struct vnl_guest *out);
int vnl_guest_del(struct vnl *nl, const struct vnl_req *req);
int vnl_guest_get(struct vnl *nl, const struct vnl_req *req, struct vnl_guest *out);
int vnl_guest_set(struct vnl *nl, const struct vnl_req *req);
/* Fills up to @max guests, returns how many the dump held (may be > @max). */
int vnl_guest_dump(struct vnl *nl, struct vnl_guest *out, int max);
int vnl_stats_get(struct vnl *nl, struct vnl_stats *out);

/* Shorthands by id / by name. */
int vnl_get_id(struct vnl *nl, __u32 id, struct vnl_guest *out);
int vnl_get_name(struct vnl *nl, const char *name, struct vnl_guest *out);
int vnl_del_id(struct vnl *nl, __u32 id);
int vnl_del_name(struct vnl *nl, const char *name);
int vnl_set_limit(struct vnl *nl, __u32 id, enum vgpu_resource res, __u64 limit);

/* Events: a socket joined to the "events" group. */
int vnl_events_open(struct vnl *nl);
/* Next event of @cmd (any if 0) about guest @guest_id (any if 0), skipping
 * others; -ETIMEDOUT after @timeout_ms. */
int vnl_event_wait(struct vnl *nl, int cmd, __u32 guest_id, int timeout_ms,
		   struct vnl_event *ev);

static inline void vnl_req_limit(struct vnl_req *req, enum vgpu_resource res, __u64 v)
{
	req->limits_set |= 1U << res;
	req->limits[res] = v;
}

#endif /* VGPU_SELFTEST_NL_H */
