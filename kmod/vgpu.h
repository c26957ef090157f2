/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vgpu: internal declarations shared by the parts of the module.
 *
 * Locking: vgpu_lock (a mutex) protects the guest table, guest creation and
 * destruction, and attach/detach (struct vgpu_guest::sessions). Each guest's
 * spinlock protects its ledger. vgpu_compute_lock (a spinlock, compute.c)
 * protects every guest's compute budgets and every session's leases. Lock
 * order: vgpu_lock, then vgpu_compute_lock, then a guest's lock. Nothing
 * sleeps under either spinlock: pinning, allocation and netlink messages all
 * happen outside them.
 */
#ifndef _VGPU_INTERNAL_H
#define _VGPU_INTERNAL_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/ratelimit_types.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

#include <linux/vgpu.h>

struct user_namespace;

/**
 * struct vgpu_ledger - the books of one resource of one guest
 * @used: charged now
 * @peak: highest @used seen
 * @limit: refuse charges that would pass it (VGPU_LIMIT_UNLIMITED: none)
 * @limit_hits: charges refused because of @limit
 */
struct vgpu_ledger {
	u64 used;
	u64 peak;
	u64 limit;
	u64 limit_hits;
};

struct vgpu_compute_budget;
struct vgpu_compute_lease_slot;

/**
 * struct vgpu_guest_compute - a guest's compute settings and totals
 * @period_us: period of the cap, VGPU_COMPUTE_PERIOD_{MIN,MAX}_US
 * @weight: 0 (none) or 1..VGPU_COMPUTE_WEIGHT_MAX
 * @throttled_ns: time its leases were refused, all devices
 * @fallback_ns: CPU time its sessions reported as fallback
 * @ntf_next: jiffies before which no THROTTLED_NTF is sent
 * @budgets: per device, allocated at the first lease
 *
 * All under vgpu_compute_lock.
 */
struct vgpu_guest_compute {
	u32 period_us;
	u32 weight;
	u64 throttled_ns;
	u64 fallback_ns;
	unsigned long ntf_next;
	struct vgpu_compute_budget *budgets[VGPU_COMPUTE_MAX_DEVICES];
};

/**
 * struct vgpu_compute_usage - what netlink reports of a guest's compute time
 * @period_us: see struct vgpu_guest_compute
 * @weight: see struct vgpu_guest_compute
 * @consumed_ns: device time consumed
 * @throttled_ns: see struct vgpu_guest_compute
 * @fallback_ns: see struct vgpu_guest_compute
 * @share_period: share of a device in the last complete period, summed
 *	over devices, 1/VGPU_SHARE_ONE
 * @share_second: the same over the last complete second
 */
struct vgpu_compute_usage {
	u32 period_us;
	u32 weight;
	u64 consumed_ns;
	u64 throttled_ns;
	u64 fallback_ns;
	u32 share_period;
	u32 share_second;
};

/* vgpu_compute_set() mask bits */
#define VGPU_COMPUTE_SET_PERIOD	BIT(0)
#define VGPU_COMPUTE_SET_WEIGHT	BIT(1)
#define VGPU_COMPUTE_SET_LIMIT	BIT(2)	/* res[VGPU_RES_COMPUTE].limit changed */

/**
 * struct vgpu_guest - a guest: the unit that owns quotas
 * @id: kernel-chosen id, >= 1, index in vgpu_guests
 * @name: unique name, NUL-terminated
 * @uid: owner; only it (or CAP_SYS_ADMIN) may attach sessions
 * @gid: owning group (reported, not enforced)
 * @ref: one reference for the table, one per attached session
 * @sessions: attached sessions, under vgpu_lock
 * @lock: protects @res
 * @res: the ledger, indexed by enum vgpu_resource
 * @compute: compute period, weight, budgets (under vgpu_compute_lock)
 * @events_rs: rate limit of its LIMIT_HIT events (VGPU_EVENTS_BURST per
 *	VGPU_EVENTS_INTERVAL; the others are counted as dropped)
 */
struct vgpu_guest {
	u32 id;
	char name[VGPU_NAME_MAX];
	kuid_t uid;
	kgid_t gid;
	struct kref ref;
	unsigned int sessions;
	spinlock_t lock;
	struct vgpu_ledger res[VGPU_RES_NR];
	struct vgpu_guest_compute compute;
	struct ratelimit_state events_rs;
};

#define VGPU_EVENTS_INTERVAL	HZ
#define VGPU_EVENTS_BURST	20

/**
 * struct vgpu_amount - one part of a charge
 * @res: enum vgpu_resource
 * @amount: how much
 */
struct vgpu_amount {
	unsigned int res;
	u64 amount;
};

/* main.c */
extern unsigned int vgpu_max_contexts;
extern unsigned int vgpu_max_charges;
extern unsigned int vgpu_max_pins;
extern atomic_t vgpu_nr_sessions;
extern atomic64_t vgpu_nr_limit_hits;
extern atomic64_t vgpu_nr_events;
extern atomic64_t vgpu_nr_events_dropped;

/* guest.c */
extern struct mutex vgpu_lock;
extern struct xarray vgpu_guests;
extern unsigned int vgpu_nr_guests;

bool vgpu_name_valid(const char *name);
struct vgpu_guest *vgpu_guest_create(const char *name, kuid_t uid, kgid_t gid,
				     const u64 limits[VGPU_RES_NR]);
struct vgpu_guest *vgpu_guest_find(u32 id);
struct vgpu_guest *vgpu_guest_find_by_name(const char *name);
int vgpu_guest_destroy(struct vgpu_guest *g);
void vgpu_guest_put(struct vgpu_guest *g);
void vgpu_guests_free_all(void);
int vgpu_guest_charge(struct vgpu_guest *g, const struct vgpu_amount *a,
		      unsigned int n);
void vgpu_guest_uncharge(struct vgpu_guest *g, const struct vgpu_amount *a,
			 unsigned int n);
void vgpu_guest_snapshot(struct vgpu_guest *g,
			 struct vgpu_ledger res[VGPU_RES_NR]);
void vgpu_guest_set_limits(struct vgpu_guest *g,
			   const u64 limits[VGPU_RES_NR], unsigned long mask);

/* session.c */
extern const struct file_operations vgpu_fops;
int vgpu_session_cache_init(void);
void vgpu_session_cache_exit(void);

/* compute.c */
void vgpu_compute_guest_init(struct vgpu_guest *g);
void vgpu_compute_guest_release(struct vgpu_guest *g);
void vgpu_compute_set(struct vgpu_guest *g, u32 period_us, u32 weight,
		      unsigned long mask);
void vgpu_compute_usage(struct vgpu_guest *g, struct vgpu_compute_usage *u);
int vgpu_compute_ioctl(struct vgpu_guest *g,
		       struct vgpu_compute_lease_slot **slots,
		       struct vgpu_compute_lease *cl, bool lease);
void vgpu_compute_session_release(struct vgpu_guest *g,
				  struct vgpu_compute_lease_slot *slots);

/* netlink.c */
int vgpu_nl_register(void);
void vgpu_nl_unregister(void);
void vgpu_nl_notify_limit_hit(struct vgpu_guest *g, unsigned int res,
			      u64 used, u64 requested, u64 limit);
void vgpu_nl_notify_throttled(struct vgpu_guest *g, u32 device, u64 wait_ns);

#endif /* _VGPU_INTERNAL_H */
