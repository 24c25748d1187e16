/* Unit tests for the story stage: the length-corrected similarity, tf-idf vectors, and
 * average-linkage clustering over a sparse similarity graph (no chaining, dates, seeds,
 * independence from the order of the pairs). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <dedup/dedup.h>

#include "../../src/pipeline_stages.h"

#define P(a, b) ((uint64_t)(a) << 32 | (uint64_t)(b))

static const uint64_t hashes[] = {11, 22, 33, 44, 55, 66, 77, 88, 99, 110, 121, 132, 143, 154,
                                  165, 176};
static float unit16[16];

static void fill_unit(void)
{
    size_t i;

    for (i = 0; i < 16; i++)
        unit16[i] = 0.25f; /* 16 equal weights: norm 1 */
}

static void test_story_similarity_identical(void **state)
{
    dd_vec a = {hashes, unit16, 16};

    (void)state;
    fill_unit();
    assert_true(fabs(dd_story_cosine(a, a) - 1.0) < 1e-6);
    /* cosine 1 less 1.6 / sqrt(16) */
    assert_true(fabs(dd_story_similarity(a, a, 1.6) - 0.6) < 1e-6);
    assert_true(fabs(dd_story_similarity(a, a, 0) - 1.0) < 1e-6);
}

static void test_story_similarity_floors(void **state)
{
    dd_vec a = {hashes, unit16, 16}, b = {hashes + 15, unit16, 1}, none = {hashes, unit16, 0};

    (void)state;
    fill_unit();
    /* one shared term of weight 0.25 * 0.25: cosine 0.0625, under DD_STORY_MIN_COSINE */
    assert_true(dd_story_cosine(a, b) > 0);
    assert_true(dd_story_similarity(a, b, 0) == 0);
    /* a large penalty floors at 0, never negative */
    assert_true(dd_story_similarity(a, a, 100) == 0);
    assert_true(dd_story_similarity(a, none, 0) == 0);
}

static void test_story_vector_normalised_sorted(void **state)
{
    const uint64_t text[] = {7, 3, 7, 9, 3, 7};
    uint64_t h[3];
    float w[3];
    size_t n = 0, i;
    double norm = 0;
    dd_idf *idf = NULL;

    (void)state;
    assert_int_equal(dd_idf_new(1, &idf), DD_OK);
    assert_int_equal(dd_story_vector(text, 6, idf, SIZE_MAX, h, w, &n), DD_OK);
    assert_int_equal(n, 3);
    for (i = 0; i < n; i++)
        norm += (double)w[i] * w[i];
    assert_true(fabs(norm - 1.0) < 1e-5);
    assert_true(h[0] == 3 && h[1] == 7 && h[2] == 9);
    assert_true(w[1] > w[0] && w[0] > w[2]); /* tf 3 > tf 2 > tf 1 at equal idf */
    /* top_k keeps the heaviest */
    assert_int_equal(dd_story_vector(text, 6, idf, 1, h, w, &n), DD_OK);
    assert_int_equal(n, 1);
    assert_true(h[0] == 7 && fabs(w[0] - 1.0) < 1e-6);
    dd_idf_free(idf);
}

static void test_story_top_terms(void **state)
{
    static const uint64_t h[] = {5, 9, 12, 40};
    static const float w[] = {0.1f, 0.7f, 0.1f, 0.7f};
    dd_vec v = {h, w, 4};
    uint64_t out[4];
    size_t n = 0;

    (void)state;
    assert_int_equal(dd_story_top_terms(v, 3, out, &n), DD_OK);
    assert_int_equal(n, 3); /* 9 and 40, then 5 before 12 on the tie; sorted by hash */
    assert_true(out[0] == 5 && out[1] == 9 && out[2] == 40);
    assert_int_equal(dd_story_top_terms(v, 10, out, &n), DD_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(out, h, sizeof h);
}

static void cluster(const uint64_t *pairs, const double *sim, size_t np, const double *days,
                    size_t n, double threshold, uint32_t *label)
{
    dd_story_opts o = dd_story_opts_default();
    size_t i;

    o.threshold = threshold;
    for (i = 0; i < n; i++)
        label[i] = (uint32_t)i;
    assert_int_equal(dd_story_cluster(days, n, pairs, sim, np, NULL, &o, label), DD_OK);
}

static void test_story_cluster_does_not_chain(void **state)
{
    /* 0-1 and 1-2 are close, 0-2 unrelated: 0 and 1 merge, then 2's mean link to {0,1} is
     * (0.8 + 0) / 2 = 0.4, under 0.5, so 2 stays out. Single linkage would take all three. */
    const uint64_t pairs[] = {P(0, 1), P(1, 2)};
    const double sim[] = {0.9, 0.8}, days[] = {NAN, NAN, NAN};
    uint32_t label[3];

    (void)state;
    cluster(pairs, sim, 2, days, 3, 0.5, label);
    assert_int_equal(label[0], 0);
    assert_int_equal(label[1], 0);
    assert_int_equal(label[2], 2);
    /* with the third pair present the mean is 0.75 and it joins */
    {
        const uint64_t p3[] = {P(0, 1), P(0, 2), P(1, 2)};
        const double s3[] = {0.9, 0.7, 0.8};
        cluster(p3, s3, 3, days, 3, 0.5, label);
        assert_int_equal(label[2], 0);
    }
}

static void test_story_cluster_best_first(void **state)
{
    /* 1 is close to both 0 (0.6) and 2 (0.9); it goes with 2 first, and {1,2} then averages
     * (0.6 + 0) / 2 with 0: 0 stays alone. */
    const uint64_t pairs[] = {P(0, 1), P(1, 2)};
    const double sim[] = {0.6, 0.9}, days[] = {NAN, NAN, NAN};
    uint32_t label[3];

    (void)state;
    cluster(pairs, sim, 2, days, 3, 0.5, label);
    assert_int_equal(label[0], 0);
    assert_int_equal(label[1], 1);
    assert_int_equal(label[2], 1);
}

static void test_story_cluster_dates_apart(void **state)
{
    const uint64_t pairs[] = {P(0, 1), P(1, 2)};
    const double sim[] = {0.9, 0.9}, days[] = {100, 110, NAN};
    uint32_t label[3];

    (void)state;
    cluster(pairs, sim, 2, days, 3, 0.5, label); /* max_days 4 by default */
    assert_true(label[0] != label[1]);
    /* an undated document may join either */
    assert_true(label[2] == label[1] || label[2] == label[0]);
}

static void test_story_cluster_seeded_groups(void **state)
{
    /* 0 and 1 start as one copies group; 2 resembles 0 only (0.8): mean (0.8 + 0) / 2 = 0.4. */
    const uint64_t pairs[] = {P(0, 2)};
    const double sim[] = {0.8}, days[] = {NAN, NAN, NAN};
    dd_story_opts o = dd_story_opts_default();
    uint32_t label[3] = {0, 0, 2};

    (void)state;
    o.threshold = 0.5;
    assert_int_equal(dd_story_cluster(days, 3, pairs, sim, 1, NULL, &o, label), DD_OK);
    assert_int_equal(label[0], 0);
    assert_int_equal(label[1], 0);
    assert_int_equal(label[2], 2);
    o.threshold = 0.4;
    label[0] = label[1] = 0;
    label[2] = 2;
    assert_int_equal(dd_story_cluster(days, 3, pairs, sim, 1, NULL, &o, label), DD_OK);
    assert_int_equal(label[2], 0);
}

static void test_story_cluster_pair_order_irrelevant(void **state)
{
    /* Two tight groups {0,1,2} and {3,4} with a weak bridge; any order of the pair list gives
     * the same labels. */
    uint64_t pairs[] = {P(0, 1), P(0, 2), P(1, 2), P(3, 4), P(2, 3), P(1, 4)};
    double sim[] = {0.9, 0.8, 0.85, 0.95, 0.3, 0.2};
    const double days[5] = {NAN, NAN, NAN, NAN, NAN};
    uint32_t ref[5], label[5];
    size_t round, i;

    (void)state;
    cluster(pairs, sim, 6, days, 5, 0.5, ref);
    assert_true(ref[0] == 0 && ref[1] == 0 && ref[2] == 0 && ref[3] == 3 && ref[4] == 3);
    for (round = 0; round < 6; round++) {
        uint64_t p = pairs[0];
        double s = sim[0];
        for (i = 0; i + 1 < 6; i++) { /* rotate */
            pairs[i] = pairs[i + 1];
            sim[i] = sim[i + 1];
        }
        pairs[5] = p;
        sim[5] = s;
        cluster(pairs, sim, 6, days, 5, 0.5, label);
        assert_memory_equal(label, ref, sizeof ref);
    }
}

static void test_story_cluster_empty(void **state)
{
    uint32_t label[1] = {0};
    const double days[1] = {NAN};
    dd_story_opts o = dd_story_opts_default();

    (void)state;
    assert_int_equal(dd_story_cluster(days, 0, NULL, NULL, 0, NULL, &o, label), DD_OK);
    assert_int_equal(dd_story_cluster(days, 1, NULL, NULL, 0, NULL, &o, label), DD_OK);
    assert_int_equal(label[0], 0);
}

/* Cluster four documents: {0,1,2} are versions of one report (0.8, 0.7, 0.7) and 3
 * resembles each at 0.5; without `trio`, 2 resembles nothing. 0 and 1 quote runs 1, 2, 3,
 * 2 quotes 1, 2, 5, and 3 quotes q3[0..n3). Does 3 join 0? */
static bool join_quoted(const uint64_t *q3, size_t n3, bool trio, bool with_quotes,
                        double share)
{
    const uint64_t all[] = {P(0, 1), P(0, 2), P(1, 2), P(0, 3), P(1, 3), P(2, 3)};
    const uint64_t pair[] = {P(0, 1), P(0, 3), P(1, 3)};
    const double sim[] = {0.8, 0.7, 0.7, 0.5, 0.5, 0.5}, pair_sim[] = {0.8, 0.5, 0.5};
    const double days[4] = {NAN, NAN, NAN, NAN};
    uint64_t h[16] = {1, 2, 3, 1, 2, 3, 1, 2, 5};
    size_t off[5] = {0, 3, 6, 9, 9}, i;
    dd_story_quotes q = {h, off};
    dd_story_opts o = dd_story_opts_default();
    uint32_t label[4] = {0, 1, 2, 3};

    for (i = 0; i < n3; i++)
        h[9 + i] = q3[i];
    off[4] = 9 + n3;
    o.quote_share = share;
    assert_int_equal(dd_story_cluster(days, 4, trio ? all : pair, trio ? sim : pair_sim,
                                      trio ? 6 : 3, with_quotes ? &q : NULL, &o, label),
                     DD_OK);
    assert_int_equal(label[1], label[0]);
    return label[3] == label[0];
}

static void test_story_cluster_quotes(void **state)
{
    const uint64_t other[] = {7, 8, 9}, some[] = {1, 2, 9}, one[] = {1, 9}, few[] = {9};

    (void)state;
    /* Without quotes, 3 joins the three (mean 0.5). */
    assert_true(join_quoted(other, 3, true, false, 0.5));
    /* The three share quoted words; 3 quotes three runs of its own: another report. */
    assert_false(join_quoted(other, 3, true, true, 0.5));
    /* Two of its three runs are the group's: a version that keeps the quotes. */
    assert_true(join_quoted(some, 3, true, true, 0.5));
    assert_false(join_quoted(some, 3, true, true, 0.9));
    /* Fewer than DD_STORY_QUOTE_MIN runs say nothing; a share of 0 turns the test off. */
    assert_true(join_quoted(few, 1, true, true, 0.5));
    assert_true(join_quoted(one, 2, true, true, 0.5));
    assert_true(join_quoted(other, 3, true, true, 0));
    /* A pair is not yet a group of versions (DD_STORY_QUOTE_GROUP). */
    assert_true(join_quoted(other, 3, false, true, 0.5));
}

static void test_story_order(void **state)
{
    /* Terms 10..60 (sorted hashes) first mentioned at these places; b mentions 10..50 in the
     * same order with 70 of its own, c in the reverse order, d shares two terms only. */
    const uint64_t ha[] = {10, 20, 30, 40, 50, 60};
    const uint32_t pa[] = {0, 3, 5, 9, 12, 20};
    const uint64_t hb[] = {10, 20, 30, 40, 50, 70};
    const uint32_t pb[] = {1, 2, 4, 8, 9, 0};
    const uint32_t pc[] = {9, 8, 4, 2, 1, 0};
    const uint64_t hd[] = {10, 20, 99};
    const uint32_t pd[] = {0, 1, 2};
    const uint32_t pe[] = {1, 0, 4, 8, 9, 0}; /* 10 and 20 swapped */
    double r = 2;

    (void)state;
    assert_int_equal(dd_story_order(ha, pa, 6, hb, pb, 6, &r), DD_OK);
    assert_true(fabs(r - 1) < 1e-12);
    assert_int_equal(dd_story_order(ha, pa, 6, hb, pc, 6, &r), DD_OK);
    assert_true(fabs(r + 1) < 1e-12);
    assert_int_equal(dd_story_order(ha, pa, 6, hb, pe, 6, &r), DD_OK);
    assert_true(fabs(r - 0.9) < 1e-12); /* 1 - 6 * 2 / (5 * 24) */
    assert_int_equal(dd_story_order(ha, pa, 6, hd, pd, 3, &r), DD_OK);
    assert_true(r == 0);
    assert_int_equal(dd_story_order(ha, pa, 6, hb, pb, 6, &r), DD_OK);
    assert_int_equal(dd_story_order(hb, pb, 6, ha, pa, 6, &r), DD_OK); /* symmetric */
    assert_true(fabs(r - 1) < 1e-12);
    assert_int_equal(dd_story_order(NULL, NULL, 0, hb, pb, 6, &r), DD_OK);
    assert_true(r == 0);
}

static void test_story_attach_derived(void **state)
{
    /* {0,1,2} is a cluster whose centre is 0 (0-1 0.7, 0-2 0.7, 1-2 0.5); 3 resembles 0 at
     * 0.3 and 1 at 0.2: mean 0.17, under the 0.36 average linkage asks. With evidence that
     * its facts are 0's it joins; 4 has the evidence with 1, not the centre, and stays out;
     * 5 has the evidence with 0 but a similarity under attach_sim. */
    const uint64_t pairs[] = {P(0, 1), P(0, 2), P(1, 2), P(0, 3), P(1, 3), P(1, 4), P(0, 4),
                              P(0, 5)};
    const double sim[] = {0.7, 0.7, 0.5, 0.3, 0.2, 0.4, 0.25, 0.15};
    const uint8_t evid[] = {0, 0, 0, DD_STORY_B_IN_A, 0, DD_STORY_B_IN_A, 0, DD_STORY_B_IN_A};
    const uint8_t none[8] = {0};
    const double days[6] = {NAN, NAN, NAN, NAN, NAN, NAN};
    dd_story_opts o = dd_story_opts_default();
    uint32_t label[6];
    size_t i;

    (void)state;
    for (i = 0; i < 6; i++)
        label[i] = (uint32_t)i;
    assert_int_equal(dd_story_cluster(days, 6, pairs, sim, 8, NULL, &o, label), DD_OK);
    assert_true(label[1] == label[0] && label[2] == label[0]);
    assert_true(label[3] == 3 && label[4] == 4 && label[5] == 5);
    assert_int_equal(dd_story_attach(days, 6, pairs, sim, none, 8, NULL, &o, label), DD_OK);
    assert_true(label[3] == 3 && label[4] == 4 && label[5] == 5);
    assert_int_equal(dd_story_attach(days, 6, pairs, sim, evid, 8, NULL, &o, label), DD_OK);
    assert_int_equal(label[3], label[0]);
    assert_int_equal(label[4], 4);
    assert_int_equal(label[5], 5);
    {
        /* The three quote the same words (runs 1, 2, 3) and 3 quotes others (7, 8, 9): a
         * group of versions takes it in neither by average linkage nor by attaching. */
        const uint64_t h[] = {1, 2, 3, 1, 2, 3, 1, 2, 3, 7, 8, 9};
        const size_t off[] = {0, 3, 6, 9, 12, 12, 12};
        const dd_story_quotes q = {h, off};
        for (i = 0; i < 6; i++)
            label[i] = (uint32_t)i;
        assert_int_equal(dd_story_cluster(days, 6, pairs, sim, 8, &q, &o, label), DD_OK);
        assert_true(label[1] == label[0] && label[2] == label[0] && label[3] == 3);
        assert_int_equal(dd_story_attach(days, 6, pairs, sim, evid, 8, &q, &o, label), DD_OK);
        assert_int_equal(label[3], 3);
    }
}

static void test_story_attach_pair_of_revisions(void **state)
{
    /* {0,1,2} with centre 0; 3 and 4 are a cluster of two (0.5 to each other). Both derive
     * from 0 (0.5 each; mean over the six cross pairs 1/6): the pair joins. If only 3 has
     * the evidence, the pair stays apart. */
    const uint64_t pairs[] = {P(0, 1), P(0, 2), P(1, 2), P(0, 3), P(0, 4), P(3, 4)};
    const double sim[] = {0.7, 0.7, 0.5, 0.5, 0.5, 0.5}, days[5] = {NAN, NAN, NAN, NAN, NAN};
    const uint8_t both[] = {0, 0, 0, DD_STORY_B_IN_A, DD_STORY_B_IN_A, 0};
    const uint8_t one[] = {0, 0, 0, DD_STORY_B_IN_A, 0, 0};
    dd_story_opts o = dd_story_opts_default();
    uint32_t label[5] = {0, 0, 0, 3, 3};

    (void)state;
    assert_int_equal(dd_story_attach(days, 5, pairs, sim, one, 6, NULL, &o, label), DD_OK);
    assert_true(label[3] == 3 && label[4] == 3);
    assert_int_equal(dd_story_attach(days, 5, pairs, sim, both, 6, NULL, &o, label), DD_OK);
    assert_true(label[3] == 0 && label[4] == 0);
}

static void test_story_attach_dates_and_mean(void **state)
{
    /* The same derivation, but 3 is dated 10 days after the cluster, or resembles too little
     * of it on average (attach_mean raised): it stays alone. */
    const uint64_t pairs[] = {P(0, 1), P(0, 2), P(1, 2), P(0, 3)};
    const double sim[] = {0.7, 0.7, 0.5, 0.3}, undated[4] = {NAN, NAN, NAN, NAN},
                 dated[4] = {100, 100, 101, 111};
    const uint8_t evid[] = {0, 0, 0, DD_STORY_B_IN_A};
    dd_story_opts o = dd_story_opts_default();
    uint32_t label[4] = {0, 0, 0, 3};

    (void)state;
    assert_int_equal(dd_story_attach(dated, 4, pairs, sim, evid, 4, NULL, &o, label), DD_OK);
    assert_int_equal(label[3], 3);
    o.attach_mean = 0.2; /* the mean over the 3 members is 0.3 / 3 = 0.1 */
    assert_int_equal(dd_story_attach(undated, 4, pairs, sim, evid, 4, NULL, &o, label), DD_OK);
    assert_int_equal(label[3], 3);
    o.attach_mean = 0.09;
    assert_int_equal(dd_story_attach(undated, 4, pairs, sim, evid, 4, NULL, &o, label), DD_OK);
    assert_int_equal(label[3], 0);
}

/* The story stage scores candidates on term ranks (dd__ivec_similarity, four ranks a step):
 * on random vectors of every length from 0 to 70 over a small vocabulary (many shared terms,
 * runs of them inside one block and across blocks), the dot product and the similarity have
 * the same bits as dd_story_cosine and dd_story_similarity over hashes in the same order. */
static void test_story_rank_vectors_same_bits(void **state)
{
    enum { VOCAB = 160, MAXN = 70, TRIALS = 3000 };
    uint32_t ia[MAXN], ib[MAXN];
    uint64_t ha[MAXN], hb[MAXN], st = 12345;
    float wa[MAXN], wb[MAXN];
    size_t t, shared = 0;

    (void)state;
    for (t = 0; t < TRIALS; t++) {
        size_t na = 0, nb = 0, r;
        uint32_t keep_a = (uint32_t)(t % 7) + 1, keep_b = (uint32_t)(t % 5) + 1;
        for (r = 0; r < VOCAB; r++) { /* each rank kept with chance keep/8 */
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            if ((st >> 33) % 8 < keep_a && na < MAXN) {
                ia[na] = (uint32_t)r;
                ha[na] = 1000 + 7 * (uint64_t)r; /* hashes ascend with the ranks */
                wa[na++] = (float)((st >> 40) % 1000) / 997.0f;
            }
            if ((st >> 20) % 8 < keep_b && nb < MAXN) {
                ib[nb] = (uint32_t)r;
                hb[nb] = 1000 + 7 * (uint64_t)r;
                wb[nb++] = (float)((st >> 8) % 1000) / 991.0f;
            }
        }
        {
            dd_vec va = {ha, wa, na}, vb = {hb, wb, nb};
            dd__ivec xa = {ia, wa, na}, xb = {ib, wb, nb};
            double c1 = dd_story_cosine(va, vb), c2 = dd__ivec_dot(xa, xb);
            double s1 = dd_story_similarity(va, vb, DD_STORY_PENALTY);
            double s2 = dd__ivec_similarity(xa, xb, DD_STORY_PENALTY);
            assert_memory_equal(&c1, &c2, sizeof c1);
            assert_memory_equal(&s1, &s2, sizeof s1);
            shared += c1 > 0;
        }
    }
    assert_true(shared > TRIALS / 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_story_order),
        cmocka_unit_test(test_story_attach_derived),
        cmocka_unit_test(test_story_attach_dates_and_mean),
        cmocka_unit_test(test_story_attach_pair_of_revisions),
        cmocka_unit_test(test_story_similarity_identical),
        cmocka_unit_test(test_story_similarity_floors),
        cmocka_unit_test(test_story_vector_normalised_sorted),
        cmocka_unit_test(test_story_top_terms),
        cmocka_unit_test(test_story_cluster_does_not_chain),
        cmocka_unit_test(test_story_cluster_best_first),
        cmocka_unit_test(test_story_cluster_dates_apart),
        cmocka_unit_test(test_story_cluster_seeded_groups),
        cmocka_unit_test(test_story_cluster_pair_order_irrelevant),
        cmocka_unit_test(test_story_cluster_empty),
        cmocka_unit_test(test_story_cluster_quotes),
        cmocka_unit_test(test_story_rank_vectors_same_bits),
    };
    return cmocka_run_group_tests_name("story", tests, NULL, NULL);
}
