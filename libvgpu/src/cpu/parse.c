// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A small, robust scanner for CUDA-dialect sources: finds every
 * `[extern "C"] __global__ [__launch_bounds__(...)] void name(params)`,
 * classifies the parameters, tells which kernels use __syncthreads, and
 * finds `extern __shared__ T name[];` declarations. At the end: barrier
 * fission (vgpu_fission, fission.h), a source-to-source rewrite of kernels
 * with barriers in structured positions into loops over threads.
 *
 * It is not a C++ parser: comments and literals are blanked first, then
 * tokens are matched. Kernels returning non-void and parameter types it does
 * not know are reported as such (VGPU_ARG_NONE), never guessed; template
 * kernels and the namespaces around a kernel are noted (the core makes name
 * expressions of them; the compiler gives the types).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

static bool is_id(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Copy of @src with comments and literal contents turned into spaces. */
static char *blank(const char *src, size_t len)
{
	char *b = malloc(len + 1);
	size_t i = 0;

	if (!b)
		return NULL;
	memcpy(b, src, len);
	b[len] = 0;
	while (i < len) {
		if (b[i] == '/' && i + 1 < len && b[i + 1] == '/') {
			while (i < len && b[i] != '\n')
				b[i++] = ' ';
		} else if (b[i] == '/' && i + 1 < len && b[i + 1] == '*') {
			b[i++] = ' ';
			b[i++] = ' ';
			while (i < len && !(b[i] == '*' && i + 1 < len && b[i + 1] == '/')) {
				if (b[i] != '\n')
					b[i] = ' ';
				i++;
			}
			if (i < len) {
				b[i++] = ' ';
				b[i++] = ' ';
			}
		} else if (b[i] == '"' || b[i] == '\'') {
			char q = b[i++];

			while (i < len && b[i] != q && b[i] != '\n') {
				if (b[i] == '\\' && i + 1 < len)
					b[i++] = ' ';
				b[i++] = ' ';
			}
			i++;
		} else {
			i++;
		}
	}
	return b;
}

static size_t skip_ws(const char *b, size_t len, size_t i)
{
	while (i < len && isspace((unsigned char)b[i]))
		i++;
	return i;
}

static bool word_at(const char *b, size_t len, size_t i, const char *w)
{
	size_t n = strlen(w);

	if (i + n > len || memcmp(b + i, w, n))
		return false;
	if (i > 0 && is_id(b[i - 1]))
		return false;
	return i + n == len || !is_id(b[i + n]);
}

/* Index of the bracket matching the one at @i, or len. */
static size_t match(const char *b, size_t len, size_t i)
{
	char open = b[i], close = open == '(' ? ')' : open == '{' ? '}' : open == '[' ? ']' : '>';
	int depth = 0;

	for (; i < len; i++) {
		if (b[i] == open)
			depth++;
		else if (b[i] == close && --depth == 0)
			return i;
	}
	return len;
}

/* Normalise a parameter's text: keep identifiers, '*', '&', '[', ']'. */
static void classify(const char *p, size_t n, struct vgpu_kparam *kp)
{
	char words[8][32];
	int nw = 0, i;
	bool ptr = false;
	size_t k = 0;
	char base[128] = "";

	while (k < n) {
		if (p[k] == '*' || p[k] == '[' || p[k] == '&') {
			ptr = true;
			k++;
		} else if (is_id(p[k])) {
			size_t s = k;

			while (k < n && is_id(p[k]))
				k++;
			if (nw < 8 && k - s < 32) {
				memcpy(words[nw], p + s, k - s);
				words[nw][k - s] = 0;
				nw++;
			}
		} else {
			k++;
		}
	}
	kp->type = VGPU_ARG_NONE;
	kp->size = 0;
	kp->align = 0;
	if (nw < 2 && !(nw == 1 && ptr))
		return;			/* need a type and a name */
	if (ptr) {
		kp->type = VGPU_ARG_BUFFER;
		kp->size = sizeof(uint64_t);
		kp->align = sizeof(uint64_t);
		return;
	}
	/* the last word is the name; drop qualifiers */
	for (i = 0; i < nw - 1; i++) {
		const char *w = words[i];

		if (!strcmp(w, "const") || !strcmp(w, "volatile") || !strcmp(w, "__restrict__") ||
		    !strcmp(w, "__restrict") || !strcmp(w, "restrict") || !strcmp(w, "std"))
			continue;
		if (base[0])
			strcat(base, " ");
		if (strlen(base) + strlen(w) + 2 < sizeof(base))
			strcat(base, w);
	}
	static const struct { const char *n; uint8_t t, s; } map[] = {
		{ "int", VGPU_ARG_I32, 4 }, { "signed", VGPU_ARG_I32, 4 },
		{ "signed int", VGPU_ARG_I32, 4 }, { "int32_t", VGPU_ARG_I32, 4 },
		{ "unsigned", VGPU_ARG_U32, 4 }, { "unsigned int", VGPU_ARG_U32, 4 },
		{ "uint32_t", VGPU_ARG_U32, 4 },
		{ "long", VGPU_ARG_I64, 8 }, { "long int", VGPU_ARG_I64, 8 },
		{ "long long", VGPU_ARG_I64, 8 }, { "long long int", VGPU_ARG_I64, 8 },
		{ "int64_t", VGPU_ARG_I64, 8 }, { "ptrdiff_t", VGPU_ARG_I64, 8 },
		{ "ssize_t", VGPU_ARG_I64, 8 },
		{ "unsigned long", VGPU_ARG_U64, 8 }, { "unsigned long int", VGPU_ARG_U64, 8 },
		{ "unsigned long long", VGPU_ARG_U64, 8 },
		{ "unsigned long long int", VGPU_ARG_U64, 8 },
		{ "uint64_t", VGPU_ARG_U64, 8 }, { "size_t", VGPU_ARG_U64, 8 },
		{ "float", VGPU_ARG_F32, 4 }, { "double", VGPU_ARG_F64, 8 },
	};
	for (i = 0; i < (int)(sizeof(map) / sizeof(map[0])); i++) {
		if (!strcmp(base, map[i].n)) {
			kp->type = map[i].t;
			kp->size = map[i].s;
			kp->align = map[i].s;
			return;
		}
	}
}

static int count_words(const char *b, size_t from, size_t to, const char *const *ws)
{
	int n = 0;

	for (size_t i = from; i < to; i++) {
		if (!is_id(b[i]) || (i > from && is_id(b[i - 1])))
			continue;
		for (int k = 0; ws[k]; k++)
			if (word_at(b, to, i, ws[k]))
				n++;
	}
	return n;
}

struct range {
	size_t a, b;
};

/* Is the declaration starting at @pos preceded by `template <...>`? */
static bool after_template(const char *b, size_t pos)
{
	size_t j = pos;
	int depth = 0;

	for (;;) {	/* step back over static / inline / __forceinline__ */
		while (j > 0 && isspace((unsigned char)b[j - 1]))
			j--;
		if (j >= 6 && !memcmp(b + j - 6, "static", 6) && (j == 6 || !is_id(b[j - 7])))
			j -= 6;
		else if (j >= 6 && !memcmp(b + j - 6, "inline", 6) && (j == 6 || !is_id(b[j - 7])))
			j -= 6;
		else
			break;
	}
	if (j == 0 || b[j - 1] != '>')
		return false;
	while (j > 0) {
		j--;
		if (b[j] == '>')
			depth++;
		else if (b[j] == '<' && --depth == 0)
			break;
	}
	while (j > 0 && isspace((unsigned char)b[j - 1]))
		j--;
	return j >= 8 && !memcmp(b + j - 8, "template", 8) && (j == 8 || !is_id(b[j - 9]));
}

/* "ns::inner::" for a declaration at @pos: the named namespaces enclosing it. */
static void ns_prefix(const char *b, size_t pos, char *out, size_t len)
{
	size_t stack[32];	/* length of out at each open brace; ~0: not a namespace */
	int depth = 0;
	size_t n = 0;

	out[0] = 0;
	for (size_t i = 0; i < pos; i++) {
		if (b[i] == '{') {
			size_t j = i, e, st;

			while (j > 0 && isspace((unsigned char)b[j - 1]))
				j--;
			e = j;
			while (j > 0 && is_id(b[j - 1]))
				j--;
			st = j;
			while (j > 0 && isspace((unsigned char)b[j - 1]))
				j--;
			if (depth < 32)
				stack[depth] = (size_t)-1;
			if (e > st && j >= 9 && !memcmp(b + j - 9, "namespace", 9) &&
			    (j == 9 || !is_id(b[j - 10])) && depth < 32 && n + (e - st) + 3 < len) {
				stack[depth] = n;
				memcpy(out + n, b + st, e - st);
				n += e - st;
				memcpy(out + n, "::", 3);
				n += 2;
			}
			depth++;
		} else if (b[i] == '}' && depth > 0) {
			depth--;
			if (depth < 32 && stack[depth] != (size_t)-1) {
				n = stack[depth];
				out[n] = 0;
			}
		}
	}
}

static int line_of(const char *b, size_t pos)
{
	int line = 1;

	for (size_t i = 0; i < pos; i++)
		if (b[i] == '\n')
			line++;
	return line;
}

static int parse_xshared(const char *b, size_t len, struct vgpu_ksig *sig)
{
	int depth = 0;

	for (size_t i = 0; i < len; i++) {
		size_t j, semi, lb, e, s, t;
		struct vgpu_xshared *x;
		char type[256];
		size_t tn = 0;

		if (b[i] == '{')
			depth++;
		else if (b[i] == '}')
			depth--;
		if (!word_at(b, len, i, "extern"))
			continue;
		j = skip_ws(b, len, i + 6);
		if (!word_at(b, len, j, "__shared__"))
			continue;
		semi = j;
		while (semi < len && b[semi] != ';')
			semi++;
		if (semi == len)
			return -EINVAL;
		lb = j + 10;
		while (lb < semi && b[lb] != '[')
			lb++;
		if (lb == semi)
			continue;
		/* name: the identifier just before '[' */
		e = lb;
		while (e > j && isspace((unsigned char)b[e - 1]))
			e--;
		s = e;
		while (s > j && is_id(b[s - 1]))
			s--;
		if (s == e || e - s >= sizeof(x->name))
			continue;
		/* type: the tokens between __shared__ and the name, minus alignment */
		for (t = j + 10; t < s && tn < sizeof(type) - 1; t++) {
			if (word_at(b, len, t, "__align__") || word_at(b, len, t, "alignas")) {
				t = skip_ws(b, len, t + (b[t] == '_' ? 9 : 7));
				if (t < s && b[t] == '(')
					t = match(b, len, t);
				continue;
			}
			type[tn++] = b[t];
		}
		type[tn] = 0;
		x = realloc(sig->xshared, (sig->nxshared + 1) * sizeof(*x));
		if (!x)
			return -ENOMEM;
		sig->xshared = x;
		x += sig->nxshared++;
		memset(x, 0, sizeof(*x));
		x->begin = i;
		x->end = semi + 1;
		memcpy(x->name, b + s, e - s);
		/* trim the type */
		{
			char *p = type, *q;

			while (isspace((unsigned char)*p))
				p++;
			q = p + strlen(p);
			while (q > p && isspace((unsigned char)q[-1]))
				*--q = 0;
			if (!*p || strlen(p) >= sizeof(x->type))
				return -EINVAL;
			strcpy(x->type, p);
		}
		x->line_after = line_of(b, semi + 1);
		x->depth = depth;
		i = semi;
	}
	return 0;
}

/* one scan of a source (vgpu_parse_source) */
struct scan {
	const char *src, *b;	/* the source, its blanked copy */
	size_t len;
	struct vgpu_ksig *sig;
	struct range *bodies;	/* of the kernels, from '(' to '}' */
	int nbodies;
};

/* where the declaration of the __global__ at @i begins: at an extern "C"
 * before it, if any (its string was blanked: check src) */
static size_t decl_begin(const struct scan *sc, size_t i, bool *extc)
{
	const char *b = sc->b;
	size_t j = i, e;

	*extc = false;
	while (j > 0 && isspace((unsigned char)b[j - 1]))
		j--;
	if (j < 3 || memcmp(sc->src + j - 3, "\"C\"", 3))
		return i;
	e = j - 3;
	while (e > 0 && isspace((unsigned char)b[e - 1]))
		e--;
	if (e < 6 || !word_at(b, sc->len, e - 6, "extern"))
		return i;
	*extc = true;
	return e - 6;
}

/* past __launch_bounds__(...) at @j, if it is there */
static size_t skip_launch_bounds(const char *b, size_t len, size_t j)
{
	if (!word_at(b, len, j, "__launch_bounds__"))
		return j;
	j = skip_ws(b, len, j + 17);
	if (j < len && b[j] == '(')
		j = skip_ws(b, len, match(b, len, j) + 1);
	return j;
}

/* past the qualifiers between __global__ and the return type */
static size_t skip_kernel_quals(const char *b, size_t len, size_t j)
{
	for (;;) {
		size_t k = skip_launch_bounds(b, len, j);

		if (k != j) {
			j = k;
		} else if (word_at(b, len, j, "static") || word_at(b, len, j, "inline") ||
			   word_at(b, len, j, "__noinline__") || word_at(b, len, j, "__forceinline__")) {
			while (j < len && is_id(b[j]))
				j++;
			j = skip_ws(b, len, j);
		} else {
			return j;
		}
	}
}

/* the kernel named b[s, e), added if new; NULL: no memory */
static struct vgpu_kinfo *scan_kernel_of(struct vgpu_ksig *sig, const char *name, size_t n)
{
	struct vgpu_kinfo *ki;

	for (int k = 0; k < sig->nkernels; k++)
		if (strlen(sig->kernels[k].name) == n && !memcmp(sig->kernels[k].name, name, n))
			return &sig->kernels[k];
	ki = realloc(sig->kernels, (sig->nkernels + 1) * sizeof(*ki));
	if (!ki)
		return NULL;
	sig->kernels = ki;
	ki = &ki[sig->nkernels++];
	memset(ki, 0, sizeof(*ki));
	memcpy(ki->name, name, n);
	return ki;
}

/* extern "C", template, the namespace-qualified name */
static void scan_kernel_note(struct vgpu_kinfo *ki, const char *b, size_t begin, bool extc)
{
	char q[VGPU_KNAME_MAX];

	ki->extern_c |= extc;
	ki->is_template |= after_template(b, begin);
	if (ki->qual[0])
		return;
	ns_prefix(b, begin, q, sizeof(q));
	if (strlen(q) + strlen(ki->name) < sizeof(ki->qual)) {
		strcpy(ki->qual, q);
		strcat(ki->qual, ki->name);
	}
}

/* the declaration site, and the parameters b(lp, rp) split at top-level commas */
static int scan_site(struct scan *sc, struct vgpu_kinfo *ki, size_t begin, size_t lp, size_t rp)
{
	const char *b = sc->b;
	struct vgpu_ksig *sig = sc->sig;
	size_t s = lp + 1, t = skip_ws(b, sc->len, lp + 1);
	bool voidp = t == rp || (word_at(b, sc->len, t, "void") && skip_ws(b, sc->len, t + 4) == rp);
	struct vgpu_ksite *site = realloc(sig->sites, (sig->nsites + 1) * sizeof(*site));
	int depth = 0, np = 0;

	if (!site)
		return -ENOMEM;
	sig->sites = site;
	site += sig->nsites++;
	site->begin = begin;
	site->lparen = lp;
	site->rparen = rp;
	site->kernel = (int)(ki - sig->kernels);
	site->void_params = voidp;
	for (size_t p = lp + 1; !voidp && p <= rp; p++) {
		if (b[p] == '(' || b[p] == '<' || b[p] == '[')
			depth++;
		else if ((b[p] == ')' || b[p] == '>' || b[p] == ']') && p < rp)
			depth--;
		if ((b[p] == ',' && depth == 0) || p == rp) {
			if (np < VGPU_MAX_PARAMS)
				classify(b + s, p - s, &ki->params[np]);
			np++;
			s = p + 1;
		}
	}
	ki->nparams = np > VGPU_MAX_PARAMS ? -1 : np;
	return 0;
}

static const char *const scan_barrier[] = { "__syncthreads", NULL };
static const char *const scan_builtins[] = { "threadIdx", "blockIdx", "blockDim", "gridDim", NULL };

/* the body after b[rp], if any: remembered, its barrier noted; *@next: where the scan goes on */
static int scan_body(struct scan *sc, struct vgpu_kinfo *ki, size_t lp, size_t rp, size_t *next)
{
	const char *b = sc->b;
	size_t after = skip_ws(b, sc->len, rp + 1), end;
	struct range *nb;

	*next = rp;
	if (after >= sc->len || b[after] != '{')
		return 0;
	end = match(b, sc->len, after);
	if (end >= sc->len)
		return -EINVAL;
	nb = realloc(sc->bodies, (sc->nbodies + 1) * sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	sc->bodies = nb;
	nb[sc->nbodies].a = lp;
	nb[sc->nbodies].b = end;
	sc->nbodies++;
	if (count_words(b, after, end, scan_barrier))
		ki->uses_barrier = true;
	ki->has_body = true;
	*next = end;
	return 0;
}

/* the kernel declared by the __global__ at @i, if one a launch can call; *@next: where the scan goes on */
static int scan_kernel(struct scan *sc, size_t i, size_t *next)
{
	const char *b = sc->b;
	size_t len = sc->len, j, name_s, name_e, lp, rp, begin;
	struct vgpu_kinfo *ki;
	bool extc;
	int ret;

	*next = i + 9;
	begin = decl_begin(sc, i, &extc);
	j = skip_kernel_quals(b, len, skip_ws(b, len, i + 10));
	if (!word_at(b, len, j, "void"))
		return 0;		/* not something we can launch */
	name_s = skip_launch_bounds(b, len, skip_ws(b, len, j + 4));	/* after void */
	for (name_e = name_s; name_e < len && is_id(b[name_e]); name_e++)
		;
	lp = skip_ws(b, len, name_e);
	if (name_e == name_s || lp >= len || b[lp] != '(' || name_e - name_s >= VGPU_KNAME_MAX)
		return 0;
	rp = match(b, len, lp);
	if (rp >= len)
		return -EINVAL;
	ki = scan_kernel_of(sc->sig, b + name_s, name_e - name_s);
	if (!ki)
		return -ENOMEM;
	scan_kernel_note(ki, b, begin, extc);
	ret = scan_site(sc, ki, begin, lp, rp);
	return ret ? ret : scan_body(sc, ki, lp, rp, next);
}

/* barriers and builtins outside kernel bodies (helpers): then every kernel may barrier */
static void scan_helpers(struct scan *sc)
{
	struct vgpu_ksig *sig = sc->sig;
	size_t pos = 0;
	int n_bar = 0, n_blt = 0;

	for (int r = 0; r <= sc->nbodies; r++) {
		size_t end = r < sc->nbodies ? sc->bodies[r].a : sc->len;

		if (end > pos) {
			n_bar += count_words(sc->b, pos, end, scan_barrier);
			n_blt += count_words(sc->b, pos, end, scan_builtins);
		}
		if (r < sc->nbodies)
			pos = sc->bodies[r].b + 1;
	}
	sig->helpers_use_barrier = n_bar > 0;
	sig->helpers_use_builtins = n_blt > 0;
	if (sig->helpers_use_barrier)
		for (int k = 0; k < sig->nkernels; k++)
			sig->kernels[k].uses_barrier = true;
}

int vgpu_parse_source(const char *src, size_t len, struct vgpu_ksig *sig)
{
	struct scan sc = { .src = src, .len = len, .sig = sig };
	char *b;
	int ret = 0;

	memset(sig, 0, sizeof(*sig));
	b = blank(src, len);
	if (!b)
		return -ENOMEM;
	sc.b = b;
	for (size_t i = 0; i < len && !ret; i++)
		if (word_at(b, len, i, "__global__"))
			ret = scan_kernel(&sc, i, &i);
	if (!ret) {
		scan_helpers(&sc);
		ret = parse_xshared(b, len, sig);
	}
	free(sc.bodies);
	free(b);
	if (ret)
		vgpu_ksig_free(sig);
	return ret;
}

void vgpu_ksig_free(struct vgpu_ksig *sig)
{
	if (!sig)
		return;
	free(sig->kernels);
	free(sig->sites);
	free(sig->xshared);
	memset(sig, 0, sizeof(*sig));
}

const struct vgpu_kinfo *vgpu_ksig_find(const struct vgpu_ksig *sig, const char *name)
{
	if (!sig)
		return NULL;
	for (int k = 0; k < sig->nkernels; k++)
		if (!strcmp(sig->kernels[k].name, name))
			return &sig->kernels[k];
	return NULL;
}

/* ---- barrier fission ------------------------------------------------------ */
/*
 * A kernel whose barriers all sit at the top level of its body, or at the top
 * level of the body of block-uniform `for`/`while` loops that are themselves
 * at such a top level, is cut at the barriers into regions; each region runs
 * as a loop over the threads of the block (threadIdx.x innermost, contiguous),
 * uniform loop headers stay outside as plain loops. Locals declared at the top
 * level of a region and used in a later one are either recomputed in the later
 * regions ("rematerialised": never modified, initialiser made of builtins,
 * parameters, literals, uniform loop variables and other such locals) or
 * promoted to one instance per thread (`T name__v[1024]`, bound by a reference
 * `T &name = name__v[thread]` in each region). Anything not understood makes
 * vgpu_fission() answer 1 and the kernel runs on fibers as before.
 */
#include "cpu/fission.h"

#include <stdio.h>

enum { FT_ID, FT_NUM, FT_STR, FT_PUNCT, FT_PP };

struct ftok {
	size_t a, b;		/* [a, b) in the source */
	int kind, line;
};

struct fmacro {
	size_t na, nb;		/* name */
	size_t ra, rb;		/* replacement */
	bool func, bad;		/* function-like; defined twice or #undef-ed */
};

struct fdecl {
	int name;		/* token of the name */
	int sa, se;		/* specifier tokens [sa, se) */
	int da, de;		/* declarator tokens [da, de): pointers, name, init */
	int pa, pe;		/* pointer tokens before the name */
	int ia, ie;		/* initialiser after '=' [ia, ie); ia == ie: none */
	int xa, xe;		/* array suffix [xa, xe): `[4][2]` */
	bool array, ref, ctor, brace;
	bool used_later, remat, promoted;
	bool uni;		/* remat and block-uniform: also computable per block */
};

struct fx {
	const char *src, *b;	/* source, blanked copy */
	size_t len;
	const struct vgpu_ksig *sig;
	const char *fname;
	struct ftok *t;
	int nt, cap;
	int body_end;		/* token index of the body's closing brace */
	int np;
	int params[VGPU_MAX_PARAMS];	/* tokens of the parameter names */
	struct fmacro *mac;
	int nmac;
	struct fdecl *d;	/* tracked declarations (all scopes) */
	int nd, dcap;
	int *vis;		/* visible tracked declarations, in order */
	int nvis;
	int *loopv;		/* tokens of uniform loop variables in scope */
	int nloopv;
	bool no_remat;
	bool refs;		/* fx_ref_params() */
	int npromoted;
	bool set_tls;		/* helpers read ::threadIdx */
	int label;
	struct vgpu_sbuf o;
	const char *why;
};

static int fx_fail(struct fx *x, const char *why)
{
	if (!x->why)
		x->why = why;
	return -1;
}

/* Tokenize b[a, e) onto x->t; returns the index of the first token. */
static int fx_tokenize(struct fx *x, size_t a, size_t e)
{
	static const char *const p3[] = { ">>=", "<<=", "...", "->*", NULL };
	static const char *const p2[] = { "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=",
					  "&&", "||", "+=", "-=", "*=", "/=", "%=", "&=", "|=",
					  "^=", "::", ".*", NULL };
	const char *b = x->b;
	int first = x->nt, line = line_of(b, a);
	struct ftok *t;
	size_t i = a;

	while (i < e) {
		struct ftok tk = { .a = i, .line = line };
		char c = b[i];

		if (c == '\n') {
			line++;
			i++;
			continue;
		}
		if (isspace((unsigned char)c)) {
			i++;
			continue;
		}
		if (c == '#') {
			while (i < e && b[i] != '\n') {
				if (b[i] == '\\' && i + 1 < e && b[i + 1] == '\n') {
					line++;
					i++;
				}
				i++;
			}
			tk.kind = FT_PP;
		} else if (isalpha((unsigned char)c) || c == '_') {
			while (i < e && is_id(b[i]))
				i++;
			tk.kind = FT_ID;
		} else if (isdigit((unsigned char)c) || (c == '.' && i + 1 < e && isdigit((unsigned char)b[i + 1]))) {
			i++;
			while (i < e && (is_id(b[i]) || b[i] == '.' ||
					 ((b[i] == '+' || b[i] == '-') && strchr("eEpP", b[i - 1]))))
				i++;
			tk.kind = FT_NUM;
		} else if (c == '"' || c == '\'') {
			i++;
			while (i < e && b[i] != c && b[i] != '\n')
				i++;
			if (i < e && b[i] == c)
				i++;
			tk.kind = FT_STR;
		} else {
			int k;

			tk.kind = FT_PUNCT;
			for (k = 0; p3[k]; k++)
				if (i + 3 <= e && !memcmp(b + i, p3[k], 3))
					break;
			if (p3[k]) {
				i += 3;
			} else {
				for (k = 0; p2[k]; k++)
					if (i + 2 <= e && !memcmp(b + i, p2[k], 2))
						break;
				i += p2[k] ? 2 : 1;
			}
		}
		tk.b = i;
		t = vgpu_grow(x->t, x->nt, &x->cap, sizeof(*t), 1024);
		if (!t)
			return -ENOMEM;
		x->t = t;
		x->t[x->nt++] = tk;
	}
	return first;
}

static bool tis(const struct fx *x, int i, const char *s)
{
	size_t n = strlen(s);

	return i >= 0 && i < x->nt && x->t[i].b - x->t[i].a == n && !memcmp(x->b + x->t[i].a, s, n);
}

static bool tid(const struct fx *x, int i)
{
	return i >= 0 && i < x->nt && x->t[i].kind == FT_ID;
}

static bool tsame(const struct fx *x, int i, int j)
{
	size_t n = x->t[i].b - x->t[i].a;

	return x->t[j].b - x->t[j].a == n && !memcmp(x->b + x->t[i].a, x->b + x->t[j].a, n);
}

static bool topen(const struct fx *x, int i)
{
	return tis(x, i, "(") || tis(x, i, "[") || tis(x, i, "{");
}

static bool tclose(const struct fx *x, int i)
{
	return tis(x, i, ")") || tis(x, i, "]") || tis(x, i, "}");
}

/* Index of the token closing the bracket at @i (before @e), or -1. */
static int tmatch(const struct fx *x, int i, int e)
{
	int depth = 0;

	for (; i < e; i++) {
		if (topen(x, i))
			depth++;
		else if (tclose(x, i) && --depth == 0)
			return i;
	}
	return -1;
}

static bool tassign(const struct fx *x, int i)
{
	static const char *const ops[] = { "=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
					   "<<=", ">>=", "++", "--", NULL };

	for (int k = 0; ops[k]; k++)
		if (tis(x, i, ops[k]))
			return true;
	return false;
}

/* Is the identifier at @n (a token anywhere) modified, or its address taken, in [a, e)?
 * Conservative: `a & name` counts as taking the address; where the source has
 * functions with reference parameters, so does passing it as an argument. */
static bool fx_modified(const struct fx *x, int n, int a, int e, int except)
{
	for (int i = a; i < e; i++) {
		int j = i + 1;

		if (i == except || x->t[i].kind != FT_ID || !tsame(x, i, n))
			continue;
		if (tis(x, i - 1, ".") || tis(x, i - 1, "->") || tis(x, i - 1, "::"))
			continue;
		/* bound to a reference (`T &r = p;`, `int &r = p.a;`): changed through it */
		if (tis(x, i - 1, "=") && tid(x, i - 2) && (tis(x, i - 3, "&") || tis(x, i - 3, "&&")))
			return true;
		/* `(p).a =`: as p.a */
		if (tis(x, i - 1, "(") && tis(x, i + 1, ")") && (tis(x, i + 2, ".") || tassign(x, i + 2)))
			j = i + 2;
		/* a member of it (a struct by value), subscripted or not: `p.a +=`,
		 * `p.v[i] =`, `p.in.x++` modify it; `p->a =` and `p[i] =` do not */
		if (tis(x, j, ".") && tid(x, j + 1)) {
			for (;;) {
				if (tis(x, j, ".") && tid(x, j + 1))
					j += 2;
				else if (tis(x, j, "[") && (j = tmatch(x, j, e)) >= 0)
					j++;
				else
					break;
			}
			if (j < 0)
				return true;	/* unbalanced: assume the worst */
			/* a member function called on it (`p.inc()`) may change it */
			if (tis(x, j, "("))
				return true;
		}
		if (tassign(x, j) || tis(x, i - 1, "++") || tis(x, i - 1, "--") ||
		    (tis(x, i - 1, "&") && !tis(x, i + 1, "[") && !tis(x, i + 1, "->")))
			return true;
		/* an argument, or a member of it (`f(p.a)`), where a function takes a reference */
		if (x->refs && (tis(x, i - 1, "(") || tis(x, i - 1, ",")) &&
		    (tis(x, j, ")") || tis(x, j, ",")))
			return true;
	}
	return false;
}

/*
 * Does the source declare a function with a non-const reference parameter
 * (which could modify an argument behind the checks' back)? Conservative:
 * any `name(... & ...)` followed by `{`, `;` or `const`, outside `if`/`while`/...
 */
static bool fx_ref_params(const char *b, size_t len)
{
	static const char *const kw[] = { "if", "while", "for", "switch", "return", "sizeof",
					  "catch", "__launch_bounds__", "alignas", "__align__",
					  "decltype", "static_assert", NULL };

	for (size_t i = 0; i < len; i++) {
		size_t s, e, j;
		bool amp = false, cst = false, any = false;

		if (b[i] == '#') {		/* preprocessor line */
			while (i < len && b[i] != '\n') {
				if (b[i] == '\\' && i + 1 < len)
					i++;
				i++;
			}
			continue;
		}
		if (b[i] != '(')
			continue;
		e = i;
		while (e > 0 && isspace((unsigned char)b[e - 1]))
			e--;
		s = e;
		while (s > 0 && is_id(b[s - 1]))
			s--;
		if (s == e || isdigit((unsigned char)b[s]))
			continue;
		{
			bool k = false;

			for (int w = 0; kw[w]; w++)
				k |= word_at(b, len, s, kw[w]);
			if (k)
				continue;
		}
		j = match(b, len, i);
		if (j >= len)
			return true;
		for (size_t c = i + 1; c <= j; c++) {	/* parameters, split at commas */
			if (c == j || b[c] == ',') {
				any |= amp && !cst;
				amp = cst = false;
				continue;
			}
			if (b[c] == '&' && b[c + 1] != '&' && b[c - 1] != '&') {
				size_t q = c;	/* `T &name`, not `f(&v)` (an address) */

				while (q > i + 1 && isspace((unsigned char)b[q - 1]))
					q--;
				if (is_id(b[q - 1]) || b[q - 1] == '>')
					amp = true;
			}
			if (word_at(b, j, c, "const"))
				cst = true;
		}
		if (!any)
			continue;
		e = skip_ws(b, len, j + 1);
		if (e < len && (b[e] == '{' || b[e] == ';' || word_at(b, len, e, "const")))
			return true;
	}
	return false;
}

static int fx_macro(const struct fx *x, int i);

/* Does identifier @n occur (not as a member) in [a, e), or in the replacement
 * of a macro used there? */
static bool fx_uses(const struct fx *x, int n, int a, int e)
{
	char name[256];
	size_t len = x->t[n].b - x->t[n].a;

	if (len >= sizeof(name))
		return true;
	memcpy(name, x->b + x->t[n].a, len);
	name[len] = 0;
	for (int i = a; i < e; i++) {
		int m;

		if (x->t[i].kind != FT_ID)
			continue;
		if (tsame(x, i, n) && !tis(x, i - 1, ".") && !tis(x, i - 1, "->"))
			return true;
		if ((m = fx_macro(x, i)) >= 0)
			for (size_t c = x->mac[m].ra; c < x->mac[m].rb; c++)
				if (word_at(x->b, x->mac[m].rb, c, name))
					return true;
	}
	return false;
}

static bool fx_word_in(const struct fx *x, int i, const char *const *ws)
{
	for (int k = 0; ws[k]; k++)
		if (tis(x, i, ws[k]))
			return true;
	return false;
}

static int fx_param(const struct fx *x, int i)
{
	for (int k = 0; k < x->np; k++)
		if (tsame(x, x->params[k], i))
			return k;
	return -1;
}

static int fx_macro(const struct fx *x, int i)
{
	size_t n = x->t[i].b - x->t[i].a;

	for (int k = 0; k < x->nmac; k++)
		if (x->mac[k].nb - x->mac[k].na == n && !memcmp(x->b + x->mac[k].na, x->b + x->t[i].a, n))
			return k;
	return -1;
}

static int fx_vis(const struct fx *x, int i)
{
	for (int k = x->nvis - 1; k >= 0; k--)
		if (tsame(x, x->d[x->vis[k]].name, i))
			return x->vis[k];
	return -1;
}

static bool fx_loopv(const struct fx *x, int i)
{
	for (int k = 0; k < x->nloopv; k++)
		if (tsame(x, x->loopv[k], i))
			return true;
	return false;
}

/*
 * Is [a, e) block-uniform: literals, operators, parameters, blockIdx/blockDim/
 * gridDim, uniform loop variables, object-like macros that are themselves
 * uniform; with @thread also threadIdx and rematerialisable locals. Calls
 * only to min/max and functional casts; no memory reads ([], ->).
 */
#define FX_ASSIGN 100	/* @depth flag: assignments allowed (a for increment) */
static bool fx_uniform(struct fx *x, int a, int e, bool thread, int depth)
{
	bool assign = depth >= FX_ASSIGN;

	static const char *const kw[] = { "int", "unsigned", "long", "short", "char", "float",
					  "double", "signed", "const", "sizeof", "true", "false",
					  "bool", "size_t", "int64_t", "uint64_t", "int32_t",
					  "uint32_t", "min", "max", NULL };
	static const char *const bad[] = { "[", "]", "->", "{", "}", ";", "=", "+=", "-=", "*=",
					   "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "++", "--",
					   ".*", "->*", "::", NULL };

	if (assign)
		depth -= FX_ASSIGN;
	if (depth > 8)
		return false;
	for (int i = a; i < e; i++) {
		const struct ftok *t = &x->t[i];

		if (t->kind == FT_NUM || (assign && (tassign(x, i) || tis(x, i, ","))))
			continue;
		if (t->kind == FT_STR || t->kind == FT_PP)
			return false;
		if (t->kind == FT_PUNCT) {
			if (fx_word_in(x, i, bad))
				return false;
			if (tis(x, i, ".")) {
				if (!(tis(x, i + 1, "x") || tis(x, i + 1, "y") || tis(x, i + 1, "z")))
					return false;
				i++;
			}
			continue;
		}
		if (tis(x, i, "blockIdx") || tis(x, i, "blockDim") || tis(x, i, "gridDim") ||
		    (thread && tis(x, i, "threadIdx"))) {
			if (!tis(x, i + 1, "."))
				return false;
			continue;
		}
		if (fx_word_in(x, i, kw))
			continue;
		if (tis(x, i + 1, "("))		/* a call */
			return false;
		if (fx_param(x, i) >= 0 || fx_loopv(x, i))
			continue;
		{
			int d = fx_vis(x, i);

			if (d >= 0 && (thread ? x->d[d].remat : x->d[d].uni))
				continue;
		}
		{
			int m = fx_macro(x, i), ma;

			if (m < 0 || x->mac[m].func || x->mac[m].bad)
				return false;
			ma = fx_tokenize(x, x->mac[m].ra, x->mac[m].rb);
			if (ma < 0)
				return false;
			{
				int me = x->nt;
				bool u = fx_uniform(x, ma, me, thread, depth + 1);

				x->nt = ma;	/* drop the macro's tokens again */
				if (!u)
					return false;
			}
		}
	}
	return true;
}

struct sflags {
	bool barrier, ret, stray;
};

/* A simple statement (expression or declaration) from @i to its ';'. */
static int fx_simple(struct fx *x, int i, int e, struct sflags *f)
{
	static const char *const no[] = { "goto", "asm", "__asm__", "__asm", "try", "throw",
					  "decltype", "typeof", "__typeof__", "__typeof",
					  "typedef", "using", "template", "namespace", "class",
					  "struct", "union", "enum", "static", "extern", "case",
					  "default", "else", NULL };
	int depth = 0;

	for (int j = i; j < e; j++) {
		if (x->t[j].kind == FT_PP)
			return fx_fail(x, "a preprocessor directive inside a statement");
		if (topen(x, j)) {
			if (tis(x, j, "[") && !(tid(x, j - 1) || tis(x, j - 1, "]") || tis(x, j - 1, ")")))
				return fx_fail(x, "a lambda");
			depth++;
		} else if (tclose(x, j)) {
			if (--depth < 0)
				return fx_fail(x, "unbalanced brackets");
		} else if (depth == 0 && tis(x, j, ";")) {
			return j + 1;
		} else if (tis(x, j, "__syncthreads")) {
			f->barrier = true;
		} else if (tis(x, j, "return")) {
			if (j != i)
				return fx_fail(x, "return inside an expression");
			f->ret = true;
		} else if (fx_word_in(x, j, no)) {
			return fx_fail(x, "a construct fission does not handle (goto, asm, static, types...)");
		} else if (tid(x, j) && j == i && tis(x, j + 1, ":")) {
			return fx_fail(x, "a label");
		}
	}
	return fx_fail(x, "a statement without ';'");
}

/* Any statement from @i; returns the index after it or -1. */
static int fx_stmt(struct fx *x, int i, int e, bool loop, bool sw, struct sflags *f)
{
	int j, k;

	if (i >= e)
		return fx_fail(x, "a statement runs past its block");
	if (x->t[i].kind == FT_PP) {
		if (x->t[i].b - x->t[i].a >= 7 && !memcmp(x->b + x->t[i].a, "#pragma", 7))
			return i + 1;
		return fx_fail(x, "a preprocessor conditional or definition inside the kernel");
	}
	if (tis(x, i, ";"))
		return i + 1;
	if (tis(x, i, "{")) {
		for (j = i + 1; j < e && !tis(x, j, "}");)
			if ((j = fx_stmt(x, j, e, loop, sw, f)) < 0)
				return -1;
		return j < e ? j + 1 : fx_fail(x, "unbalanced braces");
	}
	if (tis(x, i, "if") || tis(x, i, "for") || tis(x, i, "while") || tis(x, i, "switch")) {
		bool isloop = tis(x, i, "for") || tis(x, i, "while");

		if (!tis(x, i + 1, "(") || (k = tmatch(x, i + 1, e)) < 0)
			return fx_fail(x, "a statement header without parentheses");
		for (j = i + 2; j < k; j++) {
			if (tis(x, j, "__syncthreads"))
				f->barrier = true;
			if (tis(x, j, "[") && !(tid(x, j - 1) || tis(x, j - 1, "]") || tis(x, j - 1, ")")))
				return fx_fail(x, "a lambda");
		}
		j = fx_stmt(x, k + 1, e, loop || isloop, sw || tis(x, i, "switch"), f);
		if (j >= 0 && tis(x, i, "if") && tis(x, j, "else"))
			j = fx_stmt(x, j + 1, e, loop, sw, f);
		return j;
	}
	if (tis(x, i, "do")) {
		j = fx_stmt(x, i + 1, e, true, sw, f);
		if (j < 0 || !tis(x, j, "while") || !tis(x, j + 1, "(") || (k = tmatch(x, j + 1, e)) < 0 ||
		    !tis(x, k + 1, ";"))
			return fx_fail(x, "a do-while statement");
		return k + 2;
	}
	if (tis(x, i, "case") || tis(x, i, "default")) {
		for (j = i + 1; j < e && !tis(x, j, ":"); j++)
			if (tis(x, j, ";") || tis(x, j, "{"))
				return fx_fail(x, "a case label");
		return j < e && sw ? j + 1 : fx_fail(x, "a case label");
	}
	if (tis(x, i, "break") || tis(x, i, "continue")) {
		if (!loop && !(sw && tis(x, i, "break")))
			f->stray = true;
		return tis(x, i + 1, ";") ? i + 2 : fx_fail(x, "break/continue");
	}
	return fx_simple(x, i, e, f);
}

/*
 * The initialiser of declarator @d at token @j, if any: "= expr" up to a
 * top-level ',' (or the end @e), or a constructor's (...) / {...}. Returns the
 * token after it, -1 if unbalanced.
 */
static int fx_decl_init(struct fx *x, struct fdecl *d, int j, int e)
{
	int depth = 0, k;

	d->ia = d->ie = j;
	if (tis(x, j, "=")) {
		d->ia = ++j;
		d->brace = tis(x, j, "{");
		for (; j < e; j++) {
			if (topen(x, j))
				depth++;
			else if (tclose(x, j))
				depth--;
			else if (depth == 0 && tis(x, j, ","))
				break;
		}
		d->ie = j;
	} else if (tis(x, j, "(") || tis(x, j, "{")) {
		d->ctor = true;
		if ((k = tmatch(x, j, e)) < 0)
			return -1;
		j = k + 1;
	}
	return j;
}

/* Parse a declaration statement [a, e) (e: its ';'); false if it is not one. */
static bool fx_decl(struct fx *x, int a, int e, struct fdecl *out, int max, int *n)
{
	static const char *const quals[] = { "const", "volatile", "__restrict__", "__restrict",
					     "restrict", NULL };
	static const char *const notype[] = { "return", "delete", "new", "sizeof", "break",
					      "continue", "else", "do", "throw", NULL };
	int i = a, k, sa = a, se, j;

	while (i < e && (tid(x, i) || (tis(x, i, "::") && tid(x, i + 1))))
		i++;
	if (i == a || fx_word_in(x, a, notype))
		return false;
	if (tis(x, i, "*") || tis(x, i, "&")) {
		se = i;
		j = i;
	} else if (tis(x, i, "=") || tis(x, i, ";") || tis(x, i, ",") || tis(x, i, "[") ||
		   tis(x, i, "(") || tis(x, i, "{")) {
		if (i - a < 2 || tis(x, i - 2, "::"))
			return false;
		se = i - 1;
		j = i - 1;
	} else {
		return false;
	}
	*n = 0;
	for (;;) {
		struct fdecl d;

		memset(&d, 0, sizeof(d));
		d.sa = sa;
		d.se = se;
		d.da = d.pa = j;
		while (j < e && (tis(x, j, "*") || tis(x, j, "&") || (fx_word_in(x, j, quals) && j > d.da))) {
			if (tis(x, j, "&"))
				d.ref = true;
			j++;
		}
		d.pe = j;
		if (!tid(x, j))
			return false;
		d.name = j++;
		d.xa = j;
		while (tis(x, j, "[")) {
			d.array = true;
			if ((k = tmatch(x, j, e)) < 0)
				return false;
			j = k + 1;
		}
		d.xe = j;
		j = fx_decl_init(x, &d, j, e);
		if (j < 0)
			return false;
		d.de = j;
		if (*n < max)
			out[*n] = d;
		(*n)++;
		if (j == e)
			return *n <= max;
		if (!tis(x, j, ","))
			return false;
		j++;
	}
}

static void fx_text(struct fx *x, int a, int e)
{
	if (a < e)
		vgpu_sb_add(&x->o, x->src + x->t[a].a, x->t[e - 1].b - x->t[a].a);
}

/*
 * Specifiers of a promoted variable: without `const` (its copies are assigned)
 * unless it is a pointer (then `const` is the pointee's: kept).
 */
static void fx_spec_promoted(struct fx *x, const struct fdecl *d)
{
	bool ptr = false;

	for (int i = d->pa; i < d->pe; i++)
		ptr |= tis(x, i, "*");
	for (int i = d->sa; i < d->se; i++) {
		if ((!ptr && tis(x, i, "const")) || fx_word_in(x, i, (const char *const[]){ "__restrict__",
				"__restrict", "restrict", NULL }))
			continue;
		fx_text(x, i, i + 1);
		vgpu_sb_str(&x->o, " ");
	}
}

static void fx_line(struct fx *x, int tok)
{
	vgpu_sb_printf(&x->o, "\n#line %d \"%s\"\n", x->t[tok].line, x->fname);
}

/* T *&name = name__v[__vgpu_t]; */
static void fx_bind(struct fx *x, const struct fdecl *d)
{
	fx_spec_promoted(x, d);
	for (int i = d->pa; i < d->pe; i++)
		if (tis(x, i, "*"))
			vgpu_sb_str(&x->o, "*");
	vgpu_sb_str(&x->o, d->array ? "(&" : "&");
	fx_text(x, d->name, d->name + 1);
	if (d->array) {
		vgpu_sb_str(&x->o, ")");
		fx_text(x, d->xa, d->xe);
	}
	vgpu_sb_str(&x->o, " = ");
	fx_text(x, d->name, d->name + 1);
	vgpu_sb_str(&x->o, "__v[__vgpu_t]; ");
}

/* The locals visible in a later region: references or recomputations. */
static void fx_prologue(struct fx *x)
{
	for (int k = 0; k < x->nvis; k++) {
		const struct fdecl *d = &x->d[x->vis[k]];

		if (d->promoted) {
			fx_bind(x, d);
		} else {
			fx_text(x, d->sa, d->se);
			vgpu_sb_str(&x->o, " ");
			fx_text(x, d->da, d->de);
			vgpu_sb_str(&x->o, "; ");
		}
	}
}

enum { FI_STMT, FI_BAR, FI_SHARED, FI_LOOP, FI_PP, FI_GS };

/* the top-level ';' of a for header between tokens @lp and @rp: the first and last (-1: none) */
static void for_semis(struct fx *x, int lp, int rp, int *s1, int *s2)
{
	int depth = 0;

	*s1 = *s2 = -1;
	for (int j = lp + 1; j < rp; j++) {
		if (topen(x, j))
			depth++;
		else if (tclose(x, j))
			depth--;
		else if (depth == 0 && tis(x, j, ";"))
			*s1 < 0 ? (*s1 = j) : (*s2 = j);
	}
}

struct fitem {
	int kind, a, e;		/* tokens [a, e) */
	int region;		/* FI_STMT: index of its region */
	int hdr;		/* FI_LOOP: '(' of the header; body '{' is at e - ... */
	int body;		/* FI_LOOP: token of the body's '{' */
	bool ret;
	int d0, nd;		/* FI_STMT: its tracked declarations */
	/* FI_GS: `for (T i = U + threadIdx.x; i < N; i += S) body` */
	int gspec, gname, gtid, gia, gie, gca, gce, gna, gne, gsa, gse, gba, gbe;
};

/*
 * A thread-strided loop `for (T i = U + threadIdx.x; i < N; i += S) body`
 * (the grid-stride loop; U, N, S checked block-uniform when emitted): it can
 * run with the loop over threads inside (contiguous accesses across threads)
 * instead of outside.
 */
static bool fx_gs(struct fx *x, int a, int e, struct fitem *f)
{
	struct fdecl d[2];
	int rp, s1, s2, n = 0, depth;
	struct sflags fl = { 0 };

	if (!tis(x, a, "for") || !tis(x, a + 1, "(") || (rp = tmatch(x, a + 1, e)) < 0)
		return false;
	for_semis(x, a + 1, rp, &s1, &s2);
	if (s2 < 0 || !fx_decl(x, a + 2, s1, d, 2, &n) || n != 1 || d[0].pa != d[0].pe ||
	    d[0].array || d[0].ref || d[0].ctor || d[0].brace || d[0].ia == d[0].ie)
		return false;
	f->gspec = d[0].sa;
	f->gname = d[0].name;
	f->gia = d[0].ia;
	f->gie = d[0].ie;
	/* U + threadIdx.x or threadIdx.x + U, a sum at the top level */
	f->gtid = -1;
	depth = 0;
	for (int j = f->gia; j < f->gie; j++) {
		static const char *const low[] = { "<<", ">>", "<", ">", "<=", ">=", "==", "!=", "&",
						   "^", "|", "&&", "||", "?", ":", ",", "=", NULL };

		if (topen(x, j))
			depth++;
		else if (tclose(x, j))
			depth--;
		if (tis(x, j, "threadIdx")) {
			if (depth || f->gtid >= 0 || !tis(x, j + 1, ".") || !tis(x, j + 2, "x") ||
			    !(j == f->gia || tis(x, j - 1, "+")) ||
			    !(j + 3 == f->gie || tis(x, j + 3, "+") || tis(x, j + 3, "-")))
				return false;
			f->gtid = j;
		}
		if (depth == 0 && fx_word_in(x, j, low))
			return false;
	}
	if (f->gtid < 0)
		return false;
	/* i < N; i += S */
	if (!tsame(x, s1 + 1, f->gname) || !tis(x, s1 + 2, "<") || s1 + 3 >= s2 ||
	    !tsame(x, s2 + 1, f->gname) || !tis(x, s2 + 2, "+=") || s2 + 3 >= rp)
		return false;
	f->gca = s1 + 1;
	f->gce = s2;
	f->gna = s1 + 3;
	f->gne = s2;
	f->gsa = s2 + 3;
	f->gse = rp;
	f->gba = rp + 1;
	f->gbe = e;
	if (fx_stmt(x, f->gba, e, false, false, &fl) != e || fl.barrier || fl.ret || fl.stray ||
	    fx_modified(x, f->gname, f->gba, f->gbe, -1))
		return false;
	return true;
}

static int fx_scope(struct fx *x, int a, int e, bool top);

/* Check the header of a loop that contains barriers; pushes its variables. */
static int fx_uloop(struct fx *x, int i, int *body, int *bend)
{
	int lp = i + 1, rp = tmatch(x, lp, x->body_end), s1, s2;

	if (rp < 0 || !tis(x, rp + 1, "{") || (*bend = tmatch(x, rp + 1, x->body_end)) < 0)
		return fx_fail(x, "a loop with barriers and no braced body");
	*body = rp + 1;
	if (tis(x, i, "while")) {
		if (!fx_uniform(x, lp + 1, rp, false, 0))
			return fx_fail(x, "a barrier inside a while loop whose condition is not block-uniform");
		return 0;
	}
	for_semis(x, lp, rp, &s1, &s2);
	if (s1 < 0 || s2 < 0)
		return fx_fail(x, "a for header fission does not understand");
	if (s1 > lp + 1) {	/* init: a declaration with uniform initialisers */
		struct fdecl d[8];
		int n;

		if (!fx_decl(x, lp + 1, s1, d, 8, &n))
			return fx_fail(x, "a for loop with barriers whose init is not a declaration");
		for (int k = 0; k < n; k++) {
			if (d[k].array || d[k].ref || d[k].ctor || d[k].ia == d[k].ie ||
			    !fx_uniform(x, d[k].ia, d[k].ie, false, 0))
				return fx_fail(x, "a barrier inside a for loop whose variable is not block-uniform");
			if (fx_modified(x, d[k].name, *body, *bend, -1))
				return fx_fail(x, "a uniform loop variable modified in the loop body");
			if (fx_vis(x, d[k].name) >= 0 || fx_param(x, d[k].name) >= 0)
				return fx_fail(x, "a uniform loop variable named like a local or parameter");
			x->loopv[x->nloopv++] = d[k].name;
		}
	}
	if (s2 == s1 + 1 || !fx_uniform(x, s1 + 1, s2, false, 0))
		return fx_fail(x, "a barrier inside a for loop whose condition is not block-uniform");
	/* increment: uniform tokens, assignments allowed to loop variables only */
	for (int j = s2 + 1; j < rp; j++)
		if (tid(x, j) && !tis(x, j - 1, ".") && (tassign(x, j + 1) || tis(x, j - 1, "++") ||
							  tis(x, j - 1, "--")) && !fx_loopv(x, j))
			return fx_fail(x, "a for increment that modifies something else than its variable");
	if (!fx_uniform(x, s2 + 1, rp, false, FX_ASSIGN))
		return fx_fail(x, "a barrier inside a for loop whose increment is not block-uniform");
	return 0;
}

static void fx_region_open(struct fx *x)
{
	vgpu_sb_str(&x->o, "\n{ for (__vgpu_ix __vgpu_z = 0; __vgpu_z < blockDim.z; __vgpu_z++)"
		      " for (__vgpu_ix __vgpu_y = 0; __vgpu_y < blockDim.y; __vgpu_y++) {"
		      " const __vgpu_ix __vgpu_row = (__vgpu_z * blockDim.y + __vgpu_y) * blockDim.x;\n"
		      "#pragma GCC ivdep\n"
		      " for (__vgpu_ix __vgpu_x = 0; __vgpu_x < blockDim.x; __vgpu_x++) {"
		      " const __vgpu_idx3 threadIdx{__vgpu_x, __vgpu_y, __vgpu_z};"
		      " const int __vgpu_t = __vgpu_row + __vgpu_x; (void)__vgpu_t; ");
	if (x->set_tls)
		vgpu_sb_str(&x->o, "::threadIdx = threadIdx; ");
}

/* Emit one statement of a region (a tracked declaration becomes bindings). */
static void fx_emit_stmt(struct fx *x, const struct fitem *it, int label)
{
	fx_line(x, it->a);
	if (it->nd) {
		for (int k = it->d0; k < it->d0 + it->nd; k++) {
			const struct fdecl *d = &x->d[k];

			if (d->promoted) {
				fx_bind(x, d);
				if (d->array && d->ia < d->ie) {	/* through a copy */
					vgpu_sb_str(&x->o, "{ ");
					fx_spec_promoted(x, d);
					for (int i = d->pa; i < d->pe; i++)
						if (tis(x, i, "*"))
							vgpu_sb_str(&x->o, "*");
					vgpu_sb_str(&x->o, "__vgpu_init");
					fx_text(x, d->xa, d->xe);
					vgpu_sb_str(&x->o, " = ");
					fx_text(x, d->ia, d->ie);
					vgpu_sb_str(&x->o, "; memcpy(&");
					fx_text(x, d->name, d->name + 1);
					vgpu_sb_str(&x->o, ", &__vgpu_init, sizeof(__vgpu_init)); } ");
				} else if (d->ia < d->ie) {
					fx_text(x, d->name, d->name + 1);
					vgpu_sb_str(&x->o, " = ");
					fx_text(x, d->ia, d->ie);
					vgpu_sb_str(&x->o, "; ");
				}
			} else {
				fx_text(x, d->sa, d->se);
				vgpu_sb_str(&x->o, " ");
				fx_text(x, d->da, d->de);
				vgpu_sb_str(&x->o, "; ");
			}
		}
		return;
	}
	if (!it->ret) {
		fx_text(x, it->a, it->e);
		return;
	}
	for (int i = it->a; i < it->e; i++) {	/* return -> leave this thread's region */
		if (i > it->a)
			vgpu_sb_add(&x->o, x->src + x->t[i - 1].b, x->t[i].a - x->t[i - 1].b);
		if (tis(x, i, "return"))
			vgpu_sb_printf(&x->o, "goto __vgpu_next%d", label);
		else
			fx_text(x, i, i + 1);
	}
}

/* Items [k, q) as one region: a loop over the threads of the block. */
static void fx_emit_region(struct fx *x, const struct fitem *it, int k, int q)
{
	int label = ++x->label;
	bool anyret = false, anystmt = false;

	for (int r = k; r < q; r++) {
		anyret |= (it[r].kind == FI_STMT || it[r].kind == FI_GS) && it[r].ret;
		anystmt |= it[r].kind == FI_STMT || it[r].kind == FI_GS;
	}
	if (!anystmt)
		return;
	fx_region_open(x);
	fx_prologue(x);
	vgpu_sb_str(&x->o, "{");
	for (int r = k; r < q; r++) {
		if (it[r].kind == FI_PP) {
			if (r + 1 < q) {	/* a pragma before a statement */
				fx_line(x, it[r].a);
				fx_text(x, it[r].a, it[r].e);
				vgpu_sb_str(&x->o, "\n");
			}
			continue;
		}
		if (it[r].kind == FI_SHARED)
			continue;
		fx_emit_stmt(x, &it[r], label);
	}
	vgpu_sb_str(&x->o, "\n}");
	if (anyret)
		vgpu_sb_printf(&x->o, " __vgpu_next%d: ;", label);
	vgpu_sb_str(&x->o, " } } }\n");
	/* its used-later locals become visible to what follows */
	for (int r = k; r < q; r++)
		for (int dd = it[r].d0; it[r].kind == FI_STMT && dd < it[r].d0 + it[r].nd; dd++)
			if (x->d[dd].used_later)
				x->vis[x->nvis++] = dd;
}

/* The visible locals that are block-uniform, declared at block level. */
static void fx_uni_decls(struct fx *x)
{
	for (int k = 0; k < x->nvis; k++) {
		const struct fdecl *d = &x->d[x->vis[k]];

		if (!d->uni)
			continue;
		fx_text(x, d->sa, d->se);
		vgpu_sb_str(&x->o, " ");
		fx_text(x, d->da, d->de);
		vgpu_sb_str(&x->o, "; ");
	}
}

static void fx_thread_head(struct fx *x)
{
	vgpu_sb_str(&x->o, " const __vgpu_idx3 threadIdx{__vgpu_x, __vgpu_y, __vgpu_z};"
		      " const int __vgpu_t = __vgpu_row + __vgpu_x; (void)__vgpu_t; ");
	if (x->set_tls)
		vgpu_sb_str(&x->o, "::threadIdx = threadIdx; ");
}

/*
 * A thread-strided loop, interchanged: for each step of the loop, the threads
 * of a row; full rows without the bound check (vectorizable). The loop as
 * written, per thread, when U, N, S are not block-uniform or at run time when
 * S <= 0 or U < 0.
 */
static void fx_emit_gs(struct fx *x, const struct fitem *it, int k)
{
	const struct fitem *g = &it[k];

	if (fx_vis(x, g->gname) >= 0 || !fx_uniform(x, g->gia, g->gtid, false, 0) || !fx_uniform(x, g->gtid + 3, g->gie, false, 0) ||
	    !fx_uniform(x, g->gna, g->gne, false, 0) || !fx_uniform(x, g->gsa, g->gse, false, 0)) {
		fx_emit_region(x, it, k, k + 1);
		return;
	}
	fx_line(x, g->a);
	vgpu_sb_str(&x->o, "{ ");
	fx_uni_decls(x);
	vgpu_sb_str(&x->o, "const long long __vgpu_u = (long long)(");
	fx_text(x, g->gia, g->gtid);
	vgpu_sb_str(&x->o, " 0 ");
	fx_text(x, g->gtid + 3, g->gie);
	vgpu_sb_str(&x->o, "); const long long __vgpu_n = (long long)(");
	fx_text(x, g->gna, g->gne);
	vgpu_sb_str(&x->o, "); const long long __vgpu_s = (long long)(");
	fx_text(x, g->gsa, g->gse);
	vgpu_sb_str(&x->o, ");\nif (__vgpu_s > 0 && __vgpu_u >= 0) {"
		      " for (__vgpu_ix __vgpu_z = 0; __vgpu_z < blockDim.z; __vgpu_z++)"
		      " for (__vgpu_ix __vgpu_y = 0; __vgpu_y < blockDim.y; __vgpu_y++) {"
		      " const __vgpu_ix __vgpu_row = (__vgpu_z * blockDim.y + __vgpu_y) * blockDim.x;"
		      " for (long long __vgpu_b = __vgpu_u; __vgpu_b < __vgpu_n; __vgpu_b += __vgpu_s) {"
		      " if (__vgpu_b + blockDim.x <= __vgpu_n) {\n#pragma GCC ivdep\n"
		      " for (__vgpu_ix __vgpu_x = 0; __vgpu_x < blockDim.x; __vgpu_x++) {");
	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			vgpu_sb_str(&x->o, " } } else { for (__vgpu_ix __vgpu_x = 0; __vgpu_x < blockDim.x; __vgpu_x++) {");
		fx_thread_head(x);
		fx_prologue(x);
		fx_text(x, g->gspec, g->gname + 1);
		vgpu_sb_str(&x->o, " = (");		/* in the variable's type: affine for the compiler */
		fx_text(x, g->gspec, g->gname);
		vgpu_sb_str(&x->o, ")__vgpu_b + __vgpu_x; ");
		if (pass) {
			vgpu_sb_str(&x->o, "if (");
			fx_text(x, g->gca, g->gce);
			vgpu_sb_str(&x->o, ") ");
		}
		fx_line(x, g->gba);
		vgpu_sb_str(&x->o, "{ ");
		fx_text(x, g->gba, g->gbe);
		vgpu_sb_str(&x->o, "\n}");
	}
	vgpu_sb_str(&x->o, " } } } } } else ");
	fx_emit_region(x, it, k, k + 1);
	vgpu_sb_str(&x->o, "}\n");
}

/* the items of one scope (fx_scope) */
struct fscope {
	struct fitem *it;
	int n, cap;
	int a, e;		/* tokens between its braces */
	int d_first;		/* its first tracked declaration */
};

static bool fi_splits(int kind)		/* an item that ends a region */
{
	return kind == FI_BAR || kind == FI_LOOP || kind == FI_GS;
}

/* a __shared__ declaration at @i: up to its ';' */
static int fx_shared_item(struct fx *x, int i, int e, struct fitem *f)
{
	int j = i;

	while (j < e && !tis(x, j, ";")) {
		if (tis(x, j, "__syncthreads") || tis(x, j, "{") || tis(x, j, "threadIdx"))
			return fx_fail(x, "a __shared__ declaration fission does not understand");
		j++;
	}
	if (j == e)
		return fx_fail(x, "a __shared__ declaration without ';'");
	f->kind = FI_SHARED;
	f->e = j + 1;
	return 0;
}

/* the item starting at token @i of a scope ending at @e: its kind and end */
static int fx_item(struct fx *x, int i, int e, struct fitem *f)
{
	struct sflags fl = { 0 };
	int j;

	if (x->t[i].kind == FT_PP) {
		if (!(x->t[i].b - x->t[i].a >= 7 && !memcmp(x->b + x->t[i].a, "#pragma", 7)))
			return fx_fail(x, "a preprocessor directive inside the kernel");
		f->kind = FI_PP;
		f->e = i + 1;
		return 0;
	}
	if (tis(x, i, "__syncthreads")) {
		if (!tis(x, i + 1, "(") || !tis(x, i + 2, ")") || !tis(x, i + 3, ";"))
			return fx_fail(x, "__syncthreads inside an expression");
		f->kind = FI_BAR;
		f->e = i + 4;
		return 0;
	}
	if (tis(x, i, "__shared__") || (tis(x, i, "extern") && tis(x, i + 1, "__shared__")))
		return fx_shared_item(x, i, e, f);
	j = fx_stmt(x, i, e, false, false, &fl);
	if (j < 0)
		return -1;
	f->e = j;
	if (fl.barrier) {
		if (!tis(x, i, "for") && !tis(x, i, "while"))
			return fx_fail(x, "a barrier inside a conditional or nested block");
		f->kind = FI_LOOP;
		return 0;
	}
	f->kind = FI_STMT;
	if (fl.stray)
		return fx_fail(x, "break/continue at the top level of a region");
	f->ret = fl.ret;
	if (!fl.ret && fx_gs(x, i, j, f))
		f->kind = FI_GS;
	return 0;
}

/*
 * The scope's items, each STMT with the index of its region (the statements
 * between barriers, loops with barriers and thread-strided loops); returns
 * only in the kernel body's final region.
 */
static int fx_items(struct fx *x, struct fscope *sc, bool top)
{
	struct fitem *it;
	int region = 0, last_region = -1;
	bool cur = false;

	for (int i = sc->a; i < sc->e;) {
		struct fitem f = { .a = i };

		if (fx_item(x, i, sc->e, &f))
			return -1;
		if (f.kind == FI_STMT || f.kind == FI_PP) {
			cur |= f.kind == FI_STMT;
			f.region = region;
		} else if (fi_splits(f.kind)) {
			if (cur)
				region++;
			cur = false;
			if (f.kind == FI_GS)
				f.region = region++;
		}
		it = vgpu_grow(sc->it, sc->n, &sc->cap, sizeof(*it), 32);
		if (!it)
			return -ENOMEM;
		sc->it = it;
		sc->it[sc->n++] = f;
		i = f.e;
	}
	/* the final region: STMTs after the last barrier/loop of the top scope */
	if (top && sc->n && cur)
		last_region = region;
	for (int k = 0; k < sc->n; k++)
		if (sc->it[k].kind == FI_STMT && sc->it[k].ret && sc->it[k].region != last_region)
			return fx_fail(x, "return before a barrier");
	return 0;
}

/* room for @more tracked declarations */
static int fx_decl_room(struct fx *x, int more)
{
	int dcap = (x->nd + more) * 2;
	struct fdecl *nd;
	int *nv;

	if (x->nd + more <= x->dcap)
		return 0;
	nd = realloc(x->d, (size_t)dcap * sizeof(*nd));
	if (nd)
		x->d = nd;
	nv = realloc(x->vis, (size_t)dcap * sizeof(*nv));
	if (nv)
		x->vis = nv;
	if (!nd || !nv)
		return -ENOMEM;
	x->dcap = dcap;
	return 0;
}

/* the declarations of STMT item @k, tracked; used_later: named after its region */
static int fx_item_decls(struct fx *x, struct fscope *sc, int k)
{
	struct fitem *it = sc->it;
	struct fdecl ds[16];
	int nd = 0, rend = sc->e, ret;

	if (it[k].kind != FI_STMT || !fx_decl(x, it[k].a, it[k].e - 1, ds, 16, &nd))
		return 0;
	if (nd > 16)
		return fx_fail(x, "too many declarators");
	for (int q = k + 1; q < sc->n; q++)
		if (fi_splits(it[q].kind)) {
			rend = it[q].a;
			break;
		}
	ret = fx_decl_room(x, nd);
	if (ret)
		return ret;
	it[k].d0 = x->nd;
	it[k].nd = nd;
	for (int q = 0; q < nd; q++) {
		struct fdecl *d = &ds[q];

		d->used_later = fx_uses(x, d->name, rend, sc->e);
		if (fx_param(x, d->name) >= 0 || fx_loopv(x, d->name) || fx_vis(x, d->name) >= 0)
			return fx_fail(x, "a local shadows a parameter, loop variable or another local");
		for (int r = sc->d_first; r < x->nd; r++)
			if (tsame(x, x->d[r].name, d->name))
				return fx_fail(x, "a local declared twice in one scope");
		x->d[x->nd++] = *d;
	}
	return 0;
}

/*
 * A local used after a barrier is recomputed there (remat: a block-uniform
 * initialiser of unmodified values) or promoted to one copy per thread.
 */
static int fx_decl_plan(struct fx *x, struct fdecl *d, int e)
{
	bool isauto = false, isstatic = false, open_array = false;

	for (int q = d->sa; q < d->se; q++) {
		isauto |= tis(x, q, "auto");
		isstatic |= tis(x, q, "static") || tis(x, q, "extern");
	}
	if (isstatic)
		return fx_fail(x, "a static local");
	d->remat = !x->no_remat && !d->array && !d->ref && !d->ctor && !d->brace &&
		   d->ia < d->ie && !fx_modified(x, d->name, d->name, e, d->name) &&
		   fx_uniform(x, d->ia, d->ie, true, 0);
	d->uni = d->remat && fx_uniform(x, d->ia, d->ie, false, 0);
	if (d->remat)
		return 0;
	for (int q = d->xa; q < d->xe; q++)
		open_array |= tis(x, q, "[") && tis(x, q + 1, "]");
	if (d->ref || isauto || d->ctor || (d->brace && !d->array) || open_array)
		return fx_fail(x, "a local live across a barrier that cannot be promoted (reference, auto, constructor, braces, array of unknown size)");
	d->promoted = true;
	if (++x->npromoted > 24)	/* 1024 copies each, on the stack */
		return fx_fail(x, "more than 24 locals live across barriers");
	return 0;
}

/* declarations at the top level of the scope's regions, and what becomes of them */
static int fx_scope_decls(struct fx *x, struct fscope *sc)
{
	int nvis0 = x->nvis, ret = 0;

	for (int k = 0; k < sc->n; k++) {
		ret = fx_item_decls(x, sc, k);
		if (ret)
			return ret;
	}
	/* a local that a later-used one is initialised from is used later too */
	for (int j = x->nd - 1; j >= sc->d_first; j--)
		for (int i = sc->d_first; x->d[j].used_later && i < j; i++)
			if (fx_uses(x, x->d[i].name, x->d[j].ia, x->d[j].ie))
				x->d[i].used_later = true;
	for (int j = sc->d_first; j < x->nd && !ret; j++) {
		if (!x->d[j].used_later)
			continue;
		ret = fx_decl_plan(x, &x->d[j], sc->e);
		/* visible to the initialisers of later declarations (remat check) */
		x->vis[x->nvis++] = j;
	}
	x->nvis = nvis0;
	return ret;
}

/* the scope's __shared__ declarations, first */
static int fx_emit_shared(struct fx *x, const struct fscope *sc)
{
	for (int k = 0; k < sc->n; k++) {
		const struct fitem *f = &sc->it[k];
		const struct vgpu_xshared *xs = NULL;

		if (f->kind != FI_SHARED)
			continue;
		for (int q = 0; q < x->sig->nxshared; q++)
			if (x->sig->xshared[q].begin == x->t[f->a].a)
				xs = &x->sig->xshared[q];
		fx_line(x, f->a);
		if (!tis(x, f->a, "extern")) {
			fx_text(x, f->a, f->e);
			continue;
		}
		if (!xs)
			return fx_fail(x, "an extern __shared__ declaration not understood");
		vgpu_sb_printf(&x->o, "%s *const %s = (%s *)__vgpu_dsmem; ", xs->type, xs->name, xs->type);
	}
	return 0;
}

/* the per-thread copies of the scope's promoted locals, at most 512 KiB together */
static void fx_emit_promoted(struct fx *x, const struct fscope *sc)
{
	for (int k = sc->d_first; k < x->nd; k++) {
		const struct fdecl *d = &x->d[k];

		if (!d->promoted)
			continue;
		fx_spec_promoted(x, d);
		for (int i = d->pa; i < d->pe; i++)
			if (tis(x, i, "*"))
				vgpu_sb_str(&x->o, "*");
		fx_text(x, d->name, d->name + 1);
		vgpu_sb_str(&x->o, "__v[1024]");
		if (d->array)
			fx_text(x, d->xa, d->xe);
		vgpu_sb_str(&x->o, "; ");
	}
	/* all on the stack: too much and the compiler refuses (then: fibers) */
	vgpu_sb_str(&x->o, "static_assert(0");
	for (int k = sc->d_first; k < x->nd; k++)
		if (x->d[k].promoted) {
			vgpu_sb_str(&x->o, " + sizeof(");
			fx_text(x, x->d[k].name, x->d[k].name + 1);
			vgpu_sb_str(&x->o, "__v)");
		}
	vgpu_sb_str(&x->o, " <= 512 * 1024, \"libvgpu: per-thread state of this scope too large\"); ");
}

/* a uniform loop with barriers: its header, then its body as a scope of its own */
static int fx_emit_loop(struct fx *x, const struct fitem *f)
{
	int body, bend, nl = x->nloopv, ret;

	if (fx_uloop(x, f->a, &body, &bend))
		return -1;
	vgpu_sb_str(&x->o, "{ ");
	fx_uni_decls(x);
	fx_line(x, f->a);
	fx_text(x, f->a, body);
	vgpu_sb_str(&x->o, "\n");
	ret = fx_scope(x, body + 1, bend, false);
	if (ret)
		return ret;
	vgpu_sb_str(&x->o, "}\n");
	x->nloopv = nl;
	return 0;
}

/* a #pragma that belongs to the loop after it */
static bool fi_loop_pragma(const struct fscope *sc, int k)
{
	return sc->it[k].kind == FI_PP && k + 1 < sc->n && sc->it[k + 1].kind == FI_LOOP;
}

/* the items: regions run as loops over threads, loops and strided loops as themselves */
static int fx_emit_items(struct fx *x, const struct fscope *sc)
{
	const struct fitem *it = sc->it;
	int ret, q;

	for (int k = 0; k < sc->n;) {
		if (it[k].kind == FI_BAR || it[k].kind == FI_SHARED) {
			k++;
		} else if (fi_loop_pragma(sc, k)) {
			fx_line(x, it[k].a);
			fx_text(x, it[k].a, it[k].e);
			vgpu_sb_str(&x->o, "\n");
			k++;
		} else if (it[k].kind == FI_LOOP) {
			ret = fx_emit_loop(x, &it[k++]);
			if (ret)
				return ret;
		} else if (it[k].kind == FI_GS) {
			fx_emit_gs(x, it, k);
			k++;
		} else {	/* a region: items k.. up to the next barrier or loop */
			for (q = k; q < sc->n && !fi_splits(it[q].kind) && !fi_loop_pragma(sc, q); q++)
				;
			fx_emit_region(x, it, k, q);
			k = q;
		}
	}
	return 0;
}

/*
 * One scope: the kernel body (top) or a uniform loop's body, tokens [a, e)
 * between its braces. Emits `{ ... }`.
 */
static int fx_scope(struct fx *x, int a, int e, bool top)
{
	struct fscope sc = { .a = a, .e = e, .d_first = x->nd };
	int nvis0 = x->nvis, nloopv0 = x->nloopv;
	int ret = fx_items(x, &sc, top);

	if (!ret)
		ret = fx_scope_decls(x, &sc);
	if (!ret) {
		vgpu_sb_str(&x->o, "{");
		ret = fx_emit_shared(x, &sc);
	}
	if (!ret) {
		fx_emit_promoted(x, &sc);
		ret = fx_emit_items(x, &sc);
	}
	if (!ret)
		vgpu_sb_str(&x->o, "}");
	x->nvis = nvis0;
	x->nloopv = nloopv0;
	free(sc.it);
	return ret;
}

static void fx_macros(struct fx *x)
{
	const char *b = x->b;

	for (size_t i = 0; i < x->len; i++) {
		size_t j, ns, ne;
		bool undef;

		if (b[i] != '#' || (i > 0 && b[i - 1] != '\n' && !isspace((unsigned char)b[i - 1])))
			continue;
		j = i + 1;
		while (j < x->len && (b[j] == ' ' || b[j] == '\t'))
			j++;
		undef = word_at(b, x->len, j, "undef");
		if (!word_at(b, x->len, j, "define") && !undef)
			continue;
		j += undef ? 5 : 6;
		while (j < x->len && (b[j] == ' ' || b[j] == '\t'))
			j++;
		ns = j;
		while (j < x->len && is_id(b[j]))
			j++;
		ne = j;
		if (ne == ns)
			continue;
		{
			struct fmacro m = { .na = ns, .nb = ne, .func = j < x->len && b[j] == '(' };
			int k;

			m.ra = j;
			while (j < x->len && b[j] != '\n') {
				if (b[j] == '\\' && j + 1 < x->len && b[j + 1] == '\n')
					j++;
				j++;
			}
			m.rb = j;
			for (k = 0; k < x->nmac; k++)
				if (x->mac[k].nb - x->mac[k].na == ne - ns &&
				    !memcmp(b + x->mac[k].na, b + ns, ne - ns))
					break;
			if (k < x->nmac) {
				x->mac[k].bad = true;
				continue;
			}
			if (undef)
				m.bad = true;
			{
				struct fmacro *nm = realloc(x->mac, (size_t)(x->nmac + 1) * sizeof(*nm));

				if (!nm)
					return;
				x->mac = nm;
				x->mac[x->nmac++] = m;
			}
		}
		i = j;
	}
}

/* the parameter names: the last identifier of each parameter, tokens from @pa */
static void fx_param_names(struct fx *x, int pa)
{
	int last = -1, depth = 0;

	for (int i = pa; i <= x->nt; i++) {
		if (i < x->nt && (topen(x, i) || tis(x, i, "<")))
			depth++;
		else if (i < x->nt && (tclose(x, i) || tis(x, i, ">")))
			depth--;
		else if (i < x->nt && tid(x, i) && depth == 0)
			last = i;
		if (i == x->nt || (depth == 0 && tis(x, i, ","))) {
			if (last >= 0 && x->np < VGPU_MAX_PARAMS)
				x->params[x->np++] = last;
			last = -1;
		}
	}
}

/*
 * Macro @m hides control flow, a barrier or an assignment (which the checks
 * for modified parameters and locals would not see): 1 with x->why. An '&'
 * in it may take an address: no rematerialisation then.
 */
static int fx_macro_hides(struct fx *x, int m)
{
	static const char *const danger[] = { "__syncthreads", "return", "break", "continue", "goto",
					      NULL };
	const char *b = x->b;
	size_t ra = x->mac[m].ra, rb = x->mac[m].rb;

	for (size_t c = ra; c < rb; c++) {
		char p = c > ra ? b[c - 1] : ' ', q = c + 1 < rb ? b[c + 1] : ' ';
		char pp = c > ra + 1 ? b[c - 2] : ' ';

		for (int w = 0; danger[w]; w++)
			if (word_at(b, rb, c, danger[w])) {
				x->why = "a macro hides a barrier or control flow";
				return 1;
			}
		if ((b[c] == '=' && q != '=' && p != '=' && p != '!' &&
		     !((p == '<' || p == '>') && pp != p)) ||
		    (b[c] == '+' && q == '+') || (b[c] == '-' && q == '-')) {
			x->why = "a macro hides an assignment";
			return 1;
		}
		if (b[c] == '&' && p != '&' && q != '&')
			x->no_remat = true;	/* maybe an address taken */
	}
	return 0;
}

/* what rules fission out before any scope is looked at (1, x->why) */
static int fx_kernel_checks(struct fx *x, int body)
{
	int m;

	/* parameters are shared by the threads of a block here: none may change */
	for (int k = 0; k < x->np; k++)
		if (!tis(x, x->params[k], "void") && fx_modified(x, x->params[k], body, x->nt, -1)) {
			x->why = "a parameter is modified in the kernel";
			return 1;
		}
	for (int i = body; i < x->nt; i++)
		if (tid(x, i) && (m = fx_macro(x, i)) >= 0 && fx_macro_hides(x, m))
			return 1;
	/* references could alias a local that would be recomputed */
	for (int i = body; i + 3 < x->nt; i++)
		if (tid(x, i) && tis(x, i + 1, "&") && tid(x, i + 2) &&
		    (tis(x, i + 3, "=") || tis(x, i + 3, "(") || tis(x, i + 3, "{")))
			x->no_remat = true;
	return 0;
}

/* the parameters and the body b[lb, rb] as tokens; *@body: its '{' */
static int fx_kernel_tokens(struct fx *x, const struct vgpu_ksite *site, size_t lb, size_t rb,
			    int *body)
{
	int pa;

	fx_macros(x);
	x->refs = fx_ref_params(x->b, x->len);
	pa = fx_tokenize(x, site->lparen + 1, site->rparen);
	if (pa < 0)
		return -ENOMEM;
	fx_param_names(x, pa);
	*body = fx_tokenize(x, lb, rb + 1);
	if (*body < 0)
		return -ENOMEM;
	x->body_end = x->nt - 1;
	x->loopv = calloc((size_t)(x->nt + 1), sizeof(int));
	return x->loopv ? 0 : -ENOMEM;
}

static void fx_free(struct fx *x)
{
	free(x->o.p);
	free(x->t);
	free(x->mac);
	free(x->d);
	free(x->vis);
	free(x->loopv);
	free((char *)x->b);
}

int vgpu_fission(const char *src, size_t len, const struct vgpu_ksig *sig,
		 const struct vgpu_ksite *site, const char *fname, char **out,
		 size_t *body_end, const char **why)
{
	struct fx x = { .src = src, .len = len, .sig = sig, .fname = fname,
			.set_tls = sig->helpers_use_builtins };
	size_t lb, rb = 0;
	int ret = 1, body;

	*out = NULL;
	*why = NULL;
	if (sig->helpers_use_barrier) {
		*why = "a helper function calls __syncthreads";
		return 1;
	}
	x.b = blank(src, len);
	if (!x.b)
		return -ENOMEM;
	lb = skip_ws(x.b, len, site->rparen + 1);
	if (lb >= len || x.b[lb] != '{' || (rb = match(x.b, len, lb)) >= len)
		x.why = "no body";
	else if (fx_kernel_tokens(&x, site, lb, rb, &body))
		ret = -ENOMEM;
	else if (!fx_kernel_checks(&x, body))
		ret = fx_scope(&x, body + 1, x.nt - 1, true);
	if (ret == -ENOMEM || x.o.oom) {
		ret = -ENOMEM;
	} else if (ret == 0) {
		*out = x.o.p;
		x.o.p = NULL;
		*body_end = rb;
	} else {
		ret = 1;
		*why = x.why ? x.why : "not understood";
	}
	fx_free(&x);
	return ret;
}
