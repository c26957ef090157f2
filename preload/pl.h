/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvgpu-preload internals: the state shared by the interposition core
 * (preload.c: configuration, dlsym, cuGetProcAddress, the books of objects)
 * and the hooks (hooks.c: one wrapper per exported CUDA/NVML entry point).
 */
#ifndef VGPU_PL_H
#define VGPU_PL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define PL_EXPORT __attribute__((visibility("default")))

/* One hooked entry point: its name, our wrapper, where the real one goes. */
struct pl_hook {
	const char *name;
	void *wrap;
	void **real;
};

/*
 * PL_HOOK(name, ret, params): declare the real pointer real_<name>, register
 * the hook in the pl_hooks section and open the definition of the wrapper,
 * which has exactly the prototype cuda.h gives <name> (checked by the
 * compiler: hooks.c sees the header's declaration). gen-table.py reads these
 * lines to learn which variants are hooked.
 */
#define PL_HOOK(name, ret, params)						\
	static ret (*real_##name) params;					\
	PL_EXPORT ret name params;						\
	static const struct pl_hook pl_hook_##name				\
		__attribute__((used, section("pl_hooks"), aligned(sizeof(void *)))) = \
		{ #name, (void *)name, (void **)&real_##name };			\
	PL_EXPORT ret name params

/* forward declaration of a real pointer (a tentative definition PL_HOOK repeats) */
#define PL_FWD(name, ret, params) static ret (*real_##name) params

/* A real entry point, bound on first use; NULL when no driver has it. */
#define PL_REAL(name) (real_##name ? real_##name : (pl_bind_default(#name), real_##name))

/* kinds of objects the books remember */
enum pl_kind {
	PL_DEV = 1,	/* device memory: cuMemAlloc*, pitch, managed */
	PL_ASYNC,	/* stream-ordered allocation (pools) */
	PL_ARRAY,	/* CUarray */
	PL_MIPMAP,	/* CUmipmappedArray */
	PL_VMM,		/* cuMemCreate handle */
	PL_HOST,	/* cuMemHostAlloc / cuMemAllocHost */
	PL_REG,		/* cuMemHostRegister */
	PL_CTX,		/* a context created with cuCtxCreate */
	PL_HOSTPOOL,	/* a memory pool located in host memory (no charge) */
	PL_MAP,		/* a mapping of a cuMemCreate handle (no charge) */
};

struct pl_rec {
	uint64_t key;
	uint32_t kind;
	uint32_t handle;	/* ledger handle */
	uint64_t bytes;
	int dev;		/* device of device memory, -1 for host */
	uint64_t ctx;		/* context current at allocation */
	int32_t refs;		/* PL_VMM: handle references (create/retain) */
	int32_t maps;		/* PL_VMM: live mappings */
	uint64_t aux;		/* PL_MAP: the handle mapped */
	bool pinned;		/* charged as pinned host memory */
};

enum pl_log { PL_LOG_NONE, PL_LOG_ERROR, PL_LOG_INFO, PL_LOG_DEBUG };

struct pl_state {
	bool off;		/* VGPU_PRELOAD=off: pass everything through */
	bool active;		/* a guest is set and the books are kept */
	int log;
	char guest[64];
	int ledger_err;		/* negative errno when the ledger could not open */
};

extern struct pl_state pl;
extern __thread int pl_depth;	/* > 0 inside a wrapper: nested calls pass through */

void pl_init(void);
void pl_logf(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pl_log_once(const char *what, const char *name);
void pl_bind_default(const char *name);
bool pl_accounting(void);

/* books (preload.c) */
int pl_charge_mem(int dev, uint64_t bytes, uint32_t *h);
int pl_charge_host(void *addr, uint64_t bytes, uint32_t *h);
void pl_uncharge(const struct pl_rec *r);
int pl_rec_add(const struct pl_rec *r);
bool pl_rec_take(uint32_t kind, uint64_t key, struct pl_rec *out);
bool pl_rec_get(uint32_t kind, uint64_t key, struct pl_rec *out);
bool pl_rec_update(const struct pl_rec *r);
void pl_release_ctx_objects(uint64_t ctx);
int pl_ctx_charge(int dev, uint64_t mem, uint32_t *h);
void pl_ctx_uncharge(uint32_t h);
void pl_note_alloc(int dev, int64_t bytes);

/* contexts (preload.c) */
int pl_cur_dev(uint64_t *ctx);
int64_t pl_ctx_before(int dev);
int pl_ctx_created(int dev, uint64_t ctx, int64_t before, bool primary);
void pl_ctx_gone(uint64_t ctx, int dev, bool primary);
int pl_primary_ref(int dev, int delta);
uint64_t pl_primary_ctx(int dev);

/* measured device memory of this process (NVML), for contexts and drift */
int64_t pl_measure(int dev);
void pl_measure_begin(int dev);
void pl_before_init(void);
void pl_resync(int dev, bool force);

/* the view: memory the program is told it has */
void pl_mem_view(uint64_t real_free, uint64_t real_total, uint64_t *free, uint64_t *total);
/* pure arithmetic of the view, for the tests */
PL_EXPORT void vgpu_preload_view(uint64_t real_free, uint64_t real_total, uint64_t used,
				 uint64_t limit, uint64_t *free, uint64_t *total);

/* the ledger (opened on first use) and unhooked driver entry points (preload.c) */
struct vgpu_lib_ledger;
struct vgpu_lib_ledger *pl_ledger(void);
void *pl_cu_sym(const char *name);

/* GPU time (compute.c) */
void pl_compute_fini(void);

/* versioned lookups (preload.c) */
void *pl_proc_address(const char *sym, void *real, int version, uint64_t flags);
const struct pl_hook *pl_hook_find(const char *name);

#endif /* VGPU_PL_H */
