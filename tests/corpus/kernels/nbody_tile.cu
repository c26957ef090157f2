// All-pairs gravitational accelerations (the n-body "tile" kernel): each
// thread owns one body; the block loads BLOCK bodies at a time into shared
// memory as float4 (x, y, z, mass), every thread accumulates their pull with
// a softened inverse-cube distance (rsqrtf), then the next tile.
#define BLOCK 128
#define SOFTENING2 0.01f

__device__ __forceinline__ float3 pull(float4 me, float4 other, float3 acc)
{
	float3 d = make_float3(other.x - me.x, other.y - me.y, other.z - me.z);
	float dist2 = d.x * d.x + d.y * d.y + d.z * d.z + SOFTENING2;
	float inv = rsqrtf(dist2);
	float s = other.w * inv * inv * inv;

	acc.x += d.x * s;
	acc.y += d.y * s;
	acc.z += d.z * s;
	return acc;
}

__global__ void nbody_accel(const float4 *__restrict__ pos, float4 *__restrict__ accel, int n)
{
	__shared__ float4 tile[BLOCK];
	const int i = blockIdx.x * BLOCK + threadIdx.x;
	const float4 me = i < n ? pos[i] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
	float3 acc = make_float3(0.0f, 0.0f, 0.0f);

	for (int base = 0; base < n; base += BLOCK) {
		const int j = base + threadIdx.x;

		tile[threadIdx.x] = j < n ? pos[j] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
		__syncthreads();
#pragma unroll 4
		for (int k = 0; k < BLOCK; k++)
			acc = pull(me, tile[k], acc);
		__syncthreads();
	}
	if (i < n)
		accel[i] = make_float4(acc.x, acc.y, acc.z, 0.0f);
}
