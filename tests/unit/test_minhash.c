/* Unit tests for MinHash: signatures and their Jaccard estimate. Input sets are built from
 * fixed-seed pseudo-random 64-bit values, standing in for shingle hashes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <dedup/dedup.h>

#include "helpers.h"

#define MAX_SET 1024

/* A = shared + only_a, B = shared + only_b, all values distinct: J = s / (s + da + db). */
typedef struct pair_sets {
    uint64_t a[MAX_SET], b[MAX_SET];
    size_t na, nb;
} pair_sets;

static void make_sets(pair_sets *p, size_t shared, size_t only_a, size_t only_b, uint64_t seed)
{
    uint64_t st = seed;
    size_t i;

    assert_true(shared + only_a <= MAX_SET && shared + only_b <= MAX_SET);
    p->na = p->nb = 0;
    for (i = 0; i < shared; i++) {
        uint64_t v = test_rand64(&st);
        p->a[p->na++] = v;
        p->b[p->nb++] = v;
    }
    for (i = 0; i < only_a; i++)
        p->a[p->na++] = test_rand64(&st);
    for (i = 0; i < only_b; i++)
        p->b[p->nb++] = test_rand64(&st);
}

/* The family the shared tests run on: each runs once per family (setup_* below). */
static dd_minhash_family family = DD_MINHASH_PERMUTATIONS;

static int setup_permutations(void **state)
{
    (void)state;
    family = DD_MINHASH_PERMUTATIONS;
    return 0;
}

static int setup_one_permutation(void **state)
{
    (void)state;
    family = DD_MINHASH_ONE_PERMUTATION;
    return 0;
}

static dd_minhash *new_mh(size_t num_perm, uint64_t seed)
{
    dd_minhash_opts o = {num_perm, seed, family};
    dd_minhash *mh = NULL;

    assert_int_equal(dd_minhash_new(&o, &mh), DD_OK);
    assert_non_null(mh);
    assert_int_equal(dd_minhash_num_perm(mh), num_perm);
    return mh;
}

static size_t equal_positions(const uint32_t *x, const uint32_t *y, size_t k)
{
    size_t i, eq = 0;

    for (i = 0; i < k; i++)
        eq += x[i] == y[i];
    return eq;
}

static void test_minhash_defaults(void **state)
{
    dd_minhash_opts o = dd_minhash_opts_default();

    (void)state;
    assert_int_equal(o.num_perm, 128);
    assert_int_equal(o.seed, 1);
    assert_int_equal(o.family, DD_MINHASH_PERMUTATIONS);
}

static void test_minhash_identical_sets_identical_sigs(void **state)
{
    pair_sets *p = malloc(sizeof *p);
    dd_minhash *mh = new_mh(128, 1);
    uint32_t s1[128], s2[128];

    (void)state;
    make_sets(p, 300, 0, 0, 11);
    dd_minhash_sign(mh, p->a, p->na, s1);
    dd_minhash_sign(mh, p->b, p->nb, s2);
    assert_memory_equal(s1, s2, sizeof s1);
    assert_true(dd_minhash_jaccard(s1, s2, 128) == 1.0);
    dd_minhash_free(mh);
    free(p);
}

static void test_minhash_estimate_within_tolerance(void **state)
{
    /* k = 256 permutations: the count of equal positions is Binomial(k, J), standard
     * deviation sqrt(k J (1-J)) (std. error sqrt(J(1-J)/k) on the estimate). The tolerance
     * is 4 sd: 32 positions at J = 0.5, 26 at J = 0.2 and J = 0.8. */
    static const struct {
        size_t shared, only; /* J = shared / (shared + 2 only) */
        size_t want_eq, tol;
    } cases[] = {
        {200, 100, 128, 32}, /* J = 0.5 */
        {100, 200, 51, 26},  /* J = 0.2: 256 * 0.2 = 51.2 */
        {400, 50, 205, 26},  /* J = 0.8: 256 * 0.8 = 204.8 */
        {300, 0, 256, 0},    /* J = 1 exactly */
        {0, 300, 0, 0},      /* J = 0: disjoint random sets never share a minimum here */
    };
    pair_sets *p = malloc(sizeof *p);
    dd_minhash *mh = new_mh(256, 1);
    uint32_t sa[256], sb[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t eq;
        make_sets(p, cases[i].shared, cases[i].only, cases[i].only, 100 + i);
        dd_minhash_sign(mh, p->a, p->na, sa);
        dd_minhash_sign(mh, p->b, p->nb, sb);
        eq = equal_positions(sa, sb, 256);
        assert_in_range(eq, cases[i].want_eq - cases[i].tol, cases[i].want_eq + cases[i].tol);
        assert_true(fabs(dd_minhash_jaccard(sa, sb, 256) - (double)eq / 256.0) < 1e-12);
    }
    dd_minhash_free(mh);
    free(p);
}

static void test_minhash_estimate_unbiased_over_seeds(void **state)
{
    /* 16 hash families (seeds 1..16) x 128 permutations = 2048 trials of J = 0.5 on one
     * pair of sets: total matches ~ Binomial(2048, 0.5), sd sqrt(2048/4) = 22.6; 4 sd = 91. */
    pair_sets *p = malloc(sizeof *p);
    uint32_t sa[128], sb[128];
    size_t eq = 0;
    uint64_t seed;

    (void)state;
    make_sets(p, 200, 100, 100, 5);
    for (seed = 1; seed <= 16; seed++) {
        dd_minhash *mh = new_mh(128, seed);
        dd_minhash_sign(mh, p->a, p->na, sa);
        dd_minhash_sign(mh, p->b, p->nb, sb);
        eq += equal_positions(sa, sb, 128);
        dd_minhash_free(mh);
    }
    assert_in_range(eq, 1024 - 91, 1024 + 91);
    free(p);
}

static void test_minhash_order_and_duplicates_ignored(void **state)
{
    pair_sets *p = malloc(sizeof *p);
    uint64_t shuffled[2 * MAX_SET], st = 99;
    dd_minhash *mh = new_mh(128, 3);
    uint32_t s1[128], s2[128];
    size_t i, n;

    (void)state;
    make_sets(p, 200, 0, 0, 21);
    /* Reverse order, every value twice, then a Fisher-Yates shuffle. */
    for (i = 0, n = 0; i < p->na; i++) {
        shuffled[n++] = p->a[p->na - 1 - i];
        shuffled[n++] = p->a[i];
    }
    for (i = n - 1; i > 0; i--) {
        size_t j = (size_t)(test_rand64(&st) % (i + 1));
        uint64_t t = shuffled[i];
        shuffled[i] = shuffled[j];
        shuffled[j] = t;
    }
    dd_minhash_sign(mh, p->a, p->na, s1);
    dd_minhash_sign(mh, shuffled, n, s2);
    assert_memory_equal(s1, s2, sizeof s1);
    dd_minhash_free(mh);
    free(p);
}

static void test_minhash_seed_changes_signature(void **state)
{
    pair_sets *p = malloc(sizeof *p);
    dd_minhash *m1 = new_mh(64, 1), *m2 = new_mh(64, 2), *m1b = new_mh(64, 1);
    uint32_t s1[64], s2[64], s1b[64];

    (void)state;
    make_sets(p, 50, 0, 0, 8);
    dd_minhash_sign(m1, p->a, p->na, s1);
    dd_minhash_sign(m2, p->a, p->na, s2);
    dd_minhash_sign(m1b, p->a, p->na, s1b);
    assert_memory_equal(s1, s1b, sizeof s1);        /* same seed, same family */
    assert_in_range(equal_positions(s1, s2, 64), 0, 2); /* different family */
    dd_minhash_free(m1);
    dd_minhash_free(m2);
    dd_minhash_free(m1b);
    free(p);
}

static void test_minhash_empty_set_all_max(void **state)
{
    dd_minhash *mh = new_mh(32, 1);
    uint32_t sig[32];
    size_t i;

    (void)state;
    memset(sig, 0, sizeof sig);
    dd_minhash_sign(mh, NULL, 0, sig);
    for (i = 0; i < 32; i++)
        assert_int_equal(sig[i], UINT32_MAX);
    dd_minhash_free(mh);
}

static void test_minhash_subset_sig_not_smaller(void **state)
{
    /* Adding elements can only lower each minimum: sig(A u B)[i] = min(sig(A)[i], sig(B)[i]). */
    pair_sets *p = malloc(sizeof *p);
    dd_minhash *mh = new_mh(64, 4);
    uint32_t sa[64], sb[64], su[64];
    uint64_t all[2 * MAX_SET];
    size_t i;

    (void)state;
    make_sets(p, 0, 40, 60, 31);
    memcpy(all, p->a, p->na * sizeof *all);
    memcpy(all + p->na, p->b, p->nb * sizeof *all);
    dd_minhash_sign(mh, p->a, p->na, sa);
    dd_minhash_sign(mh, p->b, p->nb, sb);
    dd_minhash_sign(mh, all, p->na + p->nb, su);
    for (i = 0; i < 64; i++)
        assert_int_equal(su[i], sa[i] < sb[i] ? sa[i] : sb[i]);
    dd_minhash_free(mh);
    free(p);
}

static void test_minhash_jaccard_fraction(void **state)
{
    const uint32_t a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b[8] = {1, 2, 0, 4, 0, 6, 0, 8};

    (void)state;
    assert_true(dd_minhash_jaccard(a, b, 8) == 5.0 / 8.0);
    assert_true(dd_minhash_jaccard(a, a, 8) == 1.0);
    assert_true(dd_minhash_jaccard(a, b, 2) == 1.0);
    assert_true(dd_minhash_jaccard(a, b, 0) == 0.0);
}

static void test_minhash_einval(void **state)
{
    static const size_t bad[] = {0, 4097, 100000};
    dd_minhash *mh = (dd_minhash *)state;
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dd_minhash_opts o = {bad[i], 1, family};
        assert_int_equal(dd_minhash_new(&o, &mh), DD_EINVAL);
        assert_null(mh);
    }
    mh = new_mh(4096, 1); /* the upper bound itself is valid */
    dd_minhash_free(mh);
    mh = new_mh(1, 1);
    dd_minhash_free(mh);
    {
        dd_minhash_opts o = {128, 1, (dd_minhash_family)7};
        assert_int_equal(dd_minhash_new(&o, &mh), DD_EINVAL);
        assert_null(mh);
    }
}

/* Optimal densification: every position agrees with chance exactly J, however few elements
 * fill the bins. Sets of 18 elements (J = 6/30 = 0.2 and 12/24 = 0.5) in 128 bins, so about
 * 110 bins of each signature are copies; over 200 seeds the mean share of equal positions
 * must be J. Positions of one signature are correlated (copies of ~18 values), so a seed's
 * share has sd about sqrt(J(1-J)/18) <= 0.12, and the mean of 200 about 0.008: 0.04 is 5 sd. */
static void test_minhash_one_permutation_small_sets_unbiased(void **state)
{
    static const struct {
        size_t shared, only;
        double j;
    } cases[] = {{6, 12, 0.2}, {12, 6, 0.5}};
    pair_sets *p = malloc(sizeof *p);
    uint32_t sa[128], sb[128];
    size_t i;
    uint64_t seed;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double share = 0;
        for (seed = 1; seed <= 200; seed++) {
            dd_minhash *mh = new_mh(128, seed);
            make_sets(p, cases[i].shared, cases[i].only, cases[i].only, 300 + seed);
            dd_minhash_sign(mh, p->a, p->na, sa);
            dd_minhash_sign(mh, p->b, p->nb, sb);
            share += (double)equal_positions(sa, sb, 128) / 128.0;
            dd_minhash_free(mh);
        }
        share /= 200;
        assert_true(fabs(share - cases[i].j) < 0.04);
    }
    free(p);
}

/* A densified bin copies a value an element put in a bin, never a made-up one: two sets with
 * no element in common agree nowhere (32-bit values of 40 random elements do not collide),
 * and a set of one element gives that element's value in every position. */
static void test_minhash_one_permutation_copies_real_values(void **state)
{
    pair_sets *p = malloc(sizeof *p);
    dd_minhash *mh = new_mh(128, 9);
    uint32_t sa[128], sb[128];
    size_t j;

    (void)state;
    make_sets(p, 0, 20, 20, 77);
    dd_minhash_sign(mh, p->a, p->na, sa);
    dd_minhash_sign(mh, p->b, p->nb, sb);
    assert_int_equal(equal_positions(sa, sb, 128), 0);
    dd_minhash_sign(mh, p->a, 1, sa);
    for (j = 1; j < 128; j++)
        assert_int_equal(sa[j], sa[0]);
    assert_int_not_equal(sa[0], UINT32_MAX);
    dd_minhash_free(mh);
    free(p);
}

/* One-permutation MinHash with densification: the same tolerance as above (its estimate's
 * variance is about that of k independent permutations when sets are much larger than k). */
static void test_minhash_oph_estimate_within_tolerance(void **state)
{
    static const struct {
        size_t shared, only, want_eq, tol;
    } cases[] = {
        {600, 300, 128, 32}, /* J = 0.5 */
        {300, 600, 51, 26},   /* J = 0.2 */
        {900, 0, 256, 0},     /* J = 1 */
        {0, 900, 0, 3},       /* J = 0: rare equal 32-bit values only */
        {3, 0, 256, 0},        /* 3 elements in 256 buckets: densified, still equal */
    };
    pair_sets *p = malloc(sizeof *p);
    uint32_t sa[256], sb[256];
    size_t i, j;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t eq;
        make_sets(p, cases[i].shared, cases[i].only, cases[i].only, 200 + i);
        dd_minhash_oph(p->a, p->na, sa, 256);
        dd_minhash_oph(p->b, p->nb, sb, 256);
        eq = equal_positions(sa, sb, 256);
        assert_in_range(eq, cases[i].want_eq > cases[i].tol ? cases[i].want_eq - cases[i].tol : 0,
                        cases[i].want_eq + cases[i].tol);
        for (j = 0; j < 256; j++)
            assert_int_not_equal(sa[j], UINT32_MAX);
    }
    dd_minhash_oph(p->a, 0, sa, 256);
    for (j = 0; j < 256; j++)
        assert_int_equal(sa[j], UINT32_MAX);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define BOTH(t) cmocka_unit_test_setup(t, setup_permutations), \
                cmocka_unit_test_setup(t, setup_one_permutation)
        cmocka_unit_test(test_minhash_defaults),
        BOTH(test_minhash_identical_sets_identical_sigs),
        BOTH(test_minhash_estimate_within_tolerance),
        BOTH(test_minhash_estimate_unbiased_over_seeds),
        BOTH(test_minhash_order_and_duplicates_ignored),
        BOTH(test_minhash_seed_changes_signature),
        BOTH(test_minhash_empty_set_all_max),
        /* a union's minimum per position holds for permutations only: a densified bin of
         * A may copy from a bin that B fills with a smaller value */
        cmocka_unit_test_setup(test_minhash_subset_sig_not_smaller, setup_permutations),
        cmocka_unit_test(test_minhash_jaccard_fraction),
        BOTH(test_minhash_einval),
        cmocka_unit_test_setup(test_minhash_one_permutation_small_sets_unbiased,
                               setup_one_permutation),
        cmocka_unit_test_setup(test_minhash_one_permutation_copies_real_values,
                               setup_one_permutation),
        cmocka_unit_test(test_minhash_oph_estimate_within_tolerance),
    };
    return cmocka_run_group_tests_name("minhash", tests, NULL, NULL);
}
