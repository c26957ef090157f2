// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgpu core: modules (compile through the cache, load images, CPU copies
 * for fallback) and kernels.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "core/internal.h"

/* ---- modules ---------------------------------------------------------------- */

/* the cache key of m's source compiled for @bk */
static void module_key(vgpu_module *m, struct vgpu_bk *bk, uint8_t key[32])
{
	char target[4096];
	const char *parts[4 + 64 + 1 + VGPU_MAX_NAMES];
	size_t lens[4 + 64 + 1 + VGPU_MAX_NAMES];
	int np = 0;

	target[0] = 0;
	bk->ops->target_id(bk->ctx, target, sizeof(target));
	parts[np++] = "libvgpu-cache-2";
	parts[np++] = bk->ops->name;
	parts[np++] = target;
	for (int i = 0; i < m->nr_options && np < 4 + 63; i++)
		parts[np++] = m->options[i];
	parts[np++] = "names:";		/* the name expressions compiled for */
	for (int i = 0; i < m->nr_names; i++)
		parts[np++] = m->names[i];
	for (int i = 0; i < np; i++)
		lens[i] = strlen(parts[i]);
	parts[np] = m->src;
	lens[np++] = m->srclen;
	vgpu_cache_key(key, parts, lens, np);
}

/* the cached image of @key loaded into *@bkmod: 0, else not (a miss) */
static int module_cached(vgpu_session *s, struct vgpu_bk *bk, const uint8_t key[32], void **bkmod,
			 struct vgpu_ksig **imgsig, void **image, size_t *image_len)
{
	void *blob = NULL;
	size_t blen = 0;

	if (!vgpu_cache_get(s->cache, key, &blob, &blen)) {
		vgpu_bk_clearerr();
		if (!bk->ops->module_load(bk->ctx, blob, blen, VGPU_IMAGE_AUTO, bkmod, imgsig)) {
			s->st.cache_hits++;
			*image = blob;
			*image_len = blen;
			return 0;
		}
		free(blob);	/* unusable: compile again, replace it */
	}
	s->st.cache_misses++;
	return -ENOENT;
}

/* m's source compiled by @bk into *@blob; the errno as vgpu_module_build says */
static int module_compile_image(vgpu_session *s, vgpu_module *m, struct vgpu_bk *bk, void **blob,
				size_t *blen)
{
	struct vgpu_bk_source src = {
		.name = m->name, .src = m->src, .len = m->srclen,
		.options = (const char *const *)m->options, .nr_options = m->nr_options,
		.sig = &m->sig,
		.names = (const char *const *)m->names, .nr_names = m->nr_names,
	};
	uint64_t t0 = vgpu_now_ns();
	char *log = NULL;
	int ret;

	vgpu_bk_clearerr();
	ret = bk->ops->compile(bk->ctx, &src, blob, blen, &log);
	s->st.compile_ns += vgpu_now_ns() - t0;
	if (ret)
		vgpu_seterr(s, ret == -ENODEV ? -ENODEV : -ENOEXEC, "%s: compile of %s failed: %s\n%s",
			    bk->ops->name, m->name ? m->name : "source", vgpu_bk_err(bk), log ? log : "");
	free(log);
	return !ret || ret == -ENODEV || ret == -ENOMEM ? ret : -ENOEXEC;
}

/* Compile (or fetch from the cache) m's source for @bk and load it. */
int vgpu_module_build(vgpu_session *s, vgpu_module *m, struct vgpu_bk *bk, bool use_cache,
		      void **bkmod, struct vgpu_ksig **imgsig, void **image, size_t *image_len)
{
	uint8_t key[32];
	void *blob = NULL;
	size_t blen = 0;
	int ret;

	*bkmod = NULL;
	*imgsig = NULL;
	use_cache = use_cache && s->cache_on && s->cache;
	if (use_cache) {
		module_key(m, bk, key);
		if (!module_cached(s, bk, key, bkmod, imgsig, image, image_len))
			return 0;
	}
	ret = module_compile_image(s, m, bk, &blob, &blen);
	if (ret)
		return ret;
	if (use_cache)
		vgpu_cache_put(s->cache, key, blob, blen);
	vgpu_bk_clearerr();
	ret = bk->ops->module_load(bk->ctx, blob, blen, VGPU_IMAGE_AUTO, bkmod, imgsig);
	if (ret) {
		vgpu_seterr(s, ret, "%s: load of the compiled image failed: %s", bk->ops->name,
			    vgpu_bk_err(bk));
		free(blob);
		return ret;
	}
	*image = blob;
	*image_len = blen;
	return 0;
}

static vgpu_module *module_new(vgpu_session *s)
{
	vgpu_module *m = calloc(1, sizeof(*m));

	if (m) {
		m->magic = VGPU_MAGIC_MODULE;
		m->sess = s;
		vgpu_list_init(&m->node);
	}
	return m;
}

static void module_free(vgpu_module *m)
{
	vgpu_session *s = m->sess;

	while (m->kernels) {
		vgpu_kernel *k = m->kernels;

		m->kernels = k->next;
		k->magic = 0;
		free(k);
	}
	if (m->bkmod)
		m->bk->ops->module_unload(m->bk->ctx, m->bkmod);
	if (m->cpumod)
		vgpu_cpu_bk(s)->ops->module_unload(vgpu_cpu_bk(s)->ctx, m->cpumod);
	vgpu_ksig_free(&m->sig);
	if (m->imgsig) {
		vgpu_ksig_free(m->imgsig);
		free(m->imgsig);
	}
	if (m->cpusig) {
		vgpu_ksig_free(m->cpusig);
		free(m->cpusig);
	}
	for (int i = 0; i < m->nr_options; i++)
		free(m->options[i]);
	free(m->options);
	for (int i = 0; i < m->nr_names; i++)
		free(m->names[i]);
	free(m->names);
	for (int i = 0; i < m->nr_gnames; i++)
		free(m->gnames[i]);
	free(m->gnames);
	free(m->src);
	free(m->name);
	free(m->image);
	m->magic = 0;
	free(m);
}

static bool has_name(vgpu_module *m, const char *c)
{
	for (int i = 0; i < m->nr_names; i++)
		if (!strcmp(m->names[i], c))
			return true;
	return false;
}

/*
 * The name expressions to compile for: the caller's, then every kernel of the
 * source that is defined, not a template and not overloaded, by its
 * namespace-qualified name (a plain C++ kernel is then found as "vadd").
 */
static int module_names(vgpu_module *m, const char *const *names, uint32_t n)
{
	char c[VGPU_KNAME_MAX];

	m->names = calloc(n + m->sig.nkernels + 1, sizeof(char *));
	if (!m->names)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		if (vgpu_name_canon(names[i], c, sizeof(c)) || has_name(m, c))
			continue;
		if (!(m->names[m->nr_names] = strdup(c)))
			return -ENOMEM;
		m->nr_names++;
	}
	m->nr_user_names = m->nr_names;
	for (int k = 0; k < m->sig.nkernels; k++) {
		const struct vgpu_kinfo *ki = &m->sig.kernels[k];
		int sites = 0;

		for (int i = 0; i < m->sig.nsites; i++)
			sites += m->sig.sites[i].kernel == k;
		if (!ki->has_body || ki->is_template || sites > 1 || m->nr_names >= VGPU_MAX_NAMES ||
		    vgpu_name_canon(ki->qual[0] ? ki->qual : ki->name, c, sizeof(c)) || has_name(m, c))
			continue;
		if (!(m->names[m->nr_names] = strdup(c)))
			return -ENOMEM;
		m->nr_names++;
	}
	return 0;
}

/* the caller's compile options checked, into @o (zeroes: none) */
static int compile_opts(vgpu_session *s, const struct vgpu_compile_opts *opts,
			struct vgpu_compile_opts *o)
{
	char c[VGPU_KNAME_MAX];

	memset(o, 0, sizeof(*o));
	if (!opts)
		return 0;
	if (opts->size < VGPU_COMPILE_OPTS_SIZE_VER0)
		return vgpu_seterr(s, -EINVAL, "compile options: size %u too small", opts->size);
	memcpy(o, opts, opts->size < sizeof(*o) ? opts->size : sizeof(*o));
	if (o->flags & ~VGPU_COMPILE_NO_CACHE)
		return vgpu_seterr(s, -EINVAL, "compile options: unknown flags %#x", o->flags);
	if (o->nr_options > 64 || (o->nr_options && !o->options))
		return vgpu_seterr(s, -EINVAL, "compile options: bad option list");
	for (uint32_t i = 0; i < o->nr_options; i++)
		if (!o->options[i])
			return vgpu_seterr(s, -EINVAL, "compile option %u is NULL", i);
	if (o->nr_names > VGPU_MAX_NAMES || (o->nr_names && !o->names))
		return vgpu_seterr(s, -EINVAL, "compile options: %u name expressions (at most %d)",
				   o->nr_names, VGPU_MAX_NAMES);
	for (uint32_t i = 0; i < o->nr_names; i++)
		if (!o->names[i] || vgpu_name_canon(o->names[i], c, sizeof(c)))
			return vgpu_seterr(s, -EINVAL, "name expression %u %s%.140s%s: not a "
					   "kernel name (at most %d bytes)", i + 1,
					   o->names[i] ? "'" : "", o->names[i] ? o->names[i] : "is NULL",
					   o->names[i] ? "'" : "", VGPU_KNAME_MAX - 1);
	return 0;
}

/* a module of @src (len bytes), its options copied, the source parsed, its names */
static int module_of_source(vgpu_session *s, const char *src, size_t len,
			    const struct vgpu_compile_opts *o, vgpu_module **out)
{
	vgpu_module *m = module_new(s);
	int ret = -ENOMEM;

	if (!m)
		return -ENOMEM;
	m->src = malloc(len + 1);
	m->options = calloc(o->nr_options + 1, sizeof(char *));
	m->name = strdup(o->name ? o->name : "kernel.cu");
	if (!m->src || !m->options || !m->name)
		goto fail;
	memcpy(m->src, src, len);
	m->src[len] = 0;
	m->srclen = len;
	for (uint32_t i = 0; i < o->nr_options; i++) {
		m->options[i] = strdup(o->options[i]);
		if (!m->options[i])
			goto fail;
		m->nr_options++;
	}
	ret = vgpu_parse_source(m->src, m->srclen, &m->sig);
	if (ret) {
		vgpu_seterr(s, ret, "cannot parse the source (unbalanced brackets?)");
		goto fail;
	}
	ret = module_names(m, o->names, o->nr_names);
	if (ret)
		goto fail;
	*out = m;
	return 0;
fail:
	module_free(m);
	return ret;
}

/*
 * Build @m on the session's backend; again with the caller's names only when
 * the scan's names do not compile; on the CPU when the session falls back.
 * Called with s->lock held.
 */
static int module_build_any(vgpu_session *s, vgpu_module *m, bool use_cache)
{
	int ret;

	s->st.compiles++;
	m->bk = &s->gpu;
	ret = vgpu_module_build(s, m, m->bk, use_cache, &m->bkmod, &m->imgsig, &m->image,
				&m->image_len);
	if (ret == -ENOEXEC && m->nr_names > m->nr_user_names) {
		/*
		 * The scan of the source does not run the preprocessor: a kernel
		 * it registered may be #if'd out. Compile again with the caller's
		 * names only (extern "C" kernels are found without), as before
		 * name expressions existed.
		 */
		while (m->nr_names > m->nr_user_names)
			free(m->names[--m->nr_names]);
		ret = vgpu_module_build(s, m, m->bk, use_cache, &m->bkmod, &m->imgsig, &m->image,
					&m->image_len);
	}
	if (ret && !s->primary_is_cpu && (s->fallback & VGPU_FALLBACK_COMPILE)) {
		struct vgpu_bk *cpu = vgpu_cpu_bk(s);

		vgpu_count_fallback(s, VGPU_FB_COMPILE, "%.200s", s->err);
		if (cpu) {
			m->bk = cpu;
			ret = vgpu_module_build(s, m, cpu, use_cache, &m->bkmod, &m->imgsig, &m->image,
						&m->image_len);
		}
	}
	if (ret)
		s->st.compile_errors++;
	return ret;
}

/* @m into the session's modules, or freed if @ret failed; s->lock held, released */
static int module_publish(vgpu_session *s, vgpu_module *m, int ret, vgpu_module **out)
{
	if (ret) {
		pthread_mutex_unlock(&s->lock);
		module_free(m);
		return ret;
	}
	vgpu_list_add(&s->modules, &m->node);
	pthread_mutex_unlock(&s->lock);
	*out = m;
	return 0;
}

VGPU_EXPORT int vgpu_module_compile(vgpu_session *s, const char *src, size_t len,
				    const struct vgpu_compile_opts *opts, vgpu_module **out)
{
	struct vgpu_compile_opts o;
	vgpu_module *m;
	int ret;

	CHECK_SESSION(s);
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!src)
		return vgpu_seterr(s, -EINVAL, "NULL source");
	ret = compile_opts(s, opts, &o);
	if (ret)
		return ret;
	if (!len)
		len = strlen(src);
	if (!len)
		return vgpu_seterr(s, -EINVAL, "empty source");
	ret = module_of_source(s, src, len, &o, &m);
	if (ret)
		return ret;
	pthread_mutex_lock(&s->lock);
	ret = module_build_any(s, m, !(o.flags & VGPU_COMPILE_NO_CACHE));
	return module_publish(s, m, ret, out);
}

VGPU_EXPORT int vgpu_module_load(vgpu_session *s, const void *image, size_t len, int format,
				 vgpu_module **out)
{
	vgpu_module *m;
	int ret;

	CHECK_SESSION(s);
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!image || !len)
		return vgpu_seterr(s, -EINVAL, "empty image");
	if (format < VGPU_IMAGE_AUTO || format > VGPU_IMAGE_NATIVE)
		return vgpu_seterr(s, -EINVAL, "unknown image format %d", format);
	m = module_new(s);
	if (!m)
		return -ENOMEM;
	m->image = malloc(len);
	if (!m->image) {
		free(m);
		return -ENOMEM;
	}
	memcpy(m->image, image, len);
	m->image_len = len;
	pthread_mutex_lock(&s->lock);
	m->bk = &s->gpu;
	vgpu_bk_clearerr();
	ret = m->bk->ops->module_load(m->bk->ctx, image, len, format, &m->bkmod, &m->imgsig);
	if (ret) {
		vgpu_seterr(s, ret == -EINVAL ? -EINVAL : -ENOEXEC, "%s: image refused: %s",
			    m->bk->ops->name, vgpu_bk_err(m->bk));
		ret = ret == -EINVAL ? -EINVAL : -ENOEXEC;
	}
	return module_publish(s, m, ret, out);
}

VGPU_EXPORT long vgpu_module_image(vgpu_module *m, void *buf, size_t len)
{
	if (!m || m->magic != VGPU_MAGIC_MODULE)
		return -EINVAL;
	if (buf && len >= m->image_len)
		memcpy(buf, m->image, m->image_len);
	return (long)m->image_len;
}

int vgpu_module_unload_locked(vgpu_module *m)
{
	vgpu_list_del(&m->node);
	module_free(m);
	return 0;
}

VGPU_EXPORT int vgpu_module_unload(vgpu_module *m)
{
	vgpu_session *s;

	if (!m)
		return 0;
	if (m->magic != VGPU_MAGIC_MODULE)
		return -EINVAL;
	s = m->sess;
	pthread_mutex_lock(&s->lock);
	vgpu_module_unload_locked(m);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

VGPU_EXPORT int vgpu_module_backend(vgpu_module *m)
{
	if (!m || m->magic != VGPU_MAGIC_MODULE)
		return -EINVAL;
	return m->bk->ops->kind;
}

/* The parse's entry for a name expression: "ns::k<...>" -> the kernel "k". */
static const struct vgpu_kinfo *parsed(const struct vgpu_ksig *sig, const char *expr)
{
	size_t lt = strcspn(expr, "<"), id = lt;
	char base[VGPU_KNAME_MAX];

	while (id > 0 && (isalnum((unsigned char)expr[id - 1]) || expr[id - 1] == '_'))
		id--;
	if (lt - id >= sizeof(base))
		return NULL;
	memcpy(base, expr + id, lt - id);
	base[lt - id] = 0;
	return vgpu_ksig_find(sig, base);
}

/*
 * @k's signature: the compiler's (the descriptor the backend compiled in),
 * else the driver's sizes (a foreign image), else the source's parse for a
 * plain kernel (types as written), else nothing.
 */
static void kernel_sig(vgpu_module *m, vgpu_kernel *k)
{
	const struct vgpu_kinfo *p = parsed(&m->sig, k->name), *img = NULL;
	int r = -ENOENT;

	memset(&k->sig, 0, sizeof(k->sig));
	k->sig.nparams = -1;
	k->info = NULL;
	k->sig_source = VGPU_SIG_NONE;
	if (m->bk->ops->function_sig) {
		vgpu_bk_clearerr();
		r = m->bk->ops->function_sig(m->bk->ctx, m->bkmod, k->fn, k->name, &k->sig);
	}
	if (r == 0 || r == 1) {
		k->sig_source = r == 0 ? VGPU_SIG_COMPILER : VGPU_SIG_SIZES;
	} else {
		if (!strchr(k->name, '<'))	/* a CPU image of an older libvgpu carries the parse */
			img = vgpu_ksig_find(m->imgsig, k->name);
		if (!img && p && !p->is_template && !strchr(k->name, '<'))
			img = p;
		if (!img || img->nparams < 0)
			return;
		memcpy(k->sig.params, img->params, sizeof(k->sig.params));
		k->sig.nparams = img->nparams;
		k->sig_source = VGPU_SIG_SOURCE;
	}
	snprintf(k->sig.name, sizeof(k->sig.name), "%s", k->name);
	k->sig.uses_barrier = p ? p->uses_barrier : img ? img->uses_barrier : false;
	k->info = &k->sig;
}

VGPU_EXPORT int vgpu_kernel_get(vgpu_module *m, const char *name, vgpu_kernel **out)
{
	char c[VGPU_KNAME_MAX];
	const struct vgpu_kinfo *p;
	vgpu_session *s;
	vgpu_kernel *k;
	int ret;

	if (!m || m->magic != VGPU_MAGIC_MODULE || !out)
		return -EINVAL;
	s = m->sess;
	*out = NULL;
	if (!name || !*name)
		return vgpu_seterr(s, -EINVAL, "empty kernel name");
	if (vgpu_name_canon(name, c, sizeof(c)))
		return vgpu_seterr(s, -ENOENT, "no kernel named '%.64s%s' (not a name expression of "
				   "at most %d bytes)", name, strlen(name) > 64 ? "..." : "",
				   VGPU_KNAME_MAX - 1);
	pthread_mutex_lock(&s->lock);
	for (k = m->kernels; k; k = k->next)
		if (!strcmp(k->name, c)) {
			pthread_mutex_unlock(&s->lock);
			*out = k;
			return 0;
		}
	k = calloc(1, sizeof(*k));
	if (!k) {
		pthread_mutex_unlock(&s->lock);
		return -ENOMEM;
	}
	vgpu_bk_clearerr();
	ret = m->bk->ops->function_get(m->bk->ctx, m->bkmod, c, &k->fn);
	if (ret) {
		p = parsed(&m->sig, c);
		if (ret == -ENOMEM)
			vgpu_seterr(s, ret, "kernel '%s': %s", c, vgpu_bk_err(m->bk));
		else if (m->src && p && p->is_template && !has_name(m, c))
			vgpu_seterr(s, -ENOENT, "no kernel named '%s' in %s: %s is a template; name its "
				    "instantiation (e.g. \"%s<float>\") in vgpu_compile_opts.names when "
				    "compiling", c, m->name ? m->name : "the module", p->name, p->name);
		else
			vgpu_seterr(s, -ENOENT, "no kernel named '%s' in %s: %s", c,
				    m->name ? m->name : "the module", vgpu_bk_err(m->bk));
		pthread_mutex_unlock(&s->lock);
		free(k);
		return ret == -ENOMEM ? ret : -ENOENT;
	}
	k->magic = VGPU_MAGIC_KERNEL;
	k->mod = m;
	strcpy(k->name, c);
	kernel_sig(m, k);
	k->next = m->kernels;
	m->kernels = k;
	pthread_mutex_unlock(&s->lock);
	*out = k;
	return 0;
}

/* the backend's text of how @k runs, "" where it says nothing */
static void kernel_lowering(vgpu_kernel *k, char *buf, size_t len)
{
	buf[0] = 0;
	if (k->mod->bk->ops->kernel_lowering)
		k->mod->bk->ops->kernel_lowering(k->mod->bk->ctx, k->mod->bkmod, k->fn, k->name, buf, len);
}

VGPU_EXPORT int vgpu_kernel_info(vgpu_kernel *k, struct vgpu_kernel_info *info)
{
	struct vgpu_kernel_info o;

	if (!k || k->magic != VGPU_MAGIC_KERNEL || !info || info->size < VGPU_KERNEL_INFO_SIZE_VER0)
		return -EINVAL;
	memset(&o, 0, sizeof(o));
	o.size = info->size < sizeof(o) ? info->size : sizeof(o);
	o.nr_params = k->info ? k->info->nparams : -1;
	o.uses_barrier = k->info ? k->info->uses_barrier : 0;
	o.sig_source = k->sig_source;
	for (int i = 0; k->info && i < k->info->nparams && i < 32; i++) {
		o.param_types[i] = k->info->params[i].type;
		o.param_sizes[i] = k->info->params[i].size;
	}
	kernel_lowering(k, o.lowering, sizeof(o.lowering));
	memcpy(info, &o, o.size);
	return 0;
}

VGPU_EXPORT int vgpu_kernel_lowering(vgpu_kernel *k, char *buf, size_t len)
{
	char how[1024] = "";

	if (!k || k->magic != VGPU_MAGIC_KERNEL || (!buf && len))
		return -EINVAL;
	kernel_lowering(k, how, sizeof(how));
	if (len)
		snprintf(buf, len, "%s", how);
	return (int)strlen(how);
}

VGPU_EXPORT int vgpu_kernel_profile(vgpu_kernel *k, char *buf, size_t len)
{
	const struct vgpu_backend_ops *ops;
	struct vgpu_sbuf text = { 0 };
	int ret;

	if (!k || k->magic != VGPU_MAGIC_KERNEL || (!buf && len))
		return -EINVAL;
	ops = k->mod->bk->ops;
	if (!ops->kernel_profile)
		return vgpu_seterr(k->mod->sess, -EOPNOTSUPP, "kernel '%s': the %s backend keeps no region profile",
				   k->name, ops->name);
	vgpu_bk_clearerr();
	ret = ops->kernel_profile(k->mod->bk->ctx, k->mod->bkmod, k->fn, &text);
	if (ret == -ENOMEM)
		vgpu_seterr(k->mod->sess, ret, "kernel '%s': no memory for its profile", k->name);
	else if (ret < 0)
		vgpu_seterr(k->mod->sess, ret, "kernel '%s': %s", k->name, vgpu_bk_err(k->mod->bk));
	else if (len)
		snprintf(buf, len, "%s", text.p ? text.p : "");
	if (!ret)
		ret = text.p ? (int)text.n : 0;
	free(text.p);
	return ret;
}

/* ---- __device__ / __constant__ variables ------------------------------------- */

static int global_find(vgpu_module *m, struct vgpu_bk *bk, void *bkmod, const char *name,
		       uint64_t *dptr, size_t *size)
{
	vgpu_session *s = m->sess;
	int ret;

	if (!bk->ops->global_get)
		return vgpu_seterr(s, -EOPNOTSUPP, "%s: module globals are not supported", bk->ops->name);
	vgpu_bk_clearerr();
	ret = bk->ops->global_get(bk->ctx, bkmod, name, dptr, size);
	if (ret)
		return vgpu_seterr(s, ret == -ENOMEM ? ret : -ENOENT, "no __device__ or __constant__ "
				   "variable '%s' in %s: %s", name, m->name ? m->name : "the module",
				   vgpu_bk_err(bk));
	return 0;
}

VGPU_EXPORT int vgpu_module_global(vgpu_module *m, const char *name, size_t *bytes)
{
	uint64_t dptr;
	int ret;

	if (!m || m->magic != VGPU_MAGIC_MODULE || !bytes)
		return -EINVAL;
	if (!name || !*name)
		return vgpu_seterr(m->sess, -EINVAL, "empty variable name");
	pthread_mutex_lock(&m->sess->lock);
	ret = global_find(m, m->bk, m->bkmod, name, &dptr, bytes);
	pthread_mutex_unlock(&m->sess->lock);
	return ret;
}

/* Copy between host memory and a module global; @write: host -> variable. */
static int global_copy(vgpu_module *m, const char *name, size_t off, void *host, size_t n,
		       bool write)
{
	vgpu_session *s;
	struct vgpu_bk *cpu;
	uint64_t dptr;
	size_t size;
	int ret;

	if (!m || m->magic != VGPU_MAGIC_MODULE)
		return -EINVAL;
	s = m->sess;
	if (!name || !*name || !host || !n)
		return vgpu_seterr(s, -EINVAL, "module global: %s", !name || !*name ? "empty name" :
				   !host ? "NULL pointer" : "0 bytes");
	pthread_mutex_lock(&s->lock);
	ret = global_find(m, m->bk, m->bkmod, name, &dptr, &size);
	if (ret)
		goto out;
	if (off > size || n > size - off) {
		ret = vgpu_seterr(s, -EINVAL, "module global '%s': bytes [%zu, %zu + %zu) outside its %zu",
				  name, off, off, n, size);
		goto out;
	}
	vgpu_bk_clearerr();
	ret = write ? m->bk->ops->memcpy_htod(m->bk->ctx, dptr + off, host, n, NULL) :
		      m->bk->ops->memcpy_dtoh(m->bk->ctx, host, dptr + off, n, NULL);
	if (ret) {
		vgpu_seterr(s, ret, "module global '%s': %s", name, vgpu_bk_err(m->bk));
		goto out;
	}
	/* the CPU copy of a GPU module (launch fallback, batch routes) sees the writes too,
	 * also when it is made later (vgpu_module_globals_to_cpu) */
	cpu = m->cpumod && m->bk != &s->cpu ? vgpu_cpu_bk(s) : NULL;
	if (write && cpu && !global_find(m, cpu, m->cpumod, name, &dptr, &size) && off + n <= size)
		cpu->ops->memcpy_htod(cpu->ctx, dptr + off, host, n, NULL);
	if (write && !vgpu_is_cpu(s, m->bk)) {
		int i = 0;
		char **g;

		while (i < m->nr_gnames && strcmp(m->gnames[i], name))
			i++;
		if (i == m->nr_gnames && (g = realloc(m->gnames, (i + 1) * sizeof(*g)))) {
			m->gnames = g;
			if ((g[i] = strdup(name)))
				m->nr_gnames++;
		}
	}
out:
	pthread_mutex_unlock(&s->lock);
	return ret;
}

VGPU_EXPORT int vgpu_module_global_write(vgpu_module *m, const char *name, size_t off,
					 const void *src, size_t n)
{
	return global_copy(m, name, off, (void *)src, n, true);
}

VGPU_EXPORT int vgpu_module_global_read(vgpu_module *m, const char *name, size_t off, void *dst,
					size_t n)
{
	return global_copy(m, name, off, dst, n, false);
}

VGPU_EXPORT int vgpu_cache_enable(vgpu_session *s, int on)
{
	CHECK_SESSION(s);
	pthread_mutex_lock(&s->lock);
	s->cache_on = on != 0;
	if (s->cache_on && !s->cache && vgpu_cache_open(&s->cache, NULL, 0, 0))
		s->cache = NULL;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* The text of @k's parameter @i as written in the source ("" if unknown). */
void vgpu_param_text(vgpu_kernel *k, unsigned i, char *buf, size_t len)
{
	const struct vgpu_ksig *sig = &k->mod->sig;
	const struct vgpu_kinfo *p = parsed(sig, k->name);
	const char *src = k->mod->src;
	size_t a = 0, e = 0, n = 0;
	unsigned idx = 0;
	int depth = 0;

	buf[0] = 0;
	if (!p || !src || !len)
		return;
	for (int j = 0; j < sig->nsites; j++) {
		const struct vgpu_ksite *st = &sig->sites[j];

		if (&sig->kernels[st->kernel] != p || st->void_params)
			continue;
		a = st->lparen + 1;
		for (size_t q = a; q <= st->rparen; q++) {
			char ch = src[q];

			if (ch == '(' || ch == '<' || ch == '[')
				depth++;
			else if ((ch == ')' || ch == '>' || ch == ']') && q < st->rparen)
				depth--;
			if ((ch == ',' && depth == 0) || q == st->rparen) {
				if (idx++ == i) {
					e = q;
					break;
				}
				a = q + 1;
			}
		}
		break;
	}
	/* copy with whitespace collapsed */
	for (size_t q = a; q < e && n + 1 < len; q++) {
		char ch = src[q];

		if (ch == '\n' || ch == '\t' || ch == '\r')
			ch = ' ';
		if (ch == ' ' && (n == 0 || buf[n - 1] == ' '))
			continue;
		buf[n++] = ch;
	}
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = 0;
}

void vgpu_module_globals_to_cpu(vgpu_module *m)
{
	vgpu_session *s = m->sess;
	struct vgpu_bk *cpu = vgpu_cpu_bk(s);

	for (int i = 0; cpu && m->cpumod && i < m->nr_gnames; i++) {
		uint64_t g, c;
		size_t gs, cs;
		void *tmp;

		if (global_find(m, m->bk, m->bkmod, m->gnames[i], &g, &gs) ||
		    global_find(m, cpu, m->cpumod, m->gnames[i], &c, &cs) || gs != cs || !(tmp = malloc(gs)))
			continue;
		if (!m->bk->ops->memcpy_dtoh(m->bk->ctx, tmp, g, gs, NULL))
			cpu->ops->memcpy_htod(cpu->ctx, c, tmp, cs, NULL);
		free(tmp);
	}
}
