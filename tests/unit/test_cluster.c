/* Unit tests for clustering: union-find with the smallest member as root, and extraction
 * of groups of two or more in a fixed order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <dedup/dedup.h>

#include "helpers.h"

typedef struct ctx {
    dd_uf *uf;
    dd_clusters cl;
} ctx;

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof *c);

    *state = c;
    return c ? 0 : -1;
}

static int teardown(void **state)
{
    ctx *c = *state;

    dd_uf_free(c->uf);
    dd_clusters_free(&c->cl);
    free(c);
    return 0;
}

/* Render clusters as "0 3 5|2 7" for easy comparison. */
static void render(const dd_clusters *cl, char *buf, size_t cap)
{
    size_t c, i, at = 0;

    buf[0] = '\0';
    for (c = 0; c < cl->count; c++) {
        for (i = cl->start[c]; i < cl->start[c + 1]; i++) {
            int k = snprintf(buf + at, cap - at, "%s%u",
                             i == cl->start[c] ? (c ? "|" : "") : " ", cl->members[i]);
            assert_true(k > 0 && (size_t)k < cap - at);
            at += (size_t)k;
        }
    }
}

typedef struct edge {
    uint32_t a, b;
} edge;

static void cluster_edges(ctx *c, size_t n, const edge *e, size_t ne, char *out, size_t cap)
{
    size_t i;

    dd_uf_free(c->uf);
    dd_clusters_free(&c->cl);
    assert_int_equal(dd_uf_new(n, &c->uf), DD_OK);
    for (i = 0; i < ne; i++)
        dd_uf_union(c->uf, e[i].a, e[i].b);
    assert_int_equal(dd_cluster_extract(c->uf, n, &c->cl), DD_OK);
    render(&c->cl, out, cap);
}

static void test_cluster_root_is_smallest_member(void **state)
{
    ctx *c = *state;

    assert_int_equal(dd_uf_new(10, &c->uf), DD_OK);
    assert_int_equal(dd_uf_find(c->uf, 6), 6);
    dd_uf_union(c->uf, 9, 6);
    assert_int_equal(dd_uf_find(c->uf, 9), 6);
    dd_uf_union(c->uf, 8, 9);
    assert_int_equal(dd_uf_find(c->uf, 8), 6);
    dd_uf_union(c->uf, 9, 2); /* joins via a non-root member */
    assert_int_equal(dd_uf_find(c->uf, 6), 2);
    assert_int_equal(dd_uf_find(c->uf, 8), 2);
    assert_int_equal(dd_uf_find(c->uf, 9), 2);
    dd_uf_union(c->uf, 2, 8); /* already joined: no change */
    assert_int_equal(dd_uf_find(c->uf, 8), 2);
    assert_int_equal(dd_uf_find(c->uf, 0), 0);
    assert_int_equal(dd_uf_find(c->uf, 7), 7);
}

static void test_cluster_extract_order_and_members(void **state)
{
    /* Clusters ordered by smallest member, members ascending, singletons (1, 4, 8) left out. */
    static const edge e[] = {{9, 5}, {7, 3}, {5, 2}, {6, 0}, {3, 10}};
    ctx *c = *state;
    char got[128];

    cluster_edges(c, 11, e, sizeof e / sizeof e[0], got, sizeof got);
    assert_string_equal(got, "0 6|2 5 9|3 7 10");
    assert_int_equal(c->cl.count, 3);
    assert_int_equal(c->cl.start[0], 0);
    assert_int_equal(c->cl.start[3], 8);
}

static void test_cluster_singletons_excluded(void **state)
{
    static const edge self[] = {{3, 3}};
    ctx *c = *state;
    char got[64];

    cluster_edges(c, 5, NULL, 0, got, sizeof got);
    assert_int_equal(c->cl.count, 0);
    assert_string_equal(got, "");
    cluster_edges(c, 5, self, 1, got, sizeof got); /* a self-pair makes no group */
    assert_int_equal(c->cl.count, 0);
    cluster_edges(c, 0, NULL, 0, got, sizeof got); /* no elements at all */
    assert_int_equal(c->cl.count, 0);
}

static void test_cluster_independent_of_union_order(void **state)
{
    /* A chain, a star and a pair over 40 elements; 50 fixed-seed shuffles of the pairs and
     * of each pair's direction must all give the same clusters. */
    edge e[40], want_edges[40];
    ctx *c = *state;
    char want[512], got[512];
    uint64_t st = 2024;
    size_t ne = 0, i, round;

    for (i = 30; i > 21; i--) /* chain 21-22-...-30 */
        e[ne++] = (edge){(uint32_t)i, (uint32_t)(i - 1)};
    for (i = 0; i < 6; i++) /* star centred on 17 with 3, 9, 12, 35, 38, 39 */
        e[ne++] = (edge){17, (uint32_t[]){3, 9, 12, 35, 38, 39}[i]};
    e[ne++] = (edge){5, 1};
    memcpy(want_edges, e, sizeof e);
    cluster_edges(c, 40, want_edges, ne, want, sizeof want);
    assert_string_equal(want, "1 5|3 9 12 17 35 38 39|21 22 23 24 25 26 27 28 29 30");
    for (round = 0; round < 50; round++) {
        for (i = ne - 1; i > 0; i--) {
            size_t j = (size_t)(test_rand64(&st) % (i + 1));
            edge t = e[i];
            e[i] = e[j];
            e[j] = t;
        }
        for (i = 0; i < ne; i++)
            if (test_rand64(&st) & 1)
                e[i] = (edge){e[i].b, e[i].a};
        cluster_edges(c, 40, e, ne, got, sizeof got);
        assert_string_equal(got, want);
    }
}

static void test_cluster_free_accepts_zeroed(void **state)
{
    dd_clusters z;

    (void)state;
    memset(&z, 0, sizeof z);
    dd_clusters_free(&z);
    assert_null(z.members);
    assert_int_equal(z.count, 0);
    dd_uf_free(NULL);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_cluster_root_is_smallest_member),
        T(test_cluster_extract_order_and_members),
        T(test_cluster_singletons_excluded),
        T(test_cluster_independent_of_union_order),
        cmocka_unit_test(test_cluster_free_accepts_zeroed),
    };
#undef T
    return cmocka_run_group_tests_name("cluster", tests, NULL, NULL);
}
