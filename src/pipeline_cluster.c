/* Cluster stage (copies level): the verified pairs, joined by union-find, as clusters in
 * document order (dd_cluster_extract). The stories level clusters in pipeline_story.c. */
#include "pipeline_stages.h"

dd_status dd__pairs_uf(const dd_result *res, dd_uf **out)
{
    dd_status st = dd_uf_new(res->n_docs, out);
    size_t i;

    for (i = 0; st == DD_OK && i < res->n_pairs; i++)
        dd_uf_union(*out, res->pairs[i].a, res->pairs[i].b);
    return st;
}

dd_status dd__cluster_pairs(dd_result *res)
{
    dd_uf *uf = NULL;
    dd_status st = dd__pairs_uf(res, &uf);

    if (st != DD_OK)
        return st;
    st = dd_cluster_extract(uf, res->n_docs, &res->clusters);
    dd_uf_free(uf);
    if (st == DD_OK)
        res->n_clustered = res->clusters.count ? res->clusters.start[res->clusters.count] : 0;
    return st;
}
