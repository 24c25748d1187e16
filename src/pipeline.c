/* Pipeline: reader -> normalizer -> shingles -> MinHash -> LSH -> verification -> clusters.
 * Per document only metadata, the sorted shingle set (with each shingle's first position,
 * used to recognise a shared footer) and the signature are kept; the text is dropped as
 * soon as it is signed. See docs/ARCHITECTURE.md for the tour. */
#include <dedup/dedup.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

struct dd__result_mem {
    dd__arena strings;
    uint64_t *set;     /* all sets, document after document, each sorted */
    uint32_t *pos;     /* first position in the text of each set element */
    size_t set_n, set_cap, pos_cap;
    size_t *set_off;   /* document i: set[set_off[i] .. set_off[i+1]) */
    size_t *seq_len;   /* shingles in text order, repeats included */
    size_t off_cap, seq_cap;
    uint32_t *sigs;    /* num_perm values per document */
    size_t sigs_cap;
    struct line {      /* a line of >= 3 tokens, for boilerplate detection */
        uint64_t h;
        uint32_t doc, a, b, root, bp;
    } *lines;
    size_t n_lines, lines_cap;
    size_t docs_cap, pairs_cap;
};

static const char *const skip_names[DD_SKIP_COUNT] = {"unreadable", "binary", "empty",
                                                      "too_large", "malformed"};

const char *dd_skip_name(dd_skip_reason r)
{
    return (unsigned)r < DD_SKIP_COUNT ? skip_names[r] : "unknown";
}

dd_pipeline_opts dd_pipeline_opts_default(void)
{
    dd_pipeline_opts o;

    memset(&o, 0, sizeof o);
    o.level = DD_LEVEL_COPIES;
    o.shingle_k = 5;
    o.num_perm = 128;
    o.threshold = 0.5;
    o.containment = 0.8;
    o.min_contained = 8;
    o.lsh_threshold = 0.3;
    o.seed = 1;
    return o;
}

size_t dd_result_skipped(const dd_result *res)
{
    size_t i, n = 0;

    for (i = 0; i < DD_SKIP_COUNT; i++)
        n += res->skipped[i];
    return n;
}

void dd_result_free(dd_result *res)
{
    if (!res)
        return;
    if (res->mem) {
        dd__arena_free(&res->mem->strings);
        free(res->mem->set);
        free(res->mem->pos);
        free(res->mem->set_off);
        free(res->mem->seq_len);
        free(res->mem->sigs);
        free(res->mem->lines);
        free(res->mem);
    }
    free(res->docs);
    free(res->pairs);
    dd_clusters_free(&res->clusters);
    free(res);
}

/* Working state of one run: reusable buffers so signing allocates nothing per shingle. */
typedef struct run {
    const dd_pipeline_opts *o;
    dd_result *res;
    dd_normalizer *nz;
    dd_minhash *mh;
    uint64_t *sh;
    size_t sh_cap;
    struct hp {
        uint64_t h;
        uint32_t pos;
    } *hp;
    size_t hp_cap;
} run;

static void diag(const run *w, const char *msg, bool skipped)
{
    if (w->o->on_diag)
        w->o->on_diag(w->o->diag_ud, msg, skipped);
}

static dd_skip_reason skip_reason(dd_status st)
{
    switch (st) {
    case DD_EBINARY:
        return DD_SKIP_BINARY;
    case DD_EEMPTY:
        return DD_SKIP_EMPTY;
    case DD_ELIMIT:
        return DD_SKIP_TOO_LARGE;
    case DD_EPARSE:
    case DD_EUTF8:
        return DD_SKIP_MALFORMED;
    default:
        return DD_SKIP_UNREADABLE;
    }
}

static int cmp_hp(const void *pa, const void *pb)
{
    const struct hp *a = pa, *b = pb;

    if (a->h != b->h)
        return a->h < b->h ? -1 : 1;
    return (a->pos > b->pos) - (a->pos < b->pos);
}

/* Sort shingles, keep each once with its first position, append to the result's sets. */
static dd_status store_set(run *w, size_t n)
{
    struct dd__result_mem *m = w->res->mem;
    size_t i, u = 0, base = m->set_n;

    if (dd__grow((void **)&w->hp, &w->hp_cap, n, sizeof *w->hp) != DD_OK)
        return DD_ENOMEM;
    for (i = 0; i < n; i++) {
        w->hp[i].h = w->sh[i];
        w->hp[i].pos = (uint32_t)i;
    }
    qsort(w->hp, n, sizeof *w->hp, cmp_hp);
    if (dd__grow((void **)&m->set, &m->set_cap, base + n, sizeof *m->set) != DD_OK ||
        dd__grow((void **)&m->pos, &m->pos_cap, base + n, sizeof *m->pos) != DD_OK)
        return DD_ENOMEM;
    for (i = 0; i < n; i++) {
        if (i && w->hp[i].h == w->hp[i - 1].h)
            continue;
        m->set[base + u] = w->hp[i].h;
        m->pos[base + u] = w->hp[i].pos;
        u++;
    }
    m->set_n = base + u;
    return DD_OK;
}

static dd_status store_meta(run *w, const dd_doc *d, size_t ntok, size_t nseq)
{
    dd_result *res = w->res;
    struct dd__result_mem *m = res->mem;
    dd_doc_info *info;
    size_t idx = res->n_docs;

    if (dd__grow((void **)&res->docs, &m->docs_cap, idx + 1, sizeof *res->docs) != DD_OK ||
        dd__grow((void **)&m->set_off, &m->off_cap, idx + 2, sizeof *m->set_off) != DD_OK ||
        dd__grow((void **)&m->seq_len, &m->seq_cap, idx + 1, sizeof *m->seq_len) != DD_OK)
        return DD_ENOMEM;
    info = &res->docs[idx];
    memset(info, 0, sizeof *info);
    info->id = dd__arena_strndup(&m->strings, d->id, strlen(d->id));
    info->title = dd__arena_strndup(&m->strings, d->title, strlen(d->title));
    info->source = dd__arena_strndup(&m->strings, d->source, strlen(d->source));
    info->date = d->date ? dd__arena_strndup(&m->strings, d->date, strlen(d->date)) : NULL;
    if (!info->id || !info->title || !info->source || (d->date && !info->date))
        return DD_ENOMEM;
    info->bytes = d->len;
    info->tokens = ntok;
    info->line = d->line;
    info->record_off = d->record_off;
    info->record_len = d->record_len;
    m->seq_len[idx] = nseq;
    m->set_off[idx + 1] = m->set_n;
    res->n_docs++;
    return DD_OK;
}

/* Hash every line of three or more tokens; lines repeated across unrelated documents are
 * boilerplate (bylines, footers, share buttons), found after the first clustering pass. */
static dd_status store_lines(run *w, const dd_span *toks, size_t ntok, uint32_t doc)
{
    struct dd__result_mem *m = w->res->mem;
    size_t n_lines, i, j;
    const size_t *starts = dd_normalizer_lines(w->nz, &n_lines);
    XXH3_state_t st;

    for (i = 0; i < n_lines; i++) {
        size_t a = starts[i], b = i + 1 < n_lines ? starts[i + 1] : ntok;
        if (b - a < 3)
            continue;
        if (dd__grow((void **)&m->lines, &m->lines_cap, m->n_lines + 1, sizeof *m->lines) != DD_OK)
            return DD_ENOMEM;
        XXH3_64bits_reset_withSeed(&st, w->o->seed);
        for (j = a; j < b; j++) {
            XXH3_64bits_update(&st, toks[j].ptr, toks[j].len);
            XXH3_64bits_update(&st, "\x1f", 1);
        }
        m->lines[m->n_lines++] = (struct line){XXH3_64bits_digest(&st), doc, (uint32_t)a,
                                               (uint32_t)b, 0, 0};
    }
    return DD_OK;
}

static dd_status sign_doc(run *w, const dd_doc *d)
{
    struct dd__result_mem *m = w->res->mem;
    dd_shingle_opts so = {w->o->shingle_k, w->o->seed};
    size_t ntok = 0, nsh = 0, np = w->o->num_perm, idx = w->res->n_docs;
    const dd_span *toks;
    dd_status st = dd_normalize(w->nz, d->text, d->len, &toks, &ntok);

    if (st != DD_OK)
        return st;
    if (ntok == 0)
        return DD_EEMPTY;
    st = store_lines(w, toks, ntok, (uint32_t)idx);
    if (st != DD_OK)
        return st;
    if (dd__grow((void **)&w->sh, &w->sh_cap, dd_shingle_bound(ntok), sizeof *w->sh) != DD_OK)
        return DD_ENOMEM;
    st = dd_shingle_hash(toks, ntok, &so, w->sh, w->sh_cap, &nsh);
    if (st != DD_OK)
        return st;
    if (dd__grow((void **)&m->sigs, &m->sigs_cap, (idx + 1) * np, sizeof *m->sigs) != DD_OK)
        return DD_ENOMEM;
    dd_minhash_sign(w->mh, w->sh, nsh, m->sigs + idx * np);
    st = store_set(w, nsh);
    return st == DD_OK ? store_meta(w, d, ntok, nsh) : st;
}

static void report_skip(run *w, dd_status st, const char *msg)
{
    w->res->skipped[skip_reason(st)]++;
    diag(w, msg, true);
}

static dd_status read_all(run *w, dd_reader *r)
{
    char msg[1200];
    dd_doc d;

    for (;;) {
        dd_status st = dd_reader_next(r, &d);
        if (st == DD_END)
            return DD_OK;
        if (st == DD_ENOMEM)
            return st;
        w->res->n_inputs++;
        if (st != DD_OK) {
            report_skip(w, st, dd_reader_error(r));
            continue;
        }
        if (d.warning) {
            w->res->n_repaired++;
            snprintf(msg, sizeof msg, "%s: warning: %s", d.id, d.warning);
            diag(w, msg, false);
        }
        st = sign_doc(w, &d);
        if (st == DD_ENOMEM)
            return st;
        if (st != DD_OK) {
            snprintf(msg, sizeof msg, "%s: %s, skipped",
                     d.line ? d.id : d.source, st == DD_EEMPTY ? "no words" : dd_strerror(st));
            report_skip(w, st, msg);
        }
    }
}

/* ---- verification -------------------------------------------------------------------- */

/* Where, in document x's own text order, are the shingles it shares with the other set?
 * mark[p] is 0 where position p holds no set element (a repeat or stripped boilerplate),
 * 1 for an unshared shingle and 2 for a shared one. */
typedef struct profile {
    size_t present, shared;           /* set elements, and those shared */
    size_t core_present, core_shared; /* the same between the first and last shared one */
    bool footer;                      /* all it shares is one block at its end */
} profile;

static void mark_shared(const struct dd__result_mem *m, uint32_t x, const uint64_t *other,
                        size_t n_other, unsigned char *mark, profile *pr)
{
    size_t lo = m->set_off[x], hi = m->set_off[x + 1], i, j = 0;

    memset(mark, 0, m->seq_len[x]);
    memset(pr, 0, sizeof *pr);
    for (i = lo; i < hi; i++) {
        while (j < n_other && other[j] < m->set[i])
            j++;
        mark[m->pos[i]] = j < n_other && other[j] == m->set[i] ? 2 : 1;
        pr->shared += mark[m->pos[i]] == 2;
    }
    pr->present = hi - lo;
}

static void profile_doc(const struct dd__result_mem *m, uint32_t x, const uint64_t *other,
                        size_t n_other, size_t k, unsigned char *mark, profile *pr)
{
    size_t n = m->seq_len[x], i, first = n, last = 0, cnt = 0, seen = 0, t_best = n, in_best = 0;

    mark_shared(m, x, other, n_other, mark, pr);
    for (i = 0; i < n; i++) {
        if (mark[i] == 2) {
            first = i < first ? i : first;
            last = i;
        }
    }
    for (i = first; pr->shared && i <= last; i++) {
        pr->core_present += mark[i] != 0;
        pr->core_shared += mark[i] == 2;
    }
    /* The longest end block that is at least 80% shared; a footer if it holds 90% of all
     * shared shingles and at least a quarter of the document lies before it. */
    for (i = n; i-- > 0;) {
        cnt += mark[i] == 2;
        seen += mark[i] != 0;
        if (cnt * 5 >= seen * 4) {
            t_best = i;
            in_best = cnt;
        }
    }
    pr->footer = pr->shared && in_best * 10 >= pr->shared * 9 && t_best * 4 >= n &&
                 in_best >= 2 * k;
}

/* The verification rule (docs/ALGORITHMS.md, "Verification"): Jaccard, or containment of
 * the smaller set, or an abridged copy: between its first and last shared shingle the
 * smaller document is >= 90% shared and that core is at least half of it, so a wrapper
 * (byline, footer, new headline) around a trimmed copy does not hide it. A pair whose
 * shared shingles are, in both documents, only a block at the end shares a footer. */
static bool accept(const run *w, uint32_t a, uint32_t b, const dd_set_score *s,
                   unsigned char *mark)
{
    const struct dd__result_mem *m = w->res->mem;
    const uint64_t *sa = m->set + m->set_off[a], *sb = m->set + m->set_off[b];
    size_t na = m->set_off[a + 1] - m->set_off[a], nb = m->set_off[b + 1] - m->set_off[b];
    size_t k = w->o->shingle_k;
    uint32_t small = na <= nb ? a : b;
    profile pa, pb, *ps;
    bool ok = s->jaccard >= w->o->threshold ||
              (s->containment >= w->o->containment && (na < nb ? na : nb) >= w->o->min_contained);

    if (!ok && s->containment < 0.5)
        return false;
    profile_doc(m, a, sb, nb, k, mark, &pa);
    profile_doc(m, b, sa, na, k, mark, &pb);
    ps = small == a ? &pa : &pb;
    if (!ok)
        ok = w->o->containment <= 1.0 && ps->core_shared >= w->o->min_contained &&
             ps->core_shared * 10 >= ps->core_present * 9 && ps->core_present * 2 >= ps->present;
    if (ok && pa.footer && pb.footer) {
        w->res->n_footer_only++;
        return false;
    }
    return ok;
}

static dd_status verify_all(run *w, const uint64_t *cand, size_t n_cand)
{
    dd_result *res = w->res;
    struct dd__result_mem *m = res->mem;
    unsigned char *mark = NULL;
    size_t i, max_seq = 1;

    for (i = 0; i < res->n_docs; i++)
        max_seq = m->seq_len[i] > max_seq ? m->seq_len[i] : max_seq;
    mark = malloc(max_seq);
    if (!mark)
        return DD_ENOMEM;
    for (i = 0; i < n_cand; i++) {
        uint32_t a = (uint32_t)(cand[i] >> 32), b = (uint32_t)cand[i];
        size_t na = m->set_off[a + 1] - m->set_off[a], nb = m->set_off[b + 1] - m->set_off[b];
        dd_set_score s = dd_verify_sets(m->set + m->set_off[a], na, m->set + m->set_off[b], nb);

        if (!accept(w, a, b, &s, mark))
            continue;
        if (dd__grow((void **)&res->pairs, &m->pairs_cap, res->n_pairs + 1,
                     sizeof *res->pairs) != DD_OK) {
            free(mark);
            return DD_ENOMEM;
        }
        res->pairs[res->n_pairs++] = (dd_pair_score){a, b, s.jaccard, s.containment};
    }
    free(mark);
    return DD_OK;
}

static dd_status candidates(run *w, uint64_t **cand, size_t *n_cand)
{
    dd_result *res = w->res;
    double t = w->o->lsh_threshold > 0 ? w->o->lsh_threshold : w->o->threshold;
    /* Verification is exact, so a missed pair costs more than a spurious one. */
    dd_lsh_params p = dd_lsh_optimal(t, w->o->num_perm, 0.25, 0.75);
    dd_lsh *lsh = NULL;
    dd_status st = dd_lsh_new(p.bands, p.rows, 0, &lsh);
    size_t i;

    res->bands = p.bands;
    res->rows = p.rows;
    for (i = 0; st == DD_OK && i < res->n_docs; i++)
        st = dd_lsh_insert(lsh, (uint32_t)i, res->mem->sigs + i * w->o->num_perm,
                           w->o->num_perm);
    if (st == DD_OK)
        st = dd_lsh_candidates(lsh, cand, n_cand);
    dd_lsh_free(lsh);
    return st;
}

/* ---- boilerplate ----------------------------------------------------------------------
 * A line (>= 3 tokens) found in documents of three or more different first-pass clusters
 * is boilerplate: the same words beside unrelated stories. Copies of one story share their
 * lines too, but they sit in one cluster, so they count once. Shingles touching such lines
 * are dropped from a document's set before the second pass. See docs/ALGORITHMS.md. */

static int cmp_line_text(const void *pa, const void *pb)
{
    const struct line *a = pa, *b = pb;

    if (a->h != b->h)
        return a->h < b->h ? -1 : 1;
    return (a->root > b->root) - (a->root < b->root);
}

static int cmp_line_doc(const void *pa, const void *pb)
{
    const struct line *a = pa, *b = pb;

    if (a->doc != b->doc)
        return a->doc < b->doc ? -1 : 1;
    return (a->a > b->a) - (a->a < b->a);
}

static size_t mark_boilerplate(struct dd__result_mem *m, dd_uf *uf)
{
    size_t i = 0, n_bp = 0;

    if (m->n_lines == 0)
        return 0;
    for (i = 0; i < m->n_lines; i++)
        m->lines[i].root = dd_uf_find(uf, m->lines[i].doc);
    qsort(m->lines, m->n_lines, sizeof *m->lines, cmp_line_text);
    for (i = 0; i < m->n_lines;) {
        size_t j = i, roots = 0;
        for (; j < m->n_lines && m->lines[j].h == m->lines[i].h; j++)
            roots += j == i || m->lines[j].root != m->lines[j - 1].root;
        for (; i < j; i++) {
            m->lines[i].bp = roots >= 3;
            n_bp += roots >= 3;
        }
    }
    qsort(m->lines, m->n_lines, sizeof *m->lines, cmp_line_doc);
    return n_bp;
}

/* Indexes (into the set arrays) of doc's shingles that touch no boilerplate line. */
static size_t filter_doc(run *w, uint32_t doc, const struct line *ln, size_t n_ln, size_t *acc,
                         size_t *out)
{
    struct dd__result_mem *m = w->res->mem;
    size_t ntok = w->res->docs[doc].tokens, k = w->o->shingle_k < ntok ? w->o->shingle_k : ntok;
    size_t lo = m->set_off[doc], hi = m->set_off[doc + 1], i, kept = 0;
    long depth = 0;

    memset(acc, 0, (ntok + 1) * sizeof *acc);
    for (i = 0; i < n_ln; i++) {
        if (ln[i].bp) {
            acc[ln[i].a]++;
            acc[ln[i].b]--;
        }
    }
    /* acc becomes a prefix count: acc[t] = boilerplate tokens before token t. */
    for (i = 0; i <= ntok; i++) {
        long here = (long)acc[i];
        acc[i] = i ? acc[i - 1] + (depth > 0) : 0;
        depth += here;
    }
    for (i = lo; i < hi; i++) {
        size_t p = m->pos[i];
        if (acc[p + k] == acc[p])
            out[kept++] = i;
    }
    return kept;
}

/* Shrink each document's set to its non-boilerplate shingles (unless that would leave
 * nothing: a page that is all boilerplate keeps its set) and re-sign the ones that changed.
 * Sets only shrink, so they are compacted in place, document after document. */
static dd_status strip_boilerplate(run *w, size_t *n_changed)
{
    dd_result *res = w->res;
    struct dd__result_mem *m = res->mem;
    size_t *acc = NULL, *keep = NULL, max_tok = 0, max_set = 0, d, li = 0, wpos = 0, i;

    for (d = 0; d < res->n_docs; d++) {
        size_t sz = m->set_off[d + 1] - m->set_off[d];
        max_tok = res->docs[d].tokens > max_tok ? res->docs[d].tokens : max_tok;
        max_set = sz > max_set ? sz : max_set;
    }
    acc = malloc((max_tok + 1) * sizeof *acc);
    keep = malloc((max_set + 1) * sizeof *keep);
    if (!acc || !keep) {
        free(acc);
        free(keep);
        return DD_ENOMEM;
    }
    *n_changed = 0;
    for (d = 0; d < res->n_docs; d++) {
        size_t lo = m->set_off[d], hi = m->set_off[d + 1], n_ln = 0, kept = hi - lo;
        bool any_bp = false;
        while (li + n_ln < m->n_lines && m->lines[li + n_ln].doc == d)
            any_bp |= m->lines[li + n_ln++].bp != 0;
        if (any_bp)
            kept = filter_doc(w, (uint32_t)d, m->lines + li, n_ln, acc, keep);
        li += n_ln;
        if (kept == 0 || kept == hi - lo) {
            kept = hi - lo;
            memmove(m->set + wpos, m->set + lo, kept * sizeof *m->set);
            memmove(m->pos + wpos, m->pos + lo, kept * sizeof *m->pos);
        } else {
            for (i = 0; i < kept; i++) {
                m->set[wpos + i] = m->set[keep[i]];
                m->pos[wpos + i] = m->pos[keep[i]];
            }
            dd_minhash_sign(w->mh, m->set + wpos, kept, m->sigs + d * w->o->num_perm);
            (*n_changed)++;
        }
        m->set_off[d] = wpos;
        wpos += kept;
    }
    m->set_off[res->n_docs] = wpos;
    m->set_n = wpos;
    free(acc);
    free(keep);
    return DD_OK;
}

static dd_status cluster_pairs(dd_result *res)
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

static dd_status check_opts(const dd_pipeline_opts *o)
{
    if (o->shingle_k == 0 || o->shingle_k > 64 || o->num_perm == 0 || o->num_perm > 4096 ||
        !(o->threshold > 0 && o->threshold <= 1) || !(o->containment > 0) ||
        !(o->lsh_threshold >= 0 && o->lsh_threshold <= 1))
        return DD_EINVAL;
    return DD_OK;
}

static dd_status start(run *w, const dd_pipeline_opts *o)
{
    dd_minhash_opts mo = {o->num_perm, o->seed};

    memset(w, 0, sizeof *w);
    w->o = o;
    w->res = calloc(1, sizeof *w->res);
    if (!w->res)
        return DD_ENOMEM;
    w->res->mem = calloc(1, sizeof *w->res->mem);
    if (!w->res->mem)
        return DD_ENOMEM;
    dd__arena_init(&w->res->mem->strings);
    if (dd__grow((void **)&w->res->mem->set_off, &w->res->mem->off_cap, 1,
                 sizeof(size_t)) != DD_OK)
        return DD_ENOMEM;
    w->res->mem->set_off[0] = 0;
    if (dd_normalizer_new(&w->nz) != DD_OK)
        return DD_ENOMEM;
    return dd_minhash_new(&mo, &w->mh);
}

static void finish(run *w)
{
    dd_normalizer_free(w->nz);
    dd_minhash_free(w->mh);
    free(w->sh);
    free(w->hp);
}

static dd_status union_pairs(const dd_result *res, dd_uf **out)
{
    dd_status st = dd_uf_new(res->n_docs, out);
    size_t i;

    for (i = 0; st == DD_OK && i < res->n_pairs; i++)
        dd_uf_union(*out, res->pairs[i].a, res->pairs[i].b);
    return st;
}

static dd_status merge_candidates(uint64_t **cand, size_t *n, const uint64_t *more, size_t n_more)
{
    uint64_t *p = realloc(*cand, (*n + n_more + 1) * sizeof *p);

    if (!p)
        return DD_ENOMEM;
    if (n_more)
        memcpy(p + *n, more, n_more * sizeof *p);
    *cand = p;
    *n = dd__sort_unique_u64(p, *n + n_more);
    return DD_OK;
}

/* Second pass: strip boilerplate found by the first clustering, re-index the documents that
 * changed, and verify the union of both passes' candidates on the stripped sets. */
static dd_status second_pass(run *w, uint64_t **cand, size_t *n_cand)
{
    dd_result *res = w->res;
    uint64_t *more = NULL;
    size_t n_more = 0;
    dd_uf *uf = NULL;
    dd_status st = union_pairs(res, &uf);

    if (st != DD_OK)
        return st;
    res->n_boilerplate_lines = mark_boilerplate(res->mem, uf);
    dd_uf_free(uf);
    if (res->n_boilerplate_lines == 0)
        return DD_OK;
    st = strip_boilerplate(w, &res->n_stripped);
    if (st != DD_OK || res->n_stripped == 0)
        return st;
    st = candidates(w, &more, &n_more);
    if (st == DD_OK)
        st = merge_candidates(cand, n_cand, more, n_more);
    free(more);
    res->n_pairs = 0;
    res->n_footer_only = 0;
    return st == DD_OK ? verify_all(w, *cand, *n_cand) : st;
}

dd_status dd_pipeline_run(const dd_pipeline_opts *opts, dd_reader *r, dd_result **out)
{
    uint64_t *cand = NULL;
    size_t n_cand = 0;
    run w;
    dd_status st;

    *out = NULL;
    if (check_opts(opts) != DD_OK)
        return DD_EINVAL;
    st = start(&w, opts);
    if (st == DD_OK)
        st = read_all(&w, r);
    if (st == DD_OK)
        st = candidates(&w, &cand, &n_cand);
    if (st == DD_OK)
        st = verify_all(&w, cand, n_cand);
    if (st == DD_OK)
        st = second_pass(&w, &cand, &n_cand);
    if (w.res)
        w.res->n_candidates = n_cand;
    free(cand);
    if (st == DD_OK)
        st = cluster_pairs(w.res);
    finish(&w);
    if (st != DD_OK) {
        dd_result_free(w.res);
        return st;
    }
    *out = w.res;
    return DD_OK;
}
