/* Internal sorts for the large arrays of the pipeline: LSD radix sort, 8-bit digits, stable.
 * Keys are uint64_t; a digit that is the same in every key costs no pass. glibc's qsort
 * (a merge sort through a comparator call) took a third of a run on Reuters-21578; these
 * take a few per cent (docs/performance.md). */
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* counts[d][v]: how many keys have value v in digit d. */
static void histogram(const void *base, size_t stride, size_t n, size_t (*counts)[256])
{
    const unsigned char *p = base;
    size_t i, d;

    memset(counts, 0, 8 * sizeof *counts);
    for (i = 0; i < n; i++, p += stride) {
        uint64_t k;
        memcpy(&k, p, sizeof k);
        for (d = 0; d < 8; d++)
            counts[d][(k >> (8 * d)) & 0xff]++;
    }
}

/* Turn counts into start offsets; false when every key shares this digit (pass skipped). */
static bool offsets(size_t *c, size_t n)
{
    size_t v, sum = 0;

    for (v = 0; v < 256; v++) {
        size_t t = c[v];
        if (t == n)
            return false;
        c[v] = sum;
        sum += t;
    }
    return true;
}

/* Sort n records of `stride` bytes whose first 8 bytes are a uint64_t key; stable. */
static dd_status radix(void *base, size_t stride, size_t n)
{
    size_t (*counts)[256] = NULL;
    unsigned char *tmp = NULL, *src = base, *dst;
    size_t d, i;

    if (n < 2)
        return DD_OK;
    if (n > SIZE_MAX / stride)
        return DD_ENOMEM;
    counts = malloc(8 * sizeof *counts);
    tmp = malloc(n * stride);
    if (!counts || !tmp) {
        free(counts);
        free(tmp);
        return DD_ENOMEM;
    }
    dst = tmp;
    histogram(base, stride, n, counts);
    for (d = 0; d < 8; d++) {
        const unsigned char *p = src;
        unsigned char *t;
        if (!offsets(counts[d], n))
            continue;
        for (i = 0; i < n; i++, p += stride) {
            uint64_t k;
            memcpy(&k, p, sizeof k);
            memcpy(dst + stride * counts[d][(k >> (8 * d)) & 0xff]++, p, stride);
        }
        t = src;
        src = dst;
        dst = t;
    }
    if (src != (unsigned char *)base)
        memcpy(base, src, n * stride);
    free(counts);
    free(tmp);
    return DD_OK;
}

dd_status dd__radix_sort_kv(dd__kv *v, size_t n)
{
    return radix(v, sizeof *v, n);
}

dd_status dd__radix_sort_u64(uint64_t *v, size_t n)
{
    return radix(v, sizeof *v, n);
}

static bool kv_less(const dd__kv *a, const dd__kv *b)
{
    return a->key < b->key || (a->key == b->key && a->val < b->val);
}

/* Insertion sort by (key, val): buckets hold one or two keys on average. */
static void insertion_kv(dd__kv *v, size_t n)
{
    size_t i, j;

    for (i = 1; i < n; i++) {
        dd__kv t = v[i];
        for (j = i; j > 0 && kv_less(&t, &v[j - 1]); j--)
            v[j] = v[j - 1];
        v[j] = t;
    }
}

/* Uniform keys: a counting pass on the top bits (about two keys per bucket), then each bucket
 * finished by (key, val). Two passes over the records instead of radix's eight: LSH band keys
 * are XXH3 values. A bucket of more than 64 records of different keys (not expected of a
 * hash) is finished by the radix sort instead. */
dd_status dd__bucket_sort_kv(dd__kv *v, size_t n)
{
    unsigned bits = 1;
    size_t i, nb, sum = 0;
    uint32_t *count;
    dd__kv *tmp;

    if (n < 2)
        return DD_OK;
    if (n > UINT32_MAX || n > SIZE_MAX / sizeof *tmp)
        return dd__radix_sort_kv(v, n);
    while (bits < 24 && ((size_t)1 << bits) < n / 2)
        bits++;
    nb = (size_t)1 << bits;
    count = calloc(nb + 1, sizeof *count);
    tmp = malloc(n * sizeof *tmp);
    if (!count || !tmp) {
        free(count);
        free(tmp);
        return DD_ENOMEM;
    }
    for (i = 0; i < n; i++)
        count[(v[i].key >> (64 - bits)) + 1]++;
    for (i = 0; i <= nb; i++)
        count[i] = (uint32_t)(sum += count[i]);
    for (i = 0; i < n; i++)
        tmp[count[v[i].key >> (64 - bits)]++] = v[i];
    memcpy(v, tmp, n * sizeof *v);
    free(tmp);
    /* count[b] is now the end of bucket b, where bucket b + 1 starts. */
    for (i = 0, sum = 0; i < nb; sum = count[i++]) {
        size_t m = count[i] - sum;
        if (m > 64 && v[sum].key != v[sum + m - 1].key) {
            if (dd__radix_sort_kv(v + sum, m) != DD_OK) {
                free(count);
                return DD_ENOMEM;
            }
        } else if (m > 1)
            insertion_kv(v + sum, m);
    }
    free(count);
    return DD_OK;
}

/* ---- In-place comparison sorts with the comparison inlined ------------------------------
 * glibc's qsort is a merge sort that calls its comparator through a pointer: on the story
 * stage's many small arrays (a document's terms, its heaviest terms) it was a seventh of the
 * run. These are introsorts (Musser 1997): quicksort with a median-of-three pivot, insertion
 * sort under 16 elements, heapsort when the depth passes 2 log2 n, so never quadratic. Not
 * stable; the orders they are used for are total, so the result is the one qsort gave. */
#define DD_SORT_DEFINE(name, type, less)                                                    \
    static void name##_insertion(type *v, size_t n)                                          \
    {                                                                                        \
        size_t i, j;                                                                         \
        for (i = 1; i < n; i++) {                                                            \
            type t = v[i];                                                                   \
            for (j = i; j > 0 && less(&t, &v[j - 1]); j--)                                   \
                v[j] = v[j - 1];                                                             \
            v[j] = t;                                                                        \
        }                                                                                    \
    }                                                                                        \
    static void name##_sift(type *v, size_t root, size_t n)                                  \
    {                                                                                        \
        type t = v[root];                                                                    \
        size_t c;                                                                            \
        while ((c = 2 * root + 1) < n) {                                                     \
            if (c + 1 < n && less(&v[c], &v[c + 1]))                                         \
                c++;                                                                         \
            if (!less(&t, &v[c]))                                                            \
                break;                                                                       \
            v[root] = v[c];                                                                  \
            root = c;                                                                        \
        }                                                                                    \
        v[root] = t;                                                                         \
    }                                                                                        \
    static void name##_heap(type *v, size_t n)                                               \
    {                                                                                        \
        size_t i;                                                                            \
        for (i = n / 2; i-- > 0;)                                                            \
            name##_sift(v, i, n);                                                            \
        for (i = n; i-- > 1;) {                                                              \
            type t = v[0];                                                                   \
            v[0] = v[i];                                                                     \
            v[i] = t;                                                                        \
            name##_sift(v, 0, i);                                                            \
        }                                                                                    \
    }                                                                                        \
    static void name##_intro(type *v, size_t n, unsigned depth)                              \
    {                                                                                        \
        while (n > 16) {                                                                     \
            type *a = &v[0], *m = &v[n / 2], *z = &v[n - 1], p, t;                           \
            size_t i = 0, j = n - 1;                                                         \
            if (depth-- == 0) {                                                              \
                name##_heap(v, n);                                                           \
                return;                                                                      \
            }                                                                                \
            /* the median of three as pivot, by value */                                    \
            if (less(m, a)) { t = *m; *m = *a; *a = t; }                                     \
            if (less(z, m)) { t = *z; *z = *m; *m = t; }                                     \
            if (less(m, a)) { t = *m; *m = *a; *a = t; }                                     \
            p = *m;                                                                          \
            for (;;) { /* Hoare partition: v[0..j] <= p <= v[j+1..n) */                     \
                while (less(&v[i], &p))                                                      \
                    i++;                                                                     \
                while (less(&p, &v[j]))                                                      \
                    j--;                                                                     \
                if (i >= j)                                                                  \
                    break;                                                                   \
                t = v[i];                                                                    \
                v[i++] = v[j];                                                               \
                v[j--] = t;                                                                  \
            }                                                                                \
            /* recurse into the smaller side, loop on the larger: O(log n) stack */         \
            if (j + 1 < n - j - 1) {                                                         \
                name##_intro(v, j + 1, depth);                                               \
                v += j + 1;                                                                  \
                n -= j + 1;                                                                  \
            } else {                                                                         \
                name##_intro(v + j + 1, n - j - 1, depth);                                   \
                n = j + 1;                                                                   \
            }                                                                                \
        }                                                                                    \
        name##_insertion(v, n);                                                              \
    }                                                                                        \
    void name(type *v, size_t n)                                                             \
    {                                                                                        \
        unsigned depth = 0;                                                                  \
        size_t m;                                                                            \
        for (m = n; m > 1; m >>= 1)                                                          \
            depth += 2;                                                                      \
        name##_intro(v, n, depth);                                                           \
    }

static inline bool u64_less(const uint64_t *a, const uint64_t *b)
{
    return *a < *b;
}

static inline bool hw_desc_less(const dd__hw *a, const dd__hw *b)
{
    return a->w > b->w || (a->w == b->w && a->h < b->h);
}

static inline bool hw_hash_less(const dd__hw *a, const dd__hw *b)
{
    return a->h < b->h;
}

DD_SORT_DEFINE(dd__sort_u64, uint64_t, u64_less)
DD_SORT_DEFINE(dd__sort_hw_desc, dd__hw, hw_desc_less)
DD_SORT_DEFINE(dd__sort_hw_hash, dd__hw, hw_hash_less)

/* Quickselect (Hoare 1961) with the introsort's partition: only the side holding the k-th
 * place is partitioned further, so the cost is O(n) on average; small or too-deep ranges are
 * finished by the full sort. */
void dd__select_hw_desc(dd__hw *v, size_t n, size_t k)
{
    unsigned depth = 0;
    size_t m;

    for (m = n; m > 1; m >>= 1)
        depth += 2;
    while (n > 16 && k > 0 && k < n) {
        dd__hw *a = &v[0], *mid = &v[n / 2], *z = &v[n - 1], p, t;
        size_t i = 0, j = n - 1;
        if (depth-- == 0)
            break;
        if (hw_desc_less(mid, a)) { t = *mid; *mid = *a; *a = t; }
        if (hw_desc_less(z, mid)) { t = *z; *z = *mid; *mid = t; }
        if (hw_desc_less(mid, a)) { t = *mid; *mid = *a; *a = t; }
        p = *mid;
        for (;;) {
            while (hw_desc_less(&v[i], &p))
                i++;
            while (hw_desc_less(&p, &v[j]))
                j--;
            if (i >= j)
                break;
            t = v[i];
            v[i++] = v[j];
            v[j--] = t;
        }
        if (k <= j + 1) {
            n = j + 1;
        } else {
            v += j + 1;
            n -= j + 1;
            k -= j + 1;
        }
    }
    if (k > 0 && k < n)
        dd__sort_hw_desc(v, n);
}
