/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "vgpu" generic netlink family through libnl-genl-3, for vgpuctl and
 * vgpu-exporter. Calls return 0 or a negative errno; on a kernel refusal the
 * extended ACK message (if any) is kept in vnl->ext_msg.
 */
#ifndef VGPU_TOOLS_NL_H
#define VGPU_TOOLS_NL_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/vgpu.h>

struct nl_sock;

/* The resource names used on the command line, in JSON and in metrics. */
extern const char *const vgpu_res_names[VGPU_RES_NR];
const char *vgpu_res_name(uint32_t res, char *buf, size_t len);

struct vgpu_res {
	bool present;		/* a VGPU_A_GUEST_RES nest (or LIMIT_*) was seen */
	bool has_usage;		/* the nest carried current/peak/hits */
	uint64_t current, peak, limit, limit_hits;
};

struct vgpu_guest {
	uint32_t id;
	char name[VGPU_NAME_MAX];
	bool has_uid, has_gid, has_sessions;
	uint32_t uid, gid, sessions;
	struct vgpu_res res[VGPU_RES_SLOTS];
};

struct vgpu_stats {
	bool has_guests, has_sessions, has_limit_hits, has_events;
	uint32_t guests, sessions;
	uint64_t limit_hits, events;
};

/* A guest selector: by id (purely numeric argument) or by name. */
struct vgpu_sel {
	bool by_id;
	uint32_t id;
	const char *name;
};

/* Attributes of GUEST_NEW / GUEST_SET. */
struct vgpu_spec {
	const char *name;		/* GUEST_NEW only */
	bool has_uid, has_gid;
	uint32_t uid, gid;
	bool has_limit[VGPU_RES_NR];
	uint64_t limit[VGPU_RES_NR];
};

struct vgpu_event {
	uint8_t cmd;			/* VGPU_NL_CMD_*_NTF */
	struct vgpu_guest g;		/* id/name (and more for CREATED) */
	bool has_id, has_name;
	bool has_resource, has_current, has_requested, has_limit;
	uint32_t resource;
	uint64_t current, requested, limit;
};

struct vnl {
	struct nl_sock *sk;
	int family;
	int err;			/* last kernel errno, positive */
	char ext_msg[256];		/* last extended ACK message or "" */
};

/*
 * vnl_open - connect and resolve the family. -ENOENT: family not registered
 * (module not loaded); other negative errnos: socket errors.
 */
int vnl_open(struct vnl *v);
void vnl_close(struct vnl *v);

int vnl_guest_new(struct vnl *v, const struct vgpu_spec *spec,
		  struct vgpu_guest *reply, bool *has_reply);
int vnl_guest_del(struct vnl *v, const struct vgpu_sel *sel);
int vnl_guest_set(struct vnl *v, const struct vgpu_sel *sel,
		  const struct vgpu_spec *spec);
int vnl_guest_get(struct vnl *v, const struct vgpu_sel *sel,
		  struct vgpu_guest *out);
/* vnl_guest_dump - all guests in *out (malloc'ed, free() it), count in *n. */
int vnl_guest_dump(struct vnl *v, struct vgpu_guest **out, size_t *n);
int vnl_stats(struct vnl *v, struct vgpu_stats *out);

/*
 * Events: a separate socket subscribed to the "events" group. vnl_events_fd
 * is for poll(); vnl_events_read delivers each pending event to cb and
 * returns 0, -EAGAIN when nothing was pending, -ENOBUFS when events were lost
 * (the socket stays usable), other negative errnos on failure.
 */
typedef void (*vnl_event_cb)(const struct vgpu_event *ev, void *arg);
int vnl_events_open(struct vnl *v);
int vnl_events_fd(struct vnl *v);
int vnl_events_read(struct vnl *v, vnl_event_cb cb, void *arg);

void vgpu_guest_init(struct vgpu_guest *g);

#endif
