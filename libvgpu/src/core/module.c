// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgpu core: modules (compile through the cache, load images, CPU copies
 * for fallback) and kernels.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "core/internal.h"

/* ---- modules ---------------------------------------------------------------- */

/* Compile (or fetch from the cache) m's source for @bk and load it. */
int vgpu_module_build(vgpu_session *s, vgpu_module *m, struct vgpu_bk *bk, bool use_cache,
		      void **bkmod, struct vgpu_ksig **imgsig, void **image, size_t *image_len)
{
	char target[4096];
	const char *parts[4 + 64];
	size_t lens[4 + 64];
	int np = 0, ret;
	uint8_t key[32];
	void *blob = NULL;
	size_t blen = 0;
	char *log = NULL;
	struct vgpu_bk_source src = {
		.name = m->name, .src = m->src, .len = m->srclen,
		.options = (const char *const *)m->options, .nr_options = m->nr_options,
		.sig = &m->sig,
	};
	uint64_t t0;

	*bkmod = NULL;
	*imgsig = NULL;
	use_cache = use_cache && s->cache_on && s->cache;
	if (use_cache) {
		target[0] = 0;
		bk->ops->target_id(bk->ctx, target, sizeof(target));
		parts[np++] = "libvgpu-cache-1";
		parts[np++] = bk->ops->name;
		parts[np++] = target;
		for (int i = 0; i < m->nr_options && np < 4 + 63; i++)
			parts[np++] = m->options[i];
		for (int i = 0; i < np; i++)
			lens[i] = strlen(parts[i]);
		parts[np] = m->src;
		lens[np++] = m->srclen;
		vgpu_cache_key(key, parts, lens, np);
		if (!vgpu_cache_get(s->cache, key, &blob, &blen)) {
			vgpu_bk_clearerr();
			if (!bk->ops->module_load(bk->ctx, blob, blen, VGPU_IMAGE_AUTO, bkmod, imgsig)) {
				s->st.cache_hits++;
				*image = blob;
				*image_len = blen;
				return 0;
			}
			free(blob);	/* unusable: compile again, replace it */
			blob = NULL;
		}
		s->st.cache_misses++;
	}
	t0 = vgpu_now_ns();
	vgpu_bk_clearerr();
	ret = bk->ops->compile(bk->ctx, &src, &blob, &blen, &log);
	s->st.compile_ns += vgpu_now_ns() - t0;
	if (ret) {
		vgpu_seterr(s, ret == -ENODEV ? -ENODEV : -ENOEXEC, "%s: compile of %s failed: %s\n%s",
			    bk->ops->name, m->name ? m->name : "source", vgpu_bk_err(bk), log ? log : "");
		free(log);
		return ret == -ENODEV || ret == -ENOMEM ? ret : -ENOEXEC;
	}
	free(log);
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
	free(m->src);
	free(m->name);
	free(m->image);
	m->magic = 0;
	free(m);
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
	memset(&o, 0, sizeof(o));
	if (opts) {
		if (opts->size < sizeof(o))
			return vgpu_seterr(s, -EINVAL, "compile options: size %u too small", opts->size);
		memcpy(&o, opts, sizeof(o));
		if (o.flags & ~VGPU_COMPILE_NO_CACHE)
			return vgpu_seterr(s, -EINVAL, "compile options: unknown flags %#x", o.flags);
		if (o.nr_options > 64 || (o.nr_options && !o.options))
			return vgpu_seterr(s, -EINVAL, "compile options: bad option list");
		for (uint32_t i = 0; i < o.nr_options; i++)
			if (!o.options[i])
				return vgpu_seterr(s, -EINVAL, "compile option %u is NULL", i);
	}
	if (!len)
		len = strlen(src);
	if (!len)
		return vgpu_seterr(s, -EINVAL, "empty source");
	m = module_new(s);
	if (!m)
		return -ENOMEM;
	m->src = malloc(len + 1);
	m->options = calloc(o.nr_options + 1, sizeof(char *));
	m->name = strdup(o.name ? o.name : "kernel.cu");
	if (!m->src || !m->options || !m->name) {
		module_free(m);
		return -ENOMEM;
	}
	memcpy(m->src, src, len);
	m->src[len] = 0;
	m->srclen = len;
	for (uint32_t i = 0; i < o.nr_options; i++) {
		m->options[i] = strdup(o.options[i]);
		if (!m->options[i]) {
			module_free(m);
			return -ENOMEM;
		}
		m->nr_options++;
	}
	ret = vgpu_parse_source(m->src, m->srclen, &m->sig);
	if (ret) {
		module_free(m);
		return vgpu_seterr(s, ret, "cannot parse the source (unbalanced brackets?)");
	}

	pthread_mutex_lock(&s->lock);
	s->st.compiles++;
	m->bk = &s->gpu;
	ret = vgpu_module_build(s, m, m->bk, !(o.flags & VGPU_COMPILE_NO_CACHE), &m->bkmod, &m->imgsig,
		    &m->image, &m->image_len);
	if (ret && !s->primary_is_cpu && (s->fallback & VGPU_FALLBACK_COMPILE)) {
		struct vgpu_bk *cpu = vgpu_cpu_bk(s);

		vgpu_count_fallback(s, VGPU_FB_COMPILE, "%.200s", s->err);
		if (cpu) {
			m->bk = cpu;
			ret = vgpu_module_build(s, m, cpu, !(o.flags & VGPU_COMPILE_NO_CACHE), &m->bkmod,
				    &m->imgsig, &m->image, &m->image_len);
		}
	}
	if (ret) {
		s->st.compile_errors++;
		pthread_mutex_unlock(&s->lock);
		module_free(m);
		return ret;
	}
	vgpu_list_add(&s->modules, &m->node);
	pthread_mutex_unlock(&s->lock);
	*out = m;
	return 0;
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
		pthread_mutex_unlock(&s->lock);
		module_free(m);
		return ret;
	}
	vgpu_list_add(&s->modules, &m->node);
	pthread_mutex_unlock(&s->lock);
	*out = m;
	return 0;
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

static const struct vgpu_kinfo *find_info(vgpu_module *m, const char *name)
{
	const struct vgpu_kinfo *ki = vgpu_ksig_find(m->imgsig, name);

	return ki ? ki : vgpu_ksig_find(&m->sig, name);
}

VGPU_EXPORT int vgpu_kernel_get(vgpu_module *m, const char *name, vgpu_kernel **out)
{
	vgpu_session *s;
	vgpu_kernel *k;
	int ret;

	if (!m || m->magic != VGPU_MAGIC_MODULE || !out)
		return -EINVAL;
	s = m->sess;
	*out = NULL;
	if (!name || !*name)
		return vgpu_seterr(s, -EINVAL, "empty kernel name");
	if (strlen(name) >= VGPU_KNAME_MAX)
		return vgpu_seterr(s, -ENOENT, "no kernel named '%.64s...'", name);
	pthread_mutex_lock(&s->lock);
	for (k = m->kernels; k; k = k->next)
		if (!strcmp(k->name, name)) {
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
	ret = m->bk->ops->function_get(m->bk->ctx, m->bkmod, name, &k->fn);
	if (ret) {
		vgpu_seterr(s, ret == -ENOMEM ? ret : -ENOENT, "no kernel named '%s' in %s: %s",
			    name, m->name ? m->name : "the module", vgpu_bk_err(m->bk));
		pthread_mutex_unlock(&s->lock);
		free(k);
		return ret == -ENOMEM ? ret : -ENOENT;
	}
	k->magic = VGPU_MAGIC_KERNEL;
	k->mod = m;
	strcpy(k->name, name);
	k->info = find_info(m, name);
	k->next = m->kernels;
	m->kernels = k;
	pthread_mutex_unlock(&s->lock);
	*out = k;
	return 0;
}

VGPU_EXPORT int vgpu_kernel_info(vgpu_kernel *k, struct vgpu_kernel_info *info)
{
	struct vgpu_kernel_info o;

	if (!k || k->magic != VGPU_MAGIC_KERNEL || !info || info->size < sizeof(o))
		return -EINVAL;
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.nr_params = k->info ? k->info->nparams : -1;
	o.uses_barrier = k->info ? k->info->uses_barrier : 0;
	for (int i = 0; k->info && i < k->info->nparams && i < 32; i++)
		o.param_types[i] = k->info->params[i].type;
	memcpy(info, &o, sizeof(o));
	return 0;
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
