/* Fuzz target: dd_normalize over arbitrary bytes. Checks: input that is not valid UTF-8
 * gives DD_EUTF8 or valid output (the markup pre-pass may drop the bad bytes with the tag
 * around them) and valid input always gives DD_OK; every token is non-empty valid UTF-8; the line
 * index starts at 0, ascends and stays inside the tokens; the same text normalized again
 * (after something else in between) gives the same tokens; the ASCII tokenizer's byte loop
 * gives the same tokens and lines as its vector path; every token hashes to the same
 * value read over the normalizer's padding as read from its own bytes; and the Unicode
 * mapping done a run of non-ASCII bytes at a time is utf8proc_map's over the whole text
 * (ASCII letters aside, which utf8proc case-folds and split() lowercases later). */
#include <dedup/dedup.h>

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "fuzz_common.h"
#include "../../src/util.h"

static uint64_t digest(const dd_span *t, size_t n)
{
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < t[i].len; j++)
            h = (h ^ (unsigned char)t[i].ptr[j]) * 1099511628211ULL;
        h = (h ^ 0x1F) * 1099511628211ULL;
    }
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    dd_normalizer *nz = NULL;
    const dd_span *toks;
    const size_t *lines;
    size_t n = 0, n_lines = 0, n2 = 0, *saved;
    uint64_t h;
    dd_status st;

    FUZZ_CHECK(dd_normalizer_new(&nz) == DD_OK);
    {
        utf8proc_uint8_t *want = NULL;
        const char *got = NULL;
        size_t got_n = 0;
        utf8proc_ssize_t m = utf8proc_map(data, (utf8proc_ssize_t)size, &want,
                                          UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                                              UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK |
                                              UTF8PROC_IGNORE);
        st = dd__normalize_map(nz, text, size, &got, &got_n);
        FUZZ_CHECK((m < 0) == (st != DD_OK));
        if (m >= 0) {
            FUZZ_CHECK(got_n == (size_t)m);
            for (size_t i = 0; i < got_n; i++)
                FUZZ_CHECK((unsigned char)got[i] == want[i] ||
                           (got[i] >= 'A' && got[i] <= 'Z' && got[i] + 32 == want[i]));
        }
        free(want);
    }
    st = dd_normalize(nz, text, size, &toks, &n);
    FUZZ_CHECK(st == DD_OK || st == DD_EUTF8);
    if (fuzz_valid_utf8(text, size))
        FUZZ_CHECK(st == DD_OK);
    if (st == DD_OK) {
        for (size_t i = 0; i < n; i++) {
            FUZZ_CHECK(toks[i].len > 0);
            FUZZ_CHECK(fuzz_valid_utf8(toks[i].ptr, toks[i].len));
        }
        lines = dd_normalizer_lines(nz, &n_lines);
        FUZZ_CHECK(n == 0 || (n_lines >= 1 && lines[0] == 0));
        for (size_t i = 1; i < n_lines; i++)
            FUZZ_CHECK(lines[i] > lines[i - 1] && lines[i] < n);
        saved = malloc((n_lines + 1) * sizeof *saved);
        FUZZ_CHECK(saved != NULL);
        if (n_lines)
            memcpy(saved, lines, n_lines * sizeof *saved);
        for (size_t i = 0; i < n; i++) {
            uint64_t a, b;
            dd__token_hashes_padded(&toks[i], 1, 7, &a);
            dd_token_hashes(&toks[i], 1, 7, &b);
            FUZZ_CHECK(a == b);
        }
        h = digest(toks, n);
        FUZZ_CHECK(dd_normalize(nz, "Other text, other tokens.", 25, &toks, &n2) == DD_OK);
        FUZZ_CHECK(dd_normalize(nz, text, size, &toks, &n2) == DD_OK);
        FUZZ_CHECK(n2 == n && digest(toks, n2) == h);
        {
            size_t nl2 = 0;
            const size_t *l2;
            dd__normalize_scalar_only = 1;
            FUZZ_CHECK(dd_normalize(nz, text, size, &toks, &n2) == DD_OK);
            dd__normalize_scalar_only = 0;
            FUZZ_CHECK(n2 == n && digest(toks, n2) == h);
            l2 = dd_normalizer_lines(nz, &nl2);
            FUZZ_CHECK(nl2 == n_lines);
            FUZZ_CHECK(n_lines == 0 || memcmp(l2, saved, n_lines * sizeof *saved) == 0);
        }
        free(saved);
    }
    dd_normalizer_free(nz);
    return 0;
}
