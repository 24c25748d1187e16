/* Pipeline: reader -> normalizer -> shingles -> MinHash -> LSH -> verification -> clusters.
 * Per document only metadata, the sorted shingle set (with each shingle's first position,
 * used to recognise a shared footer) and the signature are kept; the text is dropped as
 * soon as it is signed. See docs/ARCHITECTURE.md for the tour. */
#include "pipeline_stages.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

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
    o.level = DD_LEVEL_STORIES;
    o.shingle_k = 5;
    o.num_perm = 128;
    o.threshold = 0.5;
    o.containment = 0.8;
    o.min_contained = 8;
    o.lsh_threshold = 0.3;
    o.seed = 1;
    o.signature = DD_SIGNATURE_MINHASH;
    o.story_threshold = 0.36;
    o.top_k = 20;
    o.max_days = 4;
    o.story_lsh_threshold = 0.15;
    o.simhash_distance = 10;
    o.keep_text = (size_t)32 << 20;
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
    size_t i;

    if (!res)
        return;
    if (res->mem) {
        dd__arena_free(&res->mem->strings);
        for (i = 0; i < res->mem->n_chunks; i++) {
            free(res->mem->chunks[i].set);
            free(res->mem->chunks[i].pos);
            free(res->mem->chunks[i].gset);
            free(res->mem->chunks[i].gpos);
        }
        free(res->mem->chunks);
        free(res->mem->set_off);
        free(res->mem->seq_len);
        free(res->mem->bkeys);
        free(res->mem->goff);
        free(res->mem->osig);
        free(res->mem->sk);
        free(res->mem->sk_off);
        free(res->mem->noise);
        free(res->mem->lead);
        free(res->mem->flags);
        free(res->mem->hash);
        free(res->mem->lines);
        free(res->mem->terms);
        free(res->mem->term_off);
        free(res->mem->days);
        free(res->mem->vid);
        free(res->mem->vhash);
        free(res->mem->vw);
        free(res->mem->voff);
        free(res->mem->vpos);
        free(res->mem->fact_h);
        free(res->mem->fact_k);
        free(res->mem->fact_pos);
        free(res->mem->fact_aside);
        free(res->mem->fact_off);
        free(res->mem->quote_h);
        free(res->mem->quote_off);
        free(res->mem->dict_h);
        free(res->mem->dict_s);
        free(res->mem->dict_front);
        free(res->mem->dict_front_id);
        free(res->mem->dict_id);
        free(res->mem->term_hash);
        free(res->mem);
    }
    free(res->docs);
    free(res->pairs);
    free(res->near_copy);
    free(res->key_terms);
    dd_clusters_free(&res->clusters);
    free(res);
}

static dd_status check_opts(const dd_pipeline_opts *o)
{
    if (o->shingle_k == 0 || o->shingle_k > 64 || o->num_perm == 0 || o->num_perm > 4096 ||
        !(o->threshold > 0 && o->threshold <= 1) || !(o->containment > 0) ||
        !(o->lsh_threshold >= 0 && o->lsh_threshold <= 1) ||
        !(o->story_threshold > 0 && o->story_threshold <= 1) || o->top_k == 0 ||
        !(o->story_lsh_threshold > 0 && o->story_lsh_threshold <= 1) ||
        o->simhash_distance > 15)
        return DD_EINVAL;
    return DD_OK;
}

static dd_status start(dd__run *w, const dd_pipeline_opts *o, dd_reader *r)
{
    dd_minhash_opts mo = {o->num_perm, o->seed, DD_MINHASH_ONE_PERMUTATION}, lo, to;

    memset(w, 0, sizeof *w);
    w->o = o;
    w->reader = r;
    w->lead_lsh = dd_lsh_optimal(0.4, o->num_perm < LEAD_VALUES ? o->num_perm : LEAD_VALUES,
                                 0.25, 0.75);
    w->lead_n = w->lead_lsh.bands * w->lead_lsh.rows;
    { /* Verification is exact, so a missed pair costs more than a spurious one. */
        double t = o->lsh_threshold > 0 ? o->lsh_threshold : o->threshold;
        dd_lsh_params p = dd_lsh_optimal(t, o->num_perm, 0.25, 0.75);
        w->bands = p.bands;
        w->rows = p.rows;
    }
    /* Sets are read again when needed, at both levels (the story stage needs them only for
     * the pairs of its clusters); SimHash fingerprints every set, so it keeps them. */
    w->keep_sets = o->signature == DD_SIGNATURE_SIMHASH;
    lo = (dd_minhash_opts){w->lead_n, o->seed, DD_MINHASH_PERMUTATIONS};
    to = (dd_minhash_opts){o->num_perm, o->seed, DD_MINHASH_PERMUTATIONS};
    w->res = calloc(1, sizeof *w->res);
    if (!w->res)
        return DD_ENOMEM;
    w->res->mem = calloc(1, sizeof *w->res->mem);
    if (!w->res->mem)
        return DD_ENOMEM;
    dd__arena_init(&w->res->mem->strings);
    if (dd__grow((void **)&w->res->mem->set_off, &w->res->mem->off_cap, 1,
                 sizeof(size_t)) != DD_OK ||
        dd__grow((void **)&w->res->mem->goff, &w->res->mem->goff_cap, 1, sizeof(size_t)) !=
            DD_OK)
        return DD_ENOMEM;
    w->res->mem->set_off[0] = 0;
    w->res->mem->goff[0] = 0;
    /* The permutations come from the seed in order, so the lead's are mh_terms's first
     * lead_n. A document's shingle set is signed by one permutation (hundreds of elements,
     * one hash each); the lead (32 shingles) and the story terms (a dozen) by permutations,
     * which stay independent on sets much smaller than the signature. */
    if (dd_minhash_new(&lo, &w->mh_lead) != DD_OK || dd_minhash_new(&to, &w->mh_terms) != DD_OK ||
        dd_vocab_new(o->seed, &w->vocab) != DD_OK)
        return DD_ENOMEM;
    return dd_minhash_new(&mo, &w->mh);
}

static void finish(dd__run *w)
{
    dd_minhash_free(w->mh);
    dd_minhash_free(w->mh_terms);
    dd_minhash_free(w->mh_lead);
    dd_vocab_free(w->vocab);
    free(w->ocr_flag);
    dd__ocr_memo_free(&w->memo);
    free(w->verd.key);
    free(w->verd.cat);
    free(w->verd.acc);
    free(w->verd.foot);
    dd__sets_pool_free(w);
    free(w->own);
}

/* DEDUP_STAGE_TIMES=1 in the environment: each stage's wall and CPU seconds on stderr, one
 * line per stage (and rank), for docs/performance.md and docs/SCALE.md. */
typedef struct stage_clock {
    bool on;
    double wall, cpu;
} stage_clock;

static double wall_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Resident memory now (Linux's /proc/self/statm), in MiB; -1 where there is none. */
static long resident_mib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size, res = -1, page = sysconf(_SC_PAGESIZE);

    if (f && fscanf(f, "%ld %ld", &size, &res) != 2)
        res = -1;
    if (f)
        fclose(f);
    return res < 0 || page <= 0 ? -1 : res * (page / 1024) / 1024;
}

/* The end of a stage: its freed memory given back, and (DEDUP_STAGE_TIMES) its wall and CPU
 * time and the peak memory so far on standard error. */
static void stage_tick(const dd__run *w, stage_clock *c, const char *stage)
{
    double wall, cpu;
    struct rusage ru;

#ifdef __GLIBC__
    /* A stage's freed buffers back to the system before the next stage: glibc keeps what
     * worker threads free in their arenas (and raises its mmap threshold as big blocks are
     * freed), which held some 40 MB on a million articles at the next stage's peak. */
    malloc_trim(0);
#endif

    if (!c->on)
        return;
    wall = wall_now();
    cpu = (double)clock() / CLOCKS_PER_SEC;
    if (c->wall > 0 && getrusage(RUSAGE_SELF, &ru) == 0)
        fprintf(stderr,
                "dedup: stage %s rank %zu: %.2f s wall, %.2f s cpu, peak %ld MiB, now %ld MiB\n",
                stage, w->shard ? w->shard->rank : 0, wall - c->wall, cpu - c->cpu,
                ru.ru_maxrss / 1024, resident_mib());
    c->wall = wall;
    c->cpu = cpu;
}

/* Band the documents the boilerplate pass changed again and verify every candidate of both
 * passes on the stripped sets. */
static dd_status second_pass(dd__run *w, const dd__stage_ops *ops, uint64_t **cand,
                             size_t *n_cand, stage_clock *c)
{
    uint64_t *more = NULL;
    size_t n_more = 0;
    bool again = false;
    dd_status st;

    /* The verification's buffers (sets read again, by the block) go before the boilerplate
     * pass's own, and again after it: held across the stages, they were the peak. */
    dd__sets_pool_free(w);
    st = dd__boilerplate_strip(w, &again);
    dd__sets_pool_free(w);
    stage_tick(w, c, "strip");
    if (st != DD_OK || !again)
        return st;
    st = ops->candidates(w, &more, &n_more);
    if (st == DD_OK)
        st = dd__candidates_add(cand, n_cand, more, n_more);
    free(more);
    stage_tick(w, c, "band-again");
    dd__verify_again(w);
    if (st == DD_OK)
        st = dd__gram_sketches(w, *cand, *n_cand);
    if (st == DD_OK)
        st = ops->verify(w, *cand, *n_cand);
    stage_tick(w, c, "verify-again");
    return st;
}

/* After the copies stages nothing reads a document's band keys, lead signature or bound
 * sketches at the stories level: they go before its terms become vectors (about 0.6 KB a
 * document read again, 0.3 KB another). A stored index (keep_lines) stores them. */
static void release_copies_keys(dd__run *w)
{
    struct dd__result_mem *m = w->res->mem;

    if (w->o->keep_lines)
        return;
    free(m->bkeys);
    free(m->lead);
    free(m->sk);
    free(m->sk_off);
    m->bkeys = NULL;
    m->lead = NULL;
    m->sk = NULL;
    m->sk_off = NULL;
    m->bkeys_cap = m->lead_cap = m->sk_n = m->sk_cap = m->sk_off_cap = 0;
}

dd_status dd__pipeline_drive(const dd_pipeline_opts *opts, dd_reader *r, const dd__stage_ops *ops,
                             const dd__shard *shard, dd_result **out)
{
    uint64_t *cand = NULL;
    size_t n_cand = 0;
    const char *times = getenv("DEDUP_STAGE_TIMES");
    stage_clock c = {times && *times && strcmp(times, "0") != 0, 0, 0};
    dd__run w;
    dd_status st;

    *out = NULL;
    if (check_opts(opts) != DD_OK)
        return DD_EINVAL;
    st = start(&w, opts, r);
    w.shard = shard;
    stage_tick(&w, &c, "start");
    if (st == DD_OK)
        st = ops->read_all(&w, r);
    stage_tick(&w, &c, "read+sign");
    if (st == DD_OK)
        st = dd__ocr_flags(&w);
    if (st == DD_OK)
        st = ops->candidates(&w, &cand, &n_cand);
    stage_tick(&w, &c, "band");
    if (st == DD_OK)
        st = dd__gram_sketches(&w, cand, n_cand);
    if (st == DD_OK)
        st = ops->verify(&w, cand, n_cand);
    stage_tick(&w, &c, "verify");
    if (st == DD_OK)
        st = second_pass(&w, ops, &cand, &n_cand, &c);
    if (w.res)
        w.res->n_candidates = n_cand;
    free(cand);
    dd__sets_pool_free(&w); /* the verification's buffers, before the clusters' memory */
    if (st == DD_OK && opts->level == DD_LEVEL_STORIES) {
        release_copies_keys(&w);
        st = ops->stories(&w);
    }
    else if (st == DD_OK)
        st = dd__cluster_pairs(w.res);
    stage_tick(&w, &c, "cluster");
    finish(&w);
    if (st != DD_OK) {
        dd_result_free(w.res);
        return st;
    }
    *out = w.res;
    return DD_OK;
}

dd_status dd_pipeline_run(const dd_pipeline_opts *opts, dd_reader *r, dd_result **out)
{
    static const dd__stage_ops local = {dd__read_all, dd__candidates, dd__verify_copies,
                                        dd__story_run};

    return dd__pipeline_drive(opts, r, &local, NULL, out);
}
