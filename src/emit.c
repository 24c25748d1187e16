/* Emit stage: result -> deduplicated corpus or drop list. The representative of a cluster
 * is chosen here, not in the pipeline, so --keep changes what is written and never what is
 * clustered. JSON Lines records are copied as raw bytes (never re-serialized by jansson), so
 * a kept record is byte-identical to its input line: key order, spacing and escapes stay. */
#include <dedup/dedup.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

dd_emit_opts dd_emit_opts_default(void)
{
    dd_emit_opts o = {DD_KEEP_FIRST, DD_EMIT_UNIQUE, false, NULL};
    return o;
}

bool dd_emit_parse_date(const char *s, double *out)
{
    return dd__parse_date(s, strlen(s), out);
}

/* Is document `a` a better representative than `b` (a > b in index)? Only strict wins, so a
 * tie keeps the earlier document. */
static bool better(const dd_result *res, uint32_t a, uint32_t b, dd_keep keep)
{
    const dd_doc_info *x = &res->docs[a], *y = &res->docs[b];
    double tx, ty;
    bool hx, hy;

    if (keep == DD_KEEP_LONGEST)
        return x->bytes > y->bytes;
    if (keep != DD_KEEP_EARLIEST)
        return false;
    hx = x->date && dd_emit_parse_date(x->date, &tx);
    hy = y->date && dd_emit_parse_date(y->date, &ty);
    return hx && (!hy || tx < ty);
}

uint32_t dd_emit_representative(const dd_result *res, size_t c, dd_keep keep)
{
    size_t i, lo = res->clusters.start[c], hi = res->clusters.start[c + 1];
    uint32_t best = res->clusters.members[lo];

    for (i = lo + 1; i < hi; i++)
        if (better(res, res->clusters.members[i], best, keep))
            best = res->clusters.members[i];
    return best;
}

/* drop[i]: document i is a cluster member that is not its cluster's representative. */
static bool *drop_marks(const dd_result *res, dd_keep keep)
{
    bool *drop = calloc(res->n_docs ? res->n_docs : 1, sizeof *drop);
    size_t c, i;

    if (!drop)
        return NULL;
    for (c = 0; c < res->clusters.count; c++) {
        uint32_t rep = dd_emit_representative(res, c, keep);
        for (i = res->clusters.start[c]; i < res->clusters.start[c + 1]; i++)
            drop[res->clusters.members[i]] = res->clusters.members[i] != rep;
    }
    return drop;
}

/* Source files are re-opened for their records; consecutive records mostly share one. */
typedef struct source {
    FILE *f;
    const char *name;
    char *buf;
    size_t cap;
} source;

static dd_status reread(source *s, const dd_doc_info *d, char *err, size_t err_cap)
{
    if (!s->name || strcmp(s->name, d->source) != 0) {
        if (s->f)
            fclose(s->f);
        s->name = d->source;
        s->f = fopen(d->source, "rb");
        if (!s->f) {
            s->name = NULL;
            snprintf(err, err_cap, "%s: %s", d->source, strerror(errno));
            return DD_EIO;
        }
    }
    if (d->record_len + 1 > s->cap) {
        char *p = realloc(s->buf, d->record_len + 1);
        if (!p)
            return DD_ENOMEM;
        s->buf = p;
        s->cap = d->record_len + 1;
    }
    if (fseek(s->f, d->record_off, SEEK_SET) != 0 ||
        fread(s->buf, 1, d->record_len, s->f) != d->record_len) {
        snprintf(err, err_cap, "%s: record at line %zu could not be read again", d->source,
                 d->line);
        return DD_EIO;
    }
    return DD_OK;
}

static dd_status emit_one(const dd_doc_info *d, const dd_emit_opts *o, source *s, FILE *out,
                          char *err, size_t err_cap)
{
    dd_status st;

    if (d->record) {
        fwrite(d->record, 1, d->record_len, out);
        fputc('\n', out);
    } else if (d->line && d->record_off >= 0) {
        if ((st = reread(s, d, err, err_cap)) != DD_OK)
            return st;
        fwrite(s->buf, 1, d->record_len, out);
        fputc('\n', out);
    } else {
        fputs(d->id, out);
        fputc(o->nul ? '\0' : '\n', out);
    }
    return DD_OK;
}

dd_status dd_emit_write(const dd_result *res, const dd_emit_opts *o, FILE *out, char *err,
                        size_t err_cap)
{
    bool *drop = drop_marks(res, o->keep);
    source s = {0};
    dd_status st = DD_OK;
    size_t i;

    if (err_cap)
        err[0] = '\0';
    if (!drop)
        return DD_ENOMEM;
    for (i = 0; st == DD_OK && i < res->n_docs; i++)
        if (drop[i] == (o->what == DD_EMIT_DROPPED) && !(o->skip && o->skip[i]))
            st = emit_one(&res->docs[i], o, &s, out, err, err_cap);
    if (s.f)
        fclose(s.f);
    free(s.buf);
    free(drop);
    if (st == DD_OK && ferror(out))
        st = DD_EIO;
    return st;
}
