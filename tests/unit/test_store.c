/* Unit tests for the SQLite store (store.c): parameters recorded and a mismatch refused by
 * name, documents stored once by id and hash, candidates by key and by group, frequencies
 * counted and taken back by prune, boilerplate-line groups outside a run. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dedup/dedup.h>

typedef struct ctx {
    char path[64];
    dd_store *s;
} ctx;

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof *c);
    int fd;

    if (!c)
        return -1;
    strcpy(c->path, "/tmp/dedup-test-store-XXXXXX");
    fd = mkstemp(c->path);
    if (fd < 0)
        return -1;
    close(fd);
    unlink(c->path); /* the store makes it */
    *state = c;
    return 0;
}

static void remove_files(const char *path)
{
    char p[96];

    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static int teardown(void **state)
{
    ctx *c = *state;

    dd_store_close(c->s);
    remove_files(c->path);
    free(c);
    return 0;
}

/* Insert a document with the given keys, terms and lines. */
static int64_t put(dd_store *s, const char *id, uint64_t hash, const uint64_t *keys, size_t nk,
                   const uint64_t *terms, size_t nt, const uint64_t *lines, size_t nl, double day)
{
    dd_store_doc d;
    int64_t row = 0;

    memset(&d, 0, sizeof d);
    d.id = id;
    d.title = id;
    d.source = "test";
    d.hash = hash;
    d.day = day;
    d.added = 1700000000;
    d.record = "{}";
    d.record_len = 2;
    d.keys = keys;
    d.n_keys = nk;
    d.terms = terms;
    d.n_terms = nt;
    d.lines = lines;
    d.n_lines = nl;
    assert_int_equal(dd_store_insert(s, &d, &row), DD_OK);
    return row;
}

static void test_store_params_refused_by_name(void **state)
{
    ctx *c = *state;
    dd_pipeline_opts o = dd_pipeline_opts_default();
    dd_store *s = NULL;

    assert_int_equal(dd_store_open(c->path, &o, DD_STORE_CREATE, 100, &c->s), DD_OK);
    dd_store_close(c->s);
    c->s = NULL;
    o.shingle_k = 4;
    assert_int_equal(dd_store_open(c->path, &o, DD_STORE_READ, 100, &s), DD_EINVAL);
    assert_non_null(strstr(dd_store_error(s), "parameter shingle_k is 5 in the store, 4 here"));
    assert_non_null(strstr(dd_store_error(s), c->path));
    dd_store_close(s);
    s = NULL;
    o = dd_pipeline_opts_default();
    o.seed = 2;
    assert_int_equal(dd_store_open(c->path, &o, DD_STORE_WRITE, 100, &s), DD_EINVAL);
    assert_non_null(strstr(dd_store_error(s), "parameter seed is 1 in the store, 2 here"));
    dd_store_close(s);
}

static void test_store_missing_file(void **state)
{
    ctx *c = *state;
    dd_pipeline_opts o = dd_pipeline_opts_default();

    assert_int_equal(dd_store_open(c->path, &o, DD_STORE_READ, 100, &c->s), DD_EIO);
    assert_non_null(strstr(dd_store_error(c->s), "no such store"));
}

static void test_store_documents_and_candidates(void **state)
{
    ctx *c = *state;
    dd_pipeline_opts o = dd_pipeline_opts_default();
    uint64_t k1[] = {10, 11}, k2[] = {11, 12}, k3[] = {13}, t[] = {100, 200}, l[] = {7};
    uint64_t q[] = {12};
    int64_t *rows = NULL, r1, r2, r3;
    size_t n = 0;
    uint32_t df[3];
    uint64_t terms[] = {100, 200, 300};
    size_t docs = 0;
    bool found = false;
    dd_store_doc d;

    assert_int_equal(dd_store_open(c->path, &o, DD_STORE_CREATE, 100, &c->s), DD_OK);
    assert_int_equal(dd_store_begin(c->s), DD_OK);
    r1 = put(c->s, "a", 1, k1, 2, t, 2, l, 1, NAN);
    r2 = put(c->s, "b", 2, k2, 2, t, 1, l, 1, NAN);
    r3 = put(c->s, "c", 3, k3, 1, t + 1, 1, NULL, 0, NAN);
    /* c joins a's story: a query that matches a finds c too */
    assert_int_equal(dd_store_set_root(c->s, 1, r3, 0, r1), DD_OK);
    assert_int_equal(dd_store_commit(c->s), DD_OK);

    assert_int_equal(dd_store_has(c->s, "a", 1, &found), DD_OK);
    assert_true(found);
    assert_int_equal(dd_store_has(c->s, "a", 9, &found), DD_OK);
    assert_false(found);

    /* key 12 -> b; b's own key 11 -> a; a's story -> c (stories only) */
    assert_int_equal(dd_store_candidates(c->s, q, 1, false, 100, &rows, &n), DD_OK);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0], r1);
    assert_int_equal(rows[1], r2);
    free(rows);
    assert_int_equal(dd_store_candidates(c->s, k3, 1, true, 100, &rows, &n), DD_OK);
    assert_int_equal(n, 2); /* c, and a by c's story root */
    free(rows);

    assert_int_equal(dd_store_df(c->s, terms, 3, df, &docs), DD_OK);
    assert_int_equal(docs, 3);
    assert_int_equal(df[0], 2);
    assert_int_equal(df[1], 2);
    assert_int_equal(df[2], 0);

    assert_int_equal(dd_store_load(c->s, r2, &d), DD_OK);
    assert_string_equal(d.id, "b");
    assert_int_equal(d.n_keys, 2);
    assert_int_equal(d.keys[1], 12);
    assert_true(isnan(d.day));
    assert_int_equal(dd_store_load(c->s, 99, &d), DD_END);
}

static void test_store_line_groups_outside_run(void **state)
{
    ctx *c = *state;
    dd_pipeline_opts o = dd_pipeline_opts_default();
    uint64_t line[] = {7}, key[] = {1};
    uint8_t g[1];
    int64_t r1, ex[1];

    assert_int_equal(dd_store_open(c->path, &o, DD_STORE_CREATE, 100, &c->s), DD_OK);
    assert_int_equal(dd_store_begin(c->s), DD_OK);
    r1 = put(c->s, "a", 1, key, 1, NULL, 0, line, 1, NAN);
    put(c->s, "b", 2, key, 1, NULL, 0, line, 1, NAN);
    put(c->s, "c", 3, key, 1, NULL, 0, line, 1, NAN);
    put(c->s, "d", 4, key, 1, NULL, 0, line, 1, NAN);
    assert_int_equal(dd_store_commit(c->s), DD_OK);
    assert_int_equal(dd_store_line_groups(c->s, line, 1, NULL, 0, g), DD_OK);
    assert_int_equal(g[0], 3); /* capped at three */
    ex[0] = r1;
    assert_int_equal(dd_store_set_root(c->s, 0, 0, 3, 2), DD_OK); /* c joins b's group */
    assert_int_equal(dd_store_line_groups(c->s, line, 1, ex, 1, g), DD_OK);
    assert_int_equal(g[0], 2); /* b+c and d; a is in the run */
}

static void test_store_prune_takes_back_frequencies(void **state)
{
    ctx *c = *state;
    dd_pipeline_opts o = dd_pipeline_opts_default();
    uint64_t k[] = {5}, t[] = {100}, l[] = {7};
    int64_t *rows = NULL;
    size_t n = 9, removed = 0, docs = 0;
    uint32_t df[1];
    dd_store_stats st;
    bool ok = false;

    assert_int_equal(dd_store_open(c->path, &o, DD_STORE_CREATE, 100, &c->s), DD_OK);
    assert_int_equal(dd_store_begin(c->s), DD_OK);
    put(c->s, "old", 1, k, 1, t, 1, l, 1, 19000.0);  /* 2022 */
    put(c->s, "new", 2, k, 1, t, 1, l, 1, 19690.0);  /* 2023-11-29 */
    put(c->s, "undated", 3, k, 1, t, 1, l, 1, NAN); /* added 2023-11-14 */
    assert_int_equal(dd_store_commit(c->s), DD_OK);
    /* now = 2023-12-01: 30 days keep the new and the undated (added 17 days before) */
    assert_int_equal(dd_store_prune(c->s, 30, 1701388800, &removed), DD_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(dd_store_df(c->s, t, 1, df, &docs), DD_OK);
    assert_int_equal(df[0], 2);
    assert_int_equal(docs, 2);
    assert_int_equal(dd_store_candidates(c->s, k, 1, false, 100, &rows, &n), DD_OK);
    assert_int_equal(n, 2);
    free(rows);
    assert_int_equal(dd_store_stats_get(c->s, &st), DD_OK);
    assert_int_equal(st.docs, 2);
    assert_int_equal(st.dated, 1);
    assert_string_equal(st.first, "2023-11-29");
    assert_int_equal(dd_store_check(c->s, &ok), DD_OK);
    assert_true(ok);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_store_params_refused_by_name),
        T(test_store_missing_file),
        T(test_store_documents_and_candidates),
        T(test_store_line_groups_outside_run),
        T(test_store_prune_takes_back_frequencies),
    };
#undef T
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
