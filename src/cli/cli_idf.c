/* `dedup idf`: build a background document-frequency table from a corpus, in the format
 * `--idf FILE` reads and data/idf/news-en.tsv is written in. Numbers and character pairs
 * are left out: they name one story, not a language. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static bool language_term(const char *s, size_t len)
{
    return len > 1 && !(s[0] >= '0' && s[0] <= '9') && (unsigned char)s[0] < 0xE0;
}

static dd_status count_doc(dd_normalizer *nz, dd_terms *tm, dd_idf_builder *b, const dd_doc *d)
{
    const dd_span *toks;
    const dd_term *terms;
    size_t ntok = 0, nterm = 0, i;
    dd_status st = dd_normalize(nz, d->text, d->len, &toks, &ntok);

    if (st == DD_OK)
        st = dd_terms_extract(tm, toks, ntok, &terms, &nterm);
    for (i = 0; st == DD_OK && i < nterm; i++) {
        size_t len;
        const char *s = dd_terms_text(tm, i, &len);
        if (language_term(s, len))
            st = dd_idf_builder_term(b, s, len);
    }
    if (nterm > 0)
        dd_idf_builder_next_doc(b);
    return st;
}

static dd_status build(const cli_opts *o, dd_reader *r, dd_idf_builder *b)
{
    dd_normalizer *nz = NULL;
    dd_terms *tm = NULL;
    dd_status st = dd_normalizer_new(&nz);
    dd_doc d;

    if (st == DD_OK)
        st = dd_terms_new(o->pipe.seed, &tm);
    while (st == DD_OK) {
        st = dd_reader_next(r, &d);
        if (st == DD_OK)
            st = count_doc(nz, tm, b, &d);
        else if (st != DD_END && st != DD_ENOMEM) {
            if (o->verbosity > 0)
                fprintf(stderr, "dedup: %s\n", dd_reader_error(r));
            st = DD_OK;
        }
    }
    dd_normalizer_free(nz);
    dd_terms_free(tm);
    return st == DD_END ? DD_OK : st;
}

int cli_idf(const cli_opts *o)
{
    dd_reader *r = NULL;
    dd_idf_builder *b = NULL;
    size_t i;
    dd_status st = dd_reader_new(&o->reader, &r);

    if (st == DD_OK)
        st = dd_idf_builder_new(&b);
    for (i = 0; st == DD_OK && i < o->n_paths; i++)
        st = dd_reader_add_path(r, o->paths[i]);
    if (st == DD_OK && o->n_paths == 0)
        st = dd_reader_add_path(r, "-");
    if (st == DD_OK)
        st = build(o, r, b);
    if (st == DD_OK)
        st = dd_idf_builder_write(b, o->min_df, stdout);
    dd_reader_free(r);
    dd_idf_builder_free(b);
    if (st == DD_OK || (st == DD_EIO && ferror(stdout)))
        return cli_stdout_done();
    fprintf(stderr, "dedup: idf: %s\n", dd_strerror(st));
    return CLI_ERROR;
}
