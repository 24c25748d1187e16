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

/* ---- token hashes ----------------------------------------------------------------------
 * A word of up to 16 bytes (nearly every word) is two little-endian 8-byte words, the bytes
 * past its end zero, mixed with the seed and its length by two 64x64->128-bit multiplies
 * folded by xor (the "mum" of wyhash, Wang Yi 2019). Longer tokens go to XXH3. XXH3 on short
 * keys branches on their length class (1-3, 4-8, 9-16 bytes), which news words change every
 * token: it was a fifth of signing once the tokenizer ran 64 bytes a step. */
__extension__ typedef unsigned __int128 u128;

static uint64_t mum(uint64_t a, uint64_t b)
{
    u128 r = (u128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static uint64_t le64(const void *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* The bytes of a token of length len (<= 16) in the low and high word. */
static const uint64_t keep_lo[17] = {
    0, 0xFFULL, 0xFFFFULL, 0xFFFFFFULL, 0xFFFFFFFFULL, 0xFFFFFFFFFFULL, 0xFFFFFFFFFFFFULL,
    0xFFFFFFFFFFFFFFULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL};
static const uint64_t keep_hi[17] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFFULL, 0xFFFFULL, 0xFFFFFFULL, 0xFFFFFFFFULL,
    0xFFFFFFFFFFULL, 0xFFFFFFFFFFFFULL, 0xFFFFFFFFFFFFFFULL, ~0ULL};

static uint64_t hash16(uint64_t lo, uint64_t hi, size_t len, uint64_t seed)
{
    uint64_t h = mum(lo ^ 0xA0761D6478BD642FULL ^ seed, hi ^ 0xE7037ED1A0B428DBULL);
    return mum(h ^ 0x8EBC6AF09C88C6E3ULL, (uint64_t)len ^ 0x589965CC75374CC3ULL ^ seed);
}

static uint64_t le32(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
}

/* The same two words as the masked 16-byte read, reading only the token's own bytes:
 * overlapping loads from both ends (the overlap holds the same bytes). */
uint64_t dd__token_hash(const char *s, size_t len, uint64_t seed)
{
    const unsigned char *p = (const unsigned char *)s;
    uint64_t lo, hi = 0;

    if (len > 16)
        return XXH3_64bits_withSeed(s, len, seed);
    if (len >= 8) {
        lo = le64(p);
        if (len > 8)
            hi = le64(p + len - 8) >> (8 * (16 - len));
    } else if (len >= 4) {
        lo = le32(p) | le32(p + len - 4) << (8 * (len - 4));
    } else {
        lo = len ? (uint64_t)p[0] | (uint64_t)p[len / 2] << (8 * (len / 2)) |
                       (uint64_t)p[len - 1] << (8 * (len - 1))
                 : 0;
    }
    return hash16(lo, hi, len, seed);
}

void dd_token_hashes(const dd_span *toks, size_t n, uint64_t seed, uint64_t *out)
{
    size_t i;

    for (i = 0; i < n; i++)
        out[i] = dd__token_hash(toks[i].ptr, toks[i].len, seed);
}

void dd__token_hashes_padded(const dd_span *toks, size_t n, uint64_t seed, uint64_t *out)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const char *p = toks[i].ptr;
        size_t len = toks[i].len;
        out[i] = len > 16 ? XXH3_64bits_withSeed(p, len, seed)
                          : hash16(le64(p) & keep_lo[len], le64(p + 8) & keep_hi[len], len,
                                   seed);
    }
}

/* A shingle's value is the polynomial t_i P^(k-1) + ... + t_(i+k-1) (mod 2^64) over its
 * token hashes, finalised by fmix64 with a key from the seed and k. The polynomial rolls
 * from one shingle to the next (take the first token out, multiply, add the next), so a
 * shingle costs four multiplies where an XXH3 call over its k token hashes cost as much as
 * the rest of signing together. Two different token sequences collide only if their
 * difference polynomial vanishes, which for random 64-bit token hashes has chance 2^-64;
 * fmix64 is a bijection, so it adds no collisions, and it spreads the polynomial's low
 * bits (which depend only on the tokens' low bits) over the whole value. */
size_t dd_shingle_combine(uint64_t *h, size_t n, size_t k, uint64_t seed)
{
    const uint64_t P = 0x9E3779B97F4A7C15ULL; /* odd, so multiplying by it is invertible */
    uint64_t key, acc = 0, top = 1;           /* top = P^(k-1) */
    size_t i, count;

    if (n == 0)
        return 0;
    if (n < k)
        k = n;
    key = dd__fmix64(seed ^ (uint64_t)k * 0xD6E8FEB86659FD93ULL);
    count = n - k + 1;
    for (i = 0; i < k; i++) {
        acc = acc * P + h[i];
        if (i)
            top *= P;
    }
    /* In place: shingle i overwrites slot i only after reading it; the roll reads slot
     * i + k, which no shingle has written yet. */
    for (i = 0; i < count; i++) {
        uint64_t first = h[i];
        h[i] = dd__fmix64(acc ^ key);
        if (i + 1 < count)
            acc = (acc - first * top) * P + h[i + k];
    }
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

    seed = dd__fmix64(seed ^ 0x6f63726772616d73ULL);
    if (!tok)
        return gram_values(toks, n, seed, h, cap);
    while (((size_t)1 << bits) < sample && bits < 32)
        bits++;
    return gram_sampled(toks, n, seed, bits, h, tok, cap);
}
