/* Verification stage: one linear merge over two sorted sets gives the intersection, from
 * which Jaccard and containment follow exactly. */
#include <dedup/dedup.h>

#include <stdbool.h>
#include <string.h>

dd_set_score dd_verify_sets(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    dd_set_score s = {0, 0.0, 0.0};
    size_t i = 0, j = 0;

    while (i < na && j < nb) {
        if (a[i] < b[j])
            i++;
        else if (a[i] > b[j])
            j++;
        else {
            s.inter++;
            i++;
            j++;
        }
    }
    if (na && nb) {
        s.jaccard = (double)s.inter / (double)(na + nb - s.inter);
        s.containment = (double)s.inter / (double)(na < nb ? na : nb);
    }
    return s;
}

/* ---- bound sketches ---------------------------------------------------------------------
 * Layout: m (u32 LE: hashes), d (u32 LE: bits set), w (u8), then 2^w bits, bit i of the
 * bitmap in byte i / 8 at bit i % 8. Bit of x at width c: the low c bits of the upper half of
 * x * phi (phi odd: uniform bits also for the OCR grams, whose own top bits sampled them), so
 * narrowing a bitmap ORs its 2^c-bit segments together: whole 64-bit words for c >= 6. */

enum { MIN_WIDTH = 6, MAX_WIDTH = 30 };

static unsigned sketch_width(size_t n, unsigned low_bits, unsigned min_width)
{
    unsigned w = 0;

    while (w < MAX_WIDTH && ((size_t)2 << w) <= n) /* floor(log2 n) */
        w++;
    w += low_bits < 1 ? 1 : low_bits > 8 ? 8 : low_bits;
    w = w < min_width ? min_width : w;
    return w < MIN_WIDTH ? MIN_WIDTH : w > MAX_WIDTH ? MAX_WIDTH : w;
}

size_t dd_sketch_bound(size_t n, unsigned low_bits, unsigned min_width)
{
    return DD_SKETCH_HEADER + ((size_t)1 << sketch_width(n, low_bits, min_width)) / 8;
}

static void put32(uint8_t *p, size_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static size_t get32(const uint8_t *p)
{
    return (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
}

size_t dd_sketch_make(const uint64_t *h, size_t n, unsigned low_bits, unsigned min_width,
                      uint8_t *out)
{
    unsigned w = sketch_width(n, low_bits, min_width);
    size_t bytes = DD_SKETCH_HEADER + ((size_t)1 << w) / 8, i, d = 0;
    uint8_t *bm = out + DD_SKETCH_HEADER;
    uint32_t mask = (uint32_t)(((size_t)1 << w) - 1);

    memset(out, 0, bytes);
    for (i = 0; i < n; i++) { /* bits set, counted as they are set: no popcount pass */
        uint32_t b = (uint32_t)((h[i] * 0x9E3779B97F4A7C15ULL) >> 32) & mask;
        uint8_t bit = (uint8_t)(1u << (b % 8));
        d += !(bm[b / 8] & bit);
        bm[b / 8] |= bit;
    }
    put32(out, n);
    put32(out + 4, d);
    out[8] = (uint8_t)w;
    return bytes;
}

size_t dd_sketch_size(const uint8_t *s)
{
    return DD_SKETCH_HEADER + ((size_t)1 << s[8]) / 8;
}

size_t dd_sketch_values(const uint8_t *s)
{
    return get32(s);
}

size_t dd_sketch_count(const uint8_t *s)
{
    return get32(s + 4);
}

/* Word i of the bitmap at s folded to 2^c bits (c >= 6): the OR of its words congruent to
 * i mod 2^(c-6). Words are read byte by byte: sketches sit unaligned in one arena. */
static inline uint64_t folded_word(const uint8_t *s, unsigned c, size_t i)
{
    const uint8_t *bm = s + DD_SKETCH_HEADER;
    size_t words = ((size_t)1 << s[8]) / 64, step = ((size_t)1 << c) / 64, k;
    uint64_t x = 0;

    for (k = i; k < words; k += step) {
        uint64_t v;
        memcpy(&v, bm + 8 * k, 8); /* little-endian hosts: bit j of the word is bit 64k + j */
        x |= v;
    }
    return x;
}

/* Called once per candidate pair with a document that is read again (millions on a large
 * corpus): the popcnt clone counts a word in one instruction, the default one in a dozen. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(DD_NO_CLONES)
__attribute__((target_clones("default", "popcnt")))
#endif
size_t dd_sketch_inter(const uint8_t *a, const uint8_t *b)
{
    unsigned c = a[8] < b[8] ? a[8] : b[8];
    size_t words = ((size_t)1 << c) / 64, i, both = 0, da = 0, db = 0, ea, eb;

    for (i = 0; i < words; i++) {
        uint64_t x = folded_word(a, c, i), y = folded_word(b, c, i);
        both += (size_t)__builtin_popcountll(x & y);
        da += (size_t)__builtin_popcountll(x);
        db += (size_t)__builtin_popcountll(y);
    }
    /* elements hidden behind another's bit, at this width */
    ea = get32(a) - da;
    eb = get32(b) - db;
    return both + (ea < eb ? ea : eb);
}
