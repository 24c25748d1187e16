/* Index stage, query (include/dedup/index.h): a batch reported against a stored index,
 * as one batch run over the store and the batch would report the clusters that hold the
 * batch's documents (index.c runs it). */
#include "index_internal.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- query ----------------------------------------------------------------------------- */

/* Keep the clusters that hold a batch document, and in them the batch's documents and the
 * stored ones; renumber documents, pairs and clusters; restore the batch's names. */
static dd_status restrict_result(dd_index_result *q, batch *b)
{
    dd_result *res = q->res;
    size_t n = res->n_docs, i, j, k, nc = 0, np = 0, nm = 0;
    uint32_t *map = malloc((n + 1) * sizeof *map);
    bool *keepd = calloc(n + 1, sizeof *keepd), *isq = calloc(n + 1, sizeof *isq);
    bool *stored = calloc(n + 1, sizeof *stored);
    size_t *di = malloc((n + 1) * sizeof *di);
    size_t *rl = malloc((n + 1) * sizeof *rl), *rn = malloc((n + 1) * sizeof *rn);
    long *ro = malloc((n + 1) * sizeof *ro);
    dd_status st = map && keepd && isq && stored && di && rl && rn && ro ? DD_OK : DD_ENOMEM;

    for (i = 0; st == DD_OK && i < n; i++) {
        size_t ci = 0;
        di[i] = dd__doc_of_line(b, res->docs[i].line, false, &ci);
        isq[i] = keepd[i] = di[i] != SIZE_MAX;
    }
    for (i = 0; st == DD_OK && i < res->clusters.count; i++) {
        bool any = false;
        for (j = res->clusters.start[i]; j < res->clusters.start[i + 1]; j++)
            any |= isq[res->clusters.members[j]];
        if (!any)
            continue;
        for (j = res->clusters.start[i]; j < res->clusters.start[i + 1]; j++)
            keepd[res->clusters.members[j]] = true;
    }
    for (i = 0, k = 0; st == DD_OK && i < n; i++) {
        map[i] = (uint32_t)k;
        if (!keepd[i])
            continue;
        res->docs[k] = res->docs[i];
        rl[k] = res->docs[i].line;
        rn[k] = res->docs[i].record_len;
        ro[k] = res->docs[i].record_off;
        if (isq[i] && di[i] < b->n) { /* the batch's own names and places */
            const bdoc *d = &b->d[di[i]];
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
        } else if (!isq[i]) {
            size_t ci = res->docs[i].line - 1;
            res->docs[k].title = b->c[ci].title;
            res->docs[k].bytes = b->c[ci].bytes;
            stored[k] = true;
            q->n_stored++;
        }
        if (res->near_copy)
            res->near_copy[k] = res->near_copy[i];
        k++;
    }
    if (st == DD_OK && res->near_copy)
        for (i = 0; i < k; i++)
            res->near_copy[i] = map[res->near_copy[i]];
    for (i = 0; st == DD_OK && i < res->n_pairs; i++) {
        dd_pair_score p = res->pairs[i];
        if (!keepd[p.a] || !keepd[p.b]) /* pairs of kept clusters, as a batch reports them */
            continue;
        p.a = map[p.a];
        p.b = map[p.b];
        res->pairs[np++] = p;
    }
    for (i = 0; st == DD_OK && i < res->clusters.count; i++) {
        size_t lo = res->clusters.start[i], hi = res->clusters.start[i + 1];
        if (!keepd[res->clusters.members[lo]])
            continue;
        res->clusters.start[nc] = nm;
        if (res->key_terms)
            res->key_terms[nc] = res->key_terms[i];
        for (j = lo; j < hi; j++)
            res->clusters.members[nm++] = map[res->clusters.members[j]];
        nc++;
    }
    if (st == DD_OK) {
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
        q->stored = stored;
        q->mem->stored = stored;
        q->mem->run_line = rl;
        q->mem->run_len = rn;
        q->mem->run_off = ro;
        stored = NULL;
        rl = rn = NULL;
        ro = NULL;
    }
    free(rl);
    free(rn);
    free(ro);
    free(map);
    free(keepd);
    free(isq);
    free(stored);
    free(di);
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
    if (st == DD_OK)
        st = dd__prepare(s, io, io->pipe.level, &q->mem->b, &q->res, err, sizeof err);
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
