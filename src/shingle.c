/* Shingle stage: tokens -> k-shingle hashes. Token hashes are written into `out` first and
 * combined in place: shingle i reads token hashes i..i+k-1 before it overwrites slot i, and
 * no later shingle needs slot i again, so no scratch memory is allocated. */
#include <dedup/dedup.h>

#include "util.h"

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

/* ---- OCR-robust character grams (docs/ALGORITHMS.md, "Copies through OCR noise") ------
 * The letters of the tokens, spaces left out (a word split or two words run together by OCR
 * change nothing; nor does a word hyphenated at a line end), each folded to the class of the
 * glyphs OCR confuses it with, then every run of DD_GRAM_Q of them hashed. One misread or
 * lost character breaks DD_GRAM_Q grams instead of five word shingles' worth of text, and a
 * confusion inside a class breaks none. */

/* Look-alike classes, applied after case folding: 1 i l | ! as l, 0 o as o, 5 s as s, e c as
 * c, h b as b, u n as n, f t as t, g q as q; every other byte is itself. Pairs read as one
 * glyph (rn m, vv w, cl d) are folded in dd_gram_hash. */
static const unsigned char fold[256] = {
      0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14,  15,
     16,  17,  18,  19,  20,  21,  22,  23,  24,  25,  26,  27,  28,  29,  30,  31,
     32, 108,  34,  35,  36,  37,  38,  39,  40,  41,  42,  43,  44,  45,  46,  47,
    111, 108,  50,  51,  52, 115,  54,  55,  56,  57,  58,  59,  60,  61,  62,  63,
     64,  65,  66,  67,  68,  69,  70,  71,  72,  73,  74,  75,  76,  77,  78,  79,
     80,  81,  82,  83,  84,  85,  86,  87,  88,  89,  90,  91,  92,  93,  94,  95,
     96,  97,  98,  99, 100,  99, 116, 113,  98, 108, 106, 107, 108, 109, 110, 111,
    112, 113, 114, 115, 116, 110, 118, 119, 120, 121, 122, 123, 108, 125, 126, 127,
    128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143,
    144, 145, 146, 147, 148, 149, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159,
    160, 161, 162, 163, 164, 165, 166, 167, 168, 169, 170, 171, 172, 173, 174, 175,
    176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191,
    192, 193, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207,
    208, 209, 210, 211, 212, 213, 214, 215, 216, 217, 218, 219, 220, 221, 222, 223,
    224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239,
    240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255,
};

unsigned char dd__ocr_fold(unsigned char c)
{
    return fold[c];
}

/* The second glyphs of the pairs read as one: n (rn), v (vv), l and 1 (cl). */
static const unsigned char pair_second[256] = {['n'] = 1, ['v'] = 1, ['l'] = 1, ['1'] = 1};

/* murmur3's 64-bit finaliser: every input bit reaches every output bit. */
static uint64_t fmix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

size_t dd_gram_bound(const dd_span *toks, size_t n)
{
    size_t i, b = 0;

    for (i = 0; i < n; i++)
        b += toks[i].len;
    return b;
}

/* A gram's value is its DD_GRAM_Q folded bytes (40 bits) xor the seed, times an odd
 * constant: a bijection, so distinct grams never collide, and its high bits are well mixed
 * (multiply-shift hashing, Dietzfelbinger et al. 1997): they choose the sample here and the
 * bucket and value in dd_minhash_oph. Both passes below read each byte once: the newest glyph
 * in the window is pending until the next byte, which may be the second of a pair (rare:
 * pair_second filters) and replace it; the gram ending at a glyph is made when the glyph is
 * final, so a pair across tokens is seen too. */
static uint64_t gram_value(uint64_t win, uint64_t seed)
{
    return ((win & (((uint64_t)1 << (8 * DD_GRAM_Q)) - 1)) ^ seed) * 0x9E3779B97F4A7C15ULL;
}

/* The glyph read for raw bytes a then b when they are one of the pairs OCR reads as one
 * glyph (rn m, vv w, cl and c1 d), else 0. */
static unsigned char pair_glyph(unsigned char a, unsigned char b)
{
    if (a == 'r' && b == 'n')
        return 'm';
    if (a == 'v' && b == 'v')
        return 'w';
    if (a == 'c' && (b == 'l' || b == '1'))
        return 'd';
    return 0;
}

/* gram_values with room for every gram: each byte's gram slot is written whether or not it
 * is one yet (the window fills in the first DD_GRAM_Q - 1 glyphs), and counted once it is. */
static size_t gram_values_fast(const dd_span *toks, size_t n, uint64_t seed, uint64_t *h)
{
    uint64_t win = 0;
    size_t i, j, out = 0, skip = DD_GRAM_Q;
    unsigned char prev = 0;

    for (i = 0; i < n; i++) {
        const unsigned char *p = (const unsigned char *)toks[i].ptr;
        const size_t len = toks[i].len;
        for (j = 0; j < len; j++) {
            const unsigned char c = p[j];
            unsigned char pg;
            if (pair_second[c] && (pg = pair_glyph(prev, c)) != 0) {
                win = (win & ~(uint64_t)0xFF) | pg;
                prev = 0;
                continue;
            }
            h[out] = gram_value(win, seed);
            if (skip)
                skip--;
            else
                out++;
            win = win << 8 | fold[c];
            prev = c;
        }
    }
    h[out] = gram_value(win, seed);
    return skip ? out : out + 1;
}

/* Values only (the OCR signature of every document): every gram, no tokens. */
static size_t gram_values(const dd_span *toks, size_t n, uint64_t seed, uint64_t *h, size_t cap)
{
    uint64_t win = 0;
    size_t i, j, filled = 0, out = 0;
    unsigned char prev = 0;

    if (cap > dd_gram_bound(toks, n)) /* room for every gram and one more: no test per gram */
        return gram_values_fast(toks, n, seed, h);
    for (i = 0; i < n; i++) {
        const unsigned char *p = (const unsigned char *)toks[i].ptr;
        const size_t len = toks[i].len;
        for (j = 0; j < len; j++) {
            unsigned char c = p[j], pg;
            if (pair_second[c] && (pg = pair_glyph(prev, c)) != 0) {
                win = (win & ~(uint64_t)0xFF) | pg;
                prev = 0;
                continue;
            }
            if (filled >= DD_GRAM_Q && out < cap)
                h[out++] = gram_value(win, seed);
            win = win << 8 | fold[c];
            filled++;
            prev = c;
        }
    }
    if (filled >= DD_GRAM_Q && out < cap)
        h[out++] = gram_value(win, seed);
    return out;
}

/* Values and tokens (gram sets): one gram in 2^bits, chosen by its value's top bits; ring
 * holds the token of each of the last glyphs, so a gram's is that of its first glyph. */
static size_t gram_sampled(const dd_span *toks, size_t n, uint64_t seed, unsigned bits,
                           uint64_t *h, uint32_t *tok, size_t cap)
{
    const uint64_t reject = bits ? ~(uint64_t)0 << (64 - bits) : 0; /* top bits must be 0 */
    uint64_t win = 0, x;
    uint32_t ring[8] = {0};
    size_t i, j, filled = 0, out = 0;
    unsigned char prev = 0;

    for (i = 0; i < n; i++) {
        const unsigned char *p = (const unsigned char *)toks[i].ptr;
        const size_t len = toks[i].len;
        for (j = 0; j < len; j++) {
            const unsigned char c = p[j];
            unsigned char pg;
            if (pair_second[c] && (pg = pair_glyph(prev, c)) != 0) {
                win = (win & ~(uint64_t)0xFF) | pg;
                prev = 0;
                continue;
            }
            if (filled >= DD_GRAM_Q && !((x = gram_value(win, seed)) & reject) && out < cap) {
                h[out] = x;
                tok[out++] = ring[(filled - DD_GRAM_Q) & 7];
            }
            win = win << 8 | fold[c];
            ring[filled++ & 7] = (uint32_t)i;
            prev = c;
        }
    }
    if (filled >= DD_GRAM_Q && !((x = gram_value(win, seed)) & reject) && out < cap) {
        h[out] = x;
        tok[out++] = ring[(filled - DD_GRAM_Q) & 7];
    }
    return out;
}

size_t dd_gram_hash(const dd_span *toks, size_t n, uint64_t seed, size_t sample, uint64_t *h,
                    uint32_t *tok, size_t cap)
{
    unsigned bits = 0;

    seed = fmix64(seed ^ 0x6f63726772616d73ULL);
    if (!tok)
        return gram_values(toks, n, seed, h, cap);
    while (((size_t)1 << bits) < sample && bits < 32)
        bits++;
    return gram_sampled(toks, n, seed, bits, h, tok, cap);
}
