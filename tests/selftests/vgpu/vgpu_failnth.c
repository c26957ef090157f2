// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu_failnth - make every allocation, page allocation and user copy of
 * each ioctl and netlink operation fail in turn (/proc/thread-self/fail-nth
 * drives failslab, fail_page_alloc and fail_usercopy), and check after each
 * attempt that the books are exact: what succeeded is charged once, what
 * failed is charged nothing, a guest exists exactly when its creation said
 * so, and once everything is released every usage and session is back to
 * zero and the module's slab cache is empty. TAP, one line per operation
 * with the number of fault points it has; SKIP when the kernel has no fault
 * injection (the debug kernel of `make check-debug` has it).
 */
#include <stdarg.h>
#include "common/tap.h"
#include "rawnl.h"
#include "vgpu_test.h"

#define MAX_NTH		3000
#define MIB		(1ULL << 20)

static int failnth_fd = -1;
static struct vgpu_nl nl;
static int rawsk;
static __u32 gid_;		/* the guest the ioctls charge */
static int mon = -1;		/* attached to it, never under fault */
static int fd = -1;		/* the session under test */
static __u32 handle;
static char *mem;
static long ps;
static char newname[VGPU_NAME_MAX];
static char why[256];

static void arm(int n)
{
	char b[16];
	int l = snprintf(b, sizeof(b), "%d", n);

	if (pwrite(failnth_fd, b, l, 0) == l)
		return;
	/*
	 * The write's own copy from the user is a fault point: a count the
	 * operation left over can fire there (EFAULT). It is 0 then; once
	 * more to be sure.
	 */
	if (pwrite(failnth_fd, b, l, 0) != l)
		fprintf(stderr, "# fail-nth write: %s\n", strerror(errno));
}

/* Was the armed fault injected? Disarms either way. */
static bool injected(void)
{
	char b[16] = "";
	bool inj = pread(failnth_fd, b, sizeof(b) - 1, 0) > 0 && !atoi(b);

	arm(0);
	return inj;
}

static const char *bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return why;
}

/* The guest's usage of @r must be @want, its sessions @sessions. */
static const char *books(int r, __u64 want, unsigned int sessions)
{
	struct vgpu_usage u;
	struct vgpu_nl_guest g;
	int i;

	if (v_usage(mon, &u))
		return "USAGE failed";
	for (i = 0; i < VGPU_RES_NR; i++) {
		__u64 w = i == r ? want : 0;

		if (u.res[i].used != w)
			return bad("resource %d: %llu used, want %llu", i,
				   (unsigned long long)u.res[i].used, (unsigned long long)w);
	}
	if (nl_get_id(&nl, gid_, &g))
		return "GUEST_GET failed";
	if (g.sessions != sessions)
		return bad("%u sessions, want %u", g.sessions, sessions);
	return NULL;
}

#define ZERO(sessions) books(-1, 0, sessions)

static int open_attached(void)
{
	int f = vgpu_open();

	if (f >= 0 && v_attach_id(f, gid_)) {
		close(f);
		return -1;
	}
	return f;
}

static int raw_guest(__u8 cmd, const char *name, __u32 id, __u64 mem_limit, bool dump)
{
	char buf[256];
	size_t off = rawnl_start(buf, sizeof(buf), nl.family,
				 NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0),
				 cmd, VGPU_GENL_VERSION);

	if (name)
		off = rawnl_put(buf, off, sizeof(buf), VGPU_A_GUEST_NAME, name, strlen(name) + 1);
	if (id)
		off = rawnl_put(buf, off, sizeof(buf), VGPU_A_GUEST_ID, &id, 4);
	if (mem_limit)
		off = rawnl_put(buf, off, sizeof(buf), VGPU_A_LIMIT_MEMORY, &mem_limit, 8);
	return rawnl_call(rawsk, buf, off, NULL);
}

/* ---- the operations: setup (no fault), run (under fault), check ---------- */

struct op {
	const char *name;
	void (*setup)(void);
	int (*run)(void);
	const char *(*check)(int ret);	/* also releases what run made */
	bool listen;			/* with a listener on "events" */
};

static void none(void) { }
static void setup_fd(void) { fd = open_attached(); }
static void setup_open(void) { fd = vgpu_open(); }

static int run_open(void)
{
	fd = open(VGPU_DEV, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : 0;
}

static const char *check_close(int ret)
{
	(void)ret;
	if (fd >= 0)
		close(fd);
	fd = -1;
	return ZERO(1);
}

static int run_attach(void) { return v_attach_id(fd, gid_); }

static const char *check_attach(int ret)
{
	const char *w = ZERO(ret ? 1 : 2);

	return w ? w : check_close(ret);
}

static int run_ctx(void) { return v_ctx_create(fd, 0, MIB, &handle); }
static int run_charge(void) { return v_charge(fd, MIB, &handle); }
static int run_pin(void) { return v_pin(fd, mem, 4 * ps, VGPU_PIN_WRITE, &handle); }

static const char *check_made(int ret, int r, __u64 amount, unsigned long rel)
{
	const char *w;

	w = ret ? ZERO(2) : NULL;
	if (!ret) {
		struct vgpu_usage u;

		if (v_usage(mon, &u) || u.res[r].used != amount)
			w = bad("created, but resource %d holds %llu", r,
				(unsigned long long)u.res[r].used);
		if (v_handle_op(fd, rel, handle))
			w = "the handle returned cannot be released";
	}
	if (!w)
		w = ZERO(2);
	close(fd);
	fd = -1;
	return w ? w : ZERO(1);
}

/* a context charges one context and its memory */
static const char *check_ctx(int ret)
{
	const char *w = NULL;
	struct vgpu_usage u;

	if (!ret && (v_usage(mon, &u) || u.res[VGPU_RES_MEMORY].used != MIB))
		w = "context created without its memory charged";
	if (ret && (w = ZERO(2)))
		return w;
	if (!ret) {
		if (u.res[VGPU_RES_CONTEXTS].used != 1)
			w = "context created, not counted";
		if (v_ctx_destroy(fd, handle))
			w = "the context handle cannot be released";
	}
	close(fd);
	fd = -1;
	return w ? w : ZERO(1);
}

static const char *check_charge(int ret)
{
	return check_made(ret, VGPU_RES_MEMORY, MIB, VGPU_IOC_MEM_UNCHARGE);
}

static const char *check_pin(int ret)
{
	return check_made(ret, VGPU_RES_PINNED, 4 * ps, VGPU_IOC_UNPIN);
}

/* releases under fault: the object is gone exactly when the release said so */
static unsigned long rel_cmd;
static int rel_res;
static __u64 rel_amount;

static void setup_ctx_held(void)
{
	setup_fd();
	v_ctx_create(fd, 0, 0, &handle);
	rel_cmd = VGPU_IOC_CTX_DESTROY, rel_res = VGPU_RES_CONTEXTS, rel_amount = 1;
}

static void setup_pin_held(void)
{
	setup_fd();
	v_pin(fd, mem, 4 * ps, 0, &handle);
	rel_cmd = VGPU_IOC_UNPIN, rel_res = VGPU_RES_PINNED, rel_amount = 4 * ps;
}

static int run_release(void) { return v_handle_op(fd, rel_cmd, handle); }

static const char *check_release(int ret)
{
	const char *w = books(rel_res, ret ? rel_amount : 0, 2);

	if (ret && v_handle_op(fd, rel_cmd, handle))
		w = "a failed release left a handle that cannot be released";
	close(fd);
	fd = -1;
	return w ? w : ZERO(1);
}

static void setup_full(void)
{
	__u32 h;

	setup_fd();
	v_ctx_create(fd, 0, MIB, &h);
	v_charge(fd, MIB, &h);
	v_pin(fd, mem, 4 * ps, VGPU_PIN_WRITE, &h);
}

static int run_close(void)
{
	int ret = close(fd);

	fd = -1;
	return ret;
}

static int run_usage(void)
{
	struct vgpu_usage u;

	return v_usage(fd, &u);
}

/* netlink */
static int run_nl_new(void)
{
	return raw_guest(VGPU_NL_CMD_GUEST_NEW, newname, 0, 0, false);
}

static const char *check_nl_new(int ret)
{
	struct vgpu_nl_guest g;
	bool exists = !nl_get_name(&nl, newname, &g);

	if (exists)
		nl_del_name(&nl, newname);
	if (!ret && !exists)
		return "GUEST_NEW succeeded, no guest";
	if (ret && ret != -ETIMEDOUT && exists)
		return bad("GUEST_NEW failed (%d), the guest exists", ret);
	return ZERO(1);
}

static void setup_new_guest(void)
{
	struct vgpu_nl_req req = { .name = newname };
	struct vgpu_nl_guest g;

	vgpu_nl_guest_new(&nl, &req, &g);
}

static int run_nl_del(void)
{
	return raw_guest(VGPU_NL_CMD_GUEST_DEL, newname, 0, 0, false);
}

static const char *check_nl_del(int ret)
{
	struct vgpu_nl_guest g;
	bool exists = !nl_get_name(&nl, newname, &g);

	if (exists)
		nl_del_name(&nl, newname);
	if (!ret && exists)
		return "GUEST_DEL succeeded, the guest exists";
	if (ret && ret != -ETIMEDOUT && !exists)
		return bad("GUEST_DEL failed (%d), the guest is gone", ret);
	return ZERO(1);
}

static int run_nl_set(void)
{
	return raw_guest(VGPU_NL_CMD_GUEST_SET, NULL, gid_, 12345, false);
}

static const char *check_nl_set(int ret)
{
	struct vgpu_nl_guest g;
	__u64 l;

	if (nl_get_id(&nl, gid_, &g))
		return "GUEST_GET failed";
	l = g.res[VGPU_RES_MEMORY].limit;
	nl_set_limit(&nl, gid_, VGPU_RES_MEMORY, VGPU_LIMIT_UNLIMITED);
	if (!ret && l != 12345)
		return bad("GUEST_SET succeeded, limit %llu", (unsigned long long)l);
	if (ret && ret != -ETIMEDOUT && l != VGPU_LIMIT_UNLIMITED)
		return bad("GUEST_SET failed (%d), limit %llu", ret, (unsigned long long)l);
	if (l != 12345 && l != VGPU_LIMIT_UNLIMITED)
		return bad("limit %llu: neither old nor new", (unsigned long long)l);
	return ZERO(1);
}

static int run_nl_get(void) { return raw_guest(VGPU_NL_CMD_GUEST_GET, NULL, gid_, 0, false); }
static int run_nl_dump(void) { return raw_guest(VGPU_NL_CMD_GUEST_GET, NULL, 0, 0, true); }
static int run_nl_stats(void) { return raw_guest(VGPU_NL_CMD_STATS_GET, NULL, 0, 0, false); }
static const char *check_nothing(int ret) { (void)ret; return ZERO(1); }
static const char *check_fd_nothing(int ret) { return check_close(ret); }

/*
 * compute: each attempt on a guest of its own (compute limit 50 %), so that
 * its first lease allocates both the session's lease slots and the guest's
 * budget on the device. The books of device time: what a settled lease
 * used, or, for a lease the caller was not told of (the copy back failed:
 * EFAULT), all of it, settled at close.
 */
#define LEASE_NS	1000000ULL
static char cname[VGPU_NAME_MAX];
static long long cgid = -1;
static int cfd = -1;
static __u64 c_granted;

static int lease_op(unsigned long cmd, __u64 request, __u64 used)
{
	struct vgpu_compute_lease cl = {
		.size = sizeof(cl), .request_ns = request, .used_ns = used,
	};
	int ret = vioctl(cfd, cmd, &cl);

	c_granted = ret ? 0 : cl.granted_ns;
	return ret;
}

static void setup_compute(void)
{
	struct vgpu_nl_req req = {};

	vgpu_nl_req_limit(&req, VGPU_RES_COMPUTE, 50);
	cgid = guest_new(&nl, "fnthc", &req, cname);
	cfd = cgid < 0 ? -1 : session_open(cgid);
}

static void setup_compute_leased(void)
{
	setup_compute();
	lease_op(VGPU_IOC_COMPUTE_LEASE, LEASE_NS, 0);
}

/*
 * Close the compute session: the guest must then have no session, consumed
 * @a or @b ns of device time and no memory, context or pin; delete it.
 */
static const char *compute_close(__u64 a, __u64 b)
{
	struct vgpu_nl_guest g;
	const char *w = NULL;
	int i;

	if (cgid < 0 || cfd < 0)
		w = bad("compute setup failed (guest %lld, fd %d)", cgid, cfd);
	if (cfd >= 0)
		close(cfd);
	cfd = -1;
	if (cgid < 0)
		return w;
	if (nl_get_id(&nl, cgid, &g))
		w = w ? w : "GUEST_GET of the compute guest failed";
	else if (g.sessions)
		w = w ? w : bad("compute guest: %u sessions after close", g.sessions);
	else if (g.consumed != a && g.consumed != b)
		w = w ? w : bad("compute guest consumed %llu ns, want %llu%s%llu",
				(unsigned long long)g.consumed, (unsigned long long)a,
				a == b ? " = " : " or ", (unsigned long long)b);
	for (i = 0; !w && i < VGPU_RES_NR; i++)
		if (i != VGPU_RES_COMPUTE && g.res[i].current)
			w = bad("compute guest: resource %d holds %llu", i,
				(unsigned long long)g.res[i].current);
	if (nl_del_id(&nl, cgid) && !w)
		w = "the compute guest cannot be deleted";
	cgid = -1;
	return w ? w : ZERO(1);
}

static int run_lease(void) { return lease_op(VGPU_IOC_COMPUTE_LEASE, LEASE_NS, 0); }

static const char *check_lease(int ret)
{
	__u64 granted = c_granted;
	const char *w = compute_close(ret ? 0 : LEASE_NS,
				      ret == -EFAULT || !ret ? LEASE_NS : 0);

	if (!w && !ret && granted != LEASE_NS)
		w = bad("lease granted %llu ns of %llu with the budget full",
			(unsigned long long)granted, LEASE_NS);
	return w;
}

static int run_return(void) { return lease_op(VGPU_IOC_COMPUTE_RETURN, 0, LEASE_NS / 4); }

static const char *check_return(int ret)
{
	/* settled: what was reported; not: the whole lease, at close */
	return compute_close(ret ? LEASE_NS : LEASE_NS / 4,
			     ret == -EFAULT || !ret ? LEASE_NS / 4 : LEASE_NS);
}

/*
 * a lease refused for lack of budget builds a THROTTLED event (events
 * listened): compute 1 % of a 1 s period, the first lease takes all of it
 */
static __u64 c_first;

static void setup_throttle(void)
{
	struct vgpu_nl_req req = { .has_period = true, .period_us = 1000000 };

	vgpu_nl_req_limit(&req, VGPU_RES_COMPUTE, 1);
	cgid = guest_new(&nl, "fntht", &req, cname);
	cfd = cgid < 0 ? -1 : session_open(cgid);
	lease_op(VGPU_IOC_COMPUTE_LEASE, 1000000000ULL, 0);
	c_first = c_granted;
}

/* reports the first lease all used: nothing comes back to the budget */
static int run_throttle(void) { return lease_op(VGPU_IOC_COMPUTE_LEASE, LEASE_NS, c_first); }

static const char *check_throttle(int ret)
{
	__u64 granted = c_granted;
	const char *w;

	/* a refill (the period rolled) may grant again; the close settles it */
	w = compute_close(c_first + granted, ret == -EFAULT ? c_first + LEASE_NS : c_first + granted);
	if (!w && !c_first)
		w = "the first lease was granted nothing";
	return w;
}

/* a charge refused at the limit builds a LIMIT_HIT event (events listened) */
static void setup_refused(void)
{
	struct vgpu_nl_req req = {};

	vgpu_nl_req_limit(&req, VGPU_RES_MEMORY, MIB / 2);
	cgid = guest_new(&nl, "fnthq", &req, cname);
	cfd = cgid < 0 ? -1 : session_open(cgid);
}

static int run_refused(void) { return v_charge(cfd, MIB, &handle); }

static const char *check_refused(int ret)
{
	const char *w = NULL;

	if (!ret)
		w = "a charge past the limit succeeded";
	else if (ret != -EDQUOT && ret != -ENOMEM && ret != -EFAULT)
		w = bad("a charge past the limit failed with %d, not EDQUOT", ret);
	if (!ret)
		v_uncharge(cfd, handle);
	return compute_close(0, 0) ?: w;
}

static int run_version(void)
{
	struct vgpu_version v;

	return v_version(fd, &v);
}

static void setup_charge_held(void)
{
	setup_fd();
	v_charge(fd, MIB, &handle);
	rel_cmd = VGPU_IOC_MEM_UNCHARGE, rel_res = VGPU_RES_MEMORY, rel_amount = MIB;
}

static const struct op ops[] = {
	{ "open", none, run_open, check_close, false },
	{ "ATTACH", setup_open, run_attach, check_attach, false },
	{ "CTX_CREATE", setup_fd, run_ctx, check_ctx, false },
	{ "MEM_CHARGE", setup_fd, run_charge, check_charge, false },
	{ "PIN", setup_fd, run_pin, check_pin, false },
	{ "CTX_DESTROY", setup_ctx_held, run_release, check_release, false },
	{ "UNPIN", setup_pin_held, run_release, check_release, false },
	{ "MEM_UNCHARGE", setup_charge_held, run_release, check_release, false },
	{ "USAGE", setup_fd, run_usage, check_fd_nothing, false },
	{ "VERSION", setup_open, run_version, check_fd_nothing, false },
	{ "COMPUTE_LEASE", setup_compute, run_lease, check_lease, false },
	{ "COMPUTE_RETURN", setup_compute_leased, run_return, check_return, false },
	{ "close with objects", setup_full, run_close, check_nothing, false },
	{ "MEM_CHARGE refused, events listened", setup_refused, run_refused, check_refused, true },
	{ "COMPUTE_LEASE throttled, events listened", setup_throttle, run_throttle, check_throttle, true },
	{ "GUEST_NEW", none, run_nl_new, check_nl_new, false },
	{ "GUEST_NEW, events listened", none, run_nl_new, check_nl_new, true },
	{ "GUEST_DEL", setup_new_guest, run_nl_del, check_nl_del, false },
	{ "GUEST_DEL, events listened", setup_new_guest, run_nl_del, check_nl_del, true },
	{ "GUEST_SET", none, run_nl_set, check_nl_set, false },
	{ "GUEST_GET", none, run_nl_get, check_nothing, false },
	{ "GUEST_GET dump", none, run_nl_dump, check_nothing, false },
	{ "STATS_GET", none, run_nl_stats, check_nothing, false },
};

static void count_event(const struct vgpu_nl_event *ev, void *arg)
{
	(void)ev;
	++*(int *)arg;
}

/* Read what the listener got (non-blocking): how many events. */
static int drain(struct vgpu_nl *ev)
{
	int n = 0, i, ret;

	for (i = 0; i < 1000; i++) {
		ret = vgpu_nl_events_read(ev, count_event, &n);
		if (ret && ret != -ENOBUFS)
			break;
	}
	return n;
}

static void knob(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(val, f);
		fclose(f);
	}
}

int main(void)
{
	const char *w;
	unsigned int i;
	long long id;
	int n, bad_n = 0;
	long objs = -1;

	printf("TAP version 13\n");
	w = vgpu_missing(&nl);
	failnth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (!w && failnth_fd < 0)
		w = "no /proc/thread-self/fail-nth: kernel without CONFIG_FAULT_INJECTION (make check-debug has it)";
	if (w) {
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			tap_skip(w, "fail-nth %s", ops[i].name);
		return tap_done();
	}
	/* sleeping allocations fail too; order-0 pages too */
	knob("/sys/kernel/debug/failslab/ignore-gfp-wait", "N");
	knob("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N");
	knob("/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N");
	knob("/sys/kernel/debug/fail_page_alloc/min-order", "0");
	knob("/sys/kernel/debug/failslab/verbose", "0");
	knob("/sys/kernel/debug/fail_page_alloc/verbose", "0");
	knob("/sys/kernel/debug/fail_usercopy/verbose", "0");

	ps = page_size();
	mem = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	rawsk = rawnl_socket(300);
	id = guest_new(&nl, "fnth", NULL, NULL);
	if (!tap_ok(id >= 0 && mem != MAP_FAILED && rawsk >= 0,
		    "fail-nth setup (guest %lld)", id))
		return tap_done();
	gid_ = id;
	mon = session_open(gid_);
	snprintf(newname, sizeof(newname), "fnth%d-new", (int)getpid());

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		const struct op *op = &ops[i];
		int ret, faults = 0, events = 0;
		struct vgpu_nl ev;
		bool inj = true;

		w = NULL;
		if (op->listen && vgpu_nl_events_open(&ev))
			w = "cannot join the \"events\" group";
		for (n = 1; n <= MAX_NTH && inj && !w; n++) {
			op->setup();
			arm(n);
			ret = op->run();
			inj = injected();
			faults += inj;
			w = op->check(ret);
			if (w)
				tap_diag("%s, fault %d (%s): ret %d: %s", op->name, n,
					 inj ? "injected" : "not reached", ret, w);
			if (op->listen)
				events += drain(&ev);
		}
		if (!w && inj)
			w = "more fault points than MAX_NTH";
		if (op->listen) {
			if (!w && !events)
				w = "the listener got no event";
			vgpu_nl_close(&ev);
		}
		tap_ok(!w, "fail-nth %s: %d fault points, books exact after each",
		       op->name, faults);
	}
	close(mon);
	if (nl_del_id(&nl, gid_))
		bad_n++;
	objs = vgpu_slab_objects();
	tap_ok(!bad_n, "the guest deleted");
	if (objs < 0)
		tap_skip("/sys/kernel/slab/vgpu_obj not readable", "slab cache vgpu_obj empty");
	else
		tap_ok(!objs, "slab cache vgpu_obj empty (%ld objects)", objs);
	return tap_done();
}
