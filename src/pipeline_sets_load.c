/* Shingle sets on demand: a block of documents (ascending, distinct) -> their sets and gram
 * sets, for verification, the boilerplate pass and the story stage. A kept set is a view into
 * memory; a document read from a regular file is read again here and signed again on the
 * threads. Invariant: a document must read back to the same compared text (XXH3 checked): one
 * that changed or vanished meanwhile is reported once, gets an empty set, and its pairs are
 * left unverified. */
#include "pipeline_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* ---- reading documents again ----------------------------------------------------------
 * A document read from standard input, a stream or an archive member keeps its set in memory
 * from signing; one read from a regular file (a file by its path, a JSON Lines record by its
 * offset) is read again. Candidates are a small share of a corpus, so the index keeps about a
 * kilobyte per document (signatures, metadata) however long the texts are; keeping every set
 * cost 3.8 KB per news article and, on this machine, seconds of first-touch page faults
 * (docs/performance.md). */

/* What one thread read and signed: its documents' sets, back to back. */
typedef struct dd__setpart {
    uint64_t *set, *gset;
    uint32_t *pos, *gpos;
    size_t n, set_cap, pos_cap, gn, gset_cap, gpos_cap;
    size_t *off;       /* per re-read document of the part: start in set, then end */
    size_t *goff;      /* the same in gset */
    size_t off_cap, goff_cap;
    char **why;        /* per re-read document: NULL, or why it could not be read again */
    size_t lo, n_docs; /* its documents: idx[lo .. lo + n_docs) of the load */
} dd__setpart;

typedef struct load_job {
    dd__run *w;
    dd__setblock *b;
    const size_t *idx;   /* block indexes of the documents to read again */
    const uint8_t *need; /* per block index: its grams are needed (NULL: none) */
} load_job;

/* Worker state of one part. */
typedef struct loader {
    dd_reader *rd;
    dd_normalizer *nz;
    dd__setbuf sb;
    uint64_t *sh, *gh;
    uint32_t *gt;
    size_t sh_cap, gh_cap, gt_cap, *acc, acc_cap, *keep, keep_cap;
} loader;

/* A run's loads come one block at a time (verification, the boilerplate pass, the story
 * stage's scores): the parts' buffers, readers and normalizers of one block serve the next.
 * Made again for every block, the buffers grew from nothing by realloc and the kernel zeroed
 * their pages anew: a third of the page faults of a 1M-document run. */
typedef struct dd__setpool {
    dd__setpart parts[DD__MAX_RANGE_THREADS];
    loader ld[DD__MAX_RANGE_THREADS];
    bool busy; /* a block has the parts (a second block at once gets its own) */
} dd__setpool;

static void loader_free(loader *l)
{
    dd_reader_free(l->rd);
    dd_normalizer_free(l->nz);
    dd__setbuf_free(&l->sb);
    free(l->sh);
    free(l->gh);
    free(l->gt);
    free(l->acc);
    free(l->keep);
}

/* "FILE[:LINE]" of a document, as the reader's messages start. */
static void where(const dd_doc_info *di, char *buf, size_t cap)
{
    if (di->line)
        snprintf(buf, cap, "%s:%zu", di->source, di->line);
    else
        snprintf(buf, cap, "%s", di->source);
}

/* The reader's message ("FILE[:LINE]: reason[, skipped]") without its location and
 * ", skipped": the pipeline words what happens instead. */
static char *reason(const dd_doc_info *di, const char *msg)
{
    char loc[1100];
    size_t n, k;
    char *s;

    where(di, loc, sizeof loc);
    n = strlen(loc);
    if (strncmp(msg, loc, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
        msg += n + 2;
    k = strlen(msg);
    if (k >= 9 && strcmp(msg + k - 9, ", skipped") == 0)
        k -= 9;
    s = malloc(k + 1);
    if (s) {
        memcpy(s, msg, k);
        s[k] = '\0';
    }
    return s;
}

/* Read doc again and append its set (when it is not kept) and its gram set (when grams),
 * stripped like the kept one if it was, to part p. A problem goes to *why (DD_OK is
 * returned: it costs the document's pairs, not the run). */
static dd_status load_one(dd__run *w, loader *l, dd__setpart *p, uint32_t doc, bool grams,
                          char **why)
{
    const dd_doc_info *di = &w->res->docs[doc];
    struct dd__result_mem *m = w->res->mem;
    dd_shingle_opts so = {w->o->shingle_k, w->o->seed};
    size_t len = 0, ntok = 0, nsh = 0, u = 0, i, ng = 0, gu = 0;
    /* a load for grams alone (dd__gram_sketches) makes no set, unless stripping needs it */
    const bool set = (m->flags[doc] & DD__DOC_REREAD) &&
                     (!w->grams_only || (m->flags[doc] & DD__DOC_STRIPPED));
    const dd_span *toks;
    dd_doc d;
    char *text;
    dd_status st = dd_reader_reread(l->rd, di->source, di->line, di->record_off, di->record_len,
                                    &d);

    if (st == DD_ENOMEM)
        return st;
    if (st != DD_OK) {
        *why = reason(di, dd_reader_error(l->rd));
        return *why ? DD_OK : DD_ENOMEM;
    }
    if (!(text = dd_doc_compared_text(&d, &len)))
        return DD_ENOMEM;
    if (XXH3_64bits(text, len) != m->hash[doc]) {
        free(text);
        *why = reason(di, "its text is not the text that was signed");
        return *why ? DD_OK : DD_ENOMEM;
    }
    st = dd_normalize(l->nz, text, len, &toks, &ntok);
    if (st == DD_OK &&
        (dd__grow((void **)&l->sh, &l->sh_cap, dd_shingle_bound(ntok), sizeof *l->sh) != DD_OK ||
         dd__grow((void **)&l->gh, &l->gh_cap, dd_gram_bound(toks, ntok) + 1, sizeof *l->gh) !=
             DD_OK ||
         dd__grow((void **)&l->gt, &l->gt_cap, dd_gram_bound(toks, ntok) + 1, sizeof *l->gt) !=
             DD_OK))
        st = DD_ENOMEM;
    if (st == DD_OK && set)
        st = dd_shingle_hash(toks, ntok, &so, l->sh, l->sh_cap, &nsh);
    if (st == DD_OK && grams)
        ng = dd_gram_hash(toks, ntok, w->o->seed, DD_GRAM_SAMPLE, l->gh, l->gt, l->gh_cap);
    free(text);
    if (st != DD_OK)
        return st;
    if (dd__grow((void **)&p->set, &p->set_cap, p->n + nsh + 1, sizeof *p->set) != DD_OK ||
        dd__grow((void **)&p->pos, &p->pos_cap, p->n + nsh + 1, sizeof *p->pos) != DD_OK ||
        dd__grow((void **)&p->gset, &p->gset_cap, p->gn + ng + 1, sizeof *p->gset) != DD_OK ||
        dd__grow((void **)&p->gpos, &p->gpos_cap, p->gn + ng + 1, sizeof *p->gpos) != DD_OK)
        return DD_ENOMEM;
    st = dd__make_set(&l->sb, l->sh, nsh, p->set + p->n, p->pos + p->n, &u);
    if (st == DD_OK)
        st = dd__make_gram_set(&l->sb, l->gh, l->gt, ng, p->gset + p->gn, p->gpos + p->gn, &gu);
    if (st == DD_OK && (m->flags[doc] & DD__DOC_STRIPPED)) {
        dd__setview v = {p->set + p->n, p->pos + p->n, u, nsh, p->gset + p->gn, p->gpos + p->gn, gu,
                         grams};
        size_t kept, gkept;
        if (dd__grow((void **)&l->acc, &l->acc_cap, di->tokens + 1, sizeof *l->acc) != DD_OK ||
            dd__grow((void **)&l->keep, &l->keep_cap, (u > gu ? u : gu) + 1, sizeof *l->keep) !=
                DD_OK)
            return DD_ENOMEM;
        kept = set ? dd__filter_boilerplate(w, doc, &v, l->acc, l->keep) : 0;
        for (i = 0; i < kept; i++) { /* keep[i] >= i: compacts in place */
            p->set[p->n + i] = p->set[p->n + l->keep[i]];
            p->pos[p->n + i] = p->pos[p->n + l->keep[i]];
        }
        u = kept;
        /* As dd__strip_boilerplate: a document left with nothing keeps what it had. */
        gkept = grams ? dd__filter_boilerplate_grams(w, doc, &v, l->acc, l->keep) : 0;
        for (i = 0; gkept && i < gkept; i++) {
            p->gset[p->gn + i] = p->gset[p->gn + l->keep[i]];
            p->gpos[p->gn + i] = p->gpos[p->gn + l->keep[i]];
        }
        gu = gkept ? gkept : gu;
    }
    p->n += u;
    p->gn += gu;
    return st;
}

static dd_status load_range(void *ctx, size_t part, size_t lo, size_t hi)
{
    load_job *j = ctx;
    dd__setpart *p = &j->b->parts[part];
    loader own, *l = j->b->pool ? &j->b->pool->ld[part] : &own;
    size_t i;
    dd_status st = DD_OK;

    if (!j->b->pool)
        memset(&own, 0, sizeof own);
    p->lo = lo;
    p->n_docs = hi - lo;
    p->n = p->gn = 0;
    p->why = calloc(hi - lo + 1, sizeof *p->why);
    if (!p->why ||
        dd__grow((void **)&p->off, &p->off_cap, hi - lo + 1, sizeof *p->off) != DD_OK ||
        dd__grow((void **)&p->goff, &p->goff_cap, hi - lo + 1, sizeof *p->goff) != DD_OK)
        st = DD_ENOMEM;
    if (st == DD_OK && !l->rd)
        st = dd_reader_new_like(j->w->reader, &l->rd);
    if (st == DD_OK && !l->nz)
        st = dd_normalizer_new(&l->nz);
    for (i = lo; st == DD_OK && i < hi; i++) {
        p->off[i - lo] = p->n;
        p->goff[i - lo] = p->gn;
        st = load_one(j->w, l, p, j->b->docs[j->idx[i]], j->need && j->need[j->idx[i]],
                      &p->why[i - lo]);
    }
    if (st == DD_OK) {
        p->off[hi - lo] = p->n;
        p->goff[hi - lo] = p->gn;
    }
    if (!j->b->pool)
        loader_free(&own);
    return st;
}

/* Point the re-read documents' views into their parts; report each document that could not
 * be read again (once per run). */
static void link_parts(dd__run *w, dd__setblock *b, const size_t *idx, const uint8_t *need)
{
    size_t t, i;

    for (t = 0; t < b->n_parts; t++) {
        dd__setpart *p = &b->parts[t];
        size_t lo = p->lo, hi = p->lo + p->n_docs;
        for (i = lo; i < hi; i++) {
            uint32_t doc = b->docs[idx[i]];
            dd__setview *v = &b->v[idx[i]];
            if (w->res->mem->flags[doc] & DD__DOC_REREAD) { /* else its kept set is in v */
                v->set = p->set + p->off[i - lo];
                v->pos = p->pos + p->off[i - lo];
                v->n = p->off[i - lo + 1] - p->off[i - lo];
                v->seq = w->res->mem->seq_len[doc];
            }
            v->gset = p->gset + p->goff[i - lo];
            v->gpos = p->gpos + p->goff[i - lo];
            v->gn = p->goff[i - lo + 1] - p->goff[i - lo];
            v->grams = need && need[idx[i]];
            if (!p->why[i - lo])
                continue;
            v->n = 0;
            v->gn = 0;
            v->grams = false;
            if (!(w->res->mem->flags[doc] & DD__DOC_CHANGED)) {
                char loc[1100], msg[1600];
                w->res->mem->flags[doc] |= DD__DOC_CHANGED;
                w->res->n_changed++;
                where(&w->res->docs[doc], loc, sizeof loc);
                snprintf(msg, sizeof msg,
                         "%s: changed during the run (%s), its pairs are not verified",
                         loc, p->why[i - lo]);
                if (w->o->on_diag)
                    w->o->on_diag(w->o->diag_ud, msg, false);
            }
        }
    }
}

dd_status dd__sets_load(dd__run *w, const uint32_t *docs, size_t n, dd__setblock *b)
{
    return dd__sets_load_need(w, docs, n, NULL, false, b);
}

dd_status dd__sets_load_need(dd__run *w, const uint32_t *docs, size_t n, const uint8_t *need,
                             bool regrams, dd__setblock *b)
{
    const struct dd__result_mem *m = w->res->mem;
    size_t *idx = NULL, n_idx = 0, i, nt = dd__thread_count(w->o);
    load_job job;
    dd_status st = DD_OK;

    memset(b, 0, sizeof *b);
    b->docs = malloc((n + 1) * sizeof *b->docs);
    b->v = calloc(n + 1, sizeof *b->v);
    idx = malloc((n + 1) * sizeof *idx);
    if (!b->docs || !b->v || !idx) {
        free(idx);
        return DD_ENOMEM;
    }
    memcpy(b->docs, docs, n * sizeof *docs);
    b->n = n;
    for (i = 0; i < n; i++) {
        uint8_t f = m->flags[docs[i]];
        if (f & DD__DOC_CHANGED) {
            b->v[i].seq = m->seq_len[docs[i]]; /* reported already: an empty set */
            continue;
        }
        if (!(f & DD__DOC_REREAD))
            b->v[i] = dd__kept_set(m, docs[i]);
        if ((f & DD__DOC_REREAD) || ((f & DD__DOC_NOGRAMS) && regrams && need && need[i]))
            idx[n_idx++] = i; /* read again: for its set, or for its grams */
    }
    if (n_idx) {
        nt = nt > DD__MAX_RANGE_THREADS ? DD__MAX_RANGE_THREADS : nt;
        nt = nt > n_idx ? n_idx : nt;
        if (!w->setpool)
            w->setpool = calloc(1, sizeof *w->setpool);
        if (w->setpool && !w->setpool->busy) {
            b->pool = w->setpool;
            b->pool->busy = true;
            b->parts = b->pool->parts;
        } else
            b->parts = calloc(nt, sizeof *b->parts);
        b->n_parts = nt;
        job = (load_job){w, b, idx, need};
        st = b->parts ? dd__parallel_for(nt, n_idx, load_range, &job) : DD_ENOMEM;
        if (st == DD_OK)
            link_parts(w, b, idx, need);
    }
    free(idx);
    return st;
}

const dd__setview *dd__sets_get(const dd__setblock *b, uint32_t doc)
{
    size_t lo = 0, hi = b->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->docs[mid] < doc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return &b->v[lo];
}

static void part_free(dd__setpart *p)
{
    free(p->set);
    free(p->pos);
    free(p->gset);
    free(p->gpos);
    free(p->off);
    free(p->goff);
}

void dd__sets_free(dd__setblock *b)
{
    size_t t;

    for (t = 0; b->parts && t < b->n_parts; t++) {
        dd__setpart *p = &b->parts[t];
        if (p->why)
            dd__free_strings(p->why, p->n_docs);
        p->why = NULL;
        if (!b->pool)
            part_free(p);
    }
    if (b->pool)
        b->pool->busy = false;
    else
        free(b->parts);
    free(b->docs);
    free(b->v);
    memset(b, 0, sizeof *b);
}

void dd__sets_pool_free(dd__run *w)
{
    size_t t;

    if (!w->setpool)
        return;
    for (t = 0; t < DD__MAX_RANGE_THREADS; t++) {
        part_free(&w->setpool->parts[t]);
        loader_free(&w->setpool->ld[t]);
    }
    free(w->setpool);
    w->setpool = NULL;
}
