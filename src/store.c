/* Store stage: the SQLite file of `dedup index` and `dedup stream` (include/dedup/store.h,
 * schema in docs/FORMATS.md). This file opens it, creates the schema or checks every stored
 * parameter against the run's, and runs transactions; writing is in store_write.c, reading
 * in store_read.c. Every statement a batch repeats is prepared once. */
#include "store_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* The text of each Q_ statement (store_internal.h), in that order. */
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

dd_status dd__store_fail(dd_store *s, dd_status st, const char *fmt, ...)
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
dd_status dd__store_db_fail(dd_store *s, int rc, const char *what)
{
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return dd__store_fail(s, DD_EIO,
                              "%s: the store is locked by another writer (waited %u ms, "
                              "--busy-timeout); try again when it is done",
                              what, s->busy_ms);
    if (rc == SQLITE_NOMEM)
        return DD_ENOMEM;
    if (rc == SQLITE_NOTADB)
        return dd__store_fail(s, DD_EINVAL, "not a dedup index store (not an SQLite file)");
    return dd__store_fail(s, DD_EIO, "%s: %s", what, sqlite3_errmsg(s->db));
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

/* A float as the shortest of %.15g, %.16g and %.17g that reads back as the same value: the
 * exact value ("0.8", not "0.80000000000000004"), in any locale that writes a point (the CLI
 * never calls setlocale). */
static void put_real(dd_store *s, const char *name, double v)
{
    char buf[40];
    int prec;

    for (prec = 15; prec < 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    put_param(s, name, "%.*g", prec, v);
}

/* Every parameter that changes what is stored (signatures, keys, terms, roots) or how stored
 * documents score against new ones. */
static void make_params(dd_store *s, const dd_pipeline_opts *o)
{
    put_param(s, "schema_version", "%d", DD_STORE_SCHEMA);
    put_param(s, "format_version", "%d", DD_FORMAT_VERSION);
    put_param(s, "unicode", "%s", dd_unicode_version());
    put_param(s, "seed", "%llu", (unsigned long long)o->seed);
    put_param(s, "shingle_k", "%zu", o->shingle_k);
    put_param(s, "num_perm", "%zu", o->num_perm);
    put_real(s, "threshold", o->threshold);
    put_real(s, "containment", o->containment);
    put_param(s, "min_contained", "%zu", o->min_contained);
    put_real(s, "lsh_threshold", o->lsh_threshold);
    put_real(s, "story_threshold", o->story_threshold);
    put_param(s, "top_k", "%zu", o->top_k);
    put_real(s, "max_days", o->max_days);
    put_real(s, "story_lsh_threshold", o->story_lsh_threshold);
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

dd_status dd__store_exec(dd_store *s, const char *sql, const char *what)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? DD_OK : dd__store_db_fail(s, rc, what);
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
    return rc == SQLITE_OK ? DD_OK : dd__store_db_fail(s, rc, "writing parameters");
}

/* Compare the stored parameters with ours (check) or load them (no opts). */
static dd_status read_params(dd_store *s, bool check)
{
    sqlite3_stmt *st = NULL;
    size_t i;
    int rc = sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE name = ?1", -1, &st, NULL);

    if (rc != SQLITE_OK)
        return dd__store_db_fail(s, rc, "not a dedup index store");
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
            return dd__store_fail(s, DD_EINVAL, "not a dedup index store (no schema_version)");
        if (atoi(s->values[0]) != DD_STORE_SCHEMA)
            return dd__store_fail(s, DD_EINVAL, "schema version %s, this dedup reads %d",
                                  s->values[0], DD_STORE_SCHEMA);
        return DD_OK;
    }
    for (i = 0; i < s->n_params; i++) {
        const char *v;
        sqlite3_bind_text(st, 1, s->names[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW) {
            sqlite3_finalize(st);
            return dd__store_fail(s, DD_EINVAL, "not a dedup index store (no parameter %s)",
                                  s->names[i]);
        }
        v = (const char *)sqlite3_column_text(st, 0);
        if (strcmp(v, s->values[i]) != 0) {
            dd_status r = dd__store_fail(s, DD_EINVAL, "parameter %s is %s in the store, %s here",
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
    if (mode != DD_STORE_READ &&
        (r = dd__store_exec(s, "PRAGMA journal_mode=WAL", "journal mode")) != DD_OK)
        return r;
    if ((r = dd__store_exec(s, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF", "pragmas")) !=
        DD_OK)
        return r;
    /* A writer touches b-tree pages all over the keys table: with SQLite's 2 MB default cache
     * a quarter of an add into 250,000 stored articles was pread/pwrite; 256 MB (used only as
     * pages are touched) took 17 % off it. Readers keep the default: their queries touch few. */
    if (mode != DD_STORE_READ &&
        (r = dd__store_exec(s, "PRAGMA cache_size=-262144; PRAGMA journal_size_limit=67108864",
                            "pragmas")) != DD_OK)
        return r;
    rc = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM sqlite_master WHERE name = 'meta'", -1,
                            &st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        return dd__store_db_fail(s, rc, "not a dedup index store");
    }
    fresh = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0;
    sqlite3_finalize(st);
    if (fresh && mode != DD_STORE_CREATE)
        return dd__store_fail(s, DD_EINVAL, "not a dedup index store (no meta table)");
    if (fresh) {
        if (!o)
            return dd__store_fail(s, DD_EINVAL, "no parameters to create the store with");
        make_params(s, o);
        if ((r = dd_store_begin(s)) != DD_OK)
            return r;
        /* Two processes may create it at once: the second sees the first's meta. */
        r = dd__store_exec(s, schema, "creating the schema");
        if (r == DD_OK) {
            sqlite3_stmt *c = NULL;
            bool empty = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM meta", -1, &c, NULL) ==
                             SQLITE_OK && sqlite3_step(c) == SQLITE_ROW &&
                         sqlite3_column_int(c, 0) == 0;
            sqlite3_finalize(c);
            r = empty ? write_params(s) : read_params(s, true);
            if (r == DD_OK && empty)
                r = dd__store_exec(s, "INSERT INTO meta(name, value) VALUES('docs', 0)",
                                   "creating");
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
            return dd__store_db_fail(s, rc, "not a dedup index store");
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
        return dd__store_fail(s, DD_EIO, "no such store (make one with dedup index add)");
    rc = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK)
        return dd__store_db_fail(s, rc, "cannot open");
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
    free(s->text);
    free(s);
}

dd_status dd_store_begin(dd_store *s)
{
    return dd__store_exec(s, "BEGIN IMMEDIATE", "starting a write");
}

dd_status dd_store_read_begin(dd_store *s)
{
    return dd__store_exec(s, "BEGIN DEFERRED", "starting a read");
}

void dd_store_read_end(dd_store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
}

dd_status dd_store_commit(dd_store *s)
{
    return dd__store_exec(s, "COMMIT", "committing");
}

void dd_store_rollback(dd_store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
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
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? DD_OK
               : dd__store_db_fail(s, rc, "looking up a document");
}
