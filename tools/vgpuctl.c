// SPDX-License-Identifier: GPL-2.0
/*
 * vgpuctl - administer vgpu guests and quotas over the "vgpu" generic netlink
 * family, in the manner of iproute2.
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

#include "lib/json.h"
#include "common/size.h"
#include "lib/vgpu_nl.h"

#define EXIT_KERNEL	1
#define EXIT_USAGE	2

static int json;

static const char *const res_keywords[VGPU_RES_NR] = {
	[VGPU_RES_MEMORY] = "mem",
	[VGPU_RES_PINNED] = "pinned",
	[VGPU_RES_CONTEXTS] = "contexts",
	[VGPU_RES_COMPUTE] = "compute",
};

/* ---- messages --------------------------------------------------------- */

static void __attribute__((format(printf, 1, 2))) errmsg(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("vgpuctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A usage error: one line, exit 2. */
#define usage_err(help, fmt, ...) do {					\
	errmsg(fmt " (see 'vgpuctl %s-h')", ##__VA_ARGS__, help);	\
	return EXIT_USAGE;						\
} while (0)

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
	case EOPNOTSUPP:
		return "not supported by this vgpu module";
	default:
		return strerror(err);
	}
}

/* A refusal by the kernel (or a transport failure): one line, exit 1. */
static int kernel_err(struct vnl *v, const char *obj, int err, int cmd)
{
	const char *reason = errno_reason(-err, cmd);

	/* the kernel's extended ACK text, unless it only repeats the reason */
	if (v->ext_msg[0] && strcasecmp(v->ext_msg, reason))
		errmsg("%s: %s (%s)", obj, reason, v->ext_msg);
	else
		errmsg("%s: %s", obj, reason);
	return EXIT_KERNEL;
}

static int open_nl(struct vnl *v)
{
	int err = vnl_open(v);

	if (err == -ENOENT) {
		errmsg("vgpu module not loaded");
		return EXIT_KERNEL;
	}
	if (err) {
		errmsg("netlink: %s", strerror(-err));
		return EXIT_KERNEL;
	}
	return 0;
}

/* ---- arguments -------------------------------------------------------- */

static int is_help(const char *s)
{
	return !strcmp(s, "-h") || !strcmp(s, "--help") || !strcmp(s, "help");
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* "guest 'vm1'" or "guest 7", for messages. */
static const char *sel_str(const struct vgpu_sel *sel, char *buf, size_t len)
{
	if (sel->by_id)
		snprintf(buf, len, "guest %u", sel->id);
	else
		snprintf(buf, len, "guest '%s'", sel->name);
	return buf;
}

/*
 * The guest named by argv: "id N" or "name NAME" (unambiguous), or one word,
 * which is an id when all digits (the kernel refuses all-digit names) and a
 * name otherwise. *@used: how many arguments it took (1 or 2).
 */
static int parse_sel(int argc, char **argv, struct vgpu_sel *sel, int *used,
		     const char *help)
{
	const char *arg = argv[0];

	memset(sel, 0, sizeof(*sel));
	*used = 1;
	if (!strcmp(arg, "id") || !strcmp(arg, "name")) {
		*used = 2;
		if (argc < 2)
			usage_err(help, "'%s': missing %s", arg,
				  arg[0] == 'i' ? "ID" : "NAME");
		if (arg[0] == 'i') {
			if (!all_digits(argv[1]) || vgpu_parse_u32(argv[1], &sel->id))
				usage_err(help, "guest id '%s': not a number in range",
					  argv[1]);
			sel->by_id = true;
			return 0;
		}
		if (!*argv[1])
			usage_err(help, "guest name must not be empty");
		if (strlen(argv[1]) >= VGPU_NAME_MAX)
			usage_err(help, "guest '%s': name longer than %d bytes",
				  argv[1], VGPU_NAME_MAX - 1);
		sel->name = argv[1];
		return 0;
	}
	if (all_digits(arg)) {
		if (vgpu_parse_u32(arg, &sel->id))
			usage_err(help, "guest id '%s': out of range", arg);
		sel->by_id = true;
		return 0;
	}
	if (strlen(arg) >= VGPU_NAME_MAX)
		usage_err(help, "guest '%s': name longer than %d bytes", arg,
			  VGPU_NAME_MAX - 1);
	sel->name = arg;
	return 0;
}

static int check_name(const char *name, const char *help)
{
	const char *p;

	if (!*name)
		usage_err(help, "guest name must not be empty");
	if (strlen(name) >= VGPU_NAME_MAX)
		usage_err(help, "guest '%s': name longer than %d bytes", name,
			  VGPU_NAME_MAX - 1);
	for (p = name; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
		      *p == '-'))
			usage_err(help, "guest '%s': name may only hold A-Z a-z 0-9 _ . -",
				  name);
	}
	if (all_digits(name))
		usage_err(help, "guest '%s': name must not be all digits (that reads as an id)",
			  name);
	return 0;
}

static int keyword_res(const char *kw)
{
	if (!strcmp(kw, "mem") || !strcmp(kw, "memory"))
		return VGPU_RES_MEMORY;
	if (!strcmp(kw, "pinned"))
		return VGPU_RES_PINNED;
	if (!strcmp(kw, "contexts") || !strcmp(kw, "ctx"))
		return VGPU_RES_CONTEXTS;
	if (!strcmp(kw, "compute"))
		return VGPU_RES_COMPUTE;
	return -1;
}

/* A bad value: one line naming the guest, the quota and the reason, exit 2. */
#define value_err(fmt, ...) do {					\
	errmsg(fmt, ##__VA_ARGS__);					\
	return EXIT_USAGE;						\
} while (0)

static int parse_limit(int res, const char *kw, const char *val,
		       struct vgpu_spec *spec, const char *obj)
{
	uint64_t v;
	int err;

	switch (res) {
	case VGPU_RES_MEMORY:
	case VGPU_RES_PINNED:
		err = vgpu_parse_size(val, &v);
		if (err)
			value_err("%s: %s '%s': %s (sizes: 4096, 512M, 1.5G, 2T, unlimited)",
				  obj, kw, val, err == VGPU_PARSE_BAD ?
				  "not a valid size" : vgpu_parse_strerror(err));
		break;
	case VGPU_RES_CONTEXTS:
		err = vgpu_parse_count(val, &v);
		if (err)
			value_err("%s: %s '%s': %s (a count or unlimited)",
				  obj, kw, val, vgpu_parse_strerror(err));
		break;
	default:
		err = vgpu_parse_percent(val, &v);
		if (err)
			value_err("%s: %s '%s': %s (a percentage 1..100 or unlimited)",
				  obj, kw, val, vgpu_parse_strerror(err));
		break;
	}
	spec->has_limit[res] = true;
	spec->limit[res] = v;
	return 0;
}

/* owner UID[:GID]; names resolve through passwd/group. */
static int parse_owner(char *val, struct vgpu_spec *spec, const char *help)
{
	char *colon = strchr(val, ':');
	struct passwd *pw = NULL;

	if (colon)
		*colon++ = '\0';
	if (!*val)
		usage_err(help, "owner '%s': missing uid", val);
	if (vgpu_parse_u32(val, &spec->uid) == 0) {
		pw = getpwuid(spec->uid);
	} else {
		pw = getpwnam(val);
		if (!pw)
			usage_err(help, "owner '%s': no such user", val);
		spec->uid = pw->pw_uid;
	}
	spec->has_uid = true;
	if (colon && *colon) {
		if (vgpu_parse_u32(colon, &spec->gid)) {
			struct group *gr = getgrnam(colon);

			if (!gr)
				usage_err(help, "owner group '%s': no such group", colon);
			spec->gid = gr->gr_gid;
		}
		spec->has_gid = true;
	} else if (colon) {
		usage_err(help, "owner '%s:': missing gid", val);
	} else if (pw) {
		spec->gid = pw->pw_gid;
		spec->has_gid = true;
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
static char *fmt_res(uint32_t res, uint64_t v, int is_limit, char *buf,
		     size_t len)
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

#define NCOL 9
struct table {
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
	for (i = 0; i < NCOL; i++)
		snprintf(t->cell[t->n][i], sizeof(t->cell[0][0]), "%s",
			 cols[i] ? cols[i] : "");
	t->n++;
	return 0;
}

static void table_print(struct table *t)
{
	/* left: id name owner resource; right: the numbers */
	static const int right[NCOL] = { 0, 0, 0, 1, 0, 1, 1, 1, 1 };
	int w[NCOL] = { 0 }, i;
	size_t r;

	for (r = 0; r < t->n; r++)
		for (i = 0; i < NCOL; i++) {
			int l = (int)strlen(t->cell[r][i]);

			if (l > w[i])
				w[i] = l;
		}
	for (r = 0; r < t->n; r++) {
		for (i = 0; i < NCOL; i++) {
			const char *sep = i == NCOL - 1 ? "\n" : "  ";

			if (i == NCOL - 1 && !right[i])
				printf("%s%s", t->cell[r][i], sep);
			else if (right[i])
				printf("%*s%s", w[i], t->cell[r][i], sep);
			else
				printf("%-*s%s", w[i], t->cell[r][i], sep);
		}
	}
	free(t->cell);
}

static const char *const table_head[NCOL] = {
	"ID", "NAME", "OWNER", "SESSIONS", "RESOURCE", "CURRENT", "PEAK",
	"LIMIT", "HITS",
};

static int table_guest(struct table *t, const struct vgpu_guest *g)
{
	char id[16], owner[32], sess[16], b[4][40];
	const char *cols[NCOL];
	int res, first = 1;

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
		const struct vgpu_res *r = &g->res[res];

		memset(cols, 0, sizeof(cols));
		if (first) {
			cols[0] = id;
			cols[1] = g->name;
			cols[2] = owner;
			cols[3] = sess;
		}
		cols[4] = vgpu_res_names[res];
		if (r->present && r->has_usage) {
			cols[5] = fmt_res(res, r->current, 0, b[0], sizeof(b[0]));
			cols[6] = fmt_res(res, r->peak, 0, b[1], sizeof(b[1]));
			snprintf(b[3], sizeof(b[3]), "%llu",
				 (unsigned long long)r->limit_hits);
			cols[8] = b[3];
		} else {
			cols[5] = cols[6] = cols[8] = "-";
		}
		cols[7] = r->present || r->limit != VGPU_LIMIT_UNLIMITED ?
			fmt_res(res, r->limit, 1, b[2], sizeof(b[2])) : "-";
		if (table_add(t, cols))
			return -ENOMEM;
		first = 0;
	}
	return 0;
}

static void json_u64_or_null(const char *key, uint64_t v, int unlimited_null)
{
	if (unlimited_null && v == VGPU_LIMIT_UNLIMITED)
		printf("\"%s\":null", key);
	else
		printf("\"%s\":%llu", key, (unsigned long long)v);
}

static void json_guest(const struct vgpu_guest *g)
{
	int res, first = 1;

	printf("{\"id\":%u,\"name\":", g->id);
	json_string(stdout, g->name);
	if (g->has_uid)
		printf(",\"uid\":%u", g->uid);
	if (g->has_gid)
		printf(",\"gid\":%u", g->gid);
	if (g->has_sessions)
		printf(",\"sessions\":%u", g->sessions);
	printf(",\"resources\":{");
	for (res = 0; res < VGPU_RES_NR; res++) {
		const struct vgpu_res *r = &g->res[res];

		if (!r->present)
			continue;
		printf("%s\"%s\":{", first ? "" : ",", vgpu_res_names[res]);
		first = 0;
		if (r->has_usage) {
			printf("\"current\":%llu,\"peak\":%llu,",
			       (unsigned long long)r->current,
			       (unsigned long long)r->peak);
		}
		json_u64_or_null("limit", r->limit, 1);
		if (r->has_usage)
			printf(",\"limit_hits\":%llu",
			       (unsigned long long)r->limit_hits);
		printf("}");
	}
	printf("}}");
}

/* ---- guest commands --------------------------------------------------- */

static const char help_guest_add[] =
"Usage: vgpuctl [-j] guest add NAME [owner UID[:GID]] [mem SIZE] [pinned SIZE]\n"
"                              [contexts N] [compute PCT]\n"
"Create a guest. NAME: 1-31 of A-Z a-z 0-9 _ . - (not all digits).\n"
"owner: who may attach (default: the caller; a user name sets its group too).\n"
"SIZE: bytes with optional binary unit K, M, G, T (4096, 512M, 1.5G) or unlimited.\n"
"N: a count or unlimited. PCT: compute share 1..100 (percent) or unlimited.\n"
"Quotas left out are unlimited. With -j, prints the new guest as JSON.\n";

static const char help_guest_del[] =
"Usage: vgpuctl guest del GUEST\n"
"Destroy a guest. Fails while sessions are attached.\n"
"GUEST: id N, name NAME, or one word: an id when all digits, else a name.\n";

static const char help_guest_list[] =
"Usage: vgpuctl [-j] guest list\n"
"List all guests with current, peak, limit and limit hits of every resource.\n"
"-j: a JSON array of guest objects (sizes in bytes, compute usage in ns,\n"
"    compute limit in percent, an unlimited limit is null).\n";

static const char help_guest_show[] =
"Usage: vgpuctl [-j] guest show GUEST   (id N | name NAME | N | NAME)\n"
"Show one guest (the table of 'guest list', or one JSON object with -j).\n";

static const char help_guest_set[] =
"Usage: vgpuctl guest set GUEST QUOTA VALUE [QUOTA VALUE]...   (GUEST: id N | name NAME | N | NAME)\n"
"QUOTA: mem SIZE | pinned SIZE | contexts N | compute PCT (each may be unlimited).\n"
"Lowering a limit below current usage blocks new charges; nothing is taken away.\n";

static const char help_guest[] =
"Usage: vgpuctl [-j] guest { add | del | list | show | set } ...\n"
"  guest add NAME [owner UID[:GID]] [mem SIZE] [pinned SIZE] [contexts N] [compute PCT]\n"
"  guest del GUEST\n"
"  guest list\n"
"  guest show GUEST\n"
"  guest set GUEST QUOTA VALUE [QUOTA VALUE]...\n"
"GUEST: id N | name NAME | N (an id) | NAME\n"
"Run 'vgpuctl guest COMMAND -h' for details.\n";

/*
 * Parse "KEYWORD VALUE" pairs (owner only for add): 0, -1 when help was
 * asked for, EXIT_USAGE after printing the error.
 */
static int parse_spec(int argc, char **argv, struct vgpu_spec *spec,
		      int allow_owner, const char *help, const char *obj)
{
	int i, res, err;

	for (i = 0; i < argc; i++) {
		if (is_help(argv[i]))
			return -1;
		if (i + 1 >= argc)
			usage_err(help, "'%s': missing value", argv[i]);
		if (allow_owner && !strcmp(argv[i], "owner")) {
			err = parse_owner(argv[i + 1], spec, help);
			if (err)
				return err;
		} else {
			res = keyword_res(argv[i]);
			if (res < 0)
				usage_err(help, "unknown quota '%s' (mem, pinned, contexts, compute%s)",
					  argv[i], allow_owner ? ", owner" : "");
			err = parse_limit(res, argv[i], argv[i + 1], spec, obj);
			if (err)
				return err;
		}
		i++;
	}
	return 0;
}

static int cmd_guest_add(int argc, char **argv)
{
	struct vgpu_spec spec = { 0 };
	struct vgpu_guest g;
	char obj[64];
	struct vnl v;
	bool has_reply;
	int err;

	if (argc < 1)
		usage_err("guest add ", "guest add: missing NAME");
	if (is_help(argv[0])) {
		fputs(help_guest_add, stdout);
		return 0;
	}
	err = check_name(argv[0], "guest add ");
	if (err)
		return err;
	spec.name = argv[0];
	snprintf(obj, sizeof(obj), "guest '%s'", spec.name);
	err = parse_spec(argc - 1, argv + 1, &spec, 1, "guest add ", obj);
	if (err == -1) {
		fputs(help_guest_add, stdout);
		return 0;
	}
	if (err)
		return err;
	err = open_nl(&v);
	if (err)
		return err;
	err = vnl_guest_new(&v, &spec, &g, &has_reply);
	if (err) {
		err = kernel_err(&v, obj, err, VGPU_NL_CMD_GUEST_NEW);
		vnl_close(&v);
		return err;
	}
	if (json) {
		if (!has_reply) {
			struct vgpu_sel sel = { .name = spec.name };

			has_reply = vnl_guest_get(&v, &sel, &g) == 0;
		}
		if (has_reply) {
			json_guest(&g);
			putchar('\n');
		}
	}
	vnl_close(&v);
	return 0;
}

static int cmd_guest_del(int argc, char **argv)
{
	struct vgpu_sel sel;
	char obj[64];
	struct vnl v;
	int err, n;

	if (argc < 1)
		usage_err("guest del ", "guest del: missing NAME or ID");
	if (is_help(argv[0])) {
		fputs(help_guest_del, stdout);
		return 0;
	}
	err = parse_sel(argc, argv, &sel, &n, "guest del ");
	if (err)
		return err;
	if (argc > n)
		usage_err("guest del ", "guest del: unexpected argument '%s'", argv[n]);
	err = open_nl(&v);
	if (err)
		return err;
	err = vnl_guest_del(&v, &sel);
	if (err)
		err = kernel_err(&v, sel_str(&sel, obj, sizeof(obj)), err,
				 VGPU_NL_CMD_GUEST_DEL);
	vnl_close(&v);
	return err;
}

static int cmp_guest(const void *a, const void *b)
{
	const struct vgpu_guest *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmd_guest_list(int argc, char **argv)
{
	struct vgpu_guest *g = NULL;
	struct table t = { 0 };
	struct vnl v;
	size_t n = 0, i;
	int err;

	if (argc >= 1 && is_help(argv[0])) {
		fputs(help_guest_list, stdout);
		return 0;
	}
	if (argc > 0)
		usage_err("guest list ", "guest list: unexpected argument '%s'", argv[0]);
	err = open_nl(&v);
	if (err)
		return err;
	err = vnl_guest_dump(&v, &g, &n);
	if (err) {
		err = kernel_err(&v, "guest list", err, VGPU_NL_CMD_GUEST_GET);
		vnl_close(&v);
		return err;
	}
	vnl_close(&v);
	qsort(g, n, sizeof(*g), cmp_guest);
	if (json) {
		putchar('[');
		for (i = 0; i < n; i++) {
			if (i)
				putchar(',');
			json_guest(&g[i]);
		}
		puts("]");
	} else if (n) {
		table_add(&t, table_head);
		for (i = 0; i < n; i++)
			table_guest(&t, &g[i]);
		table_print(&t);
	}
	free(g);
	return 0;
}

static int cmd_guest_show(int argc, char **argv)
{
	struct table t = { 0 };
	struct vgpu_guest g;
	struct vgpu_sel sel;
	char obj[64];
	struct vnl v;
	int err, n;

	if (argc < 1)
		usage_err("guest show ", "guest show: missing NAME or ID");
	if (is_help(argv[0])) {
		fputs(help_guest_show, stdout);
		return 0;
	}
	err = parse_sel(argc, argv, &sel, &n, "guest show ");
	if (err)
		return err;
	if (argc > n)
		usage_err("guest show ", "guest show: unexpected argument '%s'", argv[n]);
	err = open_nl(&v);
	if (err)
		return err;
	err = vnl_guest_get(&v, &sel, &g);
	if (err) {
		err = kernel_err(&v, sel_str(&sel, obj, sizeof(obj)), err,
				 VGPU_NL_CMD_GUEST_GET);
		vnl_close(&v);
		return err;
	}
	vnl_close(&v);
	if (json) {
		json_guest(&g);
		putchar('\n');
	} else {
		table_add(&t, table_head);
		table_guest(&t, &g);
		table_print(&t);
	}
	return 0;
}

static int cmd_guest_set(int argc, char **argv)
{
	struct vgpu_spec spec = { 0 };
	struct vgpu_sel sel;
	char obj[64];
	struct vnl v;
	int err, n;

	if (argc < 1)
		usage_err("guest set ", "guest set: missing NAME or ID");
	if (is_help(argv[0])) {
		fputs(help_guest_set, stdout);
		return 0;
	}
	err = parse_sel(argc, argv, &sel, &n, "guest set ");
	if (err)
		return err;
	err = parse_spec(argc - n, argv + n, &spec, 0, "guest set ",
			 sel_str(&sel, obj, sizeof(obj)));
	if (err == -1) {
		fputs(help_guest_set, stdout);
		return 0;
	}
	if (err)
		return err;
	if (argc - n == 0)
		usage_err("guest set ", "%s: nothing to set",
			  sel_str(&sel, obj, sizeof(obj)));
	err = open_nl(&v);
	if (err)
		return err;
	err = vnl_guest_set(&v, &sel, &spec);
	if (err)
		err = kernel_err(&v, sel_str(&sel, obj, sizeof(obj)), err,
				 VGPU_NL_CMD_GUEST_SET);
	vnl_close(&v);
	return err;
}

static int cmd_guest(int argc, char **argv)
{
	const char *c;

	if (argc < 1) {
		fputs(help_guest, stderr);
		return EXIT_USAGE;
	}
	c = argv[0];
	if (is_help(c)) {
		fputs(help_guest, stdout);
		return 0;
	}
	if (!strcmp(c, "add") || !strcmp(c, "new"))
		return cmd_guest_add(argc - 1, argv + 1);
	if (!strcmp(c, "del") || !strcmp(c, "delete"))
		return cmd_guest_del(argc - 1, argv + 1);
	if (!strcmp(c, "list") || !strcmp(c, "ls"))
		return cmd_guest_list(argc - 1, argv + 1);
	if (!strcmp(c, "show"))
		return cmd_guest_show(argc - 1, argv + 1);
	if (!strcmp(c, "set"))
		return cmd_guest_set(argc - 1, argv + 1);
	usage_err("guest ", "guest: unknown command '%s'", c);
}

/* ---- stats ------------------------------------------------------------ */

static const char help_stats[] =
"Usage: vgpuctl [-j] stats\n"
"Module-wide statistics: guests, open sessions, limit hits since load, events sent.\n";

static int cmd_stats(int argc, char **argv)
{
	struct vgpu_stats s;
	struct vnl v;
	int err;

	if (argc >= 1 && is_help(argv[0])) {
		fputs(help_stats, stdout);
		return 0;
	}
	if (argc > 0)
		usage_err("stats ", "stats: unexpected argument '%s'", argv[0]);
	err = open_nl(&v);
	if (err)
		return err;
	err = vnl_stats(&v, &s);
	if (err) {
		err = kernel_err(&v, "stats", err, VGPU_NL_CMD_STATS_GET);
		vnl_close(&v);
		return err;
	}
	vnl_close(&v);
	if (json) {
		const char *sep = "";

		putchar('{');
		if (s.has_guests) {
			printf("\"guests\":%u", s.guests);
			sep = ",";
		}
		if (s.has_sessions) {
			printf("%s\"sessions\":%u", sep, s.sessions);
			sep = ",";
		}
		if (s.has_limit_hits) {
			printf("%s\"limit_hits\":%llu", sep,
			       (unsigned long long)s.limit_hits);
			sep = ",";
		}
		if (s.has_events)
			printf("%s\"events\":%llu", sep,
			       (unsigned long long)s.events);
		puts("}");
	} else {
		if (s.has_guests)
			printf("guests      %u\n", s.guests);
		if (s.has_sessions)
			printf("sessions    %u\n", s.sessions);
		if (s.has_limit_hits)
			printf("limit-hits  %llu\n", (unsigned long long)s.limit_hits);
		if (s.has_events)
			printf("events      %llu\n", (unsigned long long)s.events);
	}
	return 0;
}

/* ---- monitor ---------------------------------------------------------- */

static const char help_monitor[] =
"Usage: vgpuctl [-j] monitor\n"
"Print events of the \"events\" multicast group as they arrive, one per line,\n"
"until interrupted (SIGINT, SIGTERM): guest-created, guest-destroyed, limit-hit.\n"
"-j: one JSON object per line.\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *event_name(uint8_t cmd)
{
	switch (cmd) {
	case VGPU_NL_CMD_GUEST_CREATED_NTF:
		return "guest-created";
	case VGPU_NL_CMD_GUEST_DESTROYED_NTF:
		return "guest-destroyed";
	case VGPU_NL_CMD_LIMIT_HIT_NTF:
		return "limit-hit";
	default:
		return NULL;
	}
}

static void print_event(const struct vgpu_event *ev, void *arg)
{
	const char *name = event_name(ev->cmd);
	char unk[32], rb[32], b[40];
	int res;

	(void)arg;
	if (!name) {
		snprintf(unk, sizeof(unk), "event-%u", ev->cmd);
		name = unk;
	}
	if (json) {
		printf("{\"event\":\"%s\"", name);
		if (ev->has_id)
			printf(",\"id\":%u", ev->g.id);
		if (ev->has_name) {
			printf(",\"name\":");
			json_string(stdout, ev->g.name);
		}
		if (ev->g.has_uid)
			printf(",\"uid\":%u", ev->g.uid);
		if (ev->g.has_gid)
			printf(",\"gid\":%u", ev->g.gid);
		if (ev->has_resource) {
			printf(",\"resource\":");
			json_string(stdout, vgpu_res_name(ev->resource, rb,
							  sizeof(rb)));
		}
		if (ev->has_current)
			printf(",\"current\":%llu", (unsigned long long)ev->current);
		if (ev->has_requested)
			printf(",\"requested\":%llu",
			       (unsigned long long)ev->requested);
		if (ev->has_limit) {
			putchar(',');
			json_u64_or_null("limit", ev->limit, 1);
		}
		if (ev->cmd == VGPU_NL_CMD_GUEST_CREATED_NTF) {
			printf(",\"limits\":{");
			for (res = 0; res < VGPU_RES_NR; res++) {
				if (res)
					putchar(',');
				json_u64_or_null(vgpu_res_names[res],
						 ev->g.res[res].limit, 1);
			}
			putchar('}');
		}
		puts("}");
	} else {
		printf("%s", name);
		if (ev->has_id)
			printf(" id %u", ev->g.id);
		if (ev->has_name)
			printf(" name %s", ev->g.name);
		if (ev->g.has_uid)
			printf(" owner %u:%u", ev->g.uid, ev->g.gid);
		if (ev->has_resource) {
			res = (int)ev->resource;
			printf(" resource %s", vgpu_res_name(ev->resource, rb,
							     sizeof(rb)));
		} else {
			res = -1;
		}
		if (ev->has_current)
			printf(" current %s", fmt_res(res, ev->current, 0, b, sizeof(b)));
		if (ev->has_requested)
			printf(" requested %s",
			       fmt_res(res, ev->requested, 0, b, sizeof(b)));
		if (ev->has_limit)
			printf(" limit %s", fmt_res(res, ev->limit, 1, b, sizeof(b)));
		if (ev->cmd == VGPU_NL_CMD_GUEST_CREATED_NTF) {
			for (res = 0; res < VGPU_RES_NR; res++)
				printf(" %s %s", res_keywords[res],
				       fmt_res(res, ev->g.res[res].limit, 1, b,
					       sizeof(b)));
		}
		putchar('\n');
	}
	fflush(stdout);
}

static int cmd_monitor(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct pollfd pfd;
	struct vnl v;
	int err;

	if (argc >= 1 && is_help(argv[0])) {
		fputs(help_monitor, stdout);
		return 0;
	}
	if (argc > 0)
		usage_err("monitor ", "monitor: unexpected argument '%s'", argv[0]);
	err = vnl_events_open(&v);
	if (err == -ENOENT) {
		errmsg("vgpu module not loaded");
		return EXIT_KERNEL;
	}
	if (err) {
		errmsg("monitor: cannot subscribe to events: %s",
		       errno_reason(-err, 0));
		return EXIT_KERNEL;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pfd.fd = vnl_events_fd(&v);
	pfd.events = POLLIN;
	while (!stop) {
		int r = poll(&pfd, 1, -1);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			errmsg("monitor: poll: %s", strerror(errno));
			vnl_close(&v);
			return EXIT_KERNEL;
		}
		for (;;) {
			err = vnl_events_read(&v, print_event, NULL);
			if (err == -ENOBUFS) {
				errmsg("monitor: events lost (receive buffer overrun)");
				continue;
			}
			if (err)
				break;
		}
		if (err != -EAGAIN && err != -EINTR) {
			errmsg("monitor: %s", strerror(-err));
			vnl_close(&v);
			return EXIT_KERNEL;
		}
	}
	vnl_close(&v);
	return 0;
}

/* ---- main ------------------------------------------------------------- */

static const char help_main[] =
"Usage: vgpuctl [OPTIONS] OBJECT { COMMAND | help }\n"
"OBJECT and COMMAND:\n"
"  guest add NAME [owner UID[:GID]] [mem SIZE] [pinned SIZE] [contexts N] [compute PCT]\n"
"  guest del GUEST\n"
"  guest list\n"
"  guest show GUEST\n"
"  guest set GUEST QUOTA VALUE [QUOTA VALUE]...\n"
"GUEST: id N | name NAME | N (an id) | NAME\n"
"  monitor\n"
"  stats\n"
"OPTIONS:\n"
"  -j, --json     JSON output (guest list/show/add, stats, monitor)\n"
"  -h, --help     this help; 'vgpuctl OBJECT [COMMAND] -h' for more\n"
"  -V, --version  print the version\n"
"Exit status: 0 success, 1 refused by the kernel or no such object\n"
"(or the vgpu module is not loaded), 2 usage error.\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *obj;
	int c;

	opterr = 0;
	/* '+': stop at the first non-option, so "guest add x mem -1" is an argument */
	while ((c = getopt_long(argc, argv, "+jhV", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(help_main, stdout);
			return 0;
		case 'V':
			printf("vgpuctl (vgpu API %d)\n", VGPU_API_VERSION);
			return 0;
		default:
			errmsg("unknown option '%s' (see 'vgpuctl -h')",
			       argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		fputs(help_main, stderr);
		return EXIT_USAGE;
	}
	obj = argv[0];
	if (is_help(obj)) {
		fputs(help_main, stdout);
		return 0;
	}
	if (!strcmp(obj, "guest") || !strcmp(obj, "guests"))
		return cmd_guest(argc - 1, argv + 1);
	if (!strcmp(obj, "monitor"))
		return cmd_monitor(argc - 1, argv + 1);
	if (!strcmp(obj, "stats"))
		return cmd_stats(argc - 1, argv + 1);
	usage_err("", "unknown object '%s'", obj);
}
