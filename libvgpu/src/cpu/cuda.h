// SPDX-License-Identifier: LGPL-2.1-or-later
// libvgpu CPU backend: the CUDA device runtime for clang's CUDA front end
// compiling for the host (clang -cc1 -fcuda-is-device -triple <host>).
//
// Embedded in libvgpu and included in front of every module. Everything here
// is device code. The compiler pass (pass.cpp) lowers the __vgpu_* hooks
// declared below: the builtin variables, barriers and warp syncs become loops
// over the threads of a block cut at the barriers; the __vgpu_tmpl_*
// functions are the drivers it clones per kernel.
//
// cuda_fp16.h and cuda_bf16.h include this file again for its last
// sections (half precision): the rest is read once.
#ifndef __VGPU_CUDA_H
#define __VGPU_CUDA_H 1
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wmacro-redefined"
#define __CUDACC__ 1
#define __CUDACC_RTC__ 1
#undef __CUDA_ARCH__
#define __CUDA_ARCH__ 800
#define __VGPU_CPU__ 1
#pragma clang diagnostic pop

#define __device__ __attribute__((device))
#define __global__ __attribute__((global, annotate("vgpu.kernel")))
#define __host__ __attribute__((host))
#define __shared__ __attribute__((shared, annotate("vgpu.shared")))
#define __constant__ __attribute__((constant))
#define __managed__ __attribute__((managed))
#define __grid_constant__
#define __forceinline__ __inline__ __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
// the block size a kernel promises (its first argument) for the pass too: a
// launch of more threads is refused, as on a GPU
// (clang's attribute takes the first two: CUDA 12's third, the blocks of a
// cluster, means nothing on the CPU)
#define __VGPU_LB2(a, b, ...) a, b
#define __launch_bounds__(...) \
	__attribute__((launch_bounds(__VGPU_LB2(__VA_ARGS__, 0, 0)), annotate("vgpu.bounds", __VA_ARGS__)))
#define __restrict__ __restrict
#define __align__(n) __attribute__((aligned(n)))
#define __builtin_align__(n) __attribute__((aligned(n)))
#define __VGPU_FN static __device__ __forceinline__
#define __VGPU_UNSUPPORTED(what) __attribute__((unavailable(what " is not supported by libvgpu's CPU backend")))

typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ptrdiff_t;
typedef __INTPTR_TYPE__ intptr_t;
typedef __UINTPTR_TYPE__ uintptr_t;
typedef __INT8_TYPE__ int8_t;
typedef __INT16_TYPE__ int16_t;
typedef __INT32_TYPE__ int32_t;
typedef __INT64_TYPE__ int64_t;
typedef __UINT8_TYPE__ uint8_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __UINT64_TYPE__ uint64_t;
typedef long clock_t;
// <cstdint>'s and <cstddef>'s names in std:: too, as NVRTC has them (its
// std:: has no math functions: std::sqrt fails there, and here); the same
// list in cuda::std (<cuda/std/cstdint>)
#define __VGPU_STDINT_USING											\
	using ::int8_t; using ::int16_t; using ::int32_t; using ::int64_t;				\
	using ::uint8_t; using ::uint16_t; using ::uint32_t; using ::uint64_t;				\
	using ::intptr_t; using ::uintptr_t; using ::size_t; using ::ptrdiff_t;
namespace std {
__VGPU_STDINT_USING
}
#define NULL nullptr
#define INT_MAX __INT_MAX__
#define INT_MIN (-__INT_MAX__ - 1)
#define UINT_MAX (__INT_MAX__ * 2u + 1u)
#define LONG_MAX __LONG_MAX__
#define LONG_MIN (-__LONG_MAX__ - 1L)
#define ULONG_MAX (__LONG_MAX__ * 2ul + 1ul)
#define LLONG_MAX __LONG_LONG_MAX__
#define LLONG_MIN (-__LONG_LONG_MAX__ - 1LL)
#define ULLONG_MAX (__LONG_LONG_MAX__ * 2ull + 1ull)
#define SHRT_MAX __SHRT_MAX__
#define SHRT_MIN (-__SHRT_MAX__ - 1)
#define USHRT_MAX 65535
#define CHAR_BIT 8
#define SCHAR_MAX 127
#define SCHAR_MIN (-128)
#define UCHAR_MAX 255
#define INT8_MAX 127
#define INT16_MAX 32767
#define INT32_MAX __INT32_MAX__
#define INT64_MAX __INT64_MAX__
#define INT32_MIN (-__INT32_MAX__ - 1)
#define INT64_MIN (-__INT64_MAX__ - 1)
#define UINT8_MAX 255
#define UINT16_MAX 65535
#define UINT32_MAX 0xffffffffu
#define UINT64_MAX 0xffffffffffffffffull
#define SIZE_MAX __SIZE_MAX__
#define FLT_MAX __FLT_MAX__
#define FLT_MIN __FLT_MIN__
#define FLT_EPSILON __FLT_EPSILON__
#define DBL_MAX __DBL_MAX__
#define DBL_MIN __DBL_MIN__
#define DBL_EPSILON __DBL_EPSILON__
#define INFINITY __builtin_inff()
#define NAN __builtin_nanf("")
#define HUGE_VALF __builtin_huge_valf()
#define HUGE_VAL __builtin_huge_val()
#define M_PI 3.14159265358979323846
#define M_PI_2 1.57079632679489661923
#define M_E 2.7182818284590452354
#define M_SQRT2 1.41421356237309504880
#define M_LN2 0.69314718055994530942
#define M_LOG2E 1.4426950408889634074
#define CUDART_PI_F 3.141592654f
#define CUDART_INF_F __builtin_inff()
#define CUDART_NAN_F __builtin_nanf("")

// ---- what libvgpu and the pass share ------------------------------------
// struct vgpu_cpu_exec of src/cpu/runtime.c
struct __vgpu_exec {
	unsigned int grid[3];
	unsigned int block[3];
	void *const *args;
	void (*barrier)(void);
	unsigned long long *prof;	// null, or the region profile's counters (__VGPU_PROF_*)
};
// The per-block context. Its first four fields are read by the pass.
struct __vgpu_ctx {
	void *const *args;
	char *frame;		// per-thread state live across barriers
	void *dsmem;		// dynamic shared memory
	unsigned nthreads;
	unsigned xo;		// the first thread of those __vgpu_region_chunk runs
	unsigned long long uin[32];	// values the same in every thread, live across barriers:
	unsigned long long *uout;	// read from uin, written to *uout (= ures), copied back per
					// region; a pointer, so that the drivers' local copy of the
					// context keeps no array the vectoriser would see as carried
					// from one thread to the next
	unsigned long long ures[32];
	unsigned bid[3], bdim[3], gdim[3];
	unsigned *state;	// per thread: where it resumes
	unsigned *want;		// per thread at a warp sync: the lanes it waits for (its mask)
	unsigned sel;		// the state of the group running (masked runs)
	unsigned gmask[32];	// per warp: lanes of the group running
	unsigned wx;		// the half of the warp exchange lanes write (they read the other)
	unsigned *vote;		// flags: vote[2]: a warp exchange of 8-byte
				// values waits (its high words need publishing too); through
				// the pointer: the regions run on a copy of the context
	unsigned vsum, vall;	// the votes' tally (driver: before the barrier's next region)
	unsigned rexit;		// the state every thread left a region by, where the pass knows
				// they all leave alike (__vgpu_region_exit 0xfffffffd)
	// __syncthreads_count/and/or and the pass's block maximum, counted as
	// the threads vote: the true votes, the votes, the largest v + 1. In
	// the drivers' copies of the context these are values the thread loop
	// carries (reductions the vectoriser takes); the pass takes the
	// "parallel" mark off any access to them left in memory
	unsigned vtrue, vn, vmax;
};
// pass.cpp reads these fields at fixed offsets
static_assert(__builtin_offsetof(__vgpu_ctx, frame) == 8 &&
	      __builtin_offsetof(__vgpu_ctx, nthreads) == 24 && __builtin_offsetof(__vgpu_ctx, bid) == 552 &&
	      __builtin_offsetof(__vgpu_ctx, bdim) == 564 &&
	      __builtin_offsetof(__vgpu_ctx, gdim) == 576 &&
	      __builtin_offsetof(__vgpu_ctx, state) == 592 && __builtin_offsetof(__vgpu_ctx, vtrue) == 764 &&
	      __builtin_offsetof(__vgpu_ctx, wx) == 740 && __builtin_offsetof(__vgpu_ctx, xo) == 28 &&
	      sizeof(__vgpu_ctx) == 776, "struct __vgpu_ctx changed: update pass.cpp's CTX_*_OFF");
extern "C" {
__device__ unsigned __vgpu_tid_x(void);
__device__ unsigned __vgpu_tid_y(void);
__device__ unsigned __vgpu_tid_z(void);
__device__ unsigned __vgpu_lin(void);
__device__ __vgpu_ctx *__vgpu_ctxp(void);
__device__ void __vgpu_barrier(void);
__device__ void __vgpu_warp_sync(void);
__device__ void __vgpu_warp_sync_ballot(void);	// a ballot's (its state says so)
__device__ void __vgpu_warp_sync_reduce(unsigned);	// cg::reduce's, its code (its state says so)
__device__ unsigned long long __vgpu_reduce_kinds(void);	// the codes' kinds a kernel reduces
__device__ void __vgpu_threads(__vgpu_ctx *);
__device__ void __vgpu_body(__vgpu_ctx *, unsigned, unsigned, unsigned, unsigned);
__device__ unsigned __vgpu_region(__vgpu_ctx *, unsigned, unsigned, unsigned, unsigned);
__device__ unsigned __vgpu_region_limit(__vgpu_ctx *, unsigned, unsigned, unsigned, unsigned);	// threads of a row
						// past which the region does nothing but reach its way
						// out (0xffffffff: all may do more; the pass knows)
__device__ unsigned __vgpu_region_step(void);	// with it, the threads past it that also work: every
						// step-th of a row (a warp's first lane; 0: none)
__device__ unsigned __vgpu_region_main(__vgpu_ctx *, unsigned, unsigned, unsigned, unsigned);	// the region for
						// threads no edge test names (threadIdx.x == 0, ...)
__device__ unsigned __vgpu_region_chunk(__vgpu_ctx *, unsigned, unsigned, unsigned, unsigned);	// the region
						// for threads ctx->xo .. of a row (x >> 5 known)
__device__ unsigned __vgpu_chunked(void);	// the threads a __vgpu_region_chunk runs (0: none)
__device__ unsigned __vgpu_chunk_loop(void);	// a whole chunk's W threads stay a loop (not unrolled)
__device__ unsigned __vgpu_region_uni(__vgpu_ctx *, unsigned, unsigned, unsigned, unsigned);	// the region's
						// uniform values and way out only (no other effect)
__device__ unsigned __vgpu_uni(void);	// the region has a __vgpu_region_uni
__device__ unsigned __vgpu_region_prefetch(__vgpu_ctx *, unsigned, unsigned, unsigned, unsigned);	// prefetches
						// what the region's thread will touch a loop trip ahead
__device__ unsigned __vgpu_prefetch_step(void);	// threads a cache line spans there (0: nothing to prefetch)
__device__ unsigned __vgpu_prefetch_dense(void);	// every cache line of a row, not a few
__device__ void __vgpu_block_prefetch(__vgpu_ctx *, unsigned, unsigned, unsigned, unsigned);	// prefetches
						// what a thread of the block in ctx->bid will touch first
__device__ unsigned __vgpu_block_prefetch_step(void);	// threads a cache line spans (0: nothing to prefetch; 1024: one call a row)
__device__ unsigned __vgpu_block_prefetch_1d(void);	// for blocks of one row too
__device__ unsigned __vgpu_peel(void);		// the region has such tests: x 0 named,
__device__ unsigned __vgpu_peel_x0(void);	// another x named (0xffffffff: none), y 0,
__device__ unsigned __vgpu_peel_xk(void);	// another y
__device__ unsigned __vgpu_peel_y0(void);
__device__ unsigned __vgpu_peel_yk(void);
__device__ unsigned __vgpu_dispatch(unsigned, __vgpu_ctx *, unsigned);
__device__ unsigned long __vgpu_frame_bytes(void);	// per thread
__device__ unsigned long __vgpu_frame_stride(void);	// threads between a slot's copies (0: the block's size)
__device__ unsigned __vgpu_region_exit(void);	// the state every thread of a region reaches, 0xfffffffe: not
						// one, 0xfffffffd: one, but known only at run time
__device__ unsigned __vgpu_nuniform(void);	// uniform values live across barriers (at most 32)
__device__ unsigned __vgpu_whole_warps(void);	// the selected-threads region runs whole warps at once
__device__ unsigned __vgpu_uniform_last(void);	// the last thread's uniform values speak for the others
						// (no thread of the region returns for good while others
						// go on)
__device__ void *const *__vgpu_args(const __vgpu_exec *);
__device__ void *malloc(size_t) throw();
__device__ void free(void *) throw();
__device__ void *memcpy(void *, const void *, size_t) throw();
__device__ void *memset(void *, int, size_t) throw();
__device__ int printf(const char *, ...);
__device__ void abort(void) throw() __attribute__((noreturn));
__device__ void __assert_fail(const char *, const char *, unsigned, const char *) throw() __attribute__((noreturn));
}

// ---- types ------------------------------------------------------------------
#define __VGPU_VEC(T, N, A)									\
	struct __attribute__((aligned(A))) N##1 { T x; };					\
	struct __attribute__((aligned(2 * A))) N##2 { T x, y; };				\
	struct N##3 { T x, y, z; };								\
	struct __attribute__((aligned(4 * A > 16 ? 16 : 4 * A))) N##4 { T x, y, z, w; };	\
	__VGPU_FN N##1 make_##N##1(T x) { return N##1{x}; }					\
	__VGPU_FN N##2 make_##N##2(T x, T y) { return N##2{x, y}; }				\
	__VGPU_FN N##3 make_##N##3(T x, T y, T z) { return N##3{x, y, z}; }			\
	__VGPU_FN N##4 make_##N##4(T x, T y, T z, T w) { return N##4{x, y, z, w}; }
__VGPU_VEC(signed char, char, 1)
__VGPU_VEC(unsigned char, uchar, 1)
__VGPU_VEC(short, short, 2)
__VGPU_VEC(unsigned short, ushort, 2)
__VGPU_VEC(int, int, 4)
__VGPU_VEC(unsigned int, uint, 4)
__VGPU_VEC(long, long, 8)
__VGPU_VEC(unsigned long, ulong, 8)
__VGPU_VEC(long long, longlong, 8)
__VGPU_VEC(unsigned long long, ulonglong, 8)
__VGPU_VEC(float, float, 4)
__VGPU_VEC(double, double, 8)
#undef __VGPU_VEC
struct dim3 {
	unsigned int x, y, z;
	__device__ constexpr dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
	__device__ constexpr dim3(uint3 u) : x(u.x), y(u.y), z(u.z) {}
	__device__ constexpr operator uint3() const { return uint3{x, y, z}; }
};

// ---- builtin variables --------------------------------------------------------
#define __VGPU_BUILTIN(T, GX, GY, GZ)								\
struct T {											\
	__declspec(property(get = __fetch_x)) unsigned int x;					\
	__declspec(property(get = __fetch_y)) unsigned int y;					\
	__declspec(property(get = __fetch_z)) unsigned int z;					\
	static __device__ __forceinline__ unsigned int __fetch_x() { return GX; }		\
	static __device__ __forceinline__ unsigned int __fetch_y() { return GY; }		\
	static __device__ __forceinline__ unsigned int __fetch_z() { return GZ; }		\
	__device__ operator dim3() const { return dim3(x, y, z); }				\
	__device__ operator uint3() const { return uint3{x, y, z}; }				\
};
__VGPU_BUILTIN(__vgpu_threadIdx_t, __vgpu_tid_x(), __vgpu_tid_y(), __vgpu_tid_z())
__VGPU_BUILTIN(__vgpu_blockIdx_t, __vgpu_ctxp()->bid[0], __vgpu_ctxp()->bid[1], __vgpu_ctxp()->bid[2])
__VGPU_BUILTIN(__vgpu_blockDim_t, __vgpu_ctxp()->bdim[0], __vgpu_ctxp()->bdim[1], __vgpu_ctxp()->bdim[2])
__VGPU_BUILTIN(__vgpu_gridDim_t, __vgpu_ctxp()->gdim[0], __vgpu_ctxp()->gdim[1], __vgpu_ctxp()->gdim[2])
#undef __VGPU_BUILTIN
extern const __device__ __vgpu_threadIdx_t threadIdx;
extern const __device__ __vgpu_blockIdx_t blockIdx;
extern const __device__ __vgpu_blockDim_t blockDim;
extern const __device__ __vgpu_gridDim_t gridDim;
extern const __device__ int warpSize;
#define warpSize 32

// ---- barriers, fences ---------------------------------------------------------
__VGPU_FN void __syncthreads(void) { __vgpu_barrier(); }
// one barrier: each thread adds its vote to the region's count (a
// reduction in the drivers' thread loops), the driver hands the tally over
// before the threads go on (__vgpu_resume)
__VGPU_FN int __vgpu_sync_count(int pred, int op)
{
	__vgpu_ctx *c = __vgpu_ctxp();
	c->vtrue += pred != 0;
	c->vn += 1;
	__vgpu_barrier();
	const int n = (int)c->vsum, all = (int)c->vall;
	return op == 0 ? n : op == 1 ? n == all : n != 0;
}
__VGPU_FN int __syncthreads_count(int pred) { return __vgpu_sync_count(pred, 0); }
__VGPU_FN int __syncthreads_and(int pred) { return __vgpu_sync_count(pred, 1); }
__VGPU_FN int __syncthreads_or(int pred) { return __vgpu_sync_count(pred, 2); }
// the pass's block maximum at the head of a strided loop (the most trips any
// thread has): the largest v + 1, less one
extern "C" __device__ __attribute__((used)) unsigned __vgpu_vote_max(unsigned v)
{
	__vgpu_ctx *c = __vgpu_ctxp();
	c->vmax = c->vmax > v + 1 ? c->vmax : v + 1;
	__vgpu_barrier();
	return c->vsum;
}
__VGPU_FN void __threadfence(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
__VGPU_FN void __threadfence_block(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
__VGPU_FN void __threadfence_system(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

// ---- atomics: sequentially consistent --------------------------------------------
#define __VGPU_SC __ATOMIC_SEQ_CST
#define __VGPU_AT3(R, N, T, B)									\
	__VGPU_FN R N(T *p, T v) { return B; }							\
	__VGPU_FN R N##_block(T *p, T v) { return B; }						\
	__VGPU_FN R N##_system(T *p, T v) { return B; }
#define __VGPU_AT_BITS(T)									\
	__VGPU_AT3(T, atomicAnd, T, __atomic_fetch_and(p, v, __VGPU_SC))			\
	__VGPU_AT3(T, atomicOr, T, __atomic_fetch_or(p, v, __VGPU_SC))				\
	__VGPU_AT3(T, atomicXor, T, __atomic_fetch_xor(p, v, __VGPU_SC))
#define __VGPU_AT_MINMAX(T)									\
	__VGPU_AT3(T, atomicMin, T, __atomic_fetch_min(p, v, __VGPU_SC))			\
	__VGPU_AT3(T, atomicMax, T, __atomic_fetch_max(p, v, __VGPU_SC))
#define __VGPU_AT_EXCH(T)									\
	__VGPU_AT3(T, atomicExch, T, __atomic_exchange_n(p, v, __VGPU_SC))
#define __VGPU_AT_CAS(T)									\
	__VGPU_FN T atomicCAS(T *p, T c, T v) { __atomic_compare_exchange_n(p, &c, v, false, __VGPU_SC, __VGPU_SC); return c; } \
	__VGPU_FN T atomicCAS_block(T *p, T c, T v) { return atomicCAS(p, c, v); }		\
	__VGPU_FN T atomicCAS_system(T *p, T c, T v) { return atomicCAS(p, c, v); }
__VGPU_AT3(int, atomicAdd, int, __atomic_fetch_add(p, v, __VGPU_SC))
__VGPU_AT3(unsigned, atomicAdd, unsigned, __atomic_fetch_add(p, v, __VGPU_SC))
__VGPU_AT3(unsigned long long, atomicAdd, unsigned long long, __atomic_fetch_add(p, v, __VGPU_SC))
__VGPU_AT3(int, atomicSub, int, __atomic_fetch_sub(p, v, __VGPU_SC))
__VGPU_AT3(unsigned, atomicSub, unsigned, __atomic_fetch_sub(p, v, __VGPU_SC))
__VGPU_AT_EXCH(int)
__VGPU_AT_EXCH(unsigned)
__VGPU_AT_EXCH(unsigned long long)
__VGPU_AT_MINMAX(int)
__VGPU_AT_MINMAX(unsigned)
__VGPU_AT_MINMAX(long long)
__VGPU_AT_MINMAX(unsigned long long)
__VGPU_AT_BITS(int)
__VGPU_AT_BITS(unsigned)
__VGPU_AT_BITS(unsigned long long)
__VGPU_AT_CAS(int)
__VGPU_AT_CAS(unsigned)
__VGPU_AT_CAS(unsigned long long)
__VGPU_AT_CAS(unsigned short)
template <class F, class U>
__VGPU_FN F __vgpu_atomic_fadd(F *p, F v)
{
	U o = __atomic_load_n((U *)p, __ATOMIC_RELAXED), n;
	F of, nf;
	do {
		__builtin_memcpy(&of, &o, sizeof(F));
		nf = of + v;
		__builtin_memcpy(&n, &nf, sizeof(F));
	} while (!__atomic_compare_exchange_n((U *)p, &o, n, true, __VGPU_SC, __ATOMIC_RELAXED));
	return of;
}
__VGPU_AT3(float, atomicAdd, float, (__vgpu_atomic_fadd<float, unsigned>(p, v)))
__VGPU_AT3(double, atomicAdd, double, (__vgpu_atomic_fadd<double, unsigned long long>(p, v)))
__VGPU_FN float atomicExch(float *p, float v)
{
	unsigned n, o;
	float r;
	__builtin_memcpy(&n, &v, 4);
	o = __atomic_exchange_n((unsigned *)p, n, __VGPU_SC);
	__builtin_memcpy(&r, &o, 4);
	return r;
}
__VGPU_FN float atomicExch_block(float *p, float v) { return atomicExch(p, v); }
__VGPU_FN float atomicExch_system(float *p, float v) { return atomicExch(p, v); }
__VGPU_FN unsigned __vgpu_atomic_incdec(unsigned *p, unsigned lim, bool inc)
{
	unsigned o = __atomic_load_n(p, __ATOMIC_RELAXED), n;
	do
		n = inc ? (o >= lim ? 0 : o + 1) : ((o == 0 || o > lim) ? lim : o - 1);
	while (!__atomic_compare_exchange_n(p, &o, n, true, __VGPU_SC, __ATOMIC_RELAXED));
	return o;
}
__VGPU_AT3(unsigned, atomicInc, unsigned, __vgpu_atomic_incdec(p, v, true))
__VGPU_AT3(unsigned, atomicDec, unsigned, __vgpu_atomic_incdec(p, v, false))
#undef __VGPU_AT3
#undef __VGPU_AT_BITS
#undef __VGPU_AT_MINMAX
#undef __VGPU_AT_EXCH
#undef __VGPU_AT_CAS

// ---- math: the C library's functions, and CUDA's names for them ------------------
extern "C" {
// the C library's functions of one and of two arguments (each X(name):
// these declarations, and <cuda/std/cmath>'s names)
#define __VGPU_MATH1(X)												\
	X(sqrt) X(cbrt) X(exp) X(exp2) X(expm1) X(log) X(log2) X(log10) X(log1p) X(sin) X(cos) X(tan)	\
	X(asin) X(acos) X(atan) X(sinh) X(cosh) X(tanh) X(asinh) X(acosh) X(atanh) X(fabs) X(floor)	\
	X(ceil) X(trunc) X(round) X(rint) X(nearbyint) X(erf) X(erfc) X(tgamma) X(lgamma) X(logb)
#define __VGPU_MATH2(X)												\
	X(pow) X(atan2) X(fmod) X(fmin) X(fmax) X(hypot) X(copysign) X(remainder) X(fdim) X(nextafter)
#define __VGPU_M1(fn) __device__ double fn(double) throw(); __device__ float fn##f(float) throw();
#define __VGPU_M2(fn) __device__ double fn(double, double) throw(); __device__ float fn##f(float, float) throw();
__VGPU_MATH1(__VGPU_M1) __VGPU_M1(exp10) __VGPU_M1(j0) __VGPU_M1(j1) __VGPU_M1(y0) __VGPU_M1(y1)
__VGPU_MATH2(__VGPU_M2)
#undef __VGPU_M1
#undef __VGPU_M2
__device__ double fma(double, double, double) throw();
__device__ float fmaf(float, float, float) throw();
__device__ double ldexp(double, int) throw();
__device__ float ldexpf(float, int) throw();
__device__ double frexp(double, int *) throw();
__device__ float frexpf(float, int *) throw();
__device__ double modf(double, double *) throw();
__device__ float modff(float, float *) throw();
__device__ long lround(double) throw();
__device__ long lroundf(float) throw();
__device__ long long llround(double) throw();
__device__ long long llroundf(float) throw();
__device__ long lrint(double) throw();
__device__ long lrintf(float) throw();
__device__ void sincos(double, double *, double *) throw();
__device__ void sincosf(float, float *, float *) throw();
__device__ long long llrint(double) throw();
__device__ long long llrintf(float) throw();
__device__ int ilogb(double) throw();
__device__ int ilogbf(float) throw();
__device__ double scalbn(double, int) throw();
__device__ float scalbnf(float, int) throw();
__device__ double scalbln(double, long) throw();
__device__ float scalblnf(float, long) throw();
__device__ double nan(const char *) throw();
__device__ float nanf(const char *) throw();
__device__ double remquo(double, double, int *) throw();
__device__ float remquof(float, float, int *) throw();
__device__ double jn(int, double) throw();
__device__ float jnf(int, float) throw();
__device__ double yn(int, double) throw();
__device__ float ynf(int, float) throw();
__device__ int abs(int) throw();
__device__ long labs(long) throw();
__device__ long long llabs(long long) throw();
}
#define __VGPU_OV1(fn) __VGPU_FN float fn(float x) { return fn##f(x); }
#define __VGPU_OV2(fn) __VGPU_FN float fn(float x, float y) { return fn##f(x, y); }
__VGPU_OV1(sqrt) __VGPU_OV1(cbrt) __VGPU_OV1(exp) __VGPU_OV1(exp2) __VGPU_OV1(expm1) __VGPU_OV1(log)
__VGPU_OV1(log2) __VGPU_OV1(log10) __VGPU_OV1(log1p) __VGPU_OV1(sin) __VGPU_OV1(cos) __VGPU_OV1(tan)
__VGPU_OV1(asin) __VGPU_OV1(acos) __VGPU_OV1(atan) __VGPU_OV1(sinh) __VGPU_OV1(cosh) __VGPU_OV1(tanh)
__VGPU_OV1(fabs) __VGPU_OV1(floor) __VGPU_OV1(ceil) __VGPU_OV1(trunc) __VGPU_OV1(round) __VGPU_OV1(rint)
__VGPU_OV1(erf) __VGPU_OV1(erfc) __VGPU_OV1(tgamma) __VGPU_OV1(lgamma)
__VGPU_OV2(pow) __VGPU_OV2(atan2) __VGPU_OV2(fmod) __VGPU_OV2(fmin) __VGPU_OV2(fmax) __VGPU_OV2(hypot)
__VGPU_OV2(copysign)
#undef __VGPU_OV1
#undef __VGPU_OV2
__VGPU_FN float fma(float a, float b, float c) { return fmaf(a, b, c); }
__VGPU_FN float abs(float x) { return fabsf(x); }
__VGPU_FN double abs(double x) { return fabs(x); }
__VGPU_FN long long abs(long long x) { return llabs(x); }
__VGPU_FN float pow(float x, int n) { return powf(x, (float)n); }
__VGPU_FN double pow(double x, int n) { return pow(x, (double)n); }
__VGPU_FN bool isnan(float x) { return __builtin_isnan(x); }
__VGPU_FN bool isnan(double x) { return __builtin_isnan(x); }
__VGPU_FN bool isinf(float x) { return __builtin_isinf(x); }
__VGPU_FN bool isinf(double x) { return __builtin_isinf(x); }
__VGPU_FN bool isfinite(float x) { return __builtin_isfinite(x); }
__VGPU_FN bool isfinite(double x) { return __builtin_isfinite(x); }
__VGPU_FN bool signbit(float x) { return __builtin_signbit(x); }
__VGPU_FN bool signbit(double x) { return __builtin_signbit(x); }
__VGPU_FN float rsqrtf(float x) { return 1.0f / sqrtf(x); }
__VGPU_FN double rsqrt(double x) { return 1.0 / sqrt(x); }
__VGPU_FN float rcbrtf(float x) { return 1.0f / cbrtf(x); }
__VGPU_FN double rcbrt(double x) { return 1.0 / cbrt(x); }
// sin(pi x) and cos(pi x) exactly where they are 0 or +-1 (x an integer or
// half of one, however large): x reduced by an even integer, exactly, into
// [-1, 1], then to sin(pi t) with |t| <= 1/2 (cos(pi r) = sin(pi (1/2 - |r|)))
template <class T> __VGPU_FN T __vgpu_sinpi_t(T t)
{
	return t == T(0) ? t : sizeof(T) == 4 ? (T)sin(M_PI * (double)t) : (T)sin(M_PI * t);
}
template <class T> __VGPU_FN T __vgpu_pired(T x)
{
	return x - T(2) * __builtin_rint(x * T(0.5));	// exact: |result| <= 1
}
template <class T> __VGPU_FN T __vgpu_sinpi(T x)
{
	if (!__builtin_isfinite(x))
		return x - x;	// NaN
	const T r = __vgpu_pired(x), a = __builtin_fabs(r);
	const T s = __vgpu_sinpi_t(a > T(0.5) ? T(1) - a : a);	// sin(pi a) = sin(pi (1 - a))
	return s == T(0) ? __builtin_copysign(T(0), x) : r < T(0) ? -s : s;
}
template <class T> __VGPU_FN T __vgpu_cospi(T x)
{
	if (!__builtin_isfinite(x))
		return x - x;
	return __vgpu_sinpi_t(T(0.5) - __builtin_fabs(__vgpu_pired(x)));
}
__VGPU_FN float sinpif(float x) { return __vgpu_sinpi(x); }
__VGPU_FN float cospif(float x) { return __vgpu_cospi(x); }
__VGPU_FN double sinpi(double x) { return __vgpu_sinpi(x); }
__VGPU_FN double cospi(double x) { return __vgpu_cospi(x); }
__VGPU_FN void sincospif(float x, float *s, float *c) { *s = sinpif(x); *c = cospif(x); }
__VGPU_FN void sincospi(double x, double *s, double *c) { *s = sinpi(x); *c = cospi(x); }
__VGPU_FN float normcdff(float x) { return 0.5f * erfcf(-x * 0.70710678118654752f); }
__VGPU_FN double normcdf(double x) { return 0.5 * erfc(-x * 0.70710678118654752); }
// Euclidean norms without overflow or underflow in the squares: scaled by
// the largest magnitude; r...: 1 / the norm
template <class T> __VGPU_FN T __vgpu_norm(int n, const T *v)
{
	T m = T(0), s = T(0);
	for (int i = 0; i < n; i++) {
		if (__builtin_isinf(v[i]))
			return __builtin_inf();
		m = __builtin_fabs(v[i]) > m || m != m ? __builtin_fabs(v[i]) : m;
	}
	if (m == T(0) || m != m)
		return m;
	for (int i = 0; i < n; i++)
		s += (v[i] / m) * (v[i] / m);
	return m * (sizeof(T) == 4 ? (T)sqrtf((float)s) : (T)sqrt((double)s));
}
__VGPU_FN float normf(int n, const float *v) { return __vgpu_norm(n, v); }
__VGPU_FN double norm(int n, const double *v) { return __vgpu_norm(n, v); }
__VGPU_FN float rnormf(int n, const float *v) { return 1.0f / normf(n, v); }
__VGPU_FN double rnorm(int n, const double *v) { return 1.0 / norm(n, v); }
#define __VGPU_NORMN(T, S, N, P, E)									\
	__VGPU_FN T norm##N##d##S P									\
	{												\
		const T v[] = E;									\
		return __vgpu_norm(N, v);								\
	}												\
	__VGPU_FN T rnorm##N##d##S P									\
	{												\
		const T v[] = E;									\
		return T(1) / __vgpu_norm(N, v);							\
	}
#define __VGPU_ABC { a, b, c }
#define __VGPU_ABCD { a, b, c, d }
__VGPU_NORMN(float, f, 3, (float a, float b, float c), __VGPU_ABC)
__VGPU_NORMN(double, , 3, (double a, double b, double c), __VGPU_ABC)
__VGPU_NORMN(float, f, 4, (float a, float b, float c, float d), __VGPU_ABCD)
__VGPU_NORMN(double, , 4, (double a, double b, double c, double d), __VGPU_ABCD)
#undef __VGPU_ABC
#undef __VGPU_ABCD
#undef __VGPU_NORMN
__VGPU_FN float rhypotf(float x, float y) { return 1.0f / hypotf(x, y); }
__VGPU_FN double rhypot(double x, double y) { return 1.0 / hypot(x, y); }
// the inverse error functions, in double: Winitzki's closed form to 2e-3,
// then Halley steps to the last bits, on erf near 0 and on erfc in the
// tails (the operand as 1 - y, 1 - z or 2 - z: exact there), so that no
// step subtracts two values near 1; normcdfinv(p) = -sqrt(2) erfcinv(2p)
__VGPU_FN double __vgpu_winitzki(double l)	// l = log(1 - y^2)
{
	const double a = 0.147, t = 2.0 / (M_PI * a) + 0.5 * l;
	return sqrt(sqrt(t * t - l / a) - t);
}
// erf(x) = y, |y| < 1/2
__VGPU_FN double __vgpu_erfinv_mid(double y)
{
	if (y == 0.0)
		return y;
	double x = __builtin_copysign(__vgpu_winitzki(log1p(-y * y)), y);
	for (int i = 0; i < 4; i++) {
		const double f = erf(x) - y, g = 1.1283791670955126 * exp(-x * x);	// f', 2/sqrt(pi)
		if (f == 0.0)
			break;
		const double q = f / g;
		x -= q / (1.0 + x * q);	// Halley: f'' = -2x f'
	}
	return x;
}
// erfc(x) = w, 0 < w <= 1/2: x > 0
__VGPU_FN double __vgpu_erfcinv_tail(double w)
{
	double x = __vgpu_winitzki(log(w) + log(2.0 - w));
	for (int i = 0; i < 4; i++) {
		const double f = erfc(x) - w, g = -1.1283791670955126 * exp(-x * x);
		if (f == 0.0 || g == 0.0)
			break;
		const double q = f / g;
		x -= q / (1.0 + x * q);
	}
	return x;
}
__VGPU_FN double erfinv(double y)
{
	if (!(y > -1.0 && y < 1.0))
		return y == 1.0 ? __builtin_inf() : y == -1.0 ? -__builtin_inf() : __builtin_nan("");
	if (__builtin_fabs(y) < 0.5)
		return __vgpu_erfinv_mid(y);
	const double x = __vgpu_erfcinv_tail(1.0 - __builtin_fabs(y));
	return y > 0 ? x : -x;
}
__VGPU_FN double erfcinv(double z)
{
	if (!(z > 0.0 && z < 2.0))
		return z == 0.0 ? __builtin_inf() : z == 2.0 ? -__builtin_inf() : __builtin_nan("");
	if (z <= 0.5)
		return __vgpu_erfcinv_tail(z);
	if (z < 1.5)
		return __vgpu_erfinv_mid(1.0 - z);	// erfcinv(z) = erfinv(1 - z)
	return -__vgpu_erfcinv_tail(2.0 - z);
}
__VGPU_FN double normcdfinv(double p) { return -1.4142135623730951 * erfcinv(2.0 * p); }
__VGPU_FN float erfinvf(float y) { return (float)erfinv(y); }
__VGPU_FN float erfcinvf(float z) { return (float)erfcinv(z); }
__VGPU_FN float normcdfinvf(float p) { return (float)normcdfinv(p); }
__VGPU_FN float saturatef(float x) { return x < 0.f ? 0.f : x > 1.f ? 1.f : x; }
__VGPU_FN float __saturatef(float x) { return saturatef(x); }
__VGPU_FN float fdividef(float a, float b) { return a / b; }

// min/max as CUDA overloads them
#define __VGPU_MM(T)										\
	__VGPU_FN T min(T a, T b) { return b < a ? b : a; }					\
	__VGPU_FN T max(T a, T b) { return a < b ? b : a; }
__VGPU_MM(int) __VGPU_MM(unsigned) __VGPU_MM(long) __VGPU_MM(unsigned long) __VGPU_MM(long long)
__VGPU_MM(unsigned long long)
#undef __VGPU_MM
__VGPU_FN float min(float a, float b) { return fminf(a, b); }
__VGPU_FN float max(float a, float b) { return fmaxf(a, b); }
__VGPU_FN double min(double a, double b) { return fmin(a, b); }
__VGPU_FN double max(double a, double b) { return fmax(a, b); }
__VGPU_FN unsigned min(int a, unsigned b) { return min((unsigned)a, b); }
__VGPU_FN unsigned min(unsigned a, int b) { return min(a, (unsigned)b); }
__VGPU_FN unsigned max(int a, unsigned b) { return max((unsigned)a, b); }
__VGPU_FN unsigned max(unsigned a, int b) { return max(a, (unsigned)b); }
__VGPU_FN float min(float a, double b) { return fminf(a, (float)b); }
__VGPU_FN double min(double a, float b) { return fmin(a, (double)b); }
__VGPU_FN float max(float a, double b) { return fmaxf(a, (float)b); }
__VGPU_FN double max(double a, float b) { return fmax(a, (double)b); }
__VGPU_FN float min(float a, int b) { return fminf(a, (float)b); }
__VGPU_FN float min(int a, float b) { return fminf((float)a, b); }
__VGPU_FN float max(float a, int b) { return fmaxf(a, (float)b); }
__VGPU_FN float max(int a, float b) { return fmaxf((float)a, b); }
__VGPU_FN int umin(int a, int b) = delete;

// fast-math intrinsics: the precise functions
__VGPU_FN float __expf(float x) { return expf(x); }
__VGPU_FN float __exp10f(float x) { return exp10f(x); }
__VGPU_FN float __logf(float x) { return logf(x); }
__VGPU_FN float __log2f(float x) { return log2f(x); }
__VGPU_FN float __log10f(float x) { return log10f(x); }
__VGPU_FN float __powf(float x, float y) { return powf(x, y); }
__VGPU_FN float __sinf(float x) { return sinf(x); }
__VGPU_FN float __cosf(float x) { return cosf(x); }
__VGPU_FN float __tanf(float x) { return tanf(x); }
__VGPU_FN void __sincosf(float x, float *s, float *c) { sincosf(x, s, c); }
__VGPU_FN float __fdividef(float a, float b) { return a / b; }
__VGPU_FN double __fdividef(double a, double b) = delete;

// IEEE operations with a rounding mode. _rn is the operation itself (not
// contracted); _rz/_ru/_rd correct the nearest result by its exact error.
#pragma clang fp contract(off)
__VGPU_FN float __vgpu_fmat(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
__VGPU_FN double __vgpu_fmat(double a, double b, double c) { return __builtin_fma(a, b, c); }
__VGPU_FN float __vgpu_sqrtt(float a) { return __builtin_sqrtf(a); }
__VGPU_FN double __vgpu_sqrtt(double a) { return __builtin_sqrt(a); }
__VGPU_FN float __vgpu_next(float a, float d) { return __builtin_nextafterf(a, d); }
__VGPU_FN double __vgpu_next(double a, double d) { return __builtin_nextafter(a, d); }
template <class T> __VGPU_FN T __vgpu_dir(T r, T err, int mode)
{	// mode 1: toward zero, 2: up, 3: down; err = exact - r
	if (err == 0 || __builtin_isnan(err))
		return r;
	bool up = mode == 2 || (mode == 1 && r < 0);
	bool down = mode == 3 || (mode == 1 && r > 0);
	if (up && err > 0)
		return __vgpu_next(r, (T)__builtin_inff());
	if (down && err < 0)
		return __vgpu_next(r, -(T)__builtin_inff());
	return r;
}
template <class T> __VGPU_FN T __vgpu_add(T a, T b, int m)
{
	T s = a + b, bb = s - a, e = (a - (s - bb)) + (b - bb);
	return m ? __vgpu_dir(s, e, m) : s;
}
template <class T> __VGPU_FN T __vgpu_mul(T a, T b, int m)
{
	T p = a * b;
	return m ? __vgpu_dir(p, __vgpu_fmat(a, b, -p), m) : p;
}
template <class T> __VGPU_FN T __vgpu_div(T a, T b, int m)
{
	T q = a / b;
	T e = -__vgpu_fmat(q, b, -a);	// a - q*b, sign of the error times b's
	return m ? __vgpu_dir(q, b < 0 ? -e : e, m) : q;
}
template <class T> __VGPU_FN T __vgpu_sqrt(T a, int m)
{
	T r = __vgpu_sqrtt(a);
	return m ? __vgpu_dir(r, -__vgpu_fmat(r, r, -a), m) : r;
}
template <class T> __VGPU_FN T __vgpu_fma(T a, T b, T c, int m)
{
	T r = __vgpu_fmat(a, b, c);
	if (!m)
		return r;
	// error of the fused result: r - (a*b + c) from a second fma in double-width steps
	T p = a * b, pe = __vgpu_fmat(a, b, -p);
	T s = p + c, bb = s - p, se = (p - (s - bb)) + (c - bb);
	T e = (s - r) + (se + pe);
	return __vgpu_dir(r, e, m);
}
#define __VGPU_RND(sfx, m)										\
	__VGPU_FN float __fadd_##sfx(float a, float b) { return __vgpu_add(a, b, m); }		\
	__VGPU_FN float __fsub_##sfx(float a, float b) { return __vgpu_add(a, -b, m); }		\
	__VGPU_FN float __fmul_##sfx(float a, float b) { return __vgpu_mul(a, b, m); }		\
	__VGPU_FN float __fdiv_##sfx(float a, float b) { return __vgpu_div(a, b, m); }		\
	__VGPU_FN float __frcp_##sfx(float a) { return __vgpu_div(1.0f, a, m); }			\
	__VGPU_FN float __fsqrt_##sfx(float a) { return __vgpu_sqrt(a, m); }			\
	__VGPU_FN float __fmaf_##sfx(float a, float b, float c) { return __vgpu_fma(a, b, c, m); }	\
	__VGPU_FN double __dadd_##sfx(double a, double b) { return __vgpu_add(a, b, m); }	\
	__VGPU_FN double __dsub_##sfx(double a, double b) { return __vgpu_add(a, -b, m); }	\
	__VGPU_FN double __dmul_##sfx(double a, double b) { return __vgpu_mul(a, b, m); }	\
	__VGPU_FN double __ddiv_##sfx(double a, double b) { return __vgpu_div(a, b, m); }	\
	__VGPU_FN double __drcp_##sfx(double a) { return __vgpu_div(1.0, a, m); }		\
	__VGPU_FN double __dsqrt_##sfx(double a) { return __vgpu_sqrt(a, m); }			\
	__VGPU_FN double __fma_##sfx(double a, double b, double c) { return __vgpu_fma(a, b, c, m); }
__VGPU_RND(rn, 0)
__VGPU_RND(rz, 1)
__VGPU_RND(ru, 2)
__VGPU_RND(rd, 3)
#undef __VGPU_RND
#pragma clang fp contract(on)
__VGPU_FN float __frsqrt_rn(float a) { return 1.0f / sqrtf(a); }

// conversions
// float or double @f to integer type T as the GPU's cvt.rni/rzi/rmi/rpi:
// rounded by @mode (0 toward zero, 1 to nearest even, 2 down, 3 up),
// out-of-range values clamped to T's range (a C cast is undefined there:
// x86's cvttss2si gives INT_MIN for 3e9f, NaN and -3e9f alike). NaN gives 0
// from float (and the half formats, converted through it) to types of 32
// bits or fewer, and T's sign bit alone from double or to 64-bit types
// (0x80000000 from double to int and unsigned; seen on an H200, CUDA 13)
template <class T, class F> __VGPU_FN T __vgpu_f2i(F f, int mode)
{
	if (__builtin_isnan(f))
		return sizeof(F) == 4 && sizeof(T) <= 4 ? T(0) : T(T(1) << (sizeof(T) * 8 - 1));
	F r;
	if constexpr (sizeof(F) == 4)
		r = mode == 1 ? __builtin_rintf(f) : mode == 2 ? __builtin_floorf(f) : mode == 3 ? __builtin_ceilf(f)
											 : __builtin_truncf(f);
	else
		r = mode == 1 ? __builtin_rint(f) : mode == 2 ? __builtin_floor(f) : mode == 3 ? __builtin_ceil(f)
										       : __builtin_trunc(f);
	constexpr T lo = T(0) < T(-1) ? T(0) : T(T(1) << (sizeof(T) * 8 - 1)), hi = T(~lo);
	if (r <= (F)lo)
		return lo;
	if (r >= (F)hi)
		return hi;
	return (T)r;
}
// __float2int_rn ... __double2ull_ru: source P (float, double), target S
#define __VGPU_F2I(P, F, S, T)										\
	__VGPU_FN T __##P##2##S##_rz(F f) { return __vgpu_f2i<T>(f, 0); }				\
	__VGPU_FN T __##P##2##S##_rn(F f) { return __vgpu_f2i<T>(f, 1); }				\
	__VGPU_FN T __##P##2##S##_rd(F f) { return __vgpu_f2i<T>(f, 2); }				\
	__VGPU_FN T __##P##2##S##_ru(F f) { return __vgpu_f2i<T>(f, 3); }
#define __VGPU_F2IS(P, F)										\
	__VGPU_F2I(P, F, int, int)									\
	__VGPU_F2I(P, F, uint, unsigned)								\
	__VGPU_F2I(P, F, ll, long long)									\
	__VGPU_F2I(P, F, ull, unsigned long long)
__VGPU_F2IS(float, float)
__VGPU_F2IS(double, double)
#undef __VGPU_F2IS
#undef __VGPU_F2I
// an integer or double @v to floating type F as the GPU's cvt.rn/rz/rm/rp:
// the nearest value (@mode 1), moved one step toward zero (0), down (2) or
// up (3) where it lies past @v on the other side (every integer, float and
// double converts back exactly into __int128 or double for the test)
template <class F, class V> __VGPU_FN F __vgpu_cvtf(V v, int mode)
{
	const F n = (F)v;
	if (mode == 1 || n != n)
		return n;
	int c;	// the sign of n - v
	if constexpr (__is_floating_point(V))
		c = (double)n < v ? -1 : (double)n > v;
	else
		c = (__int128)n < (__int128)v ? -1 : (__int128)n > (__int128)v;
	const bool down = mode == 2 ? c > 0 : mode == 0 && c > 0 && v > V(0);
	const bool up = mode == 3 ? c < 0 : mode == 0 && c < 0 && v < V(0);
	return down ? __vgpu_next(n, F(-__builtin_inf())) : up ? __vgpu_next(n, F(__builtin_inf())) : n;
}
// __int2float_rn ... __double2float_ru: source P, target S
#define __VGPU_CVT(P, V, S, F)										\
	__VGPU_FN F __##P##2##S##_rz(V v) { return __vgpu_cvtf<F>(v, 0); }				\
	__VGPU_FN F __##P##2##S##_rn(V v) { return __vgpu_cvtf<F>(v, 1); }				\
	__VGPU_FN F __##P##2##S##_rd(V v) { return __vgpu_cvtf<F>(v, 2); }				\
	__VGPU_FN F __##P##2##S##_ru(V v) { return __vgpu_cvtf<F>(v, 3); }
__VGPU_CVT(int, int, float, float)
__VGPU_CVT(uint, unsigned, float, float)
__VGPU_CVT(ll, long long, float, float)
__VGPU_CVT(ull, unsigned long long, float, float)
__VGPU_CVT(ll, long long, double, double)
__VGPU_CVT(ull, unsigned long long, double, double)
__VGPU_CVT(double, double, float, float)
#undef __VGPU_CVT
__VGPU_FN double __int2double_rn(int i) { return (double)i; }
__VGPU_FN double __uint2double_rn(unsigned i) { return (double)i; }
__VGPU_FN int __float_as_int(float f) { int i; __builtin_memcpy(&i, &f, 4); return i; }
__VGPU_FN float __int_as_float(int i) { float f; __builtin_memcpy(&f, &i, 4); return f; }
__VGPU_FN unsigned __float_as_uint(float f) { unsigned i; __builtin_memcpy(&i, &f, 4); return i; }
__VGPU_FN float __uint_as_float(unsigned i) { float f; __builtin_memcpy(&f, &i, 4); return f; }
__VGPU_FN long long __double_as_longlong(double d) { long long i; __builtin_memcpy(&i, &d, 8); return i; }
__VGPU_FN double __longlong_as_double(long long i) { double d; __builtin_memcpy(&d, &i, 8); return d; }
__VGPU_FN int __double2hiint(double d) { return (int)(__double_as_longlong(d) >> 32); }
__VGPU_FN int __double2loint(double d) { return (int)__double_as_longlong(d); }
__VGPU_FN double __hiloint2double(int hi, int lo) { return __longlong_as_double(((long long)hi << 32) | (unsigned)lo); }

// ---- integer intrinsics -------------------------------------------------------
// dot products of bytes (__dp4a) and of 16-bit halves with bytes (__dp2a_lo:
// @b's bytes 0 and 1, _hi: 2 and 3), plus @c, wrapping at 32 bits as the
// GPU's dp4a/dp2a; signed (int, char4, short2) or unsigned
template <class E, class H> __VGPU_FN unsigned __vgpu_dp(unsigned a, unsigned b, unsigned c, int pairs, int hi)
{
	unsigned r = c;
	for (int k = 0; k < 4 && k < 2 * pairs; k++) {
		const int ea = pairs == 4 ? (int)(E)(a >> 8 * k) : (int)(H)(a >> 16 * k);
		r += (unsigned)(ea * (int)(E)(b >> 8 * (k + 2 * hi)));
	}
	return r;
}
#define __VGPU_DP(T, E, H, V4, H2)									\
	__VGPU_FN T __dp4a(T a, T b, T c) { return (T)__vgpu_dp<E, H>(a, b, c, 4, 0); }			\
	__VGPU_FN T __dp2a_lo(T a, T b, T c) { return (T)__vgpu_dp<E, H>(a, b, c, 1, 0); }		\
	__VGPU_FN T __dp2a_hi(T a, T b, T c) { return (T)__vgpu_dp<E, H>(a, b, c, 1, 1); }		\
	__VGPU_FN T __dp4a(V4 a, V4 b, T c) { return __dp4a(__builtin_bit_cast(T, a), __builtin_bit_cast(T, b), c); } \
	__VGPU_FN T __dp2a_lo(H2 a, V4 b, T c) { return __dp2a_lo(__builtin_bit_cast(T, a), __builtin_bit_cast(T, b), c); } \
	__VGPU_FN T __dp2a_hi(H2 a, V4 b, T c) { return __dp2a_hi(__builtin_bit_cast(T, a), __builtin_bit_cast(T, b), c); }
__VGPU_DP(int, signed char, short, char4, short2)
__VGPU_DP(unsigned, unsigned char, unsigned short, uchar4, ushort2)
#undef __VGPU_DP
__VGPU_FN int __popc(unsigned x) { return __builtin_popcount(x); }
__VGPU_FN int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
__VGPU_FN int __clz(int x) { return x ? __builtin_clz((unsigned)x) : 32; }
__VGPU_FN int __clzll(long long x) { return x ? __builtin_clzll((unsigned long long)x) : 64; }
__VGPU_FN int __ffs(int x) { return __builtin_ffs(x); }
__VGPU_FN int __ffsll(long long x) { return __builtin_ffsll(x); }
__VGPU_FN unsigned __brev(unsigned x) { return __builtin_bitreverse32(x); }
__VGPU_FN unsigned long long __brevll(unsigned long long x) { return __builtin_bitreverse64(x); }
__VGPU_FN unsigned __byte_perm(unsigned x, unsigned y, unsigned s)
{
	unsigned long long v = ((unsigned long long)y << 32) | x;
	unsigned r = 0;
	for (int i = 0; i < 4; i++)
		r |= (unsigned)((v >> (8 * ((s >> (4 * i)) & 7))) & 0xff) << (8 * i);
	return r;
}
__VGPU_FN int __mul24(int a, int b) { return (int)(((long long)(a << 8 >> 8)) * (b << 8 >> 8)); }
__VGPU_FN unsigned __umul24(unsigned a, unsigned b) { return (a & 0xffffff) * (b & 0xffffff); }
__VGPU_FN int __mulhi(int a, int b) { return (int)(((long long)a * b) >> 32); }
__VGPU_FN unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }
__VGPU_FN long long __mul64hi(long long a, long long b) { return (long long)(((__int128)a * b) >> 64); }
__VGPU_FN unsigned long long __umul64hi(unsigned long long a, unsigned long long b)
{ return (unsigned long long)(((unsigned __int128)a * b) >> 64); }
__VGPU_FN unsigned __sad(int x, int y, unsigned z) { return z + (unsigned)(x > y ? x - y : y - x); }
__VGPU_FN unsigned __usad(unsigned x, unsigned y, unsigned z) { return z + (x > y ? x - y : y - x); }
__VGPU_FN int __hadd(int a, int b) { return (int)(((long long)a + b) >> 1); }
__VGPU_FN int __rhadd(int a, int b) { return (int)(((long long)a + b + 1) >> 1); }
__VGPU_FN unsigned __uhadd(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a + b) >> 1); }
__VGPU_FN unsigned __urhadd(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a + b + 1) >> 1); }
__VGPU_FN unsigned __funnelshift_l(unsigned lo, unsigned hi, unsigned s)
{ return (unsigned)((((unsigned long long)hi << 32 | lo) << (s & 31)) >> 32); }
__VGPU_FN unsigned __funnelshift_r(unsigned lo, unsigned hi, unsigned s)
{ return (unsigned)(((unsigned long long)hi << 32 | lo) >> (s & 31)); }
__VGPU_FN unsigned __funnelshift_lc(unsigned lo, unsigned hi, unsigned s)
{ return (unsigned)((((unsigned long long)hi << 32 | lo) << (s > 32 ? 32 : s)) >> 32); }
__VGPU_FN unsigned __funnelshift_rc(unsigned lo, unsigned hi, unsigned s)
{ return (unsigned)(((unsigned long long)hi << 32 | lo) >> (s > 32 ? 32 : s)); }

// ---- loads and stores with cache hints: plain ones here -----------------------------
template <class T> __VGPU_FN T __ldg(const T *p) { return *p; }
template <class T> __VGPU_FN T __ldcg(const T *p) { return *p; }
template <class T> __VGPU_FN T __ldca(const T *p) { return *p; }
template <class T> __VGPU_FN T __ldcs(const T *p) { return *p; }
template <class T> __VGPU_FN T __ldlu(const T *p) { return *p; }
template <class T> __VGPU_FN T __ldcv(const T *p) { return *p; }
template <class T> __VGPU_FN void __stwb(T *p, T v) { *p = v; }
template <class T> __VGPU_FN void __stcg(T *p, T v) { *p = v; }
template <class T> __VGPU_FN void __stcs(T *p, T v) { *p = v; }
template <class T> __VGPU_FN void __stwt(T *p, T v) { *p = v; }

// ---- time, output, traps --------------------------------------------------------
__VGPU_FN long long clock64(void) { return (long long)__builtin_readcyclecounter(); }
__VGPU_FN clock_t clock(void) { return (clock_t)__builtin_readcyclecounter(); }
__VGPU_FN void __nanosleep(unsigned) {}
__VGPU_FN unsigned long long __globaltimer(void) { return __builtin_readcyclecounter(); }
__VGPU_FN void __trap(void) { abort(); }
__VGPU_FN void __brkpt(void) { abort(); }
#define assert(e) ((e) ? (void)0 : __assert_fail(#e, __FILE__, __LINE__, __PRETTY_FUNCTION__))

// ---- warps: 32 lanes (linear thread index / 32), in step at every warp function ---------
// the warp exchange buffer, in two halves: a lane writes its slot of one
// (ctx->wx) before a warp sync and reads the other after it. When the whole
// block passes a warp sync the halves swap (ctx->wx flips: what the lanes
// wrote is what they read); when a group of lanes passes, the driver copies
// its warps' slots to the half they read. The next exchange's writes (in
// the same region) do not touch what the lanes after them still read: one
// warp sync an exchange. A slot is two words in two arrays (low and high 32
// bits): a value of 4 bytes or less is one contiguous word a lane, where
// 8-byte slots made every exchange a scatter and a gather across the
// threads.
static __shared__ unsigned __vgpu_wx[2][2][1024 + 32];
// a warp reduction's results (cg::reduce, the shuffle loops the pass finds),
// low and high words: the driver writes a passing warp's there and each lane
// reads its own right after the sync, at an address no half of the exchange
// names. (Read from the half the lanes did not write, the half taken before
// the sync was a value each thread kept across it wherever the reduction
// sat under a branch on the thread, and the lanes' reads a gather:
// warp_scan's second warp scan, under `if (warp == 0)`.) The driver writes
// a warp's results only when it passes, after all its lanes have read those
// of the reduction before.
static __shared__ unsigned __vgpu_wr[2][1024 + 32];
// a ballot's bits, once per warp: the driver counts them (of the lanes that
// take part) when the lanes of a ballot pass its warp sync (its own,
// __vgpu_warp_sync_ballot, whose resume state the pass marks) and gives
// each lane a copy
// (a lane comparing the warp's 32 slots itself was most of a ballot's time)
static __shared__ unsigned __vgpu_wb[1024];
// a ballot's votes, a byte a lane: the driver reads a warp's 32 in one
// vector load (32-bit slots were four, and four compares)
static __shared__ unsigned char __vgpu_wv[1024 + 32];
__VGPU_FN unsigned __vgpu_lane(void) { return __vgpu_lin() & 31u; }
// a warp sync that waits for the lanes of mask (those that have not returned):
// the driver runs a group at a warp sync only once they are all there
// (__activemask and coalesced groups wait for nobody: mask 0)
__VGPU_FN void __vgpu_warp_wait(unsigned mask)
{
	__vgpu_ctxp()->want[__vgpu_lin()] = mask;
	__vgpu_warp_sync();
}
__VGPU_FN void __syncwarp(unsigned mask = 0xffffffffu) { __vgpu_warp_wait(mask); }
__VGPU_FN unsigned __activemask(void)
{
	__vgpu_warp_wait(0);
	return __vgpu_ctxp()->gmask[__vgpu_lin() >> 5];
}
// every lane publishes v, then reads lane src's (own value if src is not there)
// this lane's v into its slot, the warp sync for the lanes of mask; the
// warp's published slots
// this lane's v into its slot of the half lanes write (ctx->wx)
template <class T> __VGPU_FN void __vgpu_warp_publish(__vgpu_ctx *c, unsigned lin, T v)
{
	static_assert(sizeof(T) <= 8, "warp exchange of more than 8 bytes");
	unsigned w[2] = { 0, 0 };
	__builtin_memcpy(w, &v, sizeof(T));
	__vgpu_wx[c->wx][0][lin] = w[0];
	if (sizeof(T) > 4)
		__vgpu_wx[c->wx][1][lin] = w[1];
}
template <class T> __VGPU_FN unsigned __vgpu_warp_put(unsigned mask, T v)
{
	const unsigned lin = __vgpu_lin();
	__vgpu_ctx *c = __vgpu_ctxp();
	__vgpu_warp_publish(c, lin, v);
	if (sizeof(T) > 4)
		c->vote[2] = 1;
	__vgpu_warp_wait(mask);
	return lin & ~31u;
}
// the value whose low and high 32 bits are @lo and @hi (a slot's two words)
template <class T> __VGPU_FN T __vgpu_warp_value(unsigned lo, unsigned hi)
{
	const unsigned w[2] = { lo, hi };
	T r;
	__builtin_memcpy(&r, w, sizeof(T));
	return r;
}
// the value lane j of the warp at @base published (__vgpu_warp_put)
template <class T> __VGPU_FN T __vgpu_warp_get(unsigned base, unsigned j)
{
	unsigned(*const r)[1024 + 32] = __vgpu_wx[__vgpu_ctxp()->wx ^ 1];
	return __vgpu_warp_value<T>(r[0][base + j], sizeof(T) > 4 ? r[1][base + j] : 0);
}
template <class T> __VGPU_FN T __vgpu_xchg(unsigned mask, T v, unsigned src)
{
	const unsigned base = __vgpu_warp_put(mask, v);
	if (src >= 32 || base + src >= __vgpu_ctxp()->nthreads)
		return v;
	return __vgpu_warp_get<T>(base, src);
}
template <class T> __VGPU_FN T __shfl_sync(unsigned mask, T v, int src, int w = 32)
{
	unsigned lane = __vgpu_lane();
	return __vgpu_xchg(mask, v, (lane & ~(unsigned)(w - 1)) + ((unsigned)src & (w - 1)));
}
// thread @a's published value if @c, else thread @b's: both loaded, the
// choice on their bits (a choice of two loads in branches became one load
// at a chosen index: a gather)
template <class T> __VGPU_FN T __vgpu_warp_pick(bool c, int a, int b)
{
	const unsigned k = 0u - (unsigned)c;
	unsigned(*const r)[1024 + 32] = __vgpu_wx[__vgpu_ctxp()->wx ^ 1];
	const unsigned lo = r[0][b] ^ ((r[0][a] ^ r[0][b]) & k);
	const unsigned hi = sizeof(T) > 4 ? r[1][b] ^ ((r[1][a] ^ r[1][b]) & k) : 0;
	return __vgpu_warp_value<T>(lo, hi);
}
template <class T> __VGPU_FN T __shfl_up_sync(unsigned mask, T v, unsigned d, int w = 32)
{
	unsigned lane = __vgpu_lane();
	if (d >= 32 || (w & (w - 1)) || w > 32)
		return __vgpu_xchg(mask, v, (lane & (w - 1)) >= d ? lane - d : lane);
	__vgpu_warp_put(mask, v);
	const int lin = (int)__vgpu_lin();
	return __vgpu_warp_pick<T>((lane & (w - 1)) >= d, lin - (int)d, lin);
}
template <class T> __VGPU_FN T __shfl_down_sync(unsigned mask, T v, unsigned d, int w = 32)
{
	unsigned lane = __vgpu_lane();
	if (d >= 32 || (w & (w - 1)) || w > 32)
		return __vgpu_xchg(mask, v, (lane & (w - 1)) + d < (unsigned)w ? lane + d : lane);
	__vgpu_warp_put(mask, v);
	const int lin = (int)__vgpu_lin();
	return __vgpu_warp_pick<T>((lane & (w - 1)) + d < (unsigned)w && (unsigned)(lin + (int)d) < __vgpu_ctxp()->nthreads,
				   lin + (int)d, lin);
}
// lane ^ m, if it is in this lane's group of w or an earlier one (PTX's
// shfl.bfly: a lane of a later group gives the caller's own value)
template <class T> __VGPU_FN T __shfl_xor_sync(unsigned mask, T v, int m, int w = 32)
{
	unsigned lane = __vgpu_lane(), s = lane ^ (unsigned)m;
	if ((unsigned)m >= 32 || (m & (m - 1)) || (w & (w - 1)) || w > 32)
		return __vgpu_xchg(mask, v, (s & ~(unsigned)(w - 1)) <= (lane & ~(unsigned)(w - 1)) ? s : lane);
	__vgpu_warp_put(mask, v);
	// with m a power of two, lane ^ m is lane + m or lane - m: two loads
	// affine in the thread and a choice, where one load at lane ^ m was a
	// gather
	const int lin = (int)__vgpu_lin();
	const T o = __vgpu_warp_pick<T>(lin & m, lin - m, lin + m);
	return ((unsigned)m < (unsigned)w || (lin & m)) && (unsigned)(lin ^ m) < __vgpu_ctxp()->nthreads ? o : v;
}
// the lanes of this lane's warp that reached this point with it, and their values
template <class T, class F> __VGPU_FN void __vgpu_warp_each(unsigned mask, T v, F f)
{
	const unsigned base = __vgpu_warp_put(mask, v);
	unsigned act = __vgpu_ctxp()->gmask[__vgpu_lin() >> 5] & mask;
	// every lane j, with whether it takes part: branch-free bodies that the
	// optimiser unrolls and vectorises over the 32 lanes
	for (unsigned j = 0; j < 32; j++)
		f(j, __vgpu_warp_get<T>(base, j), (bool)(act >> j & 1));
}
// a ballot: the warp's bits, as the driver counted them (__vgpu_wb)
__VGPU_FN unsigned __ballot_sync(unsigned mask, int pred)
{
	const unsigned lin = __vgpu_lin();
	__vgpu_wv[lin] = pred != 0;
	__vgpu_ctxp()->want[lin] = mask;
	__vgpu_warp_sync_ballot();
	return __vgpu_wb[lin] & mask;
}
__VGPU_FN int __any_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) != 0; }
__VGPU_FN int __all_sync(unsigned mask, int pred)
{
	// the lanes taking part that say no: none
	return __ballot_sync(mask, !pred) == 0;
}
__VGPU_FN int __uni_sync(unsigned mask, int pred)
{
	int first = -1, same = 1;
	__vgpu_warp_each(mask, pred != 0, [&](unsigned, bool p, bool a) {
		if (!a)
			return;
		if (first < 0)
			first = p;
		else
			same &= first == p;
	});
	return same;
}
#define __VGPU_WRED(name, T, init, op)								\
	__VGPU_FN T name(unsigned mask, T v)							\
	{ T r = init; __vgpu_warp_each(mask, v, [&](unsigned, T x, bool a) { r = a ? (op) : r; }); return r; }
__VGPU_WRED(__reduce_add_sync, unsigned, 0u, r + x)
__VGPU_WRED(__reduce_add_sync, int, 0, r + x)
__VGPU_WRED(__reduce_min_sync, unsigned, 0xffffffffu, x < r ? x : r)
__VGPU_WRED(__reduce_min_sync, int, INT_MAX, x < r ? x : r)
__VGPU_WRED(__reduce_max_sync, unsigned, 0u, x > r ? x : r)
__VGPU_WRED(__reduce_max_sync, int, INT_MIN, x > r ? x : r)
__VGPU_WRED(__reduce_and_sync, unsigned, 0xffffffffu, r & x)
__VGPU_WRED(__reduce_or_sync, unsigned, 0u, r | x)
__VGPU_WRED(__reduce_xor_sync, unsigned, 0u, r ^ x)
#undef __VGPU_WRED
template <class T> __VGPU_FN unsigned __match_any_sync(unsigned mask, T v)
{
	unsigned r = 0;
	__vgpu_warp_each(mask, v, [&](unsigned j, T x, bool a) { r |= (unsigned)(a && x == v) << j; });
	return r;
}
template <class T> __VGPU_FN unsigned __match_all_sync(unsigned mask, T v, int *pred)
{
	unsigned r = 0;
	bool all = true;
	__vgpu_warp_each(mask, v, [&](unsigned j, T x, bool a) { r |= (unsigned)a << j; all &= !a || x == v; });
	*pred = all;
	return all ? r : 0;
}
__VGPU_FN unsigned __lanemask_lt(void) { return (1u << __vgpu_lane()) - 1; }

// ---- what the CPU backend refuses, at compile time and naming the construct ----------
template <class T, int D = 1, int M = 0> struct __VGPU_UNSUPPORTED("texture<> (texture references)") texture {};
typedef unsigned long long cudaTextureObject_t;
typedef unsigned long long cudaSurfaceObject_t;
template <class T> __VGPU_UNSUPPORTED("tex1Dfetch (textures)") __device__ T tex1Dfetch(cudaTextureObject_t, int);
template <class T> __VGPU_UNSUPPORTED("tex1D (textures)") __device__ T tex1D(cudaTextureObject_t, float);
template <class T> __VGPU_UNSUPPORTED("tex2D (textures)") __device__ T tex2D(cudaTextureObject_t, float, float);
template <class T> __VGPU_UNSUPPORTED("tex3D (textures)") __device__ T tex3D(cudaTextureObject_t, float, float, float);
template <class T> __VGPU_UNSUPPORTED("surf2Dread (surfaces)") __device__ T surf2Dread(cudaSurfaceObject_t, int, int);
template <class T> __VGPU_UNSUPPORTED("surf2Dwrite (surfaces)") __device__ void surf2Dwrite(T, cudaSurfaceObject_t, int, int);
typedef int cudaError_t;
typedef struct CUstream_st *cudaStream_t;
__VGPU_UNSUPPORTED("cudaDeviceSynchronize in device code (dynamic parallelism)") __device__ cudaError_t cudaDeviceSynchronize(void);
__VGPU_UNSUPPORTED("cudaMalloc in device code (dynamic parallelism)") __device__ cudaError_t cudaMalloc(void **, size_t);
__VGPU_UNSUPPORTED("cudaLaunchDevice (dynamic parallelism)") __device__ cudaError_t cudaLaunchDevice(void *, void *, dim3, dim3, unsigned, cudaStream_t);
__VGPU_UNSUPPORTED("cudaGetParameterBuffer (dynamic parallelism)") __device__ void *cudaGetParameterBuffer(size_t, size_t);
#define __VGPU_HALF_MSG "half precision (cuda_fp16.h)"

// ---- drivers: cloned per kernel by the pass ------------------------------------------
#define __VGPU_TMPL extern "C" __device__ __attribute__((used))
// The loop over the threads of a block (in a region between barriers) carries
// no dependence from one thread to the next: threads of a block that share
// memory without a barrier between them race (undefined in CUDA) unless they
// use atomics, which the vectoriser leaves alone. Said to LLVM as PoCL does
// for its work-item loops: every memory access of the body (the pass inlines
// the kernel's body into the loop, putting the call's access group on what it
// inlines) is parallel in this loop, so the vectoriser needs no alias checks
// between the kernel's pointers. The pass drops the pragma's "vectorize"
// request: whether to vectorise stays the cost model's choice.
#define __VGPU_THREAD_LOOP _Pragma("clang loop vectorize(assume_safety)")
// the same for a loop whose trip count is no multiple of the vector width
// (a row's threads but its first and last): the vectoriser masks the last
// vector instead of leaving a scalar tail
#define __VGPU_THREAD_LOOP_MASKED \
	_Pragma("clang loop vectorize(assume_safety) vectorize_predicate(enable)")
// a block without barriers: one loop over its threads
__VGPU_TMPL void __vgpu_tmpl_threads(__vgpu_ctx *c)
{
	__vgpu_ctx l = *c;	// a copy the optimiser sees whole: its fields become values
	const int bx = l.bdim[0], by = l.bdim[1], bz = l.bdim[2];
	int lin = 0;
	for (int z = 0; z < bz; z++)
		for (int y = 0; y < by; y++, lin += bx) {
			// over the global index: "blockIdx.x * blockDim.x + threadIdx.x"
			// folds into the loop variable, an affine index
			if ((unsigned long long)l.bid[0] * bx + bx <= 0x7fffffffu) {
				const int base = (int)(l.bid[0] * bx);
				__VGPU_THREAD_LOOP
				for (int g = base; g < base + bx; g++)
					__vgpu_body(&l, (unsigned)(g - base), y, z, lin + (g - base));
			} else {
				__VGPU_THREAD_LOOP
				for (int x = 0; x < bx; x++)
					__vgpu_body(&l, x, y, z, lin + x);
			}
		}
}

__VGPU_FN void __vgpu_ctx_init(__vgpu_ctx *c, const __vgpu_exec *E, void *dsm)
{
	c->args = __vgpu_args(E);
	c->dsmem = dsm;
	c->frame = 0;
	c->state = 0;
	c->want = 0;
	c->vote = 0;
	c->wx = 0;
	c->xo = 0;
	c->vtrue = c->vn = c->vmax = 0;
	c->uout = c->ures;
	c->nthreads = E->block[0] * E->block[1] * E->block[2];
	for (int d = 0; d < 3; d++) {
		c->bdim[d] = E->block[d];
		c->gdim[d] = E->grid[d];
	}
	for (unsigned w = 0; w < 32; w++) {
		unsigned lanes = w * 32 >= c->nthreads ? 0 : c->nthreads - w * 32;
		c->gmask[w] = lanes >= 32 ? 0xffffffffu : (1u << lanes) - 1;
	}
}

// block @b's coordinates: a chunk's first block's (divisions), the others
// by __vgpu_ctx_next from it
__VGPU_FN void __vgpu_ctx_block(__vgpu_ctx *c, unsigned long long b)
{
	c->bid[0] = b % c->gdim[0];
	c->bid[1] = (b / c->gdim[0]) % c->gdim[1];
	c->bid[2] = b / ((unsigned long long)c->gdim[0] * c->gdim[1]);
}

// @bid stepped to the next block's coordinates (x first, as the blocks'
// numbers go). The drivers did __vgpu_ctx_block's three 64-bit divisions
// for every block, and again for the next one's prefetch (blocks of 16x16
// threads with almost no work, one worker: 15.3-15.5 -> 11.8-13.8 ns a block
// without barriers; with one, that series moves between ~25.5 and ~30 ns
// from run to run of one build and did not resolve a change)
__VGPU_FN void __vgpu_ctx_next(unsigned *bid, const unsigned *gdim)
{
	if (++bid[0] < gdim[0])
		return;
	bid[0] = 0;
	if (++bid[1] < gdim[1])
		return;
	bid[1] = 0;
	bid[2]++;
}

// The lines the next block will touch first, before the block ahead of it
// runs (the pass: __vgpu_block_prefetch, the kernel's
// global accesses at addresses computed from the thread's index, the
// parameters and the block's coordinates alone), a call per cache line of
// each row (one call a row where no address moves along the row: a step of
// 1024). A 16x16 tile reads 64 bytes from each of 16 rows a matrix's row
// apart, which the hardware prefetchers do not follow, and a block of such
// rows waited for every one. A 1-D block's accesses are the next block's
// neighbours, but a block with barriers reads and writes them in a few
// streams of a KiB or two each, its shared-memory work in between
// (scan_blelloch: 2 KiB in, 2 KiB out), and waited for them too.
// @bid: its coordinates; they are left in @c's. Called where it applies
// (__VGPU_BLOCK_ENTER: a kernel with a block prefetch, a next block in the
// chunk, a block of several rows or a prefetch for 1-D blocks too).
__VGPU_FN void __vgpu_ctx_ahead(__vgpu_ctx *c, const unsigned *bid)
{
	const int ps = (int)__vgpu_block_prefetch_step();
	const int bx = c->bdim[0], by = c->bdim[1], bz = c->bdim[2];
	for (int d = 0; d < 3; d++)
		c->bid[d] = bid[d];
	int lin = 0;
	for (int z = 0; z < bz; z++)
		for (int y = 0; y < by; y++, lin += bx) {
			for (int x = 0; x < bx; x += ps)
				__vgpu_block_prefetch(c, x, y, z, lin + x);
			if (bx > ps && (bx - 1) % ps)
				__vgpu_block_prefetch(c, bx - 1, y, z, lin + bx - 1);
		}
}

// The region profile (libvgpu's vgpu_kernel_profile), in an image compiled
// with __VGPU_PROFILE (VGPU_CPU_PROFILE=1, or the option -D__VGPU_PROFILE;
// x86-64), which says so by exporting __vgpu_profiled; other images have
// none of it (as a branch on E->prof, a block with barriers measured 5 ns
// slower, within that benchmark's swings, but a cost all the same). The drivers count each region's runs and the TSC cycles they
// took (what a region costs is a few dozen cycles, below what a clock call
// resolves), per region of the dispatcher (the pass's
// __vgpu_regions_<kernel> names where each starts), in a local table added
// to E->prof once per chunk of blocks: [2 * i] ticks, [2 * i + 1] runs;
// slot __VGPU_PROF_MASKED: the runs of diverged groups (a warp's branch with
// shuffles, some threads returned); __VGPU_PROF_AHEAD: the next block's
// prefetch (__vgpu_ctx_ahead); __VGPU_PROF_BLOCK: whole blocks, from that
// prefetch to the block's last region (what is in neither is the block's
// own cost: its coordinates, states); a region past the slots counts in the
// last. A kernel without barriers is one region, its thread loop.
#define __VGPU_PROF_SLOTS 67
#define __VGPU_PROF_MASKED (__VGPU_PROF_SLOTS - 3)
#define __VGPU_PROF_AHEAD (__VGPU_PROF_SLOTS - 2)
#define __VGPU_PROF_BLOCK (__VGPU_PROF_SLOTS - 1)
#if defined(__VGPU_PROFILE) && defined(__x86_64__)
extern "C" __device__ __attribute__((used, visibility("default"))) const int __vgpu_profiled = 1;
// @t: the TSC now; @v: state @r's region
#define __VGPU_PROF_T(t) const unsigned long long t = __builtin_readcyclecounter();
#define __VGPU_PROF_R(v, r) const unsigned v = (r) & 0xffffu;
// region @r's slot (the last but one for those past it)
#define __VGPU_PROF_SLOT(r) ((r) < __VGPU_PROF_MASKED - 1 ? (r) : __VGPU_PROF_MASKED - 1)
// a run of @slot since @t0
#define __VGPU_PROF_ADD(slot, t0)                                       \
	{                                                               \
		pl[2 * (slot)] += __builtin_readcyclecounter() - (t0);  \
		pl[2 * (slot) + 1]++;                                   \
	}
#define __VGPU_PROF_BEGIN                                                       \
	unsigned long long pl[2 * __VGPU_PROF_SLOTS];                           \
	for (unsigned i = 0; i < 2 * __VGPU_PROF_SLOTS; i++)                    \
		pl[i] = 0;
#define __VGPU_PROF_END                                                         \
	if (E->prof)                                                            \
		for (unsigned i = 0; i < 2 * __VGPU_PROF_SLOTS; i++)            \
			if (pl[i])                                              \
				__atomic_fetch_add(&E->prof[i], pl[i], __ATOMIC_RELAXED);
#else
#define __VGPU_PROF_T(t)
#define __VGPU_PROF_R(v, r)
#define __VGPU_PROF_ADD(slot, t0)
#define __VGPU_PROF_BEGIN
#define __VGPU_PROF_END
#endif

// the drivers' walk over their chunk's blocks [first, first + count) in
// context c: cur the block's coordinates, nxt the next one's (whose lines
// __vgpu_ctx_ahead prefetches first)
#define __VGPU_BLOCKS_BEGIN                                     \
	unsigned cur[3], nxt[3];                                \
	__vgpu_ctx_block(&c, first);                            \
	for (int d = 0; d < 3; d++)                             \
		cur[d] = nxt[d] = c.bid[d];                     \
	__vgpu_ctx_next(nxt, c.gdim);
#define __VGPU_BLOCK_ENTER                                                      \
	if (__vgpu_block_prefetch_step() && (__vgpu_block_prefetch_1d() || c.bdim[1] * c.bdim[2] != 1) && \
	    b + 1 < first + count) {                                            \
		__VGPU_PROF_T(ta)                                               \
		__vgpu_ctx_ahead(&c, nxt);                                      \
		__VGPU_PROF_ADD(__VGPU_PROF_AHEAD, ta)                          \
	}                                                                       \
	for (int d = 0; d < 3; d++)                             \
		c.bid[d] = cur[d];
#define __VGPU_BLOCK_LEAVE                                      \
	for (int d = 0; d < 3; d++)                             \
		cur[d] = nxt[d];                                \
	__vgpu_ctx_next(nxt, c.gdim);

__VGPU_TMPL void __vgpu_tmpl_simple(const __vgpu_exec *E, void *dsm, unsigned long long first,
				     unsigned long long count)
{
	__vgpu_ctx c;
	__vgpu_ctx_init(&c, E, dsm);
	__VGPU_PROF_BEGIN
	__VGPU_BLOCKS_BEGIN
	for (unsigned long long b = first; b < first + count; b++) {
		__VGPU_PROF_T(tb)
		__VGPU_BLOCK_ENTER
		__VGPU_PROF_T(t0)
		__vgpu_threads(&c);
		__VGPU_PROF_ADD(0u, t0)
		__VGPU_PROF_ADD(__VGPU_PROF_BLOCK, tb)
		__VGPU_BLOCK_LEAVE
	}
	__VGPU_PROF_END
}

// the state all @n threads are in (@st), 0xfffffffe if they are in different
// ones; bits @clear are taken off the states of threads that have not
// returned on the way (one pass)
__VGPU_FN unsigned __vgpu_one_state(unsigned *st, unsigned n, unsigned clear)
{
	unsigned lo = 0xffffffffu, hi = 0;
	for (unsigned t = 0; t < n; t++) {
		unsigned s = st[t];
		if (clear && s != 0xffffffffu)
			st[t] = s &= ~clear;
		lo = s < lo ? s : lo;
		hi = s > hi ? s : hi;
	}
	return lo == hi ? lo : 0xfffffffeu;
}

// the uniform values a region stored, for the next one, in 4-byte words
// (the region stored each in 4 or 8 bytes): a load over more than one
// store, as two slots in one (the vectoriser's choice), waited for the
// stores to reach the cache, a short region's cost
__VGPU_FN void __vgpu_ctx_uniforms_in(__vgpu_ctx *c)
{
	volatile unsigned *const in = (volatile unsigned *)c->uin, *const res = (volatile unsigned *)c->ures;
	for (unsigned k = 0; k < 2 * __vgpu_nuniform(); k++)
		in[k] = res[k];
}

// after a region's loop over the threads: the votes counted in the drivers'
// copies of the context @l (which started from @c's) and @ls (from zero)
__VGPU_FN void __vgpu_ctx_votes(__vgpu_ctx *c, const __vgpu_ctx *l, const __vgpu_ctx *ls)
{
	c->vtrue = l->vtrue + (ls ? ls->vtrue : 0);
	c->vn = l->vn + (ls ? ls->vn : 0);
	c->vmax = ls && ls->vmax > l->vmax ? ls->vmax : l->vmax;
}

// after a region's loop over the threads: the uniform values back for the
// next region, and the state they all reached (@one when the pass knows it),
// 0xfffffffe if different ones (in @st); inlined before the placeholders
// are set (its name)
__VGPU_FN unsigned __vgpu_ctx_region_end(__vgpu_ctx *c, unsigned *st, unsigned one)
{
	__vgpu_ctx_uniforms_in(c);
	// a loop of its own: in the thread loop the vectoriser would have to
	// see these as reductions next to the region's own code
	return one != 0xfffffffeu ? one : __vgpu_one_state(st, c->nthreads, 0);
}

// thread @x of row @y through region function @F on context @L, its way out
// kept (@rx: also the one all take, 0xfffffffd)
#define __VGPU_RUN(F, L, x, rx)                                                 \
	{                                                                       \
		const unsigned s = F(&(L), (x), y, z, lin + (x));               \
		if (one == 0xfffffffeu)                                         \
			st[lin + (x)] = s;                                      \
		if ((rx) && one == 0xfffffffdu)                                 \
			c->rexit = s;                                           \
	}
// threads [@a, @b) of row @y, the thread loop; the way out they all
// take stored once, the last thread's (was a store every vector of threads)
#define __VGPU_ROW(F, L, a, b, rx) __VGPU_ROW_P(F, L, a, b, rx, __VGPU_THREAD_LOOP)
// ... with the pragma @P on its loop
#define __VGPU_ROW_P(F, L, a, b, rx, P)                                 \
	{                                                               \
		unsigned __last = 0xfffffffdu;                          \
		P                                                       \
		for (int x = (a); x < (b); x++) {                       \
			const unsigned s = F(&(L), (x), y, z, lin + (x));   \
			if (one == 0xfffffffeu)                         \
				st[lin + (x)] = s;                      \
			__last = s;                                     \
		}                                                       \
		if ((rx) && one == 0xfffffffdu && (a) < (b))            \
			c->rexit = __last;                              \
	}

// row @y, threads [0, @xe), on context @L, W = __vgpu_chunked() (16 or 32)
// at a time through __vgpu_region_chunk: the region where (x + C) >> 5 (C a
// multiple of 32) is (xo + C) >> 5, the same for the 32, or (2^k * x + C)
// >> s for the W the pass found (a padded index, x + (x >> 5), was a
// scatter or gather for every vector of threads)
// A whole chunk runs a loop of W trips, a constant (its end as min(xo + W, xe)
// left the vectoriser a trip count it could not know: run-time checks and a
// scalar tail per chunk; scan_blelloch's staging region 382 -> 274 cycles a
// block, its write-out 201 -> 115, one worker)
// Where the pass says (__vgpu_chunk_loop: accesses at 2^k * x, k >= 1, a
// Blelloch level's s[2x + A] and s[2x + A + 1]) that loop stays one for the
// vectoriser, which makes the pairs one load and store (with the
// addresses the pass widens to 64 bits): unrolled whole first, its 16
// threads were scalar code (scan_blelloch's widest down-sweep 336 -> 84
// cycles a block, profiled); unit strides unroll (its staging region, the
// loop kept, 307 -> 440-520: a guard test and an epilogue per chunk).
#define __VGPU_CHUNK_LOOP _Pragma("clang loop vectorize(assume_safety) unroll(disable)")
#define __VGPU_CHUNKS(L, xe, rx)                                                \
	for (int xo = 0, __w = (int)__vgpu_chunked(); xo < (xe); xo += __w) {  \
		(L).xo = xo;                                                    \
		if (xo + __w <= (xe) && __vgpu_chunk_loop())                    \
			__VGPU_ROW_P(__vgpu_region_chunk, L, xo, xo + __w, rx, __VGPU_CHUNK_LOOP) \
		else if (xo + __w <= (xe))                                      \
			__VGPU_ROW(__vgpu_region_chunk, L, xo, xo + __w, rx)    \
		else                                                            \
			__VGPU_ROW(__vgpu_region_chunk, L, xo, xe, rx)          \
	}

// a narrowed region's threads of row @y past its leading ones [0, @xe) that
// work too (__vgpu_region_step: a warp's first lane, `lane == 0`), up to
// @b (the block's last thread runs apart): one thread every step, where
// a masked store of one lane in every vector of threads was a scatter
// (the rows' length a multiple of the step: x and the linear index alike)
#define __VGPU_STEPPED(L, xe, b, rx)                                            \
	if (stp && (xe) < bx)                                                   \
		for (int x = ((xe) + (int)stp - 1) / (int)stp * (int)stp; x < (b); x += (int)stp) \
			__VGPU_RUN(__vgpu_region, L, x, rx)

// whether row @y of a region with edge tests (the pass: __vgpu_peel) runs
// its threads but the first and last through __vgpu_region_main, the region
// without the work of those tests: not a row a test of y names, nor one whose
// other named x is not its last thread
#define __VGPU_PEELED(xe)                                                                       \
	(__vgpu_peel() && !(__vgpu_peel_y0() && y == 0) && (unsigned)y != __vgpu_peel_yk() &&   \
	 !(__vgpu_peel_xk() != 0xffffffffu && __vgpu_peel_xk() + 1 < (unsigned)(xe)) && (xe) >= 2)

// row @y, threads [0, @xe), on context @L: a peeled row's threads that no
// edge test names (__VGPU_EDGES_LATE runs its first and last once every
// row has run: right after the row's vector loop, their loads of the
// values kept per thread waited for its masked stores to the same lines);
// every thread of the others through the whole region
#define __VGPU_EDGES(L, xe, rx)                                                                 \
	if (__vgpu_chunked()) {                                                                 \
		__VGPU_CHUNKS(L, xe, rx)                                                        \
	} else if (!__VGPU_PEELED(xe)) {                                                        \
		__VGPU_ROW(__vgpu_region, L, 0, xe, rx)                                         \
	} else {                                                                                \
		const int a = __vgpu_peel_x0() ? 1 : 0;                                         \
		const int b = __vgpu_peel_xk() + 1 == (unsigned)(xe) ? (xe) - 1 : (xe);         \
		__VGPU_ROW_P(__vgpu_region_main, L, a, b, rx, __VGPU_THREAD_LOOP_MASKED)         \
	}
// the first and last thread of a peeled row, through the whole region
#define __VGPU_EDGES_LATE(L, xe, rx)                                                            \
	if (!__vgpu_chunked() && __VGPU_PEELED(xe)) {                                           \
		const int b = __vgpu_peel_xk() + 1 == (unsigned)(xe) ? (xe) - 1 : (xe);         \
		if (__vgpu_peel_x0())                                                           \
			__VGPU_RUN(__vgpu_region, L, 0, rx)                                     \
		if (b < (xe))                                                                   \
			__VGPU_RUN(__vgpu_region, L, b, rx)                                     \
	}

// row @y, threads [0, @xe), on context @L: the lines its threads touch a loop
// trip ahead (the pass: __vgpu_region_prefetch), for one thread a cache line
// (@xe / 2 threads apart in a long row, its ends and middle: the hardware's
// prefetchers follow the stream its loads start; a call every 16 threads
// of 256 cost more than the short region it ran beside gained), every line
// where the pass says dense (a grid-stride loop's trips, four ahead: the
// ends and middle of a row's 1 KiB left most of its lines to wait)
#define __VGPU_PREFETCH(L, xe)                                                          \
	if (const int __ps = __vgpu_prefetch_step()) {                                  \
		const int __st = __vgpu_prefetch_dense() || __ps > (xe) / 2 ? __ps : (xe) / 2; \
		for (int x = 0; x < (xe); x += __st)                                    \
			__vgpu_region_prefetch(&(L), x, y, z, lin + x);                 \
		if (((xe) - 1) % __st)                                                  \
			__vgpu_region_prefetch(&(L), (xe) - 1, y, z, lin + (xe) - 1);   \
	}

// one region (barrier to barrier) for every thread of the block; returns the
// state they all reached, or 0xfffffffe if they reached different ones
__VGPU_TMPL unsigned __vgpu_tmpl_region_all(__vgpu_ctx *c)
{
	__vgpu_ctx l = *c;
	const int bx = l.bdim[0], by = l.bdim[1], bz = l.bdim[2];
	unsigned *st = l.state;
	int lin = 0;
	// a region whose every way out is one barrier (the pass knows): the
	// threads' states need neither storing nor comparing
	const unsigned one = __vgpu_region_exit();
	// a region with work for a row's leading threads only (if (tid < d)):
	// those, then the block's last thread for its uniform values and way out
	const unsigned lim = __vgpu_region_limit(&l, 0, 0, 0, 0), stp = __vgpu_region_step();
	const int xe = lim < (unsigned)bx && (!stp || bx % stp == 0) ? (int)lim : bx;
	for (int z = 0; z < bz; z++)
		for (int y = 0; y < by; y++, lin += bx) {
			__VGPU_PREFETCH(l, bx)
			__VGPU_EDGES(l, xe, 1)
			__VGPU_STEPPED(l, xe, bx - (z == bz - 1 && y == by - 1), 1)
		}
	if (__vgpu_peel()) {
		lin = 0;
		for (int z = 0; z < bz; z++)
			for (int y = 0; y < by; y++, lin += bx)
				__VGPU_EDGES_LATE(l, xe, 1)
	}
	if (xe < bx) {
		const unsigned s = __vgpu_region(&l, bx - 1, by - 1, bz - 1, lin - 1);
		if (one == 0xfffffffdu)
			c->rexit = s;
	}
	__vgpu_ctx_votes(c, &l, 0);
	return __vgpu_ctx_region_end(c, st, one == 0xfffffffdu ? c->rexit : one);
}

// the same for a kernel with values the same in every thread live across
// barriers (the region stores them to *uout at its end): all threads but the
// block's last store them into a local sink, which the optimiser deletes;
// the last one stores them for the block (every thread's are the same). A
// store per value and vector of threads was most of a short region's time.
// Where the pass could make a copy of the region that computes only those
// values and the way out (__vgpu_uni: they come from the uniform values,
// parameters and constants alone), every thread runs in the row's vector
// loop and that copy stores them after: the thread split off had left the
// vector loop a tail (255 threads: 3 x 64, 7 x 8, 7 scalar, then the last)
__VGPU_TMPL unsigned __vgpu_tmpl_region_allu(__vgpu_ctx *c)
{
	__vgpu_ctx l = *c, ls = *c;
	unsigned long long sink[32];
	ls.uout = sink;
	ls.vtrue = ls.vn = ls.vmax = 0;
	const int bx = l.bdim[0], by = l.bdim[1], bz = l.bdim[2];
	unsigned *st = l.state;
	int lin = 0;
	const unsigned one = __vgpu_region_exit();
	const unsigned lim = __vgpu_region_limit(&l, 0, 0, 0, 0), stp = __vgpu_region_step();
	const int xe = lim < (unsigned)bx && (!stp || bx % stp == 0) ? (int)lim : bx;
	for (int z = 0; z < bz; z++)
		for (int y = 0; y < by; y++, lin += bx) {
			const bool last = z == bz - 1 && y == by - 1;
			const int end = last && xe == bx && !__vgpu_uni() ? bx - 1 : xe;
			__VGPU_PREFETCH(l, bx)
			__VGPU_EDGES(ls, end, 0)
			__VGPU_STEPPED(ls, xe, bx - last, 0)
		}
	if (__vgpu_peel()) {
		lin = 0;
		for (int z = 0; z < bz; z++)
			for (int y = 0; y < by; y++, lin += bx) {
				const int end = z == bz - 1 && y == by - 1 && xe == bx ? bx - 1 : xe;
				__VGPU_EDGES_LATE(ls, end, 0)
			}
	}
	// the block's last thread, after all the others: its uniform values stand
	{
		const int y = by - 1, z = bz - 1;
		const unsigned s = __vgpu_uni() ? __vgpu_region_uni(&l, bx - 1, y, z, lin - 1)
						: __vgpu_region(&l, bx - 1, y, z, lin - 1);
		if (one == 0xfffffffeu)
			st[lin - 1] = s;
		if (one == 0xfffffffdu)
			c->rexit = s;
	}
	__vgpu_ctx_votes(c, &l, &ls);
	return __vgpu_ctx_region_end(c, st, one == 0xfffffffdu ? c->rexit : one);
}

// the same for the threads whose state is c->sel: those of the warps in
// c->gmask (__vgpu_group), warp by warp, the others not even looked at
__VGPU_TMPL unsigned __vgpu_tmpl_region_sel(__vgpu_ctx *c)
{
	__vgpu_ctx l = *c, ls = *c;
	unsigned long long sink[32];
	ls.uout = sink;
	ls.vtrue = ls.vn = ls.vmax = 0;
	const unsigned bx = l.bdim[0], by = l.bdim[1], n = l.nthreads, sel = l.sel;
	unsigned *st = l.state;
	// the group's warps read from c, not from l: an array indexed by the
	// warp in the copy kept SROA from splitting it, and the region began
	// with a copy of the whole context (a memcpy call, then loads waiting
	// on its stores)
	for (unsigned w = 0; w * 32 < n; w++) {
		if (!c->gmask[w])
			continue;
		const unsigned first = w * 32, end = first + 32 < n ? first + 32 : n;
		unsigned x = first % bx, y = first / bx % by, z = first / (bx * by);
		// the lines the warp's lanes touch a trip ahead (a loop with warp
		// syncs in it: the block stays in groups), for the group's first
		// lane of each line's lanes
		if (const unsigned ps = __vgpu_prefetch_step() < 32 ? __vgpu_prefetch_step() : 32; ps && bx % 32 == 0)
			for (unsigned j = 0; j < 32; j += ps)
				if (const unsigned m = c->gmask[w] & (0xffffffffu >> (32 - ps) << j)) {
					const unsigned k = __builtin_ctz(m);
					__vgpu_region_prefetch(&l, x + k, y, z, first + k);
				}
		// a whole warp in one row of the block: every lane runs, no
		// state to test, x follows the lane; the uniform values stored
		// by the last lane for the warp (as region_allu does for the
		// block) where a lane cannot return for good while others go
		// on: a loop the vectoriser takes
		if (__vgpu_whole_warps() && c->gmask[w] == 0xffffffffu && bx % 32 == 0) {
			__VGPU_THREAD_LOOP
			for (unsigned j = 0; j < 31; j++)
				st[first + j] = __vgpu_region(__vgpu_uniform_last() ? &ls : &l, x + j, y, z, first + j);
			st[first + 31] = __vgpu_region(&l, x + 31, y, z, first + 31);
			continue;
		}
		// a group's partial warp after a warp sync (the lanes of a
		// divergent branch), in a row: the 32 lanes behind their bits
		// of the group's mask, x following the lane, a loop the
		// vectoriser takes (lane by lane, each testing its state and
		// stepping x, y, z, it stayed scalar)
		if (__vgpu_whole_warps() && bx % 32 == 0) {
			const unsigned gm = c->gmask[w];
			__VGPU_THREAD_LOOP
			for (unsigned j = 0; j < 32; j++)
				if (gm >> j & 1)
					st[first + j] = __vgpu_region(&l, x + j, y, z, first + j);
			continue;
		}
		__VGPU_THREAD_LOOP
		for (unsigned lin = first; lin < end; lin++) {
			if (st[lin] == sel)
				st[lin] = __vgpu_region(&l, x, y, z, lin);
			if (++x == bx) {
				x = 0;
				if (++y == by) {
					y = 0;
					z++;
				}
			}
		}
	}
	__vgpu_ctx_votes(c, &l, &ls);
	__vgpu_ctx_uniforms_in(c);
	return 0xfffffffeu;
}

// how many threads warp w has (the last may be partial)
__VGPU_FN unsigned __vgpu_warp_lanes(const __vgpu_ctx *c, unsigned w)
{
	return c->nthreads - w * 32 >= 32 ? 32 : c->nthreads - w * 32;
}

// The lanes of warp w at warp sync s (*at) and whether one of them waits for
// a lane of w that is elsewhere (neither at s nor returned): then the group
// cannot pass s yet.
// A whole warp's 32 states (or masks) as one vector, and which lanes a
// test of them holds for as bits: the driver's steps for a block in groups
// read each warp so, where a loop lane by lane was most of their time (a
// tile's branch of its own, `if (warp == 0) { .. cg::reduce .. }`: 8 warps
// of 32 states read four times a block).
typedef unsigned __vgpu_w32 __attribute__((ext_vector_type(32)));
typedef bool __vgpu_wb32 __attribute__((ext_vector_type(32)));
__VGPU_FN __vgpu_w32 __vgpu_warp_load(const unsigned *p)
{
	__vgpu_w32 v;
	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}
template <class M> __VGPU_FN unsigned __vgpu_warp_bits(M m)
{
	return __builtin_bit_cast(unsigned, __builtin_convertvector(m, __vgpu_wb32));
}

__VGPU_FN bool __vgpu_warp_blocked(const __vgpu_ctx *c, unsigned w, unsigned s, unsigned *at)
{
	const unsigned lanes = __vgpu_warp_lanes(c, w);
	const unsigned *st = c->state + w * 32, *want = c->want + w * 32;
	unsigned here = 0, gone = 0, wants = 0;
	if (lanes == 32) {
		const __vgpu_w32 v = __vgpu_warp_load(st);
		here = __vgpu_warp_bits(v == s);
		gone = __vgpu_warp_bits(v == 0xffffffffu);
		wants = __builtin_reduce_or(v == s ? __vgpu_warp_load(want) : (__vgpu_w32)0);
	}
	for (unsigned j = 0; lanes < 32 && j < lanes; j++) {
		if (st[j] == s) {
			here |= 1u << j;
			wants |= want[j];
		} else if (st[j] == 0xffffffffu) {
			gone |= 1u << j;
		}
	}
	const unsigned exist = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1;
	*at = here;
	return (wants & exist & ~here & ~gone) != 0;
}

// Where the threads of a block in different places go next: the lowest warp
// sync that some warp's group there can pass (every lane its lanes wait for
// is there or has returned), else the lowest barrier, else (lanes waiting for
// each other: a hang on a GPU) the lowest warp sync. *ready: a passable warp
// sync was found. Each warp's lanes are read once per warp sync they are at,
// so one step costs about the block's thread count, not that times 32.
__VGPU_FN unsigned __vgpu_pick(const __vgpu_ctx *c, bool *ready)
{
	unsigned pick = 0xffffffffu, any = 0xffffffffu, bar = 0xffffffffu;
	for (unsigned w = 0; w * 32 < c->nthreads; w++) {
		const unsigned lanes = __vgpu_warp_lanes(c, w);
		const unsigned *st = c->state + w * 32;
		unsigned left = 0;	// lanes at a warp sync not yet looked at
		if (lanes == 32) {
			const __vgpu_w32 v = __vgpu_warp_load(st);
			const auto live = v != 0xffffffffu, ws = (v & 0x10000u) != 0;
			left = __vgpu_warp_bits(live & ws);
			const unsigned b = __builtin_reduce_min((live & !ws) ? v : (__vgpu_w32)0xffffffffu);
			bar = b < bar ? b : bar;
		}
		for (unsigned j = 0; lanes < 32 && j < lanes; j++) {
			const unsigned s = st[j];
			if (s == 0xffffffffu)
				continue;
			if (s & 0x10000u)
				left |= 1u << j;
			else
				bar = s < bar ? s : bar;
		}
		while (left) {
			const unsigned s = st[__builtin_ctz(left)];
			unsigned at;
			const bool blocked = __vgpu_warp_blocked(c, w, s, &at);
			left &= ~at;
			any = s < any ? s : any;
			if (s < pick && !blocked)
				pick = s;
		}
	}
	*ready = pick != 0xffffffffu;
	return *ready ? pick : bar != 0xffffffffu ? bar : any;
}

// the group at state pick, into c->gmask: at a warp sync that some group can
// pass, only the warps whose lanes there can pass it (the lanes of the others
// are parked meanwhile: their state gets 0x40000 until the group has run)
__VGPU_FN void __vgpu_group(__vgpu_ctx *c, unsigned pick, bool ready)
{
	const bool park = (pick & 0x10000u) && ready;
	for (unsigned w = 0; w < 32; w++) {
		c->gmask[w] = 0;
		if (w * 32 >= c->nthreads)
			continue;
		unsigned at;
		const bool blocked = __vgpu_warp_blocked(c, w, pick, &at);
		if (!(park && blocked)) {
			c->gmask[w] = at;
			continue;
		}
		for (unsigned j = 0; at; j++, at >>= 1)
			if (at & 1)
				c->state[w * 32 + j] |= 0x40000u;
	}
}

// After a group ran: the warp sync its warps' lanes all reached (the
// group's lanes with the others of their warps already there, in
// c->gmask), if they can pass it, else 0xffffffff. Only the group's warps
// are read: the rest of the block did not move. Found in the driver's
// picks, a warp in a branch of its own (the block waiting at a barrier)
// cost a pass over every thread's state three times a shuffle.
__VGPU_FN unsigned __vgpu_group_again(__vgpu_ctx *c)
{
	unsigned s = 0xffffffffu, mask[32];
	for (unsigned w = 0; w * 32 < c->nthreads; w++) {
		mask[w] = 0;
		if (!c->gmask[w])
			continue;
		const unsigned sw = c->state[w * 32 + __builtin_ctz(c->gmask[w])];
		// a warp sync, not parked (a returned lane's 0xffffffff is neither)
		if ((sw & 0x50000u) != 0x10000u || (s != 0xffffffffu && sw != s))
			return 0xffffffffu;
		s = sw;
		unsigned at;
		if (__vgpu_warp_blocked(c, w, s, &at) || (at & c->gmask[w]) != c->gmask[w])
			return 0xffffffffu;
		mask[w] = at;
	}
	if (s != 0xffffffffu)
		for (unsigned w = 0; w * 32 < c->nthreads; w++)
			c->gmask[w] = mask[w];
	return s;
}

// cg::reduce's warp sync (__vgpu_warp_sync_reduce; its state has 0x80000 and
// the reduction's code in bits 20..30: the type, the operation, log2 of the
// tile, the kind of shuffle steps): the driver reduces each passing warp's
// published values where five shuffles were five warp syncs, a pass over the
// block each. The lanes' steps themselves, lane by lane, on the warp's 32
// values as one vector; the results into the reductions' slots, where
// each lane reads its own. The kinds: cg::reduce's butterfly (step m = 1, 2,
// .. 2^(lg-1): v = op(v, v of lane ^ m), a lane past the block's last thread
// giving the caller's own value, as __shfl_xor_sync does), and the loops of
// shuffles the pass finds in user code (Lower::shuffleLoops): the butterfly
// the other way (m = 2^(lg-1) .. 1), and `v = op(v, __shfl_down_sync(mask, v,
// d))` for d = 2^(lg-1) .. 1 (a lane whose source lane + d is past 31 or past
// the block's last thread gets its own value: op(v, v)), and a warp scan,
// `if (lane >= d) v = op(v, __shfl_up_sync(mask, v, d))` for d = 1 ..
// 2^(lg-1) with lane = threadIdx.x & 31 (a lane below d keeps v).
enum { __VGPU_RI32 = 1, __VGPU_RU32, __VGPU_RF32, __VGPU_RI64, __VGPU_RU64, __VGPU_RF64 };
// (RFMAX, RFMIN: fmaxf / fminf, IEEE maxNum / minNum, on floating types only)
enum { __VGPU_RADD, __VGPU_RMIN, __VGPU_RMAX, __VGPU_RAND, __VGPU_ROR, __VGPU_RXOR, __VGPU_RFMAX, __VGPU_RFMIN };
enum { __VGPU_KXOR_UP, __VGPU_KXOR_DOWN, __VGPU_KSHFL_DOWN, __VGPU_KSCAN_UP };
template <int O, class V> __VGPU_FN V __vgpu_rop(V a, V b)
{
	typedef decltype(a < b) M;	// a lane mask, a word as wide as an element
	if constexpr (O == __VGPU_RADD)
		return a + b;
	else if constexpr (O == __VGPU_RMIN || O == __VGPU_RMAX) {
		// a < b ? a : b (less), a < b ? b : a (greater): NaN and signed
		// zeros as the scalar operators give them
		const M lt = a < b, ka = O == __VGPU_RMIN ? lt : ~lt;
		return (V)((ka & (M)a) | (~ka & (M)b));
	} else if constexpr (O == __VGPU_RFMAX)
		return __builtin_elementwise_max(a, b);
	else if constexpr (O == __VGPU_RFMIN)
		return __builtin_elementwise_min(a, b);
	else if constexpr (O == __VGPU_RAND)
		return a & b;
	else if constexpr (O == __VGPU_ROR)
		return a | b;
	else
		return a ^ b;
}
// a shuffle's 32 source lanes, lane l's from F(m, l)
#define __VGPU_L8(F, m, b) F(m, b), F(m, (b) + 1), F(m, (b) + 2), F(m, (b) + 3), F(m, (b) + 4), \
	F(m, (b) + 5), F(m, (b) + 6), F(m, (b) + 7)
#define __VGPU_L32(F, m) __VGPU_L8(F, m, 0), __VGPU_L8(F, m, 8), __VGPU_L8(F, m, 16), __VGPU_L8(F, m, 24)
// lane l ^ m
#define __VGPU_X1(m, l) ((l) ^ (m))
// lane l + d, or l where that is past 31
#define __VGPU_D1(d, l) ((l) + (d) < 32 ? (l) + (d) : (l))
// lane l - d, or l where that is below 0
#define __VGPU_U1(d, l) ((l) >= (d) ? (l) - (d) : (l))
// one step on a whole warp's 32 values: by xor m, or down by m
template <int O, unsigned M, class V> __VGPU_FN V __vgpu_wstep(V v, unsigned kind)
{
	if (kind == __VGPU_KSHFL_DOWN)
		return __vgpu_rop<O>(v, (V)__builtin_shufflevector(v, v, __VGPU_L32(__VGPU_D1, M)));
	return __vgpu_rop<O>(v, (V)__builtin_shufflevector(v, v, __VGPU_L32(__VGPU_X1, M)));
}
// a scan's step on a whole warp's 32 values: lanes from M on op(v, v of
// lane - M), the lanes below M keep v (a choice on the bits: op(v, v) is
// not v for +)
template <int O, unsigned M, class V> __VGPU_FN V __vgpu_wscan(V v)
{
	typedef decltype(v < v) K;	// a lane mask, a word as wide as an element
	typedef int I __attribute__((ext_vector_type(32)));
	const I lane = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
			 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 };
	const K up = __builtin_convertvector(lane >= (int)M, K);
	const V r = __vgpu_rop<O>(v, (V)__builtin_shufflevector(v, v, __VGPU_L32(__VGPU_U1, M)));
	return (V)((up & (K)r) | (~up & (K)v));
}
// the block's last, partial warp (or a scan in rows that are not whole
// warps), lane by lane; apart and cold: inlined, its index vectors for every
// step were hoisted above __vgpu_wred's loop over the warps and computed at
// each reduction of every block, whole warps or not (~11 % of layernorm_cg's
// kernel time). The warp's 32 values @a, in place.
template <class T, int O>
static __device__ __attribute__((noinline, cold)) void __vgpu_wred_lanes(const __vgpu_ctx *c, T *a, unsigned b,
									unsigned lanes, unsigned lg, unsigned kind)
{
	typedef T V __attribute__((ext_vector_type(32)));
	T t[32];
	for (unsigned i = 0; i < lg; i++) {
		const bool fromLow = kind == __VGPU_KXOR_UP || kind == __VGPU_KSCAN_UP;
		const unsigned m = fromLow ? 1u << i : 1u << (lg - 1 - i);
		for (unsigned l = 0; l < 32; l++) {
			const unsigned s = kind == __VGPU_KSHFL_DOWN ? l + m : kind == __VGPU_KSCAN_UP ? l - m : l ^ m;
			const V x = a[l], y = a[s < lanes ? s : l];
			// a scan's test is on threadIdx.x & 31, here not the
			// lane (rows of threads not whole warps)
			if (kind == __VGPU_KSCAN_UP && ((b + l) % c->bdim[0] & 31) < m)
				t[l] = a[l];
			else
				t[l] = __vgpu_rop<O>(x, y)[0];
		}
		__builtin_memcpy(a, t, sizeof(t));
	}
}
// (the lanes' values from the half they write, c->wx; the results into
// __vgpu_wr, whole block or a group alike: no flip)
template <class T, int O> __VGPU_FN void __vgpu_wred(__vgpu_ctx *c, const unsigned *group, unsigned lg, unsigned kind)
{
	typedef T V __attribute__((ext_vector_type(32)));
	typedef unsigned W __attribute__((ext_vector_type(32)));
	typedef unsigned long long W2 __attribute__((ext_vector_type(32)));
	unsigned(*const wx)[2][1024 + 32] = __vgpu_wx;
	const unsigned nw = (c->nthreads + 31) / 32;
	for (unsigned w = 0; w < nw; w++) {
		if (group && !group[w])
			continue;
		const unsigned b = w * 32, lanes = c->nthreads - b < 32 ? c->nthreads - b : 32;
		W lo, hi;
		__builtin_memcpy(&lo, &wx[c->wx][0][b], sizeof(lo));
		V v;
		if constexpr (sizeof(T) == 4) {
			v = (V)lo;
		} else {
			__builtin_memcpy(&hi, &wx[c->wx][1][b], sizeof(hi));
			v = (V)(__builtin_convertvector(lo, W2) | __builtin_convertvector(hi, W2) << 32);
		}
		if (kind == __VGPU_KSCAN_UP && (c->bdim[1] * c->bdim[2] == 1 || c->bdim[0] % 32 == 0)) {
			// threadIdx.x & 31 is the lane: steps d = 1 .. 2^(lg-1); a
			// source is a lower lane, so a partial warp's lanes past the
			// block's end (values never published) reach no lane
			if (lg > 0) v = __vgpu_wscan<O, 1>(v);
			if (lg > 1) v = __vgpu_wscan<O, 2>(v);
			if (lg > 2) v = __vgpu_wscan<O, 4>(v);
			if (lg > 3) v = __vgpu_wscan<O, 8>(v);
			if (lg > 4) v = __vgpu_wscan<O, 16>(v);
		} else if (lanes == 32 && kind == __VGPU_KXOR_UP) {
			// steps m = 1, 2, 4, 8, 16 as far as the tile goes
			if (lg > 0) v = __vgpu_wstep<O, 1>(v, kind);
			if (lg > 1) v = __vgpu_wstep<O, 2>(v, kind);
			if (lg > 2) v = __vgpu_wstep<O, 4>(v, kind);
			if (lg > 3) v = __vgpu_wstep<O, 8>(v, kind);
			if (lg > 4) v = __vgpu_wstep<O, 16>(v, kind);
		} else if (lanes == 32 && kind != __VGPU_KSCAN_UP) {
			// steps m = 2^(lg-1) .. 1
			if (lg > 4) v = __vgpu_wstep<O, 16>(v, kind);
			if (lg > 3) v = __vgpu_wstep<O, 8>(v, kind);
			if (lg > 2) v = __vgpu_wstep<O, 4>(v, kind);
			if (lg > 1) v = __vgpu_wstep<O, 2>(v, kind);
			if (lg > 0) v = __vgpu_wstep<O, 1>(v, kind);
		} else {
			T a[32];
			__builtin_memcpy(a, &v, sizeof(a));
			__vgpu_wred_lanes<T, O>(c, a, b, lanes, lg, kind);
			__builtin_memcpy(&v, a, sizeof(a));
		}
		if constexpr (sizeof(T) == 4) {
			lo = (W)v;
		} else {
			lo = __builtin_convertvector((W2)v, W);
			hi = __builtin_convertvector((W2)v >> 32, W);
			__builtin_memcpy(&__vgpu_wr[1][b], &hi, sizeof(hi));
		}
		__builtin_memcpy(&__vgpu_wr[0][b], &lo, sizeof(lo));
	}
}
#undef __VGPU_U1
#undef __VGPU_D1
#undef __VGPU_X1
#undef __VGPU_L32
#undef __VGPU_L8
// the reduction at a reduce state (inlined into the kernel's driver, where
// the pass sets __vgpu_reduce_kinds: bit type | op << 3 for each kind the
// kernel's warp syncs reduce, the others compiled out)
__VGPU_FN void __vgpu_ctx_reduce(__vgpu_ctx *c, unsigned state, const unsigned *group)
{
	const unsigned code = state >> 20 & 0x7ffu, k = code & 63u;
	const unsigned long long kinds = __vgpu_reduce_kinds();
#define __VGPU_RK(ty, op, T)				\
	case ty | op << 3:				\
		if (kinds >> (ty | op << 3) & 1)	\
			__vgpu_wred<T, op>(c, group, code >> 6 & 7u, code >> 9); \
		break;
#define __VGPU_RK3(op)					\
	__VGPU_RK(__VGPU_RI32, op, int) __VGPU_RK(__VGPU_RU32, op, unsigned)	\
	__VGPU_RK(__VGPU_RI64, op, long long) __VGPU_RK(__VGPU_RU64, op, unsigned long long)
	switch (k) {
	__VGPU_RK3(__VGPU_RADD) __VGPU_RK3(__VGPU_RMIN) __VGPU_RK3(__VGPU_RMAX)
	__VGPU_RK3(__VGPU_RAND) __VGPU_RK3(__VGPU_ROR) __VGPU_RK3(__VGPU_RXOR)
	__VGPU_RK(__VGPU_RF32, __VGPU_RADD, float) __VGPU_RK(__VGPU_RF32, __VGPU_RMIN, float)
	__VGPU_RK(__VGPU_RF32, __VGPU_RMAX, float) __VGPU_RK(__VGPU_RF64, __VGPU_RADD, double)
	__VGPU_RK(__VGPU_RF64, __VGPU_RMIN, double) __VGPU_RK(__VGPU_RF64, __VGPU_RMAX, double)
	__VGPU_RK(__VGPU_RF32, __VGPU_RFMAX, float) __VGPU_RK(__VGPU_RF32, __VGPU_RFMIN, float)
	__VGPU_RK(__VGPU_RF64, __VGPU_RFMAX, double) __VGPU_RK(__VGPU_RF64, __VGPU_RFMIN, double)
	}
#undef __VGPU_RK3
#undef __VGPU_RK
}
// A loop of shuffles in the user's code that the pass finds (Lower::
// shuffleLoops: `for (o = 16; o > 0; o >>= 1) v = op(v, __shfl_down_sync(
// mask, v, o))`, or the butterfly with __shfl_xor_sync) becomes this: one
// warp sync at which the driver runs the loop's steps on each passing warp's
// 32 values (__vgpu_ctx_reduce, @code as cg::reduce's, with the kind of
// steps), where each shuffle was a warp sync and a pass over the block's
// threads. @v: the value's bits (8 bytes where @code's type has them).
// Published and read as cg::reduce does: into the half of the exchange the
// lanes write, the result from __vgpu_wr.
extern "C" __device__ __attribute__((used)) unsigned long long __vgpu_warp_steps(unsigned mask, unsigned long long v,
										  unsigned code)
{
	const unsigned lin = __vgpu_lin(), h = __vgpu_ctxp()->wx;
	const bool wide = (code & 7u) >= __VGPU_RI64;
	__vgpu_wx[h][0][lin] = (unsigned)v;
	if (wide)
		__vgpu_wx[h][1][lin] = (unsigned)(v >> 32);
	__vgpu_ctxp()->want[lin] = mask;
	__vgpu_warp_sync_reduce(code);
	return __vgpu_wr[0][lin] | (wide ? (unsigned long long)__vgpu_wr[1][lin] << 32 : 0);
}

// Before the region after a barrier or warp sync runs: the votes of
// __syncthreads_count/and/or are counted, and the exchange slots of the
// warps of @group (all when null) that pass a warp sync are published.
__VGPU_FN void __vgpu_resume(__vgpu_ctx *c, unsigned state, const unsigned *group)
{
	if (state & 0x10000u) {
		const unsigned nw = (c->nthreads + 31) / 32;
		if (!(state & 0x20000u)) {
			// the whole block: the halves swap, nothing copied (a copy
			// of the block's slots, and the lanes' loads right behind
			// its stores, was an eighth of a 256-thread shuffle's time).
			// A group: its warps' slots copied to the half they read
			// (the others' stay where they wrote them, for their own
			// pass), the high words only after an 8-byte exchange.
			if (!group) {
				c->wx ^= 1;
				c->vote[2] = 0;
				return;
			}
			const bool wide = c->vote[2];
			unsigned(*const wx)[2][1024 + 32] = __vgpu_wx;
			const unsigned from = c->wx;
			for (unsigned h = 0; h < (wide ? 2u : 1u); h++)
				for (unsigned w = 0; w < nw; w++)
					if (group[w])
						__builtin_memcpy(&wx[from ^ 1][h][w * 32], &wx[from][h][w * 32],
								 32 * sizeof(unsigned));
			// a group's pass leaves other warps' 8-byte values waiting
			return;
		}
		// a ballot's warp sync (the pass marks its state, 0x20000: a
		// flag the lanes set was the block's, and one group's pass
		// cleared it before another group passed its ballot; storing
		// it was a store every vector of lanes): no exchange to copy,
		// the lanes read the bits. A warp's 32 votes as one vector
		// compared with zero, its mask the bits; the copies one vector
		// store: as scalar loops, the vectoriser took them across the
		// warps, 64 scatters a block (most of a ballot's time)
		typedef unsigned __vgpu_u32x32 __attribute__((ext_vector_type(32)));
		typedef unsigned char __vgpu_u8x32 __attribute__((ext_vector_type(32)));
		typedef bool __vgpu_b32 __attribute__((ext_vector_type(32)));
		unsigned char *const wv = __vgpu_wv;
		unsigned *const wb = __vgpu_wb;
		for (unsigned w = 0; w < nw; w++) {
			if (group && !group[w])
				continue;
			__vgpu_u8x32 v;
			__builtin_memcpy(&v, &wv[w * 32], sizeof(v));
			unsigned bits = __builtin_bit_cast(unsigned, __builtin_convertvector(v != 0, __vgpu_b32));
			// only the lanes taking part (the group that runs next:
			// c->gmask is set), where each lane read its warp's mask
			// (a gather in the vectorised region)
			bits &= c->gmask[w];
			const __vgpu_u32x32 all = bits;
			__builtin_memcpy(&wb[w * 32], &all, sizeof(all));
		}
		return;
	}
	// the votes the regions counted (a block maximum: the largest v + 1)
	if (!(c->vn | c->vmax))
		return;
	c->vsum = c->vmax ? c->vmax - 1 : c->vtrue;
	c->vall = c->vn;
	c->vtrue = c->vn = c->vmax = 0;
}

// a block with barriers: regions until every thread has returned; when its
// threads are in different places (some returned, a warp in a divergent
// branch), the group __vgpu_pick chooses runs
__VGPU_TMPL void __vgpu_tmpl_barrier(const __vgpu_exec *E, void *dsm, unsigned long long first,
				      unsigned long long count)
{
	__vgpu_ctx c;
	__vgpu_ctx_init(&c, E, dsm);
	const unsigned n = c.nthreads;
	unsigned full[32];
	for (unsigned w = 0; w < 32; w++)
		full[w] = c.gmask[w];
	const unsigned long stride = __vgpu_frame_stride();
	const unsigned long fbytes = __vgpu_frame_bytes() * (stride ? stride : n) + 64;
	c.frame = (char *)malloc(fbytes);
	// a byte written in each page: a thread loop's masked vector stores
	// into a slot (`if (warp == 0) v = ..`) write no lane in the slots of
	// threads that skip it, and a masked store or load touching a page the
	// kernel has not mapped in yet (fresh from brk or mmap) does not fault
	// it in but takes a microcode assist, every time (~700 cycles on AMD
	// EPYC; half of layernorm_cg's time). Up to 8 MiB: a bigger frame is
	// a fresh mapping every chunk once past glibc's mmap threshold, where
	// faulting it all in cost more than the assists it saves (a review:
	// 64 MiB, 0.26 -> 621 ms a chunk on this VM)
	if (c.frame)
		for (unsigned long o = 0; o < fbytes && o < (8ul << 20); o += 4096)
			c.frame[o] = 0;
	c.state = (unsigned *)malloc(4 * n);
	c.want = (unsigned *)malloc(4 * n);
	c.vote = (unsigned *)malloc(3 * sizeof(unsigned));
	if (!c.frame || !c.state || !c.want || !c.vote)
		abort();
	for (unsigned t = 0; t < n; t++)
		c.want[t] = 0;
	c.vote[0] = c.vote[1] = c.vote[2] = 0;
	__VGPU_PROF_BEGIN
	__VGPU_BLOCKS_BEGIN
	for (unsigned long long b = first; b < first + count; b++) {
		__VGPU_PROF_T(tb)
		__VGPU_BLOCK_ENTER
		for (unsigned w = 0; w < 32; w++)
			c.gmask[w] = full[w];
		unsigned r = 0;
		for (;;) {
			if (r != 0xfffffffeu) {
				__VGPU_PROF_T(t0)
				__VGPU_PROF_R(r0, r)
				if (r & 0x80000u)
					__vgpu_ctx_reduce(&c, r, 0);
				else
					__vgpu_resume(&c, r, 0);
				r = __vgpu_dispatch(r, &c, 0);
				__VGPU_PROF_ADD(__VGPU_PROF_SLOT(r0), t0)
				if (r == 0xffffffffu)
					break;
				continue;
			}
			bool ready;
			const unsigned pick = __vgpu_pick(&c, &ready);
			if (pick == 0xffffffffu)
				break;
			__vgpu_group(&c, pick, ready);
			// the group, then on through its warp syncs while it keeps
			// together (a warp's branch with shuffles, the block waiting
			// at a barrier)
			for (unsigned s = pick; s != 0xffffffffu; s = __vgpu_group_again(&c)) {
				__VGPU_PROF_T(t0)
				if (s & 0x80000u)
					__vgpu_ctx_reduce(&c, s, c.gmask);
				else
					__vgpu_resume(&c, s, c.gmask);
				c.sel = s;
				__vgpu_dispatch(s, &c, 1);
				__VGPU_PROF_ADD(__VGPU_PROF_MASKED, t0)
			}
			// unpark; once every thread is at one barrier again (a warp's
			// branch done), back to whole regions (not at a warp sync:
			// measured, warps there tend to part again at once)
			const unsigned at = __vgpu_one_state(c.state, n, 0x40000u);
			if (at == 0xffffffffu)
				break;
			if (at != 0xfffffffeu && !(at & 0x10000u)) {
				r = at;
				for (unsigned w = 0; w < 32; w++)
					c.gmask[w] = full[w];
			}
		}
		__VGPU_PROF_ADD(__VGPU_PROF_BLOCK, tb)
		__VGPU_BLOCK_LEAVE
	}
	__VGPU_PROF_END
	free(c.frame);
	free(c.state);
	free(c.want);
	free(c.vote);
}
#undef __VGPU_TMPL

// ---- cooperative groups (cooperative_groups.h): the block, tiles of 1..32 lanes ---------
#define __VGPU_MF __device__ __forceinline__
namespace cooperative_groups {
namespace __vgpu {
__VGPU_FN unsigned nthreads(void) { return __vgpu_ctxp()->nthreads; }
}
class thread_block {
public:
	__VGPU_MF void sync(void) const { __vgpu_barrier(); }
	__VGPU_MF unsigned thread_rank(void) const { return __vgpu_lin(); }
	__VGPU_MF unsigned size(void) const { return __vgpu::nthreads(); }
	__VGPU_MF unsigned num_threads(void) const { return __vgpu::nthreads(); }
	__VGPU_MF dim3 group_index(void) const { return dim3(blockIdx.x, blockIdx.y, blockIdx.z); }
	__VGPU_MF dim3 thread_index(void) const { return dim3(threadIdx.x, threadIdx.y, threadIdx.z); }
	__VGPU_MF dim3 group_dim(void) const { return dim3(blockDim.x, blockDim.y, blockDim.z); }
	__VGPU_MF dim3 dim_threads(void) const { return group_dim(); }
	__VGPU_MF bool is_valid(void) const { return true; }
};
__VGPU_FN thread_block this_thread_block(void) { return thread_block(); }
__VGPU_FN void sync(const thread_block &) { __vgpu_barrier(); }
__VGPU_FN unsigned thread_rank(const thread_block &g) { return g.thread_rank(); }

class grid_group {
public:
	__VGPU_UNSUPPORTED("grid-wide synchronisation (grid_group::sync)") __device__ void sync(void) const;
	__VGPU_MF unsigned long long thread_rank(void) const
	{
		unsigned long long b = blockIdx.x + (unsigned long long)gridDim.x * (blockIdx.y + (unsigned long long)gridDim.y * blockIdx.z);
		return b * __vgpu::nthreads() + __vgpu_lin();
	}
	__VGPU_MF unsigned long long size(void) const
	{
		return (unsigned long long)gridDim.x * gridDim.y * gridDim.z * __vgpu::nthreads();
	}
	__VGPU_MF unsigned long long num_threads(void) const { return size(); }
	__VGPU_MF bool is_valid(void) const { return true; }
};
__VGPU_FN grid_group this_grid(void) { return grid_group(); }
__VGPU_UNSUPPORTED("grid-wide synchronisation (cooperative_groups::sync(grid))") __device__ void sync(const grid_group &);

// a partition of the block into tiles of N consecutive threads (N a power of two <= 32)
template <unsigned N> class thread_block_tile {
	static_assert(N >= 1 && N <= 32 && (N & (N - 1)) == 0,
		      "libvgpu's CPU backend supports tiles of 1, 2, 4, 8, 16 or 32 threads");
	static __device__ __forceinline__ unsigned base(void) { return __vgpu_lane() & ~(N - 1); }
	static __device__ __forceinline__ unsigned lanes(void) { return N == 32 ? 0xffffffffu : ((1u << (N & 31)) - 1) << base(); }
public:
	static constexpr unsigned num_threads_v = N;
	__VGPU_MF void sync(void) const { __vgpu_warp_wait(lanes()); }
	__VGPU_MF unsigned thread_rank(void) const { return __vgpu_lin() & (N - 1); }
	__VGPU_MF unsigned size(void) const { return N; }
	__VGPU_MF unsigned num_threads(void) const { return N; }
	__VGPU_MF unsigned meta_group_rank(void) const { return __vgpu_lin() / N; }
	__VGPU_MF unsigned meta_group_size(void) const { return (__vgpu::nthreads() + N - 1) / N; }
	__VGPU_MF bool is_valid(void) const { return true; }
	template <class T> __VGPU_MF T shfl(T v, int src) const { return __shfl_sync(lanes(), v, src, N); }
	template <class T> __VGPU_MF T shfl_down(T v, unsigned d) const { return __shfl_down_sync(lanes(), v, d, N); }
	template <class T> __VGPU_MF T shfl_up(T v, unsigned d) const { return __shfl_up_sync(lanes(), v, d, N); }
	template <class T> __VGPU_MF T shfl_xor(T v, int m) const { return __shfl_xor_sync(lanes(), v, m, N); }
	__VGPU_MF unsigned ballot(int pred) const { return (__ballot_sync(lanes(), pred) >> base()) & (N == 32 ? 0xffffffffu : (1u << (N & 31)) - 1); }
	__VGPU_MF int any(int pred) const { return ballot(pred) != 0; }
	// the lanes that say no, counted at the vote's warp sync (the lanes
	// taking part are known there, not before it)
	__VGPU_MF int all(int pred) const { return __all_sync(lanes(), pred); }
	template <class T> __VGPU_MF unsigned match_any(T v) const { return (__match_any_sync(lanes(), v) >> base()); }
	__VGPU_MF unsigned __vgpu_mask(void) const { return lanes(); }	// its lanes in the warp
};
template <unsigned N, class P> __VGPU_FN thread_block_tile<N> tiled_partition(const P &) { return thread_block_tile<N>(); }

// a runtime-sized tile (tiled_partition(block, n), n a power of two <= 32)
class thread_group {
	unsigned n_;
public:
	__device__ explicit thread_group(unsigned n) : n_(n) {}
	__VGPU_MF void sync(void) const
	{
		__vgpu_warp_wait(n_ >= 32 ? 0xffffffffu : ((1u << n_) - 1) << (__vgpu_lane() & ~(n_ - 1)));
	}
	__VGPU_MF unsigned thread_rank(void) const { return __vgpu_lin() & (n_ - 1); }
	__VGPU_MF unsigned size(void) const { return n_; }
	__VGPU_MF unsigned num_threads(void) const { return n_; }
	__VGPU_MF unsigned meta_group_rank(void) const { return __vgpu_lin() / n_; }
};
__VGPU_FN thread_group tiled_partition(const thread_block &, unsigned n) { return thread_group(n); }
__VGPU_FN void sync(const thread_group &g) { g.sync(); }
template <unsigned N> __VGPU_FN void sync(const thread_block_tile<N> &g) { g.sync(); }

// the threads of the warp that are here together
class coalesced_group {
	unsigned mask_;
public:
	__device__ explicit coalesced_group(unsigned m) : mask_(m) {}
	__VGPU_MF void sync(void) const { __vgpu_warp_wait(mask_); }
	__VGPU_MF unsigned size(void) const { return __popc(mask_); }
	__VGPU_MF unsigned num_threads(void) const { return size(); }
	__VGPU_MF unsigned thread_rank(void) const { return __popc(mask_ & ((1u << __vgpu_lane()) - 1)); }
	template <class T> __VGPU_MF T shfl(T v, int rank) const
	{
		unsigned m = mask_;
		for (int i = 0; i < rank && m; i++)
			m &= m - 1;
		return __shfl_sync(mask_, v, m ? __builtin_ctz(m) : __vgpu_lane());
	}
	__VGPU_MF unsigned ballot(int pred) const
	{
		unsigned b = __ballot_sync(mask_, pred), r = 0, i = 0;
		for (unsigned m = mask_; m; m &= m - 1, i++)
			if (b >> __builtin_ctz(m) & 1)
				r |= 1u << i;
		return r;
	}
	__VGPU_MF int any(int pred) const { return __ballot_sync(mask_, pred) != 0; }
	__VGPU_MF int all(int pred) const { return __ballot_sync(mask_, pred) == mask_; }
	__VGPU_MF unsigned __vgpu_mask(void) const { return mask_; }
};
__VGPU_FN coalesced_group coalesced_threads(void) { return coalesced_group(__activemask()); }
// a tile of at most 32 threads or a coalesced group split by a predicate
// (binary_partition) or a label (labeled_partition): the lanes that agree
template <class G> __VGPU_FN coalesced_group binary_partition(const G &g, bool pred)
{
	const unsigned all = g.__vgpu_mask(), yes = __ballot_sync(all, pred);
	return coalesced_group(pred ? yes : all & ~yes);
}
template <class G, class L> __VGPU_FN coalesced_group labeled_partition(const G &g, L label)
{
	return coalesced_group(__match_any_sync(g.__vgpu_mask(), label));
}

// <cooperative_groups/reduce.h>
template <class T> struct plus { __device__ T operator()(T a, T b) const { return a + b; } };
template <class T> struct less { __device__ T operator()(T a, T b) const { return a < b ? a : b; } };
template <class T> struct greater { __device__ T operator()(T a, T b) const { return a < b ? b : a; } };
template <class T> struct bit_and { __device__ T operator()(T a, T b) const { return a & b; } };
template <class T> struct bit_or { __device__ T operator()(T a, T b) const { return a | b; } };
template <class T> struct bit_xor { __device__ T operator()(T a, T b) const { return a ^ b; } };
namespace __vgpu {
// the driver's code for a reduction of T by Op (0: none; the butterfly of shuffles)
template <class T> struct rty { enum { k = 0 }; };
template <> struct rty<int> { enum { k = __VGPU_RI32 }; };
template <> struct rty<unsigned> { enum { k = __VGPU_RU32 }; };
template <> struct rty<float> { enum { k = __VGPU_RF32 }; };
template <> struct rty<long long> { enum { k = __VGPU_RI64 }; };
template <> struct rty<unsigned long long> { enum { k = __VGPU_RU64 }; };
template <> struct rty<long> { enum { k = __VGPU_RI64 }; };
template <> struct rty<unsigned long> { enum { k = __VGPU_RU64 }; };
template <> struct rty<double> { enum { k = __VGPU_RF64 }; };
template <class T, class Op> struct rop { enum { k = -1 }; };
template <class T> struct rop<T, plus<T>> { enum { k = __VGPU_RADD }; };
template <class T> struct rop<T, less<T>> { enum { k = __VGPU_RMIN }; };
template <class T> struct rop<T, greater<T>> { enum { k = __VGPU_RMAX }; };
template <class T> struct rop<T, bit_and<T>> { enum { k = __VGPU_RAND }; };
template <class T> struct rop<T, bit_or<T>> { enum { k = __VGPU_ROR }; };
template <class T> struct rop<T, bit_xor<T>> { enum { k = __VGPU_RXOR }; };
}
// A tile's butterfly of shuffles (step m: v = op(v, shfl_xor(v, m))). With
// one of the operations above on a type of 4 or 8 bytes, one warp sync at
// which the driver runs the same butterfly on the warp's values as vectors
// (__vgpu_ctx_reduce): each lane publishes its value and reads its result
template <unsigned N, class T, class Op> __VGPU_FN T reduce(const thread_block_tile<N> &g, T v, Op op)
{
	constexpr int ty = __vgpu::rty<T>::k, o = __vgpu::rop<T, Op>::k;
	if constexpr (N > 1 && ty && o >= 0 && (o < __VGPU_RAND || (ty != __VGPU_RF32 && ty != __VGPU_RF64))) {
		constexpr unsigned lg = N == 2 ? 1 : N == 4 ? 2 : N == 8 ? 3 : N == 16 ? 4 : 5;
		const unsigned lin = __vgpu_lin(), lane = lin & 31u;
		// the value into the half of the exchange lanes write, the
		// result from the reductions' own slots (__vgpu_wr), so that
		// neither touches what the lanes after this one in the region
		// still read or write
		__vgpu_warp_publish(__vgpu_ctxp(), lin, v);
		__vgpu_ctxp()->want[lin] = N == 32 ? 0xffffffffu : ((1u << (N & 31)) - 1) << (lane & ~(N - 1));
		__vgpu_warp_sync_reduce((unsigned)ty | (unsigned)o << 3 | lg << 6);
		return __vgpu_warp_value<T>(__vgpu_wr[0][lin], sizeof(T) > 4 ? __vgpu_wr[1][lin] : 0);
	}
	for (unsigned m = 1; m < N; m <<= 1)
		v = op(v, g.shfl_xor(v, m));
	return v;
}
template <unsigned N, class T, class Op> __VGPU_FN T inclusive_scan(const thread_block_tile<N> &g, T v, Op op)
{
	for (unsigned d = 1; d < N; d <<= 1) {
		T o = g.shfl_up(v, d);
		if (g.thread_rank() >= d)
			v = op(v, o);
	}
	return v;
}
template <unsigned N, class T> __VGPU_FN T inclusive_scan(const thread_block_tile<N> &g, T v)
{
	return inclusive_scan(g, v, plus<T>());
}
template <unsigned N, class T, class Op> __VGPU_FN T exclusive_scan(const thread_block_tile<N> &g, T v, Op op)
{
	T inc = inclusive_scan(g, v, op);
	T r = g.shfl_up(inc, 1);
	return g.thread_rank() == 0 ? T() : r;
}
template <unsigned N, class T> __VGPU_FN T exclusive_scan(const thread_block_tile<N> &g, T v)
{
	return exclusive_scan(g, v, plus<T>());
}

// cooperative_groups/memcpy_async.h: every thread of the group calls it; the
// group's first thread copies at once (a GPU copies in the background), and
// wait() is the group's sync, after which all of it sees the copy
template <class G> __VGPU_FN void memcpy_async(const G &g, void *dst, const void *src, size_t bytes)
{
	if (g.thread_rank() == 0)
		__builtin_memcpy(dst, src, bytes);
}
template <class G, class T>
__VGPU_FN void memcpy_async(const G &g, T *dst, size_t dst_count, const T *src, size_t src_count)
{
	memcpy_async(g, (void *)dst, (const void *)src, (src_count < dst_count ? src_count : dst_count) * sizeof(T));
}
template <class G> __VGPU_FN void wait(const G &g) { g.sync(); }
template <unsigned N, class G> __VGPU_FN void wait_prior(const G &g) { g.sync(); }
} // namespace cooperative_groups
#undef __VGPU_MF

// cuda_pipeline.h: a thread's asynchronous copy into shared memory (4, 8 or
// 16 bytes, the last @zfill of them zeros) done when it is issued; its
// commits and waits have nothing to wait for (other threads see it after a
// barrier, as on a GPU)
__VGPU_FN void __pipeline_memcpy_async(void *dst, const void *src, size_t size_and_align, size_t zfill = 0)
{
	const size_t n = zfill < size_and_align ? size_and_align - zfill : 0;
	__builtin_memcpy(dst, src, n);
	__builtin_memset((char *)dst + n, 0, size_and_align - n);
}
__VGPU_FN void __pipeline_commit(void) {}
__VGPU_FN void __pipeline_wait_prior(size_t) {}
#endif // __VGPU_CUDA_H

// ---- half precision: cuda_fp16.h (__half, __half2) and cuda_bf16.h ----------
// (__nv_bfloat16, __nv_bfloat162). Each header the kernel includes defines
// its __VGPU_WANT_* and includes this file again: the sections below are
// all that the second time reads. A value is its 16 bits; arithmetic is
// done in float and rounded to the 16-bit format once (round to nearest
// even), which gives the correctly rounded result for +, -, *, / and sqrt
// (float's 24 bits are at least twice the formats' 11 and 8, plus two), as
// the GPU's half instructions do; fma is done in double. The math functions
// (hexp, h2sin, ...) are float's, rounded. Nothing is contracted: a product
// and a sum CUDA may fuse into an fma (__hmul then __hadd, not their _rn
// forms) are rounded each.
#if (defined(__VGPU_WANT_FP16) || defined(__VGPU_WANT_BF16)) && !defined(__VGPU_H16_COMMON)
#define __VGPU_H16_COMMON 1
// the 16 bits next to @h's magnitude toward +inf (@up) or -inf: a rounding
// to nearest made directed (the bits of a NaN are kept)
__VGPU_FN unsigned short __vgpu_h16_step(unsigned short h, bool up, unsigned short inf)
{
	const unsigned short mag = h & 0x7fffu, neg = h & 0x8000u;
	if (mag > inf)
		return h;
	if (mag == 0)
		return up ? 1 : 0x8001u;	// the smallest subnormal of that sign
	return (up == !neg) ? (unsigned short)(h + 1) : (unsigned short)(h - 1);
}
#define __VGPU_H16_ROUNDED(name, T, H, tof, fromf)							\
	__VGPU_FN H name##_rn(T a) { return fromf((float)a); }						\
	__VGPU_FN H name##_rz(T a)									\
	{												\
		H r = fromf((float)a);									\
		const float b = tof(r);									\
		if (__builtin_fabsf(b) > __builtin_fabsf((float)a))					\
			r.__x = __vgpu_h16_step(r.__x, b < 0, H::__inf);					\
		return r;										\
	}												\
	__VGPU_FN H name##_rd(T a)									\
	{												\
		H r = fromf((float)a);									\
		if (tof(r) > (float)a)									\
			r.__x = __vgpu_h16_step(r.__x, false, H::__inf);				\
		return r;										\
	}												\
	__VGPU_FN H name##_ru(T a)									\
	{												\
		H r = fromf((float)a);									\
		if (tof(r) < (float)a)									\
			r.__x = __vgpu_h16_step(r.__x, true, H::__inf);					\
		return r;										\
	}

// a math function of the 16-bit type H (@name: float's @f, rounded)
#define __VGPU_H16_MATH(H, tof, fromf, name, f) __VGPU_FN H name(H a) { return fromf(f(tof(a))); }
// a function of a pair by one of its halves' (@f of each half), with one to
// three operands; a comparison of pairs as 1.0 or 0.0 in each half, or true
// when it holds for both halves
#define __VGPU_H16_PAIR1(H2, name, f) __VGPU_FN H2 name(H2 a) { return __vgpu_h2(f(a.x), f(a.y)); }
#define __VGPU_H16_PAIR2(H2, name, f) __VGPU_FN H2 name(H2 a, H2 b) { return __vgpu_h2(f(a.x, b.x), f(a.y, b.y)); }
#define __VGPU_H16_PAIR3(H2, name, f)									\
	__VGPU_FN H2 name(H2 a, H2 b, H2 c) { return __vgpu_h2(f(a.x, b.x, c.x), f(a.y, b.y, c.y)); }
#define __VGPU_H16_PAIRCMP(H2, fromf, name, f)								\
	__VGPU_FN H2 name(H2 a, H2 b)									\
	{												\
		return __vgpu_h2(fromf(f(a.x, b.x) ? 1.0f : 0.0f), fromf(f(a.y, b.y) ? 1.0f : 0.0f));	\
	}
#define __VGPU_H16_PAIRALL(H2, name, f) __VGPU_FN bool name(H2 a, H2 b) { return f(a.x, b.x) && f(a.y, b.y); }
// the arithmetic operators of T (a 16-bit type or its pair) by its functions
#define __VGPU_H16_ARITH(T, add, sub, mul, div, neg)							\
	__VGPU_FN T operator+(const T &a, const T &b) { return add(a, b); }				\
	__VGPU_FN T operator-(const T &a, const T &b) { return sub(a, b); }				\
	__VGPU_FN T operator*(const T &a, const T &b) { return mul(a, b); }				\
	__VGPU_FN T operator/(const T &a, const T &b) { return div(a, b); }				\
	__VGPU_FN T &operator+=(T &a, const T &b) { return a = add(a, b); }				\
	__VGPU_FN T &operator-=(T &a, const T &b) { return a = sub(a, b); }				\
	__VGPU_FN T &operator*=(T &a, const T &b) { return a = mul(a, b); }				\
	__VGPU_FN T &operator/=(T &a, const T &b) { return a = div(a, b); }				\
	__VGPU_FN T operator+(const T &a) { return a; }							\
	__VGPU_FN T operator-(const T &a) { return neg(a); }

// ... and its comparisons (!= is unordered, as float's)
#define __VGPU_H16_CMP(T, eq, ne, lt, le, gt, ge)							\
	__VGPU_FN bool operator==(const T &a, const T &b) { return eq(a, b); }				\
	__VGPU_FN bool operator!=(const T &a, const T &b) { return ne(a, b); }				\
	__VGPU_FN bool operator<(const T &a, const T &b) { return lt(a, b); }				\
	__VGPU_FN bool operator<=(const T &a, const T &b) { return le(a, b); }				\
	__VGPU_FN bool operator>(const T &a, const T &b) { return gt(a, b); }				\
	__VGPU_FN bool operator>=(const T &a, const T &b) { return ge(a, b); }

// the operations __half and __nv_bfloat16 share (cuda_fp16.h and
// cuda_bf16.h overload the same names), for the 16-bit type H, its pair H2,
// and the conversions tof (H to float) and fromf (float to H, rounded)
#define __VGPU_H16_OPS(H, H2, tof, fromf)								\
	__VGPU_FN H __hadd(H a, H b) { return fromf(tof(a) + tof(b)); }					\
	__VGPU_FN H __hsub(H a, H b) { return fromf(tof(a) - tof(b)); }					\
	__VGPU_FN H __hmul(H a, H b) { return fromf(tof(a) * tof(b)); }					\
	__VGPU_FN H __hdiv(H a, H b) { return fromf(tof(a) / tof(b)); }					\
	__VGPU_FN H __hadd_rn(H a, H b) { return __hadd(a, b); }					\
	__VGPU_FN H __hsub_rn(H a, H b) { return __hsub(a, b); }					\
	__VGPU_FN H __hmul_rn(H a, H b) { return __hmul(a, b); }					\
	__VGPU_FN H __hfma(H a, H b, H c)								\
	{												\
		return fromf((float)((double)tof(a) * (double)tof(b) + (double)tof(c)));		\
	}												\
	__VGPU_FN H __hneg(H a) { H r; r.__x = a.__x ^ 0x8000u; return r; }				\
	__VGPU_FN H __habs(H a) { H r; r.__x = a.__x & 0x7fffu; return r; }				\
	__VGPU_FN H __vgpu_sat(H a)									\
	{												\
		const float f = tof(a);									\
		return f > 0.0f ? (f < 1.0f ? a : fromf(1.0f)) : fromf(0.0f);				\
	}												\
	__VGPU_FN H __hadd_sat(H a, H b) { return __vgpu_sat(__hadd(a, b)); }				\
	__VGPU_FN H __hsub_sat(H a, H b) { return __vgpu_sat(__hsub(a, b)); }				\
	__VGPU_FN H __hmul_sat(H a, H b) { return __vgpu_sat(__hmul(a, b)); }				\
	__VGPU_FN H __hfma_sat(H a, H b, H c) { return __vgpu_sat(__hfma(a, b, c)); }			\
	__VGPU_FN bool __heq(H a, H b) { return tof(a) == tof(b); }					\
	__VGPU_FN bool __hne(H a, H b) { return tof(a) < tof(b) || tof(a) > tof(b); }			\
	__VGPU_FN bool __hlt(H a, H b) { return tof(a) < tof(b); }					\
	__VGPU_FN bool __hle(H a, H b) { return tof(a) <= tof(b); }					\
	__VGPU_FN bool __hgt(H a, H b) { return tof(a) > tof(b); }					\
	__VGPU_FN bool __hge(H a, H b) { return tof(a) >= tof(b); }					\
	__VGPU_FN bool __hequ(H a, H b) { return !(tof(a) < tof(b) || tof(a) > tof(b)); }		\
	__VGPU_FN bool __hneu(H a, H b) { return !(tof(a) == tof(b)); }					\
	__VGPU_FN bool __hltu(H a, H b) { return !(tof(a) >= tof(b)); }					\
	__VGPU_FN bool __hleu(H a, H b) { return !(tof(a) > tof(b)); }					\
	__VGPU_FN bool __hgtu(H a, H b) { return !(tof(a) <= tof(b)); }					\
	__VGPU_FN bool __hgeu(H a, H b) { return !(tof(a) < tof(b)); }					\
	__VGPU_FN bool __hisnan(H a) { return (a.__x & 0x7fffu) > H::__inf; }				\
	__VGPU_FN int __hisinf(H a)									\
	{												\
		return (a.__x & 0x7fffu) == H::__inf ? (a.__x & 0x8000u ? -1 : 1) : 0;			\
	}												\
	/* max/min: a NaN loses to a number (fmaxf); _nan: a NaN wins */				\
	__VGPU_FN H __hmax(H a, H b) { return fromf(__builtin_fmaxf(tof(a), tof(b))); }		\
	__VGPU_FN H __hmin(H a, H b) { return fromf(__builtin_fminf(tof(a), tof(b))); }		\
	__VGPU_FN H __hmax_nan(H a, H b) { return __hisnan(a) ? a : __hisnan(b) ? b : __hmax(a, b); }	\
	__VGPU_FN H __hmin_nan(H a, H b) { return __hisnan(a) ? a : __hisnan(b) ? b : __hmin(a, b); }	\
	__VGPU_H16_MATH(H, tof, fromf, hsqrt, __builtin_sqrtf)						\
	__VGPU_H16_MATH(H, tof, fromf, hexp, expf)							\
	__VGPU_H16_MATH(H, tof, fromf, hexp2, exp2f)							\
	__VGPU_H16_MATH(H, tof, fromf, hexp10, exp10f)							\
	__VGPU_H16_MATH(H, tof, fromf, hlog, logf)							\
	__VGPU_H16_MATH(H, tof, fromf, hlog2, log2f)							\
	__VGPU_H16_MATH(H, tof, fromf, hlog10, log10f)							\
	__VGPU_H16_MATH(H, tof, fromf, hsin, sinf)							\
	__VGPU_H16_MATH(H, tof, fromf, hcos, cosf)							\
	__VGPU_H16_MATH(H, tof, fromf, htanh, tanhf)							\
	__VGPU_H16_MATH(H, tof, fromf, hceil, __builtin_ceilf)						\
	__VGPU_H16_MATH(H, tof, fromf, hfloor, __builtin_floorf)					\
	__VGPU_H16_MATH(H, tof, fromf, htrunc, __builtin_truncf)					\
	__VGPU_H16_MATH(H, tof, fromf, hrint, __builtin_rintf)						\
	__VGPU_FN H hrsqrt(H a) { return fromf(1.0f / __builtin_sqrtf(tof(a))); }			\
	__VGPU_FN H hrcp(H a) { return fromf(1.0f / tof(a)); }						\
	__VGPU_H16_ARITH(H, __hadd, __hsub, __hmul, __hdiv, __hneg)					\
	__VGPU_FN H &operator++(H &a) { return a = __hadd(a, fromf(1.0f)); }				\
	__VGPU_FN H &operator--(H &a) { return a = __hsub(a, fromf(1.0f)); }				\
	__VGPU_FN H operator++(H &a, int) { H o = a; ++a; return o; }					\
	__VGPU_FN H operator--(H &a, int) { H o = a; --a; return o; }					\
	__VGPU_H16_CMP(H, __heq, __hneu, __hlt, __hle, __hgt, __hge)					\
	/* pairs: each half on its own; the _b comparisons are both halves' */				\
	__VGPU_FN H2 __vgpu_h2(H x, H y) { H2 r; r.x = x; r.y = y; return r; }				\
	__VGPU_H16_PAIR2(H2, __hadd2, __hadd)								\
	__VGPU_H16_PAIR2(H2, __hsub2, __hsub)								\
	__VGPU_H16_PAIR2(H2, __hmul2, __hmul)								\
	__VGPU_H16_PAIR2(H2, __h2div, __hdiv)								\
	__VGPU_FN H2 __hadd2_rn(H2 a, H2 b) { return __hadd2(a, b); }					\
	__VGPU_FN H2 __hsub2_rn(H2 a, H2 b) { return __hsub2(a, b); }					\
	__VGPU_FN H2 __hmul2_rn(H2 a, H2 b) { return __hmul2(a, b); }					\
	__VGPU_H16_PAIR3(H2, __hfma2, __hfma)								\
	__VGPU_H16_PAIR1(H2, __hneg2, __hneg)								\
	__VGPU_H16_PAIR1(H2, __habs2, __habs)								\
	__VGPU_H16_PAIR2(H2, __hadd2_sat, __hadd_sat)							\
	__VGPU_H16_PAIR2(H2, __hsub2_sat, __hsub_sat)							\
	__VGPU_H16_PAIR2(H2, __hmul2_sat, __hmul_sat)							\
	__VGPU_H16_PAIR3(H2, __hfma2_sat, __hfma_sat)							\
	__VGPU_H16_PAIR2(H2, __hmax2, __hmax)								\
	__VGPU_H16_PAIR2(H2, __hmin2, __hmin)								\
	__VGPU_H16_PAIR2(H2, __hmax2_nan, __hmax_nan)							\
	__VGPU_H16_PAIR2(H2, __hmin2_nan, __hmin_nan)							\
	__VGPU_H16_PAIRCMP(H2, fromf, __heq2, __heq)							\
	__VGPU_H16_PAIRCMP(H2, fromf, __hne2, __hne)							\
	__VGPU_H16_PAIRCMP(H2, fromf, __hlt2, __hlt)							\
	__VGPU_H16_PAIRCMP(H2, fromf, __hle2, __hle)							\
	__VGPU_H16_PAIRCMP(H2, fromf, __hgt2, __hgt)							\
	__VGPU_H16_PAIRCMP(H2, fromf, __hge2, __hge)							\
	__VGPU_FN H2 __hisnan2(H2 a) { return __vgpu_h2(fromf(__hisnan(a.x) ? 1.0f : 0.0f), fromf(__hisnan(a.y) ? 1.0f : 0.0f)); } \
	__VGPU_H16_PAIRALL(H2, __hbeq2, __heq)								\
	__VGPU_H16_PAIRALL(H2, __hbne2, __hne)								\
	__VGPU_H16_PAIRALL(H2, __hblt2, __hlt)								\
	__VGPU_H16_PAIRALL(H2, __hble2, __hle)								\
	__VGPU_H16_PAIRALL(H2, __hbgt2, __hgt)								\
	__VGPU_H16_PAIRALL(H2, __hbge2, __hge)								\
	__VGPU_H16_PAIRALL(H2, __hbequ2, __hequ)							\
	__VGPU_H16_PAIRALL(H2, __hbneu2, __hneu)							\
	__VGPU_H16_PAIRALL(H2, __hbltu2, __hltu)							\
	__VGPU_H16_PAIRALL(H2, __hbleu2, __hleu)							\
	__VGPU_H16_PAIRALL(H2, __hbgtu2, __hgtu)							\
	__VGPU_H16_PAIRALL(H2, __hbgeu2, __hgeu)							\
	__VGPU_H16_PAIR1(H2, h2sqrt, hsqrt)								\
	__VGPU_H16_PAIR1(H2, h2rsqrt, hrsqrt)								\
	__VGPU_H16_PAIR1(H2, h2rcp, hrcp)								\
	__VGPU_H16_PAIR1(H2, h2exp, hexp)								\
	__VGPU_H16_PAIR1(H2, h2exp2, hexp2)								\
	__VGPU_H16_PAIR1(H2, h2exp10, hexp10)								\
	__VGPU_H16_PAIR1(H2, h2log, hlog)								\
	__VGPU_H16_PAIR1(H2, h2log2, hlog2)								\
	__VGPU_H16_PAIR1(H2, h2log10, hlog10)								\
	__VGPU_H16_PAIR1(H2, h2sin, hsin)								\
	__VGPU_H16_PAIR1(H2, h2cos, hcos)								\
	__VGPU_H16_PAIR1(H2, h2tanh, htanh)								\
	__VGPU_H16_PAIR1(H2, h2ceil, hceil)								\
	__VGPU_H16_PAIR1(H2, h2floor, hfloor)								\
	__VGPU_H16_PAIR1(H2, h2trunc, htrunc)								\
	__VGPU_H16_PAIR1(H2, h2rint, hrint)								\
	__VGPU_H16_ARITH(H2, __hadd2, __hsub2, __hmul2, __h2div, __hneg2)				\
	__VGPU_H16_CMP(H2, __hbeq2, __hbneu2, __hblt2, __hble2, __hbgt2, __hbge2)			\
	/* atomics: a compare-and-swap loop on the 16 bits (of the pair's 32) */			\
	__VGPU_FN H atomicAdd(H *p, H v)								\
	{												\
		unsigned short o = __atomic_load_n(&p->__x, __ATOMIC_RELAXED);				\
		H of, nf;										\
		do {											\
			of.__x = o;									\
			nf = __hadd(of, v);								\
		} while (!__atomic_compare_exchange_n(&p->__x, &o, nf.__x, true, __VGPU_SC, __ATOMIC_RELAXED)); \
		return of;										\
	}												\
	__VGPU_FN H2 atomicAdd(H2 *p, H2 v)								\
	{												\
		unsigned *const w = (unsigned *)p;							\
		unsigned o = __atomic_load_n(w, __ATOMIC_RELAXED), n;					\
		H2 of, nf;										\
		do {											\
			__builtin_memcpy(&of, &o, 4);							\
			nf = __hadd2(of, v);								\
			__builtin_memcpy(&n, &nf, 4);							\
		} while (!__atomic_compare_exchange_n(w, &o, n, true, __VGPU_SC, __ATOMIC_RELAXED));	\
		return of;										\
	}

// the 16-bit type H (bits of format F: float from bits F##_f, bits from
// float F##_b) and its pair H2, with their raw forms
#define __VGPU_H16_TYPE(H, H2, RAW, RAW2, F, INF)							\
	struct RAW { unsigned short x; };								\
	struct RAW2 { unsigned short x, y; };								\
	struct __attribute__((aligned(2))) H {								\
		unsigned short __x;									\
		static constexpr unsigned short __inf = INF;						\
		H() = default;										\
		__device__ constexpr H(const RAW &r) : __x(r.x) {}					\
		__device__ H &operator=(const RAW &r) { __x = r.x; return *this; }			\
		__device__ constexpr operator RAW() const { return RAW{__x}; }				\
		__device__ H(float f) : __x(F##_b(f)) {}						\
		__device__ H(double d) : __x(F##_d(d)) {}						\
		__device__ H(short v) : __x(F##_b((float)v)) {}						\
		__device__ H(unsigned short v) : __x(F##_b((float)v)) {}				\
		__device__ H(int v) : __x(F##_b((float)v)) {}						\
		__device__ H(unsigned v) : __x(F##_b((float)v)) {}					\
		__device__ H(long v) : __x(F##_b((float)v)) {}						\
		__device__ H(unsigned long v) : __x(F##_b((float)v)) {}				\
		__device__ H(long long v) : __x(F##_b((float)v)) {}					\
		__device__ H(unsigned long long v) : __x(F##_b((float)v)) {}				\
		__device__ H &operator=(float f) { __x = F##_b(f); return *this; }			\
		__device__ H &operator=(double d) { __x = F##_d(d); return *this; }			\
		__device__ H &operator=(short v) { return *this = (float)v; }				\
		__device__ H &operator=(unsigned short v) { return *this = (float)v; }			\
		__device__ H &operator=(int v) { return *this = (float)v; }				\
		__device__ H &operator=(unsigned v) { return *this = (float)v; }			\
		__device__ H &operator=(long v) { return *this = (float)v; }				\
		__device__ H &operator=(unsigned long v) { return *this = (float)v; }			\
		__device__ H &operator=(long long v) { return *this = (float)v; }			\
		__device__ H &operator=(unsigned long long v) { return *this = (float)v; }		\
		__device__ operator float() const { return F##_f(__x); }				\
		__device__ explicit operator bool() const { return (__x & 0x7fffu) != 0; }		\
		__device__ explicit operator short() const { return __vgpu_f2i<short>(F##_f(__x), 0); } \
		__device__ explicit operator unsigned short() const { return __vgpu_f2i<unsigned short>(F##_f(__x), 0); } \
		__device__ explicit operator int() const { return __vgpu_f2i<int>(F##_f(__x), 0); }	\
		__device__ explicit operator unsigned() const { return __vgpu_f2i<unsigned>(F##_f(__x), 0); } \
		__device__ explicit operator long long() const { return __vgpu_f2i<long long>(F##_f(__x), 0); } \
		__device__ explicit operator unsigned long long() const				\
		{											\
			return __vgpu_f2i<unsigned long long>(F##_f(__x), 0);				\
		}											\
	};												\
	struct __attribute__((aligned(4))) H2 {								\
		H x, y;											\
		H2() = default;										\
		__device__ constexpr H2(const H &a, const H &b) : x(a), y(b) {}				\
		__device__ constexpr H2(const RAW2 &r) : x(RAW{r.x}), y(RAW{r.y}) {}			\
		__device__ H2 &operator=(const RAW2 &r) { x = RAW{r.x}; y = RAW{r.y}; return *this; }	\
		__device__ constexpr operator RAW2() const { return RAW2{x.__x, y.__x}; }		\
	};

// the functions whose names say the format (P: half or bfloat16; P2: half2
// or bfloat162): conversions from float (@from) and double (bits from @d),
// bit casts, pairs
#define __VGPU_H16_NAMES(H, H2, P, P2, from, d)								\
	__VGPU_FN H __float2##P(float f) { return from(f); }						\
	__VGPU_FN H __double2##P(double v) { H r; r.__x = d(v); return r; }				\
	__VGPU_FN float __##P##2float(H h) { return __vgpu_tof(h); }					\
	__VGPU_FN short __##P##_as_short(H h) { return (short)h.__x; }					\
	__VGPU_FN unsigned short __##P##_as_ushort(H h) { return h.__x; }				\
	__VGPU_FN H __short_as_##P(short v) { H r; r.__x = (unsigned short)v; return r; }		\
	__VGPU_FN H __ushort_as_##P(unsigned short v) { H r; r.__x = v; return r; }			\
	__VGPU_FN H2 make_##P2(H x, H y) { return H2(x, y); }						\
	__VGPU_FN H2 __halves2##P2(H x, H y) { return H2(x, y); }					\
	__VGPU_FN H2 __##P##2##P2(H x) { return H2(x, x); }						\
	__VGPU_FN H2 __float2##P2##_rn(float f) { return __##P##2##P2(from(f)); }			\
	__VGPU_FN H2 __floats2##P2##_rn(float a, float b) { return H2(from(a), from(b)); }		\
	__VGPU_FN H2 __float22##P2##_rn(float2 f) { return H2(from(f.x), from(f.y)); }		\
	__VGPU_FN float2 __##P2##2float2(H2 h) { return float2{__vgpu_tof(h.x), __vgpu_tof(h.y)}; }	\
	__VGPU_FN float __low2float(H2 h) { return __vgpu_tof(h.x); }					\
	__VGPU_FN float __high2float(H2 h) { return __vgpu_tof(h.y); }					\
	__VGPU_FN H __low2##P(H2 h) { return h.x; }							\
	__VGPU_FN H __high2##P(H2 h) { return h.y; }							\
	__VGPU_FN H2 __low2##P2(H2 h) { return H2(h.x, h.x); }						\
	__VGPU_FN H2 __high2##P2(H2 h) { return H2(h.y, h.y); }					\
	__VGPU_FN H2 __lowhigh2highlow(H2 h) { return H2(h.y, h.x); }					\
	__VGPU_FN H2 __lows2##P2(H2 a, H2 b) { return H2(a.x, b.x); }					\
	__VGPU_FN H2 __highs2##P2(H2 a, H2 b) { return H2(a.y, b.y); }
// the integer conversions of @H's format (prefix P: __half2int_rz, __int2half_rn, ...)
#define __VGPU_H16_INT1(H, P, S, T)									\
	__VGPU_FN T __##P##2##S##_rz(H h) { return __vgpu_f2i<T>((float)h, 0); }			\
	__VGPU_FN T __##P##2##S##_rn(H h) { return __vgpu_f2i<T>((float)h, 1); }			\
	__VGPU_FN T __##P##2##S##_rd(H h) { return __vgpu_f2i<T>((float)h, 2); }			\
	__VGPU_FN T __##P##2##S##_ru(H h) { return __vgpu_f2i<T>((float)h, 3); }			\
	__VGPU_H16_ROUNDED(__##S##2##P, T, H, __vgpu_tof, __vgpu_##P##_from)
#define __VGPU_H16_INTS(H, P)										\
	__VGPU_H16_INT1(H, P, short, short)								\
	__VGPU_H16_INT1(H, P, ushort, unsigned short)							\
	__VGPU_H16_INT1(H, P, int, int)									\
	__VGPU_H16_INT1(H, P, uint, unsigned)								\
	__VGPU_H16_INT1(H, P, ll, long long)								\
	__VGPU_H16_INT1(H, P, ull, unsigned long long)
// everything of one 16-bit format H (its pair H2; bits from float F##_b,
// from double F##_d, float from bits F##_f; INF: the infinity's bits; P,
// P2: the names' half/half2 or bfloat16/bfloat162)
#define __VGPU_H16_FORMAT(H, H2, F, INF, P, P2)							\
	__VGPU_H16_TYPE(H, H2, H##_raw, H2##_raw, F, INF)						\
	__VGPU_FN float __vgpu_tof(H h) { return F##_f(h.__x); }					\
	__VGPU_FN H __vgpu_##P##_from(float f) { return H##_raw{F##_b(f)}; }				\
	__VGPU_H16_OPS(H, H2, __vgpu_tof, __vgpu_##P##_from)						\
	__VGPU_H16_ROUNDED(__float2##P, float, H, __vgpu_tof, __vgpu_##P##_from)			\
	__VGPU_H16_INTS(H, P)										\
	__VGPU_H16_NAMES(H, H2, P, P2, __vgpu_##P##_from, F##_d)
#endif

#if defined(__VGPU_WANT_FP16) && !defined(__VGPU_FP16_DONE)
#define __VGPU_FP16_DONE 1
// IEEE binary16 through clang's _Float16 (F16C's conversions where the CPU has them)
__VGPU_FN float __vgpu_fp16_f(unsigned short x) { return (float)__builtin_bit_cast(_Float16, x); }
__VGPU_FN unsigned short __vgpu_fp16_b(float f) { return __builtin_bit_cast(unsigned short, (_Float16)f); }
__VGPU_FN unsigned short __vgpu_fp16_d(double d) { return __builtin_bit_cast(unsigned short, (_Float16)d); }
__VGPU_H16_FORMAT(__half, __half2, __vgpu_fp16, 0x7c00u, half, half2)
typedef __half half;
typedef __half2 half2;
#endif

#if defined(__VGPU_WANT_BF16) && !defined(__VGPU_BF16_DONE)
#define __VGPU_BF16_DONE 1
// bfloat16: float's upper 16 bits, rounded to nearest even (a NaN stays a quiet NaN)
__VGPU_FN float __vgpu_bf16_f(unsigned short x) { return __builtin_bit_cast(float, (unsigned)x << 16); }
__VGPU_FN unsigned short __vgpu_bf16_b(float f)
{
	const unsigned u = __builtin_bit_cast(unsigned, f);
	if ((u & 0x7fffffffu) > 0x7f800000u)
		return (unsigned short)((u >> 16) | 0x40u);
	return (unsigned short)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}
__VGPU_FN unsigned short __vgpu_bf16_d(double d) { return __vgpu_bf16_b((float)d); }
__VGPU_H16_FORMAT(__nv_bfloat16, __nv_bfloat162, __vgpu_bf16, 0x7f80u, bfloat16, bfloat162)
typedef __nv_bfloat16 nv_bfloat16;
typedef __nv_bfloat162 nv_bfloat162;
#endif

#if defined(__VGPU_WANT_CUDA_STD) && !defined(__VGPU_CUDA_STD_DONE)
#define __VGPU_CUDA_STD_DONE 1
// <cuda/std/...> (libcu++, which NVRTC gets from the toolkit): the common
// part, whichever of these headers a source includes - cstdint, cstddef,
// climits, cfloat, cassert, cstdlib, cmath, limits, type_traits, utility,
// functional, bit, array, atomic, and <cuda/atomic>. Written for this
// backend from the C++ standard's definitions; other cuda/std headers
// (complex, tuple, span, ...) stop the compile with #error naming them.
#define __VGPU_SD __host__ __device__ inline constexpr
namespace cuda {
namespace std {
// cstdint, cstddef
__VGPU_STDINT_USING
typedef long long intmax_t;
typedef unsigned long long uintmax_t;
typedef decltype(nullptr) nullptr_t;

// type_traits
template <class T, T v> struct integral_constant {
	static constexpr T value = v;
	typedef T value_type;
	typedef integral_constant type;
	__VGPU_SD operator T() const { return v; }
	__VGPU_SD T operator()() const { return v; }
};
template <bool B> using bool_constant = integral_constant<bool, B>;
typedef bool_constant<true> true_type;
typedef bool_constant<false> false_type;
template <class A, class B> struct is_same : false_type {};
template <class A> struct is_same<A, A> : true_type {};
template <bool C, class T = void> struct enable_if {};
template <class T> struct enable_if<true, T> { typedef T type; };
template <bool C, class A, class B> struct conditional { typedef A type; };
template <class A, class B> struct conditional<false, A, B> { typedef B type; };
template <class T> struct type_identity { typedef T type; };
template <class T> struct remove_const { typedef T type; };
template <class T> struct remove_const<const T> { typedef T type; };
template <class T> struct remove_volatile { typedef T type; };
template <class T> struct remove_volatile<volatile T> { typedef T type; };
template <class T> struct remove_cv { typedef typename remove_volatile<typename remove_const<T>::type>::type type; };
template <class T> struct remove_reference { typedef T type; };
template <class T> struct remove_reference<T &> { typedef T type; };
template <class T> struct remove_reference<T &&> { typedef T type; };
template <class T> struct remove_cvref { typedef typename remove_cv<typename remove_reference<T>::type>::type type; };
template <class T> struct remove_pointer { typedef T type; };
template <class T> struct remove_pointer<T *> { typedef T type; };
template <class T> struct remove_pointer<T *const> { typedef T type; };
template <class T> struct remove_pointer<T *volatile> { typedef T type; };
template <class T> struct remove_pointer<T *const volatile> { typedef T type; };
template <class T> struct remove_extent { typedef T type; };
template <class T> struct remove_extent<T[]> { typedef T type; };
template <class T, size_t N> struct remove_extent<T[N]> { typedef T type; };
template <class T> struct add_const { typedef const T type; };
template <class T> struct add_volatile { typedef volatile T type; };
template <class T> struct add_cv { typedef const volatile T type; };
template <class T> struct add_pointer { typedef typename remove_reference<T>::type *type; };
template <class T> struct add_lvalue_reference { typedef T &type; };
template <> struct add_lvalue_reference<void> { typedef void type; };
template <class T> struct add_rvalue_reference { typedef T &&type; };
template <> struct add_rvalue_reference<void> { typedef void type; };
template <class T> typename add_rvalue_reference<T>::type declval() noexcept;
template <class T> struct is_const : false_type {};
template <class T> struct is_const<const T> : true_type {};
template <class T> struct is_volatile : false_type {};
template <class T> struct is_volatile<volatile T> : true_type {};
template <class T> struct is_void : is_same<void, typename remove_cv<T>::type> {};
template <class T> struct is_null_pointer : is_same<nullptr_t, typename remove_cv<T>::type> {};
template <class T> struct __vgpu_integral : false_type {};
#define __VGPU_INTEGRAL(T) template <> struct __vgpu_integral<T> : true_type {};
__VGPU_INTEGRAL(bool) __VGPU_INTEGRAL(char) __VGPU_INTEGRAL(signed char) __VGPU_INTEGRAL(unsigned char)
__VGPU_INTEGRAL(wchar_t) __VGPU_INTEGRAL(char16_t) __VGPU_INTEGRAL(char32_t) __VGPU_INTEGRAL(short)
__VGPU_INTEGRAL(unsigned short) __VGPU_INTEGRAL(int) __VGPU_INTEGRAL(unsigned) __VGPU_INTEGRAL(long)
__VGPU_INTEGRAL(unsigned long) __VGPU_INTEGRAL(long long) __VGPU_INTEGRAL(unsigned long long)
__VGPU_INTEGRAL(__int128) __VGPU_INTEGRAL(unsigned __int128)
#undef __VGPU_INTEGRAL
template <class T> struct is_integral : __vgpu_integral<typename remove_cv<T>::type> {};
template <class T> struct is_floating_point
	: bool_constant<is_same<float, typename remove_cv<T>::type>::value ||
			is_same<double, typename remove_cv<T>::type>::value ||
			is_same<long double, typename remove_cv<T>::type>::value> {};
template <class T> struct is_arithmetic : bool_constant<is_integral<T>::value || is_floating_point<T>::value> {};
template <class T> struct is_fundamental
	: bool_constant<is_arithmetic<T>::value || is_void<T>::value || is_null_pointer<T>::value> {};
template <class T, bool = is_arithmetic<T>::value> struct is_signed : bool_constant<T(-1) < T(0)> {};
template <class T> struct is_signed<T, false> : false_type {};
template <class T, bool = is_arithmetic<T>::value> struct is_unsigned : bool_constant<T(0) < T(-1)> {};
template <class T> struct is_unsigned<T, false> : false_type {};
template <class T> struct __vgpu_pointer : false_type {};
template <class T> struct __vgpu_pointer<T *> : true_type {};
template <class T> struct is_pointer : __vgpu_pointer<typename remove_cv<T>::type> {};
template <class T> struct is_lvalue_reference : false_type {};
template <class T> struct is_lvalue_reference<T &> : true_type {};
template <class T> struct is_rvalue_reference : false_type {};
template <class T> struct is_rvalue_reference<T &&> : true_type {};
template <class T> struct is_reference : bool_constant<is_lvalue_reference<T>::value || is_rvalue_reference<T>::value> {};
template <class T> struct is_array : false_type {};
template <class T> struct is_array<T[]> : true_type {};
template <class T, size_t N> struct is_array<T[N]> : true_type {};
template <class T> struct is_function : bool_constant<!is_const<const T>::value && !is_reference<T>::value> {};
template <class T> struct is_enum : bool_constant<__is_enum(T)> {};
template <class T> struct is_union : bool_constant<__is_union(T)> {};
template <class T> struct is_class : bool_constant<__is_class(T)> {};
template <class T> struct is_empty : bool_constant<__is_empty(T)> {};
template <class T> struct is_pod : bool_constant<__is_pod(T)> {};
template <class T> struct is_trivial : bool_constant<__is_trivial(T)> {};
template <class T> struct is_trivially_copyable : bool_constant<__is_trivially_copyable(T)> {};
template <class T> struct is_standard_layout : bool_constant<__is_standard_layout(T)> {};
template <class B, class D> struct is_base_of : bool_constant<__is_base_of(B, D)> {};
template <class F, class T> struct is_convertible : bool_constant<__is_convertible_to(F, T)> {};
template <class T, class... A> struct is_constructible : bool_constant<__is_constructible(T, A...)> {};
template <class T, class U> struct is_assignable : bool_constant<__is_assignable(T, U)> {};
template <class T> struct is_scalar
	: bool_constant<is_arithmetic<T>::value || is_enum<T>::value || is_pointer<T>::value ||
			is_null_pointer<T>::value> {};
template <class T> struct alignment_of : integral_constant<size_t, alignof(T)> {};
template <class T> struct underlying_type { typedef __underlying_type(T) type; };
template <class T> struct decay {
	typedef typename remove_reference<T>::type U;
	typedef typename conditional<is_array<U>::value, typename remove_extent<U>::type *,
				     typename conditional<is_function<U>::value, U *, typename remove_cv<U>::type>::type>::type type;
};
template <class... T> struct common_type {};
template <class T> struct common_type<T> : common_type<T, T> {};
template <class A, class B> struct common_type<A, B> {
	typedef typename decay<decltype(true ? declval<A>() : declval<B>())>::type type;
};
template <class A, class B, class C, class... R> struct common_type<A, B, C, R...>
	: common_type<typename common_type<A, B>::type, C, R...> {};
template <class T> struct __vgpu_sign { typedef T s, u; };
#define __VGPU_SIGN(S, U) template <> struct __vgpu_sign<S> { typedef S s; typedef U u; }; \
	template <> struct __vgpu_sign<U> { typedef S s; typedef U u; };
__VGPU_SIGN(signed char, unsigned char) __VGPU_SIGN(short, unsigned short) __VGPU_SIGN(int, unsigned)
__VGPU_SIGN(long, unsigned long) __VGPU_SIGN(long long, unsigned long long)
#undef __VGPU_SIGN
template <> struct __vgpu_sign<char> { typedef signed char s; typedef unsigned char u; };
template <class T> struct make_unsigned { typedef typename __vgpu_sign<typename remove_cv<T>::type>::u type; };
template <class T> struct make_signed { typedef typename __vgpu_sign<typename remove_cv<T>::type>::s type; };
template <class...> using void_t = void;
template <class... B> struct conjunction : true_type {};
template <class B, class... R> struct conjunction<B, R...> : conditional<bool(B::value), conjunction<R...>, B>::type {};
template <class... B> struct disjunction : false_type {};
template <class B, class... R> struct disjunction<B, R...> : conditional<bool(B::value), B, disjunction<R...>>::type {};
template <class B> struct negation : bool_constant<!bool(B::value)> {};
template <class F, class... A> struct invoke_result { typedef decltype(declval<F>()(declval<A>()...)) type; };
__VGPU_SD bool is_constant_evaluated() noexcept { return __builtin_is_constant_evaluated(); }
#define __VGPU_T(N) template <class T> using N##_t = typename N<T>::type;
__VGPU_T(remove_const) __VGPU_T(remove_volatile) __VGPU_T(remove_cv) __VGPU_T(remove_reference)
__VGPU_T(remove_cvref) __VGPU_T(remove_pointer) __VGPU_T(remove_extent) __VGPU_T(add_const)
__VGPU_T(add_volatile) __VGPU_T(add_cv) __VGPU_T(add_pointer) __VGPU_T(add_lvalue_reference)
__VGPU_T(add_rvalue_reference) __VGPU_T(decay) __VGPU_T(make_unsigned) __VGPU_T(make_signed)
__VGPU_T(underlying_type) __VGPU_T(type_identity)
#undef __VGPU_T
template <bool C, class T = void> using enable_if_t = typename enable_if<C, T>::type;
template <bool C, class A, class B> using conditional_t = typename conditional<C, A, B>::type;
template <class... T> using common_type_t = typename common_type<T...>::type;
template <class F, class... A> using invoke_result_t = typename invoke_result<F, A...>::type;
#define __VGPU_V(N) template <class T> inline constexpr bool N##_v = N<T>::value;
__VGPU_V(is_const) __VGPU_V(is_volatile) __VGPU_V(is_void) __VGPU_V(is_null_pointer) __VGPU_V(is_integral)
__VGPU_V(is_floating_point) __VGPU_V(is_arithmetic) __VGPU_V(is_fundamental) __VGPU_V(is_signed)
__VGPU_V(is_unsigned) __VGPU_V(is_pointer) __VGPU_V(is_lvalue_reference) __VGPU_V(is_rvalue_reference)
__VGPU_V(is_reference) __VGPU_V(is_array) __VGPU_V(is_function) __VGPU_V(is_enum) __VGPU_V(is_union)
__VGPU_V(is_class) __VGPU_V(is_empty) __VGPU_V(is_pod) __VGPU_V(is_trivial) __VGPU_V(is_trivially_copyable)
__VGPU_V(is_standard_layout) __VGPU_V(is_scalar) __VGPU_V(negation)
#undef __VGPU_V
template <class A, class B> inline constexpr bool is_same_v = is_same<A, B>::value;
template <class B, class D> inline constexpr bool is_base_of_v = is_base_of<B, D>::value;
template <class F, class T> inline constexpr bool is_convertible_v = is_convertible<F, T>::value;
template <class T, class... A> inline constexpr bool is_constructible_v = is_constructible<T, A...>::value;
template <class T, class U> inline constexpr bool is_assignable_v = is_assignable<T, U>::value;
template <class... B> inline constexpr bool conjunction_v = conjunction<B...>::value;
template <class... B> inline constexpr bool disjunction_v = disjunction<B...>::value;
template <class T> inline constexpr size_t alignment_of_v = alignof(T);

// utility
template <class T> __VGPU_SD typename remove_reference<T>::type &&move(T &&t) noexcept
{
	return static_cast<typename remove_reference<T>::type &&>(t);
}
template <class T> __VGPU_SD T &&forward(typename remove_reference<T>::type &t) noexcept { return static_cast<T &&>(t); }
template <class T> __VGPU_SD T &&forward(typename remove_reference<T>::type &&t) noexcept { return static_cast<T &&>(t); }
template <class T> __VGPU_SD void swap(T &a, T &b) noexcept
{
	T t = move(a);
	a = move(b);
	b = move(t);
}
template <class T, size_t N> __VGPU_SD void swap(T (&a)[N], T (&b)[N]) noexcept
{
	for (size_t i = 0; i < N; i++)
		swap(a[i], b[i]);
}
template <class T, class U = T> __VGPU_SD T exchange(T &o, U &&v)
{
	T old = move(o);
	o = forward<U>(v);
	return old;
}
template <class A, class B> struct pair {
	typedef A first_type;
	typedef B second_type;
	A first;
	B second;
	__VGPU_SD pair() : first(), second() {}
	__VGPU_SD pair(const A &a, const B &b) : first(a), second(b) {}
	template <class U, class V> __VGPU_SD pair(const pair<U, V> &p) : first(p.first), second(p.second) {}
	__VGPU_SD void swap(pair &o) { cuda::std::swap(first, o.first); cuda::std::swap(second, o.second); }
};
template <class A, class B> __VGPU_SD pair<typename decay<A>::type, typename decay<B>::type> make_pair(A &&a, B &&b)
{
	return pair<typename decay<A>::type, typename decay<B>::type>(forward<A>(a), forward<B>(b));
}
template <class A, class B> __VGPU_SD bool operator==(const pair<A, B> &x, const pair<A, B> &y)
{
	return x.first == y.first && x.second == y.second;
}
template <class A, class B> __VGPU_SD bool operator!=(const pair<A, B> &x, const pair<A, B> &y) { return !(x == y); }
template <class A, class B> __VGPU_SD bool operator<(const pair<A, B> &x, const pair<A, B> &y)
{
	return x.first < y.first || (!(y.first < x.first) && x.second < y.second);
}

// cmath, cstdlib: cuda.h's functions (their float overloads too)
#define __VGPU_U1(fn) using ::fn; using ::fn##f;
__VGPU_MATH1(__VGPU_U1) __VGPU_MATH2(__VGPU_U1)
__VGPU_U1(fma) __VGPU_U1(ldexp) __VGPU_U1(frexp) __VGPU_U1(modf) __VGPU_U1(lround) __VGPU_U1(llround)
__VGPU_U1(lrint)
#undef __VGPU_U1
using ::abs; using ::labs; using ::llabs; using ::isnan; using ::isinf; using ::isfinite; using ::signbit;

// algorithm's min and max (NVRTC's libcu++ has them with its other headers;
// not clamp, nor <cuda/std/algorithm>)
template <class T> __VGPU_SD const T &min(const T &a, const T &b) { return b < a ? b : a; }
template <class T> __VGPU_SD const T &max(const T &a, const T &b) { return a < b ? b : a; }

// functional: the operator objects (the void forms deduce their types)
#define __VGPU_FOBJ(N, R, E)										\
	template <class T = void> struct N {								\
		__VGPU_SD R operator()(const T &a, const T &b) const { return E; }			\
	};												\
	template <> struct N<void> {									\
		template <class A, class B> __VGPU_SD auto operator()(A &&a, B &&b) const -> decltype(E) { return E; } \
	};
__VGPU_FOBJ(plus, T, a + b) __VGPU_FOBJ(minus, T, a - b) __VGPU_FOBJ(multiplies, T, a * b)
__VGPU_FOBJ(divides, T, a / b) __VGPU_FOBJ(modulus, T, a % b) __VGPU_FOBJ(equal_to, bool, a == b)
__VGPU_FOBJ(not_equal_to, bool, a != b) __VGPU_FOBJ(less, bool, a < b) __VGPU_FOBJ(greater, bool, a > b)
__VGPU_FOBJ(less_equal, bool, a <= b) __VGPU_FOBJ(greater_equal, bool, a >= b)
__VGPU_FOBJ(logical_and, bool, a && b) __VGPU_FOBJ(logical_or, bool, a || b)
__VGPU_FOBJ(bit_and, T, a & b) __VGPU_FOBJ(bit_or, T, a | b) __VGPU_FOBJ(bit_xor, T, a ^ b)
#undef __VGPU_FOBJ
template <class T = void> struct negate { __VGPU_SD T operator()(const T &a) const { return -a; } };
template <class T = void> struct logical_not { __VGPU_SD bool operator()(const T &a) const { return !a; } };
struct identity {
	template <class T> __VGPU_SD T &&operator()(T &&t) const noexcept { return forward<T>(t); }
};

// limits
enum float_round_style { round_indeterminate = -1, round_toward_zero, round_to_nearest, round_toward_infinity,
			 round_toward_neg_infinity };
enum float_denorm_style { denorm_indeterminate = -1, denorm_absent, denorm_present };
template <class T> struct numeric_limits {
	static constexpr bool is_specialized = false;
};
template <class T> struct numeric_limits<const T> : numeric_limits<T> {};
template <class T> struct numeric_limits<volatile T> : numeric_limits<T> {};
template <class T> struct numeric_limits<const volatile T> : numeric_limits<T> {};
template <class T> struct __vgpu_int_limits {
	static constexpr bool is_specialized = true, is_signed = T(-1) < T(0), is_integer = true, is_exact = true,
			      has_infinity = false, has_quiet_NaN = false, has_signaling_NaN = false,
			      has_denorm_loss = false, is_iec559 = false, is_bounded = true, is_modulo = !is_signed,
			      traps = false, tinyness_before = false;
	static constexpr float_denorm_style has_denorm = denorm_absent;
	static constexpr float_round_style round_style = round_toward_zero;
	static constexpr int digits = (int)sizeof(T) * 8 - is_signed, digits10 = digits * 301 / 1000,
			     max_digits10 = 0, radix = 2, min_exponent = 0, min_exponent10 = 0, max_exponent = 0,
			     max_exponent10 = 0;
	static __VGPU_SD T max() noexcept { return T(~0ull >> (64 - digits)); }
	static __VGPU_SD T min() noexcept { return is_signed ? T(-max() - 1) : T(0); }
	static __VGPU_SD T lowest() noexcept { return min(); }
	static __VGPU_SD T epsilon() noexcept { return T(0); }
	static __VGPU_SD T round_error() noexcept { return T(0); }
	static __VGPU_SD T infinity() noexcept { return T(0); }
	static __VGPU_SD T quiet_NaN() noexcept { return T(0); }
	static __VGPU_SD T signaling_NaN() noexcept { return T(0); }
	static __VGPU_SD T denorm_min() noexcept { return T(0); }
};
#define __VGPU_NL_INT(T) template <> struct numeric_limits<T> : __vgpu_int_limits<T> {};
__VGPU_NL_INT(char) __VGPU_NL_INT(signed char) __VGPU_NL_INT(unsigned char) __VGPU_NL_INT(wchar_t)
__VGPU_NL_INT(char16_t) __VGPU_NL_INT(char32_t) __VGPU_NL_INT(short) __VGPU_NL_INT(unsigned short)
__VGPU_NL_INT(int) __VGPU_NL_INT(unsigned) __VGPU_NL_INT(long) __VGPU_NL_INT(unsigned long)
__VGPU_NL_INT(long long) __VGPU_NL_INT(unsigned long long)
#undef __VGPU_NL_INT
template <> struct numeric_limits<bool> : __vgpu_int_limits<bool> {
	static constexpr int digits = 1, digits10 = 0;
	static constexpr bool is_modulo = false;
	static __VGPU_SD bool max() noexcept { return true; }
	static __VGPU_SD bool min() noexcept { return false; }
	static __VGPU_SD bool lowest() noexcept { return false; }
};
// float and double from the compiler's predefined macros (F: FLT or DBL; S: f or nothing)
#define __VGPU_NL_FLOAT(T, F, S)									\
	template <> struct numeric_limits<T> {								\
		static constexpr bool is_specialized = true, is_signed = true, is_integer = false,	\
				      is_exact = false, has_infinity = true, has_quiet_NaN = true,	\
				      has_signaling_NaN = true, has_denorm_loss = false, is_iec559 = true, \
				      is_bounded = true, is_modulo = false, traps = false,		\
				      tinyness_before = false;						\
		static constexpr float_denorm_style has_denorm = denorm_present;			\
		static constexpr float_round_style round_style = round_to_nearest;			\
		static constexpr int digits = __##F##_MANT_DIG__, digits10 = __##F##_DIG__,		\
				     max_digits10 = 2 + digits * 301 / 1000, radix = 2,		\
				     min_exponent = __##F##_MIN_EXP__, min_exponent10 = __##F##_MIN_10_EXP__, \
				     max_exponent = __##F##_MAX_EXP__, max_exponent10 = __##F##_MAX_10_EXP__; \
		static __VGPU_SD T min() noexcept { return __##F##_MIN__; }					\
		static __VGPU_SD T max() noexcept { return __##F##_MAX__; }					\
		static __VGPU_SD T lowest() noexcept { return -__##F##_MAX__; }				\
		static __VGPU_SD T epsilon() noexcept { return __##F##_EPSILON__; }				\
		static __VGPU_SD T round_error() noexcept { return T(0.5); }					\
		static __VGPU_SD T infinity() noexcept { return __builtin_huge_val##S(); }			\
		static __VGPU_SD T quiet_NaN() noexcept { return __builtin_nan##S(""); }			\
		static __VGPU_SD T signaling_NaN() noexcept { return __builtin_nans##S(""); }			\
		static __VGPU_SD T denorm_min() noexcept { return __##F##_DENORM_MIN__; }			\
	};
__VGPU_NL_FLOAT(float, FLT, f)
__VGPU_NL_FLOAT(double, DBL, )
#undef __VGPU_NL_FLOAT

// bit
template <class To, class From> __VGPU_SD To bit_cast(const From &f) noexcept { return __builtin_bit_cast(To, f); }
template <class T> __VGPU_SD int popcount(T x) noexcept
{
	return sizeof(T) <= 4 ? __builtin_popcount((unsigned)x) : __builtin_popcountll((unsigned long long)x);
}
template <class T> __VGPU_SD int countl_zero(T x) noexcept
{
	return x == 0 ? (int)sizeof(T) * 8
		      : __builtin_clzll((unsigned long long)x) - (64 - (int)sizeof(T) * 8);
}
template <class T> __VGPU_SD int countr_zero(T x) noexcept
{
	return x == 0 ? (int)sizeof(T) * 8 : __builtin_ctzll((unsigned long long)x);
}
template <class T> __VGPU_SD int countl_one(T x) noexcept { return countl_zero(T(~x)); }
template <class T> __VGPU_SD int countr_one(T x) noexcept { return countr_zero(T(~x)); }
template <class T> __VGPU_SD bool has_single_bit(T x) noexcept { return x != 0 && (x & (x - 1)) == 0; }
template <class T> __VGPU_SD int bit_width(T x) noexcept { return (int)sizeof(T) * 8 - countl_zero(x); }
template <class T> __VGPU_SD T bit_floor(T x) noexcept { return x == 0 ? T(0) : T(T(1) << (bit_width(x) - 1)); }
template <class T> __VGPU_SD T bit_ceil(T x) noexcept { return x <= 1 ? T(1) : T(T(1) << bit_width(T(x - 1))); }
template <class T> __VGPU_SD T rotl(T x, int s) noexcept
{
	constexpr int n = (int)sizeof(T) * 8;
	const int r = ((s % n) + n) % n;
	return r == 0 ? x : T((x << r) | (x >> (n - r)));
}
template <class T> __VGPU_SD T rotr(T x, int s) noexcept { return rotl(x, -s); }

// array
template <class T, size_t N> struct array {
	typedef T value_type;
	typedef size_t size_type;
	typedef T *iterator;
	typedef const T *const_iterator;
	T __elems[N ? N : 1];
	__VGPU_SD T &operator[](size_t i) { return __elems[i]; }
	__VGPU_SD const T &operator[](size_t i) const { return __elems[i]; }
	__VGPU_SD T &front() { return __elems[0]; }
	__VGPU_SD const T &front() const { return __elems[0]; }
	__VGPU_SD T &back() { return __elems[N - 1]; }
	__VGPU_SD const T &back() const { return __elems[N - 1]; }
	__VGPU_SD T *data() { return __elems; }
	__VGPU_SD const T *data() const { return __elems; }
	__VGPU_SD T *begin() { return __elems; }
	__VGPU_SD const T *begin() const { return __elems; }
	__VGPU_SD T *end() { return __elems + N; }
	__VGPU_SD const T *end() const { return __elems + N; }
	__VGPU_SD size_t size() const { return N; }
	__VGPU_SD bool empty() const { return N == 0; }
	__VGPU_SD void fill(const T &v)
	{
		for (size_t i = 0; i < N; i++)
			__elems[i] = v;
	}
};

// atomic: memory orders, atomic_ref and atomic (the operations as cuda.h's atomics, seq_cst by default)
enum memory_order { memory_order_relaxed = __ATOMIC_RELAXED, memory_order_consume = __ATOMIC_CONSUME,
		    memory_order_acquire = __ATOMIC_ACQUIRE, memory_order_release = __ATOMIC_RELEASE,
		    memory_order_acq_rel = __ATOMIC_ACQ_REL, memory_order_seq_cst = __ATOMIC_SEQ_CST };
__device__ inline void atomic_thread_fence(memory_order o) noexcept { __atomic_thread_fence(o); }
#define __VGPU_ATOMIC_BODY(CONST, P)									\
	__device__ T load(memory_order o = memory_order_seq_cst) const noexcept				\
	{												\
		T r;											\
		__atomic_load(P, &r, o);								\
		return r;										\
	}												\
	__device__ void store(T v, memory_order o = memory_order_seq_cst) CONST noexcept { __atomic_store(P, &v, o); } \
	__device__ operator T() const noexcept { return load(); }					\
	__device__ T operator=(T v) CONST noexcept { store(v); return v; }				\
	__device__ T exchange(T v, memory_order o = memory_order_seq_cst) CONST noexcept		\
	{												\
		T r;											\
		__atomic_exchange(P, &v, &r, o);							\
		return r;										\
	}												\
	__device__ bool compare_exchange_strong(T &e, T v, memory_order o = memory_order_seq_cst) CONST noexcept \
	{												\
		return __atomic_compare_exchange(P, &e, &v, false, o,					\
						   o == memory_order_acq_rel ? memory_order_acquire	\
						   : o == memory_order_release ? memory_order_relaxed : o); \
	}												\
	__device__ bool compare_exchange_weak(T &e, T v, memory_order o = memory_order_seq_cst) CONST noexcept \
	{												\
		return compare_exchange_strong(e, v, o);						\
	}												\
	__device__ T fetch_add(T v, memory_order o = memory_order_seq_cst) CONST noexcept		\
	{												\
		if constexpr (is_floating_point<T>::value) {						\
			T e = load(memory_order_relaxed);						\
			for (T n = e + v; !__atomic_compare_exchange(P, &e, &n, false, o, memory_order_relaxed);) \
				n = e + v;								\
			return e;									\
		} else {										\
			return __atomic_fetch_add(P, v, o);						\
		}											\
	}												\
	__device__ T fetch_sub(T v, memory_order o = memory_order_seq_cst) CONST noexcept { return fetch_add(T(-v), o); } \
	__device__ T fetch_and(T v, memory_order o = memory_order_seq_cst) CONST noexcept { return __atomic_fetch_and(P, v, o); } \
	__device__ T fetch_or(T v, memory_order o = memory_order_seq_cst) CONST noexcept { return __atomic_fetch_or(P, v, o); } \
	__device__ T fetch_xor(T v, memory_order o = memory_order_seq_cst) CONST noexcept { return __atomic_fetch_xor(P, v, o); } \
	__device__ T operator+=(T v) CONST noexcept { return fetch_add(v) + v; }			\
	__device__ T operator-=(T v) CONST noexcept { return fetch_sub(v) - v; }			\
	__device__ T operator&=(T v) CONST noexcept { return fetch_and(v) & v; }			\
	__device__ T operator|=(T v) CONST noexcept { return fetch_or(v) | v; }				\
	__device__ T operator^=(T v) CONST noexcept { return fetch_xor(v) ^ v; }			\
	__device__ T operator++() CONST noexcept { return fetch_add(T(1)) + T(1); }			\
	__device__ T operator--() CONST noexcept { return fetch_sub(T(1)) - T(1); }			\
	__device__ T operator++(int) CONST noexcept { return fetch_add(T(1)); }				\
	__device__ T operator--(int) CONST noexcept { return fetch_sub(T(1)); }				\
	static constexpr bool is_always_lock_free = sizeof(T) <= 8;
template <class T> struct atomic_ref {
	T *__ptr;
	__device__ explicit atomic_ref(T &r) noexcept : __ptr(&r) {}
	__device__ atomic_ref(const atomic_ref &) noexcept = default;
	__VGPU_ATOMIC_BODY(const, __ptr)
};
template <class T> struct atomic {
	T __v;
	atomic() noexcept = default;
	__VGPU_SD atomic(T v) noexcept : __v(v) {}
	atomic(const atomic &) = delete;
	__VGPU_ATOMIC_BODY(, const_cast<T *>(&__v))
};
#undef __VGPU_ATOMIC_BODY
} // namespace std

// cuda::atomic_ref's and cuda::atomic's fetch_min and fetch_max (not std's: NVRTC's libcu++ has them on cuda:: only)
#define __VGPU_ATOMIC_MINMAX(CONST, P)									\
	__device__ T fetch_min(T v, std::memory_order o = std::memory_order_seq_cst) CONST noexcept	\
	{												\
		T e = this->load(std::memory_order_relaxed);						\
		while (v < e && !__atomic_compare_exchange(P, &e, &v, false, o, std::memory_order_relaxed)) \
			;										\
		return e;										\
	}												\
	__device__ T fetch_max(T v, std::memory_order o = std::memory_order_seq_cst) CONST noexcept	\
	{												\
		T e = this->load(std::memory_order_relaxed);						\
		while (e < v && !__atomic_compare_exchange(P, &e, &v, false, o, std::memory_order_relaxed)) \
			;										\
		return e;										\
	}

// <cuda/atomic>: thread scopes (the CPU's atomics are for every scope)
enum thread_scope { thread_scope_system, thread_scope_device, thread_scope_block, thread_scope_thread };
template <class T, thread_scope S = thread_scope_system> struct atomic_ref : std::atomic_ref<T> {
	using std::atomic_ref<T>::atomic_ref;
	using std::atomic_ref<T>::operator=;
	__VGPU_ATOMIC_MINMAX(const, this->__ptr)
};
template <class T, thread_scope S = thread_scope_system> struct atomic : std::atomic<T> {
	using std::atomic<T>::atomic;
	using std::atomic<T>::operator=;
	__VGPU_ATOMIC_MINMAX(, const_cast<T *>(&this->__v))
};
#undef __VGPU_ATOMIC_MINMAX
__device__ inline void atomic_thread_fence(std::memory_order o, thread_scope = thread_scope_system) noexcept
{
	__atomic_thread_fence(o);
}
// <cuda/functional>'s maximum and minimum
template <class T = void> struct maximum { __VGPU_SD T operator()(const T &a, const T &b) const { return a < b ? b : a; } };
template <class T = void> struct minimum { __VGPU_SD T operator()(const T &a, const T &b) const { return b < a ? b : a; } };
template <> struct maximum<void> {	// the common type of both
	template <class A, class B> __VGPU_SD std::common_type_t<A, B> operator()(const A &a, const B &b) const
	{
		return a < b ? b : a;
	}
};
template <> struct minimum<void> {
	template <class A, class B> __VGPU_SD std::common_type_t<A, B> operator()(const A &a, const B &b) const
	{
		return b < a ? b : a;
	}
};
} // namespace cuda
#undef __VGPU_SD
#endif

// ---- cuComplex.h: single and double precision complex numbers ---------------
// cuFloatComplex is float2 and cuDoubleComplex double2, as in CUDA (x the
// real part). Division scales both operands by 1 / (|re| + |im|) of the
// divisor and the magnitude divides by the larger part, so that neither
// overflows nor underflows where the result is representable; the complex
// fma takes its four products in CUDA's order, each fused.
#if defined(__VGPU_WANT_CUCOMPLEX) && !defined(__VGPU_CUCOMPLEX_DONE)
#define __VGPU_CUCOMPLEX_DONE 1
template <class C, class T> __VGPU_FN C __vgpu_cdiv(C a, C b)
{
	const T s = fabs(b.x) + fabs(b.y), k = T(1) / s;
	const T ar = a.x * k, ai = a.y * k, br = b.x * k, bi = b.y * k;
	const T q = T(1) / (br * br + bi * bi);
	return C{(ar * br + ai * bi) * q, (ai * br - ar * bi) * q};
}
template <class C, class T> __VGPU_FN T __vgpu_cabs(C a)
{
	T v = fabs(a.x), w = fabs(a.y);
	if (v < w) {
		const T t = v;
		v = w;
		w = t;
	}
	// 0 or an infinity (w <= v): their sum (no 0 / 0 or inf / inf below)
	if (v == T(0) || __builtin_isinf(v))
		return v + w;
	const T q = w / v;
	return v * sqrt(T(1) + q * q);
}
#define __VGPU_CPLX(C, T, S, MK)										\
	typedef T##2 C;												\
	__VGPU_FN T cuCreal##S(C a) { return a.x; }								\
	__VGPU_FN T cuCimag##S(C a) { return a.y; }								\
	__VGPU_FN C MK(T r, T i) { return C{r, i}; }								\
	__VGPU_FN C cuConj##S(C a) { return C{a.x, -a.y}; }							\
	__VGPU_FN C cuCadd##S(C a, C b) { return C{a.x + b.x, a.y + b.y}; }					\
	__VGPU_FN C cuCsub##S(C a, C b) { return C{a.x - b.x, a.y - b.y}; }					\
	__VGPU_FN C cuCmul##S(C a, C b) { return C{a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x}; }		\
	__VGPU_FN C cuCdiv##S(C a, C b) { return __vgpu_cdiv<C, T>(a, b); }					\
	__VGPU_FN T cuCabs##S(C a) { return __vgpu_cabs<C, T>(a); }						\
	__VGPU_FN C cuCfma##S(C x, C y, C d)									\
	{													\
		T r = __vgpu_fmat(x.x, y.x, d.x), i = __vgpu_fmat(x.y, y.x, d.y);				\
		return C{__vgpu_fmat(-x.y, y.y, r), __vgpu_fmat(x.x, y.y, i)};				\
	}
__VGPU_CPLX(cuFloatComplex, float, f, make_cuFloatComplex)
__VGPU_CPLX(cuDoubleComplex, double, , make_cuDoubleComplex)
#undef __VGPU_CPLX
typedef cuFloatComplex cuComplex;
__VGPU_FN cuComplex make_cuComplex(float r, float i) { return cuComplex{r, i}; }
__VGPU_FN cuDoubleComplex cuComplexFloatToDouble(cuFloatComplex c) { return cuDoubleComplex{c.x, c.y}; }
__VGPU_FN cuFloatComplex cuComplexDoubleToFloat(cuDoubleComplex c)
{
	return cuFloatComplex{(float)c.x, (float)c.y};
}
#endif
