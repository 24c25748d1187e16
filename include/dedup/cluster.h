/* Cluster stage: verified pairs -> groups. Union-find with the smaller index as root, so the
 * result does not depend on the order pairs arrive in. */
#ifndef DEDUP_CLUSTER_H
#define DEDUP_CLUSTER_H

#include <dedup/status.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dd_uf dd_uf;

/** Union-find over `n` elements, each its own set. Returns DD_OK or DD_ENOMEM. */
dd_status dd_uf_new(size_t n, dd_uf **out);
void dd_uf_free(dd_uf *uf);
/** Representative of x's set: the smallest element in it. */
uint32_t dd_uf_find(dd_uf *uf, uint32_t x);
void dd_uf_union(dd_uf *uf, uint32_t a, uint32_t b);

/** Groups of two or more, as produced by dd_cluster_extract. */
typedef struct dd_clusters {
    uint32_t *members; /**< all members, cluster after cluster, ascending inside each */
    size_t *start;     /**< cluster c is members[start[c] .. start[c+1]) */
    size_t count;      /**< number of clusters */
} dd_clusters;

/** Extract the sets of size >= 2 of `uf` over its `n` elements, ordered by smallest member.
 *  Returns DD_OK or DD_ENOMEM (then `*out` is zeroed). */
dd_status dd_cluster_extract(dd_uf *uf, size_t n, dd_clusters *out);

/** Free what dd_cluster_extract allocated. Accepts a zeroed struct. */
void dd_clusters_free(dd_clusters *c);

#ifdef __cplusplus
}
#endif

#endif
