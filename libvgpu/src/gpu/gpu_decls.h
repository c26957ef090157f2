/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gpu_decls.h - the few CUDA driver, NVRTC, HIP and hiprtc declarations that
 * libvgpu's GPU backends use, written out by hand so that libvgpu builds on a
 * machine with neither toolkit installed. Everything is resolved at run time
 * with dlopen()/dlsym(); nothing here is linked.
 *
 * The calls both vendors have are made through gpu.h's struct
 * vgpu_gpu_calls, whose signatures are the ABI the two share; the entry-point
 * typedefs below record each vendor's own signatures (those of the calls only
 * one vendor has are the ones the backends use).
 *
 * Only ABI facts are recorded: handle types, the integer values of the enum
 * constants used, and the C signatures of the entry points. They were checked
 * against CUDA 13.0's cuda.h and nvrtc.h, and against HIP 5.2's and ROCm 7's
 * hip_runtime_api.h / hiprtc.h (the values used are the same in both).
 *
 * CUDA symbol versions: cuda.h maps several names to versioned symbols
 * (cuMemAlloc -> cuMemAlloc_v2, cuCtxCreate -> cuCtxCreate_v4 in CUDA 13,
 * ...). libcuda keeps exporting every version it ever shipped, so the backend
 * asks dlsym() for the explicit versioned names below, whose signatures have
 * not changed since CUDA 4.0 (the _v2 memory and copy calls, cuCtxCreate_v2)
 * and CUDA 11.0 (cuDevicePrimaryCtxRelease_v2).
 */
#ifndef VGPU_GPU_DECLS_H
#define VGPU_GPU_DECLS_H

#if defined(__cuda_cuda_h__) || defined(HIP_INCLUDE_HIP_HIP_RUNTIME_API_H)
#error "gpu_decls.h replaces cuda.h / hip_runtime_api.h; do not include both"
#endif

#include <stddef.h>

/* ------------------------------------------------------------------ CUDA */

typedef int CUresult;                    /* enum cudaError_enum */
typedef int CUdevice;                    /* CUdevice_v1 */
typedef unsigned long long CUdeviceptr;  /* CUdeviceptr_v2 (64-bit hosts) */
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef struct CUevent_st *CUevent;

/* CUresult values used by name (cuda.h: enum cudaError_enum) */
#define CUDA_SUCCESS                        0
#define CUDA_ERROR_INVALID_VALUE            1
#define CUDA_ERROR_OUT_OF_MEMORY            2
#define CUDA_ERROR_NOT_INITIALIZED          3
#define CUDA_ERROR_DEINITIALIZED            4
#define CUDA_ERROR_STUB_LIBRARY             34
#define CUDA_ERROR_INSUFFICIENT_DRIVER      35
#define CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER 36
#define CUDA_ERROR_DEVICE_UNAVAILABLE       46
#define CUDA_ERROR_NO_DEVICE                100
#define CUDA_ERROR_INVALID_DEVICE           101
#define CUDA_ERROR_INVALID_IMAGE            200
#define CUDA_ERROR_INVALID_CONTEXT          201
#define CUDA_ERROR_NO_BINARY_FOR_GPU        209
#define CUDA_ERROR_ECC_UNCORRECTABLE        214
#define CUDA_ERROR_INVALID_PTX              218
#define CUDA_ERROR_UNSUPPORTED_PTX_VERSION  222
#define CUDA_ERROR_INVALID_SOURCE           300
#define CUDA_ERROR_FILE_NOT_FOUND           301
#define CUDA_ERROR_OPERATING_SYSTEM         304
#define CUDA_ERROR_INVALID_HANDLE           400
#define CUDA_ERROR_NOT_FOUND                500
#define CUDA_ERROR_NOT_READY                600
#define CUDA_ERROR_ILLEGAL_ADDRESS          700
#define CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES  701
#define CUDA_ERROR_LAUNCH_TIMEOUT           702
#define CUDA_ERROR_CONTEXT_IS_DESTROYED     709
#define CUDA_ERROR_ASSERT                   710
#define CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED 712
#define CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED 713
#define CUDA_ERROR_HARDWARE_STACK_ERROR     714
#define CUDA_ERROR_ILLEGAL_INSTRUCTION      715
#define CUDA_ERROR_MISALIGNED_ADDRESS       716
#define CUDA_ERROR_INVALID_ADDRESS_SPACE    717
#define CUDA_ERROR_INVALID_PC               718
#define CUDA_ERROR_LAUNCH_FAILED            719
#define CUDA_ERROR_NOT_PERMITTED            800
#define CUDA_ERROR_NOT_SUPPORTED            801
#define CUDA_ERROR_SYSTEM_NOT_READY         802
#define CUDA_ERROR_SYSTEM_DRIVER_MISMATCH   803
#define CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE 804
#define CUDA_ERROR_TIMEOUT                  909
#define CUDA_ERROR_UNKNOWN                  999

/* CUdevice_attribute values (cuda.h: enum CUdevice_attribute_enum) */
#define CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK        1
#define CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X              2
#define CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y              3
#define CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z              4
#define CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X               5
#define CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y               6
#define CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z               7
#define CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK  8
#define CU_DEVICE_ATTRIBUTE_WARP_SIZE                    10
#define CU_DEVICE_ATTRIBUTE_CLOCK_RATE                   13
#define CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT         16
#define CU_DEVICE_ATTRIBUTE_INTEGRATED                   18
#define CU_DEVICE_ATTRIBUTE_PCI_BUS_ID                   33
#define CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID                34
#define CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE            36
#define CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH      37
#define CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE                38
#define CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR 39
#define CU_DEVICE_ATTRIBUTE_ASYNC_ENGINE_COUNT           40
#define CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID                50
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR     75
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR     76
#define CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN 97
#define CU_DEVICE_ATTRIBUTE_HOST_REGISTER_SUPPORTED      99

/* CUfunction_attribute */
#define CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK          0
#define CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES              1
#define CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES  8

/* CUjit_option (cuModuleLoadDataEx) */
#define CU_JIT_INFO_LOG_BUFFER                3
#define CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES     4
#define CU_JIT_ERROR_LOG_BUFFER               5
#define CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES    6

/* flags */
#define CU_CTX_SCHED_AUTO             0x00
#define CU_CTX_SCHED_SPIN             0x01
#define CU_CTX_SCHED_YIELD            0x02
#define CU_CTX_SCHED_BLOCKING_SYNC    0x04
#define CU_STREAM_DEFAULT             0x0
#define CU_STREAM_NON_BLOCKING        0x1
#define CU_EVENT_DEFAULT              0x0
#define CU_EVENT_BLOCKING_SYNC        0x1
#define CU_EVENT_DISABLE_TIMING       0x2
#define CU_MEMHOSTREGISTER_PORTABLE   0x01
#define CU_MEMHOSTREGISTER_DEVICEMAP  0x02

/* cuLaunchKernel "extra" keys */
#define CU_LAUNCH_PARAM_END             ((void *)0x00)
#define CU_LAUNCH_PARAM_BUFFER_POINTER  ((void *)0x01)
#define CU_LAUNCH_PARAM_BUFFER_SIZE     ((void *)0x02)

/* Entry points, as resolved from libcuda.so.1 (symbol name in comment). */
typedef CUresult (*vg_cuInit_t)(unsigned int flags);                          /* cuInit */
typedef CUresult (*vg_cuDriverGetVersion_t)(int *version);                    /* cuDriverGetVersion */
typedef CUresult (*vg_cuGetErrorString_t)(CUresult e, const char **str);      /* cuGetErrorString */
typedef CUresult (*vg_cuGetErrorName_t)(CUresult e, const char **str);        /* cuGetErrorName */
typedef CUresult (*vg_cuDeviceGetCount_t)(int *count);                        /* cuDeviceGetCount */
typedef CUresult (*vg_cuDeviceGet_t)(CUdevice *dev, int ordinal);             /* cuDeviceGet */
typedef CUresult (*vg_cuDeviceGetName_t)(char *name, int len, CUdevice dev);  /* cuDeviceGetName */
typedef CUresult (*vg_cuDeviceGetAttribute_t)(int *v, int attr, CUdevice dev);/* cuDeviceGetAttribute */
typedef CUresult (*vg_cuDeviceTotalMem_t)(size_t *bytes, CUdevice dev);       /* cuDeviceTotalMem_v2 */
typedef CUresult (*vg_cuCtxCreate_t)(CUcontext *ctx, unsigned int flags,
				     CUdevice dev);                           /* cuCtxCreate_v2 */
typedef CUresult (*vg_cuCtxCreate_v4_t)(CUcontext *ctx, void *params,
					unsigned int flags, CUdevice dev);    /* cuCtxCreate_v4 */
typedef CUresult (*vg_cuCtxDestroy_t)(CUcontext ctx);                         /* cuCtxDestroy_v2 */
typedef CUresult (*vg_cuCtxSetCurrent_t)(CUcontext ctx);                      /* cuCtxSetCurrent */
typedef CUresult (*vg_cuCtxGetCurrent_t)(CUcontext *ctx);                     /* cuCtxGetCurrent */
typedef CUresult (*vg_cuCtxSynchronize_t)(void);                              /* cuCtxSynchronize */
typedef CUresult (*vg_cuDevicePrimaryCtxRetain_t)(CUcontext *ctx, CUdevice dev); /* cuDevicePrimaryCtxRetain */
typedef CUresult (*vg_cuDevicePrimaryCtxRelease_t)(CUdevice dev);            /* cuDevicePrimaryCtxRelease_v2 */
typedef CUresult (*vg_cuMemGetInfo_t)(size_t *free_b, size_t *total_b);       /* cuMemGetInfo_v2 */
typedef CUresult (*vg_cuMemAlloc_t)(CUdeviceptr *p, size_t bytes);            /* cuMemAlloc_v2 */
typedef CUresult (*vg_cuMemFree_t)(CUdeviceptr p);                            /* cuMemFree_v2 */
typedef CUresult (*vg_cuMemAllocHost_t)(void **p, size_t bytes);              /* cuMemAllocHost_v2 */
typedef CUresult (*vg_cuMemFreeHost_t)(void *p);                              /* cuMemFreeHost */
typedef CUresult (*vg_cuMemHostRegister_t)(void *p, size_t bytes,
					   unsigned int flags);               /* cuMemHostRegister_v2 */
typedef CUresult (*vg_cuMemHostUnregister_t)(void *p);                        /* cuMemHostUnregister */
typedef CUresult (*vg_cuMemcpyHtoD_t)(CUdeviceptr dst, const void *src, size_t n);     /* cuMemcpyHtoD_v2 */
typedef CUresult (*vg_cuMemcpyDtoH_t)(void *dst, CUdeviceptr src, size_t n);           /* cuMemcpyDtoH_v2 */
typedef CUresult (*vg_cuMemcpyDtoD_t)(CUdeviceptr dst, CUdeviceptr src, size_t n);     /* cuMemcpyDtoD_v2 */
typedef CUresult (*vg_cuMemcpyHtoDAsync_t)(CUdeviceptr dst, const void *src, size_t n,
					   CUstream s);                       /* cuMemcpyHtoDAsync_v2 */
typedef CUresult (*vg_cuMemcpyDtoHAsync_t)(void *dst, CUdeviceptr src, size_t n,
					   CUstream s);                       /* cuMemcpyDtoHAsync_v2 */
typedef CUresult (*vg_cuMemcpyDtoDAsync_t)(CUdeviceptr dst, CUdeviceptr src, size_t n,
					   CUstream s);                       /* cuMemcpyDtoDAsync_v2 */
typedef CUresult (*vg_cuMemsetD8_t)(CUdeviceptr dst, unsigned char v, size_t n); /* cuMemsetD8_v2 */
typedef CUresult (*vg_cuModuleLoadData_t)(CUmodule *m, const void *image);    /* cuModuleLoadData */
typedef CUresult (*vg_cuModuleLoadDataEx_t)(CUmodule *m, const void *image, unsigned int n,
					    int *options, void **values);     /* cuModuleLoadDataEx */
typedef CUresult (*vg_cuModuleUnload_t)(CUmodule m);                          /* cuModuleUnload */
typedef CUresult (*vg_cuModuleGetFunction_t)(CUfunction *f, CUmodule m, const char *name); /* cuModuleGetFunction */
typedef CUresult (*vg_cuModuleGetGlobal_t)(CUdeviceptr *dptr, size_t *bytes, CUmodule m,
					   const char *name);                 /* cuModuleGetGlobal_v2 */
typedef CUresult (*vg_cuFuncGetParamInfo_t)(CUfunction f, size_t index, size_t *offset,
					    size_t *size);                    /* cuFuncGetParamInfo (12.4) */
typedef CUresult (*vg_cuFuncGetAttribute_t)(int *v, int attr, CUfunction f);  /* cuFuncGetAttribute */
typedef CUresult (*vg_cuFuncSetAttribute_t)(CUfunction f, int attr, int v);   /* cuFuncSetAttribute */
typedef CUresult (*vg_cuLaunchKernel_t)(CUfunction f,
					unsigned int gx, unsigned int gy, unsigned int gz,
					unsigned int bx, unsigned int by, unsigned int bz,
					unsigned int shmem, CUstream s,
					void **params, void **extra);         /* cuLaunchKernel */
typedef CUresult (*vg_cuStreamCreate_t)(CUstream *s, unsigned int flags);     /* cuStreamCreate */
typedef CUresult (*vg_cuStreamDestroy_t)(CUstream s);                         /* cuStreamDestroy_v2 */
typedef CUresult (*vg_cuStreamSynchronize_t)(CUstream s);                     /* cuStreamSynchronize */
typedef CUresult (*vg_cuStreamQuery_t)(CUstream s);                           /* cuStreamQuery */
typedef CUresult (*vg_cuStreamWaitEvent_t)(CUstream s, CUevent e, unsigned int flags); /* cuStreamWaitEvent */
typedef CUresult (*vg_cuEventCreate_t)(CUevent *e, unsigned int flags);       /* cuEventCreate */
typedef CUresult (*vg_cuEventDestroy_t)(CUevent e);                           /* cuEventDestroy_v2 */
typedef CUresult (*vg_cuEventRecord_t)(CUevent e, CUstream s);                /* cuEventRecord */
typedef CUresult (*vg_cuEventQuery_t)(CUevent e);                             /* cuEventQuery */
typedef CUresult (*vg_cuEventSynchronize_t)(CUevent e);                       /* cuEventSynchronize */
typedef CUresult (*vg_cuEventElapsedTime_t)(float *ms, CUevent a, CUevent b); /* cuEventElapsedTime */

/* ------------------------------------------------------------------ NVML */
/* Only used to read device-wide free memory before a context exists, so that
 * a new context's device-memory overhead can be measured (libnvidia-ml.so.1). */

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;
typedef struct {
	unsigned long long total;
	unsigned long long free;
	unsigned long long used;
} nvmlMemory_t;                          /* nvmlMemory_t (v1) */

#define NVML_SUCCESS 0

typedef nvmlReturn_t (*vg_nvmlInit_t)(void);                                  /* nvmlInit_v2 */
typedef nvmlReturn_t (*vg_nvmlShutdown_t)(void);                              /* nvmlShutdown */
typedef nvmlReturn_t (*vg_nvmlDeviceGetHandleByPciBusId_t)(const char *bus_id,
							   nvmlDevice_t *dev);/* nvmlDeviceGetHandleByPciBusId_v2 */
typedef nvmlReturn_t (*vg_nvmlDeviceGetMemoryInfo_t)(nvmlDevice_t dev,
						     nvmlMemory_t *mem);      /* nvmlDeviceGetMemoryInfo */
/* CUDA side of the mapping: cuDeviceGetPCIBusId */
typedef CUresult (*vg_cuDeviceGetPCIBusId_t)(char *bus_id, int len, CUdevice dev);

/* ----------------------------------------------------------------- NVRTC */

typedef int nvrtcResult;
typedef struct _nvrtcProgram *nvrtcProgram;

#define NVRTC_SUCCESS                        0
#define NVRTC_ERROR_OUT_OF_MEMORY            1
#define NVRTC_ERROR_PROGRAM_CREATION_FAILURE 2
#define NVRTC_ERROR_INVALID_INPUT            3
#define NVRTC_ERROR_INVALID_PROGRAM          4
#define NVRTC_ERROR_INVALID_OPTION           5
#define NVRTC_ERROR_COMPILATION              6
#define NVRTC_ERROR_BUILTIN_OPERATION_FAILURE 7
#define NVRTC_ERROR_INTERNAL_ERROR           11

typedef const char *(*vg_nvrtcGetErrorString_t)(nvrtcResult r);
typedef nvrtcResult (*vg_nvrtcVersion_t)(int *major, int *minor);
typedef nvrtcResult (*vg_nvrtcGetNumSupportedArchs_t)(int *n);
typedef nvrtcResult (*vg_nvrtcGetSupportedArchs_t)(int *archs);
typedef nvrtcResult (*vg_nvrtcCreateProgram_t)(nvrtcProgram *p, const char *src,
					       const char *name, int nheaders,
					       const char *const *headers,
					       const char *const *include_names);
typedef nvrtcResult (*vg_nvrtcDestroyProgram_t)(nvrtcProgram *p);
typedef nvrtcResult (*vg_nvrtcCompileProgram_t)(nvrtcProgram p, int nopts,
						const char *const *opts);
typedef nvrtcResult (*vg_nvrtcGetSize_t)(nvrtcProgram p, size_t *size);  /* Get{PTX,CUBIN,ProgramLog}Size */
typedef nvrtcResult (*vg_nvrtcGetData_t)(nvrtcProgram p, char *out);     /* Get{PTX,CUBIN,ProgramLog} */
typedef nvrtcResult (*vg_nvrtcAddNameExpression_t)(nvrtcProgram p, const char *expr);
typedef nvrtcResult (*vg_nvrtcGetLoweredName_t)(nvrtcProgram p, const char *expr,
						const char **lowered);

/* ------------------------------------------------------------------- HIP */

typedef int hipError_t;
typedef int hipDevice_t;
typedef void *hipDeviceptr_t;
typedef struct ihipCtx_t *hipCtx_t;
typedef struct ihipModule_t *hipModule_t;
typedef struct ihipModuleSymbol_t *hipFunction_t;
typedef struct ihipStream_t *hipStream_t;
typedef struct ihipEvent_t *hipEvent_t;

#define hipSuccess                      0
#define hipErrorInvalidValue            1
#define hipErrorOutOfMemory             2
#define hipErrorNotInitialized          3
#define hipErrorInvalidConfiguration    9
#define hipErrorInsufficientDriver      35
#define hipErrorInvalidDeviceFunction   98
#define hipErrorNoDevice                100
#define hipErrorInvalidDevice           101
#define hipErrorInvalidImage            200
#define hipErrorInvalidContext          201
#define hipErrorNoBinaryForGpu          209
#define hipErrorNotFound                500
#define hipErrorNotReady                600
#define hipErrorIllegalAddress          700
#define hipErrorLaunchOutOfResources    701
#define hipErrorLaunchTimeOut           702
#define hipErrorHostMemoryAlreadyRegistered 712
#define hipErrorHostMemoryNotRegistered 713
#define hipErrorLaunchFailure           719
#define hipErrorNotSupported            801
#define hipErrorUnknown                 999

/* hipDeviceAttribute_t (same values in HIP 5.x and ROCm 6/7) */
#define hipDeviceAttributeClockRate                 5
#define hipDeviceAttributeL2CacheSize               19
#define hipDeviceAttributeMaxBlockDimX              26
#define hipDeviceAttributeMaxBlockDimY              27
#define hipDeviceAttributeMaxBlockDimZ              28
#define hipDeviceAttributeMaxGridDimX               29
#define hipDeviceAttributeMaxGridDimY               30
#define hipDeviceAttributeMaxGridDimZ               31
#define hipDeviceAttributeMaxThreadsPerBlock        56
#define hipDeviceAttributeMaxThreadsPerMultiProcessor 57
#define hipDeviceAttributeMultiprocessorCount       63
#define hipDeviceAttributeMaxSharedMemoryPerBlock   74
#define hipDeviceAttributeWarpSize                  87

#define hipHostRegisterDefault    0x0
#define hipHostRegisterPortable   0x1
#define hipStreamDefault          0x0
#define hipStreamNonBlocking      0x1
#define hipEventDefault           0x0
#define hipEventDisableTiming     0x2

typedef hipError_t (*vg_hipInit_t)(unsigned int flags);
typedef hipError_t (*vg_hipDriverGetVersion_t)(int *v);
typedef hipError_t (*vg_hipRuntimeGetVersion_t)(int *v);
typedef const char *(*vg_hipGetErrorString_t)(hipError_t e);
typedef const char *(*vg_hipGetErrorName_t)(hipError_t e);
typedef hipError_t (*vg_hipGetDeviceCount_t)(int *n);
typedef hipError_t (*vg_hipDeviceGet_t)(hipDevice_t *d, int ordinal);
typedef hipError_t (*vg_hipDeviceGetName_t)(char *name, int len, hipDevice_t d);
typedef hipError_t (*vg_hipDeviceTotalMem_t)(size_t *bytes, hipDevice_t d);
typedef hipError_t (*vg_hipDeviceComputeCapability_t)(int *major, int *minor, hipDevice_t d);
typedef hipError_t (*vg_hipDeviceGetAttribute_t)(int *v, int attr, int device_id);
/* hipGetDeviceProperties: struct layout differs between HIP 5 and ROCm 6+;
 * the backend passes a large zeroed buffer and only looks for the
 * "gfx..." architecture name in it (see hip/hip.c). */
typedef hipError_t (*vg_hipGetDeviceProperties_t)(void *props, int device_id);
typedef hipError_t (*vg_hipSetDevice_t)(int device_id);
typedef hipError_t (*vg_hipDeviceSynchronize_t)(void);
typedef hipError_t (*vg_hipMemGetInfo_t)(size_t *free_b, size_t *total_b);
typedef hipError_t (*vg_hipMalloc_t)(void **p, size_t bytes);
typedef hipError_t (*vg_hipFree_t)(void *p);
typedef hipError_t (*vg_hipHostRegister_t)(void *p, size_t bytes, unsigned int flags);
typedef hipError_t (*vg_hipHostUnregister_t)(void *p);
typedef hipError_t (*vg_hipMemcpyHtoD_t)(hipDeviceptr_t dst, void *src, size_t n);
typedef hipError_t (*vg_hipMemcpyDtoH_t)(void *dst, hipDeviceptr_t src, size_t n);
typedef hipError_t (*vg_hipMemcpyDtoD_t)(hipDeviceptr_t dst, hipDeviceptr_t src, size_t n);
typedef hipError_t (*vg_hipMemcpyHtoDAsync_t)(hipDeviceptr_t dst, void *src, size_t n, hipStream_t s);
typedef hipError_t (*vg_hipMemcpyDtoHAsync_t)(void *dst, hipDeviceptr_t src, size_t n, hipStream_t s);
typedef hipError_t (*vg_hipMemcpyDtoDAsync_t)(hipDeviceptr_t dst, hipDeviceptr_t src, size_t n, hipStream_t s);
typedef hipError_t (*vg_hipModuleLoadData_t)(hipModule_t *m, const void *image);
typedef hipError_t (*vg_hipModuleUnload_t)(hipModule_t m);
typedef hipError_t (*vg_hipModuleGetFunction_t)(hipFunction_t *f, hipModule_t m, const char *name);
typedef hipError_t (*vg_hipModuleGetGlobal_t)(hipDeviceptr_t *dptr, size_t *bytes, hipModule_t m,
					      const char *name);
typedef hipError_t (*vg_hipModuleLaunchKernel_t)(hipFunction_t f,
						 unsigned int gx, unsigned int gy, unsigned int gz,
						 unsigned int bx, unsigned int by, unsigned int bz,
						 unsigned int shmem, hipStream_t s,
						 void **params, void **extra);
typedef hipError_t (*vg_hipStreamCreateWithFlags_t)(hipStream_t *s, unsigned int flags);
typedef hipError_t (*vg_hipStreamDestroy_t)(hipStream_t s);
typedef hipError_t (*vg_hipStreamSynchronize_t)(hipStream_t s);
typedef hipError_t (*vg_hipStreamQuery_t)(hipStream_t s);
typedef hipError_t (*vg_hipEventCreateWithFlags_t)(hipEvent_t *e, unsigned int flags);
typedef hipError_t (*vg_hipEventDestroy_t)(hipEvent_t e);
typedef hipError_t (*vg_hipEventRecord_t)(hipEvent_t e, hipStream_t s);
typedef hipError_t (*vg_hipEventQuery_t)(hipEvent_t e);

/* ---------------------------------------------------------------- hiprtc */

typedef int hiprtcResult;
typedef struct _hiprtcProgram *hiprtcProgram;

#define HIPRTC_SUCCESS                 0
#define HIPRTC_ERROR_OUT_OF_MEMORY     1
#define HIPRTC_ERROR_INVALID_INPUT     3
#define HIPRTC_ERROR_INVALID_PROGRAM   4
#define HIPRTC_ERROR_INVALID_OPTION    5
#define HIPRTC_ERROR_COMPILATION       6

typedef const char *(*vg_hiprtcGetErrorString_t)(hiprtcResult r);
typedef hiprtcResult (*vg_hiprtcVersion_t)(int *major, int *minor);
typedef hiprtcResult (*vg_hiprtcCreateProgram_t)(hiprtcProgram *p, const char *src,
						 const char *name, int nheaders,
						 const char **headers,
						 const char **include_names);
typedef hiprtcResult (*vg_hiprtcDestroyProgram_t)(hiprtcProgram *p);
typedef hiprtcResult (*vg_hiprtcCompileProgram_t)(hiprtcProgram p, int nopts, const char **opts);
typedef hiprtcResult (*vg_hiprtcGetSize_t)(hiprtcProgram p, size_t *size); /* GetCodeSize, GetProgramLogSize */
typedef hiprtcResult (*vg_hiprtcGetData_t)(hiprtcProgram p, char *out);    /* GetCode, GetProgramLog */
typedef hiprtcResult (*vg_hiprtcAddNameExpression_t)(hiprtcProgram p, const char *expr);
typedef hiprtcResult (*vg_hiprtcGetLoweredName_t)(hiprtcProgram p, const char *expr,
						  const char **lowered);

#endif /* VGPU_GPU_DECLS_H */
