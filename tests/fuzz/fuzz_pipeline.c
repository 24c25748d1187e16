/* Fuzz target: the whole pipeline on tiny parameters over a few documents carved from the
 * input. Byte 0 picks the level, k, the signature length and thresholds (a small IDF table
 * stands in for the built-in one); the rest is cut at
 * 0x1E bytes into at most 8 documents, each a text stream, except that with bit 0x80 the
 * last piece is a JSON Lines stream. Checks: every item lands in exactly one place
 * (n_inputs == n_docs + skipped, one item per text stream, one diagnostic per skip and per
 * repair), clusters partition a subset of the used documents with members ascending, pairs
 * are in range and ordered, and two runs give byte-identical JSON Lines reports. */
#include <dedup/dedup.h>

#include <string.h>

#include "fuzz_common.h"

#define MAX_DOCS 8

/* A small background IDF table: loading the built-in one (22,005 documents) on every run
 * would cost more than the rest of the pipeline on these inputs. */
static const char idf_table[] = "#dedup-idf\t1\tdocs\t100\n"
                                "dock\t3\nharbour\t5\nport\t20\nstrike\t8\nworker\t12\n";

typedef struct piece {
    const uint8_t *p;
    size_t n;
} piece;

typedef struct tally {
    size_t skipped, repaired;
} tally;

static void on_diag(void *ud, const char *msg, bool skipped)
{
    tally *t = ud;

    FUZZ_CHECK(msg && *msg);
    if (skipped)
        t->skipped++;
    else
        t->repaired++;
}

static void check_result(const dd_result *res, size_t n_text, bool jsonl, const tally *t)
{
    const dd_clusters *c = &res->clusters;
    size_t i, j, members = 0;

    FUZZ_CHECK(res->n_inputs == res->n_docs + dd_result_skipped(res));
    FUZZ_CHECK(jsonl ? res->n_inputs >= n_text : res->n_inputs == n_text);
    FUZZ_CHECK(t->skipped == dd_result_skipped(res));
    FUZZ_CHECK(t->repaired == res->n_repaired);
    for (i = 0; i < c->count; i++) {
        FUZZ_CHECK(c->start[i + 1] - c->start[i] >= 2);
        for (j = c->start[i]; j < c->start[i + 1]; j++) {
            FUZZ_CHECK(c->members[j] < res->n_docs);
            if (j > c->start[i])
                FUZZ_CHECK(c->members[j] > c->members[j - 1]);
        }
        if (i)
            FUZZ_CHECK(c->members[c->start[i]] > c->members[c->start[i - 1]]);
        members += c->start[i + 1] - c->start[i];
    }
    FUZZ_CHECK(members == res->n_clustered && members <= res->n_docs);
    for (i = 0; i < res->n_pairs; i++) {
        FUZZ_CHECK(res->pairs[i].a < res->pairs[i].b && res->pairs[i].b < res->n_docs);
        if (i)
            FUZZ_CHECK(res->pairs[i - 1].a < res->pairs[i].a ||
                       (res->pairs[i - 1].a == res->pairs[i].a &&
                        res->pairs[i - 1].b < res->pairs[i].b));
    }
    for (i = 0; i < res->n_docs; i++)
        FUZZ_CHECK(res->docs[i].id && res->docs[i].title && res->docs[i].tokens > 0);
}

/* One run over fresh streams; returns the JSON Lines report (malloc'd) and its length. */
static char *run_once(const dd_pipeline_opts *po, const piece *pc, size_t n, bool jsonl,
                      size_t *out_len)
{
    dd_report_opts ro = dd_report_opts_default();
    dd_pipeline_opts o = *po;
    dd_reader *r = NULL;
    dd_result *res = NULL;
    FILE *f[MAX_DOCS], *out;
    char *copy[MAX_DOCS], *buf = NULL, name[32];
    tally t = {0, 0};
    size_t i;

    FUZZ_CHECK(dd_reader_new(NULL, &r) == DD_OK);
    for (i = 0; i < n; i++) {
        f[i] = fuzz_stream(pc[i].p, pc[i].n, &copy[i]);
        FUZZ_CHECK(f[i] != NULL);
        snprintf(name, sizeof name, "d%zu", i);
        FUZZ_CHECK(dd_reader_add_stream(r, f[i], name, jsonl && i == n - 1) == DD_OK);
    }
    o.on_diag = on_diag;
    o.diag_ud = &t;
    FUZZ_CHECK(dd_pipeline_run(&o, r, &res) == DD_OK);
    check_result(res, jsonl ? n - 1 : n, jsonl, &t);
    ro.format = DD_FORMAT_JSONL;
    ro.level = o.level;
    out = open_memstream(&buf, out_len);
    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(dd_report_write(res, &ro, out) == DD_OK);
    fclose(out);
    dd_result_free(res);
    dd_reader_free(r);
    for (i = 0; i < n; i++) {
        fclose(f[i]);
        free(copy[i]);
    }
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_pipeline_opts o = dd_pipeline_opts_default();
    piece pc[MAX_DOCS];
    size_t n = 0, i, start, len1 = 0, len2 = 0;
    char *out1, *out2;
    bool jsonl;

    if (size < 1 || size > 65536)
        return 0;
    o.level = data[0] & 1 ? DD_LEVEL_STORIES : DD_LEVEL_COPIES;
    o.shingle_k = 1 + (data[0] >> 1 & 3);
    o.num_perm = (size_t)8 << (data[0] >> 3 & 1);
    o.threshold = data[0] & 0x20 ? 0.3 : 0.6;
    o.containment = data[0] & 0x40 ? 2.0 : 0.8;
    o.min_contained = 2;
    o.signature = data[0] & 0x20 ? DD_SIGNATURE_SIMHASH : DD_SIGNATURE_MINHASH;
    o.idf_text = idf_table;
    o.idf_len = sizeof idf_table - 1;
    o.idf_name = "fuzz-idf";
    jsonl = (data[0] & 0x80) != 0;
    for (i = start = 1; i < size && n < MAX_DOCS - 1; i++) {
        if (data[i] == 0x1E) {
            pc[n].p = data + start;
            pc[n++].n = i - start;
            start = i + 1;
        }
    }
    pc[n].p = data + start;
    pc[n++].n = size - start;
    out1 = run_once(&o, pc, n, jsonl, &len1);
    out2 = run_once(&o, pc, n, jsonl, &len2);
    FUZZ_CHECK(len1 == len2 && memcmp(out1, out2, len1) == 0);
    free(out1);
    free(out2);
    return 0;
}
