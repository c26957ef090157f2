// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A runtime compilation (NVRTC, hiprtc), the same for both vendors (gpu.h:
 * vgpu_gpu_compile): the source with its prelude and signature descriptors,
 * the in-memory headers, the options, the name expressions and their lowered
 * names, the code packed with its name table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "gpu/gpu.h"

enum { MAX_HEADERS = 64 };

char *vgpu_gpu_strdupf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* what one compilation holds */
struct job {
	const struct vgpu_gpu_vendor *v;
	const struct vgpu_gpu_rtc *rtc;
	const struct vgpu_gpu_build *b;
	const struct vgpu_bk_source *src;
	struct vgpu_sbuf pre, text;
	const char *hdrs[MAX_HEADERS], *hnames[MAX_HEADERS];
	int nh;
	const char **opts;
	int nopts;
	struct vgpu_lowered *low;
	void *prog;
};

/*
 * The prelude (the vendor's, then the descriptor machinery) as a header or
 * in front of the source, the host headers device code may include
 * (core/devsig.c), the source NUL-terminated with the descriptors after it.
 */
static int job_text(struct job *j)
{
	const char *name = j->src->name ? j->src->name : "kernel.cu";

	vgpu_sb_str(&j->pre, j->b->prelude);
	vgpu_sb_str(&j->pre, vgpu_devsig_prelude);
	if (j->pre.oom)
		return -ENOMEM;
	if (j->b->prelude_header) {
		j->hdrs[j->nh] = NULL;		/* set once pre is complete */
		j->hnames[j->nh++] = j->b->prelude_header;
	} else {
		vgpu_sb_add(&j->text, j->pre.p, j->pre.n);
		vgpu_sb_printf(&j->text, "#line 1 \"%s\"\n", name);
	}
	for (int i = 0; vgpu_devheaders[i].name && j->nh < MAX_HEADERS; i++) {
		j->hdrs[j->nh] = vgpu_devheaders[i].gpu;
		j->hnames[j->nh++] = vgpu_devheaders[i].name;
	}
	vgpu_sb_add(&j->text, j->src->src, j->src->len);
	vgpu_devsig_emit(&j->text, j->src->names, j->src->nr_names, "__device__", "");
	if (j->text.oom)
		return -ENOMEM;
	if (j->b->prelude_header)
		j->hdrs[0] = j->pre.p;
	return 0;
}

/* the vendor's options, then the source's */
static int job_opts(struct job *j)
{
	j->opts = calloc(j->src->nr_options + j->b->nopts + 1, sizeof(*j->opts));
	if (!j->opts)
		return -ENOMEM;
	for (int i = 0; i < j->b->nopts; i++)
		j->opts[j->nopts++] = j->b->opts[i];
	for (int i = 0; i < j->src->nr_options; i++)
		j->opts[j->nopts++] = j->src->options[i];
	return 0;
}

static const char *rtc_err(const struct job *j, int r)
{
	return j->rtc->call.error_string(r);
}

static int add_names(struct job *j, char **log)
{
	const struct vgpu_gpu_rtc *rtc = j->rtc;

	for (int i = 0; i < j->src->nr_names; i++) {
		const char *expr = j->src->names[i];
		int r = rtc->call.add_name(j->prog, expr);

		if (r) {
			vgpu_bk_seterr("%s: %sAddNameExpression(%s): %s", j->v->name, rtc->prefix, expr,
				       rtc_err(j, r));
			*log = vgpu_gpu_strdupf("name expression '%s': %s\n", expr, rtc_err(j, r));
			return -ENOEXEC;
		}
	}
	return 0;
}

static int run_compiler(struct job *j, char **log)
{
	const struct vgpu_gpu_rtc *rtc = j->rtc;
	int r = rtc->call.compile(j->prog, j->nopts, j->opts);

	*log = vgpu_gpu_log(j->prog, rtc->call.log_size, rtc->call.log);
	if (!r)
		return 0;
	vgpu_bk_seterr("%s: %s %d.%d (%s): %s", j->v->name, rtc->label, rtc->major, rtc->minor,
		       j->b->target, rtc_err(j, r));
	if (!*log || !**log) {
		free(*log);
		*log = vgpu_gpu_strdupf("%s: %s\n", rtc->prefix, rtc_err(j, r));
	}
	return r == rtc->oom ? -ENOMEM : -ENOEXEC;
}

static int lowered_names(struct job *j)
{
	const struct vgpu_gpu_rtc *rtc = j->rtc;

	for (int i = 0; i < j->src->nr_names; i++) {
		const char *expr = j->src->names[i];
		int r = rtc->call.lowered_name(j->prog, expr, &j->low[i].lowered);

		if (r || !j->low[i].lowered) {
			vgpu_bk_seterr("%s: %sGetLoweredName(%s): %s", j->v->name, rtc->prefix, expr,
				       rtc_err(j, r));
			return -ENOEXEC;
		}
		j->low[i].expr = expr;
	}
	return 0;
}

/* the code, NUL-terminated (PTX wants it), with the name table in front */
static int pack_code(struct job *j, void **blob, size_t *len)
{
	const struct vgpu_gpu_build *b = j->b;
	size_t n = 0;
	char *out;
	int r, ret;

	r = b->code_size(j->prog, &n);
	if (r || n == 0) {
		vgpu_bk_seterr("%s: %s produced no %s", j->v->name, j->rtc->label, b->code_kind);
		return -EIO;
	}
	out = malloc(n + 1);
	if (!out)
		return -ENOMEM;
	r = b->code(j->prog, out);
	if (r) {
		free(out);
		vgpu_bk_seterr("%s: %s: %s", j->v->name, b->code_call, rtc_err(j, r));
		return -EIO;
	}
	out[n] = 0;	/* PTX: n includes the NUL already; harmless */
	/* the name table travels with the image (cache, vgpu_module_image) */
	ret = vgpu_names_pack(j->low, j->src->nr_names, out, n + 1, blob, len);
	free(out);
	return ret;
}

static int build(struct job *j, void **blob, size_t *len, char **log)
{
	const struct vgpu_gpu_rtc *rtc = j->rtc;
	const char *name = j->src->name ? j->src->name : "kernel.cu";
	int r, ret;

	r = rtc->call.create(&j->prog, j->text.p, name, j->nh, j->hdrs, j->hnames);
	if (r) {
		vgpu_bk_seterr("%s: %sCreateProgram: %s", j->v->name, rtc->prefix, rtc_err(j, r));
		return r == rtc->oom ? -ENOMEM : -EIO;
	}
	ret = add_names(j, log);
	if (!ret)
		ret = run_compiler(j, log);
	if (!ret)
		ret = lowered_names(j);
	if (!ret)
		ret = pack_code(j, blob, len);
	rtc->call.destroy(&j->prog);
	return ret;
}

int vgpu_gpu_compile(const struct vgpu_gpu_vendor *v, const struct vgpu_gpu_build *b,
		     const struct vgpu_bk_source *src, void **blob, size_t *len, char **log)
{
	struct job j = { .v = v, .rtc = v->rtc, .b = b, .src = src };
	int ret;

	*blob = NULL;
	*len = 0;
	*log = NULL;
	j.low = calloc(src->nr_names + 1, sizeof(*j.low));
	ret = j.low ? job_opts(&j) : -ENOMEM;
	if (!ret)
		ret = job_text(&j);
	if (!ret)
		ret = build(&j, blob, len, log);
	free(j.pre.p);
	free(j.text.p);
	free(j.low);
	free(j.opts);
	return ret;
}
