// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu-exporter - Prometheus metrics of the vgpu module.
 *
 *   vgpu-exporter [--listen ADDR:PORT] [--textfile PATH [--interval SEC]] [--once]
 *
 * Serves the text exposition format on http://127.0.0.1:9464/metrics through
 * libmicrohttpd (its own thread; bounded connections, request size and time),
 * and/or writes a node_exporter textfile atomically (temp file + rename).
 * --once prints the metrics (or writes the textfile) once and exits. Every
 * scrape asks the module afresh over generic netlink; the main thread counts
 * the events of the "events" group and rewrites the textfile.
 *
 * HTTP is libmicrohttpd's rather than our own: a server exposed on a network
 * is code that has to be right about every malformed request, and Debian
 * keeps that library (security fixes included). The textfile mode needs no
 * listening socket at all, for hosts that run node_exporter anyway.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "common/vgpu_nl.h"
#include "lib/json.h"

#define DEFAULT_LISTEN	"127.0.0.1:9464"
#define MAX_CLIENTS	32
#define REQ_MAX		8192	/* memory for request line + headers */
#define CLIENT_TIMEOUT_S 10
#define EVENTS_RETRY_MS	5000

static volatile sig_atomic_t stop;

/* events seen by this exporter, by type: counted by the main thread */
enum { EV_CREATED, EV_DESTROYED, EV_LIMIT_HIT, EV_THROTTLED, EV_OTHER, EV_NR };
static const char *const ev_label[EV_NR] = {
	"guest-created", "guest-destroyed", "limit-hit", "throttled", "other",
};
static atomic_ullong ev_seen[EV_NR], ev_overruns;
static struct vgpu_nl evsock;
static bool ev_open;

static void logmsg(const char *fmt, ...)
{
	va_list ap;

	fputs("vgpu-exporter: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- events (main thread only) ---------------------------------------- */

static void count_event(const struct vgpu_nl_event *ev, void *arg)
{
	(void)arg;
	switch (ev->cmd) {
	case VGPU_NL_CMD_GUEST_CREATED_NTF:
		ev_seen[EV_CREATED]++;
		break;
	case VGPU_NL_CMD_GUEST_DESTROYED_NTF:
		ev_seen[EV_DESTROYED]++;
		break;
	case VGPU_NL_CMD_LIMIT_HIT_NTF:
		ev_seen[EV_LIMIT_HIT]++;
		break;
	case VGPU_NL_CMD_THROTTLED_NTF:
		ev_seen[EV_THROTTLED]++;
		break;
	default:
		ev_seen[EV_OTHER]++;
	}
}

static void events_close(void)
{
	if (ev_open)
		vgpu_nl_close(&evsock);
	ev_open = false;
}

/*
 * events_check - subscribe when not subscribed; resubscribe when the module
 * was reloaded (its family and group ids changed).
 */
static void events_check(void)
{
	struct vgpu_nl nl;
	int err;

	if (ev_open) {
		if (vgpu_nl_open(&nl))
			return;
		if (nl.family != evsock.family)
			events_close();
		vgpu_nl_close(&nl);
		if (ev_open)
			return;
	}
	err = vgpu_nl_events_open(&evsock);
	ev_open = !err;
	if (err && err != -ENOENT)
		logmsg("cannot subscribe to events: %s", strerror(-err));
}

static void events_drain(void)
{
	int err;

	while (ev_open) {
		err = vgpu_nl_events_read(&evsock, count_event, NULL);
		if (err == -ENOBUFS) {
			ev_overruns++;
			continue;
		}
		if (err == -EAGAIN)
			return;
		if (err)	/* module unloaded or socket broken: reopen later */
			events_close();
	}
}

/* ---- metrics ---------------------------------------------------------- */

static void help_type(FILE *f, const char *name, const char *type,
		      const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void guest_labels(FILE *f, const struct vgpu_nl_guest *g)
{
	fputs("guest=\"", f);
	prom_label(f, g->name);
	fprintf(f, "\",id=\"%u\"", g->id);
}

/*
 * The families of each resource, one quantity each (Prometheus' manner: a
 * limit is its own family, so sum() never adds limits to usage). GPU time
 * only grows: counters in seconds (consumed, throttled, fallback). An
 * unlimited limit, and a weight of none, have no sample. The compute
 * settings and figures (PERIOD.. FALLBACK) come with the module's compute
 * attributes.
 */
enum quantity { CURRENT, PEAK, LIMIT, PERIOD, WEIGHT, SHARE_PERIOD,
		SHARE_SECOND, THROTTLED, FALLBACK };

static const struct family {
	int res;
	enum quantity q;
	const char *name, *type, *help;
	int digits;			/* the raw value is the unit * 10^digits */
} families[] = {
	{ VGPU_RES_MEMORY, CURRENT, "vgpu_guest_memory_bytes", "gauge",
	  "Device memory charged to the guest now, bytes.", 0 },
	{ VGPU_RES_MEMORY, PEAK, "vgpu_guest_memory_peak_bytes", "gauge",
	  "Highest device memory charged to the guest, bytes.", 0 },
	{ VGPU_RES_MEMORY, LIMIT, "vgpu_guest_memory_limit_bytes", "gauge",
	  "Device memory limit of the guest, bytes (no sample when unlimited).", 0 },
	{ VGPU_RES_PINNED, CURRENT, "vgpu_guest_pinned_bytes", "gauge",
	  "Host memory pinned long-term for the guest now, bytes.", 0 },
	{ VGPU_RES_PINNED, PEAK, "vgpu_guest_pinned_peak_bytes", "gauge",
	  "Highest pinned host memory of the guest, bytes.", 0 },
	{ VGPU_RES_PINNED, LIMIT, "vgpu_guest_pinned_limit_bytes", "gauge",
	  "Pinned host memory limit of the guest, bytes (no sample when unlimited).", 0 },
	{ VGPU_RES_CONTEXTS, CURRENT, "vgpu_guest_contexts", "gauge",
	  "GPU contexts of the guest now.", 0 },
	{ VGPU_RES_CONTEXTS, PEAK, "vgpu_guest_contexts_peak", "gauge",
	  "Most GPU contexts the guest had at once.", 0 },
	{ VGPU_RES_CONTEXTS, LIMIT, "vgpu_guest_contexts_limit", "gauge",
	  "GPU context limit of the guest (no sample when unlimited).", 0 },
	{ VGPU_RES_COMPUTE, CURRENT, "vgpu_guest_compute_seconds_total", "counter",
	  "Device time the guest's work used, seconds (CPU fallback apart).", 9 },
	{ VGPU_RES_COMPUTE, THROTTLED, "vgpu_guest_compute_throttled_seconds_total", "counter",
	  "Time the guest's compute leases were refused (its share spent), seconds.", 9 },
	{ VGPU_RES_COMPUTE, FALLBACK, "vgpu_guest_compute_fallback_seconds_total", "counter",
	  "CPU time the guest's sessions ran as a fallback instead of the device, seconds.", 9 },
	{ VGPU_RES_COMPUTE, SHARE_PERIOD, "vgpu_guest_compute_share_period_ratio", "gauge",
	  "Share of a device the guest got in its last complete period, 0..1 per device.", 4 },
	{ VGPU_RES_COMPUTE, SHARE_SECOND, "vgpu_guest_compute_share_second_ratio", "gauge",
	  "Share of a device the guest got in the last complete second, 0..1 per device.", 4 },
	{ VGPU_RES_COMPUTE, LIMIT, "vgpu_guest_compute_limit_ratio", "gauge",
	  "Compute share limit of the guest, 0..1 of each period (no sample when unlimited).",
	  2 },
	{ VGPU_RES_COMPUTE, PERIOD, "vgpu_guest_compute_period_seconds", "gauge",
	  "Compute period of the guest, seconds.", 6 },
	{ VGPU_RES_COMPUTE, WEIGHT, "vgpu_guest_compute_weight", "gauge",
	  "Compute weight of the guest (no sample when it has none).", 0 },
};
_Static_assert(VGPU_SHARE_ONE == 10000, "shares are 1/10000: 4 digits");

/* raw - the family's raw value of one guest; false when it has none. */
static bool raw(const struct family *m, const struct vgpu_nl_guest *g,
		uint64_t *v)
{
	const struct vgpu_nl_res *r = &g->res[m->res];

	*v = 0;
	switch (m->q) {
	case CURRENT:
	case PEAK:
		*v = m->q == CURRENT ? r->current : r->peak;
		return r->present && r->has_usage;
	case LIMIT:
		*v = r->limit;
		return r->limit != VGPU_LIMIT_UNLIMITED;
	case PERIOD:
		*v = g->period_us;
		break;
	case WEIGHT:
		*v = g->weight;
		return g->has_compute && g->weight;
	case SHARE_PERIOD:
		*v = g->share_period;
		break;
	case SHARE_SECOND:
		*v = g->share_second;
		break;
	case THROTTLED:
		*v = g->throttled;
		break;
	case FALLBACK:
		*v = g->fallback;
		break;
	}
	return g->has_compute;
}

static void render_guests(FILE *f, const struct vgpu_nl_guest *g, size_t n)
{
	char vb[32];
	uint64_t v;
	size_t i, k;
	int r;

	help_type(f, "vgpu_guest_info", "gauge",
		  "Guest name, id and owner (value always 1).");
	for (i = 0; i < n; i++) {
		fputs("vgpu_guest_info{", f);
		guest_labels(f, &g[i]);
		if (g[i].has_uid)
			fprintf(f, ",uid=\"%u\"", g[i].uid);
		if (g[i].has_gid)
			fprintf(f, ",gid=\"%u\"", g[i].gid);
		fputs("} 1\n", f);
	}
	help_type(f, "vgpu_guest_sessions", "gauge",
		  "Sessions (open /dev/vgpu files) attached to the guest.");
	for (i = 0; i < n; i++) {
		if (!g[i].has_sessions)
			continue;
		fputs("vgpu_guest_sessions{", f);
		guest_labels(f, &g[i]);
		fprintf(f, "} %u\n", g[i].sessions);
	}
	for (k = 0; k < sizeof(families) / sizeof(families[0]); k++) {
		const struct family *m = &families[k];

		help_type(f, m->name, m->type, m->help);
		for (i = 0; i < n; i++) {
			if (!raw(m, &g[i], &v))
				continue;
			fprintf(f, "%s{", m->name);
			guest_labels(f, &g[i]);
			fprintf(f, "} %s\n", fmt_decimal(v, m->digits, vb, sizeof(vb)));
		}
	}
	help_type(f, "vgpu_guest_limit_hits_total", "counter",
		  "Charges refused because of the guest's limit, by resource.");
	for (i = 0; i < n; i++) {
		for (r = 0; r < VGPU_RES_NR; r++) {
			const struct vgpu_nl_res *res = &g[i].res[r];
			char rb[32];

			if (!res->present || !res->has_usage)
				continue;
			fputs("vgpu_guest_limit_hits_total{", f);
			guest_labels(f, &g[i]);
			fprintf(f, ",resource=\"%s\"} %llu\n",
				vgpu_nl_res_name(r, rb, sizeof(rb)),
				(unsigned long long)res->limit_hits);
		}
	}
}

/*
 * render - the whole exposition into a malloc'ed buffer. Returns 0 when the
 * module answered, -errno when not (the buffer then says vgpu_up 0).
 */
static int render(char **buf, size_t *len)
{
	struct vgpu_nl_guest *g = NULL;
	struct vgpu_nl_stats s;
	struct vgpu_nl nl;
	size_t n = 0;
	int err, i;
	FILE *f;

	f = open_memstream(buf, len);
	if (!f)
		return -ENOMEM;
	err = vgpu_nl_open(&nl);
	if (!err) {
		err = vgpu_nl_stats_get(&nl, &s);
		if (!err)
			err = vgpu_nl_guest_dump(&nl, &g, &n);
		if (err)
			logmsg("query failed: %s%s%s", strerror(-err),
			       nl.ext_msg[0] ? ": " : "", nl.ext_msg);
		vgpu_nl_close(&nl);
	}
	help_type(f, "vgpu_up", "gauge",
		  "Whether the vgpu module answered this scrape (1) or not (0).");
	fprintf(f, "vgpu_up %d\n", err ? 0 : 1);
	if (!err) {
		if (s.has_guests) {
			help_type(f, "vgpu_guests", "gauge", "Guests now.");
			fprintf(f, "vgpu_guests %u\n", s.guests);
		}
		if (s.has_sessions) {
			help_type(f, "vgpu_sessions", "gauge",
				  "Open /dev/vgpu sessions now, attached or not.");
			fprintf(f, "vgpu_sessions %u\n", s.sessions);
		}
		if (s.has_limit_hits) {
			help_type(f, "vgpu_limit_hits_total", "counter",
				  "Charges refused because of a limit since the module was loaded, all guests.");
			fprintf(f, "vgpu_limit_hits_total %llu\n",
				(unsigned long long)s.limit_hits);
		}
		if (s.has_events) {
			help_type(f, "vgpu_events_sent_total", "counter",
				  "Events the module sent since it was loaded.");
			fprintf(f, "vgpu_events_sent_total %llu\n",
				(unsigned long long)s.events);
		}
		if (s.has_events_dropped) {
			help_type(f, "vgpu_events_dropped_total", "counter",
				  "Limit-hit events the module did not send since it was loaded (rate limit: 20 a second per guest).");
			fprintf(f, "vgpu_events_dropped_total %llu\n",
				(unsigned long long)s.events_dropped);
		}
		render_guests(f, g, n);
	}
	help_type(f, "vgpu_exporter_events_seen_total", "counter",
		  "Events received by this exporter from the \"events\" group, by event.");
	for (i = 0; i < EV_NR; i++)
		fprintf(f, "vgpu_exporter_events_seen_total{event=\"%s\"} %llu\n",
			ev_label[i], (unsigned long long)ev_seen[i]);
	help_type(f, "vgpu_exporter_event_overruns_total", "counter",
		  "Times events were lost because the exporter's receive buffer overran.");
	fprintf(f, "vgpu_exporter_event_overruns_total %llu\n",
		(unsigned long long)ev_overruns);
	free(g);
	if (fclose(f))
		return -ENOMEM;
	return err;
}

/* ---- textfile --------------------------------------------------------- */

static int write_textfile(const char *path)
{
	char tmp[4096];
	size_t len, off = 0;
	char *buf;
	int fd, err;

	err = render(&buf, &len);
	if (err == -ENOMEM)
		return err;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
	    sizeof(tmp)) {
		free(buf);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		logmsg("%s: %s", tmp, strerror(errno));
		free(buf);
		return err;
	}
	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(buf);
	if (off < len || fsync(fd) || close(fd)) {
		logmsg("%s: write failed: %s", tmp, strerror(errno));
		unlink(tmp);
		return -EIO;
	}
	if (rename(tmp, path)) {
		logmsg("%s: rename: %s", path, strerror(errno));
		unlink(tmp);
		return -EIO;
	}
	return err;
}

/* ---- HTTP (libmicrohttpd's thread) ------------------------------------ */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     const char *ctype, char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode, const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, mode);
	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result text(struct MHD_Connection *conn, unsigned int status,
			    const char *msg, const char *allow)
{
	return reply(conn, status, "text/plain; charset=utf-8", (char *)msg,
		     strlen(msg), MHD_RESPMEM_PERSISTENT, allow);
}

/* GET or HEAD of /metrics; 404 for other paths, 405 for other methods. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_len, void **state)
{
	char *body;
	size_t len;

	(void)cls;
	(void)version;
	(void)upload;
	(void)upload_len;
	(void)state;
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "method not allowed\n", "GET, HEAD");
	if (strcmp(url, "/metrics"))
		return text(conn, MHD_HTTP_NOT_FOUND, "not found; try /metrics\n",
			    NULL);
	if (render(&body, &len) == -ENOMEM)
		return text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "out of memory\n", NULL);
	return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
		     body, len, MHD_RESPMEM_MUST_FREE, NULL);
}

static int listen_on(const char *spec)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct addrinfo *res, *ai;
	char host[256], *port;
	int fd = -1, one = 1, err;

	if (strlen(spec) >= sizeof(host)) {
		logmsg("--listen '%s': too long", spec);
		return -1;
	}
	strcpy(host, spec);
	port = strrchr(host, ':');
	if (!port || !port[1]) {
		logmsg("--listen '%s': expected ADDR:PORT", spec);
		return -1;
	}
	*port++ = '\0';
	if (host[0] == '[') {	/* [v6addr]:port */
		size_t l = strlen(host);

		if (l < 2 || host[l - 1] != ']') {
			logmsg("--listen '%s': bad address", spec);
			return -1;
		}
		host[l - 1] = '\0';
		memmove(host, host + 1, l - 1);
	}
	err = getaddrinfo(host[0] ? host : "127.0.0.1", port, &hints, &res);
	if (err) {
		logmsg("--listen '%s': %s", spec, gai_strerror(err));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 16))
			break;
		err = errno;
		close(fd);
		fd = -1;
		errno = err;
	}
	if (fd < 0)
		logmsg("--listen '%s': %s", spec, strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/*
 * http_start - libmicrohttpd's thread, with SIGINT and SIGTERM blocked in it
 * so that they interrupt the main thread's poll().
 */
static struct MHD_Daemon *http_start(int lfd)
{
	struct MHD_Daemon *d;
	sigset_t set, old;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
			     MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, NULL,
			     MHD_OPTION_LISTEN_SOCKET, lfd,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CLIENTS,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CLIENT_TIMEOUT_S,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)REQ_MAX,
			     MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return d;
}

/* ---- main loop: events and the textfile ------------------------------- */

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int serve(const char *textfile, int interval)
{
	long long next_write = 0, next_check = 0;

	while (!stop) {
		long long now = now_ms(), wait = EVENTS_RETRY_MS;
		struct pollfd pfd = { .fd = -1, .events = POLLIN };

		if (textfile && now >= next_write) {
			write_textfile(textfile);
			next_write = now + (long long)interval * 1000;
		}
		if (now >= next_check) {
			events_check();
			next_check = now + EVENTS_RETRY_MS;
		}
		if (textfile && next_write - now < wait)
			wait = next_write - now;
		if (ev_open)
			pfd.fd = vgpu_nl_events_fd(&evsock);
		if (poll(&pfd, 1, (int)(wait > 0 ? wait : 0)) < 0 && errno != EINTR) {
			logmsg("poll: %s", strerror(errno));
			return 1;
		}
		if (pfd.revents)
			events_drain();
	}
	return 0;
}

static const char usage[] =
"Usage: vgpu-exporter [--listen ADDR:PORT] [--textfile PATH [--interval SEC]] [--once]\n"
"Prometheus metrics of the vgpu module (guests, quotas, usage, limit hits, events).\n"
"  -l, --listen ADDR:PORT  serve GET /metrics over HTTP (default " DEFAULT_LISTEN ";\n"
"                          [v6addr]:PORT for IPv6; an empty ADDR is 127.0.0.1)\n"
"  -t, --textfile PATH     write a node_exporter textfile atomically (no HTTP\n"
"                          unless --listen is also given)\n"
"  -i, --interval SEC      textfile rewrite period (default 15)\n"
"  -1, --once              print the metrics to stdout (or write the textfile) once, exit\n"
"  -h, --help              this help\n"
"Exit status: 0 ok; 1 module not loaded (--once) or runtime failure; 2 usage error.\n";

static int once(const char *textfile)
{
	char *buf;
	size_t len;
	int err;

	if (textfile) {
		err = write_textfile(textfile);
	} else {
		err = render(&buf, &len);
		if (err != -ENOMEM) {
			fwrite(buf, 1, len, stdout);
			free(buf);
		}
	}
	if (err == -ENOENT)
		logmsg("vgpu module not loaded");
	else if (err)
		logmsg("%s", strerror(-err));
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "textfile", required_argument, NULL, 't' },
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, '1' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	const char *listen_spec = NULL, *textfile = NULL;
	int c, one = 0, interval = 15, lfd = -1, err;
	struct MHD_Daemon *http = NULL;
	char *end;
	long l;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "l:t:i:1h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen_spec = optarg;
			break;
		case 't':
			textfile = optarg;
			break;
		case 'i':
			errno = 0;
			l = strtol(optarg, &end, 10);
			if (errno || *end || l < 1 || l > 86400) {
				logmsg("--interval '%s': expected 1..86400 seconds",
				       optarg);
				return 2;
			}
			interval = (int)l;
			break;
		case '1':
			one = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			logmsg("unknown or incomplete option '%s' (see 'vgpu-exporter -h')",
			       argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		logmsg("unexpected argument '%s' (see 'vgpu-exporter -h')",
		       argv[optind]);
		return 2;
	}
	if (one)
		return once(textfile);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* subscribed before it answers: an event after the first answer is counted */
	events_check();
	if (listen_spec || !textfile) {
		lfd = listen_on(listen_spec ? listen_spec : DEFAULT_LISTEN);
		if (lfd < 0)
			return 1;
		http = http_start(lfd);
		if (!http) {
			logmsg("cannot start the HTTP server");
			close(lfd);
			return 1;
		}
	}
	err = serve(textfile, interval);
	if (http)
		MHD_stop_daemon(http);
	if (lfd >= 0)
		close(lfd);
	events_close();
	return err;
}
