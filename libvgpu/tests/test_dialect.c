// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_dialect.c - one kernel source for every backend, on the CPU backend
 * (CI): the real-project-style corpus of tests/gpu/dialect.h compared with
 * plain C (the same file runs on CUDA in tests/gpu), then the contract of
 * each new call: name expressions, the compiler's signatures and the
 * refusals naming the parameter, module globals, the host headers, what
 * NVRTC refuses, and the buffer pool.
 */
#include "common.h"

#define DIALECT_OK(cond, ...) tap_ok(cond, __VA_ARGS__)
#include "../../tests/gpu/dialect.h"

#define KiB 1024ull
#define MiB (1024ull * 1024)

static vgpu_module *compile(vgpu_session *s, const char *src, const char *const *names, int n)
{
	struct vgpu_compile_opts o = { .size = sizeof(o), .names = names, .nr_names = (uint32_t)n };
	vgpu_module *m = NULL;
	int ret = vgpu_module_compile(s, src, 0, &o, &m);

	if (ret)
		tap_diag("compile: %s: %s", strerror(-ret), vgpu_last_error(s));
	return m;
}

static void names(vgpu_session *s)
{
	static const char src[] =
		"template <typename T, int N> __global__ void fill(T *p, T v) { p[threadIdx.x % N] = v; }\n"
		"__global__ void plain(int *p) { p[0] = 1; }\n"
		"namespace a { namespace b { __global__ void deep(int *p) { p[0] = 2; } } }\n";
	const char *const nm[] = { "fill<float, 4>", "fill<unsigned int,2>" };
	struct vgpu_compile_opts o = { .size = VGPU_COMPILE_OPTS_SIZE_VER0 };
	struct vgpu_kernel_info ki = { .size = sizeof(ki) };
	vgpu_module *m = compile(s, src, nm, 2), *m2 = NULL;
	vgpu_kernel *k = NULL, *k2 = NULL;
	int ret;

	tap_ok(m != NULL, "names: template + plain C++ + namespaced kernels compile");
	if (!m)
		return;
	tap_ok(vgpu_kernel_get(m, "plain", &k) == 0, "names: a C++ kernel by its plain name");
	tap_ok(vgpu_kernel_get(m, "a::b::deep", &k) == 0, "names: a kernel in nested namespaces by qualified name");
	tap_ok(vgpu_kernel_get(m, "fill<float,4>", &k) == 0 && vgpu_kernel_get(m, " fill < float , 4 > ", &k2) == 0 &&
	   k == k2, "names: whitespace in a name expression does not matter (one handle)");
	tap_ok(vgpu_kernel_get(m, "fill<unsigned int,2>", &k) == 0, "names: 'unsigned int' keeps its space");
	ret = vgpu_kernel_get(m, "fill<double,4>", &k);
	tap_ok(ret == -ENOENT && strstr(vgpu_last_error(s), "vgpu_compile_opts.names"),
	   "names: an instantiation not listed is ENOENT, the text says where to list it: %s",
	   vgpu_last_error(s));
	ret = vgpu_kernel_get(m, "fill", &k);
	tap_ok(ret == -ENOENT && strstr(vgpu_last_error(s), "template"),
	   "names: a template by its bare name is ENOENT and says it is a template");
	CHECK_ERR(vgpu_kernel_get(m, "nope", &k), -ENOENT, "names: unknown kernel ENOENT");
	CHECK_ERR(vgpu_kernel_get(m, "x;y", &k), -ENOENT, "names: ';' is no name expression");
	vgpu_kernel_get(m, "fill<unsigned int,2>", &k);
	ret = vgpu_kernel_info(k, &ki);
	tap_ok(ret == 0 && ki.sig_source == VGPU_SIG_COMPILER && ki.nr_params == 2 &&
	   ki.param_types[0] == VGPU_ARG_BUFFER && ki.param_types[1] == VGPU_ARG_U32 &&
	   ki.param_sizes[1] == 4, "names: the template's signature comes from the compiler (T = unsigned)");
	ki.size = VGPU_KERNEL_INFO_SIZE_VER0;
	ki.sig_source = 77;
	tap_ok(vgpu_kernel_info(k, &ki) == 0 && ki.nr_params == 2 && ki.sig_source == 77,
	   "names: kernel_info of the first version's size is accepted, fills only that");
	vgpu_module_unload(m);

	{
		const char *bad[] = { "ok", NULL };
		const char *many[65];

		for (int i = 0; i < 65; i++)
			many[i] = "plain";
		o.size = sizeof(o);
		o.names = bad;
		o.nr_names = 2;
		CHECK_ERR(vgpu_module_compile(s, src, 0, &o, &m2), -EINVAL, "names: a NULL name expression is EINVAL");
		bad[1] = "f{}";
		CHECK_ERR(vgpu_module_compile(s, src, 0, &o, &m2), -EINVAL, "names: braces in a name expression: EINVAL");
		tap_ok(strstr(vgpu_last_error(s), "name expression 2") != NULL, "names: ...the text names it: %s",
		   vgpu_last_error(s));
		o.names = many;
		o.nr_names = 65;
		CHECK_ERR(vgpu_module_compile(s, src, 0, &o, &m2), -EINVAL, "names: 65 name expressions: EINVAL");
		o.size = VGPU_COMPILE_OPTS_SIZE_VER0;
		tap_ok(vgpu_module_compile(s, src, 0, &o, &m2) == 0,
		   "names: compile options of the first version's size are accepted");
		vgpu_module_unload(m2);
		m2 = NULL;
		bad[1] = "fill<flaot,4>";
		o.size = sizeof(o);
		o.names = bad;
		o.nr_names = 2;
		CHECK_ERR(vgpu_module_compile(s, src, 0, &o, &m2), -ENOEXEC,
			  "names: a name expression naming no kernel is a compile error (as NVRTC)");
	}
}

static void params(vgpu_session *s)
{
	static const char src[] =
		"typedef unsigned int uint;\n"
		"struct S { float f; int i; };\n"
		"__global__ void __launch_bounds__(64) k(S s, uint n, short h, float2 v, bool b,\n"
		"                                      const float *__restrict__ p) {}\n"
		"extern \"C\" __global__ __launch_bounds__(64, 1) void c(long long x) {}\n";
	struct { float f; int i; } sv = { 1, 2 };
	float v2[2] = { 1, 2 };
	vgpu_module *m = compile(s, src, NULL, 0);
	struct vgpu_kernel_info ki = { .size = sizeof(ki) };
	struct vgpu_launch_cfg c = { .size = sizeof(c), .grid = { 1, 1, 1 }, .block = { 1, 1, 1 } };
	vgpu_buffer *b = NULL;
	vgpu_kernel *k = NULL;
	int ret;

	tap_ok(m != NULL && vgpu_kernel_get(m, "k", &k) == 0 && vgpu_buffer_alloc(s, 64, &b) == 0,
	   "params: __launch_bounds__ after void, typedefs, struct/vector/bool parameters compile");
	if (!m || !k || !b)
		goto out;
	ret = vgpu_kernel_info(k, &ki);
	tap_ok(ret == 0 && ki.sig_source == VGPU_SIG_COMPILER && ki.nr_params == 6 &&
	   ki.param_types[0] == VGPU_ARG_BYTES && ki.param_sizes[0] == 8 &&
	   ki.param_types[1] == VGPU_ARG_U32 && ki.param_types[2] == VGPU_ARG_I16 &&
	   ki.param_types[3] == VGPU_ARG_BYTES && ki.param_sizes[3] == 8 &&
	   ki.param_types[4] == VGPU_ARG_BOOL && ki.param_types[5] == VGPU_ARG_BUFFER,
	   "params: the compiler's types: struct, uint, short, float2, bool, restrict pointer");
	{
		struct vgpu_arg a[] = { vgpu_arg_bytes(&sv, sizeof(sv)), vgpu_arg_u32(1), vgpu_arg_i16(2),
					vgpu_arg_bytes(v2, sizeof(v2)), vgpu_arg_bool(1), vgpu_arg_buf(b) };

		tap_ok(vgpu_launch(k, &c, a, 6) == 0, "params: a launch with every kind passes the check");
		a[1] = vgpu_arg_i32(1);
		ret = vgpu_launch(k, &c, a, 6);
		tap_ok(ret == -EINVAL && strstr(vgpu_last_error(s), "parameter 2 (uint n)") &&
		   strstr(vgpu_last_error(s), "u32") && strstr(vgpu_last_error(s), "i32"),
		   "params: a wrong integer type names the parameter (1-based), its type and the argument: %s",
		   vgpu_last_error(s));
		a[1] = vgpu_arg_u32(1);
		a[0] = vgpu_arg_bytes(&sv, 4);
		ret = vgpu_launch(k, &c, a, 6);
		tap_ok(ret == -EINVAL && strstr(vgpu_last_error(s), "parameter 1 (S s)") &&
		   strstr(vgpu_last_error(s), "8 bytes"),
		   "params: a struct of the wrong size is refused with the size it takes: %s", vgpu_last_error(s));
		a[0] = vgpu_arg_bytes(NULL, 8);
		CHECK_ERR(vgpu_launch(k, &c, a, 6), -EINVAL, "params: vgpu_arg_bytes(NULL, ...) is EINVAL");
		a[0] = vgpu_arg_bytes(&sv, sizeof(sv));
		a[2] = vgpu_arg_u16(2);
		tap_ok(vgpu_launch(k, &c, a, 6) == -EINVAL && strstr(vgpu_last_error(s), "parameter 3 (short h)"),
		   "params: short takes i16, not u16: %s", vgpu_last_error(s));
		a[2] = vgpu_arg_i16(2);
		a[4] = vgpu_arg_u8(1);
		tap_ok(vgpu_launch(k, &c, a, 6) == -EINVAL && strstr(vgpu_last_error(s), "parameter 5 (bool b)"),
		   "params: bool takes vgpu_arg_bool: %s", vgpu_last_error(s));
		tap_ok(vgpu_launch(k, &c, a, 5) == -EINVAL && strstr(vgpu_last_error(s), "takes 6 arguments, 5"),
		   "params: a missing argument is refused: %s", vgpu_last_error(s));
	}
	tap_ok(vgpu_kernel_get(m, "c", &k) == 0 && vgpu_kernel_info(k, &ki) == 0 && ki.nr_params == 1 &&
	   ki.param_types[0] == VGPU_ARG_I64, "params: extern \"C\" with __launch_bounds__ before void");
out:
	vgpu_buffer_free(b);
	vgpu_module_unload(m);
}

static void globals(vgpu_session *s)
{
	static const char src[] =
		"__constant__ int lut[8];\n"
		"__device__ double acc = 1.5;\n"
		"extern \"C\" __global__ void use(int *o) { o[threadIdx.x] = lut[threadIdx.x] * 2; acc += 1; }\n";
	vgpu_module *m = compile(s, src, NULL, 0);
	int lut[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, o[8] = { 0 }, back[8] = { 0 };
	double acc = 0;
	size_t n = 0;
	int ret;
	vgpu_buffer *b = NULL;

	tap_ok(m != NULL, "globals: module with __constant__ and __device__ variables");
	if (!m)
		return;
	ret = vgpu_module_global(m, "lut", &n);
	tap_ok(ret == 0 && n == sizeof(lut), "globals: size of __constant__ lut (%zu)", n);
	ret = vgpu_module_global_read(m, "acc", 0, &acc, sizeof(acc));
	tap_ok(ret == 0 && acc == 1.5, "globals: a __device__ variable's initial value reads back (%g)", acc);
	tap_ok(vgpu_module_global_write(m, "lut", 0, lut, sizeof(lut)) == 0 &&
	   vgpu_module_global_read(m, "lut", 0, back, sizeof(back)) == 0 && !memcmp(lut, back, sizeof(lut)),
	   "globals: write then read back");
	if (vgpu_buffer_alloc(s, sizeof(o), &b) == 0) {
		struct vgpu_launch_cfg c = { .size = sizeof(c), .grid = { 1, 1, 1 }, .block = { 8, 1, 1 } };
		struct vgpu_arg a[] = { vgpu_arg_buf(b) };
		vgpu_kernel *k = NULL;
		int bad = vgpu_kernel_get(m, "use", &k) || vgpu_launch(k, &c, a, 1) ||
			  vgpu_buffer_read(b, 0, o, sizeof(o));

		for (int i = 0; !bad && i < 8; i++)
			bad += o[i] != 2 * lut[i];
		tap_ok(!bad, "globals: the kernel sees the __constant__ values the host wrote");
		vgpu_buffer_free(b);
	}
	tap_ok(vgpu_module_global_write(m, "lut", 4 * sizeof(int), lut, 4 * sizeof(int)) == 0,
	   "globals: a write ending exactly at the end is fine");
	CHECK_ERR(vgpu_module_global_write(m, "lut", 4 * sizeof(int) + 1, lut, 4 * sizeof(int)), -EINVAL,
		  "globals: one byte past the end is EINVAL");
	CHECK_ERR(vgpu_module_global_read(m, "lut", SIZE_MAX, back, 2), -EINVAL, "globals: a wrapping range is EINVAL");
	CHECK_ERR(vgpu_module_global_write(m, "lut", 0, NULL, 4), -EINVAL, "globals: NULL host pointer EINVAL");
	CHECK_ERR(vgpu_module_global_write(m, "lut", 0, lut, 0), -EINVAL, "globals: 0 bytes EINVAL");
	CHECK_ERR(vgpu_module_global(m, "nope", &n), -ENOENT, "globals: unknown variable ENOENT");
	tap_ok(strstr(vgpu_last_error(s), "nope") != NULL, "globals: ...the text names it: %s", vgpu_last_error(s));
	CHECK_ERR(vgpu_module_global(m, "use", &n), -ENOENT, "globals: a kernel is not a variable");
	CHECK_ERR(vgpu_module_global(NULL, "lut", &n), -EINVAL, "globals: NULL module EINVAL");
	vgpu_module_unload(m);
}

static void headers(vgpu_session *s)
{
	static const char *const hs[] = { "stdio.h", "cstdio", "assert.h", "cassert", "stdint.h", "cstdint",
					  "stddef.h", "cstddef", "limits.h", "climits", "float.h", "cfloat",
					  "math.h", "cmath", "cuda_runtime.h", "cuda_runtime_api.h", "cuda.h",
					  "device_launch_parameters.h" };
	char src[4096];
	size_t n = 0;
	vgpu_module *m = NULL;
	int ret;

	for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
		n += snprintf(src + n, sizeof(src) - n, "#include <%s>\n", hs[i]);
	snprintf(src + n, sizeof(src) - n,
		 "extern \"C\" __global__ void h(int64_t *o, cudaTextureObject_t t, size_t z)\n"
		 "{ assert(z > 0); o[0] = INT32_MAX + (int64_t)UINT8_MAX + (FLT_MAX > 0) + (long)t; "
		 "printf(\"%%d\\n\", (int)sqrtf(16.f)); }\n");
	ret = vgpu_module_compile(s, src, 0, NULL, &m);
	tap_ok(ret == 0, "headers: every host header device code may include compiles (%zu headers) %s",
	   sizeof(hs) / sizeof(hs[0]), ret ? vgpu_last_error(s) : "");
	vgpu_module_unload(m);
	m = NULL;
	ret = vgpu_module_compile(s, "extern \"C\" __global__ void f(float *p) { atomicMax(p, 1.0f); }", 0,
				  NULL, &m);
	tap_ok(ret == -ENOEXEC, "dialect: atomicMax(float *) is refused as NVRTC refuses it (%d)", ret);
	vgpu_module_unload(m);
	m = NULL;
	ret = vgpu_module_compile(s, "extern \"C\" __global__ void f(float *p) { atomicAdd(p, 1.0f); "
				     "atomicMax((int *)p, 1); }", 0, NULL, &m);
	tap_ok(ret == 0, "dialect: atomicAdd(float *) and atomicMax(int *) are fine");
	vgpu_module_unload(m);
}

static struct vgpu_ledger_usage usage(vgpu_session *s)
{
	struct vgpu_ledger_usage u = { .size = sizeof(u) };

	vgpu_ledger_usage(s, &u);
	return u;
}

static struct vgpu_pool_stats pstats(vgpu_session *s)
{
	struct vgpu_pool_stats p = { .size = sizeof(p) };

	vgpu_pool_stats(s, &p);
	return p;
}

static void pool(void)
{
	vgpu_session *s = t_session_limits("pool", 0, 4 * MiB, VGPU_UNLIMITED, VGPU_UNLIMITED);
	vgpu_buffer *a = NULL, *b = NULL, *c = NULL;
	struct vgpu_pool_stats p;
	uint64_t base;

	tap_ok(s != NULL, "pool: session with a 4 MiB limit");
	if (!s)
		return;
	base = usage(s).used[VGPU_LIB_RES_MEMORY];
	p = pstats(s);
	tap_ok(p.enabled == 1 && p.reserved_bytes == 0, "pool: on by default, empty");
	tap_ok(vgpu_buffer_alloc(s, 1000, &a) == 0, "pool: 1000 bytes");
	p = pstats(s);
	tap_ok(p.reserved_bytes == 1024 && p.in_use_bytes == 1024 && p.misses == 1 &&
	   usage(s).used[VGPU_LIB_RES_MEMORY] == base + 1024,
	   "pool: rounded to 512 bytes, the books charge the block (1024)");
	vgpu_buffer_free(a);
	p = pstats(s);
	tap_ok(p.idle_bytes == 1024 && p.in_use_bytes == 0 && usage(s).used[VGPU_LIB_RES_MEMORY] == base + 1024,
	   "pool: a freed buffer's block stays reserved and charged (the device still holds it)");
	tap_ok(vgpu_buffer_alloc(s, 1024, &a) == 0 && pstats(s).hits == 1 && pstats(s).idle_bytes == 0,
	   "pool: the next buffer of that size class is a hit");
	vgpu_buffer_free(a);
	tap_ok(vgpu_buffer_alloc(s, 900, &a) == 0 && pstats(s).hits == 2,
	   "pool: a request up to 1/8 smaller takes the idle block too");
	vgpu_buffer_free(a);
	tap_ok(vgpu_buffer_alloc(s, 512, &a) == 0 && pstats(s).hits == 2 && pstats(s).reserved_bytes == 1536,
	   "pool: a much smaller request does not (best fit within 1/8)");
	tap_ok(vgpu_pool_trim(s, 0) == 0 && pstats(s).idle_bytes == 0 &&
	   usage(s).used[VGPU_LIB_RES_MEMORY] == base + 512 && pstats(s).trimmed_bytes == 1024,
	   "pool: trim releases idle blocks and uncharges them; buffers in use stay");
	vgpu_buffer_free(a);
	a = NULL;
	/* the pool never refuses what an unpooled allocation would get */
	tap_ok(vgpu_buffer_alloc(s, 3 * MiB, &a) == 0, "pool: 3 MiB of the 4 MiB");
	vgpu_buffer_free(a);
	tap_ok(vgpu_buffer_alloc(s, 2 * MiB, &b) == 0 && pstats(s).reserved_bytes == 2 * MiB,
	   "pool: 2 MiB with 3 MiB idle: the refused charge released the idle block and retried");
	tap_ok(vgpu_buffer_alloc(s, 2 * MiB - base - 512 + 1, &c) == 0,
	   "pool: a request whose rounding alone passes the limit is charged at its exact size");
	vgpu_buffer_free(c);
	c = NULL;
	CHECK_ERR(vgpu_buffer_alloc(s, 2 * MiB - base + 1, &c), -EDQUOT,
		  "pool: one byte past the limit is still EDQUOT (after releasing the idle block)");
	tap_ok(usage(s).limit_hits[VGPU_LIB_RES_MEMORY] == 3, "pool: refusals counted by the ledger (%llu)",
	   (unsigned long long)usage(s).limit_hits[VGPU_LIB_RES_MEMORY]);
	vgpu_buffer_free(b);
	vgpu_session_close(s);

	{
		struct vgpu_session_opts o = { .size = sizeof(o), .backend = VGPU_BACKEND_CPU, .guest = "nopool",
					       .flags = VGPU_SESSION_NO_DEVICE_LEDGER | VGPU_SESSION_NO_POOL };

		tap_ok(vgpu_session_open(&s, &o) == 0, "pool: VGPU_SESSION_NO_POOL session");
		base = usage(s).used[VGPU_LIB_RES_MEMORY];
		vgpu_buffer_alloc(s, 1000, &a);
		tap_ok(usage(s).used[VGPU_LIB_RES_MEMORY] == base + 1000 && pstats(s).enabled == 0,
		   "pool: off: exact bytes charged, no pool");
		vgpu_buffer_free(a);
		tap_ok(usage(s).used[VGPU_LIB_RES_MEMORY] == base, "pool: off: free uncharges at once");
		vgpu_session_close(s);
		setenv("VGPU_POOL", "0", 1);
		o.flags = VGPU_SESSION_NO_DEVICE_LEDGER;
		tap_ok(vgpu_session_open(&s, &o) == 0 && pstats(s).enabled == 0, "pool: env VGPU_POOL=0 turns it off");
		unsetenv("VGPU_POOL");
		vgpu_session_close(s);
	}
	{
		/* two sessions of one guest share its books: a refusal in one
		 * releases the other's idle blocks */
		vgpu_session *s1 = t_session_limits("pool3", 0, 4 * MiB, VGPU_UNLIMITED, VGPU_UNLIMITED);
		vgpu_session *s2 = t_session_limits("pool3", 0, 4 * MiB, VGPU_UNLIMITED, VGPU_UNLIMITED);
		int r1 = -1, r2 = -1;

		if (s1 && s2) {
			r1 = vgpu_buffer_alloc(s1, 3 * MiB, &a);
			vgpu_buffer_free(a);
			r2 = vgpu_buffer_alloc(s2, 2 * MiB, &b);
		}
		tap_ok(s1 && s2 && r1 == 0 && r2 == 0 && pstats(s1).idle_bytes == 0 &&
		       usage(s2).used[VGPU_LIB_RES_MEMORY] == 2 * MiB,
		       "pool: a refusal in one session of a guest releases the idle blocks of its other sessions");
		vgpu_session_close(s1);
		if (r2 == 0)
			vgpu_buffer_free(b);
		vgpu_session_close(s2);
	}
	{
		struct vgpu_pool_stats bad = { .size = 4 };

		s = t_session("pool2", 0);
		CHECK_ERR(vgpu_pool_stats(s, &bad), -EINVAL, "pool: stats with a short size EINVAL");
		CHECK_ERR(vgpu_pool_stats(NULL, &bad), -EINVAL, "pool: stats of NULL session EINVAL");
		CHECK_ERR(vgpu_pool_trim(NULL, 0), -EINVAL, "pool: trim of NULL session EINVAL");
		vgpu_buffer_alloc(s, 4096, &a);
		vgpu_buffer_free(a);
		vgpu_session_close(s);	/* valgrind: the idle block is freed at close */
		tap_ok(1, "pool: close with an idle block");
	}
}

int main(void)
{
	vgpu_session *s = t_session("dialect", 0);

	tap_ok(s != NULL, "session on the CPU backend");
	if (!s)
		return tap_done();
	tap_ok(dialect_run(s, "cpu") == 0, "cpu dialect: the whole corpus matches plain C");
	names(s);
	params(s);
	globals(s);
	headers(s);
	vgpu_session_close(s);
	pool();
	return tap_done();
}
