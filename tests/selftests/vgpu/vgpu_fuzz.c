// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu_fuzz - random ioctls and netlink requests against the module, then a
 * leak check.
 *
 *   vgpu_fuzz [-t SECONDS] [-s SEED] [-w WORKERS] [-j THREADS]
 *
 * WORKERS processes (the odd ones as uid 65534 in the device's test group,
 * the even ones as root) run THREADS threads each for SECONDS (default 60).
 * Each thread picks at random: an ioctl (valid and invalid commands, sizes
 * from 0 to past VGPU_ARG_SIZE_MAX, random flags, handles and guest ids,
 * argument pointers that are NULL, unmapped, kernel addresses or that run
 * into a PROT_NONE page; pins of anonymous, read-only, shared, file-backed,
 * unmapped and huge ranges), a raw generic netlink request (random command,
 * version, flags, attributes of random type and length, dumps), closing,
 * reopening, dup2()ing and attaching the sessions the threads share, or a
 * fork()ed child that does the same for a moment and is SIGKILLed.
 *
 * Then, with every session closed: every guest's held usage (memory, pinned,
 * contexts; compute usage counts time consumed and stays) and sessions must be
 * zero, STATS must count no session, and the module's slab cache (vgpu_obj,
 * unmerged because the VM boots with slub_debug=FZP,vgpu_obj) must hold no
 * object. The guests the run created are deleted. TAP output; exit 1 when a
 * check failed. The seed is printed so that a run can be repeated.
 */
#include <pthread.h>
#include <sys/prctl.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include "common/tap.h"
#include "rawnl.h"
#include "vgpu_test.h"

#define SLOTS		4	/* sessions the threads of a worker share */
#define MAX_THREADS	8
#define HANDLES		64
#define FZ_GUESTS	6

static unsigned int opt_seconds = 60, opt_workers = 2, opt_threads = 3;
static unsigned long opt_seed;
static int family;
static char prefix[16];			/* guest names of this run: "fz<pid>-" */
static __u32 fz_ids[FZ_GUESTS];		/* ids of this run's guests */
static __u32 max_before;		/* highest guest id before the run */

struct counts {
	atomic_ulong ioctls, ioctl_ok, nl, nl_ok, fdops, forks, pins_ok;
	atomic_ulong unexpected;	/* a worker that died of a signal we did not send */
};
static struct counts *cnt;		/* MAP_SHARED */
static atomic_int *stop;		/* MAP_SHARED */

/* ---- randomness: one xorshift state per thread ------------------------------ */

static __thread unsigned long long rs;

static unsigned long long rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static unsigned int rn(unsigned int n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int pct)
{
	return rn(100) < pct;
}

/* ---- per-worker memory ----------------------------------------------------- */

struct mem {
	long ps;
	char *anon;		/* 64 pages RW, populated */
	char *ro;		/* 16 pages PROT_READ */
	char *shm;		/* 16 pages memfd, shared */
	char *file;		/* 1 page of our executable, shared, read-only */
	char *guard;		/* 1 page RW, then a PROT_NONE page */
	char *hole;		/* nothing mapped */
};
static struct mem m;

static void mem_setup(void)
{
	int mfd, f;

	m.ps = page_size();
	m.anon = mmap(NULL, 64 * m.ps, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	m.ro = mmap(NULL, 16 * m.ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mfd = syscall(SYS_memfd_create, "vgpu-fuzz", 0);
	if (mfd >= 0 && !ftruncate(mfd, 16 * m.ps))
		m.shm = mmap(NULL, 16 * m.ps, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (mfd >= 0)
		close(mfd);
	f = open("/proc/self/exe", O_RDONLY);
	if (f >= 0) {
		m.file = mmap(NULL, m.ps, PROT_READ, MAP_SHARED, f, 0);
		close(f);
	}
	m.guard = mmap(NULL, 2 * m.ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m.guard != MAP_FAILED)
		mprotect(m.guard + m.ps, m.ps, PROT_NONE);
	m.hole = mmap(NULL, 64 * m.ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m.hole != MAP_FAILED)
		munmap(m.hole, 64 * m.ps);
}

/* ---- sessions ------------------------------------------------------------------ */

static atomic_int slot[SLOTS];
static atomic_uint handles[HANDLES];

static int any_fd(void)
{
	return atomic_load(&slot[rn(SLOTS)]);
}

static __u32 any_guest_id(void)
{
	if (chance(80))
		return fz_ids[rn(FZ_GUESTS)];
	/* a guest the netlink fuzzing made, or none: never an older one */
	return chance(50) ? max_before + 1 + rn(64) : (__u32)rnd() | 0x80000000;
}

static __u32 any_handle(void)
{
	if (chance(85))
		return atomic_load(&handles[rn(HANDLES)]);
	return chance(50) ? rn(0x40000) : (__u32)rnd();
}

static void keep_handle(__u32 h)
{
	atomic_store(&handles[rn(HANDLES)], h);
}

static void fd_op(void)
{
	int i = rn(SLOTS), fd, old;
	struct vgpu_attach a = { .size = sizeof(a) };

	atomic_fetch_add(&cnt->fdops, 1);
	switch (rn(4)) {
	case 0:		/* close and reopen (maybe read-only) */
		fd = open(VGPU_DEV, (chance(90) ? O_RDWR : O_RDONLY) | O_CLOEXEC);
		old = atomic_exchange(&slot[i], fd);
		if (old >= 0)
			close(old);
		break;
	case 1:		/* dup2 one session over another */
		old = atomic_load(&slot[rn(SLOTS)]);
		fd = atomic_load(&slot[i]);
		if (old >= 0 && fd >= 0 && old != fd)
			dup2(old, fd);
		break;
	case 2:		/* attach, by id or by name */
		if (chance(50)) {
			a.guest_id = any_guest_id();
		} else {
			a.flags = VGPU_ATTACH_BY_NAME;
			snprintf(a.name, sizeof(a.name), "%s%u", prefix, rn(FZ_GUESTS + 1));
		}
		ioctl(atomic_load(&slot[i]), VGPU_IOC_ATTACH, &a);
		break;
	default:	/* close and leave the slot closed for a while */
		old = atomic_exchange(&slot[i], -1);
		if (old >= 0)
			close(old);
		break;
	}
}

/* ---- ioctls ---------------------------------------------------------------------- */

static const unsigned long cmds[] = {
	VGPU_IOC_VERSION, VGPU_IOC_ATTACH, VGPU_IOC_CTX_CREATE,
	VGPU_IOC_CTX_DESTROY, VGPU_IOC_MEM_CHARGE, VGPU_IOC_MEM_UNCHARGE,
	VGPU_IOC_PIN, VGPU_IOC_UNPIN, VGPU_IOC_USAGE, VGPU_IOC_COMPUTE_LEASE,
	VGPU_IOC_COMPUTE_RETURN,
};

static void fill_pin(struct vgpu_pin *p)
{
	char *base[] = { m.anon, m.ro, m.shm, m.file, m.guard, m.hole };
	unsigned int b = rn(6);
	long ps = m.ps;

	p->addr = (uintptr_t)base[b] + rn(b ? 4 : 64) * ps;
	if (chance(5))
		p->addr += rn(ps);
	if (chance(5))
		p->addr = rnd();
	p->length = (rn(8) + (chance(10) ? 0 : 1)) * ps;
	if (chance(5))
		p->length = (1ULL << rn(48)) * ps;	/* huge, mostly unmapped */
	if (chance(3))
		p->length = rnd();
	p->flags = chance(50) ? VGPU_PIN_WRITE : 0;
}

/*
 * Mostly valid leases and returns on a few devices, turns and short waits
 * among them, so that sessions contend for turns, sleep for them and are
 * closed, replaced or SIGKILLed while they hold or wait.
 */
static void fill_lease(struct vgpu_compute_lease *cl, bool lease)
{
	static const __u32 flags[] = {
		0, VGPU_COMPUTE_TURN, VGPU_COMPUTE_TURN | VGPU_COMPUTE_WAIT,
		VGPU_COMPUTE_WAIT, VGPU_COMPUTE_BUSY,
	};

	cl->device = chance(95) ? rn(3) : rn(VGPU_COMPUTE_MAX_DEVICES + 2);
	cl->used_ns = chance(90) ? rn(5000000) : rnd();
	cl->fallback_ns = chance(90) ? 0 : rn(5000000);
	if (!lease)
		return;
	cl->flags = flags[chance(90) ? rn(3) : rn(5)];
	cl->request_ns = chance(95) ? 1 + rn(10000000) : rnd();
	/* a wait of 0 or past 1 s is refused: mostly a few ms */
	cl->wait_ns = chance(95) ? rn(20000000) : rnd();
}

static void ioctl_op(void)
{
	static __thread char big[2 * VGPU_ARG_SIZE_MAX];
	union {
		struct vgpu_version v;
		struct vgpu_attach a;
		struct vgpu_ctx_create c;
		struct vgpu_handle_op h;
		struct vgpu_mem_charge mc;
		struct vgpu_pin p;
		struct vgpu_usage u;
		struct vgpu_compute_lease cl;
		char raw[512];
	} arg;
	unsigned long cmd;
	unsigned int i, size;
	void *ptr = &arg;
	int ret;

	memset(&arg, 0, sizeof(arg));
	i = rn(sizeof(cmds) / sizeof(cmds[0]));
	cmd = cmds[i];
	if (chance(5))		/* another number of our type, or any */
		cmd = chance(50) ? _IOC(rn(4), VGPU_TYPE, rn(64), rn(1024)) : (unsigned long)rnd();

	switch (cmd) {
	case VGPU_IOC_ATTACH:
		arg.a.guest_id = any_guest_id();
		if (chance(40)) {
			arg.a.flags = VGPU_ATTACH_BY_NAME;
			snprintf(arg.a.name, sizeof(arg.a.name), "%s%u", prefix, rn(FZ_GUESTS + 1));
		}
		size = sizeof(arg.a);
		break;
	case VGPU_IOC_CTX_CREATE:
		arg.c.device = rn(3);
		arg.c.mem_bytes = chance(80) ? rn(1 << 20) : rnd();
		size = sizeof(arg.c);
		break;
	case VGPU_IOC_MEM_CHARGE:
		arg.mc.bytes = chance(80) ? rn(1 << 22) : rnd();
		size = sizeof(arg.mc);
		break;
	case VGPU_IOC_PIN:
		fill_pin(&arg.p);
		size = sizeof(arg.p);
		break;
	case VGPU_IOC_COMPUTE_LEASE:
	case VGPU_IOC_COMPUTE_RETURN:
		fill_lease(&arg.cl, cmd == VGPU_IOC_COMPUTE_LEASE);
		size = sizeof(arg.cl);
		break;
	case VGPU_IOC_CTX_DESTROY:
	case VGPU_IOC_MEM_UNCHARGE:
	case VGPU_IOC_UNPIN:
		arg.h.handle = any_handle();
		size = sizeof(arg.h);
		break;
	default:
		size = sizeof(arg.u);
		break;
	}
	if (chance(10))
		*(__u32 *)&arg.raw[4] = chance(50) ? 1U << rn(32) : (__u32)rnd();	/* flags */
	if (chance(10)) {
		static const unsigned int sizes[] = {
			0, 4, 8, 12, 16, 24, 31, 64, 511, VGPU_ARG_SIZE_MAX,
			VGPU_ARG_SIZE_MAX + 1, 0xffffffff,
		};
		size = chance(80) ? sizes[rn(12)] : (unsigned int)rnd();
	}
	*(__u32 *)arg.raw = size;
	if (chance(3))
		memset(arg.raw + 8, rn(256), sizeof(arg.raw) - 8);

	if (chance(8)) {
		switch (rn(5)) {
		case 0: ptr = NULL; break;
		case 1: ptr = m.hole; break;
		case 2: ptr = (void *)0xffff888000000000ULL; break;
		case 3:	/* runs into the PROT_NONE page */
			ptr = m.guard + m.ps - 4 * (1 + rn(16));
			memcpy(ptr, &arg, 4);
			break;
		default:	/* a declared size the buffer really has */
			memset(big, 0, sizeof(big));
			memcpy(big, &arg, sizeof(arg));
			*(__u32 *)big = rn(sizeof(big));
			ptr = big;
			break;
		}
	}
	atomic_fetch_add(&cnt->ioctls, 1);
	ret = ioctl(any_fd(), cmd, ptr);
	if (ret)
		return;
	atomic_fetch_add(&cnt->ioctl_ok, 1);
	if (ptr != &arg)
		return;
	if (cmd == VGPU_IOC_CTX_CREATE)
		keep_handle(arg.c.ctx_id);
	else if (cmd == VGPU_IOC_MEM_CHARGE)
		keep_handle(arg.mc.handle);
	else if (cmd == VGPU_IOC_PIN) {
		keep_handle(arg.p.handle);
		atomic_fetch_add(&cnt->pins_ok, 1);
	}
}

/* ---- raw netlink ------------------------------------------------------------------- */

static int nl_socket(void)
{
	return rawnl_socket(50);
}

static void nl_op(int s)
{
	char buf[1024], data[64];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct genlmsghdr *gh = NLMSG_DATA(nh);
	size_t off, len_sent;
	unsigned int n, i;
	__u16 type, len;

	off = rawnl_start(buf, sizeof(buf), chance(97) ? family : (int)rn(64),
			  NLM_F_REQUEST | (chance(80) ? NLM_F_ACK : 0) |
			  (chance(20) ? NLM_F_DUMP : 0),
			  chance(90) ? 1 + rn(VGPU_NL_CMD_STATS_GET + 2) : rn(256),
			  chance(90) ? VGPU_GENL_VERSION : rn(4));
	nh->nlmsg_seq = rnd();
	gh->reserved = chance(95) ? 0 : rnd();

	n = rn(5);
	for (i = 0; i < n; i++) {
		type = chance(90) ? rn(VGPU_A_MAX + 3) :
			 rn(0x8000) | (chance(10) ? (unsigned int)NLA_F_NESTED : 0U);
		switch (rn(5)) {
		case 0: {	/* a name of this run */
			int l = snprintf(data, sizeof(data), "%s%u", prefix, rn(FZ_GUESTS + 1));

			len = l + 1;
			if (chance(10))
				len = l;	/* no NUL */
			break;
		}
		case 1:		/* an id */
			*(__u32 *)data = any_guest_id();
			len = 4;
			break;
		case 2:		/* a u64 limit */
			*(__u64 *)data = chance(50) ? rn(1 << 24) : rnd();
			len = 8;
			break;
		default: {	/* anything */
			static const __u16 lens[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 32, 33, 63 };

			len = lens[rn(14)];
			for (unsigned int k = 0; k < len; k++)
				data[k] = rnd();
			break;
		}
		}
		off = rawnl_put(buf, off, sizeof(buf), type, data, len);
	}
	len_sent = off;
	atomic_fetch_add(&cnt->nl, 1);
	if (chance(3)) {	/* lie about the length */
		nh->nlmsg_len = rn(off + 16);
		send(s, buf, len_sent, 0);
		return;
	}
	if (!rawnl_call(s, buf, len_sent, NULL))
		atomic_fetch_add(&cnt->nl_ok, 1);
}

/* ---- workers -------------------------------------------------------------------------- */

static void fuzz_loop(int s, unsigned long long until_ms);

static unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static bool in_child;	/* a fork_op() child forks no further: none outlives the run */

static void fork_op(void)
{
	pid_t pid;
	int status;

	if (in_child)
		return;
	atomic_fetch_add(&cnt->forks, 1);
	pid = fork();
	if (pid < 0)
		return;
	if (!pid) {
		int s;

		in_child = true;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		s = nl_socket();

		rs ^= getpid() * 0x9e3779b97f4a7c15ULL;
		fuzz_loop(s, now_ms() + 1000);
		_exit(0);
	}
	usleep(rn(30000));
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	    WTERMSIG(status) != SIGKILL) {
		fprintf(stderr, "# fuzz child died of signal %d\n", WTERMSIG(status));
		atomic_fetch_add(&cnt->unexpected, 1);
	}
}

static void fuzz_loop(int s, unsigned long long until_ms)
{
	while (!atomic_load(stop) && now_ms() < until_ms) {
		unsigned int r = rn(1000);

		if (r < 600)
			ioctl_op();
		else if (r < 900)
			nl_op(s);
		else if (r < 995)
			fd_op();
		else
			fork_op();
	}
}

struct thread_arg {
	unsigned long long seed;
	unsigned long long until;
};

static void *thread_main(void *p)
{
	struct thread_arg *t = p;
	int s = nl_socket();

	rs = t->seed | 1;
	fuzz_loop(s, t->until);
	if (s >= 0)
		close(s);
	return NULL;
}

static int worker(unsigned int w)
{
	struct thread_arg ta[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	unsigned long long until = now_ms() + opt_seconds * 1000ULL;
	unsigned int i;
	int fd;

	if (w & 1) {		/* an unprivileged worker */
		gid_t gid = VGPU_TEST_GID;

		if (setgroups(1, &gid) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			return 2;
	}
	mem_setup();
	for (i = 0; i < SLOTS; i++) {
		fd = open(VGPU_DEV, O_RDWR | O_CLOEXEC);
		if (fd >= 0 && i < SLOTS - 1)
			v_attach_id(fd, fz_ids[(w + i) % FZ_GUESTS]);
		atomic_store(&slot[i], fd);
	}
	for (i = 0; i < opt_threads; i++) {
		ta[i].seed = opt_seed * 1000003 + w * 7919 + i * 104729 + 1;
		ta[i].until = until;
		pthread_create(&th[i], NULL, thread_main, &ta[i]);
	}
	for (i = 0; i < opt_threads; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < SLOTS; i++) {
		fd = atomic_load(&slot[i]);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct vgpu_nl_guest *all;
	struct vgpu_nl_stats st;
	struct vgpu_nl nl;
	const char *why;
	unsigned int w, i;
	int c, n, bad = 0, status, fails = 0;
	long objs;

	opt_seed = time(NULL) ^ getpid();
	while ((c = getopt(argc, argv, "t:s:w:j:")) != -1) {
		switch (c) {
		case 't': opt_seconds = strtoul(optarg, NULL, 0); break;
		case 's': opt_seed = strtoul(optarg, NULL, 0); break;
		case 'w': opt_workers = strtoul(optarg, NULL, 0); break;
		case 'j': opt_threads = strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: %s [-t SECONDS] [-s SEED] [-w WORKERS] [-j THREADS]\n", argv[0]);
			return 2;
		}
	}
	if (opt_threads < 1 || opt_threads > MAX_THREADS)
		opt_threads = 3;
	printf("TAP version 13\n");
	tap_diag("seed %lu, %u s, %u workers x %u threads", opt_seed, opt_seconds,
		 opt_workers, opt_threads);
	why = vgpu_missing(&nl);
	if (why) {
		tap_skip(why, "fuzz");
		return tap_done();
	}
	family = nl.family;
	snprintf(prefix, sizeof(prefix), "fz%d-", (int)getpid());
	all = calloc(8192, sizeof(*all));
	if (!all)
		return 1;
	n = nl_dump_guests(&nl, all, 8192);
	for (i = 0; i < (unsigned int)(n > 0 ? n : 0); i++)
		if (all[i].id > max_before)
			max_before = all[i].id;
	for (i = 0; i < FZ_GUESTS; i++) {
		struct vgpu_nl_req req = {};
		char name[VGPU_NAME_MAX];
		struct vgpu_nl_guest g;

		snprintf(name, sizeof(name), "%s%u", prefix, i);
		req.name = name;
		if (i & 1) {	/* half owned by the unprivileged workers */
			req.uid = NOBODY;
			req.has_uid = true;
		}
		if (i >= 2)	/* tight limits: refusals, events */
			vgpu_nl_req_limit(&req, (enum vgpu_resource)(i % 3), 1 << (10 + 3 * i));
		if (vgpu_nl_guest_new(&nl, &req, &g)) {
			tap_ok(0, "fuzz: create guest %s: %s", name, nl.ext_msg);
			return tap_done();
		}
		fz_ids[i] = g.id;
	}
	if (chown(VGPU_DEV, 0, VGPU_TEST_GID))
		printf("# chown %s: %s\n", VGPU_DEV, strerror(errno));

	cnt = mmap(NULL, sizeof(*cnt) + sizeof(*stop), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (cnt == MAP_FAILED)
		return 1;
	stop = (atomic_int *)(cnt + 1);
	signal(SIGPIPE, SIG_IGN);

	pid_t pids[16];

	if (opt_workers > 16)
		opt_workers = 16;
	for (w = 0; w < opt_workers; w++) {
		pids[w] = fork();
		if (!pids[w])
			_exit(worker(w));
	}
	for (w = 0; w < opt_workers; w++) {
		if (pids[w] < 0 || waitpid(pids[w], &status, 0) != pids[w] ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "# worker %u: status 0x%x\n", w, status);
			fails++;
		}
	}
	if (!atomic_load(&cnt->ioctl_ok) || !atomic_load(&cnt->nl_ok))
		tap_diag("the run made no successful ioctl or no successful netlink request");
	/* it really ran: some of both kinds of request succeeded */
	tap_ok(!fails && !atomic_load(&cnt->unexpected) &&
	    atomic_load(&cnt->ioctl_ok) && atomic_load(&cnt->nl_ok),
	    "fuzz: %lu ioctls (%lu ok, %lu pins), %lu netlink (%lu ok), %lu fd ops, %lu killed forks",
	    atomic_load(&cnt->ioctls), atomic_load(&cnt->ioctl_ok), atomic_load(&cnt->pins_ok),
	    atomic_load(&cnt->nl), atomic_load(&cnt->nl_ok), atomic_load(&cnt->fdops),
	    atomic_load(&cnt->forks));

	/* every session is closed: the books must be empty */
	n = nl_dump_guests(&nl, all, 8192);
	for (i = 0; i < (unsigned int)(n > 0 ? n : 0); i++) {
		bool used = all[i].sessions;

		/* what sessions hold; compute usage counts time consumed */
		used |= all[i].res[VGPU_RES_MEMORY].current ||
			all[i].res[VGPU_RES_PINNED].current ||
			all[i].res[VGPU_RES_CONTEXTS].current;
		if (used) {
			tap_diag("guest %u (%s): %u sessions, usage %llu %llu %llu",
			       all[i].id, all[i].name, all[i].sessions,
			       (unsigned long long)all[i].res[0].current,
			       (unsigned long long)all[i].res[1].current,
			       (unsigned long long)all[i].res[2].current);
			bad++;
		}
	}
	tap_ok(n >= 0 && !bad, "every guest's usage and sessions back to zero (%d guests)", n);
	c = vgpu_nl_stats_get(&nl, &st);
	tap_ok(!c && st.sessions == 0, "no session left (STATS: %d, %u sessions)", c,
	    c ? 0 : st.sessions);
	objs = vgpu_slab_objects();
	if (objs < 0)
		tap_skip("/sys/kernel/slab/vgpu_obj not readable (merged cache?)",
			 "slab cache vgpu_obj empty");
	else
		tap_ok(objs == 0, "slab cache vgpu_obj empty (%ld objects)", objs);
	/* delete what this run created, its own guests and any the netlink
	 * fuzzing made (ids are never reused: all above max_before) */
	bad = 0;
	n = nl_dump_guests(&nl, all, 8192);
	for (i = 0; i < (unsigned int)(n > 0 ? n : 0); i++)
		if (all[i].id > max_before && nl_del_id(&nl, all[i].id))
			bad++;
	tap_ok(!bad, "the run's guests deleted");
	vgpu_nl_close(&nl);
	free(all);
	return tap_done();
}
