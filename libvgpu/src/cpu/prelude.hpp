// SPDX-License-Identifier: LGPL-2.1-or-later
// libvgpu CPU backend prelude: the CUDA C dialect on the host compiler.
// Embedded into libvgpu (prelude.S) and put in front of every source.
//
// Execution model: a kernel becomes an always-inline function taking its
// threadIdx/blockIdx/blockDim/gridDim as parameters (the libvgpu source
// rewrite). Kernels without __syncthreads run as a plain loop over the
// threads of a block (vectorizable); kernels whose barriers are in
// structured positions are cut at them into such loops (barrier fission,
// __VGPU_KERNEL_SPLIT); other kernels with barriers run each CUDA thread of a
// block as a fiber on one OS thread, and __syncthreads switches fibers.
// __shared__ is per OS thread, which is per block.
#include <math.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <limits.h>
#include <float.h>
#include <cmath>
#include <utility>
#include <tuple>
#include <type_traits>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __restrict__ __restrict
#define __launch_bounds__(...)
#define __align__(n) alignas(n)
#define __shared__ static thread_local
// not static: the host sets them (vgpu_module_global_write); hidden, found in .symtab
#define __constant__
#define __managed__
#define __VGPU_CPU__ 1
#define warpSize 1

struct uint3 { unsigned int x, y, z; };
struct dim3 {
	unsigned int x, y, z;
	constexpr dim3(unsigned int a = 1, unsigned int b = 1, unsigned int c = 1) : x(a), y(b), z(c) {}
	constexpr dim3(uint3 u) : x(u.x), y(u.y), z(u.z) {}
};
struct alignas(8) float2 { float x, y; };
struct float3 { float x, y, z; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) int2 { int x, y; };
struct int3 { int x, y, z; };
struct alignas(16) int4 { int x, y, z, w; };
struct alignas(16) double2 { double x, y; };
static inline float2 make_float2(float x, float y) { return float2{x, y}; }
static inline float3 make_float3(float x, float y, float z) { return float3{x, y, z}; }
static inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
static inline int2 make_int2(int x, int y) { return int2{x, y}; }
static inline int3 make_int3(int x, int y, int z) { return int3{x, y, z}; }
static inline int4 make_int4(int x, int y, int z, int w) { return int4{x, y, z, w}; }
static inline uint3 make_uint3(unsigned x, unsigned y, unsigned z) { return uint3{x, y, z}; }
static inline double2 make_double2(double x, double y) { return double2{x, y}; }

// Launch description shared with libvgpu (runtime.c: struct vgpu_cpu_exec).
extern "C" struct __vgpu_exec {
	unsigned int grid[3];
	unsigned int block[3];
	void *const *args;
	void (*barrier)(void);
};

// The builtins' components are int here (CUDA: unsigned) so that the host
// compiler can treat `blockIdx.x * blockDim.x + threadIdx.x` as an affine,
// non-wrapping index and vectorize the loop over threads. Differences show
// only for indices >= 2^31 and for unsigned wrap-around (threadIdx.x - 1 at
// 0); compile with -D__VGPU_UNSIGNED_IDX for CUDA's exact types.
#ifdef __VGPU_UNSIGNED_IDX
typedef unsigned int __vgpu_ix;
#else
typedef int __vgpu_ix;
#endif
struct __vgpu_idx3 { __vgpu_ix x, y, z; };

// What device helpers see (kernels see their parameters of the same names).
static thread_local __vgpu_idx3 threadIdx;
static thread_local __vgpu_idx3 blockIdx;
static thread_local __vgpu_idx3 blockDim;
static thread_local __vgpu_idx3 gridDim;
static thread_local void *__vgpu_dsmem;
static thread_local void (*__vgpu_barrier_fn)(void);

static inline void __syncthreads(void)
{
	__vgpu_idx3 t = ::threadIdx;	// fibers share the OS thread's copy
	__vgpu_barrier_fn();
	::threadIdx = t;
}
static inline void __threadfence(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
static inline void __threadfence_block(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

// ---- atomics (relaxed, like CUDA's) ---------------------------------------
#define __VGPU_AT_INT(T)								\
static inline T atomicAdd(T *p, T v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }	\
static inline T atomicSub(T *p, T v) { return __atomic_fetch_sub(p, v, __ATOMIC_RELAXED); }	\
static inline T atomicAnd(T *p, T v) { return __atomic_fetch_and(p, v, __ATOMIC_RELAXED); }	\
static inline T atomicOr(T *p, T v) { return __atomic_fetch_or(p, v, __ATOMIC_RELAXED); }	\
static inline T atomicXor(T *p, T v) { return __atomic_fetch_xor(p, v, __ATOMIC_RELAXED); }	\
static inline T atomicExch(T *p, T v) { return __atomic_exchange_n(p, v, __ATOMIC_RELAXED); }	\
static inline T atomicCAS(T *p, T cmp, T v)					\
{ __atomic_compare_exchange_n(p, &cmp, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED); return cmp; } \
static inline T atomicMin(T *p, T v)						\
{ T o = __atomic_load_n(p, __ATOMIC_RELAXED);					\
  while (v < o && !__atomic_compare_exchange_n(p, &o, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) ; \
  return o; }									\
static inline T atomicMax(T *p, T v)						\
{ T o = __atomic_load_n(p, __ATOMIC_RELAXED);					\
  while (v > o && !__atomic_compare_exchange_n(p, &o, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) ; \
  return o; }
__VGPU_AT_INT(int)
__VGPU_AT_INT(unsigned int)
__VGPU_AT_INT(long long)
__VGPU_AT_INT(unsigned long long)
#undef __VGPU_AT_INT

template <typename F, typename U>
static inline F __vgpu_atomic_fp(F *p, F v, int op)
{
	static_assert(sizeof(F) == sizeof(U), "size");
	U *q = reinterpret_cast<U *>(p);
	U o = __atomic_load_n(q, __ATOMIC_RELAXED), n;
	F of, nf;
	do {
		memcpy(&of, &o, sizeof(F));
		nf = op == 0 ? of + v : op == 1 ? of - v : op == 2 ? (v < of ? v : of) : (v > of ? v : of);
		memcpy(&n, &nf, sizeof(F));
	} while (!__atomic_compare_exchange_n(q, &o, n, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return of;
}
// CUDA has atomicAdd for float and double, not atomicSub/Min/Max (NVRTC refuses
// them): neither does the CPU, so that code tested here compiles on the GPU.
static inline float atomicAdd(float *p, float v) { return __vgpu_atomic_fp<float, uint32_t>(p, v, 0); }
static inline double atomicAdd(double *p, double v) { return __vgpu_atomic_fp<double, uint64_t>(p, v, 0); }
static inline float atomicExch(float *p, float v)
{
	uint32_t n, o;
	float r;
	memcpy(&n, &v, 4);
	o = __atomic_exchange_n(reinterpret_cast<uint32_t *>(p), n, __ATOMIC_RELAXED);
	memcpy(&r, &o, 4);
	return r;
}
static inline unsigned int atomicInc(unsigned int *p, unsigned int lim)
{
	unsigned int o = __atomic_load_n(p, __ATOMIC_RELAXED), n;
	do { n = o >= lim ? 0 : o + 1; }
	while (!__atomic_compare_exchange_n(p, &o, n, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return o;
}

// ---- math -------------------------------------------------------------------
template <typename A, typename B>
static inline auto min(A a, B b) -> typename std::common_type<A, B>::type { return b < a ? b : a; }
template <typename A, typename B>
static inline auto max(A a, B b) -> typename std::common_type<A, B>::type { return a < b ? b : a; }
static inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
static inline double rsqrt(double x) { return 1.0 / sqrt(x); }
static inline float __fdividef(float a, float b) { return a / b; }
static inline float __saturatef(float x) { return x < 0.f ? 0.f : x > 1.f ? 1.f : x; }
static inline float saturatef(float x) { return __saturatef(x); }
static inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
static inline int __float_as_int(float f) { int i; memcpy(&i, &f, 4); return i; }
static inline float __int_as_float(int i) { float f; memcpy(&f, &i, 4); return f; }
static inline unsigned __float_as_uint(float f) { unsigned i; memcpy(&i, &f, 4); return i; }
static inline float __uint_as_float(unsigned i) { float f; memcpy(&f, &i, 4); return f; }
/* as the GPU's cvt (and the clang path's cuda.h): clamped, NaN 0 */
static inline int __float2int_rz(float f)
{
	return f != f ? 0 : f >= 2147483648.0f ? 2147483647 : f <= -2147483648.0f ? (-2147483647 - 1) : (int)f;
}
static inline int __float2int_rn(float f) { return __float2int_rz(nearbyintf(f)); }
static inline int __popc(unsigned x) { return __builtin_popcount(x); }
static inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
static inline int __clz(int x) { return x ? __builtin_clz((unsigned)x) : 32; }
static inline int __ffs(int x) { return __builtin_ffs(x); }
static inline unsigned __brev(unsigned x)
{
	x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
	x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
	x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
	return __builtin_bswap32(x);
}
template <typename T> static inline T __ldg(const T *p) { return *p; }
static inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((uint64_t)a * b) >> 32); }
static inline int __mulhi(int a, int b) { return (int)(((int64_t)a * b) >> 32); }

// ---- launch wrappers (instantiated per kernel by __VGPU_KERNEL) -------------
template <typename... P> struct __vgpu_kt {
	typedef __vgpu_idx3 I3;
	typedef void (*fn_t)(I3, I3, I3, I3, P...);

	static inline I3 bidx(uint64_t b, const I3 &gd)
	{
		return I3{ (__vgpu_ix)(b % (unsigned)gd.x), (__vgpu_ix)((b / (unsigned)gd.x) % (unsigned)gd.y),
			   (__vgpu_ix)(b / ((uint64_t)(unsigned)gd.x * (unsigned)gd.y)) };
	}

	typedef std::tuple<typename std::decay<P>::type...> args_t;

	template <size_t... I> static inline args_t args(const __vgpu_exec *E)
	{
		return args_t{ *static_cast<typename std::decay<P>::type *>(E->args[I])... };
	}

	static inline I3 dim3_of(const unsigned int d[3])
	{
		return I3{ (__vgpu_ix)d[0], (__vgpu_ix)d[1], (__vgpu_ix)d[2] };
	}

	// kernels whose helpers read the builtins get them as globals too (G)
	static inline void set_block_globals(const I3 &bi, const I3 &bd, const I3 &gd)
	{
		::blockIdx = bi;
		::blockDim = bd;
		::gridDim = gd;
	}

	template <fn_t F, bool G, size_t... I>
	static inline void blocks(const __vgpu_exec *E, void *dsm, uint64_t first, uint64_t count,
				  std::index_sequence<I...>)
	{
		const args_t a = args<I...>(E);
		const I3 bd = dim3_of(E->block), gd = dim3_of(E->grid);

		__vgpu_dsmem = dsm;
		for (uint64_t b = first; b < first + count; b++) {
			const I3 bi = bidx(b, gd);

			if (G)
				set_block_globals(bi, bd, gd);
			for (__vgpu_ix tz = 0; tz < bd.z; tz++)
				for (__vgpu_ix ty = 0; ty < bd.y; ty++) {
					if (G) {
						for (__vgpu_ix tx = 0; tx < bd.x; tx++) {
							::threadIdx = I3{tx, ty, tz};
							F(I3{tx, ty, tz}, bi, bd, gd, std::get<I>(a)...);
						}
						continue;
					}
					// The usual guard "if (i < n)", i = blockIdx.x *
					// blockDim.x + threadIdx.x, is a comparison of this
					// loop's variable with an invariant when the loop
					// runs over the global index: GCC then splits the
					// loop at the guard instead of if-converting it into
					// masked stores (slow on AMD: 4.8x on saxpy).
					if ((int64_t)bi.x * bd.x + bd.x <= INT32_MAX) {
						const __vgpu_ix base = bi.x * bd.x;
#pragma GCC ivdep
						for (__vgpu_ix g = base; g < base + bd.x; g++)
							F(I3{(__vgpu_ix)(g - base), ty, tz}, bi, bd, gd,
							  std::get<I>(a)...);
						continue;
					}
#pragma GCC ivdep
					for (__vgpu_ix tx = 0; tx < bd.x; tx++)
						F(I3{tx, ty, tz}, bi, bd, gd, std::get<I>(a)...);
				}
		}
	}

	template <fn_t F, bool G, size_t... I>
	static inline void thread(const __vgpu_exec *E, void *dsm, uint64_t b, unsigned tx,
				  unsigned ty, unsigned tz, std::index_sequence<I...>)
	{
		const args_t a = args<I...>(E);
		const I3 bd = dim3_of(E->block), gd = dim3_of(E->grid);
		const I3 bi = bidx(b, gd);
		const I3 ti{ (__vgpu_ix)tx, (__vgpu_ix)ty, (__vgpu_ix)tz };

		__vgpu_dsmem = dsm;
		__vgpu_barrier_fn = E->barrier;
		if (G) {
			set_block_globals(bi, bd, gd);
			::threadIdx = ti;
		}
		F(ti, bi, bd, gd, std::get<I>(a)...);
	}

	// A kernel rewritten by barrier fission (libvgpu parse.c): called once per
	// block, it loops over its threads itself, region by region.
	template <fn_t F, bool G, size_t... I>
	static inline void split(const __vgpu_exec *E, void *dsm, uint64_t first, uint64_t count,
				 std::index_sequence<I...>)
	{
		const args_t a = args<I...>(E);
		const I3 bd = dim3_of(E->block), gd = dim3_of(E->grid);

		__vgpu_dsmem = dsm;
		for (uint64_t b = first; b < first + count; b++) {
			const I3 bi = bidx(b, gd);

			if (G)
				set_block_globals(bi, bd, gd);
			F(I3{0, 0, 0}, bi, bd, gd, std::get<I>(a)...);
		}
	}

	template <fn_t F, bool G>
	static void run_split(const __vgpu_exec *E, void *dsm, uint64_t first, uint64_t count)
	{
		split<F, G>(E, dsm, first, count, std::index_sequence_for<P...>{});
	}
	template <fn_t F, bool G>
	static void run_blocks(const __vgpu_exec *E, void *dsm, uint64_t first, uint64_t count)
	{
		blocks<F, G>(E, dsm, first, count, std::index_sequence_for<P...>{});
	}
	template <fn_t F, bool G>
	static void run_thread(const __vgpu_exec *E, void *dsm, uint64_t b, unsigned tx,
			       unsigned ty, unsigned tz)
	{
		thread<F, G>(E, dsm, b, tx, ty, tz, std::index_sequence_for<P...>{});
	}
};
template <typename... P>
static __vgpu_kt<P...> __vgpu_kt_of(void (*)(__vgpu_idx3, __vgpu_idx3, __vgpu_idx3, __vgpu_idx3, P...));

#define __VGPU_EXPORT extern "C" __attribute__((visibility("default")))
#define __VGPU_KERNEL_BLOCKS(name, G)							\
__VGPU_EXPORT void __vgpu_blocks_##name(const __vgpu_exec *E, void *dsm, uint64_t first,	\
					uint64_t count)					\
{ decltype(__vgpu_kt_of(&__vgpu_k_##name))::template run_blocks<&__vgpu_k_##name, G>(E, dsm, first, count); }
#define __VGPU_KERNEL_SPLIT(name, G)							\
__VGPU_EXPORT const int __vgpu_split_##name = 1;					\
__VGPU_EXPORT void __vgpu_blocks_##name(const __vgpu_exec *E, void *dsm, uint64_t first,	\
					uint64_t count)					\
{ decltype(__vgpu_kt_of(&__vgpu_k_##name))::template run_split<&__vgpu_k_##name, G>(E, dsm, first, count); }
#define __VGPU_KERNEL_THREAD(name, G)							\
__VGPU_EXPORT void __vgpu_thread_##name(const __vgpu_exec *E, void *dsm, uint64_t b,	\
					unsigned tx, unsigned ty, unsigned tz)		\
{ decltype(__vgpu_kt_of(&__vgpu_k_##name))::template run_thread<&__vgpu_k_##name, G>(E, dsm, b, tx, ty, tz); }

// The same for a name expression (a template instantiation, a kernel in a
// namespace): numbered wrappers, the function given last (it may hold commas).
#define __VGPU_KERNEL_BLOCKS_X(id, G, ...)						\
__VGPU_EXPORT void __vgpu_blocks_x##id(const __vgpu_exec *E, void *dsm, uint64_t first,	\
				       uint64_t count)					\
{ decltype(__vgpu_kt_of(&__VA_ARGS__))::template run_blocks<&__VA_ARGS__, G>(E, dsm, first, count); }
#define __VGPU_KERNEL_SPLIT_X(id, G, ...)						\
__VGPU_EXPORT const int __vgpu_split_x##id = 1;						\
__VGPU_EXPORT void __vgpu_blocks_x##id(const __vgpu_exec *E, void *dsm, uint64_t first,	\
				       uint64_t count)					\
{ decltype(__vgpu_kt_of(&__VA_ARGS__))::template run_split<&__VA_ARGS__, G>(E, dsm, first, count); }
#define __VGPU_KERNEL_THREAD_X(id, G, ...)						\
__VGPU_EXPORT void __vgpu_thread_x##id(const __vgpu_exec *E, void *dsm, uint64_t b,	\
				       unsigned tx, unsigned ty, unsigned tz)		\
{ decltype(__vgpu_kt_of(&__VA_ARGS__))::template run_thread<&__VA_ARGS__, G>(E, dsm, b, tx, ty, tz); }

#define __VGPU_KHEAD __attribute__((always_inline)) static inline void
#define __VGPU_KPARAMS const __vgpu_idx3 threadIdx, const __vgpu_idx3 blockIdx, const __vgpu_idx3 blockDim, \
	const __vgpu_idx3 gridDim
