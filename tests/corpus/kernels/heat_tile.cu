// Explicit 2-D heat equation step: a 5-point stencil on a tile of the grid
// plus its one-cell halo, staged in shared memory. Each block walks down a
// strip of STRIP rows, one BX x BY tile after the other, so the barriers sit
// inside a loop. Border cells keep their value (Dirichlet boundary).
#define BX 32
#define BY 8
#define STRIP 32

__global__ void heat_step(const float *__restrict__ u, float *__restrict__ v,
			  int nx, int ny, float alpha)
{
	__shared__ float tile[BY + 2][BX + 2];
	const int tx = threadIdx.x, ty = threadIdx.y;
	const int x = blockIdx.x * BX + tx;
	const int y_begin = blockIdx.y * STRIP;
	const int y_end = min(y_begin + STRIP, ny);

	for (int y0 = y_begin; y0 < y_end; y0 += BY) {
		const int y = y0 + ty;
		const bool inside = x < nx && y < ny;

		tile[ty + 1][tx + 1] = inside ? u[y * nx + x] : 0.0f;
		if (tx == 0)
			tile[ty + 1][0] = (x > 0 && y < ny) ? u[y * nx + x - 1] : 0.0f;
		if (tx == BX - 1)
			tile[ty + 1][BX + 1] = (x + 1 < nx && y < ny) ? u[y * nx + x + 1] : 0.0f;
		if (ty == 0)
			tile[0][tx + 1] = (y0 > 0 && x < nx) ? u[(y0 - 1) * nx + x] : 0.0f;
		if (ty == BY - 1)
			tile[BY + 1][tx + 1] = (y0 + BY < ny && x < nx) ? u[(y0 + BY) * nx + x] : 0.0f;
		__syncthreads();

		if (inside) {
			const float c = tile[ty + 1][tx + 1];

			if (x == 0 || y == 0 || x == nx - 1 || y == ny - 1)
				v[y * nx + x] = c;
			else
				v[y * nx + x] = c + alpha * ((tile[ty + 1][tx] + tile[ty + 1][tx + 2] +
							      tile[ty][tx + 1] + tile[ty + 2][tx + 1]) -
							     4.0f * c);
		}
		__syncthreads();
	}
}
