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
 * Layout: m (u32 LE: values), n_lo (u32 LE: distinct values), h (u8: high bits), l (u8: low
 * bits), then the m low parts packed l bits each, LSB first, then the high parts in unary:
 * value i sets bit (v_i >> l) + i of an m + 2^h bit array. h = floor(log2 m), so that array
 * has at most 2m bits; b = h + l <= 32. */

static unsigned floor_log2(size_t n)
{
    unsigned r = 0;

    while (n >>= 1)
        r++;
    return r;
}

static void sketch_shape(size_t n, unsigned low_bits, unsigned *h, unsigned *l)
{
    *h = n ? floor_log2(n) : 0;
    if (*h > 31)
        *h = 31;
    *l = low_bits < 1 ? 1 : low_bits > 8 ? 8 : low_bits;
    if (*h + *l > 32)
        *l = 32 - *h;
}

static size_t shape_bytes(size_t n, unsigned h, unsigned l)
{
    return DD_SKETCH_HEADER + (n * l + 7) / 8 + (n + ((size_t)1 << h) + 7) / 8;
}

size_t dd_sketch_bound(size_t n, unsigned low_bits)
{
    unsigned h, l;

    sketch_shape(n, low_bits, &h, &l);
    return shape_bytes(n, h, l);
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

static uint32_t sketch_value(uint64_t h, unsigned b)
{
    /* A multiply by an odd constant, then the top b bits: uniform also for hashes whose own
     * top bits were used to sample them (the OCR grams). */
    return (uint32_t)((h * 0x9E3779B97F4A7C15ULL) >> (64 - b));
}

/* The n values of h, sorted into v: a counting pass on their high bits (2^hb <= n buckets,
 * counted in cnt, 2^hb + 1 slots), then an insertion sort inside each bucket (about one
 * value each). */
static void sketch_sort(const uint64_t *h, size_t n, unsigned hb, unsigned l, uint32_t *v,
                        uint32_t *cnt)
{
    size_t nb = (size_t)1 << hb, i, k;
    unsigned b = hb + l;

    memset(cnt, 0, (nb + 1) * sizeof *cnt);
    for (i = 0; i < n; i++)
        cnt[(sketch_value(h[i], b) >> l) + 1]++;
    for (k = 1; k <= nb; k++)
        cnt[k] += cnt[k - 1];
    for (i = 0; i < n; i++) {
        uint32_t x = sketch_value(h[i], b);
        v[cnt[x >> l]++] = x;
    }
    /* cnt[k] is now the end of bucket k */
    for (k = 0, i = 0; k < nb; i = cnt[k++])
        for (size_t j = i + 1; j < cnt[k]; j++) {
            uint32_t x = v[j];
            size_t t = j;
            for (; t > i && v[t - 1] > x; t--)
                v[t] = v[t - 1];
            v[t] = x;
        }
}

size_t dd_sketch_make(const uint64_t *h, size_t n, unsigned low_bits, uint32_t *scratch,
                      uint8_t *out)
{
    unsigned hb, l;
    size_t i, distinct = 0, bytes;
    uint32_t *v = scratch;
    uint8_t *lo, *hi;

    sketch_shape(n, low_bits, &hb, &l);
    bytes = shape_bytes(n, hb, l);
    memset(out, 0, bytes);
    sketch_sort(h, n, hb, l, v, scratch + n);
    for (i = 0; i < n; i++)
        distinct += i == 0 || v[i] != v[i - 1];
    put32(out, n);
    put32(out + 4, distinct);
    out[8] = (uint8_t)hb;
    out[9] = (uint8_t)l;
    lo = out + DD_SKETCH_HEADER;
    hi = lo + (n * l + 7) / 8;
    for (i = 0; i < n; i++) {
        uint32_t low = v[i] & ((1u << l) - 1);
        size_t bit = i * l, p = (v[i] >> l) + i;
        lo[bit / 8] |= (uint8_t)(low << (bit % 8));
        if (bit % 8 + l > 8)
            lo[bit / 8 + 1] |= (uint8_t)(low >> (8 - bit % 8));
        hi[p / 8] |= (uint8_t)(1u << (p % 8));
    }
    return bytes;
}

size_t dd_sketch_size(const uint8_t *s)
{
    return shape_bytes(get32(s), s[8], s[9]);
}

size_t dd_sketch_values(const uint8_t *s)
{
    return get32(s);
}

size_t dd_sketch_count(const uint8_t *s)
{
    return get32(s + 4);
}

unsigned dd_sketch_bits(const uint8_t *s)
{
    return (unsigned)s[8] + s[9];
}

size_t dd_sketch_decode(const uint8_t *s, uint32_t *out)
{
    size_t m = get32(s), i = 0, byte, nbytes;
    unsigned h = s[8], l = s[9];
    uint32_t mask = (1u << l) - 1;
    const uint8_t *lo = s + DD_SKETCH_HEADER, *hi = lo + (m * l + 7) / 8;

    nbytes = (m + ((size_t)1 << h) + 7) / 8;
    for (byte = 0; byte < nbytes && i < m; byte++) {
        unsigned x = hi[byte];
        while (x) {
            size_t p = byte * 8 + (size_t)__builtin_ctz(x), bit = i * l;
            uint32_t low = (uint32_t)(lo[bit / 8] >> (bit % 8));
            if (bit % 8 + l > 8)
                low |= (uint32_t)lo[bit / 8 + 1] << (8 - bit % 8);
            out[i] = ((uint32_t)(p - i) << l) | (low & mask);
            i++;
            x &= x - 1;
        }
    }
    return i;
}

/* The merge; with early, it stops once "c >= need" is settled either way. */
static size_t meet(const uint32_t *x, size_t nx, unsigned sx, const uint32_t *y, size_t ny,
                   unsigned sy, size_t need, bool early)
{
    size_t i = 0, j = 0, c = 0, step = 0;

    while (i < nx && j < ny) {
        uint32_t u = x[i] >> sx, v = y[j] >> sy;
        if (early && (++step & 31) == 0) {
            size_t rest = nx - i < ny - j ? nx - i : ny - j;
            if (c >= need || c + rest < need)
                return c >= need ? c : c + rest;
        }
        c += u == v;
        i += u <= v;
        j += v <= u;
    }
    return c;
}

size_t dd_sketch_meet(const uint32_t *x, size_t nx, unsigned sx, const uint32_t *y, size_t ny,
                      unsigned sy, size_t need)
{
    return meet(x, nx, sx, y, ny, sy, need, true);
}

size_t dd_sketch_inter(const uint8_t *a, const uint8_t *b, uint32_t *scratch)
{
    unsigned ba = dd_sketch_bits(a), bb = dd_sketch_bits(b), bits = ba < bb ? ba : bb;
    size_t na = dd_sketch_decode(a, scratch), nb = dd_sketch_decode(b, scratch + na);

    return meet(scratch, na, ba - bits, scratch + na, nb, bb - bits, 0, false);
}
