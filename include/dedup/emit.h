/* Emit stage: a dd_result -> the deduplicated corpus or the list of what to drop. One
 * document of each cluster is its representative (--keep); JSON Lines records are written
 * back byte for byte as they were read, other documents as their path. */
#ifndef DEDUP_EMIT_H
#define DEDUP_EMIT_H

#include <dedup/pipeline.h>
#include <dedup/status.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Which member of a cluster stays. Ties always go to the smaller document index. */
typedef enum {
    DD_KEEP_FIRST = 0,   /**< the first in reading order */
    DD_KEEP_LONGEST = 1, /**< the most bytes of text */
    DD_KEEP_EARLIEST = 2 /**< the earliest date field (YYYY-MM-DD[THH:MM[:SS]]); members
                              without a readable date come after every dated one */
} dd_keep;

typedef enum {
    DD_EMIT_UNIQUE = 0, /**< every used document except the non-representatives */
    DD_EMIT_DROPPED = 1 /**< the non-representatives only */
} dd_emit_what;

typedef struct dd_emit_opts {
    dd_keep keep;
    dd_emit_what what;
    bool nul; /**< end paths with NUL instead of LF (JSON Lines records always end in LF) */
    const bool *skip; /**< per document: never written (a stored index's documents, which
                           still count as representatives); NULL: none */
} dd_emit_opts;

dd_emit_opts dd_emit_opts_default(void);

/** The representative of cluster `c` under `keep`: a document index. */
uint32_t dd_emit_representative(const dd_result *res, size_t c, dd_keep keep);

/** Seconds since 1970 of an ISO 8601 date or date-time prefix ("2024-03-04",
 *  "1987-02-26T15:01:01", "2024-03-04 10:00"); false when `s` does not start with one. */
bool dd_emit_parse_date(const char *s, double *out);

/** Write the documents `o->what` selects, in document-index order: a JSON Lines record as
 *  its original line plus LF (re-read from its file at record_off, or the copy the result
 *  holds), any other document as its id plus LF (NUL with `o->nul`). Returns DD_OK, DD_EIO
 *  or DD_ENOMEM. On DD_EIO `err` (of `err_cap` bytes) says what failed: "" for a write
 *  error on `out` (see errno), else "file: reason" for a source that could not be re-read. */
dd_status dd_emit_write(const dd_result *res, const dd_emit_opts *o, FILE *out, char *err,
                        size_t err_cap);

#ifdef __cplusplus
}
#endif

#endif
