/* Cluster stage: union-find (path halving) and a counting-sort extraction that lists
 * clusters by their smallest member, members ascending: deterministic by construction. */
#include <dedup/dedup.h>

#include <stdlib.h>
#include <string.h>

struct dd_uf {
    uint32_t *parent;
    size_t n;
};

dd_status dd_uf_new(size_t n, dd_uf **out)
{
    dd_uf *uf;
    size_t i;

    *out = NULL;
    if (n > UINT32_MAX)
        return DD_EINVAL;
    uf = malloc(sizeof *uf);
    if (!uf)
        return DD_ENOMEM;
    uf->parent = malloc((n ? n : 1) * sizeof *uf->parent);
    if (!uf->parent) {
        free(uf);
        return DD_ENOMEM;
    }
    for (i = 0; i < n; i++)
        uf->parent[i] = (uint32_t)i;
    uf->n = n;
    *out = uf;
    return DD_OK;
}

void dd_uf_free(dd_uf *uf)
{
    if (!uf)
        return;
    free(uf->parent);
    free(uf);
}

uint32_t dd_uf_find(dd_uf *uf, uint32_t x)
{
    while (uf->parent[x] != x) {
        uf->parent[x] = uf->parent[uf->parent[x]];
        x = uf->parent[x];
    }
    return x;
}

void dd_uf_union(dd_uf *uf, uint32_t a, uint32_t b)
{
    a = dd_uf_find(uf, a);
    b = dd_uf_find(uf, b);
    if (a < b)
        uf->parent[b] = a;
    else if (b < a)
        uf->parent[a] = b;
}

void dd_clusters_free(dd_clusters *c)
{
    free(c->members);
    free(c->start);
    memset(c, 0, sizeof *c);
}

dd_status dd_cluster_extract(dd_uf *uf, size_t n, dd_clusters *out)
{
    size_t *size = calloc(n ? n : 1, sizeof *size), *at = NULL, i, c = 0, m = 0;
    dd_status st = DD_ENOMEM;

    memset(out, 0, sizeof *out);
    if (!size)
        return DD_ENOMEM;
    for (i = 0; i < n; i++)
        size[dd_uf_find(uf, (uint32_t)i)]++;
    for (i = 0; i < n; i++)
        if (size[i] >= 2) {
            c++;
            m += size[i];
        }
    out->members = malloc((m ? m : 1) * sizeof *out->members);
    out->start = malloc((c + 1) * sizeof *out->start);
    at = malloc((n ? n : 1) * sizeof *at);
    if (!out->members || !out->start || !at)
        goto fail;
    /* Roots are the smallest members, so walking roots in index order orders clusters. */
    c = 0;
    m = 0;
    for (i = 0; i < n; i++) {
        if (size[i] >= 2) {
            out->start[c++] = m;
            at[i] = m;
            m += size[i];
        }
    }
    out->start[c] = m;
    out->count = c;
    for (i = 0; i < n; i++) {
        uint32_t r = dd_uf_find(uf, (uint32_t)i);
        if (size[r] >= 2)
            out->members[at[r]++] = (uint32_t)i;
    }
    st = DD_OK;
fail:
    free(size);
    free(at);
    if (st != DD_OK)
        dd_clusters_free(out);
    return st;
}
