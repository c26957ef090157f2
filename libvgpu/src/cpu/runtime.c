// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CPU backend runtime: contexts, host "device" memory, images (made by
 * compile.c) dlopen()ed from a memfd, launches. Blocks run on a per-context
 * thread pool; kernels with __syncthreads run each CUDA thread of a block as
 * a fiber on the worker's OS thread.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "core/env.h"
#include "core/io.h"
#include "core/workers.h"
#include "cpu/cpu.h"

/* Tell valgrind about fiber stacks, when its header is there (no-op outside it). */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define HAVE_VALGRIND 1
#endif
#endif
#ifndef HAVE_VALGRIND
#define VALGRIND_STACK_REGISTER(a, b) 0
#define VALGRIND_STACK_DEREGISTER(id) do { } while (0)
#endif

extern char **environ;

#define CPU_MAX_BLOCK	1024
#define CPU_MAX_SHARED	(1u << 20)

/* Must match struct __vgpu_exec of prelude.hpp and cuda.h (prof: the clang path's). */
struct vgpu_cpu_exec {
	unsigned int grid[3];
	unsigned int block[3];
	void *const *args;
	void (*barrier)(void);
	unsigned long long *prof;
};

/* the region profile's slots (cuda.h's __VGPU_PROF_SLOTS, ..._MASKED, _AHEAD, _BLOCK) */
#define CPU_PROF_SLOTS	67
#define CPU_PROF_MASKED	(CPU_PROF_SLOTS - 3)
#define CPU_PROF_AHEAD	(CPU_PROF_SLOTS - 2)
#define CPU_PROF_BLOCK	(CPU_PROF_SLOTS - 1)

typedef void (*blocks_fn)(const struct vgpu_cpu_exec *, void *, uint64_t, uint64_t);
typedef void (*thread_fn)(const struct vgpu_cpu_exec *, void *, uint64_t, unsigned, unsigned,
			  unsigned);

struct cpu_fn {
	struct cpu_fn *next;
	blocks_fn blocks;
	thread_fn thread;
	unsigned max_threads;	/* __launch_bounds__' block size (clang path), 0: none */
	/* the region profile (an image compiled with cuda.h's __VGPU_PROFILE):
	 * ticks and runs per slot, the drivers add theirs; NULL: none */
	unsigned long long *prof;
	const char *regions;	/* the image's __vgpu_regions_<kernel>: a label per region */
	_Atomic unsigned long long prof_launches, prof_blocks;
	char name[VGPU_KNAME_MAX];
};

struct cpu_module {
	void *dl;
	int fd;			/* the memfd, open while loaded: see cpu_module_load */
	struct cpu_fn *fns;
	struct vgpu_names names;	/* expression -> wrapper id x<i>; descriptor __vgpu_sig_<i> */
};

/* ---- fibers ------------------------------------------------------------- */

struct fiber {
	void *sp;
	unsigned tx, ty, tz;
	bool done;
};

#if defined(__x86_64__)
void vgpu_fiber_switch(void **save_sp, void *new_sp) VGPU_INTERNAL;
void vgpu_fiber_start(void) VGPU_INTERNAL;
__asm__(".text\n"
	".p2align 4\n"
	".globl vgpu_fiber_switch\n"
	".hidden vgpu_fiber_switch\n"
	".type vgpu_fiber_switch,@function\n"
	"vgpu_fiber_switch:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size vgpu_fiber_switch, .-vgpu_fiber_switch\n"
	".p2align 4\n"
	".globl vgpu_fiber_start\n"
	".hidden vgpu_fiber_start\n"
	".type vgpu_fiber_start,@function\n"
	"vgpu_fiber_start:\n"
	"	movq %r12, %rdi\n"
	"	callq *%r13\n"
	"	ud2\n"
	".size vgpu_fiber_start, .-vgpu_fiber_start\n");

static void *fiber_init(char *stack, size_t size, void (*fn)(void *), void *arg)
{
	uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
	uint64_t *sp = (uint64_t *)(top - 8);

	/* FP control words are not switched: all fibers of a block share them */
	sp[0] = (uint64_t)(uintptr_t)vgpu_fiber_start;
	sp[-1] = 0;				/* rbp */
	sp[-2] = 0;				/* rbx */
	sp[-3] = (uint64_t)(uintptr_t)arg;	/* r12 */
	sp[-4] = (uint64_t)(uintptr_t)fn;	/* r13 */
	sp[-5] = 0;				/* r14 */
	sp[-6] = 0;				/* r15 */
	return &sp[-6];
}
#define FIBER_SWITCH(save, to) vgpu_fiber_switch((save), (to))
#define HAVE_FIBERS 1
#else
/* No fiber switch for this architecture yet: barrier kernels are refused. */
#define HAVE_FIBERS 0
static void *fiber_init(char *stack, size_t size, void (*fn)(void *), void *arg)
{
	(void)stack; (void)size; (void)fn; (void)arg;
	return NULL;
}
#define FIBER_SWITCH(save, to) abort()
#endif

/* ---- thread pool -------------------------------------------------------- */

struct cpu_job;

struct cpu_worker {
	struct cpu_job *job;
	void *dsm;
	size_t dsm_cap;
	/* fibers */
	struct fiber *fib;
	char *stacks;
	size_t nfib_cap;
	size_t stack_size;
	unsigned *vg_ids;		/* valgrind stack ids */
	void *sched_sp;
	unsigned cur, nthreads, alive;
	uint64_t block;
};

struct cpu_job {
	struct cpu_ctx *ctx;
	struct vgpu_cpu_exec E;
	struct cpu_fn *fn;
	bool barrier;
	uint64_t nblocks, chunk;
	_Atomic uint64_t next;
	size_t dsm_bytes;
	uint64_t deadline;
	_Atomic int timed_out;
	_Atomic int error;
};

struct cpu_ctx {
	struct vgpu_workers *pool;	/* the caller is worker 0 */
	unsigned nworkers;		/* including the caller */
	struct cpu_worker *w;		/* [nworkers] */
	size_t stack_size;
};

static __thread struct cpu_worker *tls_w;

static void fiber_next(struct cpu_worker *w, struct fiber *self)
{
	unsigned j = w->cur + 1;

	while (j < w->nthreads && w->fib[j].done)
		j++;
	if (j < w->nthreads) {
		w->cur = j;
		FIBER_SWITCH(&self->sp, w->fib[j].sp);
	} else {
		FIBER_SWITCH(&self->sp, w->sched_sp);
	}
}

static void cpu_barrier(void)
{
	struct cpu_worker *w = tls_w;

	fiber_next(w, &w->fib[w->cur]);
}

static void fiber_entry(void *arg)
{
	struct cpu_worker *w = arg;
	struct fiber *f = &w->fib[w->cur];

	w->job->fn->thread(&w->job->E, w->dsm, w->block, f->tx, f->ty, f->tz);
	f = &w->fib[w->cur];
	f->done = true;
	w->alive--;
	fiber_next(w, f);
	abort();		/* never resumed */
}

static int worker_fibers(struct cpu_worker *w, unsigned n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t each = w->stack_size + page;
	char *st;

	if (n <= w->nfib_cap)
		return 0;
	for (size_t i = 0; w->vg_ids && i < w->nfib_cap; i++)
		VALGRIND_STACK_DEREGISTER(w->vg_ids[i]);
	free(w->vg_ids);
	w->vg_ids = NULL;
	if (w->stacks)
		munmap(w->stacks, w->nfib_cap * each);
	free(w->fib);
	w->stacks = NULL;
	w->nfib_cap = 0;
	w->fib = calloc(n, sizeof(*w->fib));
	if (!w->fib)
		return -ENOMEM;
	st = mmap(NULL, n * each, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (st == MAP_FAILED) {
		free(w->fib);
		w->fib = NULL;
		return -ENOMEM;
	}
	w->vg_ids = calloc(n, sizeof(*w->vg_ids));
	for (unsigned i = 0; i < n; i++) {	/* guard page below each stack */
		mprotect(st + i * each, page, PROT_NONE);
		if (w->vg_ids)
			w->vg_ids[i] = VALGRIND_STACK_REGISTER(st + i * each + page, st + (i + 1) * each);
	}
	w->stacks = st;
	w->nfib_cap = n;
	return 0;
}

static int run_block_fibers(struct cpu_worker *w, uint64_t b)
{
	const struct vgpu_cpu_exec *E = &w->job->E;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t each = w->stack_size + page;
	unsigned n = E->block[0] * E->block[1] * E->block[2], i = 0;
	int ret = worker_fibers(w, n);

	if (ret)
		return ret;
	for (unsigned z = 0; z < E->block[2]; z++)
		for (unsigned y = 0; y < E->block[1]; y++)
			for (unsigned x = 0; x < E->block[0]; x++, i++) {
				struct fiber *f = &w->fib[i];

				f->tx = x;
				f->ty = y;
				f->tz = z;
				f->done = false;
				f->sp = fiber_init(w->stacks + i * each + page, w->stack_size,
						   fiber_entry, w);
			}
	w->nthreads = n;
	w->alive = n;
	w->block = b;
	while (w->alive) {
		unsigned j = 0;

		while (w->fib[j].done)
			j++;
		w->cur = j;
		FIBER_SWITCH(&w->sched_sp, w->fib[j].sp);
	}
	return 0;
}

static void work(struct cpu_ctx *c, struct cpu_worker *w, struct cpu_job *job)
{
	w->job = job;
	tls_w = w;
	if (job->dsm_bytes > w->dsm_cap) {
		void *p = NULL;

		if (posix_memalign(&p, 64, job->dsm_bytes)) {
			atomic_store(&job->error, -ENOMEM);
			return;
		}
		free(w->dsm);
		w->dsm = p;
		w->dsm_cap = job->dsm_bytes;
	}
	(void)c;
	for (;;) {
		uint64_t first = atomic_fetch_add(&job->next, job->chunk);
		uint64_t count;

		if (first >= job->nblocks || atomic_load(&job->error))
			break;
		if (job->deadline && vgpu_now_ns() > job->deadline) {
			atomic_store(&job->timed_out, 1);
			break;
		}
		count = job->nblocks - first < job->chunk ? job->nblocks - first : job->chunk;
		if (!job->barrier) {
			job->fn->blocks(&job->E, w->dsm, first, count);
			continue;
		}
		for (uint64_t b = first; b < first + count; b++) {
			int ret = run_block_fibers(w, b);

			if (ret) {
				atomic_store(&job->error, ret);
				break;
			}
		}
	}
}

/* a worker's part of a launch (core/workers.h) */
static void work_fn(void *arg, unsigned int worker)
{
	struct cpu_job *job = arg;

	work(job->ctx, &job->ctx->w[worker], job);
}

/* ---- ops ------------------------------------------------------------------ */

static int cpu_probe(void)
{
	return 1;
}

static int cpu_device_props(int index, struct vgpu_bk_devprops *p)
{
	FILE *f;

	if (index != 0)
		return -ENOENT;
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "CPU");
	f = fopen("/proc/cpuinfo", "r");
	if (f) {
		char line[512];

		while (fgets(line, sizeof(line), f)) {
			char *c = strchr(line, ':');

			if (!strncmp(line, "model name", 10) && c) {
				line[strcspn(line, "\n")] = 0;
				snprintf(p->name, sizeof(p->name), "CPU:%s", c + 1);
				break;
			}
		}
		fclose(f);
	}
	p->total_mem = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
	p->multiprocessors = vgpu_cores();
	p->max_threads_per_block = CPU_MAX_BLOCK;
	p->max_shared_per_block = CPU_MAX_SHARED;
	p->warp_size = 1;
	return 0;
}

static void cpu_ctx_destroy(void *ctx)
{
	struct cpu_ctx *c = ctx;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if (!c)
		return;
	vgpu_workers_destroy(c->pool);
	for (unsigned i = 0; c->w && i < c->nworkers; i++) {
		struct cpu_worker *w = &c->w[i];

		free(w->dsm);
		free(w->fib);
		for (size_t k = 0; w->vg_ids && k < w->nfib_cap; k++)
			VALGRIND_STACK_DEREGISTER(w->vg_ids[k]);
		free(w->vg_ids);
		if (w->stacks)
			munmap(w->stacks, w->nfib_cap * (w->stack_size + page));
	}
	free(c->w);
	free(c);
}

static int cpu_ctx_create(const struct vgpu_bk_init *init, void **ctx, uint64_t *overhead)
{
	struct cpu_ctx *c = calloc(1, sizeof(*c));
	unsigned n = init->cpu_threads;
	uint64_t v;
	int ret;

	if (!c)
		return -ENOMEM;
	if (init->device != 0) {
		free(c);
		vgpu_bk_seterr("cpu: no device %d (the CPU backend has one device, 0)", init->device);
		return -ENOENT;
	}
	if (!n) {
		/* checked by vgpu_session_open (core/env.c); 0: one per core */
		n = !vgpu_env_uint("VGPU_CPU_THREADS", 0, 1024, &v) && v ? (unsigned)v : vgpu_cores();
	}
	if (n > 1024)
		n = 1024;
	c->stack_size = (vgpu_env_uint("VGPU_CPU_STACK_KB", 8, 65536, &v) ? 32 : (size_t)v) * 1024;
	c->nworkers = n;
	c->w = calloc(n, sizeof(*c->w));
	if (!c->w) {
		cpu_ctx_destroy(c);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++)
		c->w[i].stack_size = c->stack_size;
	ret = vgpu_workers_create(&c->pool, n, NULL, NULL);
	if (ret) {
		cpu_ctx_destroy(c);
		vgpu_bk_seterr("cpu: cannot start %u worker threads: %s", n - 1, strerror(-ret));
		return ret;
	}
	*ctx = c;
	*overhead = 0;
	return 0;
}

static int cpu_mem_info(void *ctx, uint64_t *free_bytes, uint64_t *total)
{
	(void)ctx;
	*total = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
	*free_bytes = (uint64_t)sysconf(_SC_AVPHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
	return 0;
}

/*
 * Device memory of 2 MiB or more is asked for in transparent huge pages
 * (aligned to one, and madvise: THP's `madvise` mode gives them only on
 * request), as a GPU's allocator maps device memory in large pages. A
 * kernel's block reads and writes its rows in a burst between barriers and
 * then computes: a new 4 KiB page every 2 KiB block of scan_blelloch was a
 * TLB miss each, which the hardware had no stream to walk ahead of
 * (rdtsc around its regions, one worker, 16 Mi ints, a build that also
 * prefetched four blocks ahead: the block's load 630 -> 216 cycles, its
 * store 543 -> 145; without huge pages that prefetch had changed them
 * little, 766 -> 630 and 582 -> 543). Where THP is off (`never`,
 * or not built: madvise fails) the pages stay small, as before.
 */
#define CPU_HUGE_PAGE (2u << 20)

static int cpu_mem_alloc(void *ctx, size_t bytes, uint64_t *dptr)
{
	const bool huge = bytes >= CPU_HUGE_PAGE;
	void *p = NULL;

	(void)ctx;
	if (posix_memalign(&p, huge ? CPU_HUGE_PAGE : 256, bytes)) {
		vgpu_bk_seterr("cpu: out of memory allocating %zu bytes", bytes);
		return -ENOMEM;
	}
	if (huge)
		(void)madvise(p, bytes, MADV_HUGEPAGE);
	*dptr = (uint64_t)(uintptr_t)p;
	return 0;
}

static int cpu_mem_free(void *ctx, uint64_t dptr)
{
	(void)ctx;
	free((void *)(uintptr_t)dptr);
	return 0;
}

static int cpu_htod(void *ctx, uint64_t dst, const void *src, size_t n, void *stream)
{
	(void)ctx;
	(void)stream;
	memmove((void *)(uintptr_t)dst, src, n);
	return 0;
}

static int cpu_dtoh(void *ctx, void *dst, uint64_t src, size_t n, void *stream)
{
	(void)ctx;
	(void)stream;
	memmove(dst, (const void *)(uintptr_t)src, n);
	return 0;
}

static int cpu_dtod(void *ctx, uint64_t dst, uint64_t src, size_t n, void *stream)
{
	(void)ctx;
	(void)stream;
	memmove((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, n);
	return 0;
}

/* CPU streams complete work before the call returns: a token is enough. */
static int cpu_stream_create(void *ctx, void **s)
{
	(void)ctx;
	*s = malloc(1);
	return *s ? 0 : -ENOMEM;
}

static int cpu_stream_destroy(void *ctx, void *s)
{
	(void)ctx;
	free(s);
	return 0;
}

static int cpu_stream_sync(void *ctx, void *s, int64_t timeout_ns)
{
	(void)ctx;
	(void)s;
	(void)timeout_ns;
	return 0;
}

static int cpu_synchronize(void *ctx, int64_t timeout_ns)
{
	(void)ctx;
	(void)timeout_ns;
	return 0;
}

static int cpu_image_load(const void *blob, size_t len, const struct cpu_blob_hdr *h, void **mod,
			  struct vgpu_ksig **sigp)
{
	struct cpu_module *m;
	struct vgpu_ksig *sig;
	size_t kbytes;
	char path[64];
	int fd, ret;

	if (len < sizeof(*h) || memcmp(h->magic, CPU_BLOB_MAGIC, 8) ||
	    h->kinfo_size != sizeof(struct vgpu_kinfo) || h->nkernels > 100000) {
		vgpu_bk_seterr("cpu: not a CPU image of this libvgpu version");
		return -ENOEXEC;
	}
	kbytes = (size_t)h->nkernels * sizeof(struct vgpu_kinfo);
	if (len - sizeof(*h) < kbytes || len - sizeof(*h) - kbytes != h->so_len) {
		vgpu_bk_seterr("cpu: truncated CPU image");
		return -ENOEXEC;
	}
	fd = memfd_create("vgpu-kernel", MFD_CLOEXEC);
	if (fd < 0) {
		vgpu_bk_seterr("cpu: memfd_create: %s", strerror(errno));
		return -errno;
	}
	ret = vgpu_write_all(fd, (const char *)blob + sizeof(*h) + kbytes, h->so_len);
	if (ret) {
		close(fd);
		return ret;
	}
	m = calloc(1, sizeof(*m));
	sig = calloc(1, sizeof(*sig));
	if (!m || !sig || (kbytes && !(sig->kernels = malloc(kbytes)))) {
		free(m);
		if (sig)
			free(sig->kernels);
		free(sig);
		close(fd);
		return -ENOMEM;
	}
	/*
	 * dlopen() returns an object already loaded under the same name without
	 * opening the file: the memfd stays open while the module is loaded, so
	 * that no other module's /proc/self/fd/N can have the same name.
	 */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	m->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	m->fd = fd;
	if (!m->dl) {
		close(fd);
		vgpu_bk_seterr("cpu: cannot load the image: %s", dlerror());
		free(sig->kernels);
		free(sig);
		free(m);
		return -ENOEXEC;
	}
	if (kbytes)
		memcpy(sig->kernels, (const char *)blob + sizeof(*h), kbytes);
	sig->nkernels = (int)h->nkernels;
	sig->helpers_use_barrier = h->helpers_use_barrier;
	sig->helpers_use_builtins = h->helpers_use_builtins;
	for (int k = 0; k < sig->nkernels; k++)
		sig->kernels[k].name[VGPU_KNAME_MAX - 1] = 0;
	*mod = m;
	*sigp = sig;
	return 0;
}

static int cpu_module_load(void *ctx, const void *blob, size_t len, int format, void **mod,
			   struct vgpu_ksig **sigp)
{
	struct vgpu_names names;
	int ret;

	(void)ctx;
	*sigp = NULL;
	if (format != VGPU_IMAGE_AUTO && format != VGPU_IMAGE_NATIVE) {
		vgpu_bk_seterr("cpu: image format %d is not a CPU image", format);
		return -EINVAL;
	}
	ret = vgpu_names_unpack(blob, len, &names, &blob, &len);
	if (ret) {
		vgpu_bk_seterr("cpu: damaged name table in the image");
		return ret;
	}
	ret = cpu_image_load(blob, len, blob, mod, sigp);
	if (ret) {
		vgpu_names_free(&names);
		return ret;
	}
	((struct cpu_module *)*mod)->names = names;
	return 0;
}

static void cpu_module_unload(void *ctx, void *mod)
{
	struct cpu_module *m = mod;

	(void)ctx;
	if (!m)
		return;
	while (m->fns) {
		struct cpu_fn *f = m->fns;

		m->fns = f->next;
		free(f->prof);
		free(f);
	}
	dlclose(m->dl);
	close(m->fd);
	vgpu_names_free(&m->names);
	free(m);
}

/* @s without blanks into @d (at most @n bytes with the NUL) */
static void unblank(char *d, const char *s, size_t n)
{
	size_t k = 0;

	for (; *s && k + 1 < n; s++)
		if (*s != ' ')
			d[k++] = *s;
	d[k] = 0;
}

/*
 * A kernel of the clang path by its name as C++ writes it ("reduce<float,
 * 256>", "ns::k") when it is not in the name table: the image lists
 * "mangled\tdemangled\thow\n" per kernel in __vgpu_kernel_table, demangled
 * as "void reduce<float, 256>(float const*, float*)". The mangled name of
 * the match into @sym; 0 or -ENOENT.
 */
static int table_lookup(void *dl, const char *name, char *sym, size_t len)
{
	const char *t = dlsym(dl, "__vgpu_kernel_table");
	char want[VGPU_KNAME_MAX], have[1024];

	if (!t)
		return -ENOENT;
	unblank(want, name, sizeof(want));
	while (*t) {
		const char *tab = strchr(t, '\t'), *nl = strchr(t, '\n');
		const char *d, *e;

		if (!tab || !nl || tab > nl)
			break;
		d = tab + 1;
		e = memchr(d, '\t', (size_t)(nl - d));
		if (e) {
			const char *open = memchr(d, '(', (size_t)(e - d)), *sp;

			if (!strncmp(d, "void ", 5))
				d += 5;
			sp = open ? open : e;
			snprintf(have, sizeof(have), "%.*s", (int)(sp - d), d);
			unblank(have, have, sizeof(have));
			if (!strcmp(have, want)) {
				snprintf(sym, len, "%.*s", (int)(tab - t), t);
				return 0;
			}
		}
		t = nl + 1;
	}
	return -ENOENT;
}

static unsigned long long tsc_cost;
static pthread_once_t tsc_cost_once = PTHREAD_ONCE_INIT;

static void tsc_measure(void)
{
	unsigned long long best = ~0ull;

#if defined(__x86_64__)
	for (int i = 0; i < 64; i++) {
		const unsigned long long a = __rdtsc(), b = __rdtsc();

		best = b - a < best ? b - a : best;
	}
#endif
	tsc_cost = best == ~0ull ? 0 : best;
}

/* the fewest TSC cycles between two reads back to back (what the profile's
 * counts have in them beside the region: a VM may trap the read), measured
 * once a process: the profile's text, asked for its length and then for
 * itself with no launch between, must come out the same both times */
static unsigned long long tsc_read_cost(void)
{
	pthread_once(&tsc_cost_once, tsc_measure);
	return tsc_cost;
}

static int cpu_function_get(void *ctx, void *mod, const char *name, void **fnp)
{
	struct cpu_module *m = mod;
	struct cpu_fn *f;
	char sym[VGPU_KNAME_MAX + 32];
	const unsigned *bounds;
	int idx;

	(void)ctx;
	for (f = m->fns; f; f = f->next)
		if (!strcmp(f->name, name)) {
			*fnp = f;
			return 0;
		}
	if (strlen(name) >= VGPU_KNAME_MAX)
		return -ENOENT;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	idx = vgpu_names_index(&m->names, name);	/* else an extern "C" kernel's own name */
	snprintf(sym, sizeof(sym), "__vgpu_blocks_%s", idx >= 0 ? m->names.lowered[idx] : name);
	*(void **)&f->blocks = dlsym(m->dl, sym);
	snprintf(sym, sizeof(sym), "__vgpu_bounds_%s", idx >= 0 ? m->names.lowered[idx] : name);
	bounds = dlsym(m->dl, sym);
	snprintf(sym, sizeof(sym), "__vgpu_regions_%s", idx >= 0 ? m->names.lowered[idx] : name);
	f->regions = dlsym(m->dl, sym);
	snprintf(sym, sizeof(sym), "__vgpu_thread_%s", idx >= 0 ? m->names.lowered[idx] : name);
	*(void **)&f->thread = dlsym(m->dl, sym);
	if (!f->blocks && !f->thread) {
		char mangled[1024], s2[1100];

		if (!table_lookup(m->dl, name, mangled, sizeof(mangled))) {
			snprintf(s2, sizeof(s2), "__vgpu_blocks_%s", mangled);
			*(void **)&f->blocks = dlsym(m->dl, s2);
			snprintf(s2, sizeof(s2), "__vgpu_bounds_%s", mangled);
			bounds = dlsym(m->dl, s2);
			snprintf(s2, sizeof(s2), "__vgpu_regions_%s", mangled);
			f->regions = dlsym(m->dl, s2);
		}
	}
	f->max_threads = bounds ? *bounds : 0;
	if (!f->blocks && !f->thread) {
		free(f);
		vgpu_bk_seterr("cpu: no kernel named '%s' in the module", name);
		return -ENOENT;
	}
	/* an image compiled with the region profile (cuda.h's __VGPU_PROFILE) */
	if (!f->thread && dlsym(m->dl, "__vgpu_profiled")) {
		f->prof = calloc(2 * CPU_PROF_SLOTS, sizeof(*f->prof));
		if (!f->prof) {
			free(f);
			return -ENOMEM;
		}
	}
	strcpy(f->name, name);
	f->next = m->fns;
	m->fns = f;
	*fnp = f;
	return 0;
}

/*
 * The region profile of @fnp since it was got: per region (the labels the
 * image has, else "region N"), its runs, the ticks a run took and its share
 * of the blocks' time; the diverged groups', the prefetches' and the blocks'
 * own after them. -ENODATA where it was not counted (an image compiled
 * without __VGPU_PROFILE: VGPU_CPU_PROFILE unset, the g++ path, not x86-64).
 */
static int cpu_kernel_profile(void *ctx, void *mod, void *fnp, struct vgpu_sbuf *out)
{
	struct cpu_fn *f = fnp;
	unsigned long long total = 0, in = 0, p[2 * CPU_PROF_SLOTS];
	const char *lab = f->regions;
	unsigned last = 0;

	(void)ctx;
	(void)mod;
	if (!f->prof) {
		vgpu_bk_seterr("no region profile (its module was compiled without VGPU_CPU_PROFILE=1 or "
			       "-D__VGPU_PROFILE, or not on the clang path on x86-64)");
		return -ENODATA;
	}
	for (unsigned i = 0; i < 2 * CPU_PROF_SLOTS; i++)
		p[i] = __atomic_load_n(&f->prof[i], __ATOMIC_RELAXED);
	for (unsigned i = 0; i <= CPU_PROF_AHEAD; i++) {
		in += p[2 * i];
		if (p[2 * i + 1] && i < CPU_PROF_MASKED)
			last = i;
	}
	/* the shares: of the blocks' whole time */
	total = p[2 * CPU_PROF_BLOCK] > in ? p[2 * CPU_PROF_BLOCK] : in;
	vgpu_sb_printf(out, "%llu launches, %llu blocks; TSC cycles (a count holds a TSC read, %llu cycles back to back here)\n",
	    (unsigned long long)atomic_load(&f->prof_launches), (unsigned long long)atomic_load(&f->prof_blocks),
	    tsc_read_cost());
	for (unsigned i = 0; i < CPU_PROF_MASKED; i++) {
		const char *nl = lab ? strchr(lab, '\n') : NULL;
		const unsigned long long runs = p[2 * i + 1], t = p[2 * i];

		if (!nl && i > last)
			break;
		vgpu_sb_printf(out, "region %u%s%.*s: %llu runs, %.0f cycles a run, %.1f %%\n", i, nl ? " " : "",
		    nl ? (int)(nl - lab) : 0, nl ? lab : "", runs, runs ? (double)t / (double)runs : 0.0,
		    total ? 100.0 * (double)t / (double)total : 0.0);
		if (i == CPU_PROF_MASKED - 1 && nl && nl[1])
			vgpu_sb_printf(out, "(the regions past it count in it)\n");
		lab = nl ? nl + 1 : NULL;
	}
	if (p[2 * CPU_PROF_MASKED + 1])
		vgpu_sb_printf(out, "diverged groups: %llu runs, %.0f cycles a run, %.1f %%\n", p[2 * CPU_PROF_MASKED + 1],
		    (double)p[2 * CPU_PROF_MASKED] / (double)p[2 * CPU_PROF_MASKED + 1],
		    total ? 100.0 * (double)p[2 * CPU_PROF_MASKED] / (double)total : 0.0);
	if (p[2 * CPU_PROF_AHEAD + 1])
		vgpu_sb_printf(out, "the next block's lines prefetched: %llu times, %.0f cycles each, %.1f %%\n",
		    p[2 * CPU_PROF_AHEAD + 1], (double)p[2 * CPU_PROF_AHEAD] / (double)p[2 * CPU_PROF_AHEAD + 1],
		    total ? 100.0 * (double)p[2 * CPU_PROF_AHEAD] / (double)total : 0.0);
	if (p[2 * CPU_PROF_BLOCK + 1])
		vgpu_sb_printf(out, "the blocks' own (coordinates, states; the TSC reads around the regions): %.0f cycles a block, %.1f %%\n",
		    (double)(total - in) / (double)p[2 * CPU_PROF_BLOCK + 1],
		    total ? 100.0 * (double)(total - in) / (double)total : 0.0);
return out->oom ? -ENOMEM : 0;
}

/*
 * How a kernel runs: the clang path's image says it in __vgpu_kernel_table
 * (the third field); a g++ image by its symbols.
 */
static int cpu_kernel_lowering(void *ctx, void *mod, void *fnp, const char *name, char *buf,
			       size_t len)
{
	struct cpu_module *m = mod;
	struct cpu_fn *f = fnp;
	const char *t = dlsym(m->dl, "__vgpu_kernel_table");
	char mangled[1024], sym[VGPU_KNAME_MAX + 32];

	(void)ctx;
	if (t && !table_lookup(m->dl, name, mangled, sizeof(mangled))) {
		size_t n = strlen(mangled);

		for (const char *l = t; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
			const char *how;

			if (strncmp(l, mangled, n) || l[n] != '\t')
				continue;
			how = strchr(l + n + 1, '\t');
			if (how)
				snprintf(buf, len, "%.*s", (int)strcspn(how + 1, "\n"), how + 1);
			return how ? 0 : -ENOENT;
		}
		return -ENOENT;
	}
	snprintf(sym, sizeof(sym), "__vgpu_split_%s", name);
	if (dlsym(m->dl, sym))
		snprintf(buf, len, "split: loops over threads between its barriers (g++ path)");
	else if (f->thread)
		snprintf(buf, len, "fibers: one per thread, switched at barriers (g++ path)");
	else
		snprintf(buf, len, "loops (g++ path)");
	return 0;
}

/* The compiler's signature of a name expression: the exported __vgpu_sig_<i>. */
static int cpu_function_sig(void *ctx, void *mod, void *fn, const char *name,
			    struct vgpu_kinfo *out)
{
	struct cpu_module *m = mod;
	int idx = vgpu_names_index(&m->names, name);
	const uint32_t *w;
	char sym[32];

	(void)ctx;
	(void)fn;
	if (idx < 0)
		return -ENOENT;
	snprintf(sym, sizeof(sym), "__vgpu_sig_%d", idx);
	w = dlsym(m->dl, sym);
	if (!w)
		return -ENOENT;
	return vgpu_devsig_decode(w, VGPU_DEVSIG_WORDS, out);
}

/*
 * A __device__/__constant__ variable: hidden in the shared object (it is
 * compiled with -fvisibility=hidden), so looked up in its .symtab, read from
 * the memfd, relative to where the object was loaded.
 */
static int cpu_global_get(void *ctx, void *mod, const char *name, uint64_t *dptr, size_t *size)
{
	struct cpu_module *m = mod;
	struct link_map *lm = NULL;
	Elf64_Ehdr eh;
	Elf64_Shdr *sh = NULL;
	int ret = -ENOENT;

	(void)ctx;
	if (dlinfo(m->dl, RTLD_DI_LINKMAP, &lm) || !lm ||
	    pread(m->fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_shentsize != sizeof(Elf64_Shdr) || !eh.e_shnum || eh.e_shnum > 4096) {
		vgpu_bk_seterr("cpu: cannot read the image's symbols");
		return -EIO;
	}
	sh = calloc(eh.e_shnum, sizeof(*sh));
	if (!sh)
		return -ENOMEM;
	if (pread(m->fd, sh, eh.e_shnum * sizeof(*sh), eh.e_shoff) != (ssize_t)(eh.e_shnum * sizeof(*sh))) {
		free(sh);
		return -EIO;
	}
	for (int i = 0; i < eh.e_shnum && ret == -ENOENT; i++) {
		Elf64_Sym *syms;
		char *str;
		size_t nsym;

		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh.e_shnum ||
		    sh[i].sh_entsize != sizeof(Elf64_Sym) || sh[i].sh_size > (64u << 20) ||
		    sh[sh[i].sh_link].sh_size > (64u << 20))
			continue;
		nsym = sh[i].sh_size / sizeof(Elf64_Sym);
		syms = malloc(sh[i].sh_size);
		str = malloc(sh[sh[i].sh_link].sh_size + 1);
		if (syms && str &&
		    pread(m->fd, syms, sh[i].sh_size, sh[i].sh_offset) == (ssize_t)sh[i].sh_size &&
		    pread(m->fd, str, sh[sh[i].sh_link].sh_size, sh[sh[i].sh_link].sh_offset) ==
		    (ssize_t)sh[sh[i].sh_link].sh_size) {
			str[sh[sh[i].sh_link].sh_size] = 0;
			for (size_t k = 0; k < nsym; k++) {
				if (ELF64_ST_TYPE(syms[k].st_info) != STT_OBJECT ||
				    syms[k].st_name >= sh[sh[i].sh_link].sh_size ||
				    strcmp(str + syms[k].st_name, name) || !syms[k].st_size)
					continue;
				*dptr = (uint64_t)lm->l_addr + syms[k].st_value;
				*size = syms[k].st_size;
				ret = 0;
				break;
			}
		}
		free(syms);
		free(str);
	}
	free(sh);
	if (ret)
		vgpu_bk_seterr("cpu: no variable '%s' in the image", name);
	return ret;
}

static int cpu_launch(void *ctx, void *fnp, const struct vgpu_bk_launch *l)
{
	struct cpu_ctx *c = ctx;
	struct cpu_fn *fn = fnp;
	struct cpu_job job;
	uint64_t threads = (uint64_t)l->block[0] * l->block[1] * l->block[2];
	unsigned use;

	if (!threads || threads > CPU_MAX_BLOCK) {
		vgpu_bk_seterr("cpu: block of %llu threads (1..%u)", (unsigned long long)threads,
			       CPU_MAX_BLOCK);
		return -EINVAL;
	}
	/* as a GPU refuses it: the kernel was compiled for at most that many */
	if (fn->max_threads && threads > fn->max_threads) {
		vgpu_bk_seterr("cpu: block of %llu threads, more than the kernel's __launch_bounds__ (%u)",
			       (unsigned long long)threads, fn->max_threads);
		return -EINVAL;
	}
	if (l->shared_bytes > CPU_MAX_SHARED) {
		vgpu_bk_seterr("cpu: %u bytes of dynamic shared memory (at most %u)",
			       l->shared_bytes, CPU_MAX_SHARED);
		return -EINVAL;
	}
	memset(&job, 0, sizeof(job));
	memcpy(job.E.grid, l->grid, sizeof(job.E.grid));
	memcpy(job.E.block, l->block, sizeof(job.E.block));
	job.E.args = l->args;
	job.E.barrier = cpu_barrier;
	job.E.prof = fn->prof;
	job.fn = fn;
	job.barrier = fn->thread != NULL;
	job.nblocks = (uint64_t)l->grid[0] * l->grid[1] * l->grid[2];
	job.dsm_bytes = l->shared_bytes ? l->shared_bytes : 0;
	job.deadline = l->timeout_ns > 0 ? vgpu_now_ns() + (uint64_t)l->timeout_ns : 0;
	use = job.nblocks < c->nworkers ? (unsigned)job.nblocks : c->nworkers;
	/* ~16 chunks per worker: balance, and a timeout can stop between chunks */
	job.chunk = job.nblocks / ((uint64_t)use * 16);
	if (!job.chunk)
		job.chunk = 1;
	if (job.barrier && !HAVE_FIBERS) {
		vgpu_bk_seterr("cpu: __syncthreads is not supported on this architecture");
		return -EOPNOTSUPP;
	}
	atomic_store(&job.next, 0);
	job.ctx = c;
	if (fn->prof) {
		atomic_fetch_add(&fn->prof_launches, 1);
		atomic_fetch_add(&fn->prof_blocks, job.nblocks);
	}
	vgpu_workers_run(c->pool, use, work_fn, &job);
	if (atomic_load(&job.error)) {
		vgpu_bk_seterr("cpu: launch failed: %s", strerror(-atomic_load(&job.error)));
		return atomic_load(&job.error);
	}
	if (atomic_load(&job.timed_out)) {
		vgpu_bk_seterr("cpu: launch timed out; blocks not started were skipped");
		return -ETIME;
	}
	return 0;
}

const struct vgpu_backend_ops vgpu_backend_cpu = {
	.name = "cpu",
	.kind = VGPU_BACKEND_CPU,
	.probe = cpu_probe,
	.device_props = cpu_device_props,
	.ctx_create = cpu_ctx_create,
	.ctx_destroy = cpu_ctx_destroy,
	.mem_info = cpu_mem_info,
	.mem_alloc = cpu_mem_alloc,
	.mem_free = cpu_mem_free,
	.memcpy_htod = cpu_htod,
	.memcpy_dtoh = cpu_dtoh,
	.memcpy_dtod = cpu_dtod,
	.stream_create = cpu_stream_create,
	.stream_destroy = cpu_stream_destroy,
	.stream_sync = cpu_stream_sync,
	.synchronize = cpu_synchronize,
	.target_id = vgpu_cpu_target_id,
	.compile = vgpu_cpu_compile,
	.module_load = cpu_module_load,
	.module_unload = cpu_module_unload,
	.function_get = cpu_function_get,
	.function_sig = cpu_function_sig,
	.global_get = cpu_global_get,
	.kernel_lowering = cpu_kernel_lowering,
	.kernel_profile = cpu_kernel_profile,
	.launch = cpu_launch,
};
