/* Store stage, writing: a batch's documents -> rows plus their keys, lines and document
 * frequencies (inside the caller's transaction), moved group roots, and pruning by age (in
 * its own transaction). The keys, lines and df tables hold exactly what the rows' arrays
 * list, so removing a row takes out exactly what inserting it put in. */
#include "store_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Step a statement that returns no row, then reset it. */
static int step_done(sqlite3_stmt *q)
{
    int rc = sqlite3_step(q);

    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Arrays of 64-bit values are stored little-endian, 8 bytes each. */
static void *le_blob(const uint64_t *v, size_t n)
{
    unsigned char *b = malloc(n * 8 + 1);
    size_t i, j;

    if (!b)
        return NULL;
    for (i = 0; i < n; i++)
        for (j = 0; j < 8; j++)
            b[i * 8 + j] = (unsigned char)(v[i] >> (8 * j));
    return b;
}

typedef struct posting {
    uint64_t key;
    int64_t row;
} posting;

static int cmp_posting(const void *pa, const void *pb)
{
    const posting *a = pa, *b = pb;

    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->row > b->row) - (a->row < b->row);
}

/* Insert (key, row) postings with `q`, in key order: a batch's rows land on neighbouring
 * b-tree pages instead of one random page each. */
static int insert_postings(sqlite3_stmt *q, posting *p, size_t n)
{
    size_t i;
    int rc = SQLITE_OK;

    if (n > 1)
        qsort(p, n, sizeof *p, cmp_posting);
    for (i = 0; rc == SQLITE_OK && i < n; i++) {
        sqlite3_bind_int64(q, 1, (sqlite3_int64)p[i].key);
        sqlite3_bind_int64(q, 2, p[i].row);
        rc = step_done(q);
    }
    return rc;
}

/* One upsert per distinct term of the batch, with its count, instead of one per document. */
static int add_df(dd_store *s, posting *p, size_t n)
{
    size_t i, j;
    int rc = SQLITE_OK;

    if (n > 1)
        qsort(p, n, sizeof *p, cmp_posting);
    for (i = 0; rc == SQLITE_OK && i < n; i = j) {
        for (j = i + 1; j < n && p[j].key == p[i].key; j++)
            ;
        sqlite3_bind_int64(s->q[Q_DF_ADD], 1, (sqlite3_int64)p[i].key);
        sqlite3_bind_int64(s->q[Q_DF_ADD], 2, (sqlite3_int64)(j - i));
        rc = step_done(s->q[Q_DF_ADD]);
    }
    return rc;
}

static dd_status insert_row(dd_store *s, const dd_store_doc *d, int64_t *row)
{
    sqlite3_stmt *q = s->q[Q_INSERT];
    void *terms = le_blob(d->terms, d->n_terms), *keys = le_blob(d->keys, d->n_keys);
    void *lines = le_blob(d->lines, d->n_lines), *okeys = le_blob(d->okeys, d->n_okeys);
    int rc;

    if (!terms || !keys || !lines || !okeys) {
        free(terms);
        free(keys);
        free(lines);
        free(okeys);
        return DD_ENOMEM;
    }
    sqlite3_bind_text(q, 1, d->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)d->hash);
    sqlite3_bind_text(q, 3, d->title, -1, SQLITE_STATIC);
    if (d->date)
        sqlite3_bind_text(q, 4, d->date, -1, SQLITE_STATIC);
    if (!isnan(d->day))
        sqlite3_bind_double(q, 5, d->day);
    sqlite3_bind_text(q, 6, d->source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 7, (sqlite3_int64)d->line);
    sqlite3_bind_int64(q, 8, d->added);
    sqlite3_bind_text(q, 9, d->record, (int)d->record_len, SQLITE_STATIC);
    sqlite3_bind_blob(q, 10, terms, (int)(d->n_terms * 8), free);
    sqlite3_bind_blob(q, 11, keys, (int)(d->n_keys * 8), free);
    sqlite3_bind_int64(q, 12, d->copy_root);
    sqlite3_bind_int64(q, 13, d->story_root);
    sqlite3_bind_blob(q, 14, lines, (int)(d->n_lines * 8), free);
    sqlite3_bind_int64(q, 15, (sqlite3_int64)d->bytes);
    sqlite3_bind_blob(q, 16, okeys, (int)(d->n_okeys * 8), free);
    rc = step_done(q);
    if (rc != SQLITE_OK)
        return dd__store_db_fail(s, rc, "storing a document");
    *row = sqlite3_last_insert_rowid(s->db);
    return DD_OK;
}

/* Every (value, row) of one array of each document, for insert_postings and add_df. */
static posting *gather(const dd_store_doc *d, size_t n, const int64_t *rows, int which,
                       size_t *total)
{
    size_t i, j, k = 0;
    posting *p;

    *total = 0;
    for (i = 0; i < n; i++)
        *total += which == 0 ? d[i].n_keys + d[i].n_okeys
                  : which == 1 ? d[i].n_lines
                               : d[i].n_terms;
    if (!(p = malloc((*total + 1) * sizeof *p)))
        return NULL;
    for (i = 0; i < n; i++) {
        const uint64_t *v = which == 0 ? d[i].keys : which == 1 ? d[i].lines : d[i].terms;
        size_t m = which == 0 ? d[i].n_keys : which == 1 ? d[i].n_lines : d[i].n_terms;
        for (j = 0; j < m; j++)
            p[k++] = (posting){v[j], rows[i]};
        for (j = 0; which == 0 && j < d[i].n_okeys; j++)
            p[k++] = (posting){d[i].okeys[j], rows[i]};
    }
    return p;
}

dd_status dd_store_insert_many(dd_store *s, const dd_store_doc *d, size_t n, int64_t *rows)
{
    posting *p = NULL;
    size_t i, np;
    dd_status st = DD_OK;
    int rc = SQLITE_OK, which;

    for (i = 0; st == DD_OK && i < n; i++)
        st = insert_row(s, &d[i], &rows[i]);
    if (st == DD_OK) {
        sqlite3_bind_int64(s->q[Q_DOCS_ADD], 1, (sqlite3_int64)n);
        if ((rc = step_done(s->q[Q_DOCS_ADD])) != SQLITE_OK)
            st = dd__store_db_fail(s, rc, "storing documents");
    }
    /* a root of 0 is the document itself */
    if (st == DD_OK)
        st = dd__store_exec(s,
                            "UPDATE docs SET copy_root = id WHERE copy_root = 0;"
                            "UPDATE docs SET story_root = id WHERE story_root = 0",
                            "storing documents");
    for (which = 0; st == DD_OK && rc == SQLITE_OK && which < 3; which++) {
        if (!(p = gather(d, n, rows, which, &np)))
            return DD_ENOMEM;
        rc = which == 2 ? add_df(s, p, np) : insert_postings(s->q[which ? Q_LINE : Q_KEY], p, np);
        free(p);
    }
    if (st == DD_OK && rc != SQLITE_OK)
        st = dd__store_db_fail(s, rc, "storing keys");
    return st;
}

dd_status dd_store_insert(dd_store *s, const dd_store_doc *d, int64_t *row)
{
    return dd_store_insert_many(s, d, 1, row);
}

dd_status dd_store_set_root(dd_store *s, int which, int64_t row, int64_t old, int64_t root)
{
    const char *col = which ? "story_root" : "copy_root";
    char sql[200];

    if (old > 0 && old != root) {
        snprintf(sql, sizeof sql, "UPDATE docs SET %s = %lld WHERE %s = %lld", col,
                 (long long)root, col, (long long)old);
        if (dd__store_exec(s, sql, "updating clusters") != DD_OK)
            return DD_EIO;
    }
    if (row > 0) {
        snprintf(sql, sizeof sql, "UPDATE docs SET %s = %lld WHERE id = %lld", col,
                 (long long)root, (long long)row);
        if (dd__store_exec(s, sql, "updating clusters") != DD_OK)
            return DD_EIO;
    }
    return DD_OK;
}

/* Take one document out: its keys, its share of the frequencies, its row. */
static dd_status remove_doc(dd_store *s, sqlite3_stmt *del_key, sqlite3_stmt *dec_df,
                            sqlite3_stmt *del_doc, sqlite3_stmt *del_line, int64_t row)
{
    dd_store_doc d;
    size_t i;
    int rc = SQLITE_OK;
    dd_status st = dd_store_load(s, row, &d);

    if (st != DD_OK)
        return st == DD_END ? DD_OK : st;
    for (i = 0; rc == SQLITE_OK && i < d.n_keys + d.n_okeys; i++) {
        uint64_t k = i < d.n_keys ? d.keys[i] : d.okeys[i - d.n_keys];
        sqlite3_bind_int64(del_key, 1, (sqlite3_int64)k);
        sqlite3_bind_int64(del_key, 2, row);
        rc = step_done(del_key);
    }
    for (i = 0; rc == SQLITE_OK && i < d.n_terms; i++) {
        sqlite3_bind_int64(dec_df, 1, (sqlite3_int64)d.terms[i]);
        rc = step_done(dec_df);
    }
    for (i = 0; rc == SQLITE_OK && i < d.n_lines; i++) {
        sqlite3_bind_int64(del_line, 1, (sqlite3_int64)d.lines[i]);
        sqlite3_bind_int64(del_line, 2, row);
        rc = step_done(del_line);
    }
    sqlite3_reset(s->q[Q_LOAD]);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(del_doc, 1, row);
        rc = step_done(del_doc);
    }
    return rc == SQLITE_OK ? DD_OK : dd__store_db_fail(s, rc, "pruning");
}

dd_status dd_store_prune(dd_store *s, double max_age_days, int64_t now, size_t *removed)
{
    sqlite3_stmt *sel = NULL, *dk = NULL, *dd = NULL, *dr = NULL, *dl = NULL;
    double cut = (double)now / 86400.0 - max_age_days;
    rowset old = {0};
    dd_status st;
    size_t i;

    *removed = 0;
    if ((st = dd_store_begin(s)) != DD_OK)
        return st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id FROM docs WHERE coalesce(day, added / 86400.0) < ?1 "
                           "ORDER BY id", -1, &sel, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "DELETE FROM keys WHERE key = ?1 AND doc = ?2", -1, &dk,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "UPDATE df SET n = n - 1 WHERE term = ?1", -1, &dd, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "DELETE FROM docs WHERE id = ?1", -1, &dr, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "DELETE FROM lines WHERE h = ?1 AND doc = ?2", -1, &dl, NULL) !=
            SQLITE_OK)
        st = dd__store_db_fail(s, sqlite3_errcode(s->db), "pruning");
    if (st == DD_OK) {
        sqlite3_bind_double(sel, 1, cut);
        while (st == DD_OK && sqlite3_step(sel) == SQLITE_ROW)
            st = dd__store_rows_add(&old, sqlite3_column_int64(sel, 0));
    }
    for (i = 0; st == DD_OK && i < old.n; i++)
        st = remove_doc(s, dk, dd, dr, dl, old.v[i]);
    if (st == DD_OK)
        st = dd__store_exec(
            s,
            "DELETE FROM df WHERE n <= 0;"
            "UPDATE meta SET value = (SELECT count(*) FROM docs) WHERE name = 'docs'",
            "pruning");
    sqlite3_finalize(sel);
    sqlite3_finalize(dk);
    sqlite3_finalize(dd);
    sqlite3_finalize(dr);
    sqlite3_finalize(dl);
    if (st == DD_OK)
        st = dd_store_commit(s);
    if (st != DD_OK)
        dd_store_rollback(s);
    else
        *removed = old.n;
    free(old.v);
    return st;
}
