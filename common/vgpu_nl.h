/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vgpu_nl - the one userspace client of the "vgpu" generic netlink family
 * (libnl-genl-3), shared by vgpuctl, vgpu-exporter, the selftests and the
 * benchmarks.
 *
 * Every call returns 0 (or a count) or a negative errno. After a request the
 * kernel's verdict stays in the handle: @err, the extended-ACK text @ext_msg
 * and the missing attribute @miss_type, so a caller can report (or a test can
 * check) what the kernel said. Replies are parsed strictly against
 * vgpu_nl_attrs[], the attribute table that tests/suites/host/15-tools checks
 * against Documentation/netlink/specs/vgpu.yaml.
 */
#ifndef VGPU_COMMON_NL_H
#define VGPU_COMMON_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/vgpu.h>

struct nl_sock;

/**
 * struct vgpu_nl - one netlink socket talking to the "vgpu" family
 * @sk: libnl socket
 * @family: resolved family id
 * @err: the last request's result: 0 or a negative errno
 * @ext_msg: extended-ACK message of the last refusal, "" if none
 * @miss_type: NLMSGERR_ATTR_MISS_TYPE of the last refusal, 0 if none
 */
struct vgpu_nl {
	struct nl_sock *sk;
	int family;
	int err;
	char ext_msg[256];
	int miss_type;
};

/**
 * struct vgpu_nl_req - what a guest request carries; unset fields stay out
 * @has_id: send VGPU_A_GUEST_ID = @id
 * @id: guest id
 * @name: VGPU_A_GUEST_NAME when not NULL
 * @has_uid: send VGPU_A_GUEST_UID = @uid
 * @uid: owner uid
 * @has_gid: send VGPU_A_GUEST_GID = @gid
 * @gid: owner gid
 * @limits_set: bit (1 << enum vgpu_resource) per VGPU_A_LIMIT_* to send
 * @limits: the limit values, indexed by enum vgpu_resource
 * @has_period: send VGPU_A_COMPUTE_PERIOD = @period_us
 * @period_us: compute period, microseconds
 * @has_weight: send VGPU_A_COMPUTE_WEIGHT = @weight
 * @weight: compute weight
 */
struct vgpu_nl_req {
	bool has_id;
	uint32_t id;
	const char *name;
	bool has_uid;
	uint32_t uid;
	bool has_gid;
	uint32_t gid;
	unsigned int limits_set;
	uint64_t limits[VGPU_RES_SLOTS];
	bool has_period;
	uint32_t period_us;
	bool has_weight;
	uint32_t weight;
};

static inline void vgpu_nl_req_limit(struct vgpu_nl_req *req,
				     enum vgpu_resource res, uint64_t v)
{
	req->limits_set |= 1U << res;
	req->limits[res] = v;
}

/**
 * struct vgpu_nl_res - the books of one resource in a guest message
 * @present: a VGPU_A_GUEST_RES nest or a VGPU_A_LIMIT_* attribute was seen
 * @has_usage: the nest carried current/peak/hits
 * @current: in use now
 * @peak: highest use seen
 * @limit: the limit, VGPU_LIMIT_UNLIMITED when none (or not sent)
 * @limit_hits: charges refused because of the limit
 */
struct vgpu_nl_res {
	bool present, has_usage;
	uint64_t current, peak, limit, limit_hits;
};

/**
 * struct vgpu_nl_guest - a guest as GUEST_GET, GUEST_NEW or an event tells it
 * @has_compute: VGPU_A_COMPUTE_PERIOD came, and with it the compute fields:
 * @period_us: compute period; @weight: compute weight; @share_period,
 * @share_second: shares of the last period and second (see the spec);
 * @consumed, @throttled, @fallback: compute nanoseconds (see the spec)
 */
struct vgpu_nl_guest {
	bool has_id, has_name, has_uid, has_gid, has_sessions;
	uint32_t id;
	char name[VGPU_NAME_MAX];
	uint32_t uid, gid, sessions;
	struct vgpu_nl_res res[VGPU_RES_SLOTS];
	bool has_compute;
	uint32_t period_us, weight, share_period, share_second;
	uint64_t consumed, throttled, fallback;
};

/** struct vgpu_nl_stats - the STATS_GET reply */
struct vgpu_nl_stats {
	bool has_guests, has_sessions, has_limit_hits, has_events;
	bool has_events_dropped;	/* LIMIT_HIT events the rate limit dropped */
	uint32_t guests, sessions;
	uint64_t limit_hits, events, events_dropped;
};

/** struct vgpu_nl_event - one notification of the "events" group */
struct vgpu_nl_event {
	uint8_t cmd;			/* VGPU_NL_CMD_*_NTF */
	struct vgpu_nl_guest guest;
	bool has_resource, has_current, has_requested, has_limit;
	uint32_t resource;
	uint64_t current, requested, limit;
	bool has_device, has_wait;	/* THROTTLED_NTF */
	uint32_t device;
	uint64_t wait;
};

/**
 * struct vgpu_nl_attr_desc - one attribute of the family as this client reads it
 * @name: its name in the YNL spec ("guest-id"); NULL for a hole
 * @type: libnl type (NLA_U32, NLA_U64, NLA_STRING, NLA_NESTED, NLA_UNSPEC
 *	for pad)
 * @maxlen: NLA_STRING: longest payload, NUL included
 */
struct vgpu_nl_attr_desc {
	const char *name;
	uint16_t type;
	uint16_t maxlen;
};

/* The attribute sets "vgpu" (VGPU_A_*) and "res" (VGPU_A_RES_*). */
extern const struct vgpu_nl_attr_desc vgpu_nl_attrs[VGPU_A_MAX + 1];
extern const struct vgpu_nl_attr_desc vgpu_nl_res_attrs[VGPU_A_RES_MAX + 1];
/* VGPU_A_LIMIT_* of each resource. */
extern const int vgpu_nl_limit_attr[VGPU_RES_NR];

/*
 * vgpu_nl_res_name - common/resource.h's name of a resource (the spec's
 * resource enum, used in JSON and metrics), or "resourceN" in @buf for one a
 * newer module reports that this header does not know.
 */
const char *vgpu_nl_res_name(uint32_t res, char *buf, size_t len);
/* vgpu_nl_event_name - "guest-created", "guest-destroyed", "limit-hit", "throttled" or NULL. */
const char *vgpu_nl_event_name(uint8_t cmd);

/* vgpu_nl_open - connect, resolve the family. -ENOENT: module not loaded. */
int vgpu_nl_open(struct vgpu_nl *nl);
void vgpu_nl_close(struct vgpu_nl *nl);

/* GUEST_NEW; the reply (when the kernel sends one) in *out (may be NULL). */
int vgpu_nl_guest_new(struct vgpu_nl *nl, const struct vgpu_nl_req *req,
		      struct vgpu_nl_guest *out);
int vgpu_nl_guest_del(struct vgpu_nl *nl, const struct vgpu_nl_req *req);
int vgpu_nl_guest_set(struct vgpu_nl *nl, const struct vgpu_nl_req *req);
/* GUEST_GET do; -ENODATA when acknowledged without a reply. */
int vgpu_nl_guest_get(struct vgpu_nl *nl, const struct vgpu_nl_req *req,
		      struct vgpu_nl_guest *out);
/* GUEST_GET dump: all guests in *out (malloc'ed, free() it), count in *n. */
int vgpu_nl_guest_dump(struct vgpu_nl *nl, struct vgpu_nl_guest **out,
		       size_t *n);
/* STATS_GET; -ENODATA when acknowledged without a reply. */
int vgpu_nl_stats_get(struct vgpu_nl *nl, struct vgpu_nl_stats *out);

/*
 * Events: vgpu_nl_events_open opens a non-blocking socket joined to the
 * "events" group. vgpu_nl_events_fd is for poll(); vgpu_nl_events_read hands
 * each pending event to @cb and returns 0, -EAGAIN when nothing was pending,
 * -ENOBUFS when events were lost (the socket stays usable), another negative
 * errno on failure. vgpu_nl_event_wait waits up to @timeout_ms for the next
 * event of @cmd (any if 0) about guest @guest_id (any if 0), skipping others:
 * 0 or -ETIMEDOUT.
 */
typedef void (*vgpu_nl_event_cb)(const struct vgpu_nl_event *ev, void *arg);
int vgpu_nl_events_open(struct vgpu_nl *nl);
int vgpu_nl_events_fd(struct vgpu_nl *nl);
int vgpu_nl_events_read(struct vgpu_nl *nl, vgpu_nl_event_cb cb, void *arg);
int vgpu_nl_event_wait(struct vgpu_nl *nl, int cmd, uint32_t guest_id,
		       int timeout_ms, struct vgpu_nl_event *ev);

#endif /* VGPU_COMMON_NL_H */
