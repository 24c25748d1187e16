/* MinHash stage. The inner loop runs over permutations for one shingle at a time, so the
 * compiler vectorizes it (8 lanes of 64-bit multiply with AVX-512, 4 with AVX2); the
 * target_clones attribute builds those variants and picks one at load time. */
#include <dedup/dedup.h>

#include <assert.h>
#include <stdlib.h>

#include "util.h"

struct dd_minhash {
    size_t num_perm;
    dd_minhash_family family;
    uint64_t *a, *b;      /* permutations: multipliers and offsets */
    uint64_t key, probe;  /* one permutation: the bin mixing key, the probe sequence's */
};

dd_minhash_opts dd_minhash_opts_default(void)
{
    dd_minhash_opts o = {128, 1, DD_MINHASH_PERMUTATIONS};
    return o;
}

/* splitmix64: a fixed, well-mixed sequence from one seed (Steele et al. 2014). */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

dd_status dd_minhash_new(const dd_minhash_opts *o, dd_minhash **out)
{
    dd_minhash *mh;
    uint64_t state;
    size_t i;

    *out = NULL;
    if (o->num_perm == 0 || o->num_perm > 4096 ||
        (o->family != DD_MINHASH_PERMUTATIONS && o->family != DD_MINHASH_ONE_PERMUTATION))
        return DD_EINVAL;
    mh = calloc(1, sizeof *mh);
    if (!mh)
        return DD_ENOMEM;
    mh->num_perm = o->num_perm;
    mh->family = o->family;
    mh->a = malloc(o->num_perm * sizeof *mh->a);
    mh->b = malloc(o->num_perm * sizeof *mh->b);
    if (!mh->a || !mh->b) {
        dd_minhash_free(mh);
        return DD_ENOMEM;
    }
    state = o->seed;
    for (i = 0; i < o->num_perm; i++) {
        mh->a[i] = splitmix64(&state) | 1;
        mh->b[i] = splitmix64(&state);
    }
    /* Drawn after the permutations, so the permutation family's values do not depend on
     * whether these exist. */
    mh->key = splitmix64(&state);
    mh->probe = splitmix64(&state);
    *out = mh;
    return DD_OK;
}

void dd_minhash_free(dd_minhash *mh)
{
    if (!mh)
        return;
    free(mh->a);
    free(mh->b);
    free(mh);
}

size_t dd_minhash_num_perm(const dd_minhash *mh)
{
    return mh->num_perm;
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(DD_NO_CLONES)
__attribute__((target_clones("default", "avx2", "arch=x86-64-v4")))
#endif
static void sign_permutations(const dd_minhash *mh, const uint64_t *hashes, size_t n,
                              uint32_t *sig)
{
    enum { BLOCK = 16 };
    const size_t p = mh->num_perm;
    const uint64_t *a = mh->a, *b = mh->b;
    size_t i, j, j0;

    /* Blocks of 16 permutations: their multipliers and running minima stay in vector
     * registers while every shingle streams past (the shingles sit in L1). Measured 9x
     * faster than one pass over all permutations per shingle, which reloads and stores
     * the whole signature for every shingle. */
    for (j0 = 0; j0 + BLOCK <= p; j0 += BLOCK) {
        uint64_t ab[BLOCK], bb[BLOCK];
        uint32_t m[BLOCK];
        for (j = 0; j < BLOCK; j++) {
            ab[j] = a[j0 + j];
            bb[j] = b[j0 + j];
            m[j] = UINT32_MAX;
        }
        for (i = 0; i < n; i++) {
            const uint64_t x = hashes[i];
            for (j = 0; j < BLOCK; j++) {
                uint32_t v = (uint32_t)((ab[j] * x + bb[j]) >> 32);
                m[j] = v < m[j] ? v : m[j];
            }
        }
        for (j = 0; j < BLOCK; j++)
            sig[j0 + j] = m[j];
    }
    for (j = j0; j < p; j++)
        sig[j] = UINT32_MAX;
    for (i = 0; i < n; i++) {
        const uint64_t x = hashes[i];
        for (j = j0; j < p; j++) {
            uint32_t v = (uint32_t)((a[j] * x + b[j]) >> 32);
            sig[j] = v < sig[j] ? v : sig[j];
        }
    }
}

/* Bin of a mixed 64-bit value among k: the top 32 bits scaled to [0, k) by a multiply
 * (Lemire's fast range), so k need not be a power of two. */
static size_t bin_of(uint64_t y, size_t k)
{
    return (size_t)(((y >> 32) * (uint64_t)k) >> 32);
}

/* One permutation hashing (Li, Owen and Zhang, NIPS 2012) with optimal densification
 * (Shrivastava, ICML 2017). Each element is mixed once: its top bits choose a bin, its low
 * 32 bits are the value, and each bin keeps its least value. An empty bin j then probes
 * a seeded sequence of bins of its own until it meets one that was filled by an element, and
 * copies that bin's value; because the probe sequence depends only on j and the seed, two
 * sets copy from the same bin whenever both have it filled, which keeps the chance that
 * position j agrees equal to the Jaccard similarity. Never copying from a bin that was
 * itself filled by copying is what makes the scheme "optimal" (the rotation scheme of 2014
 * copies from the nearest filled neighbour, so runs of empty bins agree or disagree
 * together). Cost: one mix per element, about k / filled probes per empty bin. */
static void sign_one_permutation(const dd_minhash *mh, const uint64_t *hashes, size_t n,
                                 uint32_t *sig)
{
    const size_t k = mh->num_perm;
    unsigned char filled[4096];
    size_t i, j, nfilled = 0;

    for (j = 0; j < k; j++)
        sig[j] = UINT32_MAX;
    for (i = 0; i < n; i++) {
        uint64_t y = dd__fmix64(hashes[i] ^ mh->key);
        size_t b = bin_of(y, k);
        uint32_t v = (uint32_t)y;
        v = v == UINT32_MAX ? v - 1 : v; /* UINT32_MAX marks an empty bin */
        sig[b] = v < sig[b] ? v : sig[b];
    }
    for (j = 0; j < k; j++) {
        filled[j] = sig[j] != UINT32_MAX;
        nfilled += filled[j];
    }
    if (nfilled == 0 || nfilled == k)
        return;
    for (j = 0; j < k; j++) {
        uint64_t attempt, x;
        if (filled[j])
            continue;
        /* The probe sequence: a mix of the seed and j, then Knuth's MMIX LCG, whose top bits
         * (the ones bin_of reads) are well distributed; one multiply a probe. Each probe
         * meets a filled bin with chance nfilled / k, so 64 k probes all miss with chance
         * below e^-64; the scan after them only makes the loop provably end. */
        x = dd__fmix64(mh->probe ^ (uint64_t)j * 0x9E3779B97F4A7C15ULL);
        for (attempt = 1; attempt <= 64 * (uint64_t)k; attempt++) {
            size_t c = bin_of(x, k);
            if (filled[c]) {
                sig[j] = sig[c];
                break;
            }
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        }
        for (i = 1; sig[j] == UINT32_MAX; i++)
            if (filled[(j + i) % k])
                sig[j] = sig[(j + i) % k];
    }
}

void dd_minhash_sign(const dd_minhash *mh, const uint64_t *hashes, size_t n, uint32_t *sig)
{
    if (mh->family == DD_MINHASH_ONE_PERMUTATION)
        sign_one_permutation(mh, hashes, n, sig);
    else
        sign_permutations(mh, hashes, n, sig);
}

double dd_minhash_jaccard(const uint32_t *a, const uint32_t *b, size_t num_perm)
{
    size_t i, eq = 0;

    for (i = 0; i < num_perm; i++)
        eq += a[i] == b[i];
    return num_perm ? (double)eq / (double)num_perm : 0.0;
}

void dd_minhash_oph(const uint64_t *hashes, size_t n, uint32_t *sig, size_t k)
{
    unsigned bits = 0;
    size_t i, j, first = k;

    assert(k > 0 && (k & (k - 1)) == 0 && k <= 4096);
    while (((size_t)1 << bits) < k)
        bits++;
    for (j = 0; j < k; j++)
        sig[j] = UINT32_MAX;
    if (bits == 0)
        for (i = 0; i < n; i++) {
            uint32_t v = (uint32_t)(hashes[i] >> 32);
            v -= v == UINT32_MAX; /* UINT32_MAX marks an empty bucket */
            sig[0] = v < sig[0] ? v : sig[0];
        }
    else { /* the shifts as constants of the loop: a third of the instructions */
        const unsigned bs = 64 - bits, vs = 32 - bits;
        for (i = 0; i < n; i++) {
            const size_t b = (size_t)(hashes[i] >> bs);
            uint32_t v = (uint32_t)(hashes[i] >> vs);
            v -= v == UINT32_MAX;
            /* without a branch: whether a bucket's least value changes is a coin toss */
            sig[b] ^= (sig[b] ^ v) & (0u - (uint32_t)(v < sig[b]));
        }
    }
    for (j = 0; j < k && first == k; j++)
        if (sig[j] != UINT32_MAX)
            first = j;
    if (first == k)
        return;
    /* Right to left from the first filled bucket, so each empty one sees its right
     * neighbour's final value; the distance is carried in the offset. */
    {
        uint32_t last = sig[first];
        size_t dist = 0;
        for (i = 0; i < k; i++) {
            size_t b = (first + k - i) & (k - 1); /* k is a power of two */
            if (sig[b] != UINT32_MAX && i) {
                last = sig[b];
                dist = 0;
            } else if (i) {
                dist++;
                sig[b] = last + (uint32_t)dist * 0x9E3779B1u;
            }
        }
    }
}
