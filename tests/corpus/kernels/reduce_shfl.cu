// Two-pass sum in the style of modern CUDA code: each thread accumulates a
// grid-stride slice, warps reduce with __shfl_down_sync, warp leaders meet in
// shared memory, the first warp finishes. The block size is a template
// parameter; pass 1 runs <float,256> over the input, pass 2 <float,128> as a
// single block over the per-block partial sums.
template <typename T>
__device__ __forceinline__ T warp_sum(T v)
{
	for (int offset = warpSize / 2; offset > 0; offset /= 2)
		v += __shfl_down_sync(0xffffffffu, v, offset);
	return v;
}

template <typename T, int BLOCK>
__global__ void __launch_bounds__(BLOCK) block_reduce(const T *__restrict__ in, T *__restrict__ out, int n)
{
	static_assert(BLOCK % 32 == 0, "whole warps");
	__shared__ T warp_sums[BLOCK / 32];
	const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
	T acc = T(0);

	for (int i = blockIdx.x * BLOCK + threadIdx.x; i < n; i += BLOCK * gridDim.x)
		acc += in[i];
	acc = warp_sum(acc);
	if (lane == 0)
		warp_sums[warp] = acc;
	__syncthreads();
	if (warp == 0) {
		acc = lane < BLOCK / 32 ? warp_sums[lane] : T(0);
		acc = warp_sum(acc);
		if (lane == 0)
			out[blockIdx.x] = acc;
	}
}
