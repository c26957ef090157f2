// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the libvgpu compile cache (src/cache/), TAP output, and end
 * to end through libvgpu. Built by libvgpu/Makefile (make tests), run by
 * tests/suites/host/21-cache.
 * Scratch files go under $TMPDIR (default /tmp) and are removed at the end.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vgpu/libvgpu.h>

#include "cache/cache.h"
#include "core/sha256.h"
#include "common/tap.h"

static char root[PATH_MAX / 2];

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			tap_diag("%s:%d: check failed: %s", __FILE__,    \
				 __LINE__, #cond);                             \
			return 1;                                            \
		}                                                            \
	} while (0)

static void tohex(char *out, const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static int sha_is(const void *data, size_t len, const char *want)
{
	uint8_t d[32];
	char h[65];

	vgpu_sha256(data, len, d);
	tohex(h, d, 32);
	if (strcmp(h, want)) {
		tap_diag("sha256 of %zu bytes: got %s want %s", len, h, want);
		return 0;
	}
	return 1;
}

static void mkkey(uint8_t key[32], const char *src)
{
	const char *parts[5] = { src, "-O3", "cpu", "x86_64", "gcc 12.2.0" };

	vgpu_cache_key(key, parts, NULL, 5);
}

static uint8_t *mkblob(size_t len, unsigned int seed)
{
	uint8_t *p = malloc(len ? len : 1);

	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
	return p;
}

static char *subdir(const char *name)
{
	static char buf[4][PATH_MAX];
	static int k;
	char *b = buf[k++ & 3];

	snprintf(b, PATH_MAX, "%s/%s", root, name);
	return b;
}

static int rm_rf(const char *path)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	return system(cmd);
}

/* A "compiler" for the tests: counts how often it really compiled. */
static int compiles;

static int get_or_compile(struct vgpu_cache *c, const char *src, void **blob, size_t *len)
{
	uint8_t key[32];
	int ret;

	mkkey(key, src);
	ret = vgpu_cache_get(c, key, blob, len);
	if (ret != -ENOENT)
		return ret;
	compiles++;
	*len = 1000 + strlen(src);
	*blob = mkblob(*len, (unsigned int)strlen(src));
	return vgpu_cache_put(c, key, *blob, *len);
}

/* ------------------------------------------------------------------ */

static int t_sha256(void)
{
	static const char m896[] =
		"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
		"ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	char *million = malloc(1000000);
	struct vgpu_sha256 s;
	uint8_t a[32], b[32];
	int ok;

	/* FIPS 180-4 examples (NIST CSRC "Examples with intermediate values") */
	CHECK(sha_is("abc", 3,
		     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	CHECK(sha_is("", 0,
		     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	CHECK(sha_is("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
	CHECK(sha_is(m896, strlen(m896),
		     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"));
	memset(million, 'a', 1000000);
	ok = sha_is(million, 1000000,
		    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* incremental updates in odd pieces give the same digest */
	vgpu_sha256_init(&s);
	for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 3 % 997 + 1)
		vgpu_sha256_update(&s, million + off, off + step > 1000000 ? 1000000 - off : step);
	vgpu_sha256_final(&s, a);
	vgpu_sha256(million, 1000000, b);
	free(million);
	CHECK(ok);
	CHECK(!memcmp(a, b, 32));
	return 0;
}

static int t_key(void)
{
	const char *p1[] = { "ab", "c" }, *p2[] = { "a", "bc" }, *p3[] = { "abc" };
	const size_t l1[] = { 2, 1 };
	uint8_t k1[32], k1b[32], k2[32], k3[32];

	vgpu_cache_key(k1, p1, NULL, 2);
	vgpu_cache_key(k1b, p1, l1, 2);
	vgpu_cache_key(k2, p2, NULL, 2);
	vgpu_cache_key(k3, p3, NULL, 1);
	CHECK(!memcmp(k1, k1b, 32));
	CHECK(memcmp(k1, k2, 32));	/* length prefixes: no ambiguity */
	CHECK(memcmp(k1, k3, 32));
	CHECK(memcmp(k2, k3, 32));
	return 0;
}

/* The bounds from the environment take the one size grammar (common/size.h);
 * a value it rejects fails the open (never a silent default bound). */
static int t_parse_size(void)
{
	static const struct { const char *v; uint64_t want; } good[] = {
		{ "1048576", 1048576 }, { "64k", 65536 }, { "256M", 256ull << 20 },
		{ "2GiB", 2ull << 30 }, { "1.5G", 3ull << 29 }, { "10B", 10 },
	};
	static const char *const bad[] = { "", " 1 G ", "-1", "12Q", "1.5", "99999999999999999999",
					   "17179869184T", "0x10" };
	struct vgpu_cache *c;
	struct vgpu_cache_stats st;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		setenv("VGPU_CACHE_MAX", good[i].v, 1);
		CHECK(!vgpu_cache_open(&c, subdir("sizes"), 0, 0));
		vgpu_cache_stats(c, &st);
		vgpu_cache_close(c);
		CHECK(st.disk_limit == good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("VGPU_CACHE_MAX", bad[i], 1);
		c = NULL;
		/* "" is unset: the default bound */
		CHECK(vgpu_cache_open(&c, subdir("sizes"), 0, 0) == (*bad[i] ? -EINVAL : 0));
		CHECK(!*bad[i] == !!c);
		vgpu_cache_close(c);
	}
	unsetenv("VGPU_CACHE_MAX");
	return 0;
}

static int t_mem_put_get(void)
{
	struct vgpu_cache *c;
	struct vgpu_cache_stats st;
	uint8_t key[32], other[32];
	uint8_t *b = mkblob(5000, 1);
	void *got;
	size_t len;

	CHECK(!vgpu_cache_open(&c, subdir("file/sub"), 1 << 20, 1 << 20));
	mkkey(key, "k1");
	mkkey(other, "k2");
	CHECK(vgpu_cache_get(c, key, &got, &len) == -ENOENT);
	CHECK(!vgpu_cache_put(c, key, b, 5000));
	CHECK(!vgpu_cache_get(c, key, &got, &len));
	CHECK(len == 5000 && !memcmp(got, b, 5000));
	free(got);
	CHECK(vgpu_cache_get(c, other, &got, &len) == -ENOENT);
	/* replacing a key keeps one entry */
	CHECK(!vgpu_cache_put(c, key, b, 100));
	CHECK(!vgpu_cache_get(c, key, &got, &len) && len == 100);
	free(got);
	/* zero-length blobs are fine */
	CHECK(!vgpu_cache_put(c, other, NULL, 0));
	CHECK(!vgpu_cache_get(c, other, &got, &len) && len == 0 && got);
	free(got);
	CHECK(vgpu_cache_get(c, NULL, &got, &len) == -EINVAL);
	CHECK(vgpu_cache_put(c, key, NULL, 3) == -EINVAL);
	CHECK(vgpu_cache_get(NULL, key, &got, &len) == -EINVAL);
	vgpu_cache_stats(c, &st);
	CHECK(st.mem_hits == 3 && st.misses == 2 && st.puts == 3);
	CHECK(st.mem_entries == 2 && st.mem_bytes == 100);
	vgpu_cache_close(c);
	free(b);
	return 0;
}

static int t_lru(void)
{
	struct vgpu_cache *c;
	struct vgpu_cache_stats st;
	uint8_t k[5][32];
	uint8_t *b = mkblob(300, 2);
	void *got;
	size_t len;
	char name[32];

	/* 1000-byte bound, 300-byte blobs: three fit */
	CHECK(!vgpu_cache_open(&c, subdir("file/sub"), 1000, 1 << 20));
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "lru%d", i);
		mkkey(k[i], name);
	}
	for (int i = 0; i < 3; i++)
		CHECK(!vgpu_cache_put(c, k[i], b, 300));
	CHECK(!vgpu_cache_get(c, k[0], &got, &len));	/* 0 becomes most recent */
	free(got);
	CHECK(!vgpu_cache_put(c, k[3], b, 300));		/* evicts 1 */
	CHECK(vgpu_cache_get(c, k[1], &got, &len) == -ENOENT);
	CHECK(!vgpu_cache_get(c, k[0], &got, &len));
	free(got);
	CHECK(!vgpu_cache_get(c, k[2], &got, &len));
	free(got);
	CHECK(!vgpu_cache_get(c, k[3], &got, &len));
	free(got);
	vgpu_cache_stats(c, &st);
	CHECK(st.evictions == 1 && st.mem_entries == 3 && st.mem_bytes == 900);
	/* a blob bigger than the whole bound is not kept in memory */
	free(b);
	b = mkblob(2000, 3);
	CHECK(!vgpu_cache_put(c, k[4], b, 2000));
	CHECK(vgpu_cache_get(c, k[4], &got, &len) == -ENOENT);
	vgpu_cache_stats(c, &st);
	CHECK(st.mem_bytes <= 1000);
	vgpu_cache_close(c);
	free(b);
	return 0;
}

static int t_disk_hit(void)
{
	struct vgpu_cache *c;
	struct vgpu_cache_stats st;
	const char *dir = subdir("disk/nested/dirs");
	char path[PATH_MAX];
	uint8_t key[32];
	void *b1, *b2;
	size_t l1, l2;
	struct stat sb;

	compiles = 0;
	CHECK(!vgpu_cache_open(&c, dir, 1 << 20, 1 << 20));	/* mkdir -p */
	vgpu_cache_stats(c, &st);
	CHECK(st.disk_state == VGPU_CACHE_DISK_RW);
	CHECK(!get_or_compile(c, "__global__ void k() {}", &b1, &l1));
	CHECK(compiles == 1);
	mkkey(key, "__global__ void k() {}");
	CHECK(!vgpu_cache_path(c, key, path, sizeof(path)));
	CHECK(!stat(path, &sb) && sb.st_size == (off_t)(l1 + 88));
	vgpu_cache_close(c);

	/* a new instance (another process, later) finds it on disk */
	CHECK(!vgpu_cache_open(&c, dir, 1 << 20, 1 << 20));
	CHECK(!get_or_compile(c, "__global__ void k() {}", &b2, &l2));
	CHECK(compiles == 1);		/* recompile avoided */
	CHECK(l1 == l2 && !memcmp(b1, b2, l1));
	free(b2);
	CHECK(!get_or_compile(c, "__global__ void k() {}", &b2, &l2));	/* now memory */
	vgpu_cache_stats(c, &st);
	CHECK(st.disk_hits == 1 && st.mem_hits == 1 && st.misses == 0 && st.corrupt == 0);
	vgpu_cache_close(c);
	free(b1);
	free(b2);
	return 0;
}

/* Damage the stored file with fn, then expect a miss counted as corrupt, the
 * file removed, and a recompile that is stored and hit again. */
static int corrupt_case(const char *dir, const char *src, void (*fn)(const char *, off_t))
{
	struct vgpu_cache *c;
	struct vgpu_cache_stats st;
	char path[PATH_MAX];
	uint8_t key[32];
	void *b;
	size_t l;
	struct stat sb;

	compiles = 0;
	mkkey(key, src);
	CHECK(!vgpu_cache_open(&c, dir, 1 << 20, 1 << 20));
	CHECK(!get_or_compile(c, src, &b, &l));
	free(b);
	CHECK(!vgpu_cache_path(c, key, path, sizeof(path)));
	vgpu_cache_close(c);
	CHECK(!stat(path, &sb));
	fn(path, sb.st_size);

	CHECK(!vgpu_cache_open(&c, dir, 1 << 20, 1 << 20));
	CHECK(vgpu_cache_get(c, key, &b, &l) == -ENOENT);
	vgpu_cache_stats(c, &st);
	CHECK(st.corrupt == 1 && st.misses == 1 && st.disk_hits == 0);
	CHECK(stat(path, &sb) && errno == ENOENT);	/* removed */
	CHECK(!get_or_compile(c, src, &b, &l));		/* recompiled */
	free(b);
	CHECK(compiles == 2);
	vgpu_cache_close(c);
	CHECK(!vgpu_cache_open(&c, dir, 1 << 20, 1 << 20));
	CHECK(!get_or_compile(c, src, &b, &l));
	free(b);
	CHECK(compiles == 2);
	vgpu_cache_stats(c, &st);
	CHECK(st.disk_hits == 1 && st.corrupt == 0);
	vgpu_cache_close(c);
	return 0;
}

static void flip_at(const char *path, off_t off)
{
	int fd = open(path, O_RDWR);
	unsigned char ch;

	if (fd < 0 || pread(fd, &ch, 1, off) != 1)
		abort();
	ch ^= 0x10;
	if (pwrite(fd, &ch, 1, off) != 1)
		abort();
	close(fd);
}

static void do_truncate(const char *path, off_t size)
{
	if (truncate(path, size - 7))
		abort();
}

static void do_truncate_hdr(const char *path, off_t size)
{
	(void)size;
	if (truncate(path, 40))
		abort();
}

static void do_flip_payload(const char *path, off_t size)
{
	flip_at(path, size / 2 + 44);
}

static void do_flip_header(const char *path, off_t size)
{
	(void)size;
	flip_at(path, 20);	/* length field */
}

static void do_flip_last(const char *path, off_t size)
{
	flip_at(path, size - 1);
}

static void do_append(const char *path, off_t size)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	(void)size;
	if (fd < 0 || write(fd, "x", 1) != 1)
		abort();
	close(fd);
}

static int t_corrupt(void)
{
	const char *dir = subdir("corrupt");

	CHECK(!corrupt_case(dir, "truncated", do_truncate));
	CHECK(!corrupt_case(dir, "truncated header", do_truncate_hdr));
	CHECK(!corrupt_case(dir, "payload bit flip", do_flip_payload));
	CHECK(!corrupt_case(dir, "header bit flip", do_flip_header));
	CHECK(!corrupt_case(dir, "last byte flip", do_flip_last));
	CHECK(!corrupt_case(dir, "appended", do_append));
	return 0;
}

/* Unusable locations: the cache still works, from memory. */
static int unusable_case(const char *dir, int want_state)
{
	struct vgpu_cache *c;
	struct vgpu_cache_stats st;
	uint8_t key[32];
	void *b;
	size_t l;

	compiles = 0;
	mkkey(key, "unusable");
	CHECK(!vgpu_cache_open(&c, dir, 1 << 20, 1 << 20));
	vgpu_cache_stats(c, &st);
	if (st.disk_state != want_state)
		tap_diag("%s: disk_state %d (errno %d), want %d", dir, st.disk_state,
			 st.disk_errno, want_state);
	CHECK(st.disk_state == want_state && st.disk_errno != 0);
	CHECK(!get_or_compile(c, "unusable", &b, &l));
	free(b);
	CHECK(!get_or_compile(c, "unusable", &b, &l));
	free(b);
	CHECK(compiles == 1);
	vgpu_cache_stats(c, &st);
	CHECK(st.mem_hits == 1 && st.puts == 1 && st.disk_errors == 0);
	vgpu_cache_close(c);
	return 0;
}

static int t_dir_under_file(void)
{
	FILE *f = fopen(subdir("file"), "w");

	CHECK(f);
	fclose(f);
	return unusable_case(subdir("file/cache/vgpu"), VGPU_CACHE_DISK_OFF);
}

static int t_dir_proc(void)
{
	/* nonexistent and impossible to create, even for root */
	return unusable_case("/proc/vgpu-x/cache", VGPU_CACHE_DISK_OFF);
}

static int t_dir_readonly(void)
{
	/* exists and is readable, not writable even for root */
	return unusable_case("/proc", VGPU_CACHE_DISK_RO);
}

/* Not root: a populated directory chmod 0555 is still read, not written. */
static int t_dir_chmod(void)
{
	const char *dir = subdir("ro");
	struct vgpu_cache *c;
	struct vgpu_cache_stats st;
	void *b;
	size_t l;
	char cmd[PATH_MAX + 32];

	compiles = 0;
	CHECK(!vgpu_cache_open(&c, dir, 1 << 20, 1 << 20));
	CHECK(!get_or_compile(c, "readonly", &b, &l));
	free(b);
	vgpu_cache_close(c);
	snprintf(cmd, sizeof(cmd), "chmod -R a-w '%s'", dir);
	CHECK(!system(cmd));
	CHECK(!vgpu_cache_open(&c, dir, 1 << 20, 1 << 20));
	vgpu_cache_stats(c, &st);
	CHECK(st.disk_state == VGPU_CACHE_DISK_RO);
	CHECK(!get_or_compile(c, "readonly", &b, &l));	/* read from disk */
	free(b);
	CHECK(!get_or_compile(c, "another", &b, &l));	/* compiled, kept in memory */
	free(b);
	CHECK(!get_or_compile(c, "another", &b, &l));
	free(b);
	vgpu_cache_stats(c, &st);
	CHECK(compiles == 2 && st.disk_hits == 1 && st.mem_hits == 1 && st.disk_errors == 0);
	vgpu_cache_close(c);
	snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s'", dir);
	CHECK(!system(cmd));
	return 0;
}

static uint64_t du_bins(const char *dir, int *count)
{
	char sub[PATH_MAX + 300], p[2 * PATH_MAX];
	uint64_t total = 0;
	struct dirent *d, *f;
	DIR *top = opendir(dir), *s;
	struct stat sb;

	*count = 0;
	if (!top)
		return 0;
	while ((d = readdir(top))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, d->d_name);
		s = opendir(sub);
		if (!s)
			continue;
		while ((f = readdir(s))) {
			snprintf(p, sizeof(p), "%s/%s", sub, f->d_name);
			if (f->d_name[0] != '.' && !stat(p, &sb)) {
				total += (uint64_t)sb.st_size;
				(*count)++;
			}
		}
		closedir(s);
	}
	closedir(top);
	return total;
}

static int t_disk_bound(void)
{
	const char *dir = subdir("bound");
	struct vgpu_cache *c;
	struct vgpu_cache_stats st;
	uint8_t key[32];
	uint8_t *b = mkblob(1000, 4);
	char name[32];
	void *got;
	size_t l;
	uint64_t total;
	int n, i;

	/* 20000-byte disk bound, ~1088-byte files, 60 puts */
	CHECK(!vgpu_cache_open(&c, dir, 4096, 20000));
	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "bound%d", i);
		mkkey(key, name);
		CHECK(!vgpu_cache_put(c, key, b, 1000));
		total = du_bins(dir, &n);
		if (total > 20000) {
			tap_diag("after %d puts: %llu bytes in %d files", i + 1,
				 (unsigned long long)total, n);
			CHECK(total <= 20000);
		}
	}
	vgpu_cache_stats(c, &st);
	CHECK(st.disk_evictions > 0 && st.disk_bytes <= 20000);
	vgpu_cache_close(c);
	/* the newest entries survive on disk; the oldest went first */
	CHECK(!vgpu_cache_open(&c, dir, 4096, 20000));
	mkkey(key, "bound59");
	CHECK(!vgpu_cache_get(c, key, &got, &l) && l == 1000 && !memcmp(got, b, 1000));
	free(got);
	mkkey(key, "bound0");
	CHECK(vgpu_cache_get(c, key, &got, &l) == -ENOENT);
	vgpu_cache_close(c);
	/* a hit refreshes an entry: touch bound45, then push more in */
	CHECK(!vgpu_cache_open(&c, dir, 4096, 20000));
	mkkey(key, "bound45");
	usleep(20000);
	CHECK(!vgpu_cache_get(c, key, &got, &l));
	free(got);
	for (i = 60; i < 72; i++) {
		usleep(2000);
		snprintf(name, sizeof(name), "bound%d", i);
		mkkey(key, name);
		CHECK(!vgpu_cache_put(c, key, b, 1000));
	}
	vgpu_cache_close(c);
	CHECK(!vgpu_cache_open(&c, dir, 4096, 20000));
	mkkey(key, "bound45");
	CHECK(!vgpu_cache_get(c, key, &got, &l));
	free(got);
	mkkey(key, "bound46");
	CHECK(vgpu_cache_get(c, key, &got, &l) == -ENOENT);
	vgpu_cache_close(c);
	free(b);
	return 0;
}

/* Two processes put, get and remove the same key 200 times each. */
static int t_two_processes(void)
{
	const char *dir = subdir("procs");
	const size_t len = 200000;
	uint8_t *b = mkblob(len, 5);
	uint8_t key[32];
	pid_t pid[2];
	int status, bad = 0, cnt;

	mkkey(key, "shared kernel");
	for (int p = 0; p < 2; p++) {
		pid[p] = fork();
		CHECK(pid[p] >= 0);
		if (pid[p] == 0) {
			struct vgpu_cache *c;
			struct vgpu_cache_stats st;
			int garbage = 0, hits = 0;

			/* memory bound 1 byte: every get goes to the disk */
			if (vgpu_cache_open(&c, dir, 1, 64 << 20))
				_exit(2);
			for (int i = 0; i < 200; i++) {
				void *got;
				size_t l;
				int ret;

				if (vgpu_cache_put(c, key, b, len))
					garbage++;
				ret = vgpu_cache_get(c, key, &got, &l);
				if (ret == 0) {
					hits++;
					if (l != len || memcmp(got, b, len))
						garbage++;
					free(got);
				} else if (ret != -ENOENT) {
					garbage++;
				}
				if (i % 7 == p)
					vgpu_cache_remove(c, key);
			}
			vgpu_cache_stats(c, &st);
			tap_diag("process %d: %d hits, %llu misses, %llu corrupt, %llu disk errors",
				 p, hits, (unsigned long long)st.misses,
				 (unsigned long long)st.corrupt,
				 (unsigned long long)st.disk_errors);
			fflush(stdout);
			vgpu_cache_close(c);
			_exit(garbage || st.corrupt || st.disk_errors || !hits ? 1 : 0);
		}
	}
	for (int p = 0; p < 2; p++) {
		CHECK(waitpid(pid[p], &status, 0) == pid[p]);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	}
	CHECK(!bad);
	du_bins(dir, &cnt);
	CHECK(cnt <= 1);	/* no temporaries left behind */
	free(b);
	return 0;
}

struct thr_arg {
	struct vgpu_cache *c;
	int id, bad;
};

static void *thr(void *p)
{
	struct thr_arg *a = p;
	char name[32];
	uint8_t key[32];

	for (int i = 0; i < 2000; i++) {
		unsigned int k = (unsigned int)(i * 7 + a->id) % 50;
		size_t len = 100 + k;
		void *got;
		size_t l;
		int ret;

		snprintf(name, sizeof(name), "thr%u", k);
		mkkey(key, name);
		ret = vgpu_cache_get(a->c, key, &got, &l);
		if (ret == 0) {
			uint8_t *want = mkblob(len, k);

			if (l != len || memcmp(got, want, len))
				a->bad++;
			free(want);
			free(got);
		} else if (ret == -ENOENT) {
			uint8_t *blob = mkblob(len, k);

			if (vgpu_cache_put(a->c, key, blob, len))
				a->bad++;
			free(blob);
		} else {
			a->bad++;
		}
	}
	return NULL;
}

static int t_threads(void)
{
	struct vgpu_cache *c;
	struct vgpu_cache_stats st;
	pthread_t t[4];
	struct thr_arg a[4];

	/* small memory bound (about 20 of the 50 keys), disk shared */
	CHECK(!vgpu_cache_open(&c, subdir("threads"), 2500, 1 << 20));
	for (int i = 0; i < 4; i++) {
		a[i] = (struct thr_arg){ .c = c, .id = i };
		CHECK(!pthread_create(&t[i], NULL, thr, &a[i]));
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK(!a[i].bad);
	}
	vgpu_cache_stats(c, &st);
	CHECK(st.mem_bytes <= 2500 && st.evictions > 0 && st.disk_hits > 0);
	CHECK(st.mem_hits + st.disk_hits + st.misses == 8000);
	vgpu_cache_close(c);
	return 0;
}

static int t_env(void)
{
	struct vgpu_cache *c;
	struct vgpu_cache_stats st;
	uint8_t key[32];
	void *got;
	size_t l;
	char path[PATH_MAX];
	struct stat sb;

	mkkey(key, "env");
	/* VGPU_CACHE_DIR and VGPU_CACHE_MAX apply when the caller passes 0/NULL */
	setenv("VGPU_CACHE_DIR", subdir("envdir"), 1);
	setenv("VGPU_CACHE_MAX", "3M", 1);
	setenv("VGPU_CACHE_MEM_MAX", "64k", 1);
	CHECK(!vgpu_cache_open(&c, NULL, 0, 0));
	vgpu_cache_stats(c, &st);
	CHECK(st.disk_limit == 3 << 20 && st.mem_limit == 64 << 10);
	CHECK(vgpu_cache_dir(c) && !strcmp(vgpu_cache_dir(c), subdir("envdir")));
	CHECK(!vgpu_cache_put(c, key, "x", 1));
	CHECK(!vgpu_cache_path(c, key, path, sizeof(path)) && !stat(path, &sb));
	vgpu_cache_close(c);
	/* default location from XDG_CACHE_HOME */
	unsetenv("VGPU_CACHE_DIR");
	setenv("XDG_CACHE_HOME", subdir("xdg"), 1);
	CHECK(!vgpu_cache_open(&c, NULL, 0, 0));
	snprintf(path, sizeof(path), "%s/vgpu", subdir("xdg"));
	CHECK(vgpu_cache_dir(c) && !strcmp(vgpu_cache_dir(c), path));
	vgpu_cache_close(c);
	/* VGPU_CACHE=mem: no disk */
	setenv("VGPU_CACHE", "mem", 1);
	CHECK(!vgpu_cache_open(&c, subdir("envdir"), 0, 0));
	vgpu_cache_stats(c, &st);
	CHECK(st.disk_state == VGPU_CACHE_DISK_OFF && !vgpu_cache_dir(c));
	CHECK(vgpu_cache_get(c, key, &got, &l) == -ENOENT);
	CHECK(!vgpu_cache_put(c, key, "y", 1));
	CHECK(!vgpu_cache_get(c, key, &got, &l) && l == 1 && *(char *)got == 'y');
	free(got);
	vgpu_cache_close(c);
	/* VGPU_CACHE=off: nothing at all */
	setenv("VGPU_CACHE", "off", 1);
	CHECK(!vgpu_cache_open(&c, subdir("envdir"), 0, 0));
	CHECK(!vgpu_cache_put(c, key, "y", 1));
	CHECK(vgpu_cache_get(c, key, &got, &l) == -ENOENT);
	vgpu_cache_stats(c, &st);
	CHECK(!st.enabled && st.misses == 1 && st.puts == 0);
	vgpu_cache_close(c);
	unsetenv("VGPU_CACHE");
	unsetenv("VGPU_CACHE_MAX");
	unsetenv("VGPU_CACHE_MEM_MAX");
	unsetenv("XDG_CACHE_HOME");
	return 0;
}

/* ------------------------------------------------------------------ */
/* End to end through libvgpu's public API (the cache functions above are
 * hidden in the library, so the test links the cache's sources as well). */

static const char api_src[] =
	"extern \"C\" __global__ void twice(int n, const float *x, float *y)\n"
	"{\n"
	"	int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
	"	if (i < n)\n"
	"		y[i] = 2.0f * x[i] + 1.0f;\n"
	"}\n";

/* Open a CPU session on dir, compile api_src, run it on 1000 floats and
 * check the output. Returns 0, or the step that failed (> 0). Cache hits
 * and misses of the session in *hits / *misses. */
static int api_round(const char *dir, uint64_t *hits, uint64_t *misses)
{
	struct vgpu_session_opts so = { .size = sizeof(so), .backend = VGPU_BACKEND_CPU,
					.cache_dir = dir };
	struct vgpu_launch_cfg cfg = { .size = sizeof(cfg), .grid = { 4, 1, 1 },
				       .block = { 256, 1, 1 } };
	struct vgpu_stats st = { .size = sizeof(st) };
	vgpu_session *s = NULL;
	vgpu_module *m = NULL;
	vgpu_kernel *k;
	vgpu_buffer *bx = NULL, *by = NULL;
	float x[1000], y[1000];
	int step = 1;

	for (int i = 0; i < 1000; i++)
		x[i] = (float)i;
	if (vgpu_session_open(&s, &so))
		return step;
	step++;
	if (vgpu_module_compile(s, api_src, 0, NULL, &m) || vgpu_kernel_get(m, "twice", &k))
		goto out;
	step++;
	if (vgpu_buffer_alloc(s, sizeof(x), &bx) || vgpu_buffer_alloc(s, sizeof(y), &by) ||
	    vgpu_buffer_write(bx, 0, x, sizeof(x)))
		goto out;
	step++;
	struct vgpu_arg args[] = { vgpu_arg_i32(1000), vgpu_arg_buf(bx), vgpu_arg_buf(by) };

	if (vgpu_launch(k, &cfg, args, 3) || vgpu_buffer_read(by, 0, y, sizeof(y)))
		goto out;
	step++;
	for (int i = 0; i < 1000; i++)
		if (y[i] != 2.0f * x[i] + 1.0f)
			goto out;
	step++;
	if (vgpu_stats_get(s, &st))
		goto out;
	*hits = st.cache_hits;
	*misses = st.cache_misses;
	step = 0;
out:
	vgpu_buffer_free(bx);
	vgpu_buffer_free(by);
	vgpu_module_unload(m);
	vgpu_session_close(s);
	return step;
}

/* The one entry file of a cache directory. */
static int find_bin(const char *dir, char *path, size_t size)
{
	DIR *top = opendir(dir), *sub;
	struct dirent *d, *f;
	char sp[PATH_MAX];
	int n = 0;

	if (!top)
		return 0;
	while ((d = readdir(top))) {
		if (d->d_name[0] == '.' || strlen(d->d_name) != 2)
			continue;
		snprintf(sp, sizeof(sp), "%.*s/%s", PATH_MAX - 8, dir, d->d_name);
		sub = opendir(sp);
		if (!sub)
			continue;
		while ((f = readdir(sub)))
			if (strstr(f->d_name, ".bin")) {
				snprintf(path, size, "%.*s/%.*s", PATH_MAX - 80, sp, 70, f->d_name);
				n++;
			}
		closedir(sub);
	}
	closedir(top);
	return n;
}

/* Two processes compile and run the same kernel at once, 10 sessions each,
 * on one empty cache directory. Runs before any session of this process
 * (no library threads exist when we fork). */
static int t_api_two_processes(void)
{
	const char *dir = subdir("api-procs");
	char path[PATH_MAX];
	pid_t pid[2];
	int status, bad = 0, cnt;

	for (int p = 0; p < 2; p++) {
		pid[p] = fork();
		CHECK(pid[p] >= 0);
		if (pid[p] == 0) {
			uint64_t h, m, hits = 0;

			for (int i = 0; i < 10; i++) {
				int step = api_round(dir, &h, &m);

				if (step) {
					tap_diag("process %d round %d: failed at step %d", p, i, step);
					_exit(1);
				}
				hits += h;
			}
			tap_diag("process %d: 10 sessions, %llu cache hits", p,
				 (unsigned long long)hits);
			_exit(hits >= 8 ? 0 : 1);
		}
	}
	for (int p = 0; p < 2; p++) {
		CHECK(waitpid(pid[p], &status, 0) == pid[p]);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	}
	CHECK(!bad);
	CHECK(find_bin(dir, path, sizeof(path)) == 1);
	du_bins(dir, &cnt);
	CHECK(cnt == 1);	/* one entry, no temporaries */
	return 0;
}

static int t_api_hit_and_corrupt(void)
{
	const char *dir = subdir("api");
	char path[PATH_MAX];
	uint64_t h, m;
	struct stat sb;

	CHECK(api_round(dir, &h, &m) == 0 && h == 0 && m == 1);	/* cold */
	CHECK(api_round(dir, &h, &m) == 0 && h == 1 && m == 0);	/* new session: disk */
	CHECK(find_bin(dir, path, sizeof(path)) == 1);
	CHECK(!stat(path, &sb));
	flip_at(path, sb.st_size / 2);
	CHECK(api_round(dir, &h, &m) == 0 && h == 0 && m == 1);	/* corrupt: recompiled */
	CHECK(api_round(dir, &h, &m) == 0 && h == 1 && m == 0);	/* and stored again */
	CHECK(!stat(path, &sb));
	CHECK(truncate(path, sb.st_size - 100) == 0);
	CHECK(api_round(dir, &h, &m) == 0 && h == 0 && m == 1);	/* truncated: recompiled */
	return 0;
}

static int t_api_unusable_dir(void)
{
	uint64_t h, m;

	/* parent is a regular file: no disk, the library still compiles and runs */
	CHECK(api_round(subdir("file/api"), &h, &m) == 0 && m == 1);
	CHECK(api_round("/proc/vgpu-x", &h, &m) == 0 && m == 1);
	return 0;
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	setvbuf(stdout, NULL, _IOLBF, 0);
	unsetenv("VGPU_CACHE");
	unsetenv("VGPU_CACHE_DIR");
	unsetenv("VGPU_CACHE_MAX");
	unsetenv("VGPU_CACHE_MEM_MAX");
	unsetenv("VGPU_BACKEND");
	unsetenv("XDG_CACHE_HOME");
	snprintf(root, sizeof(root), "%s/vgpu-test-cache.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root)) {
		printf("Bail out! mkdtemp %s: %s\n", root, strerror(errno));
		return 1;
	}
	/* first: no library threads may exist when it forks */
	tap_ok(!t_api_two_processes(), "libvgpu: two processes compile the same kernel at once");
	tap_ok(!t_sha256(), "sha256 FIPS 180-4 vectors");
	tap_ok(!t_key(), "key from length-prefixed parts");
	tap_ok(!t_parse_size(), "VGPU_CACHE_MAX in the one size grammar (1.5G yes, ' 1 G ' no)");
	tap_ok(!t_dir_under_file(), "directory under a regular file: memory only");
	tap_ok(!t_mem_put_get(), "put/get in memory");
	tap_ok(!t_lru(), "LRU eviction at the memory bound");
	tap_ok(!t_disk_hit(), "disk hit from a new cache instance, recompile avoided");
	tap_ok(!t_corrupt(), "corrupt files (truncated, bit flips) detected and recompiled");
	tap_ok(!t_dir_proc(), "uncreatable directory (/proc/vgpu-x): memory only");
	tap_ok(!t_dir_readonly(), "read-only directory (/proc): memory only");
	if (geteuid() == 0)
		tap_skip("root ignores permissions", "chmod 0555 directory read but not written");
	else
		tap_ok(!t_dir_chmod(), "chmod 0555 directory read but not written");
	tap_ok(!t_disk_bound(), "disk bound evicts least recently used");
	tap_ok(!t_two_processes(), "two processes x 200 put/get/remove of one key");
	tap_ok(!t_threads(), "four threads share one cache");
	tap_ok(!t_env(), "VGPU_CACHE, VGPU_CACHE_DIR, VGPU_CACHE_MAX");
	tap_ok(!t_api_hit_and_corrupt(), "libvgpu: disk hit in a new session; corrupt entry recompiled");
	tap_ok(!t_api_unusable_dir(), "libvgpu: compiles with an unusable cache directory");
	rm_rf(root);
	return tap_done();
}
