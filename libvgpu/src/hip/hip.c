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
 *
 * The backend ops are src/gpu's (ops.c, compile.c) over hip_vendor: this
 * file names HIP's entry points and does what only HIP does.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "gpu/gpu.h"
#include "gpu/gpu_decls.h"

/* the entry points both vendors have (gpu.h), as libamdhip64 names them */
static const struct vgpu_gpu_call_names hip_names = {
	.mem_get_info = "hipMemGetInfo",
	.mem_alloc = "hipMalloc",
	.mem_free = "hipFree",
	.host_register = "hipHostRegister",
	.host_unregister = "hipHostUnregister",
	.htod = "hipMemcpyHtoD",
	.dtoh = "hipMemcpyDtoH",
	.dtod = "hipMemcpyDtoD",
	.htod_async = "hipMemcpyHtoDAsync",
	.dtoh_async = "hipMemcpyDtoHAsync",
	.dtod_async = "hipMemcpyDtoDAsync",
	.stream_create = "hipStreamCreateWithFlags",
	.stream_destroy = "hipStreamDestroy",
	.stream_sync = "hipStreamSynchronize",
	.stream_query = "hipStreamQuery",
	.event_create = "hipEventCreateWithFlags",
	.event_destroy = "hipEventDestroy",
	.event_record = "hipEventRecord",
	.event_query = "hipEventQuery",
	.event_sync = NULL,		/* events are polled */
	.event_elapsed = "hipEventElapsedTime",
	.ctx_sync = "hipDeviceSynchronize",
	.module_unload = "hipModuleUnload",
	.module_get_function = "hipModuleGetFunction",
	.module_get_global = "hipModuleGetGlobal",
	.launch = "hipModuleLaunchKernel",
};

static struct vgpu_gpu_calls hip_call;
static struct vgpu_gpu_rtc hip_rtc = { .label = "hiprtc", .prefix = "hiprtc",
				       .oom = HIPRTC_ERROR_OUT_OF_MEMORY };

/* what only HIP calls */
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
	vg_hipModuleLoadData_t ModuleLoadData;
	/* hiprtc, besides hip_rtc */
	vg_hiprtcVersion_t rtcVersion;
	int (*rtcGetCodeSize)(void *prog, size_t *n);
	int (*rtcGetCode)(void *prog, char *out);
	int runtime_version;
	int ndev;
	char libpath[64];
} hip;

static const char *hip_errname(int e)
{
	const char *s = hip.GetErrorName ? hip.GetErrorName(e) : NULL;

	return s ? s : "hipError?";
}

static const char *hip_errstr(int e)
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

/* statuses of a module lookup that mean "not there" */
static const int hip_missing[] = { hipErrorNotFound, hipErrorInvalidDeviceFunction,
				   hipErrorInvalidValue, 0 };

static int hip_enter(struct vgpu_gpu_ctx *g);
static int hip_load_image(struct vgpu_gpu_ctx *g, const void *image, size_t len, int format,
			  void **mod);

static const struct vgpu_gpu_vendor hip_vendor = {
	.name = "hip",
	.ok = hipSuccess,
	.not_ready = hipErrorNotReady,
	.already_registered = hipErrorHostMemoryAlreadyRegistered,
	.not_registered = hipErrorHostMemoryNotRegistered,
	.errnos = hip_errnos,
	.missing = hip_missing,
	.errname = hip_errname,
	.errstr = hip_errstr,
	.stream_flags = hipStreamDefault,
	.event_flags = hipEventDisableTiming,
	.register_flags = hipHostRegisterPortable,
	.names = &hip_names,
	.call = &hip_call,
	.rtc = &hip_rtc,
	.enter = hip_enter,
	.module_load = hip_load_image,
};

static int hip_fail(int status, const char *what)
{
	return vgpu_gpu_fail(&hip_vendor, status, what);
}

/* hiprtc: libhiprtc.so.N (ROCm 6+) or inside libamdhip64 (HIP 5.x) */
static void hiprtc_load(void)
{
	static const char *const names[] = { "libhiprtc.so.7", "libhiprtc.so.6", "libhiprtc.so.5",
					     "libhiprtc.so", "/opt/rocm/lib/libhiprtc.so", NULL };
	char path[64];
	struct vgpu_gpu_rtc_calls rtc;
	const char *missing = NULL;
	void *lib = vgpu_gpu_open_first(names, path, sizeof(path));

	if (!lib)
		lib = hip.lib;
#define RS(f, s) f = (__typeof__(f))vgpu_gpu_sym(lib, s, &missing)
	RS(rtc.error_string, "hiprtcGetErrorString");
	RS(hip.rtcVersion, "hiprtcVersion");
	RS(rtc.create, "hiprtcCreateProgram");
	RS(rtc.destroy, "hiprtcDestroyProgram");
	RS(rtc.compile, "hiprtcCompileProgram");
	RS(hip.rtcGetCodeSize, "hiprtcGetCodeSize");
	RS(hip.rtcGetCode, "hiprtcGetCode");
	RS(rtc.log_size, "hiprtcGetProgramLogSize");
	RS(rtc.log, "hiprtcGetProgramLog");
#undef RS
	/* optional: older HIP lacks name expressions */
	rtc.add_name = (__typeof__(rtc.add_name))dlsym(lib, "hiprtcAddNameExpression");
	rtc.lowered_name = (__typeof__(rtc.lowered_name))dlsym(lib, "hiprtcGetLoweredName");
	if (missing || hip.rtcVersion(&hip_rtc.major, &hip_rtc.minor) != HIPRTC_SUCCESS) {
		if (lib != hip.lib)
			dlclose(lib);
		return;
	}
	hip_rtc.call = rtc;
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
	HS(ModuleLoadData, "hipModuleLoadData");
#undef HS
	vgpu_gpu_load_calls(hip.lib, &hip_names, &hip_call, &missing);
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

static struct vgpu_gpu_probe hip_probed = { .load = hip_load, .lock = PTHREAD_MUTEX_INITIALIZER };

static int hip_probe(void)
{
	return vgpu_gpu_probe(&hip_probed);
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
	int major = 0, minor = 0, v = vgpu_gpu_check_device(&hip_vendor, &hip_probed, index, -ENOENT);
	hipError_t e;

	if (v)
		return v;
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
	struct vgpu_gpu_ctx g;		/* first: the shared ops' view (gpu.h) */
	int dev;
	char arch[64];
};

static int hip_enter(struct vgpu_gpu_ctx *g)
{
	hipError_t e = hip.SetDevice(((struct hip_ctx *)g)->dev);

	return e == hipSuccess ? 0 : hip_fail(e, "hipSetDevice");
}

static int hip_ctx_create(const struct vgpu_bk_init *init, void **out, uint64_t *mem_overhead)
{
	struct hip_ctx *c;
	size_t f0 = 0, f1 = 0, t = 0;
	uint64_t p;
	int ret = vgpu_gpu_check_device(&hip_vendor, &hip_probed, init->device, -ENODEV);

	if (ret)
		return ret;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	vgpu_gpu_ctx_init(&c->g, &hip_vendor);
	c->dev = init->device;
	ret = hip_enter(&c->g);
	if (ret) {
		vgpu_gpu_ctx_fini(&c->g);
		free(c);
		return ret;
	}
	hip_call.mem_get_info(&f0, &t);
	/* make the runtime set up the device (first use allocates) */
	if (hip_call.mem_alloc(&p, 256) == hipSuccess)
		hip_call.mem_free(p);
	hip_call.ctx_sync();
	hip_call.mem_get_info(&f1, &t);
	*mem_overhead = f0 > f1 ? f0 - f1 : 0;
	hip_arch(c->dev, c->arch, sizeof(c->arch));
	snprintf(c->g.target, sizeof(c->g.target), "%s hiprtc-%d.%d hip-%d",
		 c->arch[0] ? c->arch : "gfx?", hip_rtc.major, hip_rtc.minor, hip.runtime_version);
	*out = c;
	return 0;
}

static void hip_ctx_destroy(void *ctx)
{
	struct hip_ctx *c = ctx;

	if (!c)
		return;
	if (hip_enter(&c->g) == 0) {
		hip_call.ctx_sync();
		vgpu_gpu_timer_free(&c->g);
	}
	vgpu_gpu_ctx_fini(&c->g);
	free(c);
}

/*
 * hiprtc takes the same source as NVRTC (gpu/compile.c), with the descriptor
 * machinery in front (the user's lines keep their numbers), compiled for the
 * device's gfx architecture.
 */
static int hip_compile(void *ctx, const struct vgpu_bk_source *src, void **blob, size_t *len,
		       char **log)
{
	struct hip_ctx *c = ctx;
	struct vgpu_gpu_build b = {
		.prelude = "", .code_size = hip.rtcGetCodeSize, .code = hip.rtcGetCode,
		.code_kind = "code object", .code_call = "hiprtcGetCode",
	};
	char arch[96];

	*blob = NULL;
	*len = 0;
	*log = NULL;
	if (!hip_rtc.call.compile) {
		vgpu_bk_seterr("hip: hiprtc not found (libhiprtc.so.N or hiprtc in %s)", hip.libpath);
		return -ENODEV;
	}
	if (src->nr_names && (!hip_rtc.call.add_name || !hip_rtc.call.lowered_name)) {
		vgpu_bk_seterr("hip: this hiprtc has no hiprtcAddNameExpression: kernels by name "
			       "expression need ROCm 5.3 or newer");
		return -ENOEXEC;
	}
	snprintf(arch, sizeof(arch), "--offload-arch=%s", c->arch);
	if (c->arch[0])
		b.opts[b.nopts++] = arch;
	b.target = c->arch;
	return vgpu_gpu_compile(&hip_vendor, &b, src, blob, len, log);
}

/* gpu.h: module_load; code objects are ELF (e_machine EM_AMDGPU = 224) or
 * clang offload bundles */
static int hip_load_image(struct vgpu_gpu_ctx *g, const void *blob, size_t len, int format,
			  void **mod)
{
	const unsigned char *b = blob;
	hipModule_t m;
	hipError_t e;
	int ret;

	(void)g;
	if (format == VGPU_IMAGE_PTX || format == VGPU_IMAGE_CUBIN || format == VGPU_IMAGE_NATIVE ||
	    (format == VGPU_IMAGE_AUTO &&
	     !(len >= 20 && b[0] == 0x7f && b[1] == 'E' && (b[18] | b[19] << 8) == 224) &&
	     !(len >= 24 && memcmp(b, "__CLANG_OFFLOAD_BUNDLE__", 24) == 0))) {
		vgpu_bk_seterr("hip: not a HIP code object");
		return -EINVAL;
	}
	e = hip.ModuleLoadData(&m, blob);
	if (e != hipSuccess) {
		ret = hip_fail(e, "hipModuleLoadData");
		return ret == -EINVAL ? -ENOEXEC : ret;
	}
	*mod = m;
	return 0;
}

const struct vgpu_backend_ops vgpu_backend_hip = {
	.name = "hip",
	.kind = VGPU_BACKEND_HIP,
	.probe = hip_probe,
	.device_props = hip_device_props,
	.ctx_create = hip_ctx_create,
	.ctx_destroy = hip_ctx_destroy,
	.compile = hip_compile,
	VGPU_GPU_OPS,
};
