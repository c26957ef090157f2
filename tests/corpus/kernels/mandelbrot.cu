// Escape-time Mandelbrot image: one thread per pixel on a 2-D grid of
// 16 x 16 blocks, iterating z = z^2 + c until |z| > 2 or max_iter; a
// divergent loop whose trip count varies wildly between neighbouring
// threads. The iteration count is kept as the pixel value.
__global__ void mandelbrot(int *__restrict__ iters, int width, int height, float x0, float y0,
			   float dx, float dy, int max_iter)
{
	const int px = blockIdx.x * blockDim.x + threadIdx.x;
	const int py = blockIdx.y * blockDim.y + threadIdx.y;

	if (px >= width || py >= height)
		return;
	const float cx = x0 + px * dx, cy = y0 + py * dy;
	float x = 0.0f, y = 0.0f, x2 = 0.0f, y2 = 0.0f;
	int it = 0;

	while (x2 + y2 <= 4.0f && it < max_iter) {
		y = 2.0f * x * y + cy;
		x = x2 - y2 + cx;
		x2 = x * x;
		y2 = y * y;
		++it;
	}
	iters[(size_t)py * width + px] = it;
}
