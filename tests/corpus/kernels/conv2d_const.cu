// Non-separable 2-D convolution (a 5 x 5 filter: sharpen, emboss, a
// learned filter) with the weights in __constant__ memory. A 16 x 16 block
// computes a 16 x 16 output tile; it first stages the 20 x 20 input tile
// (the output tile and its 2-pixel apron) in shared memory, every thread
// loading up to two pixels, clamping at the image border. Images are
// width x height, row pitch in elements.
#define R 2
#define K (2 * R + 1)
#define T 16
#define IN_T (T + 2 * R)

__constant__ float c_filter[K * K];

__global__ void conv2d(const float *__restrict__ src, float *__restrict__ dst, int width, int height,
		       int pitch)
{
	__shared__ float tile[IN_T][IN_T];
	const int tx = threadIdx.x, ty = threadIdx.y;
	const int ox = blockIdx.x * T, oy = blockIdx.y * T;

	for (int i = ty * T + tx; i < IN_T * IN_T; i += T * T) {
		const int ly = i / IN_T, lx = i % IN_T;
		const int gx = min(max(ox + lx - R, 0), width - 1);
		const int gy = min(max(oy + ly - R, 0), height - 1);

		tile[ly][lx] = src[gy * pitch + gx];
	}
	__syncthreads();

	const int x = ox + tx, y = oy + ty;
	if (x >= width || y >= height)
		return;
	float acc = 0.0f;
#pragma unroll
	for (int dy = 0; dy < K; dy++)
#pragma unroll
		for (int dx = 0; dx < K; dx++)
			acc += c_filter[dy * K + dx] * tile[ty + dy][tx + dx];
	dst[y * pitch + x] = acc;
}
