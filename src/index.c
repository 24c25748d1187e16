/* Index stage (include/dedup/index.h): a batch against a stored index.
 *
 * 1. The batch is read as a batch run reads it; each document becomes one JSON line
 *    {"id","title","date","text"} holding the text the pipeline compares (its "record").
 * 2. The batch is signed alone (a pipeline run over those lines) for its candidate keys.
 * 3. Stored documents under those keys, with their whole copies groups and stories, are
 *    the candidates (dd_store_candidates).
 * 4. The pipeline runs over the candidates' records, in the order they were stored, then
 *    the batch's; document frequencies and boilerplate lines of the rest of the store are
 *    added to the run's (dd_pipeline_opts.extra_df, extra_lines), so every weight and every
 *    stripped line is the one of a batch run over store + batch.
 * Add (index_add.c) stores the batch and moves the groups' roots; query (index_query.c)
 * reports; stream (index_stream.c) does both for one document. */
#include "index_internal.h"
#include "pipeline_internal.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

dd_index_opts dd_index_opts_default(void)
{
    dd_index_opts o;

    memset(&o, 0, sizeof o);
    o.pipe = dd_pipeline_opts_default();
    o.batch = 10000;
    o.max_candidates = 200000;
    return o;
}

void dd__index_diag(const dd_pipeline_opts *o, const char *msg, bool skipped)
{
    if (o->on_diag)
        o->on_diag(o->diag_ud, msg, skipped);
}

void dd__batch_free(batch *b)
{
    size_t i;

    for (i = 0; i < b->n; i++) {
        free(b->d[i].keys);
        free(b->d[i].okeys);
        free(b->d[i].lkeys);
    }
    free(b->d);
    free(b->c);
    free(b->uidx);
    dd__arena_free(&b->str);
    dd__strmap_free(&b->seen);
    if (b->run_path) {
        unlink(b->run_path);
        free(b->run_path);
    }
    memset(b, 0, sizeof *b);
}

static const char *keep(batch *b, const char *s)
{
    return s ? dd__arena_strndup(&b->str, s, strlen(s)) : NULL;
}

/* The record line of a document: the text it is compared by, under the title it shows
 * when that title starts the text (else none, so the pipeline adds no title line). */
static char *record_of(const char *id, const char *title, const char *date, const char *text,
                       size_t len, size_t *out_len)
{
    json_t *o = json_object();
    char *s;

    if (!o)
        return NULL;
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "title", json_string(title));
    if (date)
        json_object_set_new(o, "date", json_string(date));
    json_object_set_new(o, "text", json_stringn(text, len));
    s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    *out_len = s ? strlen(s) : 0;
    return s;
}

/* Take one document into the batch; false when add skips it as already stored. */
static dd_status take_doc(dd_store *s, batch *b, const dd_doc *d, bool adding, bool *taken)
{
    size_t len, tl = strlen(d->title), jl = 0;
    char *text = dd_doc_compared_text(d, &len), *json = NULL, key[40];
    uint64_t hash;
    bdoc x;
    dd_status st = DD_OK;

    *taken = false;
    if (!text)
        return DD_ENOMEM;
    hash = XXH3_64bits(text, len);
    if (adding) {
        bool found = false, dup = false;
        uint32_t v;
        char *k;
        snprintf(key, sizeof key, "%016llx ", (unsigned long long)hash);
        k = malloc(strlen(key) + strlen(d->id) + 1);
        if (!k) {
            free(text);
            return DD_ENOMEM;
        }
        strcat(strcpy(k, key), d->id);
        st = dd__strmap_put(&b->seen, k, strlen(k), 0, &v, &dup);
        free(k);
        if (st == DD_OK && !dup)
            st = dd_store_has(s, d->id, hash, &found);
        if (st != DD_OK || dup || found) {
            b->already += st == DD_OK;
            free(text);
            return st;
        }
    }
    json = record_of(d->id, len >= tl && memcmp(text, d->title, tl) == 0 ? d->title : "", d->date,
                     text, len, &jl);
    free(text);
    if (!json)
        return DD_ENOMEM;
    memset(&x, 0, sizeof x);
    x.id = keep(b, d->id);
    x.title = keep(b, d->title);
    x.date = keep(b, d->date);
    x.source = keep(b, d->source);
    x.record = d->record ? dd__arena_strndup(&b->str, d->record, d->record_len) : NULL;
    x.json = dd__arena_strndup(&b->str, json, jl);
    free(json);
    x.line = d->line;
    x.record_off = d->record_off;
    x.record_len = d->record_len;
    x.bytes = d->len;
    x.json_len = jl;
    x.hash = hash;
    if (!x.id || !x.title || !x.source || !x.json || (d->date && !x.date) ||
        (d->record && !x.record) || dd__grow((void **)&b->d, &b->cap, b->n + 1, sizeof *b->d))
        return DD_ENOMEM;
    b->d[b->n++] = x;
    *taken = true;
    return DD_OK;
}

/* Read up to `max` documents (0: all) into b; *eof when the reader is done. */
dd_status dd__read_batch(dd_store *s, const dd_pipeline_opts *o, dd_reader *r, batch *b,
                            size_t max, bool adding, bool *eof)
{
    dd_status st = DD_OK;

    *eof = false;
    while (!max || b->n < max) {
        dd_doc d;
        bool taken;
        st = dd_reader_next(r, &d);
        if (st == DD_END) {
            *eof = true;
            return DD_OK;
        }
        if (st == DD_ENOMEM)
            return st;
        b->inputs++;
        if (st != DD_OK) {
            b->skipped[dd__skip_reason(st)]++;
            dd__index_diag(o, dd_reader_error(r), true);
            continue;
        }
        if (d.warning)
            b->repaired++;
        if ((st = take_doc(s, b, &d, adding, &taken)) != DD_OK)
            return st;
    }
    return DD_OK;
}

void dd__batch_init(batch *b)
{
    memset(b, 0, sizeof *b);
    dd__arena_init(&b->str);
    dd__strmap_init(&b->seen);
}

/* ---- pipeline runs over a run file ------------------------------------------------------ */

/* What a run's callbacks need: the batch (to name documents as the user gave them) and the
 * store (for frequencies). */
typedef struct run_ctx {
    const dd_pipeline_opts *o;
    dd_store *s;
    batch *b;
    const char *path;
    size_t first;     /* run file line of the batch's first document (after candidates) */
    size_t *line_doc; /* run file line - first -> batch document */
    size_t n_lines;
    dd_status df_st;
    int64_t *rows; /* the candidates' rows, ascending */
} run_ctx;

/* Pipeline messages name the run file and its line; name the document as the user gave it. */
static void run_diag(void *ud, const char *msg, bool skipped)
{
    run_ctx *c = ud;
    size_t pl = strlen(c->path), line;
    char buf[4400], *end;

    if (strncmp(msg, c->path, pl) != 0 || msg[pl] != ':') {
        dd__index_diag(c->o, msg, skipped);
        return;
    }
    line = strtoul(msg + pl + 1, &end, 10);
    if (line > c->first && line - c->first - 1 < c->n_lines) {
        const bdoc *d = &c->b->d[c->line_doc[line - c->first - 1]];
        if (d->line)
            snprintf(buf, sizeof buf, "%s:%zu%s", d->source, d->line, end);
        else
            snprintf(buf, sizeof buf, "%s%s", d->source, end);
    } else {
        snprintf(buf, sizeof buf, "%s: stored document %zu%s", dd_store_path(c->s), line, end);
    }
    dd__index_diag(c->o, buf, skipped);
}

/* The run's terms as counted by the store less the candidates (counted again by the run). */
static dd_status run_df(void *ud, const uint64_t *terms, size_t n, uint32_t *df, size_t *docs)
{
    run_ctx *c = ud;
    dd_status st = dd_store_df(c->s, terms, n, df, docs);
    size_t i, k;

    if (st != DD_OK || !c->b->n_cand)
        return c->df_st = st;
    for (k = 0; k < c->b->n_cand; k++) {
        dd_store_doc sd;
        if ((st = dd_store_load(c->s, c->b->c[k].row, &sd)) != DD_OK)
            return c->df_st = st;
        for (i = 0; i < sd.n_terms; i++) { /* both ascending: a merge */
            const uint64_t *p = terms, *e = terms + n;
            size_t lo = 0, hi = n;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (p[mid] < sd.terms[i])
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (p + lo < e && p[lo] == sd.terms[i] && df[lo] > 0)
                df[lo]--;
        }
    }
    *docs = *docs > c->b->n_cand ? *docs - c->b->n_cand : 0;
    return DD_OK;
}

/* Lines of the run as stored documents outside it hold them: boilerplate over store + run. */
static dd_status run_lines(void *ud, const uint64_t *lines, size_t n, uint8_t *groups)
{
    run_ctx *c = ud;
    dd_status st = dd_store_line_groups(c->s, lines, n, c->rows, c->first, groups);

    return st == DD_OK ? DD_OK : (c->df_st = st);
}

static dd_status write_all(FILE *f, const char *s, size_t n)
{
    return fwrite(s, 1, n, f) == n && putc('\n', f) != EOF ? DD_OK : DD_EIO;
}

static char *temp_path(FILE **f)
{
    const char *dir = getenv("TMPDIR");
    char *p = malloc(4200);
    int fd;

    if (!p)
        return NULL;
    /* .jsonl: the reader takes a file by that name as JSON Lines */
    snprintf(p, 4200, "%s/dedup-index-XXXXXX.jsonl", dir && *dir ? dir : "/tmp");
    fd = mkstemps(p, 6);
    if (fd < 0 || !(*f = fdopen(fd, "w"))) {
        if (fd >= 0) {
            close(fd);
            unlink(p);
        }
        free(p);
        return NULL;
    }
    return p;
}

/* Write the run file (candidates' records, then the batch's used documents) and run the
 * pipeline over it at `level`. The file stays until the batch is freed (reports read it). */
static dd_status run(dd_store *s, const dd_pipeline_opts *base, dd_level level, batch *b,
                     bool only_batch, dd_result **out, char *err, size_t err_cap)
{
    dd_pipeline_opts o = *base;
    dd_reader_opts ro = dd_reader_opts_default();
    dd_reader *r = NULL;
    run_ctx c;
    FILE *f = NULL;
    size_t i;
    dd_status st = DD_OK;

    *out = NULL;
    memset(&c, 0, sizeof c);
    if (b->run_path) {
        unlink(b->run_path);
        free(b->run_path);
    }
    if (!(b->run_path = temp_path(&f))) {
        snprintf(err, err_cap, "temporary file: %s", strerror(errno));
        return DD_EIO;
    }
    c = (run_ctx){base, s, b, b->run_path, only_batch ? 0 : b->n_cand, NULL, 0, DD_OK, NULL};
    c.line_doc = malloc((b->n + 1) * sizeof *c.line_doc);
    c.rows = malloc((b->n_cand + 1) * sizeof *c.rows);
    if (!c.line_doc || !c.rows)
        st = DD_ENOMEM;
    for (i = 0; st == DD_OK && i < b->n_cand; i++)
        c.rows[i] = b->c[i].row;
    for (i = 0; st == DD_OK && !only_batch && i < b->n_cand; i++) {
        dd_store_doc sd;
        if ((st = dd_store_load(s, b->c[i].row, &sd)) == DD_OK)
            st = write_all(f, sd.record, sd.record_len);
    }
    for (i = 0; st == DD_OK && i < b->n; i++) {
        if (!only_batch && !b->d[i].used)
            continue;
        c.line_doc[c.n_lines++] = i;
        st = write_all(f, b->d[i].json, b->d[i].json_len);
    }
    if (fclose(f) != 0 && st == DD_OK)
        st = DD_EIO;
    if (st == DD_EIO)
        snprintf(err, err_cap, "%s: write error: %s", b->run_path, strerror(errno));
    o.level = level;
    o.on_diag = run_diag;
    o.diag_ud = &c;
    o.extra_df = run_df;
    o.extra_df_ud = &c;
    o.extra_lines = run_lines;
    o.extra_lines_ud = &c;
    o.keep_ocr_sigs = only_batch; /* the batch alone is signed for its keys */
    o.keep_lines = true;          /* their hashes are stored (dd__index_lines) */
    ro.keep_records = false;
    if (st == DD_OK)
        st = dd_reader_new(&ro, &r);
    if (st == DD_OK)
        st = dd_reader_add_path(r, b->run_path);
    if (st == DD_OK)
        st = dd_pipeline_run(&o, r, out);
    dd_reader_free(r);
    if (st == DD_OK && c.df_st != DD_OK)
        st = c.df_st;
    if (st != DD_OK && *out) {
        dd_result_free(*out);
        *out = NULL;
    }
    if (st == DD_EIO && !*err)
        snprintf(err, err_cap, "%s", dd_store_error(s));
    free(c.line_doc);
    free(c.rows);
    return st;
}

/* Index (in b) of the batch document run-file line `line` gives, or SIZE_MAX for a stored
 * candidate; *cand_i its candidate index. */
size_t dd__doc_of_line(const batch *b, size_t line, bool only_batch, size_t *cand_i)
{
    if (!only_batch && line <= b->n_cand) {
        *cand_i = line - 1;
        return SIZE_MAX;
    }
    if (only_batch)
        return line - 1 < b->n ? line - 1 : SIZE_MAX - 1;
    line -= b->n_cand + 1;
    return line < b->n_used ? b->uidx[line] : SIZE_MAX - 1;
}

/* Sign the batch alone: which documents are used (not empty) and their keys. */
static dd_status sign_batch(dd_store *s, const dd_pipeline_opts *o, dd_level level, batch *b,
                            char *err, size_t err_cap)
{
    dd_result *res = NULL;
    dd__key_plan plan = dd__index_key_plan(o);
    size_t i, max = dd__index_max_keys(&plan), n;
    dd_status st = run(s, o, level, b, true, &res, err, err_cap);

    for (i = 0; st == DD_OK && i < DD_SKIP_COUNT; i++)
        b->skipped[i] += res->skipped[i];
    for (i = 0; st == DD_OK && i < res->n_docs; i++) {
        size_t ci, di = dd__doc_of_line(b, res->docs[i].line, true, &ci);
        bdoc *d;
        if (di >= b->n)
            continue;
        d = &b->d[di];
        d->used = true;
        d->keys = malloc(max * sizeof *d->keys);
        d->okeys = malloc((dd__index_max_ocr_keys(&plan) + 1) * sizeof *d->okeys);
        d->lkeys = malloc((dd__index_max_ocr_keys(&plan) + 1) * sizeof *d->lkeys);
        if (!d->keys || !d->okeys || !d->lkeys) {
            st = DD_ENOMEM;
            break;
        }
        dd__index_keys(res, &plan, i, d->keys, &n);
        d->n_keys = n;
        dd__index_ocr_keys(res, &plan, i, d->okeys, &d->n_okeys, d->lkeys, &d->n_lkeys);
    }
    dd_result_free(res);
    if (st == DD_OK && !(b->uidx = malloc((b->n + 1) * sizeof *b->uidx)))
        st = DD_ENOMEM;
    for (i = 0; st == DD_OK && i < b->n; i++)
        if (b->d[i].used)
            b->uidx[b->n_used++] = i;
    return st;
}

/* The stored candidates of the batch's keys. */
static dd_status find_candidates(dd_store *s, const dd_index_opts *io, dd_level level, batch *b)
{
    uint64_t *keys = NULL;
    int64_t *rows = NULL;
    size_t i, j, n = 0, total = 0, n_rows = 0;
    dd_status st = DD_OK;

    for (i = 0; i < b->n; i++)
        total += b->d[i].n_keys + b->d[i].n_lkeys;
    keys = malloc((total + 1) * sizeof *keys);
    if (!keys)
        return DD_ENOMEM;
    for (i = 0; i < b->n; i++) {
        for (j = 0; j < b->d[i].n_keys; j++)
            keys[n++] = b->d[i].keys[j];
        for (j = 0; j < b->d[i].n_lkeys; j++)
            keys[n++] = b->d[i].lkeys[j];
    }
    n = dd__sort_unique_u64(keys, n);
    st = dd_store_candidates(s, keys, n, level == DD_LEVEL_STORIES, io->max_candidates, &rows,
                             &n_rows);
    free(keys);
    if (st == DD_OK && !(b->c = calloc(n_rows + 1, sizeof *b->c)))
        st = DD_ENOMEM;
    for (i = 0; st == DD_OK && i < n_rows; i++) {
        dd_store_doc sd;
        cand *c = &b->c[i];
        if ((st = dd_store_load(s, rows[i], &sd)) != DD_OK)
            break;
        c->row = rows[i];
        c->copy_root = sd.copy_root;
        c->bytes = sd.bytes;
        c->story_root = sd.story_root;
        c->id = keep(b, sd.id);
        c->title = keep(b, sd.title);
        c->date = keep(b, sd.date);
        c->source = keep(b, sd.source);
        if (!c->id || !c->title || !c->source || (sd.date && !c->date))
            st = DD_ENOMEM;
    }
    b->n_cand = st == DD_OK ? n_rows : 0;
    free(rows);
    return st;
}

/* Read, sign, find candidates and run over them: the common part of add, query, stream. */
dd_status dd__prepare(dd_store *s, const dd_index_opts *io, dd_level level, batch *b,
                         dd_result **res, char *err, size_t err_cap)
{
    dd_status st = sign_batch(s, &io->pipe, level, b, err, err_cap);

    if (st == DD_OK)
        st = find_candidates(s, io, level, b);
    if (st == DD_OK)
        st = run(s, &io->pipe, level, b, false, res, err, err_cap);
    return st;
}

dd_status dd__index_check_opts(const dd_index_opts *io)
{
    return io->pipe.signature == DD_SIGNATURE_MINHASH && io->batch > 0 ? DD_OK : DD_EINVAL;
}
