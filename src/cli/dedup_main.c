/* dedup CLI entry point: parse -> read + cluster -> report -> exit status.
 * stdout carries only the report; every diagnostic is one stderr line "dedup: ...", and
 * every run ends with one accounting line: items read = used + skipped, always. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* One diagnostic line. Control bytes (from file names, ids or parser messages) are shown as
 * \xNN, so a hostile name can neither split the line nor move the terminal's cursor. */
static void say(const char *msg)
{
    const unsigned char *p = (const unsigned char *)msg;

    if (!cli_engine_writer()) /* MPI: rank 0 says it once */
        return;
    cli_progress_clear();
    fputs("dedup: ", stderr);
    for (; *p; p++) {
        if (*p < 0x20 || *p == 0x7F)
            fprintf(stderr, "\\x%02x", *p);
        else
            putc(*p, stderr);
    }
    putc('\n', stderr);
}

void cli_on_diag(void *ud, const char *msg, bool skipped)
{
    const cli_opts *o = ud;

    (void)skipped;
    if (o->verbosity > 0)
        say(msg);
}

void cli_on_warning(void *ud, const char *msg)
{
    cli_on_diag(ud, msg, false);
}

/* A PATH the user named must exist and open: otherwise it is an error of the run (exit 1),
 * reported before anything is read, and the other PATHs are still read. FIFOs and character
 * devices are not opened here: a pipe from <(...) can be read only once. */
static bool path_ok(const char *path)
{
    char msg[4200];
    struct stat sb;
    int fd;

    if (stat(path, &sb) != 0)
        goto bad;
    if (S_ISFIFO(sb.st_mode) || S_ISCHR(sb.st_mode))
        return true;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            goto bad;
        closedir(d);
        return true;
    }
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        goto bad;
    close(fd);
    return true;
bad:
    snprintf(msg, sizeof msg, "%s: %s", path, strerror(errno));
    say(msg);
    return false;
}

/* The PATHs from the command line, then those from --files-from; none at all (and no list)
 * means standard input. */
dd_status cli_add_paths(dd_reader *r, const cli_opts *o, bool *missing)
{
    size_t i;
    dd_status st = DD_OK;

    if (o->n_paths == 0 && !o->files_from)
        return dd_reader_add_path(r, "-");
    for (i = 0; st == DD_OK && i < o->n_paths + o->n_listed; i++) {
        const char *p = i < o->n_paths ? o->paths[i] : o->listed[i - o->n_paths];
        if (strcmp(p, "-") != 0 && !path_ok(p)) {
            *missing = true;
            continue;
        }
        st = dd_reader_add_path(r, p);
    }
    return st;
}

static void explain(const cli_opts *o, const dd_result *res)
{
    double t = o->pipe.lsh_threshold > 0 ? o->pipe.lsh_threshold : o->pipe.threshold;

    if (o->verbosity < 2)
        return;
    if (o->pipe.level == DD_LEVEL_COPIES && o->pipe.signature == DD_SIGNATURE_SIMHASH)
        fprintf(stderr, "dedup: simhash: 64-bit fingerprints of the shingle sets, pairs within "
                        "%u bits\n", o->pipe.simhash_distance);
    else
        fprintf(stderr,
                "dedup: lsh: %zu bands x %zu rows of %zu MinHash values, tuned for similarity "
                "%.2f (P(candidate) %.3f at %.2f, %.3f at %.2f)\n",
                res->bands, res->rows, o->pipe.num_perm, t,
                dd_lsh_probability(t, res->bands, res->rows), t,
                dd_lsh_probability(o->pipe.threshold, res->bands, res->rows), o->pipe.threshold);
    fprintf(stderr,
            "dedup: %zu boilerplate lines stripped from %zu documents; %zu candidate pairs, "
            "%zu verified, %zu rejected as sharing only a footer\n",
            res->n_boilerplate_lines, res->n_stripped, res->n_candidates,
            o->pipe.level == DD_LEVEL_STORIES ? res->n_copy_pairs : res->n_pairs,
            res->n_footer_only);
    if (res->n_bound_rejected)
        fprintf(stderr, "dedup: %zu candidate pairs rejected on the bounds of their sets, "
                        "without reading them again\n", res->n_bound_rejected);
    if (o->pipe.level != DD_LEVEL_STORIES)
        return;
    if (o->pipe.signature == DD_SIGNATURE_SIMHASH)
        fprintf(stderr, "dedup: stories: SimHash of the weighted terms, within %u bits",
                o->pipe.simhash_distance);
    else
        fprintf(stderr,
                "dedup: stories: %zu bands x %zu rows of MinHash over the top %zu terms, tuned "
                "for similarity %.2f",
                res->story_bands, res->story_rows, o->pipe.top_k, o->pipe.story_lsh_threshold);
    fprintf(stderr,
            "; %zu candidate pairs, %zu scored above 0 with copy pairs and closed triangles; "
            "clusters merge at mean similarity %.2f; %zu documents lost a boilerplate run\n",
            res->n_story_candidates, res->n_story_scored, o->pipe.story_threshold,
            res->n_story_stripped);
}

/* "dedup: 8 documents: 7 used (1 repaired), 1 skipped (empty 1)": where every item read
 * went. Not with --format jsonl, whose closing summary object carries the same counts. */
static void account(const cli_opts *o, const dd_result *res)
{
    size_t i, sep = 0;

    if (o->verbosity == 0 || o->report.format == DD_FORMAT_JSONL)
        return;
    fprintf(stderr, "dedup: %zu documents: %zu used", res->n_inputs, res->n_docs);
    if (res->n_repaired)
        fprintf(stderr, " (%zu repaired)", res->n_repaired);
    if (res->n_changed)
        fprintf(stderr, " (%zu changed during the run, not verified)", res->n_changed);
    fprintf(stderr, ", %zu skipped", dd_result_skipped(res));
    for (i = 0; i < DD_SKIP_COUNT; i++) {
        if (res->skipped[i])
            fprintf(stderr, "%s%s %zu", sep++ ? ", " : " (", dd_skip_name((dd_skip_reason)i),
                    res->skipped[i]);
    }
    fputs(sep ? ")\n" : "\n", stderr);
}

int cli_finish(const cli_opts *o, const dd_result *res, bool missing)
{
    size_t skipped = dd_result_skipped(res);
    int rc;

    explain(o, res);
    rc = cli_write_output(o, res);
    if (rc < 0)
        rc = cli_write_html(o, res);
    if (rc >= 0)
        return rc;
    account(o, res);
    if (res->n_inputs != res->n_docs + skipped) {
        fprintf(stderr, "dedup: internal error: %zu documents read, %zu accounted for\n",
                res->n_inputs, res->n_docs + skipped);
        return CLI_ERROR;
    }
    if (o->strict && skipped > 0) {
        fprintf(stderr, "dedup: %zu documents skipped (--strict)\n", skipped);
        return CLI_ERROR;
    }
    if (o->strict && res->n_changed > 0) {
        fprintf(stderr, "dedup: %zu documents changed during the run (--strict)\n",
                res->n_changed);
        return CLI_ERROR;
    }
    return missing ? CLI_ERROR : CLI_OK;
}

/* Whether other processes can read the same input: not when any of it is standard input. */
static bool shardable(const cli_opts *o)
{
    size_t i;

    if ((o->n_paths == 0 && !o->files_from) || (o->files_from && strcmp(o->files_from, "-") == 0))
        return false;
    for (i = 0; i < o->n_paths + o->n_listed; i++)
        if (strcmp(i < o->n_paths ? o->paths[i] : o->listed[i - o->n_paths], "-") == 0)
            return false;
    return true;
}

static int run(cli_opts *o)
{
    dd_reader *r = NULL;
    dd_result *res = NULL;
    bool missing = false;
    dd_status st;
    int rc;

    o->pipe.on_diag = cli_on_diag;
    o->pipe.diag_ud = o;
    o->reader.on_warning = cli_on_warning;
    o->reader.warning_ud = o;
    o->reader.keep_records = o->emit; /* only --emit writes records of standard input */
    o->report.level = o->pipe.level;
    if (o->files_from && (rc = cli_read_list(o)) >= 0)
        return rc;
    if ((rc = cli_check_outputs(o)) >= 0)
        return rc;
    o->reader.on_progress = cli_progress_update;
    cli_progress_start(o);
    st = dd_reader_new(&o->reader, &r);
    if (st == DD_OK)
        st = cli_add_paths(r, o, &missing);
    if (st == DD_OK)
        st = cli_engine_run(&o->pipe, r, shardable(o), &res);
    cli_progress_clear();
    dd_reader_free(r);
    if (st != DD_OK) {
        fprintf(stderr, "dedup: %s\n", dd_strerror(st));
        return CLI_ERROR;
    }
    rc = cli_engine_writer() ? cli_finish(o, res, missing) : CLI_OK;
    dd_result_free(res);
    return rc;
}

int main(int argc, char **argv)
{
    cli_opts o;
    int rc;

    cli_engine_init(&argc, &argv);
    cli_signals_init();
    rc = cli_parse(argc, argv, &o);

    if (rc >= 0)
        return cli_engine_end(rc);
    if (!cli_engine_writer()) /* the other ranks only share the clustering */
        o.verbosity = 0;
    if (o.index || o.stream) /* one process: rank 0 alone under MPI */
        rc = !cli_engine_writer() ? CLI_OK : cli_index(&o);
    else if (o.eval || o.explain || o.idf)
        rc = !cli_engine_writer() ? CLI_OK : o.eval ? cli_eval(&o) : o.explain ? cli_explain(&o)
                                                                               : cli_idf(&o);
    else
        rc = run(&o);
    dd_path_list_free(o.listed, o.n_listed);
    return cli_engine_end(rc);
}
