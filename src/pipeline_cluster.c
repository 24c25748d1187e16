/* Cluster stage (copies level): the verified pairs, joined by union-find, as clusters in
 * document order (dd_cluster_extract). The stories level clusters in pipeline_story.c. */
#include "pipeline_stages.h"

dd_status dd__cluster_pairs(dd_result *res)
{
    dd_uf *uf = NULL;
    dd_status st = dd_uf_new(res->n_docs, &uf);
    size_t i;

    if (st != DD_OK)
        return st;
    for (i = 0; i < res->n_pairs; i++)
        dd_uf_union(uf, res->pairs[i].a, res->pairs[i].b);
    st = dd_cluster_extract(uf, res->n_docs, &res->clusters);
    dd_uf_free(uf);
    if (st == DD_OK)
        res->n_clustered = res->clusters.count ? res->clusters.start[res->clusters.count] : 0;
    return st;
}
