/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvgpu internal backend interface.
 *
 * A backend is one `const struct vgpu_backend_ops`, in its own folder. The
 * core (core/session.c) picks it by enum vgpu_backend_kind:
 *
 *	[VGPU_BACKEND_CUDA] = &vgpu_backend_cuda	(cuda/)
 *	[VGPU_BACKEND_HIP]  = &vgpu_backend_hip		(hip/)
 *	[VGPU_BACKEND_CPU]  = &vgpu_backend_cpu		(cpu/)
 *
 * Every backend is always built. The GPU backends load their vendor
 * libraries with dlopen() at probe time, never link them, so a machine
 * without CUDA or HIP gets a clean -ENODEV from @probe, not a link error.
 *
 * Rules for every op
 *  - return 0 / a count or a negative errno; never print;
 *  - on failure write a human-readable reason with vgpu_bk_seterr() (a
 *    thread-local buffer); the core copies it into the session's last error.
 *    (@last_error is the op form of the same thing, for backends that keep
 *    their own text; it may be NULL and then the thread-local text is used.)
 *  - errnos: -ENODEV no device/library, -ENOMEM out of (device) memory,
 *    -ENOEXEC compile/load refused, -EIO other backend failure, -ETIME timeout,
 *    -EINVAL bad launch configuration, -ENOENT unknown function name.
 *  - ops may be called from several threads but never concurrently for the
 *    same context (the core serialises per session).
 *
 * Device addresses are uint64_t (CUdeviceptr / hipDeviceptr_t; the CPU
 * backend's are host pointers). Kernel arguments reach @launch the CUDA way:
 * an array of pointers, one per parameter, each pointing at the value (a
 * device address as uint64_t for pointer parameters; int32/uint32/int64/
 * uint64/float/double otherwise) with its size in @arg_sizes.
 *
 * Ledger: the core charges, not the backend. Order for a context: the backend
 * creates it and reports the device memory it cost (@ctx_create's
 * *mem_overhead, measured as free memory before minus after, 0 for the CPU);
 * the core then charges one context + that overhead and destroys the context
 * if the charge is refused (the overhead cannot be known before it exists).
 * Order for memory: the core charges, then calls @mem_alloc; after
 * @mem_free it uncharges. Pinned host memory: the core pins it through the
 * ledger, then calls @host_register (optional).
 *
 * Compile cache (cache/cache.h): the core's key parts, in order:
 * "libvgpu-cache-1", backend name, the backend's @target_id string (target +
 * compiler identity), each compile option, the source. A blob is whatever
 * @compile produced; the core feeds a cached blob straight to @module_load
 * and recompiles if that fails.
 */
#ifndef VGPU_BACKEND_H
#define VGPU_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "vgpu/libvgpu.h"

#define VGPU_INTERNAL __attribute__((visibility("hidden")))
/*
 * On every launch's path: the compiler keeps these functions together
 * (.text.hot), a short run of cache lines, which the driver's launch call
 * evicts between two launches (bench/gpu/launch_cost).
 */
#define VGPU_HOT __attribute__((hot))

/* ---- kernel signatures, parsed from source by the core (cpu/parse.c) ------- */

#define VGPU_MAX_PARAMS		64
#define VGPU_KNAME_MAX		128
#define VGPU_MAX_NAMES		64	/* name expressions of one compile (the caller's) */
#define VGPU_BK_MARKS		3	/* timer_mark slots of a context */

/**
 * struct vgpu_kparam - one parameter: enum vgpu_arg_type, its size and alignment
 * @type: the argument type it takes (VGPU_ARG_BUFFER for any pointer,
 *	VGPU_ARG_BYTES for structs/vectors, VGPU_ARG_NONE unknown)
 * @align: alignment of the value in bytes (0: unknown)
 * @size: bytes of the value passed (8 for pointers; 0: unknown)
 */
struct vgpu_kparam {
	uint8_t type;
	uint8_t __pad;
	uint16_t align;
	uint32_t size;
};

/**
 * enum vgpu_kind - parameter kinds of the compiler's descriptor (devsig.c):
 * what a backend's @function_sig decodes; the core maps kind + size to an
 * enum vgpu_arg_type (vgpu_kind_to_arg()).
 */
enum vgpu_kind {
	VGPU_KIND_PTR = 1,
	VGPU_KIND_SINT = 2,
	VGPU_KIND_UINT = 3,
	VGPU_KIND_FLOAT = 4,
	VGPU_KIND_BOOL = 5,
	VGPU_KIND_BYTES = 6,	/* class, union, vector, long double, ... */
};

/** struct vgpu_kinfo - one `__global__` kernel found in a source (or its image) */
struct vgpu_kinfo {
	char name[VGPU_KNAME_MAX];		/* identifier (parse) or name expression */
	int nparams;				/* -1: unknown */
	struct vgpu_kparam params[VGPU_MAX_PARAMS];
	bool uses_barrier;			/* body (or a helper) calls __syncthreads */
	bool extern_c;				/* declared extern "C" */
	bool is_template;			/* `template <...>` head: needs a name expression */
	bool has_body;				/* defined here (not only declared) */
	char qual[VGPU_KNAME_MAX];		/* namespace-qualified name ("ops::axpy"), parse only */
};

/** struct vgpu_ksite - where a kernel is declared (for source rewriting) */
struct vgpu_ksite {
	size_t begin;		/* first byte of `extern "C"` or of `__global__` */
	size_t lparen;		/* the '(' of the parameter list */
	size_t rparen;		/* the matching ')' */
	int kernel;		/* index in kernels[] */
	bool void_params;	/* () or (void) */
};

/** struct vgpu_xshared - an `extern __shared__ T name[];` declaration */
struct vgpu_xshared {
	size_t begin, end;	/* from `extern` to the ';' included */
	char type[96];		/* T, without __align__() / alignas() */
	char name[64];
	int line_after;		/* line number of the byte after ';' (1-based) */
	int depth;		/* brace depth: 0 at file scope */
};

/** struct vgpu_ksig - all kernels of a source */
struct vgpu_ksig {
	int nkernels;
	struct vgpu_kinfo *kernels;		/* malloc()ed */
	bool helpers_use_barrier;		/* __syncthreads outside kernel bodies */
	bool helpers_use_builtins;		/* threadIdx etc. outside kernel bodies */
	/* filled only by a parse of source text (not by images): */
	int nsites;
	struct vgpu_ksite *sites;
	int nxshared;
	struct vgpu_xshared *xshared;
};

/* ---- what the ops take ------------------------------------------------- */

/**
 * struct vgpu_bk_source - input of @compile
 * @names: canonical name expressions (vgpu_name_canon()) to instantiate and
 *	make findable by @function_get: every non-template kernel of the source
 *	by its qualified name plus the caller's list ("reduce<float,256>").
 *	The backend appends the signature descriptor of each (vgpu_devsig_emit())
 *	so that @function_sig reports the compiler's types.
 */
struct vgpu_bk_source {
	const char *name;			/* for logs, may be NULL */
	const char *src;
	size_t len;
	const char *const *options;
	int nr_options;
	const struct vgpu_ksig *sig;		/* parsed by the core */
	const char *const *names;
	int nr_names;
};

/** struct vgpu_bk_launch - input of @launch */
struct vgpu_bk_launch {
	uint32_t grid[3];
	uint32_t block[3];
	uint32_t shared_bytes;
	void *stream;				/* backend stream, NULL = default */
	void **args;				/* CUDA style: pointers to values */
	const size_t *arg_sizes;
	int nr_args;
	int64_t timeout_ns;			/* <= 0: none (synchronous CPU only) */
	bool async;				/* may return before completion */
};

/** struct vgpu_bk_devprops - device properties (filled by @device_props) */
struct vgpu_bk_devprops {
	char name[128];
	uint64_t total_mem;
	uint32_t cc_major, cc_minor;
	uint32_t multiprocessors;
	uint32_t max_threads_per_block;
	uint64_t max_shared_per_block;
	uint32_t warp_size;
};

/** struct vgpu_bk_init - session parameters given to @ctx_create */
struct vgpu_bk_init {
	int device;
	unsigned int cpu_threads;		/* CPU backend; 0 = cores */
};

struct vgpu_sbuf;

struct vgpu_backend_ops {
	const char *name;		/* "cuda", "hip", "cpu": also part of cache keys */
	int kind;			/* enum vgpu_backend_kind */

	/* Load libraries, count devices: count (may be 0) or -errno + text.
	 * Called once per process (the core caches the result). */
	int (*probe)(void);

	int (*device_props)(int index, struct vgpu_bk_devprops *p);

	/* Context on init->device; *mem_overhead = device bytes it consumed. */
	int (*ctx_create)(const struct vgpu_bk_init *init, void **ctx, uint64_t *mem_overhead);
	void (*ctx_destroy)(void *ctx);

	/* Optional: free/total device memory of the context's device. */
	int (*mem_info)(void *ctx, uint64_t *free_bytes, uint64_t *total_bytes);

	int (*mem_alloc)(void *ctx, size_t bytes, uint64_t *dptr);
	int (*mem_free)(void *ctx, uint64_t dptr);
	/* stream NULL: synchronous w.r.t. the host. */
	int (*memcpy_htod)(void *ctx, uint64_t dst, const void *src, size_t n, void *stream);
	int (*memcpy_dtoh)(void *ctx, void *dst, uint64_t src, size_t n, void *stream);
	int (*memcpy_dtod)(void *ctx, uint64_t dst, uint64_t src, size_t n, void *stream);

	/* Optional (NULL: not needed): page-locked registration of host memory. */
	int (*host_register)(void *ctx, void *p, size_t n);
	int (*host_unregister)(void *ctx, void *p);

	int (*stream_create)(void *ctx, void **stream);
	int (*stream_destroy)(void *ctx, void *stream);
	/* timeout_ns < 0: forever; -ETIME when passed. */
	int (*stream_sync)(void *ctx, void *stream, int64_t timeout_ns);
	int (*synchronize)(void *ctx, int64_t timeout_ns);

	/* Target + compiler identity for cache keys, e.g. "sm_90 nvrtc-13.0" or
	 * "x86_64 g++-12.2.0 -O3 -march=native <cpu flags>". Returns length. */
	int (*target_id)(void *ctx, char *buf, size_t len);

	/* Source -> loadable blob (malloc()ed) and log (malloc()ed NUL-terminated,
	 * may be NULL). On -ENOEXEC *log should hold the compiler's messages. */
	int (*compile)(void *ctx, const struct vgpu_bk_source *src, void **blob, size_t *len,
		       char **log);

	/* format: enum vgpu_image_format. On success *sig may be set to a
	 * malloc()ed signature table the image carried (CPU images), else NULL. */
	int (*module_load)(void *ctx, const void *blob, size_t len, int format, void **mod,
			   struct vgpu_ksig **sig);
	void (*module_unload)(void *ctx, void *mod);
	/* @name: a name expression of the compile's @names, or a symbol of a
	 * foreign image. -ENOENT with text when absent. */
	int (*function_get)(void *ctx, void *mod, const char *name, void **fn);
	/* Optional: @fn's parameters as the compiler saw them (out->nparams,
	 * out->params[]: type from vgpu_kind_to_arg(), size, align) and 0; or
	 * only sizes (type VGPU_ARG_NONE) and 1 (a foreign image: driver info);
	 * -ENOENT when nothing is known. */
	int (*function_sig)(void *ctx, void *mod, void *fn, const char *name,
			    struct vgpu_kinfo *out);
	/* Optional: a `__device__`/`__constant__` variable: its device address
	 * (host address on the CPU) and size. -ENOENT when absent. */
	int (*global_get)(void *ctx, void *mod, const char *name, uint64_t *dptr, size_t *size);
	/* Optional: how the backend runs kernel @fn (named @name), as text into
	 * @buf (vgpu_kernel_info's @lowering). 0 or -ENOENT. */
	int (*kernel_lowering)(void *ctx, void *mod, void *fn, const char *name, char *buf,
			       size_t len);
	/* Optional: where kernel @fn's time went, as text appended to @out
	 * (vgpu_kernel_profile): 0, -ENODATA (not counted) or -ENOMEM. */
	int (*kernel_profile)(void *ctx, void *mod, void *fn, struct vgpu_sbuf *out);
	int (*launch)(void *ctx, void *fn, const struct vgpu_bk_launch *l);

	/*
	 * Optional (NULL: the core times on the host clock): the device's clock.
	 * @timer_mark records mark @slot (0 .. VGPU_BK_MARKS - 1) on the device
	 * after all work queued so far on the context's blocking streams and
	 * before any queued after it; @timer_read waits for mark @to and gives
	 * the device time from mark @from to it.
	 */
	int (*timer_mark)(void *ctx, int slot);
	int (*timer_read)(void *ctx, int from, int to, uint64_t *ns);

	/* Optional: text of the last failure in this context (else thread-local). */
	const char *(*last_error)(void *ctx);
};

extern const struct vgpu_backend_ops vgpu_backend_cpu VGPU_INTERNAL;
extern const struct vgpu_backend_ops vgpu_backend_cuda VGPU_INTERNAL;
extern const struct vgpu_backend_ops vgpu_backend_hip VGPU_INTERNAL;

/* ---- helpers the core provides to backends ----------------------------- */

/**
 * struct vgpu_sbuf - a growable NUL-terminated string (zero-initialise it;
 * free @p when done). After an allocation failure @oom is set and further
 * appends are ignored, so callers check once at the end.
 */
struct vgpu_sbuf {
	char *p;
	size_t n, cap;
	bool oom;
};

void vgpu_sb_add(struct vgpu_sbuf *s, const char *p, size_t n) VGPU_INTERNAL;
void vgpu_sb_str(struct vgpu_sbuf *s, const char *p) VGPU_INTERNAL;
void vgpu_sb_printf(struct vgpu_sbuf *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3))) VGPU_INTERNAL;

/*
 * vgpu_grow - room for one more element of @size bytes in the array @p that
 * holds @n of *@cap (capacity doubled, @first at first): the array, moved or
 * not, with *@cap updated; NULL if out of memory (@p then still valid).
 */
void *vgpu_grow(void *p, int n, int *cap, size_t size, int first) VGPU_INTERNAL;

/** vgpu_bk_seterr - set the thread-local backend error text (printf style) */
void vgpu_bk_seterr(const char *fmt, ...) __attribute__((format(printf, 1, 2))) VGPU_INTERNAL;
/** vgpu_bk_clearerr - empty the thread-local text (cheap: no formatting) */
void vgpu_bk_clearerr(void) VGPU_INTERNAL;
/** vgpu_bk_errtext - the thread-local text ("" if none) */
const char *vgpu_bk_errtext(void) VGPU_INTERNAL;
/** vgpu_now_ns - CLOCK_MONOTONIC in ns */
uint64_t vgpu_now_ns(void) VGPU_INTERNAL;
void vgpu_sleep_ns(uint64_t ns) VGPU_INTERNAL;

/* ---- one kernel source for every backend (core/devsig.c) --------------- */

/**
 * vgpu_name_canon - canonical form of a name expression into @out (@len
 * bytes): whitespace dropped except one space between two word characters
 * ("reduce< float, 256 >" -> "reduce<float,256>"). -EINVAL: empty, too long,
 * or characters a C++ name expression cannot hold.
 */
int vgpu_name_canon(const char *in, char *out, size_t len) VGPU_INTERNAL;

/** vgpu_kind_to_arg - enum vgpu_arg_type for a descriptor kind and size */
int vgpu_kind_to_arg(int kind, uint32_t size) VGPU_INTERNAL;

/**
 * vgpu_devsig_prelude - C++ text defining the descriptor machinery
 * (struct __vgpu_sigd, __vgpu_sigT<F>::make()): compiles as CUDA (NVRTC),
 * HIP (hiprtc) and host C++ alike. Put it before the source.
 */
extern const char vgpu_devsig_prelude[] VGPU_INTERNAL;

/**
 * vgpu_devsig_emit - append to @sb, for each name i of @names, the variable
 * extern "C" `__vgpu_sig_<i>` holding the descriptor of that kernel: @qual
 * is put before the variable ("__device__" on GPUs), @prefix before the
 * last identifier of the expression (the CPU backend's renamed kernels,
 * "__vgpu_k_"; "" for none). Layout (struct __vgpu_sigd): uint32 n, then 64
 * words kind | align << 8 | size << 16.
 */
void vgpu_devsig_emit(struct vgpu_sbuf *sb, const char *const *names, int n, const char *qual,
		      const char *prefix) VGPU_INTERNAL;
#define VGPU_DEVSIG_WORDS	(1 + VGPU_MAX_PARAMS)

/** vgpu_devsig_decode - a descriptor into @out's nparams/params; -EINVAL if malformed */
int vgpu_devsig_decode(const uint32_t *words, size_t nwords, struct vgpu_kinfo *out) VGPU_INTERNAL;

/**
 * struct vgpu_devheader - a host header that device code may include, the
 * same set on every backend. @gpu: its text for NVRTC/hiprtc (which have no
 * system headers); @cpu: its text for the CPU backend, NULL where the
 * system's own header serves.
 */
struct vgpu_devheader {
	const char *name;
	const char *gpu;
	const char *cpu;
};
extern const struct vgpu_devheader vgpu_devheaders[] VGPU_INTERNAL;	/* NULL-name terminated */

/**
 * Name tables of images (NVRTC/hiprtc lowered names; the CPU backend's
 * wrapper ids), so that a cached or saved image finds its kernels by
 * expression without the compiler: vgpu_names_pack() writes "VGPUNAM1", the
 * pairs, then the image (malloc()ed *@out); vgpu_names_unpack() gives the
 * inner image and an owned copy of the pairs (none, and @blob itself, when it
 * has no table); -ENOEXEC if damaged. Entry i is the compile's names[i]: its
 * descriptor is __vgpu_sig_<i>.
 */
struct vgpu_lowered {
	const char *expr;
	const char *lowered;
};
struct vgpu_names {
	int n;
	char **expr, **lowered;
};
int vgpu_names_pack(const struct vgpu_lowered *names, int n, const void *image, size_t len,
		    void **out, size_t *outlen) VGPU_INTERNAL;
int vgpu_names_unpack(const void *blob, size_t len, struct vgpu_names *t, const void **image,
		      size_t *imagelen) VGPU_INTERNAL;
void vgpu_names_free(struct vgpu_names *t) VGPU_INTERNAL;
int vgpu_names_index(const struct vgpu_names *t, const char *expr) VGPU_INTERNAL;	/* -1: none */

/** vgpu_parse_source - find the kernels of a CUDA-dialect source (cpu/parse.c) */
int vgpu_parse_source(const char *src, size_t len, struct vgpu_ksig *sig) VGPU_INTERNAL;
void vgpu_ksig_free(struct vgpu_ksig *sig) VGPU_INTERNAL;
const struct vgpu_kinfo *vgpu_ksig_find(const struct vgpu_ksig *sig, const char *name) VGPU_INTERNAL;

#endif /* VGPU_BACKEND_H */
