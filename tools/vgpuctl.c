// SPDX-License-Identifier: GPL-2.0
/*
 * vgpuctl - administer vgpu guests and quotas over the "vgpu" generic netlink
 * family, in the manner of iproute2: a table of commands, selected by any
 * unambiguous prefix (matches()), each with its usage text in that table.
 *
 * Exit codes: 0 success; 1 the kernel refused or the object is wrong (no such
 * guest, busy, permission, module not loaded); 2 usage error (bad syntax or
 * value), detected before anything is sent to the kernel.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/size.h"
#include "common/vgpu_nl.h"
#include "lib/json.h"

#define EXIT_KERNEL	1
#define EXIT_USAGE	2

static bool json;

/* ---- the command table ------------------------------------------------ */

struct cmd {
	const char *obj;	/* object word: guest, monitor, stats */
	const char *name;	/* command word, NULL for an object alone */
	const char *alias;	/* another word for it, or NULL */
	int (*fn)(const struct cmd *c, int argc, char **argv);
	const char *args;	/* the synopsis after "vgpuctl OBJ CMD" */
	const char *help;	/* what it does */
};

static const struct cmd cmds[];

/* matches - ARG is a non-empty prefix of WORD (iproute2's rule). */
static bool matches(const char *arg, const char *word)
{
	size_t n = strlen(arg);

	return n && word && n <= strlen(word) && !memcmp(arg, word, n);
}

static bool is_help(const char *s)
{
	return !strcmp(s, "-h") || !strcmp(s, "--help") || !strcmp(s, "help");
}

static const char quota_help[] =
"QUOTA VALUE: mem SIZE | pinned SIZE | contexts N | compute PCT, each may be unlimited;\n"
"  and the compute settings period DUR | weight W.\n"
"SIZE: bytes with an optional binary unit K, M, G, T (4096, 512M, 1.5G).\n"
"N: a count. PCT: compute share of each period, 1..100 (percent).\n"
"DUR: the compute period, 10ms..1s, with a unit us, ms or s (50ms, 0.5s); default 100ms.\n"
"W: compute weight 1..10000, or none: guests with weights share a device in\n"
"  proportion to them, and time one leaves unused goes to the others.\n";

/* where - "guest add", "stats": how help names a command. */
static const char *where(const struct cmd *c)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%s%s%s", c->obj, c->name ? " " : "",
		 c->name ? c->name : "");
	return buf;
}

static void print_synopsis(FILE *f, const struct cmd *c)
{
	fprintf(f, "  %s%s%s\n", where(c), *c->args ? " " : "", c->args);
}

/* usage - the synopsis of every command of OBJ (all when NULL). */
static void usage(FILE *f, const char *obj)
{
	const struct cmd *c;

	fprintf(f, "Usage: vgpuctl [-j] %s COMMAND [ARGS]\n", obj ? obj : "OBJECT");
	for (c = cmds; c->obj; c++)
		if (!obj || !strcmp(c->obj, obj))
			print_synopsis(f, c);
	if (!obj)
		fputs("OPTIONS:\n"
		      "  -j, --json     JSON output (guest list/show/add, stats, monitor)\n"
		      "  -b, --batch FILE  run the commands of FILE ('-': stdin), one a line as\n"
		      "                 after 'vgpuctl'; stop at the first that fails\n"
		      "  -h, --help     this help; 'vgpuctl OBJECT [COMMAND] -h' for one command\n"
		      "  -V, --version  print the version\n"
		      "A command may be shortened to any unambiguous prefix ('vgpuctl g l').\n"
		      "Exit status: 0 success, 1 refused by the kernel, no such object or\n"
		      "module not loaded, 2 usage error (nothing was sent to the kernel).\n", f);
	else
		fprintf(f, "Run 'vgpuctl %s COMMAND -h' for one command.\n", obj);
}

static int help_cmd(const struct cmd *c)
{
	printf("Usage: vgpuctl [-j] %s%s%s\n%s", where(c), *c->args ? " " : "",
	       c->args, c->help);
	if (strstr(c->args, "QUOTA"))
		fputs(quota_help, stdout);
	return 0;
}

/* ---- messages --------------------------------------------------------- */

static void __attribute__((format(printf, 1, 0))) verr(const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("vgpuctl: ", stderr);
	vfprintf(stderr, fmt, ap);
}

static void __attribute__((format(printf, 1, 2))) errmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * usage_err - one line naming what was wrong and where help is ('vgpuctl
 * WHERE -h', WHERE NULL for the top level). Returns EXIT_USAGE.
 */
static int __attribute__((format(printf, 2, 3)))
usage_err(const char *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'vgpuctl %s%s-h')\n", at ? at : "", at ? " " : "");
	return EXIT_USAGE;
}

static const char *errno_reason(int err, int cmd)
{
	switch (err) {
	case ENOENT:
		return "no such guest";
	case EEXIST:
		return "a guest with that name already exists";
	case EBUSY:
		return cmd == VGPU_NL_CMD_GUEST_DEL ?
			"sessions are still attached" : "busy";
	case EPERM:
	case EACCES:
		return "permission denied (administrators only: CAP_NET_ADMIN)";
	case EINVAL:
		return "invalid argument";
	case ERANGE:
		return "value out of range";
	case EBADMSG:
		return "malformed reply from the kernel";
	case ENODATA:
		return "no reply from the kernel";
	case EOPNOTSUPP:
		return "not supported by this vgpu module";
	default:
		return strerror(err);
	}
}

/* kernel_err - a refusal by the kernel, naming OBJ: one line, EXIT_KERNEL. */
static int kernel_err(const struct vgpu_nl *nl, const char *obj, int err,
		      int cmd)
{
	const char *reason = errno_reason(-err, cmd);

	/* the kernel's extended ACK text, unless it only repeats the reason */
	if (nl->ext_msg[0] && strcasecmp(nl->ext_msg, reason))
		errmsg("%s: %s (%s)", obj, reason, nl->ext_msg);
	else
		errmsg("%s: %s", obj, reason);
	return EXIT_KERNEL;
}

static int open_nl(struct vgpu_nl *nl, bool events)
{
	int err = events ? vgpu_nl_events_open(nl) : vgpu_nl_open(nl);

	if (!err)
		return 0;
	if (err == -ENOENT)
		errmsg("vgpu module not loaded");
	else if (events)	/* the group is for CAP_NET_ADMIN only */
		errmsg("monitor: cannot subscribe to events: %s",
		       errno_reason(-err, 0));
	else
		errmsg("netlink: %s", strerror(-err));
	return EXIT_KERNEL;
}

/* ---- arguments -------------------------------------------------------- */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* A selected guest: how messages name it ("guest 'vm1'", "guest 7"). */
struct target {
	struct vgpu_nl_req req;
	char what[48];
};

/* target_name - select the guest called NAME. */
static int target_name(const struct cmd *c, const char *name, struct target *t)
{
	memset(t, 0, sizeof(*t));
	if (!*name)
		return usage_err(where(c), "guest name must not be empty");
	if (strlen(name) >= VGPU_NAME_MAX)
		return usage_err(where(c), "guest '%.*s...': name longer than %d bytes",
				 VGPU_NAME_MAX - 1, name, VGPU_NAME_MAX - 1);
	t->req.name = name;
	snprintf(t->what, sizeof(t->what), "guest '%s'", name);
	return 0;
}

/*
 * parse_target - the guest ARGV names: "id N" or "name NAME" (unambiguous),
 * or one word, which is an id when all digits (the kernel refuses all-digit
 * names) and a name otherwise. *@used: how many arguments it took (1 or 2).
 */
static int parse_target(const struct cmd *c, int argc, char **argv,
			struct target *t, int *used)
{
	const char *arg = argv[0];
	bool by_id = all_digits(arg);

	*used = 1;
	if (!strcmp(arg, "id") || !strcmp(arg, "name")) {
		if (argc < 2)
			return usage_err(where(c), "'%s': missing %s", arg,
					 arg[0] == 'i' ? "ID" : "NAME");
		*used = 2;
		by_id = arg[0] == 'i';
		arg = argv[1];
		if (by_id && !all_digits(arg))
			return usage_err(where(c), "guest id '%s': not a number", arg);
	}
	if (!by_id)
		return target_name(c, arg, t);
	memset(t, 0, sizeof(*t));
	if (vgpu_parse_u32(arg, &t->req.id))
		return usage_err(where(c), "guest id '%s': out of range", arg);
	t->req.has_id = true;
	snprintf(t->what, sizeof(t->what), "guest %u", t->req.id);
	return 0;
}

static int check_name(const struct cmd *c, const char *name)
{
	const char *p;

	/* empty and too long: target_name(), which runs first */
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
		      *p == '-'))
			return usage_err(where(c), "guest '%s': name may only hold A-Z a-z 0-9 _ . -",
					 name);
	if (all_digits(name))
		return usage_err(where(c), "guest '%s': name must not be all digits (that reads as an id)",
				 name);
	return 0;
}

/* period DUR: a duration within the kernel's range, in microseconds */
static int parse_period(const char *s, uint64_t *v)
{
	int err = vgpu_parse_duration_us(s, v);

	if (!err && (*v < VGPU_COMPUTE_PERIOD_MIN_US || *v > VGPU_COMPUTE_PERIOD_MAX_US))
		err = VGPU_PARSE_RANGE;
	return err;
}

/* weight W: 1..VGPU_COMPUTE_WEIGHT_MAX, or none (0 to the kernel) */
static int parse_weight(const char *s, uint64_t *v)
{
	int err;

	if (!strcmp(s, "none")) {
		*v = 0;
		return 0;
	}
	err = vgpu_parse_count(s, v);
	if (!err && (*v < 1 || *v > VGPU_COMPUTE_WEIGHT_MAX))
		err = VGPU_PARSE_RANGE;
	return err;
}

/* The compute settings among the quota keywords, after the resources. */
enum { Q_PERIOD = VGPU_RES_NR, Q_WEIGHT };

/*
 * The quota keywords: the first word is the one help and completion show.
 * @res: the VGPU_RES_* whose limit it sets, or Q_PERIOD / Q_WEIGHT.
 */
static const struct quota {
	const char *word, *alias;
	int res;
	int (*parse)(const char *s, uint64_t *v);
	const char *bad, *form;
} quotas[] = {
	{ "mem", "memory", VGPU_RES_MEMORY, vgpu_parse_size,
	  "not a valid size", "sizes: 4096, 512M, 1.5G, 2T, unlimited" },
	{ "pinned", NULL, VGPU_RES_PINNED, vgpu_parse_size,
	  "not a valid size", "sizes: 4096, 512M, 1.5G, 2T, unlimited" },
	{ "contexts", "ctx", VGPU_RES_CONTEXTS, vgpu_parse_count,
	  NULL, "a count or unlimited" },
	{ "compute", NULL, VGPU_RES_COMPUTE, vgpu_parse_percent,
	  NULL, "a percentage 1..100 or unlimited" },
	{ "period", NULL, Q_PERIOD, parse_period, "not a duration",
	  "a duration 10ms..1s with a unit us, ms or s: 50ms, 0.5s" },
	{ "weight", NULL, Q_WEIGHT, parse_weight, NULL,
	  "a weight 1..10000, or none" },
	{ NULL },
};

static const struct quota *find_quota(const char *kw)
{
	const struct quota *q;

	for (q = quotas; q->word; q++)
		if (matches(kw, q->word) || matches(kw, q->alias))
			return q;
	return NULL;
}

/*
 * parse_owner - USER[:GROUP] or UID[:GID]. A user name or a uid with a
 * passwd entry brings its primary group; a uid without one needs :GID
 * (there is no group to take, and the kernel would give the caller's).
 */
static int parse_owner(const struct cmd *c, const char *what, char *val,
		       struct vgpu_nl_req *req)
{
	char *colon = strchr(val, ':');
	struct passwd *pw;

	if (colon)
		*colon++ = '\0';
	if (!*val)
		return usage_err(where(c), "%s: owner ':%s': missing user", what,
				 colon ? colon : "");
	if (vgpu_parse_u32(val, &req->uid) == 0) {
		pw = getpwuid(req->uid);
	} else {
		pw = getpwnam(val);
		if (!pw)
			return usage_err(where(c), "%s: owner '%s': no such user", what, val);
		req->uid = pw->pw_uid;
	}
	req->has_uid = true;
	if (colon) {
		struct group *gr;

		if (!*colon)
			return usage_err(where(c), "%s: owner '%s:': missing group", what, val);
		req->has_gid = true;
		if (vgpu_parse_u32(colon, &req->gid) == 0)
			return 0;
		gr = getgrnam(colon);
		if (!gr)
			return usage_err(where(c), "%s: owner group '%s': no such group",
					 what, colon);
		req->gid = gr->gr_gid;
		return 0;
	}
	if (!pw)
		return usage_err(where(c), "%s: owner '%s': uid has no passwd entry to take a group from: give owner %s:GID",
				 what, val, val);
	req->gid = pw->pw_gid;
	req->has_gid = true;
	return 0;
}

/* set_quota - put quota @q = @v into the request. */
static void set_quota(struct vgpu_nl_req *req, const struct quota *q, uint64_t v)
{
	switch (q->res) {
	case Q_PERIOD:
		req->has_period = true;
		req->period_us = (uint32_t)v;
		break;
	case Q_WEIGHT:
		req->has_weight = true;
		req->weight = (uint32_t)v;
		break;
	default:
		vgpu_nl_req_limit(req, q->res, v);
	}
}

/* unknown_quota - the refusal of KW, listing the keywords of quotas[]. */
static int unknown_quota(const struct cmd *c, const struct target *t,
			 const char *kw, bool allow_owner)
{
	char list[128] = "";
	const struct quota *q;

	for (q = quotas; q->word; q++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 q == quotas ? "" : ", ", q->word);
	return usage_err(where(c), "%s: unknown quota '%s' (%s%s)", t->what, kw,
			 list, allow_owner ? ", owner" : "");
}

/* parse_quotas - "QUOTA VALUE" pairs (and owner when allowed). */
static int parse_quotas(const struct cmd *c, int argc, char **argv,
			struct target *t, bool allow_owner)
{
	const struct quota *q;
	unsigned int given = 0;
	uint64_t v;
	int i, err;

	for (i = 0; i < argc; i += 2) {
		const char *kw = argv[i], *val = argv[i + 1];

		if (allow_owner && matches(kw, "owner")) {
			if (i + 1 >= argc)
				return usage_err(where(c), "%s: 'owner': missing value", t->what);
			err = parse_owner(c, t->what, argv[i + 1], &t->req);
			if (err)
				return err;
			continue;
		}
		q = find_quota(kw);
		if (!q)
			return unknown_quota(c, t, kw, allow_owner);
		if (i + 1 >= argc)
			return usage_err(where(c), "%s: '%s': missing value", t->what, kw);
		if (given & (1U << (q - quotas)))
			return usage_err(where(c), "%s: '%s' given twice", t->what, kw);
		given |= 1U << (q - quotas);
		err = q->parse(val, &v);
		if (err) {
			errmsg("%s: %s '%s': %s (%s)", t->what, kw, val,
			       err == VGPU_PARSE_BAD && q->bad ? q->bad :
			       vgpu_parse_strerror(err), q->form);
			return EXIT_USAGE;
		}
		set_quota(&t->req, q, v);
	}
	return 0;
}

/* ---- output ----------------------------------------------------------- */

static char *fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "%.1fs", ns / 1e9);
	return buf;
}

/* A resource value for people: sizes, counts, time or percent. */
static char *fmt_res(int res, uint64_t v, bool is_limit, char *buf, size_t len)
{
	switch (res) {
	case VGPU_RES_MEMORY:
	case VGPU_RES_PINNED:
		return vgpu_format_size(v, buf, len);
	case VGPU_RES_COMPUTE:
		if (v == VGPU_LIMIT_UNLIMITED)
			return vgpu_format_count(v, buf, len);
		if (is_limit) {
			snprintf(buf, len, "%llu%%", (unsigned long long)v);
			return buf;
		}
		return fmt_ns(v, buf, len);
	default:
		return vgpu_format_count(v, buf, len);
	}
}

static void json_limit(struct json *j, const char *key, uint64_t v)
{
	if (v == VGPU_LIMIT_UNLIMITED)
		json_null(j, key);
	else
		json_u64(j, key, v);
}

/*
 * A share in the kernel's 1/VGPU_SHARE_ONE as a percentage: 2998 -> 29.98
 * (JSON) or "30.0%" (text).
 */
#define SHARE_PCT_DIGITS 2
_Static_assert(VGPU_SHARE_ONE == 10000, "shares are 1/10000: 2 decimals of a percent");

static char *fmt_share(uint32_t share, char *buf, size_t len)
{
	snprintf(buf, len, "%.1f%%", share * 100.0 / VGPU_SHARE_ONE);
	return buf;
}

/* The compute settings and figures, in the compute resource's object. */
static void json_compute(struct json *j, const struct vgpu_nl_guest *g)
{
	json_u64(j, "period_us", g->period_us);
	if (g->weight)
		json_u64(j, "weight", g->weight);
	else
		json_null(j, "weight");
	json_decimal(j, "share_period", g->share_period, SHARE_PCT_DIGITS);
	json_decimal(j, "share_second", g->share_second, SHARE_PCT_DIGITS);
	json_u64(j, "throttled_ns", g->throttled);
	json_u64(j, "fallback_ns", g->fallback);
}

static void json_guest(struct json *j, const struct vgpu_nl_guest *g)
{
	char rb[32];
	int res;

	json_object_open(j, NULL);
	json_u64(j, "id", g->id);
	json_str(j, "name", g->name);
	if (g->has_uid)
		json_u64(j, "uid", g->uid);
	if (g->has_gid)
		json_u64(j, "gid", g->gid);
	if (g->has_sessions)
		json_u64(j, "sessions", g->sessions);
	json_object_open(j, "resources");
	for (res = 0; res < VGPU_RES_NR; res++) {
		const struct vgpu_nl_res *r = &g->res[res];

		if (!r->present)
			continue;
		json_object_open(j, vgpu_nl_res_name(res, rb, sizeof(rb)));
		if (r->has_usage) {
			json_u64(j, "current", r->current);
			json_u64(j, "peak", r->peak);
		}
		json_limit(j, "limit", r->limit);
		if (r->has_usage)
			json_u64(j, "limit_hits", r->limit_hits);
		if (res == VGPU_RES_COMPUTE && g->has_compute)
			json_compute(j, g);
		json_object_close(j);
	}
	json_object_close(j);
	json_object_close(j);
}

#define NCOL 9	/* most columns of a table */
struct table {
	int ncol;		/* columns of this table */
	const bool *right;	/* right-aligned columns */
	char (*cell)[NCOL][40];
	size_t n, cap;
};

static int table_add(struct table *t, const char *const *cols)
{
	int i;

	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 32;
		void *p = realloc(t->cell, cap * sizeof(*t->cell));

		if (!p)
			return -ENOMEM;
		t->cell = p;
		t->cap = cap;
	}
	for (i = 0; i < t->ncol; i++)
		snprintf(t->cell[t->n][i], sizeof(t->cell[0][0]), "%s",
			 cols[i] ? cols[i] : "");
	t->n++;
	return 0;
}

/* table_print - the rows, columns as wide as their widest cell; frees. */
static void table_print(struct table *t)
{
	int w[NCOL] = { 0 }, i;
	size_t r;

	for (r = 0; r < t->n; r++)
		for (i = 0; i < t->ncol; i++) {
			int l = (int)strlen(t->cell[r][i]);

			if (l > w[i])
				w[i] = l;
		}
	for (r = 0; r < t->n; r++)
		for (i = 0; i < t->ncol; i++)
			printf(t->right[i] ? "%*s%s" : "%-*s%s", w[i],
			       t->cell[r][i], i == t->ncol - 1 ? "\n" : "  ");
	free(t->cell);
}

/* The resources of each guest: left id name owner resource, right the numbers. */
static const char *const table_head[NCOL] = {
	"ID", "NAME", "OWNER", "SESSIONS", "RESOURCE", "CURRENT", "PEAK",
	"LIMIT", "HITS",
};
static const bool table_right[NCOL] = { 0, 0, 0, 1, 0, 1, 1, 1, 1 };

/* Their compute settings and what they got: one row each. */
#define COMPUTE_NCOL 8
static const char *const compute_head[COMPUTE_NCOL] = {
	"ID", "NAME", "PERIOD", "WEIGHT", "SHARE-PERIOD", "SHARE-SECOND",
	"THROTTLED", "FALLBACK",
};
static const bool compute_right[COMPUTE_NCOL] = { 0, 0, 1, 1, 1, 1, 1, 1 };

static int table_compute(struct table *t, const struct vgpu_nl_guest *g)
{
	char id[16], b[6][40];
	const char *cols[COMPUTE_NCOL] = {
		id, g->name,
		vgpu_format_duration_us(g->period_us, b[0], sizeof(b[0])),
		b[1],
		fmt_share(g->share_period, b[2], sizeof(b[2])),
		fmt_share(g->share_second, b[3], sizeof(b[3])),
		fmt_ns(g->throttled, b[4], sizeof(b[4])),
		fmt_ns(g->fallback, b[5], sizeof(b[5])),
	};

	snprintf(id, sizeof(id), "%u", g->id);
	if (g->weight)
		snprintf(b[1], sizeof(b[1]), "%u", g->weight);
	else
		snprintf(b[1], sizeof(b[1]), "-");
	return table_add(t, cols);
}

static int table_guest(struct table *t, const struct vgpu_nl_guest *g)
{
	char id[16], owner[32], sess[16], rb[32], b[4][40];
	const char *cols[NCOL];
	int res;

	snprintf(id, sizeof(id), "%u", g->id);
	if (g->has_uid && g->has_gid)
		snprintf(owner, sizeof(owner), "%u:%u", g->uid, g->gid);
	else if (g->has_uid)
		snprintf(owner, sizeof(owner), "%u", g->uid);
	else
		snprintf(owner, sizeof(owner), "-");
	if (g->has_sessions)
		snprintf(sess, sizeof(sess), "%u", g->sessions);
	else
		snprintf(sess, sizeof(sess), "-");
	for (res = 0; res < VGPU_RES_NR; res++) {
		const struct vgpu_nl_res *r = &g->res[res];

		memset(cols, 0, sizeof(cols));
		if (res == 0) {
			cols[0] = id;
			cols[1] = g->name;
			cols[2] = owner;
			cols[3] = sess;
		}
		cols[4] = vgpu_nl_res_name(res, rb, sizeof(rb));
		if (r->present && r->has_usage) {
			cols[5] = fmt_res(res, r->current, false, b[0], sizeof(b[0]));
			cols[6] = fmt_res(res, r->peak, false, b[1], sizeof(b[1]));
			snprintf(b[3], sizeof(b[3]), "%llu",
				 (unsigned long long)r->limit_hits);
			cols[8] = b[3];
		} else {
			cols[5] = cols[6] = cols[8] = "-";
		}
		cols[7] = r->present || r->limit != VGPU_LIMIT_UNLIMITED ?
			fmt_res(res, r->limit, true, b[2], sizeof(b[2])) : "-";
		if (table_add(t, cols))
			return -ENOMEM;
	}
	return 0;
}

/*
 * print_guests - the tables (text: the resources, then the compute settings
 * and figures of the guests whose module reports them) or a JSON array (or
 * one object).
 */
static int print_guests(const struct vgpu_nl_guest *g, size_t n, bool one)
{
	struct table t = { .ncol = NCOL, .right = table_right };
	struct table tc = { .ncol = COMPUTE_NCOL, .right = compute_right };
	struct json j;
	size_t i;
	int err = 0;

	if (json) {
		json_start(&j, stdout);
		if (!one)
			json_array_open(&j, NULL);
		for (i = 0; i < n; i++)
			json_guest(&j, &g[i]);
		if (!one)
			json_array_close(&j);
		json_end(&j);
		return 0;
	}
	if (!n)
		return 0;
	err = table_add(&t, table_head);
	for (i = 0; i < n && !err; i++)
		err = table_guest(&t, &g[i]);
	for (i = 0; i < n && !err; i++)
		if (g[i].has_compute)
			err = (tc.n ? 0 : table_add(&tc, compute_head)) ?:
			      table_compute(&tc, &g[i]);
	if (err) {
		free(t.cell);
		free(tc.cell);
		errmsg("out of memory");
		return EXIT_KERNEL;
	}
	table_print(&t);
	if (tc.n) {
		putchar('\n');
		table_print(&tc);
	}
	return 0;
}

/* ---- guest commands --------------------------------------------------- */

static int do_guest_add(const struct cmd *c, int argc, char **argv)
{
	struct vgpu_nl_guest g;
	struct target t;
	struct vgpu_nl nl;
	int err;

	if (argc < 1)
		return usage_err(where(c), "guest add: missing NAME");
	err = target_name(c, argv[0], &t);
	if (!err)
		err = check_name(c, argv[0]);
	if (!err)
		err = parse_quotas(c, argc - 1, argv + 1, &t, true);
	if (err)
		return err;
	err = open_nl(&nl, false);
	if (err)
		return err;
	err = vgpu_nl_guest_new(&nl, &t.req, &g);
	if (!err && json && !g.has_id)	/* an older module: no reply */
		err = vgpu_nl_guest_get(&nl, &t.req, &g);
	if (err) {
		err = kernel_err(&nl, t.what, err, VGPU_NL_CMD_GUEST_NEW);
	} else if (json) {
		err = print_guests(&g, 1, true);
	}
	vgpu_nl_close(&nl);
	return err;
}

/* with_target - the GUEST argument of del and show: 0 or an exit code. */
static int with_target(const struct cmd *c, int argc, char **argv,
		       struct target *t)
{
	int err, n;

	if (argc < 1)
		return usage_err(where(c), "guest %s: missing GUEST (id N, name NAME, N or NAME)",
				 c->name);
	err = parse_target(c, argc, argv, t, &n);
	if (!err && argc > n)
		err = usage_err(where(c), "%s: unexpected argument '%s'",
				t->what, argv[n]);
	return err;
}

static int do_guest_del(const struct cmd *c, int argc, char **argv)
{
	struct target t;
	struct vgpu_nl nl;
	int err;

	err = with_target(c, argc, argv, &t);
	if (!err)
		err = open_nl(&nl, false);
	if (err)
		return err;
	err = vgpu_nl_guest_del(&nl, &t.req);
	if (err)
		err = kernel_err(&nl, t.what, err, VGPU_NL_CMD_GUEST_DEL);
	vgpu_nl_close(&nl);
	return err;
}

static int cmp_guest(const void *a, const void *b)
{
	const struct vgpu_nl_guest *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int do_guest_list(const struct cmd *c, int argc, char **argv)
{
	struct vgpu_nl_guest *g;
	struct vgpu_nl nl;
	size_t n;
	int err;

	if (argc > 0)
		return usage_err(where(c), "guest list: unexpected argument '%s'", argv[0]);
	err = open_nl(&nl, false);
	if (err)
		return err;
	err = vgpu_nl_guest_dump(&nl, &g, &n);
	if (err) {
		err = kernel_err(&nl, "guest list", err, VGPU_NL_CMD_GUEST_GET);
		vgpu_nl_close(&nl);
		return err;
	}
	vgpu_nl_close(&nl);
	qsort(g, n, sizeof(*g), cmp_guest);
	err = print_guests(g, n, false);
	free(g);
	return err;
}

static int do_guest_show(const struct cmd *c, int argc, char **argv)
{
	struct vgpu_nl_guest g;
	struct target t;
	struct vgpu_nl nl;
	int err;

	err = with_target(c, argc, argv, &t);
	if (!err)
		err = open_nl(&nl, false);
	if (err)
		return err;
	err = vgpu_nl_guest_get(&nl, &t.req, &g);
	if (err)
		err = kernel_err(&nl, t.what, err, VGPU_NL_CMD_GUEST_GET);
	else
		err = print_guests(&g, 1, true);
	vgpu_nl_close(&nl);
	return err;
}

static int do_guest_set(const struct cmd *c, int argc, char **argv)
{
	struct target t;
	struct vgpu_nl nl;
	int err, n;

	if (argc < 1)
		return usage_err(where(c), "guest set: missing GUEST (id N, name NAME, N or NAME)");
	err = parse_target(c, argc, argv, &t, &n);
	if (!err)
		err = parse_quotas(c, argc - n, argv + n, &t, false);
	if (err)
		return err;
	if (!t.req.limits_set && !t.req.has_period && !t.req.has_weight)
		return usage_err(where(c), "%s: nothing to set", t.what);
	err = open_nl(&nl, false);
	if (err)
		return err;
	err = vgpu_nl_guest_set(&nl, &t.req);
	if (err)
		err = kernel_err(&nl, t.what, err, VGPU_NL_CMD_GUEST_SET);
	vgpu_nl_close(&nl);
	return err;
}

/* ---- stats ------------------------------------------------------------ */

static void stat(struct json *j, bool has, const char *key,
		 const char *label, uint64_t v)
{
	if (!has)
		return;
	if (json)
		json_u64(j, key, v);
	else
		printf("%-15s %llu\n", label, (unsigned long long)v);
}

static int do_stats(const struct cmd *c, int argc, char **argv)
{
	struct vgpu_nl_stats s;
	struct vgpu_nl nl;
	struct json j;
	int err;

	if (argc > 0)
		return usage_err(where(c), "stats: unexpected argument '%s'", argv[0]);
	err = open_nl(&nl, false);
	if (err)
		return err;
	err = vgpu_nl_stats_get(&nl, &s);
	if (err) {
		err = kernel_err(&nl, "stats", err, VGPU_NL_CMD_STATS_GET);
		vgpu_nl_close(&nl);
		return err;
	}
	vgpu_nl_close(&nl);
	json_start(&j, stdout);
	if (json)
		json_object_open(&j, NULL);
	stat(&j, s.has_guests, "guests", "guests", s.guests);
	stat(&j, s.has_sessions, "sessions", "sessions", s.sessions);
	stat(&j, s.has_limit_hits, "limit_hits", "limit-hits", s.limit_hits);
	stat(&j, s.has_events, "events", "events", s.events);
	stat(&j, s.has_events_dropped, "events_dropped", "events-dropped",
	     s.events_dropped);
	if (json) {
		json_object_close(&j);
		json_end(&j);
	}
	return 0;
}

/* ---- monitor ---------------------------------------------------------- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void json_event(const struct vgpu_nl_event *ev, const char *name)
{
	const struct vgpu_nl_guest *g = &ev->guest;
	char rb[32];
	struct json j;
	int res;

	json_start(&j, stdout);
	json_object_open(&j, NULL);
	json_str(&j, "event", name);
	if (g->has_id)
		json_u64(&j, "id", g->id);
	if (g->has_name)
		json_str(&j, "name", g->name);
	if (g->has_uid)
		json_u64(&j, "uid", g->uid);
	if (g->has_gid)
		json_u64(&j, "gid", g->gid);
	if (ev->has_resource)
		json_str(&j, "resource", vgpu_nl_res_name(ev->resource, rb, sizeof(rb)));
	if (ev->has_current)
		json_u64(&j, "current", ev->current);
	if (ev->has_requested)
		json_u64(&j, "requested", ev->requested);
	if (ev->has_limit)
		json_limit(&j, "limit", ev->limit);
	if (ev->has_device)
		json_u64(&j, "device", ev->device);
	if (ev->has_wait)
		json_u64(&j, "wait_ns", ev->wait);
	if (ev->cmd == VGPU_NL_CMD_GUEST_CREATED_NTF) {
		json_object_open(&j, "limits");
		for (res = 0; res < VGPU_RES_NR; res++)
			json_limit(&j, vgpu_nl_res_name(res, rb, sizeof(rb)),
				   g->res[res].limit);
		json_object_close(&j);
		if (g->has_compute) {
			json_u64(&j, "period_us", g->period_us);
			if (g->weight)
				json_u64(&j, "weight", g->weight);
			else
				json_null(&j, "weight");
		}
	}
	json_object_close(&j);
	json_end(&j);
}

static void text_event(const struct vgpu_nl_event *ev, const char *name)
{
	const struct vgpu_nl_guest *g = &ev->guest;
	int res = ev->has_resource ? (int)ev->resource : -1;
	const struct quota *q;
	char rb[32], b[40];

	printf("%s", name);
	if (g->has_id)
		printf(" id %u", g->id);
	if (g->has_name)
		printf(" name %s", g->name);
	if (g->has_uid)
		printf(" owner %u:%u", g->uid, g->gid);
	if (ev->has_resource)
		printf(" resource %s", vgpu_nl_res_name(ev->resource, rb, sizeof(rb)));
	if (ev->has_current)
		printf(" current %s", fmt_res(res, ev->current, false, b, sizeof(b)));
	if (ev->has_requested)
		printf(" requested %s", fmt_res(res, ev->requested, false, b, sizeof(b)));
	if (ev->has_limit)
		printf(" limit %s", fmt_res(res, ev->limit, true, b, sizeof(b)));
	if (ev->has_device)
		printf(" device %u", ev->device);
	if (ev->has_wait)
		printf(" wait %s", fmt_ns(ev->wait, b, sizeof(b)));
	if (ev->cmd == VGPU_NL_CMD_GUEST_CREATED_NTF)
		for (q = quotas; q->word; q++) {
			if (q->res < VGPU_RES_NR)
				printf(" %s %s", q->word,
				       fmt_res(q->res, g->res[q->res].limit, true, b, sizeof(b)));
			else if (q->res == Q_PERIOD && g->has_compute)
				printf(" period %s",
				       vgpu_format_duration_us(g->period_us, b, sizeof(b)));
			else if (q->res == Q_WEIGHT && g->has_compute && g->weight)
				printf(" weight %u", g->weight);
		}
	putchar('\n');
	fflush(stdout);
}

static void print_event(const struct vgpu_nl_event *ev, void *arg)
{
	const char *name = vgpu_nl_event_name(ev->cmd);
	char unk[32];

	(void)arg;
	if (!name) {
		snprintf(unk, sizeof(unk), "event-%u", ev->cmd);
		name = unk;
	}
	if (json)
		json_event(ev, name);
	else
		text_event(ev, name);
}

static int do_monitor(const struct cmd *c, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct pollfd pfd;
	struct vgpu_nl nl;
	int err;

	if (argc > 0)
		return usage_err(where(c), "monitor: unexpected argument '%s'", argv[0]);
	err = open_nl(&nl, true);
	if (err)
		return err;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pfd.fd = vgpu_nl_events_fd(&nl);
	pfd.events = POLLIN;
	while (!stop) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			errmsg("monitor: poll: %s", strerror(errno));
			break;
		}
		do {
			err = vgpu_nl_events_read(&nl, print_event, NULL);
			if (err == -ENOBUFS)
				errmsg("monitor: events lost (receive buffer overrun)");
		} while (!err || err == -ENOBUFS);
		if (err != -EAGAIN && err != -EINTR) {
			errmsg("monitor: %s", strerror(-err));
			break;
		}
	}
	vgpu_nl_close(&nl);
	return stop ? 0 : EXIT_KERNEL;
}

/* ---- the table and main ----------------------------------------------- */

static const struct cmd cmds[] = {
	{ "guest", "add", "new", do_guest_add,
	  "NAME [owner USER[:GROUP]] [QUOTA VALUE]...",
	  "Create a guest. NAME: 1-31 of A-Z a-z 0-9 _ . - (not all digits).\n"
	  "owner: who may attach: a user name or a uid with a passwd entry (its\n"
	  "primary group comes along), or UID:GID; default: the caller.\n"
	  "Quotas left out are unlimited, the period 100ms, no weight.\n"
	  "With -j, prints the new guest as JSON.\n" },
	{ "guest", "del", "delete", do_guest_del, "GUEST",
	  "Destroy a guest. Fails while sessions are attached.\n"
	  "GUEST: id N, name NAME, or one word: an id when all digits, else a name.\n" },
	{ "guest", "list", "ls", do_guest_list, "",
	  "List all guests with current, peak, limit and limit hits of every resource\n"
	  "('vgpuctl guest' alone does the same), then their compute period and weight,\n"
	  "the share of a device they got in their last period and the last second,\n"
	  "and the time they were throttled (refused at their share) or ran on the CPU\n"
	  "as a fallback. -j: a JSON array of guests (sizes in bytes, compute use in\n"
	  "ns, compute limit and shares in percent, no limit is null).\n" },
	{ "guest", "show", NULL, do_guest_show, "GUEST",
	  "Show one guest (the tables of 'guest list', or one JSON object with -j).\n"
	  "GUEST: id N, name NAME, or one word: an id when all digits, else a name.\n" },
	{ "guest", "set", NULL, do_guest_set, "GUEST QUOTA VALUE [QUOTA VALUE]...",
	  "Change limits and compute settings. GUEST: id N, name NAME, N (an id) or\n"
	  "NAME. Lowering a limit below current usage blocks new charges; nothing is\n"
	  "taken away. A new period or weight applies from the guest's next period.\n" },
	{ "monitor", NULL, NULL, do_monitor, "",
	  "Print the events of the \"events\" multicast group as they arrive, one per\n"
	  "line, until SIGINT or SIGTERM: guest-created, guest-destroyed, limit-hit,\n"
	  "throttled (a guest's compute lease refused: its share is spent; at most\n"
	  "one a second per guest). -j: one JSON object per line.\n" },
	{ "stats", NULL, NULL, do_stats, "",
	  "Module-wide statistics: guests, open sessions, limit hits since load, events\n"
	  "sent, and limit-hit events dropped by the rate limit (20 a second per guest).\n" },
	{ NULL },
};

/* find - the first entry whose object (and command) ARG is a prefix of. */
static const struct cmd *find(const char *obj, const char *arg)
{
	const struct cmd *c;

	for (c = cmds; c->obj; c++) {
		if (!obj && matches(arg, c->obj))
			return c;
		if (obj && !strcmp(c->obj, obj) &&
		    (matches(arg, c->name) || matches(arg, c->alias)))
			return c;
	}
	return NULL;
}

/* run - OBJECT [COMMAND] ARGS..., each level answering -h. */
static int run(int argc, char **argv)
{
	const struct cmd *c = find(NULL, argv[0]);
	int i;

	if (!c)
		return usage_err(NULL, "unknown object '%s'", argv[0]);
	argc--;
	argv++;
	if (c->name) {		/* an object with commands */
		const char *obj = c->obj;

		if (argc < 1)	/* iproute2: the object alone lists */
			return find(obj, "list")->fn(find(obj, "list"), 0, argv);
		if (is_help(argv[0])) {	/* guest help [COMMAND] */
			c = argc > 1 ? find(obj, argv[1]) : NULL;
			if (c)
				return help_cmd(c);
			usage(stdout, obj);
			return 0;
		}
		c = find(obj, argv[0]);
		if (!c)
			return usage_err(obj, "%s: unknown command '%s'", obj, argv[0]);
		argc--;
		argv++;
	}
	for (i = 0; i < argc; i++)
		if (is_help(argv[i]))
			return help_cmd(c);
	return c->fn(c, argc, argv);
}

#define BATCH_ARGS_MAX 64

/*
 * batch - the commands of FILE ("-": standard input), one a line as after
 * "vgpuctl" (OBJECT COMMAND ARGS, words split at blanks; empty lines and
 * '#' comments skipped), as iproute2's -batch: stops at the first that
 * fails, naming the line, with that command's exit status.
 */
static int batch(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL, *argv[BATCH_ARGS_MAX + 1];
	unsigned long lineno = 0;
	size_t cap = 0;
	int argc, err = 0;

	if (!f) {
		errmsg("batch '%s': %s", path, strerror(errno));
		return EXIT_USAGE;
	}
	while (!err && getline(&line, &cap, f) >= 0) {
		char *save = NULL, *w;

		lineno++;
		argc = 0;
		for (w = strtok_r(line, " \t\r\n", &save); w && argc <= BATCH_ARGS_MAX;
		     w = strtok_r(NULL, " \t\r\n", &save))
			argv[argc++] = w;
		if (!argc || argv[0][0] == '#')
			continue;
		if (argc > BATCH_ARGS_MAX)
			err = usage_err(NULL, "%s:%lu: more than %d words", path,
					lineno, BATCH_ARGS_MAX);
		else
			err = run(argc, argv);
		if (err)
			errmsg("%s:%lu: command failed", path, lineno);
	}
	if (!err && ferror(f)) {
		errmsg("batch '%s': %s", path, strerror(errno));
		err = EXIT_KERNEL;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "batch", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *batch_file = NULL;
	int o;

	opterr = 0;
	/* '+': stop at the first non-option, so "guest add x mem -1" is an argument */
	while ((o = getopt_long(argc, argv, "+jhVb:", opts, NULL)) != -1) {
		switch (o) {
		case 'j':
			json = true;
			break;
		case 'b':
			batch_file = optarg;
			break;
		case 'h':
			usage(stdout, NULL);
			return 0;
		case 'V':
			printf("vgpuctl (vgpu API %d)\n", VGPU_API_VERSION);
			return 0;
		default:
			if (optopt == 'b')
				return usage_err(NULL, "'%s': missing FILE", argv[optind - 1]);
			return usage_err(NULL, "unknown option '%s'", argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (batch_file) {
		if (argc > 0)
			return usage_err(NULL, "-b FILE: unexpected argument '%s'", argv[0]);
		setvbuf(stdout, NULL, _IOLBF, 0);
		return batch(batch_file);
	}
	if (argc < 1) {
		usage(stderr, NULL);
		return EXIT_USAGE;
	}
	if (is_help(argv[0])) {	/* help [OBJECT [COMMAND]] */
		const struct cmd *c = argc > 1 ? find(NULL, argv[1]) : NULL;

		if (c && c->name && argc > 2 && find(c->obj, argv[2]))
			return help_cmd(find(c->obj, argv[2]));
		if (c && c->name)
			usage(stdout, c->obj);
		else if (c)
			help_cmd(c);
		else
			usage(stdout, NULL);
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	return run(argc, argv);
}
