/* The signing stage on MPI ranks (src/mpi/pipeline_mpi.c): the batches of pipeline_sign.c,
 * cut alike on every rank, each signed by one rank, exchanged and merged by all. */
#include "pipeline_sign.h"
#include "reader_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- on MPI ranks ----------------------------------------------------------------------
 * A round is ROUND_BATCHES batches per rank (fewer waits for the slowest rank; a rank signs
 * its batches of a round on up to that many threads). Every rank goes through the whole
 * input, so every rank cuts the same batches (the reader is deterministic, and batches are
 * cut by input bytes, which a rank knows of records it does not parse); but it reads only the
 * batches it signs (batch j of a round is rank j mod N's): the JSON Lines records of the
 * others are passed over, found but not parsed (dd__reader_set_pass). Each rank ships its
 * batches' items with their strings (ids, titles, dates, messages) and what signing added,
 * never texts. After the exchange every rank merges the round's batches in reading order,
 * noting ids as it goes: the state is the one process's, on every rank. */

/* What a rank ships of a batch: its items and their strings, then what dd__sign_batch wrote. */

typedef struct packed_head {
    size_t n, str_n, set_n, gset_n, sk_n, n_lines, n_toks, tokb_n, n_quotes;
} packed_head;


static dd_status put(packer *k, const void *src, size_t len)
{
    if (dd__grow((void **)&k->p, &k->cap, k->n + len + 1, 1) != DD_OK)
        return DD_ENOMEM;
    if (len)
        memcpy(k->p + k->n, src, len);
    k->n += len;
    return DD_OK;
}

/* One array a signed batch ships after its items: where it is, its capacity (in elements),
 * how many elements and of what size. */
typedef struct shipped {
    void **p;
    size_t *cap;
    size_t n, size;
} shipped;

/* The arrays batch b ships, in shipping order, with the counts of header h (b's own when
 * packing, the sender's when unpacking into b): one list for both sides, so they cannot
 * disagree. Not the band keys: they stay with the signing rank, which sends each to its
 * owner when banding (pipeline_band.c). Returns how many (at most SHIPPED). */
#define SHIPPED 13
static size_t shipped_arrays(const dd__run *w, batch *b, const packed_head *h, shipped *a)
{
    size_t n = 0;

#define SHIP(arr, cap_, count) (a[n++] = (shipped){(void **)&(arr), &(cap_), (count), sizeof *(arr)})
    SHIP(b->str, b->str_cap, h->str_n); /* ids, titles, dates, messages, warnings */
    SHIP(b->lead, b->lead_cap, h->n * w->lead_n);
    SHIP(b->osig, b->osig_cap, h->n * OCR_VALUES);
    SHIP(b->set, b->set_cap, h->set_n);
    SHIP(b->pos, b->pos_cap, h->set_n);
    SHIP(b->gset, b->gset_cap, h->gset_n);
    SHIP(b->gpos, b->gpos_cap, h->gset_n);
    SHIP(b->sk, b->sk_cap, h->sk_n);
    SHIP(b->lines, b->lines_cap, h->n_lines);
    SHIP(b->toks, b->toks_cap, h->n_toks);
    SHIP(b->terms, b->terms_cap, h->n_toks);
    SHIP(b->tokb, b->tokb_cap, h->tokb_n);
    SHIP(b->quotes, b->quotes_cap, h->n_quotes);
#undef SHIP
    return n;
}

static dd_status pack_batch(const dd__run *w, batch *b, packer *k)
{
    packed_head h = {b->n,       b->str_n,  b->set_n,  b->gset_n, b->sk_n,
                     b->n_lines, b->n_toks, b->tokb_n, b->n_quotes};
    shipped a[SHIPPED];
    size_t at = k->n, len, i, na = shipped_arrays(w, b, &h, a);
    dd_status st = put(k, &at, sizeof at); /* its length, filled in below */

    if (st == DD_OK)
        st = put(k, &h, sizeof h);
    if (st == DD_OK)
        st = put(k, b->it, b->n * sizeof *b->it);
    for (i = 0; st == DD_OK && i < na; i++)
        st = put(k, *a[i].p, a[i].n * a[i].size);
    len = k->n - at - sizeof len;
    if (st == DD_OK)
        memcpy(k->p + at, &len, sizeof len);
    return st;
}

/* Copy len bytes from *src into a grown array. */
static dd_status take(const unsigned char **src, void **dst, size_t *cap, size_t len)
{
    if (dd__grow(dst, cap, len + 1, 1) != DD_OK)
        return DD_ENOMEM;
    if (len)
        memcpy(*dst, *src, len);
    *src += len;
    return DD_OK;
}

/* Capacities of byte-grown arrays are kept in bytes here and converted back. */
static dd_status take_arr(const unsigned char **src, void **dst, size_t *cap_elems,
                          size_t count, size_t elem)
{
    size_t cap = *cap_elems * elem;
    dd_status st = take(src, dst, &cap, count * elem);

    *cap_elems = cap / elem;
    return st;
}

static dd_status unpack_batch(const dd__run *w, batch *b, const unsigned char *src, size_t len)
{
    packed_head h;
    shipped a[SHIPPED];
    size_t i, na;
    dd_status st = DD_OK;

    if (len < sizeof h)
        return DD_EINVAL;
    memcpy(&h, src, sizeof h);
    src += sizeof h;
    if (h.n != b->n) /* every rank must have read the same input */
        return DD_EINVAL;
    /* The whole items and their strings: this rank passed over the records (dd__fill_batch) */
    if (b->n) /* a round past the end of input has empty batches */
        memcpy(b->it, src, b->n * sizeof *b->it);
    src += b->n * sizeof *b->it;
    na = shipped_arrays(w, b, &h, a);
    for (i = 0; st == DD_OK && i < na; i++)
        st = take_arr(&src, a[i].p, a[i].cap, a[i].n, a[i].size);
    b->str_n = h.str_n;
    b->set_n = h.set_n;
    b->gset_n = h.gset_n;
    b->sk_n = h.sk_n;
    b->n_lines = h.n_lines;
    b->n_toks = h.n_toks;
    b->tokb_n = h.tokb_n;
    b->n_quotes = h.n_quotes;
    return st;
}

/* The batches of a round this rank signs, one signer per part. (Tried: rank 0 one batch
 * fewer a round, for the ids and strings it alone keeps; no faster, docs/performance.md.) */
typedef struct round_job {
    signing *s;
    batch *round;
} round_job;

static dd_status sign_range(void *ctx, size_t part, size_t lo, size_t hi)
{
    round_job *j = ctx;
    const dd__shard *sh = j->s->w->shard;
    size_t i;

    for (i = lo; i < hi; i++)
        dd__sign_batch(j->s->w, &j->s->sg[part], &j->round[sh->rank + i * sh->ranks]);
    return DD_OK;
}

/* Sign this rank's batches of the round (batch j is rank j mod N's), exchange, take the
 * others' results. Every rank packs its batches in order, each after its length. */
static dd_status exchange_round(signing *s, batch *round)
{
    const dd__shard *sh = s->w->shard;
    round_job job = {s, round};
    packer *k = &s->out;
    size_t *lens = malloc(sh->ranks * sizeof *lens), j, r, at = 0;
    dd_status st = lens ? dd__parallel_for(s->n_signers, ROUND_BATCHES, sign_range, &job)
                        : DD_ENOMEM;

    for (j = sh->rank; st == DD_OK && j < sh->ranks * ROUND_BATCHES; j += sh->ranks)
        st = pack_batch(s->w, &round[j], k);
    if (st == DD_OK)
        st = sh->allgather(sh->ud, k->p, k->n, &s->in, &s->in_cap, lens);
    for (r = 0; st == DD_OK && r < sh->ranks; at += lens[r++]) {
        const unsigned char *p = (const unsigned char *)s->in + at;
        for (j = r; st == DD_OK && r != sh->rank && j < sh->ranks * ROUND_BATCHES;
             j += sh->ranks) {
            size_t len;
            memcpy(&len, p, sizeof len);
            st = unpack_batch(s->w, &round[j], p + sizeof len, len);
            p += sizeof len + len;
        }
    }
    k->n = 0;
    free(lens);
    return st;
}

/* Round after round: fill ROUND_BATCHES batches per rank (the same on every rank), sign and
 * exchange, merge in reading order. */
dd_status dd__pump_sharded(signing *s, dd_reader *r)
{
    size_t n = s->w->shard->ranks * ROUND_BATCHES, j;
    batch *round = calloc(n, sizeof *round);
    bool eof = false;
    dd_status st = round ? DD_OK : DD_ENOMEM;

    while (st == DD_OK && !eof) {
        for (j = 0; st == DD_OK && j < n; j++) {
            round[j].n = 0;
            round[j].mine = j % s->w->shard->ranks == s->w->shard->rank;
            if (!eof)
                st = dd__fill_batch(s, r, &round[j], &eof);
        }
        if (st == DD_OK)
            st = exchange_round(s, round);
        for (j = 0; st == DD_OK && j < n; j++)
            st = dd__merge_batch(s, &round[j]);
    }
    dd__reader_set_pass(r, false, false);
    for (j = 0; round && j < n; j++)
        dd__sign_batch_free(&round[j]);
    free(round);
    return st;
}
