// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A small, robust scanner for CUDA-dialect sources: finds every
 * `[extern "C"] __global__ [__launch_bounds__(...)] void name(params)`,
 * classifies the parameters, tells which kernels use __syncthreads, and
 * finds `extern __shared__ T name[];` declarations.
 *
 * It is not a C++ parser: comments and literals are blanked first, then
 * tokens are matched. Templates, kernels returning non-void and parameter
 * types it does not know are reported as such (VGPU_ARG_NONE), never guessed.
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
	if (nw < 2 && !(nw == 1 && ptr))
		return;			/* need a type and a name */
	if (ptr) {
		kp->type = VGPU_ARG_BUFFER;
		kp->size = sizeof(uint64_t);
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

int vgpu_parse_source(const char *src, size_t len, struct vgpu_ksig *sig)
{
	static const char *const bar[] = { "__syncthreads", NULL };
	static const char *const blt[] = { "threadIdx", "blockIdx", "blockDim", "gridDim", NULL };
	struct range *bodies = NULL;
	int nbodies = 0, ret = 0;
	char *b;

	memset(sig, 0, sizeof(*sig));
	b = blank(src, len);
	if (!b)
		return -ENOMEM;

	for (size_t i = 0; i < len; i++) {
		size_t j, name_s, name_e, lp, rp, after, begin = i;
		struct vgpu_kinfo *ki = NULL;
		struct vgpu_ksite *site;
		bool extc = false;
		int k;

		if (!word_at(b, len, i, "__global__"))
			continue;
		/* look back for extern "C" (its string was blanked: check src) */
		j = i;
		while (j > 0 && isspace((unsigned char)b[j - 1]))
			j--;
		if (j >= 3 && !memcmp(src + j - 3, "\"C\"", 3)) {
			size_t e = j - 3;

			while (e > 0 && isspace((unsigned char)b[e - 1]))
				e--;
			if (e >= 6 && word_at(b, len, e - 6, "extern")) {
				extc = true;
				begin = e - 6;
			}
		}
		j = skip_ws(b, len, i + 10);
		for (;;) {	/* qualifiers between __global__ and the name */
			if (word_at(b, len, j, "__launch_bounds__")) {
				j = skip_ws(b, len, j + 17);
				if (j < len && b[j] == '(')
					j = skip_ws(b, len, match(b, len, j) + 1);
				continue;
			}
			if (word_at(b, len, j, "static") || word_at(b, len, j, "inline") ||
			    word_at(b, len, j, "__noinline__") || word_at(b, len, j, "__forceinline__")) {
				while (j < len && is_id(b[j]))
					j++;
				j = skip_ws(b, len, j);
				continue;
			}
			break;
		}
		if (!word_at(b, len, j, "void")) {
			i += 9;
			continue;		/* not something we can launch */
		}
		name_s = skip_ws(b, len, j + 4);
		name_e = name_s;
		while (name_e < len && is_id(b[name_e]))
			name_e++;
		lp = skip_ws(b, len, name_e);
		if (name_e == name_s || lp >= len || b[lp] != '(' ||
		    name_e - name_s >= VGPU_KNAME_MAX) {
			i += 9;
			continue;
		}
		rp = match(b, len, lp);
		if (rp >= len) {
			ret = -EINVAL;
			goto out;
		}
		for (k = 0; k < sig->nkernels; k++)
			if (strlen(sig->kernels[k].name) == name_e - name_s &&
			    !memcmp(sig->kernels[k].name, b + name_s, name_e - name_s))
				ki = &sig->kernels[k];
		if (!ki) {
			struct vgpu_kinfo *nk = realloc(sig->kernels, (sig->nkernels + 1) * sizeof(*nk));

			if (!nk) {
				ret = -ENOMEM;
				goto out;
			}
			sig->kernels = nk;
			ki = &nk[sig->nkernels++];
			memset(ki, 0, sizeof(*ki));
			memcpy(ki->name, b + name_s, name_e - name_s);
			ki->nparams = 0;
		}
		k = (int)(ki - sig->kernels);
		ki->extern_c |= extc;
		/* parameters: split at top-level commas */
		{
			size_t s = lp + 1, p;
			int depth = 0, np = 0;
			size_t t = skip_ws(b, len, lp + 1);
			bool voidp = t == rp || (word_at(b, len, t, "void") &&
						 skip_ws(b, len, t + 4) == rp);

			site = realloc(sig->sites, (sig->nsites + 1) * sizeof(*site));
			if (!site) {
				ret = -ENOMEM;
				goto out;
			}
			sig->sites = site;
			site += sig->nsites++;
			site->begin = begin;
			site->lparen = lp;
			site->rparen = rp;
			site->kernel = k;
			site->void_params = voidp;
			for (p = lp + 1; !voidp && p <= rp; p++) {
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
		}
		after = skip_ws(b, len, rp + 1);
		if (after < len && b[after] == '{') {
			size_t end = match(b, len, after);
			struct range *nb;

			if (end >= len) {
				ret = -EINVAL;
				goto out;
			}
			nb = realloc(bodies, (nbodies + 1) * sizeof(*nb));
			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			bodies = nb;
			bodies[nbodies].a = lp;
			bodies[nbodies].b = end;
			nbodies++;
			if (count_words(b, after, end, bar))
				ki->uses_barrier = true;
			i = end;
		} else {
			i = rp;
		}
	}
	/* uses outside kernel bodies (helpers) */
	{
		size_t pos = 0;
		int n_bar = 0, n_blt = 0;

		for (int r = 0; r <= nbodies; r++) {
			size_t end = r < nbodies ? bodies[r].a : len;

			if (end > pos) {
				n_bar += count_words(b, pos, end, bar);
				n_blt += count_words(b, pos, end, blt);
			}
			if (r < nbodies)
				pos = bodies[r].b + 1;
		}
		sig->helpers_use_barrier = n_bar > 0;
		sig->helpers_use_builtins = n_blt > 0;
		if (sig->helpers_use_barrier)
			for (int k = 0; k < sig->nkernels; k++)
				sig->kernels[k].uses_barrier = true;
	}
	ret = parse_xshared(b, len, sig);
out:
	free(bodies);
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
