/* What the signing stage shares between its files: pipeline_sign.c (reading, signing on
 * threads), pipeline_merge.c (the in-order merge) and pipeline_rounds.c (the same batches
 * signed on MPI ranks, round by round). Internal to those three files. */
#ifndef DEDUP_PIPELINE_SIGN_H
#define DEDUP_PIPELINE_SIGN_H

#include "pipeline_stages.h"

#include <pthread.h>

enum { BATCH_DOCS = 256, BATCH_TEXT = 1 << 21, NO_DATE = -1 };
enum { RANK_BATCH_BYTES = 1 << 19 };
enum { B_FREE, B_FILLED, B_BUSY, B_DONE };

/* One input item: what the reader said, then what a worker made of it. Strings are offsets
 * into the batch's `str`, text into `txt`, results into the batch's result arrays. */
typedef struct item {
    dd_status rst, st;       /* reader status, signing status */
    size_t warn_lo, warn_hi; /* reader warnings (NUL-separated, in str) */
    size_t msg;              /* reader error message when rst != DD_OK */
    size_t id, title, source;
    long date;               /* offset, or NO_DATE */
    long note;               /* offset of the reader's repair note, or NO_DATE */
    size_t line, record_len;
    long record_off;
    long record;             /* offset of the record bytes kept for --emit, or NO_DATE */
    size_t text, len;        /* what is compared: a record's title, a blank line, its text */
    size_t body, body_len;   /* the document's own text (inside text, or equal to it) */
    size_t ntok, nseq;
    size_t set_lo, set_hi, line_lo, line_hi, tok_lo, tok_hi, gset_lo, gset_hi, q_lo, q_hi;
    size_t sk_word, sk_gram;  /* its bound sketches in the batch's sk (DD__NO_SKETCH: none) */
    bool keep;               /* its set is kept (else it is read again when needed) */
    bool rereadable;         /* the reader can read it again */
    bool lead;               /* its lead signature is in the batch (else: none to make) */
    bool grams;              /* its OCR signature is in the batch (else: no gram at all) */
    unsigned noise;          /* unknown words per thousand (dd_vocab_noise) */
    uint64_t hash;           /* XXH3 of the compared text, checked when it is read again */
    double days;             /* stories level: its day (dd__doc_days), NAN if none */
} item;

typedef struct tokref {
    size_t off, len;
} tokref;

typedef struct batch {
    int state;
    uint64_t seq;
    item *it;
    size_t n, it_cap;
    char *str, *txt, *tokb;
    size_t str_n, str_cap, txt_n, txt_cap, tokb_n, tokb_cap;
    uint32_t *sigs, *lead; /* per item: num_perm values; lead_n values */
    uint32_t *keys;        /* per item: the band keys of its signature (w->bands) */
    size_t sigs_cap, lead_cap, keys_cap;
    uint64_t *set, *gset;
    uint32_t *pos, *gpos;
    size_t set_n, set_cap, pos_cap, gset_n, gset_cap, gpos_cap;
    uint8_t *osig; /* per item: OCR_VALUES values */
    size_t osig_cap;
    uint8_t *sk;    /* bound sketches of the items whose sets are not kept */
    size_t sk_n, sk_cap;
    dd__line *lines;
    size_t n_lines, lines_cap;
    tokref *toks;      /* stories: each term's name, bytes in tokb */
    size_t n_toks, toks_cap;
    dd_term *terms;    /* stories: the items' content terms, tok_lo..tok_hi each */
    size_t terms_cap;
    uint64_t *quotes;  /* stories: the items' quoted-word runs, q_lo..q_hi each */
    bool mine;         /* on MPI ranks: this rank signs it (set before it is filled) */
    size_t n_quotes, quotes_cap;
} batch;

/* Per-thread signing buffers: nothing is allocated per shingle or per document. */
typedef struct signer {
    dd_normalizer *nz;
    uint64_t *sh, *gh;
    uint32_t *gt;
    size_t sh_cap, gh_cap, gt_cap;
    dd__setbuf sb;
    dd__sketchbuf skb;
    dd_terms *terms; /* stories level: this thread's stemmer and word cache */
} signer;

typedef struct packer {
    unsigned char *p;
    size_t n, cap;
} packer;

typedef struct signing {
    dd__run *w;
    batch *b;
    size_t nb;
    signer *sg;
    pthread_t *tid;
    size_t n_signers, n_workers, started;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    bool quit;
    batch *filling; /* where reader warnings go while dd_reader_next runs */
    dd_reader *rd;  /* on MPI ranks, for the ids noted at merge (dd__reader_note_id) */
    dd_reader_warn_fn warn_fn; /* the reader's own callback, replayed at merge */
    void *warn_ud;
    dd_status fill_st;
    size_t text_read; /* compared text bytes copied so far, for opts.keep_text */
    size_t set_w, gset_w; /* merge: where the next kept set goes in its batch's buffers */
    dd_span *spans; /* merge scratch for stories-level tokens */
    size_t spans_cap;
    packer out;     /* on MPI ranks: this rank's packed batches, and every rank's, */
    void *in;       /* buffers reused round after round */
    size_t in_cap;
} signing;

/* Whether the set of an item is kept in memory (else it is read again when needed). */
static inline bool keeps_set(const dd__run *w, const item *it)
{
    return w->keep_sets || it->keep;
}

/* Whether the gram set of an item is made at signing: only where the shingle set is kept and
 * the document cannot be read again. Grams are needed for OCR pairs only, a few documents:
 * the others are read again for them, which costs less than hashing every text twice. */
static inline bool keeps_grams(const dd__run *w, const item *it)
{
    return keeps_set(w, it) && !it->rereadable;
}

/* Sign every item of b (any thread). */
void dd__sign_batch(const dd__run *w, signer *g, batch *b);

/* Stories level, on the signing thread: item it's content terms (toks, ntok its tokens)
 * into b, with the names reports give them, its quoted-word trigrams, its names and figures
 * flagged and the first term of each line (pipeline_terms.c). */
dd_status dd__sign_story_terms(signer *g, uint64_t seed, batch *b, item *it, const dd_span *toks,
                               size_t ntok);

/* Read into b until it is full (pipeline_sign.c has the rule); *eof at the end of input.
 * On MPI ranks a batch another rank signs (!b->mine) has its JSON Lines records passed
 * over, not parsed. */
dd_status dd__fill_batch(signing *s, dd_reader *r, batch *b, bool *eof);

/* Merge b's items into the run, in order (calling thread; pipeline_merge.c). */
dd_status dd__merge_batch(signing *s, batch *b);

void dd__sign_batch_free(batch *b);

/* On MPI ranks (s->w->shard): read, sign this rank's batches, exchange, merge every batch
 * in reading order (pipeline_rounds.c). */
enum { ROUND_BATCHES = 4 };
dd_status dd__pump_sharded(signing *s, dd_reader *r);

#endif
