// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the GPU backends share (src/gpu/), without a GPU: a made-up vendor
 * whose table (gpu.h) calls into host memory and counts, whose queries say
 * "not ready" a given number of times, and whose compiler records what it
 * was given. Built by libvgpu/Makefile with the sources of src/gpu and the core pieces
 * they use (hidden in libvgpu.so).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/tap.h"
#include "gpu/gpu.h"

enum { FAKE_OK = 0, FAKE_NOT_READY = 600, FAKE_OOM = 2, FAKE_BAD = 1, FAKE_NOT_FOUND = 500,
       FAKE_ALREADY = 712, FAKE_NOT_REG = 713, FAKE_FAULT = 700, FAKE_ODD = 999 };

static const struct vgpu_gpu_errno fake_errnos[] = {
	{ FAKE_OOM, -ENOMEM }, { FAKE_BAD, -EINVAL }, { FAKE_NOT_FOUND, -ENOENT }, { 0, 0 },
};

static const char *fake_errname(int status)
{
	return status == FAKE_OOM ? "FAKE_OOM" : "FAKE_OTHER";
}

static const char *fake_errstr(int status)
{
	(void)status;
	return "fake trouble";
}

/*
 * A made-up runtime: device memory is host memory, copies are memcpy(),
 * every call is counted, and `next` is the status the next failing call
 * returns (set by a test, then cleared).
 */
static struct {
	int next;		/* FAKE_OK, or the status of the next call */
	int calls, entered, staged, launches, waits, loads;
	void *last_stream;
} fk;

static int status(void)
{
	int r = fk.next;

	fk.next = FAKE_OK;
	fk.calls++;
	return r;
}

static int f_mem_get_info(size_t *f, size_t *t)
{
	*f = 1 << 20;
	*t = 2 << 20;
	return status();
}

static int f_mem_alloc(uint64_t *d, size_t n)
{
	int r = status();

	if (r == FAKE_OK)
		*d = (uintptr_t)malloc(n);
	return r;
}

static int f_mem_free(uint64_t d)
{
	free((void *)(uintptr_t)d);
	return status();
}

static int f_register(void *p, size_t n, unsigned int flags)
{
	(void)p, (void)n, (void)flags;
	return status();
}

static int f_unregister(void *p)
{
	(void)p;
	return status();
}

static int f_htod(uint64_t dst, const void *src, size_t n)
{
	memcpy((void *)(uintptr_t)dst, src, n);
	return status();
}

static int f_dtoh(void *dst, uint64_t src, size_t n)
{
	memcpy(dst, (void *)(uintptr_t)src, n);
	return status();
}

static int f_dtod(uint64_t dst, uint64_t src, size_t n)
{
	memcpy((void *)(uintptr_t)dst, (void *)(uintptr_t)src, n);
	return status();
}

static int f_htod_async(uint64_t dst, const void *src, size_t n, void *s)
{
	fk.last_stream = s;
	return f_htod(dst, src, n);
}

static int f_dtoh_async(void *dst, uint64_t src, size_t n, void *s)
{
	fk.last_stream = s;
	return f_dtoh(dst, src, n);
}

static int f_dtod_async(uint64_t dst, uint64_t src, size_t n, void *s)
{
	fk.last_stream = s;
	return f_dtod(dst, src, n);
}

static int f_create(void **obj, unsigned int flags)
{
	int r = status();

	(void)flags;
	if (r == FAKE_OK)
		*obj = malloc(1);
	return r;
}

static int f_destroy(void *obj)
{
	free(obj);
	return status();
}

static int f_sync(void *obj)
{
	(void)obj;
	fk.waits++;
	return status();
}

static int f_record(void *ev, void *s)
{
	(void)ev, (void)s;
	return status();
}

static int f_ctx_sync(void)
{
	fk.waits++;
	return status();
}

static int f_unload(void *m)
{
	(void)m;
	return status();
}

/* a module is a NULL-ended list of names; a function its name */
static int f_get_function(void **fn, void *m, const char *name)
{
	for (const char **n = m; *n; n++)
		if (!strcmp(*n, name)) {
			*fn = (void *)*n;
			return status();
		}
	status();
	return FAKE_NOT_FOUND;
}

static int f_get_global(uint64_t *d, size_t *bytes, void *m, const char *name)
{
	(void)d, (void)bytes, (void)m, (void)name;
	status();
	return FAKE_NOT_FOUND;
}

static int f_launch(void *fn, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
		    unsigned int by, unsigned int bz, unsigned int shared, void *s, void **args,
		    void **extra)
{
	(void)fn, (void)gx, (void)gy, (void)gz, (void)bx, (void)by, (void)bz, (void)shared;
	(void)args, (void)extra;
	fk.launches++;
	fk.last_stream = s;
	return status();
}

static struct vgpu_gpu_calls fake_call = {
	.mem_get_info = f_mem_get_info, .mem_alloc = f_mem_alloc, .mem_free = f_mem_free,
	.host_register = f_register, .host_unregister = f_unregister, .htod = f_htod,
	.dtoh = f_dtoh, .dtod = f_dtod, .htod_async = f_htod_async, .dtoh_async = f_dtoh_async,
	.dtod_async = f_dtod_async, .stream_create = f_create, .stream_destroy = f_destroy,
	.stream_sync = f_sync, .stream_query = f_sync, .event_create = f_create,
	.event_destroy = f_destroy, .event_record = f_record, .event_query = f_sync,
	.event_sync = NULL, .ctx_sync = f_ctx_sync, .module_unload = f_unload,
	.module_get_function = f_get_function, .module_get_global = f_get_global,
	.launch = f_launch,
};

static const struct vgpu_gpu_call_names fake_names = {
	.mem_get_info = "fakeMemGetInfo_v2", .mem_alloc = "fakeMalloc_v2", .mem_free = "fakeFree",
	.host_register = "fakeHostRegister", .host_unregister = "fakeHostUnregister",
	.htod = "fakeHtoD", .dtoh = "fakeDtoH", .dtod = "fakeDtoD", .htod_async = "fakeHtoDAsync",
	.dtoh_async = "fakeDtoHAsync", .dtod_async = "fakeDtoDAsync",
	.stream_create = "fakeStreamCreate", .stream_destroy = "fakeStreamDestroy",
	.stream_sync = "fakeStreamSynchronize", .stream_query = "fakeStreamQuery",
	.event_create = "fakeEventCreate", .event_destroy = "fakeEventDestroy",
	.event_record = "fakeEventRecord", .event_query = "fakeEventQuery",
	.ctx_sync = "fakeCtxSynchronize", .module_unload = "fakeModuleUnload",
	.module_get_function = "fakeModuleGetFunction", .module_get_global = "fakeModuleGetGlobal",
	.launch = "fakeLaunchKernel",
};

static const char *fake_kernels[] = { "_Z4vaddPf", "plain", NULL };

static int fake_enter(struct vgpu_gpu_ctx *g)
{
	(void)g;
	fk.entered++;
	return 0;
}

/* stages every synchronous copy it is offered */
static int fake_stage(struct vgpu_gpu_ctx *g, bool to_dev, void *host, uint64_t dev, size_t n,
		      int *ret)
{
	(void)g;
	fk.staged++;
	*ret = to_dev ? f_htod(dev, host, n) : f_dtoh(host, dev, n);
	return 1;
}

static int fake_load(struct vgpu_gpu_ctx *g, const void *image, size_t len, int format, void **mod)
{
	(void)g, (void)len, (void)format;
	fk.loads++;
	if (memcmp(image, "FAKE", 4)) {
		vgpu_bk_seterr("fake: not a fake image");
		return -EINVAL;
	}
	*mod = fake_kernels;
	return 0;
}

static const int fake_missing[] = { FAKE_NOT_FOUND, 0 };
static const int fake_faults[] = { FAKE_FAULT, 0 };

/* the compiler: records what it was given; "error" in the source fails */
static struct {
	char src[4096], opts[512], headers[256];
	int names;
} rc;

static const char *rtc_errstr(int r)
{
	return r == 1 ? "RTC_OOM" : "RTC_FAILED";
}

static int rtc_create(void **prog, const char *src, const char *name, int nh,
		      const char *const *hdrs, const char *const *hnames)
{
	(void)name;
	snprintf(rc.src, sizeof(rc.src), "%s", src);
	rc.headers[0] = 0;
	for (int i = 0; i < nh; i++)
		if (hdrs[i] && strlen(rc.headers) + strlen(hnames[i]) + 2 < sizeof(rc.headers))
			strcat(strcat(rc.headers, hnames[i]), " ");
	rc.names = 0;
	*prog = rc.src;
	return 0;
}

static int rtc_destroy(void **prog)
{
	*prog = NULL;
	return 0;
}

static int rtc_compile(void *prog, int n, const char *const *opts)
{
	rc.opts[0] = 0;
	for (int i = 0; i < n; i++)
		if (strlen(rc.opts) + strlen(opts[i]) + 2 < sizeof(rc.opts))
			strcat(strcat(rc.opts, opts[i]), " ");
	return strstr(prog, "error") ? 6 : 0;
}

static int rtc_log_size(void *prog, size_t *n)
{
	(void)prog;
	*n = 0;
	return 0;
}

static int rtc_log(void *prog, char *log)
{
	(void)prog, (void)log;
	return 0;
}

static int rtc_add_name(void *prog, const char *expr)
{
	(void)prog;
	rc.names++;
	return strchr(expr, '!') ? 3 : 0;
}

static int rtc_lowered(void *prog, const char *expr, const char **lowered)
{
	(void)prog;
	*lowered = !strcmp(expr, "vadd") ? "_Z4vaddPf" : expr;
	return 0;
}

static int rtc_code_size(void *prog, size_t *n)
{
	(void)prog;
	*n = 4;
	return 0;
}

static int rtc_code(void *prog, char *out)
{
	(void)prog;
	memcpy(out, "FAKE", 4);
	return 0;
}

static struct vgpu_gpu_rtc fake_rtc = {
	.call = { .error_string = rtc_errstr, .create = rtc_create, .destroy = rtc_destroy,
		  .compile = rtc_compile, .log_size = rtc_log_size, .log = rtc_log,
		  .add_name = rtc_add_name, .lowered_name = rtc_lowered },
	.label = "FAKERTC", .prefix = "fakertc", .major = 1, .minor = 2, .oom = 1,
};

static const struct vgpu_gpu_vendor fake = {
	.name = "fake", .ok = FAKE_OK, .not_ready = FAKE_NOT_READY,
	.already_registered = FAKE_ALREADY, .not_registered = FAKE_NOT_REG,
	.errnos = fake_errnos, .missing = fake_missing, .faults = fake_faults,
	.fault_text = "; the context is lost", .errname = fake_errname, .errstr = fake_errstr,
	.names = &fake_names, .call = &fake_call, .rtc = &fake_rtc, .enter = fake_enter,
	.stage = fake_stage, .module_load = fake_load,
};

static const char *errtext(void)
{
	return vgpu_bk_errtext();
}

struct work {
	int busy;		/* queries still answering "not ready" */
	int status;		/* then this */
	int queries, blocks;
};

static int query(void *obj)
{
	struct work *w = obj;

	w->queries++;
	return w->busy-- > 0 ? FAKE_NOT_READY : w->status;
}

static int block(void *obj)
{
	struct work *w = obj;

	w->blocks++;
	return w->status;
}

static int log_size(void *prog, size_t *n)
{
	*n = prog ? strlen(prog) : 0;
	return 0;
}

static int log_get(void *prog, char *log)
{
	memcpy(log, prog, strlen(prog));
	return 0;
}

static int log_fails(void *prog, char *log)
{
	(void)prog;
	(void)log;
	return 7;
}

/* the backend ops over the fake vendor's table (gpu/ops.c) */
static void test_ops(void)
{
	struct vgpu_gpu_ctx g = { 0 };
	char buf[16] = "", src[16] = "hello";
	uint64_t d = 0, f = 0, t = 0;
	void *s = NULL;
	int ret;

	vgpu_gpu_ctx_init(&g, &fake);
	tap_subtest("ops over a vendor table");
	ret = vgpu_gpu_mem_info(&g, &f, &t);
	tap_ok(ret == 0 && f == 1 << 20 && t == 2 << 20 && fk.entered == 1,
	       "mem_info: the context entered, the call's values");
	fk.next = FAKE_OOM;
	ret = vgpu_gpu_mem_alloc(&g, 64, &d);
	tap_ok(ret == -ENOMEM && !strcmp(errtext(), "fake: fakeMalloc: FAKE_OOM (fake trouble)"),
	       "a failed call: its errno, the call named without its _vN suffix (%s)", errtext());
	fk.next = FAKE_FAULT;
	ret = vgpu_gpu_mem_alloc(&g, 64, &d);
	tap_ok(ret == -EIO && strstr(errtext(), "(fake trouble); the context is lost"),
	       "an unlisted status is EIO; a fault says so (%s)", errtext());
	ret = vgpu_gpu_mem_alloc(&g, 64, &d);
	tap_ok(ret == 0 && d, "mem_alloc");
	ret = vgpu_gpu_memcpy_htod(&g, d, src, 6, NULL);
	tap_ok(ret == 0 && fk.staged == 1, "a synchronous copy of unregistered memory is staged");
	ret = vgpu_gpu_host_register(&g, buf, sizeof(buf));
	fk.next = FAKE_ALREADY;
	ret = ret ? ret : vgpu_gpu_host_register(&g, src, sizeof(src));
	tap_ok(ret == 0 && vgpu_gpu_is_registered(&g, buf + 2, 4) &&
	       !vgpu_gpu_is_registered(&g, buf + 8, 16),
	       "registered ranges (\"already registered\" is no failure)");
	ret = vgpu_gpu_memcpy_dtoh(&g, buf, d, 6, NULL);
	tap_ok(ret == 0 && fk.staged == 1 && !strcmp(buf, "hello"),
	       "registered memory is copied directly");
	fk.next = FAKE_NOT_REG;
	ret = vgpu_gpu_host_unregister(&g, buf);
	tap_ok(ret == 0 && !vgpu_gpu_is_registered(&g, buf, 4),
	       "unregistered (\"not registered\" is no failure)");
	ret = vgpu_gpu_stream_create(&g, &s);
	ret = ret ? ret : vgpu_gpu_memcpy_dtoh(&g, src, d, 6, s);
	tap_ok(ret == 0 && fk.last_stream == s && fk.staged == 1,
	       "an asynchronous copy goes on its stream, never staged");
	fk.waits = 0;
	ret = vgpu_gpu_memcpy_dtod(&g, d, d, 6, NULL);
	tap_ok(ret == 0 && fk.waits == 1, "a synchronous device copy waits for itself");
	fk.waits = 0;
	ret = vgpu_gpu_synchronize(&g, -1);
	tap_ok(ret == 0 && fk.waits == 1, "synchronize without a timeout: the blocking wait");
	fk.waits = 0;
	ret = vgpu_gpu_synchronize(&g, 1000000000);
	tap_ok(ret == 0 && fk.waits == 1, "synchronize under a deadline: an event, polled");
	fk.next = FAKE_BAD;
	ret = vgpu_gpu_stream_sync(&g, s, -1);
	tap_ok(ret == -EINVAL && strstr(errtext(), "fake: stream synchronize: FAKE_OTHER"),
	       "a failed wait names what waited (%s)", errtext());
	tap_ok(vgpu_gpu_stream_destroy(&g, s) == 0 && vgpu_gpu_mem_free(&g, d) == 0,
	       "stream_destroy, mem_free");
	vgpu_gpu_ctx_fini(&g);
	tap_end();
}

static void test_modules(void)
{
	struct vgpu_lowered low[1] = { { .expr = "vadd", .lowered = "_Z4vaddPf" } };
	struct vgpu_bk_launch l = { .grid = { 1, 1, 1 }, .block = { 1, 1, 1 }, .async = true };
	struct vgpu_gpu_ctx g = { 0 };
	void *blob = NULL, *mod = NULL, *fn = NULL;
	struct vgpu_kinfo ki;
	uint64_t d;
	size_t len = 0, sz;
	int ret;

	vgpu_gpu_ctx_init(&g, &fake);
	tap_subtest("modules");
	ret = vgpu_names_pack(low, 1, "FAKE", 4, &blob, &len);
	ret = ret ? ret : vgpu_gpu_module_load(&g, blob, len, VGPU_IMAGE_AUTO, &mod, NULL);
	tap_ok(ret == 0 && mod && fk.loads == 1, "an image with its name table");
	ret = vgpu_gpu_function_get(&g, mod, "vadd", &fn);
	tap_ok(ret == 0 && fn && !strcmp(fn, "_Z4vaddPf"), "a kernel by name expression: its lowered name");
	ret = vgpu_gpu_function_get(&g, mod, "plain", &fn);
	tap_ok(ret == 0 && fn && !strcmp(fn, "plain"), "a name not in the table: the symbol itself");
	ret = vgpu_gpu_function_get(&g, mod, "nope", &fn);
	tap_ok(ret == -ENOENT && strstr(errtext(), "fake: no kernel named 'nope' in the module"),
	       "no such kernel: ENOENT (%s)", errtext());
	ret = vgpu_gpu_function_sig(&g, mod, fn, "vadd", &ki);
	tap_ok(ret == -ENOENT, "no descriptor and no fallback: ENOENT");
	ret = vgpu_gpu_global_get(&g, mod, "x", &d, &sz);
	tap_ok(ret == -ENOENT && strstr(errtext(), "fake: no variable 'x' in the module"),
	       "no such variable: ENOENT (%s)", errtext());
	fk.waits = fk.launches = 0;
	ret = vgpu_gpu_launch(&g, fn, &l);
	tap_ok(ret == 0 && fk.launches == 1 && !fk.waits, "an asynchronous launch does not wait");
	l.async = false;
	ret = vgpu_gpu_launch(&g, fn, &l);
	tap_ok(ret == 0 && fk.launches == 2 && fk.waits == 1, "a synchronous one waits for its stream");
	vgpu_gpu_module_unload(&g, mod);
	ret = vgpu_gpu_module_load(&g, "XXXXXXXXXXXX", 12, VGPU_IMAGE_AUTO, &mod, NULL);
	tap_ok(ret == -EINVAL && fk.loads == 2, "the vendor refuses a foreign image");
	free(blob);
	vgpu_gpu_ctx_fini(&g);
	tap_end();
}

static void test_compile(void)
{
	const char *names[] = { "vadd" }, *opts[] = { "-DX=1" };
	struct vgpu_bk_source src = { .name = "k.cu", .src = "void k() {}", .len = 11, .options = opts,
				      .nr_options = 1, .names = names, .nr_names = 1 };
	struct vgpu_gpu_build b = {
		.prelude = "// vendor\n", .prelude_header = "fake_prelude.h", .opts = { "--arch=x" },
		.nopts = 1, .target = "--arch=x", .code_size = rtc_code_size, .code = rtc_code,
		.code_kind = "thing", .code_call = "fakertcGetThing",
	};
	struct vgpu_names t;
	const void *img = NULL;
	size_t len = 0, ilen = 0;
	void *blob = NULL;
	char *log = NULL;
	int ret;

	tap_subtest("runtime compilation");
	ret = vgpu_gpu_compile(&fake, &b, &src, &blob, &len, &log);
	tap_ok(ret == 0 && !strcmp(rc.opts, "--arch=x -DX=1 "),
	       "the vendor's options, then the source's (%s)", rc.opts);
	tap_ok(!strncmp(rc.headers, "fake_prelude.h ", 15), "the prelude is the first header (%s)",
	       rc.headers);
	tap_ok(!strncmp(rc.src, "void k() {}", 11) && strstr(rc.src, "__vgpu_sig_0") && rc.names == 1,
	       "the source, its descriptors after it, the name expression added");
	ret = blob ? vgpu_names_unpack(blob, len, &t, &img, &ilen) : -1;
	tap_ok(ret == 0 && t.n == 1 && !strcmp(t.lowered[0], "_Z4vaddPf") && ilen == 5 &&
	       !memcmp(img, "FAKE", 5), "the code, NUL-terminated, packed with its lowered names");
	if (!ret)
		vgpu_names_free(&t);
	free(blob);
	free(log);
	b.prelude_header = NULL;
	ret = vgpu_gpu_compile(&fake, &b, &src, &blob, &len, &log);
	tap_ok(ret == 0 && !strncmp(rc.src, "// vendor\n", 10) &&
	       strstr(rc.src, "#line 1 \"k.cu\"\nvoid k() {}"),
	       "no prelude header: the prelude in front, the source's lines keep their numbers");
	free(blob);
	free(log);
	src.src = "error";
	src.len = 5;
	ret = vgpu_gpu_compile(&fake, &b, &src, &blob, &len, &log);
	tap_ok(ret == -ENOEXEC && !blob && !strcmp(errtext(), "fake: FAKERTC 1.2 (--arch=x): RTC_FAILED") &&
	       log && !strcmp(log, "fakertc: RTC_FAILED\n"),
	       "a failed compile: ENOEXEC, the text, a log even when the compiler gave none (%s)",
	       errtext());
	free(log);
	names[0] = "bad!";
	ret = vgpu_gpu_compile(&fake, &b, &src, &blob, &len, &log);
	tap_ok(ret == -ENOEXEC && log && strstr(log, "name expression 'bad!'") &&
	       strstr(errtext(), "fake: fakertcAddNameExpression(bad!)"),
	       "a refused name expression (%s)", errtext());
	free(log);
	tap_end();
}

/* names to entries (gpu.c: vgpu_gpu_load_calls), against libc */
static void test_load_calls(void)
{
	struct vgpu_gpu_call_names n = { .mem_free = "free", .stream_destroy = "vgpu_no_such" };
	struct vgpu_gpu_calls c;
	const char *missing = NULL;
	void *libc = dlopen("libc.so.6", RTLD_NOW);

	memset(&c, 0xff, sizeof(c));
	tap_subtest("loading a vendor's table");
	if (!libc) {
		tap_skip("libc.so.6 does not load here", "loading");
		tap_end();
		return;
	}
	vgpu_gpu_load_calls(libc, &n, &c, &missing);
	tap_ok(c.mem_free && !c.mem_alloc && !c.launch, "named entries are loaded, the others NULL");
	tap_ok(missing && !strcmp(missing, "vgpu_no_such") && !c.stream_destroy,
	       "a symbol not there is said");
	dlclose(libc);
	tap_end();
}

int main(void)
{
	struct work w;
	uint64_t t0;
	char *log;
	int ret;

	tap_subtest("status to errno");
	tap_ok(vgpu_gpu_errno(fake_errnos, FAKE_OOM) == -ENOMEM, "a listed status");
	tap_ok(vgpu_gpu_errno(fake_errnos, FAKE_ODD) == -EIO, "an unlisted one is EIO");
	tap_end();

	tap_subtest("waiting");
	w = (struct work){ .busy = 5, .status = FAKE_OK };
	ret = vgpu_gpu_wait(&fake, query, block, &w, 1000000000, "stream");
	tap_ok(ret == 0 && w.queries == 6 && !w.blocks, "polls until done (%d queries)", w.queries);
	w = (struct work){ .busy = 0, .status = FAKE_OK };
	ret = vgpu_gpu_wait(&fake, query, block, &w, -1, "stream");
	tap_ok(ret == 0 && w.blocks == 1 && !w.queries, "no timeout: the blocking wait");
	w = (struct work){ .busy = 3, .status = FAKE_OK };
	ret = vgpu_gpu_wait(&fake, query, NULL, &w, -1, "event");
	tap_ok(ret == 0 && w.queries == 4, "no timeout, no blocking wait: polls");
	w = (struct work){ .busy = 1 << 30, .status = FAKE_OK };
	t0 = vgpu_now_ns();
	ret = vgpu_gpu_wait(&fake, query, block, &w, 20000000, "kernel");
	t0 = vgpu_now_ns() - t0;
	tap_ok(ret == -ETIME && t0 >= 20000000 && t0 < 2000000000 &&
	       strstr(errtext(), "fake: kernel: timed out"),
	       "the deadline: ETIME after %.1f ms (%s)", t0 / 1e6, errtext());
	w = (struct work){ .busy = 2, .status = FAKE_OOM };
	ret = vgpu_gpu_wait(&fake, query, block, &w, 1000000000, "copy");
	tap_ok(ret == -ENOMEM && !strcmp(errtext(), "fake: copy: FAKE_OOM (fake trouble)"),
	       "a failed status: its errno and the vendor's text (%s)", errtext());
	w = (struct work){ .status = FAKE_BAD };
	ret = vgpu_gpu_wait(&fake, query, block, &w, -1, "sync");
	tap_ok(ret == -EINVAL && w.blocks == 1, "a failed blocking wait");
	tap_end();

	tap_subtest("compiler log");
	log = vgpu_gpu_log("line 1: error", log_size, log_get);
	tap_ok(log && !strcmp(log, "line 1: error"), "the log, NUL-terminated");
	free(log);
	tap_ok(vgpu_gpu_log(NULL, log_size, log_get) == NULL, "an empty log is NULL");
	tap_ok(vgpu_gpu_log("x", log_size, log_fails) == NULL, "a failed read is NULL");
	tap_end();

	tap_subtest("loading");
	{
		const char *missing = NULL;
		static const char *const names[] = { "libvgpu-no-such.so.1", "libc.so.6", NULL };
		char path[64] = "";
		void *h = vgpu_gpu_open_first(names, path, sizeof(path));

		tap_ok(h && !strcmp(path, "libc.so.6"), "the first library that loads (%s)", path);
		tap_ok(h && vgpu_gpu_sym(h, "malloc", &missing) && !missing, "a symbol");
		tap_ok(h && !vgpu_gpu_sym(h, "vgpu_no_such", &missing) &&
		       !vgpu_gpu_sym(h, "vgpu_no_such_either", &missing) &&
		       missing && !strcmp(missing, "vgpu_no_such"), "the first missing name is kept");
	}
	tap_end();
	test_ops();
	test_modules();
	test_compile();
	test_load_calls();
	return tap_done();
}
