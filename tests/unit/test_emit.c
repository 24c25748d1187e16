/* Unit tests for the emit stage (--keep / --emit) and path lists: ISO dates, the choice of
 * representative with ties, unique/dropped partition, raw records written back byte for
 * byte (from a stream's in-memory copy), and LF/CRLF/NUL-separated lists. */
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

#include "helpers.h"

static void test_emit_parse_date(void **state)
{
    static const struct {
        const char *in;
        bool ok;
        double secs;
    } cases[] = {
        {"1970-01-01", true, 0},
        {"1970-01-02", true, 86400},
        {"1987-02-26T15:01:01", true, 541350061},
        {"2024-03-04 10:00", true, 1709546400},
        {"2024-03-04T10:00:00Z", true, 1709546400},
        {"2024-13-01", false, 0},
        {"04/03/2024", false, 0},
        {"", false, 0},
        {"2024-3-4", false, 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -1;
        bool ok = dd_emit_parse_date(cases[i].in, &v);
        if (ok != cases[i].ok || (ok && v != cases[i].secs))
            fail_msg("case %zu (%s): ok %d value %.0f", i, cases[i].in, ok, v);
    }
}

/* Four records in one cluster-ready story plus one unrelated; ids tell what is kept. */
static const char corpus[] =
    "{\"id\":\"a\",\"date\":\"2024-03-05\",\"text\":\"dock workers at port amberly walked off the "
    "job on monday over pay\"}\n"
    "{\"id\":\"b\",\"date\":\"2024-03-04T09:00\",\"text\":\"dock workers at port amberly walked "
    "off the job on monday over pay and staffing\"}\n"
    "{ \"id\" : \"c\", \"text\":\"dock workers at port amberly walked off the job on monday over "
    "pay\"}\n"
    "{\"id\":\"d\",\"text\":\"the northern valleys had their wettest november since records "
    "began\"}\n";

static dd_result *run(void)
{
    dd_pipeline_opts po = dd_pipeline_opts_default();
    dd_reader *r = NULL;
    dd_result *res = NULL;
    FILE *f = mem_stream_str(corpus);

    po.level = DD_LEVEL_COPIES;
    po.shingle_k = 3;
    assert_int_equal(dd_reader_new(NULL, &r), DD_OK);
    assert_int_equal(dd_reader_add_stream(r, f, "mem.jsonl", true), DD_OK);
    assert_int_equal(dd_pipeline_run(&po, r, &res), DD_OK);
    dd_reader_free(r);
    fclose(f);
    assert_int_equal(res->clusters.count, 1);
    return res;
}

static char *emit(const dd_result *res, dd_keep keep, dd_emit_what what)
{
    dd_emit_opts o = {keep, what, false, NULL};
    char *buf = NULL, err[256];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_int_equal(dd_emit_write(res, &o, f, err, sizeof err), DD_OK);
    fclose(f);
    return buf;
}

static const char *line(int n)
{
    static char buf[512];
    const char *p = corpus;

    while (n-- > 0)
        p = strchr(p, '\n') + 1;
    memcpy(buf, p, (size_t)(strchr(p, '\n') - p + 1));
    buf[strchr(p, '\n') - p + 1] = '\0';
    return buf;
}

static void test_emit_keep_rules(void **state)
{
    dd_result *res = run();
    char want[2048], *got;

    (void)state;
    assert_int_equal(res->docs[dd_emit_representative(res, 0, DD_KEEP_FIRST)].id[0], 'a');
    assert_int_equal(res->docs[dd_emit_representative(res, 0, DD_KEEP_LONGEST)].id[0], 'b');
    assert_int_equal(res->docs[dd_emit_representative(res, 0, DD_KEEP_EARLIEST)].id[0], 'b');

    got = emit(res, DD_KEEP_FIRST, DD_EMIT_UNIQUE);
    snprintf(want, sizeof want, "%s", line(0));
    strcat(want, line(3));
    assert_string_equal(got, want);
    free(got);

    got = emit(res, DD_KEEP_FIRST, DD_EMIT_DROPPED); /* "c" keeps its spaces: raw bytes */
    snprintf(want, sizeof want, "%s", line(1));
    strcat(want, line(2));
    assert_string_equal(got, want);
    free(got);
    dd_result_free(res);
}

static void test_emit_unique_plus_dropped_is_everything(void **state)
{
    dd_result *res = run();
    dd_keep k;

    (void)state;
    for (k = DD_KEEP_FIRST; k <= DD_KEEP_EARLIEST; k++) {
        char *u = emit(res, k, DD_EMIT_UNIQUE), *d = emit(res, k, DD_EMIT_DROPPED);
        size_t lines = 0;
        const char *p;
        for (p = u; *p; p++)
            lines += *p == '\n';
        for (p = d; *p; p++)
            lines += *p == '\n';
        assert_int_equal(lines, 4);
        free(u);
        free(d);
    }
    dd_result_free(res);
}

static void test_pathlist_separators(void **state)
{
    static const struct {
        const char *in;
        size_t len;
        bool nul;
        size_t n;
        const char *first, *last;
    } cases[] = {
        {"a\nb c\n", 6, false, 2, "a", "b c"},  {"a\r\n\n\nb", 7, false, 2, "a", "b"},
        {"x\ny\0z\0", 6, true, 2, "x\ny", "z"}, {"", 0, false, 0, NULL, NULL},
        {"\n\n", 2, false, 0, NULL, NULL},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        FILE *f = mem_stream(cases[i].in, cases[i].len);
        char **p = NULL;
        size_t n = 99;
        assert_int_equal(dd_path_list_read(f, cases[i].nul, &p, &n), DD_OK);
        fclose(f);
        assert_int_equal(n, cases[i].n);
        if (n) {
            assert_string_equal(p[0], cases[i].first);
            assert_string_equal(p[n - 1], cases[i].last);
        }
        dd_path_list_free(p, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emit_parse_date),
        cmocka_unit_test(test_emit_keep_rules),
        cmocka_unit_test(test_emit_unique_plus_dropped_is_everything),
        cmocka_unit_test(test_pathlist_separators),
    };
    return cmocka_run_group_tests_name("emit", tests, NULL, NULL);
}
