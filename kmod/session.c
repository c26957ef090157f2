// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu: sessions, the ioctls of an open /dev/vgpu.
 *
 * One open file is one session. It attaches to one guest, then creates
 * objects - contexts, memory charges, pins - each charged to the guest and
 * named by a handle in the session's object table. Each object remembers
 * exactly what it charged; releasing it (or closing the file) gives exactly
 * that back.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vgpu.h"
#include "vgpu_trace.h"

enum vgpu_obj_type {
	VGPU_OBJ_CTX,
	VGPU_OBJ_CHARGE,
	VGPU_OBJ_PIN,
	VGPU_OBJ_NR,
};

/*
 * The pages array of a pin is one kvmalloc() allocation, which is limited
 * to INT_MAX bytes; this also keeps nr_pages within pin_user_pages_fast()'s
 * int. 2^28 - 1 pages: just under 1 TiB with 4 KiB pages.
 */
#define VGPU_PIN_MAX_PAGES	(INT_MAX / sizeof(struct page *))

/*
 * Pages pinned per pin_user_pages_fast() call: between two calls the pin
 * checks for a fatal signal and reschedules, so that pinning a large range
 * is killable and shares the CPU.
 */
#define VGPU_PIN_CHUNK		512

/**
 * struct vgpu_obj - a context, memory charge or pin of a session
 * @type: enum vgpu_obj_type
 * @handle: its handle in the session
 * @device: device index (contexts and charges)
 * @charge: what it charged to the guest
 * @nr_charge: entries of @charge
 * @pages: pinned pages (pins)
 * @npages: entries of @pages
 * @addr: start of the pinned range
 * @user: the user whose locked_vm (RLIMIT_MEMLOCK) was charged @npages,
 *	held by get_uid()
 * @write: pinned for writing: dirty the pages at unpin
 */
struct vgpu_obj {
	enum vgpu_obj_type type;
	u32 handle;
	u32 device;
	unsigned int nr_charge;
	struct vgpu_amount charge[2];
	struct page **pages;
	unsigned long npages;
	u64 addr;
	struct user_struct *user;
	bool write;
};

/*
 * Handles: the low VGPU_HANDLE_INDEX_BITS are the index of the object in
 * the session's table (lowest free first, so the table stays dense and the
 * charge fast path allocates no table node); the high bits are a generation
 * counted per session, so that a stale handle does not name the object that
 * reuses its index. With 16 bits of each, a released handle's number comes
 * back only after 65536 further creations in the session, and a session
 * holds at most 65534 objects whatever the max_* parameters say (ENOSPC).
 * Index 1 is kept reserved for the session's life: it keeps the table's
 * first leaf node allocated even when the session holds no object. Handles
 * are never 0.
 */
#define VGPU_HANDLE_INDEX_BITS	16
#define VGPU_HANDLE_INDEX_MASK	((1U << VGPU_HANDLE_INDEX_BITS) - 1)
#define VGPU_HANDLE_PINNED_IDX	1
#define VGPU_HANDLE_LIMIT	XA_LIMIT(2, VGPU_HANDLE_INDEX_MASK)

/**
 * struct vgpu_session - the state of one open /dev/vgpu
 * @guest: the attached guest, or NULL. Set once, under vgpu_lock, with
 *	release semantics; holds a reference to the guest.
 * @objs: handle index -> struct vgpu_obj
 * @generation: high bits of the next handle
 * @nr: objects per type, capped by the max_* module parameters
 * @leases: compute leases per device (compute.c), allocated at the first
 */
struct vgpu_session {
	struct vgpu_guest *guest;
	struct xarray objs;
	atomic_t generation;
	atomic_t nr[VGPU_OBJ_NR];
	struct vgpu_compute_lease_slot *leases;
};

static struct kmem_cache *vgpu_obj_cache;

static const unsigned int *const vgpu_obj_max[VGPU_OBJ_NR] = {
	[VGPU_OBJ_CTX] = &vgpu_max_contexts,
	[VGPU_OBJ_CHARGE] = &vgpu_max_charges,
	[VGPU_OBJ_PIN] = &vgpu_max_pins,
};

int vgpu_session_cache_init(void)
{
	vgpu_obj_cache = KMEM_CACHE(vgpu_obj, SLAB_ACCOUNT);
	return vgpu_obj_cache ? 0 : -ENOMEM;
}

void vgpu_session_cache_exit(void)
{
	kmem_cache_destroy(vgpu_obj_cache);
}

static struct vgpu_guest *vgpu_session_guest(struct vgpu_session *s)
{
	return smp_load_acquire(&s->guest);
}

/* Allocate an object, counted against the session's cap of its type. */
static struct vgpu_obj *vgpu_obj_alloc(struct vgpu_session *s,
				       enum vgpu_obj_type type)
{
	struct vgpu_obj *o;

	if (atomic_inc_return(&s->nr[type]) > READ_ONCE(*vgpu_obj_max[type])) {
		atomic_dec(&s->nr[type]);
		return ERR_PTR(-ENOSPC);
	}
	o = kmem_cache_zalloc(vgpu_obj_cache, GFP_KERNEL_ACCOUNT);
	if (!o) {
		atomic_dec(&s->nr[type]);
		return ERR_PTR(-ENOMEM);
	}
	o->type = type;
	return o;
}

static void vgpu_obj_free(struct vgpu_session *s, struct vgpu_obj *o)
{
	atomic_dec(&s->nr[o->type]);
	kmem_cache_free(vgpu_obj_cache, o);
}

/*
 * Publish a fully set up object under a new handle, stored in *@handle.
 *
 * Once published, @o belongs to the table: another thread of the session
 * (or another process holding the same file) may release it with the
 * handle it can predict before this returns. The caller must not touch @o
 * again; whatever it still needs, it reads before, or takes from *@handle.
 */
static int vgpu_obj_insert(struct vgpu_session *s, struct vgpu_obj *o,
			   u32 *handle)
{
	u32 gen = atomic_inc_return(&s->generation);
	u32 index;
	int ret;

	/* lookups hold xa_lock too: none sees @o before its handle is set */
	xa_lock(&s->objs);
	ret = __xa_alloc(&s->objs, &index, o, VGPU_HANDLE_LIMIT,
			 GFP_KERNEL_ACCOUNT);
	if (!ret) {
		o->handle = gen << VGPU_HANDLE_INDEX_BITS | index;
		*handle = o->handle;
	}
	xa_unlock(&s->objs);
	return ret == -EBUSY ? -ENOSPC : ret;
}

/* Unpublish the object @handle of @type; NULL if there is none. */
static struct vgpu_obj *vgpu_obj_take(struct vgpu_session *s, u32 handle,
				      enum vgpu_obj_type type)
{
	unsigned long index = handle & VGPU_HANDLE_INDEX_MASK;
	struct vgpu_obj *o;

	xa_lock(&s->objs);
	o = xa_load(&s->objs, index);
	if (o && o->handle == handle && o->type == type)
		__xa_erase(&s->objs, index);
	else
		o = NULL;
	xa_unlock(&s->objs);
	return o;
}

/*
 * RLIMIT_MEMLOCK. A pin lives as long as the file that holds it, which
 * outlives the process that made it (fork, exec, SCM_RIGHTS, exit), so the
 * pin is charged to the user - user_struct::locked_vm, shared with io_uring's
 * registered buffers, perf and BPF - and not to an mm that a child starts
 * afresh. The charge goes with the object and is given back when it is
 * released, whoever releases it. Checked against the pinning process's
 * RLIMIT_MEMLOCK unless it has CAP_IPC_LOCK; charged either way.
 */
static int vgpu_locked_charge(struct user_struct *user, unsigned long npages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	unsigned long cur = atomic_long_read(&user->locked_vm), new;
	int exempt = -1;	/* CAP_IPC_LOCK: asked only when over */

	do {
		new = cur + npages;
		if (new < cur)
			return -ENOMEM;
		if (new > limit) {
			if (exempt < 0)
				exempt = capable(CAP_IPC_LOCK);
			if (!exempt)
				return -ENOMEM;
		}
	} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, new));
	return 0;
}

static void vgpu_locked_uncharge(struct user_struct *user,
				 unsigned long npages)
{
	atomic_long_sub(npages, &user->locked_vm);
}

static void vgpu_pin_release(struct vgpu_guest *g, struct vgpu_obj *o)
{
	trace_vgpu_unpin(g->id, o->handle, o->addr, o->npages, o->write);
	unpin_user_pages_dirty_lock(o->pages, o->npages, o->write);
	vgpu_locked_uncharge(o->user, o->npages);
	free_uid(o->user);
	kvfree(o->pages);
}

/* Give back everything @o holds, then free it. */
static void vgpu_obj_release(struct vgpu_session *s, struct vgpu_guest *g,
			     struct vgpu_obj *o)
{
	if (o->type == VGPU_OBJ_PIN)
		vgpu_pin_release(g, o);
	vgpu_guest_uncharge(g, o->charge, o->nr_charge);
	vgpu_obj_free(s, o);
}

static int vgpu_release_handle(struct vgpu_session *s,
			       const struct vgpu_handle_op *op,
			       enum vgpu_obj_type type)
{
	struct vgpu_guest *g;
	struct vgpu_obj *o;

	if (op->flags || op->__reserved)
		return -EINVAL;
	g = vgpu_session_guest(s);
	if (!g)
		return -ENOTCONN;
	o = vgpu_obj_take(s, op->handle, type);
	if (!o)
		return -ENOENT;
	vgpu_obj_release(s, g, o);
	return 0;
}

/* Undo an object creation whose result could not be copied to the user. */
static void vgpu_undo_handle(struct vgpu_session *s, u32 handle,
			     enum vgpu_obj_type type)
{
	struct vgpu_guest *g = vgpu_session_guest(s);
	struct vgpu_obj *o = vgpu_obj_take(s, handle, type);

	if (o)
		vgpu_obj_release(s, g, o);
}

/* ------------------------------------------------------------------------ */

static int vgpu_ioctl_version(struct vgpu_session *s, void *arg,
			      void __user *uarg)
{
	struct vgpu_version *v = arg;

	if (v->flags || v->__reserved)
		return -EINVAL;
	v->api_version = VGPU_API_VERSION;
	v->nr_resources = VGPU_RES_NR;
	v->caps = VGPU_CAP_CONTEXTS | VGPU_CAP_MEMORY | VGPU_CAP_PIN |
		  VGPU_CAP_USAGE | VGPU_CAP_NETLINK | VGPU_CAP_COMPUTE |
		  VGPU_CAP_COMPUTE_TURNS;
	v->max_contexts = READ_ONCE(vgpu_max_contexts);
	v->max_charges = READ_ONCE(vgpu_max_charges);
	v->max_pins = READ_ONCE(vgpu_max_pins);
	return 0;
}

static int vgpu_ioctl_attach(struct vgpu_session *s, void *arg,
			     void __user *uarg)
{
	struct vgpu_attach __user *uat = uarg;
	struct vgpu_attach *at = arg;
	struct vgpu_guest *g;
	int ret;

	if (at->flags & ~VGPU_ATTACH_BY_NAME || at->__reserved)
		return -EINVAL;
	if (at->flags & VGPU_ATTACH_BY_NAME) {
		size_t len = strnlen(at->name, sizeof(at->name));

		if (!len || len == sizeof(at->name))
			return -EINVAL;
	} else if (memchr_inv(at->name, 0, sizeof(at->name))) {
		return -EINVAL;
	}

	/*
	 * Reserve the guest (a reference and a session count, so that it
	 * cannot be destroyed), tell the caller its id, and only then attach:
	 * a caller that cannot be told (EFAULT) is left unattached.
	 */
	mutex_lock(&vgpu_lock);
	if (vgpu_session_guest(s)) {
		ret = -EALREADY;
		goto unlock;
	}
	if (at->flags & VGPU_ATTACH_BY_NAME)
		g = vgpu_guest_find_by_name(at->name);
	else
		g = vgpu_guest_find(at->guest_id);
	if (!g) {
		ret = -ENOENT;
		goto unlock;
	}
	if (!uid_eq(g->uid, current_euid()) && !capable(CAP_SYS_ADMIN)) {
		ret = -EACCES;
		goto unlock;
	}
	kref_get(&g->ref);
	WRITE_ONCE(g->sessions, g->sessions + 1);
	mutex_unlock(&vgpu_lock);

	if (put_user(g->id, &uat->guest_id)) {
		ret = -EFAULT;
		goto unreserve;
	}
	/* Another thread of this session may have attached meanwhile. */
	if (cmpxchg_release(&s->guest, NULL, g)) {
		ret = -EALREADY;
		goto unreserve;
	}
	return 0;

unreserve:
	mutex_lock(&vgpu_lock);
	WRITE_ONCE(g->sessions, g->sessions - 1);
	mutex_unlock(&vgpu_lock);
	vgpu_guest_put(g);
	return ret;
unlock:
	mutex_unlock(&vgpu_lock);
	return ret;
}

/*
 * Charge what @o says it costs, then publish it under *@handle; on failure
 * nothing is charged and @o is freed. Either way @o is no longer the
 * caller's (see vgpu_obj_insert()).
 */
static int vgpu_obj_charge_insert(struct vgpu_session *s, struct vgpu_guest *g,
				  struct vgpu_obj *o, u32 *handle)
{
	int ret;

	ret = vgpu_guest_charge(g, o->charge, o->nr_charge);
	if (ret)
		goto free_obj;
	ret = vgpu_obj_insert(s, o, handle);
	if (ret)
		goto uncharge;
	return 0;

uncharge:
	vgpu_guest_uncharge(g, o->charge, o->nr_charge);
free_obj:
	vgpu_obj_free(s, o);
	return ret;
}

static int vgpu_ioctl_ctx_create(struct vgpu_session *s, void *arg,
				 void __user *uarg)
{
	struct vgpu_ctx_create *cc = arg;
	struct vgpu_guest *g;
	struct vgpu_obj *o;

	if (cc->flags)
		return -EINVAL;
	g = vgpu_session_guest(s);
	if (!g)
		return -ENOTCONN;

	o = vgpu_obj_alloc(s, VGPU_OBJ_CTX);
	if (IS_ERR(o))
		return PTR_ERR(o);
	o->device = cc->device;
	o->charge[0] = (struct vgpu_amount){ VGPU_RES_CONTEXTS, 1 };
	o->charge[1] = (struct vgpu_amount){ VGPU_RES_MEMORY, cc->mem_bytes };
	o->nr_charge = 2;
	return vgpu_obj_charge_insert(s, g, o, &cc->ctx_id);
}

static void vgpu_undo_ctx_create(struct vgpu_session *s, void *arg)
{
	vgpu_undo_handle(s, ((struct vgpu_ctx_create *)arg)->ctx_id,
			 VGPU_OBJ_CTX);
}

static int vgpu_ioctl_ctx_destroy(struct vgpu_session *s, void *arg,
				  void __user *uarg)
{
	return vgpu_release_handle(s, arg, VGPU_OBJ_CTX);
}

static int vgpu_ioctl_mem_charge(struct vgpu_session *s, void *arg,
				 void __user *uarg)
{
	struct vgpu_mem_charge *mc = arg;
	struct vgpu_guest *g;
	struct vgpu_obj *o;

	if (mc->flags || !mc->bytes)
		return -EINVAL;
	g = vgpu_session_guest(s);
	if (!g)
		return -ENOTCONN;

	o = vgpu_obj_alloc(s, VGPU_OBJ_CHARGE);
	if (IS_ERR(o))
		return PTR_ERR(o);
	o->device = mc->device;
	o->charge[0] = (struct vgpu_amount){ VGPU_RES_MEMORY, mc->bytes };
	o->nr_charge = 1;
	return vgpu_obj_charge_insert(s, g, o, &mc->handle);
}

static void vgpu_undo_mem_charge(struct vgpu_session *s, void *arg)
{
	vgpu_undo_handle(s, ((struct vgpu_mem_charge *)arg)->handle,
			 VGPU_OBJ_CHARGE);
}

static int vgpu_ioctl_mem_uncharge(struct vgpu_session *s, void *arg,
				   void __user *uarg)
{
	return vgpu_release_handle(s, arg, VGPU_OBJ_CHARGE);
}

/*
 * What may be pinned: anonymous memory, shmem (memfd, MAP_SHARED anonymous,
 * tmpfs, SysV shm) and hugetlbfs - never the page cache of a regular file,
 * whose filesystem expects to write its pages back and may not be able to
 * while they are pinned (6.1 allowed long-term pins of it, 6.12 refuses
 * write pins only: the module refuses both, on every kernel).
 */
static bool vgpu_vma_pinnable(struct vm_area_struct *vma)
{
	if (is_vm_hugetlb_page(vma) || vma_is_anonymous(vma))
		return true;
	return vma->vm_file && shmem_mapping(vma->vm_file->f_mapping);
}

static bool vgpu_page_pinnable(struct page *page)
{
	struct folio *folio = page_folio(page);
	struct address_space *mapping;

	if (folio_test_anon(folio) || folio_test_hugetlb(folio))
		return true;
	/* the zero page has no mapping */
	mapping = folio_mapping(folio);
	return !mapping || shmem_mapping(mapping);
}

/*
 * Fail fast, before anything is allocated: every page of the range must be
 * mapped by a pinnable mapping. The pages pinned are checked again (the
 * mappings may change until they are pinned).
 */
static int vgpu_pin_check_range(unsigned long start, unsigned long end)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	int ret = 0;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	while (start < end) {
		vma = vma_lookup(mm, start);
		if (!vma || !vgpu_vma_pinnable(vma)) {
			ret = -EFAULT;
			break;
		}
		start = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return ret;
}

/*
 * Pin @npages from @addr into @pages in chunks of VGPU_PIN_CHUNK; killable.
 * Return: 0, or a negative errno with nothing left pinned.
 */
static int vgpu_pin_pages(u64 addr, unsigned long npages,
			  unsigned int gup_flags, struct page **pages)
{
	unsigned long done = 0, i;
	int n, ret = 0;

	while (done < npages) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		n = pin_user_pages_fast(addr + (done << PAGE_SHIFT),
					min_t(unsigned long, npages - done,
					      VGPU_PIN_CHUNK),
					gup_flags, pages + done);
		if (n <= 0) {
			/* a fatal signal or no memory stay what they are */
			if (n == -ENOMEM || n == -EINTR || n == -ERESTARTSYS)
				ret = n == -ERESTARTSYS ? -EINTR : n;
			else
				ret = -EFAULT;
			break;
		}
		for (i = done; i < done + n; i++)
			if (!vgpu_page_pinnable(pages[i]))
				ret = -EFAULT;
		done += n;
		if (ret)
			break;
		cond_resched();
	}
	if (ret && done)
		unpin_user_pages(pages, done);
	return ret;
}

static int vgpu_ioctl_pin(struct vgpu_session *s, void *arg,
			  void __user *uarg)
{
	struct vgpu_pin *p = arg;
	unsigned int gup_flags = FOLL_LONGTERM;
	struct user_struct *user;
	struct vgpu_guest *g;
	unsigned long npages;
	struct vgpu_obj *o;
	int ret;

	if (p->flags & ~VGPU_PIN_WRITE || p->__reserved)
		return -EINVAL;
	if (!p->length || !PAGE_ALIGNED(p->addr) || !PAGE_ALIGNED(p->length) ||
	    p->addr + p->length - 1 < p->addr)
		return -EINVAL;
	if ((p->length >> PAGE_SHIFT) > VGPU_PIN_MAX_PAGES)
		return -EINVAL;
	npages = p->length >> PAGE_SHIFT;
	if (p->flags & VGPU_PIN_WRITE)
		gup_flags |= FOLL_WRITE;
	g = vgpu_session_guest(s);
	if (!g)
		return -ENOTCONN;

	o = vgpu_obj_alloc(s, VGPU_OBJ_PIN);
	if (IS_ERR(o))
		return PTR_ERR(o);
	o->addr = p->addr;
	o->npages = npages;
	o->write = p->flags & VGPU_PIN_WRITE;
	o->charge[0] = (struct vgpu_amount){ VGPU_RES_PINNED, p->length };
	o->nr_charge = 1;

	/*
	 * The guest's quota is reserved first: a pin never takes the guest
	 * past its limit, not even while it is being made. A concurrent
	 * charge of the same guest may meanwhile see EDQUOT for a pin that
	 * then fails (see Documentation/userspace-api/vgpu.rst).
	 */
	ret = vgpu_guest_charge(g, o->charge, o->nr_charge);
	if (ret)
		goto free_obj;
	user = get_uid(current_user());
	ret = vgpu_locked_charge(user, npages);
	if (ret)
		goto put_user;
	ret = vgpu_pin_check_range(p->addr, p->addr + p->length);
	if (ret)
		goto unaccount;
	o->pages = kvmalloc_array(npages, sizeof(*o->pages),
				  GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!o->pages) {
		ret = -ENOMEM;
		goto unaccount;
	}
	ret = vgpu_pin_pages(p->addr, npages, gup_flags, o->pages);
	if (ret)
		goto free_pages;
	o->user = user;
	/* once published, @o may be gone: the trace reads the arguments */
	ret = vgpu_obj_insert(s, o, &p->handle);
	if (ret)
		goto unpin;
	trace_vgpu_pin(g->id, p->handle, p->addr, npages,
		       p->flags & VGPU_PIN_WRITE);
	return 0;

unpin:
	unpin_user_pages(o->pages, npages);
free_pages:
	kvfree(o->pages);
unaccount:
	vgpu_locked_uncharge(user, npages);
put_user:
	free_uid(user);
	vgpu_guest_uncharge(g, o->charge, o->nr_charge);
free_obj:
	vgpu_obj_free(s, o);
	return ret;
}

static void vgpu_undo_pin(struct vgpu_session *s, void *arg)
{
	vgpu_undo_handle(s, ((struct vgpu_pin *)arg)->handle, VGPU_OBJ_PIN);
}

static int vgpu_ioctl_unpin(struct vgpu_session *s, void *arg,
			    void __user *uarg)
{
	return vgpu_release_handle(s, arg, VGPU_OBJ_PIN);
}

static int vgpu_ioctl_usage(struct vgpu_session *s, void *arg,
			    void __user *uarg)
{
	struct vgpu_ledger res[VGPU_RES_NR];
	struct vgpu_usage *u = arg;
	struct vgpu_guest *g;
	unsigned int i;

	if (u->flags || u->__reserved)
		return -EINVAL;
	g = vgpu_session_guest(s);
	if (!g)
		return -ENOTCONN;

	vgpu_guest_snapshot(g, res);
	u->guest_id = g->id;
	u->nr_resources = VGPU_RES_NR;
	u->sessions = READ_ONCE(g->sessions);
	memset(u->res, 0, sizeof(u->res));
	for (i = 0; i < VGPU_RES_NR; i++) {
		u->res[i].used = res[i].used;
		u->res[i].peak = res[i].peak;
		u->res[i].limit = res[i].limit;
		u->res[i].limit_hits = res[i].limit_hits;
	}
	return 0;
}

static int vgpu_ioctl_compute(struct vgpu_session *s, void *arg, bool lease)
{
	struct vgpu_guest *g = vgpu_session_guest(s);

	if (!g)
		return -ENOTCONN;
	return vgpu_compute_ioctl(g, &s->leases, arg, lease);
}

static int vgpu_ioctl_compute_lease(struct vgpu_session *s, void *arg,
				    void __user *uarg)
{
	return vgpu_ioctl_compute(s, arg, true);
}

static int vgpu_ioctl_compute_return(struct vgpu_session *s, void *arg,
				     void __user *uarg)
{
	return vgpu_ioctl_compute(s, arg, false);
}

/* ------------------------------------------------------------------------ */

/**
 * struct vgpu_ioctl_op - one entry of the dispatch table
 * @cmd: the full ioctl number
 * @size: sizeof() of its argument in this module
 * @min_size: offsetofend() of the last mandatory field
 * @fn: the handler; gets a zero-extended copy of the argument (and the
 *	user's pointer, for a handler that must tell the user before it acts)
 * @undo: when set, the result is copied back to the user, and @undo is
 *	called if that copy fails after @fn succeeded (to release the handle
 *	the user will never learn); vgpu_no_undo when nothing is to undo;
 *	NULL when the handler writes its result itself
 */
struct vgpu_ioctl_op {
	unsigned int cmd;
	unsigned int size;
	unsigned int min_size;
	int (*fn)(struct vgpu_session *s, void *arg, void __user *uarg);
	void (*undo)(struct vgpu_session *s, void *arg);
};

static void vgpu_no_undo(struct vgpu_session *s, void *arg)
{
}

/* Every argument struct is copied into this union: it must hold each one. */
union vgpu_ioctl_buffer {
	struct vgpu_version version;
	struct vgpu_attach attach;
	struct vgpu_ctx_create ctx_create;
	struct vgpu_handle_op handle_op;
	struct vgpu_mem_charge mem_charge;
	struct vgpu_pin pin;
	struct vgpu_usage usage;
	struct vgpu_compute_lease compute_lease;
};

/*
 * Build-time checks of each entry (iommufd's): the union holds the struct and
 * the command number encodes that struct's size.
 */
#define VGPU_IOCTL_OP(_ioctl, _fn, _undo, _struct, _last)		\
	[_IOC_NR(_ioctl) - VGPU_CMD_BASE] = {				\
		.cmd = _ioctl,						\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union vgpu_ioctl_buffer) < \
					  sizeof(_struct)) +		\
			BUILD_BUG_ON_ZERO(_IOC_SIZE(_ioctl) != sizeof(_struct)), \
		.min_size = offsetofend(_struct, _last),		\
		.fn = _fn,						\
		.undo = _undo,						\
	}

static const struct vgpu_ioctl_op vgpu_ioctl_ops[] = {
	VGPU_IOCTL_OP(VGPU_IOC_VERSION, vgpu_ioctl_version, vgpu_no_undo,
		      struct vgpu_version, __reserved),
	VGPU_IOCTL_OP(VGPU_IOC_ATTACH, vgpu_ioctl_attach, NULL,
		      struct vgpu_attach, name),
	VGPU_IOCTL_OP(VGPU_IOC_CTX_CREATE, vgpu_ioctl_ctx_create,
		      vgpu_undo_ctx_create, struct vgpu_ctx_create, mem_bytes),
	VGPU_IOCTL_OP(VGPU_IOC_CTX_DESTROY, vgpu_ioctl_ctx_destroy, NULL,
		      struct vgpu_handle_op, __reserved),
	VGPU_IOCTL_OP(VGPU_IOC_MEM_CHARGE, vgpu_ioctl_mem_charge,
		      vgpu_undo_mem_charge, struct vgpu_mem_charge, bytes),
	VGPU_IOCTL_OP(VGPU_IOC_MEM_UNCHARGE, vgpu_ioctl_mem_uncharge, NULL,
		      struct vgpu_handle_op, __reserved),
	VGPU_IOCTL_OP(VGPU_IOC_PIN, vgpu_ioctl_pin, vgpu_undo_pin,
		      struct vgpu_pin, length),
	VGPU_IOCTL_OP(VGPU_IOC_UNPIN, vgpu_ioctl_unpin, NULL,
		      struct vgpu_handle_op, __reserved),
	VGPU_IOCTL_OP(VGPU_IOC_USAGE, vgpu_ioctl_usage, vgpu_no_undo,
		      struct vgpu_usage, res),
	/* a lease the caller is not told of is settled at close, as used */
	VGPU_IOCTL_OP(VGPU_IOC_COMPUTE_LEASE, vgpu_ioctl_compute_lease,
		      vgpu_no_undo, struct vgpu_compute_lease, budget_ns),
	VGPU_IOCTL_OP(VGPU_IOC_COMPUTE_RETURN, vgpu_ioctl_compute_return,
		      vgpu_no_undo, struct vgpu_compute_lease, budget_ns),
};

static bool vgpu_ioctl_charges(unsigned int cmd)
{
	switch (cmd) {
	case VGPU_IOC_CTX_CREATE:
	case VGPU_IOC_MEM_CHARGE:
	case VGPU_IOC_PIN:
	case VGPU_IOC_COMPUTE_LEASE:
		return true;
	}
	return false;
}

static long vgpu_fops_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct vgpu_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct vgpu_ioctl_op *op;
	union vgpu_ioctl_buffer buf;
	unsigned int nr = _IOC_NR(cmd);
	u32 usize;
	int ret;

	if (_IOC_TYPE(cmd) != VGPU_TYPE || nr < VGPU_CMD_BASE ||
	    nr - VGPU_CMD_BASE >= ARRAY_SIZE(vgpu_ioctl_ops))
		return -ENOTTY;
	op = &vgpu_ioctl_ops[nr - VGPU_CMD_BASE];
	if (!op->fn || op->cmd != cmd)
		return -ENOTTY;

	/* what charges the guest needs a file opened for writing */
	if (vgpu_ioctl_charges(cmd) && !(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < op->min_size)
		return -EINVAL;
	/* bounds the scan of trailing bytes that must be zero */
	if (usize > VGPU_ARG_SIZE_MAX)
		return -E2BIG;
	ret = copy_struct_from_user(&buf, op->size, uarg, usize);
	if (ret)
		return ret;

	ret = op->fn(s, &buf, uarg);
	if (ret || !op->undo)
		return ret;
	if (copy_to_user(uarg, &buf, min_t(u32, usize, op->size))) {
		op->undo(s, &buf);
		return -EFAULT;
	}
	return 0;
}

static int vgpu_fops_open(struct inode *inode, struct file *file)
{
	struct vgpu_session *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	xa_init_flags(&s->objs, XA_FLAGS_ALLOC1);
	if (xa_reserve(&s->objs, VGPU_HANDLE_PINNED_IDX, GFP_KERNEL_ACCOUNT)) {
		kfree(s);
		return -ENOMEM;
	}
	file->private_data = s;
	atomic_inc(&vgpu_nr_sessions);
	return 0;
}

static int vgpu_fops_release(struct inode *inode, struct file *file)
{
	struct vgpu_session *s = file->private_data;
	struct vgpu_guest *g = s->guest;
	struct vgpu_obj *o;
	unsigned long handle;

	/* No ioctl can run any more: the objects are ours alone. */
	xa_for_each(&s->objs, handle, o) {
		vgpu_obj_release(s, g, o);
		cond_resched();
	}
	xa_destroy(&s->objs);
	vgpu_compute_session_release(g, s->leases);

	if (g) {
		mutex_lock(&vgpu_lock);
		WRITE_ONCE(g->sessions, g->sessions - 1);
		mutex_unlock(&vgpu_lock);
		vgpu_guest_put(g);
	}
	atomic_dec(&vgpu_nr_sessions);
	kfree(s);
	return 0;
}

const struct file_operations vgpu_fops = {
	.owner = THIS_MODULE,
	.open = vgpu_fops_open,
	.release = vgpu_fops_release,
	.unlocked_ioctl = vgpu_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};
