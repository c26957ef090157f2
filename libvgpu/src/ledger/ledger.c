// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The ledger: /dev/vgpu when present, else an in-process ledger with the same
 * semantics (charge-or-refuse with no overshoot, EDQUOT, current/peak/limit/
 * limit-hit counters, everything released at close).
 *
 * The in-process books are per guest name per process: two sessions of one
 * guest in one process share them, as two sessions of one guest share the
 * kernel's books.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/vgpu.h>

#include "common/resource.h"
#include "core/env.h"
#include "core/internal.h"
#include "include/vgpu_compute_math.h"

_Static_assert((int)VGPU_LIB_RES_MEMORY == (int)VGPU_RES_MEMORY, "resource order");
_Static_assert((int)VGPU_LIB_RES_PINNED == (int)VGPU_RES_PINNED, "resource order");
_Static_assert((int)VGPU_LIB_RES_CONTEXTS == (int)VGPU_RES_CONTEXTS, "resource order");

struct charge {
	uint64_t amount[VGPU_LIB_RES_NR];
	bool used;
	void *pin_addr;
	size_t pin_len;
};

struct cbudget;

struct book {
	struct book *next;
	char name[VGPU_NAME_MAX];
	int refs;
	uint64_t used[VGPU_LIB_RES_NR], peak[VGPU_LIB_RES_NR];
	uint64_t limit[VGPU_LIB_RES_NR], hits[VGPU_LIB_RES_NR];
	/* compute time (see the compute section below) */
	uint32_t cpct, cperiod_us, cweight;
	uint64_t cconsumed, chits, cthrottled, cfallback;
	struct cbudget *cb[VGPU_COMPUTE_MAX_DEVICES];
};

/* the lease one ledger (session) holds on a device, in-process */
struct cslot {
	uint64_t granted, gen;
};

/* libvgpu's handle on the books of one guest (the kernel's struct vgpu_ledger is
 * one resource of a guest in the module) */
struct vgpu_lib_ledger {
	int fd;				/* /dev/vgpu, or -1 */
	uint32_t guest_id;
	struct book *book;		/* in-process */
	struct charge *ch;		/* in-process handles: index + 1 */
	uint32_t nch;
	struct cslot *cslot;		/* in-process leases, per device, lazily */
	bool turns;			/* the module takes turns (VGPU_CAP_COMPUTE_TURNS) */
};

static pthread_mutex_t books_lock = PTHREAD_MUTEX_INITIALIZER;
static struct book *books;

/* an in-process limit from the environment (checked by vgpu_session_open) */
static uint64_t env_limit(const char *name)
{
	uint64_t v;
	int r = !strcmp(name, "VGPU_CONTEXT_LIMIT") ? vgpu_env_count(name, &v) :
		vgpu_env_size(name, &v);

	return r ? VGPU_UNLIMITED : v;
}

static void compute_env(struct book *b);

static int kernel_open(struct vgpu_lib_ledger *l, const char *guest, char *why, size_t whylen)
{
	const char *path = getenv("VGPU_DEVICE_PATH");
	struct vgpu_version ver = { .size = sizeof(ver) };
	struct vgpu_attach at = { .size = sizeof(at), .flags = VGPU_ATTACH_BY_NAME };
	int fd, err;

	fd = open(path && *path ? path : "/dev/vgpu", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		snprintf(why, whylen, "cannot open %s: %s", path && *path ? path : "/dev/vgpu",
			 strerror(err));
		/* 1: no module here (not an error: the in-process ledger serves) */
		return err == ENOENT || err == ENODEV || err == ENXIO ? 1 : -err;
	}
	if (ioctl(fd, VGPU_IOC_VERSION, &ver) < 0) {
		err = -errno;
		snprintf(why, whylen, "/dev/vgpu: VERSION: %s", strerror(errno));
		close(fd);
		return err == -ENOTTY ? -ENODEV : err;
	}
	if ((ver.caps & (VGPU_CAP_CONTEXTS | VGPU_CAP_MEMORY)) !=
	    (VGPU_CAP_CONTEXTS | VGPU_CAP_MEMORY)) {
		snprintf(why, whylen, "/dev/vgpu lacks context/memory accounting (caps %#llx)",
			 (unsigned long long)ver.caps);
		close(fd);
		return -EOPNOTSUPP;
	}
	snprintf(at.name, sizeof(at.name), "%s", guest);
	if (ioctl(fd, VGPU_IOC_ATTACH, &at) < 0) {
		err = -errno;
		snprintf(why, whylen, "/dev/vgpu: attach to guest '%s': %s", guest, strerror(errno));
		close(fd);
		return err;
	}
	l->fd = fd;
	l->guest_id = at.guest_id;
	/* VGPU_COMPUTE_TURNS=0: concurrent work wanted (MPS), no turns */
	l->turns = ver.caps & VGPU_CAP_COMPUTE_TURNS;
	if (l->turns)
		vgpu_env_bool("VGPU_COMPUTE_TURNS", &l->turns);
	return 0;
}

int vgpu_ledger_open(struct vgpu_lib_ledger **lp, const char *guest, int mode,
		     const struct vgpu_ledger_limits *lim, char *why, size_t whylen)
{
	static const char *const env[] = {
		"VGPU_LEDGER", "VGPU_MEM_LIMIT", "VGPU_PINNED_LIMIT", "VGPU_CONTEXT_LIMIT",
	};
	struct vgpu_lib_ledger *l = calloc(1, sizeof(*l));
	int em;
	struct book *b;
	int ret;

	why[0] = 0;
	/* checked here too for users of the ledger without a session (preload) */
	for (int i = 0; i < (int)(sizeof(env) / sizeof(env[0])); i++)
		if (vgpu_env_check_var(env[i], why, whylen)) {
			free(l);
			return -EINVAL;
		}
	if (!l)
		return -ENOMEM;
	l->fd = -1;
	if (!vgpu_env_word("VGPU_LEDGER", vgpu_env_ledger_words, &em))
		mode = em + 1;	/* inprocess: 1, device: 2 */
	if (mode != 1) {
		ret = kernel_open(l, guest, why, whylen);
		if (!ret) {
			*lp = l;
			return 0;
		}
		/* a module that is there but refuses (no guest, not owner) is an answer */
		if (ret < 0 || mode == 2) {
			free(l);
			return ret < 0 ? ret : -ENODEV;
		}
	}
	pthread_mutex_lock(&books_lock);
	for (b = books; b; b = b->next)
		if (!strcmp(b->name, guest))
			break;
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b) {
			pthread_mutex_unlock(&books_lock);
			free(l);
			return -ENOMEM;
		}
		snprintf(b->name, sizeof(b->name), "%s", guest);
		b->limit[VGPU_LIB_RES_MEMORY] = env_limit("VGPU_MEM_LIMIT");
		b->limit[VGPU_LIB_RES_PINNED] = env_limit("VGPU_PINNED_LIMIT");
		b->limit[VGPU_LIB_RES_CONTEXTS] = env_limit("VGPU_CONTEXT_LIMIT");
		compute_env(b);
		b->next = books;
		books = b;
		if (lim && lim->set)
			memcpy(b->limit, lim->limit, sizeof(b->limit));
	} else if (lim && lim->set) {
		memcpy(b->limit, lim->limit, sizeof(b->limit));
	}
	b->refs++;
	pthread_mutex_unlock(&books_lock);
	l->book = b;
	*lp = l;
	return 0;
}

bool vgpu_ledger_is_kernel(struct vgpu_lib_ledger *l)
{
	return l->fd >= 0;
}

/* in-process: charge all of amount[] or nothing */
static int ip_charge(struct vgpu_lib_ledger *l, const uint64_t amount[VGPU_LIB_RES_NR], uint32_t *h)
{
	struct book *b = l->book;
	struct charge *c = NULL;
	uint32_t i;

	pthread_mutex_lock(&books_lock);
	for (int r = 0; r < VGPU_LIB_RES_NR; r++) {
		if (!amount[r])
			continue;
		if (b->used[r] + amount[r] < b->used[r] ||
		    (b->limit[r] != VGPU_UNLIMITED && b->used[r] + amount[r] > b->limit[r])) {
			b->hits[r]++;
			pthread_mutex_unlock(&books_lock);
			return -EDQUOT;
		}
	}
	for (i = 0; i < l->nch; i++)
		if (!l->ch[i].used) {
			c = &l->ch[i];
			break;
		}
	if (!c) {
		struct charge *n = realloc(l->ch, (l->nch + 16) * sizeof(*n));

		if (!n) {
			pthread_mutex_unlock(&books_lock);
			return -ENOMEM;
		}
		memset(n + l->nch, 0, 16 * sizeof(*n));
		l->ch = n;
		c = &n[l->nch];
		i = l->nch;
		l->nch += 16;
	}
	memset(c, 0, sizeof(*c));
	c->used = true;
	for (int r = 0; r < VGPU_LIB_RES_NR; r++) {
		c->amount[r] = amount[r];
		b->used[r] += amount[r];
		if (b->used[r] > b->peak[r])
			b->peak[r] = b->used[r];
	}
	pthread_mutex_unlock(&books_lock);
	*h = i + 1;
	return 0;
}

static int ip_release(struct vgpu_lib_ledger *l, uint32_t h, int kind_res)
{
	struct charge *c;

	pthread_mutex_lock(&books_lock);
	if (!h || h > l->nch || !l->ch[h - 1].used || !l->ch[h - 1].amount[kind_res]) {
		pthread_mutex_unlock(&books_lock);
		return -ENOENT;
	}
	c = &l->ch[h - 1];
	for (int r = 0; r < VGPU_LIB_RES_NR; r++)
		l->book->used[r] -= c->amount[r];
	if (c->pin_addr)
		munlock(c->pin_addr, c->pin_len);
	memset(c, 0, sizeof(*c));
	pthread_mutex_unlock(&books_lock);
	return 0;
}

static void compute_close(struct vgpu_lib_ledger *l);

void vgpu_ledger_close(struct vgpu_lib_ledger *l)
{
	if (!l)
		return;
	if (l->fd >= 0) {
		close(l->fd);		/* the kernel releases everything */
	} else {
		compute_close(l);
		for (uint32_t i = 0; i < l->nch; i++)
			if (l->ch[i].used) {
				for (int r = 0; r < VGPU_LIB_RES_NR; r++)
					if (l->ch[i].amount[r]) {
						ip_release(l, i + 1, r);
						break;
					}
			}
		pthread_mutex_lock(&books_lock);
		l->book->refs--;	/* books persist for the process, like the guest */
		pthread_mutex_unlock(&books_lock);
	}
	free(l->ch);
	free(l->cslot);
	free(l);
}

int vgpu_ledger_ctx_create(struct vgpu_lib_ledger *l, int device, uint64_t mem, uint32_t *h)
{
	if (l->fd >= 0) {
		struct vgpu_ctx_create a = { .size = sizeof(a), .device = (uint32_t)device,
					     .mem_bytes = mem };

		if (ioctl(l->fd, VGPU_IOC_CTX_CREATE, &a) < 0)
			return -errno;
		*h = a.ctx_id;
		return 0;
	}
	uint64_t amt[VGPU_LIB_RES_NR] = { [VGPU_LIB_RES_MEMORY] = mem, [VGPU_LIB_RES_CONTEXTS] = 1 };

	return ip_charge(l, amt, h);
}

/* Release charge @h of resource @res: the kernel's @cmd, or in-process. */
static int release(struct vgpu_lib_ledger *l, unsigned long cmd, uint32_t h, int res)
{
	if (l->fd >= 0) {
		struct vgpu_handle_op a = { .size = sizeof(a), .handle = h };

		return ioctl(l->fd, cmd, &a) < 0 ? -errno : 0;
	}
	return ip_release(l, h, res);
}

int vgpu_ledger_ctx_destroy(struct vgpu_lib_ledger *l, uint32_t h)
{
	return release(l, VGPU_IOC_CTX_DESTROY, h, VGPU_LIB_RES_CONTEXTS);
}

int vgpu_ledger_mem_charge(struct vgpu_lib_ledger *l, int device, uint64_t bytes, uint32_t *h)
{
	if (!bytes)
		return -EINVAL;
	if (l->fd >= 0) {
		struct vgpu_mem_charge a = { .size = sizeof(a), .device = (uint32_t)device,
					     .bytes = bytes };

		if (ioctl(l->fd, VGPU_IOC_MEM_CHARGE, &a) < 0)
			return -errno;
		*h = a.handle;
		return 0;
	}
	uint64_t amt[VGPU_LIB_RES_NR] = { [VGPU_LIB_RES_MEMORY] = bytes };

	return ip_charge(l, amt, h);
}

int vgpu_ledger_mem_uncharge(struct vgpu_lib_ledger *l, uint32_t h)
{
	return release(l, VGPU_IOC_MEM_UNCHARGE, h, VGPU_LIB_RES_MEMORY);
}

int vgpu_ledger_pin(struct vgpu_lib_ledger *l, void *addr, size_t len, uint32_t *h)
{
	int ret;

	if (l->fd >= 0) {
		struct vgpu_pin a = { .size = sizeof(a), .flags = VGPU_PIN_WRITE,
				      .addr = (uint64_t)(uintptr_t)addr, .length = len };

		if (ioctl(l->fd, VGPU_IOC_PIN, &a) < 0)
			return -errno;
		*h = a.handle;
		return 0;
	}
	uint64_t amt[VGPU_LIB_RES_NR] = { [VGPU_LIB_RES_PINNED] = len };

	ret = ip_charge(l, amt, h);
	if (ret)
		return ret;
	if (mlock(addr, len)) {
		ret = errno == EPERM || errno == EAGAIN ? -ENOMEM : -errno;
		ip_release(l, *h, VGPU_LIB_RES_PINNED);
		return ret;
	}
	pthread_mutex_lock(&books_lock);
	l->ch[*h - 1].pin_addr = addr;
	l->ch[*h - 1].pin_len = len;
	pthread_mutex_unlock(&books_lock);
	return 0;
}

/*
 * Host memory the GPU driver pins itself (cuMemHostAlloc, cuMemHostRegister:
 * libvgpu-preload). The kernel ledger pins the pages that cover the range
 * once more, which charges them to the guest's pinned quota (and the
 * process's RLIMIT_MEMLOCK) while the charge lives; the in-process ledger
 * only charges, as the driver holds the pages. Released with
 * vgpu_ledger_unpin().
 */
int vgpu_ledger_host_pinned(struct vgpu_lib_ledger *l, void *addr, size_t len, uint32_t *h)
{
	if (l->fd >= 0) {
		uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
		uintptr_t start = (uintptr_t)addr & ~(pg - 1);
		uintptr_t end = ((uintptr_t)addr + len + pg - 1) & ~(pg - 1);

		if (!addr || !len || end <= start)
			return -EINVAL;
		return vgpu_ledger_pin(l, (void *)start, end - start, h);
	}
	uint64_t amt[VGPU_LIB_RES_NR] = { [VGPU_LIB_RES_PINNED] = len };

	return len ? ip_charge(l, amt, h) : -EINVAL;
}

int vgpu_ledger_unpin(struct vgpu_lib_ledger *l, uint32_t h)
{
	return release(l, VGPU_IOC_UNPIN, h, VGPU_LIB_RES_PINNED);
}

int vgpu_ledger_get_usage(struct vgpu_lib_ledger *l, struct vgpu_ledger_usage *u)
{
	if (l->fd >= 0) {
		struct vgpu_usage k;

		memset(&k, 0, sizeof(k));
		k.size = sizeof(k);
		if (ioctl(l->fd, VGPU_IOC_USAGE, &k) < 0)
			return -errno;
		u->kernel = 1;
		u->guest_id = k.guest_id;
		for (int r = 0; r < VGPU_LIB_RES_NR; r++) {
			u->used[r] = k.res[r].used;
			u->peak[r] = k.res[r].peak;
			u->limit[r] = k.res[r].limit;
			u->limit_hits[r] = k.res[r].limit_hits;
		}
		return 0;
	}
	pthread_mutex_lock(&books_lock);
	u->kernel = 0;
	u->guest_id = 0;
	for (int r = 0; r < VGPU_LIB_RES_NR; r++) {
		u->used[r] = l->book->used[r];
		u->peak[r] = l->book->peak[r];
		u->limit[r] = l->book->limit[r];
		u->limit_hits[r] = l->book->hits[r];
	}
	pthread_mutex_unlock(&books_lock);
	return 0;
}

int vgpu_ledger_limit(struct vgpu_lib_ledger *l, int res, uint64_t limit)
{
	if (l->fd >= 0)
		return -EOPNOTSUPP;
	if (res < 0 || res >= VGPU_LIB_RES_NR)
		return -EINVAL;
	pthread_mutex_lock(&books_lock);
	l->book->limit[res] = limit;
	pthread_mutex_unlock(&books_lock);
	return 0;
}

/* ---- compute time ------------------------------------------------------------ */

/*
 * In-process budgets follow the kernel's rules: the same arithmetic
 * (include/vgpu_compute_math.h: refill, debt, leases, weights by
 * water-filling over the weighted books that asked for the device), a
 * budget per guest book and device, a closed ledger's leases settled as
 * used. All under books_lock.
 */
struct cbudget {
	struct vgpu_cbudget cb;
	struct book *book;
};

_Static_assert(VGPU_CM_SHARE_ONE == VGPU_SHARE_ONE, "one share scale");

/* the in-process guest's GPU time from the environment (checked at session open) */
static void compute_env(struct book *b)
{
	uint64_t v;

	b->cperiod_us = VGPU_COMPUTE_PERIOD_DEFAULT_US;
	if (!vgpu_env_uint("VGPU_COMPUTE_LIMIT", 1, 100, &v))
		b->cpct = (uint32_t)v;
	if (!vgpu_env_uint("VGPU_COMPUTE_PERIOD_US", VGPU_COMPUTE_PERIOD_MIN_US,
			   VGPU_COMPUTE_PERIOD_MAX_US, &v))
		b->cperiod_us = (uint32_t)v;
	if (!vgpu_env_uint("VGPU_COMPUTE_WEIGHT", 0, VGPU_COMPUTE_WEIGHT_MAX, &v))
		b->cweight = (uint32_t)v;
}

/* the budgets of device (intptr_t)@it after @prev, over the books (vgpu_cb_next_t) */
static struct vgpu_cbudget *cb_next(void *it, struct vgpu_cbudget *prev)
{
	int device = (int)(intptr_t)it;
	struct book *b = prev ? ((struct cbudget *)prev)->book->next : books;

	for (; b; b = b->next)
		if (b->cb[device])
			return &b->cb[device]->cb;
	return NULL;
}

#define CB_IT(d)	((void *)(intptr_t)(d))

static void cb_roll(struct cbudget *c, int device, uint64_t now)
{
	vgpu_cb_roll(&c->cb, now, cb_next, CB_IT(device));
}

static void cb_settle(struct book *b, struct cbudget *c, struct cslot *slot, uint64_t used)
{
	vgpu_cb_settle(&c->cb, slot->granted, slot->gen, used);
	b->cconsumed += used;
	slot->granted = 0;
}

/*
 * In-process, one session at a time holds a device: its lease's work is
 * measured from its first launch to its completion, a window that another
 * session's work must not share, or both would be charged for it. A lease
 * held longer than twice its length and a period (a session that stopped
 * launching) no longer holds the device. A holder that settles while another session
 * waits hands the device over.
 *
 * A session told to wait sleeps on cdev_wake (vgpu_ledger_compute_wait) for
 * at most WAIT_POLL_NS at a time; the holder signals it when it lets the
 * device go, so that the device idles between two sessions' windows only
 * for a wake-up. A holder that hands
 * over waits at most HANDOVER_NS for the waiter to take the device, then
 * takes it back. A holder whose session synchronises explicitly while
 * another waits returns its lease there (vgpu_compute_idle): a session that
 * stopped launching would hold the device until its hold lapses.
 */
static struct {
	struct vgpu_lib_ledger *owner;
	uint64_t until;			/* the owner's hold lapses then */
	struct vgpu_lib_ledger *waiter;	/* the last session told to wait */
	uint64_t wait_end;		/* it waits until then */
	struct vgpu_lib_ledger *next;	/* handed over to, until it takes the device */
	uint64_t next_until;		/* or until then */
} cdev[VGPU_COMPUTE_MAX_DEVICES];

static pthread_cond_t cdev_wake;	/* a device was let go; books_lock */
static pthread_once_t cdev_once = PTHREAD_ONCE_INIT;

static void cdev_init(void)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&cdev_wake, &a);
	pthread_condattr_destroy(&a);
}

/*
 * A waiter that asks again is still there for 5 ms; one handed the device
 * has 5 ms to take it (it is woken at once: a loaded host may take
 * milliseconds to run it, and the holder would take the device back).
 */
#define HANDOVER_NS	5000000ull
/*
 * A waiter asks again at least every 50 us: on the H200 machine (a VM) the
 * device idled between two sessions' turns of 10 ms kernels 0.6-0.9 % of the
 * time when waiters slept until woken, 0.2-0.3 % when they polled every
 * 50 us (run 5 and run 4a in Documentation/benchmarks.md).
 */
#define WAIT_POLL_NS	50000ull

static void cdev_wake_all(void)
{
	pthread_once(&cdev_once, cdev_init);
	pthread_cond_broadcast(&cdev_wake);
}

/* @l lets @device go: wake whoever waits for it. books_lock held. */
static void cdev_release(struct vgpu_lib_ledger *l, int device)
{
	if (cdev[device].owner != l)
		return;
	cdev[device].owner = NULL;
	if (cdev[device].waiter)
		cdev_wake_all();
}

/* Until when another session has @device (0: @l may take it). books_lock held. */
static uint64_t cdev_other(struct vgpu_lib_ledger *l, int device, uint64_t now)
{
	if (cdev[device].owner && cdev[device].owner != l && now < cdev[device].until)
		return cdev[device].until;
	if (cdev[device].next && cdev[device].next != l && now < cdev[device].next_until)
		return cdev[device].next_until;
	return 0;
}

/*
 * @l holds @device and lets it go: if another session waits (while it waits
 * and HANDOVER_NS after, asking again), the device is kept for it for
 * HANDOVER_NS, so that @l's next lease does not take it back before the
 * waiter wakes. Returns whether one did. books_lock held.
 */
static bool cdev_hand_over(struct vgpu_lib_ledger *l, int device, uint64_t now)
{
	if (cdev[device].owner != l || !cdev[device].waiter || cdev[device].waiter == l ||
	    now >= cdev[device].wait_end + HANDOVER_NS) {
		cdev_release(l, device);
		return false;
	}
	cdev[device].next = cdev[device].waiter;
	cdev[device].next_until = now + HANDOVER_NS;
	cdev[device].waiter = NULL;
	cdev_release(l, device);
	cdev_wake_all();
	return true;
}

/* May @l take @device now? Else *wait set. books_lock held. */
static bool cdev_take(struct vgpu_lib_ledger *l, int device, uint64_t now, uint64_t *wait)
{
	uint64_t other = cdev_other(l, device, now);

	if (other) {
		/* woken when the holder lets go, at the latest when its hold lapses */
		cdev[device].waiter = l;
		cdev[device].wait_end = other;
		*wait = other - now;
		return false;
	}
	if (cdev_hand_over(l, device, now)) {
		/* the waiter has HANDOVER_NS to take the device */
		*wait = HANDOVER_NS;
		return false;
	}
	if (cdev[device].next == l)
		cdev[device].next = NULL;
	return true;
}

/*
 * Wait up to @ns for @device, which another session of this process had
 * when @l asked for it: returns early when that session lets it go.
 */
void vgpu_ledger_compute_wait(struct vgpu_lib_ledger *l, int device, uint64_t ns)
{
	struct timespec ts;
	uint64_t end;

	if (l->fd >= 0 || device < 0 || device >= VGPU_COMPUTE_MAX_DEVICES) {
		/* the module's turns: the lease slept there already */
		if (!l->turns)
			vgpu_sleep_ns(ns);
		return;
	}
	pthread_once(&cdev_once, cdev_init);
	if (ns > WAIT_POLL_NS)
		ns = WAIT_POLL_NS;
	end = vgpu_now_ns() + ns;
	ts.tv_sec = (time_t)(end / 1000000000ull);
	ts.tv_nsec = (long)(end % 1000000000ull);
	pthread_mutex_lock(&books_lock);
	/* one wake-up is enough: the caller asks again */
	if (cdev_other(l, device, vgpu_now_ns())) {
		cdev[device].waiter = l;
		cdev[device].wait_end = end;
		pthread_cond_timedwait(&cdev_wake, &books_lock, &ts);
		if (cdev[device].waiter == l)
			cdev[device].wait_end = vgpu_now_ns();
	}
	pthread_mutex_unlock(&books_lock);
}

/*
 * Does @l take turns on its devices with sessions of other processes (the
 * module's VGPU_COMPUTE_TURN)? It is not told when they wait.
 */
bool vgpu_ledger_compute_kernel_turns(struct vgpu_lib_ledger *l)
{
	return l->fd >= 0 && l->turns;
}

/* Does @l hold @device while another session of this process waits for it? */
bool vgpu_ledger_compute_wanted(struct vgpu_lib_ledger *l, int device)
{
	bool w;

	if (l->fd >= 0 || device < 0 || device >= VGPU_COMPUTE_MAX_DEVICES)
		return false;
	pthread_mutex_lock(&books_lock);
	w = cdev[device].owner == l && cdev[device].waiter && cdev[device].waiter != l &&
	    vgpu_now_ns() < cdev[device].wait_end + HANDOVER_NS;
	pthread_mutex_unlock(&books_lock);
	return w;
}

static void cdev_hold(struct vgpu_lib_ledger *l, int device, uint64_t now, uint64_t granted,
		      uint64_t period_ns)
{
	/* a kernel may run far past a small grant: the hold lasts a period at least */
	cdev[device].owner = l;
	cdev[device].until = now + (2 * granted > period_ns ? 2 * granted : period_ns) + 1000000ull;
	if (cdev[device].waiter == l)
		cdev[device].waiter = NULL;
	cdev[device].next = NULL;
}

bool vgpu_ledger_compute_on(struct vgpu_lib_ledger *l)
{
	bool on;

	if (l->fd >= 0)
		return true;
	pthread_mutex_lock(&books_lock);
	on = l->book->cpct || l->book->cweight;
	pthread_mutex_unlock(&books_lock);
	return on;
}

static int ip_lease(struct vgpu_lib_ledger *l, int device, struct vgpu_ledger_lease *a)
{
	struct book *b = l->book;
	struct cbudget *c;
	struct cslot *slot;
	uint64_t now, granted = 0;

	pthread_mutex_lock(&books_lock);
	if (!l->cslot) {
		l->cslot = calloc(VGPU_COMPUTE_MAX_DEVICES, sizeof(*l->cslot));
		if (!l->cslot)
			goto nomem;
	}
	now = vgpu_now_ns();
	c = b->cb[device];
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			goto nomem;
		c->book = b;
		b->cb[device] = c;
		vgpu_cb_init(&c->cb, vgpu_cb_cap_share(b->cpct), b->cweight, b->cperiod_us, now,
			     cb_next, CB_IT(device));
	}
	cb_roll(c, device, now);
	slot = &l->cslot[device];
	if (slot->granted || a->used_ns)
		cb_settle(b, c, slot, a->used_ns);
	b->cfallback += a->fallback_ns;
	a->busy = a->unlimited = false;
	if (a->request_ns && !cdev_take(l, device, now, &a->wait_ns)) {
		a->busy = true;
		a->granted_ns = 0;
		a->period_ns = c->cb.period_ns;
		c->cb.last_ask = now;
		pthread_mutex_unlock(&books_lock);
		return 0;
	}
	if (!a->request_ns)
		cdev_hand_over(l, device, now);
	if (a->request_ns) {
		__u64 throttled, wait;

		granted = vgpu_cb_grant(&c->cb, a->request_ns, now, &wait, &throttled, cb_next,
					CB_IT(device));
		a->wait_ns = wait;
		if (!granted) {
			b->cthrottled += throttled;
			b->chits++;
		}
		slot->granted = granted;
		slot->gen = c->cb.gen;
		if (granted)
			cdev_hold(l, device, now, granted, c->cb.period_ns);
		else if (cdev[device].waiter)
			cdev_wake_all();	/* refused: the device is free */
	}
	a->granted_ns = granted;
	a->period_ns = c->cb.period_ns;
	a->unlimited = !c->cb.limited;
	pthread_mutex_unlock(&books_lock);
	return 0;
nomem:
	pthread_mutex_unlock(&books_lock);
	return -ENOMEM;
}

/* a closing ledger's leases count as used, as the kernel settles them */
static void compute_close(struct vgpu_lib_ledger *l)
{
	uint64_t now;

	if (!l->cslot)
		return;
	pthread_mutex_lock(&books_lock);
	now = vgpu_now_ns();
	for (int d = 0; d < VGPU_COMPUTE_MAX_DEVICES; d++) {
		struct cbudget *c = l->book->cb[d];

		if (!c || !l->cslot[d].granted)
			continue;
		cb_roll(c, d, now);
		cb_settle(l->book, c, &l->cslot[d], l->cslot[d].granted);
	}
	for (int d = 0; d < VGPU_COMPUTE_MAX_DEVICES; d++) {
		cdev_release(l, d);
		if (cdev[d].waiter == l)
			cdev[d].waiter = NULL;
		if (cdev[d].next == l) {
			cdev[d].next = NULL;
			cdev_wake_all();
		}
	}
	pthread_mutex_unlock(&books_lock);
}

/* how long a lease sleeps in the module for the device unless told (wait_max_ns) */
#define TURN_WAIT_NS	(100ull * 1000000)

int vgpu_ledger_compute_lease(struct vgpu_lib_ledger *l, int device, struct vgpu_ledger_lease *a)
{
	if (device < 0 || device >= VGPU_COMPUTE_MAX_DEVICES)
		return -EINVAL;
	if (l->fd >= 0) {
		struct vgpu_compute_lease k = {
			.size = sizeof(k), .device = (uint32_t)device, .request_ns = a->request_ns,
			.used_ns = a->used_ns, .fallback_ns = a->fallback_ns,
		};

		/* turns with the other processes' sessions: sleep in the kernel
		 * while another has the device, woken when it lets go */
		if (l->turns && a->request_ns) {
			k.flags = VGPU_COMPUTE_TURN | VGPU_COMPUTE_WAIT;
			k.wait_ns = a->wait_max_ns ? a->wait_max_ns : TURN_WAIT_NS;
			if (k.wait_ns > VGPU_COMPUTE_WAIT_MAX_NS)
				k.wait_ns = VGPU_COMPUTE_WAIT_MAX_NS;
		}
		if (ioctl(l->fd, a->request_ns ? VGPU_IOC_COMPUTE_LEASE : VGPU_IOC_COMPUTE_RETURN,
			  &k) < 0)
			return -errno;
		a->granted_ns = k.granted_ns;
		a->wait_ns = k.wait_ns;
		a->period_ns = k.period_ns;
		a->busy = k.flags & VGPU_COMPUTE_BUSY;
		a->unlimited = k.budget_ns == INT64_MAX;
		return 0;
	}
	return ip_lease(l, device, a);
}

int vgpu_ledger_compute_get(struct vgpu_lib_ledger *l, struct vgpu_ledger_compute *out)
{
	memset(out, 0, sizeof(*out));
	if (l->fd >= 0) {
		struct vgpu_usage k;

		memset(&k, 0, sizeof(k));
		k.size = sizeof(k);
		if (ioctl(l->fd, VGPU_IOC_USAGE, &k) < 0)
			return -errno;
		out->consumed_ns = k.res[VGPU_RES_COMPUTE].used;
		out->limit_hits = k.res[VGPU_RES_COMPUTE].limit_hits;
		out->limit_pct = k.res[VGPU_RES_COMPUTE].limit == VGPU_LIMIT_UNLIMITED ? 0 :
				 (uint32_t)k.res[VGPU_RES_COMPUTE].limit;
		return 0;
	}
	pthread_mutex_lock(&books_lock);
	{
		struct book *b = l->book;
		uint64_t now = vgpu_now_ns(), sp = 0, ss = 0;

		out->consumed_ns = b->cconsumed;
		out->limit_hits = b->chits;
		out->throttled_ns = b->cthrottled;
		out->fallback_ns = b->cfallback;
		out->limit_pct = b->cpct;
		out->period_us = b->cperiod_us;
		out->weight = b->cweight;
		for (int d = 0; d < VGPU_COMPUTE_MAX_DEVICES; d++) {
			struct cbudget *c = b->cb[d];

			if (!c)
				continue;
			cb_roll(c, d, now);
			sp += vgpu_cb_share_period(&c->cb);
			ss += vgpu_cb_share_second(&c->cb);
		}
		out->share_period = (uint32_t)sp;
		out->share_second = (uint32_t)ss;
	}
	pthread_mutex_unlock(&books_lock);
	return 0;
}

int vgpu_ledger_compute_set(struct vgpu_lib_ledger *l, uint32_t limit_pct, uint32_t period_us,
			    uint32_t weight)
{
	struct book *b;
	uint64_t now;

	if (l->fd >= 0)
		return -EOPNOTSUPP;
	if (limit_pct > 100 || (period_us && (period_us < VGPU_COMPUTE_PERIOD_MIN_US ||
					      period_us > VGPU_COMPUTE_PERIOD_MAX_US)) ||
	    weight > VGPU_COMPUTE_WEIGHT_MAX)
		return -EINVAL;
	pthread_mutex_lock(&books_lock);
	b = l->book;
	b->cpct = limit_pct;
	if (period_us)
		b->cperiod_us = period_us;
	b->cweight = weight;
	now = vgpu_now_ns();
	for (int d = 0; d < VGPU_COMPUTE_MAX_DEVICES; d++) {
		struct cbudget *c = b->cb[d];

		if (!c)
			continue;
		cb_roll(c, d, now);
		vgpu_cb_set(&c->cb, vgpu_cb_cap_share(b->cpct), b->cweight, b->cperiod_us, now,
			    cb_next, CB_IT(d));
	}
	/*
	 * No longer limited: the guest's sessions lease no more (a pseudo-lease
	 * each), so a device one of them holds would stay another's wait until
	 * the hold lapsed (up to a period and more: a 100 % cap set on the other
	 * session just then lost 20 % of its next 0.5 s on the H200). Let it go.
	 */
	if (!b->cpct && !b->cweight)
		for (int d = 0; d < VGPU_COMPUTE_MAX_DEVICES; d++)
			if (cdev[d].owner && cdev[d].owner->book == b)
				cdev_release(cdev[d].owner, d);
	pthread_mutex_unlock(&books_lock);
	return 0;
}

/* ---- public calls ---------------------------------------------------------- */

VGPU_EXPORT const char *vgpu_resource_name(int res)
{
	return res >= 0 && res < VGPU_LIB_RES_NR ? vgpu_res_name((unsigned int)res) : "?";
}

VGPU_EXPORT int vgpu_ledger_usage(vgpu_session *s, struct vgpu_ledger_usage *u)
{
	struct vgpu_ledger_usage o;
	int ret;

	struct vgpu_ledger_compute c;
	size_t n;

	CHECK_SESSION(s);
	/* callers built before the compute fields pass a shorter size */
	if (!u || u->size < offsetof(struct vgpu_ledger_usage, compute_ns))
		return -EINVAL;
	n = u->size < sizeof(o) ? u->size : sizeof(o);
	memset(&o, 0, sizeof(o));
	o.size = (uint32_t)n;
	ret = vgpu_ledger_get_usage(s->ledger, &o);
	if (!ret)
		ret = vgpu_ledger_compute_get(s->ledger, &c);
	if (ret)
		return vgpu_seterr(s, ret, "ledger: usage: %s", strerror(-ret));
	o.compute_ns = c.consumed_ns;
	o.compute_limit_hits = c.limit_hits;
	o.compute_throttled_ns = c.throttled_ns;
	o.compute_fallback_ns = c.fallback_ns;
	o.compute_limit = c.limit_pct;
	o.compute_period_us = c.period_us;
	o.compute_weight = c.weight;
	o.compute_share_period = c.share_period;
	o.compute_share_second = c.share_second;
	memcpy(u, &o, n);
	return 0;
}

VGPU_EXPORT int vgpu_ledger_set_compute(vgpu_session *s, uint32_t limit_pct, uint32_t period_us,
				       uint32_t weight)
{
	int ret;

	CHECK_SESSION(s);
	ret = vgpu_ledger_compute_set(s->ledger, limit_pct, period_us, weight);
	if (ret == -EOPNOTSUPP)
		return vgpu_seterr(s, ret, "the GPU time of /dev/vgpu guests is set by the administrator");
	if (ret == -EINVAL)
		return vgpu_seterr(s, ret, "compute: limit %u (0..100), period %u (0 or 10000..1000000 us), weight %u (0..10000)",
				   limit_pct, period_us, weight);
	/* the session looks again at its next lease */
	pthread_mutex_lock(&s->lock);
	s->cp.left_ns = 0;
	pthread_mutex_unlock(&s->lock);
	return ret;
}

VGPU_EXPORT int vgpu_ledger_set_limit(vgpu_session *s, int res, uint64_t limit)
{
	int ret;

	CHECK_SESSION(s);
	ret = vgpu_ledger_limit(s->ledger, res, limit);
	if (ret == -EOPNOTSUPP)
		return vgpu_seterr(s, ret, "limits of /dev/vgpu guests are set by the administrator");
	return ret;
}
