/* Stories level, per document, on the run's threads: the content terms that stay, with the
 * terms on boilerplate lines (found by the copies pass) and boilerplate runs (term trigrams
 * many copies groups share near a document's head or tail) dropped. Each step writes every
 * document's result in its own slots, then closes the gaps in document order, so nothing
 * depends on the thread count. pipeline_vectors.c builds the vectors from what stays. */
#include "pipeline_stages.h"

#include <stdlib.h>
#include <string.h>

/* Drop terms that sit on boilerplate lines (lines are sorted by document after the copies
 * pass), unless that would leave the document with none. Compacts m->terms in place. */
void dd__story_strip_lines(struct dd__result_mem *m, size_t n_docs)
{
    size_t d, li = 0, wpos = 0, i;

    for (d = 0; d < n_docs; d++) {
        size_t lo = m->term_off[d], hi = m->term_off[d + 1], n_ln = 0, kept = 0, first_bp;
        while (li + n_ln < m->n_lines && m->lines[li + n_ln].doc == d)
            n_ln++;
        for (first_bp = li; first_bp < li + n_ln && !m->lines[first_bp].bp; first_bp++)
            ;
        for (i = lo; first_bp < li + n_ln && i < hi; i++) { /* most documents have none */
            size_t j;
            bool bp = false;
            for (j = first_bp; j < li + n_ln && !bp; j++)
                bp = m->lines[j].bp && dd__cterm_token(m->terms[i]) >= m->lines[j].a &&
                     dd__cterm_token(m->terms[i]) < m->lines[j].b;
            if (!bp)
                m->terms[wpos + kept++] = m->terms[i];
        }
        if (kept == 0) { /* no boilerplate line, or all boilerplate: every term stays */
            if (wpos != lo)
                memmove(m->terms + wpos, m->terms + lo, (hi - lo) * sizeof *m->terms);
            kept = hi - lo;
        }
        li += n_ln;
        m->term_off[d] = wpos;
        wpos += kept;
    }
    m->term_off[n_docs] = wpos;
    m->n_terms = wpos;
}

/* Boilerplate runs. A footer glued to a story's last paragraph, hard-wrapped with it, or on
 * one line of HTML with the rest is on no line of its own, so the line test of the copies
 * pass cannot see it. Here the unit is a run of content terms: each term trigram among a
 * document's first RUN_HEAD and last RUN_TAIL terms (where headers and footers sit) is
 * counted once per copies group, and a stretch of RUN_MIN or more terms whose every trigram
 * occurs in RUN_GROUPS or more groups is dropped from the story vector. Copies of one story
 * are one group, so a story reprinted many times strips nothing; a run of RUN_MIN terms is
 * a sentence or more, so a name or a phrase many stories share is not a run. */
#define RUN_HEAD 40
#define RUN_TAIL 120
#define RUN_MIN 10
#define RUN_GROUPS 4

/* A trigram's 32-bit id: the high half of its hash (from the terms' hashes, th[id]). Two
 * trigrams sharing an id (about one pair in 2^32) count as one, which can only make a run a
 * little likelier. */
static uint32_t trigram(const uint64_t *th, const dd__cterm *t)
{
    uint64_t h = th[t[0].id] * 0x9E3779B97F4A7C15ULL ^ th[t[1].id] * 0xC2B2AE3D27D4EB4FULL ^
                 th[t[2].id] * 0x165667B19E3779F9ULL; /* the term hashes are already XXH3 */
    return (uint32_t)(dd__fmix64(h) >> 32);
}

/* Is term i of a document of n terms (from lo) inside the head or tail window? */
static bool in_window(size_t i, size_t lo, size_t n)
{
    return i - lo < RUN_HEAD || i - lo + RUN_TAIL >= n;
}

typedef struct run_job {
    struct dd__result_mem *m;
    const uint32_t *group;
    size_t *at; /* where each document's keys of this pass start */
    uint32_t *cnt; /* per document and pass: its window positions in that pass */
    uint64_t *k;
    unsigned pass; /* common_trigrams: the ids whose top RUN_PASS_BITS bits are this */
    const uint32_t *common;
    size_t n_common, max;
    const uint64_t *seen; /* bit (id >> SEEN_SHIFT) set for each common id: most ids are not */
    uint32_t *set;        /* the common ids, hashed (common_set) */
    size_t set_mask;
    bool has_zero;
    size_t *kept; /* per document: terms kept by strip_range */
} run_job;

/* The trigram ids are grouped in 2^RUN_PASS_BITS passes, each over the ids of one part of the
 * id space, so the keys and their sort hold a quarter of the window positions at a time:
 * all at once, they were the peak of a stories run (8 + 8 bytes a window position). One
 * sweep first counts each document's positions in every pass (4 bytes a document and pass),
 * so each pass makes the ids once more, not twice (8 % of a stories run's instructions). */
#define RUN_PASS_BITS 2

static bool in_pass(uint32_t id, unsigned pass)
{
    return id >> (32 - RUN_PASS_BITS) == pass;
}

/* The window positions of documents [lo, hi): counted by pass into j->cnt (counting, j->k
 * NULL: one sweep for every pass), or this pass's keys (trigram id, copies group) written
 * from j->at[d] on. */
static dd_status key_range(void *ctx, size_t part, size_t lo, size_t hi)
{
    run_job *j = ctx;
    const struct dd__result_mem *m = j->m;
    size_t d, i;

    (void)part; /* ranges write their own documents' slots */
    for (d = lo; d < hi; d++) {
        size_t t0 = m->term_off[d], t1 = m->term_off[d + 1], n = j->k ? j->at[d] : 0;
        uint32_t *cnt = j->cnt + (d << RUN_PASS_BITS);
        for (i = t0; i + 2 < t1; i++) {
            uint32_t id;
            if (!in_window(i, t0, t1 - t0) || !in_window(i + 2, t0, t1 - t0))
                continue;
            id = trigram(m->term_hash, m->terms + i);
            if (!j->k)
                cnt[id >> (32 - RUN_PASS_BITS)]++;
            else if (in_pass(id, j->pass))
                j->k[n++] = (uint64_t)id << 32 | j->group[d];
        }
    }
    return DD_OK;
}

/* The trigram ids found in RUN_GROUPS or more copies groups, sorted; *n_out of them. Each
 * (id, group) is one 64-bit value, so one sort and one pass count the groups: 8 bytes a
 * window position (at most RUN_HEAD + RUN_TAIL a document) of one pass at a time, freed
 * before the vectors are built. Every member counts for its group: a copy may carry a
 * footer its first member lacks. The keys are made on the run's threads. */
static dd_status common_trigrams(run_job *j, size_t n_docs, size_t threads, uint32_t **out,
                                 size_t *n_out)
{
    size_t d, i, n, u = 0, cap = 0, k_cap = 0;
    size_t *at = malloc((n_docs + 1) * sizeof *at);
    uint32_t *cnt = calloc((n_docs + 1) << RUN_PASS_BITS, sizeof *cnt);
    uint64_t *k = NULL;
    uint32_t *ids = NULL;
    dd_status st = at && cnt ? DD_OK : DD_ENOMEM;

    *out = NULL;
    *n_out = 0;
    j->at = at;
    j->cnt = cnt;
    j->k = NULL; /* count every pass's keys first, in one sweep */
    if (st == DD_OK)
        (void)dd__parallel_for(threads, n_docs, key_range, j); /* cannot fail */
    for (j->pass = 0; st == DD_OK && j->pass < 1u << RUN_PASS_BITS; j->pass++) {
        for (n = 0, d = 0; d < n_docs; d++) {
            at[d] = n;
            n += cnt[(d << RUN_PASS_BITS) + j->pass];
        }
        if (dd__grow((void **)&k, &k_cap, n + 1, sizeof *k) != DD_OK) {
            st = DD_ENOMEM;
            break;
        }
        j->k = k;
        (void)dd__parallel_for(threads, n_docs, key_range, j); /* cannot fail */
        n = dd__sort_unique_u64_mt(k, n, threads);
        for (i = 0; i < n;) { /* ids of RUN_GROUPS distinct groups; passes ascend by id */
            size_t e = i;
            while (e < n && k[e] >> 32 == k[i] >> 32)
                e++;
            if (e - i >= RUN_GROUPS) {
                if (dd__grow((void **)&ids, &cap, u + 1, sizeof *ids) != DD_OK) {
                    st = DD_ENOMEM;
                    break;
                }
                ids[u++] = (uint32_t)(k[i] >> 32);
            }
            i = e;
        }
    }
    free(at);
    free(cnt);
    free(k);
    j->at = NULL;
    j->cnt = NULL;
    j->k = NULL;
    if (st != DD_OK) {
        free(ids);
        return st;
    }
    *out = ids ? ids : malloc(sizeof *ids);
    if (!*out)
        return DD_ENOMEM;
    *n_out = u;
    return DD_OK;
}

#define SEEN_SHIFT 6 /* a bitmap of 2^26 bits, 8 MB */

/* The common ids as an open-addressing set (ids are the high halves of mixed hashes, so
 * their low bits spread; 0 marks an empty slot and has_zero stands for the id 0): a probe,
 * not a binary search over millions of ids, for each window position the bitmap lets by. */
static bool is_common(const run_job *j, uint32_t id)
{
    uint32_t b = id >> SEEN_SHIFT;
    size_t i;

    if (!(j->seen[b / 64] >> (b % 64) & 1))
        return false;
    if (id == 0)
        return j->has_zero;
    for (i = id & j->set_mask; j->set[i]; i = (i + 1) & j->set_mask)
        if (j->set[i] == id)
            return true;
    return false;
}

static dd_status common_set(run_job *j)
{
    size_t cap = 16, i, k;

    while (cap < 2 * j->n_common)
        cap *= 2;
    if (!(j->set = calloc(cap, sizeof *j->set)))
        return DD_ENOMEM;
    j->set_mask = cap - 1;
    for (k = 0; k < j->n_common; k++) {
        uint32_t id = j->common[k];
        if (id == 0) {
            j->has_zero = true;
            continue;
        }
        for (i = id & j->set_mask; j->set[i]; i = (i + 1) & j->set_mask)
            ;
        j->set[i] = id;
    }
    return DD_OK;
}

/* Mark the terms of document [lo, hi) that lie in a boilerplate run (drop[i - lo]); returns
 * how many are kept. */
static size_t mark_runs(const struct dd__result_mem *m, size_t lo, size_t hi, const run_job *j,
                        uint8_t *drop)
{
    size_t i, run = 0, kept = 0;

    memset(drop, 0, hi - lo);
    for (i = lo; i + 2 < hi; i++) { /* trigram i covers terms i..i+2 */
        bool c = in_window(i, lo, hi - lo) && in_window(i + 2, lo, hi - lo) &&
                 is_common(j, trigram(m->term_hash, m->terms + i));
        run = c ? run + 1 : 0;
        if (run && run + 2 >= RUN_MIN) { /* mark the whole run so far */
            size_t e;
            for (e = i + 3 - (run + 2); e < i + 3; e++)
                drop[e - lo] = 1;
        }
    }
    for (i = lo; i < hi; i++)
        kept += !drop[i - lo];
    return kept;
}

/* Strip the runs of documents [lo, hi), each inside its own slots: its kept terms move to
 * the front of them (all stay when all would go); kept[d] gets their count. */
static dd_status strip_range(void *ctx, size_t part, size_t lo, size_t hi)
{
    run_job *j = ctx;
    struct dd__result_mem *m = j->m;
    uint8_t *drop = malloc(j->max);
    size_t d, i;

    (void)part; /* ranges write their own documents' slots */
    if (!drop)
        return DD_ENOMEM;
    for (d = lo; d < hi; d++) {
        size_t t0 = m->term_off[d], t1 = m->term_off[d + 1], w = t0;
        size_t kept = mark_runs(m, t0, t1, j, drop);
        if (kept == 0) /* all boilerplate: keep what there was */
            memset(drop, 0, t1 - t0);
        for (i = t0; i < t1; i++)
            if (!drop[i - t0])
                m->terms[w++] = m->terms[i];
        j->kept[d] = w - t0;
    }
    free(drop);
    return DD_OK;
}

dd_status dd__story_strip_runs(const dd__run *w, dd_result *res, const uint32_t *group)
{
    struct dd__result_mem *m = res->mem;
    size_t d, wpos = 0, threads = dd__thread_count(w->o);
    run_job j = {m, group, NULL, NULL, NULL, 0, NULL, 0, 1, NULL, NULL, 0, false, NULL};
    uint64_t *seen = NULL;
    uint32_t *common = NULL;
    dd_status st = common_trigrams(&j, res->n_docs, threads, &common, &j.n_common);

    if (st != DD_OK || j.n_common == 0) {
        free(common);
        return st;
    }
    for (d = 0; d < res->n_docs; d++)
        j.max = m->term_off[d + 1] - m->term_off[d] > j.max ? m->term_off[d + 1] - m->term_off[d]
                                                            : j.max;
    j.common = common;
    j.kept = malloc((res->n_docs + 1) * sizeof *j.kept);
    seen = calloc(((size_t)1 << (32 - SEEN_SHIFT)) / 64, sizeof *seen);
    for (d = 0; seen && d < j.n_common; d++)
        seen[(common[d] >> SEEN_SHIFT) / 64] |= (uint64_t)1 << ((common[d] >> SEEN_SHIFT) % 64);
    j.seen = seen;
    st = j.kept && seen ? common_set(&j) : DD_ENOMEM;
    if (st == DD_OK)
        st = dd__parallel_for(threads, res->n_docs, strip_range, &j);
    for (d = 0; st == DD_OK && d < res->n_docs; d++) { /* in order: wpos <= term_off[d] */
        size_t t0 = m->term_off[d], n = m->term_off[d + 1] - t0;
        res->n_story_stripped += j.kept[d] < n;
        if (wpos != t0) /* nothing stripped before it: already in place */
            memmove(m->terms + wpos, m->terms + t0, j.kept[d] * sizeof *m->terms);
        m->term_off[d] = wpos;
        wpos += j.kept[d];
    }
    if (st == DD_OK) {
        m->term_off[res->n_docs] = wpos;
        m->n_terms = wpos;
    }
    free(j.kept);
    free(j.set);
    free(seen);
    free(common);
    return st;
}
