/* Store stage: the SQLite file of `dedup index` and `dedup stream` (include/dedup/store.h,
 * schema in docs/FORMATS.md). Every statement a batch repeats is prepared once. */
#include <dedup/store.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

enum { N_PARAMS = 16 };

/* Statements used per document. */
enum { Q_HAS, Q_INSERT, Q_KEY, Q_DF_ADD, Q_DF_GET, Q_LOAD, Q_KEY_DOCS, Q_ROOTS, Q_BY_COPY,
       Q_BY_STORY, Q_LINE, Q_LINE_GROUPS, Q_DOCS, Q_DOCS_ADD, Q_COUNT };

static const char *const sql_text[Q_COUNT] = {
    "SELECT 1 FROM docs WHERE doc_id = ?1 AND hash = ?2",
    "INSERT INTO docs(doc_id, hash, title, date, day, source, line, added, record, terms, keys, "
    "copy_root, story_root, lines, bytes, okeys) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
    "?11, ?12, ?13, ?14, ?15, ?16)",
    "INSERT OR IGNORE INTO keys(key, doc) VALUES(?1, ?2)",
    "INSERT INTO df(term, n) VALUES(?1, ?2) ON CONFLICT(term) DO UPDATE SET n = n + ?2",
    "SELECT n FROM df WHERE term = ?1",
    "SELECT doc_id, title, date, day, source, line, hash, added, record, terms, keys, copy_root, "
    "story_root, lines, bytes, okeys FROM docs WHERE id = ?1",
    "SELECT doc FROM keys WHERE key = ?1",
    "SELECT copy_root, story_root FROM docs WHERE id = ?1",
    "SELECT id FROM docs WHERE copy_root = ?1",
    "SELECT id FROM docs WHERE story_root = ?1",
    "INSERT OR IGNORE INTO lines(h, doc) VALUES(?1, ?2)",
    "SELECT d.copy_root, l.doc FROM lines l JOIN docs d ON d.id = l.doc WHERE l.h = ?1",
    "SELECT value FROM meta WHERE name = 'docs'",
    "UPDATE meta SET value = value + ?1 WHERE name = 'docs'",
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS docs("
    " id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, hash INTEGER NOT NULL,"
    " title TEXT NOT NULL, date TEXT, day REAL, source TEXT NOT NULL, line INTEGER NOT NULL,"
    " added INTEGER NOT NULL, record TEXT NOT NULL, terms BLOB NOT NULL, keys BLOB NOT NULL,"
    " copy_root INTEGER NOT NULL, story_root INTEGER NOT NULL, lines BLOB NOT NULL,"
    " bytes INTEGER NOT NULL, okeys BLOB NOT NULL);"
    "CREATE UNIQUE INDEX IF NOT EXISTS docs_id_hash ON docs(doc_id, hash);"
    "CREATE INDEX IF NOT EXISTS docs_copy_root ON docs(copy_root);"
    "CREATE INDEX IF NOT EXISTS docs_story_root ON docs(story_root);"
    "CREATE TABLE IF NOT EXISTS keys(key INTEGER NOT NULL, doc INTEGER NOT NULL,"
    " PRIMARY KEY(key, doc)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS df(term INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS lines(h INTEGER NOT NULL, doc INTEGER NOT NULL,"
    " PRIMARY KEY(h, doc)) WITHOUT ROWID;";

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
};

static dd_status fail(dd_store *s, dd_status st, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(s->err, sizeof s->err, "%s: ", s->path ? s->path : "store");

    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof s->err)
        vsnprintf(s->err + n, sizeof s->err - (size_t)n, fmt, ap);
    va_end(ap);
    return st;
}

/* An SQLite error as a one-line reason; a lock held past the busy timeout says so. */
static dd_status db_fail(dd_store *s, int rc, const char *what)
{
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return fail(s, DD_EIO, "%s: the store is locked by another writer (waited %u ms, "
                               "--busy-timeout); try again when it is done", what, s->busy_ms);
    if (rc == SQLITE_NOMEM)
        return DD_ENOMEM;
    if (rc == SQLITE_NOTADB)
        return fail(s, DD_EINVAL, "not a dedup index store (not an SQLite file)");
    return fail(s, DD_EIO, "%s: %s", what, sqlite3_errmsg(s->db));
}

const char *dd_store_error(const dd_store *s)
{
    return s ? s->err : "out of memory";
}

const char *dd_store_path(const dd_store *s)
{
    return s->path;
}

static void put_param(dd_store *s, const char *name, const char *fmt, ...)
{
    va_list ap;

    if (s->n_params >= N_PARAMS)
        return;
    snprintf(s->names[s->n_params], sizeof s->names[0], "%s", name);
    va_start(ap, fmt);
    vsnprintf(s->values[s->n_params], sizeof s->values[0], fmt, ap);
    va_end(ap);
    s->n_params++;
}

/* Every parameter that changes what is stored (signatures, keys, terms, roots) or how stored
 * documents score against new ones. Floats as %.17g: the exact value, in any locale that
 * writes a point (the CLI never calls setlocale). */
static void make_params(dd_store *s, const dd_pipeline_opts *o)
{
    put_param(s, "schema_version", "%d", DD_STORE_SCHEMA);
    put_param(s, "format_version", "%d", DD_FORMAT_VERSION);
    put_param(s, "unicode", "%s", dd_unicode_version());
    put_param(s, "seed", "%llu", (unsigned long long)o->seed);
    put_param(s, "shingle_k", "%zu", o->shingle_k);
    put_param(s, "num_perm", "%zu", o->num_perm);
    put_param(s, "threshold", "%.17g", o->threshold);
    put_param(s, "containment", "%.17g", o->containment);
    put_param(s, "min_contained", "%zu", o->min_contained);
    put_param(s, "lsh_threshold", "%.17g", o->lsh_threshold);
    put_param(s, "story_threshold", "%.17g", o->story_threshold);
    put_param(s, "top_k", "%zu", o->top_k);
    put_param(s, "max_days", "%.17g", o->max_days);
    put_param(s, "story_lsh_threshold", "%.17g", o->story_lsh_threshold);
    if (o->idf_text)
        put_param(s, "idf", "table %016llx",
                  (unsigned long long)XXH3_64bits(o->idf_text, o->idf_len));
    else
        put_param(s, "idf", "built-in");
}

bool dd_store_param(dd_store *s, size_t i, const char **name, const char **value)
{
    if (i >= s->n_params)
        return false;
    *name = s->names[i];
    *value = s->values[i];
    return true;
}

static dd_status exec(dd_store *s, const char *sql, const char *what)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? DD_OK : db_fail(s, rc, what);
}

/* A new store: schema and parameters. */
static dd_status write_params(dd_store *s)
{
    sqlite3_stmt *st = NULL;
    size_t i;
    int rc = sqlite3_prepare_v2(s->db, "INSERT INTO meta(name, value) VALUES(?1, ?2)", -1, &st,
                                NULL);

    for (i = 0; rc == SQLITE_OK && i < s->n_params; i++) {
        sqlite3_bind_text(st, 1, s->names[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, s->values[i], -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? DD_OK : db_fail(s, rc, "writing parameters");
}

/* Compare the stored parameters with ours (check) or load them (no opts). */
static dd_status read_params(dd_store *s, bool check)
{
    sqlite3_stmt *st = NULL;
    size_t i;
    int rc = sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE name = ?1", -1, &st, NULL);

    if (rc != SQLITE_OK)
        return db_fail(s, rc, "not a dedup index store");
    if (!check) { /* stats and prune: take the stored ones */
        static const char *const all[] = {"schema_version", "format_version", "unicode", "seed",
                                          "shingle_k", "num_perm", "threshold", "containment",
                                          "min_contained", "lsh_threshold", "story_threshold",
                                          "top_k", "max_days", "story_lsh_threshold", "idf"};
        s->n_params = 0;
        for (i = 0; i < sizeof all / sizeof *all; i++) {
            sqlite3_bind_text(st, 1, all[i], -1, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW)
                put_param(s, all[i], "%s", (const char *)sqlite3_column_text(st, 0));
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
        if (s->n_params == 0 || strcmp(s->names[0], "schema_version") != 0)
            return fail(s, DD_EINVAL, "not a dedup index store (no schema_version)");
        if (atoi(s->values[0]) != DD_STORE_SCHEMA)
            return fail(s, DD_EINVAL, "schema version %s, this dedup reads %d", s->values[0],
                        DD_STORE_SCHEMA);
        return DD_OK;
    }
    for (i = 0; i < s->n_params; i++) {
        const char *v;
        sqlite3_bind_text(st, 1, s->names[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW) {
            sqlite3_finalize(st);
            return fail(s, DD_EINVAL, "not a dedup index store (no parameter %s)", s->names[i]);
        }
        v = (const char *)sqlite3_column_text(st, 0);
        if (strcmp(v, s->values[i]) != 0) {
            dd_status r = fail(s, DD_EINVAL, "parameter %s is %s in the store, %s here",
                               s->names[i], v, s->values[i]);
            sqlite3_finalize(st);
            return r;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return DD_OK;
}

static dd_status setup(dd_store *s, const dd_pipeline_opts *o, dd_store_mode mode)
{
    sqlite3_stmt *st = NULL;
    bool fresh;
    dd_status r;
    size_t i;
    int rc;

    /* WAL: readers see the last committed batch while a writer adds the next one. */
    if (mode != DD_STORE_READ && (r = exec(s, "PRAGMA journal_mode=WAL", "journal mode")) != DD_OK)
        return r;
    if ((r = exec(s, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF", "pragmas")) != DD_OK)
        return r;
    rc = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM sqlite_master WHERE name = 'meta'", -1,
                            &st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        return db_fail(s, rc, "not a dedup index store");
    }
    fresh = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0;
    sqlite3_finalize(st);
    if (fresh && mode != DD_STORE_CREATE)
        return fail(s, DD_EINVAL, "not a dedup index store (no meta table)");
    if (fresh) {
        if (!o)
            return fail(s, DD_EINVAL, "no parameters to create the store with");
        make_params(s, o);
        if ((r = dd_store_begin(s)) != DD_OK)
            return r;
        /* Two processes may create it at once: the second sees the first's meta. */
        r = exec(s, schema, "creating the schema");
        if (r == DD_OK) {
            sqlite3_stmt *c = NULL;
            bool empty = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM meta", -1, &c, NULL) ==
                             SQLITE_OK && sqlite3_step(c) == SQLITE_ROW &&
                         sqlite3_column_int(c, 0) == 0;
            sqlite3_finalize(c);
            r = empty ? write_params(s) : read_params(s, true);
            if (r == DD_OK && empty)
                r = exec(s, "INSERT INTO meta(name, value) VALUES('docs', 0)", "creating");
        }
        if (r != DD_OK) {
            dd_store_rollback(s);
            return r;
        }
        if ((r = dd_store_commit(s)) != DD_OK)
            return r;
    } else if (o) {
        make_params(s, o);
        if ((r = read_params(s, true)) != DD_OK)
            return r;
    } else if ((r = read_params(s, false)) != DD_OK) {
        return r;
    }
    for (i = 0; i < Q_COUNT; i++) {
        rc = sqlite3_prepare_v2(s->db, sql_text[i], -1, &s->q[i], NULL);
        if (rc != SQLITE_OK)
            return db_fail(s, rc, "not a dedup index store");
    }
    return DD_OK;
}

dd_status dd_store_open(const char *path, const dd_pipeline_opts *o, dd_store_mode mode,
                        unsigned busy_ms, dd_store **out)
{
    dd_store *s = calloc(1, sizeof *s);
    int flags = mode == DD_STORE_READ ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    struct stat sb;
    dd_status r;
    int rc;

    *out = s;
    if (!s || !(s->path = strdup(path)))
        return DD_ENOMEM;
    if (mode == DD_STORE_CREATE)
        flags |= SQLITE_OPEN_CREATE;
    else if (stat(path, &sb) != 0)
        return fail(s, DD_EIO, "no such store (make one with dedup index add)");
    rc = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, "cannot open");
    s->busy_ms = busy_ms;
    sqlite3_busy_timeout(s->db, (int)busy_ms);
    r = setup(s, o, mode);
    return r;
}

void dd_store_close(dd_store *s)
{
    size_t i;

    if (!s)
        return;
    for (i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(s->q[i]);
    sqlite3_close(s->db);
    free(s->path);
    free(s->blob);
    free(s);
}

dd_status dd_store_begin(dd_store *s)
{
    return exec(s, "BEGIN IMMEDIATE", "starting a write");
}

dd_status dd_store_commit(dd_store *s)
{
    return exec(s, "COMMIT", "committing");
}

void dd_store_rollback(dd_store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Step a statement that returns no row, then reset it. */
static int step_done(sqlite3_stmt *q)
{
    int rc = sqlite3_step(q);

    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

dd_status dd_store_has(dd_store *s, const char *id, uint64_t hash, bool *found)
{
    sqlite3_stmt *q = s->q[Q_HAS];
    int rc;

    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)hash);
    rc = sqlite3_step(q);
    *found = rc == SQLITE_ROW;
    sqlite3_reset(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DD_OK : db_fail(s, rc, "looking up a document");
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
        return db_fail(s, rc, "storing a document");
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
            st = db_fail(s, rc, "storing documents");
    }
    /* a root of 0 is the document itself */
    if (st == DD_OK)
        st = exec(s, "UPDATE docs SET copy_root = id WHERE copy_root = 0;"
                     "UPDATE docs SET story_root = id WHERE story_root = 0", "storing documents");
    for (which = 0; st == DD_OK && rc == SQLITE_OK && which < 3; which++) {
        if (!(p = gather(d, n, rows, which, &np)))
            return DD_ENOMEM;
        rc = which == 2 ? add_df(s, p, np) : insert_postings(s->q[which ? Q_LINE : Q_KEY], p, np);
        free(p);
    }
    if (st == DD_OK && rc != SQLITE_OK)
        st = db_fail(s, rc, "storing keys");
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
        if (exec(s, sql, "updating clusters") != DD_OK)
            return DD_EIO;
    }
    if (row > 0) {
        snprintf(sql, sizeof sql, "UPDATE docs SET %s = %lld WHERE id = %lld", col,
                 (long long)root, (long long)row);
        if (exec(s, sql, "updating clusters") != DD_OK)
            return DD_EIO;
    }
    return DD_OK;
}

typedef struct rowset {
    int64_t *v;
    size_t n, cap;
} rowset;

static dd_status rows_add(rowset *r, int64_t x)
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
        st = rows_add(out, sqlite3_column_int64(q, 0));
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
            st = rows_add(&roots, sqlite3_column_int64(q, 0) * 2);
            if (st == DD_OK && stories)
                st = rows_add(&roots, sqlite3_column_int64(q, 1) * 2 + 1);
        }
        sqlite3_reset(q);
    }
    rows_unique(&roots);
    for (i = 0; st == DD_OK && i < hit.n; i++)
        st = rows_add(&all, hit.v[i]);
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
        return db_fail(s, rc, "loading a document");
    memset(d, 0, sizeof *d);
    d->row = row;
    d->id = (const char *)sqlite3_column_text(q, 0);
    d->title = (const char *)sqlite3_column_text(q, 1);
    d->date = (const char *)sqlite3_column_text(q, 2);
    d->day = sqlite3_column_type(q, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(q, 3);
    d->source = (const char *)sqlite3_column_text(q, 4);
    d->line = (size_t)sqlite3_column_int64(q, 5);
    d->hash = (uint64_t)sqlite3_column_int64(q, 6);
    d->added = sqlite3_column_int64(q, 7);
    d->record = (const char *)sqlite3_column_text(q, 8);
    d->record_len = (size_t)sqlite3_column_bytes(q, 8);
    nt = (size_t)sqlite3_column_bytes(q, 9) / 8;
    nk = (size_t)sqlite3_column_bytes(q, 10) / 8;
    nl = (size_t)sqlite3_column_bytes(q, 13) / 8;
    no = (size_t)sqlite3_column_bytes(q, 15) / 8;
    if (nt + nk + nl + no + 1 > s->blob_cap) {
        uint64_t *b = realloc(s->blob, (nt + nk + nl + no + 1) * sizeof *b);
        if (!b)
            return DD_ENOMEM;
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
    if (!d->id || !d->title || !d->source || !d->record)
        return fail(s, DD_EIO, "row %lld is damaged", (long long)row);
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
            return db_fail(s, rc, "reading document frequencies");
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
    return rc == SQLITE_OK ? DD_OK : db_fail(s, rc, "pruning");
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
        st = db_fail(s, sqlite3_errcode(s->db), "pruning");
    if (st == DD_OK) {
        sqlite3_bind_double(sel, 1, cut);
        while (st == DD_OK && sqlite3_step(sel) == SQLITE_ROW)
            st = rows_add(&old, sqlite3_column_int64(sel, 0));
    }
    for (i = 0; st == DD_OK && i < old.n; i++)
        st = remove_doc(s, dk, dd, dr, dl, old.v[i]);
    if (st == DD_OK)
        st = exec(s, "DELETE FROM df WHERE n <= 0;"
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

dd_status dd_store_check(dd_store *s, bool *ok)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &q, NULL);

    *ok = false;
    if (rc != SQLITE_OK)
        return db_fail(s, rc, "integrity check");
    if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(q, 0);
        *ok = r && strcmp(r, "ok") == 0;
        if (!*ok)
            fail(s, DD_EIO, "integrity check: %s", r ? r : "?");
    }
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? DD_OK : db_fail(s, rc, "integrity check");
}
