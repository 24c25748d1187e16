/* Unit tests for evaluation: pairwise precision/recall/F1 and ARI of a clustering (JSON
 * Lines, as dedup writes it) against labels (doc<TAB>group), both read from fmemopen. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include <dedup/dedup.h>

#include "helpers.h"

#define EPS 1e-9

static dd_status eval(const char *truth, const char *clusters, dd_eval_result *res, char *err,
                      size_t err_len)
{
    FILE *t = mem_stream_str(truth), *c = mem_stream_str(clusters);
    dd_status st = dd_eval_run(t, "truth.tsv", c, "pred.jsonl", res, err, err_len);

    fclose(t);
    fclose(c);
    return st;
}

static void eval_ok(const char *truth, const char *clusters, dd_eval_result *res)
{
    char err[256];
    dd_status st = eval(truth, clusters, res, err, sizeof err);

    if (st != DD_OK)
        fail_msg("dd_eval_run: %s (%s)", dd_strerror(st), err);
}

static void assert_near(double got, double want)
{
    if (fabs(got - want) > EPS)
        fail_msg("got %.12f, want %.12f", got, want);
}

static const char truth_ab[] = "doc\tgroup\na1\tA\na2\tA\nb1\tB\nb2\tB\nb3\tB\n";

static void test_eval_perfect_clustering(void **state)
{
    dd_eval_result r;

    (void)state;
    eval_ok(truth_ab,
            "{\"cluster\":1,\"docs\":[{\"id\":\"a1\"},{\"id\":\"a2\"}]}\n"
            "{\"cluster\":2,\"docs\":[{\"id\":\"b1\"},{\"id\":\"b2\"},{\"id\":\"b3\"}]}\n"
            "{\"summary\":{\"clusters\":2}}\n",
            &r);
    assert_int_equal(r.labelled, 5);
    assert_int_equal(r.groups, 2);
    assert_int_equal(r.clusters, 2); /* the summary line is not a cluster */
    assert_int_equal(r.tp, 4);        /* C(2,2) + C(3,2) */
    assert_int_equal(r.fp, 0);
    assert_int_equal(r.fn, 0);
    assert_near(r.precision, 1.0);
    assert_near(r.recall, 1.0);
    assert_near(r.f1, 1.0);
    assert_near(r.ari, 1.0);
}

static void test_eval_merged_groups(void **state)
{
    /* Truth {a1,a2} {b1,b2}; one predicted cluster of all four. Predicted pairs C(4,2) = 6,
     * of which a1-a2 and b1-b2 are true: tp 2, fp 4, fn 0; P = 2/6, R = 1, F1 = 0.5.
     * ARI: n = 4, true pairs 2, predicted pairs 6, expected index 2 * 6 / C(4,2) = 2,
     * max index (2 + 6) / 2 = 4, so (2 - 2) / (4 - 2) = 0. */
    dd_eval_result r;

    (void)state;
    eval_ok("a1\tA\na2\tA\nb1\tB\nb2\tB\n",
            "{\"docs\":[{\"id\":\"a1\"},{\"id\":\"b1\"},{\"id\":\"a2\"},{\"id\":\"b2\"}]}\n", &r);
    assert_int_equal(r.tp, 2);
    assert_int_equal(r.fp, 4);
    assert_int_equal(r.fn, 0);
    assert_near(r.precision, 1.0 / 3.0);
    assert_near(r.recall, 1.0);
    assert_near(r.f1, 0.5);
    assert_near(r.ari, 0.0);
}

static void test_eval_split_group(void **state)
{
    /* Truth {a1,a2,a3}; predicted {a1,a2} only: tp 1, fp 0, fn C(3,2) - 1 = 2;
     * P = 1, R = 1/3, F1 = 2 * (1/3) / (4/3) = 0.5. */
    dd_eval_result r;

    (void)state;
    eval_ok("a1\tA\na2\tA\na3\tA\n", "{\"docs\":[{\"id\":\"a1\"},{\"id\":\"a2\"}]}\n", &r);
    assert_int_equal(r.tp, 1);
    assert_int_equal(r.fp, 0);
    assert_int_equal(r.fn, 2);
    assert_near(r.precision, 1.0);
    assert_near(r.recall, 1.0 / 3.0);
    assert_near(r.f1, 0.5);
}

static void test_eval_unlabelled_joining_labelled_is_fp(void **state)
{
    /* {a1,a2,u1}: pairs a1-a2 (tp), a1-u1 and a2-u1 (fp: they touch a labelled doc). */
    dd_eval_result r;

    (void)state;
    eval_ok("a1\tA\na2\tA\n", "{\"docs\":[{\"id\":\"a1\"},{\"id\":\"u1\"},{\"id\":\"a2\"}]}\n",
            &r);
    assert_int_equal(r.tp, 1);
    assert_int_equal(r.fp, 2);
    assert_int_equal(r.fn, 0);
    assert_near(r.precision, 1.0 / 3.0);
    assert_near(r.recall, 1.0);
}

static void test_eval_unlabelled_pairs_ignored(void **state)
{
    /* A cluster of only unlabelled docs adds nothing; inside a mixed cluster the u1-u2 pair
     * is ignored: {a1,u1,u2} gives a1-u1 and a1-u2 as fp, C(3,2) - C(2,2) = 2. */
    dd_eval_result r;

    (void)state;
    eval_ok("a1\tA\na2\tA\n",
            "{\"docs\":[{\"id\":\"a1\"},{\"id\":\"a2\"}]}\n"
            "{\"docs\":[{\"id\":\"u1\"},{\"id\":\"u2\"},{\"id\":\"u3\"}]}\n",
            &r);
    assert_int_equal(r.tp, 1);
    assert_int_equal(r.fp, 0);
    assert_int_equal(r.fn, 0);
    assert_near(r.precision, 1.0);
    assert_near(r.ari, 1.0);

    eval_ok("a1\tA\na2\tA\n", "{\"docs\":[{\"id\":\"a1\"},{\"id\":\"u1\"},{\"id\":\"u2\"}]}\n",
            &r);
    assert_int_equal(r.tp, 0);
    assert_int_equal(r.fp, 2);
    assert_int_equal(r.fn, 1);
    assert_near(r.precision, 0.0);
    assert_near(r.recall, 0.0);
    assert_near(r.f1, 0.0);
}

static void test_eval_ids_keyed_by_basename(void **state)
{
    /* Folders and a ".txt" suffix are dropped on both sides; ids may be bare strings. */
    dd_eval_result r;

    (void)state;
    eval_ok("corpus/r1.txt\tA\nr2\tA\nr3.txt\tB\nx/y/r4\tB\n",
            "{\"docs\":[{\"id\":\"data/a/r1.txt\"},{\"id\":\"/abs/path/r2.txt\"}]}\n"
            "{\"docs\":[\"r3\",\"other/r4.txt\"]}\n",
            &r);
    assert_int_equal(r.labelled, 4);
    assert_int_equal(r.tp, 2);
    assert_int_equal(r.fp, 0);
    assert_int_equal(r.fn, 0);
}

static void test_eval_txt_only_stripped_as_suffix(void **state)
{
    /* "r1.txt.bak" and "r1.json" are other documents than "r1". */
    dd_eval_result r;

    (void)state;
    eval_ok("r1\tA\nr2\tA\n", "{\"docs\":[{\"id\":\"r1.txt.bak\"},{\"id\":\"r2.json\"}]}\n", &r);
    assert_int_equal(r.tp, 0);
    assert_int_equal(r.fp, 0); /* both unlabelled: ignored */
    assert_int_equal(r.fn, 1);
}

static void test_eval_doc_counted_once(void **state)
{
    /* A document named by two clusters counts in the first only. */
    dd_eval_result r;

    (void)state;
    eval_ok("a1\tA\na2\tA\nb1\tB\nb2\tB\n",
            "{\"docs\":[{\"id\":\"a1\"},{\"id\":\"a2\"}]}\n"
            "{\"docs\":[{\"id\":\"a2\"},{\"id\":\"b1\"},{\"id\":\"b2\"}]}\n",
            &r);
    assert_int_equal(r.tp, 2);
    assert_int_equal(r.fp, 0);
    assert_int_equal(r.fn, 0);
}

static void test_eval_malformed_truth_line(void **state)
{
    static const struct {
        const char *truth, *err;
    } cases[] = {
        {"a1\tA\nno-tab-here\nb1\tB\n", "truth.tsv:2: expected doc<TAB>group"},
        {"doc\tgroup\n\na1\tA\nbad\n", "truth.tsv:4: expected doc<TAB>group"},
        {"header without tab\n", "truth.tsv:1: expected doc<TAB>group"},
    };
    dd_eval_result r;
    char err[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(eval(cases[i].truth, "", &r, err, sizeof err), DD_EPARSE);
        assert_string_equal(err, cases[i].err);
    }
}

static void test_eval_malformed_clusters(void **state)
{
    dd_eval_result r;
    char err[256];

    (void)state;
    assert_int_equal(eval("a1\tA\n", "{\"docs\":[\"a1\"]}\n{oops\n", &r, err, sizeof err),
                     DD_EPARSE);
    assert_int_equal(strncmp(err, "pred.jsonl:2: invalid JSON", 26), 0);
    assert_int_equal(eval("a1\tA\n", "\n{\"docs\":[{\"title\":\"no id\"}]}\n", &r, err,
                          sizeof err),
                     DD_EPARSE);
    assert_string_equal(err, "pred.jsonl:2: a document has no string \"id\"");
}

static void test_eval_empty_inputs(void **state)
{
    dd_eval_result r;

    (void)state;
    eval_ok("", "", &r);
    assert_int_equal(r.labelled, 0);
    assert_int_equal(r.tp + r.fp + r.fn, 0);
    assert_near(r.precision, 1.0);
    assert_near(r.recall, 1.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eval_perfect_clustering),
        cmocka_unit_test(test_eval_merged_groups),
        cmocka_unit_test(test_eval_split_group),
        cmocka_unit_test(test_eval_unlabelled_joining_labelled_is_fp),
        cmocka_unit_test(test_eval_unlabelled_pairs_ignored),
        cmocka_unit_test(test_eval_ids_keyed_by_basename),
        cmocka_unit_test(test_eval_txt_only_stripped_as_suffix),
        cmocka_unit_test(test_eval_doc_counted_once),
        cmocka_unit_test(test_eval_malformed_truth_line),
        cmocka_unit_test(test_eval_malformed_clusters),
        cmocka_unit_test(test_eval_empty_inputs),
    };
    return cmocka_run_group_tests_name("eval", tests, NULL, NULL);
}
