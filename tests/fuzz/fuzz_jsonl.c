/* Fuzz target: the reader over arbitrary bytes as JSON Lines (dd_reader_add_stream over
 * fmemopen). The first byte picks options (size limit, dotted field paths, duplicate-id
 * tracking); the rest is the file. Checks: every call ends in DD_OK, DD_END or a per-item
 * status with a one-line "name:LINE: ..., skipped" message; documents carry valid UTF-8 text
 * without NULs, an id, a title and a record span inside the input; the number of items is
 * at most the number of lines; warnings are single lines. */
#include <dedup/dedup.h>

#include <string.h>

#include "fuzz_common.h"

static size_t n_warnings;

static void on_warning(void *ud, const char *msg)
{
    (void)ud;
    FUZZ_CHECK(strchr(msg, '\n') == NULL);
    FUZZ_CHECK(strstr(msg, ": warning: duplicate id \"") != NULL ||
               strcmp(msg, "fuzz.jsonl: warning: no JSON Lines records") == 0);
    n_warnings++;
}

static void check_doc(const dd_doc *d, const uint8_t *data, size_t size)
{
    FUZZ_CHECK(d->id && d->title && d->text && d->source);
    FUZZ_CHECK(strcmp(d->source, "fuzz.jsonl") == 0);
    FUZZ_CHECK(strlen(d->text) == d->len); /* jansson rejects \u0000 */
    FUZZ_CHECK(fuzz_valid_utf8(d->text, d->len));
    FUZZ_CHECK(fuzz_valid_utf8(d->title, strlen(d->title)));
    FUZZ_CHECK(d->line >= 1);
    FUZZ_CHECK(d->record_off >= 0 && (size_t)d->record_off + d->record_len <= size);
    FUZZ_CHECK(memchr(data + d->record_off, '\n', d->record_len) == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t limits[4] = {0, 16, 200, 4096};
    dd_reader_opts o = dd_reader_opts_default();
    dd_reader *r = NULL;
    size_t items = 0, lines = 1, i;
    char *copy;
    FILE *f;
    dd_doc d;
    dd_status st;

    if (size < 1)
        return 0;
    o.max_doc_bytes = limits[data[0] & 3];
    if (data[0] & 4) {
        o.id_field = "meta.id";
        o.title_field = "text"; /* the same path for two fields is allowed */
    }
    if (data[0] & 8) {
        o.on_warning = on_warning;
        o.warning_ud = NULL;
    }
    data++;
    size--;
    for (i = 0; i < size; i++)
        lines += data[i] == '\n';
    f = fuzz_stream(data, size, &copy);
    if (!f) {
        free(copy);
        return 0;
    }
    n_warnings = 0;
    FUZZ_CHECK(dd_reader_new(&o, &r) == DD_OK);
    FUZZ_CHECK(dd_reader_add_stream(r, f, "fuzz.jsonl", true) == DD_OK);
    while ((st = dd_reader_next(r, &d)) != DD_END) {
        const char *msg = dd_reader_error(r);
        size_t n = strlen(msg);

        FUZZ_CHECK(st != DD_ENOMEM);
        items++;
        FUZZ_CHECK(items <= lines);
        if (st == DD_OK) {
            check_doc(&d, data, size);
            continue;
        }
        FUZZ_CHECK(st == DD_EPARSE || st == DD_ELIMIT || st == DD_EIO);
        FUZZ_CHECK(strncmp(msg, "fuzz.jsonl:", 11) == 0);
        FUZZ_CHECK(n >= 9 && strcmp(msg + n - 9, ", skipped") == 0);
    }
    FUZZ_CHECK(n_warnings <= items + 1);
    dd_reader_free(r);
    fclose(f);
    free(copy);
    return 0;
}
