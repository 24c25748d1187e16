/* Evaluation: a clustering (dedup's JSON Lines report) against labels (doc<TAB>group).
 * Documents are keyed by the base name of their id without a ".txt" suffix. Pairs between
 * two unlabelled documents are ignored; a pair touching a labelled one counts. */
#ifndef DEDUP_EVAL_H
#define DEDUP_EVAL_H

#include <dedup/status.h>

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dd_eval_result {
    size_t labelled;       /**< documents in the truth file */
    size_t groups;         /**< distinct labels */
    size_t clusters;       /**< predicted clusters read */
    size_t tp, fp, fn;     /**< pairwise counts */
    double precision, recall, f1;
    double ari;            /**< adjusted Rand index over labelled docs and what joined them */
} dd_eval_result;

/** Score the clusters read from `clusters` against the labels in `truth`. `*_name` are used
 *  in messages. On failure `err` holds "name:line: reason". Returns DD_OK, DD_EPARSE, DD_EIO
 *  or DD_ENOMEM. */
dd_status dd_eval_run(FILE *truth, const char *truth_name, FILE *clusters,
                      const char *clusters_name, dd_eval_result *out, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif
