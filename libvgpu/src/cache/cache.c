// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgpu compile cache: SHA-256 keys, a bounded in-memory LRU (hash table +
 * doubly linked list) and a bounded content-addressed directory.
 * See cache.h for the contract and the on-disk layout.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "core/sha256.h"
#include "core/env.h"
#include "core/io.h"

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

void vgpu_cache_key(uint8_t out[32], const char *const parts[],
		    const size_t lens[], int nparts)
{
	static const char domain[] = "vgpu-cache-v1";
	struct vgpu_sha256 s;
	uint8_t le[8];

	if (nparts < 0)
		nparts = 0;
	vgpu_sha256_init(&s);
	vgpu_sha256_update(&s, domain, sizeof(domain));
	put_le64(le, (uint64_t)nparts);
	vgpu_sha256_update(&s, le, 8);
	for (int i = 0; i < nparts; i++) {
		size_t n = parts[i] ? (lens ? lens[i] : strlen(parts[i])) : 0;

		put_le64(le, (uint64_t)n);
		vgpu_sha256_update(&s, le, 8);
		if (n)
			vgpu_sha256_update(&s, parts[i], n);
	}
	vgpu_sha256_final(&s, out);
}


/* ------------------------------------------------------------------ */
/* the cache object                                                    */

struct entry {
	uint8_t key[32];
	struct entry *hnext;		/* hash chain */
	struct entry *prev, *next;	/* LRU: head = most recent */
	size_t len;
	uint8_t *blob;
};

/* On-disk header, little-endian, 88 bytes. */
#define DISK_MAGIC "VGPUCCH\0"
#define DISK_VERSION 1u
#define HDR_SIZE 88
/* 0 magic[8] | 8 version u32 | 12 header size u32 | 16 payload len u64 |
 * 24 key[32] | 56 sha256(payload)[32] */

struct vgpu_cache {
	pthread_mutex_t lock;		/* memory LRU + stats + disk_bytes */
	pthread_mutex_t scan_lock;	/* one disk scan at a time */
	struct entry **table;
	size_t nbuckets, nentries;
	struct entry *head, *tail;
	uint64_t mem_bytes, mem_limit;
	int enabled;

	char *dir;			/* NULL: no disk */
	int disk_state, disk_errno;
	int do_fsync;
	uint64_t disk_limit;
	uint64_t disk_bytes;		/* approximate, from the last scan + own puts */
	uint64_t written_since_scan;
	int scanned;

	struct vgpu_cache_stats st;
};

/* mkdir -p with mode 0700 for what we create. 0 or -errno. */
static int mkdir_p(const char *path)
{
	char *p, *s;
	struct stat sb;
	int ret = 0;

	if (!stat(path, &sb))
		return S_ISDIR(sb.st_mode) ? 0 : -ENOTDIR;
	s = strdup(path);
	if (!s)
		return -ENOMEM;
	for (p = s + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(s, 0700) && errno != EEXIST) {
			ret = -errno;
			break;
		}
		if (stat(s, &sb)) {
			ret = -errno;
			break;
		}
		if (!S_ISDIR(sb.st_mode)) {
			ret = -ENOTDIR;
			break;
		}
		*p = c;
		if (!c)
			break;
	}
	free(s);
	return ret;
}

static char *default_dir(void)
{
	const char *x = getenv("XDG_CACHE_HOME");
	const char *h = getenv("HOME");
	char *d = NULL;

	if (x && x[0] == '/') {
		if (asprintf(&d, "%s/vgpu", x) < 0)
			d = NULL;
	} else if (h && h[0] == '/') {
		if (asprintf(&d, "%s/.cache/vgpu", h) < 0)
			d = NULL;
	}
	return d;
}

static unsigned int tmp_counter;

/* Create a unique temporary file in dir (O_EXCL). fd or -errno. */
static int open_tmp(struct vgpu_cache *c, const char *dir, char *name, size_t size)
{
	struct timespec ts;

	for (int tries = 0; tries < 16; tries++) {
		unsigned int seq = __atomic_add_fetch(&tmp_counter, 1, __ATOMIC_RELAXED);
		int fd;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((size_t)snprintf(name, size, "%s/.tmp.%d.%u.%lx.%p", dir,
				     (int)getpid(), seq,
				     (unsigned long)ts.tv_nsec, (void *)c) >= size)
			return -ENAMETOOLONG;
		fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

/* Decide what the directory allows: RW, RO (readable, e.g. read-only mount
 * or no write permission), or OFF. */
static void disk_probe(struct vgpu_cache *c)
{
	char tmp[PATH_MAX];
	int ret, fd;

	ret = mkdir_p(c->dir);
	if (ret) {
		c->disk_errno = -ret;
		c->disk_state = (ret == -ENOMEM) ? VGPU_CACHE_DISK_OFF :
				(access(c->dir, R_OK | X_OK) ? VGPU_CACHE_DISK_OFF :
							       VGPU_CACHE_DISK_RO);
		return;
	}
	fd = open_tmp(c, c->dir, tmp, sizeof(tmp));
	if (fd < 0) {
		c->disk_errno = -fd;
		c->disk_state = access(c->dir, R_OK | X_OK) ? VGPU_CACHE_DISK_OFF :
							      VGPU_CACHE_DISK_RO;
		return;
	}
	close(fd);
	unlink(tmp);
	c->disk_state = VGPU_CACHE_DISK_RW;
}

int vgpu_cache_open(struct vgpu_cache **cp, const char *dir, size_t mem_bytes,
		    size_t disk_bytes)
{
	const char *v;
	struct vgpu_cache *c;
	uint64_t mem = mem_bytes ? mem_bytes : VGPU_CACHE_DEFAULT_MEM;
	uint64_t disk = disk_bytes ? disk_bytes : VGPU_CACHE_DEFAULT_DISK;
	bool fsync_on = false;
	int mode;

	if (!cp)
		return -EINVAL;
	*cp = NULL;
	/* the environment (core/env.c): a bad value is -EINVAL, never a default */
	if (vgpu_env_cache(&mode) < 0 ||
	    (!mem_bytes && vgpu_env_size("VGPU_CACHE_MEM_MAX", &mem) < 0) ||
	    (!disk_bytes && vgpu_env_size("VGPU_CACHE_MAX", &disk) < 0) ||
	    vgpu_env_bool("VGPU_CACHE_FSYNC", &fsync_on) < 0)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->scan_lock, NULL);
	c->enabled = mode != VGPU_ENV_CACHE_OFF;
	c->disk_state = VGPU_CACHE_DISK_OFF;
	c->mem_limit = mem;
	c->disk_limit = disk;
	c->do_fsync = fsync_on;

	c->nbuckets = 64;
	c->table = calloc(c->nbuckets, sizeof(*c->table));
	if (!c->table) {
		free(c);
		return -ENOMEM;
	}

	if (c->enabled && mode != VGPU_ENV_CACHE_MEM && c->disk_limit) {
		if (dir && *dir)
			c->dir = strdup(dir);
		else if ((v = getenv("VGPU_CACHE_DIR")) && *v)
			c->dir = strdup(v);
		else
			c->dir = default_dir();
		if (c->dir) {
			size_t n = strlen(c->dir);

			while (n > 1 && c->dir[n - 1] == '/')
				c->dir[--n] = '\0';
			/* room for "/hh/<64>.bin" and temp names */
			if (n + 128 >= PATH_MAX) {
				c->disk_errno = ENAMETOOLONG;
			} else {
				disk_probe(c);
			}
		} else {
			c->disk_errno = ENOENT;
		}
		if (c->disk_state == VGPU_CACHE_DISK_OFF) {
			free(c->dir);
			c->dir = NULL;
		}
	}
	*cp = c;
	return 0;
}

static void entry_free(struct entry *e)
{
	free(e->blob);
	free(e);
}

void vgpu_cache_close(struct vgpu_cache *c)
{
	struct entry *e, *n;

	if (!c)
		return;
	for (e = c->head; e; e = n) {
		n = e->next;
		entry_free(e);
	}
	free(c->table);
	free(c->dir);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->scan_lock);
	free(c);
}

/* ---- memory LRU (c->lock held) ---- */

static size_t bucket_of(const struct vgpu_cache *c, const uint8_t key[32])
{
	uint64_t h;

	memcpy(&h, key, sizeof(h));	/* the key is already a hash */
	return (size_t)(h & (c->nbuckets - 1));
}

static struct entry **find_slot(struct vgpu_cache *c, const uint8_t key[32])
{
	struct entry **pp = &c->table[bucket_of(c, key)];

	while (*pp && memcmp((*pp)->key, key, 32))
		pp = &(*pp)->hnext;
	return pp;
}

static void lru_unlink(struct vgpu_cache *c, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push_front(struct vgpu_cache *c, struct entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (!c->tail)
		c->tail = e;
}

static void mem_remove(struct vgpu_cache *c, struct entry *e)
{
	struct entry **pp = find_slot(c, e->key);

	*pp = e->hnext;
	lru_unlink(c, e);
	c->nentries--;
	c->mem_bytes -= e->len;
	entry_free(e);
}

static void mem_grow(struct vgpu_cache *c)
{
	size_t nb = c->nbuckets * 2;
	struct entry **t = calloc(nb, sizeof(*t));
	struct entry *e;

	if (!t)
		return;		/* keep the old table: longer chains, still right */
	free(c->table);
	c->table = t;
	c->nbuckets = nb;
	for (e = c->head; e; e = e->next) {
		size_t b = bucket_of(c, e->key);

		e->hnext = t[b];
		t[b] = e;
	}
}

/* Takes ownership of blob (malloc'ed) on success. 0 or -ENOMEM/-E2BIG. */
static int mem_insert(struct vgpu_cache *c, const uint8_t key[32], uint8_t *blob,
		      size_t len)
{
	struct entry **pp, *e;

	if (len > c->mem_limit)
		return -E2BIG;
	pp = find_slot(c, key);
	if (*pp)
		mem_remove(c, *pp);
	while (c->tail && c->mem_bytes + len > c->mem_limit) {
		mem_remove(c, c->tail);
		c->st.evictions++;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	memcpy(e->key, key, 32);
	e->blob = blob;
	e->len = len;
	pp = find_slot(c, key);
	e->hnext = *pp;
	*pp = e;
	lru_push_front(c, e);
	c->nentries++;
	c->mem_bytes += len;
	if (c->nentries > c->nbuckets)
		mem_grow(c);
	return 0;
}

/* ---- disk ---- */

static void hex(char *out, const uint8_t key[32])
{
	static const char d[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = d[key[i] >> 4];
		out[2 * i + 1] = d[key[i] & 15];
	}
	out[64] = '\0';
}

static int key_path(const char *dir, const uint8_t key[32], char *buf, size_t size,
		    char *subdir, size_t subsize)
{
	char h[65];

	hex(h, key);
	if (subdir && (size_t)snprintf(subdir, subsize, "%s/%.2s", dir, h) >= subsize)
		return -ENAMETOOLONG;
	if ((size_t)snprintf(buf, size, "%s/%.2s/%s.bin", dir, h, h) >= size)
		return -ENAMETOOLONG;
	return 0;
}

int vgpu_cache_path(struct vgpu_cache *c, const uint8_t key[32], char *buf,
		    size_t size)
{
	if (!c || !key || !buf)
		return -EINVAL;
	if (!c->dir)
		return -ENOENT;
	return key_path(c->dir, key, buf, size, NULL, 0);
}

const char *vgpu_cache_dir(struct vgpu_cache *c)
{
	return c ? c->dir : NULL;
}

static ssize_t read_full(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, off + (off_t)done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static void stat_add(struct vgpu_cache *c, uint64_t *field)
{
	pthread_mutex_lock(&c->lock);
	(*field)++;
	pthread_mutex_unlock(&c->lock);
}

/* Remove a file that failed verification, but only if the name still refers
 * to the inode we read: a writer may have renamed a good file over it. */
static void drop_corrupt(struct vgpu_cache *c, const char *path, const struct stat *seen)
{
	struct stat now;

	if (c->disk_state == VGPU_CACHE_DISK_RW && !stat(path, &now) &&
	    now.st_ino == seen->st_ino && now.st_dev == seen->st_dev)
		unlink(path);
	stat_add(c, &c->st.corrupt);
}

/* 0 with *blob and *len set, -ENOENT (absent or corrupt), other -errno. */
static int disk_get(struct vgpu_cache *c, const uint8_t key[32], uint8_t **blob,
		    size_t *lenp)
{
	char path[PATH_MAX];
	uint8_t hdr[HDR_SIZE], sum[32];
	struct stat sb;
	uint64_t len;
	uint8_t *p;
	ssize_t n;
	int fd, ret;

	ret = key_path(c->dir, key, path, sizeof(path), NULL, 0);
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -EIO;
	}
	n = read_full(fd, hdr, HDR_SIZE, 0);
	if (n < 0) {
		close(fd);
		return (int)n;
	}
	len = get_le64(hdr + 16);
	if (n != HDR_SIZE || memcmp(hdr, DISK_MAGIC, 8) ||
	    get_le32(hdr + 8) != DISK_VERSION || get_le32(hdr + 12) != HDR_SIZE ||
	    memcmp(hdr + 24, key, 32) ||
	    (uint64_t)sb.st_size != HDR_SIZE + len || len > SIZE_MAX - 1) {
		close(fd);
		drop_corrupt(c, path, &sb);
		return -ENOENT;
	}
	p = malloc(len ? (size_t)len : 1);
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	n = read_full(fd, p, (size_t)len, HDR_SIZE);
	if (n < 0) {
		free(p);
		close(fd);
		return (int)n;
	}
	vgpu_sha256(p, (size_t)n, sum);
	if ((uint64_t)n != len || memcmp(sum, hdr + 56, 32)) {
		free(p);
		close(fd);
		drop_corrupt(c, path, &sb);
		return -ENOENT;
	}
	/* LRU on disk: a hit makes the entry recent. */
	if (c->disk_state == VGPU_CACHE_DISK_RW)
		(void)futimens(fd, NULL);
	close(fd);
	*blob = p;
	*lenp = (size_t)len;
	return 0;
}

struct scan_ent {
	struct timespec mtime;
	uint64_t size;
	char name[2 + 1 + 64 + 4 + 1];	/* "hh/<64>.bin" */
};

static int scan_cmp(const void *a, const void *b)
{
	const struct scan_ent *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

/* what a scan of the disk cache lists */
struct scan_list {
	struct scan_ent *v;
	size_t n, cap;
	uint64_t total;		/* bytes of the entries */
	bool evict;		/* list them (else only total) */
};

/* one entry file @f of subdirectory @d: temporaries of crashed writers (older
 * than an hour) removed, entries totalled and listed */
static void scan_file(struct scan_list *l, DIR *sub, const char *d, const char *f, time_t now)
{
	struct stat sb;

	if (fstatat(dirfd(sub), f, &sb, AT_SYMLINK_NOFOLLOW) || !S_ISREG(sb.st_mode))
		return;
	if (!strncmp(f, ".tmp.", 5)) {
		if (now - sb.st_mtime > 3600)
			unlinkat(dirfd(sub), f, 0);
		return;
	}
	if (strlen(f) != 68 || strcmp(f + 64, ".bin") || !is_hex(f, 64))
		return;
	l->total += (uint64_t)sb.st_size;
	if (!l->evict)
		return;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 256;
		struct scan_ent *nvp = realloc(l->v, ncap * sizeof(*l->v));

		if (!nvp)
			return;		/* evict what we have listed */
		l->v = nvp;
		l->cap = ncap;
	}
	l->v[l->n].mtime = sb.st_mtim;
	l->v[l->n].size = (uint64_t)sb.st_size;
	memcpy(l->v[l->n].name, d, 2);
	l->v[l->n].name[2] = '/';
	memcpy(l->v[l->n].name + 3, f, 69);	/* 68 + NUL */
	l->n++;
}

/* every entry of the cache's two-hex-digit subdirectories; false: no directory */
static bool scan_dirs(struct vgpu_cache *c, struct scan_list *l)
{
	time_t now = time(NULL);
	char path[PATH_MAX];
	struct dirent *d, *f;
	DIR *top, *sub;

	top = opendir(c->dir);
	if (!top)
		return false;
	while ((d = readdir(top))) {
		if (strlen(d->d_name) != 2 || !is_hex(d->d_name, 2))
			continue;
		snprintf(path, sizeof(path), "%s/%s", c->dir, d->d_name);
		sub = opendir(path);
		if (!sub)
			continue;
		while ((f = readdir(sub)))
			scan_file(l, sub, d->d_name, f->d_name, now);
		closedir(sub);
	}
	closedir(top);
	return true;
}

/* least-recently-used entries (oldest mtime first) removed down to 7/8 of the bound */
static uint64_t scan_evict(struct vgpu_cache *c, struct scan_list *l)
{
	uint64_t target = c->disk_limit - c->disk_limit / 8, evicted = 0;
	char path[PATH_MAX];

	qsort(l->v, l->n, sizeof(*l->v), scan_cmp);
	for (size_t i = 0; i < l->n && l->total > target; i++) {
		snprintf(path, sizeof(path), "%s/%s", c->dir, l->v[i].name);
		if (!unlink(path) || errno == ENOENT) {
			l->total -= l->v[i].size;
			evicted++;
		}
	}
	return evicted;
}

/*
 * Walk the directory, total the entries' sizes, remove temporaries left by
 * crashed writers (older than an hour), and when the total passes the bound
 * remove least-recently-used entries (oldest mtime first) down to 7/8 of it.
 * Only one thread of a process scans at a time; other processes may scan
 * concurrently, which at worst removes a little more than needed.
 */
static void disk_scan(struct vgpu_cache *c, int evict)
{
	struct scan_list l = { .evict = evict };
	uint64_t evicted = 0;

	if (pthread_mutex_trylock(&c->scan_lock))
		return;
	if (!scan_dirs(c, &l)) {
		pthread_mutex_unlock(&c->scan_lock);
		stat_add(c, &c->st.disk_errors);
		return;
	}
	if (evict && l.total > c->disk_limit)
		evicted = scan_evict(c, &l);
	free(l.v);
	pthread_mutex_lock(&c->lock);
	c->disk_bytes = l.total;
	c->written_since_scan = 0;
	c->scanned = 1;
	c->st.disk_evictions += evicted;
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&c->scan_lock);
}

static int disk_put(struct vgpu_cache *c, const uint8_t key[32], const void *blob,
		    size_t len)
{
	char path[PATH_MAX], sub[PATH_MAX], tmp[PATH_MAX];
	uint8_t hdr[HDR_SIZE];
	struct stat old;
	uint64_t add, size = HDR_SIZE + (uint64_t)len;
	int fd, ret, need_scan;

	if (size > c->disk_limit)
		return -E2BIG;
	ret = key_path(c->dir, key, path, sizeof(path), sub, sizeof(sub));
	if (ret)
		return ret;
	if (mkdir(sub, 0700) && errno != EEXIST)
		return -errno;
	fd = open_tmp(c, sub, tmp, sizeof(tmp));
	if (fd < 0)
		return fd;
	memcpy(hdr, DISK_MAGIC, 8);
	put_le32(hdr + 8, DISK_VERSION);
	put_le32(hdr + 12, HDR_SIZE);
	put_le64(hdr + 16, (uint64_t)len);
	memcpy(hdr + 24, key, 32);
	vgpu_sha256(blob, len, hdr + 56);
	ret = vgpu_write_all(fd, hdr, HDR_SIZE);
	if (!ret)
		ret = vgpu_write_all(fd, blob, len);
	if (!ret && c->do_fsync && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	add = size;
	if (!ret && !stat(path, &old) && (uint64_t)old.st_size <= add)
		add -= (uint64_t)old.st_size;	/* replacing: count the difference */
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}
	pthread_mutex_lock(&c->lock);
	c->disk_bytes += add;
	c->written_since_scan += size;
	/* Other processes write too: rescan when our estimate passes the bound,
	 * after a quarter of the bound written since the last scan, and once
	 * at the first put. */
	need_scan = !c->scanned || c->disk_bytes > c->disk_limit ||
		    c->written_since_scan > c->disk_limit / 4;
	pthread_mutex_unlock(&c->lock);
	if (need_scan)
		disk_scan(c, 1);
	return 0;
}

/* ------------------------------------------------------------------ */
/* public entry points                                                 */

int vgpu_cache_get(struct vgpu_cache *c, const uint8_t key[32], void **blob,
		   size_t *len)
{
	struct entry *e;
	uint8_t *p = NULL;
	size_t n = 0;
	int ret;

	if (!c || !key || !blob || !len)
		return -EINVAL;
	*blob = NULL;
	*len = 0;
	pthread_mutex_lock(&c->lock);
	if (!c->enabled) {
		c->st.misses++;
		pthread_mutex_unlock(&c->lock);
		return -ENOENT;
	}
	e = *find_slot(c, key);
	if (e) {
		p = malloc(e->len ? e->len : 1);
		if (!p) {
			pthread_mutex_unlock(&c->lock);
			return -ENOMEM;
		}
		memcpy(p, e->blob, e->len);
		*blob = p;
		*len = e->len;
		lru_unlink(c, e);
		lru_push_front(c, e);
		c->st.mem_hits++;
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	pthread_mutex_unlock(&c->lock);

	ret = c->dir ? disk_get(c, key, &p, &n) : -ENOENT;
	if (ret == -ENOMEM)
		return ret;
	pthread_mutex_lock(&c->lock);
	if (ret) {
		if (ret != -ENOENT)
			c->st.disk_errors++;
		c->st.misses++;
		pthread_mutex_unlock(&c->lock);
		return -ENOENT;
	}
	c->st.disk_hits++;
	/* Keep a copy in memory for the next get. */
	if (n <= c->mem_limit) {
		uint8_t *copy = malloc(n ? n : 1);

		if (copy) {
			memcpy(copy, p, n);
			if (mem_insert(c, key, copy, n))
				free(copy);
		}
	}
	pthread_mutex_unlock(&c->lock);
	*blob = p;
	*len = n;
	return 0;
}

int vgpu_cache_put(struct vgpu_cache *c, const uint8_t key[32], const void *blob,
		   size_t len)
{
	uint8_t *copy;
	int ret;

	if (!c || !key || (!blob && len))
		return -EINVAL;
	if (!c->enabled)
		return 0;
	if (len <= c->mem_limit) {
		copy = malloc(len ? len : 1);
		if (!copy)
			return -ENOMEM;
		if (len)
			memcpy(copy, blob, len);
		pthread_mutex_lock(&c->lock);
		ret = mem_insert(c, key, copy, len);
		pthread_mutex_unlock(&c->lock);
		if (ret) {
			free(copy);
			if (ret == -ENOMEM && !c->dir)
				return ret;
		}
	}
	if (c->dir && c->disk_state == VGPU_CACHE_DISK_RW) {
		ret = disk_put(c, key, blob ? blob : "", len);
		if (ret && ret != -E2BIG)
			stat_add(c, &c->st.disk_errors);
	}
	stat_add(c, &c->st.puts);
	return 0;
}

int vgpu_cache_remove(struct vgpu_cache *c, const uint8_t key[32])
{
	char path[PATH_MAX];
	struct entry *e;
	int found = 0;

	if (!c || !key)
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	e = *find_slot(c, key);
	if (e) {
		mem_remove(c, e);
		found = 1;
	}
	pthread_mutex_unlock(&c->lock);
	if (c->dir && c->disk_state == VGPU_CACHE_DISK_RW &&
	    !key_path(c->dir, key, path, sizeof(path), NULL, 0) && !unlink(path))
		found = 1;
	return found ? 0 : -ENOENT;
}

void vgpu_cache_stats(struct vgpu_cache *c, struct vgpu_cache_stats *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	*st = c->st;
	st->hits = st->mem_hits + st->disk_hits;
	st->mem_bytes = c->mem_bytes;
	st->mem_entries = c->nentries;
	st->mem_limit = c->enabled ? c->mem_limit : 0;
	st->disk_bytes = c->disk_bytes;
	st->disk_limit = c->dir ? c->disk_limit : 0;
	st->disk_state = c->disk_state;
	st->disk_errno = c->disk_errno;
	st->enabled = c->enabled;
	pthread_mutex_unlock(&c->lock);
}
