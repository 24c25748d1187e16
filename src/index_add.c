/* Index stage, add (include/dedup/index.h): a batch -> stored rows, one transaction per
 * batch. The batch's documents of the run (index.c) are stored with their keys, terms and
 * lines, then every copies group and story of the run moves to its earliest root, so the
 * stored groups are those of one batch run over everything added so far. */
#include "index_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Each run document's row: a candidate's, or the one its batch document was stored under. */
static int64_t row_of(const batch *b, const dd_result *res, const int64_t *new_row, size_t i)
{
    size_t ci = 0, di = dd__doc_of_line(b, res->docs[i].line, false, &ci);

    if (di == SIZE_MAX)
        return b->c[ci].row;
    return di < b->n ? new_row[di] : 0;
}

static int64_t root_of(const batch *b, const dd_result *res, const int64_t *new_row, size_t i,
                       int which)
{
    size_t ci = 0, di = dd__doc_of_line(b, res->docs[i].line, false, &ci);

    if (di == SIZE_MAX)
        return which ? b->c[ci].story_root : b->c[ci].copy_root;
    return di < b->n ? new_row[di] : 0;
}

/* Move every member of each group (label[i]: the group of run document i) to the group's
 * earliest root. */
static dd_status move_roots(dd_store *s, const batch *b, const dd_result *res,
                            const int64_t *new_row, const uint32_t *label, int which)
{
    size_t n = res->n_docs, i;
    int64_t *best = malloc((n + 1) * sizeof *best);
    dd_status st = DD_OK;

    if (!best)
        return DD_ENOMEM;
    for (i = 0; i < n; i++)
        best[i] = INT64_MAX;
    for (i = 0; i < n; i++) {
        int64_t r = root_of(b, res, new_row, i, which);
        if (r > 0 && r < best[label[i]])
            best[label[i]] = r;
    }
    for (i = 0; st == DD_OK && i < n; i++) {
        int64_t r = root_of(b, res, new_row, i, which), to = best[label[i]];
        size_t ci;
        bool is_new = dd__doc_of_line(b, res->docs[i].line, false, &ci) != SIZE_MAX;
        if (to == INT64_MAX || r == to)
            continue;
        st = dd_store_set_root(s, which, is_new ? row_of(b, res, new_row, i) : 0, r, to);
    }
    free(best);
    return st;
}

/* The stored form of run document i (batch document di); its terms are malloc'd. */
static dd_status stored_doc(const bdoc *d, const dd_result *res, size_t i, const uint64_t *lh,
                            const size_t *loff, int64_t now, dd_store_doc *sd)
{
    uint64_t *terms = NULL;
    dd_status st;

    memset(sd, 0, sizeof *sd);
    if ((st = dd__index_terms(res, i, &terms, &sd->n_terms)) != DD_OK)
        return st;
    sd->id = d->id;
    sd->title = d->title;
    sd->date = d->date;
    sd->source = d->source;
    sd->line = d->line;
    sd->hash = d->hash;
    sd->day = dd__index_day(res, i);
    sd->added = now;
    sd->record = d->json;
    sd->record_len = d->json_len;
    sd->terms = terms;
    sd->keys = d->keys;
    sd->n_keys = d->n_keys;
    sd->okeys = d->okeys;
    sd->n_okeys = d->n_okeys;
    sd->lines = lh + loff[i];
    sd->n_lines = loff[i + 1] - loff[i];
    sd->bytes = d->bytes;
    return DD_OK;
}

dd_status dd__store_batch(dd_store *s, batch *b, const dd_result *res, size_t *added)
{
    int64_t *new_row = calloc(b->n + 1, sizeof *new_row), *rows = NULL;
    uint32_t *label = malloc((res->n_docs + 1) * sizeof *label);
    dd_store_doc *sd = calloc(res->n_docs + 1, sizeof *sd);
    size_t *which = malloc((res->n_docs + 1) * sizeof *which);
    int64_t now = (int64_t)time(NULL);
    uint64_t *lh = NULL;
    size_t *loff = NULL, i, j, n = 0;
    dd_status st = new_row && label && sd && which ? dd__index_lines(res, &lh, &loff) : DD_ENOMEM;

    for (i = 0; st == DD_OK && i < res->n_docs; i++) {
        size_t ci, di = dd__doc_of_line(b, res->docs[i].line, false, &ci);
        if (di >= b->n)
            continue;
        which[n] = di;
        st = stored_doc(&b->d[di], res, i, lh, loff, now, &sd[n++]);
    }
    if (st == DD_OK && !(rows = malloc((n + 1) * sizeof *rows)))
        st = DD_ENOMEM;
    if (st == DD_OK)
        st = dd_store_insert_many(s, sd, n, rows);
    for (i = 0; st == DD_OK && i < n; i++)
        new_row[which[i]] = rows[i];
    if (st == DD_OK)
        *added += n;
    for (i = 0; sd && i < n; i++)
        free((void *)(uintptr_t)sd[i].terms);
    free(sd);
    free(which);
    free(rows);
    for (i = 0; st == DD_OK && i < res->n_docs; i++)
        label[i] = dd__index_copy_group(res, i);
    if (st == DD_OK)
        st = move_roots(s, b, res, new_row, label, 0);
    for (i = 0; st == DD_OK && i < res->n_docs; i++)
        label[i] = (uint32_t)i;
    for (i = 0; st == DD_OK && i < res->clusters.count; i++)
        for (j = res->clusters.start[i]; j < res->clusters.start[i + 1]; j++)
            label[res->clusters.members[j]] = res->clusters.members[res->clusters.start[i]];
    if (st == DD_OK)
        st = move_roots(s, b, res, new_row, label, 1);
    free(new_row);
    free(label);
    free(lh);
    free(loff);
    return st;
}

static void count_batch(dd_index_counts *c, const batch *b)
{
    size_t i;

    c->inputs += b->inputs;
    c->already += b->already;
    c->repaired += b->repaired;
    for (i = 0; i < DD_SKIP_COUNT; i++)
        c->skipped[i] += b->skipped[i];
}

/* One batch in one transaction: the write lock is taken before the candidates are looked
 * up, so no other writer's documents can slip in between. */
static dd_status add_batch(dd_store *s, const dd_index_opts *io, batch *b, dd_index_counts *c,
                           char *err, size_t err_cap)
{
    dd_result *res = NULL;
    size_t added = 0;
    dd_status st = DD_OK;

    if (b->n)
        st = dd__prepare(s, io, DD_LEVEL_STORIES, b, &res, err, err_cap);
    if (st == DD_OK && res)
        st = dd__store_batch(s, b, res, &added);
    dd_result_free(res);
    if (st == DD_OK)
        st = dd_store_commit(s);
    if (st != DD_OK) {
        dd_store_rollback(s);
        return st;
    }
    count_batch(c, b);
    c->added += added;
    c->batches++;
    return DD_OK;
}

dd_status dd_index_add(dd_store *s, const dd_index_opts *io, dd_reader *r, dd_index_counts *c)
{
    char err[512] = "";
    bool eof = false;
    dd_status st = dd__index_check_opts(io);

    memset(c, 0, sizeof *c);
    while (st == DD_OK && !eof) {
        batch b;
        dd__batch_init(&b);
        st = dd_store_begin(s);
        if (st == DD_OK)
            st = dd__read_batch(s, &io->pipe, r, &b, io->batch, true, &eof);
        if (st == DD_OK)
            st = add_batch(s, io, &b, c, err, sizeof err);
        else
            dd_store_rollback(s);
        dd__batch_free(&b);
    }
    if (st == DD_EIO && *err)
        dd__index_diag(&io->pipe, err, false);
    return st;
}
