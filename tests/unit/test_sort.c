/* The pipeline's inlined introsorts (src/sort.c) against qsort with the comparators they
 * replace, on the inputs that break naive quicksorts: sorted, reversed, all equal, few
 * distinct values, organ pipes, and random arrays of every size around the cut-offs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/util.h"

enum { MAXN = 5000 };

static uint64_t rng(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Pattern p of n values; `distinct` bounds how many different values appear. */
static uint64_t value(int p, size_t i, size_t n, uint64_t *s)
{
    switch (p) {
    case 0: return rng(s);
    case 1: return i;                              /* sorted */
    case 2: return n - i;                          /* reversed */
    case 3: return 7;                              /* all equal */
    case 4: return rng(s) % 3;                     /* few distinct */
    default: return i < n / 2 ? i : n - i;         /* organ pipe */
    }
}

static const size_t sizes[] = {0, 1, 2, 3, 15, 16, 17, 33, 100, 1000, MAXN};

static void test_sort_u64_matches_qsort(void **state)
{
    uint64_t *a = malloc(MAXN * sizeof *a), *b = malloc(MAXN * sizeof *b), s = 1;
    size_t i, k;
    int p;

    (void)state;
    for (p = 0; p < 6; p++)
        for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            size_t n = sizes[k];
            for (i = 0; i < n; i++)
                a[i] = b[i] = value(p, i, n, &s);
            dd__sort_u64(a, n);
            if (n)
                qsort(b, n, sizeof *b, dd__cmp_u64);
            assert_true(n == 0 || memcmp(a, b, n * sizeof *a) == 0);
        }
    free(a);
    free(b);
}

static void test_sort_hw_desc_matches_qsort(void **state)
{
    dd__hw *a = malloc(MAXN * sizeof *a), *b = malloc(MAXN * sizeof *b);
    uint64_t s = 2;
    size_t i, k;
    int p;

    (void)state;
    for (p = 0; p < 6; p++)
        for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            size_t n = sizes[k];
            for (i = 0; i < n; i++) { /* distinct hashes, weights in the pattern */
                a[i].h = rng(&s);
                a[i].w = (double)value(p, i, n, &s) / 8.0;
                b[i] = a[i];
            }
            dd__sort_hw_desc(a, n);
            if (n)
                qsort(b, n, sizeof *b, dd__cmp_hw_desc);
            for (i = 0; i < n; i++) {
                assert_true(a[i].h == b[i].h);
                assert_true(a[i].w == b[i].w);
            }
        }
    free(a);
    free(b);
}

/* The k heaviest, in any order: sorted afterwards they are the first k of the full sort. */
static void test_select_hw_desc_matches_sort(void **state)
{
    static const size_t ks[] = {0, 1, 12, 16, 17, 50};
    dd__hw *a = malloc(MAXN * sizeof *a), *b = malloc(MAXN * sizeof *b);
    uint64_t s = 3;
    size_t i, k, q;
    int p;

    (void)state;
    for (p = 0; p < 6; p++)
        for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
            for (q = 0; q < sizeof ks / sizeof ks[0]; q++) {
                size_t n = sizes[k], want = ks[q] < n ? ks[q] : n;
                for (i = 0; i < n; i++) {
                    a[i].h = rng(&s);
                    a[i].w = (double)value(p, i, n, &s) / 8.0;
                    b[i] = a[i];
                }
                dd__select_hw_desc(a, n, ks[q]);
                dd__sort_hw_desc(a, want);
                dd__sort_hw_desc(b, n);
                for (i = 0; i < want; i++)
                    assert_true(a[i].h == b[i].h && a[i].w == b[i].w);
            }
    free(a);
    free(b);
}

static void test_sort_unique_u64(void **state)
{
    uint64_t v[] = {5, 1, 5, 3, 1, 9, 9, 9, 0};
    const uint64_t want[] = {0, 1, 3, 5, 9};

    (void)state;
    assert_int_equal(dd__sort_unique_u64(v, 9), 5);
    assert_memory_equal(v, want, sizeof want);
    assert_int_equal(dd__sort_unique_u64(v, 0), 0);
}

/* The parallel sort-unique gives the serial one's result on large arrays of every pattern,
 * including pair-like keys (small high halves) and keys spanning the whole 64-bit range. */
static void test_sort_unique_u64_mt_matches(void **state)
{
    const size_t n = 200000;
    uint64_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), s = 42;
    int p;

    (void)state;
    assert_non_null(a);
    assert_non_null(b);
    for (p = 0; p < 8; p++) {
        size_t i, na, nb;
        for (i = 0; i < n; i++) {
            a[i] = p < 6 ? value(p, i, n, &s)
                 : p == 6 ? (rng(&s) % 5000) << 32 | (rng(&s) % 5000) /* document pairs */
                          : (i % 2 ? UINT64_MAX - rng(&s) % 1000 : rng(&s) % 1000);
            b[i] = a[i];
        }
        na = dd__sort_unique_u64(a, n);
        nb = dd__sort_unique_u64_mt(b, n, 3);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na * sizeof *a);
    }
    free(a);
    free(b);
}

/* Merging two sorted distinct lists in place gives the sort-unique of their concatenation:
 * every split of every pattern, with empty sides, overlaps, one side inside the other and
 * all of one side before the other. */
static void test_merge_unique_u64_matches(void **state)
{
    uint64_t *all = malloc(2 * MAXN * sizeof *all), *b = malloc(MAXN * sizeof *b), s = 7;
    size_t lens[] = {0, 1, 2, 17, 511, 4999};
    int p;

    (void)state;
    assert_non_null(all);
    assert_non_null(b);
    for (p = 0; p < 8; p++) {
        size_t x, y, i;
        for (x = 0; x < 6; x++)
            for (y = 0; y < 6; y++) {
                size_t na = lens[x], nb = lens[y], n_all;
                uint64_t *a = malloc((na ? na : 1) * sizeof *a);
                assert_non_null(a);
                for (i = 0; i < na; i++)
                    a[i] = p < 6 ? value(p, i, na, &s) % 1000 : p == 6 ? i : 10000 + i;
                for (i = 0; i < nb; i++)
                    b[i] = p < 6 ? value(p, i, nb, &s) % 1000 : p == 6 ? 5000 + i : i;
                memcpy(all, a, na * sizeof *a);
                memcpy(all + na, b, nb * sizeof *b);
                n_all = dd__sort_unique_u64(all, na + nb);
                na = dd__sort_unique_u64(a, na);
                nb = dd__sort_unique_u64(b, nb);
                assert_int_equal(dd__merge_unique_u64(&a, &na, b, nb), DD_OK);
                assert_int_equal(na, n_all);
                assert_memory_equal(a, all, n_all * sizeof *a);
                free(a);
            }
    }
    free(all);
    free(b);
}

/* A pair list grown band by band (dd__pairs_distinct): values from a small range, so the
 * new ones repeat each other and the sorted prefix, in chunks of every size, the last call
 * with `last`. After each call that sorted, the list equals the sorted distinct union of
 * everything appended so far (a reference kept by sorting all of it each time). */
static void test_pairs_distinct_matches_full_sort(void **state)
{
    enum { CAP = 400000 };
    uint64_t *v = malloc(CAP * sizeof *v), *ref = malloc(CAP * sizeof *ref), st = 99;
    size_t n = 0, nref = 0, u = 0, round;

    (void)state;
    assert_non_null(v);
    assert_non_null(ref);
    for (round = 0; round < 40; round++) {
        size_t add = (round * 7919) % 30000 + 1 + (round % 5 == 0 ? 70000 : 0), i;
        bool last = round == 39;
        for (i = 0; i < add && n < CAP && nref < CAP; i++) {
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            v[n++] = ref[nref++] = (st >> 20) % 150000;
        }
        n = dd__pairs_distinct(v, n, &u, last);
        if (n == u) { /* it sorted: compare with the reference */
            nref = dd__sort_unique_u64(ref, nref);
            assert_int_equal(n, nref);
            assert_memory_equal(v, ref, n * sizeof *v);
        }
    }
    assert_int_equal(n, u); /* the last call leaves it distinct */
    free(v);
    free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_u64_matches_qsort),
        cmocka_unit_test(test_sort_hw_desc_matches_qsort),
        cmocka_unit_test(test_select_hw_desc_matches_sort),
        cmocka_unit_test(test_sort_unique_u64),
        cmocka_unit_test(test_sort_unique_u64_mt_matches),
        cmocka_unit_test(test_merge_unique_u64_matches),
        cmocka_unit_test(test_pairs_distinct_matches_full_sort),
    };
    return cmocka_run_group_tests_name("sort", tests, NULL, NULL);
}
