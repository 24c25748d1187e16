/* Internal to the index files: what index_keys.c takes from a pipeline result, and the
 * batch engine of index.c that index_add.c, index_query.c and index_stream.c share. */
#ifndef DEDUP_INDEX_INTERNAL_H
#define DEDUP_INDEX_INTERNAL_H

#include <dedup/dedup.h>
#include <dedup/index.h>

#include "util.h"

/* How a document's signatures are cut into keys: the bands the pipeline uses (found once
 * per batch: dd_lsh_optimal integrates the S-curve, far too slow to call per document). */
typedef struct dd__key_plan {
    dd_lsh_params copy, lead, ocr;
    size_t num_perm, lead_n;
} dd__key_plan;

dd__key_plan dd__index_key_plan(const dd_pipeline_opts *o);

/* Most keys one document can have. */
size_t dd__index_max_keys(const dd__key_plan *p);

/* Document `doc`'s candidate keys: its MinHash bands, its lead's bands and (stories level)
 * pairs of its heaviest terms, sorted, distinct; keys needs dd__index_max_keys slots. */
void dd__index_keys(const dd_result *res, const dd__key_plan *p, size_t doc, uint64_t *keys,
                    size_t *n);

/* Document `doc`'s OCR keys: those it is stored under and those it looks up (at most
 * dd__index_max_ocr_keys each). */
void dd__index_ocr_keys(const dd_result *res, const dd__key_plan *p, size_t doc, uint64_t *store,
                        size_t *n_store, uint64_t *look, size_t *n_look);
size_t dd__index_max_ocr_keys(const dd__key_plan *p);

/* Document `doc`'s distinct content terms (stories level), ascending, malloc'd. */
dd_status dd__index_terms(const dd_result *res, size_t doc, uint64_t **terms, size_t *n);

/* Document `doc`'s date in days since 1970 (stories level), NaN when unknown. */
double dd__index_day(const dd_result *res, size_t doc);

/* Stories level: smallest index of `doc`'s copies group. */
uint32_t dd__index_copy_group(const dd_result *res, size_t doc);

/* Every document's distinct line hashes (boilerplate candidates): document d's are
 * (*h)[(*off)[d] .. (*off)[d + 1]), ascending; both malloc'd. */
dd_status dd__index_lines(const dd_result *res, uint64_t **h, size_t **off);

/* ---- the batch engine (index.c), shared by add (index_add.c), query (index_query.c) and
 * stream (index_stream.c) ---- */

/* One document of the batch, as the user's input gave it. */
typedef struct bdoc {
    const char *id, *title, *date, *source, *record;
    size_t line, record_len, bytes;
    long record_off;
    uint64_t hash;
    const char *json; /* its record line (no newline) */
    size_t json_len;
    bool used;        /* signed: not skipped as empty */
    uint64_t *keys;   /* stored under and looked up */
    size_t n_keys;
    uint64_t *okeys, *lkeys; /* OCR keys stored under; OCR keys looked up */
    size_t n_okeys, n_lkeys;
} bdoc;

/* A stored candidate loaded for a run. */
typedef struct cand {
    int64_t row, copy_root, story_root;
    size_t bytes;
    const char *id, *title, *date, *source;
} cand;

typedef struct batch {
    dd__arena str;
    bdoc *d;
    size_t n, cap;
    cand *c;
    size_t n_cand;
    size_t inputs, skipped[DD_SKIP_COUNT], repaired, already;
    dd__strmap seen; /* "hash id" of this batch's documents (add: stored once) */
    size_t *uidx;    /* the used documents' indexes, in order (sign_batch) */
    size_t n_used;
    char *run_path;  /* the run file while a result still reads it */
} batch;

struct dd__index_mem {
    batch b;
    bool *stored;
    size_t *run_line, *run_len; /* each reported document's place in the run file */
    long *run_off;
};

void dd__batch_init(batch *b);
void dd__batch_free(batch *b);
void dd__index_diag(const dd_pipeline_opts *o, const char *msg, bool skipped);
dd_status dd__index_check_opts(const dd_index_opts *io);

/* Read up to `max` documents (0: all) into b; *eof when the reader is done. add: skip the
 * documents already stored (same id and text). */
dd_status dd__read_batch(dd_store *s, const dd_pipeline_opts *o, dd_reader *r, batch *b,
                         size_t max, bool adding, bool *eof);

/* Sign the batch alone, find its stored candidates, run the pipeline over candidates +
 * batch at `level` into *res. */
dd_status dd__prepare(dd_store *s, const dd_index_opts *io, dd_level level, batch *b,
                      dd_result **res, char *err, size_t err_cap);

/* The batch document of run-file line `line` (SIZE_MAX: stored candidate *cand_i). */
size_t dd__doc_of_line(const batch *b, size_t line, bool only_batch, size_t *cand_i);

/* Store the batch's documents of run result res and move the groups' roots (index_add.c). */
dd_status dd__store_batch(dd_store *s, batch *b, const dd_result *res, size_t *added);

#endif
