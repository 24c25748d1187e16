/* Fuzz target: dd_decode_text and the reader over arbitrary bytes as one text document.
 * Checks: the output is valid UTF-8 with no NUL inside and a NUL after it; DD_EBINARY exactly
 * when there is a NUL and no UTF-16 byte-order mark; pure ASCII without NUL is handed back
 * unchanged with no warning; the reader yields exactly one item, and as a document it holds
 * the same text as dd_decode_text, with a one-line title of at most 200 bytes. */
#include <dedup/dedup.h>

#include <string.h>

#include "fuzz_common.h"

static bool utf16_bom(const uint8_t *d, size_t n)
{
    return n >= 2 && ((d[0] == 0xFF && d[1] == 0xFE) || (d[0] == 0xFE && d[1] == 0xFF));
}

static bool ascii(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (d[i] >= 0x80)
            return false;
    return true;
}

static void check_reader(const uint8_t *data, size_t size, const char *want, size_t want_len,
                         dd_status want_st)
{
    dd_reader_opts o = dd_reader_opts_default();
    dd_reader *r = NULL;
    char *copy;
    FILE *f = fuzz_stream(data, size, &copy);
    dd_doc d;
    dd_status st;

    if (!f) {
        free(copy);
        return;
    }
    o.max_doc_bytes = 0;
    FUZZ_CHECK(dd_reader_new(&o, &r) == DD_OK);
    FUZZ_CHECK(dd_reader_add_stream(r, f, "fuzz.txt", false) == DD_OK);
    st = dd_reader_next(r, &d);
    FUZZ_CHECK(st == want_st);
    if (st == DD_OK) {
        FUZZ_CHECK(d.len == want_len && memcmp(d.text, want, want_len) == 0);
        FUZZ_CHECK(strcmp(d.id, "fuzz.txt") == 0 && d.line == 0 && d.record_off == -1);
        FUZZ_CHECK(strlen(d.title) <= 200 && strchr(d.title, '\n') == NULL);
        FUZZ_CHECK(fuzz_valid_utf8(d.title, strlen(d.title)));
    } else
        FUZZ_CHECK(strcmp(dd_reader_error(r), "fuzz.txt: binary file (NUL bytes), skipped") == 0);
    FUZZ_CHECK(dd_reader_next(r, &d) == DD_END);
    dd_reader_free(r);
    fclose(f);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *warning;
    char *out = NULL;
    size_t out_len = 0;
    bool nul = memchr(data, 0, size) != NULL, bom16 = utf16_bom(data, size);
    dd_status st = dd_decode_text((const char *)data, size, &out, &out_len, &warning);

    FUZZ_CHECK(st != DD_ENOMEM);
    FUZZ_CHECK((st == DD_EBINARY) == (nul && !bom16));
    if (st == DD_OK) {
        FUZZ_CHECK(out != NULL && out[out_len] == '\0');
        FUZZ_CHECK(strlen(out) == out_len);
        FUZZ_CHECK(fuzz_valid_utf8(out, out_len));
        FUZZ_CHECK((warning != NULL) == (bom16 || !fuzz_valid_utf8((const char *)data, size)));
        if (!nul && ascii(data, size))
            FUZZ_CHECK(out_len == size && memcmp(out, data, size) == 0 && !warning);
    } else
        FUZZ_CHECK(out == NULL && out_len == 0);
    check_reader(data, size, out, out_len, st);
    free(out);
    return 0;
}
