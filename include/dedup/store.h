/* Store stage: the SQLite file behind `dedup index` and `dedup stream` (docs/FORMATS.md,
 * "Index store"). One file, no server: WAL mode so readers query while one writer adds, a
 * busy timeout so a second writer waits and then fails with a clear message, one
 * transaction per batch so a killed writer leaves the store as it was before that batch.
 * The store records its schema version and every parameter that changes signatures, keys
 * or scores; opening it with other parameters is refused, naming the first difference. */
#ifndef DEDUP_STORE_H
#define DEDUP_STORE_H

#include <dedup/status.h>
#include <dedup/pipeline.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Schema version written to meta.schema_version (docs/FORMATS.md). */
#define DD_STORE_SCHEMA 1

typedef struct dd_store dd_store;

typedef enum {
    DD_STORE_READ = 0,   /**< query and stats: the file must exist */
    DD_STORE_WRITE = 1,  /**< add and prune: the file must exist */
    DD_STORE_CREATE = 2  /**< add and stream: made (with `opts`' parameters) when missing */
} dd_store_mode;

/** Open `path`. Parameters of `o` are checked against the stored ones (DD_EINVAL with
 *  dd_store_error() naming the first difference: "FILE: parameter P is X in the store, Y
 *  here"); `o` may be NULL to skip the check (stats, prune). `busy_ms`: how long a writer
 *  waits for another. Returns DD_OK, DD_EIO, DD_EINVAL or DD_ENOMEM; on failure `*out` is
 *  still set when there is a message to read with dd_store_error (free it). */
dd_status dd_store_open(const char *path, const dd_pipeline_opts *o, dd_store_mode mode,
                        unsigned busy_ms, dd_store **out);

/** Close. Accepts NULL. */
void dd_store_close(dd_store *s);

/** The last problem, one line, starting with the file name. */
const char *dd_store_error(const dd_store *s);

/** The path it was opened with. */
const char *dd_store_path(const dd_store *s);

/** BEGIN IMMEDIATE (the write lock, waiting up to busy_ms), COMMIT, ROLLBACK. */
dd_status dd_store_begin(dd_store *s);
dd_status dd_store_commit(dd_store *s);
void dd_store_rollback(dd_store *s);

/** One stored document. Strings and arrays are borrowed (insert) or owned by the store
 *  until the next dd_store_load (load). */
typedef struct dd_store_doc {
    int64_t row;          /**< docs.id: order of adding */
    const char *id, *title, *date, *source;
    size_t line;
    uint64_t hash;        /**< XXH3-64 of the compared text */
    double day;           /**< document date in days since 1970, NaN when unknown */
    int64_t added;        /**< Unix time it was added */
    const char *record;   /**< the JSON line the pipeline reads it from (docs/FORMATS.md) */
    size_t record_len;
    const uint64_t *terms; /**< distinct content-term hashes, ascending */
    size_t n_terms;
    const uint64_t *keys;  /**< candidate keys (band keys), distinct */
    size_t n_keys;
    const uint64_t *okeys; /**< OCR candidate keys, distinct (not followed from a match) */
    size_t n_okeys;
    const uint64_t *lines; /**< distinct hashes of its lines (boilerplate candidates) */
    size_t n_lines;
    size_t bytes;          /**< bytes of its text as read */
    int64_t copy_root, story_root; /**< earliest row of its copies group and its story */
} dd_store_doc;

/** Whether a document with this id and content hash is stored. */
dd_status dd_store_has(dd_store *s, const char *id, uint64_t hash, bool *found);

/** Insert a document (inside a transaction): its row, keys and document frequencies.
 *  The roots default to the new row when given as 0. `*row` gets the new row. */
dd_status dd_store_insert(dd_store *s, const dd_store_doc *d, int64_t *row);

/** Insert `n` documents (rows[i] gets d[i]'s), their keys and lines in key order and their
 *  frequencies one upsert per distinct term: what add does once per batch. */
dd_status dd_store_insert_many(dd_store *s, const dd_store_doc *d, size_t n, int64_t *rows);

/** Set the root of every document whose root is `old` to `root` (which = 0: copies, 1:
 *  stories), and of row `row` when row > 0. */
dd_status dd_store_set_root(dd_store *s, int which, int64_t row, int64_t old, int64_t root);

/** Rows of documents under any of the `n` keys, plus (expand) every document sharing a
 *  copies root (and, with stories, a story root) with one of them; ascending, distinct,
 *  malloc'd. Stops adding at `max` rows. */
dd_status dd_store_candidates(dd_store *s, const uint64_t *keys, size_t n, bool stories,
                              size_t max, int64_t **rows, size_t *n_rows);

/** Load row `row` into `*d` (views valid until the next load). DD_END when there is none. */
dd_status dd_store_load(dd_store *s, int64_t row, dd_store_doc *d);

/** Stored document frequency of each of the `n` terms into df[], and the number of stored
 *  documents into *docs. */
dd_status dd_store_df(dd_store *s, const uint64_t *terms, size_t n, uint32_t *df, size_t *docs);

/** For each of the `n` line hashes, how many copies groups (up to 3) hold it among the
 *  stored documents not in `exclude` (ascending rows). */
dd_status dd_store_line_groups(dd_store *s, const uint64_t *lines, size_t n,
                               const int64_t *exclude, size_t n_exclude, uint8_t *groups);

typedef struct dd_store_stats {
    size_t docs, keys, terms;     /**< rows of docs, keys and df */
    size_t dated;                 /**< documents with a date */
    char first[16], last[16];     /**< date range (YYYY-MM-DD) of dated documents, or "" */
    char added_first[24], added_last[24]; /**< when the first and last were added (UTC) */
    unsigned long long file_bytes, record_bytes; /**< file size (main + WAL), stored text */
    size_t copy_groups, stories;  /**< distinct roots of two or more documents */
} dd_store_stats;

dd_status dd_store_stats_get(dd_store *s, dd_store_stats *st);

/** Stored parameters, in order: name i (0-based) into *name and *value; false past the end. */
bool dd_store_param(dd_store *s, size_t i, const char **name, const char **value);

/** Remove documents older than `max_age_days` before `now` (by document date, else by the
 *  date added), with their keys and frequencies, in one transaction. *removed: how many. */
dd_status dd_store_prune(dd_store *s, double max_age_days, int64_t now, size_t *removed);

/** PRAGMA integrity_check: *ok, and the first problem in dd_store_error when not. */
dd_status dd_store_check(dd_store *s, bool *ok);

#ifdef __cplusplus
}
#endif

#endif
