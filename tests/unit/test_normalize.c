/* Unit tests for the normalizer: UTF-8 text -> lowercase word tokens. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include <dedup/dedup.h>
#include <utf8proc.h>

#include "helpers.h"
#include "../../src/util.h"

typedef struct ctx {
    dd_normalizer *nz;
    char joined[1024];
} ctx;

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof *c);

    if (!c || dd_normalizer_new(&c->nz) != DD_OK) {
        free(c);
        return -1;
    }
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    ctx *c = *state;

    dd_normalizer_free(c->nz);
    free(c);
    return 0;
}

/* Normalize `in` and return its tokens joined with '|' (a view into the context). */
static const char *tokens_of(ctx *c, const char *in)
{
    const dd_span *t = NULL;
    size_t n = 99;

    assert_int_equal(dd_normalize(c->nz, in, strlen(in), &t, &n), DD_OK);
    join_tokens(t, n, c->joined, sizeof c->joined);
    return c->joined;
}

typedef struct tcase {
    const char *in, *want;
} tcase;

static void run_cases(void **state, const tcase *cases, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const char *got = tokens_of(*state, cases[i].in);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu: \"%s\" -> \"%s\", want \"%s\"", i, cases[i].in, got,
                     cases[i].want);
    }
}

#define RUN_CASES(state, cases) run_cases(state, cases, sizeof cases / sizeof cases[0])

static void test_normalize_case_folding(void **state)
{
    static const tcase cases[] = {
        {"Hello WORLD", "hello|world"},
        {"MiXeD CaSe 42", "mixed|case|42"},
        {"\xc3\x89" "COLE \xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91", "ecole|σοφια"}, /* ÉCOLE ΣΟΦΙΑ */
        {"Stra\xc3\x9f" "e", "strasse"},                                       /* ß folds to ss */
    };
    RUN_CASES(state, cases);
}

static void test_normalize_nfkc(void **state)
{
    static const tcase cases[] = {
        /* fullwidth "ＦＵＬＬ ｗｉｄｔｈ １２" */
        {"\xef\xbc\xa6\xef\xbc\xb5\xef\xbc\xac\xef\xbc\xac \xef\xbd\x97\xef\xbd\x89\xef\xbd\x84"
         "\xef\xbd\x94\xef\xbd\x88 \xef\xbc\x91\xef\xbc\x92",
         "full|width|12"},
        {"\xef\xac\x81nance \xef\xac\x82ow", "finance|flow"}, /* ﬁnance ﬂow */
        {"\xe2\x84\xab", "a"},                                 /* Angstrom sign -> Å -> a */
    };
    RUN_CASES(state, cases);
}

static void test_normalize_mark_stripping(void **state)
{
    static const tcase cases[] = {
        {"caf\xc3\xa9 r\xc3\xa9sum\xc3\xa9", "cafe|resume"},   /* precomposed é */
        {"cafe\xcc\x81 re\xcc\x81sume\xcc\x81", "cafe|resume"}, /* e + U+0301 */
        {"na\xc3\xafve \xc3\xa5ngstr\xc3\xb6m", "naive|angstrom"},
    };
    RUN_CASES(state, cases);
}

static void test_normalize_html_entities(void **state)
{
    static const tcase cases[] = {
        {"Tom &amp; Jerry", "tom|jerry"},
        {"AT&amp;T", "at|t"},
        {"don&#8217;t", "dont"},
        {"don&rsquo;t", "dont"},
        {"&#x41;&#66;C", "abc"},
        {"caf&eacute;", "cafe"},
        {"a&nbsp;b", "a|b"},
        {"&lt;b&gt;bold", "b|bold"}, /* decoded brackets are text, not a tag */
        {"&bogus; x", "bogus|x"},    /* unknown entity stays as text */
    };
    RUN_CASES(state, cases);
}

static void test_normalize_tags_dropped(void **state)
{
    static const tcase cases[] = {
        {"<p>Hello</p><b>world</b>", "hello|world"},
        {"one<br/>two", "one|two"},
        {"<a href=\"http://x.example/y\">link</a> text", "link|text"},
        {"<!-- note -->kept", "kept"},
        {"3 < 4 and 5 > 2", "3|4|and|5|2"}, /* not tags: '<' followed by a space */
    };
    RUN_CASES(state, cases);
}

static void test_normalize_apostrophes_join(void **state)
{
    static const tcase cases[] = {
        {"don't", "dont"},
        {"don\xe2\x80\x99t", "dont"},       /* U+2019 */
        {"rock'n'roll", "rocknroll"},
        {"'quoted' words", "quoted|words"}, /* apostrophes at word edges split */
        {"the dogs' bowl", "the|dogs|bowl"},
    };
    RUN_CASES(state, cases);
}

static void test_normalize_hyphens_split(void **state)
{
    static const tcase cases[] = {
        {"well-known", "well|known"},
        {"state\xe2\x80\x93of\xe2\x80\x94the-art", "state|of|the|art"}, /* en and em dash */
        {"covid-19", "covid|19"},
    };
    RUN_CASES(state, cases);
}

static void test_normalize_mojibake_repaired(void **state)
{
    ctx *c = *state;
    char want[1024];

    /* "donâ€™t": the UTF-8 bytes of U+2019 read as Windows-1252 and re-encoded. */
    strcpy(want, tokens_of(c, "don\xe2\x80\x99t said"));
    assert_string_equal(want, "dont|said");
    assert_string_equal(tokens_of(c, "don\xc3\xa2\xe2\x82\xac\xe2\x84\xa2t said"), want);
    /* "cafÃ©" is "café" read as Windows-1252. */
    assert_string_equal(tokens_of(c, "caf\xc3\x83\xc2\xa9"), "cafe");
}

static void test_normalize_ignorables_dropped(void **state)
{
    static const tcase cases[] = {
        {"co\xc2\xad" "operate", "cooperate"},   /* soft hyphen U+00AD */
        {"co&shy;operate", "cooperate"},          /* soft hyphen as entity */
        {"zero\xe2\x80\x8bwidth", "zerowidth"},  /* zero-width space U+200B */
        {"join\xe2\x80\x8dme", "joinme"},        /* zero-width joiner U+200D */
        {"\xef\xbb\xbfword", "word"},            /* U+FEFF inside text */
    };
    RUN_CASES(state, cases);
}

static void test_normalize_cjk_one_token_per_char(void **state)
{
    static const tcase cases[] = {
        {"\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97", "\xe4\xb8\xad|\xe6\x96\x87|\xe5\xad\x97"},
        {"abc\xe4\xb8\xad\xe6\x96\x87" "def", "abc|\xe4\xb8\xad|\xe6\x96\x87|def"},
        /* hiragana ひらめき */
        {"\xe3\x81\xb2\xe3\x82\x89\xe3\x82\x81\xe3\x81\x8d",
         "\xe3\x81\xb2|\xe3\x82\x89|\xe3\x82\x81|\xe3\x81\x8d"},
    };
    RUN_CASES(state, cases);
}

static void test_normalize_arabic_stays_words(void **state)
{
    static const tcase cases[] = {
        /* مرحبا بالعالم: two words, not one token per letter */
        {"\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 "
         "\xd8\xa8\xd8\xa7\xd9\x84\xd8\xb9\xd8\xa7\xd9\x84\xd9\x85",
         "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7|"
         "\xd8\xa8\xd8\xa7\xd9\x84\xd8\xb9\xd8\xa7\xd9\x84\xd9\x85"},
        /* Russian as another spaced script */
        {"\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8\xd1\x80",
         "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82|\xd0\xbc\xd0\xb8\xd1\x80"},
    };
    RUN_CASES(state, cases);
}

static void test_normalize_empty_gives_no_tokens(void **state)
{
    static const char *const inputs[] = {"", "   ", " \t\r\n \n", "!!! ... --- ???", "<p></p>",
                                         "&amp; &lt;"};
    ctx *c = *state;
    size_t i;

    for (i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        const dd_span *t = NULL;
        size_t n = 99;
        assert_int_equal(dd_normalize(c->nz, inputs[i], strlen(inputs[i]), &t, &n), DD_OK);
        assert_int_equal(n, 0);
    }
}

static void test_normalize_invalid_utf8_rejected(void **state)
{
    static const char *const inputs[] = {
        "abc \xff def",        /* byte never valid in UTF-8 */
        "caf\xc3",             /* truncated sequence at the end */
        "\xc3\x28 text",       /* bad continuation byte */
        "\xc0\xaf",            /* overlong '/' */
        "x \xed\xa0\x80 y",    /* UTF-16 surrogate encoded */
        "&amp; \x80 markup",   /* invalid after the markup pre-pass too */
    };
    ctx *c = *state;
    size_t i;

    for (i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        const dd_span *t = (const dd_span *)c;
        size_t n = 99;
        assert_int_equal(dd_normalize(c->nz, inputs[i], strlen(inputs[i]), &t, &n), DD_EUTF8);
        assert_int_equal(n, 0);
        assert_null(t);
    }
}

static void test_normalize_typographic_variants_identical(void **state)
{
    static const char *const variants[] = {
        "\"Don't panic,\" she said - it's fine...",
        "\xe2\x80\x9c" "Don\xe2\x80\x99t panic,\xe2\x80\x9d she said \xe2\x80\x94 it\xe2\x80\x99s "
        "fine\xe2\x80\xa6",
        "&ldquo;Don&rsquo;t panic,&rdquo; she said &mdash; it&#8217;s fine&hellip;",
        "<p>&quot;DON&#x27;T PANIC,&quot; she <i>said</i> &ndash; it&apos;s fine.</p>",
        "\"Don\xc3\xa2\xe2\x82\xac\xe2\x84\xa2t panic,\" she said - it\xc3\xa2\xe2\x82\xac\xe2\x84"
        "\xa2s fine",
        "\xef\xbc\x82\xef\xbc\xa4on't panic\xef\xbc\x8c\xef\xbc\x82 she\xc2\xa0said \xe2\x80\x93 "
        "it's \xef\xbd\x86ine",
    };
    ctx *c = *state;
    size_t i;

    for (i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        const char *got = tokens_of(c, variants[i]);
        if (strcmp(got, "dont|panic|she|said|its|fine") != 0)
            fail_msg("variant %zu: \"%s\"", i, got);
    }
}

static void test_normalize_tokens_not_terminated_input(void **state)
{
    ctx *c = *state;
    const dd_span *t;
    size_t n;

    /* Only `len` bytes are read: the rest of the buffer must not leak into tokens. */
    assert_int_equal(dd_normalize(c->nz, "alpha beta gamma", 10, &t, &n), DD_OK);
    join_tokens(t, n, c->joined, sizeof c->joined);
    assert_string_equal(c->joined, "alpha|beta");
}

static void test_normalize_modifier_apostrophe_joins(void **state)
{
    dd_normalizer *nz;
    const dd_span *t;
    size_t n;

    (void)state;
    assert_int_equal(dd_normalizer_new(&nz), DD_OK);
    assert_int_equal(dd_normalize(nz, "don\xca\xbct", 6, &t, &n), DD_OK); /* donʼt */
    assert_int_equal(n, 1);
    assert_int_equal(t[0].len, 4);             
    assert_memory_equal(t[0].ptr, "dont", 4);
    dd_normalizer_free(nz);
}

static void test_normalize_apostrophe_before_non_ascii_letter(void **state)
{
    static const char *const inputs[] = {
        "\xd0\xb4'\xd0\xb0",                         /* д'а (Cyrillic) */
        "\xd7\x92'\xd7\x99\xd7\xa8\xd7\xa4\xd7\x94", /* ג'ירפה (Hebrew) */
    };
    dd_normalizer *nz;
    const dd_span *t;
    size_t n, i;

    (void)state;
    assert_int_equal(dd_normalizer_new(&nz), DD_OK);
    for (i = 0; i < 2; i++) {
        assert_int_equal(dd_normalize(nz, inputs[i], strlen(inputs[i]), &t, &n), DD_OK);
        if (n != 1)
            fail_msg("input %zu: %zu tokens, want 1 (apostrophe inside a word)", i, n);
    }
    dd_normalizer_free(nz);
}


/* The next value of a 64-bit linear congruential sequence (Knuth's MMIX constants). */
static uint64_t lcg(uint64_t *seed)
{
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return *seed >> 33;
}

/* What x and y hold from their last dd_normalize (tx[0..nx), ty[0..ny)): the same tokens,
 * each with its NUL, and the same line starts. */
static void assert_same_cut(const dd_normalizer *x, const dd_span *tx, size_t nx,
                            const dd_normalizer *y, const dd_span *ty, size_t ny)
{
    size_t i, nlx, nly;
    const size_t *lx = dd_normalizer_lines(x, &nlx), *ly = dd_normalizer_lines(y, &nly);

    assert_int_equal(nx, ny);
    for (i = 0; i < nx; i++) {
        assert_int_equal(tx[i].len, ty[i].len);
        assert_memory_equal(tx[i].ptr, ty[i].ptr, tx[i].len + 1); /* and its NUL */
    }
    assert_int_equal(nlx, nly);
    for (i = 0; i < nlx; i++)
        assert_int_equal(lx[i], ly[i]);
}

/* The ASCII tokenizer's two paths (64 bytes a step where AVX2 runs, the byte loop elsewhere)
 * must give the same tokens and lines, byte for byte: random texts over an alphabet rich in
 * the rule characters (apostrophes, points, commas between digits, line breaks), of every
 * length around the 64-byte blocks, and a real-looking sentence repeated across blocks. */
static void test_normalize_ascii_paths_agree(void **state)
{
    static const char al[] = "ab1 9'.,\n\r-AZ\t";
    ctx *c = *state;
    dd_normalizer *other = NULL;
    char text[400];
    uint64_t seed = 12345;
    int it;

    assert_int_equal(dd_normalizer_new(&other), DD_OK);
    for (it = 0; it < 20000; it++) {
        const dd_span *ta, *tb;
        size_t len, i, na, nb;
        len = it < 300 ? (size_t)it : (size_t)lcg(&seed) % sizeof text;
        if (it < 300)
            (void)lcg(&seed);
        for (i = 0; i < len; i++) {
            uint64_t r = lcg(&seed);
            text[i] = it % 3 ? al[r % (sizeof al - 1)]
                             : "Shares rose 1,270 points, or 19.25%, Reuters' data don't lie.\n"
                                   [i % 63];
        }
        dd__normalize_scalar_only = 1;
        assert_int_equal(dd_normalize(other, text, len, &tb, &nb), DD_OK);
        dd__normalize_scalar_only = 0;
        assert_int_equal(dd_normalize(c->nz, text, len, &ta, &na), DD_OK);
        assert_same_cut(c->nz, ta, na, other, tb, nb);
    }
    dd_normalizer_free(other);
}

/* split_unicode maps only the runs of non-ASCII bytes through utf8proc; the result must be
 * utf8proc_map over the whole text, byte for byte. Pieces that could reach across a run's
 * edge: a combining mark after an ASCII letter ("e" + U+0301, "<" + U+0338), marks alone,
 * Hangul jamo that compose, halfwidth katakana with a voiced mark, ligatures, fullwidth and
 * Greek letters (final sigma), ignorables (soft hyphen, zero-width space), U+0345 (a mark
 * that casefolds), curly quotes, and a truncated sequence (both must fail). */
static void test_normalize_runs_match_whole_text(void **state)
{
    static const char *const pieces[] = {
        "a", "Z", " ", "\n", "'", "1", ".", "e\xcc\x81", "\xcc\x81", "<\xcc\xb8", "\xc3\xa9",
        "\xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8", "\xea\xb0\x80", "\xef\xbd\xb6\xef\xbe\x9e",
        "\xef\xac\x81", "\xef\xbc\xa1", "\xc3\x9f", "\xce\xa3", "\xcf\x82", "\xc2\xad",
        "\xe2\x80\x8b", "\xcd\x85", "\xe2\x80\x99", "\xe2\x80\x9c", "\xc2\xa3", "\xc4\xb0",
        "\xc7\x85", "\xe4\xb8\xad", "\xd9\x85", "\xc3",
    };
    ctx *c = *state;
    char text[256];
    uint64_t seed = 99;
    int it;

    for (it = 0; it < 5000; it++) {
        size_t len = 0, k, np, n = 0;
        const char *got = NULL;
        utf8proc_uint8_t *want = NULL;
        utf8proc_ssize_t m;
        dd_status st;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        np = 1 + (seed >> 33) % 40;
        for (k = 0; k < np; k++) {
            const char *p;
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            /* the truncated sequence only now and then, so most texts are valid */
            p = pieces[(seed >> 33) % (sizeof pieces / sizeof pieces[0] - (it % 10 ? 1 : 0))];
            if (len + strlen(p) > sizeof text)
                break;
            memcpy(text + len, p, strlen(p));
            len += strlen(p);
        }
        m = utf8proc_map((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)len, &want,
                         UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                             UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE);
        st = dd__normalize_map(c->nz, text, len, &got, &n);
        if (m < 0) {
            assert_int_not_equal(st, DD_OK);
            continue;
        }
        assert_int_equal(st, DD_OK);
        /* utf8proc casefolds ASCII; the run mapper leaves it to split(), which lowercases */
        for (k = 0; k < (size_t)m; k++)
            if (got[k] >= 'A' && got[k] <= 'Z' && k < n)
                assert_int_equal(got[k] + 32, want[k]);
            else
                assert_true(k < n && (unsigned char)got[k] == want[k]);
        assert_int_equal(n, (size_t)m);
        free(want);
    }
}

/* The Unicode path's split() takes ASCII words a run at a time; it must cut ASCII text as
 * the ASCII path does: text + "\n\u00e9" (Unicode path) and text + "\ne" (ASCII path) give
 * the same tokens and lines. */
static void test_normalize_unicode_path_cuts_ascii_alike(void **state)
{
    static const char al[] = "ab1 9'.,\n\r-AZ\t";
    ctx *c = *state;
    dd_normalizer *other = NULL;
    char a[300], u[300];
    uint64_t seed = 777;
    int it;

    assert_int_equal(dd_normalizer_new(&other), DD_OK);
    for (it = 0; it < 5000; it++) {
        const dd_span *ta, *tu;
        size_t len = (size_t)lcg(&seed) % 250, i, na, nu;
        for (i = 0; i < len; i++)
            a[i] = u[i] = al[lcg(&seed) % (sizeof al - 1)];
        memcpy(a + len, "\ne", 2);
        memcpy(u + len, "\n\xc3\xa9", 3);
        assert_int_equal(dd_normalize(c->nz, a, len + 2, &ta, &na), DD_OK);
        assert_int_equal(dd_normalize(other, u, len + 3, &tu, &nu), DD_OK);
        assert_same_cut(c->nz, ta, na, other, tu, nu);
    }
    dd_normalizer_free(other);
}

/* The pre-pass skips plain text eight bytes a step: an entity, a tag or mojibake found at
 * every offset against those steps, next to a byte from 0x80, reads as the plain text. */
static void test_normalize_prepass_at_every_offset(void **state)
{
    ctx *c = *state;
    dd_normalizer *other = NULL;
    char a[128], b[128];
    size_t k;

    assert_int_equal(dd_normalizer_new(&other), DD_OK);
    for (k = 0; k < 24; k++) {
        const dd_span *ta, *tb;
        size_t na, nb, i, la, lb;
        memset(a, 'x', k);
        memset(b, 'x', k);
        la = k + (size_t)sprintf(a + k, " caf&eacute; <b>r\xc3\x83\xc2\xa9sum\xc3\x83\xc2\xa9</b> \xc2\xa3" "5");
        lb = k + (size_t)sprintf(b + k, " caf\xc3\xa9  r\xc3\xa9sum\xc3\xa9  \xc2\xa3" "5");
        assert_int_equal(dd_normalize(c->nz, a, la, &ta, &na), DD_OK);
        assert_int_equal(dd_normalize(other, b, lb, &tb, &nb), DD_OK);
        assert_int_equal(na, nb);
        for (i = 0; i < na; i++) {
            assert_int_equal(ta[i].len, tb[i].len);
            assert_memory_equal(ta[i].ptr, tb[i].ptr, ta[i].len);
        }
    }
    dd_normalizer_free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize_modifier_apostrophe_joins),
        cmocka_unit_test(test_normalize_apostrophe_before_non_ascii_letter),
        cmocka_unit_test_setup_teardown(test_normalize_ascii_paths_agree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_case_folding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_nfkc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_mark_stripping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_html_entities, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_tags_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_apostrophes_join, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_hyphens_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_mojibake_repaired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_ignorables_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_cjk_one_token_per_char, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_arabic_stays_words, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_runs_match_whole_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_prepass_at_every_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_unicode_path_cuts_ascii_alike, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_normalize_empty_gives_no_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_invalid_utf8_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalize_typographic_variants_identical, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_normalize_tokens_not_terminated_input, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("normalize", tests, NULL, NULL);
}
