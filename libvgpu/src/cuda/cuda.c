// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgpu's CUDA backend: the driver API (libcuda.so.1) and
 * NVRTC (the newest libnvrtc.so.N found), both loaded with dlopen() at probe
 * time, so that libvgpu builds and runs where CUDA is absent ("no CUDA" is
 * then a clean -ENODEV with its reason).
 *
 * Contexts. Each libvgpu context is its own CUcontext (cuCtxCreate_v2), made
 * current on the calling thread by every op that needs it. Its device-memory
 * overhead is measured as the device's free memory before minus after
 * creating it, warm-up included (a tiny module is loaded and launched so that
 * the driver's lazily allocated per-context memory is counted too). "Before"
 * comes from NVML when libnvidia-ml.so.1 is there (device-wide, needs no
 * context), else from cuMemGetInfo in a context already current on the
 * thread, else from a temporary second context.
 *
 * Copies. Synchronous host<->device copies of pageable memory of at least
 * 4 MiB are staged through pinned bounce buffers (2 MiB chunks) by a
 * small pool of threads (one CUDA stream and two pinned slots each, chunks
 * handed out dynamically), which overlaps the CPU's copy into pinned memory
 * with DMA and spreads that copy over several cores: the driver's own pageable
 * path is single-threaded. Host memory registered through @host_register
 * (vgpu_host_alloc) is copied directly. Staged copies first wait for work
 * queued earlier on the legacy default stream (hence on every blocking
 * stream), as cuMemcpyHtoD would. Environment VGPU_CUDA_STAGING=
 * "threads,chunk_kib,min_kib" tunes it; "0" turns it off.
 *
 * Compile. NVRTC compiles for the device's real architecture
 * (--gpu-arch=sm_XY) and returns a cubin; if NVRTC does not know the device
 * (a GPU newer than the toolkit), it compiles PTX for its newest virtual
 * architecture and the driver JIT-compiles it at load. -default-device lets
 * unannotated helpers be device functions, as on the CPU backend; a small
 * pre-included header supplies the fixed-width integer types. The target id
 * (part of every cache key) names the architecture, the output kind, NVRTC's
 * version and the driver's CUDA version.
 *
 * Waiting. Synchronize without a timeout uses the blocking CUDA call; with a
 * timeout it polls cuStreamQuery/cuEventQuery, spinning briefly and then
 * sleeping with exponential backoff (at most 1 ms), and returns -ETIME.
 *
 * Most backend ops are src/gpu's (ops.c, compile.c) over cu_vendor: this
 * file names CUDA's entry points and does what only CUDA does.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "core/env.h"
#include "core/workers.h"
#include "gpu/gpu.h"
#include "gpu/gpu_decls.h"

#define CU_PRELUDE_NAME "vgpu_cuda_prelude.h"
#define CU_PRELUDE_VERSION 2
/*
 * The fixed-width types as CCCL/libcu++ declares them (<cuda/std/cstdint>:
 * 64-bit types are long long), so that a source including the toolkit's
 * headers redeclares the same types, which C++ allows. The signature
 * descriptor (core/devsig.c) follows.
 */
static const char cu_prelude_types[] =
	"#pragma once\n"
	"#define VGPU_BACKEND_CUDA 1\n"
	"typedef signed char int8_t;\n"
	"typedef unsigned char uint8_t;\n"
	"typedef short int16_t;\n"
	"typedef unsigned short uint16_t;\n"
	"typedef int int32_t;\n"
	"typedef unsigned int uint32_t;\n"
	"typedef long long int64_t;\n"
	"typedef unsigned long long uint64_t;\n"
	"typedef decltype(sizeof(0)) size_t;\n"
	"typedef decltype((char *)0 - (char *)0) ptrdiff_t;\n"
	"typedef long long intptr_t;\n"
	"typedef unsigned long long uintptr_t;\n";

/* ---------------------------------------------------------------- loading */

/* the entry points both vendors have (gpu.h), as libcuda.so.1 names them */
static const struct vgpu_gpu_call_names cu_names = {
	.mem_get_info = "cuMemGetInfo_v2",
	.mem_alloc = "cuMemAlloc_v2",
	.mem_free = "cuMemFree_v2",
	.host_register = "cuMemHostRegister_v2",
	.host_unregister = "cuMemHostUnregister",
	.htod = "cuMemcpyHtoD_v2",
	.dtoh = "cuMemcpyDtoH_v2",
	.dtod = "cuMemcpyDtoD_v2",
	.htod_async = "cuMemcpyHtoDAsync_v2",
	.dtoh_async = "cuMemcpyDtoHAsync_v2",
	.dtod_async = "cuMemcpyDtoDAsync_v2",
	.stream_create = "cuStreamCreate",
	.stream_destroy = "cuStreamDestroy_v2",
	.stream_sync = "cuStreamSynchronize",
	.stream_query = "cuStreamQuery",
	.event_create = "cuEventCreate",
	.event_destroy = "cuEventDestroy_v2",
	.event_record = "cuEventRecord",
	.event_query = "cuEventQuery",
	.event_sync = "cuEventSynchronize",
	.event_elapsed = "cuEventElapsedTime",
	.ctx_sync = "cuCtxSynchronize",
	.module_unload = "cuModuleUnload",
	.module_get_function = "cuModuleGetFunction",
	.module_get_global = "cuModuleGetGlobal_v2",
	.launch = "cuLaunchKernel",
};

static struct vgpu_gpu_calls cu_call;

/* what only CUDA calls */
static struct {
	void *lib;
	vg_cuInit_t Init;
	vg_cuDriverGetVersion_t DriverGetVersion;
	vg_cuGetErrorString_t GetErrorString;
	vg_cuGetErrorName_t GetErrorName;
	vg_cuDeviceGetCount_t DeviceGetCount;
	vg_cuDeviceGet_t DeviceGet;
	vg_cuDeviceGetName_t DeviceGetName;
	vg_cuDeviceGetAttribute_t DeviceGetAttribute;
	vg_cuDeviceTotalMem_t DeviceTotalMem;
	vg_cuDeviceGetPCIBusId_t DeviceGetPCIBusId;
	vg_cuCtxCreate_t CtxCreate;
	vg_cuCtxDestroy_t CtxDestroy;
	vg_cuCtxSetCurrent_t CtxSetCurrent;
	vg_cuCtxGetCurrent_t CtxGetCurrent;
	vg_cuMemAllocHost_t MemAllocHost;
	vg_cuMemFreeHost_t MemFreeHost;
	vg_cuModuleLoadDataEx_t ModuleLoadDataEx;
	vg_cuFuncGetParamInfo_t FuncGetParamInfo;	/* CUDA >= 12.4, else NULL */
	vg_cuFuncGetAttribute_t FuncGetAttribute;
	vg_cuFuncSetAttribute_t FuncSetAttribute;
	vg_cuStreamWaitEvent_t StreamWaitEvent;
	int driver_version;		/* e.g. 13000 */
	int ndev;
} cu;

static struct vgpu_gpu_rtc cu_rtc = { .label = "NVRTC", .prefix = "nvrtc", .oom = NVRTC_ERROR_OUT_OF_MEMORY };

/* NVRTC: cu_rtc, and what only it has */
static struct {
	void *lib;
	char path[64];
	vg_nvrtcVersion_t Version;
	vg_nvrtcGetNumSupportedArchs_t GetNumSupportedArchs;
	vg_nvrtcGetSupportedArchs_t GetSupportedArchs;
	int (*GetPTXSize)(void *prog, size_t *n), (*GetCUBINSize)(void *prog, size_t *n);
	int (*GetPTX)(void *prog, char *out), (*GetCUBIN)(void *prog, char *out);
	char include[3][1024];		/* the toolkit's headers, for -I (may be empty) */
	int max_arch;			/* newest sm NVRTC supports, e.g. 120 */
	int min_arch;
	char why[256];			/* why it is not loaded */
} nvrtc;

static struct {
	void *lib;
	bool tried, ok;
	vg_nvmlDeviceGetHandleByPciBusId_t GetHandleByPciBusId;
	vg_nvmlDeviceGetMemoryInfo_t GetMemoryInfo;
} nvml;

static pthread_mutex_t nvml_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *cu_errname(int r)
{
	const char *s = NULL;

	if (cu.GetErrorName && cu.GetErrorName(r, &s) == CUDA_SUCCESS && s)
		return s;
	return "CUDA_ERROR_?";
}

static const char *cu_errstr(int r)
{
	const char *s = NULL;

	if (cu.GetErrorString && cu.GetErrorString(r, &s) == CUDA_SUCCESS && s)
		return s;
	return "unknown error";
}

static const struct vgpu_gpu_errno cu_errnos[] = {
	{ CUDA_ERROR_OUT_OF_MEMORY, -ENOMEM },
	{ CUDA_ERROR_INVALID_VALUE, -EINVAL },
	{ CUDA_ERROR_INVALID_HANDLE, -EINVAL },
	{ CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, -EINVAL },
	{ CUDA_ERROR_NO_DEVICE, -ENODEV },
	{ CUDA_ERROR_INVALID_DEVICE, -ENODEV },
	{ CUDA_ERROR_STUB_LIBRARY, -ENODEV },
	{ CUDA_ERROR_INSUFFICIENT_DRIVER, -ENODEV },
	{ CUDA_ERROR_SYSTEM_DRIVER_MISMATCH, -ENODEV },
	{ CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE, -ENODEV },
	{ CUDA_ERROR_DEVICE_UNAVAILABLE, -ENODEV },
	{ CUDA_ERROR_SYSTEM_NOT_READY, -ENODEV },
	{ CUDA_ERROR_NOT_INITIALIZED, -ENODEV },
	{ CUDA_ERROR_DEINITIALIZED, -ENODEV },
	{ CUDA_ERROR_INVALID_IMAGE, -ENOEXEC },
	{ CUDA_ERROR_INVALID_PTX, -ENOEXEC },
	{ CUDA_ERROR_NO_BINARY_FOR_GPU, -ENOEXEC },
	{ CUDA_ERROR_UNSUPPORTED_PTX_VERSION, -ENOEXEC },
	{ CUDA_ERROR_INVALID_SOURCE, -ENOEXEC },
	{ CUDA_ERROR_NOT_FOUND, -ENOENT },
	{ CUDA_ERROR_TIMEOUT, -ETIME },
	{ CUDA_ERROR_LAUNCH_TIMEOUT, -ETIME },
	{ 0, 0 },
};

/* statuses after which the context is unusable */
static const int cu_faults[] = {
	CUDA_ERROR_ILLEGAL_ADDRESS, CUDA_ERROR_LAUNCH_FAILED, CUDA_ERROR_ILLEGAL_INSTRUCTION,
	CUDA_ERROR_MISALIGNED_ADDRESS, CUDA_ERROR_HARDWARE_STACK_ERROR, CUDA_ERROR_INVALID_PC,
	CUDA_ERROR_ASSERT, CUDA_ERROR_INVALID_ADDRESS_SPACE, 0,
};

/* statuses of a module lookup that mean "not there" */
static const int cu_missing[] = { CUDA_ERROR_NOT_FOUND, CUDA_ERROR_INVALID_VALUE, 0 };

static int cu_enter(struct vgpu_gpu_ctx *g);
static int cu_stage(struct vgpu_gpu_ctx *g, bool to_dev, void *host, uint64_t dev, size_t n, int *ret);
static int cu_load_image(struct vgpu_gpu_ctx *g, const void *image, size_t len, int format, void **mod);
static int cu_launch(struct vgpu_gpu_ctx *g, void *fn, const struct vgpu_bk_launch *l);
static int cu_param_info(void *fn, struct vgpu_kinfo *out);

static const struct vgpu_gpu_vendor cu_vendor = {
	.name = "cuda",
	.ok = CUDA_SUCCESS,
	.not_ready = CUDA_ERROR_NOT_READY,
	.already_registered = CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED,
	.not_registered = CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED,
	.errnos = cu_errnos,
	.missing = cu_missing,
	.faults = cu_faults,
	.fault_text = "; a device fault: this context, and with current drivers CUDA in this whole "
		      "process, is unusable from now on",
	.errname = cu_errname,
	.errstr = cu_errstr,
	.stream_flags = CU_STREAM_DEFAULT,
	.event_flags = CU_EVENT_DISABLE_TIMING,
	.register_flags = CU_MEMHOSTREGISTER_PORTABLE,
	.names = &cu_names,
	.call = &cu_call,
	.rtc = &cu_rtc,
	.enter = cu_enter,
	.stage = cu_stage,
	.module_load = cu_load_image,
	.launch = cu_launch,
	.launch_enters = true,
	.sig_fallback = cu_param_info,
};

static int cu_fail(int status, const char *what)
{
	return vgpu_gpu_fail(&cu_vendor, status, what);
}

static bool is_dir_with(const char *dir, const char *file)
{
	char p[1200];

	snprintf(p, sizeof(p), "%.1000s/%.150s", dir, file);
	return access(p, R_OK) == 0;
}

/*
 * The toolkit's headers (<cooperative_groups.h>, <cuda/std/...>, <cuda_fp16.h>)
 * for NVRTC, which has no include path of its own: env VGPU_CUDA_INCLUDE (a
 * directory; "none": no path), else $CUDA_HOME/include, $CUDA_PATH/include,
 * the include directory next to the loaded libnvrtc, /usr/local/cuda/include.
 * CUDA 13 keeps CCCL (libcu++, CUB, Thrust) in include/cccl: added too.
 */
static void nvrtc_find_include(void)
{
	const char *env = getenv("VGPU_CUDA_INCLUDE");
	char cand[4][1024];
	int n = 0;
	Dl_info di;

	memset(nvrtc.include, 0, sizeof(nvrtc.include));
	if (env && !strcmp(env, "none"))
		return;
	if (env && *env) {
		snprintf(cand[n++], sizeof(cand[0]), "%.1000s", env);
	} else {
		const char *h = getenv("CUDA_HOME"), *p = getenv("CUDA_PATH");

		if (h && *h)
			snprintf(cand[n++], sizeof(cand[0]), "%.1000s/include", h);
		if (p && *p)
			snprintf(cand[n++], sizeof(cand[0]), "%.1000s/include", p);
		if (dladdr((void *)nvrtc.Version, &di) && di.dli_fname) {
			char lib[1000], *slash;

			snprintf(lib, sizeof(lib), "%s", di.dli_fname);
			slash = strrchr(lib, '/');
			if (slash) {
				*slash = 0;		/* .../lib64 */
				slash = strrchr(lib, '/');
				if (slash) {
					*slash = 0;	/* the toolkit's root */
					snprintf(cand[n++], sizeof(cand[0]), "%.1000s/include", lib);
				}
			}
		}
		snprintf(cand[n++], sizeof(cand[0]), "/usr/local/cuda/include");
	}
	for (int i = 0; i < n; i++) {
		if (!is_dir_with(cand[i], "cuda_runtime.h") && !is_dir_with(cand[i], "cooperative_groups.h"))
			continue;
		snprintf(nvrtc.include[0], sizeof(nvrtc.include[0]), "%.1000s", cand[i]);
		if (is_dir_with(cand[i], "cccl/cuda/std/cstdint"))
			snprintf(nvrtc.include[1], sizeof(nvrtc.include[1]), "%.1000s/cccl", cand[i]);
		return;
	}
}

static int nvrtc_try(const char *path)
{
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	struct vgpu_gpu_rtc_calls rtc;
	const char *missing = NULL;
	int major = 0, minor = 0;

	if (!lib)
		return -ENOENT;
#define NS(f, s) f = (__typeof__(f))vgpu_gpu_sym(lib, s, &missing)
	NS(rtc.error_string, "nvrtcGetErrorString");
	NS(nvrtc.Version, "nvrtcVersion");
	NS(rtc.create, "nvrtcCreateProgram");
	NS(rtc.destroy, "nvrtcDestroyProgram");
	NS(rtc.compile, "nvrtcCompileProgram");
	NS(nvrtc.GetPTXSize, "nvrtcGetPTXSize");
	NS(nvrtc.GetPTX, "nvrtcGetPTX");
	NS(rtc.log_size, "nvrtcGetProgramLogSize");
	NS(rtc.log, "nvrtcGetProgramLog");
	NS(rtc.add_name, "nvrtcAddNameExpression");
	NS(rtc.lowered_name, "nvrtcGetLoweredName");
#undef NS
	/* optional: CUBIN since CUDA 11.1, supported-arch list since 11.2 */
	nvrtc.GetCUBINSize = (__typeof__(nvrtc.GetCUBINSize))dlsym(lib, "nvrtcGetCUBINSize");
	nvrtc.GetCUBIN = (__typeof__(nvrtc.GetCUBIN))dlsym(lib, "nvrtcGetCUBIN");
	nvrtc.GetNumSupportedArchs = (vg_nvrtcGetNumSupportedArchs_t)dlsym(lib, "nvrtcGetNumSupportedArchs");
	nvrtc.GetSupportedArchs = (vg_nvrtcGetSupportedArchs_t)dlsym(lib, "nvrtcGetSupportedArchs");
	if (missing || nvrtc.Version(&major, &minor) != NVRTC_SUCCESS) {
		dlclose(lib);
		return -ENOENT;
	}
	nvrtc.lib = lib;
	cu_rtc.call = rtc;
	cu_rtc.major = major;
	cu_rtc.minor = minor;
	snprintf(nvrtc.path, sizeof(nvrtc.path), "%s", path);
	nvrtc_find_include();
	nvrtc.min_arch = 0;
	nvrtc.max_arch = 0;
	if (nvrtc.GetNumSupportedArchs && nvrtc.GetSupportedArchs) {
		int n = 0;

		if (nvrtc.GetNumSupportedArchs(&n) == NVRTC_SUCCESS && n > 0 && n < 1024) {
			int *a = calloc(n, sizeof(*a));

			if (a && nvrtc.GetSupportedArchs(a) == NVRTC_SUCCESS) {
				nvrtc.min_arch = a[0];
				for (int i = 0; i < n; i++) {
					if (a[i] > nvrtc.max_arch)
						nvrtc.max_arch = a[i];
					if (a[i] < nvrtc.min_arch)
						nvrtc.min_arch = a[i];
				}
			}
			free(a);
		}
	}
	return 0;
}

/*
 * The newest NVRTC whose major version the driver supports (a cubin or PTX
 * from a newer toolkit may not load); if none qualifies, the newest found.
 * VGPU_NVRTC_LIBRARY names one explicitly.
 */
static void nvrtc_load(void)
{
	const char *env = getenv("VGPU_NVRTC_LIBRARY");
	static const char *const dirs[] = { "", "/usr/local/cuda/lib64/", "/usr/local/cuda/lib/",
					    "/usr/lib/x86_64-linux-gnu/", NULL };
	int driver_major = cu.driver_version / 1000;
	char path[64];

	if (env && *env) {
		if (nvrtc_try(env))
			snprintf(nvrtc.why, sizeof(nvrtc.why), "NVRTC: cannot load %s (VGPU_NVRTC_LIBRARY)", env);
		return;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (int v = 20; v >= 10; v--) {
			if (pass == 0 && driver_major && v > driver_major)
				continue;
			for (int d = 0; dirs[d]; d++) {
				snprintf(path, sizeof(path), "%slibnvrtc.so.%d", dirs[d], v);
				if (nvrtc_try(path) == 0)
					return;
			}
		}
	}
	if (nvrtc_try("libnvrtc.so") == 0)
		return;
	snprintf(nvrtc.why, sizeof(nvrtc.why),
		 "NVRTC not found (libnvrtc.so.20 ... .10 on the loader path or /usr/local/cuda/lib64; "
		 "set VGPU_NVRTC_LIBRARY)");
}

static int cu_load(void)
{
	const char *env = getenv("VGPU_CUDA_LIBRARY");
	const char *path = env && *env ? env : "libcuda.so.1";
	const char *missing = NULL;
	CUresult r;
	void *lib;

	lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		const char *e = dlerror();

		vgpu_bk_seterr("no CUDA: cannot load %s: %s", path, e ? e : "?");
		return -ENODEV;
	}
#define CS(f, s) cu.f = (__typeof__(cu.f))vgpu_gpu_sym(lib, s, &missing)
	CS(Init, "cuInit");
	CS(DriverGetVersion, "cuDriverGetVersion");
	CS(GetErrorString, "cuGetErrorString");
	CS(GetErrorName, "cuGetErrorName");
	CS(DeviceGetCount, "cuDeviceGetCount");
	CS(DeviceGet, "cuDeviceGet");
	CS(DeviceGetName, "cuDeviceGetName");
	CS(DeviceGetAttribute, "cuDeviceGetAttribute");
	CS(DeviceTotalMem, "cuDeviceTotalMem_v2");
	CS(DeviceGetPCIBusId, "cuDeviceGetPCIBusId");
	CS(CtxCreate, "cuCtxCreate_v2");
	CS(CtxDestroy, "cuCtxDestroy_v2");
	CS(CtxSetCurrent, "cuCtxSetCurrent");
	CS(CtxGetCurrent, "cuCtxGetCurrent");
	CS(MemAllocHost, "cuMemAllocHost_v2");
	CS(MemFreeHost, "cuMemFreeHost");
	CS(ModuleLoadDataEx, "cuModuleLoadDataEx");
	CS(FuncGetAttribute, "cuFuncGetAttribute");
	CS(FuncSetAttribute, "cuFuncSetAttribute");
	CS(StreamWaitEvent, "cuStreamWaitEvent");
#undef CS
	vgpu_gpu_load_calls(lib, &cu_names, &cu_call, &missing);
	cu.FuncGetParamInfo = (vg_cuFuncGetParamInfo_t)dlsym(lib, "cuFuncGetParamInfo");
	if (missing) {
		vgpu_bk_seterr("no CUDA: %s lacks %s (driver too old?)", path, missing);
		dlclose(lib);
		memset(&cu, 0, sizeof(cu));
		memset(&cu_call, 0, sizeof(cu_call));
		return -ENODEV;
	}
	cu.lib = lib;
	r = cu.Init(0);
	if (r != CUDA_SUCCESS) {
		cu_fail(r, "cuInit");
		vgpu_bk_seterr("no CUDA device: cuInit: %s (%s)", cu_errname(r), cu_errstr(r));
		return -ENODEV;
	}
	if (cu.DriverGetVersion(&cu.driver_version) != CUDA_SUCCESS)
		cu.driver_version = 0;
	r = cu.DeviceGetCount(&cu.ndev);
	if (r != CUDA_SUCCESS) {
		vgpu_bk_seterr("no CUDA device: cuDeviceGetCount: %s (%s)", cu_errname(r), cu_errstr(r));
		return -ENODEV;
	}
	nvrtc_load();
	if (cu.ndev == 0) {
		vgpu_bk_seterr("no CUDA device: the driver (CUDA %d) reports 0 devices", cu.driver_version);
		return -ENODEV;
	}
	return cu.ndev;
}

static struct vgpu_gpu_probe cu_probed = { .load = cu_load, .lock = PTHREAD_MUTEX_INITIALIZER };

static int cu_probe(void)
{
	return vgpu_gpu_probe(&cu_probed);
}

static void nvml_load(void)
{
	const char *missing = NULL;
	vg_nvmlInit_t init;
	bool no_nvml;

	pthread_mutex_lock(&nvml_lock);
	if (nvml.tried)
		goto out;
	nvml.tried = true;
	if (!vgpu_env_bool("VGPU_CUDA_NO_NVML", &no_nvml) && no_nvml)
		goto out;
	nvml.lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!nvml.lib)
		goto out;
	init = (vg_nvmlInit_t)vgpu_gpu_sym(nvml.lib, "nvmlInit_v2", &missing);
	nvml.GetHandleByPciBusId = (vg_nvmlDeviceGetHandleByPciBusId_t)
		vgpu_gpu_sym(nvml.lib, "nvmlDeviceGetHandleByPciBusId_v2", &missing);
	nvml.GetMemoryInfo = (vg_nvmlDeviceGetMemoryInfo_t)vgpu_gpu_sym(nvml.lib, "nvmlDeviceGetMemoryInfo", &missing);
	if (missing || init() != NVML_SUCCESS) {
		dlclose(nvml.lib);
		nvml.lib = NULL;
		goto out;
	}
	nvml.ok = true;
out:
	pthread_mutex_unlock(&nvml_lock);
}

/* ---------------------------------------------------------------- devices */

static int cu_attr(CUdevice d, int attr)
{
	int v = 0;

	if (cu.DeviceGetAttribute(&v, attr, d) != CUDA_SUCCESS)
		return 0;
	return v;
}

static int cu_device_props(int index, struct vgpu_bk_devprops *p)
{
	CUdevice d;
	size_t total = 0;
	CUresult r;
	int v = vgpu_gpu_check_device(&cu_vendor, &cu_probed, index, -ENOENT);

	if (v)
		return v;
	r = cu.DeviceGet(&d, index);
	if (r != CUDA_SUCCESS)
		return cu_fail(r, "cuDeviceGet");
	memset(p, 0, sizeof(*p));
	r = cu.DeviceGetName(p->name, sizeof(p->name) - 1, d);
	if (r != CUDA_SUCCESS)
		return cu_fail(r, "cuDeviceGetName");
	r = cu.DeviceTotalMem(&total, d);
	if (r != CUDA_SUCCESS)
		return cu_fail(r, "cuDeviceTotalMem");
	p->total_mem = total;
	p->cc_major = cu_attr(d, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
	p->cc_minor = cu_attr(d, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
	p->multiprocessors = cu_attr(d, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
	p->max_threads_per_block = cu_attr(d, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK);
	/* launches raise the dynamic shared limit as needed: report the opt-in maximum */
	v = cu_attr(d, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
	if (v <= 0)
		v = cu_attr(d, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK);
	p->max_shared_per_block = v;
	p->warp_size = cu_attr(d, CU_DEVICE_ATTRIBUTE_WARP_SIZE);
	return 0;
}

/* ---------------------------------------------------------------- context */

struct cu_staging;

struct cu_ctx {
	struct vgpu_gpu_ctx g;		/* first: the shared ops' view (gpu.h) */
	CUcontext ctx;
	CUdevice dev;
	int ordinal;
	int cc_major, cc_minor;
	int shared_optin;		/* largest dynamic shared memory per block */
	bool cubin;			/* NVRTC knows the real arch */
	int arch;			/* sm number compiled for */
	void *warm;			/* warm-up module, kept loaded */
	struct cu_staging *stg;		/* created under g.lock */
	bool stg_failed;
	uint64_t id;			/* never reused, unlike a CUcontext's address */
};

/*
 * The context libvgpu last made current on this thread (its id), or 0:
 * a hint, not the truth. The application may make another one current
 * behind libvgpu's back; only an asynchronous launch trusts it (cu_launch),
 * and checks when the launch fails. Every other call asks the driver.
 */
static __thread uint64_t cu_cur_id;
static atomic_uint_least64_t cu_ids;

static int ctx_enter(struct cu_ctx *c)
{
	CUcontext cur = NULL;
	CUresult r;

	if (cu.CtxGetCurrent(&cur) == CUDA_SUCCESS && cur == c->ctx) {
		cu_cur_id = c->id;
		return 0;
	}
	cu_cur_id = 0;
	r = cu.CtxSetCurrent(c->ctx);
	if (r != CUDA_SUCCESS)
		return cu_fail(r, "cuCtxSetCurrent");
	cu_cur_id = c->id;
	return 0;
}

/* make @ctx current on this thread, not as a session's: the hint is lost */
static void ctx_set_other(CUcontext ctx)
{
	cu_cur_id = 0;
	cu.CtxSetCurrent(ctx);
}

static int cu_enter(struct vgpu_gpu_ctx *g)
{
	return ctx_enter((struct cu_ctx *)g);
}

/* Device-wide free memory without needing a context, or -1. */
static long long nvml_free(CUdevice d)
{
	char bus[32];
	nvmlDevice_t h;
	nvmlMemory_t m;

	nvml_load();
	if (!nvml.ok)
		return -1;
	if (cu.DeviceGetPCIBusId(bus, sizeof(bus), d) != CUDA_SUCCESS)
		return -1;
	if (nvml.GetHandleByPciBusId(bus, &h) != NVML_SUCCESS)
		return -1;
	if (nvml.GetMemoryInfo(h, &m) != NVML_SUCCESS)
		return -1;
	return (long long)m.free;
}

/* Free memory seen from the current context, or -1. */
static long long cur_free(void)
{
	size_t f = 0, t = 0;

	if (cu_call.mem_get_info(&f, &t) != CUDA_SUCCESS)
		return -1;
	return (long long)f;
}

/* A kernel that touches nothing, as PTX for any architecture the driver JITs. */
static const char warm_ptx[] =
	".version 6.0\n"
	".target sm_50\n"
	".address_size 64\n"
	".visible .entry vgpu_warm()\n"
	"{\n"
	"	ret;\n"
	"}\n";

static int ctx_warm_up(struct cu_ctx *c)
{
	CUmodule m;
	void *f;
	CUresult r;

	r = cu.ModuleLoadDataEx(&m, warm_ptx, 0, NULL, NULL);
	if (r != CUDA_SUCCESS)
		return cu_fail(r, "loading the warm-up module");
	c->warm = m;
	r = cu_call.module_get_function(&f, c->warm, "vgpu_warm");
	if (r == CUDA_SUCCESS)
		r = cu_call.launch(f, 1, 1, 1, 1, 1, 1, 0, NULL, NULL, NULL);
	if (r == CUDA_SUCCESS)
		r = cu_call.ctx_sync();
	if (r != CUDA_SUCCESS)
		return cu_fail(r, "warm-up launch");
	return 0;
}

static void cu_target(struct cu_ctx *c)
{
	int sm = c->cc_major * 10 + c->cc_minor;

	c->cubin = nvrtc.lib && nvrtc.GetCUBIN &&
		   (nvrtc.max_arch == 0 || (sm <= nvrtc.max_arch && sm >= nvrtc.min_arch));
	c->arch = c->cubin || !nvrtc.max_arch ? sm : nvrtc.max_arch;
	snprintf(c->g.target, sizeof(c->g.target), "%s_%d %s nvrtc-%d.%d cuda-%d prelude-%d inc=%.100s",
		 c->cubin ? "sm" : "compute", c->arch, c->cubin ? "cubin" : "ptx",
		 cu_rtc.major, cu_rtc.minor, cu.driver_version, CU_PRELUDE_VERSION, nvrtc.include[0]);
}

static void stg_destroy(struct cu_ctx *c);

static int cu_ctx_create(const struct vgpu_bk_init *init, void **out, uint64_t *mem_overhead)
{
	struct cu_ctx *c;
	CUcontext prev = NULL, tmp = NULL;
	long long before, after;
	bool use_nvml;
	CUresult r;
	int ret;

	ret = vgpu_gpu_check_device(&cu_vendor, &cu_probed, init->device, -ENODEV);
	if (ret)
		return ret;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	vgpu_gpu_ctx_init(&c->g, &cu_vendor);
	c->id = atomic_fetch_add(&cu_ids, 1) + 1;
	c->ordinal = init->device;
	r = cu.DeviceGet(&c->dev, init->device);
	if (r != CUDA_SUCCESS) {
		ret = cu_fail(r, "cuDeviceGet");
		goto err_free;
	}
	c->cc_major = cu_attr(c->dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
	c->cc_minor = cu_attr(c->dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
	c->shared_optin = cu_attr(c->dev, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
	cu_target(c);

	cu.CtxGetCurrent(&prev);
	cu_cur_id = 0;		/* cuCtxCreate makes its context current */
	/* free memory before: NVML, else a current context, else a temporary one */
	before = nvml_free(c->dev);
	use_nvml = before >= 0;
	if (!use_nvml) {
		before = prev ? cur_free() : -1;
		if (before < 0) {
			r = cu.CtxCreate(&tmp, CU_CTX_SCHED_AUTO, c->dev);
			if (r == CUDA_SUCCESS)
				before = cur_free();
		}
	}

	r = cu.CtxCreate(&c->ctx, CU_CTX_SCHED_AUTO, c->dev);
	if (r != CUDA_SUCCESS) {
		/* no context, no CUDA for this session: a clean "no GPU" for the core */
		ret = cu_fail(r, "cuCtxCreate");
		vgpu_bk_seterr("no usable CUDA device: cuCtxCreate: %s (%s)", cu_errname(r), cu_errstr(r));
		ret = ret == -ENOMEM ? ret : -ENODEV;
		goto err_tmp;
	}
	/* cuCtxCreate makes it current */
	ret = ctx_warm_up(c);
	if (ret)
		goto err_ctx;
	after = use_nvml ? nvml_free(c->dev) : cur_free();
	*mem_overhead = (before >= 0 && after >= 0 && before > after) ? (uint64_t)(before - after) : 0;
	if (tmp)
		cu.CtxDestroy(tmp);
	ctx_enter(c);
	*out = c;
	return 0;

err_ctx:
	cu.CtxDestroy(c->ctx);
err_tmp:
	if (tmp)
		cu.CtxDestroy(tmp);
	ctx_set_other(prev);
err_free:
	vgpu_gpu_ctx_fini(&c->g);
	free(c);
	return ret;
}

static void cu_ctx_destroy(void *ctx)
{
	struct cu_ctx *c = ctx;
	CUcontext cur = NULL;

	if (!c)
		return;
	ctx_enter(c);
	vgpu_gpu_timer_free(&c->g);
	stg_destroy(c);
	if (c->warm)
		cu_call.module_unload(c->warm);
	cu.CtxDestroy(c->ctx);
	/* never leave a destroyed context current on this thread */
	cu_cur_id = 0;
	if (cu.CtxGetCurrent(&cur) == CUDA_SUCCESS && cur == c->ctx)
		ctx_set_other(NULL);
	vgpu_gpu_ctx_fini(&c->g);
	free(c);
}

/* ---------------------------------------------------------------- staging */

enum { STG_H2D, STG_D2H };

struct cu_worker {
	void *stream;			/* CUstream */
	void *slot[2];
	void *ev[2];			/* CUevent */
	bool used[2];
};

struct cu_staging {
	struct cu_ctx *c;
	int nthreads;			/* workers, the caller's thread included */
	size_t chunk;
	size_t min;
	struct vgpu_workers *pool;	/* worker i uses w[i]; 0 is the caller */
	/* the job */
	int dir;
	char *host;
	CUdeviceptr dev;
	size_t n, nchunks;
	void *dep;			/* CUevent recorded on the legacy stream */
	atomic_size_t next;
	atomic_int err;			/* first failure (CUresult) */
	struct cu_worker w[];
};

static void worker_run(struct cu_staging *s, struct cu_worker *w)
{
	size_t i;
	int k = 0, pend = -1;
	size_t poff = 0, plen = 0;
	CUresult r;

	r = cu.StreamWaitEvent(w->stream, s->dep, 0);
	while (r == CUDA_SUCCESS && (i = atomic_fetch_add(&s->next, 1)) < s->nchunks) {
		size_t off = i * s->chunk;
		size_t len = s->n - off < s->chunk ? s->n - off : s->chunk;
		int sl = k & 1;

		if (atomic_load_explicit(&s->err, memory_order_relaxed))
			break;
		if (s->dir == STG_H2D) {
			if (w->used[sl] && (r = cu_call.event_sync(w->ev[sl])) != CUDA_SUCCESS)
				break;
			memcpy(w->slot[sl], s->host + off, len);
			r = cu_call.htod_async(s->dev + off, w->slot[sl], len, w->stream);
			if (r == CUDA_SUCCESS)
				r = cu_call.event_record(w->ev[sl], w->stream);
			w->used[sl] = true;
		} else {
			r = cu_call.dtoh_async(w->slot[sl], s->dev + off, len, w->stream);
			if (r == CUDA_SUCCESS)
				r = cu_call.event_record(w->ev[sl], w->stream);
			if (r == CUDA_SUCCESS && pend >= 0) {
				r = cu_call.event_sync(w->ev[pend]);
				if (r == CUDA_SUCCESS)
					memcpy(s->host + poff, w->slot[pend], plen);
			}
			pend = sl;
			poff = off;
			plen = len;
		}
		k++;
	}
	if (r == CUDA_SUCCESS && s->dir == STG_D2H && pend >= 0) {
		r = cu_call.event_sync(w->ev[pend]);
		if (r == CUDA_SUCCESS)
			memcpy(s->host + poff, w->slot[pend], plen);
	}
	if (r == CUDA_SUCCESS)
		r = cu_call.stream_sync(w->stream);
	if (r != CUDA_SUCCESS) {
		int zero = 0;

		atomic_compare_exchange_strong(&s->err, &zero, (int)r);
	}
	w->used[0] = w->used[1] = false;
}

/* a worker's part of a staged copy (core/workers.h) */
static void stg_work(void *arg, unsigned int i)
{
	struct cu_staging *s = arg;

	worker_run(s, &s->w[i]);
}

/* each helper thread works in the context of the copies */
static void stg_start(void *arg, unsigned int i)
{
	struct cu_staging *s = arg;

	(void)i;
	ctx_set_other(s->c->ctx);
}

static void stg_free(struct cu_staging *s)
{
	vgpu_workers_destroy(s->pool);
	for (int i = 0; i < s->nthreads; i++) {
		struct cu_worker *w = &s->w[i];

		for (int j = 0; j < 2; j++) {
			if (w->slot[j])
				cu.MemFreeHost(w->slot[j]);
			if (w->ev[j])
				cu_call.event_destroy(w->ev[j]);
		}
		if (w->stream)
			cu_call.stream_destroy(w->stream);
	}
	if (s->dep)
		cu_call.event_destroy(s->dep);
	free(s);
}

static void stg_destroy(struct cu_ctx *c)
{
	if (c->stg)
		stg_free(c->stg);
	c->stg = NULL;
}

static void stg_params(int *threads, size_t *chunk, size_t *min)
{
	/* the machine's CPUs, not vgpu_cores(): a worker waits on its slots'
	 * DMA as much as it copies, so a pool larger than a restricted
	 * affinity copies faster (H200 host, 4 of 16 CPUs, 256 MiB pageable
	 * writes: 12 workers 27-34 GB/s, 3 workers 21-25; benchmarks.md) */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	long t = ncpu * 3 / 4, ck = 2048, mn = 4096;
	uint64_t v[3];
	int n;

	/* measured on a 16-vCPU H100 host: one thread copies ~5 GB/s into
	 * pinned memory, 12 threads with 2 MiB chunks ~40 GB/s (bench/gpu) */
	if (t > 12)
		t = 12;
	if (t < 2)
		t = 2;
	/* THREADS[,CHUNK_KB[,MIN_KB]], checked by vgpu_session_open (core/env.c) */
	if (!vgpu_env_uints("VGPU_CUDA_STAGING", v, 3, &n)) {
		if (!v[0]) {
			*threads = 0;
			return;
		}
		t = v[0] > 64 ? 64 : (long)v[0];
		if (n > 1)
			ck = v[1] < 64 ? 64 : v[1] > (1u << 20) ? 1l << 20 : (long)v[1];
		if (n > 2)
			mn = v[2] > (1u << 30) ? 1l << 30 : (long)v[2];
	}
	*threads = (int)t;
	*chunk = (size_t)ck << 10;
	*min = (size_t)mn << 10;
}

/* Called with c->g.lock held. NULL: staging unavailable (use the driver). */
static struct cu_staging *stg_get(struct cu_ctx *c)
{
	struct cu_staging *s;
	int threads;
	size_t chunk = 0, min = 0;
	CUresult r = CUDA_SUCCESS;

	if (c->stg || c->stg_failed)
		return c->stg;
	c->stg_failed = true;
	stg_params(&threads, &chunk, &min);
	if (threads <= 0)
		return NULL;
	s = calloc(1, sizeof(*s) + threads * sizeof(s->w[0]));
	if (!s)
		return NULL;
	s->c = c;
	s->nthreads = threads;
	s->chunk = chunk;
	s->min = min;
	r = cu_call.event_create(&s->dep, CU_EVENT_DISABLE_TIMING);
	for (int i = 0; i < threads && r == CUDA_SUCCESS; i++) {
		struct cu_worker *w = &s->w[i];

		r = cu_call.stream_create(&w->stream, CU_STREAM_NON_BLOCKING);
		for (int j = 0; j < 2 && r == CUDA_SUCCESS; j++) {
			r = cu.MemAllocHost(&w->slot[j], chunk);
			if (r == CUDA_SUCCESS)
				r = cu_call.event_create(&w->ev[j], CU_EVENT_DISABLE_TIMING);
		}
	}
	/* worker 0 is the calling thread; the others are helpers */
	if (r == CUDA_SUCCESS && vgpu_workers_create(&s->pool, (unsigned int)threads, stg_start, s))
		r = CUDA_ERROR_OPERATING_SYSTEM;
	if (r != CUDA_SUCCESS) {
		stg_free(s);
		return NULL;
	}
	c->stg = s;
	c->stg_failed = false;
	return s;
}

/* 1: done (ret in *ret); 0: not staged, use the plain copy (gpu.h: stage) */
static int cu_stage(struct vgpu_gpu_ctx *g, bool to_dev, void *host, uint64_t dev, size_t n, int *ret)
{
	struct cu_ctx *c = (struct cu_ctx *)g;
	struct cu_staging *s;
	CUresult r;
	int err;

	pthread_mutex_lock(&c->g.lock);
	s = stg_get(c);
	pthread_mutex_unlock(&c->g.lock);
	if (!s || n < s->min)
		return 0;
	/* order after work queued earlier on the legacy stream / blocking streams */
	r = cu_call.event_record(s->dep, NULL);
	if (r != CUDA_SUCCESS) {
		*ret = cu_fail(r, "staged copy: cuEventRecord");
		return 1;
	}
	s->dir = to_dev ? STG_H2D : STG_D2H;
	s->host = host;
	s->dev = dev;
	s->n = n;
	s->nchunks = (n + s->chunk - 1) / s->chunk;
	atomic_store(&s->next, 0);
	atomic_store(&s->err, 0);
	/* one chunk: no helper needed */
	vgpu_workers_run(s->pool, s->nchunks < 2 ? 1 : (unsigned int)s->nthreads, stg_work, s);
	err = atomic_load(&s->err);
	*ret = err ? cu_fail((CUresult)err, to_dev ? "staged host-to-device copy" :
				 "staged device-to-host copy") : 0;
	return 1;
}

/* ---------------------------------------------------------------- modules */

/* the prelude NVRTC pre-includes, with the toolkit's headers on its path */
static void cu_build_setup(struct cu_ctx *c, struct vgpu_gpu_build *b, char *arch, size_t archlen,
			   char inc[2][1100])
{
	snprintf(arch, archlen, "--gpu-architecture=%s_%d", c->cubin ? "sm" : "compute", c->arch);
	b->prelude = cu_prelude_types;
	b->prelude_header = CU_PRELUDE_NAME;
	b->opts[b->nopts++] = arch;
	b->opts[b->nopts++] = "-default-device";
	b->opts[b->nopts++] = "--pre-include=" CU_PRELUDE_NAME;
	for (int i = 0; i < 2; i++)
		if (nvrtc.include[i][0]) {
			snprintf(inc[i], sizeof(inc[i]), "--include-path=%s", nvrtc.include[i]);
			b->opts[b->nopts++] = inc[i];
		}
	b->target = arch;
	b->code_size = c->cubin ? nvrtc.GetCUBINSize : nvrtc.GetPTXSize;
	b->code = c->cubin ? nvrtc.GetCUBIN : nvrtc.GetPTX;
	b->code_kind = c->cubin ? "cubin" : "PTX";
	b->code_call = c->cubin ? "nvrtcGetCUBIN" : "nvrtcGetPTX";
}

static int cu_compile(void *ctx, const struct vgpu_bk_source *src, void **blob, size_t *len,
		      char **log)
{
	struct vgpu_gpu_build b = { 0 };
	char arch[40], inc[2][1100];

	if (!nvrtc.lib) {
		*blob = NULL;
		*len = 0;
		vgpu_bk_seterr("cuda: %s", nvrtc.why[0] ? nvrtc.why : "NVRTC not loaded");
		*log = vgpu_gpu_strdupf("%s\n", nvrtc.why[0] ? nvrtc.why : "NVRTC not loaded");
		return -ENODEV;
	}
	cu_build_setup(ctx, &b, arch, sizeof(arch), inc);
	return vgpu_gpu_compile(&cu_vendor, &b, src, blob, len, log);
}

/* e_machine of a CUDA ELF (cubin) */
#define EM_CUDA_VALUE 190

static int image_kind(const unsigned char *b, size_t len)
{
	if (len >= 20 && b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F')
		return (b[18] | b[19] << 8) == EM_CUDA_VALUE ? VGPU_IMAGE_CUBIN : -1;
	if (len >= 4 && b[0] == 0x50 && b[1] == 0xed && b[2] == 0x55 && b[3] == 0xba)
		return VGPU_IMAGE_CUBIN;	/* fatbin */
	if (memmem(b, len, ".version", 8) || memmem(b, len, ".entry", 6))
		return VGPU_IMAGE_PTX;
	return -1;
}

/* gpu.h: module_load; the driver's JIT error log goes into the text */
static int cu_load_image(struct vgpu_gpu_ctx *g, const void *blob, size_t len, int format, void **mod)
{
	char errlog[8192] = "";
	int opt[2] = { CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES };
	void *val[2] = { errlog, (void *)(uintptr_t)sizeof(errlog) };
	int kind = image_kind(blob, len);
	char *copy = NULL;
	CUmodule m;
	CUresult r;
	int ret;

	(void)g;
	if (format == VGPU_IMAGE_HSACO || format == VGPU_IMAGE_NATIVE ||
	    (format == VGPU_IMAGE_AUTO && kind < 0)) {
		vgpu_bk_seterr("cuda: not a CUDA image (PTX, cubin or fatbin expected)");
		return -EINVAL;
	}
	if ((format == VGPU_IMAGE_PTX || kind == VGPU_IMAGE_PTX) && ((const char *)blob)[len - 1]) {
		copy = malloc(len + 1);	/* the driver wants PTX NUL-terminated */
		if (!copy)
			return -ENOMEM;
		memcpy(copy, blob, len);
		copy[len] = 0;
		blob = copy;
	}
	r = cu.ModuleLoadDataEx(&m, blob, 2, opt, val);
	free(copy);
	if (r != CUDA_SUCCESS) {
		ret = cu_fail(r, "cuModuleLoadData");
		if (errlog[0])
			vgpu_bk_seterr("cuda: cuModuleLoadData: %s (%s): %s", cu_errname(r), cu_errstr(r),
				       errlog);
		return ret == -EINVAL ? -ENOEXEC : ret;
	}
	*mod = m;
	return 0;
}

/*
 * A foreign image has no signature descriptor: the driver's parameter sizes
 * (cuFuncGetParamInfo, CUDA 12.4+) are the next best thing (return 1).
 */
static int cu_param_info(void *fn, struct vgpu_kinfo *out)
{
	CUresult r;

	if (!cu.FuncGetParamInfo)
		return -ENOENT;
	for (size_t k = 0; k <= VGPU_MAX_PARAMS; k++) {
		size_t off = 0, size = 0;

		r = cu.FuncGetParamInfo(fn, k, &off, &size);
		if (r != CUDA_SUCCESS) {
			out->nparams = (int)k;
			return k || r == CUDA_ERROR_INVALID_VALUE ? 1 : -ENOENT;
		}
		if (k == VGPU_MAX_PARAMS)
			break;
		out->params[k].type = VGPU_ARG_NONE;
		out->params[k].size = (uint32_t)size;
		out->params[k].align = 0;
	}
	return -ENOENT;
}

VGPU_HOT static CUresult launch_kernel(CUfunction f, const struct vgpu_bk_launch *l)
{
	return cu_call.launch(f, l->grid[0], l->grid[1], l->grid[2], l->block[0], l->block[1],
			      l->block[2], l->shared_bytes, l->stream, l->args, NULL);
}

/*
 * gpu.h: launch, the context made current here (launch_enters); dynamic
 * shared memory above 48 KiB is opted into.
 *
 * When libvgpu made this session's context current on this thread last
 * (cu_cur_id), the launch goes without asking the driver which context is
 * current (cuCtxGetCurrent: 14 ns on the H200 machine, a few % of what
 * libvgpu adds to a launch). If the application made another context
 * current since, the driver refuses a function of another context on the
 * legacy stream or the current context's (CUDA_ERROR_INVALID_HANDLE, seen
 * on the H200 with `launch_cost 1 probe`) and runs it on a stream of the
 * function's own context: a failed launch is checked and, if the context
 * was not current, made again in it.
 */
VGPU_HOT static int cu_launch(struct vgpu_gpu_ctx *g, void *fn, const struct vgpu_bk_launch *l)
{
	struct cu_ctx *c = (struct cu_ctx *)g;
	bool trusted = cu_cur_id == c->id;
	CUcontext cur = NULL;
	CUfunction f = fn;
	CUresult r;
	int ret;

	if (!trusted) {
		ret = ctx_enter(c);
		if (ret)
			return ret;
	}
	r = launch_kernel(f, l);
	if (r != CUDA_SUCCESS && trusted &&
	    (cu.CtxGetCurrent(&cur) != CUDA_SUCCESS || cur != c->ctx)) {
		ret = ctx_enter(c);
		if (ret)
			return ret;
		r = launch_kernel(f, l);
	}
	if (r == CUDA_ERROR_INVALID_VALUE && l->shared_bytes > 48 * 1024) {
		/* dynamic shared memory above 48 KiB must be opted into per function */
		CUresult r2 = cu.FuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
						  (int)l->shared_bytes);

		if (r2 == CUDA_SUCCESS)
			r = launch_kernel(f, l);
	}
	if (r == CUDA_SUCCESS)
		return 0;
	ret = cu_fail(r, "cuLaunchKernel");
	/*
	 * More shared memory (or registers) than this device has is a
	 * shortage of the device, not a malformed request: -ENOMEM, so
	 * that the core's launch fallback can run it on the CPU.
	 */
	if (r == CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES ||
	    (r == CUDA_ERROR_INVALID_VALUE && l->shared_bytes > 48 * 1024 &&
	     (int64_t)l->shared_bytes > c->shared_optin)) {
		vgpu_bk_seterr("cuda: cuLaunchKernel: %s (%s): the device cannot run this block "
			       "(%u bytes of dynamic shared memory, at most %d per block; block "
			       "%ux%ux%u)", cu_errname(r), cu_errstr(r), l->shared_bytes,
			       c->shared_optin, l->block[0], l->block[1], l->block[2]);
		return -ENOMEM;
	}
	if (ret == -EINVAL)
		vgpu_bk_seterr("cuda: cuLaunchKernel: %s (%s): grid %ux%ux%u, block %ux%ux%u, "
			       "%u bytes of dynamic shared memory", cu_errname(r), cu_errstr(r),
			       l->grid[0], l->grid[1], l->grid[2], l->block[0], l->block[1],
			       l->block[2], l->shared_bytes);
	return ret;
}

const struct vgpu_backend_ops vgpu_backend_cuda = {
	.name = "cuda",
	.kind = VGPU_BACKEND_CUDA,
	.probe = cu_probe,
	.device_props = cu_device_props,
	.ctx_create = cu_ctx_create,
	.ctx_destroy = cu_ctx_destroy,
	.compile = cu_compile,
	VGPU_GPU_OPS,
};
