// European option pricing with the Black-Scholes formula, the classic
// embarrassingly parallel finance kernel: one option per thread in a
// grid-stride loop, prices, strikes and maturities in three arrays, call
// and put prices out. The cumulative normal distribution is the usual
// 5-term polynomial approximation (Abramowitz & Stegun 26.2.17).
__device__ inline float cnd(float d)
{
	const float a1 = 0.31938153f, a2 = -0.356563782f, a3 = 1.781477937f;
	const float a4 = -1.821255978f, a5 = 1.330274429f;
	const float rsqrt2pi = 0.39894228040143267794f;
	const float k = 1.0f / (1.0f + 0.2316419f * fabsf(d));
	float c = rsqrt2pi * expf(-0.5f * d * d) *
		  (k * (a1 + k * (a2 + k * (a3 + k * (a4 + k * a5)))));

	return d > 0.0f ? 1.0f - c : c;
}

__global__ void black_scholes(float *__restrict__ call, float *__restrict__ put,
			      const float *__restrict__ price, const float *__restrict__ strike,
			      const float *__restrict__ years, float riskfree, float volatility, int n)
{
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
		const float s = price[i], x = strike[i], t = years[i];
		const float sqrt_t = sqrtf(t);
		const float d1 = (logf(s / x) + (riskfree + 0.5f * volatility * volatility) * t) /
				 (volatility * sqrt_t);
		const float d2 = d1 - volatility * sqrt_t;
		const float cnd1 = cnd(d1), cnd2 = cnd(d2);
		const float disc = expf(-riskfree * t);

		call[i] = s * cnd1 - x * disc * cnd2;
		put[i] = x * disc * (1.0f - cnd2) - s * (1.0f - cnd1);
	}
}
