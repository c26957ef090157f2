// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgpu-preload: unmodified CUDA programs under vgpu's books.
 *
 * Loaded with LD_PRELOAD (vgpu-run sets it), it interposes the CUDA driver
 * API the three ways a program reaches it:
 *  - direct calls: the wrappers (hooks.c) are exported under the driver's
 *    names, so a program linked with -lcuda binds to them first;
 *  - dlsym(): the runtime (libcudart, static or shared) opens libcuda.so.1
 *    and looks its entry points up by name. dlsym is wrapped; the real one
 *    is found with dlvsym(RTLD_NEXT, "dlsym", <glibc version>), and the real
 *    driver functions with dlsym(<libcuda's own handle>, name), which
 *    searches the driver and never finds this library;
 *  - cuGetProcAddress / _v2: the runtime asks for each symbol at the CUDA
 *    version it was built for and gets the ABI of that version. The answer
 *    is replaced by the wrapper of exactly that variant: the one whose real
 *    function the driver returned, else the one the table generated from
 *    cudaTypedefs.h names for (symbol, version, per-thread flag). A symbol
 *    or version this build does not know passes through untouched (logged
 *    once at debug level).
 *
 * The books are libvgpu's ledger (libvgpu/src/ledger.c, linked in): the
 * kernel's /dev/vgpu when present (shared by every process of the guest,
 * released when a process dies), else the in-process ledger. Every object
 * is remembered with exactly what it charged, so every free path releases
 * exactly that. Device memory the driver uses beyond what the program
 * allocated (a context's lazily loaded modules, memory kept by pools) is
 * measured with NVML and charged as "driver memory" when the program asks
 * what it has (cuMemGetInfo), after pool trims and at context creation.
 *
 * Environment: VGPU_GUEST (no guest: nothing is kept, everything passes
 * through), VGPU_LEDGER (device|inprocess), VGPU_MEM_LIMIT /
 * VGPU_PINNED_LIMIT / VGPU_CONTEXT_LIMIT (in-process ledger), VGPU_PRELOAD=off
 * (no hooks at all), VGPU_PRELOAD_LOG=error|info|debug (stderr; nothing is
 * printed otherwise), VGPU_PRELOAD_STATS=FILE (the books as JSON at exit).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"	/* libvgpu's ledger */
#include "pl.h"

struct pl_gen_variant {
	const char *base, *sym;
	int version;
	unsigned char ptds, wrapped;
};
#include "pl_table.h"		/* generated from the CUDA headers */

#define PL_MAX_DEV 64
#define PL_OVH_SLOTS 8
#define PER_THREAD_FLAG (1ull << 1)	/* CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM */

struct pl_state pl;
__thread int pl_depth __attribute__((tls_model("initial-exec")));

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;	/* records, devices */
static pthread_mutex_t bind_lock = PTHREAD_MUTEX_INITIALIZER;	/* real pointers (dlopen/dlsym inside) */

/* ---- configuration and logging ------------------------------------------ */

void pl_logf(int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	if (level > pl.log)
		return;
	n = snprintf(buf, sizeof(buf), "vgpu-preload[%d]: ", (int)getpid());
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	n = strlen(buf);
	buf[n++] = '\n';
	if (write(2, buf, n) < 0) {
		/* nowhere else to say it */
	}
}

void pl_log_once(const char *what, const char *name)
{
	static char seen[128][48];
	static int nseen;
	int i;

	if (pl.log < PL_LOG_DEBUG)
		return;
	pthread_mutex_lock(&lock);
	for (i = 0; i < nseen; i++)
		if (!strncmp(seen[i], name, sizeof(seen[i]) - 1))
			break;
	if (i < nseen) {
		pthread_mutex_unlock(&lock);
		return;
	}
	if (nseen < 128)
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", name);
	pthread_mutex_unlock(&lock);
	pl_logf(PL_LOG_DEBUG, "%s: %s", name, what);
}

static void do_init(void)
{
	const char *e = getenv("VGPU_PRELOAD");
	const char *lg = getenv("VGPU_PRELOAD_LOG");
	const char *g = getenv("VGPU_GUEST");

	if (lg && !strcmp(lg, "debug"))
		pl.log = PL_LOG_DEBUG;
	else if (lg && !strcmp(lg, "info"))
		pl.log = PL_LOG_INFO;
	else if (lg && (!strcmp(lg, "error") || !strcmp(lg, "1")))
		pl.log = PL_LOG_ERROR;
	pl.off = e && (!strcmp(e, "off") || !strcmp(e, "0") || !strcmp(e, "no"));
	if (pl.off)
		return;
	if (g && *g && strlen(g) < sizeof(pl.guest)) {
		snprintf(pl.guest, sizeof(pl.guest), "%s", g);
		pl.active = true;
	}
	pl_logf(PL_LOG_INFO, "guest %s", pl.active ? pl.guest : "(none: passing through)");
}

void pl_init(void)
{
	pthread_once(&init_once, do_init);
}

bool pl_accounting(void)
{
	pl_init();
	return pl.active && !pl_depth;
}

/* ---- the real dlsym and the driver's own entry points ---------------------- */

typedef void *(*dlsym_fn)(void *, const char *);
static dlsym_fn real_dlsym;

static dlsym_fn get_real_dlsym(void)
{
	static const char *const vers[] = { "GLIBC_2.34", "GLIBC_2.2.5", "GLIBC_2.17" };
	dlsym_fn f = __atomic_load_n(&real_dlsym, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; !f && i < sizeof(vers) / sizeof(vers[0]); i++)
		f = (dlsym_fn)dlvsym(RTLD_NEXT, "dlsym", vers[i]);
	if (f)
		__atomic_store_n(&real_dlsym, f, __ATOMIC_RELEASE);
	return f;
}

extern const struct pl_hook __start_pl_hooks[], __stop_pl_hooks[];

const struct pl_hook *pl_hook_find(const char *name)
{
	for (const struct pl_hook *h = __start_pl_hooks; h < __stop_pl_hooks; h++)
		if (!strcmp(h->name, name))
			return h;
	return NULL;
}

static struct {
	void *handle;		/* dlopen handle of the bound library */
	char path[256];
	bool done;
} bound[2];			/* 0: the CUDA driver, 1: NVML */

static int family(const char *name)
{
	return strncmp(name, "nvml", 4) ? 0 : 1;
}

/* Fill every real pointer of a family from @handle (the library itself). */
static void bind_lib(int fam, void *handle, const char *path)
{
	dlsym_fn rd = get_real_dlsym();

	if (!rd || bound[fam].done)
		return;
	for (const struct pl_hook *h = __start_pl_hooks; h < __stop_pl_hooks; h++)
		if (family(h->name) == fam && !*h->real)
			*h->real = rd(handle, h->name);
	bound[fam].handle = handle;
	snprintf(bound[fam].path, sizeof(bound[fam].path), "%s", path ? path : "");
	__atomic_store_n(&bound[fam].done, true, __ATOMIC_RELEASE);
	pl_logf(PL_LOG_INFO, "bound %s", path ? path : "?");
}

void pl_bind_default(const char *name)
{
	static const char *const libs[2] = { "libcuda.so.1", "libnvidia-ml.so.1" };
	int fam = family(name);
	void *h;

	if (__atomic_load_n(&bound[fam].done, __ATOMIC_ACQUIRE))
		return;
	h = dlopen(libs[fam], RTLD_LAZY | RTLD_NOLOAD);
	if (!h)
		h = dlopen(libs[fam], RTLD_LAZY);
	if (!h)
		return;
	pthread_mutex_lock(&bind_lock);
	bind_lib(fam, h, libs[fam]);
	pthread_mutex_unlock(&bind_lock);
}

/* A driver entry point we do not hook (looked up in the bound driver). */
static void *cu_sym(const char *name);

void *pl_cu_sym(const char *name)
{
	return cu_sym(name);
}

static void *cu_sym(const char *name)
{
	dlsym_fn rd = get_real_dlsym();

	pl_bind_default("cuInit");
	return rd && bound[0].handle ? rd(bound[0].handle, name) : NULL;
}

static void *nvml_sym(const char *name)
{
	dlsym_fn rd = get_real_dlsym();

	pl_bind_default("nvmlInit_v2");
	return rd && bound[1].handle ? rd(bound[1].handle, name) : NULL;
}

/* Bind from the library that holds @addr, if it is the driver or NVML. */
static void bind_from(int fam, void *addr)
{
	static const char *const probe[2] = { "cuGetProcAddress", "nvmlInit_v2" };
	dlsym_fn rd = get_real_dlsym();
	Dl_info di;
	void *h;

	if (__atomic_load_n(&bound[fam].done, __ATOMIC_ACQUIRE) || !rd)
		return;
	if (!dladdr(addr, &di) || !di.dli_fname)
		return;
	h = dlopen(di.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
	if (!h)
		return;
	if (!rd(h, probe[fam])) {
		dlclose(h);
		return;
	}
	pthread_mutex_lock(&bind_lock);
	bind_lib(fam, h, di.dli_fname);
	pthread_mutex_unlock(&bind_lock);
}

static bool called_from_bound(void *caller)
{
	Dl_info di;

	if (!caller || !dladdr(caller, &di) || !di.dli_fname)
		return false;
	for (int f = 0; f < 2; f++)
		if (bound[f].done && !strcmp(di.dli_fname, bound[f].path))
			return true;
	return false;
}

/* dlsym(handle, name) for a name we hook: our wrapper, or NULL to pass. */
static void *dlsym_hook(void *handle, const char *name, void *caller)
{
	dlsym_fn rd = get_real_dlsym();
	const struct pl_hook *h;
	int fam;
	void *r;

	pl_init();
	if (!pl.active || !rd || (strncmp(name, "cu", 2) && strncmp(name, "nvml", 4)))
		return NULL;	/* off, or no guest: the driver's own functions */
	h = pl_hook_find(name);
	if (!h || called_from_bound(caller))
		return NULL;
	r = rd(handle, name);
	if (!r)
		return NULL;
	if (r == h->wrap)
		return r;	/* it found us (RTLD_DEFAULT): never our own real */
	fam = family(name);
	bind_from(fam, r);
	if (*h->real == r)
		return h->wrap;
	pl_log_once("dlsym found it outside the bound driver: passed through", name);
	return NULL;
}

/*
 * Exported dlsym. Lookups we do not take over end in a tail call, so the
 * real dlsym sees the caller's return address: RTLD_NEXT and RTLD_DEFAULT
 * keep meaning "relative to the caller" (tests/preload checks RTLD_NEXT).
 */
PL_EXPORT void *dlsym(void *handle, const char *name)
{
	dlsym_fn rd = get_real_dlsym();

	if (handle != RTLD_NEXT) {
		void *w = dlsym_hook(handle, name, __builtin_return_address(0));

		if (w)
			return w;
	}
	if (!rd)
		return NULL;
	return rd(handle, name);
}

/* ---- cuGetProcAddress ------------------------------------------------------ */

static int variant_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct pl_gen_variant *)elem)->base);
}

/* first variant of @base in the generated table, and how many there are */
static const struct pl_gen_variant *variants_of(const char *base, int *n)
{
	const size_t nv = sizeof(pl_gen_variants) / sizeof(pl_gen_variants[0]);
	const struct pl_gen_variant *v = bsearch(base, pl_gen_variants, nv,
						 sizeof(pl_gen_variants[0]), variant_cmp);

	if (!v)
		return NULL;
	while (v > pl_gen_variants && !strcmp(v[-1].base, base))
		v--;
	for (*n = 0; v + *n < pl_gen_variants + nv && !strcmp(v[*n].base, base); (*n)++)
		;
	return v;
}

void *pl_proc_address(const char *sym, void *real, int version, uint64_t flags)
{
	const struct pl_gen_variant *v, *pick = NULL;
	const struct pl_hook *h;
	bool ptds = flags & PER_THREAD_FLAG;
	int n;

	pl_init();
	if (!pl.active || !real || !sym)
		return real;
	for (h = __start_pl_hooks; h < __stop_pl_hooks; h++)
		if (h->wrap == real)
			return real;	/* already ours (a driver calling itself through us) */
	v = variants_of(sym, &n);
	if (!v) {
		h = pl_hook_find(sym);	/* asked by exported name */
		if (h && strncmp(sym, "nvml", 4)) {
			bind_from(0, real);
			if (*h->real == real)
				return h->wrap;
		}
		return real;
	}
	bind_from(0, real);
	/* 1. the variant whose real function the driver returned */
	for (int i = 0; i < n; i++) {
		h = v[i].wrapped ? pl_hook_find(v[i].sym) : NULL;
		if (h && *h->real == real)
			return h->wrap;
	}
	/* 2. the generated table: newest variant not above @version */
	if (version <= PL_HEADER_CUDA_VERSION) {
		for (int pass = 0; pass < 2 && !pick; pass++) {
			bool want = pass == 0 ? ptds : false;

			for (int i = 0; i < n; i++)
				if (v[i].ptds == want && v[i].version <= version)
					pick = &v[i];
		}
		if (pick && pick->wrapped && (h = pl_hook_find(pick->sym))) {
			pthread_mutex_lock(&bind_lock);
			if (!*h->real)
				*h->real = real;
			pthread_mutex_unlock(&bind_lock);
			return h->wrap;
		}
	}
	pl_log_once("cuGetProcAddress: version or variant unknown to this build, passed through", sym);
	return real;
}

/* ---- the ledger ---------------------------------------------------------- */

static struct vgpu_lib_ledger *ledger;
static pthread_once_t ledger_once = PTHREAD_ONCE_INIT;

static void ledger_open(void)
{
	char why[256] = "";
	int ret = vgpu_ledger_open(&ledger, pl.guest, 0, NULL, why, sizeof(why));

	if (ret) {
		ledger = NULL;
		pl.ledger_err = ret;
		pl_logf(PL_LOG_ERROR, "guest %s: no ledger (%s): every allocation is refused",
			pl.guest, why[0] ? why : strerror(-ret));
		return;
	}
	pl_logf(PL_LOG_INFO, "guest %s: %s ledger", pl.guest,
		vgpu_ledger_is_kernel(ledger) ? "device (/dev/vgpu)" : "in-process");
}

static struct vgpu_lib_ledger *get_ledger(void)
{
	pthread_once(&ledger_once, ledger_open);
	return ledger;
}

struct vgpu_lib_ledger *pl_ledger(void)
{
	return get_ledger();
}

int pl_charge_mem(int dev, uint64_t bytes, uint32_t *h)
{
	struct vgpu_lib_ledger *l = get_ledger();
	int ret;

	if (!l)
		return pl.ledger_err ? pl.ledger_err : -ENODEV;
	ret = vgpu_ledger_mem_charge(l, dev < 0 ? 0 : dev, bytes ? bytes : 1, h);
	if (ret)
		pl_logf(PL_LOG_DEBUG, "device memory: %llu bytes refused (%s)",
			(unsigned long long)bytes, strerror(-ret));
	return ret;
}

int pl_charge_host(void *addr, uint64_t bytes, uint32_t *h)
{
	struct vgpu_lib_ledger *l = get_ledger();
	int ret;

	if (!l)
		return pl.ledger_err ? pl.ledger_err : -ENODEV;
	ret = vgpu_ledger_host_pinned(l, addr, bytes ? bytes : 1, h);
	if (ret)
		pl_logf(PL_LOG_DEBUG, "pinned host memory: %llu bytes refused (%s)",
			(unsigned long long)bytes, strerror(-ret));
	return ret;
}

void pl_uncharge(const struct pl_rec *r)
{
	struct vgpu_lib_ledger *l = get_ledger();

	if (!l || !r->handle)
		return;
	if (r->pinned)
		vgpu_ledger_unpin(l, r->handle);
	else
		vgpu_ledger_mem_uncharge(l, r->handle);
}

int pl_ctx_charge(int dev, uint64_t mem, uint32_t *h)
{
	struct vgpu_lib_ledger *l = get_ledger();

	if (!l)
		return pl.ledger_err ? pl.ledger_err : -ENODEV;
	return vgpu_ledger_ctx_create(l, dev, mem, h);
}

void pl_ctx_uncharge(uint32_t h)
{
	struct vgpu_lib_ledger *l = get_ledger();

	if (l && h)
		vgpu_ledger_ctx_destroy(l, h);
}

/* ---- records: what each object charged ----------------------------------- */

static struct pl_rec *tab;
static size_t tab_cap, tab_used, tab_tomb;

#define KIND_TOMB 0xffffffffu

static size_t slot_of(uint32_t kind, uint64_t key)
{
	uint64_t x = (key ^ ((uint64_t)kind << 56)) * 0x9e3779b97f4a7c15ull;

	return (size_t)(x >> 17) & (tab_cap - 1);
}

static struct pl_rec *find_locked(uint32_t kind, uint64_t key)
{
	if (!tab_cap)
		return NULL;
	for (size_t i = slot_of(kind, key);; i = (i + 1) & (tab_cap - 1)) {
		struct pl_rec *r = &tab[i];

		if (!r->kind)
			return NULL;
		if (r->kind == kind && r->key == key)
			return r;
	}
}

static int grow_locked(void)
{
	/* mostly tombstones: rehash at the same size, else double */
	size_t ncap = !tab_cap ? 1024 : (tab_used - tab_tomb < tab_cap / 4 ? tab_cap : tab_cap * 2);
	struct pl_rec *old = tab, *n = calloc(ncap, sizeof(*n));
	size_t ocap = tab_cap;

	if (!n)
		return -ENOMEM;
	tab = n;
	tab_cap = ncap;
	tab_used = tab_tomb = 0;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].kind && old[i].kind != KIND_TOMB) {
			size_t j = slot_of(old[i].kind, old[i].key);

			while (tab[j].kind)
				j = (j + 1) & (tab_cap - 1);
			tab[j] = old[i];
			tab_used++;
		}
	free(old);
	return 0;
}

int pl_rec_add(const struct pl_rec *r)
{
	size_t i;

	pthread_mutex_lock(&lock);
	if ((tab_used + 1) * 2 > tab_cap && grow_locked()) {
		pthread_mutex_unlock(&lock);
		return -ENOMEM;
	}
	for (i = slot_of(r->kind, r->key); tab[i].kind && tab[i].kind != KIND_TOMB;
	     i = (i + 1) & (tab_cap - 1))
		;
	if (tab[i].kind == KIND_TOMB)
		tab_tomb--;
	else
		tab_used++;
	tab[i] = *r;
	pthread_mutex_unlock(&lock);
	return 0;
}

bool pl_rec_get(uint32_t kind, uint64_t key, struct pl_rec *out)
{
	struct pl_rec *r;

	pthread_mutex_lock(&lock);
	r = find_locked(kind, key);
	if (r)
		*out = *r;
	pthread_mutex_unlock(&lock);
	return r != NULL;
}

bool pl_rec_update(const struct pl_rec *nr)
{
	struct pl_rec *r;

	pthread_mutex_lock(&lock);
	r = find_locked(nr->kind, nr->key);
	if (r)
		*r = *nr;
	pthread_mutex_unlock(&lock);
	return r != NULL;
}

static void tomb_locked(struct pl_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->kind = KIND_TOMB;
	tab_tomb++;
}

bool pl_rec_take(uint32_t kind, uint64_t key, struct pl_rec *out)
{
	struct pl_rec *r;

	pthread_mutex_lock(&lock);
	r = find_locked(kind, key);
	if (r) {
		*out = *r;
		tomb_locked(r);
	}
	pthread_mutex_unlock(&lock);
	return r != NULL;
}

/* ---- devices: contexts, measured memory, driver memory ----------------------- */

struct pl_dev {
	int64_t alloc;			/* device memory of the program's objects */
	uint64_t ctx_mem;		/* measured at context creation, charged with it */
	uint64_t ovh;			/* driver memory charged */
	uint32_t ovh_h[PL_OVH_SLOTS];
	int nr_ovh;
	int64_t baseline;		/* device-wide used before our first context, or -1 */
	int64_t pp_offset;		/* device-wide minus per-process, at the first context */
	bool pp_set;
	uint64_t last_sync_ns;
	int primary_refs;
	uint32_t primary_h;
	uint64_t primary_ctx, primary_mem;
	bool seen;
};

static struct pl_dev devs[PL_MAX_DEV];

static struct pl_dev *dev_of(int dev)
{
	return dev >= 0 && dev < PL_MAX_DEV ? &devs[dev] : NULL;
}

void pl_note_alloc(int dev, int64_t bytes)
{
	struct pl_dev *d = dev_of(dev);

	if (d)
		__atomic_add_fetch(&d->alloc, bytes, __ATOMIC_RELAXED);
}

/* NVML, for measuring; loaded on first need */
typedef int (*nvml_init_t)(void);
typedef int (*nvml_by_uuid_t)(const char *, void **);
typedef int (*nvml_procs_t)(void *, unsigned int *, void *);
typedef int (*nvml_mem_t)(void *, void *);
typedef int (*cu_uuid_t)(unsigned char *, int);

struct nvml_proc {		/* nvmlProcessInfo_t (v2/v3 layout) */
	unsigned int pid;
	unsigned long long used;
	unsigned int gi, ci;
};

static struct {
	bool tried, ok;
	nvml_by_uuid_t by_uuid;
	nvml_procs_t procs;
	nvml_mem_t mem;
	void *dev[PL_MAX_DEV];
	bool dev_tried[PL_MAX_DEV];
} nv;

static pthread_mutex_t nv_lock = PTHREAD_MUTEX_INITIALIZER;

static void *nvml_dev_locked(int dev);

/* NVML's handle of CUDA device @dev (NULL: none); loads NVML on first use */
static void *nvml_dev(int dev)
{
	void *h;

	pthread_mutex_lock(&nv_lock);
	h = nvml_dev_locked(dev);
	pthread_mutex_unlock(&nv_lock);
	return h;
}

static void *nvml_dev_locked(int dev)
{
	cu_uuid_t uuid_fn;
	unsigned char u[16];
	char s[64];

	if (!nv.tried) {
		nvml_init_t init;

		nv.tried = true;
		if (!dlopen("libnvidia-ml.so.1", RTLD_LAZY | RTLD_NOLOAD) &&
		    !dlopen("libnvidia-ml.so.1", RTLD_LAZY))
			return NULL;
		init = (nvml_init_t)nvml_sym("nvmlInit_v2");
		nv.by_uuid = (nvml_by_uuid_t)nvml_sym("nvmlDeviceGetHandleByUUID");
		nv.procs = (nvml_procs_t)nvml_sym("nvmlDeviceGetComputeRunningProcesses_v3");
		nv.mem = (nvml_mem_t)nvml_sym("nvmlDeviceGetMemoryInfo");
		nv.ok = init && nv.by_uuid && nv.mem && !init();
		pl_logf(PL_LOG_INFO, "NVML %s", nv.ok ? "loaded" : "not usable: context memory is not measured");
	}
	if (!nv.ok || dev < 0 || dev >= PL_MAX_DEV)
		return NULL;
	if (nv.dev_tried[dev])
		return nv.dev[dev];
	nv.dev_tried[dev] = true;
	uuid_fn = (cu_uuid_t)cu_sym("cuDeviceGetUuid_v2");
	if (!uuid_fn)
		uuid_fn = (cu_uuid_t)cu_sym("cuDeviceGetUuid");
	if (!uuid_fn || uuid_fn(u, dev))
		return NULL;
	snprintf(s, sizeof(s), "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		 u[12], u[13], u[14], u[15]);
	if (nv.by_uuid(s, &nv.dev[dev]))
		nv.dev[dev] = NULL;
	return nv.dev[dev];
}

/* device memory NVML reports used on the whole device, or -1 */
static int64_t device_used(void *h)
{
	unsigned long long m[3];	/* nvmlMemory_t: total, free, used */

	if (nv.mem(h, m))
		return -1;
	return (int64_t)m[2];
}

/*
 * Device-wide used memory of every NVML device before the driver initialises
 * (cuInit already takes device memory: ~3 MiB on an H200), the baseline of
 * the device-wide measurements.
 */
static struct {
	void *h;
	int64_t used;
} preinit[PL_MAX_DEV];
static int nr_preinit;

typedef int (*nvml_count_t)(unsigned int *);
typedef int (*nvml_by_index_t)(unsigned int, void **);

static void before_init(void)
{
	nvml_count_t count;
	nvml_by_index_t by_index;
	unsigned int n = 0;

	pl_depth++;
	nvml_dev(-1);	/* loads NVML */
	count = (nvml_count_t)nvml_sym("nvmlDeviceGetCount_v2");
	by_index = (nvml_by_index_t)nvml_sym("nvmlDeviceGetHandleByIndex_v2");
	if (nv.ok && count && by_index && !count(&n))
		for (unsigned int i = 0; i < n && nr_preinit < PL_MAX_DEV; i++) {
			void *h;

			if (!by_index(i, &h)) {
				preinit[nr_preinit].h = h;
				preinit[nr_preinit++].used = device_used(h);
			}
		}
	pl_depth--;
}

void pl_before_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, before_init);
}

/* this process's memory on @dev as NVML lists it per process, or -1; *alone: no other process listed */
static int64_t measure_process(int dev, bool *alone)
{
	struct nvml_proc p[64];
	unsigned int n = 64;
	void *h = nvml_dev(dev);
	int64_t v = -1;

	*alone = false;
	if (!h || !nv.procs || nv.procs(h, &n, p))
		return -1;
	for (unsigned int i = 0; i < n && i < 64; i++)
		if (p[i].pid == (unsigned int)getpid() && p[i].used != ~0ull)
			v = (int64_t)p[i].used;
	*alone = v >= 0 && n == 1;
	if (pl.log >= PL_LOG_INFO) {
		static int last = -1;

		if ((int)n != last && (last = (int)n) >= 0)
			pl_logf(PL_LOG_INFO, "NVML now lists %u process(es) on device %d, this one %s",
				n, dev, v >= 0 ? "among them" : "not");
	}
	return v;
}

/* device-wide used memory above the baseline taken before our first context, or -1 */
static int64_t measure_device(int dev)
{
	struct pl_dev *d = dev_of(dev);
	void *h = nvml_dev(dev);
	int64_t u;

	if (!h || !d || d->baseline < 0)
		return -1;
	u = device_used(h);
	return u < 0 ? -1 : (u > d->baseline ? u - d->baseline : 0);
}

/*
 * This process's device memory. Alone on the device (NVML lists this process
 * only): the device-wide delta since before our first context, which counts
 * the driver memory NVML leaves out of the process's number (~6-9 MiB of a
 * context on an H200). Sharing it: NVML's per-process number plus the offset
 * between the two seen when our first context was made. NVML lists no
 * process (a PID namespace): the device-wide delta, in which other
 * processes' memory then counts too.
 */
int64_t pl_measure(int dev)
{
	struct pl_dev *d = dev_of(dev);
	bool alone;
	int64_t v, w;

	if (!d)
		return -1;
	pl_depth++;
	v = measure_process(dev, &alone);
	if (v >= 0)
		v += d->pp_offset;
	if (v < 0 || alone) {
		w = measure_device(dev);
		if (w >= 0)
			v = w;
	}
	pl_depth--;
	return v;
}

/* before a context is created on @dev: the device-wide baseline */
void pl_measure_begin(int dev)
{
	struct pl_dev *d = dev_of(dev);
	void *h;

	if (!d || d->seen)
		return;
	pl_depth++;
	h = nvml_dev(dev);
	d->baseline = h ? device_used(h) : -1;
	for (int i = 0; h && i < nr_preinit; i++)
		if (preinit[i].h == h && preinit[i].used >= 0 && preinit[i].used < d->baseline)
			d->baseline = preinit[i].used;
	d->seen = true;
	pl_depth--;
}

/*
 * Driver memory: what the process has on @dev beyond its objects and its
 * contexts' memory at creation. Charged (or given back) so the books follow
 * the device; at most every 5 ms unless @force.
 */
void pl_resync(int dev, bool force)
{
	struct pl_dev *d = dev_of(dev);
	struct vgpu_lib_ledger *l = get_ledger();
	struct timespec ts;
	uint64_t now, want, slack;
	int64_t usage, tracked;

	if (!d || !l || !d->seen)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (!force && now - d->last_sync_ns < 5000000ull)
		return;
	usage = pl_measure(dev);
	if (usage < 0)
		return;
	pthread_mutex_lock(&lock);
	d->last_sync_ns = now;
	tracked = __atomic_load_n(&d->alloc, __ATOMIC_RELAXED) + (int64_t)d->ctx_mem;
	want = usage > tracked ? (uint64_t)(usage - tracked) : 0;
	/* unforced (allocations): ignore changes under 1 MiB; forced: exact, so
	 * that a measurement taken while an allocation was in flight is undone */
	slack = force ? 0 : (1u << 20);
	if (want > d->ovh && want - d->ovh > slack) {
		uint32_t h;

		if (d->nr_ovh == PL_OVH_SLOTS) {	/* consolidate */
			for (int i = 0; i < d->nr_ovh; i++)
				vgpu_ledger_mem_uncharge(l, d->ovh_h[i]);
			d->nr_ovh = 0;
			d->ovh = 0;
		}
		if (!vgpu_ledger_mem_charge(l, dev, want - d->ovh, &h)) {
			d->ovh_h[d->nr_ovh++] = h;
			d->ovh = want;
		} else {
			pl_logf(PL_LOG_INFO, "device %d: %llu bytes of driver memory over the limit",
				dev, (unsigned long long)(want - d->ovh));
		}
	} else if (want + slack < d->ovh) {
		uint32_t h;

		for (int i = 0; i < d->nr_ovh; i++)
			vgpu_ledger_mem_uncharge(l, d->ovh_h[i]);
		d->nr_ovh = 0;
		d->ovh = 0;
		if (want && !vgpu_ledger_mem_charge(l, dev, want, &h)) {
			d->ovh_h[d->nr_ovh++] = h;
			d->ovh = want;
		}
	}
	pthread_mutex_unlock(&lock);
}

typedef int (*cu_ctx_get_t)(uint64_t *);
typedef int (*cu_ctx_dev_t)(int *);

/* the device of the current context (0 when none), and the context */
int pl_cur_dev(uint64_t *ctx)
{
	static cu_ctx_get_t get_cur;
	static cu_ctx_dev_t get_dev;
	uint64_t c = 0;
	int dev = 0;

	if (!get_cur)
		get_cur = (cu_ctx_get_t)cu_sym("cuCtxGetCurrent");
	if (!get_dev)
		get_dev = (cu_ctx_dev_t)cu_sym("cuCtxGetDevice");
	if (get_cur && get_cur(&c))
		c = 0;
	if (!c || !get_dev || get_dev(&dev))
		dev = 0;
	if (ctx)
		*ctx = c;
	return dev;
}

int64_t pl_ctx_before(int dev)
{
	pl_measure_begin(dev);
	return pl_measure(dev);
}

/*
 * A context was created on @dev: charge it with the memory it took (measured
 * against @before). On a refusal the caller destroys it.
 */
int pl_ctx_created(int dev, uint64_t ctx, int64_t before, bool primary)
{
	struct pl_dev *d = dev_of(dev);
	int64_t after;
	uint64_t mem;
	uint32_t h;
	int ret;

	if (!d)
		return -ENODEV;
	if (!d->pp_set) {
		int64_t pp, dw;

		bool alone;

		pl_depth++;
		pp = measure_process(dev, &alone);
		dw = measure_device(dev);
		pl_depth--;
		d->pp_offset = pp >= 0 && dw > pp ? dw - pp : 0;
		d->pp_set = true;
	}
	after = before >= 0 ? pl_measure(dev) : -1;
	mem = after > before ? (uint64_t)(after - before) : 0;
	ret = pl_ctx_charge(dev, mem, &h);
	if (ret) {
		pl_logf(PL_LOG_DEBUG, "device %d: context (%llu bytes) refused (%s)", dev,
			(unsigned long long)mem, strerror(-ret));
		return ret;
	}
	if (!primary) {
		struct pl_rec r = { .key = ctx, .kind = PL_CTX, .handle = h, .bytes = mem, .dev = dev };

		ret = pl_rec_add(&r);
		if (ret) {
			pl_ctx_uncharge(h);
			return ret;
		}
	}
	pthread_mutex_lock(&lock);
	if (primary) {
		d->primary_h = h;
		d->primary_ctx = ctx;
		d->primary_mem = mem;
	}
	d->ctx_mem += mem;
	pthread_mutex_unlock(&lock);
	pl_logf(PL_LOG_INFO, "device %d: %scontext charged with %llu bytes (NVML per-process offset %lld)",
		dev, primary ? "primary " : "", (unsigned long long)mem, (long long)d->pp_offset);
	return 0;
}

/* A context is gone (destroyed, last primary release, reset): its charge and its objects. */
void pl_ctx_gone(uint64_t ctx, int dev, bool primary)
{
	struct pl_dev *d;
	struct pl_rec r = { 0 };

	if (primary) {
		d = dev_of(dev);
		if (!d)
			return;
		pthread_mutex_lock(&lock);
		r.handle = d->primary_h;
		r.bytes = d->primary_mem;
		ctx = d->primary_ctx;
		d->primary_h = 0;
		d->primary_mem = 0;
		d->primary_ctx = 0;
		pthread_mutex_unlock(&lock);
		if (!r.handle)
			return;
	} else {
		if (!pl_rec_take(PL_CTX, ctx, &r))
			return;
		dev = r.dev;
		d = dev_of(dev);
	}
	pl_ctx_uncharge(r.handle);
	pthread_mutex_lock(&lock);
	d->ctx_mem -= r.bytes;
	pthread_mutex_unlock(&lock);
	pl_release_ctx_objects(ctx);
	pl_resync(dev, true);
}

/* primary context references (ours); returns the count before @delta */
int pl_primary_ref(int dev, int delta)
{
	struct pl_dev *d = dev_of(dev);
	int before;

	if (!d)
		return 0;
	pthread_mutex_lock(&lock);
	before = d->primary_refs;
	d->primary_refs += delta;
	if (d->primary_refs < 0)
		d->primary_refs = 0;
	pthread_mutex_unlock(&lock);
	return before;
}

uint64_t pl_primary_ctx(int dev)
{
	struct pl_dev *d = dev_of(dev);
	uint64_t c;

	if (!d)
		return 0;
	pthread_mutex_lock(&lock);
	c = d->primary_ctx;
	pthread_mutex_unlock(&lock);
	return c;
}

void pl_release_ctx_objects(uint64_t ctx)
{
	struct pl_rec *out = NULL;
	size_t n = 0, cap = 0;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < tab_cap; i++) {
		struct pl_rec *r = &tab[i];

		if (!r->kind || r->kind == KIND_TOMB || r->kind == PL_CTX || r->ctx != ctx)
			continue;
		if (n == cap) {
			struct pl_rec *o = realloc(out, (cap = cap ? cap * 2 : 64) * sizeof(*o));

			if (!o)
				break;	/* kept: released when the process exits */
			out = o;
		}
		out[n++] = *r;
		tomb_locked(r);
	}
	pthread_mutex_unlock(&lock);
	for (size_t i = 0; i < n; i++) {
		pl_uncharge(&out[i]);
		if (!out[i].pinned && out[i].dev >= 0)
			pl_note_alloc(out[i].dev, -(int64_t)out[i].bytes);
	}
	free(out);
}

/* ---- what the program is told ------------------------------------------------- */

void vgpu_preload_view(uint64_t real_free, uint64_t real_total, uint64_t used, uint64_t limit,
		       uint64_t *free_out, uint64_t *total_out)
{
	uint64_t total = limit < real_total ? limit : real_total;
	uint64_t left = used >= total ? 0 : total - used;	/* never an underflow */

	*total_out = total;
	*free_out = left < real_free ? left : real_free;	/* never more than the device has */
}

void pl_mem_view(uint64_t real_free, uint64_t real_total, uint64_t *free_out, uint64_t *total_out)
{
	struct vgpu_lib_ledger *l = pl.active ? get_ledger() : NULL;
	struct vgpu_ledger_usage u;

	*free_out = real_free;
	*total_out = real_total;
	if (!l || vgpu_ledger_get_usage(l, &u))
		return;
	if (u.limit[VGPU_LIB_RES_MEMORY] == VGPU_UNLIMITED)
		return;
	vgpu_preload_view(real_free, real_total, u.used[VGPU_LIB_RES_MEMORY],
			  u.limit[VGPU_LIB_RES_MEMORY], free_out, total_out);
}

/*
 * The guest's books, for tests and tools in the process: used/peak/limit
 * of memory, pinned, contexts. Returns 0, or a negative errno.
 */
PL_EXPORT int vgpu_preload_usage(uint64_t used[3], uint64_t peak[3], uint64_t limit[3],
				 uint64_t hits[3], int *kernel)
{
	struct vgpu_lib_ledger *l;
	struct vgpu_ledger_usage u;
	int ret;

	pl_init();
	if (!pl.active)
		return -ENODATA;
	l = get_ledger();
	if (!l)
		return pl.ledger_err;
	ret = vgpu_ledger_get_usage(l, &u);
	if (ret)
		return ret;
	for (int r = 0; r < 3; r++) {
		used[r] = u.used[r];
		peak[r] = u.peak[r];
		limit[r] = u.limit[r];
		hits[r] = u.limit_hits[r];
	}
	*kernel = u.kernel;
	return 0;
}

__attribute__((destructor)) static void pl_fini(void)
{
	const char *path = getenv("VGPU_PRELOAD_STATS");
	uint64_t used[3], peak[3], limit[3], hits[3];
	int kernel;
	FILE *f;

	if (ledger)
		pl_compute_fini();
	if (!path || !*path || !ledger || vgpu_preload_usage(used, peak, limit, hits, &kernel))
		return;
	f = fopen(path, "we");
	if (!f)
		return;
	fprintf(f, "{\"guest\":\"%s\",\"ledger\":\"%s\"", pl.guest, kernel ? "device" : "in-process");
	for (int r = 0; r < 3; r++) {
		fprintf(f, ",\"%s\":{\"used\":%llu,\"peak\":%llu,\"limit\":", vgpu_resource_name(r),
			(unsigned long long)used[r], (unsigned long long)peak[r]);
		if (limit[r] == VGPU_UNLIMITED)
			fprintf(f, "null");
		else
			fprintf(f, "%llu", (unsigned long long)limit[r]);
		fprintf(f, ",\"limit_hits\":%llu}", (unsigned long long)hits[r]);
	}
	fprintf(f, "}\n");
	fclose(f);
}
