/* Unit tests for verification: exact Jaccard and containment of sorted shingle sets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_hand_made_sets),
        cmocka_unit_test(test_verify_symmetric),
    };
    return cmocka_run_group_tests_name("verify", tests, NULL, NULL);
}
