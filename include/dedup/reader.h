/* Reader stage: files, folders (walked recursively in byte order), stdin and JSON Lines
 * -> a stream of dd_doc. Text is handed out as valid UTF-8: a UTF-8 BOM is dropped, UTF-16
 * with a BOM is converted, stray invalid bytes become U+FFFD and a file with no valid
 * multi-byte sequence at all is read as Windows-1252/Latin-1. Every input item comes out
 * as exactly one dd_reader_next() result (a document or one per-item status). */
#ifndef DEDUP_READER_H
#define DEDUP_READER_H

#include <dedup/status.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One document. Every pointer is a view valid until the next dd_reader_next() call. */
typedef struct dd_doc {
    const char *id;      /**< path as walked, JSONL record id, or "-" for stdin */
    const char *title;   /**< JSONL title field, else the first non-empty line ("" if none) */
    const char *date;    /**< JSONL date field as given, or NULL */
    const char *text;    /**< UTF-8 text, not NUL-terminated inside records */
    size_t len;          /**< bytes of text */
    const char *source;  /**< file the document came from ("-" for stdin) */
    size_t line;         /**< 1-based JSONL line, 0 for a whole-file document */
    const char *warning; /**< a repair that was made (e.g. "read as Latin-1"), or NULL */
    long record_off;     /**< byte offset of the JSONL record in its file (for standard
                              input: in its temporary copy), -1 otherwise */
    size_t record_len;   /**< bytes of the JSONL record line (without the newline) */
    const char *record;  /**< the record line itself (record_len bytes) when its input
                              cannot be opened again by name (stdin, a stream, a compressed
                              file or archive member) and opts.keep_records is set, else
                              NULL */
    bool rereadable;     /**< dd_reader_reread() can read it again (a regular file by its
                              path, a record of a JSON Lines file by its offset, a record of
                              standard input from its temporary copy) */
} dd_doc;

typedef enum { DD_STDIN_TEXT = 0, DD_STDIN_JSONL = 1 } dd_stdin_format;

/** Reader warning: `msg` is "file[:line]: warning: ..." about input that loses nothing:
 *  `duplicate id "X" (first at file[:line])` (both documents are handed out) or `no JSON Lines
 *  records` (an empty or blank JSON Lines input). It is called from inside dd_reader_next(),
 *  before that call returns, so warnings keep reading order. */
typedef void (*dd_reader_warn_fn)(void *ud, const char *msg);

/** Progress callback: after each item, `items` handed out so far and `bytes` of input files
 *  consumed (on-disk bytes: compressed bytes for archives; standard input and streams are
 *  not counted), so a caller that knows the inputs' total size can estimate the time left. */
typedef void (*dd_reader_progress_fn)(void *ud, size_t items, unsigned long long bytes);

typedef struct dd_reader_opts {
    size_t max_doc_bytes;     /**< larger documents are skipped with DD_ELIMIT (0: no limit);
                                   memory for one document never exceeds it (+1 byte) */
    const char *id_field;     /**< JSONL field paths; dots reach into nested objects */
    const char *text_field;
    const char *title_field;
    const char *date_field;
    dd_stdin_format stdin_format;
    dd_reader_warn_fn on_warning; /**< NULL: no duplicate-id tracking, no warnings */
    void *warning_ud;
    dd_reader_progress_fn on_progress; /**< may be NULL */
    void *progress_ud;
    bool spool_stdin;  /**< keep the JSON Lines records of standard input in an unlinked
                            temporary file ($TMPDIR, else /tmp) so they can be read again
                            (dd_doc.rereadable) as a file's are, instead of being kept in
                            memory by the caller */
    bool keep_records; /**< hand out dd_doc.record for records that cannot be read again by
                            their file name (standard input, archive members; --emit needs
                            them); false saves a copy of every such record */
} dd_reader_opts;

/** Defaults: 64 MiB documents, fields id/text/title/date, stdin as one text document, no
 *  warning callback, standard input spooled, records kept. */
dd_reader_opts dd_reader_opts_default(void);

typedef struct dd_reader dd_reader;

/** Create a reader. `opts` may be NULL for defaults; its strings are copied.
 *  Returns DD_OK or DD_ENOMEM; `*out` is NULL on failure. */
dd_status dd_reader_new(const dd_reader_opts *opts, dd_reader **out);

/** Queue a path: a file, a folder, or "-" for standard input. Returns DD_OK or DD_ENOMEM. */
dd_status dd_reader_add_path(dd_reader *r, const char *path);

/** Queue an already open stream (not closed by the reader) under the name `name`, read as
 *  JSON Lines when `jsonl` is true, else as one text document. This is the test seam. */
dd_status dd_reader_add_stream(dd_reader *r, FILE *f, const char *name, bool jsonl);

/** Produce the next document. Returns DD_OK with `*doc` filled; DD_END when all input is
 *  read; or a per-item status (DD_EIO, DD_EPARSE, DD_EBINARY, DD_ELIMIT) with
 *  dd_reader_error() describing it as "file[:line]: reason, skipped". After such a status
 *  the caller may call again to continue with the next item. Each status other than DD_END
 *  stands for exactly one input item. DD_ENOMEM is fatal.
 *  With opts.on_warning set, the reader remembers every id it hands out (exact compare) and
 *  reports a repeat through it; both documents are handed out. */
dd_status dd_reader_next(dd_reader *r, dd_doc *doc);

/** Replace the warning callback set in the options by `fn`/`ud` (NULL: none) and give the
 *  one it replaces in `*old_fn`/`*old_ud` (either may be NULL). The pipeline uses it to hold
 *  warnings back until it reports the document they came with. Not thread-safe. */
void dd_reader_swap_warning(dd_reader *r, dd_reader_warn_fn fn, void *ud,
                            dd_reader_warn_fn *old_fn, void **old_ud);

/** The last problem as "file[:line]: reason". A view, valid until the next call. */
const char *dd_reader_error(const dd_reader *r);

/** A new reader with the same options as `r` but no callbacks and no inputs: one per
 *  thread for dd_reader_reread(). Returns DD_OK or DD_ENOMEM. */
dd_status dd_reader_new_like(const dd_reader *r, dd_reader **out);

/** Read again a document that was handed out with `rereadable` set, from its `source`,
 *  `line`, `record_off` and `record_len` (as the dd_doc gave them); `*doc` is valid until the
 *  next call on `r`. This is how the pipeline verifies candidates without keeping every
 *  document's shingles. Returns DD_OK, a per-item status with dd_reader_error() saying why
 *  (the file vanished, shrank or no longer parses), or DD_ENOMEM. */
dd_status dd_reader_reread(dd_reader *r, const char *source, size_t line, long record_off,
                           size_t record_len, dd_doc *doc);

/** Free the reader and everything it handed out. Accepts NULL. */
void dd_reader_free(dd_reader *r);

/** Decode raw file bytes into valid UTF-8 (see the header comment). On DD_OK `*out` is a
 *  malloc'd NUL-terminated buffer of `*out_len` bytes, and `*warning` a static note or NULL.
 *  Returns DD_EBINARY for NUL bytes without a UTF-16 BOM, DD_ENOMEM. */
dd_status dd_decode_text(const char *in, size_t len, char **out, size_t *out_len,
                         const char **warning);

#ifdef __cplusplus
}
#endif

#endif
