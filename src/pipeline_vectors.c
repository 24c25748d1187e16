/* Stories level, per document, on the run's threads: each document's facts (distinct names
 * and figures), document frequencies and whole tf-idf vectors, from the terms that stay
 * (pipeline_story_strip.c drops boilerplate first). Each step writes every document's
 * result in its own slots, then closes the gaps in document order, so nothing depends on
 * the thread count. pipeline_story.c scores and clusters what these leave in res->mem. */
#include "pipeline_stages.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- vectors --------------------------------------------------------------------------- */

/* Give back the unused tail of an array of n elements (kept as it is when realloc fails). */
static void shrink(void **p, size_t n, size_t size)
{
    void *q = realloc(*p, n * size);

    if (q)
        *p = q;
}

/* 1 + ln tf for the counts a term mostly has, looked up rather than computed (log was 2 % of
 * a stories run): the same log() call fills the table, so the weights are the same bits. */
enum { LTF_N = 64 };

typedef struct vec_job {
    struct dd__result_mem *m;
    const dd_idf *idf;
    double *idfw; /* each distinct term's idf weight, by rank: looked up once, not per use */
    size_t max;
    double ltf[LTF_N];
} vec_job;

/* The idf weights of ranks [lo, hi). */
static dd_status idf_range(void *ctx, size_t part, size_t lo, size_t hi)
{
    vec_job *j = ctx;
    size_t r;

    (void)part;
    for (r = lo; r < hi; r++)
        j->idfw[r] = dd_idf_weight(j->idf, j->m->vhash[r]);
    return DD_OK;
}

/* Vectors of documents [lo, hi): each writes only its own slots, at offsets fixed before. */
static dd_status vec_range(void *ctx, size_t part, size_t lo, size_t hi)
{
    vec_job *j = ctx;
    struct dd__result_mem *m = j->m;
    double *w = malloc(j->max * sizeof *w);
    size_t d, i;

    (void)part; /* ranges write their own documents' slots */
    if (!w)
        return DD_ENOMEM;
    for (d = lo; d < hi; d++) { /* dd_story_vector's weights, from the distinct terms and tfs */
        size_t v0 = m->voff[d], n = m->voff[d + 1] - v0;
        double norm = 0;
        for (i = 0; i < n; i++) {
            float tf = m->vw[v0 + i];
            w[i] = (tf < LTF_N ? j->ltf[(size_t)tf] : 1.0 + log((double)tf)) *
                   j->idfw[m->vid[v0 + i]];
            norm += w[i] * w[i];
        }
        norm = norm > 0 ? sqrt(norm) : 1;
        for (i = 0; i < n; i++)
            m->vw[v0 + i] = (float)(w[i] / norm);
    }
    free(w);
    return DD_OK;
}

/* Frequencies of documents outside the run (dd_pipeline_opts.extra_df: a stored index), for
 * the run's terms only, so a query weighs terms as a batch over store + query would. */
static dd_status add_extra_df(dd__run *w, dd_idf *idf)
{
    const struct dd__result_mem *m = w->res->mem;
    size_t total = m->voff[w->res->n_docs];
    uint64_t *t = malloc((total + 1) * sizeof *t);
    uint32_t *df = NULL;
    size_t n = 0, docs = 0;
    dd_status st = DD_ENOMEM;

    if (t) { /* the run's distinct terms: its vectors' */
        for (n = 0; n < total; n++)
            t[n] = m->vhash[m->vid[n]];
        n = dd__sort_unique_u64(t, total);
        df = calloc(n + 1, sizeof *df);
    }
    if (df)
        st = w->o->extra_df(w->o->extra_df_ud, t, n, df, &docs);
    if (st == DD_OK)
        st = dd_idf_add_counts(idf, t, df, n, docs);
    free(t);
    free(df);
    return st;
}

/* Each document's distinct terms, sorted by hash, written from its first term's slot on (a
 * vector has at most as many entries as its document has terms; the document's terms are all
 * read first): in each slot the term's rank in hash order (vid) and its first mention (its
 * place among the document's terms), and its count in vw; the number of distinct terms goes
 * to voff[d + 1]. Ranks keep the hashes' order, so sorting, merging and summing by rank do
 * what they did by hash. */
typedef struct distinct_job {
    struct dd__result_mem *m;
    uint32_t *rank; /* term id -> rank of its hash */
} distinct_job;

static dd_status distinct_range(void *ctx, size_t part, size_t lo, size_t hi)
{
    distinct_job *j = ctx;
    struct dd__result_mem *m = j->m;
    uint64_t *tmp = NULL;
    size_t d, i, k, cap = 0;

    (void)part; /* ranges write their own documents' slots */
    for (d = lo; d < hi; d++) {
        size_t t0 = m->term_off[d], n = m->term_off[d + 1] - t0, u = 0;
        if (dd__grow((void **)&tmp, &cap, n + 1, sizeof *tmp) != DD_OK) {
            free(tmp);
            return DD_ENOMEM;
        }
        /* rank, then place: one 8-byte key, and a term's first place leads its run */
        for (i = 0; i < n; i++)
            tmp[i] = (uint64_t)j->rank[m->terms[t0 + i].id] << 32 | i;
        dd__sort_u64(tmp, n);
        for (i = 0; i < n; i = k, u++) {
            for (k = i + 1; k < n && tmp[k] >> 32 == tmp[i] >> 32; k++)
                ;
            m->terms[t0 + u] = (dd__cterm){(uint32_t)(tmp[i] >> 32), (uint32_t)tmp[i]};
            m->vw[t0 + u] = (float)(k - i); /* its tf, until vec_range weighs it */
        }
        m->voff[d + 1] = u;
    }
    free(tmp);
    return DD_OK;
}

/* The run's distinct term hashes ascending into m->vhash, and each term id's rank among them
 * (returned; NULL when out of memory). */
static uint32_t *rank_terms(struct dd__result_mem *m)
{
    size_t n = m->dict_n, i;
    dd__hw *t = malloc((n + 1) * sizeof *t);
    uint32_t *rank = malloc((n + 1) * sizeof *rank);

    m->vhash = malloc((n + 1) * sizeof *m->vhash);
    if (!t || !rank || !m->vhash) {
        free(t);
        free(rank);
        return NULL;
    }
    for (i = 0; i < n; i++)
        t[i] = (dd__hw){m->term_hash[i], (double)i};
    dd__sort_hw_hash(t, n); /* the dictionary's hashes are distinct */
    for (i = 0; i < n; i++) {
        m->vhash[i] = t[i].h;
        rank[(size_t)t[i].w] = (uint32_t)i;
    }
    free(t);
    return rank;
}

/* Document frequencies by parts of the hash space: each task reads every document's
 * distinct terms once and counts those of its parts, each part in a table of its own, so the
 * shared table gets one addition per distinct term instead of one per document and term.
 * A part's table is the same whichever task fills it (terms come in document order). */
#define DF_PARTS 16

typedef struct df_part {
    uint64_t *h; /* 0 = empty; a real 0 is counted as 1, as dd_idf does */
    uint32_t *c;
    size_t cap, n;
} df_part;

typedef struct df_job {
    const struct dd__result_mem *m;
    size_t lo, hi; /* the documents counted: this rank's slice */
    df_part *part;
} df_job;

static size_t df_slot(const df_part *p, uint64_t h)
{
    size_t i = (size_t)(h * 0x9E3779B97F4A7C15ULL >> 24) & (p->cap - 1);

    while (p->h[i] && p->h[i] != h)
        i = (i + 1) & (p->cap - 1);
    return i;
}

static dd_status df_grow(df_part *p)
{
    df_part q = {NULL, NULL, p->cap ? 2 * p->cap : 4096, p->n};
    size_t i;

    q.h = calloc(q.cap, sizeof *q.h);
    q.c = calloc(q.cap, sizeof *q.c); /* empty slots count 0: dd_idf_add_counts skips them */
    if (!q.h || !q.c) {
        free(q.h);
        free(q.c);
        return DD_ENOMEM;
    }
    for (i = 0; i < p->cap; i++)
        if (p->h[i]) {
            size_t k = df_slot(&q, p->h[i]);
            q.h[k] = p->h[i];
            q.c[k] = p->c[i];
        }
    free(p->h);
    free(p->c);
    *p = q;
    return DD_OK;
}

static dd_status df_range(void *ctx, size_t task, size_t lo, size_t hi)
{
    df_job *j = ctx;
    const struct dd__result_mem *m = j->m;
    size_t part, d, i;

    (void)task; /* tasks fill their own parts */
    for (d = j->lo; d < j->hi; d++)
        for (i = m->voff[d]; i < m->voff[d + 1]; i++) {
            uint64_t h = m->vhash[m->vid[i]] ? m->vhash[m->vid[i]] : 1;
            size_t k;
            df_part *p;
            part = (h >> 60) % DF_PARTS;
            if (part < lo || part >= hi)
                continue;
            p = &j->part[part];
            if ((p->n + 1) * 2 > p->cap && df_grow(p) != DD_OK)
                return DD_ENOMEM;
            k = df_slot(p, h);
            if (!p->h[k]) {
                p->h[k] = h;
                p->n++;
            }
            p->c[k]++;
        }
    return DD_OK;
}

/* One counted term, as the ranks exchange them. */
typedef struct df_entry {
    uint64_t h;
    uint64_t c;
} df_entry;

/* On MPI ranks: every rank's counts (of its slice of the documents) to every rank, summed
 * into idf in rank order. Counts add, so the sums are the one process's counts. */
static dd_status share_df(const dd__run *w, const df_job *j, dd_idf *idf)
{
    const dd__shard *sh = w->shard;
    df_entry *mine = NULL;
    void *all = NULL;
    size_t n = 0, cap = 0, all_cap = 0, p, i, *lens = calloc(sh->ranks, sizeof *lens);
    dd_status st = lens ? DD_OK : DD_ENOMEM;

    for (p = 0; st == DD_OK && p < DF_PARTS; p++)
        for (i = 0; st == DD_OK && i < j->part[p].cap; i++) {
            if (!j->part[p].c[i])
                continue;
            st = dd__grow((void **)&mine, &cap, n + 1, sizeof *mine);
            if (st == DD_OK)
                mine[n++] = (df_entry){j->part[p].h[i], j->part[p].c[i]};
        }
    if (st == DD_OK)
        st = sh->allgather(sh->ud, mine, n * sizeof *mine, &all, &all_cap, lens);
    for (p = 0, i = 0; st == DD_OK && p < sh->ranks; i += lens[p++] / sizeof *mine) {
        size_t k;
        for (k = 0; st == DD_OK && k < lens[p] / sizeof *mine; k++) {
            df_entry e;
            uint32_t c;
            memcpy(&e, (const char *)all + (i + k) * sizeof e, sizeof e);
            c = (uint32_t)e.c;
            st = dd_idf_add_counts(idf, &e.h, &c, 1, 0);
        }
    }
    free(mine);
    free(all);
    free(lens);
    return st;
}

/* Add the corpus document frequencies of the documents' distinct terms to idf. On MPI ranks
 * each rank counts its slice of the documents and the counts are summed across the ranks. */
static dd_status count_df(const dd__run *w, dd_idf *idf)
{
    df_job j = {w->res->mem, 0, 0, calloc(DF_PARTS, sizeof *j.part)};
    dd_status st = j.part ? DD_OK : DD_ENOMEM;
    size_t p;

    dd__rank_slice(w->shard, w->res->n_docs, &j.lo, &j.hi);
    if (st == DD_OK)
        st = dd__parallel_for(dd__thread_count(w->o), DF_PARTS, df_range, &j);
    if (st == DD_OK && w->shard && w->shard->ranks > 1)
        st = share_df(w, &j, idf);
    else
        for (p = 0; st == DD_OK && p < DF_PARTS; p++)
            if (j.part[p].cap)
                st = dd_idf_add_counts(idf, j.part[p].h, j.part[p].c, j.part[p].cap, 0);
    if (st == DD_OK)
        st = dd_idf_add_counts(idf, NULL, NULL, 0, w->res->n_docs);
    for (p = 0; j.part && p < DF_PARTS; p++) {
        free(j.part[p].h);
        free(j.part[p].c);
    }
    free(j.part);
    return st;
}

/* Corpus document frequencies, then each document's whole tf-idf vector (on the run's
 * threads): scoring uses every term (a top-K cut drops the shared middle-weight terms a
 * rewrite keeps); only the candidate signatures use the top K. */
dd_status dd__story_vectors(dd__run *w, dd_idf *idf)
{
    dd_result *res = w->res;
    struct dd__result_mem *m = res->mem;
    size_t d, max = 1, total, threads = dd__thread_count(w->o);
    dd_status st;
    vec_job job;
    distinct_job dj;

    for (d = 0; d < res->n_docs; d++)
        max = m->term_off[d + 1] - m->term_off[d] > max ? m->term_off[d + 1] - m->term_off[d]
                                                        : max;
    m->voff = malloc((res->n_docs + 1) * sizeof *m->voff);
    if (!m->voff)
        return DD_ENOMEM;
    m->voff[0] = 0;
    /* The vectors take the terms' place: each distinct term's rank and first mention in the
     * 8 bytes of a term (so no second copy of them), counts in an array as long as the terms
     * until packed; then the first mentions are copied out and the ranks packed in place
     * (4 bytes from each 8: a write never reaches a slot not read yet). Everything after
     * reads the vectors (first mentions included). */
    m->vw = malloc((m->n_terms + 1) * sizeof *m->vw);
    dj.m = m;
    dj.rank = m->vw ? rank_terms(m) : NULL;
    if (!dj.rank || dd__parallel_for(threads, res->n_docs, distinct_range, &dj) != DD_OK) {
        free(dj.rank);
        return DD_ENOMEM;
    }
    free(dj.rank);
    for (d = 0; d < res->n_docs; d++) { /* in order: voff[d] <= term_off[d] */
        size_t n = m->voff[d + 1], from = m->term_off[d];
        m->voff[d + 1] = m->voff[d] + n; /* a vector has one entry per distinct term */
        memmove(m->terms + m->voff[d], m->terms + from, n * sizeof *m->terms);
        memmove(m->vw + m->voff[d], m->vw + from, n * sizeof *m->vw);
    }
    total = m->voff[res->n_docs];
    shrink((void **)&m->vw, total + 1, sizeof *m->vw);
    shrink((void **)&m->terms, total + 1, sizeof *m->terms);
    if (!(m->vpos = malloc((total + 1) * sizeof *m->vpos)))
        return DD_ENOMEM;
    for (d = 0; d < total; d++)
        m->vpos[d] = m->terms[d].tok;
    for (d = 0; d < total; d++) { /* memcpy: the bytes change type as they go */
        uint32_t r = m->terms[d].id;
        memcpy((char *)m->terms + d * sizeof r, &r, sizeof r);
    }
    m->vid = (uint32_t *)(void *)m->terms;
    m->terms = NULL;
    m->n_terms = m->terms_cap = 0;
    shrink((void **)&m->vid, total + 1, sizeof *m->vid);
    st = count_df(w, idf);
    if (st == DD_OK && w->o->extra_df)
        st = add_extra_df(w, idf);
    job.m = m;
    job.idf = idf;
    job.max = max;
    for (d = 0; d < LTF_N; d++)
        job.ltf[d] = 1.0 + log((double)d);
    job.idfw = st == DD_OK ? malloc((m->dict_n + 1) * sizeof *job.idfw) : NULL;
    if (st == DD_OK && !job.idfw)
        st = DD_ENOMEM;
    if (st == DD_OK)
        st = dd__parallel_for(threads, m->dict_n, idf_range, &job);
    if (st == DD_OK)
        st = dd__parallel_for(threads, res->n_docs, vec_range, &job);
    free(job.idfw);
    return st;
}

/* ---- facts ------------------------------------------------------------------------------ */

/* What a wire editor compares first: the names and figures a report states. Rewrites of one
 * report state the same ones; the next development of a saga brings its own figures. */

typedef struct fact_job {
    struct dd__result_mem *m;
    size_t max;
    size_t *n; /* per document: its distinct facts, written from fact_off[d] */
} fact_job;

static bool is_fact(dd__cterm t)
{
    return (dd__cterm_flags(t) & (DD_TERM_FIGURE | DD_TERM_NAME)) != 0;
}

/* Which facts a report shows (pipeline_story.c, pair_fact_lists): a fact first mentioned
 * where none of the document's lead facts (the names and figures among its first FACT_LEAD
 * content terms: the headline and the opening sentence; all those terms when fewer than
 * FACT_LEAD_MIN are facts) follows within FACT_NEAR terms is set aside, on a web page's
 * promotion block, a subscription offer or a menu rather than in the news ("What is
 * AAPNews?"); the report still tells the development by the facts of its story. Display
 * only: the evidence of the clusters counts every fact. */
#define FACT_LEAD 40
#define FACT_NEAR 40
#define FACT_LEAD_MIN 3

/* A lead fact's ids: a 256-bit filter on the id's low bits first (most terms are not lead
 * facts: one test, not a binary search, for them), then the sorted ids. */
typedef struct lead_set {
    uint32_t id[FACT_LEAD];
    size_t n;
    uint64_t filter[4];
} lead_set;

static bool in_lead(const lead_set *l, uint32_t id)
{
    return (l->filter[(id >> 6) & 3] >> (id & 63) & 1) && dd__has_u32(l->id, l->n, id);
}

/* The facts of document d, one entry a mention, into tmp (returns how many): the hash, and
 * 8 x token + 4 x set aside + kind packed in the weight, so the smallest of a hash's entries
 * is its first mention. A mention stays when a lead fact comes earlier on its line (walking
 * forward) or within FACT_NEAR terms after it (walking back). */
static size_t fact_mentions(const struct dd__result_mem *m, size_t d, dd__hw *tmp)
{
    size_t t0 = m->term_off[d], t1 = m->term_off[d + 1], n = 0, i, k, next = SIZE_MAX;
    lead_set lead = {{0}, 0, {0, 0, 0, 0}};
    bool lead_on_line = false;

    for (i = t0; i < t1 && i - t0 < FACT_LEAD; i++) /* the lead's names and figures */
        if (is_fact(m->terms[i]))
            lead.id[lead.n++] = m->terms[i].id;
    if (lead.n < FACT_LEAD_MIN) /* too few to tell the story by: all its terms */
        for (lead.n = 0, i = t0; i < t1 && lead.n < FACT_LEAD; i++)
            lead.id[lead.n++] = m->terms[i].id;
    qsort(lead.id, lead.n, sizeof *lead.id, dd__cmp_u32);
    for (i = 0; i < lead.n; i++)
        lead.filter[(lead.id[i] >> 6) & 3] |= (uint64_t)1 << (lead.id[i] & 63);
    for (i = t0; i < t1; i++) {
        dd__cterm t = m->terms[i];
        bool lead_here = in_lead(&lead, t.id);
        if (dd__cterm_flags(t) & DD__TERM_LINE)
            lead_on_line = false;
        lead_on_line = lead_on_line || lead_here;
        if (is_fact(t))
            tmp[n++] = (dd__hw){m->term_hash[t.id],
                                8.0 * dd__cterm_token(t) + (lead_on_line ? 0 : 4) +
                                    (dd__cterm_flags(t) & (DD_TERM_FIGURE | DD_TERM_NAME))};
    }
    for (k = n, i = t1; i-- > t0;) { /* the same mentions, last first: a lead fact ahead? */
        dd__cterm t = m->terms[i];
        if (in_lead(&lead, t.id))
            next = i;
        if (is_fact(t) && --k < n && next != SIZE_MAX && next - i <= FACT_NEAR)
            tmp[k].w = (double)((uint64_t)tmp[k].w & ~(uint64_t)4);
    }
    return n;
}

/* The distinct facts of documents [lo, hi), each written from its fact_off: sorted by hash
 * (the inlined introsort, not qsort's merge sort through a comparator: 2.4 % of a stories
 * run), each with its first mention, kind and whether it is set aside. */
static dd_status fact_range(void *ctx, size_t part, size_t lo, size_t hi)
{
    fact_job *j = ctx;
    struct dd__result_mem *m = j->m;
    dd__hw *tmp = malloc(j->max * sizeof *tmp);
    size_t d, k, e;

    (void)part; /* ranges write their own documents' slots */
    if (!tmp)
        return DD_ENOMEM;
    for (d = lo; d < hi; d++) {
        size_t n = fact_mentions(m, d, tmp), w = m->fact_off[d];
        dd__sort_hw_hash(tmp, n);
        for (k = 0; k < n; k = e) {
            double first = tmp[k].w;
            for (e = k + 1; e < n && tmp[e].h == tmp[k].h; e++)
                first = tmp[e].w < first ? tmp[e].w : first;
            m->fact_h[w] = tmp[k].h;
            m->fact_pos[w] = (uint32_t)(first / 8);
            m->fact_aside[w] = (uint8_t)((uint64_t)first >> 2 & 1);
            m->fact_k[w++] = (uint8_t)((uint64_t)first & 3);
        }
        j->n[d] = w - m->fact_off[d];
    }
    free(tmp);
    return DD_OK;
}

/* Each document's facts: the distinct names and figures among its content terms (after
 * boilerplate is stripped, so a shared footer's names are nobody's facts), sorted by hash,
 * found on the run's threads. */
dd_status dd__story_facts(const dd__run *w, struct dd__result_mem *m, size_t n_docs)
{
    size_t d, i, total = 0, at = 0;
    fact_job j = {m, 1, malloc((n_docs + 1) * sizeof *j.n)};
    dd_status st;

    m->fact_off = malloc((n_docs + 1) * sizeof *m->fact_off);
    if (!j.n || !m->fact_off) {
        free(j.n);
        return DD_ENOMEM;
    }
    for (d = 0; d < n_docs; d++) { /* room for every flagged term; repeats close up below */
        size_t c = 0;
        for (i = m->term_off[d]; i < m->term_off[d + 1]; i++)
            c += is_fact(m->terms[i]);
        m->fact_off[d] = total;
        total += c;
        j.max = c > j.max ? c : j.max;
    }
    m->fact_h = malloc((total + 1) * sizeof *m->fact_h);
    m->fact_k = malloc(total + 1);
    m->fact_pos = malloc((total + 1) * sizeof *m->fact_pos);
    m->fact_aside = malloc(total + 1);
    st = m->fact_h && m->fact_k && m->fact_pos && m->fact_aside ? DD_OK : DD_ENOMEM;
    if (st == DD_OK)
        st = dd__parallel_for(dd__thread_count(w->o), n_docs, fact_range, &j);
    for (d = 0; st == DD_OK && d < n_docs; d++) { /* in order: at <= fact_off[d] */
        size_t from = m->fact_off[d];
        memmove(m->fact_h + at, m->fact_h + from, j.n[d] * sizeof *m->fact_h);
        memmove(m->fact_pos + at, m->fact_pos + from, j.n[d] * sizeof *m->fact_pos);
        memmove(m->fact_k + at, m->fact_k + from, j.n[d]);
        memmove(m->fact_aside + at, m->fact_aside + from, j.n[d]);
        m->fact_off[d] = at;
        at += j.n[d];
    }
    m->fact_off[n_docs] = at;
    free(j.n);
    return st;
}
