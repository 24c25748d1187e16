/* Unit tests for the report stage's escaping: JSON string literals and CSV fields, captured
 * with open_memstream, and a whole JSON Lines report parsed back with jansson. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <dedup/dedup.h>

#include "helpers.h"

typedef struct capture {
    FILE *f;
    char *buf;
    size_t len;
} capture;

static void cap_open(capture *c)
{
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
}

/* Close the stream; c->buf then holds the NUL-terminated output (caller frees). */
static void cap_close(capture *c)
{
    assert_int_equal(fclose(c->f), 0);
    c->f = NULL;
}

static char *json_of(const char *s)
{
    capture c;

    cap_open(&c);
    dd_report_json_string(c.f, s);
    cap_close(&c);
    return c.buf;
}

static char *csv_of(const char *s)
{
    capture c;

    cap_open(&c);
    dd_report_csv_field(c.f, s);
    cap_close(&c);
    return c.buf;
}

static void test_report_json_string_escaping(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"", "\"\""},
        {"plain", "\"plain\""},
        {"say \"hi\"", "\"say \\\"hi\\\"\""},
        {"back\\slash", "\"back\\\\slash\""},
        {"line\nbreak\r\ttab", "\"line\\nbreak\\r\\ttab\""},
        {"bell\x07 esc\x1b del\x7f", "\"bell\\u0007 esc\\u001b del\\u007f\""},
        {"\x01\x1f", "\"\\u0001\\u001f\""},
        {"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\""},
        {"bad \xff byte", "\"bad \\ufffd byte\""},
        {"cut \xe4\xb8", "\"cut \\ufffd\\ufffd\""},   /* truncated sequence: one per byte */
        {"<script>alert(1)</script>", "\"<script>alert(1)</script>\""},
        {"</", "\"</\""},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = json_of(cases[i].in);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu: %s, want %s", i, got, cases[i].want);
        free(got);
    }
}

static void test_report_json_string_round_trips(void **state)
{
    /* Whatever the input, the output is one valid JSON string that decodes to the input
     * (with U+FFFD for each invalid byte). */
    static const struct {
        const char *in, *decoded;
    } cases[] = {
        {"a\"b\\c\nd\x01" "e\x7f", "a\"b\\c\nd\x01" "e\x7f"},
        {"<script>alert(\"x\")</script>", "<script>alert(\"x\")</script>"},
        {"x\xc0\xafy", "x\xef\xbf\xbd\xef\xbf\xbdy"},
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* encoded surrogate */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = json_of(cases[i].in);
        json_error_t err;
        json_t *v = json_loads(got, JSON_DECODE_ANY, &err);

        if (!v)
            fail_msg("case %zu: %s is not JSON: %s", i, got, err.text);
        assert_true(json_is_string(v));
        assert_string_equal(json_string_value(v), cases[i].decoded);
        json_decref(v);
        free(got);
    }
}

static void test_report_csv_quoting(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"plain", "plain"},
        {"", ""},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"\"", "\"\"\"\""},
        {"line\nbreak", "\"line\nbreak\""},
        {"cr\rhere", "\"cr\rhere\""},
        {" lead", "\" lead\""},
        {"trail ", "\"trail \""},
        {"in side", "in side"},
        {"caf\xc3\xa9", "caf\xc3\xa9"},
        {"esc\x1b[2J", "esc\\x1b[2J"},
        {"tab\there", "tab\\x09here"},
        {"bell\x07,del\x7f", "\"bell\\x07,del\\x7f\""},
        {"line\n\x1b", "\"line\n\\x1b\""},
        {"back\\slash", "back\\slash"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = csv_of(cases[i].in);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu: [%s], want [%s]", i, got, cases[i].want);
        free(got);
    }
}

/* ---- whole reports ------------------------------------------------------------------ */

typedef struct ctx {
    dd_reader *r;
    dd_result *res;
    FILE *in[4];
    size_t n_in;
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
    size_t i;

    dd_result_free(c->res);
    dd_reader_free(c->r);
    for (i = 0; i < c->n_in; i++)
        fclose(c->in[i]);
    free(c);
    return 0;
}

#define STORY                                                                                      \
    "The city council voted on Tuesday to approve the new harbour bridge after a long debate "     \
    "about costs, traffic and the environment, with the mayor saying construction would begin "    \
    "next spring and finish within three years if the budget holds"

/* Two copies of one story whose ids and titles need escaping, plus an unrelated doc. */
static void run_tricky(ctx *c)
{
    static const char jsonl[] =
        "{\"id\":\"a,\\\"1\\\"\",\"title\":\"<script>alert(1)</script>\",\"text\":\"" STORY "\"}\n"
        "{\"id\":\"b\\n2\",\"title\":\"tab\\there\",\"date\":\"2024-05-06\",\"text\":\"" STORY
        " today\"}\n"
        "{\"id\":\"c\",\"text\":\"completely different words about a football match\"}\n";
    dd_pipeline_opts o = dd_pipeline_opts_default();

    assert_int_equal(dd_reader_new(NULL, &c->r), DD_OK);
    c->in[c->n_in] = mem_stream_str(jsonl);
    assert_int_equal(dd_reader_add_stream(c->r, c->in[c->n_in++], "t.jsonl", true), DD_OK);
    assert_int_equal(dd_pipeline_run(&o, c->r, &c->res), DD_OK);
    assert_int_equal(c->res->clusters.count, 1);
}

static char *write_report(const dd_result *res, dd_format fmt)
{
    dd_report_opts o = dd_report_opts_default();
    capture cp;

    o.format = fmt;
    cap_open(&cp);
    assert_int_equal(dd_report_write(res, &o, cp.f), DD_OK);
    cap_close(&cp);
    return cp.buf;
}

static void test_report_jsonl_lines_parse(void **state)
{
    ctx *c = *state;
    char *out, *line, *save = NULL;
    size_t n_lines = 0;

    run_tricky(c);
    out = write_report(c->res, DD_FORMAT_JSONL);
    for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t err;
        json_t *v = json_loads(line, 0, &err), *docs;

        if (!v)
            fail_msg("line %zu is not JSON: %s (%s)", n_lines + 1, err.text, line);
        if (n_lines == 0) {
            docs = json_object_get(v, "docs");
            assert_int_equal(json_integer_value(json_object_get(v, "cluster")), 1);
            assert_int_equal(json_array_size(docs), 2);
            assert_string_equal(json_string_value(json_object_get(json_array_get(docs, 0), "id")),
                                "a,\"1\"");
            assert_string_equal(
                json_string_value(json_object_get(json_array_get(docs, 0), "title")),
                "<script>alert(1)</script>");
            assert_string_equal(json_string_value(json_object_get(json_array_get(docs, 1), "id")),
                                "b\n2");
            assert_string_equal(
                json_string_value(json_object_get(json_array_get(docs, 1), "date")),
                "2024-05-06");
        } else {
            json_t *s = json_object_get(v, "summary");
            assert_non_null(s);
            assert_int_equal(json_integer_value(json_object_get(s, "format_version")),
                             DD_FORMAT_VERSION);
            assert_int_equal(json_integer_value(json_object_get(s, "documents")), 3);
            assert_int_equal(json_integer_value(json_object_get(s, "clusters")), 1);
        }
        json_decref(v);
        n_lines++;
    }
    assert_int_equal(n_lines, 2);
    free(out);
}

static void test_report_csv_pairs_quoted(void **state)
{
    ctx *c = *state;
    char *out;
    static const char want[] = "a,b,jaccard,containment\n\"a,\"\"1\"\"\",\"b\n2\",";

    run_tricky(c);
    out = write_report(c->res, DD_FORMAT_CSV);
    if (strncmp(out, want, sizeof want - 1) != 0)
        fail_msg("CSV output:\n%s", out);
    assert_int_equal(out[strlen(out) - 1], '\n');
    free(out);
}

static void test_report_text_controls_escaped(void **state)
{
    ctx *c = *state;
    char *out;

    run_tricky(c);
    out = write_report(c->res, DD_FORMAT_TEXT);
    assert_non_null(strstr(out, "cluster 1: 2 documents, one story, all copies of one text\n"));
    assert_non_null(strstr(out, "  why: mean story similarity "));
    assert_non_null(strstr(out, " (copy)\n"));
    assert_non_null(strstr(out, "b\\x0a2")); /* the newline inside an id is shown, not sent */
    assert_non_null(strstr(out, "tab\\x09here"));
    assert_null(strchr(out, '\t'));
    assert_non_null(strstr(out, "summary: 3 documents read, 3 used"));
    free(out);
}

/* A dateline is shown as (date) and a long headline is cut after a word, with an ellipsis. */
static void test_report_text_headline(void **state)
{
    static const char jsonl[] =
        "{\"id\":\"x\",\"title\":\"date 2024-12-05 Rebels enter the central city after days "
        "of fighting with government forces amid a week-long offensive across the north\","
        "\"text\":\"" STORY "\"}\n"
        "{\"id\":\"y\",\"title\":\"Short headline\",\"text\":\"" STORY "\"}\n";
    ctx *c = *state;
    dd_pipeline_opts o = dd_pipeline_opts_default();
    char *out;

    assert_int_equal(dd_reader_new(NULL, &c->r), DD_OK);
    c->in[c->n_in] = mem_stream_str(jsonl);
    assert_int_equal(dd_reader_add_stream(c->r, c->in[c->n_in++], "h.jsonl", true), DD_OK);
    assert_int_equal(dd_pipeline_run(&o, c->r, &c->res), DD_OK);
    out = write_report(c->res, DD_FORMAT_TEXT);
    assert_non_null(strstr(out, "      (2024-12-05) Rebels enter the central city after days of "
                                "fighting with government forces amid a week-long\xe2\x80\xa6\n"));
    assert_non_null(strstr(out, "      Short headline\n"));
    free(out);
}

static void test_report_deterministic(void **state)
{
    ctx *c = *state;
    char *a = NULL, *b = NULL;
    dd_format f;

    run_tricky(c);
    for (f = DD_FORMAT_TEXT; f <= DD_FORMAT_CSV; f++) {
        a = write_report(c->res, f);
        b = write_report(c->res, f);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
}

/* The HTML page escapes ids, titles and texts: no markup from the corpus survives, and a
 * text's <script> shows up as text inside a marked passage. */
static void test_report_html_escapes_corpus(void **state)
{
    ctx *c = *state;
    dd_pipeline_opts po = dd_pipeline_opts_default();
    dd_html_opts ho = dd_html_opts_default(&po);
    static char ta[] = "<script>x()</script> " STORY, tb[] = "\"q\" 'q' & " STORY " today";
    char *texts[3] = {ta, tb, NULL};
    capture cp;

    run_tricky(c);
    cap_open(&cp);
    assert_int_equal(dd_report_html_write(c->res, texts, &ho, cp.f), DD_OK);
    cap_close(&cp);
    assert_null(strstr(cp.buf, "<script"));
    assert_non_null(strstr(cp.buf, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(cp.buf, "&lt;script&gt;x()&lt;/script&gt;"));
    assert_non_null(strstr(cp.buf, "a,&quot;1&quot;"));
    assert_non_null(strstr(cp.buf, "&quot;q&quot; &#39;q&#39; &amp; "));
    assert_non_null(strstr(cp.buf, "<mark><b>1</b> The city council"));
    assert_non_null(strstr(cp.buf, "Content-Security-Policy"));
    free(cp.buf);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_json_string_escaping),
        cmocka_unit_test(test_report_json_string_round_trips),
        cmocka_unit_test(test_report_csv_quoting),
        T(test_report_jsonl_lines_parse),
        T(test_report_csv_pairs_quoted),
        T(test_report_text_controls_escaped),
        T(test_report_text_headline),
        T(test_report_deterministic),
        T(test_report_html_escapes_corpus),
    };
#undef T
    return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
