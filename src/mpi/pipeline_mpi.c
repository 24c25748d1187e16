/* The pipeline's stages on MPI ranks. dd__pipeline_drive runs the same stage functions as in
 * one process; what differs is the share of each stage a rank does and one exchange after it:
 *
 *   read+sign  every rank reads the input; batch k is signed by rank k mod N and the signed
 *              batches are exchanged (pipeline_sign.c), so every rank merges all of them
 *   band       rank r bands the bands b = r mod N; the pairs are exchanged (pipeline_band.c)
 *   verify     rank r verifies the r-th contiguous slice of the candidate list; the
 *              accepted pairs are gathered back in slice order, which is candidate order
 *   strip      rank r reads again and strips the r-th slice of the documents with
 *              boilerplate; their new signatures and sketches are exchanged
 *              (pipeline_copies.c)
 *   cluster    copies: union-find on every rank. Stories: every rank counts the document
 *              frequencies of its slice of the documents, summed across the ranks, and
 *              scores its slice of the candidate pairs, the scores gathered; rank 0
 *              clusters (pipeline_story.c, pipeline_vectors.c)
 *
 * The stages see the ranks only through dd__shard (pipeline_internal.h): this file is the
 * one that calls MPI.
 *
 * Only fixed-size features cross the network (signatures, sketches, the kept sets of the
 * first --keep-text bytes, verified pairs), never texts. docs/SCALE.md has the volumes. */
#include "../pipeline_stages.h"

#include <dedup/pipeline_mpi.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <time.h>

typedef struct mpi_ctx {
    MPI_Comm comm;
    unsigned long long sent, received, calls; /* this rank's bytes, for DEDUP_STAGE_TIMES */
} mpi_ctx;

/* Wait for a non-blocking exchange. Open MPI's blocking calls spin, and a spinning rank takes
 * the core from the rank it waits for when ranks share cores (a laptop, a shared node,
 * --oversubscribe); but a message only moves while its ranks call into MPI, one shared-
 * memory fragment (32 KiB) a call, so a wait that sleeps between tests moves a 2 MB round in
 * 14 ms instead of 1 (200 µs naps cost 3.4 s of a 22 s run at 1M documents). So: test and
 * yield the core (sched_yield returns at once when no other process wants it), and nap only
 * once the exchange has taken long enough (a rank far behind) that sleeping costs nothing. */
static int wait_for(MPI_Request *req)
{
    struct timespec nap = {0, 200000};
    unsigned long tries = 0;
    int done = 0;

    for (;;) {
        if (MPI_Test(req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return MPI_ERR_OTHER;
        if (done)
            return MPI_SUCCESS;
        if (++tries < 20000)
            sched_yield();
        else
            nanosleep(&nap, NULL);
    }
}

/* A non-blocking collective, started with result `started`, run to its end: DD_EIO if it
 * did not start or failed. */
static dd_status finish(int started, MPI_Request *req)
{
    return started == MPI_SUCCESS && wait_for(req) == MPI_SUCCESS ? DD_OK : DD_EIO;
}

/* Byte counts (one per rank) to MPI's int counts and displacements, the counts to lens too
 * (when not NULL) and their sum to *total: DD_ELIMIT past 2 GiB, which MPI counts cannot
 * say in one call. */
static dd_status to_counts(const unsigned long long *ls, int ranks, int *cnt, int *disp,
                           size_t *lens, size_t *total)
{
    int r;

    *total = 0;
    for (r = 0; r < ranks; r++) {
        if (ls[r] > INT_MAX || *total > (size_t)INT_MAX - ls[r])
            return DD_ELIMIT;
        if (lens)
            lens[r] = (size_t)ls[r];
        cnt[r] = (int)ls[r];
        disp[r] = (int)*total;
        *total += (size_t)ls[r];
    }
    return DD_OK;
}

/* dd__shard.allgather: byte counts first, then the bytes (MPI counts are ints: a rank's
 * share of one exchange must stay under 2 GiB). */
static dd_status allgather(void *ud, const void *mine, size_t len, void **all, size_t *all_cap,
                           size_t *lens)
{
    mpi_ctx *c = ud;
    int ranks, *cnt = NULL, *disp = NULL;
    unsigned long long me = len, *ls = NULL;
    size_t total = 0;
    MPI_Request req;
    dd_status st = DD_OK;

    MPI_Comm_size(c->comm, &ranks);
    ls = malloc((size_t)ranks * sizeof *ls);
    cnt = malloc((size_t)ranks * sizeof *cnt);
    disp = malloc((size_t)ranks * sizeof *disp);
    if (!ls || !cnt || !disp)
        st = DD_ENOMEM;
    if (st == DD_OK)
        st = finish(MPI_Iallgather(&me, 1, MPI_UNSIGNED_LONG_LONG, ls, 1, MPI_UNSIGNED_LONG_LONG,
                                   c->comm, &req),
                    &req);
    if (st == DD_OK)
        st = to_counts(ls, ranks, cnt, disp, lens, &total);
    if (st == DD_OK && dd__grow(all, all_cap, total + 1, 1) != DD_OK)
        st = DD_ENOMEM;
    c->sent += len;
    c->received += total - len;
    c->calls++;
    if (st == DD_OK)
        st = finish(MPI_Iallgatherv(mine, (int)len, MPI_BYTE, *all, cnt, disp, MPI_BYTE, c->comm,
                                    &req),
                    &req);
    free(ls);
    free(cnt);
    free(disp);
    return st;
}

/* dd__shard.alltoall: counts first (MPI_Ialltoall), then the bytes (MPI_Ialltoallv); MPI
 * counts are ints, so what one rank sends another in one call stays under 2 GiB. */
static dd_status alltoall(void *ud, const void *send, const size_t *send_lens, void **recv,
                          size_t *recv_cap, size_t *recv_lens)
{
    mpi_ctx *c = ud;
    int ranks, r, *scnt = NULL, *sdisp = NULL, *rcnt = NULL, *rdisp = NULL;
    unsigned long long *sl = NULL, *rl = NULL;
    size_t stotal = 0, rtotal = 0;
    MPI_Request req;
    dd_status st = DD_OK;

    MPI_Comm_size(c->comm, &ranks);
    sl = malloc((size_t)ranks * sizeof *sl);
    rl = malloc((size_t)ranks * sizeof *rl);
    scnt = malloc((size_t)ranks * sizeof *scnt);
    sdisp = malloc((size_t)ranks * sizeof *sdisp);
    rcnt = malloc((size_t)ranks * sizeof *rcnt);
    rdisp = malloc((size_t)ranks * sizeof *rdisp);
    if (!sl || !rl || !scnt || !sdisp || !rcnt || !rdisp)
        st = DD_ENOMEM;
    for (r = 0; st == DD_OK && r < ranks; r++)
        sl[r] = send_lens[r];
    if (st == DD_OK)
        st = to_counts(sl, ranks, scnt, sdisp, NULL, &stotal);
    if (st == DD_OK)
        st = finish(MPI_Ialltoall(sl, 1, MPI_UNSIGNED_LONG_LONG, rl, 1, MPI_UNSIGNED_LONG_LONG,
                                  c->comm, &req),
                    &req);
    if (st == DD_OK)
        st = to_counts(rl, ranks, rcnt, rdisp, recv_lens, &rtotal);
    if (st == DD_OK && dd__grow(recv, recv_cap, rtotal + 1, 1) != DD_OK)
        st = DD_ENOMEM;
    if (st == DD_OK) {
        int me;
        MPI_Comm_rank(c->comm, &me);
        c->sent += stotal - send_lens[me];
        c->received += rtotal - recv_lens[me];
        c->calls++;
    }
    if (st == DD_OK)
        st = finish(MPI_Ialltoallv(send, scnt, sdisp, MPI_BYTE, *recv, rcnt, rdisp, MPI_BYTE,
                                   c->comm, &req),
                    &req);
    free(sl);
    free(rl);
    free(scnt);
    free(sdisp);
    free(rcnt);
    free(rdisp);
    return st;
}

/* ---- verify ---------------------------------------------------------------------------- */

/* What a rank's slice of the verification gives. */
typedef struct verified_head {
    size_t n_pairs, footer_only, bound_rejected, n_changed;
} verified_head;

/* Documents flagged as changed during the run (read again with other text), ascending. */
static uint32_t *changed_docs(const dd__run *w, size_t *n)
{
    uint32_t *d = malloc((w->res->n_docs + 1) * sizeof *d);
    size_t i;

    *n = 0;
    for (i = 0; d && i < w->res->n_docs; i++)
        if (w->res->mem->flags[i] & DD__DOC_CHANGED)
            d[(*n)++] = (uint32_t)i;
    return d;
}

static dd_status pack_verified(const dd__run *w, unsigned char **buf, size_t *len)
{
    verified_head h = {w->res->n_pairs, w->res->n_footer_only, w->res->n_bound_rejected, 0};
    uint32_t *ch = changed_docs(w, &h.n_changed);
    size_t np = h.n_pairs * sizeof *w->res->pairs, nc = h.n_changed * sizeof *ch;

    *len = sizeof h + np + nc;
    *buf = ch ? malloc(*len) : NULL;
    if (!*buf) {
        free(ch);
        return DD_ENOMEM;
    }
    memcpy(*buf, &h, sizeof h);
    if (np)
        memcpy(*buf + sizeof h, w->res->pairs, np);
    if (nc)
        memcpy(*buf + sizeof h + np, ch, nc);
    free(ch);
    return DD_OK;
}

/* Every rank's pairs, rank after rank (the slices' order is the candidates'), its counts
 * summed, and the documents any rank found changed flagged on this one too. */
static dd_status unpack_verified(dd__run *w, const unsigned char *all, const size_t *lens,
                                 size_t ranks)
{
    dd_result *res = w->res;
    size_t r, at = 0, total = 0, i;
    verified_head h;

    for (r = 0; r < ranks; at += lens[r++]) {
        memcpy(&h, all + at, sizeof h);
        total += h.n_pairs;
    }
    if (dd__grow((void **)&res->pairs, &res->mem->pairs_cap, total + 1, sizeof *res->pairs) !=
        DD_OK)
        return DD_ENOMEM;
    res->n_pairs = res->n_footer_only = res->n_bound_rejected = 0;
    for (r = 0, at = 0; r < ranks; at += lens[r++]) {
        const unsigned char *p = all + at;
        memcpy(&h, p, sizeof h);
        p += sizeof h;
        if (h.n_pairs)
            memcpy(res->pairs + res->n_pairs, p, h.n_pairs * sizeof *res->pairs);
        p += h.n_pairs * sizeof *res->pairs;
        res->n_pairs += h.n_pairs;
        res->n_footer_only += h.footer_only;
        res->n_bound_rejected += h.bound_rejected;
        for (i = 0; i < h.n_changed; i++) {
            uint32_t d;
            memcpy(&d, p + i * sizeof d, sizeof d);
            if (!(res->mem->flags[d] & DD__DOC_CHANGED)) {
                res->mem->flags[d] |= DD__DOC_CHANGED;
                res->n_changed++;
            }
        }
    }
    return DD_OK;
}

/* This rank's contiguous slice of the candidates, verified by the one-process code; then
 * every rank takes every slice's pairs. */
static dd_status verify_sharded(dd__run *w, const uint64_t *cand, size_t n_cand)
{
    const dd__shard *sh = w->shard;
    size_t lo = n_cand * sh->rank / sh->ranks, hi = n_cand * (sh->rank + 1) / sh->ranks;
    size_t *lens = malloc(sh->ranks * sizeof *lens), len = 0, all_cap = 0;
    unsigned char *mine = NULL;
    void *all = NULL;
    dd_status st = lens ? dd__verify_copies(w, cand + lo, hi - lo) : DD_ENOMEM;

    if (st == DD_OK)
        st = pack_verified(w, &mine, &len);
    if (st == DD_OK)
        st = sh->allgather(sh->ud, mine, len, &all, &all_cap, lens);
    if (st == DD_OK)
        st = unpack_verified(w, all, lens, sh->ranks);
    free(mine);
    free(all);
    free(lens);
    return st;
}

dd_status dd_pipeline_run_mpi(const dd_pipeline_opts *opts, dd_reader *r, MPI_Comm comm,
                              dd_result **out)
{
    static const dd__stage_ops ops = {dd__read_all, dd__candidates, verify_sharded,
                                      dd__story_run};
    mpi_ctx ctx = {comm, 0, 0, 0};
    dd__shard sh = {0, 1, allgather, alltoall, &ctx};
    const char *times = getenv("DEDUP_STAGE_TIMES");
    int rank, size;
    dd_status st;

    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    sh.rank = (size_t)rank;
    sh.ranks = (size_t)size;
    st = dd__pipeline_drive(opts, r, &ops, &sh, out);
    if (times && *times && strcmp(times, "0") != 0)
        fprintf(stderr, "dedup: rank %d sent %llu bytes and received %llu in %llu exchanges\n",
                rank, ctx.sent, ctx.received, ctx.calls);
    return st;
}
