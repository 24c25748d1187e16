/* Signing stage of the pipeline: reader -> batches -> worker threads -> in-order merge.
 * The reader runs on the calling thread and copies documents into reusable batches; workers
 * normalize, shingle and sign whole batches; the calling thread merges finished batches in
 * reading order (pipeline_merge.c), so every array, diagnostic and document id is the same
 * for any thread count. At the stories level the workers also extract content terms. */
#include "pipeline_sign.h"
#include "reader_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

static dd_status put_str(batch *b, const char *s, size_t len, size_t *off)
{
    if (dd__grow((void **)&b->str, &b->str_cap, b->str_n + len + 1, 1) != DD_OK)
        return DD_ENOMEM;
    memcpy(b->str + b->str_n, s, len);
    b->str[b->str_n + len] = '\0';
    *off = b->str_n;
    b->str_n += len + 1;
    return DD_OK;
}

static void on_reader_warning(void *ud, const char *msg)
{
    signing *s = ud;
    batch *b = s->filling;
    size_t off;

    if (put_str(b, msg, strlen(msg), &off) != DD_OK)
        s->fill_st = DD_ENOMEM;
}

/* ---- signing one document (any thread) ------------------------------------------------ */

/* Sort shingles, keep each once with its first position, append to the batch's sets. */
static dd_status store_set(signer *g, batch *b, item *it, size_t n)
{
    size_t base = b->set_n, u = 0;

    if (dd__grow((void **)&b->set, &b->set_cap, base + n + 1, sizeof *b->set) != DD_OK ||
        dd__grow((void **)&b->pos, &b->pos_cap, base + n + 1, sizeof *b->pos) != DD_OK ||
        dd__make_set(&g->sb, g->sh, n, b->set + base, b->pos + base, &u) != DD_OK)
        return DD_ENOMEM;
    b->set_n = base + u;
    it->set_lo = base;
    it->set_hi = base + u;
    return DD_OK;
}

/* OCR-robust grams (docs/ALGORITHMS.md, "Copies through OCR noise"): their one-permutation
 * signature for every document, and their set where the shingle set is kept. Every document
 * gets them, noisy or clean: a clean original must meet its noisy copy. A document of fewer
 * than OCR_MIN_TOKENS tokens is in no OCR pair, so it needs neither (nor a noise estimate). */
static dd_status store_grams(const dd__run *w, signer *g, batch *b, item *it, size_t k,
                             const dd_span *toks, size_t ntok)
{
    /* The signature is of every gram of the lead's tokens; the set, kept only where the
     * shingle set is, of the sample of all grams. */
    size_t nt = ntok < OCR_LEAD_TOKENS ? ntok : OCR_LEAD_TOKENS, base = b->gset_n;
    size_t bound, ng, i, u = 0;
    uint32_t sig[OCR_VALUES];

    it->noise = 0;
    it->grams = false;
    it->gset_lo = it->gset_hi = base;
    if (ntok < OCR_MIN_TOKENS)
        return DD_OK;
    /* misreadings are spread over a page: its first OCR_NOISE_TOKENS tell */
    it->noise = dd_vocab_noise(w->vocab, toks, g->sh,
                               ntok < OCR_NOISE_TOKENS ? ntok : OCR_NOISE_TOKENS);
    bound = dd_gram_bound(toks, keeps_grams(w, it) ? ntok : nt) + 1;
    if (dd__grow((void **)&g->gh, &g->gh_cap, bound, sizeof *g->gh) != DD_OK ||
        dd__grow((void **)&g->gt, &g->gt_cap, bound, sizeof *g->gt) != DD_OK)
        return DD_ENOMEM;
    ng = dd_gram_hash(toks, nt, w->o->seed, 1, g->gh, NULL, bound);
    dd_minhash_oph(g->gh, ng, sig, OCR_VALUES);
    for (i = 0; i < OCR_VALUES; i++)
        b->osig[k * OCR_VALUES + i] = (uint8_t)(sig[i] >> 24);
    it->grams = ng > 0;
    if (!keeps_grams(w, it))
        return DD_OK;
    if (dd__grow((void **)&b->gset, &b->gset_cap, base + bound, sizeof *b->gset) != DD_OK ||
        dd__grow((void **)&b->gpos, &b->gpos_cap, base + bound, sizeof *b->gpos) != DD_OK)
        return DD_ENOMEM;
    ng = dd_gram_hash(toks, ntok, w->o->seed, DD_GRAM_SAMPLE, g->gh, g->gt, bound);
    if (dd__make_gram_set(&g->sb, g->gh, g->gt, ng, b->gset + base, b->gpos + base, &u) != DD_OK)
        return DD_ENOMEM;
    it->gset_hi = base + u;
    b->gset_n = it->gset_hi;
    return DD_OK;
}

/* Hash every line of three or more tokens; lines repeated across unrelated documents are
 * boilerplate (bylines, footers, share buttons), found after the first clustering pass. A
 * line's hash is XXH3 over its tokens' hashes (g->sh before the shingles replace them): the
 * same tokens give the same value without joining their text again. */
static dd_status store_lines(const dd__run *w, signer *g, batch *b, item *it, size_t ntok)
{
    size_t n_lines, i;
    const size_t *starts = dd_normalizer_lines(g->nz, &n_lines);

    it->line_lo = b->n_lines;
    if (dd__grow((void **)&b->lines, &b->lines_cap, b->n_lines + n_lines + 1,
                 sizeof *b->lines) != DD_OK)
        return DD_ENOMEM;
    for (i = 0; i < n_lines; i++) {
        size_t a = starts[i], e = i + 1 < n_lines ? starts[i + 1] : ntok;
        if (e - a < 3)
            continue;
        b->lines[b->n_lines++] = dd__line_make(
            XXH3_64bits_withSeed(g->sh + a, (e - a) * sizeof *g->sh, w->o->seed), (uint32_t)a,
            (uint32_t)e);
    }
    it->line_hi = b->n_lines;
    return DD_OK;
}

static dd_status sign_item(const dd__run *w, signer *g, batch *b, item *it, size_t k)
{
    size_t ntok = 0, nsh = 0, np = w->o->num_perm;
    const dd_span *toks;
    dd_status st = dd_normalize(g->nz, b->txt + it->text, it->len, &toks, &ntok);

    if (st != DD_OK)
        return st;
    if (ntok == 0)
        return DD_EEMPTY;
    if (dd__grow((void **)&g->sh, &g->sh_cap, dd_shingle_bound(ntok), sizeof *g->sh) != DD_OK)
        return DD_ENOMEM;
    dd__token_hashes_padded(toks, ntok, w->o->seed, g->sh);
    st = store_lines(w, g, b, it, ntok);
    if (st == DD_OK)
        st = store_grams(w, g, b, it, k, toks, ntok);
    if (st != DD_OK)
        return st;
    nsh = dd_shingle_combine(g->sh, ntok, w->o->shingle_k, w->o->seed);
    dd_minhash_sign(w->mh, g->sh, nsh, b->sigs + k * np);
    dd_lsh_band_keys(w->bands, w->rows, b->sigs + k * np, b->keys + k * w->bands);
    /* The lead's distinct shingles are the set's elements first seen before LEAD_SHINGLES;
     * MinHash ignores repeats, so the first shingles in text order sign the same. */
    it->lead = nsh > 0;
    if (nsh)
        dd_minhash_sign(w->mh_lead, g->sh, nsh < LEAD_SHINGLES ? nsh : LEAD_SHINGLES,
                        b->lead + k * w->lead_n);
    it->ntok = ntok;
    it->nseq = nsh;
    if (keeps_set(w, it))
        st = store_set(g, b, it, nsh);
    else /* read again when a pair needs its set: its sketches reject most pairs first. The
          * gram sketch only serves OCR pairs, which need a misread document: a clean one
          * gets its gram sketch when it is first in a candidate OCR pair (pipeline_copies.c,
          * gram_sketches). Hashing every byte's gram of every document here was a quarter of
          * a million-article run. */
        st = dd__sketch_doc(&g->skb, w->o->seed, toks, ntok, g->sh, nsh,
                            dd__ocr_noisy(it->noise), &b->sk, &b->sk_n, &b->sk_cap,
                            &it->sk_word, &it->sk_gram);
    if (it->rereadable) /* checked when it is read again */
        it->hash = XXH3_64bits(b->txt + it->text, it->len);
    if (st == DD_OK && w->o->level == DD_LEVEL_STORIES) {
        it->days = dd__doc_days(it->date == NO_DATE ? NULL : b->str + it->date, b->txt + it->body,
                                it->body_len);
        st = dd__sign_story_terms(g, w->o->seed, b, it, toks, ntok);
    }
    return st;
}

void dd__sign_batch(const dd__run *w, signer *g, batch *b)
{
    size_t k;

    b->set_n = b->n_lines = b->n_toks = b->tokb_n = b->gset_n = b->sk_n = b->n_quotes = 0;
    if (dd__grow((void **)&b->sigs, &b->sigs_cap, b->n * w->o->num_perm, sizeof *b->sigs) !=
            DD_OK ||
        dd__grow((void **)&b->keys, &b->keys_cap, b->n * w->bands, sizeof *b->keys) != DD_OK ||
        dd__grow((void **)&b->osig, &b->osig_cap, b->n * OCR_VALUES, sizeof *b->osig) != DD_OK ||
        dd__grow((void **)&b->lead, &b->lead_cap, b->n * w->lead_n, sizeof *b->lead) != DD_OK) {
        for (k = 0; k < b->n; k++)
            b->it[k].st = DD_ENOMEM;
        return;
    }
    for (k = 0; k < b->n; k++) {
        item *it = &b->it[k];
        it->set_lo = it->set_hi = it->line_lo = it->line_hi = it->tok_lo = it->tok_hi = 0;
        it->gset_lo = it->gset_hi = 0;
        it->sk_word = it->sk_gram = DD__NO_SKETCH;
        it->st = it->rst == DD_OK ? sign_item(w, g, b, it, k) : it->rst;
    }
}

/* ---- workers ------------------------------------------------------------------------- */

/* The filled batch read first, or NULL. */
static batch *next_filled(signing *s)
{
    batch *best = NULL;
    size_t i;

    for (i = 0; i < s->nb; i++)
        if (s->b[i].state == B_FILLED && (!best || s->b[i].seq < best->seq))
            best = &s->b[i];
    return best;
}

typedef struct worker_arg {
    signing *s;
    signer *g;
} worker_arg;

static void *worker(void *p)
{
    signing *s = ((worker_arg *)p)->s;
    signer *g = ((worker_arg *)p)->g;

    free(p);
    pthread_mutex_lock(&s->mu);
    for (;;) {
        batch *b;
        while (!s->quit && !(b = next_filled(s)))
            pthread_cond_wait(&s->work, &s->mu);
        if (s->quit)
            break;
        b->state = B_BUSY;
        pthread_mutex_unlock(&s->mu);
        dd__sign_batch(s->w, g, b);
        pthread_mutex_lock(&s->mu);
        b->state = B_DONE;
        pthread_cond_broadcast(&s->done);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---- filling (calling thread) ---------------------------------------------------------- */

/* A file's headline is its first line, so a JSON Lines record's title field is compared as
 * the first line of its text too (unless the text already starts with it): the same articles
 * give the same clusters as files or as records, and two records that share a template body
 * ("Qtly div 12 cts vs 12 cts") under different headlines stay apart. */
static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A JSON Lines record's title is compared as the text's first line unless the text already
 * starts with it; white space before either does not count (a text that opens with a blank
 * line and then its headline would otherwise compare the headline twice, and a record would
 * cluster unlike the same article as a file). */
static size_t title_prefix(const dd_doc *d)
{
    size_t tl = d->title ? strlen(d->title) : 0, ts = 0, xs = 0;

    while (ts < tl && blank(d->title[ts]))
        ts++;
    while (xs < d->len && blank(d->text[xs]))
        xs++;
    if (!d->line || ts == tl ||
        (d->len - xs >= tl - ts && memcmp(d->text + xs, d->title + ts, tl - ts) == 0))
        return 0;
    return tl;
}

char *dd_doc_compared_text(const dd_doc *d, size_t *len)
{
    size_t tl = title_prefix(d), head = tl ? tl + 2 : 0;
    char *s = malloc(head + d->len + 1);

    *len = 0;
    if (!s)
        return NULL;
    if (tl) {
        memcpy(s, d->title, tl);
        memcpy(s + tl, "\n\n", 2);
    }
    memcpy(s + head, d->text, d->len);
    s[head + d->len] = '\0';
    *len = head + d->len;
    return s;
}

static dd_status copy_doc(batch *b, item *it, const dd_doc *d)
{
    size_t off, rec, note, tl = title_prefix(d), head = tl ? tl + 2 : 0;

    if (put_str(b, d->id, strlen(d->id), &it->id) != DD_OK ||
        (d->warning && put_str(b, d->warning, strlen(d->warning), &note) != DD_OK) ||
        put_str(b, d->title, strlen(d->title), &it->title) != DD_OK ||
        put_str(b, d->source, strlen(d->source), &it->source) != DD_OK ||
        (d->date && put_str(b, d->date, strlen(d->date), &off) != DD_OK) ||
        (d->record && put_str(b, d->record, d->record_len, &rec) != DD_OK) ||
        dd__grow((void **)&b->txt, &b->txt_cap, b->txt_n + head + d->len + 1, 1) != DD_OK)
        return DD_ENOMEM;
    it->date = d->date ? (long)off : NO_DATE;
    it->record = d->record ? (long)rec : NO_DATE;
    it->note = d->warning ? (long)note : NO_DATE;
    it->line = d->line;
    it->record_off = d->record_off;
    it->record_len = d->record_len;
    if (tl) {
        memcpy(b->txt + b->txt_n, d->title, tl);
        memcpy(b->txt + b->txt_n + tl, "\n\n", 2);
    }
    memcpy(b->txt + b->txt_n + head, d->text, d->len);
    b->txt[b->txt_n + head + d->len] = '\0';
    it->text = b->txt_n;
    it->len = head + d->len;
    it->body = b->txt_n + head;
    it->body_len = d->len;
    b->txt_n += head + d->len + 1;
    return DD_OK;
}

/* Read into `b` until it holds BATCH_DOCS items or BATCH_TEXT bytes. Sets *eof at the end
 * of input; returns DD_ENOMEM only. On MPI ranks, for a batch another rank signs
 * (!b->mine), the reader passes over JSON Lines records without parsing them, and the batch
 * keeps where each item is, not what it holds; and the bytes that fill a batch (at most
 * RANK_BATCH_BYTES) and --keep-text are counted in input bytes (a record's line, a file's
 * text), which a rank knows of a record it passed over: every rank cuts the same batches and
 * keeps the same sets. */
dd_status dd__fill_batch(signing *s, dd_reader *r, batch *b, bool *eof)
{
    const bool sharded = s->w->shard != NULL, pass = sharded && !b->mine;
    size_t in_n = 0;

    if (sharded) /* ids are noted at the merge (dd__merge_batch) */
        dd__reader_set_pass(r, pass, true);

    b->n = b->str_n = b->txt_n = 0;
    s->filling = b;
    while (b->n < BATCH_DOCS && (sharded ? in_n < RANK_BATCH_BYTES : b->txt_n < BATCH_TEXT)) {
        dd_doc d;
        item *it;
        size_t warn_lo = b->str_n, size;
        dd_status st = dd_reader_next(r, &d);
        if (st == DD_ENOMEM || s->fill_st != DD_OK ||
            dd__grow((void **)&b->it, &b->it_cap, b->n + 1, sizeof *b->it) != DD_OK)
            return DD_ENOMEM;
        it = &b->it[b->n++];
        memset(it, 0, sizeof *it);
        it->rst = st;
        it->warn_lo = warn_lo;
        it->warn_hi = b->str_n;
        if (st == DD_END) {
            *eof = true;
            return DD_OK;
        }
        if (st != DD_OK) {
            const char *e = dd_reader_error(r);
            if (put_str(b, e, strlen(e), &it->msg) != DD_OK)
                return DD_ENOMEM;
            continue;
        }
        if (!pass && copy_doc(b, it, &d) != DD_OK)
            return DD_ENOMEM;
        size = sharded ? (d.line ? d.record_len : d.len) : it->len;
        in_n += size;
        /* Decided in reading order, so the same documents are kept for any -j. */
        s->text_read += size;
        it->keep = !d.rereadable || s->text_read <= s->w->o->keep_text;
        it->rereadable = d.rereadable;
    }
    return DD_OK;
}

/* ---- driver ---------------------------------------------------------------------------- */

static void signer_free(signer *g)
{
    dd_normalizer_free(g->nz);
    dd_terms_free(g->terms);
    free(g->sh);
    free(g->gh);
    free(g->gt);
    dd__setbuf_free(&g->sb);
    dd__sketchbuf_free(&g->skb);
}

void dd__sign_batch_free(batch *b)
{
    free(b->it);
    free(b->str);
    free(b->txt);
    free(b->tokb);
    free(b->sigs);
    free(b->keys);
    free(b->lead);
    free(b->set);
    free(b->pos);
    free(b->gset);
    free(b->gpos);
    free(b->osig);
    free(b->sk);
    free(b->lines);
    free(b->toks);
    free(b->terms);
    free(b->quotes);
}

static dd_status start_workers(signing *s)
{
    size_t i;

    for (i = 0; i < s->n_workers; i++) {
        worker_arg *a = malloc(sizeof *a);
        if (!a)
            return DD_ENOMEM;
        a->s = s;
        a->g = &s->sg[i];
        if (pthread_create(&s->tid[i], NULL, worker, a) != 0) {
            free(a);
            return DD_ENOMEM;
        }
        s->started++;
    }
    return DD_OK;
}

/* n signers; worker threads for them unless `workers` is false (then the caller runs them). */
static dd_status setup(signing *s, dd__run *w, size_t n, bool workers)
{
    size_t i;

    memset(s, 0, sizeof *s);
    s->w = w;
    s->n_signers = n;
    s->n_workers = n > 1 && workers ? n : 0; /* one thread signs on the calling thread itself */
    s->nb = 2 * n + 2;
    s->b = calloc(s->nb, sizeof *s->b);
    s->sg = calloc(n, sizeof *s->sg);
    s->tid = calloc(n, sizeof *s->tid);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->work, NULL);
    pthread_cond_init(&s->done, NULL);
    if (!s->b || !s->sg || !s->tid)
        return DD_ENOMEM;
    for (i = 0; i < n; i++)
        if (dd_normalizer_new(&s->sg[i].nz) != DD_OK ||
            (s->w->o->level == DD_LEVEL_STORIES &&
             dd_terms_new(s->w->o->seed, &s->sg[i].terms) != DD_OK))
            return DD_ENOMEM;
    return start_workers(s);
}

static void teardown(signing *s)
{
    size_t i, n = s->n_signers;

    pthread_mutex_lock(&s->mu);
    s->quit = true;
    pthread_cond_broadcast(&s->work);
    pthread_mutex_unlock(&s->mu);
    for (i = 0; i < s->started; i++)
        pthread_join(s->tid[i], NULL);
    for (i = 0; s->b && i < s->nb; i++)
        dd__sign_batch_free(&s->b[i]);
    for (i = 0; s->sg && i < n; i++)
        signer_free(&s->sg[i]);
    free(s->b);
    free(s->sg);
    free(s->tid);
    free(s->spans);
    free(s->out.p);
    free(s->in);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->work);
    pthread_cond_destroy(&s->done);
}

/* Merge every finished batch that is next in reading order; with `wait`, wait for the next
 * one when it is not finished yet (there must be one in flight). */
static dd_status merge_ready(signing *s, uint64_t *next, bool wait)
{
    for (;;) {
        batch *b = NULL;
        size_t i;
        dd_status st;
        bool ready;
        pthread_mutex_lock(&s->mu);
        for (;;) {
            for (i = 0; i < s->nb && !b; i++)
                if (s->b[i].state != B_FREE && s->b[i].seq == *next)
                    b = &s->b[i];
            ready = b && b->state == B_DONE;
            if (!wait || ready)
                break;
            pthread_cond_wait(&s->done, &s->mu);
            b = NULL;
        }
        pthread_mutex_unlock(&s->mu);
        if (!ready)
            return DD_OK;
        st = dd__merge_batch(s, b);
        pthread_mutex_lock(&s->mu);
        b->state = B_FREE;
        pthread_mutex_unlock(&s->mu);
        (*next)++;
        if (st != DD_OK)
            return st;
        wait = false;
    }
}

static batch *free_batch(signing *s)
{
    batch *b = NULL;
    size_t i;

    pthread_mutex_lock(&s->mu);
    for (i = 0; i < s->nb && !b; i++)
        if (s->b[i].state == B_FREE)
            b = &s->b[i];
    pthread_mutex_unlock(&s->mu);
    return b;
}

/* Reading, and merging as batches come back; with no workers each batch is signed here. */
static dd_status pump(signing *s, dd_reader *r)
{
    uint64_t filled = 0, merged = 0;
    bool eof = false;
    dd_status st = DD_OK;

    while (st == DD_OK && !eof) {
        batch *b = free_batch(s);
        if (!b) {
            st = merge_ready(s, &merged, true);
            continue;
        }
        st = dd__fill_batch(s, r, b, &eof);
        if (st != DD_OK)
            break;
        if (!s->n_workers)
            dd__sign_batch(s->w, &s->sg[0], b);
        pthread_mutex_lock(&s->mu);
        b->seq = filled++;
        b->state = s->n_workers ? B_FILLED : B_DONE;
        pthread_cond_signal(&s->work);
        pthread_mutex_unlock(&s->mu);
        st = merge_ready(s, &merged, false);
    }
    while (st == DD_OK && merged < filled)
        st = merge_ready(s, &merged, true);
    return st;
}

dd_status dd__read_all(dd__run *w, dd_reader *r)
{
    signing s;
    size_t nt = dd__thread_count(w->o);
    dd_status st = w->shard ? setup(&s, w, nt < ROUND_BATCHES ? nt : ROUND_BATCHES, false)
                            : setup(&s, w, nt, true);

    if (st == DD_OK) {
        dd_reader_swap_warning(r, on_reader_warning, &s, &s.warn_fn, &s.warn_ud);
        if (!s.warn_fn)
            dd_reader_swap_warning(r, NULL, NULL, NULL, NULL);
        s.rd = r;
        st = w->shard ? dd__pump_sharded(&s, r) : pump(&s, r);
        if (s.warn_fn)
            dd_reader_swap_warning(r, s.warn_fn, s.warn_ud, NULL, NULL);
    }
    teardown(&s);
    return st;
}
