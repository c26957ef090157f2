/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one TAP helper of vgpu's C tests (libvgpu/tests, tools/tests, tests/gpu).
 * Header only; every file of a test program may include it (the state is one
 * weak object shared by all of them).
 *
 *	tap_ok(cond, "what %d", x);		ok 1 what 3 / not ok 1 what 3
 *	tap_skip("no GPU", "launch");		ok 2 launch # SKIP no GPU
 *	tap_diag("got %d", v);			# got 7
 *	tap_subtest("cache");			    # Subtest: cache
 *	  tap_ok(...); ...			    ok 1 ...
 *	tap_end();				    1..N, then ok 3 cache
 *	return tap_done();			1..3; exit status 1 if anything failed
 *
 * A subtest numbers its own results from 1, indented by four spaces (TAP 14),
 * and ends with one result line in its parent: ok when none of its results
 * failed. scripts/check.sh counts the results that are not subtest summaries,
 * at every depth, so grouping never changes the count.
 */
#ifndef VGPU_COMMON_TAP_H
#define VGPU_COMMON_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TAP_MAX_DEPTH 8

struct tap_level {
	int n;			/* results printed at this level */
	int failed;		/* of which failed */
	char name[160];		/* the subtest's name (depth > 0) */
};

struct tap_state {
	int depth;
	int failed_total;
	int skipped_total;
	struct tap_level lv[TAP_MAX_DEPTH];
};

__attribute__((weak)) struct tap_state tap_state;

static inline void tap_indent(void)
{
	for (int i = 0; i < tap_state.depth; i++)
		fputs("    ", stdout);
}

static inline void tap_vline(const char *pre, const char *fmt, va_list ap, const char *post)
{
	tap_indent();
	fputs(pre, stdout);
	vprintf(fmt, ap);
	if (post)
		fputs(post, stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

static inline void tap_result(int pass, const char *fmt, va_list ap, const char *skip_why)
{
	struct tap_level *l = &tap_state.lv[tap_state.depth];
	char pre[32];

	l->n++;
	if (!pass) {
		l->failed++;
		tap_state.failed_total++;
	}
	snprintf(pre, sizeof(pre), "%s %d ", pass ? "ok" : "not ok", l->n);
	tap_indent();
	fputs(pre, stdout);
	vprintf(fmt, ap);
	if (skip_why) {
		fputs(" # SKIP ", stdout);
		for (const char *c = skip_why; *c; c++)	/* one line, no second directive */
			fputc(*c == '\n' || *c == '#' ? ' ' : *c, stdout);
		tap_state.skipped_total++;
	}
	fputc('\n', stdout);
	fflush(stdout);
}

/* tap_ok - one result; returns @cond (true: passed) */
static inline int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_result(cond, fmt, ap, NULL);
	va_end(ap);
	return cond;
}

/* tap_skip - a result not run, and why (counted as skipped, not passed) */
static inline void tap_skip(const char *why, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void tap_skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_result(1, fmt, ap, why && *why ? why : "no reason given");
	va_end(ap);
}

/* tap_diag - a comment line ("# ...") at the current depth */
static inline void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline("# ", fmt, ap, NULL);
	va_end(ap);
}

/* tap_subtest - start a group of results (numbered from 1, indented) */
static inline void tap_subtest(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tap_subtest(const char *fmt, ...)
{
	struct tap_level *l;
	va_list ap;

	if (tap_state.depth + 1 >= TAP_MAX_DEPTH) {
		fprintf(stderr, "tap: subtests nested deeper than %d\n", TAP_MAX_DEPTH - 1);
		tap_state.failed_total++;
		return;
	}
	l = &tap_state.lv[++tap_state.depth];
	memset(l, 0, sizeof(*l));
	va_start(ap, fmt);
	vsnprintf(l->name, sizeof(l->name), fmt, ap);
	va_end(ap);
	tap_indent();
	printf("# Subtest: %s\n", l->name);
	fflush(stdout);
}

/* tap_end - end the current subtest: its plan, then its result in the parent;
 * returns 1 when none of its results failed */
static inline int tap_end(void)
{
	struct tap_level *l = &tap_state.lv[tap_state.depth];
	int pass = l->failed == 0 && l->n > 0;

	if (!tap_state.depth)
		return tap_state.failed_total == 0;
	tap_indent();
	printf("1..%d\n", l->n);
	tap_state.depth--;
	if (!l->n)
		tap_ok(0, "%s (no results)", l->name);
	else
		tap_ok(pass, "%s", l->name);
	if (!pass && l->n)	/* its failures were counted where they happened */
		tap_state.failed_total--;
	return pass;
}

/* tap_failed - results failed so far (every depth) */
static inline int tap_failed(void)
{
	return tap_state.failed_total;
}

/* tap_skipped - results skipped so far (every depth) */
static inline int tap_skipped(void)
{
	return tap_state.skipped_total;
}

/* tap_done - close open subtests, print the plan; the exit status to return */
static inline int tap_done(void)
{
	while (tap_state.depth)
		tap_end();
	printf("1..%d\n", tap_state.lv[0].n);
	fflush(stdout);
	return tap_state.failed_total ? 1 : 0;
}

#endif /* VGPU_COMMON_TAP_H */
