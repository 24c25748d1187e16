/* Unit tests for the shingle stage: tokens -> seeded 64-bit k-shingle hashes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <dedup/dedup.h>

#include "../../src/util.h"

#define SP(s) {s, sizeof s - 1}

/* "the quick brown fox jumps over the lazy dog" */
static const dd_span words[] = {SP("the"),  SP("quick"), SP("brown"), SP("fox"), SP("jumps"),
                                SP("over"), SP("the"),   SP("lazy"),  SP("dog")};
#define N_WORDS (sizeof words / sizeof words[0])

static void test_shingle_count(void **state)
{
    static const struct {
        size_t n, k, want;
    } cases[] = {
        {9, 1, 9}, {9, 3, 7}, {9, 5, 5}, {9, 9, 1}, {9, 10, 1}, {9, 64, 1},
        {1, 1, 1}, {1, 5, 1}, {2, 2, 1}, {0, 1, 0}, {0, 5, 0},
    };
    uint64_t out[16];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dd_shingle_opts o = {cases[i].k, 1};
        size_t n = 99;
        assert_int_equal(dd_shingle_bound(cases[i].n), cases[i].n ? cases[i].n : 1);
        assert_int_equal(dd_shingle_hash(words, cases[i].n, &o, out, dd_shingle_bound(cases[i].n),
                                         &n),
                         DD_OK);
        if (n != cases[i].want)
            fail_msg("n=%zu k=%zu: %zu shingles, want %zu", cases[i].n, cases[i].k, n,
                     cases[i].want);
    }
}

static void test_shingle_token_boundaries_matter(void **state)
{
    const dd_span x[] = {{"ab", 2}, {"c", 1}}, y[] = {{"a", 1}, {"bc", 2}};
    const dd_span z[] = {{"abc", 3}};
    dd_shingle_opts o = {2, 0};
    uint64_t hx[2], hy[2], hz[1]; /* cap must be >= dd_shingle_bound(n) = n */
    size_t n;

    (void)state;
    assert_int_equal(dd_shingle_hash(x, 2, &o, hx, 2, &n), DD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(dd_shingle_hash(y, 2, &o, hy, 2, &n), DD_OK);
    assert_int_equal(dd_shingle_hash(z, 1, &o, hz, 1, &n), DD_OK);
    assert_int_not_equal(hx[0], hy[0]);
    assert_int_not_equal(hx[0], hz[0]);
    assert_int_not_equal(hy[0], hz[0]);
}

static void test_shingle_order_matters(void **state)
{
    const dd_span ab[] = {{"alpha", 5}, {"beta", 4}}, ba[] = {{"beta", 4}, {"alpha", 5}};
    dd_shingle_opts o = {2, 1};
    uint64_t h1[2], h2[2];
    size_t n;

    (void)state;
    assert_int_equal(dd_shingle_hash(ab, 2, &o, h1, 2, &n), DD_OK);
    assert_int_equal(dd_shingle_hash(ba, 2, &o, h2, 2, &n), DD_OK);
    assert_int_not_equal(h1[0], h2[0]);
}

static void test_shingle_deterministic_for_seed(void **state)
{
    dd_shingle_opts o = {3, 42};
    uint64_t a[N_WORDS], b[N_WORDS];
    size_t na, nb;

    (void)state;
    assert_int_equal(dd_shingle_hash(words, N_WORDS, &o, a, N_WORDS, &na), DD_OK);
    assert_int_equal(dd_shingle_hash(words, N_WORDS, &o, b, N_WORDS, &nb), DD_OK);
    assert_int_equal(na, N_WORDS - 2);
    assert_int_equal(nb, na);
    assert_memory_equal(a, b, na * sizeof *a);
}

static void test_shingle_seed_changes_hashes(void **state)
{
    dd_shingle_opts o1 = {3, 1}, o2 = {3, 2};
    uint64_t a[N_WORDS], b[N_WORDS];
    size_t na, nb, i;

    (void)state;
    assert_int_equal(dd_shingle_hash(words, N_WORDS, &o1, a, N_WORDS, &na), DD_OK);
    assert_int_equal(dd_shingle_hash(words, N_WORDS, &o2, b, N_WORDS, &nb), DD_OK);
    assert_int_equal(na, nb);
    for (i = 0; i < na; i++)
        assert_int_not_equal(a[i], b[i]);
}

static void test_shingle_repeated_run_repeats_hash(void **state)
{
    /* "a b a b a": shingles (k=2) ab, ba, ab, ba in text order. */
    const dd_span t[] = {{"a", 1}, {"b", 1}, {"a", 1}, {"b", 1}, {"a", 1}};
    dd_shingle_opts o = {2, 7};
    uint64_t h[5];
    size_t n;

    (void)state;
    assert_int_equal(dd_shingle_hash(t, 5, &o, h, 5, &n), DD_OK);
    assert_int_equal(n, 4);
    assert_int_equal(h[0], h[2]);
    assert_int_equal(h[1], h[3]);
    assert_int_not_equal(h[0], h[1]);
}

static void test_shingle_window_hash_depends_only_on_window(void **state)
{
    /* Shingle i of a text equals shingle 0 of the text starting at token i. */
    dd_shingle_opts o = {4, 9};
    uint64_t all[N_WORDS], tail[N_WORDS];
    size_t n_all, n_tail, i;

    (void)state;
    assert_int_equal(dd_shingle_hash(words, N_WORDS, &o, all, N_WORDS, &n_all), DD_OK);
    for (i = 0; i < n_all; i++) {
        assert_int_equal(dd_shingle_hash(words + i, N_WORDS - i, &o, tail, N_WORDS, &n_tail),
                         DD_OK);
        assert_int_equal(tail[0], all[i]);
    }
}

static void test_shingle_k_over_n_gives_one_shingle(void **state)
{
    /* Fewer tokens than k: one shingle over all of them, equal to k = n. */
    dd_shingle_opts big = {10, 5}, exact = {3, 5};
    uint64_t h1[3], h2[3];
    size_t n1, n2;

    (void)state;
    assert_int_equal(dd_shingle_hash(words, 3, &big, h1, 3, &n1), DD_OK);
    assert_int_equal(dd_shingle_hash(words, 3, &exact, h2, 3, &n2), DD_OK);
    assert_int_equal(n1, 1);
    assert_int_equal(n2, 1);
    assert_int_equal(h1[0], h2[0]);
}

static void test_shingle_long_k(void **state)
{
    /* k above 16 takes another combining path; it must still respect the window. */
    dd_span many[40];
    dd_shingle_opts o = {20, 3};
    uint64_t h[40], h2[40];
    size_t i, n, n2;
    static const char letters[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCD";

    (void)state;
    for (i = 0; i < 40; i++) {
        many[i].ptr = letters + i;
        many[i].len = 1;
    }
    assert_int_equal(dd_shingle_hash(many, 40, &o, h, 40, &n), DD_OK);
    assert_int_equal(n, 21);
    assert_int_not_equal(h[0], h[1]);
    assert_int_equal(dd_shingle_hash(many + 1, 39, &o, h2, 40, &n2), DD_OK);
    assert_int_equal(h2[0], h[1]);
}

static void test_shingle_einval(void **state)
{
    dd_shingle_opts zero = {0, 1}, ok = {2, 1};
    uint64_t h[N_WORDS];
    size_t n = 99;

    (void)state;
    assert_int_equal(dd_shingle_hash(words, N_WORDS, &zero, h, N_WORDS, &n), DD_EINVAL);
    assert_int_equal(n, 0);
    n = 99;
    assert_int_equal(dd_shingle_hash(words, N_WORDS, &ok, h, N_WORDS - 1, &n), DD_EINVAL);
    assert_int_equal(n, 0);
    n = 99;
    assert_int_equal(dd_shingle_hash(words, 0, &ok, h, 0, &n), DD_EINVAL); /* bound(0) is 1 */
    assert_int_equal(n, 0);
}

/* ---- OCR-robust grams ---- */

/* Sorted distinct grams of a text (normalized as the pipeline does) with sample 1. */
static size_t grams_of(const char *text, uint64_t *out, size_t cap)
{
    dd_normalizer *nz = NULL;
    const dd_span *t;
    size_t n = 0, g, i, k = 0;
    uint32_t tok[512];

    assert_int_equal(dd_normalizer_new(&nz), DD_OK);
    assert_int_equal(dd_normalize(nz, text, strlen(text), &t, &n), DD_OK);
    assert_true(dd_gram_bound(t, n) <= cap && cap <= 512);
    g = dd_gram_hash(t, n, 7, 1, out, tok, cap);
    dd_normalizer_free(nz);
    for (i = 0; i < g; i++) { /* sort and unique (insertion sort: tiny inputs) */
        size_t j = k;
        uint64_t v = out[i];
        while (j > 0 && out[j - 1] > v)
            j--;
        if (j > 0 && out[j - 1] == v)
            continue;
        memmove(out + j + 1, out + j, (k - j) * sizeof *out);
        out[j] = v;
        k++;
    }
    return k;
}

static void test_shingle_gram_confusions_and_spaces_fold(void **state)
{
    static const struct {
        const char *a, *b;
        bool same;
    } cases[] = {
        {"the government said", "the governrnent said", true},   /* rn read for m */
        {"the government said", "the govern- ment said", true},  /* hyphenated at a line end */
        {"the government said", "thegovernment said", true},     /* words run together */
        {"illegal oil sold 105", "1llegal 0il so1d l05", true},  /* 1/l, 0/o */
        {"close the deal", "cl0se the dea1", true},              /* cl stays cl before o */
        {"dose the deal", "close the deal", true},               /* cl read as d */
        {"wheat crop", "vvheat crop", true},                     /* vv read as w */
        {"the government said", "the governmnt said", false},    /* a lost letter breaks */
        {"sugar prices", "coffee prices", false},
    };
    uint64_t a[256], b[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t na = grams_of(cases[i].a, a, 256), nb = grams_of(cases[i].b, b, 256);
        bool same = na == nb && memcmp(a, b, na * sizeof *a) == 0;
        if (same != cases[i].same)
            fail_msg("\"%s\" vs \"%s\": same %d, want %d", cases[i].a, cases[i].b, same,
                     cases[i].same);
    }
}

static void test_shingle_gram_sample_is_subset_and_tokens(void **state)
{
    static const dd_span t[] = {SP("wheat"), SP("prices"), SP("rose"), SP("on"), SP("the"),
                                SP("chicago"), SP("board"), SP("of"), SP("trade")};
    uint64_t all[64], some[64];
    uint32_t ta[64], ts[64];
    size_t na = dd_gram_hash(t, 9, 3, 1, all, ta, 64), ns = dd_gram_hash(t, 9, 3, 8, some, ts, 64);
    size_t i, j;

    (void)state;
    /* 39 letters, no pair to fold: 35 grams; the first starts in "wheat", the last ("trade")
     * in "trade". */
    assert_int_equal(dd_gram_bound(t, 9), 39);
    assert_int_equal(na, 35);
    assert_int_equal(ta[0], 0);
    assert_int_equal(ta[na - 1], 8);
    for (i = 1; i < na; i++)
        assert_true(ta[i] >= ta[i - 1]);
    assert_true(ns < na);
    for (i = 0; i < ns; i++) { /* every sampled gram is one of all, with its token */
        for (j = 0; j < na && all[j] != some[i]; j++)
            ;
        assert_true(j < na);
        assert_int_equal(ts[i], ta[j]);
    }
    assert_int_equal(dd_gram_hash(t, 9, 3, 1, all, ta, 5), 5); /* cap respected */
    assert_int_equal(dd_gram_hash(t, 2, 3, 1, all, ta, 64), 7); /* "wheatprices": 11 - 4 */
    assert_int_equal(dd_gram_hash(t, 1, 3, 1, all, ta, 64), 1);
    assert_int_equal(dd_gram_hash(t + 3, 1, 3, 1, all, ta, 64), 0); /* "on": too short */
}

/* The token hash read three ways gives one value: from the token's own bytes
 * (dd_token_hashes, dd__token_hash), and as 16 bytes masked to its length
 * (dd__token_hashes_padded, over the normalizer's padding), for every length around the
 * 4-, 8- and 16-byte cases; and tokens differing in one byte, or only in length (a zero
 * byte past the end must not vanish into the padding), hash apart. */
static void test_token_hash_paths_agree(void **state)
{
    unsigned char buf[64 + DD__TOKEN_PAD];
    uint64_t st = 7, a, b, c;
    size_t len, i, rep;

    (void)state;
    for (rep = 0; rep < 200; rep++)
        for (len = 0; len <= 40; len++) {
            dd_span t;
            for (i = 0; i < sizeof buf; i++) {
                st = st * 6364136223846793005ULL + 1442695040888963407ULL;
                buf[i] = (unsigned char)(st >> 56);
            }
            t.ptr = (const char *)buf;
            t.len = len;
            dd_token_hashes(&t, 1, 42, &a);
            dd__token_hashes_padded(&t, 1, 42, &b);
            c = dd__token_hash((const char *)buf, len, 42);
            assert_true(a == b && b == c);
            if (len) {
                buf[len - 1] ^= 1;
                assert_true(dd__token_hash((const char *)buf, len, 42) != a);
            }
        }
    memset(buf, 0, sizeof buf);
    a = dd__token_hash((const char *)buf, 3, 1);
    b = dd__token_hash((const char *)buf, 4, 1);
    assert_true(a != b);
}

/* The values-only pass (the OCR signature's) gives the values of the pass with tokens, in the
 * same order: pairs folded across token and chunk boundaries, and the cap, alike. */
static void test_shingle_gram_values_only_same_values(void **state)
{
    static const char abc[] = "rnvcl1mabe";
    static char text[3000];
    static dd_span t[1000];
    static uint64_t a[3100], b[3100];
    static uint32_t ta[3100];
    uint64_t x = 88172645463325252ULL;
    size_t n = 0, used = 0, i, na, nb, cap;

    (void)state;
    while (used + 8 < sizeof text && n < 1000) {
        size_t len = 1, j;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        len += (size_t)(x % 7);
        for (j = 0; j < len; j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            text[used + j] = abc[x % 10];
        }
        t[n++] = (dd_span){text + used, len};
        used += len;
    }
    /* caps below the bound, then one with room for every gram (a loop without the test) */
    for (cap = 0; cap <= 3100; cap = cap < 8 ? cap + 1 : cap < 2070 ? cap + 1031 : 3100) {
        na = dd_gram_hash(t, n, 5, 1, a, ta, cap);
        nb = dd_gram_hash(t, n, 5, 1, b, NULL, cap);
        assert_int_equal(na, nb);
        for (i = 0; i < na; i++)
            assert_true(a[i] == b[i]);
        if (cap == 3100)
            break;
    }
    assert_true(dd_gram_bound(t, n) < 3100);
    for (cap = 0; cap < 12; cap++) { /* the first few tokens: none, fewer glyphs than a gram */
        size_t m = dd_gram_hash(t, cap, 5, 1, a, ta, 3100);
        assert_int_equal(dd_gram_hash(t, cap, 5, 1, b, NULL, 3100), m);
        for (i = 0; i < m; i++)
            assert_true(a[i] == b[i]);
    }
    assert_true(na > 2048); /* past the chunk of the pass with tokens */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_hash_paths_agree),
        cmocka_unit_test(test_shingle_count),
        cmocka_unit_test(test_shingle_token_boundaries_matter),
        cmocka_unit_test(test_shingle_order_matters),
        cmocka_unit_test(test_shingle_deterministic_for_seed),
        cmocka_unit_test(test_shingle_seed_changes_hashes),
        cmocka_unit_test(test_shingle_repeated_run_repeats_hash),
        cmocka_unit_test(test_shingle_window_hash_depends_only_on_window),
        cmocka_unit_test(test_shingle_k_over_n_gives_one_shingle),
        cmocka_unit_test(test_shingle_long_k),
        cmocka_unit_test(test_shingle_einval),
        cmocka_unit_test(test_shingle_gram_confusions_and_spaces_fold),
        cmocka_unit_test(test_shingle_gram_sample_is_subset_and_tokens),
        cmocka_unit_test(test_shingle_gram_values_only_same_values),
    };
    return cmocka_run_group_tests_name("shingle", tests, NULL, NULL);
}
