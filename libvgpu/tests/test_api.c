// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The API contract: each misuse gets its documented errno, with text; plus
 * devices, streams, pinned memory, images, statistics, the cache, timeouts.
 */
#include <unistd.h>

#include "common.h"

static const char good[] =
"extern \"C\" __global__ void fill(float *p, float v, int n)\n"
"{ int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) p[i] = v; }\n"
"extern \"C\" __global__ void spin(float *out, int iters)\n"
"{ float acc = 0.f; for (int i = 0; i < iters; i++) acc = acc * 0.999f + 1.f;\n"
"  out[blockIdx.x] = acc; }\n"
"struct pair { int a, b; };\n"
"extern \"C\" __global__ void odd(pair p, int *out) { out[0] = p.a + p.b; }\n";

static const char bad_src[] =
"extern \"C\" __global__ void broken(float *p)\n"
"{ p[0] = undeclared_identifier_xyz; }\n";

static int has(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

/* the kernel's THP mode: 1 always or madvise, 0 never, -1 none (no THP) */
static int thp_mode(void)
{
	char line[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	return strstr(line, "[never]") ? 0 : strchr(line, '[') ? 1 : -1;
}

/* the THPeligible field of the mapping holding @addr in /proc/self/smaps (-1: not found) */
static int vma_thp_eligible(unsigned long long addr)
{
	char line[512];
	int in = 0, r = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (r < 0 && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		int v;

		if (sscanf(line, "%llx-%llx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = addr >= lo && addr < hi;
		else if (in && sscanf(line, "THPeligible: %d", &v) == 1)
			r = v;
	}
	fclose(f);
	return r;
}

int main(void)
{
	struct vgpu_launch_cfg cfg = { .size = sizeof(cfg), .grid = { 4, 1, 1 }, .block = { 64, 1, 1 } };
	vgpu_session *s, *s2;
	vgpu_module *m = NULL, *m2 = NULL;
	vgpu_kernel *k = NULL, *k2;
	vgpu_buffer *b = NULL, *b2 = NULL, *ob = NULL;
	vgpu_stream *st = NULL;
	struct vgpu_device_props props = { .size = sizeof(props) };
	struct vgpu_kernel_info ki = { .size = sizeof(ki) };
	struct vgpu_stats stats = { .size = sizeof(stats) };
	float host[256], z[256];
	char text[65536];
	void *pin = NULL;
	long ilen;
	int ret;

	/* sessions */
	CHECK_ERR(vgpu_session_open(NULL, NULL), -EINVAL, "api: session_open(NULL) is EINVAL");
	{
		struct vgpu_session_opts o = { .size = 4 };

		CHECK_ERR(vgpu_session_open(&s, &o), -EINVAL, "api: options with a short size are EINVAL");
		o.size = sizeof(o);
		o.flags = 1u << 30;
		CHECK_ERR(vgpu_session_open(&s, &o), -EINVAL, "api: unknown session flags are EINVAL");
		o.flags = 0;
		o.guest = "a-guest-name-that-is-far-too-long-for-the-ledger";
		CHECK_ERR(vgpu_session_open(&s, &o), -EINVAL, "api: a guest name of 32+ bytes is EINVAL");
		o.guest = "x";
		o.backend = 77;
		CHECK_ERR(vgpu_session_open(&s, &o), -EINVAL, "api: unknown backend is EINVAL");
	}
	tap_ok(vgpu_session_close(NULL) == 0, "api: session_close(NULL) is a no-op");
	tap_ok(!strcmp(vgpu_backend_name(VGPU_BACKEND_CPU), "cpu") && !strcmp(vgpu_backend_name(99), "?"),
	       "api: backend names");
	tap_ok(!strcmp(vgpu_resource_name(VGPU_LIB_RES_MEMORY), "memory") &&
	       !strcmp(vgpu_resource_name(VGPU_LIB_RES_PINNED), "pinned") &&
	       !strcmp(vgpu_resource_name(VGPU_LIB_RES_CONTEXTS), "contexts") &&
	       !strcmp(vgpu_resource_name(VGPU_LIB_RES_NR), "?") && !strcmp(vgpu_resource_name(-1), "?"),
	       "api: resource names");
	tap_ok(vgpu_lib_version() == ((VGPU_LIB_VERSION_MAJOR << 16) | (VGPU_LIB_VERSION_MINOR << 8) |
				  VGPU_LIB_VERSION_PATCH), "api: library version");

	s = t_session("api", 0);
	s2 = t_session("api2", 0);
	tap_ok(s && s2, "api: two sessions open");
	if (!s || !s2)
		return tap_done();

	/* devices */
	tap_ok(vgpu_device_count(s) >= 1, "api: device count >= 1");
	ret = vgpu_device_props(s, 0, &props);
	tap_ok(ret == 0 && props.total_mem > 0 && props.multiprocessors >= 1 && props.name[0] &&
	       props.max_threads_per_block == 1024, "api: device props (%s, %u workers)", props.name,
	       props.multiprocessors);
	CHECK_ERR(vgpu_device_props(s, 99, &props), -ENOENT, "api: props of device 99 is ENOENT");
	CHECK_ERR(vgpu_device_count(NULL), -EINVAL, "api: NULL session is EINVAL");

	/* buffers */
	CHECK_ERR(vgpu_buffer_alloc(s, 0, &b), -EINVAL, "api: zero-size buffer is EINVAL");
	CHECK_ERR(vgpu_buffer_alloc(NULL, 16, &b), -EINVAL, "api: alloc on NULL session is EINVAL");
	CHECK_ERR(vgpu_buffer_alloc(s, 16, NULL), -EINVAL, "api: alloc with NULL out is EINVAL");
	ret = vgpu_buffer_alloc(s, sizeof(host), &b);
	tap_ok(ret == 0 && vgpu_buffer_on_host(b) == 1, "api: alloc 1 KiB (CPU: on host)");
	for (int i = 0; i < 256; i++)
		host[i] = (float)i;
	tap_ok(vgpu_buffer_write(b, 0, host, sizeof(host)) == 0 &&
	       vgpu_buffer_read(b, 512, z, 512) == 0 && z[0] == 128.f && z[127] == 255.f,
	       "api: write then read at an offset");
	CHECK_ERR(vgpu_buffer_write(b, 1, host, sizeof(host)), -EINVAL, "api: write one byte past the end is EINVAL");
	tap_ok(has(vgpu_last_error(s), "outside the buffer"), "api: ...and says so: %s", vgpu_last_error(s));
	CHECK_ERR(vgpu_buffer_read(b, sizeof(host) + 1, z, 0), -EINVAL, "api: zero-byte read is EINVAL");
	CHECK_ERR(vgpu_buffer_read(b, SIZE_MAX, z, 2), -EINVAL, "api: offset near SIZE_MAX (wrap) is EINVAL");
	CHECK_ERR(vgpu_buffer_read(b, 0, NULL, 4), -EINVAL, "api: NULL host pointer is EINVAL");
	CHECK_ERR(vgpu_buffer_read(NULL, 0, z, 4), -EINVAL, "api: NULL buffer is EINVAL");
	ret = vgpu_buffer_alloc(s, sizeof(host), &b2);
	tap_ok(ret == 0 && vgpu_buffer_copy(b2, 0, b, 512, 512) == 0 &&
	       vgpu_buffer_read(b2, 0, z, 4) == 0 && z[0] == 128.f, "api: device-to-device copy with offsets");
	CHECK_ERR(vgpu_buffer_copy(b2, 1024, b, 0, 1), -EINVAL, "api: copy past the destination is EINVAL");
	ret = vgpu_buffer_alloc(s2, 64, &ob);
	CHECK_ERR(vgpu_buffer_copy(b2, 0, ob, 0, 16), -EXDEV, "api: copy between two sessions is EXDEV");
	{
		size_t sz = 0;

		tap_ok(vgpu_buffer_size(b, &sz) == 0 && sz == sizeof(host), "api: buffer size");
	}
	tap_ok(vgpu_buffer_free(NULL) == 0, "api: buffer_free(NULL) is a no-op");

	/* streams */
	ret = vgpu_stream_create(s, &st);
	tap_ok(ret == 0, "api: stream create");
	tap_ok(vgpu_buffer_write_async(b2, 0, host, 64, st) == 0 &&
	       vgpu_buffer_read_async(b2, 0, z, 64, st) == 0 && vgpu_stream_sync(st, 1000) == 0 &&
	       z[15] == 15.f, "api: async write/read on a stream, sync with timeout");
	tap_ok(vgpu_session_sync(s, -1) == 0, "api: session sync");
	CHECK_ERR(vgpu_buffer_write_async(ob, 0, host, 4, st), -EINVAL,
		  "api: a stream of another session is EINVAL");

	/* pinned host memory */
	ret = vgpu_host_alloc(s, 10000, &pin);
	tap_ok(ret == 0 && pin && ((uintptr_t)pin & 4095) == 0, "api: pinned host buffer, page aligned");
	if (!ret) {
		memset(pin, 1, 10000);
		tap_ok(vgpu_buffer_write(b, 0, pin, 1024) == 0, "api: write from pinned memory");
		CHECK_ERR(vgpu_host_free(s, host), -EINVAL, "api: host_free of foreign memory is EINVAL");
		tap_ok(vgpu_host_free(s, pin) == 0, "api: host_free");
	}
	CHECK_ERR(vgpu_host_alloc(s, 0, &pin), -EINVAL, "api: zero-size pinned buffer is EINVAL");

	/* modules */
	CHECK_ERR(vgpu_module_compile(s, NULL, 0, NULL, &m), -EINVAL, "api: compile of NULL source is EINVAL");
	CHECK_ERR(vgpu_module_compile(s, "", 0, NULL, &m), -EINVAL, "api: compile of empty source is EINVAL");
	ret = vgpu_module_compile(s, bad_src, 0, NULL, &m);
	tap_ok(ret == -ENOEXEC && m == NULL, "api: compile error is ENOEXEC, no module");
	tap_ok(has(vgpu_last_error(s), "undeclared_identifier_xyz") && has(vgpu_last_error(s), "kernel.cu:2"),
	       "api: ...and the compiler log names the error and the source line");
	{
		const char *opt[] = { "-DVALUE=3", "--gpu-architecture=sm_90" };
		struct vgpu_compile_opts co = { .size = sizeof(co), .options = opt, .nr_options = 2,
						.name = "api.cu" };

		ret = vgpu_module_compile(s, good, 0, &co, &m);
		tap_ok(ret == 0, "api: compile with options (GPU-only options ignored on the CPU)");
		co.flags = 0x80;
		CHECK_ERR(vgpu_module_compile(s, good, 0, &co, &m2), -EINVAL, "api: unknown compile flags are EINVAL");
	}
	if (!m) {
		tap_diag("%s", vgpu_last_error(s));
		return tap_done();
	}
	tap_ok(vgpu_module_backend(m) == VGPU_BACKEND_CPU, "api: module backend");
	CHECK_ERR(vgpu_kernel_get(m, "nope", &k), -ENOENT, "api: unknown kernel name is ENOENT");
	tap_ok(has(vgpu_last_error(s), "nope"), "api: ...and the text names it");
	CHECK_ERR(vgpu_kernel_get(m, NULL, &k), -EINVAL, "api: NULL kernel name is EINVAL");
	ret = vgpu_kernel_get(m, "fill", &k);
	tap_ok(ret == 0 && vgpu_kernel_get(m, "fill", &k2) == 0 && k == k2, "api: kernel_get, same handle twice");
	ret = vgpu_kernel_info(k, &ki);
	tap_ok(ret == 0 && ki.nr_params == 3 && ki.param_types[0] == VGPU_ARG_BUFFER &&
	       ki.param_types[1] == VGPU_ARG_F32 && ki.param_types[2] == VGPU_ARG_I32 && !ki.uses_barrier,
	       "api: kernel_info from the parsed signature");

	/* launches */
	{
		struct vgpu_arg a[] = { vgpu_arg_buf(b), vgpu_arg_f32(7.f), vgpu_arg_i32(256) };
		struct vgpu_arg wrong[] = { vgpu_arg_buf(b), vgpu_arg_f64(7.0), vgpu_arg_i32(256) };
		struct vgpu_arg other[] = { vgpu_arg_buf(ob), vgpu_arg_f32(7.f), vgpu_arg_i32(256) };
		struct vgpu_arg off[] = { vgpu_arg_buf_off(b, 4096), vgpu_arg_f32(7.f), vgpu_arg_i32(1) };
		struct vgpu_launch_cfg big = cfg;

		tap_ok(vgpu_launch(k, &cfg, a, 3) == 0 && vgpu_buffer_read(b, 0, z, sizeof(z)) == 0 &&
		       z[0] == 7.f && z[255] == 7.f, "api: launch");
		CHECK_ERR(vgpu_launch(k, &cfg, a, 2), -EINVAL, "api: too few arguments is EINVAL");
		tap_ok(has(vgpu_last_error(s), "takes 3 arguments"), "api: ...text: %s", vgpu_last_error(s));
		CHECK_ERR(vgpu_launch(k, &cfg, wrong, 3), -EINVAL, "api: f64 for a float parameter is EINVAL");
		tap_ok(has(vgpu_last_error(s), "parameter 2 (float v) takes f32") &&
		       has(vgpu_last_error(s), "argument is f64"), "api: ...text (1-based, names the parameter): %s",
		       vgpu_last_error(s));
		CHECK_ERR(vgpu_launch(k, &cfg, other, 3), -EINVAL, "api: a buffer of another session is EINVAL");
		CHECK_ERR(vgpu_launch(k, &cfg, off, 3), -EINVAL, "api: buffer offset past its end is EINVAL");
		CHECK_ERR(vgpu_launch(k, NULL, a, 3), -EINVAL, "api: NULL launch config is EINVAL");
		CHECK_ERR(vgpu_launch(k, &cfg, NULL, 3), -EINVAL, "api: NULL arguments is EINVAL");
		CHECK_ERR(vgpu_launch(NULL, &cfg, a, 3), -EINVAL, "api: NULL kernel is EINVAL");
		big.block.x = 2048;
		CHECK_ERR(vgpu_launch(k, &big, a, 3), -EINVAL, "api: a block of 2048 threads is EINVAL");
		big = cfg;
		big.flags = 1u << 20;
		CHECK_ERR(vgpu_launch(k, &big, a, 3), -EINVAL, "api: unknown launch flags are EINVAL");
		big = cfg;
		big.stream = st;
		tap_ok(vgpu_launch(k, &big, a, 3) == 0 && vgpu_stream_sync(st, -1) == 0, "api: launch on a stream");
	}
	{
		vgpu_kernel *ko;
		struct vgpu_arg a[] = { vgpu_arg_i64(0), vgpu_arg_buf(b) };

		ret = vgpu_kernel_get(m, "odd", &ko);
		CHECK_ERR(ret ? ret : vgpu_launch(ko, &cfg, a, 2), -EINVAL,
			  "api: a struct parameter cannot be passed: EINVAL");
	}
	{
		vgpu_kernel *ks;
		vgpu_buffer *sb;
		struct vgpu_launch_cfg c = { .size = sizeof(c), .grid = { 2000, 1, 1 },
					     .block = { 1, 1, 1 }, .timeout_ms = 20 };
		int q = t_quick();

		ret = vgpu_kernel_get(m, "spin", &ks);
		ret = ret ? ret : vgpu_buffer_alloc(s, 2000 * 4, &sb);
		if (!ret) {
			struct vgpu_arg a[] = { vgpu_arg_buf(sb), vgpu_arg_i32(q ? 20000 : 200000) };

			CHECK_ERR(vgpu_launch(ks, &c, a, 2), -ETIME, "api: launch timeout is ETIME");
			vgpu_buffer_free(sb);
		} else {
			tap_ok(0, "api: launch timeout is ETIME (setup %d)", ret);
		}
	}

	/* images */
	ilen = vgpu_module_image(m, NULL, 0);
	tap_ok(ilen > 0, "api: module image size %ld", ilen);
	if (ilen > 0) {
		void *img = malloc((size_t)ilen);
		vgpu_kernel *kl;

		tap_ok(vgpu_module_image(m, img, (size_t)ilen) == ilen &&
		       vgpu_module_load(s, img, (size_t)ilen, VGPU_IMAGE_NATIVE, &m2) == 0 &&
		       vgpu_kernel_get(m2, "fill", &kl) == 0, "api: load a saved CPU image");
		if (m2) {
			struct vgpu_arg a[] = { vgpu_arg_buf(b), vgpu_arg_f32(9.f), vgpu_arg_i32(256) };

			CHECK_ERR(vgpu_launch(kl, &cfg, a, 2), -EINVAL, "api: image kernels are type-checked too");
			tap_ok(vgpu_launch(kl, &cfg, a, 3) == 0 && vgpu_buffer_read(b, 40, z, 4) == 0 &&
			       z[0] == 9.f, "api: launch from the loaded image");
			vgpu_module_unload(m2);
		}
		((char *)img)[0] ^= 0xff;
		CHECK_ERR(vgpu_module_load(s, img, (size_t)ilen, VGPU_IMAGE_AUTO, &m2), -ENOEXEC,
			  "api: a damaged image is ENOEXEC");
		CHECK_ERR(vgpu_module_load(s, img, (size_t)ilen, VGPU_IMAGE_PTX, &m2), -EINVAL,
			  "api: PTX on the CPU backend is EINVAL");
		CHECK_ERR(vgpu_module_load(s, img, 0, VGPU_IMAGE_AUTO, &m2), -EINVAL,
			  "api: an empty image is EINVAL");
		free(img);
	}

	/* cache: the same source again */
	{
		struct vgpu_stats before = { .size = sizeof(before) };
		vgpu_module *m3 = NULL;

		ret = vgpu_module_compile(s, good, 0, NULL, &m3);
		vgpu_module_unload(m3);
		vgpu_stats_get(s, &before);
		ret = ret ? ret : vgpu_module_compile(s, good, 0, NULL, &m3);
		vgpu_stats_get(s, &stats);
		if (stats.cache_hits + stats.cache_misses == 0)
			tap_skip("compile cache disabled", "api: recompile hits the cache");
		else
			tap_ok(ret == 0 && stats.cache_hits == before.cache_hits + 1,
			       "api: recompile hits the cache (%llu hits)", (unsigned long long)stats.cache_hits);
		vgpu_module_unload(m3);
		vgpu_cache_enable(s, 0);
		vgpu_stats_get(s, &before);
		ret = vgpu_module_compile(s, good, 0, NULL, &m3);
		vgpu_stats_get(s, &stats);
		tap_ok(ret == 0 && stats.cache_hits == before.cache_hits && stats.compiles == before.compiles + 1,
		       "api: cache_enable(0): compiles without the cache");
		vgpu_module_unload(m3);
		vgpu_cache_enable(s, 1);
	}

	/* statistics */
	tap_ok(vgpu_stats_get(s, &stats) == 0 && stats.launches >= 3 && stats.launches_cpu >= 3 &&
	       stats.compile_errors == 1 && stats.mem_used == 2 * sizeof(host) &&
	       stats.backend == VGPU_BACKEND_CPU, "api: statistics (%llu launches, %llu compiles)",
	       (unsigned long long)stats.launches, (unsigned long long)stats.compiles);
	vgpu_pool_trim(s, 0);	/* the books then hold the live buffers only */
	ret = vgpu_stats_prometheus(s, text, sizeof(text));
	tap_ok(ret > 0 && ret < (int)sizeof(text) &&
	       has(text, "# TYPE vgpu_lib_launches_total counter") &&
	       has(text, "vgpu_lib_launches_total{guest=\"api\",backend=\"cpu\"}") &&
	       has(text, "vgpu_lib_fallbacks_total{guest=\"api\",backend=\"cpu\",reason=\"quota\"} 0") &&
	       has(text, "# TYPE vgpu_lib_pool_reserved_bytes gauge") &&
	       has(text, "vgpu_lib_pool_idle_bytes{guest=\"api\",backend=\"cpu\"} 0") &&
	       has(text, "vgpu_lib_ledger_used{guest=\"api\",backend=\"cpu\",ledger=\"inprocess\",resource=\"memory\"} 2048"),
	       "api: Prometheus text");
	{
		char small[16];
		int n2 = vgpu_stats_prometheus(s, small, sizeof(small));

		tap_ok(n2 == ret && strlen(small) == sizeof(small) - 1,
		       "api: Prometheus into a small buffer truncates and returns the full length");
		tap_ok(vgpu_stats_prometheus(s, NULL, 0) == ret, "api: Prometheus length query");
	}
	CHECK_ERR(vgpu_fallback_text(s, 9, text, 10), -EINVAL, "api: fallback text of an unknown reason is EINVAL");

	/* CPU buffers of 2 MiB or more: aligned to 2 MiB, in huge pages where THP allows */
	{
		static const char addr_src[] =
			"extern \"C\" __global__ void addr(const char *p, unsigned long long *out)\n"
			"{ out[0] = (unsigned long long)p; }\n";
		struct vgpu_launch_cfg one = { .size = sizeof(one), .grid = { 1, 1, 1 }, .block = { 1, 1, 1 } };
		vgpu_module *am = NULL;
		vgpu_kernel *ak = NULL;
		vgpu_buffer *big = NULL, *out = NULL;
		unsigned long long at = 0;
		int thp = thp_mode();

		ret = vgpu_module_compile(s2, addr_src, 0, NULL, &am);
		if (!ret)
			ret = vgpu_kernel_get(am, "addr", &ak);
		if (!ret)
			ret = vgpu_buffer_alloc(s2, 6u << 20, &big);
		if (!ret)
			ret = vgpu_buffer_alloc(s2, 8, &out);
		if (!ret) {
			struct vgpu_arg a[2] = { vgpu_arg_buf(big), vgpu_arg_buf(out) };

			ret = vgpu_launch(ak, &one, a, 2);
		}
		if (!ret)
			ret = vgpu_buffer_read(out, 0, &at, sizeof(at));
		tap_ok(ret == 0 && at && at % (2u << 20) == 0, "api: a 6 MiB CPU buffer is 2 MiB aligned (%#llx)", at);
		if (thp < 0)
			tap_skip("no THP in this kernel", "api: a 6 MiB CPU buffer's pages may be huge");
		else if (thp == 0)
			tap_skip("THP is 'never' here", "api: a 6 MiB CPU buffer's pages may be huge");
		else
			tap_ok(at && vma_thp_eligible(at) == 1,
			       "api: a 6 MiB CPU buffer's pages may be huge (THPeligible in smaps)");
		vgpu_buffer_free(out);
		vgpu_buffer_free(big);
		vgpu_module_unload(am);
	}

	vgpu_stream_destroy(st);
	vgpu_buffer_free(b);
	vgpu_buffer_free(b2);
	/* module m and buffer ob are left to session_close */
	tap_ok(vgpu_session_close(s) == 0 && vgpu_session_close(s2) == 0,
	       "api: close sessions that still hold a module, a buffer");
	return tap_done();
}
