/* Internal helpers shared by the stages: checked growth, a string arena and a string set.
 * Every size computation here checks for overflow before it allocates. */
#ifndef DEDUP_UTIL_H
#define DEDUP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <dedup/dedup.h>

dd_status dd__grow_slow(void **buf, size_t *cap, size_t need, size_t elem);

/** Grow `*buf` (elements of `elem` bytes, capacity `*cap`) to hold at least `need` elements.
 * The check is inline, the growth in util.c: most calls find room (terms and items append
 * one element at a time, and a call each was 1.6 % of a stories run's instructions). */
static inline dd_status dd__grow(void **buf, size_t *cap, size_t need, size_t elem)
{
    return need <= *cap ? DD_OK : dd__grow_slow(buf, cap, need, elem);
}
/* An array of `cap` elements of `elem` bytes was just filled from element `from` to `to`:
 * when that crossed into a new 2 MiB step, the pages of the next step are faulted in by one
 * call (Linux's MADV_POPULATE_WRITE; nothing elsewhere) instead of one fault a page, at most
 * 2 MiB past what is used, once the array holds 16 MiB. */
void dd__populate_ahead(void *buf, size_t cap, size_t from, size_t to, size_t elem);

/** Append-only arena of NUL-terminated strings; pointers stay valid until the arena is freed. */
typedef struct dd__arena {
    struct dd__arena_block *head;
    size_t used_total;
} dd__arena;

void dd__arena_init(dd__arena *a);
void dd__arena_free(dd__arena *a);
/** Copy `len` bytes of `s` plus a NUL into the arena; NULL on out of memory. */
char *dd__arena_strndup(dd__arena *a, const char *s, size_t len);

/** Open-addressing map from strings (copied) to uint32 values. */
typedef struct dd__strmap {
    char **keys;
    uint32_t *vals;
    uint64_t *hashes;
    size_t cap, count;
    dd__arena strings;
} dd__strmap;

void dd__strmap_init(dd__strmap *m);
void dd__strmap_free(dd__strmap *m);
/** Look `key` up; on a miss insert it with `val`. `*found` says which; `*out` gets the stored value. */
dd_status dd__strmap_put(dd__strmap *m, const char *key, size_t len, uint32_t val, uint32_t *out,
                         bool *found);
/** True and `*out` set when `key` is present. */
bool dd__strmap_get(const dd__strmap *m, const char *key, size_t len, uint32_t *out);

/** murmur3's 64-bit finaliser: every input bit reaches every output bit (a bijection). */
/* The rank of N that owns a well-mixed 64-bit hash (MPI runs): its top 32 bits scaled to
 * [0, N) by a multiply (a 64-bit modulo by a variable costs more than the work it routes). */
static inline size_t dd__rank_of(uint64_t h, size_t ranks)
{
    return (size_t)((h >> 32) * (uint64_t)ranks >> 32);
}

/* ASCII classes, for scans that look only at ASCII (names, quotes). */
static inline bool dd__ascii_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static inline bool dd__ascii_alnum(char c)
{
    return dd__ascii_upper(c) || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Eight bytes at a time (SWAR): the scans for names and quotes look at every byte of every
 * text, and most bytes are none of what they look for. */
#define DD__ONES8 0x0101010101010101ULL
#define DD__HIGH8 0x8080808080808080ULL

static inline uint64_t dd__load8(const char *s)
{
    uint64_t v;

    memcpy(&v, s, sizeof v);
    return v;
}

/* Has v a zero byte? (exact: a borrow can only follow a zero byte) */
static inline bool dd__has_zero8(uint64_t v)
{
    return ((v - DD__ONES8) & ~v & DD__HIGH8) != 0;
}

/* Has v a byte in 'A'..'Z'? The high bits are masked off first so no sum carries into the
 * next byte; a byte with its high bit set is no capital. */
static inline bool dd__has_upper8(uint64_t v)
{
    uint64_t low = v & ~DD__HIGH8;
    uint64_t ge_a = low + (0x80 - 'A') * DD__ONES8, gt_z = low + (0x80 - 'Z' - 1) * DD__ONES8;

    return (ge_a & ~gt_z & ~v & DD__HIGH8) != 0;
}

static inline uint64_t dd__fmix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

/** The token hash of dd_token_hashes for one token (shingle.c). */
uint64_t dd__token_hash(const char *p, size_t len, uint64_t seed);
/** dd_token_hashes for tokens from dd_normalize, whose buffer has DD__TOKEN_PAD readable
 *  bytes after every token: each is read as 16 bytes and masked, with no copy. */
enum { DD__TOKEN_PAD = 16 };
void dd__token_hashes_padded(const dd_span *toks, size_t n, uint64_t seed, uint64_t *out);

/** Test seam (normalize_ascii.c): nonzero makes the ASCII tokenizer use its byte loop even
 *  where the 64-bytes-a-step path could run, so tests can compare the two. */
extern int dd__normalize_scalar_only;
/* Test seam: the NFKC-casefolded text split() reads for non-ASCII input (utf8proc over the
 * runs of non-ASCII bytes only), in nz's buffer. */
dd_status dd__normalize_map(dd_normalizer *nz, const char *src, size_t len, const char **out,
                            size_t *n);

/** A term hash with a weight. */
typedef struct dd__hw {
    uint64_t h;
    double w;
} dd__hw;

/** qsort comparator for dd__hw: heaviest first, ties to the smaller hash. */
int dd__cmp_hw_desc(const void *a, const void *b);

/** In-place introsorts with the comparison inlined (sort.c): ascending values; heaviest
 *  first with ties to the smaller hash (the order of dd__cmp_hw_desc); by hash alone
 *  (equal hashes in any order). */
void dd__sort_u64(uint64_t *v, size_t n);
void dd__sort_hw_desc(dd__hw *v, size_t n);
void dd__sort_hw_hash(dd__hw *v, size_t n);
/** Reorder so that v[0..k) are the k first of dd__sort_hw_desc's order, in any order. */
void dd__select_hw_desc(dd__hw *v, size_t n, size_t k);

/** Binary search of sorted arrays: the first index whose value is not below x (n when none),
 *  and whether x is there. */
size_t dd__lower_u32(const uint32_t *v, size_t n, uint32_t x);
size_t dd__lower_u64(const uint64_t *v, size_t n, uint64_t x);
bool dd__has_u32(const uint32_t *v, size_t n, uint32_t x);
bool dd__has_u64(const uint64_t *v, size_t n, uint64_t x);

/** qsort comparators for uint32_t and uint64_t. */
int dd__cmp_u32(const void *a, const void *b);
int dd__cmp_u64(const void *a, const void *b);
/** Sort and remove duplicates in place; returns the new length. */
size_t dd__sort_unique_u64(uint64_t *v, size_t n);
/* Merge the sorted distinct values b[0..nb) into the sorted distinct values (*a)[0..*na):
 * *a grows by realloc and the merge runs in place from the back, so no second array of the
 * union is made; values both held are kept once. DD_ENOMEM leaves *a and *na as they were. */
dd_status dd__merge_unique_u64(uint64_t **a, size_t *na, const uint64_t *b, size_t nb);
/* A list of pairs that grows band by band: made distinct (sorted, each once) when it has
 * grown by a quarter since it last was (*n_unique: its length then), or whenever `last` is
 * set and it is not distinct yet. A pair of near copies meets in most bands, so kept as
 * emitted the pairs of every band at once were the band stage's peak memory; each pair is
 * sorted a bounded number of times. Returns the list's new length. */
size_t dd__pairs_distinct(uint64_t *v, size_t n, size_t *n_unique, bool last);
/** The same on `threads` threads for large arrays: keys are spread over buckets by value
 *  (one pass), the buckets sorted in parallel. Same result as dd__sort_unique_u64. */
size_t dd__sort_unique_u64_mt(uint64_t *v, size_t n, size_t threads);

/** A uint64_t key with two uint32_t payloads: LSH entries, boilerplate line keys. */
typedef struct dd__kv {
    uint64_t key;
    uint32_t val, aux;
} dd__kv;

/** Stable radix sort by key (sort.c); DD_ENOMEM leaves `v` unchanged. */
dd_status dd__radix_sort_kv(dd__kv *v, size_t n);
/** The same order as dd__radix_sort_kv when records come with ascending val for equal keys
 *  (a stable sort), for uniformly distributed keys: about two passes instead of eight. */
dd_status dd__bucket_sort_kv(dd__kv *v, size_t n);

/** dd_lsh_candidates_mixed on entries (key: the mixed key, val: the document) sorted in
 *  place (lsh.c; the MPI banding's receive buffer is such entries). */
dd_status dd__lsh_pairs_inplace(const dd_lsh *lsh, dd__kv *e, size_t n, uint64_t **pairs,
                                size_t *n_pairs);
/** Radix sort of uint64_t values; DD_ENOMEM leaves `v` unchanged. */
dd_status dd__radix_sort_u64(uint64_t *v, size_t n);

/* Run fn(ctx, part, lo, hi) over [0, n) cut into `threads` contiguous ranges (fewer when n
 * is smaller), part 0 on the calling thread; returns the first status other than DD_OK.
 * Each range writes only its own slots (or part's), so results do not depend on the thread
 * count. */
#define DD__MAX_RANGE_THREADS 64
typedef dd_status (*dd__range_fn)(void *ctx, size_t part, size_t lo, size_t hi);
dd_status dd__parallel_for(size_t threads, size_t n, dd__range_fn fn, void *ctx);

/* "YYYY-MM-DD", optionally followed by "THH:MM[:SS]" or " HH:MM[:SS]", at the start of
 * the `len` bytes at s: seconds since 1970-01-01 (UTC, proleptic Gregorian) in *out. */
bool dd__parse_date(const char *s, size_t len, double *out);

/* Free `n` malloc'd strings and the array holding them (NULL is fine). */
void dd__free_strings(char **v, size_t n);

/* The look-alike class of a byte after case folding (shingle.c): what OCR confuses it with
 * (1 i l, 0 o, 5 s, e c, h b, u n, f t, g q) reads as one. */
unsigned char dd__ocr_fold(unsigned char c);

#endif
