/* Unit tests for the explain stage: scores equal the verifier's on the same shingles, a
 * passage maps back to the same words in both original texts (whatever their case and
 * spacing), disjoint texts share nothing, and bad input is refused. */
/* cmocka 1.x needs these four headers before it; keep clang-format from sorting them */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dedup/dedup.h>

static const char a[] = "Intro line here.\nDock workers at Port Amberly walked off the job on "
                        "Monday at the start of a strike. Unrelated tail words follow now.";
static const char b[] = "DOCK WORKERS at  Port Amberly walked off the job on Monday at the "
                        "start of a strike.";

static void test_explain_passage_maps_to_words(void **state)
{
    dd_pipeline_opts o = dd_pipeline_opts_default();
    dd_explain *e = NULL;

    (void)state;
    assert_int_equal(dd_explain_pair(&o, a, strlen(a), b, strlen(b), &e), DD_OK);
    assert_int_equal(e->n_passages, 1);
    assert_int_equal(e->passages[0].words, 17);
    assert_true(strncmp(a + e->passages[0].a_off, "Dock workers", 12) == 0);
    assert_int_equal(e->passages[0].b_off, 0);
    assert_int_equal(e->passages[0].b_len, strlen(b));
    assert_true(strncmp(a + e->passages[0].a_off + e->passages[0].a_len - 7, "strike.", 7) == 0);
    assert_true(e->copies.containment > 0.99);
    assert_true(e->copy);
    assert_true(e->similarity > 0 && e->similarity <= 1.0001);
    assert_int_equal(e->shared_b, e->words_b);
    assert_int_equal(e->quotes_a, 0); /* nothing quoted */
    dd_explain_free(e);
}

static void test_explain_quotes(void **state)
{
    static const char c[] = "The union leader said: \"Dock workers will not return until the "
                            "port pays what it owes\", on Monday.";
    static const char d[] = "\"Dock workers will not return until the port pays,\" the union "
                            "leader told reporters. \"We have waited long enough for them.\"";
    dd_pipeline_opts o = dd_pipeline_opts_default();
    dd_explain *e = NULL;

    (void)state;
    /* c quotes dock workers return port pays owes (four runs); d the first five words of it
     * (three runs) and three words of its own (one run). */
    assert_int_equal(dd_explain_pair(&o, c, strlen(c), d, strlen(d), &e), DD_OK);
    assert_int_equal(e->quotes_a, 4);
    assert_int_equal(e->quotes_b, 4);
    assert_int_equal(e->quotes_shared, 3);
    dd_explain_free(e);
}

static void test_explain_disjoint(void **state)
{
    static const char c[] = "The northern valleys had their wettest November since records.";
    dd_pipeline_opts o = dd_pipeline_opts_default();
    dd_explain *e = NULL;

    (void)state;
    assert_int_equal(dd_explain_passages(&o, a, strlen(a), c, strlen(c), &e), DD_OK);
    assert_int_equal(e->n_passages, 0);
    assert_true(e->copies.jaccard == 0);
    assert_false(e->copy);
    assert_true(e->similarity < 0); /* not computed by dd_explain_passages */
    dd_explain_free(e);
}

static void test_explain_refuses(void **state)
{
    dd_pipeline_opts o = dd_pipeline_opts_default();
    dd_explain *e = (dd_explain *)&o;

    (void)state;
    assert_int_equal(dd_explain_pair(&o, a, strlen(a), " ...", 4, &e), DD_EEMPTY);
    assert_null(e);
    o.shingle_k = 0;
    assert_int_equal(dd_explain_passages(&o, a, strlen(a), b, strlen(b), &e), DD_EINVAL);
    assert_null(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_explain_passage_maps_to_words),
        cmocka_unit_test(test_explain_disjoint),
        cmocka_unit_test(test_explain_quotes),
        cmocka_unit_test(test_explain_refuses),
    };
    return cmocka_run_group_tests_name("explain", tests, NULL, NULL);
}
