/* Stories level: content terms -> tf-idf vectors -> story candidates (pipeline_story_cand.c)
 * -> exact cosine -> average-linkage clusters seeded with the copies groups -> derivations
 * attached, facts and key terms for the report. Boilerplate lines found by the copies pass
 * are dropped from the terms first, so a shared footer adds no weight. */
#include "pipeline_stages.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

/* ---- key-term names (written at signing by pipeline_terms.c) ------------------- */

static const char *dict_get(const struct dd__result_mem *m, uint64_t h)
{
    size_t i, mask = m->dict_cap - 1;

    if (!m->dict_cap)
        return NULL;
    for (i = (size_t)(h >> 7) & mask; m->dict_s[i]; i = (i + 1) & mask)
        if (m->dict_h[i] == h)
            return m->dict_s[i];
    return NULL;
}

/* ---- helpers (the per-document steps, terms to vectors, are in pipeline_vectors.c) ------- */

static dd_status load_idf(const dd_pipeline_opts *o, dd_idf *idf)
{
    char err[256];

    if (!o->idf_text)
        return dd_idf_load_builtin(idf);
    return dd_idf_load(idf, o->idf_text, o->idf_len, o->idf_name ? o->idf_name : "idf", err,
                       sizeof err);
}

/* The weight of term h in document d's story vector (0 when it has none). */
static double vec_weight(const struct dd__result_mem *m, size_t d, uint64_t h)
{
    size_t lo = m->voff[d], hi = m->voff[d + 1];

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->vhash[m->vid[mid]] < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->voff[d + 1] && m->vhash[m->vid[lo]] == h ? m->vw[lo] : 0;
}

typedef struct pair_facts {
    size_t fig_a, fig_b, fig_shared; /* figures each states, and both */
    double cover_a, cover_b;         /* idf-weighted share of a's (b's) facts the other states */
} pair_facts;

/* Evidence counts facts against facts: a fact of a is covered when b also states it as a
 * name or figure. (Covering it by any mention in b, which catches a name that only opens
 * sentences there, also let a BBC article join a rewrites-dev story: docs/ALGORITHMS.md.) */
static pair_facts facts_of_pair(const struct dd__result_mem *m, const dd_idf *idf, uint32_t a,
                                uint32_t b)
{
    pair_facts f = {0, 0, 0, 0, 0};
    size_t i = m->fact_off[a], ie = m->fact_off[a + 1], j = m->fact_off[b],
           je = m->fact_off[b + 1];
    double wa = 0, wb = 0, ws = 0;

    while (i < ie || j < je) {
        if (j >= je || (i < ie && m->fact_h[i] < m->fact_h[j])) {
            wa += dd_idf_weight(idf, m->fact_h[i]);
            f.fig_a += m->fact_k[i++] == DD_TERM_FIGURE;
        } else if (i >= ie || m->fact_h[j] < m->fact_h[i]) {
            wb += dd_idf_weight(idf, m->fact_h[j]);
            f.fig_b += m->fact_k[j++] == DD_TERM_FIGURE;
        } else {
            double x = dd_idf_weight(idf, m->fact_h[i]);
            bool fig = m->fact_k[i] == DD_TERM_FIGURE;
            wa += x;
            wb += x;
            ws += x;
            f.fig_a += fig;
            f.fig_b += fig;
            f.fig_shared += fig;
            i++;
            j++;
        }
    }
    f.cover_a = wa > 0 ? ws / wa : 0;
    f.cover_b = wb > 0 ? ws / wb : 0;
    return f;
}

/* Derivation evidence for dd_story_attach: every fact of one is a fact of the other (idf
 * weighted, DERIVE_COVER), or most are (DERIVE_COVER_ORDERED) and the terms both mention come
 * in the same order (dd_story_order at least DERIVE_ORDER: a reviser keeps the source's
 * sequence of points); and they do not contradict each other's figures (three or more each
 * with none in common). A revision restates its source's facts in its own words. */
#define DERIVE_COVER 0.75
#define DERIVE_COVER_ORDERED 0.5
#define DERIVE_ORDER 0.75

/* Whether the order test can decide pair f: a cover under DERIVE_COVER, but not under
 * DERIVE_COVER_ORDERED. */
static bool order_decides(const pair_facts *f)
{
    return (f->cover_a >= DERIVE_COVER_ORDERED && f->cover_a < DERIVE_COVER) ||
           (f->cover_b >= DERIVE_COVER_ORDERED && f->cover_b < DERIVE_COVER);
}

static uint8_t derivation(const pair_facts *f, double order)
{
    uint8_t e = 0;
    bool ordered = order >= DERIVE_ORDER;

    if (f->fig_a >= 3 && f->fig_b >= 3 && f->fig_shared == 0)
        return 0;
    if (f->cover_a >= DERIVE_COVER || (ordered && f->cover_a >= DERIVE_COVER_ORDERED))
        e |= DD_STORY_A_IN_B;
    if (f->cover_b >= DERIVE_COVER || (ordered && f->cover_b >= DERIVE_COVER_ORDERED))
        e |= DD_STORY_B_IN_A;
    return e;
}

/* ---- clusters and evidence -------------------------------------------------------------- */

/* Copies groups: the seed of every story cluster, and the near-copy sub-groups reported. */
static dd_status copy_groups(dd_result *res, uint32_t *label)
{
    dd_uf *uf = NULL;
    dd_status st = dd__pairs_uf(res, &uf);
    size_t i;

    if (st != DD_OK)
        return st;
    for (i = 0; i < res->n_docs; i++)
        label[i] = dd_uf_find(uf, (uint32_t)i);
    dd_uf_free(uf);
    return DD_OK;
}

static int cmp_pair(const void *pa, const void *pb)
{
    const dd_pair_score *a = pa, *b = pb;

    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

/* Keep, as reported evidence, every scored pair inside one story cluster, with its story
 * similarity and its shingle scores. */
typedef dd__hw weighted;

/* "a, b, c": the surface forms of the FACTS_SHOWN heaviest of h[0..n) (reordered). */
#define FACTS_SHOWN 6

static const char *fact_list(struct dd__result_mem *m, weighted *h, size_t n)
{
    char buf[512];
    size_t i, len = 0, shown = 0;

    qsort(h, n, sizeof *h, dd__cmp_hw_desc);
    buf[0] = '\0';
    for (i = 0; i < n && shown < FACTS_SHOWN; i++) {
        const char *s = dict_get(m, h[i].h);
        if (!s || len + strlen(s) + 3 >= sizeof buf)
            continue;
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", shown ? ", " : "", s);
        shown++;
    }
    return dd__arena_strndup(&m->strings, buf, len);
}

/* How much a fact of document d (fact x) says about its report: its weight in the story
 * vector times (1 - where it is first mentioned, 0 at the top and 1 at the end)^2. A web
 * page's promotion block or subscription offer names things too, but not the news, and a
 * report states its development first. */
static double prominence(const dd_result *res, uint32_t d, size_t x)
{
    const struct dd__result_mem *m = res->mem;
    double at = res->docs[d].tokens ? (double)m->fact_pos[x] / (double)res->docs[d].tokens : 0;

    at = at < 1 ? at : 1;
    return vec_weight(m, d, m->fact_h[x]) * (1 - at) * (1 - at);
}

/* Fact x of document d goes to `both` when the other document mentions it at all (a name
 * may only open sentences there), else to `only`. */
static void place_fact(const dd_result *res, uint32_t d, uint32_t other, size_t x,
                       weighted *both, size_t *nb, weighted *only, size_t *no)
{
    uint64_t h = res->mem->fact_h[x];
    double wo = vec_weight(res->mem, other, h), wx = prominence(res, d, x);

    if (res->mem->fact_aside[x])
        return; /* away from the story's lead: a page's furniture, not a fact of the news */
    if (wo > 0)
        both[(*nb)++] = (weighted){h, wx + wo};
    else
        only[(*no)++] = (weighted){h, wx};
}

/* The facts of a reported pair: those both state, those only one states, each list by
 * prominence (weight in the story vector, earlier mentions first). */
static dd_status pair_fact_lists(const dd_result *res, dd_pair_score *p)
{
    struct dd__result_mem *m = res->mem;
    size_t i = m->fact_off[p->a], ie = m->fact_off[p->a + 1], j = m->fact_off[p->b],
           je = m->fact_off[p->b + 1], nb = 0, na = 0, no = 0;
    weighted *both = malloc((ie - i + je - j + 1) * sizeof *both),
             *oa = malloc((ie - i + 1) * sizeof *oa),
             *ob = malloc((je - j + 1) * sizeof *ob);
    dd_status st = both && oa && ob ? DD_OK : DD_ENOMEM;

    while (st == DD_OK && (i < ie || j < je)) {
        if (j >= je || (i < ie && m->fact_h[i] < m->fact_h[j])) {
            place_fact(res, p->a, p->b, i++, both, &nb, oa, &na);
        } else if (i >= ie || m->fact_h[j] < m->fact_h[i]) {
            place_fact(res, p->b, p->a, j++, both, &nb, ob, &no);
        } else {
            if (!m->fact_aside[i] || !m->fact_aside[j])
                both[nb++] = (weighted){m->fact_h[i], prominence(res, p->a, i) +
                                                          prominence(res, p->b, j)};
            i++;
            j++;
        }
    }
    if (st == DD_OK) {
        p->facts_both = fact_list(m, both, nb);
        p->facts_a = fact_list(m, oa, na);
        p->facts_b = fact_list(m, ob, no);
        if (!p->facts_both || !p->facts_a || !p->facts_b)
            st = DD_ENOMEM;
    }
    free(both);
    free(oa);
    free(ob);
    return st;
}

/* Pairs of one story are reported with their shingle Jaccard and containment. A copy pair
 * has them from the copies pass; the sets of the others are loaded a block of pairs at a
 * time (dd__sets_load: kept in memory, or read again and stripped of boilerplate as the
 * copies pass would), so the stories level keeps no more sets than the copies level does. */
enum { STORY_PAIR_BLOCK = 4096 };

static dd_status story_pairs(dd__run *w, const uint64_t *cand,
                             const double *sim, size_t n_cand, const uint32_t *label)
{
    dd_result *res = w->res;
    dd_pair_score *out = malloc((n_cand + 1) * sizeof *out);
    uint32_t *docs = malloc((2 * STORY_PAIR_BLOCK + 1) * sizeof *docs);
    size_t *todo = malloc((STORY_PAIR_BLOCK + 1) * sizeof *todo);
    size_t i = 0, n = 0, c = 0;
    dd_status st = out && docs && todo ? DD_OK : DD_ENOMEM;

    res->n_copy_pairs = res->n_pairs;
    while (st == DD_OK && i < n_cand) {
        size_t nd = 0, nt = 0, k, j;
        dd__setblock b;
        /* the next block: candidates whose sides share a cluster, until STORY_PAIR_BLOCK of
         * them need sets */
        for (; st == DD_OK && i < n_cand && nt < STORY_PAIR_BLOCK; i++) {
            uint32_t a = (uint32_t)(cand[i] >> 32), bb = (uint32_t)cand[i];
            if (label[a] != label[bb])
                continue;
            while (c < res->n_pairs &&
                   (res->pairs[c].a < a || (res->pairs[c].a == a && res->pairs[c].b < bb)))
                c++;
            out[n] = (dd_pair_score){a, bb, 0, 0, sim[i], false, NULL, NULL, NULL};
            if (c < res->n_pairs && res->pairs[c].a == a && res->pairs[c].b == bb) {
                out[n].copy = true;
                out[n].jaccard = res->pairs[c].jaccard;
                out[n].containment = res->pairs[c].containment;
            } else {
                todo[nt++] = n;
                docs[nd++] = a;
                docs[nd++] = bb;
            }
            st = pair_fact_lists(res, &out[n++]);
        }
        if (st != DD_OK || nd == 0)
            break;
        qsort(docs, nd, sizeof *docs, dd__cmp_u32);
        for (k = j = 0; k < nd; k++)
            if (!j || docs[k] != docs[j - 1])
                docs[j++] = docs[k];
        st = dd__sets_load(w, docs, j, &b);
        for (k = 0; st == DD_OK && k < nt; k++) {
            dd_pair_score *p = &out[todo[k]];
            const dd__setview *va = dd__sets_get(&b, p->a), *vb = dd__sets_get(&b, p->b);
            dd_set_score sc = dd_verify_sets(va->set, va->n, vb->set, vb->n);
            p->jaccard = sc.jaccard;
            p->containment = sc.containment;
        }
        dd__sets_free(&b);
    }
    free(docs);
    free(todo);
    if (st != DD_OK) {
        free(out);
        return st;
    }
    free(res->pairs);
    res->pairs = out;
    res->n_pairs = n;
    res->mem->pairs_cap = n_cand + 1;
    if (n > 1)
        qsort(res->pairs, n, sizeof *res->pairs, cmp_pair);
    return DD_OK;
}

typedef struct key_term {
    uint64_t h;
    double w;
    size_t docs;
} key_term;

static int cmp_key(const void *pa, const void *pb)
{
    const key_term *a = pa, *b = pb;

    if ((a->docs >= 2) != (b->docs >= 2))
        return a->docs >= 2 ? -1 : 1;
    if (a->w != b->w)
        return a->w > b->w ? -1 : 1;
    return (a->h > b->h) - (a->h < b->h);
}

#define KEY_TERMS 8

/* Sum each term's weight over the members (in member order) in kt, distinct terms first;
 * returns how many. slot (cap entries, a power of two, zeroed) maps a hash to its place. */
static size_t sum_terms(const struct dd__result_mem *m, const uint32_t *mem, size_t n_mem,
                        key_term *kt, uint32_t *slot, size_t cap)
{
    size_t i, j, u = 0;

    for (i = 0; i < n_mem; i++)
        for (j = m->voff[mem[i]]; j < m->voff[mem[i] + 1]; j++) {
            uint64_t h = m->vhash[m->vid[j]];
            size_t s = (size_t)(h ^ h >> 31) & (cap - 1);
            while (slot[s] && kt[slot[s] - 1].h != h)
                s = (s + 1) & (cap - 1);
            if (slot[s]) {
                kt[slot[s] - 1].w += m->vw[j];
                kt[slot[s] - 1].docs++;
            } else {
                kt[u++] = (key_term){h, m->vw[j], 1};
                slot[s] = (uint32_t)u;
            }
        }
    return u;
}

/* The terms that weigh most across a cluster, preferring those in two or more members. */
static const char *key_terms(struct dd__result_mem *m, const uint32_t *mem, size_t n_mem)
{
    size_t total = 0, i, k, u, len = 0, n_top = 0, cap = 2;
    key_term *kt, top[KEY_TERMS];
    uint32_t *slot;
    char buf[256];
    const char *out;

    for (i = 0; i < n_mem; i++)
        total += m->voff[mem[i] + 1] - m->voff[mem[i]];
    while (cap < 2 * total + 2)
        cap *= 2;
    kt = malloc((total + 1) * sizeof *kt);
    slot = calloc(cap, sizeof *slot);
    if (!kt || !slot || total >= UINT32_MAX) {
        free(kt);
        free(slot);
        return NULL;
    }
    u = sum_terms(m, mem, n_mem, kt, slot, cap);
    free(slot);
    for (i = 0; i < u; i++) { /* the KEY_TERMS first in cmp_key's order, kept sorted */
        if (n_top == KEY_TERMS && cmp_key(&kt[i], &top[KEY_TERMS - 1]) >= 0)
            continue;
        k = n_top < KEY_TERMS ? n_top++ : KEY_TERMS - 1;
        for (; k > 0 && cmp_key(&kt[i], &top[k - 1]) < 0; k--)
            top[k] = top[k - 1];
        top[k] = kt[i];
    }
    free(kt);
    buf[0] = '\0';
    for (i = 0; i < n_top; i++) {
        const char *s = dict_get(m, top[i].h);
        if (!s || len + strlen(s) + 3 >= sizeof buf)
            break;
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? ", " : "", s);
    }
    out = dd__arena_strndup(&m->strings, buf, len);
    return out;
}

static dd_status name_clusters(dd_result *res)
{
    size_t c;

    res->key_terms = calloc(res->clusters.count + 1, sizeof *res->key_terms);
    if (!res->key_terms)
        return DD_ENOMEM;
    for (c = 0; c < res->clusters.count; c++) {
        size_t lo = res->clusters.start[c], hi = res->clusters.start[c + 1];
        res->key_terms[c] = key_terms(res->mem, res->clusters.members + lo, hi - lo);
        if (!res->key_terms[c])
            return DD_ENOMEM;
    }
    return DD_OK;
}

static dd_status extract(dd_result *res, const uint32_t *label)
{
    dd_uf *uf = NULL;
    dd_status st = dd_uf_new(res->n_docs, &uf);
    size_t i;

    for (i = 0; st == DD_OK && i < res->n_docs; i++)
        dd_uf_union(uf, (uint32_t)i, label[i]);
    if (st == DD_OK)
        st = dd_cluster_extract(uf, res->n_docs, &res->clusters);
    dd_uf_free(uf);
    if (st == DD_OK)
        res->n_clustered = res->clusters.count ? res->clusters.start[res->clusters.count] : 0;
    return st == DD_OK ? name_clusters(res) : st;
}

/* The order test of a pair (dd_story_order over first mentions): each document's distinct
 * terms, sorted by hash, with the place of each one's first mention among its content terms
 * (its vector's entries, vid and vpos). */
static dd_status pair_order(const struct dd__result_mem *m, uint32_t a, uint32_t b, double *out)
{
    size_t a0 = m->voff[a], na = m->voff[a + 1] - a0, b0 = m->voff[b],
           nb = m->voff[b + 1] - b0;
    uint64_t *h = malloc((na + nb + 1) * sizeof *h);
    dd_status st;

    if (!h)
        return DD_ENOMEM;
    (void)dd__vec_of(m, a, h);
    (void)dd__vec_of(m, b, h + na);
    st = dd_story_order(h, m->vpos + a0, na, h + na, m->vpos + b0, nb, out);
    free(h);
    return st;
}

/* Lone documents derived from a cluster's centre join it (dd_story_attach). */
static dd_status attach_derived(const dd__run *w, const dd_idf *idf, const uint64_t *cand,
                                const double *sim, size_t n_cand, const dd_story_quotes *q,
                                const dd_story_opts *so, uint32_t *label)
{
    const struct dd__result_mem *m = w->res->mem;
    size_t i;
    uint8_t *evid = malloc(n_cand + 1);
    uint32_t *size = calloc(w->res->n_docs + 1, sizeof *size);
    dd_status st = DD_OK;

    if (!evid || !size)
        st = DD_ENOMEM;
    for (i = 0; st == DD_OK && i < w->res->n_docs; i++)
        size[label[i]]++;
    for (i = 0; st == DD_OK && i < n_cand; i++) { /* only pairs of a small and a large cluster */
        uint32_t a = (uint32_t)(cand[i] >> 32), b = (uint32_t)cand[i];
        pair_facts f;
        double order = 0;
        evid[i] = 0;
        if (sim[i] < so->attach_sim || (size[label[a]] < DD_STORY_CENTRE_MIN) == (size[label[b]] < DD_STORY_CENTRE_MIN))
            continue;
        f = facts_of_pair(m, idf, a, b);
        if (order_decides(&f))
            st = pair_order(m, a, b, &order);
        evid[i] = derivation(&f, order);
    }
    if (st == DD_OK)
        st = dd_story_attach(m->days, w->res->n_docs, cand, sim, evid, n_cand, q, so, label);
    free(size);
    free(evid);
    return st;
}

/* DEDUP_STAGE_TIMES: the story stage's steps too, each one's wall seconds and the peak memory
 * so far on stderr. */
static void step_tick(double *t, const char *step)
{
    const char *on = getenv("DEDUP_STAGE_TIMES");
    struct timespec now;
    struct rusage ru;
    double x;

    if (!on || !*on || strcmp(on, "0") == 0)
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    x = (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
    if (step && getrusage(RUSAGE_SELF, &ru) == 0)
        fprintf(stderr, "dedup: story step %s: %.2f s wall, peak %ld MiB\n", step, x - *t,
                ru.ru_maxrss / 1024);
    *t = x;
}

dd_status dd__story_run(dd__run *w)
{
    dd_result *res = w->res;
    struct dd__result_mem *m = res->mem;
    dd_story_opts so = dd_story_opts_default();
    dd_story_quotes q = {m->quote_h, m->quote_off};
    const dd_story_quotes *quotes = res->n_docs ? &q : NULL; /* no document, no offsets */
    uint64_t *cand = NULL;
    double *sim = NULL;
    size_t n_cand = 0;
    dd_idf *idf = NULL;
    double t = 0;
    dd_status st = dd_idf_new(w->o->seed, &idf);

    res->near_copy = malloc((res->n_docs + 1) * sizeof *res->near_copy);
    if (st != DD_OK || !res->near_copy) {
        dd_idf_free(idf);
        return DD_ENOMEM;
    }
    so.threshold = w->o->story_threshold;
    so.max_days = w->o->max_days;
    step_tick(&t, NULL);
    if (res->n_docs)
        dd__story_strip_lines(m, res->n_docs);
    st = copy_groups(res, res->near_copy);
    step_tick(&t, "boilerplate lines");
    if (st == DD_OK)
        st = dd__story_strip_runs(w, res, res->near_copy);
    step_tick(&t, "boilerplate runs");
    if (st == DD_OK)
        st = dd__story_facts(w, m, res->n_docs);
    step_tick(&t, "facts");
    if (st == DD_OK)
        st = load_idf(w->o, idf);
    if (st == DD_OK)
        st = dd__story_vectors(w, idf);
    step_tick(&t, "vectors");
    if (st == DD_OK)
        st = dd__story_candidates(w, &cand, &sim, &n_cand);
    step_tick(&t, "candidates");
    /* on MPI ranks every rank has the scored pairs; rank 0 clusters them and reports */
    if (st == DD_OK && !(w->shard && w->shard->rank != 0)) {
        uint32_t *label = malloc((res->n_docs + 1) * sizeof *label);
        st = label ? DD_OK : DD_ENOMEM;
        if (label) {
            memcpy(label, res->near_copy, res->n_docs * sizeof *label);
            st = dd_story_cluster(m->days, res->n_docs, cand, sim, n_cand, quotes, &so, label);
            step_tick(&t, "clusters");
            if (st == DD_OK)
                st = attach_derived(w, idf, cand, sim, n_cand, quotes, &so, label);
            step_tick(&t, "attach");
            if (st == DD_OK)
                st = story_pairs(w, cand, sim, n_cand, label);
            step_tick(&t, "pairs");
            if (st == DD_OK)
                st = extract(res, label);
            step_tick(&t, "extract");
        }
        free(label);
    }
    free(cand);
    free(sim);
    dd_idf_free(idf);
    return st;
}
