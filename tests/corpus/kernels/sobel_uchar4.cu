// Edge detection on an RGBA8 image, the uchar4 way image code is written:
// each thread reads one uchar4 pixel, turns it into luma with integer
// weights (BT.601, (77 R + 150 G + 29 B) >> 8), the 16 x 16 block keeps its
// luma tile with a one-pixel apron in shared memory, and the 3 x 3 Sobel
// gradient's L1 magnitude (clamped to 255) goes out as a grey RGBA pixel
// built with make_uchar4. Borders replicate the edge pixel.
#define T 16

__device__ __forceinline__ int luma(uchar4 p)
{
	return (77 * p.x + 150 * p.y + 29 * p.z) >> 8;
}

__global__ void sobel_rgba(const uchar4 *__restrict__ src, uchar4 *__restrict__ dst, int width, int height)
{
	__shared__ int g[T + 2][T + 2];
	const int tx = threadIdx.x, ty = threadIdx.y;
	const int x0 = blockIdx.x * T - 1, y0 = blockIdx.y * T - 1;

	// the 18 x 18 apron tile, by 256 threads
	for (int i = ty * T + tx; i < (T + 2) * (T + 2); i += T * T) {
		const int ly = i / (T + 2), lx = i % (T + 2);
		const int x = min(max(x0 + lx, 0), width - 1), y = min(max(y0 + ly, 0), height - 1);

		g[ly][lx] = luma(src[y * width + x]);
	}
	__syncthreads();

	const int x = x0 + 1 + tx, y = y0 + 1 + ty;
	if (x < width && y < height) {
		const int gx = (g[ty][tx + 2] + 2 * g[ty + 1][tx + 2] + g[ty + 2][tx + 2]) -
			       (g[ty][tx] + 2 * g[ty + 1][tx] + g[ty + 2][tx]);
		const int gy = (g[ty + 2][tx] + 2 * g[ty + 2][tx + 1] + g[ty + 2][tx + 2]) -
			       (g[ty][tx] + 2 * g[ty][tx + 1] + g[ty][tx + 2]);
		const unsigned char m = (unsigned char)min(abs(gx) + abs(gy), 255);

		dst[y * width + x] = make_uchar4(m, m, m, 255);
	}
}
