// Selecting the samples above a threshold, with warp votes:
//  - __ballot_sync builds a bitmap of the matches, one 32-bit word per warp
//    step (a bitmap index, as database and point-cloud code keep it);
//  - __any_sync lets a warp skip the slow path when none of its lanes match;
//  - inside the divergent branch, __activemask() finds the lanes that took
//    it, and the lowest of them reserves room for all with one atomicAdd (a
//    warp-aggregated atomic); __shfl_sync hands the base to the others and
//    each lane writes its index at base + its rank among the active lanes.
// The list's order depends on the scheduling; its contents do not.
#define FULL 0xffffffffu

extern "C" __global__ void select_above(const float *__restrict__ x, int n, float threshold,
					unsigned *__restrict__ bitmap, int *__restrict__ list,
					int *__restrict__ count)
{
	const int lane = threadIdx.x & 31;
	const int warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
	const int warps = (gridDim.x * blockDim.x) >> 5;

	// every lane of a warp runs the same number of steps: the votes see all 32
	for (int base = warp * 32; base < n; base += warps * 32) {
		const int i = base + lane;
		const bool hit = i < n && x[i] > threshold;
		const unsigned bits = __ballot_sync(FULL, hit);

		if (lane == 0)
			bitmap[base / 32] = bits;
		if (!__any_sync(FULL, hit))
			continue;
		if (hit) {
			const unsigned active = __activemask();
			const int leader = __ffs(active) - 1;
			int slot = 0;

			if (lane == leader)
				slot = atomicAdd(count, __popc(active));
			slot = __shfl_sync(active, slot, leader);
			list[slot + __popc(active & ((1u << lane) - 1))] = i;
		}
	}
}
