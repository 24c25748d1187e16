/* Internal to the store files: store.c (opening, parameters, transactions), store_write.c
 * (inserting, roots, pruning) and store_read.c (candidates, loading, frequencies, stats).
 * Only these files see SQL; the statements in q[] are prepared once, when the store opens. */
#ifndef DEDUP_STORE_INTERNAL_H
#define DEDUP_STORE_INTERNAL_H

#include <dedup/store.h>

#include <sqlite3.h>

enum { N_PARAMS = 16 };

/* Statements used per document. */
enum { Q_HAS, Q_INSERT, Q_KEY, Q_DF_ADD, Q_DF_GET, Q_LOAD, Q_KEY_DOCS, Q_ROOTS, Q_BY_COPY,
       Q_BY_STORY, Q_LINE, Q_LINE_GROUPS, Q_DOCS, Q_DOCS_ADD, Q_COUNT };

struct dd_store {
    sqlite3 *db;
    sqlite3_stmt *q[Q_COUNT];
    char *path;
    char err[1024];
    char names[N_PARAMS][24], values[N_PARAMS][96];
    size_t n_params;
    uint64_t *blob; /* dd_store_load's decoded arrays */
    size_t blob_cap;
    unsigned busy_ms;
    char *text; /* dd_store_load's strings */
    size_t text_cap;
};

/* A growing list of rows: candidates (store_read.c), rows to prune (store_write.c). */
typedef struct rowset {
    int64_t *v;
    size_t n, cap;
} rowset;

dd_status dd__store_rows_add(rowset *r, int64_t x);

/* Word dd_store_error's detail ("path: reason"); returns st. */
dd_status dd__store_fail(dd_store *s, dd_status st, const char *fmt, ...);
/* An SQLite error as a one-line reason; a lock held past the busy timeout says so. */
dd_status dd__store_db_fail(dd_store *s, int rc, const char *what);
/* Run `sql` (no rows); an error is worded as doing `what`. */
dd_status dd__store_exec(dd_store *s, const char *sql, const char *what);

#endif
