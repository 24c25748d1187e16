/* dedup index add|query|stats|prune and dedup stream: the stored index (dd_store, dd_index)
 * from the command line. Each command is one store opened, one job, one accounting line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static int store_error(dd_store *s, dd_status st)
{
    if (st == DD_ENOMEM || !s)
        fprintf(stderr, "dedup: %s\n", dd_strerror(st));
    else
        fprintf(stderr, "dedup: %s\n", dd_store_error(s));
    return CLI_ERROR;
}

/* Open the store for `mode`, checking the run's parameters when `check`. */
static int open_store(const cli_opts *o, dd_store_mode mode, bool check, dd_store **s)
{
    dd_status st = dd_store_open(o->db, check ? &o->pipe : NULL, mode, o->busy_ms, s);

    if (st == DD_OK)
        return -1;
    store_error(*s, st);
    dd_store_close(*s);
    *s = NULL;
    return CLI_ERROR;
}

static dd_index_opts index_opts(const cli_opts *o)
{
    dd_index_opts io = dd_index_opts_default();

    io.pipe = o->pipe;
    io.batch = o->batch;
    return io;
}

/* "dedup: 8 documents: 6 added, 1 already stored, 1 skipped (empty 1)". */
static void account_add(const cli_opts *o, const dd_index_counts *c)
{
    size_t i, skipped = 0, sep = 0;

    for (i = 0; i < DD_SKIP_COUNT; i++)
        skipped += c->skipped[i];
    if (o->verbosity == 0)
        return;
    fprintf(stderr, "dedup: %zu documents: %zu added", c->inputs, c->added);
    if (c->repaired)
        fprintf(stderr, " (%zu repaired)", c->repaired);
    fprintf(stderr, ", %zu already stored, %zu skipped", c->already, skipped);
    for (i = 0; i < DD_SKIP_COUNT; i++)
        if (c->skipped[i])
            fprintf(stderr, "%s%s %zu", sep++ ? ", " : " (", dd_skip_name((dd_skip_reason)i),
                    c->skipped[i]);
    fputs(sep ? ")\n" : "\n", stderr);
}

static int index_add(cli_opts *o)
{
    dd_index_opts io = index_opts(o);
    dd_index_counts c;
    dd_store *s = NULL;
    dd_reader *r = NULL;
    bool missing = false;
    size_t skipped = 0, i;
    dd_status st;
    int rc;

    if (o->files_from && (rc = cli_read_list(o)) >= 0)
        return rc;
    if ((rc = open_store(o, DD_STORE_CREATE, true, &s)) >= 0)
        return rc;
    io.pipe.on_diag = cli_on_diag;
    io.pipe.diag_ud = o;
    st = dd_reader_new(&o->reader, &r);
    if (st == DD_OK)
        st = cli_add_paths(r, o, &missing);
    if (st == DD_OK)
        st = dd_index_add(s, &io, r, &c);
    dd_reader_free(r);
    if (st != DD_OK) {
        rc = store_error(s, st);
        dd_store_close(s);
        return rc;
    }
    dd_store_close(s);
    account_add(o, &c);
    for (i = 0; i < DD_SKIP_COUNT; i++)
        skipped += c.skipped[i];
    if (c.inputs != c.added + c.already + skipped) {
        fprintf(stderr, "dedup: internal error: %zu documents read, %zu accounted for\n",
                c.inputs, c.added + c.already + skipped);
        return CLI_ERROR;
    }
    if (o->strict && skipped) {
        fprintf(stderr, "dedup: %zu documents skipped (--strict)\n", skipped);
        return CLI_ERROR;
    }
    return missing ? CLI_ERROR : CLI_OK;
}

static int index_query(cli_opts *o)
{
    dd_index_opts io = index_opts(o);
    dd_index_result *q = NULL;
    dd_store *s = NULL;
    dd_reader *r = NULL;
    bool missing = false;
    dd_status st;
    int rc;

    if (o->files_from && (rc = cli_read_list(o)) >= 0)
        return rc;
    if ((rc = cli_check_outputs(o)) >= 0)
        return rc;
    if ((rc = open_store(o, DD_STORE_READ, true, &s)) >= 0)
        return rc;
    io.pipe.on_diag = cli_on_diag;
    io.pipe.diag_ud = o;
    o->reader.keep_records = o->emit;
    o->report.level = o->pipe.level;
    st = dd_reader_new(&o->reader, &r);
    if (st == DD_OK)
        st = cli_add_paths(r, o, &missing);
    if (st == DD_OK)
        st = dd_index_query(s, &io, r, &q);
    dd_reader_free(r);
    if (st != DD_OK) {
        rc = store_error(s, st);
        dd_store_close(s);
        return rc;
    }
    dd_store_close(s);
    if (o->verbosity > 1)
        fprintf(stderr, "dedup: %zu stored documents loaded as candidates, %zu reported\n",
                q->n_candidates, q->n_stored);
    o->report.stored = q->stored;
    o->iq = q;
    o->emit_opts.skip = q->stored;
    rc = cli_finish(o, q->res, missing);
    dd_index_result_free(q);
    return rc;
}

static int index_stats(const cli_opts *o)
{
    dd_store_stats st;
    dd_store *s = NULL;
    const char *name, *value;
    bool ok = true;
    size_t i;
    int rc;

    if ((rc = open_store(o, DD_STORE_READ, false, &s)) >= 0)
        return rc;
    if (dd_store_stats_get(s, &st) != DD_OK || (o->check && dd_store_check(s, &ok) != DD_OK)) {
        rc = store_error(s, DD_EIO);
        dd_store_close(s);
        return rc;
    }
    printf("store: %s\n", o->db);
    printf("documents: %zu (%zu dated", st.docs, st.dated);
    if (st.first[0])
        printf(", %s to %s", st.first, st.last);
    printf(")\n");
    if (st.added_first[0])
        printf("added: %s to %s\n", st.added_first, st.added_last);
    printf("copies groups: %zu, stories: %zu (of two or more documents)\n", st.copy_groups,
           st.stories);
    printf("keys: %zu, terms: %zu\n", st.keys, st.terms);
    printf("size: %llu bytes (%llu bytes of text records)", st.file_bytes, st.record_bytes);
    if (st.docs)
        printf(", %.0f bytes per document", (double)st.file_bytes / (double)st.docs);
    printf("\n");
    for (i = 0; dd_store_param(s, i, &name, &value); i++)
        printf("parameter %s: %s\n", name, value);
    if (o->check)
        printf("integrity: %s\n", ok ? "ok" : dd_store_error(s));
    dd_store_close(s);
    rc = cli_stdout_done();
    return rc != CLI_OK ? rc : ok ? CLI_OK : CLI_ERROR;
}

static int index_prune(const cli_opts *o)
{
    dd_store *s = NULL;
    size_t removed = 0;
    dd_status st;
    int rc;

    if ((rc = open_store(o, DD_STORE_WRITE, false, &s)) >= 0)
        return rc;
    st = dd_store_prune(s, o->max_age, (int64_t)time(NULL), &removed);
    if (st != DD_OK) {
        rc = store_error(s, st);
        dd_store_close(s);
        return rc;
    }
    dd_store_close(s);
    if (o->verbosity > 0)
        fprintf(stderr, "dedup: %s: %zu documents older than %g days removed\n", o->db, removed,
                o->max_age);
    return CLI_OK;
}

/* ---- stream ---------------------------------------------------------------------------- */

static const char *const status_names[] = {"new", "copy", "story", "skipped"};

/* One JSON line per record, flushed, before the record is stored. */
static void emit_decision(void *ud, const dd_stream_decision *d)
{
    (void)ud;
    fputs("{\"id\":", stdout);
    if (d->id[0])
        dd_report_json_string(stdout, d->id);
    else
        fputs("null", stdout);
    fprintf(stdout, ",\"status\":\"%s\",\"of\":", status_names[d->status]);
    if (d->status == DD_STREAM_COPY || d->status == DD_STREAM_STORY) {
        dd_report_json_string(stdout, d->of);
        fprintf(stdout, ",\"score\":%.4f}\n", d->score);
    } else {
        fputs("null,\"score\":null}\n", stdout);
    }
    fflush(stdout);
}

/* Each record is read as its own input named "-:LINE", of which it is line 1: say
 * "-:LINE: reason", not "-:LINE:1: reason". */
typedef struct stream_diag {
    cli_opts *o;
    const char *name;
} stream_diag;

static void on_stream_diag(void *ud, const char *msg, bool skipped)
{
    const stream_diag *sd = ud;
    size_t n = strlen(sd->name);
    char buf[4400];

    if (strncmp(msg, sd->name, n) == 0 && strncmp(msg + n, ":1:", 3) == 0) {
        snprintf(buf, sizeof buf, "%s%s", sd->name, msg + n + 2);
        msg = buf;
    }
    cli_on_diag(sd->o, msg, skipped);
}

static int stream(cli_opts *o)
{
    dd_index_opts io = index_opts(o);
    dd_store *s = NULL;
    char *line = NULL, name[64];
    size_t cap = 0, n = 0;
    ssize_t len;
    dd_status st = DD_OK;
    int rc;

    stream_diag sd = {o, name};

    if ((rc = open_store(o, DD_STORE_CREATE, true, &s)) >= 0)
        return rc;
    io.pipe.on_diag = on_stream_diag;
    io.pipe.diag_ud = &sd;
    /* One record at a time: getline returns as soon as a line is there, so a slow feed is
     * answered line by line. Each record is its own input, named "-:LINE". */
    while (st == DD_OK && (len = getline(&line, &cap, stdin)) > 0) {
        FILE *f;
        dd_reader *r = NULL;
        n++;
        if (len == 1 && line[0] == '\n')
            continue;
        snprintf(name, sizeof name, "-:%zu", n);
        if (!(f = fmemopen(line, (size_t)len, "r"))) {
            st = DD_ENOMEM;
            break;
        }
        st = dd_reader_new(&o->reader, &r);
        if (st == DD_OK)
            st = dd_reader_add_stream(r, f, name, true);
        if (st == DD_OK)
            st = dd_index_stream_one(s, &io, r, emit_decision, NULL);
        dd_reader_free(r);
        fclose(f);
    }
    free(line);
    if (st != DD_OK) {
        rc = store_error(s, st);
        dd_store_close(s);
        return rc;
    }
    dd_store_close(s);
    if (ferror(stdin)) {
        fprintf(stderr, "dedup: standard input: %s\n", strerror(errno));
        return CLI_ERROR;
    }
    return cli_stdout_done();
}

int cli_index(cli_opts *o)
{
    o->reader.on_warning = NULL;
    if (o->stream)
        return stream(o);
    if (strcmp(o->index_cmd, "add") == 0)
        return index_add(o);
    if (strcmp(o->index_cmd, "query") == 0)
        return index_query(o);
    if (strcmp(o->index_cmd, "stats") == 0)
        return index_stats(o);
    return index_prune(o);
}
