// D = alpha * A * B + beta * C, row-major, single precision: the classic
// shared-memory tiled GEMM with register blocking. A TILE x TILE block of D per
// thread block of TILE x (TILE / RPT) threads; each thread keeps RPT rows of
// its column in registers while the K dimension is walked tile by tile.
template <int TILE, int RPT>
__global__ void sgemm(int M, int N, int K, float alpha, const float *__restrict__ A,
		      const float *__restrict__ B, float beta, const float *__restrict__ C,
		      float *__restrict__ D)
{
	__shared__ float As[TILE][TILE + 1];
	__shared__ float Bs[TILE][TILE];
	const int tx = threadIdx.x, ty = threadIdx.y;
	const int col = blockIdx.x * TILE + tx;
	const int row0 = blockIdx.y * TILE;
	constexpr int STEP = TILE / RPT;
	float acc[RPT];

#pragma unroll
	for (int r = 0; r < RPT; r++)
		acc[r] = 0.0f;
	for (int k0 = 0; k0 < K; k0 += TILE) {
#pragma unroll
		for (int r = 0; r < RPT; r++) {
			const int lr = ty + r * STEP;
			const int arow = row0 + lr, acol = k0 + tx;
			const int brow = k0 + lr;

			As[lr][tx] = (arow < M && acol < K) ? A[(size_t)arow * K + acol] : 0.0f;
			Bs[lr][tx] = (brow < K && col < N) ? B[(size_t)brow * N + col] : 0.0f;
		}
		__syncthreads();
#pragma unroll 8
		for (int k = 0; k < TILE; k++) {
			const float b = Bs[k][tx];
#pragma unroll
			for (int r = 0; r < RPT; r++)
				acc[r] += As[ty + r * STEP][k] * b;
		}
		__syncthreads();
	}
#pragma unroll
	for (int r = 0; r < RPT; r++) {
		const int row = row0 + ty + r * STEP;

		if (row < M && col < N)
			D[(size_t)row * N + col] = alpha * acc[r] + beta * C[(size_t)row * N + col];
	}
}
