/* Boilerplate pass (docs/ALGORITHMS.md, "Boilerplate lines"), finding the lines: the first
 * verification's clusters -> the lines repeated across unrelated stories, where they stand
 * (page furniture outside the body, or a wire template's recurring lines inside it), marked
 * bp. Then every document with such a line is stripped (pipeline_boilerplate_strip.c), so the
 * driver (pipeline.c) bands and verifies again. On MPI ranks each rank groups a share of the
 * line texts and the flags are put together, so every rank marks the same lines. */
#include "pipeline_stages.h"

#include <stdlib.h>
#include <string.h>

/* ---- boilerplate ----------------------------------------------------------------------
 * A line (>= 3 tokens) found in documents of three or more different first-pass clusters
 * is boilerplate: the same words beside unrelated stories. Copies of one story share their
 * lines too, but they sit in one cluster, so they count once. Shingles touching such lines
 * are dropped from a document's set before the second pass. See docs/ALGORITHMS.md. */

static int cmp_line_doc(const void *pa, const void *pb)
{
    const dd__line *a = pa, *b = pb;

    if (a->doc != b->doc)
        return a->doc < b->doc ? -1 : 1;
    return (a->a > b->a) - (a->a < b->a);
}


/* Distinct roots among the n keys of one run of equal line hashes. */
static size_t distinct_roots(const dd__kv *run, size_t n, uint32_t *roots)
{
    size_t i, d = 1;

    for (i = 0; i < n; i++)
        roots[i] = run[i].aux;
    if (n > 2)
        qsort(roots, n, sizeof *roots, dd__cmp_u32);
    for (i = 1; i < n; i++)
        d += roots[i] != roots[i - 1];
    return d;
}

/* dd_pipeline_opts.extra_lines: per distinct line hash of the sorted keys, the copies groups
 * outside the run (a stored index) that hold it; *extra stays NULL without the hook. */
static dd_status extra_lines(const dd__run *w, const dd__kv *key, size_t n, uint8_t **extra)
{
    uint64_t *h;
    size_t i, u = 0;
    dd_status st;

    *extra = NULL;
    if (!w->o->extra_lines)
        return DD_OK;
    h = malloc((n + 1) * sizeof *h);
    if (!h)
        return DD_ENOMEM;
    for (i = 0; i < n; i++)
        if (!u || h[u - 1] != key[i].key)
            h[u++] = key[i].key;
    *extra = calloc(u + 1, 1);
    st = *extra ? w->o->extra_lines(w->o->extra_lines_ud, h, u, *extra) : DD_ENOMEM;
    free(h);
    return st;
}

/* A line of the article body: not boilerplate, BODY_TOKENS or more, and not the headline
 * (a document's first line). */
enum { BODY_TOKENS = 10 };

static bool body_line(const dd__line *ln)
{
    return !ln->bp && ln->a > 0 && ln->b - ln->a >= BODY_TOKENS;
}

/* Boilerplate is the page around the article: lines before its body (site header, byline,
 * dateline) and after it (footer). For each line (lines in document order), whether it lies
 * outside its document's body (1), between two body lines (0); a document without body
 * lines is all outside. */
static void mark_outside(const struct dd__result_mem *m, uint8_t *outside)
{
    size_t lo, hi, i;

    for (lo = 0; lo < m->n_lines; lo = hi) {
        size_t first = SIZE_MAX, last = 0;
        for (hi = lo; hi < m->n_lines && m->lines[hi].doc == m->lines[lo].doc; hi++)
            if (body_line(&m->lines[hi])) {
                first = first == SIZE_MAX ? hi : first;
                last = hi;
            }
        for (i = lo; i < hi; i++)
            outside[i] = first == SIZE_MAX || i <= first || i >= last;
    }
}

/* Repeated lines inside a document's body go too while they are at most a third of its
 * text (the recurring lines of a wire template: bond issues, appointments); past that the
 * document is mostly sentences other articles also carry, and only the page around its body
 * goes (lines with furniture[i] set). A third keeps Reuters-21578's pairs as they were and
 * the sentence-pool corpus's precision at 0.99 (a half: 0.96; docs/ALGORITHMS.md). The share
 * is taken over each first-pass cluster, so copies of one story, a byline or a footer apart,
 * are stripped alike rather than on either side of the third. */
static dd_status keep_body(const dd_result *res, dd_uf *uf, const uint8_t *furniture)
{
    struct dd__result_mem *m = res->mem;
    size_t *bp_tok = calloc(res->n_docs + 1, sizeof *bp_tok);
    size_t *tok = calloc(res->n_docs + 1, sizeof *tok);
    size_t lo, hi, i;

    if (!bp_tok || !tok) {
        free(bp_tok);
        free(tok);
        return DD_ENOMEM;
    }
    for (i = 0; i < m->n_lines; i++)
        bp_tok[dd_uf_find(uf, m->lines[i].doc)] +=
            m->lines[i].bp ? m->lines[i].b - m->lines[i].a : 0;
    for (i = 0; i < res->n_docs; i++)
        tok[dd_uf_find(uf, (uint32_t)i)] += res->docs[i].tokens;
    for (lo = 0; lo < m->n_lines; lo = hi) {
        uint32_t r = dd_uf_find(uf, m->lines[lo].doc);
        for (hi = lo; hi < m->n_lines && m->lines[hi].doc == m->lines[lo].doc; hi++)
            ;
        if (bp_tok[r] * 3 > tok[r])
            for (i = lo; i < hi; i++)
                m->lines[i].bp = m->lines[i].bp && furniture[i];
    }
    free(bp_tok);
    free(tok);
    return DD_OK;
}

/* On MPI ranks the grouping by text is shared out: a line text is rank dd__rank_of(h, N)'s,
 * which sorts and judges only its texts' lines; the per-line flags are then put together
 * (share_flags), so every rank ends with every line's flags, as one process has them. */
static bool owns(const dd__run *w, uint64_t h)
{
    return !w->shard || w->shard->ranks < 2 || dd__rank_of(h, w->shard->ranks) == w->shard->rank;
}

/* flag[0..n): each line's flag from the rank that owns its text (the others' are 0). */
static dd_status share_flags(const dd__run *w, uint8_t *flag, size_t n)
{
    const dd__shard *sh = w->shard;
    size_t nb = (n + 7) / 8, i, r, all_cap = 0, *lens;
    uint8_t *bits;
    void *all = NULL;
    dd_status st;

    if (!sh || sh->ranks < 2)
        return DD_OK;
    bits = calloc(nb + 1, 1);
    lens = malloc(sh->ranks * sizeof *lens);
    st = bits && lens ? DD_OK : DD_ENOMEM;
    for (i = 0; st == DD_OK && i < n; i++)
        bits[i / 8] |= (uint8_t)((flag[i] != 0) << (i % 8));
    if (st == DD_OK)
        st = sh->allgather(sh->ud, bits, nb, &all, &all_cap, lens);
    for (r = 0; st == DD_OK && r < sh->ranks; r++)
        if (lens[r] != nb)
            st = DD_EINVAL;
    for (i = 0; st == DD_OK && i < n; i++) {
        uint8_t v = 0;
        for (r = 0; r < sh->ranks; r++)
            v |= (uint8_t)(((const uint8_t *)all)[r * nb + i / 8] >> (i % 8) & 1);
        flag[i] = v;
    }
    free(bits);
    free(lens);
    free(all);
    return st;
}

/* The grouping by text goes a share of the line texts at a time (a line's share: the low
 * bits of its hash), so the sort keys are a quarter of the lines, not all of them: 16 bytes a
 * line at once were the boilerplate pass's peak on a million articles. */
enum { LINE_SHARES = 4 };

static unsigned share_of(uint64_t h)
{
    return (unsigned)(h % LINE_SHARES);
}

/* key[0..*n_key): this rank's lines whose text is in `share`, as (hash, line, first-pass
 * root), grouped by text. Line hashes are XXH3 values; a line's repeats come in index order,
 * as the bucket sort wants (only the grouping by text matters). */
static dd_status share_keys(const dd__run *w, dd_uf *uf, unsigned share, dd__kv *key,
                            size_t *n_key)
{
    const struct dd__result_mem *m = w->res->mem;
    size_t i, k = 0;

    for (i = 0; i < m->n_lines; i++)
        if (share_of(dd__line_hash(&m->lines[i])) == share && owns(w, dd__line_hash(&m->lines[i])))
            key[k++] = (dd__kv){dd__line_hash(&m->lines[i]), (uint32_t)i,
                                dd_uf_find(uf, m->lines[i].doc)};
    *n_key = k;
    return dd__bucket_sort_kv(key, k);
}

/* flag[line] = its text is in 3 or more first-pass clusters, for the lines of key[0..n). */
static dd_status flag_repeats(const dd__run *w, const dd__kv *key, size_t n, uint32_t *roots,
                              uint8_t *flag)
{
    uint8_t *extra = NULL;
    size_t i, j, k;
    dd_status st = extra_lines(w, key, n, &extra);

    for (i = 0, k = 0; st == DD_OK && i < n; i = j, k++) {
        size_t r;
        for (j = i + 1; j < n && key[j].key == key[i].key; j++)
            ;
        r = j - i > 2 || (extra && extra[k]) ? distinct_roots(key + i, j - i, roots) : 0;
        r += extra ? extra[k] : 0;
        for (; i < j; i++)
            flag[key[i].val] = r >= 3;
    }
    free(extra);
    return st;
}

/* flag[line] = it lies outside its body, as at least 4 in 5 of its text's occurrences do. */
static void flag_edges(const dd__kv *key, size_t n, const uint8_t *outside, uint8_t *flag)
{
    size_t i, j, q;

    for (i = 0; i < n; i = j) {
        size_t out = 0;
        bool edge;
        for (j = i; j < n && key[j].key == key[i].key; j++)
            out += outside[key[j].val];
        edge = out * 5 >= (j - i) * 4;
        for (q = i; q < j; q++)
            flag[key[q].val] = edge && outside[key[q].val];
    }
}

/* Lines are sorted by (doc, first token), the order dd__strip_boilerplate walks; the
 * grouping by text sorts (hash, index, root) keys instead, so the lines never move.
 * A line text repeated in three or more first-pass clusters is boilerplate where it stands
 * outside the body, if it stands there in at least 4 of 5 of its occurrences. A sentence
 * that recurs at random places (a quote, the agency paragraph stories reuse) is shared
 * content instead: stripped, it left each document its own few sentences, and a shared
 * passage then counted as most of one (the abridged-copy rule joined unrelated articles
 * this way on the sentence-pool corpus; docs/ALGORITHMS.md). */
static dd_status mark_boilerplate(const dd__run *w, dd_uf *uf, size_t *n_bp)
{
    const dd_result *res = w->res;
    struct dd__result_mem *m = res->mem;
    dd__kv *key = NULL;
    uint32_t *roots = NULL;
    uint8_t *outside = NULL, *flag = NULL;
    size_t i, n = m->n_lines, n_key, most = 0, count[LINE_SHARES] = {0};
    unsigned sh;
    bool in_order = true;
    dd_status st = DD_ENOMEM;

    *n_bp = 0;
    if (n == 0)
        return DD_OK;
    for (i = 1; i < n && in_order; i++)
        in_order = cmp_line_doc(&m->lines[i - 1], &m->lines[i]) < 0;
    if (!in_order)
        qsort(m->lines, n, sizeof *m->lines, cmp_line_doc);
    for (i = 0; i < n; i++)
        count[share_of(dd__line_hash(&m->lines[i]))]++;
    for (sh = 0; sh < LINE_SHARES; sh++)
        most = count[sh] > most ? count[sh] : most;
    key = malloc((most + 1) * sizeof *key);
    roots = malloc((most + 1) * sizeof *roots);
    outside = malloc(n);
    flag = calloc(n, 1);
    if (!key || !roots || !outside || !flag || n > UINT32_MAX)
        goto out;
    st = DD_OK;
    for (sh = 0; st == DD_OK && sh < LINE_SHARES; sh++)
        if ((st = share_keys(w, uf, sh, key, &n_key)) == DD_OK)
            st = flag_repeats(w, key, n_key, roots, flag);
    if (st != DD_OK || (st = share_flags(w, flag, n)) != DD_OK)
        goto out;
    for (i = 0; i < n; i++)
        m->lines[i].bp = flag[i] != 0;
    mark_outside(m, outside);
    memset(flag, 0, n);
    for (sh = 0; st == DD_OK && sh < LINE_SHARES; sh++)
        if ((st = share_keys(w, uf, sh, key, &n_key)) == DD_OK)
            flag_edges(key, n_key, outside, flag);
    if (st == DD_OK && (st = share_flags(w, flag, n)) == DD_OK)
        st = keep_body(res, uf, flag);
    for (i = 0; st == DD_OK && i < n; i++)
        *n_bp += m->lines[i].bp != 0;
out:
    free(key);
    free(roots);
    free(outside);
    free(flag);
    return st;
}

/* After the pass, only the lines it marked are read (the sets of documents read again are
 * stripped by them, and so are the story terms): the others go, a fifth of the run's memory
 * on a million articles. */
static void keep_marked_lines(const dd__run *w)
{
    struct dd__result_mem *m = w->res->mem;
    size_t i, k = 0;
    dd__line *p;

    if (w->o->keep_lines)
        return;
    for (i = 0; i < m->n_lines; i++)
        if (m->lines[i].bp)
            m->lines[k++] = m->lines[i];
    m->n_lines = k;
    if (k == 0) {
        free(m->lines);
        m->lines = NULL;
        m->lines_cap = 0;
    } else if ((p = realloc(m->lines, k * sizeof *p)) != NULL) {
        m->lines = p;
        m->lines_cap = k;
    }
}

/* Strip boilerplate found by the first clustering: lines in documents of three or more
 * first-pass clusters. *again tells whether any set changed, so the driver bands the changed
 * documents again and verifies the union of both passes' candidates on the stripped sets
 * (dd__verify_again first). */
dd_status dd__boilerplate_strip(dd__run *w, bool *again)
{
    dd_result *res = w->res;
    dd_uf *uf = NULL;
    dd_status st = dd__pairs_uf(res, &uf);

    *again = false;
    if (st != DD_OK)
        return st;
    st = mark_boilerplate(w, uf, &res->n_boilerplate_lines);
    dd_uf_free(uf);
    if (st == DD_OK && res->n_boilerplate_lines > 0)
        st = dd__strip_boilerplate(w, &res->n_stripped);
    if (st == DD_OK)
        keep_marked_lines(w);
    *again = st == DD_OK && res->n_stripped > 0;
    return st;
}
