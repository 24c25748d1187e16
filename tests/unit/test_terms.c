/* Unit tests for content terms (stop words, Snowball stems, numbers and magnitudes,
 * character pairs, the word cache) and for the IDF table (background, corpus, loading). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dedup/dedup.h>

typedef struct ctx {
    dd_normalizer *nz;
    dd_terms *t;
    char got[1024];
} ctx;

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof *c);

    if (!c || dd_normalizer_new(&c->nz) != DD_OK || dd_terms_new(1, &c->t) != DD_OK)
        return -1;
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    ctx *c = *state;

    dd_terms_free(c->t);
    dd_normalizer_free(c->nz);
    free(c);
    return 0;
}

/* The terms of `text` as "a|b|c" in c->got. */
static const char *terms_of(ctx *c, const char *text)
{
    const dd_span *toks;
    const dd_term *terms;
    size_t ntok = 0, n = 0, i, used = 0;

    assert_int_equal(dd_normalize(c->nz, text, strlen(text), &toks, &ntok), DD_OK);
    assert_int_equal(dd_terms_extract(c->t, toks, ntok, &terms, &n), DD_OK);
    c->got[0] = '\0';
    for (i = 0; i < n; i++) {
        size_t len;
        const char *s = dd_terms_text(c->t, i, &len);
        assert_true(used + len + 2 < sizeof c->got);
        if (i)
            c->got[used++] = '|';
        memcpy(c->got + used, s, len);
        used += len;
        c->got[used] = '\0';
        assert_true(terms[i].token < ntok);
    }
    return c->got;
}

static void test_terms_stop_words_and_stems(void **state)
{
    ctx *c = *state;

    assert_string_equal(terms_of(c, "The rebels said they were advancing on the city"),
                        "rebel|advanc|citi");
    /* news filler goes too; contractions lose their apostrophe first */
    assert_string_equal(terms_of(c, "Mr Smith told reporters it's a new year"),
                        "smith|report");
    assert_true(dd_terms_is_stop("said", 4));
    assert_false(dd_terms_is_stop("hama", 4));
}

static void test_terms_numbers_and_magnitudes(void **state)
{
    ctx *c = *state;

    /* "$960m" and "960 million" give the same terms; single letters are dropped */
    assert_string_equal(terms_of(c, "a deal worth $960m"), "deal|worth|960|million");
    assert_string_equal(terms_of(c, "a deal worth 960 million"), "deal|worth|960|million");
    assert_string_equal(terms_of(c, "1,200 workers"), "1200|worker");
}

static void test_terms_character_pairs(void **state)
{
    ctx *c = *state;

    /* four Han characters: three overlapping pairs */
    assert_string_equal(terms_of(c, "码头工人"), "码头|头工|工人");
    /* one character alone gives no pair, and no empty term */
    assert_string_equal(terms_of(c, "好"), "");
}

static void test_terms_cache_gives_same_terms(void **state)
{
    ctx *c = *state;
    char first[1024];
    int round;

    strcpy(first, terms_of(c, "Insurgents entered Hama; the insurgents advanced."));
    assert_string_equal(first, "insurg|enter|hama|insurg|advanc");
    for (round = 0; round < 3; round++) /* now served from the cache */
        assert_string_equal(terms_of(c, "Insurgents entered Hama; the insurgents advanced."),
                            first);
}

static void test_idf_background_and_corpus(void **state)
{
    static const char table[] = "#dedup-idf\t1\tdocs\t100\ncommon\t90\nrare\t1\n";
    dd_idf *idf = NULL;
    char err[128];
    uint64_t h[2];
    size_t len;
    ctx *c = *state;
    double w_common, w_rare, w_unseen, w_after;

    assert_int_equal(dd_idf_new(1, &idf), DD_OK);
    assert_int_equal(dd_idf_load(idf, table, sizeof table - 1, "t", err, sizeof err), DD_OK);
    assert_int_equal(dd_idf_docs(idf), 100);
    /* hashes as dd_terms computes them */
    {
        const dd_span *toks;
        const dd_term *terms;
        size_t ntok, n;
        assert_int_equal(dd_normalize(c->nz, "common rare", 11, &toks, &ntok), DD_OK);
        assert_int_equal(dd_terms_extract(c->t, toks, ntok, &terms, &n), DD_OK);
        assert_int_equal(n, 2);
        assert_memory_equal(dd_terms_text(c->t, 0, &len), "common", 6);
        assert_int_equal(len, 6);
        h[0] = terms[0].hash;
        h[1] = terms[1].hash;
    }
    w_common = dd_idf_weight(idf, h[0]);
    w_rare = dd_idf_weight(idf, h[1]);
    w_unseen = dd_idf_weight(idf, 12345);
    assert_true(w_common > 0 && w_common < w_rare && w_rare < w_unseen);
    /* a corpus where "rare" is everywhere makes it cheaper */
    for (len = 0; len < 200; len++)
        assert_int_equal(dd_idf_add_doc(idf, h + 1, 1), DD_OK);
    w_after = dd_idf_weight(idf, h[1]);
    assert_true(w_after < w_rare);
    assert_int_equal(dd_idf_docs(idf), 300);
    dd_idf_free(idf);
}

static void test_idf_load_errors(void **state)
{
    static const char no_header[] = "word\t3\n";
    static const char bad_count[] = "#dedup-idf\t1\tdocs\t10\nword\tx\n";
    dd_idf *idf = NULL;
    char err[128];

    (void)state;
    assert_int_equal(dd_idf_new(1, &idf), DD_OK);
    assert_int_not_equal(dd_idf_load(idf, no_header, sizeof no_header - 1, "a.tsv", err,
                                     sizeof err), DD_OK);
    assert_non_null(strstr(err, "a.tsv"));
    assert_int_not_equal(dd_idf_load(idf, bad_count, sizeof bad_count - 1, "b.tsv", err,
                                     sizeof err), DD_OK);
    assert_non_null(strstr(err, "b.tsv:2"));
    assert_int_equal(dd_idf_load_builtin(idf), DD_OK);
    assert_true(dd_idf_docs(idf) > 10000);
    dd_idf_free(idf);
}

/* Names and figures: "NAME:stem" or "FIG:number" for each flagged term, in text order. */
static const char *facts_of(ctx *c, const char *text)
{
    const dd_span *toks;
    const dd_term *terms;
    dd_term copy[64];
    char stems[64][32];
    size_t ntok = 0, n = 0, i, used = 0;

    assert_int_equal(dd_normalize(c->nz, text, strlen(text), &toks, &ntok), DD_OK);
    assert_int_equal(dd_terms_extract(c->t, toks, ntok, &terms, &n), DD_OK);
    assert_true(n <= 64);
    for (i = 0; i < n; i++) {
        size_t len;
        const char *st = dd_terms_text(c->t, i, &len);
        assert_true(len < sizeof stems[i]);
        memcpy(stems[i], st, len);
        stems[i][len] = '\0';
        copy[i] = terms[i];
    }
    assert_int_equal(dd_terms_mark_names(c->t, text, strlen(text), copy, n), DD_OK);
    c->got[0] = '\0';
    for (i = 0; i < n; i++) {
        const char *kind = copy[i].flags & DD_TERM_FIGURE ? "FIG:"
                           : copy[i].flags & DD_TERM_NAME ? "NAME:"
                                                           : NULL;
        if (!kind)
            continue;
        used += (size_t)snprintf(c->got + used, sizeof c->got - used, "%s%s%s", used ? " " : "",
                                 kind, stems[i]);
    }
    return c->got;
}

static void test_terms_names_and_figures(void **state)
{
    ctx *c = *state;

    /* The headline line is not read for names (it capitalises every word) and "Rebels"
     * opening a sentence is no evidence, yet the same word capitalised inside a sentence
     * makes every "rebels" a name, the headline's too; numbers are figures, magnitude words
     * ("million" from "$960m") are not. */
    assert_string_equal(facts_of(c, "Rebels Enter Hama\nRebels entered the city of Hama on "
                                    "Thursday. The IAAF paid $960m to 12 Rebels."),
                        "NAME:rebel NAME:hama NAME:rebel NAME:hama NAME:thursday NAME:iaaf "
                        "FIG:960 FIG:12 NAME:rebel");
    /* A wire headline in capitals and sentence openings after a paragraph break are no
     * evidence; a hard-wrapped line continues its sentence, so "Acme" there is a name. */
    assert_string_equal(facts_of(c, "title\nSHARES OF ACME ROSE\n\nShares rose at\nAcme on "
                                    "Monday.\n\nAnalysts were pleased."),
                        "NAME:acm NAME:acm NAME:monday");
    /* A list item opens a sentence: "Enjoy" after a bullet at a line's start is no name
     * (page furniture: "  \u2022 Enjoy all our plans"), nor after "*"; a bullet inside a line
     * is no such evidence. */
    assert_string_equal(facts_of(c, "t\nOur plans\n  \xe2\x80\xa2 Enjoy all plans\n* Enjoy them"),
                        "");
    assert_string_equal(facts_of(c, "t\nOur plans\n* Enjoy them\nwe \xe2\x80\xa2 Enjoy"),
                        "NAME:enjoy NAME:enjoy");
    /* A code or link fragment is not a figure; a decade and an ordinal are. */
    assert_string_equal(facts_of(c, "t\nsee 5t9ns5xw8a in the 1980s, the 3rd of 12.5"),
                        "FIG:1980s FIG:3rd FIG:12.5");
    /* A numeric date is one figure, not a year, a month and a day, whatever its separator;
     * a season ("2024-25"), a score ("3-1") and a year before a count stay numbers. */
    assert_string_equal(facts_of(c, "t\ndate 2024-12-05, 2024/12/05 the 2024-25 season, 3-1, "
                                    "2024 13 05, in 2024 10 died"),
                        "FIG:2024-12-05 FIG:2024-12-05 FIG:2024 FIG:25 FIG:3 FIG:1 FIG:2024 "
                        "FIG:13 FIG:05 FIG:2024 FIG:10");
}

/* The scans for capitals and quotation marks skip eight bytes at a time: a name or a quote
 * found at one offset is found at every other, next to bytes with the high bit set (UTF-8)
 * and to the characters just outside 'A'..'Z' ('@', '[', '`', '{'). */
static void test_terms_scans_at_every_offset(void **state)
{
    ctx *c = *state;
    char text[256];
    uint64_t q[64];
    int k;

    for (k = 0; k < 17; k++) {
        snprintf(text, sizeof text, "t\n@[`{ \xc3\xa9%*swe met Zed and Hama at %*s\xc3\x89.", k,
                 "", 16 - k, "");
        assert_string_equal(facts_of(c, text), "NAME:zed NAME:hama");
        snprintf(text, sizeof text, "\xc3\xa9%*s\"alpha beta gamma delta\" %*s\xe2\x80\x9c"
                                    "alpha beta gamma delta\xe2\x80\x9d", k, "", 16 - k, "");
        assert_int_equal(dd_terms_quotes(text, strlen(text), 1, q, 64), 2);
    }
}

/* The quoted-word runs of `text`, at most 64. */
static size_t quotes(const char *text, uint64_t *out)
{
    return dd_terms_quotes(text, strlen(text), 1, out, 64);
}

static void test_terms_quotes(void **state)
{
    const char *six = "\"alpha beta gamma delta epsilon zeta\"";
    uint64_t a[64], b[64], c[64];
    size_t na, nb;

    (void)state;
    /* Words outside quotation marks count for nothing; inside, stop words are skipped, so a
     * quote and the same quote cut of its small words (curly marks this time) give the same
     * runs: "tribunal decide friday", "decide friday athens". */
    assert_int_equal(quotes("No quotes here at all, none whatsoever.", a), 0);
    na = quotes("He said: \"The tribunal will decide on Friday in Athens\", he added.", a);
    nb = quotes("\xe2\x80\x9ctribunal decide Friday, Athens\xe2\x80\x9d, said a spokesman.", b);
    assert_int_equal(na, 2);
    assert_int_equal(nb, 2);
    assert_memory_equal(a, b, 2 * sizeof *a);
    /* A run does not cross a quotation mark: two short quotes make none. */
    assert_int_equal(quotes("\"Fair summary\" and \"scores of times\"", c), 0);
    /* A quote left open at the end of a paragraph closes at the blank line, so the next
     * paragraph's words are not quoted; a single line break does not close it. */
    assert_int_equal(quotes("\"We will appeal the\nruling today\n\nThe lawyers met judges", c),
                     1);
    /* Sorted, distinct, and at most `cap`. */
    na = quotes("\"red green blue red green blue red green blue\"", a);
    assert_int_equal(na, 3);
    assert_true(a[0] < a[1] && a[1] < a[2]);
    assert_int_equal(quotes(six, c), 4);
    assert_int_equal(dd_terms_quotes(six, strlen(six), 1, c, 2), 2);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_terms_stop_words_and_stems),
        T(test_terms_numbers_and_magnitudes),
        T(test_terms_character_pairs),
        T(test_terms_cache_gives_same_terms),
        T(test_terms_names_and_figures),
        T(test_terms_scans_at_every_offset),
        cmocka_unit_test(test_terms_quotes),
        T(test_idf_background_and_corpus),
        cmocka_unit_test(test_idf_load_errors),
    };
#undef T
    return cmocka_run_group_tests_name("terms", tests, NULL, NULL);
}
