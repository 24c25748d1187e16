/* Internal to the reader files: reader.c, reader_walk.c and reader_jsonl.c walk paths and read
 * JSON Lines (their own shared state is in reader_state.h), reader_archive.c opens compressed
 * files, archives and WARC crawls (libarchive), reader_html.c turns HTML into text (libxml2).
 * Nothing here is public API. */
#ifndef DEDUP_READER_INTERNAL_H
#define DEDUP_READER_INTERNAL_H

#include <dedup/dedup.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/** True when the regular file open on `fd` starts like something libarchive must unpack:
 *  gzip, bzip2, xz or zstd data, a tar, zip or 7z archive, or a WARC file. Read with pread,
 *  so the file position does not move; false for anything that is not a regular file. */
bool dd__archive_sniff(int fd);
/** The same test on the first `n` bytes of a file (the signatures lie in the first
 *  DD__SNIFF_BYTES). */
enum { DD__SNIFF_BYTES = 264 };
bool dd__archive_sniff_buf(const unsigned char *b, size_t n);

typedef struct dd__archive dd__archive;

/** What one archive item is. */
typedef enum {
    DD__MEMBER_TEXT = 0, /**< one text document */
    DD__MEMBER_JSONL,    /**< JSON Lines records */
    DD__MEMBER_HTML,     /**< a WARC response or resource holding HTML */
    DD__MEMBER_SKIP      /**< an item that is not a document (reported, counted unreadable) */
} dd__member_kind;

/** Open the file `f` (taken over: closed by dd__archive_close) named `path`. WARC records
 *  larger than `max_bytes` (0: no limit) are skipped unread. Returns DD_OK or DD_ENOMEM. */
dd_status dd__archive_open(FILE *f, const char *path, size_t max_bytes, dd__archive **out);

/** Next item. On DD_OK `*member` is a stream over its bytes that the caller must fclose
 *  before the next call (NULL for DD__MEMBER_SKIP), `*name` its id ("a.tar:dir/x.txt",
 *  "crawl.warc.gz:https://...", or the path itself for a compressed single file), valid
 *  until the next call, and `*kind` what it is. Returns DD_END after the last item, or DD_EIO
 *  (corrupt data; the archive cannot go on) with dd__archive_error() saying why; DD_ENOMEM. */
dd_status dd__archive_next(dd__archive *a, FILE **member, const char **name, dd__member_kind *kind);

/** Bytes of the archive file consumed so far (compressed bytes), for progress. */
unsigned long long dd__archive_bytes(const dd__archive *a);

/** Charset of the current WARC document from its Content-Type, or NULL. */
const char *dd__archive_charset(const dd__archive *a);

/** The last problem, "reason" without the file name. */
const char *dd__archive_error(const dd__archive *a);

/** Close the archive and its file. Accepts NULL. */
void dd__archive_close(dd__archive *a);

/** HTML -> UTF-8 text with libxml2's forgiving HTML parser: script, style, template and
 *  noscript content is dropped, block elements end lines, entities are decoded. `charset`
 *  (from HTTP Content-Type) may be NULL. On DD_OK `*out` (NUL-terminated, `*out_len` bytes)
 *  and `*title` (the <title>, trimmed; NULL if none) are malloc'd. Returns DD_OK or
 *  DD_ENOMEM; unparseable input gives empty text, not an error. */
dd_status dd__html_to_text(const char *in, size_t len, const char *charset, char **out,
                           size_t *out_len, char **title);

/* ---- sharded reading (MPI ranks: pipeline_sign.c) ----------------------------------- */

/** While `pass` is set, a JSON Lines record is found but not parsed: dd_reader_next hands it
 *  out as DD_OK with its source, line, record_off, record_len and rereadable, an empty id,
 *  title and text. Every other item is read as usual, so the items, and every per-item status
 *  but a record's parse error, are those of a full reading. With `defer_ids`, ids are not
 *  noted on the way (a rank that passes over records cannot): the caller calls
 *  dd__reader_note_id for every document, in reading order. */
void dd__reader_set_pass(dd_reader *r, bool pass, bool defer_ids);

/** Note doc's id as dd_reader_next does, a repeat reported through `fn` (NULL: nothing to do)
 *  with the same words. Returns DD_OK or DD_ENOMEM. */
dd_status dd__reader_note_id(dd_reader *r, const dd_doc *doc, dd_reader_warn_fn fn, void *ud);

#endif
