/* Explain stage: two texts -> scores + aligned shared passages. Shingle sets and scores come
 * from the same normalizer, shingler and verifier as the pipeline, so `explain` never
 * disagrees with a report about Jaccard or containment. Passages need positions in the
 * original text, which whole-text tokens do not keep, so each whitespace-separated word is
 * normalized on its own and its tokens remember the word's bytes. A passage is a maximal run
 * of shingles that follow each other in both texts (greedy, left to right in A), which is
 * what a reader sees as "the same sentence". */
#include <dedup/dedup.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Tokens of one text with the byte range of the word each came from. */
typedef struct toks {
    dd__arena strings;
    dd_span *t;
    size_t *off, *end;
    size_t n, cap_t, cap_off, cap_end;
    uint64_t *sh; /* shingle hashes in text order */
    size_t n_sh;
} toks;

static void toks_free(toks *x)
{
    dd__arena_free(&x->strings);
    free(x->t);
    free(x->off);
    free(x->end);
    free(x->sh);
}

static dd_status push_tok(toks *x, const dd_span *s, size_t off, size_t end)
{
    char *p;

    if (dd__grow((void **)&x->t, &x->cap_t, x->n + 1, sizeof *x->t) != DD_OK ||
        dd__grow((void **)&x->off, &x->cap_off, x->n + 1, sizeof *x->off) != DD_OK ||
        dd__grow((void **)&x->end, &x->cap_end, x->n + 1, sizeof *x->end) != DD_OK ||
        !(p = dd__arena_strndup(&x->strings, s->ptr, s->len)))
        return DD_ENOMEM;
    x->t[x->n].ptr = p;
    x->t[x->n].len = s->len;
    x->off[x->n] = off;
    x->end[x->n] = end;
    x->n++;
    return DD_OK;
}

static bool space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static dd_status tokenize_words(dd_normalizer *nz, const char *text, size_t len, toks *x)
{
    size_t i = 0;
    dd_status st = DD_OK;

    dd__arena_init(&x->strings);
    while (st == DD_OK && i < len) {
        size_t s, k, n = 0;
        const dd_span *t;
        while (i < len && space(text[i]))
            i++;
        s = i;
        while (i < len && !space(text[i]))
            i++;
        if (i == s)
            break;
        st = dd_normalize(nz, text + s, i - s, &t, &n);
        for (k = 0; st == DD_OK && k < n; k++)
            st = push_tok(x, &t[k], s, i);
    }
    return st;
}

static dd_status shingle(toks *x, const dd_shingle_opts *so)
{
    size_t cap = dd_shingle_bound(x->n);

    x->sh = malloc(cap * sizeof *x->sh);
    if (!x->sh)
        return DD_ENOMEM;
    return dd_shingle_hash(x->t, x->n, so, x->sh, cap, &x->n_sh);
}

/* Whole-text shingle set, exactly as the pipeline builds it: sorted, duplicates removed. */
static dd_status text_set(dd_normalizer *nz, const char *text, size_t len,
                          const dd_shingle_opts *so, uint64_t **set, size_t *n_set, size_t *words)
{
    const dd_span *t;
    size_t n = 0, cap;
    dd_status st = dd_normalize(nz, text, len, &t, &n);

    if (st != DD_OK)
        return st;
    if (n == 0)
        return DD_EEMPTY;
    *words = n;
    cap = dd_shingle_bound(n);
    *set = malloc(cap * sizeof **set);
    if (!*set)
        return DD_ENOMEM;
    st = dd_shingle_hash(t, n, so, *set, cap, n_set);
    if (st == DD_OK)
        *n_set = dd__sort_unique_u64(*set, *n_set);
    return st;
}

/* ---- passages -------------------------------------------------------------------------- */

typedef struct hp {
    uint64_t h;
    size_t pos;
} hp;

static int cmp_hp(const void *x, const void *y)
{
    const hp *a = x, *b = y;

    if (a->h != b->h)
        return a->h < b->h ? -1 : 1;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* First unused position of hash `h` in B's sorted (hash, pos) index, or SIZE_MAX. */
static size_t find_b(const hp *idx, size_t n, uint64_t h, const bool *used)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (idx[mid].h < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < n && idx[lo].h == h; lo++)
        if (!used[idx[lo].pos])
            return idx[lo].pos;
    return SIZE_MAX;
}

static dd_status add_passage(dd_explain *e, size_t *cap, const toks *a, const toks *b, size_t i,
                             size_t j, size_t run, size_t k)
{
    size_t la = i + run - 1 + k - 1, lb = j + run - 1 + k - 1;
    dd_passage *p;

    if (la >= a->n)
        la = a->n - 1;
    if (lb >= b->n)
        lb = b->n - 1;
    if (dd__grow((void **)&e->passages, cap, e->n_passages + 1, sizeof *p) != DD_OK)
        return DD_ENOMEM;
    p = &e->passages[e->n_passages++];
    p->a_off = a->off[i];
    p->a_len = a->end[la] - a->off[i];
    p->b_off = b->off[j];
    p->b_len = b->end[lb] - b->off[j];
    p->words = la - i + 1;
    e->shared_a += la - i + 1;
    e->shared_b += lb - j + 1;
    return DD_OK;
}

static dd_status find_passages(dd_explain *e, const toks *a, const toks *b, size_t k)
{
    hp *idx = malloc((b->n_sh ? b->n_sh : 1) * sizeof *idx);
    bool *used = calloc(b->n_sh ? b->n_sh : 1, sizeof *used);
    size_t i, cap = 0;
    dd_status st = DD_OK;

    if (!idx || !used) {
        free(idx);
        free(used);
        return DD_ENOMEM;
    }
    for (i = 0; i < b->n_sh; i++) {
        idx[i].h = b->sh[i];
        idx[i].pos = i;
    }
    qsort(idx, b->n_sh, sizeof *idx, cmp_hp);
    for (i = 0; st == DD_OK && i < a->n_sh;) {
        size_t j = find_b(idx, b->n_sh, a->sh[i], used), run = 0;
        if (j == SIZE_MAX) {
            i++;
            continue;
        }
        while (i + run < a->n_sh && j + run < b->n_sh && !used[j + run] &&
               a->sh[i + run] == b->sh[j + run]) {
            used[j + run] = true;
            run++;
        }
        st = add_passage(e, &cap, a, b, i, j, run, k);
        i += run + k - 1; /* a passage's last shingle overlaps the next k-1 tokens */
    }
    free(idx);
    free(used);
    return st;
}

/* ---- passages through OCR noise ------------------------------------------------------------
 * A copy read by OCR breaks a word shingle at every misread character, so the passages above
 * come out in pieces, or not at all. When they cover less than half of the shorter text, the
 * tokens are aligned instead (docs/ALGORITHMS.md, "Copies through OCR noise"): left to right,
 * each token of A is matched to the first token of B within ALIGN_BAND places after the last
 * match that reads alike (the same after look-alike folding, or one character lost, added or
 * misread in a word of four or more); runs of matches with gaps of at most ALIGN_GAP tokens
 * (words split or run together) are passages when they hold k matches. The alignment is kept
 * when it covers more than the shingle passages. */
enum { ALIGN_BAND = 8, ALIGN_GAP = 2 };

/* Whether two tokens read alike: folded, equal, or one edit apart when both have 4+ bytes. */
static bool alike(const dd_span *x, const dd_span *y)
{
    const unsigned char *a = (const unsigned char *)x->ptr, *b = (const unsigned char *)y->ptr;
    size_t la = x->len, lb = y->len, i = 0, j = 0, edits = 0;

    if (la + 1 < lb || lb + 1 < la || ((la < 4 || lb < 4) && la != lb))
        return false;
    while (i < la && j < lb) {
        if (dd__ocr_fold(a[i]) == dd__ocr_fold(b[j])) {
            i++;
            j++;
            continue;
        }
        if (++edits > 1 || la < 4)
            return false;
        if (la > lb) /* a character lost in b */
            i++;
        else if (lb > la)
            j++;
        else {
            i++;
            j++;
        }
    }
    return edits + (la - i) + (lb - j) <= (la < 4 ? 0 : 1);
}

static dd_status align_run(dd_explain *e, size_t *cap, const toks *a, const toks *b,
                           const size_t *ia, const size_t *jb, size_t n)
{
    dd_passage *p;
    size_t i0 = ia[0], i1 = ia[n - 1], j0 = jb[0], j1 = jb[n - 1];

    if (dd__grow((void **)&e->passages, cap, e->n_passages + 1, sizeof *p) != DD_OK)
        return DD_ENOMEM;
    p = &e->passages[e->n_passages++];
    p->a_off = a->off[i0];
    p->a_len = a->end[i1] - a->off[i0];
    p->b_off = b->off[j0];
    p->b_len = b->end[j1] - b->off[j0];
    p->words = i1 - i0 + 1;
    e->shared_a += i1 - i0 + 1;
    e->shared_b += j1 - j0 + 1;
    return DD_OK;
}

static dd_status align_passages(dd_explain *e, const toks *a, const toks *b, size_t k)
{
    size_t *ia = malloc((a->n + 1) * sizeof *ia), *jb = malloc((a->n + 1) * sizeof *jb);
    size_t i, j = 0, n = 0, cap = 0;
    dd_status st = ia && jb ? DD_OK : DD_ENOMEM;

    for (i = 0; st == DD_OK && i < a->n; i++) {
        size_t t, m = SIZE_MAX;
        for (t = j; t < b->n && t < j + ALIGN_BAND && m == SIZE_MAX; t++)
            if (alike(&a->t[i], &b->t[t]))
                m = t;
        if (m == SIZE_MAX)
            continue;
        if (n && (i - ia[n - 1] > ALIGN_GAP + 1 || m - jb[n - 1] > ALIGN_GAP + 1)) {
            if (n >= k)
                st = align_run(e, &cap, a, b, ia, jb, n);
            n = 0;
        }
        ia[n] = i;
        jb[n++] = m;
        j = m + 1;
    }
    if (st == DD_OK && n >= k)
        st = align_run(e, &cap, a, b, ia, jb, n);
    free(ia);
    free(jb);
    return st;
}

/* Keep the alignment instead of the shingle passages when they cover less than half of the
 * shorter text and the alignment covers more. */
static dd_status ocr_passages(dd_explain *e, const toks *a, const toks *b, size_t k)
{
    dd_explain al;
    dd_status st;

    if (2 * (a->n < b->n ? e->shared_a : e->shared_b) >= (a->n < b->n ? a->n : b->n))
        return DD_OK;
    memset(&al, 0, sizeof al);
    st = align_passages(&al, a, b, k);
    if (st == DD_OK && al.shared_a + al.shared_b > e->shared_a + e->shared_b) {
        free(e->passages);
        e->passages = al.passages;
        e->n_passages = al.n_passages;
        e->shared_a = al.shared_a;
        e->shared_b = al.shared_b;
    } else {
        free(al.passages);
    }
    return st;
}

/* ---- story similarity -------------------------------------------------------------------- */

/* The stories level over the two texts alone, tuned so that any pair sharing a key term is a
 * candidate (banding for Jaccard 0.01 over 4096 values) and any candidate joins (threshold
 * just above 0, no date window); the reported pair then carries the cosine. No pair means no
 * shared key term, so the cosine is 0. The corpus IDF is that of the two texts. */
static char *copy_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static dd_status story_similarity(const dd_pipeline_opts *base, const char *a, size_t la,
                                  const char *b, size_t lb, dd_explain *e)
{
    double *sim = &e->similarity;
    dd_pipeline_opts o = *base;
    FILE *fa = fmemopen((void *)(uintptr_t)a, la, "r"),
         *fb = fmemopen((void *)(uintptr_t)b, lb, "r");
    dd_reader *r = NULL;
    dd_result *res = NULL;
    dd_status st = fa && fb ? dd_reader_new(NULL, &r) : DD_ENOMEM;
    size_t i;

    o.level = DD_LEVEL_STORIES;
    o.story_threshold = 1e-9;
    o.max_days = 0;
    o.story_lsh_threshold = 0.01;
    o.num_perm = 4096;
    o.on_diag = NULL;
    if (st == DD_OK)
        st = dd_reader_add_stream(r, fa, "A", false);
    if (st == DD_OK)
        st = dd_reader_add_stream(r, fb, "B", false);
    if (st == DD_OK)
        st = dd_pipeline_run(&o, r, &res);
    *sim = 0;
    for (i = 0; st == DD_OK && i < res->n_pairs; i++) {
        if (res->pairs[i].similarity > 0)
            *sim = res->pairs[i].similarity;
        e->facts_both = copy_or_empty(res->pairs[i].facts_both);
        e->facts_a = copy_or_empty(res->pairs[i].facts_a);
        e->facts_b = copy_or_empty(res->pairs[i].facts_b);
    }
    if (st == DD_OK && !e->facts_both) { /* no pair: no shared key term */
        e->facts_both = copy_or_empty(NULL);
        e->facts_a = copy_or_empty(NULL);
        e->facts_b = copy_or_empty(NULL);
    }
    if (st == DD_OK && (!e->facts_both || !e->facts_a || !e->facts_b))
        st = DD_ENOMEM;
    dd_result_free(res);
    dd_reader_free(r);
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return st;
}

/* ---- the whole explanation --------------------------------------------------------------- */

static dd_status scores(const dd_pipeline_opts *o, dd_normalizer *nz, const char *a, size_t la,
                        const char *b, size_t lb, dd_explain *e)
{
    dd_shingle_opts so = {o->shingle_k, o->seed};
    uint64_t *sa = NULL, *sb = NULL;
    dd_status st = text_set(nz, a, la, &so, &sa, &e->shingles_a, &e->words_a);

    if (st == DD_OK)
        st = text_set(nz, b, lb, &so, &sb, &e->shingles_b, &e->words_b);
    if (st == DD_OK) {
        size_t small = e->shingles_a < e->shingles_b ? e->shingles_a : e->shingles_b;
        e->copies = dd_verify_sets(sa, e->shingles_a, sb, e->shingles_b);
        e->copy = e->copies.jaccard >= o->threshold ||
                  (e->copies.containment >= o->containment && small >= o->min_contained);
    }
    free(sa);
    free(sb);
    return st;
}

/* The quoted-word runs of each text and how many both hold. */
static dd_status quote_runs(const dd_pipeline_opts *o, const char *a, size_t la, const char *b,
                            size_t lb, dd_explain *e)
{
    uint64_t *qa = malloc(DD_EXPLAIN_QUOTES * sizeof *qa);
    uint64_t *qb = malloc(DD_EXPLAIN_QUOTES * sizeof *qb);
    size_t i = 0, j = 0;

    if (!qa || !qb) {
        free(qa);
        free(qb);
        return DD_ENOMEM;
    }
    e->quotes_a = dd_terms_quotes(a, la, o->seed, qa, DD_EXPLAIN_QUOTES);
    e->quotes_b = dd_terms_quotes(b, lb, o->seed, qb, DD_EXPLAIN_QUOTES);
    while (i < e->quotes_a && j < e->quotes_b) {
        if (qa[i] < qb[j])
            i++;
        else if (qa[i] > qb[j])
            j++;
        else {
            e->quotes_shared++;
            i++;
            j++;
        }
    }
    free(qa);
    free(qb);
    return DD_OK;
}

static dd_status explain(const dd_pipeline_opts *o, const char *a, size_t la, const char *b,
                         size_t lb, bool story, dd_explain **out)
{
    dd_shingle_opts so = {o->shingle_k, o->seed};
    dd_explain *e = calloc(1, sizeof *e);
    dd_normalizer *nz = NULL;
    toks ta = {0}, tb = {0};
    dd_status st = e ? dd_normalizer_new(&nz) : DD_ENOMEM;

    *out = NULL;
    if (st == DD_OK && (o->shingle_k == 0 || o->shingle_k > 64))
        st = DD_EINVAL;
    if (st == DD_OK)
        st = scores(o, nz, a, la, b, lb, e);
    if (st == DD_OK)
        st = tokenize_words(nz, a, la, &ta);
    if (st == DD_OK)
        st = tokenize_words(nz, b, lb, &tb);
    if (st == DD_OK && (st = shingle(&ta, &so)) == DD_OK && (st = shingle(&tb, &so)) == DD_OK)
        st = find_passages(e, &ta, &tb, o->shingle_k);
    if (st == DD_OK)
        st = ocr_passages(e, &ta, &tb, o->shingle_k);
    if (st == DD_OK && story)
        st = story_similarity(o, a, la, b, lb, e);
    if (st == DD_OK && story)
        st = quote_runs(o, a, la, b, lb, e);
    if (e && !story)
        e->similarity = -1;
    toks_free(&ta);
    toks_free(&tb);
    dd_normalizer_free(nz);
    if (st != DD_OK) {
        dd_explain_free(e);
        return st;
    }
    *out = e;
    return DD_OK;
}

size_t dd_explain_next(const dd_explain *e, bool b, size_t at)
{
    size_t best = SIZE_MAX, off = SIZE_MAX, i;

    for (i = 0; i < e->n_passages; i++) {
        size_t po = b ? e->passages[i].b_off : e->passages[i].a_off;
        if (po >= at && po < off) {
            off = po;
            best = i;
        }
    }
    return best;
}

dd_status dd_explain_pair(const dd_pipeline_opts *o, const char *a, size_t la, const char *b,
                          size_t lb, dd_explain **out)
{
    return explain(o, a, la, b, lb, true, out);
}

dd_status dd_explain_passages(const dd_pipeline_opts *o, const char *a, size_t la, const char *b,
                              size_t lb, dd_explain **out)
{
    return explain(o, a, la, b, lb, false, out);
}

void dd_explain_free(dd_explain *e)
{
    if (!e)
        return;
    free(e->passages);
    free(e->facts_both);
    free(e->facts_a);
    free(e->facts_b);
    free(e);
}
