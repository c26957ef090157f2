// Separable 2-D convolution (e.g. a Gaussian blur): a row pass and a column
// pass with the same 17 taps from __constant__ memory (set by the host with
// cudaMemcpyToSymbol). Each pass stages its tile plus the RADIUS-wide apron
// in shared memory; image borders clamp to the edge.
#define RADIUS 8
#define TAPS (2 * RADIUS + 1)
#define ROW_W 64	/* row pass: 64 x 4 outputs per block */
#define ROW_H 4
#define COL_W 16	/* column pass: 16 x 64 outputs per block, 16 x 16 threads */
#define COL_H 64
#define COL_THREADS_Y 16

__constant__ float c_taps[TAPS];

__device__ __forceinline__ int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : (v > hi ? hi : v);
}

__global__ void conv_rows(const float *__restrict__ src, float *__restrict__ dst, int w, int h)
{
	__shared__ float s[ROW_H][ROW_W + 2 * RADIUS];
	const int y = blockIdx.y * ROW_H + threadIdx.y;
	const int x0 = blockIdx.x * ROW_W;
	const int yc = min(y, h - 1);

	for (int i = threadIdx.x; i < ROW_W + 2 * RADIUS; i += blockDim.x)
		s[threadIdx.y][i] = src[(size_t)yc * w + clampi(x0 + i - RADIUS, 0, w - 1)];
	__syncthreads();
	const int x = x0 + threadIdx.x;
	if (x < w && y < h) {
		float acc = 0.0f;
#pragma unroll
		for (int k = -RADIUS; k <= RADIUS; k++)
			acc += c_taps[RADIUS + k] * s[threadIdx.y][threadIdx.x + RADIUS + k];
		dst[(size_t)y * w + x] = acc;
	}
}

__global__ void conv_cols(const float *__restrict__ src, float *__restrict__ dst, int w, int h)
{
	__shared__ float s[COL_H + 2 * RADIUS][COL_W];
	const int x = blockIdx.x * COL_W + threadIdx.x;
	const int y0 = blockIdx.y * COL_H;
	const int xc = min(x, w - 1);

	for (int j = threadIdx.y; j < COL_H + 2 * RADIUS; j += COL_THREADS_Y)
		s[j][threadIdx.x] = src[(size_t)clampi(y0 + j - RADIUS, 0, h - 1) * w + xc];
	__syncthreads();
	for (int j = threadIdx.y; j < COL_H; j += COL_THREADS_Y) {
		const int y = y0 + j;
		if (x < w && y < h) {
			float acc = 0.0f;
#pragma unroll
			for (int k = -RADIUS; k <= RADIUS; k++)
				acc += c_taps[RADIUS + k] * s[j + RADIUS + k][threadIdx.x];
			dst[(size_t)y * w + x] = acc;
		}
	}
}
