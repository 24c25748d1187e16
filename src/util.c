/* Internal helpers: checked growth, an append-only string arena, a string->u32 map.
 * The arena hands out stable pointers so document ids and titles never move. */
#include "util.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <xxhash.h>

dd_status dd__grow_slow(void **buf, size_t *cap, size_t need, size_t elem)
{
    size_t ncap;
    void *p;

    if (need <= *cap)
        return DD_OK;
    ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return DD_ENOMEM;
        ncap *= 2;
    }
    if (elem && ncap > SIZE_MAX / elem)
        return DD_ENOMEM;
    p = realloc(*buf, ncap * elem);
    if (!p)
        return DD_ENOMEM;
    *buf = p;
    *cap = ncap;
    return DD_OK;
}

void dd__populate_ahead(void *buf, size_t cap, size_t from, size_t to, size_t elem)
{
#ifdef MADV_POPULATE_WRITE
    enum { STEP = 1 << 21, PAGE = 4096 };
    uintptr_t base = (uintptr_t)buf, lo, hi, end;

    /* Small arrays fault page by page: the 2 MiB ahead would be a tenth of a small run's
     * memory (Reuters-21578: 66 -> 78 MB) for a few milliseconds. */
    if (!buf || elem == 0 || to * elem < (size_t)16 << 20 ||
        (from * elem) / STEP == (to * elem) / STEP)
        return;
    end = base + cap * elem;
    lo = (base + to * elem + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
    hi = (base + ((to * elem) / STEP + 2) * (uintptr_t)STEP) & ~(uintptr_t)(PAGE - 1);
    hi = hi < (end & ~(uintptr_t)(PAGE - 1)) ? hi : (end & ~(uintptr_t)(PAGE - 1));
    if (lo < hi) /* a failure (an old kernel: EINVAL) only leaves the faults to come */
        (void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
#else
    (void)buf, (void)cap, (void)from, (void)to, (void)elem;
#endif
}

struct dd__arena_block {
    struct dd__arena_block *next;
    size_t cap, used;
    char data[];
};

void dd__arena_init(dd__arena *a)
{
    a->head = NULL;
    a->used_total = 0;
}

void dd__arena_free(dd__arena *a)
{
    struct dd__arena_block *b = a->head;

    while (b) {
        struct dd__arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used_total = 0;
}

char *dd__arena_strndup(dd__arena *a, const char *s, size_t len)
{
    struct dd__arena_block *b = a->head;
    char *out;

    if (len > SIZE_MAX / 2)
        return NULL;
    if (!b || b->cap - b->used < len + 1) {
        size_t cap = len + 1 > 65536 ? len + 1 : 65536;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->cap = cap;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    out = b->data + b->used;
    if (len)
        memcpy(out, s, len);
    out[len] = '\0';
    b->used += len + 1;
    a->used_total += len + 1;
    return out;
}

void dd__strmap_init(dd__strmap *m)
{
    memset(m, 0, sizeof *m);
    dd__arena_init(&m->strings);
}

void dd__strmap_free(dd__strmap *m)
{
    free(m->keys);
    free(m->vals);
    free(m->hashes);
    dd__arena_free(&m->strings);
    memset(m, 0, sizeof *m);
}

static size_t strmap_find(const dd__strmap *m, const char *key, size_t len, uint64_t h)
{
    size_t mask = m->cap - 1, i = (size_t)h & mask;

    while (m->keys[i]) {
        if (m->hashes[i] == h && strlen(m->keys[i]) == len && memcmp(m->keys[i], key, len) == 0)
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

static dd_status strmap_rehash(dd__strmap *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64, i;
    dd__strmap n = *m;

    if (ncap > SIZE_MAX / sizeof(uint64_t))
        return DD_ENOMEM;
    n.cap = ncap;
    n.keys = calloc(ncap, sizeof *n.keys);
    n.vals = calloc(ncap, sizeof *n.vals);
    n.hashes = calloc(ncap, sizeof *n.hashes);
    if (!n.keys || !n.vals || !n.hashes) {
        free(n.keys);
        free(n.vals);
        free(n.hashes);
        return DD_ENOMEM;
    }
    for (i = 0; i < m->cap; i++) {
        if (m->keys[i]) {
            size_t j = strmap_find(&n, m->keys[i], strlen(m->keys[i]), m->hashes[i]);
            n.keys[j] = m->keys[i];
            n.vals[j] = m->vals[i];
            n.hashes[j] = m->hashes[i];
        }
    }
    free(m->keys);
    free(m->vals);
    free(m->hashes);
    *m = n;
    return DD_OK;
}

dd_status dd__strmap_put(dd__strmap *m, const char *key, size_t len, uint32_t val, uint32_t *out,
                         bool *found)
{
    uint64_t h = XXH3_64bits(key, len);
    size_t i;

    if ((m->count + 1) * 2 > m->cap) {
        dd_status st = strmap_rehash(m);
        if (st != DD_OK)
            return st;
    }
    i = strmap_find(m, key, len, h);
    if (m->keys[i]) {
        *found = true;
        *out = m->vals[i];
        return DD_OK;
    }
    m->keys[i] = dd__arena_strndup(&m->strings, key, len);
    if (!m->keys[i])
        return DD_ENOMEM;
    m->vals[i] = val;
    m->hashes[i] = h;
    m->count++;
    *found = false;
    *out = val;
    return DD_OK;
}

bool dd__strmap_get(const dd__strmap *m, const char *key, size_t len, uint32_t *out)
{
    size_t i;

    if (!m->cap)
        return false;
    i = strmap_find(m, key, len, XXH3_64bits(key, len));
    if (!m->keys[i])
        return false;
    *out = m->vals[i];
    return true;
}

#define LOWER_BOUND(v, n, x)                                                                \
    do {                                                                                    \
        size_t lo_ = 0, hi_ = (n);                                                          \
        while (lo_ < hi_) {                                                                 \
            size_t mid_ = lo_ + (hi_ - lo_) / 2;                                            \
            if ((v)[mid_] < (x))                                                            \
                lo_ = mid_ + 1;                                                             \
            else                                                                            \
                hi_ = mid_;                                                                 \
        }                                                                                   \
        return lo_;                                                                         \
    } while (0)

size_t dd__lower_u32(const uint32_t *v, size_t n, uint32_t x)
{
    LOWER_BOUND(v, n, x);
}

size_t dd__lower_u64(const uint64_t *v, size_t n, uint64_t x)
{
    LOWER_BOUND(v, n, x);
}

bool dd__has_u32(const uint32_t *v, size_t n, uint32_t x)
{
    size_t i = dd__lower_u32(v, n, x);
    return i < n && v[i] == x;
}

bool dd__has_u64(const uint64_t *v, size_t n, uint64_t x)
{
    size_t i = dd__lower_u64(v, n, x);
    return i < n && v[i] == x;
}

int dd__cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int dd__cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

size_t dd__sort_unique_u64(uint64_t *v, size_t n)
{
    size_t i, j = 0;

    if (n < 2)
        return n;
    if (n < 512 || dd__radix_sort_u64(v, n) != DD_OK)
        dd__sort_u64(v, n);
    for (i = 1; i < n; i++)
        if (v[i] != v[j])
            v[++j] = v[i];
    return j + 1;
}

/* p[0..na) and b[0..nb), each sorted and distinct, merged into p (room for na + nb), sorted
 * and distinct; returns the length. From the back, so a write never passes a value of p not
 * yet read; then the values both held are closed up. */
static size_t merge_unique_into(uint64_t *p, size_t na, const uint64_t *b, size_t nb)
{
    size_t i = na, j = nb, k = na + nb, r, w;

    if (nb == 0)
        return na;
    while (j > 0)
        p[--k] = i > 0 && p[i - 1] > b[j - 1] ? p[--i] : b[--j];
    for (r = 1, w = 1; r < na + nb; r++)
        if (p[r] != p[w - 1])
            p[w++] = p[r];
    return w;
}

dd_status dd__merge_unique_u64(uint64_t **a, size_t *na, const uint64_t *b, size_t nb)
{
    size_t k = *na + nb;
    uint64_t *p;

    if (nb == 0)
        return DD_OK;
    if (k > SIZE_MAX / sizeof *p || !(p = realloc(*a, k * sizeof *p)))
        return DD_ENOMEM;
    *na = merge_unique_into(p, *na, b, nb);
    *a = p;
    return DD_OK;
}

size_t dd__pairs_distinct(uint64_t *v, size_t n, size_t *n_unique, bool last)
{
    uint64_t *tail;
    size_t nt;

    if (!(n > *n_unique + *n_unique / 4 + ((size_t)1 << 16) || (last && n != *n_unique)))
        return n;
    /* The first n_unique are sorted and distinct from last time: sort the new ones alone and
     * merge (sorting all again each time was half of the story candidates on a million
     * articles). Without memory for the tail, everything is sorted as before. */
    nt = n - *n_unique;
    tail = malloc((nt + 1) * sizeof *tail);
    if (!tail || *n_unique == 0) {
        free(tail);
        return *n_unique = dd__sort_unique_u64(v, n);
    }
    memcpy(tail, v + *n_unique, nt * sizeof *tail);
    nt = dd__sort_unique_u64(tail, nt);
    n = *n_unique = merge_unique_into(v, *n_unique, tail, nt);
    free(tail);
    return n;
}

/* Buckets of dd__sort_unique_u64_mt: keys spread by their place in [min, max]. */
#define SORT_BUCKETS 256

typedef struct bucket_job {
    uint64_t *tmp;
    const size_t *start; /* SORT_BUCKETS + 1 offsets into tmp */
    size_t *n;           /* per bucket: distinct keys, sorted at its start */
} bucket_job;

static dd_status bucket_range(void *ctx, size_t part, size_t lo, size_t hi)
{
    bucket_job *j = ctx;
    size_t b;

    (void)part; /* ranges write their own buckets */
    for (b = lo; b < hi; b++)
        j->n[b] = dd__sort_unique_u64(j->tmp + j->start[b], j->start[b + 1] - j->start[b]);
    return DD_OK;
}

/* Bit length of x. */
static unsigned bit_length(uint64_t x)
{
    unsigned n = 0;

    while (x) {
        n++;
        x >>= 1;
    }
    return n;
}

size_t dd__sort_unique_u64_mt(uint64_t *v, size_t n, size_t threads)
{
    size_t start[SORT_BUCKETS + 1], fill[SORT_BUCKETS], cnt[SORT_BUCKETS], i, b, at = 0;
    uint64_t lo = UINT64_MAX, hi = 0, *tmp;
    unsigned shift;
    bucket_job j;

    if (threads < 2 || n < 65536)
        return dd__sort_unique_u64(v, n);
    for (i = 0; i < n; i++) {
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    shift = bit_length(hi - lo) > 8 ? bit_length(hi - lo) - 8 : 0; /* (k - lo) >> shift < 256 */
    tmp = malloc(n * sizeof *tmp);
    if (!tmp)
        return dd__sort_unique_u64(v, n);
    memset(cnt, 0, sizeof cnt);
    for (i = 0; i < n; i++)
        cnt[(v[i] - lo) >> shift]++;
    for (b = 0; b < SORT_BUCKETS; b++) {
        start[b] = fill[b] = at;
        at += cnt[b];
    }
    start[SORT_BUCKETS] = at;
    for (i = 0; i < n; i++)
        tmp[fill[(v[i] - lo) >> shift]++] = v[i];
    j = (bucket_job){tmp, start, cnt};
    (void)dd__parallel_for(threads, SORT_BUCKETS, bucket_range, &j); /* cannot fail */
    for (b = 0, at = 0; b < SORT_BUCKETS; b++) { /* buckets ascend: concatenated, sorted */
        memcpy(v + at, tmp + start[b], cnt[b] * sizeof *v);
        at += cnt[b];
    }
    free(tmp);
    return at;
}

/* ---- parallel ranges ------------------------------------------------------------------- */

typedef struct range_job {
    dd__range_fn fn;
    void *ctx;
    size_t part, lo, hi;
    dd_status st;
} range_job;

static void *range_worker(void *p)
{
    range_job *j = p;

    j->st = j->fn(j->ctx, j->part, j->lo, j->hi);
    return NULL;
}

dd_status dd__parallel_for(size_t threads, size_t n, dd__range_fn fn, void *ctx)
{
    range_job job[DD__MAX_RANGE_THREADS];
    pthread_t tid[DD__MAX_RANGE_THREADS];
    bool started[DD__MAX_RANGE_THREADS] = {false};
    size_t nt = threads < 1 ? 1 : threads > DD__MAX_RANGE_THREADS ? DD__MAX_RANGE_THREADS : threads;
    size_t t;
    dd_status st = DD_OK;

    if (nt > n)
        nt = n ? n : 1;
    for (t = 0; t < nt; t++)
        job[t] = (range_job){fn, ctx, t, n * t / nt, n * (t + 1) / nt, DD_OK};
    for (t = 1; t < nt; t++)
        started[t] = pthread_create(&tid[t], NULL, range_worker, &job[t]) == 0;
    range_worker(&job[0]);
    for (t = 1; t < nt; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else /* could not start a thread: do its share here */
            range_worker(&job[t]);
    }
    for (t = 0; t < nt; t++)
        if (st == DD_OK)
            st = job[t].st;
    return st;
}

/* ---- dates ------------------------------------------------------------------------------- */

/* `n` decimal digits at `s`, or -1. */
static int digits(const char *s, int n)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

bool dd__parse_date(const char *s, size_t len, double *out)
{
    char buf[20]; /* "YYYY-MM-DDTHH:MM:SS" and a NUL: nothing past len is read */
    int y, m, d, hh = 0, mm = 0, ss = 0;

    memset(buf, 0, sizeof buf);
    memcpy(buf, s, len < sizeof buf - 1 ? len : sizeof buf - 1);
    s = buf;
    y = digits(s, 4);

    if (y < 0 || s[4] != '-' || (m = digits(s + 5, 2)) < 1 || m > 12 || s[7] != '-' ||
        (d = digits(s + 8, 2)) < 1 || d > 31)
        return false;
    if ((s[10] == 'T' || s[10] == ' ') && (hh = digits(s + 11, 2)) >= 0 && s[13] == ':' &&
        (mm = digits(s + 14, 2)) >= 0) {
        if (s[16] == ':' && (ss = digits(s + 17, 2)) < 0)
            ss = 0;
    } else {
        hh = mm = 0;
    }
    {
        struct tm t; /* the C library's calendar (timegm: UTC, no time zone applied) */
        memset(&t, 0, sizeof t);
        t.tm_year = y - 1900;
        t.tm_mon = m - 1;
        t.tm_mday = d;
        t.tm_hour = hh;
        t.tm_min = mm;
        t.tm_sec = ss;
        *out = (double)timegm(&t);
    }
    return true;
}

void dd__free_strings(char **v, size_t n)
{
    size_t i;

    for (i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

int dd__cmp_hw_desc(const void *pa, const void *pb)
{
    const dd__hw *a = pa, *b = pb;

    if (a->w != b->w)
        return a->w > b->w ? -1 : 1;
    return (a->h > b->h) - (a->h < b->h);
}
