/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The GPU backends (cuda/, hip/) written once. CUDA's driver API and HIP's
 * module API have the same calls with the same argument lists (hipMalloc is
 * cuMemAlloc, hipModuleLaunchKernel is cuLaunchKernel, hiprtc is NVRTC), so
 * a vendor is described by a table, struct vgpu_gpu_vendor: the names of its
 * entry points (loaded with dlopen()/dlsym() into struct vgpu_gpu_calls and
 * struct vgpu_gpu_rtc), its status codes and their errnos, and hooks for
 * what only it does (CUDA's context switch, staged copies, JIT log; HIP's
 * hipSetDevice). gpu.c turns statuses into errnos, waits and reads compiler
 * logs; ops.c is the backend ops (backend.h) over such a table; compile.c
 * runs the runtime compiler.
 *
 * Types. The table's signatures are the ABI both vendors share on the 64-bit
 * hosts libvgpu supports: a status is an int (CUresult, hipError_t, the rtc
 * results), handles (contexts, streams, events, modules, functions, programs)
 * are pointers, a device address is a 64-bit integer (CUdeviceptr; HIP's
 * hipDeviceptr_t is a void *, passed and stored the same way). gpu_decls.h
 * keeps each vendor's own declarations for what only that vendor calls.
 */
#ifndef VGPU_GPU_H
#define VGPU_GPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"

_Static_assert(sizeof(void *) == sizeof(uint64_t), "device addresses are pointers or 64-bit integers");

/** struct vgpu_gpu_errno - one vendor status and the errno it means */
struct vgpu_gpu_errno {
	int status, err;
};

/**
 * struct vgpu_gpu_calls - the runtime entry points both vendors have
 *
 * Every call returns the vendor's status. @event_sync may be NULL (events are
 * then polled); the others are required.
 */
struct vgpu_gpu_calls {
	int (*mem_get_info)(size_t *free_bytes, size_t *total_bytes);
	int (*mem_alloc)(uint64_t *dptr, size_t bytes);
	int (*mem_free)(uint64_t dptr);
	int (*host_register)(void *p, size_t bytes, unsigned int flags);
	int (*host_unregister)(void *p);
	int (*htod)(uint64_t dst, const void *src, size_t n);
	int (*dtoh)(void *dst, uint64_t src, size_t n);
	int (*dtod)(uint64_t dst, uint64_t src, size_t n);
	int (*htod_async)(uint64_t dst, const void *src, size_t n, void *stream);
	int (*dtoh_async)(void *dst, uint64_t src, size_t n, void *stream);
	int (*dtod_async)(uint64_t dst, uint64_t src, size_t n, void *stream);
	int (*stream_create)(void **stream, unsigned int flags);
	int (*stream_destroy)(void *stream);
	int (*stream_sync)(void *stream);
	int (*stream_query)(void *stream);
	int (*event_create)(void **event, unsigned int flags);
	int (*event_destroy)(void *event);
	int (*event_record)(void *event, void *stream);
	int (*event_query)(void *event);
	int (*event_sync)(void *event);
	int (*event_elapsed)(float *ms, void *start, void *end);
	int (*ctx_sync)(void);
	int (*module_unload)(void *mod);
	int (*module_get_function)(void **fn, void *mod, const char *name);
	int (*module_get_global)(uint64_t *dptr, size_t *bytes, void *mod, const char *name);
	int (*launch)(void *fn, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
		      unsigned int by, unsigned int bz, unsigned int shared_bytes, void *stream,
		      void **args, void **extra);
};

/**
 * struct vgpu_gpu_call_names - the symbol of each entry of struct
 * vgpu_gpu_calls in the vendor's library (NULL: not used). Error texts name
 * the call by its symbol without a "_vN" version suffix ("cuMemAlloc").
 */
struct vgpu_gpu_call_names {
	const char *mem_get_info, *mem_alloc, *mem_free, *host_register, *host_unregister;
	const char *htod, *dtoh, *dtod, *htod_async, *dtoh_async, *dtod_async;
	const char *stream_create, *stream_destroy, *stream_sync, *stream_query;
	const char *event_create, *event_destroy, *event_record, *event_query, *event_sync;
	const char *event_elapsed, *ctx_sync, *module_unload, *module_get_function;
	const char *module_get_global, *launch;
};

/** struct vgpu_gpu_rtc_calls - the runtime compiler (NVRTC, hiprtc; results: 0 success) */
struct vgpu_gpu_rtc_calls {
	const char *(*error_string)(int result);
	int (*create)(void **prog, const char *src, const char *name, int nheaders,
		      const char *const *headers, const char *const *include_names);
	int (*destroy)(void **prog);
	int (*compile)(void *prog, int nopts, const char *const *opts);
	int (*log_size)(void *prog, size_t *n);
	int (*log)(void *prog, char *log);
	int (*add_name)(void *prog, const char *expr);
	int (*lowered_name)(void *prog, const char *expr, const char **lowered);
};

/**
 * struct vgpu_gpu_rtc - a loaded runtime compiler
 * @call: its entry points (@call.compile NULL: none loaded)
 * @label: how texts name it ("NVRTC", "hiprtc")
 * @prefix: its symbols' prefix ("nvrtc", "hiprtc")
 * @major, @minor: its version
 * @oom: its out-of-memory result
 */
struct vgpu_gpu_rtc {
	struct vgpu_gpu_rtc_calls call;
	const char *label, *prefix;
	int major, minor;
	int oom;
};

struct vgpu_gpu_ctx;

/**
 * struct vgpu_gpu_vendor - a GPU runtime, as the shared code sees it
 * @name: "cuda", "hip" (starts the error texts)
 * @ok: the status of success (CUDA_SUCCESS, hipSuccess)
 * @not_ready: the status of a query whose work is still running
 * @already_registered, @not_registered: host_register / host_unregister
 *	statuses that are not failures
 * @errnos: statuses and their errnos (ended by err 0; others are -EIO)
 * @missing: statuses of a module lookup that mean "no such symbol" (ended by 0)
 * @faults: statuses after which the context is unusable (ended by 0), said
 *	in the text by @fault_text
 * @errname, @errstr: the vendor's name and description of a status
 * @stream_flags, @event_flags, @register_flags: the flags of a blocking
 *	stream, an event without timing, and portable registered host memory
 * @names: the symbols of @call
 * @call: the loaded entry points
 * @rtc: the runtime compiler
 * @enter: make @ctx current on this thread (0 or an errno, text set)
 * @stage: optional: copy @n bytes (@to_dev: host to device) another way
 *	than the plain synchronous copy; 1 done (*@ret the result), 0 not
 * @module_load: load an image (name table already stripped) into *@mod;
 *	check it is one of the vendor's (@format, backend.h) first
 * @launch: optional: the launch itself (errno); NULL: @call.launch
 * @launch_enters: @launch makes the context current itself, an asynchronous
 *	launch's without vgpu_gpu_launch's @enter first
 * @sig_fallback: optional: a signature without libvgpu's descriptor (1, or
 *	-ENOENT)
 */
struct vgpu_gpu_vendor {
	const char *name;
	int ok, not_ready;
	int already_registered, not_registered;
	const struct vgpu_gpu_errno *errnos;
	const int *missing;
	const int *faults;
	const char *fault_text;
	const char *(*errname)(int status);
	const char *(*errstr)(int status);
	unsigned int stream_flags, event_flags, register_flags;
	const struct vgpu_gpu_call_names *names;
	struct vgpu_gpu_calls *call;
	struct vgpu_gpu_rtc *rtc;
	int (*enter)(struct vgpu_gpu_ctx *ctx);
	int (*stage)(struct vgpu_gpu_ctx *ctx, bool to_dev, void *host, uint64_t dev, size_t n,
		     int *ret);
	int (*module_load)(struct vgpu_gpu_ctx *ctx, const void *image, size_t len, int format,
			   void **mod);
	int (*launch)(struct vgpu_gpu_ctx *ctx, void *fn, const struct vgpu_bk_launch *l);
	bool launch_enters;
	int (*sig_fallback)(void *fn, struct vgpu_kinfo *out);
};

/** struct vgpu_gpu_range - registered host memory */
struct vgpu_gpu_range {
	uintptr_t start, end;
};

/**
 * struct vgpu_gpu_ctx - what every GPU context holds; the first member of
 * the vendor's context, which the backend ops get as their @ctx
 * @v: the vendor
 * @lock: guards @ranges (vendors may use it for more, e.g. CUDA's staging)
 * @ranges: host memory registered through host_register
 * @target: the target id (backend.h: target_id)
 * @marks: timing events of timer_mark (backend.h), made at first use
 */
struct vgpu_gpu_ctx {
	const struct vgpu_gpu_vendor *v;
	pthread_mutex_t lock;
	struct vgpu_gpu_range *ranges;
	int nranges, cap_ranges;
	char target[512];
	void *marks[VGPU_BK_MARKS];
};

/* ------------------------------------------------------------ gpu.c */

/* vgpu_gpu_errno - the errno of @status in @map (ended by err 0), else -EIO */
int vgpu_gpu_errno(const struct vgpu_gpu_errno *map, int status) VGPU_INTERNAL;

/*
 * vgpu_gpu_fail - set the backend error text for a failed @status of the
 * call named @what ("cuda: cuMemAlloc: CUDA_ERROR_OUT_OF_MEMORY (out of
 * memory)") and return its negative errno. A "_vN" suffix of @what is left
 * out of the text.
 */
int vgpu_gpu_fail(const struct vgpu_gpu_vendor *v, int status, const char *what) VGPU_INTERNAL;

/* vgpu_gpu_sym - dlsym(); the first name not found is kept in *@missing */
void *vgpu_gpu_sym(void *lib, const char *name, const char **missing) VGPU_INTERNAL;

/* vgpu_gpu_load_calls - every named entry of @names from @lib into @call
 * (unnamed ones NULL); the first symbol not found in *@missing */
void vgpu_gpu_load_calls(void *lib, const struct vgpu_gpu_call_names *names,
			 struct vgpu_gpu_calls *call, const char **missing) VGPU_INTERNAL;

/* vgpu_gpu_open_first - dlopen() the first of @names (NULL-ended) that loads;
 * its name into @path */
void *vgpu_gpu_open_first(const char *const *names, char *path, size_t len) VGPU_INTERNAL;

/*
 * vgpu_gpu_wait - wait for a stream or an event
 * @query: the vendor's non-blocking query of @obj (a status)
 * @block: its blocking wait, used when @timeout_ns < 0 (NULL: poll then too)
 * @timeout_ns: < 0 forever; else poll: spin ~20 us, then sleep from 2 us
 *	doubling up to 1 ms, never past the deadline
 * Return: 0; -ETIME at the deadline (the work still runs); the errno of a
 * failed status (text by vgpu_gpu_fail, naming @what).
 */
int vgpu_gpu_wait(const struct vgpu_gpu_vendor *v, int (*query)(void *obj),
		  int (*block)(void *obj), void *obj, int64_t timeout_ns,
		  const char *what) VGPU_INTERNAL;

/*
 * vgpu_gpu_log - the runtime compiler's log of @prog, malloc()ed (NULL: none)
 * @size, @get: the vendor's GetProgramLogSize / GetProgramLog (0: success)
 */
char *vgpu_gpu_log(void *prog, int (*size)(void *prog, size_t *n),
		   int (*get)(void *prog, char *log)) VGPU_INTERNAL;

/* ------------------------------------------------------------ ops.c */

/**
 * struct vgpu_gpu_probe - a vendor's probe, run once per process
 * @load: loads the vendor (> 0: its device count; else an errno, text set)
 */
struct vgpu_gpu_probe {
	int (*load)(void);
	pthread_mutex_t lock;
	bool done;
	int result;
	char why[512];
};

/* vgpu_gpu_probe - @p->load's result, computed once; its text again when <= 0 */
int vgpu_gpu_probe(struct vgpu_gpu_probe *p) VGPU_INTERNAL;

/* vgpu_gpu_check_device - probe, then -@err with a text unless 0 <= @index < count */
int vgpu_gpu_check_device(const struct vgpu_gpu_vendor *v, struct vgpu_gpu_probe *p, int index,
			  int err) VGPU_INTERNAL;

/* vgpu_gpu_ctx_init/_fini - the shared part of a vendor context */
void vgpu_gpu_ctx_init(struct vgpu_gpu_ctx *g, const struct vgpu_gpu_vendor *v) VGPU_INTERNAL;
void vgpu_gpu_ctx_fini(struct vgpu_gpu_ctx *g) VGPU_INTERNAL;

/* vgpu_gpu_timer_free - destroy @g's timing events (the context current) */
void vgpu_gpu_timer_free(struct vgpu_gpu_ctx *g) VGPU_INTERNAL;

/* vgpu_gpu_is_registered - [p, p + n) lies in memory registered on @g */
bool vgpu_gpu_is_registered(struct vgpu_gpu_ctx *g, const void *p, size_t n) VGPU_INTERNAL;

/* vgpu_gpu_stream_wait - wait for @stream under @timeout_ns (vgpu_gpu_wait) */
int vgpu_gpu_stream_wait(const struct vgpu_gpu_vendor *v, void *stream, int64_t timeout_ns,
			 const char *what) VGPU_INTERNAL;

/*
 * The backend ops (backend.h) every GPU vendor shares; @ctx is a struct
 * vgpu_gpu_ctx. A vendor's ops table names these next to its own probe,
 * device_props, ctx_create, ctx_destroy and compile.
 */
int vgpu_gpu_mem_info(void *ctx, uint64_t *free_bytes, uint64_t *total_bytes) VGPU_INTERNAL;
int vgpu_gpu_mem_alloc(void *ctx, size_t bytes, uint64_t *dptr) VGPU_INTERNAL;
int vgpu_gpu_mem_free(void *ctx, uint64_t dptr) VGPU_INTERNAL;
int vgpu_gpu_memcpy_htod(void *ctx, uint64_t dst, const void *src, size_t n, void *stream) VGPU_INTERNAL;
int vgpu_gpu_memcpy_dtoh(void *ctx, void *dst, uint64_t src, size_t n, void *stream) VGPU_INTERNAL;
int vgpu_gpu_memcpy_dtod(void *ctx, uint64_t dst, uint64_t src, size_t n, void *stream) VGPU_INTERNAL;
int vgpu_gpu_host_register(void *ctx, void *p, size_t n) VGPU_INTERNAL;
int vgpu_gpu_host_unregister(void *ctx, void *p) VGPU_INTERNAL;
int vgpu_gpu_stream_create(void *ctx, void **stream) VGPU_INTERNAL;
int vgpu_gpu_stream_destroy(void *ctx, void *stream) VGPU_INTERNAL;
int vgpu_gpu_stream_sync(void *ctx, void *stream, int64_t timeout_ns) VGPU_INTERNAL;
int vgpu_gpu_synchronize(void *ctx, int64_t timeout_ns) VGPU_INTERNAL;
int vgpu_gpu_target_id(void *ctx, char *buf, size_t len) VGPU_INTERNAL;
int vgpu_gpu_module_load(void *ctx, const void *blob, size_t len, int format, void **mod,
			 struct vgpu_ksig **sig) VGPU_INTERNAL;
void vgpu_gpu_module_unload(void *ctx, void *mod) VGPU_INTERNAL;
int vgpu_gpu_function_get(void *ctx, void *mod, const char *name, void **fn) VGPU_INTERNAL;
int vgpu_gpu_function_sig(void *ctx, void *mod, void *fn, const char *name,
			  struct vgpu_kinfo *out) VGPU_INTERNAL;
int vgpu_gpu_global_get(void *ctx, void *mod, const char *name, uint64_t *dptr,
			size_t *size) VGPU_INTERNAL;
int vgpu_gpu_launch(void *ctx, void *fn, const struct vgpu_bk_launch *l) VGPU_INTERNAL;
int vgpu_gpu_timer_mark(void *ctx, int slot) VGPU_INTERNAL;
int vgpu_gpu_timer_read(void *ctx, int from, int to, uint64_t *ns) VGPU_INTERNAL;

/* the ops above, for a vendor's struct vgpu_backend_ops initializer */
#define VGPU_GPU_OPS \
	.mem_info = vgpu_gpu_mem_info, .mem_alloc = vgpu_gpu_mem_alloc, \
	.mem_free = vgpu_gpu_mem_free, .memcpy_htod = vgpu_gpu_memcpy_htod, \
	.memcpy_dtoh = vgpu_gpu_memcpy_dtoh, .memcpy_dtod = vgpu_gpu_memcpy_dtod, \
	.host_register = vgpu_gpu_host_register, .host_unregister = vgpu_gpu_host_unregister, \
	.stream_create = vgpu_gpu_stream_create, .stream_destroy = vgpu_gpu_stream_destroy, \
	.stream_sync = vgpu_gpu_stream_sync, .synchronize = vgpu_gpu_synchronize, \
	.target_id = vgpu_gpu_target_id, .module_load = vgpu_gpu_module_load, \
	.module_unload = vgpu_gpu_module_unload, .function_get = vgpu_gpu_function_get, \
	.function_sig = vgpu_gpu_function_sig, .global_get = vgpu_gpu_global_get, \
	.launch = vgpu_gpu_launch, .timer_mark = vgpu_gpu_timer_mark, \
	.timer_read = vgpu_gpu_timer_read

/* ------------------------------------------------------------ compile.c */

/**
 * struct vgpu_gpu_build - one runtime compilation, as the vendor sets it up
 * @prelude: vendor text in front of libvgpu's descriptor machinery (may be "")
 * @prelude_header: the name under which the two are pre-included as a
 *	header; NULL: they are put in front of the source, whose lines keep
 *	their numbers (#line)
 * @opts, @nopts: the vendor's options (the source's follow them)
 * @target: how the failure text names the target ("--gpu-architecture=sm_90")
 * @code_size, @code: the output the vendor wants (PTX or cubin, ...)
 * @code_kind: its name in texts ("cubin", "code object")
 * @code_call: the name of @code in texts ("nvrtcGetCUBIN")
 */
struct vgpu_gpu_build {
	const char *prelude, *prelude_header;
	const char *opts[8];
	int nopts;
	const char *target;
	int (*code_size)(void *prog, size_t *n);
	int (*code)(void *prog, char *out);
	const char *code_kind, *code_call;
};

/*
 * vgpu_gpu_compile - compile @src with @v's runtime compiler as @b says: the
 * host headers device code may include (core/devsig.c) as in-memory headers,
 * the name expressions added and their lowered names packed with the code
 * (vgpu_names_pack), the signature descriptors after the source.
 * Return: 0 with *@blob (malloc()ed), or an errno with the text set; *@log the
 * compiler's log (malloc()ed, may be NULL) either way.
 */
int vgpu_gpu_compile(const struct vgpu_gpu_vendor *v, const struct vgpu_gpu_build *b,
		     const struct vgpu_bk_source *src, void **blob, size_t *len,
		     char **log) VGPU_INTERNAL;

/* vgpu_gpu_strdupf - a malloc()ed formatted string (NULL: no memory) */
char *vgpu_gpu_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2))) VGPU_INTERNAL;

#endif /* VGPU_GPU_H */
