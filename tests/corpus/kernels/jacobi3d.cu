// One Jacobi sweep of a 7-point stencil on an nx x ny x nz grid (a Poisson
// or diffusion smoother), in the 2.5-D blocking used by 3-D stencil codes:
// a block owns a BX x BY column of the grid and marches it along z. The xy
// plane of the current z (plus a one-cell halo) sits in shared memory, the
// cells below and above stay in registers and shift up each step, so every
// input value is read from global memory about once. Boundary cells keep
// their value.
#define BX 32
#define BY 8

__global__ void __launch_bounds__(BX * BY)
jacobi7(const float *__restrict__ in, float *__restrict__ out, int nx, int ny, int nz,
	float c0, float c1)
{
	__shared__ float plane[BY + 2][BX + 2];
	const int tx = threadIdx.x, ty = threadIdx.y;
	const int x = blockIdx.x * BX + tx, y = blockIdx.y * BY + ty;
	const bool inside = x < nx && y < ny;
	const size_t slice = (size_t)nx * ny;
	const size_t xy = (size_t)y * nx + x;
	float below = 0.0f;
	float cur = inside ? in[xy] : 0.0f;
	float above = inside && nz > 1 ? in[slice + xy] : 0.0f;

	for (int z = 0; z < nz; z++) {
		const float *p = in + (size_t)z * slice;

		plane[ty + 1][tx + 1] = cur;
		if (tx == 0)
			plane[ty + 1][0] = x > 0 && y < ny ? p[xy - 1] : 0.0f;
		if (tx == BX - 1)
			plane[ty + 1][BX + 1] = x + 1 < nx && y < ny ? p[xy + 1] : 0.0f;
		if (ty == 0)
			plane[0][tx + 1] = y > 0 && x < nx ? p[xy - nx] : 0.0f;
		if (ty == BY - 1)
			plane[BY + 1][tx + 1] = y + 1 < ny && x < nx ? p[xy + nx] : 0.0f;
		__syncthreads();

		if (inside) {
			float v = cur;

			if (x > 0 && y > 0 && z > 0 && x < nx - 1 && y < ny - 1 && z < nz - 1)
				v = c0 * cur + c1 * (plane[ty + 1][tx] + plane[ty + 1][tx + 2] +
						     plane[ty][tx + 1] + plane[ty + 2][tx + 1] +
						     below + above);
			out[(size_t)z * slice + xy] = v;
		}
		__syncthreads();

		below = cur;
		cur = above;
		above = inside && z + 2 < nz ? in[(size_t)(z + 2) * slice + xy] : 0.0f;
	}
}
