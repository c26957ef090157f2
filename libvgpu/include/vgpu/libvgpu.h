/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvgpu - compile CUDA-dialect kernels, cache them, and run them on CUDA,
 * HIP or the CPU under per-guest quotas kept by /dev/vgpu (or an in-process
 * ledger with the same semantics).
 *
 * Conventions
 *  - Every handle is opaque. Every call returns 0 (or a count) on success and
 *    a negative errno on failure; nothing is printed. Details of the last
 *    failure of a session (a compiler log, which limit refused) are kept in
 *    vgpu_last_error().
 *  - Structs passed in start with a @size field (set it to sizeof) so that
 *    they can grow: the library reads min(size, its sizeof) bytes; a size
 *    smaller than the first version of the struct is -EINVAL. Unknown flag
 *    bits are -EINVAL.
 *  - A session may be used from several threads; its calls are serialised.
 *
 * Errnos used everywhere (a call's comment lists the ones specific to it):
 *  -EINVAL  NULL handle or pointer, zero size where a size is needed, unknown
 *           flags, a range outside a buffer, argument count or type mismatch
 *  -ENOMEM  the library or the backend ran out of host memory
 *  -EDQUOT  the guest's quota refused a charge (memory, pinned, contexts)
 *  -ENODEV  no usable device/backend for what was asked
 *  -ENOENT  unknown kernel name or device index
 *  -ENOEXEC a compile failed (the log is in vgpu_last_error())
 *  -ETIME   a synchronize or launch timed out
 *  -EIO     the backend failed (its text is in vgpu_last_error())
 *  -EXDEV   a copy between buffers of two sessions
 */
#ifndef VGPU_LIBVGPU_H
#define VGPU_LIBVGPU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VGPU_LIB_VERSION_MAJOR	0
#define VGPU_LIB_VERSION_MINOR	1
#define VGPU_LIB_VERSION_PATCH	0

/** vgpu_lib_version - (major << 16) | (minor << 8) | patch of the library */
int vgpu_lib_version(void);

/* ------------------------------------------------------------------------ */
/* handles                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct vgpu_session vgpu_session;	/* one guest's view of the library */
typedef struct vgpu_buffer vgpu_buffer;		/* device memory */
typedef struct vgpu_stream vgpu_stream;		/* an ordered queue of work */
typedef struct vgpu_module vgpu_module;		/* compiled or loaded code */
typedef struct vgpu_kernel vgpu_kernel;		/* a kernel of a module */
typedef struct vgpu_batch vgpu_batch;		/* a size-routed work queue */

/* ------------------------------------------------------------------------ */
/* sessions                                                                 */
/* ------------------------------------------------------------------------ */

/**
 * enum vgpu_backend_kind - where work runs
 * @VGPU_BACKEND_AUTO: CUDA if it has a device, else HIP, else the CPU
 * @VGPU_BACKEND_CUDA: libcuda + NVRTC, loaded at run time
 * @VGPU_BACKEND_HIP: libamdhip64 + hiprtc, loaded at run time
 * @VGPU_BACKEND_CPU: the system C++ compiler and a thread pool
 *
 * The environment variable VGPU_BACKEND (auto, cuda, hip, cpu) overrides the
 * session option.
 */
enum vgpu_backend_kind {
	VGPU_BACKEND_AUTO = 0,
	VGPU_BACKEND_CUDA = 1,
	VGPU_BACKEND_HIP = 2,
	VGPU_BACKEND_CPU = 3,
	VGPU_BACKEND_NR
};

/** vgpu_backend_name - "auto", "cuda", "hip", "cpu"; "?" for others */
const char *vgpu_backend_name(int kind);

/**
 * enum vgpu_fallback_reason - why work went to the CPU instead of the GPU
 * @VGPU_FB_NO_GPU: the chosen GPU backend has no device or no library
 * @VGPU_FB_COMPILE: the GPU compiler refused the source
 * @VGPU_FB_LAUNCH: a GPU launch (or its synchronize) failed
 * @VGPU_FB_QUOTA: the guest's GPU quota refused a charge
 * @VGPU_FB_NR: number of reasons
 */
enum vgpu_fallback_reason {
	VGPU_FB_NO_GPU = 0,
	VGPU_FB_COMPILE = 1,
	VGPU_FB_LAUNCH = 2,
	VGPU_FB_QUOTA = 3,
	VGPU_FB_NR
};

/* Fallback policy bits (struct vgpu_session_opts.fallback): allow each reason. */
#define VGPU_FALLBACK_NO_GPU	(1U << VGPU_FB_NO_GPU)
#define VGPU_FALLBACK_COMPILE	(1U << VGPU_FB_COMPILE)
#define VGPU_FALLBACK_LAUNCH	(1U << VGPU_FB_LAUNCH)
#define VGPU_FALLBACK_QUOTA	(1U << VGPU_FB_QUOTA)
#define VGPU_FALLBACK_ALL	((1U << VGPU_FB_NR) - 1)

/* Session flags (struct vgpu_session_opts.flags) */
/** VGPU_SESSION_NO_DEVICE_LEDGER: use the in-process ledger even if /dev/vgpu exists */
#define VGPU_SESSION_NO_DEVICE_LEDGER	(1U << 0)
/** VGPU_SESSION_DEVICE_LEDGER: require /dev/vgpu (-ENODEV without it) */
#define VGPU_SESSION_DEVICE_LEDGER	(1U << 1)
/** VGPU_SESSION_LIMITS: the *_limit fields are set (else environment) */
#define VGPU_SESSION_LIMITS		(1U << 2)
/** VGPU_SESSION_NO_CACHE: do not use the compile cache */
#define VGPU_SESSION_NO_CACHE		(1U << 3)
/** VGPU_SESSION_NO_POOL: no buffer pool: every buffer is its own device
 * allocation, freed (and uncharged) by vgpu_buffer_free (env VGPU_POOL=0) */
#define VGPU_SESSION_NO_POOL		(1U << 4)

/** VGPU_UNLIMITED - a limit value meaning "no limit" */
#define VGPU_UNLIMITED	(~(uint64_t)0)

/**
 * struct vgpu_session_opts - options of vgpu_session_open()
 * @size: sizeof(struct vgpu_session_opts)
 * @flags: VGPU_SESSION_* bits
 * @guest: guest name (at most 31 bytes); NULL: env VGPU_GUEST, else "default"
 * @backend: enum vgpu_backend_kind (env VGPU_BACKEND overrides)
 * @fallback: VGPU_FALLBACK_* bits; env VGPU_FALLBACK ("all", "none", or a
 *	comma list of no-gpu,compile,launch,quota) overrides
 * @device: device index on the backend (env VGPU_DEVICE overrides)
 * @cpu_threads: CPU backend worker threads; 0: env VGPU_CPU_THREADS, else cores
 * @mem_limit: in-process ledger, device memory bytes (VGPU_SESSION_LIMITS;
 *	else env VGPU_MEM_LIMIT, e.g. "2G" or "1.5G"; else unlimited)
 * @pinned_limit: in-process ledger, pinned host bytes (env VGPU_PINNED_LIMIT)
 * @context_limit: in-process ledger, contexts (env VGPU_CONTEXT_LIMIT)
 * @cache_dir: compile cache directory; NULL: env VGPU_CACHE_DIR, else
 *	$XDG_CACHE_HOME/vgpu or ~/.cache/vgpu. Env VGPU_CACHE=0 disables it.
 * @cache_mem_bytes: in-memory cache bound; 0: default (64 MiB)
 * @cache_disk_bytes: on-disk cache bound; 0: default (1 GiB)
 *
 * With /dev/vgpu the limits are the kernel's (set by the administrator) and
 * the *_limit fields are ignored.
 */
struct vgpu_session_opts {
	uint32_t size;
	uint32_t flags;
	const char *guest;
	uint32_t backend;
	uint32_t fallback;
	uint32_t device;
	uint32_t cpu_threads;
	uint64_t mem_limit;
	uint64_t pinned_limit;
	uint64_t context_limit;
	const char *cache_dir;
	uint64_t cache_mem_bytes;
	uint64_t cache_disk_bytes;
};

/**
 * vgpu_session_open - open a session for a guest
 * @out: the session
 * @opts: options; NULL means all defaults (auto backend, no fallback)
 *
 * Picks the backend, attaches to the guest in the ledger and creates the
 * backend context (charged as one context plus its measured device-memory
 * overhead). If the GPU backend asked for (or auto) has no device and the
 * policy allows VGPU_FALLBACK_NO_GPU, the session uses the CPU backend and
 * counts the fallback. -ENODEV: no usable backend. -ENOENT: no such guest in
 * /dev/vgpu. -EACCES: not the guest's owner. -EDQUOT: the context quota.
 * -EINVAL: bad options, or a VGPU_* environment variable that does not parse
 * (libvgpu/README.md lists them). vgpu_last_error(NULL) says why it failed.
 */
int vgpu_session_open(vgpu_session **out, const struct vgpu_session_opts *opts);

/**
 * vgpu_session_close - free everything the session still holds, uncharge it
 * and close the ledger. NULL is a no-op. Returns 0.
 */
int vgpu_session_close(vgpu_session *sess);

/** vgpu_session_backend - the session's backend (enum vgpu_backend_kind) */
int vgpu_session_backend(vgpu_session *sess);

/**
 * vgpu_last_error - text about the session's last failure ("" if none).
 * The string stays valid until the next call on the session. For a compile
 * failure it holds the compiler's log. Never NULL.
 * @sess NULL: the text of the calling thread's last vgpu_session_open()
 * failure (e.g. which environment variable did not parse), "" after a
 * successful open.
 */
const char *vgpu_last_error(vgpu_session *sess);

/* ------------------------------------------------------------------------ */
/* devices                                                                  */
/* ------------------------------------------------------------------------ */

/**
 * struct vgpu_device_props - properties of a device
 * @size: sizeof(struct vgpu_device_props), set by the caller
 * @backend: enum vgpu_backend_kind of the device
 * @index: device index on its backend
 * @name: device name, NUL-terminated
 * @total_mem: device memory, bytes (CPU: physical memory)
 * @cc_major: compute capability major (HIP: gfx major; CPU: 0)
 * @cc_minor: compute capability minor
 * @multiprocessors: SMs / CUs (CPU: worker threads)
 * @max_threads_per_block: largest block (CPU: 1024)
 * @max_shared_per_block: shared memory per block, bytes
 * @warp_size: 32 (CUDA), 64 (most AMD), 1 (CPU)
 */
struct vgpu_device_props {
	uint32_t size;
	uint32_t backend;
	uint32_t index;
	char name[128];
	uint64_t total_mem;
	uint32_t cc_major;
	uint32_t cc_minor;
	uint32_t multiprocessors;
	uint32_t max_threads_per_block;
	uint64_t max_shared_per_block;
	uint32_t warp_size;
};

/** vgpu_device_count - devices of the session's backend (count >= 1) */
int vgpu_device_count(vgpu_session *sess);

/** vgpu_device_props - properties of device @index; -ENOENT: no such index */
int vgpu_device_props(vgpu_session *sess, int index, struct vgpu_device_props *props);

/* ------------------------------------------------------------------------ */
/* buffers                                                                  */
/* ------------------------------------------------------------------------ */

/**
 * vgpu_buffer_alloc - allocate @bytes of device memory
 *
 * The bytes are charged to the guest before the backend allocates them and
 * uncharged after it frees them. With the session's buffer pool (the default,
 * see vgpu_pool_stats()) a buffer is carved from a pooled block: a freed
 * buffer's block stays reserved on the device, and charged to the guest,
 * until the pool hands it out again or is trimmed. CPU-backend buffers are charged the same way
 * (the CPU is the session's device: quotas behave alike everywhere). When the
 * charge is refused and the policy has VGPU_FALLBACK_QUOTA, the buffer is
 * placed in host memory instead, NOT charged as device memory, and the
 * fallback is counted; kernels using it then run on the CPU.
 * -EINVAL: @bytes 0. -EDQUOT: refused and no fallback.
 */
int vgpu_buffer_alloc(vgpu_session *sess, size_t bytes, vgpu_buffer **out);

/**
 * vgpu_buffer_free - free and uncharge; NULL is a no-op. With the pool the
 * block goes back to the pool instead (still reserved and charged; it is
 * uncharged when vgpu_pool_trim() or the session's close releases it). If
 * asynchronous work of the session may still use it, the call waits for the
 * session's work first (as cuMemFree/cudaFree do), so a reused block is never
 * still in use.
 */
int vgpu_buffer_free(vgpu_buffer *buf);

/** vgpu_buffer_size - size in bytes, in *@bytes */
int vgpu_buffer_size(vgpu_buffer *buf, size_t *bytes);

/**
 * vgpu_buffer_on_host - 1 if the buffer fell back to host memory (quota
 * fallback, or the session is on the CPU backend), 0 if in GPU memory
 */
int vgpu_buffer_on_host(vgpu_buffer *buf);

/**
 * vgpu_buffer_write/read - copy between host memory and a buffer, synchronous.
 * -EINVAL: range outside the buffer (offset + bytes > size, or wraps), NULL
 * pointer, or @bytes 0.
 */
int vgpu_buffer_write(vgpu_buffer *dst, size_t offset, const void *src, size_t bytes);
int vgpu_buffer_read(vgpu_buffer *src, size_t offset, void *dst, size_t bytes);

/** vgpu_buffer_copy - device-to-device copy; ranges as above; -EXDEV: two sessions */
int vgpu_buffer_copy(vgpu_buffer *dst, size_t dst_off, vgpu_buffer *src, size_t src_off,
		     size_t bytes);

/**
 * The same, ordered on @stream (NULL: the default stream). The host memory
 * must stay valid until the stream is synchronized; pinned host memory
 * (vgpu_host_alloc) makes them truly asynchronous on GPU backends.
 */
int vgpu_buffer_write_async(vgpu_buffer *dst, size_t offset, const void *src, size_t bytes,
			    vgpu_stream *stream);
int vgpu_buffer_read_async(vgpu_buffer *src, size_t offset, void *dst, size_t bytes,
			   vgpu_stream *stream);
int vgpu_buffer_copy_async(vgpu_buffer *dst, size_t dst_off, vgpu_buffer *src, size_t src_off,
			   size_t bytes, vgpu_stream *stream);

/**
 * vgpu_host_alloc - page-aligned pinned host memory, charged to the guest's
 * pinned quota (through VGPU_IOC_PIN with /dev/vgpu, which also counts it
 * against RLIMIT_MEMLOCK; in-process: mlock() plus the ledger) and registered
 * with the GPU backend. -EDQUOT: pinned quota. -ENOMEM: RLIMIT_MEMLOCK.
 */
int vgpu_host_alloc(vgpu_session *sess, size_t bytes, void **ptr);

/** vgpu_host_free - unpin, uncharge and free; -EINVAL: not from vgpu_host_alloc */
int vgpu_host_free(vgpu_session *sess, void *ptr);


/*
 * The buffer pool (per session, on by default; VGPU_SESSION_NO_POOL or env
 * VGPU_POOL=0 turn it off). Requests are rounded up to 512 bytes; a freed
 * block is kept and handed out again for a request of its size (or up to 1/8
 * smaller), without a driver call or a ledger charge. The guest's books show
 * the pool's reserved bytes - what the device lost - never less. When the
 * ledger refuses a charge or the device is out of memory, the pool first
 * releases its idle blocks (and those of the guest's other sessions in this
 * process) and retries, so it never causes a refusal that an unpooled
 * allocation would not get (except for the idle blocks of another process's
 * sessions, or of a session busy in another thread at that moment: trim
 * those). A block rounded up past a limit that its exact size fits is
 * allocated at its exact size.
 */

/**
 * struct vgpu_pool_stats - the session's buffer pool
 * @size: sizeof(struct vgpu_pool_stats), set by the caller
 * @enabled: 1 if the session pools buffers
 * @reserved_bytes: device bytes the pool holds (in use + idle); charged
 * @in_use_bytes: bytes of blocks backing live buffers (rounded sizes)
 * @idle_bytes: bytes of free blocks kept for reuse
 * @peak_reserved_bytes: highest @reserved_bytes
 * @hits: allocations served from an idle block (no driver call, no charge)
 * @misses: allocations that needed a new device allocation
 * @trims: times blocks were released (vgpu_pool_trim, a refusal, close)
 * @trimmed_bytes: bytes released by those
 * @blocks: blocks held (in use + idle)
 */
struct vgpu_pool_stats {
	uint32_t size;
	uint32_t enabled;
	uint64_t reserved_bytes;
	uint64_t in_use_bytes;
	uint64_t idle_bytes;
	uint64_t peak_reserved_bytes;
	uint64_t hits;
	uint64_t misses;
	uint64_t trims;
	uint64_t trimmed_bytes;
	uint64_t blocks;
};

/** vgpu_pool_stats - read the pool's counters (all 0 with the pool off) */
int vgpu_pool_stats(vgpu_session *sess, struct vgpu_pool_stats *st);

/**
 * vgpu_pool_trim - free idle blocks (largest first) until at most @keep_bytes
 * are idle, and uncharge them. 0 releases every idle block. Returns 0.
 */
int vgpu_pool_trim(vgpu_session *sess, uint64_t keep_bytes);

/* ------------------------------------------------------------------------ */
/* streams                                                                  */
/* ------------------------------------------------------------------------ */

/** vgpu_stream_create - a new stream of the session */
int vgpu_stream_create(vgpu_session *sess, vgpu_stream **out);

/** vgpu_stream_destroy - synchronize and destroy; NULL is a no-op */
int vgpu_stream_destroy(vgpu_stream *stream);

/**
 * vgpu_stream_sync - wait until all work on @stream is done
 * @timeout_ms: < 0 waits forever; -ETIME when it passes first
 * A failure of earlier asynchronous work is reported here (-EIO with text).
 */
int vgpu_stream_sync(vgpu_stream *stream, int timeout_ms);

/** vgpu_session_sync - wait for all streams of the session */
int vgpu_session_sync(vgpu_session *sess, int timeout_ms);

/* ------------------------------------------------------------------------ */
/* modules and kernels                                                      */
/* ------------------------------------------------------------------------ */

/** VGPU_COMPILE_NO_CACHE: neither read nor write the compile cache */
#define VGPU_COMPILE_NO_CACHE	(1U << 0)

/**
 * struct vgpu_compile_opts - options of vgpu_module_compile()
 * @size: sizeof(struct vgpu_compile_opts); VGPU_COMPILE_OPTS_SIZE_VER0 (the
 *	struct without @names, @nr_names) is accepted too
 * @flags: VGPU_COMPILE_* bits
 * @options: compiler options (NVRTC/hiprtc style: "-DN=4", "-I dir",
 *	"--use_fast_math"); the CPU backend honours -D, -U, -I, -O and
 *	--use_fast_math and ignores (logs) the others
 * @nr_options: entries in @options
 * @name: a name for logs (e.g. "saxpy.cu"); may be NULL
 * @names: name expressions (CuPy's name_expressions, NVRTC's
 *	nvrtcAddNameExpression) of the kernels to instantiate and look up:
 *	"reduce<float,256>", "ns::scale<int>". Every kernel of the source that
 *	is not a template (extern "C" or C++, e.g. "vadd") is added by the
 *	library; template kernels must be listed here. At most 64, each at most
 *	127 bytes; whitespace in them is insignificant (except between words:
 *	"reduce<unsigned int,1>").
 * @nr_names: entries in @names
 */
struct vgpu_compile_opts {
	uint32_t size;
	uint32_t flags;
	const char *const *options;
	uint32_t nr_options;
	uint32_t __reserved;
	const char *name;
	const char *const *names;
	uint32_t nr_names;
	uint32_t __reserved2;
};
#define VGPU_COMPILE_OPTS_SIZE_VER0	32	/* up to and including @name */

/**
 * vgpu_module_compile - compile CUDA-dialect source for the session's backend
 * @src: the source: `__global__` kernels, extern "C" or C++ (plain, templates
 *	listed in @opts->names, `__launch_bounds__` before or after `void`),
 *	`__device__` helpers and globals, `__constant__` data; the host headers
 *	device code may include are the same on every backend (README.md,
 *	"The dialect")
 * @len: bytes of @src, 0 for strlen(@src)
 * @opts: may be NULL
 *
 * The compiled image is cached (key: source, options, name expressions,
 * backend, target and compiler identity). Kernel signatures come from the
 * compiler (the parameter types of each kernel as the compiler sees them, on
 * every backend), so that launches are type-checked whatever the head. If the GPU compile fails and the policy has
 * VGPU_FALLBACK_COMPILE, the module is compiled for the CPU instead
 * (counted). -ENOEXEC: compile error; the compiler log is in
 * vgpu_last_error() and no module is returned.
 */
int vgpu_module_compile(vgpu_session *sess, const char *src, size_t len,
			const struct vgpu_compile_opts *opts, vgpu_module **out);

/**
 * enum vgpu_image_format - formats of vgpu_module_load()
 * @VGPU_IMAGE_AUTO: guess from the contents
 * @VGPU_IMAGE_PTX: PTX text (CUDA)
 * @VGPU_IMAGE_CUBIN: cubin / fatbin (CUDA)
 * @VGPU_IMAGE_HSACO: code object (HIP)
 * @VGPU_IMAGE_NATIVE: a CPU-backend image (as vgpu_module_image() returns)
 */
enum vgpu_image_format {
	VGPU_IMAGE_AUTO = 0,
	VGPU_IMAGE_PTX = 1,
	VGPU_IMAGE_CUBIN = 2,
	VGPU_IMAGE_HSACO = 3,
	VGPU_IMAGE_NATIVE = 4,
};

/**
 * vgpu_module_load - load a binary or PTX image on the session's backend.
 * Images made by libvgpu (vgpu_module_image()) carry their kernels'
 * signatures and name expressions: launches are checked as after a compile.
 * A foreign PTX/cubin/code object has no types: kernels are looked up by
 * their symbol (the mangled name of a C++ kernel), launches are checked for
 * the count and the size of each argument where the driver tells them
 * (cuFuncGetParamInfo, CUDA >= 12.4), else not at all; vgpu_kernel_info()
 * says which (@sig_source). -ENOEXEC: the backend refused the image (text in
 * vgpu_last_error()). -EINVAL: format of another backend.
 */
int vgpu_module_load(vgpu_session *sess, const void *image, size_t len, int format,
		     vgpu_module **out);

/**
 * vgpu_module_image - copy the module's loadable image into @buf: what
 * vgpu_module_load() takes back, the backend's code (cubin/PTX, code object,
 * CPU image) behind libvgpu's table of name expressions ("VGPUNAM1")
 * Returns the image size; copies only if @len is large enough (else copies
 * nothing), so call with @buf NULL to learn the size.
 */
long vgpu_module_image(vgpu_module *mod, void *buf, size_t len);

/** vgpu_module_unload - unload; its kernels become invalid; NULL is a no-op */
int vgpu_module_unload(vgpu_module *mod);

/**
 * vgpu_module_backend - backend the module runs on (differs from the
 * session's after a compile fallback)
 */
int vgpu_module_backend(vgpu_module *mod);

/**
 * vgpu_kernel_get - look up a kernel by name or name expression: "vadd"
 * (extern "C" or C++), "reduce<float,256>" (a template instantiation listed
 * in vgpu_compile_opts.names), or a foreign image's symbol. The same on every
 * backend. The handle belongs to the module (no free). -ENOENT: no such
 * kernel (text names it, and says when a template expression was not listed
 * at compile time).
 */
int vgpu_kernel_get(vgpu_module *mod, const char *name, vgpu_kernel **out);

/**
 * enum vgpu_arg_type - types of kernel arguments
 *
 * A parameter's type is what the compiler says it is, after typedefs
 * (`uint` is unsigned int, `int64_t` is a signed 8-byte integer): integers
 * take the argument type of their signedness and width, whatever their name
 * (`char` is signed on every backend libvgpu supports).
 *
 * @VGPU_ARG_BUFFER: a vgpu_buffer (plus a byte offset); pointer parameters
 * @VGPU_ARG_I32: 4-byte signed integers (int, int32_t, an enum of int)
 * @VGPU_ARG_U32: 4-byte unsigned integers (unsigned, uint32_t, uint)
 * @VGPU_ARG_I64: 8-byte signed (long, long long, int64_t, ptrdiff_t)
 * @VGPU_ARG_U64: 8-byte unsigned (unsigned long (long), uint64_t, size_t,
 *	cudaTextureObject_t and other 64-bit handles)
 * @VGPU_ARG_F32: float
 * @VGPU_ARG_F64: double
 * @VGPU_ARG_I8: signed char, char, int8_t
 * @VGPU_ARG_U8: unsigned char, uint8_t
 * @VGPU_ARG_I16: short, int16_t
 * @VGPU_ARG_U16: unsigned short, uint16_t
 * @VGPU_ARG_BOOL: bool
 * @VGPU_ARG_BYTES: a struct, union or vector (float2, int4, double2, __half,
 *	user structs) passed by value: @v.bytes points at the value laid out as
 *	the device compiler lays it out (the same C struct on the host, for the
 *	usual types), @v.bytes.size must equal the parameter's size. The bytes
 *	are copied at launch.
 */
enum vgpu_arg_type {
	VGPU_ARG_NONE = 0,
	VGPU_ARG_BUFFER = 1,
	VGPU_ARG_I32 = 2,
	VGPU_ARG_U32 = 3,
	VGPU_ARG_I64 = 4,
	VGPU_ARG_U64 = 5,
	VGPU_ARG_F32 = 6,
	VGPU_ARG_F64 = 7,
	VGPU_ARG_I8 = 8,
	VGPU_ARG_U8 = 9,
	VGPU_ARG_I16 = 10,
	VGPU_ARG_U16 = 11,
	VGPU_ARG_BOOL = 12,
	VGPU_ARG_BYTES = 13,
	VGPU_ARG_NR
};

/** struct vgpu_arg - one kernel argument: a type and its value */
struct vgpu_arg {
	uint32_t type;
	uint32_t __reserved;
	union {
		struct {
			vgpu_buffer *buf;
			uint64_t offset;
		} b;
		int8_t i8;
		uint8_t u8;
		int16_t i16;
		uint16_t u16;
		int32_t i32;
		uint32_t u32;
		int64_t i64;
		uint64_t u64;
		float f32;
		double f64;
		uint8_t boolean;
		struct {
			const void *ptr;
			uint64_t size;
		} bytes;
	} v;
};

static inline struct vgpu_arg vgpu_arg_buf(vgpu_buffer *b)
{ struct vgpu_arg a = { VGPU_ARG_BUFFER, 0, { { 0, 0 } } }; a.v.b.buf = b; return a; }
static inline struct vgpu_arg vgpu_arg_buf_off(vgpu_buffer *b, uint64_t off)
{ struct vgpu_arg a = vgpu_arg_buf(b); a.v.b.offset = off; return a; }
static inline struct vgpu_arg vgpu_arg_i32(int32_t x)
{ struct vgpu_arg a = { VGPU_ARG_I32, 0, { { 0, 0 } } }; a.v.i32 = x; return a; }
static inline struct vgpu_arg vgpu_arg_u32(uint32_t x)
{ struct vgpu_arg a = { VGPU_ARG_U32, 0, { { 0, 0 } } }; a.v.u32 = x; return a; }
static inline struct vgpu_arg vgpu_arg_i64(int64_t x)
{ struct vgpu_arg a = { VGPU_ARG_I64, 0, { { 0, 0 } } }; a.v.i64 = x; return a; }
static inline struct vgpu_arg vgpu_arg_u64(uint64_t x)
{ struct vgpu_arg a = { VGPU_ARG_U64, 0, { { 0, 0 } } }; a.v.u64 = x; return a; }
static inline struct vgpu_arg vgpu_arg_f32(float x)
{ struct vgpu_arg a = { VGPU_ARG_F32, 0, { { 0, 0 } } }; a.v.f32 = x; return a; }
static inline struct vgpu_arg vgpu_arg_f64(double x)
{ struct vgpu_arg a = { VGPU_ARG_F64, 0, { { 0, 0 } } }; a.v.f64 = x; return a; }
static inline struct vgpu_arg vgpu_arg_i8(int8_t x)
{ struct vgpu_arg a = { VGPU_ARG_I8, 0, { { 0, 0 } } }; a.v.i8 = x; return a; }
static inline struct vgpu_arg vgpu_arg_u8(uint8_t x)
{ struct vgpu_arg a = { VGPU_ARG_U8, 0, { { 0, 0 } } }; a.v.u8 = x; return a; }
static inline struct vgpu_arg vgpu_arg_i16(int16_t x)
{ struct vgpu_arg a = { VGPU_ARG_I16, 0, { { 0, 0 } } }; a.v.i16 = x; return a; }
static inline struct vgpu_arg vgpu_arg_u16(uint16_t x)
{ struct vgpu_arg a = { VGPU_ARG_U16, 0, { { 0, 0 } } }; a.v.u16 = x; return a; }
static inline struct vgpu_arg vgpu_arg_bool(int x)
{ struct vgpu_arg a = { VGPU_ARG_BOOL, 0, { { 0, 0 } } }; a.v.boolean = !!x; return a; }
/** vgpu_arg_bytes - a struct or vector by value: vgpu_arg_bytes(&v, sizeof(v)) */
static inline struct vgpu_arg vgpu_arg_bytes(const void *p, size_t size)
{ struct vgpu_arg a = { VGPU_ARG_BYTES, 0, { { 0, 0 } } }; a.v.bytes.ptr = p; a.v.bytes.size = size; return a; }

/**
 * enum vgpu_sig_source - where a kernel's signature came from
 * @VGPU_SIG_NONE: nothing is known: launches are not checked
 * @VGPU_SIG_SOURCE: parsed from the source text only (types as written)
 * @VGPU_SIG_COMPILER: the compiler's types (sizes, signedness, structs)
 * @VGPU_SIG_SIZES: only the count and the size of each parameter (a foreign
 *	image, from cuFuncGetParamInfo): arguments of the right size pass
 */
enum vgpu_sig_source {
	VGPU_SIG_NONE = 0,
	VGPU_SIG_SOURCE = 1,
	VGPU_SIG_COMPILER = 2,
	VGPU_SIG_SIZES = 3,
};

/**
 * struct vgpu_kernel_info - what is known about a kernel
 * @size: sizeof(struct vgpu_kernel_info), set by the caller;
 *	VGPU_KERNEL_INFO_SIZE_VER0 (up to @param_types) is accepted too
 * @nr_params: parameters; -1 if unknown (image without signatures)
 * @uses_barrier: 1 if the kernel (or a helper of its module) calls __syncthreads
 * @param_types: enum vgpu_arg_type of the first 32 parameters
 *	(VGPU_ARG_NONE: a type libvgpu cannot pass, or unknown)
 * @sig_source: enum vgpu_sig_source
 * @param_sizes: bytes of each of the first 32 parameters (0: unknown)
 * @lowering: how the backend runs the kernel, NUL-terminated ("" if it does
 *	not say), its first 127 characters (all: vgpu_kernel_lowering); the CPU backend: "loops" (one loop over a block's threads),
 *	"regions: ..." (cut at its barriers and warp syncs, clang path), "split"
 *	or "fibers" (g++ path)
 */
struct vgpu_kernel_info {
	uint32_t size;
	int32_t nr_params;
	uint32_t uses_barrier;
	uint32_t param_types[32];
	uint32_t sig_source;
	uint32_t param_sizes[32];
	char lowering[128];
};
#define VGPU_KERNEL_INFO_SIZE_VER0	140	/* up to and including @param_types */

/** vgpu_kernel_info - what is known of a kernel's signature */
int vgpu_kernel_info(vgpu_kernel *k, struct vgpu_kernel_info *info);

/**
 * vgpu_kernel_lowering - how the backend runs @k, the whole text
 * (vgpu_kernel_info's @lowering holds its first 127 characters): into @buf,
 * NUL-terminated and cut to @len - 1 characters as snprintf does; @buf may
 * be NULL when @len is 0. Returns the text's length (0: the backend does not
 * say), or -EINVAL (not a kernel, @buf NULL with @len > 0).
 */
int vgpu_kernel_lowering(vgpu_kernel *k, char *buf, size_t len);

/**
 * vgpu_kernel_profile - where @k's time went on the CPU backend, region by
 * region: in a module compiled with VGPU_CPU_PROFILE=1 in the process's
 * environment or the option -D__VGPU_PROFILE (clang path, x86-64), the
 * drivers count each region's runs
 * (a region: the code between two of the kernel's barriers or warp syncs, or
 * a loop's trip the lowering cut; vgpu_kernel_lowering) and the TSC cycles
 * they took, from all launches of @k since. The text: a first line with the
 * launches and blocks, then per region "region N FILE:LINE WHAT: R runs, C
 * cycles a run, S %" (where the region starts in the source given to
 * vgpu_module_compile), "diverged groups: ..." for the runs of threads
 * that took different ways, then the next block's prefetch and the blocks'
 * own time outside their regions; shares of the blocks' whole time. Into
 * @buf as vgpu_kernel_lowering does. Returns the text's length, -EINVAL
 * (not a kernel, @buf NULL with @len > 0),
 * -EOPNOTSUPP (a backend without the profile: the GPUs', whose profilers
 * are nsys and rocprof) or -ENODATA (not counted: a module compiled without
 * the profile, the g++ path, not x86-64). The counting costs two TSC reads a
 * region; a debugging switch, not for production.
 */
int vgpu_kernel_profile(vgpu_kernel *k, char *buf, size_t len);

/**
 * vgpu_module_global - size of a `__device__` or `__constant__` variable of
 * the module, in *@bytes. @name is its name in the source; variables at
 * global namespace scope (in a namespace: its mangled symbol). -ENOENT: no
 * such variable. -EOPNOTSUPP: the backend has no module globals.
 */
int vgpu_module_global(vgpu_module *mod, const char *name, size_t *bytes);

/**
 * vgpu_module_global_write/read - copy between host memory and a module's
 * global (cudaMemcpyToSymbol / cudaMemcpyFromSymbol): synchronous, ordered
 * after the session's earlier work. -EINVAL: range outside the variable (or
 * wrapping), NULL pointer, @bytes 0. -ENOENT: no such variable. The module's
 * CPU copy (launch fallback, batch routes) gets the writes too.
 */
int vgpu_module_global_write(vgpu_module *mod, const char *name, size_t offset,
			     const void *src, size_t bytes);
int vgpu_module_global_read(vgpu_module *mod, const char *name, size_t offset, void *dst,
			    size_t bytes);

/** struct vgpu_dim3 - grid or block dimensions; 0 is taken as 1 */
struct vgpu_dim3 {
	uint32_t x, y, z;
};

/* Launch flags */
/** VGPU_LAUNCH_ASYNC: return once queued (GPU backends); default waits */
#define VGPU_LAUNCH_ASYNC	(1U << 0)
/** VGPU_LAUNCH_CPU: run on the CPU backend (counted as a CPU launch) */
#define VGPU_LAUNCH_CPU		(1U << 1)

/**
 * struct vgpu_launch_cfg - how to launch
 * @size: sizeof(struct vgpu_launch_cfg)
 * @flags: VGPU_LAUNCH_* bits
 * @grid: blocks in x, y, z
 * @block: threads per block in x, y, z
 * @shared_bytes: dynamic shared memory per block (extern __shared__)
 * @stream: NULL for the default stream
 * @timeout_ms: < 0 or 0: none; else a synchronous launch returns -ETIME when
 *	it takes longer (the CPU backend stops starting new blocks; the output
 *	is then partial)
 */
struct vgpu_launch_cfg {
	uint32_t size;
	uint32_t flags;
	struct vgpu_dim3 grid;
	struct vgpu_dim3 block;
	uint32_t shared_bytes;
	int32_t timeout_ms;
	vgpu_stream *stream;
};

/**
 * vgpu_launch - run a kernel
 * @args: @nr_args typed arguments
 *
 * Arguments are checked against the kernel's signature (vgpu_kernel_info):
 * -EINVAL with text on a count or type mismatch (pointer parameters take
 * VGPU_ARG_BUFFER only; integers take the type of their width and
 * signedness; floats F32/F64; structs and vectors VGPU_ARG_BYTES of their
 * exact size), the text naming the parameter (1-based) and its type; on a
 * buffer offset past its end, on zero or too large dimensions. A GPU launch
 * failure with VGPU_FALLBACK_LAUNCH reruns the kernel on the CPU (counted).
 */
int vgpu_launch(vgpu_kernel *k, const struct vgpu_launch_cfg *cfg,
		const struct vgpu_arg *args, unsigned int nr_args);

/* ------------------------------------------------------------------------ */
/* ledger, statistics                                                       */
/* ------------------------------------------------------------------------ */

/** enum vgpu_lib_resource - resources of the ledger (same order as the uAPI) */
enum vgpu_lib_resource {
	VGPU_LIB_RES_MEMORY = 0,
	VGPU_LIB_RES_PINNED = 1,
	VGPU_LIB_RES_CONTEXTS = 2,
	VGPU_LIB_RES_NR = 3,
};

/** vgpu_resource_name - "memory", "pinned", "contexts"; "?" for others */
const char *vgpu_resource_name(int res);

/**
 * struct vgpu_ledger_usage - the guest's books
 * @size: sizeof(struct vgpu_ledger_usage), set by the caller
 * @kernel: 1 when the books are /dev/vgpu's (whole guest, all its sessions),
 *	0 when they are the in-process ledger's (this session)
 * @guest_id: the kernel's guest id (0 in-process)
 * @used, @peak, @limit, @limit_hits: per enum vgpu_lib_resource;
 *	@limit is VGPU_UNLIMITED for none
 * @compute_ns: device time the guest consumed (all its sessions)
 * @compute_limit_hits: its leases refused for lack of budget
 * @compute_throttled_ns: time its leases were refused (in-process ledger;
 *	with /dev/vgpu netlink reports it: `vgpuctl guest show`)
 * @compute_fallback_ns: CPU time reported as fallback (in-process, likewise)
 * @compute_limit: cap in percent of a period, 0 for none
 * @compute_period_us: period (in-process; 0 with /dev/vgpu)
 * @compute_weight: weight, 0 for none (in-process; 0 with /dev/vgpu)
 * @compute_share_period: share of a device in the last complete period,
 *	1/10000 (in-process; 0 with /dev/vgpu)
 * @compute_share_second: the same over the last complete second
 *
 * The compute fields follow the first version of the struct: a caller
 * built without them passes the shorter size and gets the rest.
 */
struct vgpu_ledger_usage {
	uint32_t size;
	uint32_t kernel;
	uint32_t guest_id;
	uint32_t __reserved;
	uint64_t used[VGPU_LIB_RES_NR];
	uint64_t peak[VGPU_LIB_RES_NR];
	uint64_t limit[VGPU_LIB_RES_NR];
	uint64_t limit_hits[VGPU_LIB_RES_NR];
	uint64_t compute_ns;
	uint64_t compute_limit_hits;
	uint64_t compute_throttled_ns;
	uint64_t compute_fallback_ns;
	uint32_t compute_limit;
	uint32_t compute_period_us;
	uint32_t compute_weight;
	uint32_t compute_share_period;
	uint32_t compute_share_second;
	uint32_t __reserved2;
};

/** vgpu_ledger_usage - read the guest's books */
int vgpu_ledger_usage(vgpu_session *sess, struct vgpu_ledger_usage *u);

/**
 * vgpu_ledger_set_limit - change an in-process ledger limit at run time
 * (lowering below usage blocks new charges, takes nothing away).
 * -EOPNOTSUPP with /dev/vgpu (limits belong to the administrator there).
 */
int vgpu_ledger_set_limit(vgpu_session *sess, int resource, uint64_t limit);

/**
 * vgpu_ledger_set_compute - the in-process guest's GPU time, in force now
 * @limit_pct: cap, percent of each period (1..100), 0 for none
 * @period_us: period, 10000..1000000 µs; 0 keeps it (default 100000)
 * @weight: 1..10000 to share a device among weighted guests of this process
 *	in proportion (work-conserving), 0 for none
 *
 * Launches on the session's device then spend leases of the guest's time:
 * with none left they wait for the next period (-ETIME past the launch's
 * timeout) or, with VGPU_FALLBACK_QUOTA on a GPU session, run on the CPU.
 * Also from the environment when the guest's books are first made:
 * VGPU_COMPUTE_LIMIT, VGPU_COMPUTE_PERIOD_US, VGPU_COMPUTE_WEIGHT.
 * -EOPNOTSUPP with /dev/vgpu (set by the administrator: vgpuctl); -EINVAL
 * out of range.
 */
int vgpu_ledger_set_compute(vgpu_session *sess, uint32_t limit_pct, uint32_t period_us,
			    uint32_t weight);

/**
 * struct vgpu_stats - per-session counters
 * @size: sizeof(struct vgpu_stats), set by the caller
 * @backend: the session's backend
 * @launches: kernel launches asked for
 * @launches_gpu: launches run on a GPU backend
 * @launches_gpu_ok: of those, succeeded
 * @launches_cpu: launches run on the CPU backend (any reason)
 * @launch_errors: launches that returned an error to the caller
 * @launch_ns: time spent in synchronous launches, ns
 * @compiles: compiles asked for
 * @compile_errors: compiles that failed (after any fallback)
 * @compile_ns: time spent compiling (cache misses), ns
 * @cache_hits: compiled images found in the cache (memory or disk)
 * @cache_misses: compiled images not found
 * @fallbacks: per enum vgpu_fallback_reason
 * @quota_refusals: charges the ledger refused
 * @mem_used: bytes of device memory held by the session's buffers now
 * @mem_peak: highest @mem_used
 * @bytes_h2d, @bytes_d2h, @bytes_d2d: bytes copied
 * @batch_gpu, @batch_cpu: batch items routed each way
 * @batch_threshold: the last batch's current threshold (work-size units)
 * @compute_ns: device time this session's launches took (measured from
 *	completions; a CPU session's run time)
 * @compute_throttled_ns: time its launches waited for the guest's budget
 * @compute_fallback_ns: CPU time of a GPU session's launches run on the CPU
 * @compute_leases: leases asked for
 * @compute_refusals: of those, refused (no budget left)
 * @compute_device_windows: windows of asynchronous launches measured on the
 *	device's clock (CUDA, HIP: timing events around the window; 0 where
 *	the backend has none and the host's clock measured them)
 * @compute_early_handovers: leases of short kernels that handed the device
 *	to another session of the process while their last ~0.2 ms of work
 *	still ran (its time read later, with a later lease)
 * @compute_overlapped_leases: leases of short kernels of a session nobody
 *	waited for that ended without draining the device: the next lease's
 *	work queued behind their last ~0.2 ms (in-process ledger, CUDA, HIP)
 *
 * The compute fields follow the first version of the struct: a caller
 * built without them passes the shorter size and gets the rest.
 */
struct vgpu_stats {
	uint32_t size;
	uint32_t backend;
	uint64_t launches;
	uint64_t launches_gpu;
	uint64_t launches_gpu_ok;
	uint64_t launches_cpu;
	uint64_t launch_errors;
	uint64_t launch_ns;
	uint64_t compiles;
	uint64_t compile_errors;
	uint64_t compile_ns;
	uint64_t cache_hits;
	uint64_t cache_misses;
	uint64_t fallbacks[VGPU_FB_NR];
	uint64_t quota_refusals;
	uint64_t mem_used;
	uint64_t mem_peak;
	uint64_t bytes_h2d;
	uint64_t bytes_d2h;
	uint64_t bytes_d2d;
	uint64_t batch_gpu;
	uint64_t batch_cpu;
	uint64_t batch_threshold;
	uint64_t compute_ns;
	uint64_t compute_throttled_ns;
	uint64_t compute_fallback_ns;
	uint64_t compute_leases;
	uint64_t compute_refusals;
	uint64_t compute_device_windows;
	uint64_t compute_early_handovers;
	uint64_t compute_overlapped_leases;
};

/** vgpu_stats_get - copy the session's counters */
int vgpu_stats_get(vgpu_session *sess, struct vgpu_stats *st);

/**
 * vgpu_fallback_text - the text of the last fallback of @reason into @buf
 * (NUL-terminated, truncated). Returns its full length (0: none yet).
 */
int vgpu_fallback_text(vgpu_session *sess, int reason, char *buf, size_t len);

/**
 * vgpu_stats_prometheus - the counters and the books in Prometheus text
 * exposition format (metrics vgpu_lib_*, labelled guest="..." and
 * backend="..."). Writes at most @len bytes, NUL-terminated, and returns the
 * length the full text needs (like snprintf): a return >= @len means
 * truncated. @buf may be NULL when @len is 0.
 */
int vgpu_stats_prometheus(vgpu_session *sess, char *buf, size_t len);

/* ------------------------------------------------------------------------ */
/* compile cache                                                            */
/* ------------------------------------------------------------------------ */

/** vgpu_cache_enable - turn the session's use of the compile cache on (1) or off (0) */
int vgpu_cache_enable(vgpu_session *sess, int on);

/* ------------------------------------------------------------------------ */
/* batch scheduling                                                         */
/* ------------------------------------------------------------------------ */

/** enum vgpu_route - where a batch item goes */
enum vgpu_route {
	VGPU_ROUTE_GPU = 0,
	VGPU_ROUTE_CPU = 1,
};

/** VGPU_BATCH_FIXED: keep the threshold fixed (no adaptation) */
#define VGPU_BATCH_FIXED	(1U << 0)

/**
 * struct vgpu_batch_opts - options of vgpu_batch_create()
 * @size: sizeof(struct vgpu_batch_opts)
 * @flags: VGPU_BATCH_* bits
 * @threshold: initial threshold: items of work size >= threshold go to the
 *	GPU, smaller ones to the CPU; 0: 65536
 * @explore_every: every Nth item goes the other way to keep measuring both
 *	sides; 0: 16
 *
 * Adaptation: each side keeps a least-squares fit t = a + b * size over its
 * recent measurements (exponentially weighted); once both sides have two
 * distinct sizes, the threshold moves to where the two lines cross (clamped
 * to [1, 2^40]); if the GPU is faster at every size the threshold is 1, if
 * slower at every size it is 2^40.
 */
struct vgpu_batch_opts {
	uint32_t size;
	uint32_t flags;
	uint64_t threshold;
	uint32_t explore_every;
	uint32_t __reserved;
};

/** vgpu_batch_create - a batch scheduler of the session; @opts may be NULL */
int vgpu_batch_create(vgpu_session *sess, const struct vgpu_batch_opts *opts, vgpu_batch **out);

/** vgpu_batch_destroy - NULL is a no-op */
int vgpu_batch_destroy(vgpu_batch *b);

/** vgpu_batch_route - the route for an item of @work_size (enum vgpu_route) */
int vgpu_batch_route(vgpu_batch *b, uint64_t work_size);

/** vgpu_batch_record - feed a measured time of an item back; adapts the threshold */
int vgpu_batch_record(vgpu_batch *b, int route, uint64_t work_size, uint64_t elapsed_ns);

/**
 * vgpu_batch_launch - route by @work_size, launch (synchronously) on the GPU
 * backend or with VGPU_LAUNCH_CPU, measure, record. Returns the route used
 * (>= 0) or a negative errno. On a CPU-only session both routes run on the
 * CPU backend (the CPU stands in for the GPU).
 */
int vgpu_batch_launch(vgpu_batch *b, uint64_t work_size, vgpu_kernel *k,
		      const struct vgpu_launch_cfg *cfg, const struct vgpu_arg *args,
		      unsigned int nr_args);

/** vgpu_batch_threshold - the current threshold into *@threshold */
int vgpu_batch_threshold(vgpu_batch *b, uint64_t *threshold);

#ifdef __cplusplus
}
#endif

#endif /* VGPU_LIBVGPU_H */
