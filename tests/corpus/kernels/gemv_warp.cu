// Dense matrix-vector product y = alpha * A x + beta * y0 (cuBLAS-less
// SGEMV for row-major A, as inference code writes it): one warp per row,
// 4 warps per block (blockDim 32 x 4). Lanes read the row and x as float4
// (cols is a multiple of 4, rows 16-byte aligned), so a warp streams 512
// bytes per step; the partial sums meet in a __shfl_xor_sync butterfly,
// which leaves the total in every lane, and lane 0 writes it.
__device__ __forceinline__ float warp_allreduce(float v)
{
#pragma unroll
	for (int m = 16; m > 0; m >>= 1)
		v += __shfl_xor_sync(0xffffffffu, v, m);
	return v;
}

extern "C" __global__ void sgemv_rows(const float *__restrict__ a, const float *__restrict__ x,
				      const float *__restrict__ y0, float *__restrict__ y, int rows,
				      int cols, float alpha, float beta)
{
	const int row = blockIdx.x * blockDim.y + threadIdx.y;
	const int lane = threadIdx.x;

	if (row >= rows)	/* whole warps leave together */
		return;
	const float4 *arow = reinterpret_cast<const float4 *>(a + (size_t)row * cols);
	const float4 *x4 = reinterpret_cast<const float4 *>(x);
	float acc = 0.0f;

	for (int c = lane; c < cols / 4; c += 32) {
		const float4 av = arow[c], xv = x4[c];
		acc += av.x * xv.x + av.y * xv.y + av.z * xv.z + av.w * xv.w;
	}
	acc = warp_allreduce(acc);
	if (lane == 0)
		y[row] = alpha * acc + beta * y0[row];
}
