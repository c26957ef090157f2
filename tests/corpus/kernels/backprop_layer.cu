// One fully connected layer of a small neural network, back-propagation
// style, compiled with --use_fast_math: the forward pass multiplies 16
// inputs x 16 outputs per block in shared memory and reduces the products
// down the input dimension (a barrier per halving); a second kernel adds the
// chunks and the bias and squashes with a sigmoid (__expf); the weight update
// applies learning rate and momentum and keeps the step for the next round.
#define BS 16

__device__ __forceinline__ float sigmoid(float x)
{
	return __fdividef(1.0f, 1.0f + __expf(-x));
}

__global__ void layer_forward(const float *__restrict__ in, const float *__restrict__ w,
			      float *__restrict__ partial, int nin, int nout)
{
	__shared__ float in_s[BS];
	__shared__ float prod[BS][BS];
	const int tx = threadIdx.x, ty = threadIdx.y;
	const int j = blockIdx.x * BS + tx;		/* output */
	const int i = blockIdx.y * BS + ty;		/* input */

	if (tx == 0)
		in_s[ty] = i < nin ? in[i] : 0.0f;
	__syncthreads();
	prod[ty][tx] = (i < nin && j < nout) ? w[(size_t)i * nout + j] * in_s[ty] : 0.0f;
	__syncthreads();
	for (int step = BS / 2; step > 0; step >>= 1) {
		if (ty < step)
			prod[ty][tx] += prod[ty + step][tx];
		__syncthreads();
	}
	if (ty == 0 && j < nout)
		partial[(size_t)blockIdx.y * nout + j] = prod[0][tx];
}

__global__ void layer_activate(const float *__restrict__ partial, int chunks,
			       const float *__restrict__ bias, float *__restrict__ out, int nout)
{
	const int j = blockIdx.x * blockDim.x + threadIdx.x;

	if (j >= nout)
		return;
	float sum = bias[j];
	for (int c = 0; c < chunks; c++)
		sum += partial[(size_t)c * nout + j];
	out[j] = sigmoid(sum);
}

__global__ void adjust_weights(const float *__restrict__ delta, const float *__restrict__ in,
			       const float *__restrict__ w, const float *__restrict__ oldw,
			       float *__restrict__ w_out, float *__restrict__ oldw_out,
			       int nin, int nout, float eta, float momentum)
{
	const int j = blockIdx.x * BS + threadIdx.x;
	const int i = blockIdx.y * BS + threadIdx.y;

	if (i >= nin || j >= nout)
		return;
	const size_t k = (size_t)i * nout + j;
	const float step = __fmul_rn(eta, delta[j] * in[i]) + momentum * oldw[k];
	w_out[k] = w[k] + step;
	oldw_out[k] = step;
}
