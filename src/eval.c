/* Evaluation: pairwise precision/recall/F1 and the adjusted Rand index (Hubert & Arabie
 * 1985), computed from per-cluster label counts so no pair is ever enumerated. */
#include <dedup/dedup.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util.h"

#define NO_GROUP UINT32_MAX

typedef struct eval_ctx {
    dd__strmap truth;   /* key -> group */
    dd__strmap seen;    /* keys already placed in a cluster */
    size_t *group_size;
    size_t n_groups, cap_groups;
    uint32_t *groups;   /* scratch: labelled groups of the current cluster */
    size_t cap_scratch;
    double tp, pred_pairs, true_pairs, sum_b, n_universe;
    char *err;
    size_t err_len;
} eval_ctx;

static double choose2(double n)
{
    return n * (n - 1) / 2;
}

/* "dir/r10015-c0.txt" -> "r10015-c0" */
static void doc_key(const char *id, const char **key, size_t *len)
{
    const char *slash = strrchr(id, '/');
    size_t n;

    if (slash)
        id = slash + 1;
    n = strlen(id);
    if (n > 4 && strcmp(id + n - 4, ".txt") == 0)
        n -= 4;
    *key = id;
    *len = n;
}

static dd_status read_truth(eval_ctx *e, FILE *f, const char *name)
{
    dd__strmap groups;
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t got;
    dd_status st = DD_OK;

    dd__strmap_init(&groups);
    while (st == DD_OK && (got = getline(&line, &cap, f)) != -1) {
        char *tab;
        uint32_t g, old;
        bool found;

        lineno++;
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            line[--got] = '\0';
        if (got == 0 || (lineno == 1 && strcmp(line, "doc\tgroup") == 0))
            continue;
        tab = strchr(line, '\t');
        if (!tab) {
            snprintf(e->err, e->err_len, "%s:%zu: expected doc<TAB>group", name, lineno);
            st = DD_EPARSE;
            break;
        }
        *tab++ = '\0';
        st = dd__strmap_put(&groups, tab, strlen(tab), (uint32_t)e->n_groups, &g, &found);
        if (st == DD_OK && !found) {
            st = dd__grow((void **)&e->group_size, &e->cap_groups, e->n_groups + 1,
                          sizeof *e->group_size);
            if (st == DD_OK)
                e->group_size[e->n_groups++] = 0;
        }
        if (st == DD_OK) {
            const char *key;
            size_t klen;
            doc_key(line, &key, &klen);
            st = dd__strmap_put(&e->truth, key, klen, g, &old, &found);
            if (st == DD_OK && !found)
                e->group_size[g]++;
        }
    }
    if (st == DD_OK && ferror(f)) {
        snprintf(e->err, e->err_len, "%s: read error", name);
        st = DD_EIO;
    }
    free(line);
    dd__strmap_free(&groups);
    return st;
}

/* Add one predicted cluster's contribution to the running sums. */
static void tally_cluster(eval_ctx *e, size_t labelled, size_t unlabelled)
{
    size_t i = 0;

    qsort(e->groups, labelled, sizeof *e->groups, dd__cmp_u32);
    while (i < labelled) {
        size_t j = i;
        while (j < labelled && e->groups[j] == e->groups[i])
            j++;
        e->tp += choose2((double)(j - i));
        i = j;
    }
    if (labelled == 0)
        return;
    e->pred_pairs += choose2((double)(labelled + unlabelled)) - choose2((double)unlabelled);
    e->sum_b += choose2((double)(labelled + unlabelled));
    e->n_universe += (double)unlabelled;
}

static dd_status read_cluster(eval_ctx *e, json_t *docs, const char *name, size_t lineno)
{
    size_t i, labelled = 0, unlabelled = 0;
    json_t *d;

    json_array_foreach(docs, i, d)
    {
        json_t *idv = json_is_object(d) ? json_object_get(d, "id") : d;
        const char *key;
        size_t klen;
        uint32_t g, dummy;
        bool found;

        if (!json_is_string(idv)) {
            snprintf(e->err, e->err_len, "%s:%zu: a document has no string \"id\"", name, lineno);
            return DD_EPARSE;
        }
        doc_key(json_string_value(idv), &key, &klen);
        if (dd__strmap_put(&e->seen, key, klen, 0, &dummy, &found) != DD_OK)
            return DD_ENOMEM;
        if (found)
            continue; /* a document counts in the first cluster that names it */
        if (dd__grow((void **)&e->groups, &e->cap_scratch, labelled + 1, sizeof *e->groups) !=
            DD_OK)
            return DD_ENOMEM;
        if (dd__strmap_get(&e->truth, key, klen, &g))
            e->groups[labelled++] = g;
        else
            unlabelled++;
    }
    tally_cluster(e, labelled, unlabelled);
    return DD_OK;
}

static dd_status read_clusters(eval_ctx *e, FILE *f, const char *name, size_t *n_clusters)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t got;
    dd_status st = DD_OK;

    while (st == DD_OK && (got = getline(&line, &cap, f)) != -1) {
        json_error_t jerr;
        json_t *root, *docs;

        lineno++;
        if (got <= 1)
            continue;
        root = json_loadb(line, (size_t)got, 0, &jerr);
        if (!root) {
            snprintf(e->err, e->err_len, "%s:%zu: invalid JSON: %s", name, lineno, jerr.text);
            st = DD_EPARSE;
            break;
        }
        docs = json_object_get(root, "docs");
        if (json_is_array(docs)) {
            st = read_cluster(e, docs, name, lineno);
            (*n_clusters)++;
        }
        json_decref(root);
    }
    free(line);
    return st;
}

static void finish(eval_ctx *e, dd_eval_result *out)
{
    double fp, fn, n, expected, max_index;
    size_t g;

    for (g = 0; g < e->n_groups; g++)
        e->true_pairs += choose2((double)e->group_size[g]);
    fp = e->pred_pairs - e->tp;
    fn = e->true_pairs - e->tp;
    out->tp = (size_t)e->tp;
    out->fp = (size_t)fp;
    out->fn = (size_t)fn;
    out->precision = e->pred_pairs > 0 ? e->tp / e->pred_pairs : 1.0;
    out->recall = e->true_pairs > 0 ? e->tp / e->true_pairs : 1.0;
    out->f1 = out->precision + out->recall > 0
                  ? 2 * out->precision * out->recall / (out->precision + out->recall)
                  : 0.0;
    /* ARI over the labelled documents plus the unlabelled ones that joined them; labelled
     * documents outside every cluster are singletons of the prediction. */
    n = (double)e->truth.count + e->n_universe;
    expected = n > 1 ? e->true_pairs * e->sum_b / choose2(n) : 0.0;
    max_index = 0.5 * (e->true_pairs + e->sum_b);
    out->ari = max_index - expected != 0 ? (e->tp - expected) / (max_index - expected) : 1.0;
    out->labelled = e->truth.count;
    out->groups = e->n_groups;
}

dd_status dd_eval_run(FILE *truth, const char *truth_name, FILE *clusters,
                      const char *clusters_name, dd_eval_result *out, char *err, size_t err_len)
{
    eval_ctx e;
    dd_status st;

    memset(&e, 0, sizeof e);
    memset(out, 0, sizeof *out);
    dd__strmap_init(&e.truth);
    dd__strmap_init(&e.seen);
    e.err = err;
    e.err_len = err_len;
    if (err_len)
        err[0] = '\0';
    st = read_truth(&e, truth, truth_name);
    if (st == DD_OK)
        st = read_clusters(&e, clusters, clusters_name, &out->clusters);
    if (st == DD_OK)
        finish(&e, out);
    dd__strmap_free(&e.truth);
    dd__strmap_free(&e.seen);
    free(e.group_size);
    free(e.groups);
    return st;
}
