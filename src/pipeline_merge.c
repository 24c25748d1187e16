/* Signing stage, the merge (calling thread, reading order): each signed batch's items
 * appended to the run's arrays (signatures, sets or what reading them again needs, lines,
 * sketches, metadata, story terms), reader warnings replayed with their item and skipped
 * documents counted, so every array, diagnostic and document id is the same for any thread
 * count or rank count. pipeline_sign.c fills and signs the batches; pipeline_rounds.c
 * exchanges them between MPI ranks. */
#include "pipeline_sign.h"
#include "reader_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void diag(const dd__run *w, const char *msg, bool skipped)
{
    if (w->o->on_diag)
        w->o->on_diag(w->o->diag_ud, msg, skipped);
}

dd_skip_reason dd__skip_reason(dd_status st)
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

static void report_skip(dd__run *w, dd_status st, const char *msg)
{
    w->res->skipped[dd__skip_reason(st)]++;
    diag(w, msg, true);
}

/* "file:line" for a JSONL record, "file" for a whole-file document: where to look. */
static const char *where(const dd_doc *d, char *buf, size_t cap)
{
    if (!d->line)
        return d->source;
    snprintf(buf, cap, "%s:%zu", d->source, d->line);
    return buf;
}

static dd_doc item_doc(const batch *b, const item *it)
{
    dd_doc d;

    memset(&d, 0, sizeof d);
    if (it->rst != DD_OK) /* a reader error: nothing of the document was copied */
        return d;
    d.id = b->str + it->id;
    d.title = b->str + it->title;
    d.source = b->str + it->source;
    d.date = it->date == NO_DATE ? NULL : b->str + it->date;
    d.text = b->txt ? b->txt + it->body : ""; /* no text: a batch another rank signed */
    d.len = it->body_len;
    d.line = it->line;
    d.warning = it->note == NO_DATE ? NULL : b->str + it->note;
    d.record_off = it->record_off;
    d.record_len = it->record_len;
    d.record = it->record == NO_DATE ? NULL : b->str + it->record;
    return d;
}

/* Whether this run's result is the one reported: in one process, or MPI rank 0. The other
 * ranks keep no ids, titles, dates or records of their documents and note no ids: about 100
 * MB less a rank on a million articles. */
static bool reports(const dd__run *w)
{
    return !w->shard || w->shard->rank == 0;
}

static dd_status store_meta(dd__run *w, const dd_doc *d, size_t ntok, size_t nseq)
{
    dd_result *res = w->res;
    struct dd__result_mem *m = res->mem;
    dd_doc_info *info;
    size_t idx = res->n_docs;

    if (dd__grow((void **)&res->docs, &m->docs_cap, idx + 1, sizeof *res->docs) != DD_OK ||
        dd__grow((void **)&m->set_off, &m->off_cap, idx + 2, sizeof *m->set_off) != DD_OK ||
        dd__grow((void **)&m->seq_len, &m->seq_cap, idx + 1, sizeof *m->seq_len) != DD_OK ||
        dd__grow((void **)&m->goff, &m->goff_cap, idx + 2, sizeof *m->goff) != DD_OK)
        return DD_ENOMEM;
    /* flags, hash and lead of idx were written by append_item */
    info = &res->docs[idx];
    memset(info, 0, sizeof *info);
    /* a file's records share its path: kept once, not once a record */
    info->source = idx > 0 && strcmp(res->docs[idx - 1].source, d->source) == 0
                       ? res->docs[idx - 1].source
                       : dd__arena_strndup(&m->strings, d->source, strlen(d->source));
    if (!info->source)
        return DD_ENOMEM;
    if (!reports(w)) { /* the path stays: a document is read again by it */
        info->id = info->title = "";
    } else {
        info->id = dd__arena_strndup(&m->strings, d->id, strlen(d->id));
        info->title = dd__arena_strndup(&m->strings, d->title, strlen(d->title));
        info->date = d->date ? dd__arena_strndup(&m->strings, d->date, strlen(d->date)) : NULL;
        if (!info->id || !info->title || (d->date && !info->date))
            return DD_ENOMEM;
    }
    info->bytes = d->len;
    info->tokens = ntok;
    info->line = d->line;
    info->record_off = d->record_off;
    info->record_len = d->record_len;
    if (d->record && reports(w) &&
        !(info->record = dd__arena_strndup(&m->strings, d->record, d->record_len)))
        return DD_ENOMEM;
    dd__populate_ahead(res->docs, m->docs_cap, idx, idx + 1, sizeof *res->docs);
    m->seq_len[idx] = nseq;
    m->set_off[idx + 1] = m->set_n;
    m->goff[idx + 1] = m->gset_n;
    res->n_docs++;
    return DD_OK;
}

/* dd__lonely_sig's values, 8 bits of each. Only documents too short for OCR pairs have no
 * grams, and they are never banded: the values need only be defined. */
static void lonely8(uint8_t *sig, size_t doc)
{
    uint32_t v[OCR_VALUES];
    size_t i;

    dd__lonely_sig(v, OCR_VALUES, doc);
    for (i = 0; i < OCR_VALUES; i++)
        sig[i] = (uint8_t)(v[i] ^ v[i] >> 8 ^ v[i] >> 16 ^ v[i] >> 24);
}

/* The item's bound sketches, if it has any, to the result's. */
static dd_status append_sketches(struct dd__result_mem *m, const batch *b, const item *it,
                                 size_t idx)
{
    size_t lo = it->sk_word, hi = it->sk_gram != DD__NO_SKETCH ? it->sk_gram : lo, n;

    if (dd__grow((void **)&m->sk_off, &m->sk_off_cap, 2 * idx + 2, sizeof *m->sk_off) != DD_OK)
        return DD_ENOMEM;
    m->sk_off[2 * idx] = m->sk_off[2 * idx + 1] = DD__NO_SKETCH;
    if (lo == DD__NO_SKETCH)
        return DD_OK;
    if (hi != lo) /* the gram sketch follows the shingle sketch */
        hi += dd_sketch_size(b->sk + hi);
    else
        hi = lo + dd_sketch_size(b->sk + lo);
    n = hi - lo;
    if (dd__grow((void **)&m->sk, &m->sk_cap, m->sk_n + n, 1) != DD_OK)
        return DD_ENOMEM;
    memcpy(m->sk + m->sk_n, b->sk + lo, n);
    dd__populate_ahead(m->sk, m->sk_cap, m->sk_n, m->sk_n + n, 1);
    m->sk_off[2 * idx] = m->sk_n;
    if (it->sk_gram != DD__NO_SKETCH)
        m->sk_off[2 * idx + 1] = m->sk_n + (it->sk_gram - lo);
    m->sk_n += n;
    return DD_OK;
}

/* The item's kept set and gram set stay where signing put them, packed after the batch's
 * sets merged before it: the merge hands the buffers over whole (take_sets). Only an item
 * that was signed and then skipped leaves a gap to close. */
static void pack_sets(signing *s, batch *b, const item *it)
{
    size_t n = it->set_hi - it->set_lo, gn = it->gset_hi - it->gset_lo;

    if (n && it->set_lo != s->set_w) {
        memmove(b->set + s->set_w, b->set + it->set_lo, n * sizeof *b->set);
        memmove(b->pos + s->set_w, b->pos + it->set_lo, n * sizeof *b->pos);
    }
    if (gn && it->gset_lo != s->gset_w) {
        memmove(b->gset + s->gset_w, b->gset + it->gset_lo, gn * sizeof *b->gset);
        memmove(b->gpos + s->gset_w, b->gpos + it->gset_lo, gn * sizeof *b->gpos);
    }
    s->set_w += n;
    s->gset_w += gn;
}

/* Append one signed item's signatures, set (or what reading it again needs) and lines. */
static dd_status append_item(dd__run *w, const batch *b, const item *it, size_t k)
{
    struct dd__result_mem *m = w->res->mem;
    size_t nb = w->bands, nl = w->lead_n, idx = w->res->n_docs;
    size_t n = it->set_hi - it->set_lo, i, nlines = it->line_hi - it->line_lo;
    size_t gn = it->gset_hi - it->gset_lo;

    if (dd__grow((void **)&m->bkeys, &m->bkeys_cap, (idx + 1) * nb, sizeof *m->bkeys) !=
            DD_OK ||
        dd__grow((void **)&m->lead, &m->lead_cap, (idx + 1) * nl, sizeof *m->lead) != DD_OK ||
        dd__grow((void **)&m->flags, &m->flags_cap, idx + 1, sizeof *m->flags) != DD_OK ||
        dd__grow((void **)&m->hash, &m->hash_cap, idx + 1, sizeof *m->hash) != DD_OK ||
        dd__grow((void **)&m->osig, &m->osig_cap, (idx + 1) * OCR_VALUES, sizeof *m->osig) !=
            DD_OK ||
        dd__grow((void **)&m->noise, &m->noise_cap, idx + 1, sizeof *m->noise) != DD_OK ||
        dd__grow((void **)&m->lines, &m->lines_cap, m->n_lines + nlines, sizeof *m->lines) !=
            DD_OK ||
        append_sketches(m, b, it, idx) != DD_OK)
        return DD_ENOMEM;
    /* On ranks the band keys are the signing rank's alone (the banding sends each to the
     * rank that owns it); the others' stay unwritten. */
    if (w->shard) {
        if (dd__grow((void **)&w->own, &w->own_cap, idx + 1, sizeof *w->own) != DD_OK)
            return DD_ENOMEM;
        w->own[idx] = b->mine;
    }
    if (!w->shard || b->mine) {
        memcpy(m->bkeys + idx * nb, b->keys + k * nb, nb * sizeof *m->bkeys);
        dd__populate_ahead(m->bkeys, m->bkeys_cap, idx * nb, (idx + 1) * nb, sizeof *m->bkeys);
    }
    if (it->lead)
        memcpy(m->lead + idx * nl, b->lead + k * nl, nl * sizeof *m->lead);
    else
        dd__lonely_sig(m->lead + idx * nl, nl, idx);
    m->flags[idx] = keeps_set(w, it) ? (keeps_grams(w, it) ? 0 : DD__DOC_NOGRAMS)
                                     : DD__DOC_REREAD;
    m->hash[idx] = it->hash;
    m->set_n += n;
    m->gset_n += gn;
    m->noise[idx] = (uint16_t)it->noise;

    if (!it->grams)
        lonely8(m->osig + idx * OCR_VALUES, idx);
    else
        memcpy(m->osig + idx * OCR_VALUES, b->osig + k * OCR_VALUES,
               OCR_VALUES * sizeof *m->osig);
    for (i = 0; i < nlines; i++) {
        m->lines[m->n_lines] = b->lines[it->line_lo + i];
        m->lines[m->n_lines++].doc = (uint32_t)idx;
    }
    /* The arrays a million documents make large: their next pages faulted in by the step */
    dd__populate_ahead(m->lines, m->lines_cap, m->n_lines - nlines, m->n_lines, sizeof *m->lines);
    dd__populate_ahead(m->lead, m->lead_cap, idx * nl, (idx + 1) * nl, sizeof *m->lead);
    dd__populate_ahead(m->osig, m->osig_cap, idx * OCR_VALUES, (idx + 1) * OCR_VALUES,
                       sizeof *m->osig);
    dd__populate_ahead(m->hash, m->hash_cap, idx, idx + 1, sizeof *m->hash);
    return DD_OK;
}

static dd_status story_item(signing *s, const batch *b, const item *it)
{
    size_t i, n = it->tok_hi - it->tok_lo;

    if (dd__grow((void **)&s->spans, &s->spans_cap, n + 1, sizeof *s->spans) != DD_OK)
        return DD_ENOMEM;
    for (i = 0; i < n; i++) {
        const tokref *t = &b->toks[it->tok_lo + i];
        s->spans[i].ptr = b->tokb + t->off;
        s->spans[i].len = t->len;
    }
    return dd__story_add_terms(s->w, it->days, n ? b->terms + it->tok_lo : NULL, s->spans, n,
                               b->quotes ? b->quotes + it->q_lo : NULL, it->q_hi - it->q_lo);
}

static dd_status merge_item(signing *s, batch *b, const item *it, size_t k)
{
    dd__run *w = s->w;
    char loc[1100], msg[1200];
    dd_doc d = item_doc(b, it);
    dd_status st = it->st;
    size_t p;

    for (p = it->warn_lo; p < it->warn_hi; p += strlen(b->str + p) + 1)
        s->warn_fn(s->warn_ud, b->str + p);
    if (it->rst == DD_END)
        return DD_OK;
    /* On ranks ids are noted here, in reading order, where a reading would have (its warning
     * after the item's others): a rank passes over the records of batches others sign. */
    if (w->shard && reports(w) && it->rst == DD_OK &&
        dd__reader_note_id(s->rd, &d, s->warn_fn, s->warn_ud) == DD_ENOMEM)
        return DD_ENOMEM;
    w->res->n_inputs++;
    if (it->rst != DD_OK) {
        report_skip(w, it->rst, b->str + it->msg);
        return DD_OK;
    }
    if (d.warning) {
        w->res->n_repaired++;
        snprintf(msg, sizeof msg, "%s: warning: %s", where(&d, loc, sizeof loc), d.warning);
        diag(w, msg, false);
    }
    if (st == DD_OK && w->o->level == DD_LEVEL_STORIES)
        st = story_item(s, b, it);
    if (st == DD_OK)
        st = append_item(w, b, it, k);
    if (st == DD_OK)
        pack_sets(s, b, it);
    if (st == DD_OK)
        st = store_meta(w, &d, it->ntok, it->nseq);
    if (st == DD_ENOMEM)
        return st;
    if (st != DD_OK) {
        snprintf(msg, sizeof msg, "%s: %s, skipped", where(&d, loc, sizeof loc),
                 st == DD_EEMPTY ? "no words" : dd_strerror(st));
        report_skip(w, st, msg);
    }
    return DD_OK;
}

/* Give *p (n elements of `size` used, room for *cap) to the caller, trimmed to n, and leave
 * in its place a buffer of the same room, not yet written (so not yet in memory): the next
 * batch signed into it faults its pages in on the signing thread. */
static void *hand_over(void **p, size_t *cap, size_t n, size_t size)
{
    void *taken = *p, *t = realloc(taken, n * size);

    *p = malloc(*cap * size);
    if (!*p)
        *cap = 0;
    return t ? t : taken;
}

/* The batch's kept sets, packed by pack_sets, become the result's chunk for the documents
 * from doc_lo on: the merge copies no set. */
static dd_status take_sets(signing *s, batch *b, size_t doc_lo)
{
    struct dd__result_mem *m = s->w->res->mem;
    dd__set_chunk *c;

    if (!s->set_w && !s->gset_w)
        return DD_OK;
    if (dd__grow((void **)&m->chunks, &m->chunks_cap, m->n_chunks + 1, sizeof *m->chunks) !=
        DD_OK)
        return DD_ENOMEM;
    c = &m->chunks[m->n_chunks++];
    memset(c, 0, sizeof *c);
    c->doc_lo = doc_lo;
    if (s->set_w) {
        c->set = hand_over((void **)&b->set, &b->set_cap, s->set_w, sizeof *b->set);
        c->pos = hand_over((void **)&b->pos, &b->pos_cap, s->set_w, sizeof *b->pos);
    }
    if (s->gset_w) {
        c->gset = hand_over((void **)&b->gset, &b->gset_cap, s->gset_w, sizeof *b->gset);
        c->gpos = hand_over((void **)&b->gpos, &b->gpos_cap, s->gset_w, sizeof *b->gpos);
    }
    return DD_OK;
}

dd_status dd__merge_batch(signing *s, batch *b)
{
    size_t k, doc_lo = s->w->res->n_docs;

    s->set_w = s->gset_w = 0;
    for (k = 0; k < b->n; k++) {
        dd_status st = merge_item(s, b, &b->it[k], k);
        if (st != DD_OK)
            return st;
    }
    return take_sets(s, b, doc_lo);
}
