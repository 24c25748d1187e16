/* Store stage, reading: a batch's keys -> candidate rows (with their whole copies groups
 * and stories), one row loaded into the store's buffers (views valid until the next load),
 * document frequencies and line groups for a run, and what `dedup index stats` reports.
 * No function here writes. */
#include "store_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

dd_status dd__store_rows_add(rowset *r, int64_t x)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        int64_t *v = realloc(r->v, cap * sizeof *v);
        if (!v)
            return DD_ENOMEM;
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = x;
    return DD_OK;
}

static int cmp_i64(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;

    return (a > b) - (a < b);
}

static void rows_unique(rowset *r)
{
    size_t i, k = 0;

    if (r->n > 1)
        qsort(r->v, r->n, sizeof *r->v, cmp_i64);
    for (i = 0; i < r->n; i++)
        if (!k || r->v[k - 1] != r->v[i])
            r->v[k++] = r->v[i];
    r->n = k;
}

/* Append the rows `q` (one int64 parameter) gives for x. */
static dd_status rows_of(dd_store *s, sqlite3_stmt *q, int64_t x, rowset *out, size_t max)
{
    dd_status st = DD_OK;
    int rc;

    sqlite3_bind_int64(q, 1, x);
    while (st == DD_OK && out->n < max && (rc = sqlite3_step(q)) == SQLITE_ROW)
        st = dd__store_rows_add(out, sqlite3_column_int64(q, 0));
    sqlite3_reset(q);
    (void)s;
    return st;
}

dd_status dd_store_candidates(dd_store *s, const uint64_t *keys, size_t n, bool stories,
                              size_t max, int64_t **rows, size_t *n_rows)
{
    rowset hit = {0}, roots = {0}, all = {0};
    dd_status st = DD_OK;
    size_t i;

    *rows = NULL;
    *n_rows = 0;
    for (i = 0; st == DD_OK && i < n; i++)
        st = rows_of(s, s->q[Q_KEY_DOCS], (int64_t)keys[i], &hit, SIZE_MAX);
    rows_unique(&hit);
    /* A stored document's group is loaded whole, so a query doc that matches one member of
     * a stored story is clustered with all of it, as in one batch over everything. Roots
     * are rows, so copies roots (even) and story roots (odd) are kept apart by parity. */
    for (i = 0; st == DD_OK && i < hit.n; i++) {
        sqlite3_stmt *q = s->q[Q_ROOTS];
        sqlite3_bind_int64(q, 1, hit.v[i]);
        if (sqlite3_step(q) == SQLITE_ROW) {
            st = dd__store_rows_add(&roots, sqlite3_column_int64(q, 0) * 2);
            if (st == DD_OK && stories)
                st = dd__store_rows_add(&roots, sqlite3_column_int64(q, 1) * 2 + 1);
        }
        sqlite3_reset(q);
    }
    rows_unique(&roots);
    for (i = 0; st == DD_OK && i < hit.n; i++)
        st = dd__store_rows_add(&all, hit.v[i]);
    /* and the documents under a match's own keys: a pair of stored documents that only
     * became copies once the batch's lines made a common footer boilerplate is in the run */
    for (i = 0; st == DD_OK && i < hit.n && all.n < max; i++) {
        dd_store_doc d;
        uint64_t *k = NULL;
        size_t j, nk = 0;
        if ((st = dd_store_load(s, hit.v[i], &d)) != DD_OK)
            break;
        nk = d.n_keys;
        if (!(k = malloc((nk + 1) * sizeof *k))) {
            st = DD_ENOMEM;
            break;
        }
        memcpy(k, d.keys, nk * sizeof *k);
        for (j = 0; st == DD_OK && j < nk; j++)
            st = rows_of(s, s->q[Q_KEY_DOCS], (int64_t)k[j], &all, max);
        free(k);
    }
    for (i = 0; st == DD_OK && i < roots.n && all.n < max; i++)
        st = rows_of(s, s->q[roots.v[i] & 1 ? Q_BY_STORY : Q_BY_COPY], roots.v[i] >> 1, &all,
                     max);
    rows_unique(&all);
    free(hit.v);
    free(roots.v);
    if (st != DD_OK) {
        free(all.v);
        return st;
    }
    *rows = all.v;
    *n_rows = all.n;
    return DD_OK;
}

static const uint64_t *blob_u64(dd_store *s, const void *b, size_t bytes, size_t at, size_t *n)
{
    const unsigned char *p = b;
    size_t i, j;

    *n = bytes / 8;
    for (i = 0; i < *n; i++) {
        uint64_t v = 0;
        for (j = 0; j < 8; j++)
            v |= (uint64_t)p[i * 8 + j] << (8 * j);
        s->blob[at + i] = v;
    }
    return s->blob + at;
}

/* The row's strings into s->text (one buffer, NUL after each): id, title, date, source,
 * record. */
static dd_status copy_strings(dd_store *s, sqlite3_stmt *q, dd_store_doc *d)
{
    static const int col[5] = {0, 1, 2, 4, 8};
    const char **dst[5] = {&d->id, &d->title, &d->date, &d->source, &d->record};
    size_t len[5], off[5], need = 0, i;

    for (i = 0; i < 5; i++) {
        len[i] = (size_t)sqlite3_column_bytes(q, col[i]);
        off[i] = need;
        need += len[i] + 1;
    }
    if (need > s->text_cap) {
        char *t = realloc(s->text, need);
        if (!t)
            return DD_ENOMEM;
        s->text = t;
        s->text_cap = need;
    }
    for (i = 0; i < 5; i++) {
        const unsigned char *v = sqlite3_column_text(q, col[i]);
        if (!v) {
            *dst[i] = NULL;
            continue;
        }
        memcpy(s->text + off[i], v, len[i]);
        s->text[off[i] + len[i]] = '\0';
        *dst[i] = s->text + off[i];
    }
    return DD_OK;
}

dd_status dd_store_load(dd_store *s, int64_t row, dd_store_doc *d)
{
    sqlite3_stmt *q = s->q[Q_LOAD];
    size_t nt, nk, nl, no;
    int rc;

    sqlite3_reset(q);
    sqlite3_bind_int64(q, 1, row);
    rc = sqlite3_step(q);
    if (rc == SQLITE_DONE)
        return DD_END;
    if (rc != SQLITE_ROW)
        return dd__store_db_fail(s, rc, "loading a document");
    memset(d, 0, sizeof *d);
    d->row = row;
    d->day = sqlite3_column_type(q, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(q, 3);
    d->line = (size_t)sqlite3_column_int64(q, 5);
    d->hash = (uint64_t)sqlite3_column_int64(q, 6);
    d->added = sqlite3_column_int64(q, 7);
    d->record_len = (size_t)sqlite3_column_bytes(q, 8);
    nt = (size_t)sqlite3_column_bytes(q, 9) / 8;
    nk = (size_t)sqlite3_column_bytes(q, 10) / 8;
    nl = (size_t)sqlite3_column_bytes(q, 13) / 8;
    no = (size_t)sqlite3_column_bytes(q, 15) / 8;
    if (nt + nk + nl + no + 1 > s->blob_cap) {
        uint64_t *b = realloc(s->blob, (nt + nk + nl + no + 1) * sizeof *b);
        if (!b) {
            sqlite3_reset(q);
            return DD_ENOMEM;
        }
        s->blob = b;
        s->blob_cap = nt + nk + nl + no + 1;
    }
    d->terms = blob_u64(s, sqlite3_column_blob(q, 9), nt * 8, 0, &d->n_terms);
    d->keys = blob_u64(s, sqlite3_column_blob(q, 10), nk * 8, nt, &d->n_keys);
    d->lines = blob_u64(s, sqlite3_column_blob(q, 13), nl * 8, nt + nk, &d->n_lines);
    d->okeys = blob_u64(s, sqlite3_column_blob(q, 15), no * 8, nt + nk + nl, &d->n_okeys);
    d->copy_root = sqlite3_column_int64(q, 11);
    d->story_root = sqlite3_column_int64(q, 12);
    d->bytes = (size_t)sqlite3_column_int64(q, 14);
    /* The strings are copied and the statement reset at once: a statement left stepping
     * holds its read snapshot past COMMIT, and then no checkpoint can move the WAL into the
     * database (a 320,000-article add once ended with 10 GB of WAL and a 68 MB file). */
    if (copy_strings(s, q, d) != DD_OK) {
        sqlite3_reset(q);
        return DD_ENOMEM;
    }
    sqlite3_reset(q);
    if (!d->id || !d->title || !d->source || !d->record)
        return dd__store_fail(s, DD_EIO, "row %lld is damaged", (long long)row);
    return DD_OK;
}

/* One integer from a query with no parameter. */
static int64_t scalar(dd_store *s, const char *sql)
{
    sqlite3_stmt *q = NULL;
    int64_t v = 0;

    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

dd_status dd_store_df(dd_store *s, const uint64_t *terms, size_t n, uint32_t *df, size_t *docs)
{
    sqlite3_stmt *q = s->q[Q_DF_GET];
    size_t i;

    for (i = 0; i < n; i++) {
        int rc;
        sqlite3_bind_int64(q, 1, (sqlite3_int64)terms[i]);
        rc = sqlite3_step(q);
        df[i] = rc == SQLITE_ROW ? (uint32_t)sqlite3_column_int64(q, 0) : 0;
        sqlite3_reset(q);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return dd__store_db_fail(s, rc, "reading document frequencies");
    }
    /* meta.docs, kept by insert and prune: count(*) would walk a million rows per run */
    if (sqlite3_step(s->q[Q_DOCS]) == SQLITE_ROW)
        *docs = (size_t)sqlite3_column_int64(s->q[Q_DOCS], 0);
    sqlite3_reset(s->q[Q_DOCS]);
    return DD_OK;
}

static bool in_rows(const int64_t *rows, size_t n, int64_t x)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rows[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && rows[lo] == x;
}

dd_status dd_store_line_groups(dd_store *s, const uint64_t *lines, size_t n,
                               const int64_t *exclude, size_t n_exclude, uint8_t *groups)
{
    sqlite3_stmt *q = s->q[Q_LINE_GROUPS];
    size_t i;

    for (i = 0; i < n; i++) {
        int64_t seen[3];
        uint8_t k = 0;
        int rc;
        sqlite3_bind_int64(q, 1, (sqlite3_int64)lines[i]);
        while (k < 3 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
            int64_t root = sqlite3_column_int64(q, 0);
            uint8_t j;
            if (in_rows(exclude, n_exclude, sqlite3_column_int64(q, 1)))
                continue;
            for (j = 0; j < k && seen[j] != root; j++)
                ;
            if (j == k)
                seen[k++] = root;
        }
        sqlite3_reset(q);
        groups[i] = k;
    }
    return DD_OK;
}

/* Days since 1970 as YYYY-MM-DD. */
static void day_text(double day, char *buf, size_t cap)
{
    time_t t = (time_t)floor(day) * 86400;
    struct tm tm;

    if (gmtime_r(&t, &tm))
        strftime(buf, cap, "%Y-%m-%d", &tm);
}

static void time_text(int64_t secs, char *buf, size_t cap)
{
    time_t t = (time_t)secs;
    struct tm tm;

    if (gmtime_r(&t, &tm))
        strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

dd_status dd_store_stats_get(dd_store *s, dd_store_stats *st)
{
    sqlite3_stmt *q = NULL;
    char wal[4200];
    struct stat sb;

    memset(st, 0, sizeof *st);
    st->docs = (size_t)scalar(s, "SELECT count(*) FROM docs");
    st->keys = (size_t)scalar(s, "SELECT count(*) FROM keys");
    st->terms = (size_t)scalar(s, "SELECT count(*) FROM df");
    st->dated = (size_t)scalar(s, "SELECT count(day) FROM docs");
    st->record_bytes = (unsigned long long)scalar(s, "SELECT total(length(record)) FROM docs");
    st->copy_groups = (size_t)scalar(
        s, "SELECT count(*) FROM (SELECT 1 FROM docs GROUP BY copy_root HAVING count(*) > 1)");
    st->stories = (size_t)scalar(
        s, "SELECT count(*) FROM (SELECT 1 FROM docs GROUP BY story_root HAVING count(*) > 1)");
    if (sqlite3_prepare_v2(s->db, "SELECT min(day), max(day), min(added), max(added) FROM docs",
                           -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
        if (sqlite3_column_type(q, 0) != SQLITE_NULL) {
            day_text(sqlite3_column_double(q, 0), st->first, sizeof st->first);
            day_text(sqlite3_column_double(q, 1), st->last, sizeof st->last);
        }
        if (sqlite3_column_type(q, 2) != SQLITE_NULL) {
            time_text(sqlite3_column_int64(q, 2), st->added_first, sizeof st->added_first);
            time_text(sqlite3_column_int64(q, 3), st->added_last, sizeof st->added_last);
        }
    }
    sqlite3_finalize(q);
    if (stat(s->path, &sb) == 0)
        st->file_bytes = (unsigned long long)sb.st_size;
    snprintf(wal, sizeof wal, "%s-wal", s->path);
    if (stat(wal, &sb) == 0)
        st->file_bytes += (unsigned long long)sb.st_size;
    return DD_OK;
}

dd_status dd_store_check(dd_store *s, bool *ok)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &q, NULL);

    *ok = false;
    if (rc != SQLITE_OK)
        return dd__store_db_fail(s, rc, "integrity check");
    if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(q, 0);
        *ok = r && strcmp(r, "ok") == 0;
        if (!*ok)
            dd__store_fail(s, DD_EIO, "integrity check: %s", r ? r : "?");
    }
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? DD_OK : dd__store_db_fail(s, rc, "integrity check");
}
