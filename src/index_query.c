/* Index stage, query (include/dedup/index.h): a batch reported against a stored index,
 * as one batch run over the store and the batch would report the clusters that hold the
 * batch's documents (index.c runs it). */
#include "index_internal.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- query ----------------------------------------------------------------------------- */

/* restrict_result's working arrays, one slot per run document: its batch document (di),
 * whether it is the batch's (isq) and kept (keepd), its new index (map), and, by new index,
 * its place in the run file (rl, rn, ro) and whether it is stored, which the result takes. */
typedef struct restrict_ctx {
    uint32_t *map;
    bool *keepd, *isq, *stored;
    size_t *di, *rl, *rn;
    long *ro;
} restrict_ctx;

static dd_status restrict_alloc(restrict_ctx *c, size_t n)
{
    c->map = malloc((n + 1) * sizeof *c->map);
    c->keepd = calloc(n + 1, sizeof *c->keepd);
    c->isq = calloc(n + 1, sizeof *c->isq);
    c->stored = calloc(n + 1, sizeof *c->stored);
    c->di = malloc((n + 1) * sizeof *c->di);
    c->rl = malloc((n + 1) * sizeof *c->rl);
    c->rn = malloc((n + 1) * sizeof *c->rn);
    c->ro = malloc((n + 1) * sizeof *c->ro);
    return c->map && c->keepd && c->isq && c->stored && c->di && c->rl && c->rn && c->ro
               ? DD_OK
               : DD_ENOMEM;
}

static void restrict_free(restrict_ctx *c)
{
    free(c->rl);
    free(c->rn);
    free(c->ro);
    free(c->map);
    free(c->keepd);
    free(c->isq);
    free(c->stored);
    free(c->di);
}

/* Keep the batch's documents and every document of a cluster that holds one. */
static void mark_kept(const dd_result *res, const batch *b, restrict_ctx *c)
{
    size_t n = res->n_docs, i, j;

    for (i = 0; i < n; i++) {
        size_t ci = 0;
        c->di[i] = dd__doc_of_line(b, res->docs[i].line, false, &ci);
        c->isq[i] = c->keepd[i] = c->di[i] != SIZE_MAX;
    }
    for (i = 0; i < res->clusters.count; i++) {
        bool any = false;
        for (j = res->clusters.start[i]; j < res->clusters.start[i + 1]; j++)
            any |= c->isq[res->clusters.members[j]];
        if (!any)
            continue;
        for (j = res->clusters.start[i]; j < res->clusters.start[i + 1]; j++)
            c->keepd[res->clusters.members[j]] = true;
    }
}

/* Name kept document k (run document i): a batch document as the user gave it, a stored
 * candidate by its stored title and size. */
static void name_doc(dd_index_result *q, const batch *b, restrict_ctx *c, size_t i, size_t k)
{
    dd_result *res = q->res;

    if (c->isq[i] && c->di[i] < b->n) { /* the batch's own names and places */
        const bdoc *d = &b->d[c->di[i]];
        dd_doc_info *x = &res->docs[k];
        x->id = d->id;
        x->title = d->title;
        x->date = d->date;
        x->source = d->source;
        x->line = d->line;
        x->record_off = d->record_off;
        x->record_len = d->record_len;
        x->record = d->record;
        x->bytes = d->bytes;
    } else if (!c->isq[i]) {
        size_t ci = res->docs[i].line - 1;
        res->docs[k].title = b->c[ci].title;
        res->docs[k].bytes = b->c[ci].bytes;
        c->stored[k] = true;
        q->n_stored++;
    }
}

/* Move the kept documents down to their new indexes (c->map); returns how many are kept. */
static size_t compact_docs(dd_index_result *q, const batch *b, restrict_ctx *c)
{
    dd_result *res = q->res;
    size_t n = res->n_docs, i, k;

    for (i = 0, k = 0; i < n; i++) {
        c->map[i] = (uint32_t)k;
        if (!c->keepd[i])
            continue;
        res->docs[k] = res->docs[i];
        c->rl[k] = res->docs[i].line;
        c->rn[k] = res->docs[i].record_len;
        c->ro[k] = res->docs[i].record_off;
        name_doc(q, b, c, i, k);
        if (res->near_copy)
            res->near_copy[k] = res->near_copy[i];
        k++;
    }
    if (res->near_copy)
        for (i = 0; i < k; i++)
            res->near_copy[i] = c->map[res->near_copy[i]];
    return k;
}

/* Renumber the pairs of kept documents in place; returns how many remain. */
static size_t compact_pairs(dd_result *res, const restrict_ctx *c)
{
    size_t i, np = 0;

    for (i = 0; i < res->n_pairs; i++) {
        dd_pair_score p = res->pairs[i];
        if (!c->keepd[p.a] || !c->keepd[p.b]) /* pairs of kept clusters, as a batch reports them */
            continue;
        p.a = c->map[p.a];
        p.b = c->map[p.b];
        res->pairs[np++] = p;
    }
    return np;
}

/* Renumber the kept clusters in place; returns how many remain, *nm their members. */
static size_t compact_clusters(dd_result *res, const restrict_ctx *c, size_t *nm)
{
    size_t i, j, nc = 0;

    *nm = 0;
    for (i = 0; i < res->clusters.count; i++) {
        size_t lo = res->clusters.start[i], hi = res->clusters.start[i + 1];
        if (!c->keepd[res->clusters.members[lo]])
            continue;
        res->clusters.start[nc] = *nm;
        if (res->key_terms)
            res->key_terms[nc] = res->key_terms[i];
        for (j = lo; j < hi; j++)
            res->clusters.members[(*nm)++] = c->map[res->clusters.members[j]];
        nc++;
    }
    return nc;
}

/* Keep the clusters that hold a batch document, and in them the batch's documents and the
 * stored ones; renumber documents, pairs and clusters; restore the batch's names. */
static dd_status restrict_result(dd_index_result *q, batch *b)
{
    dd_result *res = q->res;
    size_t i, k, np, nc, nm;
    restrict_ctx c;
    dd_status st = restrict_alloc(&c, res->n_docs);

    if (st == DD_OK) {
        mark_kept(res, b, &c);
        k = compact_docs(q, b, &c);
        np = compact_pairs(res, &c);
        nc = compact_clusters(res, &c, &nm);
        /* A kept cluster was kept whole, and only kept clusters hold stored documents. */
        res->clusters.start[nc] = nm;
        res->clusters.count = nc;
        res->n_clustered = nm;
        res->n_pairs = np;
        res->n_docs = k;
        res->n_inputs = b->inputs + q->n_stored;
        for (i = 0; i < DD_SKIP_COUNT; i++)
            res->skipped[i] = b->skipped[i];
        res->n_repaired = b->repaired;
        q->stored = c.stored;
        q->mem->stored = c.stored;
        q->mem->run_line = c.rl;
        q->mem->run_len = c.rn;
        q->mem->run_off = c.ro;
        c.stored = NULL;
        c.rl = c.rn = NULL;
        c.ro = NULL;
    }
    restrict_free(&c);
    return st;
}

dd_status dd_index_query(dd_store *s, const dd_index_opts *io, dd_reader *r,
                         dd_index_result **out)
{
    dd_index_result *q = calloc(1, sizeof *q);
    char err[512] = "";
    bool eof;
    dd_status st = dd__index_check_opts(io);

    *out = NULL;
    if (!q || !(q->mem = calloc(1, sizeof *q->mem))) {
        free(q);
        return DD_ENOMEM;
    }
    dd__batch_init(&q->mem->b);
    if (st == DD_OK)
        st = dd__read_batch(s, &io->pipe, r, &q->mem->b, 0, false, &eof);
    /* one snapshot for candidates, frequencies and lines, while a writer may be adding */
    if (st == DD_OK)
        st = dd_store_read_begin(s);
    if (st == DD_OK) {
        st = dd__prepare(s, io, io->pipe.level, &q->mem->b, &q->res, err, sizeof err);
        dd_store_read_end(s);
    }
    q->n_candidates = q->mem->b.n_cand;
    if (st == DD_OK)
        st = restrict_result(q, &q->mem->b);
    if (st != DD_OK) {
        if (st == DD_EIO && *err)
            dd__index_diag(&io->pipe, err, false);
        dd_index_result_free(q);
        return st;
    }
    *out = q;
    return DD_OK;
}

void dd_index_result_free(dd_index_result *q)
{
    if (!q)
        return;
    dd_result_free(q->res);
    if (q->mem) {
        dd__batch_free(&q->mem->b);
        free(q->mem->stored);
        free(q->mem->run_line);
        free(q->mem->run_len);
        free(q->mem->run_off);
        free(q->mem);
    }
    free(q);
}

dd_status dd_index_texts(const dd_index_result *q, char ***texts)
{
    const dd_result *res = q->res;
    char **t = calloc(res->n_docs + 1, sizeof *t);
    dd_reader *r = NULL;
    dd_status st = t ? dd_reader_new(NULL, &r) : DD_ENOMEM;
    size_t i;

    *texts = NULL;
    for (i = 0; st == DD_OK && i < res->n_docs; i++) {
        dd_doc d;
        dd_status rs = dd_reader_reread(r, q->mem->b.run_path, q->mem->run_line[i],
                                        q->mem->run_off[i], q->mem->run_len[i], &d);
        if (rs == DD_ENOMEM)
            st = rs;
        if (rs != DD_OK) /* gone: the page shows the pair without its text */
            continue;
        if (!(t[i] = malloc(d.len + 1))) {
            st = DD_ENOMEM;
            break;
        }
        memcpy(t[i], d.text, d.len);
        t[i][d.len] = '\0';
    }
    dd_reader_free(r);
    if (st != DD_OK) {
        dd__free_strings(t, res->n_docs);
        return st;
    }
    *texts = t;
    return DD_OK;
}
