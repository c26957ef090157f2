/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvgpu core internals: sessions, objects, the ledger. */
#ifndef VGPU_INTERNAL_H
#define VGPU_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "cache/cache.h"

#define VGPU_EXPORT __attribute__((visibility("default")))

/* ---- ledger (ledger.c) --------------------------------------------------- */
struct vgpu_lib_ledger;

struct vgpu_ledger_limits {
	uint64_t limit[VGPU_LIB_RES_NR];	/* VGPU_UNLIMITED = none */
	bool set;				/* apply even to an existing guest */
};

/* mode: 0 auto, 1 in-process only, 2 device only */
int vgpu_ledger_open(struct vgpu_lib_ledger **l, const char *guest, int mode,
		     const struct vgpu_ledger_limits *lim, char *why, size_t whylen) VGPU_INTERNAL;
void vgpu_ledger_close(struct vgpu_lib_ledger *l) VGPU_INTERNAL;
bool vgpu_ledger_is_kernel(struct vgpu_lib_ledger *l) VGPU_INTERNAL;
int vgpu_ledger_ctx_create(struct vgpu_lib_ledger *l, int device, uint64_t mem, uint32_t *h)
	VGPU_INTERNAL;
int vgpu_ledger_ctx_destroy(struct vgpu_lib_ledger *l, uint32_t h) VGPU_INTERNAL;
int vgpu_ledger_mem_charge(struct vgpu_lib_ledger *l, int device, uint64_t bytes, uint32_t *h)
	VGPU_INTERNAL;
int vgpu_ledger_mem_uncharge(struct vgpu_lib_ledger *l, uint32_t h) VGPU_INTERNAL;
int vgpu_ledger_pin(struct vgpu_lib_ledger *l, void *addr, size_t len, uint32_t *h) VGPU_INTERNAL;
int vgpu_ledger_unpin(struct vgpu_lib_ledger *l, uint32_t h) VGPU_INTERNAL;
int vgpu_ledger_host_pinned(struct vgpu_lib_ledger *l, void *addr, size_t len, uint32_t *h)
	VGPU_INTERNAL;
int vgpu_ledger_get_usage(struct vgpu_lib_ledger *l, struct vgpu_ledger_usage *u) VGPU_INTERNAL;
int vgpu_ledger_limit(struct vgpu_lib_ledger *l, int res, uint64_t limit) VGPU_INTERNAL;

/*
 * Compute time (ledger.c): leases of device time, the kernel's
 * VGPU_IOC_COMPUTE_LEASE / _RETURN or the in-process equivalent with the same
 * rules (Documentation/userspace-api/vgpu.rst, "Compute time").
 */
struct vgpu_ledger_lease {
	uint64_t request_ns;		/* in: 0 for a return */
	uint64_t used_ns;		/* in: measured on the lease held */
	uint64_t fallback_ns;		/* in: CPU time instead, since the last report */
	uint64_t wait_max_ns;		/* in: with the module's turns, the longest the
					 * lease may sleep while another process's session
					 * has the device (0: 100 ms) */
	uint64_t granted_ns;		/* out */
	uint64_t wait_ns;		/* out: to the refill, when nothing granted */
	uint64_t period_ns;		/* out */
	bool busy;			/* out: another session holds the device (in
					 * this process, or the module's turns): not a
					 * refusal, ask again after
					 * vgpu_ledger_compute_wait(wait_ns) */
	bool unlimited;			/* out: no cap or weight in force (granted in full) */
};
struct vgpu_ledger_compute {
	uint64_t consumed_ns, limit_hits, throttled_ns, fallback_ns;
	uint32_t limit_pct;		/* 0: none */
	uint32_t period_us, weight;
	uint32_t share_period, share_second;	/* 1/10000, in-process only */
};
/* Does the guest's compute time need leases (kernel: always; in-process: a cap or weight)? */
bool vgpu_ledger_compute_on(struct vgpu_lib_ledger *l) VGPU_INTERNAL;
int vgpu_ledger_compute_lease(struct vgpu_lib_ledger *l, int device, struct vgpu_ledger_lease *a)
	VGPU_INTERNAL;
void vgpu_ledger_compute_wait(struct vgpu_lib_ledger *l, int device, uint64_t ns) VGPU_INTERNAL;
bool vgpu_ledger_compute_wanted(struct vgpu_lib_ledger *l, int device) VGPU_INTERNAL;
bool vgpu_ledger_compute_kernel_turns(struct vgpu_lib_ledger *l) VGPU_INTERNAL;
int vgpu_ledger_compute_get(struct vgpu_lib_ledger *l, struct vgpu_ledger_compute *c) VGPU_INTERNAL;
int vgpu_ledger_compute_set(struct vgpu_lib_ledger *l, uint32_t limit_pct, uint32_t period_us,
			    uint32_t weight) VGPU_INTERNAL;


/* ---- objects ------------------------------------------------------------- */
struct vgpu_list {
	struct vgpu_list *prev, *next;
};

struct vgpu_bk {
	const struct vgpu_backend_ops *ops;
	void *ctx;
	uint32_t ledger_ctx;		/* context handle in the ledger */
	bool charged;			/* the ledger holds a context for it */
};

/* pool.c: an idle block of the buffer pool */
struct vgpu_pool_block {
	uint64_t dptr;
	size_t size;
	uint32_t charge;		/* its ledger charge (of @size bytes) */
};

struct vgpu_pool {
	bool on;
	struct vgpu_pool_block *idle;	/* sorted by size */
	int nidle, cap;
	uint64_t reserved, in_use, idle_bytes, peak;
	uint64_t hits, misses, trims, trimmed, blocks;
};

/* compute time of a session (compute.c), under the session's lock */
struct vgpu_sess_compute {
	bool on;			/* leases in force (else a pseudo-lease) */
	uint64_t left_ns;		/* left of the lease held */
	uint64_t used_ns;		/* measured, not yet reported */
	uint64_t fallback_ns;		/* CPU time instead, not yet reported */
	uint64_t slice_ns;		/* lease size asked */
	uint64_t async_since;		/* first unmeasured async launch, 0: none */
	uint64_t async_n;		/* async launches since */
	bool timed;			/* the window began with the device's timer mark 0 */
	uint64_t est_ns;		/* device time per async launch, last window */
	uint8_t early;			/* EARLY_*: the window's hand-over mark (compute.c) */
	uint64_t early_n;		/* async launches before it */
	bool tail;			/* the last window's end, mark 2 to mark 1, unread */
	uint64_t tail_n;		/* its launches */
};

struct vgpu_session {
	uint32_t magic;
	pthread_mutex_t lock;
	char guest[32];
	int device;
	unsigned int cpu_threads;
	uint32_t fallback;
	struct vgpu_bk gpu;		/* the session's backend (may be the CPU) */
	struct vgpu_bk cpu;		/* CPU backend for fallback, created lazily */
	bool primary_is_cpu;
	struct vgpu_lib_ledger *ledger;
	struct vgpu_cache *cache;
	bool cache_on;
	char *err;			/* last error text */
	size_t errcap;
	struct vgpu_stats st;
	struct vgpu_pool pool;
	struct vgpu_list pool_node;	/* in pool.c's list of sessions (same books: same guest) */
	bool async_pending;		/* asynchronous work queued since the last session sync */
	struct vgpu_sess_compute cp;
	char fbtext[VGPU_FB_NR][256];
	struct vgpu_list buffers, streams, modules, pins, batches;
};

struct vgpu_buffer {
	uint32_t magic;
	struct vgpu_list node;
	vgpu_session *sess;
	struct vgpu_bk *bk;		/* &sess->gpu or &sess->cpu */
	uint64_t dptr;
	size_t size;
	size_t block;			/* bytes allocated and charged for it (>= size) */
	uint32_t charge;
	bool charged;
	bool pooled;			/* its block returns to the session's pool */
	bool on_host;			/* quota fallback or CPU session */
};

struct vgpu_stream {
	uint32_t magic;
	struct vgpu_list node;
	vgpu_session *sess;
	void *bks;			/* stream of sess->gpu */
};

struct vgpu_kernel {
	uint32_t magic;
	vgpu_module *mod;
	struct vgpu_kernel *next;
	char name[VGPU_KNAME_MAX];	/* canonical name expression */
	const struct vgpu_kinfo *info;	/* NULL: unknown signature; else &sig */
	struct vgpu_kinfo sig;		/* the compiler's, the driver's or the parse's */
	uint32_t sig_source;		/* enum vgpu_sig_source */
	void *fn;			/* on mod->bk */
	void *cpufn;			/* on the CPU module, lazily */
};

struct vgpu_module {
	uint32_t magic;
	struct vgpu_list node;
	vgpu_session *sess;
	struct vgpu_bk *bk;		/* where it is loaded */
	void *bkmod;
	struct vgpu_ksig sig;		/* parsed from source */
	struct vgpu_ksig *imgsig;	/* carried by the image (CPU) */
	char *src;			/* kept for a CPU compile on fallback */
	size_t srclen;
	char **options;
	int nr_options;
	char **names;			/* canonical name expressions compiled for */
	int nr_names;
	int nr_user_names;		/* the first ones: the caller's (vgpu_compile_opts.names) */
	char **gnames;			/* globals the host wrote (copied into a later CPU copy) */
	int nr_gnames;
	char *name;
	void *image;
	size_t image_len;
	void *cpumod;			/* CPU copy for fallback/batch routes */
	struct vgpu_ksig *cpusig;
	struct vgpu_kernel *kernels;
};

struct vgpu_pin_rec {
	struct vgpu_list node;
	void *ptr;
	size_t len;
	uint32_t handle;
	bool registered;
};

struct vgpu_batch {
	uint32_t magic;
	struct vgpu_list node;
	vgpu_session *sess;
	uint32_t flags;
	uint64_t threshold;
	uint32_t explore_every;
	uint64_t decisions;
	struct {
		double s0, sx, sy, sxx, sxy;
		double xmin, xmax;
		uint64_t n;
	} fit[2];
};

#define VGPU_MAGIC_SESSION	0x76736573u
#define VGPU_MAGIC_BUFFER	0x76627566u
#define VGPU_MAGIC_STREAM	0x76737472u
#define VGPU_MAGIC_MODULE	0x766d6f64u
#define VGPU_MAGIC_KERNEL	0x766b726eu
#define VGPU_MAGIC_BATCH	0x76626174u

#define CHECK_SESSION(s) do { if (!(s) || (s)->magic != VGPU_MAGIC_SESSION) return -EINVAL; } while (0)

int vgpu_seterr(vgpu_session *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4))) VGPU_INTERNAL;
void vgpu_list_init(struct vgpu_list *l) VGPU_INTERNAL;
void vgpu_list_add(struct vgpu_list *head, struct vgpu_list *n) VGPU_INTERNAL;
void vgpu_list_del(struct vgpu_list *n) VGPU_INTERNAL;

/* ---- shared by the core's files ----------------------------------------- */
#define CHECK_STREAM_OF(st, s) do {							\
	if ((st) && ((st)->magic != VGPU_MAGIC_STREAM || (st)->sess != (s)))		\
		return vgpu_seterr((s), -EINVAL, "bad stream handle");			\
} while (0)

/* session.c */
struct vgpu_bk *vgpu_cpu_bk(vgpu_session *s) VGPU_INTERNAL;	/* opens it lazily; NULL: see last error */
/* is @bk the CPU: the fallback's, or the session's own (inline: every launch asks) */
static inline bool vgpu_is_cpu(vgpu_session *s, struct vgpu_bk *bk)
{
	return bk == &s->cpu || (bk == &s->gpu && s->primary_is_cpu);
}
const char *vgpu_bk_err(struct vgpu_bk *bk) VGPU_INTERNAL;	/* the backend's text of its last failure */
void vgpu_count_fallback(vgpu_session *s, int reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4))) VGPU_INTERNAL;
/* compute.c (s->lock held): device time leased, measured, reported */
int vgpu_compute_begin(vgpu_session *s, int64_t timeout_ns, bool *cpu) VGPU_INTERNAL;
void vgpu_compute_spent(vgpu_session *s, uint64_t ns) VGPU_INTERNAL;
void vgpu_compute_open(vgpu_session *s) VGPU_INTERNAL;
void vgpu_compute_async(vgpu_session *s, uint64_t t0) VGPU_INTERNAL;
int vgpu_compute_sync(vgpu_session *s, int64_t timeout_ns) VGPU_INTERNAL;
void vgpu_compute_idle(vgpu_session *s) VGPU_INTERNAL;
void vgpu_compute_fallback(vgpu_session *s, uint64_t ns) VGPU_INTERNAL;
void vgpu_compute_close(vgpu_session *s) VGPU_INTERNAL;
/* buffer.c, module.c (s->lock held) */
int vgpu_buffer_free_locked(vgpu_buffer *b) VGPU_INTERNAL;
int vgpu_module_unload_locked(vgpu_module *m) VGPU_INTERNAL;
/* module.c: compile @m's source on @bk (through the cache when @use_cache) */
int vgpu_module_build(vgpu_session *s, vgpu_module *m, struct vgpu_bk *bk, bool use_cache,
		      void **bkmod, struct vgpu_ksig **imgsig, void **image, size_t *image_len) VGPU_INTERNAL;

/* pool.c (s->lock held) */
size_t vgpu_pool_round(size_t bytes) VGPU_INTERNAL;
bool vgpu_pool_take(vgpu_session *s, size_t size, struct vgpu_pool_block *out) VGPU_INTERNAL;
void vgpu_pool_new_block(vgpu_session *s, size_t size) VGPU_INTERNAL;
void vgpu_pool_put(vgpu_session *s, const struct vgpu_pool_block *blk) VGPU_INTERNAL;
uint64_t vgpu_pool_trim_locked(vgpu_session *s, uint64_t keep) VGPU_INTERNAL;	/* bytes freed */
void vgpu_pool_destroy(vgpu_session *s) VGPU_INTERNAL;
/* the other sessions of s's guest in this process: their idle blocks (bytes freed) */
uint64_t vgpu_pool_trim_guest(vgpu_session *s) VGPU_INTERNAL;
void vgpu_pool_register(vgpu_session *s) VGPU_INTERNAL;		/* at open, s->lock not held */
void vgpu_pool_unregister(vgpu_session *s) VGPU_INTERNAL;	/* first thing at close */

/* module.c: the globals the host wrote, from @m's backend into its new CPU copy */
void vgpu_module_globals_to_cpu(vgpu_module *m) VGPU_INTERNAL;
/* module.c: @k's parameter @i as written in the source ("" if unknown) */
void vgpu_param_text(vgpu_kernel *k, unsigned i, char *buf, size_t len) VGPU_INTERNAL;

/* args.c: check arguments against @k's signature, lay them out for a backend */
struct vgpu_argpack {
	void *ptrs[VGPU_MAX_PARAMS];
	size_t sizes[VGPU_MAX_PARAMS];
	_Alignas(16) unsigned char val[VGPU_MAX_PARAMS][16];
	void *big[VGPU_MAX_PARAMS];		/* values over 16 bytes */
	uint64_t bigmask;			/* which big[] are allocated: 0 before the first set */
};
int vgpu_args_check(vgpu_session *s, vgpu_kernel *k, const struct vgpu_arg *args, unsigned n,
		    bool *want_cpu) VGPU_INTERNAL;
/* value @i from @a (@addr: the device address of a buffer argument) */
int vgpu_args_set(struct vgpu_argpack *p, unsigned i, const struct vgpu_arg *a, uint64_t addr) VGPU_INTERNAL;
void vgpu_args_release(struct vgpu_argpack *p) VGPU_INTERNAL;	/* frees the big values */

#define vgpu_container_of(p, T, m) ((T *)((char *)(p) - offsetof(T, m)))

#endif /* VGPU_INTERNAL_H */
