/* Signing benchmark, stage by stage: read (dd_reader, one thread, as in the pipeline), then
 * normalize, shingle and MinHash on N threads over chunks of about 64 MB read into one
 * reused buffer. Prints MB/s (of document text) and documents/s per stage and for signing
 * in total, and the peak RSS. A stage's rate on N threads is text bytes over (the threads'
 * summed time in that stage / N); the total is bytes over the wall time of read + sign.
 * No assertions: numbers only (docs/performance.md).
 *
 *   bench_sign [-j N] PATH...
 */
#include <dedup/dedup.h>

#include "../../src/util.h" /* the pipeline's token hashing over the normalizer's padding */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum { CHUNK = 64 << 20, MAX_THREADS = 64 };

typedef struct chunk {
    char *text;
    size_t *off, *len;
    size_t n, cap_docs, bytes, cap_bytes;
} chunk;

typedef struct worker {
    const chunk *c;
    size_t first, step;
    const dd_minhash *mh;
    dd_normalizer *nz;
    uint64_t *sh;
    size_t sh_cap;
    uint32_t sig[128];
    double t_norm, t_shingle, t_minhash;
    uint64_t checksum;
} worker;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_sign: %s\n", what);
    exit(1);
}

static void add_doc(chunk *c, const dd_doc *d)
{
    if (c->n == c->cap_docs) {
        c->cap_docs = c->cap_docs ? c->cap_docs * 2 : 4096;
        c->off = realloc(c->off, c->cap_docs * sizeof *c->off);
        c->len = realloc(c->len, c->cap_docs * sizeof *c->len);
        if (!c->off || !c->len)
            die("out of memory");
    }
    if (c->bytes + d->len > c->cap_bytes) {
        c->cap_bytes = (c->bytes + d->len) * 2;
        c->text = realloc(c->text, c->cap_bytes);
        if (!c->text)
            die("out of memory");
    }
    memcpy(c->text + c->bytes, d->text, d->len);
    c->off[c->n] = c->bytes;
    c->len[c->n++] = d->len;
    c->bytes += d->len;
}

static void *sign_part(void *p)
{
    worker *w = p;
    dd_shingle_opts so = {5, 1};
    size_t i;

    for (i = w->first; i < w->c->n; i += w->step) {
        const dd_span *toks;
        size_t ntok = 0, nsh = 0;
        double t0 = now(), t1, t2;
        if (dd_normalize(w->nz, w->c->text + w->c->off[i], w->c->len[i], &toks, &ntok) != DD_OK)
            continue;
        t1 = now();
        if (ntok > w->sh_cap) {
            w->sh_cap = ntok * 2;
            w->sh = realloc(w->sh, w->sh_cap * sizeof *w->sh);
            if (!w->sh)
                die("out of memory");
        }
        if (ntok == 0)
            continue;
        dd__token_hashes_padded(toks, ntok, so.seed, w->sh); /* as pipeline_sign.c does */
        nsh = dd_shingle_combine(w->sh, ntok, so.k, so.seed);
        t2 = now();
        dd_minhash_sign(w->mh, w->sh, nsh, w->sig);
        w->checksum += w->sig[0];
        w->t_norm += t1 - t0;
        w->t_shingle += t2 - t1;
        w->t_minhash += now() - t2;
    }
    return NULL;
}

static void line(const char *stage, double bytes, double docs, double secs)
{
    printf("  %-10s %8.1f MB/s %10.0f docs/s  (%.2f s)\n", stage, bytes / 1e6 / secs,
           docs / secs, secs);
}

int main(int argc, char **argv)
{
    dd_minhash_opts mo = {128, 1, DD_MINHASH_ONE_PERMUTATION}; /* as the pipeline signs documents */
    dd_minhash *mh;
    dd_reader *r;
    worker w[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    chunk c = {0};
    size_t nt = 1, i, docs = 0;
    double bytes = 0, t_read = 0, t_sign = 0, t0 = now(), tn = 0, ts = 0, tm = 0;
    struct rusage ru;
    dd_doc d;
    dd_status st = DD_OK;
    int opt;

    while ((opt = getopt(argc, argv, "j:")) != -1)
        nt = opt == 'j' ? strtoul(optarg, NULL, 10) : 0;
    if (nt < 1 || nt > MAX_THREADS || optind >= argc)
        die("usage: bench_sign [-j N] PATH...");
    if (dd_reader_new(NULL, &r) != DD_OK || dd_minhash_new(&mo, &mh) != DD_OK)
        die("out of memory");
    for (i = (size_t)optind; i < (size_t)argc; i++)
        dd_reader_add_path(r, argv[i]);
    memset(w, 0, sizeof w);
    for (i = 0; i < nt; i++) {
        w[i].c = &c;
        w[i].first = i;
        w[i].step = nt;
        w[i].mh = mh;
        if (dd_normalizer_new(&w[i].nz) != DD_OK)
            die("out of memory");
    }
    while (st != DD_END) {
        double a = now(), b;
        c.n = c.bytes = 0;
        while (c.bytes < CHUNK && (st = dd_reader_next(r, &d)) != DD_END)
            if (st == DD_OK)
                add_doc(&c, &d);
            else if (st == DD_ENOMEM)
                die("out of memory");
        b = now();
        t_read += b - a;
        for (i = 0; i < nt; i++)
            if (pthread_create(&tid[i], NULL, sign_part, &w[i]) != 0)
                die("pthread_create");
        for (i = 0; i < nt; i++)
            pthread_join(tid[i], NULL);
        t_sign += now() - b;
        docs += c.n;
        bytes += (double)c.bytes;
    }
    for (i = 0; i < nt; i++) {
        tn += w[i].t_norm / (double)nt;
        ts += w[i].t_shingle / (double)nt;
        tm += w[i].t_minhash / (double)nt;
        dd_normalizer_free(w[i].nz);
        free(w[i].sh);
    }
    getrusage(RUSAGE_SELF, &ru);
    printf("signing, %zu thread%s: %zu documents, %.1f MB of text\n", nt, nt > 1 ? "s" : "",
           docs, bytes / 1e6);
    line("read", bytes, (double)docs, t_read);
    line("normalize", bytes, (double)docs, tn);
    line("shingle", bytes, (double)docs, ts);
    line("minhash", bytes, (double)docs, tm);
    line("sign", bytes, (double)docs, t_sign);
    line("total", bytes, (double)docs, now() - t0);
    printf("  peak RSS   %.0f MB\n", (double)ru.ru_maxrss / 1024.0);
    dd_reader_free(r);
    dd_minhash_free(mh);
    free(c.text);
    free(c.off);
    free(c.len);
    return 0;
}
