// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgpu's HIP backend: libamdhip64 (the HIP runtime) and
 * hiprtc, loaded with dlopen() at probe time. HIP 5.x ships the hiprtc
 * entry points inside libamdhip64; ROCm 6 and later in libhiprtc.so.N; both
 * are looked for.
 *
 * NOT RUN ON AMD HARDWARE. What has been exercised (Documentation/
 * libvgpu-backends.rst has the details): loading libamdhip64.so.5 (Debian's
 * HIP 5.2 and the H100 machine's copy), hipInit / hipGetDeviceCount on a
 * machine without an AMD GPU (reported as "no HIP device": -ENODEV with the
 * runtime's own error text), and the library-absent path. Everything after
 * a device is found is written against the HIP and hiprtc documentation and
 * headers and has never executed.
 *
 * Model: HIP has no per-session context objects worth the name (the runtime
 * keeps one primary context per device and process), so a libvgpu HIP
 * context is a device index made current with hipSetDevice() by each op. The
 * measured "context overhead" is the free-memory drop around the runtime's
 * initialisation on that device: the first session of a process pays it,
 * later ones measure about 0.
 *
 * Compile: hiprtc for the device's gfx architecture ("--offload-arch=gfx90a"
 * and so on). The name is read from hipGetDeviceProperties, whose struct
 * layout changed between HIP 5 and ROCm 6: the backend passes a large
 * zeroed buffer and takes the first "gfx..." string in it (gcnArchName),
 * which works with either layout.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "gpu/gpu.h"
#include "gpu/gpu_decls.h"

static struct {
	void *lib, *rtc;
	vg_hipInit_t Init;
	vg_hipDriverGetVersion_t DriverGetVersion;
	vg_hipRuntimeGetVersion_t RuntimeGetVersion;
	vg_hipGetErrorString_t GetErrorString;
	vg_hipGetErrorName_t GetErrorName;
	vg_hipGetDeviceCount_t GetDeviceCount;
	vg_hipDeviceGet_t DeviceGet;
	vg_hipDeviceGetName_t DeviceGetName;
	vg_hipDeviceTotalMem_t DeviceTotalMem;
	vg_hipDeviceComputeCapability_t DeviceComputeCapability;
	vg_hipDeviceGetAttribute_t DeviceGetAttribute;
	vg_hipGetDeviceProperties_t GetDeviceProperties;
	vg_hipSetDevice_t SetDevice;
	vg_hipDeviceSynchronize_t DeviceSynchronize;
	vg_hipMemGetInfo_t MemGetInfo;
	vg_hipMalloc_t Malloc;
	vg_hipFree_t Free;
	vg_hipHostRegister_t HostRegister;
	vg_hipHostUnregister_t HostUnregister;
	vg_hipMemcpyHtoD_t MemcpyHtoD;
	vg_hipMemcpyDtoH_t MemcpyDtoH;
	vg_hipMemcpyDtoD_t MemcpyDtoD;
	vg_hipMemcpyHtoDAsync_t MemcpyHtoDAsync;
	vg_hipMemcpyDtoHAsync_t MemcpyDtoHAsync;
	vg_hipMemcpyDtoDAsync_t MemcpyDtoDAsync;
	vg_hipModuleLoadData_t ModuleLoadData;
	vg_hipModuleUnload_t ModuleUnload;
	vg_hipModuleGetFunction_t ModuleGetFunction;
	vg_hipModuleGetGlobal_t ModuleGetGlobal;
	vg_hipModuleLaunchKernel_t ModuleLaunchKernel;
	vg_hipStreamCreateWithFlags_t StreamCreateWithFlags;
	vg_hipStreamDestroy_t StreamDestroy;
	vg_hipStreamSynchronize_t StreamSynchronize;
	vg_hipStreamQuery_t StreamQuery;
	vg_hipEventCreateWithFlags_t EventCreateWithFlags;
	vg_hipEventDestroy_t EventDestroy;
	vg_hipEventRecord_t EventRecord;
	vg_hipEventQuery_t EventQuery;
	/* hiprtc */
	vg_hiprtcGetErrorString_t rtcGetErrorString;
	vg_hiprtcVersion_t rtcVersion;
	vg_hiprtcCreateProgram_t rtcCreateProgram;
	vg_hiprtcDestroyProgram_t rtcDestroyProgram;
	vg_hiprtcCompileProgram_t rtcCompileProgram;
	vg_hiprtcGetSize_t rtcGetCodeSize, rtcGetProgramLogSize;
	vg_hiprtcGetData_t rtcGetCode, rtcGetProgramLog;
	vg_hiprtcAddNameExpression_t rtcAddNameExpression;	/* optional (older HIP: NULL) */
	vg_hiprtcGetLoweredName_t rtcGetLoweredName;
	int rtc_major, rtc_minor;
	int runtime_version;
	int ndev;
	char libpath[64];
} hip;

static pthread_mutex_t hip_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *hip_errname(hipError_t e)
{
	const char *s = hip.GetErrorName ? hip.GetErrorName(e) : NULL;

	return s ? s : "hipError?";
}

static const char *hip_errstr(hipError_t e)
{
	const char *s = hip.GetErrorString ? hip.GetErrorString(e) : NULL;

	return s ? s : "unknown error";
}

static const struct vgpu_gpu_errno hip_errnos[] = {
	{ hipErrorOutOfMemory, -ENOMEM },
	{ hipErrorInvalidValue, -EINVAL },
	{ hipErrorInvalidConfiguration, -EINVAL },
	{ hipErrorLaunchOutOfResources, -EINVAL },
	{ hipErrorNoDevice, -ENODEV },
	{ hipErrorInvalidDevice, -ENODEV },
	{ hipErrorInsufficientDriver, -ENODEV },
	{ hipErrorNotInitialized, -ENODEV },
	{ hipErrorInvalidImage, -ENOEXEC },
	{ hipErrorNoBinaryForGpu, -ENOEXEC },
	{ hipErrorNotFound, -ENOENT },
	{ hipErrorInvalidDeviceFunction, -ENOENT },
	{ hipErrorLaunchTimeOut, -ETIME },
	{ 0, 0 },
};

static int hip_fail(int status, const char *what)
{
	hipError_t e = (hipError_t)status;
	int ret = vgpu_gpu_errno(hip_errnos, e);

	vgpu_bk_seterr("hip: %s: %s (%s)", what, hip_errname(e), hip_errstr(e));
	return ret;
}

/* hiprtc: libhiprtc.so.N (ROCm 6+) or inside libamdhip64 (HIP 5.x) */
static void hiprtc_load(void)
{
	static const char *const names[] = { "libhiprtc.so.7", "libhiprtc.so.6", "libhiprtc.so.5",
					     "libhiprtc.so", "/opt/rocm/lib/libhiprtc.so", NULL };
	char path[64];
	const char *missing = NULL;
	void *lib = vgpu_gpu_open_first(names, path, sizeof(path));

	if (!lib)
		lib = hip.lib;
#define RS(f, s) hip.f = (__typeof__(hip.f))vgpu_gpu_sym(lib, s, &missing)
	RS(rtcGetErrorString, "hiprtcGetErrorString");
	RS(rtcVersion, "hiprtcVersion");
	RS(rtcCreateProgram, "hiprtcCreateProgram");
	RS(rtcDestroyProgram, "hiprtcDestroyProgram");
	RS(rtcCompileProgram, "hiprtcCompileProgram");
	RS(rtcGetCodeSize, "hiprtcGetCodeSize");
	RS(rtcGetCode, "hiprtcGetCode");
	RS(rtcGetProgramLogSize, "hiprtcGetProgramLogSize");
	RS(rtcGetProgramLog, "hiprtcGetProgramLog");
#undef RS
	hip.rtcAddNameExpression = (vg_hiprtcAddNameExpression_t)dlsym(lib, "hiprtcAddNameExpression");
	hip.rtcGetLoweredName = (vg_hiprtcGetLoweredName_t)dlsym(lib, "hiprtcGetLoweredName");
	if (missing || hip.rtcVersion(&hip.rtc_major, &hip.rtc_minor) != HIPRTC_SUCCESS) {
		hip.rtcCompileProgram = NULL;
		if (lib != hip.lib)
			dlclose(lib);
		return;
	}
	if (lib != hip.lib)
		hip.rtc = lib;
}

static int hip_load(void)
{
	static const char *const names[] = { "libamdhip64.so.7", "libamdhip64.so.6", "libamdhip64.so.5",
					     "libamdhip64.so", "/opt/rocm/lib/libamdhip64.so", NULL };
	const char *env = getenv("VGPU_HIP_LIBRARY");
	const char *missing = NULL;
	hipError_t e;

	if (env && *env) {
		hip.lib = dlopen(env, RTLD_NOW | RTLD_LOCAL);
		snprintf(hip.libpath, sizeof(hip.libpath), "%s", env);
	} else {
		hip.lib = vgpu_gpu_open_first(names, hip.libpath, sizeof(hip.libpath));
	}
	if (!hip.lib) {
		vgpu_bk_seterr("no HIP: cannot load %s", env && *env ? env :
			       "libamdhip64.so.7/.6/.5 (ROCm/HIP runtime not installed)");
		return -ENODEV;
	}
#define HS(f, s) hip.f = (__typeof__(hip.f))vgpu_gpu_sym(hip.lib, s, &missing)
	HS(Init, "hipInit");
	HS(DriverGetVersion, "hipDriverGetVersion");
	HS(RuntimeGetVersion, "hipRuntimeGetVersion");
	HS(GetErrorString, "hipGetErrorString");
	HS(GetErrorName, "hipGetErrorName");
	HS(GetDeviceCount, "hipGetDeviceCount");
	HS(DeviceGet, "hipDeviceGet");
	HS(DeviceGetName, "hipDeviceGetName");
	HS(DeviceTotalMem, "hipDeviceTotalMem");
	HS(DeviceComputeCapability, "hipDeviceComputeCapability");
	HS(DeviceGetAttribute, "hipDeviceGetAttribute");
	HS(SetDevice, "hipSetDevice");
	HS(DeviceSynchronize, "hipDeviceSynchronize");
	HS(MemGetInfo, "hipMemGetInfo");
	HS(Malloc, "hipMalloc");
	HS(Free, "hipFree");
	HS(HostRegister, "hipHostRegister");
	HS(HostUnregister, "hipHostUnregister");
	HS(MemcpyHtoD, "hipMemcpyHtoD");
	HS(MemcpyDtoH, "hipMemcpyDtoH");
	HS(MemcpyDtoD, "hipMemcpyDtoD");
	HS(MemcpyHtoDAsync, "hipMemcpyHtoDAsync");
	HS(MemcpyDtoHAsync, "hipMemcpyDtoHAsync");
	HS(MemcpyDtoDAsync, "hipMemcpyDtoDAsync");
	HS(ModuleLoadData, "hipModuleLoadData");
	HS(ModuleUnload, "hipModuleUnload");
	HS(ModuleGetFunction, "hipModuleGetFunction");
	HS(ModuleGetGlobal, "hipModuleGetGlobal");
	HS(ModuleLaunchKernel, "hipModuleLaunchKernel");
	HS(StreamCreateWithFlags, "hipStreamCreateWithFlags");
	HS(StreamDestroy, "hipStreamDestroy");
	HS(StreamSynchronize, "hipStreamSynchronize");
	HS(StreamQuery, "hipStreamQuery");
	HS(EventCreateWithFlags, "hipEventCreateWithFlags");
	HS(EventDestroy, "hipEventDestroy");
	HS(EventRecord, "hipEventRecord");
	HS(EventQuery, "hipEventQuery");
#undef HS
	/* ROCm 6 renamed the struct-returning call; the old name stays for old binaries */
	hip.GetDeviceProperties = (vg_hipGetDeviceProperties_t)dlsym(hip.lib, "hipGetDevicePropertiesR0600");
	if (!hip.GetDeviceProperties)
		hip.GetDeviceProperties = (vg_hipGetDeviceProperties_t)dlsym(hip.lib, "hipGetDeviceProperties");
	if (missing) {
		vgpu_bk_seterr("no HIP: %s lacks %s", hip.libpath, missing);
		return -ENODEV;
	}
	if (hip.RuntimeGetVersion(&hip.runtime_version) != hipSuccess)
		hip.runtime_version = 0;
	/* hipInit fails with an error of its own when there is no AMD GPU (HIP
	 * 5.2 says hipErrorInvalidDevice); the device count is the real test */
	e = hip.Init(0);
	hip.ndev = 0;
	if (hip.GetDeviceCount(&hip.ndev) != hipSuccess || hip.ndev <= 0) {
		hipError_t e2 = hip.GetDeviceCount(&hip.ndev);

		hip.ndev = 0;
		vgpu_bk_seterr("no HIP device: %s (HIP runtime %d) reports none: hipInit: %s, "
			       "hipGetDeviceCount: %s (%s)", hip.libpath, hip.runtime_version,
			       hip_errname(e), hip_errname(e2), hip_errstr(e2));
		return -ENODEV;
	}
	hiprtc_load();
	return hip.ndev;
}

static int hip_probe(void)
{
	static int result;
	static bool done;
	static char why[512];
	int ret;

	pthread_mutex_lock(&hip_lock);
	if (!done) {
		result = hip_load();
		snprintf(why, sizeof(why), "%s", result > 0 ? "" : vgpu_bk_errtext());
		done = true;
	}
	ret = result;
	if (ret <= 0)
		vgpu_bk_seterr("%s", why);
	pthread_mutex_unlock(&hip_lock);
	return ret;
}

/* The "gfx..." architecture name of a device, from hipGetDeviceProperties. */
static int hip_arch(int index, char *arch, size_t len)
{
	enum { PROPS_BUF = 16384 };
	unsigned char *buf;
	int ret = -ENOENT;

	arch[0] = 0;
	if (!hip.GetDeviceProperties)
		return -ENOENT;
	buf = calloc(1, PROPS_BUF);
	if (!buf)
		return -ENOMEM;
	if (hip.GetDeviceProperties(buf, index) == hipSuccess) {
		for (size_t i = 0; i + 4 < PROPS_BUF; i++) {
			if (buf[i] == 'g' && buf[i + 1] == 'f' && buf[i + 2] == 'x' &&
			    isxdigit(buf[i + 3]) && (i == 0 || buf[i - 1] == 0)) {
				size_t n = strnlen((char *)buf + i, PROPS_BUF - i);

				if (n < len && n < 64) {
					memcpy(arch, buf + i, n);
					arch[n] = 0;
					ret = 0;
				}
				break;
			}
		}
	}
	free(buf);
	return ret;
}

static int hip_device_props(int index, struct vgpu_bk_devprops *p)
{
	hipDevice_t d;
	size_t total = 0;
	int major = 0, minor = 0, v;
	hipError_t e;

	if (hip_probe() <= 0)
		return -ENODEV;
	if (index < 0 || index >= hip.ndev) {
		vgpu_bk_seterr("hip: no device %d (%d present)", index, hip.ndev);
		return -ENOENT;
	}
	e = hip.DeviceGet(&d, index);
	if (e != hipSuccess)
		return hip_fail(e, "hipDeviceGet");
	memset(p, 0, sizeof(*p));
	e = hip.DeviceGetName(p->name, sizeof(p->name) - 1, d);
	if (e != hipSuccess)
		return hip_fail(e, "hipDeviceGetName");
	if (hip.DeviceTotalMem(&total, d) == hipSuccess)
		p->total_mem = total;
	if (hip.DeviceComputeCapability(&major, &minor, d) == hipSuccess) {
		p->cc_major = major;
		p->cc_minor = minor;
	}
#define ATTR(field, a) do { v = 0; if (hip.DeviceGetAttribute(&v, a, index) == hipSuccess) p->field = v; } while (0)
	ATTR(multiprocessors, hipDeviceAttributeMultiprocessorCount);
	ATTR(max_threads_per_block, hipDeviceAttributeMaxThreadsPerBlock);
	ATTR(max_shared_per_block, hipDeviceAttributeMaxSharedMemoryPerBlock);
	ATTR(warp_size, hipDeviceAttributeWarpSize);
#undef ATTR
	return 0;
}

struct hip_ctx {
	int dev;
	char arch[64];
	char target[160];
};

static inline int hip_enter(struct hip_ctx *c)
{
	hipError_t e = hip.SetDevice(c->dev);

	return e == hipSuccess ? 0 : hip_fail(e, "hipSetDevice");
}

static int hip_ctx_create(const struct vgpu_bk_init *init, void **out, uint64_t *mem_overhead)
{
	struct hip_ctx *c;
	size_t f0 = 0, f1 = 0, t = 0;
	void *p = NULL;
	hipError_t e;
	int ret = hip_probe();

	if (ret <= 0)
		return ret ? ret : -ENODEV;
	if (init->device < 0 || init->device >= hip.ndev) {
		vgpu_bk_seterr("hip: no device %d (%d present)", init->device, hip.ndev);
		return -ENODEV;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->dev = init->device;
	e = hip.SetDevice(c->dev);
	if (e != hipSuccess) {
		free(c);
		return hip_fail(e, "hipSetDevice");
	}
	hip.MemGetInfo(&f0, &t);
	/* make the runtime set up the device (first use allocates) */
	if (hip.Malloc(&p, 256) == hipSuccess)
		hip.Free(p);
	hip.DeviceSynchronize();
	hip.MemGetInfo(&f1, &t);
	*mem_overhead = f0 > f1 ? f0 - f1 : 0;
	hip_arch(c->dev, c->arch, sizeof(c->arch));
	snprintf(c->target, sizeof(c->target), "%s hiprtc-%d.%d hip-%d", c->arch[0] ? c->arch : "gfx?",
		 hip.rtc_major, hip.rtc_minor, hip.runtime_version);
	*out = c;
	return 0;
}

static void hip_ctx_destroy(void *ctx)
{
	struct hip_ctx *c = ctx;

	if (c && hip_enter(c) == 0)
		hip.DeviceSynchronize();
	free(c);
}

static int hip_mem_info(void *ctx, uint64_t *free_bytes, uint64_t *total_bytes)
{
	size_t f, t;
	hipError_t e;
	int ret = hip_enter(ctx);

	if (ret)
		return ret;
	e = hip.MemGetInfo(&f, &t);
	if (e != hipSuccess)
		return hip_fail(e, "hipMemGetInfo");
	*free_bytes = f;
	*total_bytes = t;
	return 0;
}

static int hip_mem_alloc(void *ctx, size_t bytes, uint64_t *dptr)
{
	void *p;
	hipError_t e;
	int ret = hip_enter(ctx);

	if (ret)
		return ret;
	e = hip.Malloc(&p, bytes);
	if (e != hipSuccess)
		return hip_fail(e, "hipMalloc");
	*dptr = (uintptr_t)p;
	return 0;
}

static int hip_mem_free(void *ctx, uint64_t dptr)
{
	hipError_t e;
	int ret = hip_enter(ctx);

	if (ret)
		return ret;
	e = hip.Free((void *)(uintptr_t)dptr);
	return e == hipSuccess ? 0 : hip_fail(e, "hipFree");
}

#define DP(x) ((hipDeviceptr_t)(uintptr_t)(x))

static int hip_memcpy_htod(void *ctx, uint64_t dst, const void *src, size_t n, void *stream)
{
	hipError_t e;
	int ret = hip_enter(ctx);

	if (ret)
		return ret;
	if (stream)
		e = hip.MemcpyHtoDAsync(DP(dst), (void *)src, n, stream);
	else
		e = hip.MemcpyHtoD(DP(dst), (void *)src, n);
	return e == hipSuccess ? 0 : hip_fail(e, "hipMemcpyHtoD");
}

static int hip_memcpy_dtoh(void *ctx, void *dst, uint64_t src, size_t n, void *stream)
{
	hipError_t e;
	int ret = hip_enter(ctx);

	if (ret)
		return ret;
	if (stream)
		e = hip.MemcpyDtoHAsync(dst, DP(src), n, stream);
	else
		e = hip.MemcpyDtoH(dst, DP(src), n);
	return e == hipSuccess ? 0 : hip_fail(e, "hipMemcpyDtoH");
}

static int hip_memcpy_dtod(void *ctx, uint64_t dst, uint64_t src, size_t n, void *stream)
{
	hipError_t e;
	int ret = hip_enter(ctx);

	if (ret)
		return ret;
	if (stream) {
		e = hip.MemcpyDtoDAsync(DP(dst), DP(src), n, stream);
	} else {
		e = hip.MemcpyDtoD(DP(dst), DP(src), n);
		if (e == hipSuccess)
			e = hip.StreamSynchronize(NULL);
	}
	return e == hipSuccess ? 0 : hip_fail(e, "hipMemcpyDtoD");
}

static int hip_host_register(void *ctx, void *p, size_t n)
{
	hipError_t e;
	int ret = hip_enter(ctx);

	if (ret)
		return ret;
	e = hip.HostRegister(p, n, hipHostRegisterPortable);
	if (e == hipErrorHostMemoryAlreadyRegistered)
		return 0;
	return e == hipSuccess ? 0 : hip_fail(e, "hipHostRegister");
}

static int hip_host_unregister(void *ctx, void *p)
{
	hipError_t e;
	int ret = hip_enter(ctx);

	if (ret)
		return ret;
	e = hip.HostUnregister(p);
	return e == hipSuccess ? 0 : hip_fail(e, "hipHostUnregister");
}

static int hip_stream_create(void *ctx, void **stream)
{
	hipStream_t s;
	hipError_t e;
	int ret = hip_enter(ctx);

	if (ret)
		return ret;
	e = hip.StreamCreateWithFlags(&s, hipStreamDefault);
	if (e != hipSuccess)
		return hip_fail(e, "hipStreamCreate");
	*stream = s;
	return 0;
}

static int hip_stream_destroy(void *ctx, void *stream)
{
	hipError_t e;
	int ret = hip_enter(ctx);

	if (ret)
		return ret;
	e = hip.StreamDestroy(stream);
	return e == hipSuccess ? 0 : hip_fail(e, "hipStreamDestroy");
}

static const struct vgpu_gpu_vendor hip_vendor = {
	.name = "hip", .ok = hipSuccess, .not_ready = hipErrorNotReady, .fail = hip_fail,
};

static int hip_stream_query(void *s)
{
	return hip.StreamQuery(s);
}

static int hip_stream_block(void *s)
{
	return hip.StreamSynchronize(s);
}

static int hip_event_query(void *ev)
{
	return hip.EventQuery(ev);
}

/* Wait for a stream (ev NULL) or an event (polled, also without a timeout). */
static int hip_wait(hipStream_t s, hipEvent_t ev, int64_t timeout_ns, const char *what)
{
	if (ev)
		return vgpu_gpu_wait(&hip_vendor, hip_event_query, NULL, ev, timeout_ns, what);
	return vgpu_gpu_wait(&hip_vendor, hip_stream_query, hip_stream_block, s, timeout_ns, what);
}

static int hip_stream_sync(void *ctx, void *stream, int64_t timeout_ns)
{
	int ret = hip_enter(ctx);

	return ret ? ret : hip_wait(stream, NULL, timeout_ns, "stream synchronize");
}

static int hip_synchronize(void *ctx, int64_t timeout_ns)
{
	hipEvent_t ev;
	hipError_t e;
	int ret = hip_enter(ctx);

	if (ret)
		return ret;
	if (timeout_ns < 0) {
		e = hip.DeviceSynchronize();
		return e == hipSuccess ? 0 : hip_fail(e, "hipDeviceSynchronize");
	}
	e = hip.EventCreateWithFlags(&ev, hipEventDisableTiming);
	if (e != hipSuccess)
		return hip_fail(e, "hipEventCreate");
	e = hip.EventRecord(ev, NULL);
	ret = e == hipSuccess ? hip_wait(NULL, ev, timeout_ns, "synchronize") : hip_fail(e, "hipEventRecord");
	hip.EventDestroy(ev);
	return ret;
}

static int hip_target_id(void *ctx, char *buf, size_t len)
{
	struct hip_ctx *c = ctx;

	return snprintf(buf, len, "%s", c->target);
}

static int rtc_log_size(void *p, size_t *n)
{
	return hip.rtcGetProgramLogSize(p, n);
}

static int rtc_log_get(void *p, char *log)
{
	return hip.rtcGetProgramLog(p, log);
}

static char *rtc_log(hiprtcProgram p)
{
	return vgpu_gpu_log(p, rtc_log_size, rtc_log_get);
}

/*
 * hiprtc takes the same source as NVRTC: the descriptor machinery in front
 * (the user's lines keep their numbers), the host headers device code may
 * include as in-memory headers, the name expressions (lowered names travel
 * with the code object, as on CUDA) and their descriptors after the source.
 */
static int hip_compile(void *ctx, const struct vgpu_bk_source *src, void **blob, size_t *len,
		       char **log)
{
	struct hip_ctx *c = ctx;
	const char *hdrs[64], *hnames[64];
	struct vgpu_lowered *low = NULL;
	struct vgpu_sbuf text = { 0 };
	const char **opts;
	char arch[96];
	hiprtcProgram p;
	hiprtcResult r;
	size_t n = 0;
	int nopts = 0, nh = 0, ret = 0;
	void *out;

	*blob = NULL;
	*len = 0;
	*log = NULL;
	if (!hip.rtcCompileProgram) {
		vgpu_bk_seterr("hip: hiprtc not found (libhiprtc.so.N or hiprtc in %s)", hip.libpath);
		return -ENODEV;
	}
	if (src->nr_names && (!hip.rtcAddNameExpression || !hip.rtcGetLoweredName)) {
		vgpu_bk_seterr("hip: this hiprtc has no hiprtcAddNameExpression: kernels by name "
			       "expression need ROCm 5.3 or newer");
		return -ENOEXEC;
	}
	opts = calloc(src->nr_options + 2, sizeof(*opts));
	low = calloc(src->nr_names + 1, sizeof(*low));
	if (!opts || !low) {
		free(opts);
		free(low);
		return -ENOMEM;
	}
	vgpu_sb_str(&text, vgpu_devsig_prelude);
	vgpu_sb_printf(&text, "#line 1 \"%s\"\n", src->name ? src->name : "kernel.cu");
	vgpu_sb_add(&text, src->src, src->len);
	vgpu_devsig_emit(&text, src->names, src->nr_names, "__device__", "");
	for (int i = 0; vgpu_devheaders[i].name && nh < 64; i++) {
		hdrs[nh] = vgpu_devheaders[i].gpu;
		hnames[nh++] = vgpu_devheaders[i].name;
	}
	if (c->arch[0]) {
		snprintf(arch, sizeof(arch), "--offload-arch=%s", c->arch);
		opts[nopts++] = arch;
	}
	for (int i = 0; i < src->nr_options; i++)
		opts[nopts++] = src->options[i];
	if (text.oom) {
		ret = -ENOMEM;
		goto out;
	}
	r = hip.rtcCreateProgram(&p, text.p, src->name ? src->name : "kernel.cu", nh, hdrs, hnames);
	if (r != HIPRTC_SUCCESS) {
		vgpu_bk_seterr("hip: hiprtcCreateProgram: %s", hip.rtcGetErrorString(r));
		ret = -EIO;
		goto out;
	}
	for (int i = 0; i < src->nr_names; i++) {
		r = hip.rtcAddNameExpression(p, src->names[i]);
		if (r != HIPRTC_SUCCESS) {
			vgpu_bk_seterr("hip: hiprtcAddNameExpression(%s): %s", src->names[i],
				       hip.rtcGetErrorString(r));
			ret = -ENOEXEC;
			goto destroy;
		}
	}
	r = hip.rtcCompileProgram(p, nopts, opts);
	*log = rtc_log(p);
	if (r != HIPRTC_SUCCESS) {
		vgpu_bk_seterr("hip: hiprtc (%s): %s", c->arch, hip.rtcGetErrorString(r));
		ret = r == HIPRTC_ERROR_OUT_OF_MEMORY ? -ENOMEM : -ENOEXEC;
		goto destroy;
	}
	for (int i = 0; i < src->nr_names; i++) {
		r = hip.rtcGetLoweredName(p, src->names[i], &low[i].lowered);
		if (r != HIPRTC_SUCCESS || !low[i].lowered) {
			vgpu_bk_seterr("hip: hiprtcGetLoweredName(%s): %s", src->names[i],
				       hip.rtcGetErrorString(r));
			ret = -ENOEXEC;
			goto destroy;
		}
		low[i].expr = src->names[i];
	}
	if (hip.rtcGetCodeSize(p, &n) != HIPRTC_SUCCESS || n == 0) {
		vgpu_bk_seterr("hip: hiprtc produced no code object");
		ret = -EIO;
		goto destroy;
	}
	out = malloc(n);
	if (!out) {
		ret = -ENOMEM;
		goto destroy;
	}
	if (hip.rtcGetCode(p, out) != HIPRTC_SUCCESS) {
		free(out);
		vgpu_bk_seterr("hip: hiprtcGetCode failed");
		ret = -EIO;
		goto destroy;
	}
	ret = vgpu_names_pack(low, src->nr_names, out, n, blob, len);
	free(out);
destroy:
	hip.rtcDestroyProgram(&p);
out:
	free(text.p);
	free(low);
	free(opts);
	return ret;
}

struct hip_module {
	hipModule_t m;
	struct vgpu_names names;
};

static void hip_module_free(struct hip_module *hm)
{
	vgpu_names_free(&hm->names);
	free(hm);
}

static int hip_module_load(void *ctx, const void *blob, size_t len, int format, void **mod,
			   struct vgpu_ksig **sig)
{
	const unsigned char *b;
	struct hip_module *hm;
	hipError_t e;
	int ret = hip_enter(ctx);

	if (sig)
		*sig = NULL;
	if (ret)
		return ret;
	hm = calloc(1, sizeof(*hm));
	if (!hm)
		return -ENOMEM;
	ret = vgpu_names_unpack(blob, len, &hm->names, &blob, &len);
	if (ret) {
		free(hm);
		vgpu_bk_seterr("hip: damaged name table in the image");
		return ret;
	}
	b = blob;
	/* code objects are ELF (e_machine EM_AMDGPU = 224) or clang offload bundles */
	if (format == VGPU_IMAGE_PTX || format == VGPU_IMAGE_CUBIN || format == VGPU_IMAGE_NATIVE ||
	    (format == VGPU_IMAGE_AUTO &&
	     !(len >= 20 && b[0] == 0x7f && b[1] == 'E' && (b[18] | b[19] << 8) == 224) &&
	     !(len >= 24 && memcmp(b, "__CLANG_OFFLOAD_BUNDLE__", 24) == 0))) {
		hip_module_free(hm);
		vgpu_bk_seterr("hip: not a HIP code object");
		return -EINVAL;
	}
	e = hip.ModuleLoadData(&hm->m, blob);
	if (e != hipSuccess) {
		hip_module_free(hm);
		ret = hip_fail(e, "hipModuleLoadData");
		return ret == -EINVAL ? -ENOEXEC : ret;
	}
	*mod = hm;
	return 0;
}

static void hip_module_unload(void *ctx, void *mod)
{
	struct hip_module *hm = mod;

	if (hip_enter(ctx) == 0)
		hip.ModuleUnload(hm->m);
	hip_module_free(hm);
}

static int hip_function_get(void *ctx, void *mod, const char *name, void **fn)
{
	struct hip_module *hm = mod;
	int i = vgpu_names_index(&hm->names, name);
	hipFunction_t f;
	hipError_t e;
	int ret = hip_enter(ctx);

	if (ret)
		return ret;
	e = hip.ModuleGetFunction(&f, hm->m, i >= 0 ? hm->names.lowered[i] : name);
	if (e != hipSuccess) {
		ret = hip_fail(e, "hipModuleGetFunction");
		if (ret == -ENOENT || ret == -EINVAL) {
			vgpu_bk_seterr("hip: no kernel named '%s' in the module", name);
			return -ENOENT;
		}
		return ret;
	}
	*fn = f;
	return 0;
}

/* The compiler's signature: __vgpu_sig_<i> read back (core/devsig.c). */
static int hip_function_sig(void *ctx, void *mod, void *fn, const char *name,
			    struct vgpu_kinfo *out)
{
	struct hip_module *hm = mod;
	uint32_t w[VGPU_DEVSIG_WORDS];
	int i = vgpu_names_index(&hm->names, name);
	hipDeviceptr_t d;
	size_t bytes = 0;
	char sym[32];
	hipError_t e;
	int ret = hip_enter(ctx);

	(void)fn;
	if (ret)
		return ret;
	if (i < 0)
		return -ENOENT;
	snprintf(sym, sizeof(sym), "__vgpu_sig_%d", i);
	e = hip.ModuleGetGlobal(&d, &bytes, hm->m, sym);
	if (e != hipSuccess || bytes < sizeof(w))
		return -ENOENT;
	e = hip.MemcpyDtoH(w, d, sizeof(w));
	if (e != hipSuccess)
		return hip_fail(e, "reading a kernel signature");
	return vgpu_devsig_decode(w, VGPU_DEVSIG_WORDS, out);
}

static int hip_global_get(void *ctx, void *mod, const char *name, uint64_t *dptr, size_t *size)
{
	struct hip_module *hm = mod;
	hipDeviceptr_t d;
	hipError_t e;
	int ret = hip_enter(ctx);

	if (ret)
		return ret;
	e = hip.ModuleGetGlobal(&d, size, hm->m, name);
	if (e != hipSuccess) {
		ret = hip_fail(e, "hipModuleGetGlobal");
		if (ret == -ENOENT || ret == -EINVAL) {
			vgpu_bk_seterr("hip: no variable '%s' in the module", name);
			return -ENOENT;
		}
		return ret;
	}
	*dptr = (uint64_t)(uintptr_t)d;
	return 0;
}

static int hip_launch(void *ctx, void *fn, const struct vgpu_bk_launch *l)
{
	hipError_t e;
	int ret = hip_enter(ctx);

	if (ret)
		return ret;
	e = hip.ModuleLaunchKernel(fn, l->grid[0], l->grid[1], l->grid[2], l->block[0], l->block[1],
				   l->block[2], l->shared_bytes, l->stream, l->args, NULL);
	if (e != hipSuccess)
		return hip_fail(e, "hipModuleLaunchKernel");
	if (l->async)
		return 0;
	return hip_wait(l->stream, NULL, l->timeout_ns > 0 ? l->timeout_ns : -1, "kernel");
}

const struct vgpu_backend_ops vgpu_backend_hip = {
	.name = "hip",
	.kind = VGPU_BACKEND_HIP,
	.probe = hip_probe,
	.device_props = hip_device_props,
	.ctx_create = hip_ctx_create,
	.ctx_destroy = hip_ctx_destroy,
	.mem_info = hip_mem_info,
	.mem_alloc = hip_mem_alloc,
	.mem_free = hip_mem_free,
	.memcpy_htod = hip_memcpy_htod,
	.memcpy_dtoh = hip_memcpy_dtoh,
	.memcpy_dtod = hip_memcpy_dtod,
	.host_register = hip_host_register,
	.host_unregister = hip_host_unregister,
	.stream_create = hip_stream_create,
	.stream_destroy = hip_stream_destroy,
	.stream_sync = hip_stream_sync,
	.synchronize = hip_synchronize,
	.target_id = hip_target_id,
	.compile = hip_compile,
	.module_load = hip_module_load,
	.module_unload = hip_module_unload,
	.function_get = hip_function_get,
	.function_sig = hip_function_sig,
	.global_get = hip_global_get,
	.launch = hip_launch,
	.last_error = NULL,
};
