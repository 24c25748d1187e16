/* Internal to the pipeline files: what a run keeps per document, the working state and the
 * helpers the stages share. The stage entry points, in the order data flows, are declared in
 * pipeline_stages.h. pipeline_sets.c (shingle sets, sketches, thread count) and
 * pipeline_sets_load.c (a block's sets, read again) are used by every stage; pipeline_terms.c
 * keeps the story terms at signing; pipeline_ocr.c is the OCR signatures' banding and verdict
 * memo. */
#ifndef DEDUP_PIPELINE_INTERNAL_H
#define DEDUP_PIPELINE_INTERNAL_H

#include <dedup/dedup.h>

#include "util.h"

/* A line of >= 3 tokens, hashed for boilerplate detection: tokens [a, b) of document doc;
 * bp once the boilerplate pass marks it. The hash is kept as two 32-bit halves (h_lo, h_hi;
 * dd__line_hash) so the line is 20 bytes, not 24 with a 64-bit member's alignment: a
 * million articles hold 10 to 14 million. */
typedef struct dd__line {
    uint32_t h_lo, h_hi;
    uint32_t doc, a;
    uint32_t b : 31;
    uint32_t bp : 1;
} dd__line;
_Static_assert(sizeof(dd__line) == 20, "a line is 20 bytes");

static inline uint64_t dd__line_hash(const dd__line *ln)
{
    return (uint64_t)ln->h_hi << 32 | ln->h_lo;
}

static inline dd__line dd__line_make(uint64_t h, uint32_t a, uint32_t b)
{
    dd__line ln = {(uint32_t)h, (uint32_t)(h >> 32), 0, a, b & 0x7fffffffu, 0};
    return ln;
}

/* Per-document flags (dd__result_mem.flags). */
enum {
    DD__DOC_REREAD = 1,   /* its set is not kept: it is read again when needed */
    DD__DOC_STRIPPED = 2, /* its set lost boilerplate shingles (strip again after reading) */
    DD__DOC_CHANGED = 4,  /* reading it again failed or gave other text: pairs unverified */
    DD__DOC_NOGRAMS = 8,  /* its set is kept, its gram set is not: it is read again for an
                             OCR pair (pipeline_ocr.c) */
    DD__DOC_GSKETCH = 16  /* its gram sketch was made after signing (or tried): not again */
};

/* Bound sketches (dd_sketch_make) of the sets of documents that are read again, so most
 * candidate pairs are rejected without reading them (pipeline_copies_bound.c): 2^2 bits an
 * element or so, and at least 2^11 bits for a shingle set (256 bytes: a news article of up to
 * 500 shingles), 2^9 for a gram set. Alike widths matter more than bits per element: a pair
 * meets at the smaller width, where the longer set is dense (docs/ALGORITHMS.md). */
enum { SKETCH_WORD_BITS = 2, SKETCH_WORD_WIDTH = 11, SKETCH_GRAM_BITS = 2, SKETCH_GRAM_WIDTH = 9 };
#define DD__NO_SKETCH SIZE_MAX

/* A content term as the merge keeps it for the stories level: 8 bytes, not dd_term's 16. The
 * 64-bit hash is the dictionary's (term_hash[id]); every step that orders or sums terms looks
 * it up, so results are those of the hashes. `tok` is the source token << 3 | the DD_TERM_*
 * flags | DD__TERM_LINE (tokens past DD__CTERM_MAX_TOKEN, a document of half a billion words,
 * share the last). */
typedef struct dd__cterm {
    uint32_t id;
    uint32_t tok;
} dd__cterm;

/* dd_term.flags, set by the sign stage: the first content term of its line (a report's
 * fact lists look for the lead's facts on a fact's line, pipeline_vectors.c). */
#define DD__TERM_LINE 4u

#define DD__CTERM_MAX_TOKEN 0x1FFFFFFFu

static inline uint32_t dd__cterm_token(dd__cterm t)
{
    return t.tok >> 3;
}

/* DD_TERM_FIGURE, DD_TERM_NAME and DD__TERM_LINE */
static inline uint32_t dd__cterm_flags(dd__cterm t)
{
    return t.tok & 7u;
}

_Static_assert(sizeof(dd__cterm) == sizeof(uint64_t), "a term's slot holds its vector hash");

struct dd__result_mem {
    dd__arena strings;
    uint8_t *flags;  /* DD__DOC_* per document */
    uint64_t *hash;  /* XXH3 of each re-read document's compared text, checked on reading */
    uint32_t *lead;  /* lead signature (LEAD_VALUES values) per document */
    size_t flags_cap, hash_cap, lead_cap;
    /* Kept sets (shingles and OCR grams) stay in the buffers their batch was signed into:
     * the merge takes a batch's buffers instead of copying them (dd__set_chunk below), so
     * document i's set is set_off[i + 1] - set_off[i] elements at dd__kept_set(m, i).
     * DD__DOC_REREAD documents have none. */
    struct dd__set_chunk *chunks;
    size_t n_chunks, chunks_cap;
    size_t set_n;    /* elements of every kept set, as set_off counts them */
    size_t *set_off; /* document i's set: set_off[i + 1] - set_off[i] elements */
    size_t *seq_len; /* shingles in text order, repeats included */
    size_t off_cap, seq_cap;
    uint32_t *bkeys; /* band keys per document (dd__run.bands of them, dd_lsh_band_keys): the
                        MinHash signature itself is not kept (168 bytes a document, not 512) */
    size_t bkeys_cap;
    size_t gset_n;   /* OCR-robust gram sets (dd_gram_hash), sorted, kept like sets */
    size_t *goff;    /* document i's gram set: goff[i + 1] - goff[i] elements */
    size_t goff_cap;
    uint8_t *osig;   /* OCR_VALUES one-permutation MinHash values of the lead's grams per
                        document, their top 8 bits (b-bit MinHash, Li and Koenig 2010: two
                        values agree by chance 1 time in 256, and the OCR rule is exact) */
    size_t osig_cap;
    uint8_t *sk;     /* bound sketches: a read-again document's from signing (rewritten in
                        place, smaller, when it is stripped), the kept ones' made per pass */
    size_t sk_n, sk_cap;
    size_t *sk_off;  /* document i: shingle sketch at sk + sk_off[2i], gram sketch at
                        sk + sk_off[2i + 1]; DD__NO_SKETCH where there is none */
    size_t sk_off_cap;
    uint16_t *noise; /* unknown words per thousand per document (dd_vocab_noise) */
    size_t noise_cap;
    dd__line *lines;
    size_t n_lines, lines_cap;
    size_t docs_cap, pairs_cap;
    /* stories level */
    dd__cterm *terms; /* content terms in text order, document after document, as
                         dictionary ids (term_hash[id] is the hash) */
    size_t n_terms, terms_cap;
    size_t *term_off, term_off_cap;
    double *days;    /* date of each document in days since 1970, NaN if unknown */
    size_t days_cap;
    uint32_t *vid;   /* story vectors: each entry's term as its rank in vhash, and weights
                        (vw), term_off-like offsets (voff) */
    uint64_t *vhash; /* the run's distinct term hashes, ascending: vid's order is theirs */
    float *vw;
    size_t *voff;
    uint32_t *vpos;  /* each vector entry's first mention: its place among the document's
                        content terms (the terms themselves are freed once vectors exist) */
    uint64_t *fact_h;   /* facts (names and figures) of each document, sorted, distinct */
    uint8_t *fact_k;    /* DD_TERM_FIGURE or DD_TERM_NAME of each fact */
    uint32_t *fact_pos; /* the token of each fact's first mention */
    uint8_t *fact_aside; /* 1: first mentioned away from the lead's terms (not shown) */
    size_t *fact_off;   /* document i: fact_h[fact_off[i] .. fact_off[i+1]) */
    uint64_t *quote_h;  /* quoted-word trigrams of each document (dd_terms_quotes), sorted */
    size_t *quote_off;  /* document i: quote_h[quote_off[i] .. quote_off[i+1]) */
    size_t n_quote, quote_cap, quote_off_cap;
    dd__strmap surface; /* unused key space: see pipeline_story.c */
    uint64_t *dict_h;   /* term hash -> first surface form, for key terms in reports */
    const char **dict_s;
    uint32_t *dict_id;  /* each dictionary slot's term id: ids count distinct terms in the
                           order they are first met */
    uint64_t *term_hash; /* term id -> its hash */
    size_t term_hash_cap;
    uint64_t *dict_front; /* pipeline_terms.c: hashes known to be in the dictionary, */
    uint32_t *dict_front_id; /* and their ids */
    size_t dict_n, dict_cap;
};

/* One signed batch's kept sets, taken by the merge as they were signed: the sets of
 * documents doc_lo, doc_lo + 1, ... (up to the next chunk's doc_lo) one after another, each
 * with its elements' first positions; the same for the gram sets. Document d's set starts
 * at set + (set_off[d] - set_off[doc_lo]); stripping boilerplate compacts each chunk in
 * place. A pointer is NULL when the batch kept no such set. */
typedef struct dd__set_chunk {
    size_t doc_lo;
    uint64_t *set, *gset;
    uint32_t *pos, *gpos; /* first position in the text / token of each element */
} dd__set_chunk;

/* A shingle hash and its first position in the text, sorted to build a document's set. */
struct dd__hp {
    uint64_t h;
    uint32_t pos;
};

/* Lead signatures: MinHash of each document's first LEAD_SHINGLES shingles, LEAD_VALUES
 * values (pipeline.c explains why). */
enum { LEAD_SHINGLES = 32, LEAD_VALUES = 32 };

/* OCR signatures: one-permutation MinHash of all grams of the first OCR_LEAD_TOKENS tokens,
 * OCR_VALUES values; the noise estimate reads the first OCR_NOISE_TOKENS tokens
 * (pipeline_ocr.c and docs/ALGORITHMS.md, "Copies through OCR noise"). */
enum { OCR_VALUES = 64, OCR_LEAD_TOKENS = 40, OCR_NOISE_TOKENS = 256 };

/* The OCR rule's verdicts of the first verification, for the second (pipeline_ocr.c): a pair
 * neither of whose documents the boilerplate pass stripped has the same sets, so the same
 * verdict, and its grams are not made again. pair[0]: judged, [1]: accepted, [2]: rejected as
 * sharing only a footer; each ascending once sealed. */
typedef struct dd__ocr_memo {
    uint64_t *pair[3];
    size_t n[3], cap[3];
    bool sealed, lost; /* lost: out of memory once, so it answers nothing */
} dd__ocr_memo;

/* Candidates are verified DD__BLOCK_PAIRS at a time: the sets of a block's documents are
 * loaded (read again where they are not kept), at most 2 x DD__BLOCK_PAIRS of them. A
 * block's sets (and gram sets, for OCR pairs) are the run's peak memory: 4096 pairs keep 1M
 * generated articles under 1.5 GB (docs/performance.md), 16384 did not. The boilerplate
 * pass reads documents again in blocks of the same size. */
enum { DD__BLOCK_PAIRS = 1 << 12 };

/* The first verification's verdict on every candidate it verified (pipeline_copies.c), for
 * the second: a pair neither of whose documents the boilerplate pass stripped has the same
 * sets, sketches and lines in both passes, so it gets the same verdict without reading
 * either document again. */
typedef struct dd__verdicts {
    uint64_t *key;       /* the first pass's candidates here, ascending */
    uint8_t *cat;        /* per key: DD__V_* */
    size_t n, cap;
    dd_pair_score *acc;  /* the first pass's accepted pairs, ascending */
    size_t n_acc;
    uint64_t *foot;      /* the first pass's pairs rejected as sharing only a footer */
    size_t n_foot, foot_cap;
    bool recorded, lost; /* lost: out of memory once, so it answers nothing */
} dd__verdicts;

enum { DD__V_REJECT, DD__V_ACCEPT, DD__V_FOOTER, DD__V_BOUND };

/* How a run is shared out among MPI ranks (src/mpi/pipeline_mpi.c fills it): this rank, the
 * number of ranks, and the one collective the stages need. The stages stay free of MPI. */
typedef struct dd__shard {
    size_t rank, ranks;
    /* Every rank calls it at the same point: each gives len bytes at mine; *all gets every
     * rank's bytes, rank after rank, and lens[r] (ranks of them) their lengths. *all is
     * malloc'd, or the caller's buffer of *all_cap bytes reused (grown when short): the
     * signing rounds exchange megabytes hundreds of times, and a new buffer each time had
     * the kernel zero its pages each time. */
    dd_status (*allgather)(void *ud, const void *mine, size_t len, void **all, size_t *all_cap,
                           size_t *lens);
    /* Every rank calls it at the same point: send holds, rank after rank, send_lens[r] bytes
     * for rank r; *recv gets what each rank sent this one, rank after rank (recv_lens[r]
     * bytes from rank r), in the caller's buffer of *recv_cap bytes (grown when short). */
    dd_status (*alltoall)(void *ud, const void *send, const size_t *send_lens, void **recv,
                          size_t *recv_cap, size_t *recv_lens);
    void *ud;
} dd__shard;

/* This rank's slice [*lo, *hi) of n items: all of them in one process (sh NULL); on MPI
 * ranks rank r takes the r-th of equal contiguous slices, so the slices in rank order are
 * the whole. */
static inline void dd__rank_slice(const dd__shard *sh, size_t n, size_t *lo, size_t *hi)
{
    *lo = sh ? n * sh->rank / sh->ranks : 0;
    *hi = sh ? n * (sh->rank + 1) / sh->ranks : n;
}

/* Working state of one run. Signing buffers are per thread, in pipeline_sign.c. */
typedef struct dd__run {
    const dd_pipeline_opts *o;
    dd_result *res;
    dd_minhash *mh;       /* read-only once made: shared by the signing threads */
    dd_minhash *mh_terms; /* permutations, for the story stage's top-term sets */
    dd_minhash *mh_lead;  /* the first lead_n of mh_terms's permutations, for leads */
    dd_vocab *vocab;     /* read-only once made: the OCR noise estimate's words */
    uint8_t *ocr_flag;   /* per document: long enough, looks misread (pipeline_ocr.c) */
    bool ocr_banded;     /* the OCR candidates are made (once: OCR signatures do not change) */
    dd__ocr_memo memo;   /* the OCR rule's first-pass verdicts */
    dd__verdicts verd;   /* every first-pass verdict, for the second pass */
    int kept_sketched;   /* the pass (1, 2) whose kept-set sketches are made, 0: none yet */
    bool grams_only;     /* loads make gram sets only (dd__gram_sketches), not shingle sets */
    dd_lsh_params lead_lsh; /* the lead signatures' banding, chosen for min(num_perm,
                               LEAD_VALUES) values (lead_candidates) */
    size_t lead_n;       /* values per lead signature: the banding's bands x rows (18 of
                            32), the values no band reads never made or kept */
    size_t bands, rows;  /* the banding of document signatures (dd_lsh_optimal), chosen first:
                            documents keep their band keys, not their signatures */
    bool keep_sets;      /* keep every set in memory (stories level, SimHash candidates) */
    dd_reader *reader;   /* what the documents came from, to read them again */
    struct dd__setpool *setpool; /* what set loads reuse (pipeline_sets_load.c); NULL until one */
    uint8_t *own;        /* on MPI ranks, per document: this rank signed it, and holds its
                            band keys (the others' are not sent: pipeline_band.c) */
    size_t own_cap;
    const dd__shard *shard; /* the ranks of an MPI run (src/mpi/); NULL in one process */
} dd__run;

/* The skip counter a signing failure counts under (pipeline_sign.c; index.c too). */
dd_skip_reason dd__skip_reason(dd_status st);

/* ---- shingle sets (pipeline_sets.c; loading a block's sets: pipeline_sets_load.c) ---- */

/* Scratch for turning a document's shingles into its set. */
typedef struct dd__setbuf {
    struct dd__hp *hp, *hp2;
    size_t hp_cap, hp2_cap;
    uint32_t *count;
    size_t count_cap;
} dd__setbuf;

void dd__setbuf_free(dd__setbuf *sb);

/* Sort the n shingles sh (text order) and keep each once with its first position: set[u],
 * pos[u] (room for n each). Returns DD_OK or DD_ENOMEM; *u is the set size. */
dd_status dd__make_set(dd__setbuf *sb, const uint64_t *sh, size_t n, uint64_t *set,
                       uint32_t *pos, size_t *u);

/* One document's set: sorted hashes, each one's first position in the text, and the
 * number of shingles in text order (repeats included). */
typedef struct dd__setview {
    const uint64_t *set;
    const uint32_t *pos;
    size_t n, seq;
    const uint64_t *gset; /* its OCR-robust gram set, sorted; gpos: token of each */
    const uint32_t *gpos;
    size_t gn;
    bool grams; /* gset is its gram set (else none was made or read) */
} dd__setview;

/* The sets of some documents: kept ones are views into res->mem, the others were read
 * again and signed on the threads. */
typedef struct dd__setblock {
    uint32_t *docs; /* ascending, distinct */
    dd__setview *v;
    size_t n;
    struct dd__setpart *parts;
    size_t n_parts;
    struct dd__setpool *pool; /* the run's reused buffers the parts are (NULL: its own) */
} dd__setblock;

/* Load the sets of docs[0..n) (ascending, distinct; the block takes a copy). A document
 * that cannot be read again as it was is flagged DD__DOC_CHANGED, reported once through
 * on_diag, and gets an empty set. */
dd_status dd__sets_load(dd__run *w, const uint32_t *docs, size_t n, dd__setblock *b);

/* The same, with the gram sets of documents read again only where need[i] is set (NULL: none,
 * as dd__sets_load): the others get none (grams false). With regrams, a kept set without its
 * grams (DD__DOC_NOGRAMS) where need[i] is set is read again for them, and only for them: its
 * kept set is not made again. */
dd_status dd__sets_load_need(dd__run *w, const uint32_t *docs, size_t n, const uint8_t *need,
                             bool regrams, dd__setblock *b);

/* Free the buffers, readers and normalizers the loads of a run keep from one block to the
 * next (w->setpool). */
void dd__sets_pool_free(dd__run *w);

/* Scratch for bound sketches. */
typedef struct dd__sketchbuf {
    uint64_t *gh;
    uint32_t *gt;
    size_t gh_cap, gt_cap;
} dd__sketchbuf;

void dd__sketchbuf_free(dd__sketchbuf *sb);

/* Append the sketch of the n hashes h (low bits `bits`, at least 2^width bits) to
 * out[*out_n..] (grown); *at is where it starts. */
dd_status dd__sketch_put(dd__sketchbuf *sb, const uint64_t *h, size_t n, unsigned bits,
                         unsigned width, uint8_t **out, size_t *out_n, size_t *out_cap,
                         size_t *at);

/* A document's two sketches from its shingles sh[0..nsh) (text order) and, when `grams` is
 * set and it has OCR_MIN_TOKENS tokens or more, its sampled grams (else *gram_at is
 * DD__NO_SKETCH). */
dd_status dd__sketch_doc(dd__sketchbuf *sb, uint64_t seed, const dd_span *toks, size_t ntok,
                         const uint64_t *sh, size_t nsh, bool grams, uint8_t **out,
                         size_t *out_n, size_t *out_cap, size_t *word_at, size_t *gram_at);

/* Rewrite the sketches of read-again document doc from its set v (stripped: smaller). */
dd_status dd__sketch_restrip(dd__run *w, dd__sketchbuf *sb, uint32_t doc, const dd__setview *v);

/* The set of doc, which must be in the block. */
const dd__setview *dd__sets_get(const dd__setblock *b, uint32_t doc);

void dd__sets_free(dd__setblock *b);

/* The view of a document whose set is kept in memory. */
dd__setview dd__kept_set(const struct dd__result_mem *m, uint32_t doc);

/* Indexes (into v) of doc's shingles that touch no boilerplate line; returns how many.
 * acc needs tokens + 1 slots, out v->n. */
size_t dd__filter_boilerplate(const dd__run *w, uint32_t doc, const dd__setview *v, size_t *acc,
                              size_t *out);

/* The same for its grams (indexes into v->gset; out needs v->gn slots). */
size_t dd__filter_boilerplate_grams(const dd__run *w, uint32_t doc, const dd__setview *v,
                                    size_t *acc, size_t *out);

/* A document's gram set from its n grams gh (dd_gram_hash, text order) and their tokens gt:
 * the sampled ones, each once, sorted, with the token it first starts in. gh and gt are
 * overwritten; set and pos need room for n. */
dd_status dd__make_gram_set(dd__setbuf *sb, uint64_t *gh, uint32_t *gt, size_t n, uint64_t *set,
                            uint32_t *pos, size_t *u);

/* Whether a pair may be an OCR copy: one of its documents looks misread and neither has fewer
 * than OCR_MIN_TOKENS tokens (pipeline_ocr.c). */
enum { OCR_MIN_TOKENS = 40 };
bool dd__ocr_pair(const dd__run *w, uint32_t a, uint32_t b);

/* The OCR rule (gram_rule, pipeline_copies.c) accepts a pair whose smaller gram set is
 * contained at OCR_C or more, if they share OCR_MIN_SHARED word shingles or more; the bound
 * sketches (pipeline_copies_bound.c) reject on the same figures. */
#define OCR_C 0.8
enum { OCR_MIN_SHARED = 3 };

/* Whether a document with `noise` unknown words per thousand (dd_vocab_noise) looks misread
 * (pipeline_ocr.c): an OCR pair needs one such document. */
bool dd__ocr_noisy(unsigned noise);

/* Make w->ocr_flag from the documents' lengths and noise estimates. */
dd_status dd__ocr_flags(dd__run *w);

/* OCR-banding candidates: pairs of a misread document (pipeline_ocr.c). */
dd_status dd__ocr_candidates(dd__run *w, uint64_t **cand, size_t *n_cand);

/* Seal the first pass's verdicts (pipeline_copies.c, with dd__verify_again). */
void dd__verdicts_seal(dd__run *w);

/* The candidates the bound sketches cannot reject, in order, into *out (n_out of them); NULL
 * when every set is kept (verifying them costs less than the bounds). bound[i] (when not
 * NULL) is set to DD__V_BOUND for each candidate rejected (pipeline_copies_bound.c). */
dd_status dd__filter_candidates(dd__run *w, const uint64_t *cand, size_t n_cand, uint64_t **out,
                                size_t *n_out, uint8_t *bound);

/* The boilerplate pass's stripping (pipeline_boilerplate_strip.c), once the lines are marked:
 * every set loses the shingles that touch a boilerplate line (a set left with nothing keeps
 * what it had), and the sets that changed are signed again; *n_changed counts them. */
dd_status dd__strip_boilerplate(dd__run *w, size_t *n_changed);

/* Note the OCR rule's verdict on pair (a << 32 | b, a < b) before the memo is sealed. */
void dd__ocr_memo_add(dd__ocr_memo *m, uint64_t pair, bool accepted, bool footer);

/* Sort the verdicts: from now on dd__ocr_memo_get answers and nothing is added. */
void dd__ocr_memo_seal(dd__ocr_memo *m);

/* Whether the sealed memo holds a verdict on pair; if so, that verdict. */
bool dd__ocr_memo_get(const dd__ocr_memo *m, uint64_t pair, bool *accepted, bool *footer);

void dd__ocr_memo_free(dd__ocr_memo *m);


/* Lead signature of a set: its elements among the first LEAD_SHINGLES shingles. */
void dd__lead_of_set(const dd__run *w, const dd__setview *v, uint32_t doc, uint32_t *sig);

/* opts.threads, or the number of online cores when it is 0 (pipeline_sets.c). */
size_t dd__thread_count(const dd_pipeline_opts *o);

/* A signature for a document with nothing to sign (no shingle in its lead, no content
 * term): values of its own, so such documents do not all share one bucket (pipeline_sets.c). */
void dd__lonely_sig(uint32_t *sig, size_t n, size_t doc);

/* Quoted-word runs kept per document: the first DD__QUOTES_MAX, far more than a news report
 * quotes. */
#define DD__QUOTES_MAX 4096

/* Stories level: remember one document's content terms (with the name reports give each)
 * and its quoted-word runs, both made on a signing thread, and its day (dd__doc_days, also
 * made there: on MPI ranks the merge has no text) (pipeline_terms.c, from the sign stage's
 * merge). */
dd_status dd__story_add_terms(dd__run *w, double days, const dd_term *t, const dd_span *names,
                              size_t n, const uint64_t *quotes, size_t n_quotes);

/* A document's day (days since 1970, NAN if none): its date field when it has one (`date`,
 * NUL-terminated, or NULL), else an ISO date near the top of its text. */
double dd__doc_days(const char *date, const char *text, size_t len);

#endif
