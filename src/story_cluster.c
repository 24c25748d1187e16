/* Story stage, clustering: candidate pairs and their similarities -> cluster labels, by
 * average linkage over the candidate graph, then attaching derived documents to their centre.
 * Each cluster keeps, per neighbour, the sum of the pair similarities between them; a merge
 * adds the sums, so the mean over all cross pairs stays exact. Merges come best first from a
 * heap with lazy invalidation (a version per cluster); ties go to smaller indexes, so the
 * result depends neither on thread count nor on the order of candidate pairs. */
#include <dedup/dedup.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- average-linkage clustering ------------------------------------------------------ */

/* Sum of the pair similarities between two clusters; pairs that are not candidates count
 * as 0, so the mean over |A| |B| pairs is exact for the similarity graph given. */
typedef struct edge {
    uint32_t to;
    double sum;
} edge;

typedef struct sclu {
    edge *e; /* edges to other clusters; `to` may be stale (a merged cluster) until refresh */
    size_t n_e, cap_e;
    size_t size;
    double dmin, dmax; /* dates in days, NaN when none is known */
    uint32_t version;
    uint64_t *q; /* the quoted-word runs of its members, sorted, distinct */
    size_t n_q;
    bool quoted; /* two of its members quote the same words */
} sclu;

typedef struct heap_item {
    double s;
    uint32_t a, b, va, vb;
} heap_item;

typedef struct hac {
    sclu *c;
    uint32_t *parent;
    heap_item *heap;
    size_t n_heap, cap_heap;
    const dd_story_opts *o;
    const dd_story_quotes *quotes;
} hac;

static uint32_t hac_find(hac *h, uint32_t x)
{
    while (h->parent[x] != x) {
        h->parent[x] = h->parent[h->parent[x]];
        x = h->parent[x];
    }
    return x;
}

static bool heap_less(const heap_item *x, const heap_item *y)
{
    if (x->s != y->s)
        return x->s > y->s;
    if (x->a != y->a)
        return x->a < y->a;
    return x->b < y->b;
}

static dd_status heap_push(hac *h, heap_item it)
{
    size_t i;

    if (dd__grow((void **)&h->heap, &h->cap_heap, h->n_heap + 1, sizeof *h->heap) != DD_OK)
        return DD_ENOMEM;
    i = h->n_heap++;
    while (i > 0 && heap_less(&it, &h->heap[(i - 1) / 2])) {
        h->heap[i] = h->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->heap[i] = it;
    return DD_OK;
}

static heap_item heap_pop(hac *h)
{
    heap_item top = h->heap[0], last = h->heap[--h->n_heap];
    size_t i = 0;

    for (;;) {
        size_t l = 2 * i + 1, best = l;
        if (l >= h->n_heap)
            break;
        if (l + 1 < h->n_heap && heap_less(&h->heap[l + 1], &h->heap[l]))
            best = l + 1;
        if (!heap_less(&h->heap[best], &last))
            break;
        h->heap[i] = h->heap[best];
        i = best;
    }
    if (h->n_heap)
        h->heap[i] = last;
    return top;
}

static bool dates_fit(const hac *h, const sclu *a, const sclu *b)
{
    double lo, hi;

    if (h->o->max_days <= 0 || isnan(a->dmin) || isnan(b->dmin))
        return true;
    lo = a->dmin < b->dmin ? a->dmin : b->dmin;
    hi = a->dmax > b->dmax ? a->dmax : b->dmax;
    return hi - lo <= h->o->max_days;
}

/* ---- quotes: a group of versions keeps out what quotes other words ---------------------- */

static size_t common_sorted(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    size_t i = 0, j = 0, k = 0;

    while (i < na && j < nb) {
        if (a[i] < b[j])
            i++;
        else if (a[i] > b[j])
            j++;
        else {
            k++;
            i++;
            j++;
        }
    }
    return k;
}

/* Add the sorted, distinct values b[0..nb) to c's quotes; c becomes quoted when they share
 * one. */
static dd_status add_quotes(sclu *c, const uint64_t *b, size_t nb)
{
    uint64_t *u;
    size_t i = 0, j = 0, k = 0;

    if (nb == 0)
        return DD_OK;
    u = malloc((c->n_q + nb) * sizeof *u);
    if (!u)
        return DD_ENOMEM;
    while (i < c->n_q || j < nb) {
        if (j >= nb || (i < c->n_q && c->q[i] < b[j]))
            u[k++] = c->q[i++];
        else if (i >= c->n_q || b[j] < c->q[i])
            u[k++] = b[j++];
        else {
            u[k++] = c->q[i++];
            j++;
            c->quoted = true;
        }
    }
    free(c->q);
    c->q = u;
    c->n_q = k;
    return DD_OK;
}

/* Does group g refuse cluster x, which has `common` quoted runs in common with it? */
static bool refuses(const sclu *g, const sclu *x, size_t common, double share)
{
    return g->quoted && g->size >= DD_STORY_QUOTE_GROUP && x->n_q >= DD_STORY_QUOTE_MIN &&
           (double)common < share * (double)x->n_q;
}

/* May clusters a and b merge as far as their quotes tell? A group of versions of one report
 * (DD_STORY_QUOTE_GROUP members or more, two quoting the same words) takes in no cluster
 * that quotes other words. */
static bool quotes_fit(const sclu *a, const sclu *b, double share)
{
    size_t common;

    if (share <= 0 || (!a->quoted && !b->quoted))
        return true;
    common = common_sorted(a->q, a->n_q, b->q, b->n_q);
    return !refuses(a, b, common, share) && !refuses(b, a, common, share);
}

static dd_status add_edge(sclu *c, uint32_t to, double sum)
{
    if (dd__grow((void **)&c->e, &c->cap_e, c->n_e + 1, sizeof *c->e) != DD_OK)
        return DD_ENOMEM;
    c->e[c->n_e++] = (edge){to, sum};
    return DD_OK;
}

/* By target, then by sum, so that equal targets are added in one fixed order. */
static int cmp_edge(const void *pa, const void *pb)
{
    const edge *a = pa, *b = pb;

    if (a->to != b->to)
        return a->to < b->to ? -1 : 1;
    return (a->sum > b->sum) - (a->sum < b->sum);
}

/* Map edges to current clusters, add up those to one cluster, drop self, and push the
 * merges that qualify. */
static dd_status refresh(hac *h, uint32_t r)
{
    sclu *c = &h->c[r];
    size_t i, m = 0;

    for (i = 0; i < c->n_e; i++)
        c->e[i].to = hac_find(h, c->e[i].to);
    if (c->n_e > 1)
        qsort(c->e, c->n_e, sizeof *c->e, cmp_edge);
    for (i = 0; i < c->n_e; i++) {
        if (c->e[i].to == r)
            continue;
        if (m && c->e[m - 1].to == c->e[i].to)
            c->e[m - 1].sum += c->e[i].sum;
        else
            c->e[m++] = c->e[i];
    }
    c->n_e = m;
    for (i = 0; i < m; i++) {
        uint32_t x = c->e[i].to;
        double s = c->e[i].sum / ((double)c->size * (double)h->c[x].size);
        if (s >= h->o->threshold && dates_fit(h, c, &h->c[x])) {
            heap_item it = {s, r < x ? r : x, r < x ? x : r, 0, 0};
            it.va = h->c[it.a].version;
            it.vb = h->c[it.b].version;
            if (heap_push(h, it) != DD_OK)
                return DD_ENOMEM;
        }
    }
    return DD_OK;
}

static dd_status merge(hac *h, uint32_t a, uint32_t b)
{
    sclu *x = &h->c[a], *y = &h->c[b];

    if (dd__grow((void **)&x->e, &x->cap_e, x->n_e + y->n_e, sizeof *x->e) != DD_OK)
        return DD_ENOMEM;
    if (y->n_e)
        memcpy(x->e + x->n_e, y->e, y->n_e * sizeof *y->e);
    x->n_e += y->n_e;
    x->size += y->size;
    if (!isnan(y->dmin)) {
        x->dmin = isnan(x->dmin) || y->dmin < x->dmin ? y->dmin : x->dmin;
        x->dmax = isnan(x->dmax) || y->dmax > x->dmax ? y->dmax : x->dmax;
    }
    x->version++;
    h->parent[b] = a;
    if (add_quotes(x, y->q, y->n_q) != DD_OK)
        return DD_ENOMEM;
    x->quoted = x->quoted || y->quoted;
    free(y->q);
    free(y->e);
    memset(y, 0, sizeof *y);
    return refresh(h, a);
}

static dd_status hac_init(hac *h, const double *days, size_t n, const uint64_t *pairs,
                          const double *sim, size_t n_pairs, const uint32_t *label)
{
    size_t i;
    dd_status st = DD_OK;

    h->c = calloc(n ? n : 1, sizeof *h->c);
    h->parent = malloc((n ? n : 1) * sizeof *h->parent);
    if (!h->c || !h->parent)
        return DD_ENOMEM;
    for (i = 0; i < n; i++) {
        h->parent[i] = (uint32_t)i;
        h->c[i].dmin = h->c[i].dmax = NAN;
    }
    for (i = 0; i < n; i++) {
        sclu *c = &h->c[label[i]];
        c->size++;
        if (!isnan(days[i])) {
            c->dmin = isnan(c->dmin) || days[i] < c->dmin ? days[i] : c->dmin;
            c->dmax = isnan(c->dmax) || days[i] > c->dmax ? days[i] : c->dmax;
        }
        if (label[i] != i)
            h->parent[i] = label[i];
        if (h->quotes && st == DD_OK)
            st = add_quotes(c, h->quotes->h + h->quotes->off[i],
                            h->quotes->off[i + 1] - h->quotes->off[i]);
    }
    for (i = 0; st == DD_OK && i < n_pairs; i++) {
        uint32_t a = label[pairs[i] >> 32], b = label[(uint32_t)pairs[i]];
        if (a != b && sim[i] > 0) {
            st = add_edge(&h->c[a], b, sim[i]);
            if (st == DD_OK)
                st = add_edge(&h->c[b], a, sim[i]);
        }
    }
    for (i = 0; st == DD_OK && i < n; i++)
        if (label[i] == i)
            st = refresh(h, (uint32_t)i);
    return st;
}

static void hac_free(hac *h, size_t n)
{
    size_t i;

    for (i = 0; h->c && i < n; i++) {
        free(h->c[i].e);
        free(h->c[i].q);
    }
    free(h->c);
    free(h->parent);
    free(h->heap);
}

dd_status dd_story_cluster(const double *days, size_t n, const uint64_t *pairs,
                           const double *sim, size_t n_pairs, const dd_story_quotes *quotes,
                           const dd_story_opts *o, uint32_t *label)
{
    hac h;
    size_t i;
    dd_status st;

    memset(&h, 0, sizeof h);
    h.o = o;
    h.quotes = quotes;
    st = hac_init(&h, days, n, pairs, sim, n_pairs, label);
    while (st == DD_OK && h.n_heap) {
        heap_item it = heap_pop(&h);
        if (h.parent[it.a] != it.a || h.parent[it.b] != it.b ||
            h.c[it.a].version != it.va || h.c[it.b].version != it.vb)
            continue; /* stale: a fresher entry was pushed when things changed */
        if (h.quotes && !quotes_fit(&h.c[it.a], &h.c[it.b], o->quote_share))
            continue; /* pushed again if either changes */
        st = merge(&h, it.a, it.b);
    }
    for (i = 0; st == DD_OK && i < n; i++)
        label[i] = hac_find(&h, (uint32_t)i);
    hac_free(&h, n);
    return st;
}

/* ---- attaching derived documents ------------------------------------------------------- */

#define GROUP_NONE UINT32_MAX         /* no centre, no cluster to join */
#define GROUP_SPLIT (UINT32_MAX - 1) /* the members of a small cluster would go apart */

typedef struct attach {
    sclu *q;          /* per cluster label: its size and quotes (NULL: no quotes given) */
    uint32_t *size;   /* members per cluster (by label) */
    double *centre_s; /* per document: its summed similarity inside its cluster */
    uint32_t *centre; /* per cluster label: its centre, or GROUP_NONE */
    uint32_t *to;     /* per document: the cluster it would join, or GROUP_NONE */
    double *best, *sum;
    double *dmin, *dmax;
} attach;

static void attach_free(attach *t, size_t n)
{
    size_t i;

    for (i = 0; t->q && i < n; i++)
        free(t->q[i].q);
    free(t->q);
    free(t->size);
    free(t->centre_s);
    free(t->centre);
    free(t->to);
    free(t->best);
    free(t->sum);
    free(t->dmin);
    free(t->dmax);
}

/* The quotes of every cluster, by label, for the test average linkage applies. */
static dd_status attach_quotes(attach *t, size_t n, const dd_story_quotes *quotes,
                               const uint32_t *label)
{
    size_t i;

    t->q = calloc(n ? n : 1, sizeof *t->q);
    if (!t->q)
        return DD_ENOMEM;
    for (i = 0; i < n; i++) {
        sclu *c = &t->q[label[i]];
        c->size++;
        if (add_quotes(c, quotes->h + quotes->off[i], quotes->off[i + 1] - quotes->off[i]) != DD_OK)
            return DD_ENOMEM;
    }
    return DD_OK;
}

static dd_status attach_init(attach *t, size_t n)
{
    size_t i, k = n ? n : 1;

    t->size = calloc(k, sizeof *t->size);
    t->centre_s = calloc(k, sizeof *t->centre_s);
    t->centre = malloc(k * sizeof *t->centre);
    t->to = malloc(k * sizeof *t->to);
    t->best = calloc(k, sizeof *t->best);
    t->sum = calloc(k, sizeof *t->sum);
    t->dmin = malloc(k * sizeof *t->dmin);
    t->dmax = malloc(k * sizeof *t->dmax);
    if (!t->size || !t->centre_s || !t->centre || !t->to || !t->best || !t->sum || !t->dmin ||
        !t->dmax)
        return DD_ENOMEM;
    for (i = 0; i < n; i++) {
        t->centre[i] = t->to[i] = GROUP_NONE;
        t->dmin[i] = t->dmax[i] = NAN;
    }
    return DD_OK;
}

/* Sizes, date ranges and centres of the clusters: the centre is the member whose
 * similarities to the other members add up to most (ties to the smaller index). */
static void find_centres(attach *t, const double *days, size_t n, const uint64_t *pairs,
                         const double *sim, size_t n_pairs, const uint32_t *label)
{
    size_t i;

    for (i = 0; i < n; i++) {
        uint32_t c = label[i];
        t->size[c]++;
        if (!isnan(days[i])) {
            t->dmin[c] = isnan(t->dmin[c]) || days[i] < t->dmin[c] ? days[i] : t->dmin[c];
            t->dmax[c] = isnan(t->dmax[c]) || days[i] > t->dmax[c] ? days[i] : t->dmax[c];
        }
    }
    for (i = 0; i < n_pairs; i++) {
        uint32_t a = (uint32_t)(pairs[i] >> 32), b = (uint32_t)pairs[i];
        if (label[a] == label[b]) {
            t->centre_s[a] += sim[i];
            t->centre_s[b] += sim[i];
        }
    }
    for (i = 0; i < n; i++) {
        uint32_t c = label[i];
        if (t->size[c] >= DD_STORY_CENTRE_MIN &&
            (t->centre[c] == GROUP_NONE || t->centre_s[i] > t->centre_s[t->centre[c]]))
            t->centre[c] = (uint32_t)i;
    }
}

static bool attach_dates_fit(const attach *t, const double *days, uint32_t x, uint32_t c,
                             double max_days)
{
    double lo, hi;

    if (max_days <= 0 || isnan(days[x]) || isnan(t->dmin[c]))
        return true;
    lo = days[x] < t->dmin[c] ? days[x] : t->dmin[c];
    hi = days[x] > t->dmax[c] ? days[x] : t->dmax[c];
    return hi - lo <= max_days;
}

/* A small cluster (a lone document, or two revisions that resemble each other) moves when
 * every member would join the same cluster and its mean similarity over all the cross pairs
 * reaches attach_mean. t->centre_s is reused for the sums per small cluster. */

static void decide_groups(attach *t, size_t n, const dd_story_opts *o, uint32_t *label)
{
    size_t i;

    for (i = 0; i < n; i++) {
        t->centre[i] = GROUP_NONE; /* now: the cluster small cluster i would join */
        t->centre_s[i] = 0;
    }
    for (i = 0; i < n; i++) {
        uint32_t g = label[i];
        if (t->size[g] >= DD_STORY_CENTRE_MIN)
            continue;
        if (t->to[i] == GROUP_NONE || (t->centre[g] != GROUP_NONE && t->centre[g] != t->to[i]))
            t->centre[g] = GROUP_SPLIT;
        else if (t->centre[g] != GROUP_SPLIT)
            t->centre[g] = t->to[i];
        t->centre_s[g] += t->to[i] == GROUP_NONE ? 0 : t->sum[i];
    }
    for (i = 0; i < n; i++) {
        uint32_t g = label[i], c = t->centre[g];
        if (t->size[g] < DD_STORY_CENTRE_MIN && c != GROUP_NONE && c != GROUP_SPLIT &&
            t->centre_s[g] / ((double)t->size[g] * (double)t->size[c]) >= o->attach_mean &&
            (!t->q || quotes_fit(&t->q[c], &t->q[g], o->quote_share)))
            t->to[i] = c;
        else
            t->to[i] = GROUP_NONE;
    }
    for (i = 0; i < n; i++)
        if (t->to[i] != GROUP_NONE)
            label[i] = t->to[i];
}

dd_status dd_story_attach(const double *days, size_t n, const uint64_t *pairs, const double *sim,
                          const uint8_t *evid, size_t n_pairs, const dd_story_quotes *quotes,
                          const dd_story_opts *o, uint32_t *label)
{
    attach t;
    size_t i;
    dd_status st;

    memset(&t, 0, sizeof t);
    st = attach_init(&t, n);
    if (st == DD_OK && quotes)
        st = attach_quotes(&t, n, quotes, label);
    if (st != DD_OK) {
        attach_free(&t, n);
        return st;
    }
    find_centres(&t, days, n, pairs, sim, n_pairs, label);
    for (i = 0; i < n_pairs; i++) { /* a lone document and a centre it is derived from */
        uint32_t a = (uint32_t)(pairs[i] >> 32), b = (uint32_t)pairs[i], x, c;
        bool a_alone = t.size[label[a]] < DD_STORY_CENTRE_MIN, b_alone = t.size[label[b]] < DD_STORY_CENTRE_MIN;
        if (sim[i] < o->attach_sim || a_alone == b_alone)
            continue;
        x = a_alone ? a : b;
        c = label[a_alone ? b : a];
        if (t.centre[c] != (a_alone ? b : a) ||
            !(evid[i] & (a_alone ? DD_STORY_A_IN_B : DD_STORY_B_IN_A)) ||
            !attach_dates_fit(&t, days, x, c, o->max_days))
            continue;
        if (sim[i] > t.best[x] || (sim[i] == t.best[x] && c < t.to[x])) {
            t.best[x] = sim[i];
            t.to[x] = c;
        }
    }
    for (i = 0; i < n_pairs; i++) { /* the mean over the whole cluster */
        uint32_t a = (uint32_t)(pairs[i] >> 32), b = (uint32_t)pairs[i];
        if (t.to[a] != GROUP_NONE && label[b] == t.to[a])
            t.sum[a] += sim[i];
        if (t.to[b] != GROUP_NONE && label[a] == t.to[b])
            t.sum[b] += sim[i];
    }
    decide_groups(&t, n, o, label);
    attach_free(&t, n);
    return DD_OK;
}
