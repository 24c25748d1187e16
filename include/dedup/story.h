/* Story stage (stories level): content terms -> weighted vectors -> story clusters.
 * A document is the L2-normalised tf-idf vector of its content terms (sublinear tf, idf
 * from dd_idf). Two documents score their cosine less a length correction; clusters grow by
 * average linkage over those scores. See docs/ALGORITHMS.md. */
#ifndef DEDUP_STORY_H
#define DEDUP_STORY_H

#include <dedup/status.h>
#include <dedup/idf.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A sparse vector: `n` terms sorted by hash, weights aligned. A view. */
typedef struct dd_vec {
    const uint64_t *h;
    const float *w;
    size_t n;
} dd_vec;

/** Build the vector of one document. `h[0..n)` are its term hashes in text order (repeats
 *  allowed); the top `top_k` by weight (ties to the smaller hash) are kept, normalised and
 *  written sorted by hash to out_h/out_w (capacity >= min(n, top_k)); `*n_out` gets the
 *  count. Returns DD_OK or DD_ENOMEM. */
dd_status dd_story_vector(const uint64_t *h, size_t n, const dd_idf *idf, size_t top_k,
                          uint64_t *out_h, float *out_w, size_t *n_out);

/** The hashes of the `k` heaviest terms of `v` (ties to the smaller hash), sorted, in
 *  `out` (capacity >= min(v.n, k)); `*n_out` gets their number. DD_OK or DD_ENOMEM. */
dd_status dd_story_top_terms(dd_vec v, size_t k, uint64_t *out, size_t *n_out);

/** Cosine of two normalised vectors (their dot product). */
double dd_story_cosine(dd_vec a, dd_vec b);

/** The length correction of dd_story_similarity used by the pipeline. */
#define DD_STORY_PENALTY 1.6

/** Cosines under this say nothing about a shared story (similarity 0). */
#define DD_STORY_MIN_COSINE 0.10

/** Story similarity of two documents: their cosine less `penalty / sqrt(n)`, n the smaller
 *  term count, floored at 0 (and 0 when the cosine is under DD_STORY_MIN_COSINE). Two short
 *  texts agree on a few heavy terms by chance far more often than two long ones; the
 *  correction is the size of that chance agreement, which shrinks as 1/sqrt(n). */
double dd_story_similarity(dd_vec a, dd_vec b, double penalty);

/** Order agreement of two documents: Spearman's rank correlation between the places where
 *  each term both mention is first mentioned in a and in b. `ha[0..na)` are a's distinct
 *  term hashes, sorted, and `pa[i]` the position of ha[i]'s first mention; b likewise. A
 *  reviser keeps the source's sequence of points; an independent text on the same subject
 *  chooses its own. `*out` gets a value in [-1, 1], 0 when fewer than 3 terms are shared.
 *  Ties in position go to the other document's position, then to the hash. Returns DD_OK or
 *  DD_ENOMEM. */
dd_status dd_story_order(const uint64_t *ha, const uint32_t *pa, size_t na, const uint64_t *hb,
                         const uint32_t *pb, size_t nb, double *out);

typedef struct dd_story_opts {
    double threshold;   /**< mean pair similarity two clusters need to merge (0.36) */
    double max_days;    /**< documents dated further apart never share a cluster (4; <= 0 off) */
    double attach_sim;  /**< dd_story_attach: similarity to the cluster's centre (0.2) */
    double attach_mean; /**< dd_story_attach: mean similarity to the cluster (0.15) */
    double quote_share; /**< dd_story_cluster: share of a newcomer's quoted words a group of
                             versions must hold (0.5; 0 turns the test off) */
} dd_story_opts;

/** Quoted words of each document for dd_story_cluster: document i's sorted, distinct
 *  dd_terms_quotes() values are h[off[i] .. off[i + 1]). A view. */
typedef struct dd_story_quotes {
    const uint64_t *h;
    const size_t *off;
} dd_story_quotes;

/** dd_story_cluster: a cluster of at least this many members, two of which quote the same
 *  words, is a group of versions of one report. */
#define DD_STORY_QUOTE_GROUP 3
/** dd_story_cluster: quoted-word runs a document needs before its quotes count as evidence. */
#define DD_STORY_QUOTE_MIN 3

dd_story_opts dd_story_opts_default(void);

/** Average-linkage clustering of `n` documents (dates in days, NaN when unknown) over the
 *  similarity graph `pairs[i]` (a << 32 | b) with similarity `sim[i]`; pairs not listed
 *  count as 0. `label[i]` starts as the group of i (e.g. its copies cluster, the smallest
 *  member's index) and ends as the smallest document index of its story cluster. Two
 *  clusters merge, best first, while the mean similarity over all their cross pairs reaches
 *  the threshold, so a cluster cannot chain into a topic through one neighbour.
 *  With `quotes` (NULL: none), a group of versions (DD_STORY_QUOTE_GROUP members or more,
 *  two of them quoting the same words) takes in no cluster whose members quote
 *  (DD_STORY_QUOTE_MIN runs or more) but hold less than o->quote_share of their quoted
 *  words in common with the group: rewrites of one report keep its quotes, the next
 *  development of its saga quotes new words. Returns DD_OK or DD_ENOMEM. */
dd_status dd_story_cluster(const double *days, size_t n, const uint64_t *pairs,
                           const double *sim, size_t n_pairs, const dd_story_quotes *quotes,
                           const dd_story_opts *o, uint32_t *label);

/** dd_story_attach: clusters of at least this many members have a centre; smaller ones may
 *  join one. */
#define DD_STORY_CENTRE_MIN 3

/** Derivation evidence of a pair (a << 32 | b), for dd_story_attach: everything a states
 *  (its names and figures) b states too, or the other way round. */
enum { DD_STORY_A_IN_B = 1, DD_STORY_B_IN_A = 2 };

/** After dd_story_cluster: a document in a cluster of one or two joins a cluster of three or
 *  more when it is derived from that cluster's centre (the member with the most similarity
 *  to the others): `evid[i]` says pair i's facts of the small cluster's document are all
 *  the centre's, its similarity to the centre is at least o->attach_sim, and dates fit. A
 *  small cluster moves when all its members would join the same cluster and their mean
 *  similarity over all its pairs is at least o->attach_mean. A source's heavy revisions
 *  resemble the source more than each other, so average linkage alone leaves them out; a
 *  revision's facts are the source's, while the next step of a saga brings facts of its own.
 *  Attachments do not chain: they are decided on the clusters as dd_story_cluster left them,
 *  and `quotes` (NULL: none) refuse them as they refuse merges there. `label` as there.
 *  Returns DD_OK or DD_ENOMEM. */
dd_status dd_story_attach(const double *days, size_t n, const uint64_t *pairs, const double *sim,
                          const uint8_t *evid, size_t n_pairs, const dd_story_quotes *quotes,
                          const dd_story_opts *o, uint32_t *label);

#ifdef __cplusplus
}
#endif

#endif
