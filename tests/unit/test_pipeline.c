/* Unit tests for the whole pipeline over in-memory streams (dd_reader_add_stream). Stories
 * are made of fixed-seed pseudo-random six-letter words, so two stories share no words unless
 * a test makes them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dedup/dedup.h>

#include "helpers.h"

#define MAX_IN 8
#define TEXT_CAP 4096

typedef struct ctx {
    dd_reader *r;
    dd_result *res;
    FILE *in[MAX_IN];
    size_t n_in;
    size_t diag_skipped, diag_repaired;
    char last_diag[256];
} ctx;

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof *c);

    if (!c || dd_reader_new(NULL, &c->r) != DD_OK) {
        free(c);
        return -1;
    }
    *state = c;
    return 0;
}

static void reset_inputs(ctx *c)
{
    size_t i;

    dd_result_free(c->res);
    dd_reader_free(c->r);
    for (i = 0; i < c->n_in; i++)
        fclose(c->in[i]);
    c->res = NULL;
    c->r = NULL;
    c->n_in = 0;
}

static int teardown(void **state)
{
    ctx *c = *state;

    reset_inputs(c);
    free(c);
    return 0;
}

static void on_diag(void *ud, const char *msg, bool skipped)
{
    ctx *c = ud;

    if (skipped)
        c->diag_skipped++;
    else
        c->diag_repaired++;
    snprintf(c->last_diag, sizeof c->last_diag, "%s", msg);
}

static void add_bytes(ctx *c, const char *name, const char *s, size_t len, bool jsonl)
{
    assert_true(c->n_in < MAX_IN);
    c->in[c->n_in] = mem_stream(s, len);
    assert_int_equal(dd_reader_add_stream(c->r, c->in[c->n_in++], name, jsonl), DD_OK);
}

static void add_text(ctx *c, const char *name, const char *s)
{
    add_bytes(c, name, s, strlen(s), false);
}

static void run(ctx *c, dd_pipeline_opts *o)
{
    o->on_diag = on_diag;
    o->diag_ud = c;
    assert_int_equal(dd_pipeline_run(o, c->r, &c->res), DD_OK);
    assert_non_null(c->res);
    assert_int_equal(c->res->n_inputs, c->res->n_docs + dd_result_skipped(c->res));
}

/* Default options at the copies level, which these tests are about (stories have their own
 * suite, test_story.c). */
static void run_default(ctx *c)
{
    dd_pipeline_opts o = dd_pipeline_opts_default();
    o.level = DD_LEVEL_COPIES;
    run(c, &o);
}

/* Append `n` pseudo-random six-letter words (seeded) to `buf`, space-separated. */
static void words(char *buf, size_t n, uint64_t seed)
{
    size_t at = strlen(buf), i, j;
    uint64_t st = seed * 0x100000001B3ULL + 17;

    for (i = 0; i < n; i++) {
        uint64_t r = test_rand64(&st);
        assert_true(at + 8 < TEXT_CAP);
        if (at)
            buf[at++] = ' ';
        for (j = 0; j < 6; j++, r /= 26)
            buf[at++] = (char)('a' + r % 26);
    }
    buf[at] = '\0';
}

/* Replace word `idx` (0-based) of a text made by words() with "zzzzzz". */
static void replace_word(char *buf, size_t idx)
{
    memcpy(buf + idx * 7, "zzzzzz", 6);
}

static void assert_clusters(const dd_result *res, const char *want)
{
    char got[256];
    size_t c, i, at = 0;

    got[0] = '\0';
    for (c = 0; c < res->clusters.count; c++)
        for (i = res->clusters.start[c]; i < res->clusters.start[c + 1]; i++) {
            const char *id = res->docs[res->clusters.members[i]].id;
            int k = snprintf(got + at, sizeof got - at, "%s%s",
                             i == res->clusters.start[c] ? (c ? "|" : "") : " ", id);
            assert_true(k > 0 && (size_t)k < sizeof got - at);
            at += (size_t)k;
        }
    assert_string_equal(got, want);
}

static void test_pipeline_near_duplicates_clustered(void **state)
{
    ctx *c = *state;
    char a[TEXT_CAP] = "", b[TEXT_CAP], other[TEXT_CAP] = "";

    words(a, 60, 1);
    strcpy(b, a);
    replace_word(b, 30); /* kills 5 of 56 shingles: J = 51 / 61 */
    words(other, 60, 2);
    add_text(c, "a.txt", a);
    add_text(c, "other.txt", other);
    add_text(c, "b.txt", b);
    run_default(c);
    assert_int_equal(c->res->n_docs, 3);
    assert_clusters(c->res, "a.txt b.txt");
    assert_int_equal(c->res->n_pairs, 1);
    assert_int_equal(c->res->pairs[0].a, 0);
    assert_int_equal(c->res->pairs[0].b, 2);
    assert_in_range((uintmax_t)(c->res->pairs[0].jaccard * 61 + 0.5), 51, 51);
    assert_int_equal(c->res->n_clustered, 2);
    assert_int_equal(c->res->docs[0].tokens, 60);
}

static void test_pipeline_empty_doc_skipped(void **state)
{
    ctx *c = *state;
    char a[TEXT_CAP] = "";

    words(a, 20, 3);
    add_text(c, "empty.txt", "");
    add_text(c, "punct.txt", "  ... !!! --- \n\n");
    add_text(c, "a.txt", a);
    run_default(c);
    assert_int_equal(c->res->n_inputs, 3);
    assert_int_equal(c->res->n_docs, 1);
    assert_int_equal(c->res->skipped[DD_SKIP_EMPTY], 2);
    assert_int_equal(dd_result_skipped(c->res), 2);
    assert_int_equal(c->diag_skipped, 2);
    assert_string_equal(c->res->docs[0].id, "a.txt");
    assert_int_equal(c->res->clusters.count, 0);
}

static void test_pipeline_no_usable_docs(void **state)
{
    ctx *c = *state;

    add_text(c, "e1", "");
    add_text(c, "e2", "\n\n");
    run_default(c);
    assert_int_equal(c->res->n_inputs, 2);
    assert_int_equal(c->res->n_docs, 0);
    assert_int_equal(c->res->skipped[DD_SKIP_EMPTY], 2);
    assert_int_equal(c->res->n_pairs, 0);
    assert_int_equal(c->res->clusters.count, 0);
    assert_int_equal(c->res->n_clustered, 0);
}

static void test_pipeline_every_input_accounted(void **state)
{
    static const char jsonl[] = "{\"id\":\"j1\",\"text\":\"alpha beta gamma\"}\n"
                                "{broken\n"
                                "{\"id\":\"j3\",\"text\":7}\n"
                                "{\"id\":\"j4\",\"text\":\"\"}\n";
    ctx *c = *state;
    dd_pipeline_opts o = dd_pipeline_opts_default();
    dd_reader_opts ro = dd_reader_opts_default();
    char big[TEXT_CAP] = "";

    dd_reader_free(c->r);
    ro.max_doc_bytes = 1000;
    assert_int_equal(dd_reader_new(&ro, &c->r), DD_OK);
    words(big, 200, 4); /* 1399 bytes */
    add_text(c, "big.txt", big);
    add_bytes(c, "bin.dat", "text\0more", 9, false);
    add_text(c, "latin1.txt", "caf\xe9 cr\xe8me br\xfbl\xe9" "e");
    add_bytes(c, "feed.jsonl", jsonl, sizeof jsonl - 1, true);
    run(c, &o);
    assert_int_equal(c->res->n_inputs, 7);
    assert_int_equal(c->res->n_docs, 2); /* latin1.txt and j1 */
    assert_int_equal(c->res->skipped[DD_SKIP_TOO_LARGE], 1);
    assert_int_equal(c->res->skipped[DD_SKIP_BINARY], 1);
    assert_int_equal(c->res->skipped[DD_SKIP_MALFORMED], 2);
    assert_int_equal(c->res->skipped[DD_SKIP_EMPTY], 1);
    assert_int_equal(c->res->skipped[DD_SKIP_UNREADABLE], 0);
    assert_int_equal(c->res->n_repaired, 1);
    assert_int_equal(c->diag_skipped, 5);
    assert_int_equal(c->diag_repaired, 1);
    assert_string_equal(c->res->docs[0].id, "latin1.txt");
    assert_int_equal(c->res->docs[0].tokens, 3);
    assert_string_equal(c->res->docs[1].id, "j1");
    assert_int_equal(c->res->docs[1].line, 1);
}

typedef struct snapshot {
    size_t n_pairs, n_clusters, n_members;
    dd_pair_score pairs[16];
    uint32_t members[16];
    size_t start[17];
} snapshot;

static void take(const dd_result *res, snapshot *s)
{
    memset(s, 0, sizeof *s);
    assert_true(res->n_pairs <= 16 && res->clusters.count <= 16);
    s->n_pairs = res->n_pairs;
    for (size_t i = 0; i < res->n_pairs; i++) { /* by field: padding bytes are not data */
        s->pairs[i].a = res->pairs[i].a;
        s->pairs[i].b = res->pairs[i].b;
        s->pairs[i].jaccard = res->pairs[i].jaccard;
        s->pairs[i].containment = res->pairs[i].containment;
        s->pairs[i].similarity = res->pairs[i].similarity;
        s->pairs[i].copy = res->pairs[i].copy;
    }
    s->n_clusters = res->clusters.count;
    s->n_members = res->clusters.count ? res->clusters.start[res->clusters.count] : 0;
    assert_true(s->n_members <= 16);
    memcpy(s->members, res->clusters.members, s->n_members * sizeof *s->members);
    memcpy(s->start, res->clusters.start, (s->n_clusters + 1) * sizeof *s->start);
}

static void add_family(ctx *c, char (*t)[TEXT_CAP])
{
    static const char *const names[] = {"s0", "s1", "s2", "s3", "s4", "s5"};
    size_t i;

    for (i = 0; i < 6; i++)
        add_text(c, names[i], t[i]);
}

static void test_pipeline_deterministic(void **state)
{
    /* Two story families (three near copies each, interleaved): two runs over fresh readers
     * must give the same pairs, scores and clusters. */
    ctx *c = *state;
    char (*t)[TEXT_CAP] = calloc(6, TEXT_CAP);
    snapshot s1, s2;
    size_t i;

    assert_non_null(t);
    for (i = 0; i < 6; i++) {
        words(t[i], 80, 10 + i % 2);
        replace_word(t[i], 10 + 7 * i);
    }
    add_family(c, t);
    run_default(c);
    take(c->res, &s1);
    reset_inputs(c);
    assert_int_equal(dd_reader_new(NULL, &c->r), DD_OK);
    add_family(c, t);
    run_default(c);
    take(c->res, &s2);
    assert_int_equal(s1.n_clusters, 2);
    assert_int_equal(s1.n_pairs, 6);
    assert_memory_equal(&s1, &s2, sizeof s1);
    assert_clusters(c->res, "s0 s2 s4|s1 s3 s5");
    for (i = 1; i < s1.n_pairs; i++) /* ascending by (a, b) */
        assert_true(s1.pairs[i - 1].a < s1.pairs[i].a ||
                    (s1.pairs[i - 1].a == s1.pairs[i].a && s1.pairs[i - 1].b < s1.pairs[i].b));
    free(t);
}

static void test_pipeline_contained_copy_clustered(void **state)
{
    /* short = the first 40 of the long story's 90 words: 36 shingles, all in the long one's
     * 86, so J = 36 / 86 = 0.42 < 0.5 but containment = 1 >= 0.8. */
    ctx *c = *state;
    char longer[TEXT_CAP] = "", shorter[TEXT_CAP], other[TEXT_CAP] = "";

    words(longer, 90, 20);
    memcpy(shorter, longer, 40 * 7 - 1);
    shorter[40 * 7 - 1] = '\0';
    words(other, 90, 21);
    add_text(c, "long.txt", longer);
    add_text(c, "other.txt", other);
    add_text(c, "short.txt", shorter);
    run_default(c);
    assert_clusters(c->res, "long.txt short.txt");
    assert_int_equal(c->res->n_pairs, 1);
    assert_true(c->res->pairs[0].jaccard < 0.5);
    assert_in_range((uintmax_t)(c->res->pairs[0].jaccard * 86 + 0.5), 36, 36);
    assert_true(c->res->pairs[0].containment == 1.0);
}

static void test_pipeline_containment_can_be_disabled(void **state)
{
    ctx *c = *state;
    dd_pipeline_opts o = dd_pipeline_opts_default();
    char longer[TEXT_CAP] = "", shorter[TEXT_CAP];

    words(longer, 90, 20);
    memcpy(shorter, longer, 40 * 7 - 1);
    shorter[40 * 7 - 1] = '\0';
    add_text(c, "long.txt", longer);
    add_text(c, "short.txt", shorter);
    o.level = DD_LEVEL_COPIES;
    o.containment = 1.5; /* > 1 disables */
    run(c, &o);
    assert_int_equal(c->res->clusters.count, 0);
}

static void test_pipeline_shared_footer_not_clustered(void **state)
{
    /* Two different 60-word stories ending in the same 50-word footer. */
    ctx *c = *state;
    char a[TEXT_CAP] = "", b[TEXT_CAP] = "", footer[TEXT_CAP] = "";

    words(footer, 50, 99);
    words(a, 60, 30);
    words(b, 60, 31);
    strcat(a, "\n");
    strcat(a, footer);
    strcat(b, "\n");
    strcat(b, footer);
    add_text(c, "a.txt", a);
    add_text(c, "b.txt", b);
    run_default(c);
    assert_int_equal(c->res->n_docs, 2);
    assert_int_equal(c->res->n_pairs, 0);
    assert_int_equal(c->res->clusters.count, 0);
    assert_int_equal(c->res->n_clustered, 0);
}

static void test_pipeline_footer_block_not_clustered(void **state)
{
    /* 40-word stories ending in the same 50-word footer: 86 shingles each, the 46 inside the
     * footer shared, J = 46 / 126 = 0.37 and containment 46 / 86 = 0.53, both under their
     * thresholds; but the shared run is over half of each document, which the abridged-copy
     * rule would accept were it not one block at the end of both. */
    ctx *c = *state;
    char a[TEXT_CAP] = "", b[TEXT_CAP] = "", footer[TEXT_CAP] = "";
    dd_pipeline_opts o = dd_pipeline_opts_default();

    words(footer, 50, 98);
    words(a, 40, 32);
    words(b, 40, 33);
    strcat(a, " ");
    strcat(a, footer);
    strcat(b, " ");
    strcat(b, footer);
    add_text(c, "a.txt", a);
    add_text(c, "b.txt", b);
    /* Banding tuned for J = 0.1 proposes a pair at J = 0.37 with certainty (the default's
     * 0.85 would leave the test to the hash values); verification must refuse it. */
    o.level = DD_LEVEL_COPIES;
    o.lsh_threshold = 0.1;
    run(c, &o);
    assert_int_equal(c->res->n_candidates, 1);
    assert_int_equal(c->res->n_pairs, 0);
    assert_int_equal(c->res->clusters.count, 0);
}

static void test_pipeline_abridged_copy_in_wrapper_clustered(void **state)
{
    /* b = 10-word byline + the first 50 of a's 100 words + a 10-word footer of its own:
     * 66 shingles, 46 shared, J = 46 / 116 = 0.40, containment 46 / 66 = 0.70, yet its
     * shared core is contiguous and more than half of it: an abridged copy. */
    ctx *c = *state;
    char a[TEXT_CAP] = "", b[TEXT_CAP] = "", part[TEXT_CAP];

    words(a, 100, 40);
    words(b, 10, 41);
    memcpy(part, a, 50 * 7 - 1);
    part[50 * 7 - 1] = '\0';
    strcat(b, " ");
    strcat(b, part);
    words(b, 10, 42);
    add_text(c, "a.txt", a);
    add_text(c, "b.txt", b);
    run_default(c);
    assert_clusters(c->res, "a.txt b.txt");
    assert_true(c->res->pairs[0].jaccard < 0.5);
    assert_true(c->res->pairs[0].containment < 0.8);
}

static void test_pipeline_short_identical_docs(void **state)
{
    /* Fewer words than k: one shingle over all of them, so exact copies still match. */
    ctx *c = *state;

    add_text(c, "x", "Breaking news tonight");
    add_text(c, "y", "BREAKING  news, tonight!");
    add_text(c, "z", "Weather tomorrow");
    run_default(c);
    assert_clusters(c->res, "x y");
}

static void test_pipeline_bad_options(void **state)
{
    static const struct {
        size_t k, num_perm;
        double threshold, containment, lsh_threshold;
    } cases[] = {
        {0, 128, 0.5, 0.8, 0.3},  {65, 128, 0.5, 0.8, 0.3}, {5, 0, 0.5, 0.8, 0.3},
        {5, 4097, 0.5, 0.8, 0.3}, {5, 128, 0.0, 0.8, 0.3},  {5, 128, 1.5, 0.8, 0.3},
        {5, 128, 0.5, 0.0, 0.3},  {5, 128, 0.5, 0.8, -0.1}, {5, 128, 0.5, 0.8, 1.1},
    };
    ctx *c = *state;
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dd_pipeline_opts o = dd_pipeline_opts_default();
        dd_result *res = (dd_result *)c;
        o.shingle_k = cases[i].k;
        o.num_perm = cases[i].num_perm;
        o.threshold = cases[i].threshold;
        o.containment = cases[i].containment;
        o.lsh_threshold = cases[i].lsh_threshold;
        if (dd_pipeline_run(&o, c->r, &res) != DD_EINVAL)
            fail_msg("case %zu accepted", i);
        assert_null(res);
    }
}

static void test_pipeline_defaults(void **state)
{
    dd_pipeline_opts o = dd_pipeline_opts_default();

    (void)state;
    assert_int_equal(o.level, DD_LEVEL_STORIES);
    assert_int_equal(o.shingle_k, 5);
    assert_int_equal(o.num_perm, 128);
    assert_true(o.threshold == 0.5);
    assert_true(o.containment == 0.8);
    assert_int_equal(o.min_contained, 8);
    assert_int_equal(o.seed, 1);
    assert_null(o.on_diag);
    assert_string_equal(dd_skip_name(DD_SKIP_EMPTY), "empty");
    assert_string_equal(dd_skip_name(DD_SKIP_COUNT), "unknown");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_pipeline_near_duplicates_clustered),
        T(test_pipeline_empty_doc_skipped),
        T(test_pipeline_no_usable_docs),
        T(test_pipeline_every_input_accounted),
        T(test_pipeline_deterministic),
        T(test_pipeline_contained_copy_clustered),
        T(test_pipeline_containment_can_be_disabled),
        T(test_pipeline_shared_footer_not_clustered),
        T(test_pipeline_footer_block_not_clustered),
        T(test_pipeline_abridged_copy_in_wrapper_clustered),
        T(test_pipeline_short_identical_docs),
        T(test_pipeline_bad_options),
        cmocka_unit_test(test_pipeline_defaults),
    };
#undef T
    return cmocka_run_group_tests_name("pipeline", tests, NULL, NULL);
}
