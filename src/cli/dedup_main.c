/* dedup CLI entry point: parse -> read + cluster -> report -> exit status.
 * stdout carries only the report; every diagnostic is one stderr line "dedup: ...". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static void on_diag(void *ud, const char *msg, bool skipped)
{
    const cli_opts *o = ud;

    (void)skipped;
    if (o->verbosity > 0)
        fprintf(stderr, "dedup: %s\n", msg);
}

static int finish_output(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (errno == EPIPE)
            return CLI_OK;
        fprintf(stderr, "dedup: write error: %s\n", strerror(errno));
        return CLI_ERROR;
    }
    return CLI_OK;
}

/* A path the user named that cannot be opened is an error of the run (exit 1), not a
 * skipped document: it is reported here and the other paths are still read. */
static dd_status add_paths(dd_reader *r, const cli_opts *o, bool *missing)
{
    struct stat sb;
    size_t i;
    dd_status st = DD_OK;

    if (o->n_paths == 0)
        return dd_reader_add_path(r, "-");
    for (i = 0; st == DD_OK && i < o->n_paths; i++) {
        if (strcmp(o->paths[i], "-") != 0 && stat(o->paths[i], &sb) != 0) {
            fprintf(stderr, "dedup: %s: %s\n", o->paths[i], strerror(errno));
            *missing = true;
            continue;
        }
        st = dd_reader_add_path(r, o->paths[i]);
    }
    return st;
}

static void explain(const cli_opts *o, const dd_result *res)
{
    double t = o->pipe.lsh_threshold > 0 ? o->pipe.lsh_threshold : o->pipe.threshold;

    if (o->verbosity < 2)
        return;
    fprintf(stderr,
            "dedup: lsh: %zu bands x %zu rows of %zu MinHash values, tuned for similarity "
            "%.2f (P(candidate) %.3f at %.2f, %.3f at %.2f)\n",
            res->bands, res->rows, o->pipe.num_perm, t, dd_lsh_probability(t, res->bands, res->rows),
            t, dd_lsh_probability(o->pipe.threshold, res->bands, res->rows), o->pipe.threshold);
    fprintf(stderr,
            "dedup: %zu boilerplate lines stripped from %zu documents; %zu candidate pairs, "
            "%zu verified, %zu rejected as sharing only a footer\n",
            res->n_boilerplate_lines, res->n_stripped, res->n_candidates, res->n_pairs,
            res->n_footer_only);
}

static int run(cli_opts *o)
{
    dd_reader *r = NULL;
    dd_result *res = NULL;
    bool missing = false;
    dd_status st;
    int rc;

    o->pipe.on_diag = on_diag;
    o->pipe.diag_ud = o;
    o->report.level = o->pipe.level;
    st = dd_reader_new(&o->reader, &r);
    if (st == DD_OK)
        st = add_paths(r, o, &missing);
    if (st == DD_OK)
        st = dd_pipeline_run(&o->pipe, r, &res);
    dd_reader_free(r);
    if (st != DD_OK) {
        fprintf(stderr, "dedup: %s\n", dd_strerror(st));
        return CLI_ERROR;
    }
    explain(o, res);
    dd_report_write(res, &o->report, stdout);
    rc = finish_output();
    if (rc == CLI_OK && missing)
        rc = CLI_ERROR;
    if (rc == CLI_OK && o->strict && dd_result_skipped(res) > 0) {
        fprintf(stderr, "dedup: %zu documents skipped (--strict)\n", dd_result_skipped(res));
        rc = CLI_ERROR;
    }
    dd_result_free(res);
    return rc;
}

int main(int argc, char **argv)
{
    cli_opts o;
    int rc = cli_parse(argc, argv, &o);

    if (rc >= 0)
        return rc;
    if (o.eval)
        return cli_eval(&o);
    return o.idf ? cli_idf(&o) : run(&o);
}
