// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu-exporter - Prometheus metrics of the vgpu module.
 *
 *   vgpu-exporter [--listen ADDR:PORT] [--textfile PATH [--interval SEC]] [--once]
 *
 * Serves the text exposition format on http://127.0.0.1:9464/metrics (one
 * thread, poll(), bounded requests, a connection per request), and/or writes
 * a node_exporter textfile atomically (temp file + rename). --once prints the
 * metrics (or writes the textfile) once and exits. Every scrape asks the
 * module afresh over generic netlink; events of the "events" group are
 * counted in the same poll loop.
 *
 * Unlimited limits have no sample: a *_bytes{kind="limit"} series exists only
 * while a limit is set (the "limit" of JSON is null, in vgpuctl terms).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "lib/json.h"
#include "lib/vgpu_nl.h"

#define DEFAULT_LISTEN	"127.0.0.1:9464"
#define MAX_CLIENTS	32
#define REQ_MAX		8192	/* request line + headers */
#define CLIENT_TIMEOUT_MS 10000

static volatile sig_atomic_t stop;

/* events seen by this exporter, by type */
enum { EV_CREATED, EV_DESTROYED, EV_LIMIT_HIT, EV_OTHER, EV_NR };
static const char *const ev_label[EV_NR] = {
	"guest-created", "guest-destroyed", "limit-hit", "other",
};
static unsigned long long ev_seen[EV_NR], ev_overruns;
static struct vnl evsock;
static int ev_open;

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

/* ---- events ----------------------------------------------------------- */

static void count_event(const struct vgpu_event *ev, void *arg)
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
	default:
		ev_seen[EV_OTHER]++;
	}
}

static void events_try_open(void)
{
	int err;

	if (ev_open)
		return;
	err = vnl_events_open(&evsock);
	if (!err) {
		ev_open = 1;
		return;
	}
	if (err != -ENOENT)
		logmsg("cannot subscribe to events: %s", strerror(-err));
}

static void events_drain(void)
{
	int err;

	while (ev_open) {
		err = vnl_events_read(&evsock, count_event, NULL);
		if (err == -ENOBUFS) {
			ev_overruns++;
			continue;
		}
		if (err == -EAGAIN)
			return;
		if (err) {
			/* module unloaded or socket broken: reopen later */
			vnl_close(&evsock);
			ev_open = 0;
		}
	}
}

/* ---- metrics ---------------------------------------------------------- */

static void help_type(FILE *f, const char *name, const char *type,
		      const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void guest_labels(FILE *f, const struct vgpu_guest *g)
{
	fputs("guest=\"", f);
	prom_label(f, g->name);
	fprintf(f, "\",id=\"%u\"", g->id);
}

/* One gauge family per resource: current, peak and (when set) limit. */
struct res_metric {
	const char *name, *help;
	double scale;		/* multiply raw values */
	int has_limit;		/* limit shares the unit of usage */
};

static const struct res_metric res_metrics[VGPU_RES_NR] = {
	[VGPU_RES_MEMORY] = { "vgpu_guest_memory_bytes",
		"Device memory of the guest in bytes, by kind: current, peak, limit (no limit sample when unlimited).",
		1, 1 },
	[VGPU_RES_PINNED] = { "vgpu_guest_pinned_bytes",
		"Long-term pinned host memory of the guest in bytes, by kind: current, peak, limit (no limit sample when unlimited).",
		1, 1 },
	[VGPU_RES_CONTEXTS] = { "vgpu_guest_contexts",
		"GPU contexts of the guest, by kind: current, peak, limit (no limit sample when unlimited).",
		1, 1 },
	[VGPU_RES_COMPUTE] = { "vgpu_guest_compute_seconds",
		"GPU time of the guest in seconds, by kind: current, peak.",
		1e-9, 0 },
};

static void print_val(FILE *f, double v)
{
	if (v == (double)(unsigned long long)v && v < 1e19)
		fprintf(f, "%llu\n", (unsigned long long)v);
	else
		fprintf(f, "%.17g\n", v);
}

static void render_guests(FILE *f, const struct vgpu_guest *g, size_t n)
{
	static const char *const kinds[] = { "current", "peak", "limit" };
	size_t i;
	int r, k;

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
	for (r = 0; r < VGPU_RES_NR; r++) {
		const struct res_metric *m = &res_metrics[r];

		help_type(f, m->name, "gauge", m->help);
		for (i = 0; i < n; i++) {
			const struct vgpu_res *res = &g[i].res[r];

			for (k = 0; k < 3; k++) {
				uint64_t v;

				if (k < 2 && (!res->present || !res->has_usage))
					continue;
				if (k == 2 && (!m->has_limit ||
					       res->limit == VGPU_LIMIT_UNLIMITED))
					continue;
				v = k == 0 ? res->current : k == 1 ? res->peak :
					res->limit;
				fprintf(f, "%s{", m->name);
				guest_labels(f, &g[i]);
				fprintf(f, ",kind=\"%s\"} ", kinds[k]);
				print_val(f, (double)v * m->scale);
			}
		}
	}
	help_type(f, "vgpu_guest_compute_limit_ratio", "gauge",
		  "Compute share limit of the guest, 0..1 of each period (no sample when unlimited).");
	for (i = 0; i < n; i++) {
		const struct vgpu_res *res = &g[i].res[VGPU_RES_COMPUTE];

		if (res->limit == VGPU_LIMIT_UNLIMITED)
			continue;
		fputs("vgpu_guest_compute_limit_ratio{", f);
		guest_labels(f, &g[i]);
		fprintf(f, "} %.17g\n", (double)res->limit / 100.0);
	}
	help_type(f, "vgpu_guest_limit_hits_total", "counter",
		  "Charges refused because of the guest's limit, by resource.");
	for (i = 0; i < n; i++) {
		for (r = 0; r < VGPU_RES_NR; r++) {
			const struct vgpu_res *res = &g[i].res[r];

			if (!res->present || !res->has_usage)
				continue;
			fputs("vgpu_guest_limit_hits_total{", f);
			guest_labels(f, &g[i]);
			fprintf(f, ",resource=\"%s\"} %llu\n", vgpu_res_names[r],
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
	struct vgpu_guest *g = NULL;
	struct vgpu_stats s;
	struct vnl v;
	size_t n = 0;
	int err, i;
	FILE *f;

	events_try_open();
	events_drain();
	f = open_memstream(buf, len);
	if (!f)
		return -ENOMEM;
	err = vnl_open(&v);
	if (!err && ev_open && v.family != evsock.family) {
		/* the module was reloaded: its family and group ids changed */
		vnl_close(&evsock);
		ev_open = 0;
		events_try_open();
	}
	if (!err) {
		err = vnl_stats(&v, &s);
		if (!err)
			err = vnl_guest_dump(&v, &g, &n);
		if (err)
			logmsg("query failed: %s%s%s", strerror(-err),
			       v.ext_msg[0] ? ": " : "", v.ext_msg);
		vnl_close(&v);
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
		render_guests(f, g, n);
	}
	help_type(f, "vgpu_exporter_events_seen_total", "counter",
		  "Events received by this exporter from the \"events\" group, by event.");
	for (i = 0; i < EV_NR; i++)
		fprintf(f, "vgpu_exporter_events_seen_total{event=\"%s\"} %llu\n",
			ev_label[i], ev_seen[i]);
	help_type(f, "vgpu_exporter_event_overruns_total", "counter",
		  "Times events were lost because the exporter's receive buffer overran.");
	fprintf(f, "vgpu_exporter_event_overruns_total %llu\n", ev_overruns);
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
		logmsg("%s: %s", tmp, strerror(errno));
		free(buf);
		return -errno;
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

/* ---- HTTP ------------------------------------------------------------- */

struct client {
	int fd;
	char in[REQ_MAX];
	size_t inlen;
	char *out;
	size_t outlen, outoff;
	long long deadline;
};

static struct client clients[MAX_CLIENTS];

static void client_close(struct client *c)
{
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void respond(struct client *c, const char *status, const char *extra,
		    const char *ctype, const char *body, size_t blen, int head)
{
	FILE *f = open_memstream(&c->out, &c->outlen);

	if (!f) {
		client_close(c);
		return;
	}
	fprintf(f, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		"Connection: close\r\n%s\r\n", status, ctype, blen, extra);
	if (!head)
		fwrite(body, 1, blen, f);
	if (fclose(f)) {
		c->out = NULL;
		client_close(c);
		return;
	}
	c->outoff = 0;
}

static void respond_text(struct client *c, const char *status,
			 const char *extra, const char *msg, int head)
{
	respond(c, status, extra, "text/plain; charset=utf-8", msg,
		strlen(msg), head);
}

static void handle_request(struct client *c)
{
	char method[16], target[1024];
	char *q, *line_end;
	int head;

	line_end = memchr(c->in, '\n', c->inlen);
	if (!line_end || line_end - c->in > (long)sizeof(target) ||
	    sscanf(c->in, "%15s %1023s HTTP/", method, target) != 2) {
		respond_text(c, "400 Bad Request", "", "bad request\n", 0);
		return;
	}
	head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head) {
		respond_text(c, "405 Method Not Allowed", "Allow: GET, HEAD\r\n",
			     "method not allowed\n", 0);
		return;
	}
	q = strchr(target, '?');
	if (q)
		*q = '\0';
	if (strcmp(target, "/metrics")) {
		respond_text(c, "404 Not Found", "", "not found; try /metrics\n",
			     head);
		return;
	}
	{
		char *body;
		size_t blen;

		if (render(&body, &blen) == -ENOMEM) {
			respond_text(c, "500 Internal Server Error", "",
				     "out of memory\n", head);
			return;
		}
		respond(c, "200 OK", "",
			"text/plain; version=0.0.4; charset=utf-8", body, blen,
			head);
		free(body);
	}
}

static void client_read(struct client *c)
{
	ssize_t r = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		client_close(c);
		return;
	}
	c->inlen += (size_t)r;
	c->in[c->inlen] = '\0';
	if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n"))
		handle_request(c);
	else if (c->inlen >= sizeof(c->in) - 1)
		respond_text(c, "431 Request Header Fields Too Large", "",
			     "request too large\n", 0);
}

static void client_write(struct client *c)
{
	ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
			 MSG_NOSIGNAL);

	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (w <= 0) {
		client_close(c);
		return;
	}
	c->outoff += (size_t)w;
	if (c->outoff == c->outlen)
		client_close(c);
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
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
			    SOCK_CLOEXEC, ai->ai_protocol);
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

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int serve(int lfd, const char *textfile, int interval)
{
	struct pollfd pfd[MAX_CLIENTS + 2];
	int idx[MAX_CLIENTS + 2];
	long long next_write = 0;
	int i;

	for (i = 0; i < MAX_CLIENTS; i++)
		clients[i].fd = -1;
	while (!stop) {
		long long now = now_ms(), wait = -1;
		int n = 0, nclients = 0, r;

		if (textfile && now >= next_write) {
			write_textfile(textfile);
			next_write = now + (long long)interval * 1000;
		}
		if (textfile)
			wait = next_write - now;
		events_try_open();
		if (ev_open) {
			pfd[n].fd = vnl_events_fd(&evsock);
			pfd[n].events = POLLIN;
			idx[n++] = -2;
		}
		for (i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = &clients[i];

			if (c->fd < 0)
				continue;
			if (now >= c->deadline) {
				client_close(c);
				continue;
			}
			nclients++;
			if (wait < 0 || c->deadline - now < wait)
				wait = c->deadline - now;
			pfd[n].fd = c->fd;
			pfd[n].events = c->out ? POLLOUT : POLLIN;
			idx[n++] = i;
		}
		if (lfd >= 0 && nclients < MAX_CLIENTS) {
			pfd[n].fd = lfd;
			pfd[n].events = POLLIN;
			idx[n++] = -1;
		}
		/* retry the events subscription now and then */
		if (!ev_open && (wait < 0 || wait > 5000))
			wait = 5000;
		r = poll(pfd, (nfds_t)n, wait > INT32_MAX ? INT32_MAX : (int)wait);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			logmsg("poll: %s", strerror(errno));
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (idx[i] == -2) {
				events_drain();
			} else if (idx[i] == -1) {
				int fd = accept4(lfd, NULL, NULL,
						 SOCK_NONBLOCK | SOCK_CLOEXEC);
				int k;

				if (fd < 0)
					continue;
				for (k = 0; k < MAX_CLIENTS; k++)
					if (clients[k].fd < 0)
						break;
				if (k == MAX_CLIENTS) {
					close(fd);
					continue;
				}
				clients[k].fd = fd;
				clients[k].deadline = now_ms() + CLIENT_TIMEOUT_MS;
			} else {
				struct client *c = &clients[idx[i]];

				if (c->fd < 0)
					continue;
				if (pfd[i].revents & (POLLERR | POLLNVAL))
					client_close(c);
				else if (c->out)
					client_write(c);
				else
					client_read(c);
			}
		}
	}
	for (i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			client_close(&clients[i]);
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
	int c, once = 0, interval = 15, lfd = -1, err;
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
			once = 1;
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
	if (once) {
		char *buf;
		size_t len;

		if (textfile)
			err = write_textfile(textfile);
		else {
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
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (listen_spec || !textfile) {
		lfd = listen_on(listen_spec ? listen_spec : DEFAULT_LISTEN);
		if (lfd < 0)
			return 1;
	}
	err = serve(lfd, textfile, interval);
	if (lfd >= 0)
		close(lfd);
	if (ev_open)
		vnl_close(&evsock);
	return err;
}
