// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgpu core: kernel arguments - checked against the kernel's signature
 * (the compiler's where the backend gives it, vgpu_kernel_info), then laid
 * out the CUDA way (an array of pointers to values) for any backend.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

/* The largest value CUDA passes by value (kernel parameters: 32764 bytes). */
#define ARG_BYTES_MAX	32764

static const char *const type_names[VGPU_ARG_NR] = {
	"none", "buffer", "i32", "u32", "i64", "u64", "f32", "f64", "i8", "u8", "i16", "u16",
	"bool", "bytes",
};

static const char *type_name(unsigned t)
{
	return t < VGPU_ARG_NR ? type_names[t] : "?";
}

static size_t arg_size(const struct vgpu_arg *a)
{
	switch (a->type) {
	case VGPU_ARG_I8: case VGPU_ARG_U8: case VGPU_ARG_BOOL:
		return 1;
	case VGPU_ARG_I16: case VGPU_ARG_U16:
		return 2;
	case VGPU_ARG_I32: case VGPU_ARG_U32: case VGPU_ARG_F32:
		return 4;
	case VGPU_ARG_BYTES:
		return a->v.bytes.size;
	default:
		return 8;
	}
}

/* "u32 (vgpu_arg_u32)", "16 bytes by value (vgpu_arg_bytes)" */
static void want_text(const struct vgpu_kparam *p, char *buf, size_t len)
{
	if (p->type == VGPU_ARG_BYTES)
		snprintf(buf, len, "%u bytes by value (vgpu_arg_bytes)", p->size);
	else if (p->type == VGPU_ARG_NONE)
		snprintf(buf, len, "%u bytes (an argument of that size)", p->size);
	else
		snprintf(buf, len, "%s (vgpu_arg_%s)", type_name(p->type),
			 p->type == VGPU_ARG_BUFFER ? "buf" : type_name(p->type));
}

static void got_text(const struct vgpu_arg *a, char *buf, size_t len)
{
	if (a->type == VGPU_ARG_BYTES)
		snprintf(buf, len, "%llu bytes by value", (unsigned long long)a->v.bytes.size);
	else
		snprintf(buf, len, "%s", type_name(a->type));
}

VGPU_HOT int vgpu_args_check(vgpu_session *s, vgpu_kernel *k, const struct vgpu_arg *args, unsigned n,
		    bool *want_cpu)
{
	const struct vgpu_kinfo *ki = k->info;

	if (n > VGPU_MAX_PARAMS)
		return vgpu_seterr(s, -EINVAL, "%u arguments (at most %d)", n, VGPU_MAX_PARAMS);
	if (ki && ki->nparams >= 0 && (int)n != ki->nparams)
		return vgpu_seterr(s, -EINVAL, "kernel %s takes %d arguments, %u given", k->name,
				   ki->nparams, n);
	for (unsigned i = 0; i < n; i++) {
		const struct vgpu_arg *a = &args[i];
		const struct vgpu_kparam *p = ki ? &ki->params[i] : NULL;
		char text[96], want[64], got[64];
		bool ok;

		if (a->type == VGPU_ARG_NONE || a->type >= VGPU_ARG_NR)
			return vgpu_seterr(s, -EINVAL, "kernel %s: argument %u has no valid type (%u)",
					   k->name, i + 1, a->type);
		if (a->type == VGPU_ARG_BYTES &&
		    (!a->v.bytes.ptr || !a->v.bytes.size || a->v.bytes.size > ARG_BYTES_MAX))
			return vgpu_seterr(s, -EINVAL, "kernel %s: argument %u: vgpu_arg_bytes of %llu "
					   "bytes at %p (1..%d bytes, not NULL)", k->name, i + 1,
					   (unsigned long long)a->v.bytes.size, a->v.bytes.ptr,
					   ARG_BYTES_MAX);
		if (p) {
			if (p->type == VGPU_ARG_NONE && !(k->sig_source == VGPU_SIG_SIZES && p->size)) {
				vgpu_param_text(k, i, text, sizeof(text));
				return vgpu_seterr(s, -EINVAL, "kernel %s: parameter %u%s%s%s has a type "
						   "libvgpu cannot check from the source alone", k->name,
						   i + 1, text[0] ? " (" : "", text, text[0] ? ")" : "");
			}
			if (p->type == VGPU_ARG_NONE)	/* the driver's sizes only */
				ok = arg_size(a) == p->size;
			else if (p->type == VGPU_ARG_BYTES)
				ok = a->type == VGPU_ARG_BYTES && a->v.bytes.size == p->size;
			else
				ok = a->type == p->type;
			if (!ok) {
				vgpu_param_text(k, i, text, sizeof(text));
				want_text(p, want, sizeof(want));
				got_text(a, got, sizeof(got));
				return vgpu_seterr(s, -EINVAL, "kernel %s: parameter %u%s%s%s takes %s; the "
						   "argument is %s", k->name, i + 1, text[0] ? " (" : "",
						   text, text[0] ? ")" : "", want, got);
			}
		}
		if (a->type == VGPU_ARG_BUFFER) {
			vgpu_buffer *b = a->v.b.buf;

			if (!b || b->magic != VGPU_MAGIC_BUFFER || b->sess != s)
				return vgpu_seterr(s, -EINVAL, "kernel %s: argument %u: bad buffer handle",
						   k->name, i + 1);
			if (a->v.b.offset > b->size)
				return vgpu_seterr(s, -EINVAL, "kernel %s: argument %u: offset %llu past the "
						   "buffer's %zu bytes", k->name, i + 1,
						   (unsigned long long)a->v.b.offset, b->size);
			if (vgpu_is_cpu(s, b->bk) && !s->primary_is_cpu)
				*want_cpu = true;	/* host-fallback buffer: the CPU runs it */
		}
	}
	return 0;
}

VGPU_HOT int vgpu_args_set(struct vgpu_argpack *p, unsigned i, const struct vgpu_arg *a, uint64_t addr)
{
	unsigned char *dst = p->val[i];
	uint64_t v = 0;
	size_t n;

	/* the common values inline: no call into the C library per argument */
	switch (a->type) {
	case VGPU_ARG_BUFFER:
		v = addr;
		n = 8;
		break;
	case VGPU_ARG_BYTES:
		n = a->v.bytes.size;
		if (n > sizeof(p->val[i])) {
			if (posix_memalign(&p->big[i], 16, n))
				return -ENOMEM;
			p->bigmask |= 1ull << i;
			dst = p->big[i];
		} else {
			memset(dst, 0, sizeof(p->val[i]));
		}
		memcpy(dst, a->v.bytes.ptr, n);
		goto out;
	default:	/* the union's members start at its first byte */
		n = arg_size(a);
		if (n == 1) {
			uint8_t t;

			memcpy(&t, &a->v, 1);
			v = t;
		} else if (n == 2) {
			uint16_t t;

			memcpy(&t, &a->v, 2);
			v = t;
		} else if (n == 4) {
			uint32_t t;

			memcpy(&t, &a->v, 4);
			v = t;
		} else {
			memcpy(&v, &a->v, 8);
		}
	}
	memcpy(dst, &v, 8);
	memset(dst + 8, 0, 8);
out:
	p->ptrs[i] = dst;
	p->sizes[i] = n;
	return 0;
}

VGPU_HOT void vgpu_args_release(struct vgpu_argpack *p)
{
	while (p->bigmask) {
		int i = __builtin_ctzll(p->bigmask);

		free(p->big[i]);
		p->big[i] = NULL;
		p->bigmask &= p->bigmask - 1;
	}
}
