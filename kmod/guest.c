// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu: guests and their ledger.
 *
 * A charge is checked and added under the guest's spinlock, so concurrent
 * charges from any number of sessions and threads never take usage past a
 * limit. A refused charge is counted, traced, and announced on the netlink
 * "events" group once the lock is dropped.
 */
#include <linux/ctype.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "vgpu.h"
#include "vgpu_trace.h"

DEFINE_MUTEX(vgpu_lock);
DEFINE_XARRAY_ALLOC1(vgpu_guests);
unsigned int vgpu_nr_guests;
static u32 vgpu_next_guest_id = 1;

/**
 * vgpu_name_valid - is @name a valid guest name?
 * @name: NUL-terminated string
 *
 * Return: true for 1..VGPU_NAME_MAX-1 characters of [A-Za-z0-9_.-], not all
 * of them digits: an all-digit name would read as an id wherever a guest is
 * named by id or name.
 */
bool vgpu_name_valid(const char *name)
{
	size_t i, len = strnlen(name, VGPU_NAME_MAX);
	bool letter = false;

	if (!len || len >= VGPU_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		/* isalnum() alone would take Latin-1 letters too */
		if (!(isascii(c) && isalnum(c)) && c != '_' && c != '.' &&
		    c != '-')
			return false;
		if (!isdigit(c))
			letter = true;
	}
	return letter;
}

/**
 * vgpu_guest_find - look a guest up by id
 * @id: guest id
 *
 * Context: vgpu_lock held. The table holds a reference while the lock is held.
 * Return: the guest or NULL.
 */
struct vgpu_guest *vgpu_guest_find(u32 id)
{
	lockdep_assert_held(&vgpu_lock);
	return xa_load(&vgpu_guests, id);
}

/**
 * vgpu_guest_find_by_name - look a guest up by name
 * @name: NUL-terminated name
 *
 * Context: vgpu_lock held.
 * Return: the guest or NULL.
 */
struct vgpu_guest *vgpu_guest_find_by_name(const char *name)
{
	struct vgpu_guest *g;
	unsigned long id;

	lockdep_assert_held(&vgpu_lock);
	xa_for_each(&vgpu_guests, id, g)
		if (!strcmp(g->name, name))
			return g;
	return NULL;
}

/**
 * vgpu_guest_create - create a guest and add it to the table
 * @name: valid, unique name (checked here)
 * @uid: owner
 * @gid: owning group
 * @limits: initial limit of each resource
 *
 * Context: vgpu_lock held.
 * Return: the guest, ERR_PTR(-EINVAL) for a bad name, -EEXIST when the name
 * is taken, -ENOMEM, or -ENOSPC when no id is left.
 */
struct vgpu_guest *vgpu_guest_create(const char *name, kuid_t uid, kgid_t gid,
				     const u64 limits[VGPU_RES_NR])
{
	struct vgpu_guest *g;
	unsigned int i;
	u32 id;
	int ret;

	lockdep_assert_held(&vgpu_lock);
	if (!vgpu_name_valid(name))
		return ERR_PTR(-EINVAL);
	if (vgpu_guest_find_by_name(name))
		return ERR_PTR(-EEXIST);

	g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);
	if (!g)
		return ERR_PTR(-ENOMEM);
	strscpy(g->name, name, sizeof(g->name));
	g->uid = uid;
	g->gid = gid;
	kref_init(&g->ref);
	spin_lock_init(&g->lock);
	for (i = 0; i < VGPU_RES_NR; i++)
		g->res[i].limit = limits[i];
	vgpu_compute_guest_init(g);
	ratelimit_state_init(&g->events_rs, VGPU_EVENTS_INTERVAL,
			     VGPU_EVENTS_BURST);
	/* what is dropped is counted in STATS, not logged */
	ratelimit_set_flags(&g->events_rs, RATELIMIT_MSG_ON_RELEASE);

	/*
	 * Cyclic: a deleted guest's id is not handed to the next guest, where
	 * a stale script or hypervisor configuration would find it.
	 */
	ret = xa_alloc_cyclic(&vgpu_guests, &id, g, XA_LIMIT(1, U32_MAX),
			      &vgpu_next_guest_id, GFP_KERNEL_ACCOUNT);
	if (ret < 0) {
		kfree(g);
		return ERR_PTR(ret == -EBUSY ? -ENOSPC : ret);
	}
	g->id = id;
	vgpu_nr_guests++;
	return g;
}

static void vgpu_guest_release(struct kref *ref)
{
	struct vgpu_guest *g = container_of(ref, struct vgpu_guest, ref);

	vgpu_compute_guest_release(g);
	kfree(g);
}

/**
 * vgpu_guest_put - drop a reference to a guest
 * @g: the guest
 */
void vgpu_guest_put(struct vgpu_guest *g)
{
	kref_put(&g->ref, vgpu_guest_release);
}

/**
 * vgpu_guest_destroy - remove a guest from the table and drop its reference
 * @g: the guest
 *
 * Context: vgpu_lock held.
 * Return: 0, or -EBUSY while sessions are attached (then nothing changes).
 */
int vgpu_guest_destroy(struct vgpu_guest *g)
{
	lockdep_assert_held(&vgpu_lock);
	if (g->sessions)
		return -EBUSY;
	xa_erase(&vgpu_guests, g->id);
	vgpu_nr_guests--;
	vgpu_guest_put(g);
	return 0;
}

/**
 * vgpu_guests_free_all - free the guests left at module unload
 *
 * Open files pin the module, so no session is attached to any of them.
 */
void vgpu_guests_free_all(void)
{
	struct vgpu_guest *g;
	unsigned long id;

	mutex_lock(&vgpu_lock);
	xa_for_each(&vgpu_guests, id, g)
		WARN_ON(vgpu_guest_destroy(g));
	mutex_unlock(&vgpu_lock);
	xa_destroy(&vgpu_guests);
}

static bool vgpu_ledger_fits(const struct vgpu_ledger *l, u64 amount)
{
	/* A limit lowered below usage blocks every new charge. */
	return l->used <= l->limit && amount <= l->limit - l->used;
}

/**
 * vgpu_guest_charge - charge several resources, all or nothing
 * @g: the guest
 * @a: what to charge; zero amounts are skipped
 * @n: entries of @a, at most VGPU_RES_NR, each resource at most once
 *
 * Each resource over its limit counts one limit hit, fires vgpu_limit_hit
 * and, when someone listens, a LIMIT_HIT netlink event.
 *
 * Context: process context, may sleep (the netlink event).
 * Return: 0, or -EDQUOT when a limit would be passed (nothing charged).
 */
int vgpu_guest_charge(struct vgpu_guest *g, const struct vgpu_amount *a,
		      unsigned int n)
{
	u64 used[VGPU_RES_NR], limit[VGPU_RES_NR];
	unsigned long refused = 0;
	struct vgpu_ledger *l;
	unsigned int i;

	spin_lock(&g->lock);
	for (i = 0; i < n; i++) {
		l = &g->res[a[i].res];
		if (a[i].amount && !vgpu_ledger_fits(l, a[i].amount)) {
			refused |= BIT(i);
			l->limit_hits++;
		}
		used[i] = l->used;
		limit[i] = l->limit;
	}
	if (!refused) {
		for (i = 0; i < n; i++) {
			l = &g->res[a[i].res];
			l->used += a[i].amount;
			if (l->used > l->peak)
				l->peak = l->used;
			used[i] = l->used;
		}
	}
	spin_unlock(&g->lock);

	if (refused) {
		for_each_set_bit(i, &refused, n) {
			atomic64_inc(&vgpu_nr_limit_hits);
			trace_vgpu_limit_hit(g->id, a[i].res, used[i],
					     a[i].amount, limit[i]);
			vgpu_nl_notify_limit_hit(g, a[i].res, used[i],
						 a[i].amount, limit[i]);
		}
		return -EDQUOT;
	}
	for (i = 0; i < n; i++)
		if (a[i].amount)
			trace_vgpu_charge(g->id, a[i].res, a[i].amount, used[i]);
	return 0;
}

/**
 * vgpu_guest_uncharge - release what vgpu_guest_charge() charged
 * @g: the guest
 * @a: exactly what was charged
 * @n: entries of @a
 */
void vgpu_guest_uncharge(struct vgpu_guest *g, const struct vgpu_amount *a,
			 unsigned int n)
{
	u64 used[VGPU_RES_NR];
	struct vgpu_ledger *l;
	unsigned int i;

	spin_lock(&g->lock);
	for (i = 0; i < n; i++) {
		l = &g->res[a[i].res];
		if (WARN_ON_ONCE(l->used < a[i].amount))
			l->used = 0;
		else
			l->used -= a[i].amount;
		used[i] = l->used;
	}
	spin_unlock(&g->lock);

	for (i = 0; i < n; i++)
		if (a[i].amount)
			trace_vgpu_uncharge(g->id, a[i].res, a[i].amount,
					    used[i]);
}

/**
 * vgpu_guest_snapshot - copy a guest's ledger, consistently
 * @g: the guest
 * @res: filled, indexed by enum vgpu_resource
 */
void vgpu_guest_snapshot(struct vgpu_guest *g,
			 struct vgpu_ledger res[VGPU_RES_NR])
{
	spin_lock(&g->lock);
	memcpy(res, g->res, sizeof(g->res));
	spin_unlock(&g->lock);
}

/**
 * vgpu_guest_set_limits - change limits at once; usage above them is kept
 * @g: the guest
 * @limits: new limits, indexed by enum vgpu_resource
 * @mask: BIT(res) for each entry of @limits to apply
 */
void vgpu_guest_set_limits(struct vgpu_guest *g,
			   const u64 limits[VGPU_RES_NR], unsigned long mask)
{
	unsigned int i;

	spin_lock(&g->lock);
	for_each_set_bit(i, &mask, VGPU_RES_NR)
		g->res[i].limit = limits[i];
	spin_unlock(&g->lock);
}
