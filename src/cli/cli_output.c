/* CLI inputs and outputs around one run: the --files-from list, the -o/--html safety checks
 * (an output file must never be one of the inputs, nor a folder), and writing the report or
 * the --emit documents to stdout or a file (whole or not at all: cli_atomic.c), with write
 * errors reported once. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

int cli_read_list(cli_opts *o)
{
    bool is_stdin = strcmp(o->files_from, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(o->files_from, "rb");
    dd_status st;

    if (!f) {
        fprintf(stderr, "dedup: %s: %s\n", o->files_from, strerror(errno));
        return CLI_ERROR;
    }
    st = dd_path_list_read(f, o->nul, &o->listed, &o->n_listed);
    if (!is_stdin)
        fclose(f);
    if (st != DD_OK) {
        fprintf(stderr, "dedup: %s: %s\n", o->files_from, dd_strerror(st));
        return CLI_ERROR;
    }
    return -1;
}

/* Is `out` (an existing file) the input `in`, or inside the input folder `in`? Compared by
 * device and inode for files, by canonical path prefix for folders, so `./x` and `x` and
 * hard links all count as the same file. */
static bool is_input(const char *out, const struct stat *osb, const char *in)
{
    char rin[PATH_MAX], rout[PATH_MAX];
    struct stat isb;
    size_t n;

    if (strcmp(in, "-") == 0 || stat(in, &isb) != 0)
        return false;
    if (!S_ISDIR(isb.st_mode))
        return isb.st_dev == osb->st_dev && isb.st_ino == osb->st_ino;
    if (!realpath(in, rin) || !realpath(out, rout))
        return false;
    n = strlen(rin);
    return strncmp(rin, rout, n) == 0 && (rout[n] == '/' || (n == 1 && rin[0] == '/'));
}

static int check_one_output(const cli_opts *o, const char *flag, const char *out)
{
    struct stat osb;
    size_t i;

    if (!out || strcmp(out, "-") == 0 || stat(out, &osb) != 0)
        return -1;
    for (i = 0; i < o->n_paths + o->n_listed; i++) {
        const char *in = i < o->n_paths ? o->paths[i] : o->listed[i - o->n_paths];
        if (is_input(out, &osb, in))
            return cli_usage_error("%s %s: is an input (%s); refusing to overwrite it", flag, out,
                                   in);
    }
    if (o->files_from && is_input(out, &osb, o->files_from))
        return cli_usage_error("%s %s: is the --files-from list; refusing to overwrite it", flag,
                               out);
    return -1;
}

int cli_check_outputs(const cli_opts *o)
{
    int rc = check_one_output(o, "-o", o->output);

    if (rc < 0)
        rc = check_one_output(o, "--html", o->html);
    if (rc < 0 && o->output && o->html && strcmp(o->output, o->html) == 0)
        rc = cli_usage_error("-o and --html name the same file '%s'", o->output);
    if (rc < 0 && o->output && strcmp(o->output, "-") != 0)
        rc = cli_out_check(o->output);
    if (rc < 0 && o->html && strcmp(o->html, "-") != 0)
        rc = cli_out_check(o->html);
    return rc;
}

/* -v: which member each cluster keeps and why, so a reviewer can check --keep. */
static void explain_keep(const cli_opts *o, const dd_result *res)
{
    static const char *const how[] = {"first", "longest", "earliest"};
    size_t c;

    if (o->verbosity < 2)
        return;
    for (c = 0; c < res->clusters.count; c++) {
        uint32_t k = dd_emit_representative(res, c, o->emit_opts.keep);
        size_t n = res->clusters.start[c + 1] - res->clusters.start[c];
        fprintf(stderr, "dedup: keep: cluster %zu keeps %s (%s of %zu)\n", c + 1, res->docs[k].id,
                how[o->emit_opts.keep], n);
    }
}

static dd_status write_body(const cli_opts *o, const dd_result *res, FILE *out)
{
    char err[1200];
    dd_status st;

    if (!o->emit)
        return dd_report_write(res, &o->report, out);
    explain_keep(o, res);
    st = dd_emit_write(res, &o->emit_opts, out, err, sizeof err);
    if (st == DD_EIO && err[0]) {
        fprintf(stderr, "dedup: %s\n", err);
        return DD_EINVAL; /* reported here; not a write error on `out` */
    }
    return st;
}

/* What the writer's status means once the output itself was written: -1 to go on, else the
 * exit status (DD_EINVAL was already explained by the writer). */
static int body_status(dd_status st)
{
    if (st == DD_EINVAL)
        return CLI_ERROR;
    if (st != DD_OK) {
        fprintf(stderr, "dedup: %s\n", dd_strerror(st));
        return CLI_ERROR;
    }
    return -1;
}

/* A file is kept only when everything was written: a writer that stopped early (a record it
 * could not read again, no memory) leaves the target as it was. */
static int close_file(cli_out *out, dd_status st)
{
    if (st == DD_EIO && !cli_out_failed(out))
        out->err = EIO;
    if (st == DD_OK || st == DD_EIO)
        return cli_out_commit(out);
    cli_out_discard(out);
    return body_status(st);
}

int cli_write_output(const cli_opts *o, const dd_result *res)
{
    dd_status st;
    cli_out out;
    int rc;

    if (o->output && strcmp(o->output, "-") != 0) {
        rc = cli_out_open(&out, o->output);
        if (rc >= 0)
            return rc;
        return close_file(&out, write_body(o, res, out.f));
    }
    errno = 0;
    st = write_body(o, res, stdout);
    rc = cli_stdout_done();
    if (rc != CLI_OK || ferror(stdout))
        return rc;
    return body_status(st);
}

/* The texts for --html: the inputs read once more (standard input cannot be). */
static dd_status html_texts(const cli_opts *o, const dd_result *res, char ***texts)
{
    dd_reader_opts ro = o->reader;
    dd_reader *r = NULL;
    dd_status st;
    size_t i;

    if (o->iq) /* index query: stored documents are not among the PATHs */
        return dd_index_texts(o->iq, texts);
    ro.on_warning = NULL;
    st = dd_reader_new(&ro, &r);
    for (i = 0; st == DD_OK && i < o->n_paths + o->n_listed; i++) {
        const char *p = i < o->n_paths ? o->paths[i] : o->listed[i - o->n_paths];
        if (strcmp(p, "-") != 0)
            st = dd_reader_add_path(r, p);
    }
    if (st == DD_OK)
        st = dd_html_texts(res, r, texts);
    dd_reader_free(r);
    return st;
}

int cli_write_html(const cli_opts *o, const dd_result *res)
{
    dd_html_opts ho = dd_html_opts_default(&o->pipe);
    bool to_stdout = o->html && strcmp(o->html, "-") == 0;
    char **texts = NULL;
    dd_status st;
    cli_out out;
    int rc;

    if (!o->html)
        return -1;
    ho.keep = o->emit_opts.keep;
    st = html_texts(o, res, &texts);
    if (st != DD_OK) {
        fprintf(stderr, "dedup: %s\n", dd_strerror(st));
        return CLI_ERROR;
    }
    if (!to_stdout && (rc = cli_out_open(&out, o->html)) >= 0) {
        dd_html_texts_free(texts, res->n_docs);
        return rc;
    }
    st = dd_report_html_write(res, texts, &ho, to_stdout ? stdout : out.f);
    dd_html_texts_free(texts, res->n_docs);
    if (!to_stdout)
        return close_file(&out, st);
    rc = cli_stdout_done();
    return rc != CLI_OK || ferror(stdout) ? rc : body_status(st);
}
