/* Unit tests for verification: exact Jaccard and containment of sorted shingle sets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <dedup/dedup.h>

#define MAXN 8

static void test_verify_hand_made_sets(void **state)
{
    static const struct {
        uint64_t a[MAXN];
        size_t na;
        uint64_t b[MAXN];
        size_t nb;
        size_t inter;
        double jaccard, containment;
    } cases[] = {
        /* identical */
        {{1, 2, 3}, 3, {1, 2, 3}, 3, 3, 1.0, 1.0},
        /* disjoint */
        {{1, 2, 3}, 3, {4, 5, 6}, 3, 0, 0.0, 0.0},
        /* interleaved but disjoint: the merge must not skip */
        {{1, 3, 5, 7}, 4, {2, 4, 6, 8}, 4, 0, 0.0, 0.0},
        /* half overlap: |A n B| = 2, |A u B| = 6 */
        {{1, 2, 3, 4}, 4, {3, 4, 5, 6}, 4, 2, 2.0 / 6.0, 0.5},
        /* subset: B inside A, J = 2/5, containment = 2/2 */
        {{1, 2, 3, 4, 5}, 5, {2, 4}, 2, 2, 0.4, 1.0},
        /* subset the other way round gives the same scores */
        {{2, 4}, 2, {1, 2, 3, 4, 5}, 5, 2, 0.4, 1.0},
        /* one empty set scores 0 */
        {{0}, 0, {1, 2, 3}, 3, 0, 0.0, 0.0},
        {{1, 2, 3}, 3, {0}, 0, 0, 0.0, 0.0},
        /* both empty: 0, not 0/0 */
        {{0}, 0, {0}, 0, 0, 0.0, 0.0},
        /* extreme 64-bit values compare as unsigned */
        {{0, UINT64_MAX / 2, UINT64_MAX}, 3, {UINT64_MAX / 2 + 1, UINT64_MAX}, 2, 1, 0.25, 0.5},
        /* single elements */
        {{42}, 1, {42}, 1, 1, 1.0, 1.0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dd_set_score s = dd_verify_sets(cases[i].a, cases[i].na, cases[i].b, cases[i].nb);
        if (s.inter != cases[i].inter || fabs(s.jaccard - cases[i].jaccard) > 1e-12 ||
            fabs(s.containment - cases[i].containment) > 1e-12)
            fail_msg("case %zu: inter %zu jaccard %.6f containment %.6f", i, s.inter, s.jaccard,
                     s.containment);
    }
}

static void test_verify_symmetric(void **state)
{
    const uint64_t a[] = {1, 4, 9, 16, 25, 36}, b[] = {4, 8, 16, 32};
    dd_set_score ab = dd_verify_sets(a, 6, b, 4), ba = dd_verify_sets(b, 4, a, 6);

    (void)state;
    assert_int_equal(ab.inter, 2);
    assert_int_equal(ba.inter, 2);
    assert_true(ab.jaccard == ba.jaccard);
    assert_true(ab.containment == ba.containment);
    assert_true(fabs(ab.jaccard - 2.0 / 8.0) < 1e-12);
    assert_true(fabs(ab.containment - 2.0 / 4.0) < 1e-12);
}

/* ---- bound sketches ---- */

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* Two sets sharing `inter` elements, na and nb in all (distinct with overwhelming odds);
 * with `sorted`, each sorted as the pipeline's sets are; `lowbits` makes the hashes small
 * integers (no randomness of their own). */
static void make_pair(uint64_t seed, size_t na, size_t nb, size_t inter, bool lowbits,
                      uint64_t *a, uint64_t *b)
{
    size_t i;

    for (i = 0; i < na || i < nb; i++) {
        uint64_t x = lowbits ? seed * 100000 + i : splitmix(&seed);
        uint64_t y = lowbits ? seed * 100000 + 50000 + i : splitmix(&seed);
        if (i < na)
            a[i] = x;
        if (i < nb)
            b[i] = i < inter ? x : y;
    }
}

/* |A n B| and a lower bound: what the sketch must not undercut or exceed. */
static size_t exact_inter(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    uint64_t *x = malloc((na + 1) * sizeof *x), *y = malloc((nb + 1) * sizeof *y);
    size_t r;

    memcpy(x, a, na * sizeof *x);
    memcpy(y, b, nb * sizeof *y);
    qsort(x, na, sizeof *x, cmp_u64);
    qsort(y, nb, sizeof *y, cmp_u64);
    r = dd_verify_sets(x, na, y, nb).inter;
    free(x);
    free(y);
    return r;
}

static uint8_t *sketch(const uint64_t *h, size_t n, unsigned bits)
{
    uint8_t *s = malloc(dd_sketch_bound(n, bits, 0));
    size_t bytes = dd_sketch_make(h, n, bits, 0, s);

    assert_int_equal(bytes, dd_sketch_size(s));
    assert_true(bytes <= dd_sketch_bound(n, bits, 0));
    assert_int_equal(dd_sketch_values(s), n);
    return s;
}

static size_t sk_inter(const uint8_t *a, const uint8_t *b)
{
    return dd_sketch_inter(a, b);
}

/* The bounds hold for every size, overlap, low-bit count and hash shape: the sketch's
 * intersection is never below |A n B|, its count never above the set size (and 0 only for
 * an empty set), in both orders, and a sketch meets itself in all its values. */
static void test_verify_sketch_bounds_hold(void **state)
{
    static const size_t sizes[][3] = {{0, 0, 0},     {0, 5, 0},      {1, 1, 1},
                                      {1, 1, 0},     {2, 3, 2},      {17, 40, 9},
                                      {100, 400, 50}, {400, 400, 40}, {400, 400, 390},
                                      {5000, 60, 60}, {3000, 3000, 0}, {1000, 200, 150}};
    static uint64_t a[5000], b[5000];
    size_t i;
    unsigned bits;

    (void)state;
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (bits = 1; bits <= 8; bits++)
            for (int shape = 0; shape < 2; shape++) {
                size_t na = sizes[i][0], nb = sizes[i][1], in = sizes[i][2], ex;
                uint8_t *sa, *sb;
                make_pair(i * 16 + bits, na, nb, in, shape == 1, a, b);
                ex = exact_inter(a, na, b, nb);
                sa = sketch(a, na, bits);
                sb = sketch(b, nb, bits);
                if (sk_inter(sa, sb) < ex || sk_inter(sb, sa) < ex)
                    fail_msg("sizes %zu: bits %u: bound %zu under %zu", i, bits,
                             sk_inter(sa, sb), ex);
                assert_true(dd_sketch_count(sa) <= na && dd_sketch_count(sb) <= nb);
                assert_true((dd_sketch_count(sa) == 0) == (na == 0));
                assert_int_equal(sk_inter(sa, sa), na);
                free(sa);
                free(sb);
            }
}

/* Repeats in the input (shingles in text order) only loosen the bounds: the count stays at
 * most the number of distinct hashes. */
static void test_verify_sketch_repeats(void **state)
{
    uint64_t a[300], b[100], seed = 7;
    size_t i;
    uint8_t *sa, *sb;

    (void)state;
    for (i = 0; i < 100; i++)
        b[i] = a[i] = a[i + 100] = a[i + 200] = splitmix(&seed); /* each three times in a */
    sa = sketch(a, 300, 3);
    sb = sketch(b, 100, 3);
    assert_true(dd_sketch_count(sa) <= 100);
    assert_true(sk_inter(sa, sb) >= 100);
    free(sa);
    free(sb);
}

/* A subset's sketch fits where its superset's was (the boilerplate pass rewrites a stripped
 * set's sketch in place): dd_sketch_bound never decreases with n. */
static void test_verify_sketch_bound_monotone(void **state)
{
    unsigned bits;
    size_t n;

    (void)state;
    for (bits = 1; bits <= 8; bits++)
        for (n = 1; n < 20000; n++)
            assert_true(dd_sketch_bound(n - 1, bits, 0) <= dd_sketch_bound(n, bits, 0) &&
                        dd_sketch_bound(n - 1, bits, 11) <= dd_sketch_bound(n, bits, 11));
}

/* Tight enough to be useful: two sets of 400 sharing 40, at 3 low bits, get bitmaps of
 * 2^(floor(log2 400) + 3) = 2048 bits. The 360 unshared elements of each set light about
 * 2048 (1 - e^(-360/2048)) = 330 bits, so about 2048 * 0.161^2 = 53 bits are lit in both by
 * chance; each set hides about 400 - 2048 (1 - e^(-400/2048)) = 37 elements behind another's
 * bit, the smaller of two such counts about 33. So the bound is about 40 + 53 + 33 = 126 (a
 * little less where chance bits fall on shared ones), sd about 8 a pair; the mean of 20 lies
 * within 124 +- 8 (4 sd of a mean of 20), and each pair stays far under the 200 that half
 * containment would need. */
static void test_verify_sketch_tight(void **state)
{
    static uint64_t a[400], b[400];
    double sum = 0;
    int t;

    (void)state;
    for (t = 0; t < 20; t++) {
        uint8_t *sa, *sb;
        size_t u;
        make_pair(1000 + (uint64_t)t, 400, 400, 40, false, a, b);
        sa = sketch(a, 400, 3);
        sb = sketch(b, 400, 3);
        u = sk_inter(sa, sb);
        assert_in_range(u, 40, 170);
        sum += (double)u;
        free(sa);
        free(sb);
    }
    assert_in_range((uint64_t)(sum / 20 + 0.5), 124 - 8, 124 + 8);
}

/* Sets of unlike sizes meet at the smaller width, where the larger is dense: 100 shingles in
 * 256 bits (floor(log2 100) + 2) against 700 folded to 256 bits (93% of them lit) bound 20
 * shared ones at about 20 + 80 * 0.93 = 95, over the 50 that half containment of the smaller
 * needs. With a width of at least 11 both have 2048 bits: about 2048 * (1 - e^(-80/2048)) *
 * (1 - e^(-680/2048)) = 22 bits lit by chance, 2 hidden: about 44, under 50. Means of 20
 * pairs (sd about 5 a pair). */
static void test_verify_sketch_min_width(void **state)
{
    static uint64_t a[100], b[700];
    double narrow = 0, wide = 0;
    int t;

    (void)state;
    for (t = 0; t < 20; t++) {
        uint8_t *s[4];
        make_pair(500 + (uint64_t)t, 100, 700, 20, false, a, b);
        for (int k = 0; k < 2; k++) {
            unsigned mw = k ? 11 : 0;
            s[2 * k] = malloc(dd_sketch_bound(100, 2, mw));
            s[2 * k + 1] = malloc(dd_sketch_bound(700, 2, mw));
            dd_sketch_make(a, 100, 2, mw, s[2 * k]);
            dd_sketch_make(b, 700, 2, mw, s[2 * k + 1]);
        }
        narrow += (double)dd_sketch_inter(s[0], s[1]);
        wide += (double)dd_sketch_inter(s[2], s[3]);
        assert_true(dd_sketch_inter(s[2], s[3]) >= 20);
        for (int k = 0; k < 4; k++)
            free(s[k]);
    }
    assert_in_range((uint64_t)(narrow / 20 + 0.5), 80, 110);
    assert_in_range((uint64_t)(wide / 20 + 0.5), 38, 49);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_hand_made_sets),
        cmocka_unit_test(test_verify_symmetric),
        cmocka_unit_test(test_verify_sketch_bounds_hold),
        cmocka_unit_test(test_verify_sketch_repeats),
        cmocka_unit_test(test_verify_sketch_bound_monotone),
        cmocka_unit_test(test_verify_sketch_tight),
        cmocka_unit_test(test_verify_sketch_min_width),
    };
    return cmocka_run_group_tests_name("verify", tests, NULL, NULL);
}
