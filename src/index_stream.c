/* Index stage, stream (include/dedup/index.h): one document decided against the store,
 * answered, then stored, in one transaction (index.c runs it). */
#include "index_internal.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- stream ---------------------------------------------------------------------------- */

/* The decision for the last document of the run: a copy of the stored document it shares
 * most shingles with, else in the story of the one most like it, else new. */
static void decide(const batch *b, const dd_result *res, dd_stream_decision *d)
{
    size_t n = res->n_docs, i, best = SIZE_MAX, q;
    double score = -1;
    bool copy = false;

    d->status = DD_STREAM_NEW;
    if (!n || res->docs[n - 1].line <= b->n_cand)
        return;
    q = n - 1;
    for (i = 0; i < res->n_pairs; i++) {
        const dd_pair_score *p = &res->pairs[i];
        size_t other = p->a == q ? p->b : p->a;
        double sc;
        if (p->a != q && p->b != q)
            continue;
        if (p->copy && !copy) { /* a copy beats any story pair */
            copy = true;
            score = -1;
        } else if (!p->copy && copy) {
            continue;
        }
        sc = p->copy ? p->jaccard : p->similarity;
        if (sc > score || (sc == score && other < best)) {
            score = sc;
            best = other;
        }
    }
    for (i = 0; best == SIZE_MAX && i < res->clusters.count; i++) /* attached, no pair kept */
        for (size_t j = res->clusters.start[i]; j < res->clusters.start[i + 1]; j++)
            if (res->clusters.members[j] == q) {
                best = res->clusters.members[res->clusters.start[i]];
                score = 0;
            }
    if (best == SIZE_MAX || best == q)
        return;
    d->status = copy ? DD_STREAM_COPY : DD_STREAM_STORY;
    d->score = score;
    snprintf(d->of, sizeof d->of, "%s", res->docs[best].id);
}

dd_status dd_index_stream_one(dd_store *s, const dd_index_opts *io, dd_reader *r,
                              void (*emit)(void *ud, const dd_stream_decision *d), void *ud)
{
    dd_stream_decision d;
    dd_result *res = NULL;
    char err[512] = "";
    batch b;
    bool eof;
    size_t added = 0;
    dd_status st = dd__index_check_opts(io);

    memset(&d, 0, sizeof d);
    dd__batch_init(&b);
    if (st == DD_OK)
        st = dd_store_begin(s);
    if (st == DD_OK)
        st = dd__read_batch(s, &io->pipe, r, &b, 1, false, &eof);
    if (st == DD_OK && b.n)
        st = dd__prepare(s, io, DD_LEVEL_STORIES, &b, &res, err, sizeof err);
    if (st == DD_OK) {
        d.status = DD_STREAM_SKIPPED;
        if (b.n)
            snprintf(d.id, sizeof d.id, "%s", b.d[0].id);
        if (res && res->n_docs && res->docs[res->n_docs - 1].line > b.n_cand)
            decide(&b, res, &d);
        if (b.n && d.status != DD_STREAM_SKIPPED) {
            bool found = false;
            st = dd_store_has(s, b.d[0].id, b.d[0].hash, &found);
            d.stored = st == DD_OK && !found;
        }
    }
    if (st == DD_OK && emit && (b.n || b.inputs))
        emit(ud, &d);
    if (st == DD_OK && d.stored)
        st = dd__store_batch(s, &b, res, &added);
    if (st == DD_OK)
        st = dd_store_commit(s);
    if (st != DD_OK) {
        dd_store_rollback(s);
        if (st == DD_EIO && *err)
            dd__index_diag(&io->pipe, err, false);
    }
    dd_result_free(res);
    dd__batch_free(&b);
    return st;
}
