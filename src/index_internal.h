/* Internal to index.c and index_keys.c: what the index takes from a pipeline result. */
#ifndef DEDUP_INDEX_INTERNAL_H
#define DEDUP_INDEX_INTERNAL_H

#include <dedup/dedup.h>
#include <dedup/index.h>

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

#endif
