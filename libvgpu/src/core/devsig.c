// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * devsig.c - what makes one kernel source work the same on every backend:
 *
 *  - name expressions ("reduce<float,256>", "ops::axpy<double>", "vadd") in
 *    one canonical spelling;
 *  - kernel signatures from the compiler: a constexpr descriptor of each
 *    kernel's parameter types (kind, size, alignment, after typedefs) that
 *    NVRTC, hiprtc and the host C++ compiler evaluate alike; the backend
 *    appends it to the source and reads the variable back from the image;
 *  - the host headers device code may include (<stdio.h>, <assert.h>,
 *    <stdint.h>, <cuda_runtime.h>, ...): one list, one text each for the GPU
 *    compilers (which have no system headers) and for the CPU;
 *  - the name table a GPU image carries (expression -> lowered name), so that
 *    a cached or saved image finds its kernels without the compiler.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

int vgpu_name_canon(const char *in, char *out, size_t len)
{
	size_t n = 0;
	char prev = 0;
	bool space = false;

	if (!in || !len)
		return -EINVAL;
	for (const char *p = in; *p; p++) {
		char c = *p;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			space = true;
			continue;
		}
		/* it is pasted into source text: nothing that ends an expression */
		if (!isprint((unsigned char)c) || strchr(";{}\"'#\\/`@$", c))
			return -EINVAL;
		if (space && word_char(prev) && word_char(c)) {
			if (n + 1 >= len)
				return -EINVAL;
			out[n++] = ' ';
		}
		space = false;
		if (n + 1 >= len)
			return -EINVAL;
		out[n++] = c;
		prev = c;
	}
	out[n] = 0;
	return n ? 0 : -EINVAL;
}

int vgpu_kind_to_arg(int kind, uint32_t size)
{
	switch (kind) {
	case VGPU_KIND_PTR:
		return size == 8 ? VGPU_ARG_BUFFER : VGPU_ARG_NONE;
	case VGPU_KIND_SINT:
		return size == 1 ? VGPU_ARG_I8 : size == 2 ? VGPU_ARG_I16 : size == 4 ? VGPU_ARG_I32 :
		       size == 8 ? VGPU_ARG_I64 : VGPU_ARG_BYTES;
	case VGPU_KIND_UINT:
		return size == 1 ? VGPU_ARG_U8 : size == 2 ? VGPU_ARG_U16 : size == 4 ? VGPU_ARG_U32 :
		       size == 8 ? VGPU_ARG_U64 : VGPU_ARG_BYTES;
	case VGPU_KIND_FLOAT:
		return size == 4 ? VGPU_ARG_F32 : size == 8 ? VGPU_ARG_F64 : VGPU_ARG_BYTES;
	case VGPU_KIND_BOOL:
		return size == 1 ? VGPU_ARG_BOOL : VGPU_ARG_BYTES;
	case VGPU_KIND_BYTES:
		return VGPU_ARG_BYTES;
	default:
		return VGPU_ARG_NONE;
	}
}

/*
 * The descriptor. Only compiler builtins (__is_enum) and templates: no
 * header, so that it compiles before the user's first #include on NVRTC,
 * hiprtc and g++. Typedefs are seen through (uint is unsigned int), char's
 * signedness is the compiler's, enums take their underlying signedness.
 */
const char vgpu_devsig_prelude[] =
	"#ifndef __VGPU_DEVSIG\n"
	"#define __VGPU_DEVSIG 1\n"
	"struct __vgpu_sigd { unsigned int n; unsigned int d[64]; };\n"
	"template <class T, bool E = __is_enum(T)> struct __vgpu_pk { enum { k = 6 }; };\n"
	"template <class T> struct __vgpu_pk<T, true> { enum { k = (T)-1 < (T)0 ? 2 : 3 }; };\n"
	"template <class T> struct __vgpu_pk<T *, false> { enum { k = 1 }; };\n"
	"#define __VGPU_PK(T, K) template <> struct __vgpu_pk<T, false> { enum { k = K }; };\n"
	"__VGPU_PK(bool, 5) __VGPU_PK(char, ((char)-1 < 0 ? 2 : 3)) __VGPU_PK(signed char, 2)\n"
	"__VGPU_PK(unsigned char, 3) __VGPU_PK(short, 2) __VGPU_PK(unsigned short, 3)\n"
	"__VGPU_PK(int, 2) __VGPU_PK(unsigned int, 3) __VGPU_PK(long, 2) __VGPU_PK(unsigned long, 3)\n"
	"__VGPU_PK(long long, 2) __VGPU_PK(unsigned long long, 3) __VGPU_PK(float, 4)\n"
	"__VGPU_PK(double, 4)\n"
	"#undef __VGPU_PK\n"
	"template <class T> constexpr unsigned int __vgpu_pd()\n"
	"{ return (unsigned int)__vgpu_pk<T>::k | (unsigned int)(alignof(T) > 255 ? 255 : alignof(T)) << 8 |\n"
	"         (unsigned int)sizeof(T) << 16; }\n"
	"template <class F> struct __vgpu_sigT;\n"
	"template <class... A> struct __vgpu_sigT<void (*)(A...)> {\n"
	"	static constexpr __vgpu_sigd make() { return __vgpu_sigd{ sizeof...(A), { __vgpu_pd<A>()... } }; }\n"
	"};\n"
	"#endif\n";

void vgpu_devsig_emit(struct vgpu_sbuf *sb, const char *const *names, int n, const char *qual,
		      const char *prefix)
{
	vgpu_sb_str(sb, "\n/* libvgpu: kernel signatures, as the compiler sees them */\n");
	for (int i = 0; i < n; i++) {
		const char *e = names[i];
		size_t lt = strcspn(e, "<"), id = lt;

		while (id > 0 && word_char(e[id - 1]))
			id--;
		vgpu_sb_printf(sb, "extern \"C\" { %s __vgpu_sigd __vgpu_sig_%d = "
			       "__vgpu_sigT<decltype(&%.*s%s%s)>::make(); }\n",
			       qual, i, (int)id, e, prefix, e + id);
	}
}

int vgpu_devsig_decode(const uint32_t *w, size_t nwords, struct vgpu_kinfo *out)
{
	if (nwords < 1 || w[0] > VGPU_MAX_PARAMS || w[0] + 1 > nwords)
		return -EINVAL;
	out->nparams = (int)w[0];
	for (uint32_t i = 0; i < w[0]; i++) {
		uint32_t kind = w[1 + i] & 0xff, size = w[1 + i] >> 16;

		if (kind < VGPU_KIND_PTR || kind > VGPU_KIND_BYTES || !size)
			return -EINVAL;
		out->params[i].type = (uint8_t)vgpu_kind_to_arg((int)kind, size);
		out->params[i].align = (w[1 + i] >> 8) & 0xff;
		out->params[i].size = size;
	}
	return 0;
}

/* ---- host headers device code may include ---------------------------------- */

#define H_ONCE "#pragma once\n"
/* with the toolkit's CCCL on the include path, its definitions (no clash when
 * the source includes <cuda/std/...> too); else ours */
#define H_CCCL(h) H_ONCE "#if __has_include(<cuda/std/" h ">)\n#include <cuda/std/" h ">\n#else\n"
#define H_STDINT H_CCCL("cstdint")						\
	"#define INT8_MIN (-128)\n#define INT8_MAX 127\n#define UINT8_MAX 255\n"	\
	"#define INT16_MIN (-32768)\n#define INT16_MAX 32767\n#define UINT16_MAX 65535\n" \
	"#define INT32_MIN (-2147483647 - 1)\n#define INT32_MAX 2147483647\n"		\
	"#define UINT32_MAX 4294967295U\n"						\
	"#define INT64_MIN (-9223372036854775807LL - 1)\n#define INT64_MAX 9223372036854775807LL\n" \
	"#define UINT64_MAX 18446744073709551615ULL\n#define SIZE_MAX UINT64_MAX\n"	\
	"#define INTPTR_MAX INT64_MAX\n#define UINTPTR_MAX UINT64_MAX\n#endif\n"
#define H_CSTDINT H_STDINT							\
	"namespace std { using ::int8_t; using ::uint8_t; using ::int16_t; using ::uint16_t;\n" \
	"using ::int32_t; using ::uint32_t; using ::int64_t; using ::uint64_t;\n"	\
	"using ::intptr_t; using ::uintptr_t; using ::size_t; using ::ptrdiff_t; }\n"
#define H_STDDEF H_ONCE								\
	"#ifndef NULL\n#define NULL 0\n#endif\n"					\
	"#ifndef offsetof\n#define offsetof(t, m) __builtin_offsetof(t, m)\n#endif\n"
#define H_LIMITS H_CCCL("climits")						\
	"#define CHAR_BIT 8\n#define SCHAR_MIN (-128)\n#define SCHAR_MAX 127\n#define UCHAR_MAX 255\n" \
	"#define CHAR_MIN SCHAR_MIN\n#define CHAR_MAX SCHAR_MAX\n"			\
	"#define SHRT_MIN (-32768)\n#define SHRT_MAX 32767\n#define USHRT_MAX 65535\n"	\
	"#define INT_MIN (-2147483647 - 1)\n#define INT_MAX 2147483647\n#define UINT_MAX 4294967295U\n" \
	"#define LONG_MIN (-9223372036854775807L - 1)\n#define LONG_MAX 9223372036854775807L\n" \
	"#define ULONG_MAX 18446744073709551615UL\n"					\
	"#define LLONG_MIN (-9223372036854775807LL - 1)\n#define LLONG_MAX 9223372036854775807LL\n" \
	"#define ULLONG_MAX 18446744073709551615ULL\n#endif\n"
#define H_FLOAT H_ONCE "#ifndef FLT_MAX\n"	/* CCCL's <cuda/std/cfloat> has none on NVRTC */	\
	"#define FLT_MAX 3.40282347e+38F\n#define FLT_MIN 1.17549435e-38F\n"		\
	"#define FLT_EPSILON 1.19209290e-07F\n#define FLT_DIG 6\n#define FLT_MANT_DIG 24\n" \
	"#define DBL_MAX 1.7976931348623157e+308\n#define DBL_MIN 2.2250738585072014e-308\n" \
	"#define DBL_EPSILON 2.2204460492503131e-16\n#define DBL_DIG 15\n#define DBL_MANT_DIG 53\n#endif\n"
/* what device code uses of these: handle types; the rest is the compiler's */
#define H_CUDA_RUNTIME H_ONCE							\
	"typedef unsigned long long cudaTextureObject_t;\n"				\
	"typedef unsigned long long cudaSurfaceObject_t;\n"

const struct vgpu_devheader vgpu_devheaders[] = {
	/* printf and assert are built into NVRTC and hiprtc */
	{ "stdio.h", H_ONCE, NULL },
	{ "cstdio", H_ONCE, NULL },
	{ "assert.h", H_ONCE, NULL },
	{ "cassert", H_ONCE, NULL },
	{ "stdint.h", H_STDINT, NULL },
	{ "cstdint", H_CSTDINT, NULL },
	{ "stddef.h", H_STDDEF, NULL },
	{ "cstddef", H_STDDEF, NULL },
	{ "limits.h", H_LIMITS, NULL },
	{ "climits", H_LIMITS, NULL },
	{ "float.h", H_FLOAT, NULL },
	{ "cfloat", H_FLOAT, NULL },
	/* the math API (sqrtf, expf, fminf, ...) is built into the GPU compilers */
	{ "math.h", H_ONCE, NULL },
	{ "cmath", H_ONCE, NULL },
	{ "cuda_runtime.h", H_CUDA_RUNTIME, H_CUDA_RUNTIME },
	{ "cuda_runtime_api.h", H_CUDA_RUNTIME, H_CUDA_RUNTIME },
	{ "cuda.h", H_ONCE, H_ONCE },
	{ "device_launch_parameters.h", H_ONCE, H_ONCE },
	{ NULL, NULL, NULL },
};

/* ---- name tables of GPU images --------------------------------------------- */

#define NAMES_MAGIC "VGPUNAM1"

struct names_hdr {
	char magic[8];
	uint32_t n;
	uint32_t table_bytes;	/* pairs of NUL-terminated strings, padded to 16 */
};

int vgpu_names_pack(const struct vgpu_lowered *names, int n, const void *image, size_t len,
		    void **out, size_t *outlen)
{
	struct names_hdr h = { NAMES_MAGIC, (uint32_t)n, 0 };
	size_t t = 0;
	char *p;

	for (int i = 0; i < n; i++)
		t += strlen(names[i].expr) + 1 + strlen(names[i].lowered) + 1;
	t = (t + 15) & ~(size_t)15;
	h.table_bytes = (uint32_t)t;
	p = calloc(1, sizeof(h) + t + len + 1);
	if (!p)
		return -ENOMEM;
	memcpy(p, &h, sizeof(h));
	t = sizeof(h);
	for (int i = 0; i < n; i++) {
		size_t a = strlen(names[i].expr) + 1, b = strlen(names[i].lowered) + 1;

		memcpy(p + t, names[i].expr, a);
		memcpy(p + t + a, names[i].lowered, b);
		t += a + b;
	}
	memcpy(p + sizeof(h) + h.table_bytes, image, len);
	*out = p;
	*outlen = sizeof(h) + h.table_bytes + len;
	return 0;
}

void vgpu_names_free(struct vgpu_names *t)
{
	for (int i = 0; i < t->n; i++) {
		free(t->expr[i]);
		free(t->lowered[i]);
	}
	free(t->expr);
	free(t->lowered);
	memset(t, 0, sizeof(*t));
}

int vgpu_names_unpack(const void *blob, size_t len, struct vgpu_names *t, const void **image,
		      size_t *imagelen)
{
	const char *b = blob, *end;
	struct names_hdr h;
	size_t pos, lim;

	memset(t, 0, sizeof(*t));
	if (len < sizeof(h) || memcmp(b, NAMES_MAGIC, 8)) {
		*image = blob;
		*imagelen = len;
		return 0;
	}
	memcpy(&h, b, sizeof(h));
	if (h.n > 4096 || h.table_bytes > len - sizeof(h))
		return -ENOEXEC;
	lim = sizeof(h) + h.table_bytes;
	t->expr = calloc(h.n ? h.n : 1, sizeof(char *));
	t->lowered = calloc(h.n ? h.n : 1, sizeof(char *));
	if (!t->expr || !t->lowered) {
		vgpu_names_free(t);
		return -ENOMEM;
	}
	pos = sizeof(h);
	for (uint32_t i = 0; i < h.n; i++) {
		for (int k = 0; k < 2; k++) {
			char **dst = k ? &t->lowered[i] : &t->expr[i];

			end = pos < lim ? memchr(b + pos, 0, lim - pos) : NULL;
			if (!end) {
				t->n = (int)i + 1;
				vgpu_names_free(t);
				return -ENOEXEC;
			}
			*dst = strdup(b + pos);
			t->n = (int)i + 1;
			if (!*dst) {
				vgpu_names_free(t);
				return -ENOMEM;
			}
			pos = end - b + 1;
		}
	}
	t->n = (int)h.n;
	*image = b + lim;
	*imagelen = len - lim;
	return 0;
}

int vgpu_names_index(const struct vgpu_names *t, const char *expr)
{
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->expr[i], expr))
			return i;
	return -1;
}
