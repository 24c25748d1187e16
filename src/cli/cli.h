/* CLI: option parsing and the two commands (cluster, eval). The only code that sees argv
 * and exit codes; it uses nothing but the public <dedup/...> headers. */
#ifndef DEDUP_CLI_H
#define DEDUP_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include <dedup/dedup.h>

/* Exit codes, listed under EXIT STATUS in docs/dedup.1. */
enum { CLI_OK = 0, CLI_ERROR = 1, CLI_USAGE = 2 };

typedef struct cli_opts {
    dd_pipeline_opts pipe;
    dd_reader_opts reader;
    dd_report_opts report;
    bool strict;
    int verbosity;       /* 0 quiet, 1 normal, 2 verbose */
    char **paths;        /* borrowed from argv */
    size_t n_paths;
    bool eval;           /* dedup eval ... */
    bool idf;            /* dedup idf ... */
    const char *truth;
    const char *idf_file; /* --idf: background table instead of the built-in one */
    size_t min_df;        /* dedup idf --min-df */
    bool explain;         /* dedup explain A B */
    const char *files_from; /* --files-from: more PATHs, one a line ("-": stdin) */
    bool nul;             /* -0: NUL-separated --files-from list and emitted paths */
    char **listed;        /* PATHs read from --files-from (owned) */
    size_t n_listed;
    bool emit;            /* --emit given: write documents, not the report */
    dd_emit_opts emit_opts;
    const char *output;   /* -o FILE instead of stdout */
    const char *html;     /* --html FILE */
    int color;            /* colour on stdout: 1 on a terminal without NO_COLOR */
    int progress;         /* progress line on stderr: 1 when stderr is a terminal */
    bool index;           /* dedup index CMD ... */
    bool stream;          /* dedup stream ... */
    const char *index_cmd; /* "add", "query", "stats" or "prune" */
    const char *db;       /* --db FILE */
    size_t batch;         /* --batch: documents per transaction */
    unsigned busy_ms;     /* --busy-timeout */
    double max_age;       /* --max-age DAYS */
    bool has_max_age;
    bool check;           /* index stats --check */
    const dd_index_result *iq; /* index query: its --html texts come from here */
} cli_opts;

/** Where the pipeline runs: in this process (cli_engine.c, build/dedup) or on MPI ranks
 *  (src/mpi/cli_engine_mpi.c, build/dedup-mpi). The rest of the CLI is the same for both. */
/** First in main: MPI_Init for the MPI build (its other ranks' stdout goes to /dev/null). */
void cli_engine_init(int *argc, char ***argv);

/** Whether this process writes the report and messages: rank 0, or the only process. */
bool cli_engine_writer(void);

/** dd_pipeline_run, or the MPI run when `shardable` (every rank can read the PATHs: no
 *  standard input); an unshardable MPI run is one process on rank 0. */
dd_status cli_engine_run(const dd_pipeline_opts *o, dd_reader *r, bool shardable,
                         dd_result **out);

/** Last in main, with the exit code main returns. */
int cli_engine_end(int rc);

/** Parse argv. Returns -1 to go on, or an exit code (0 after --help/--version, 2 on a usage
 *  error, with the message already printed). */
int cli_parse(int argc, char **argv, cli_opts *o);

/** Print "dedup: <msg>" and the --help hint to stderr; returns CLI_USAGE. */
int cli_usage_error(const char *fmt, ...);

/** Flush stdout once everything is written. A write error (a full disk) is one line,
 *  "dedup: write error: <strerror>", and CLI_ERROR; a reader that went away (EPIPE with
 *  SIGPIPE ignored) is CLI_OK, as the SIGPIPE default would end the run quietly. */
int cli_stdout_done(void);

/** Read the --files-from list into o->listed. Returns -1 to go on, or CLI_ERROR (said). */
int cli_read_list(cli_opts *o);

/** Refuse (CLI_USAGE, said) an -o or --html file that is one of the inputs. Else -1. */
int cli_check_outputs(const cli_opts *o);

/** Write the report, or the --emit documents, to -o FILE or stdout. Returns -1 when all was
 *  written, else the exit code (the problem already said). */
int cli_write_output(const cli_opts *o, const dd_result *res);

/** Write the --html page, when asked for. Returns -1 when done (or not asked), else the
 *  exit code (the problem already said). */
int cli_write_html(const cli_opts *o, const dd_result *res);

/** An output file being written (cli_atomic.c). A regular FILE is written to a temporary
 *  file beside it and renamed over it by cli_out_commit, so it is whole or untouched; a FIFO,
 *  a character device or a descriptor name (/dev/stdout, /dev/fd/N) is written straight
 *  through; a folder, block device or socket is refused. */
typedef struct cli_out {
    FILE *f;          /* write here */
    const char *name; /* as the user gave it, for messages */
    int fd;
    int err;          /* first write error (errno), 0 if none */
    int slot;         /* the temporary file's slot, -1 when written straight through */
} cli_out;

/** Once, first in main: SIGXFSZ ignored (a write past `ulimit -f` fails with EFBIG), and
 *  SIGINT, SIGTERM, SIGHUP and SIGPIPE (unless inherited as ignored) remove the temporary
 *  files, then kill the process with the same signal. Reads the umask for new files. */
void cli_signals_init(void);

/** Before anything is read: refuse what cli_out_open would refuse, and make and remove one
 *  temporary file beside a regular FILE. Returns -1 to go on, or CLI_ERROR (said). */
int cli_out_check(const char *name);

/** Open `name` for writing. Returns -1 with out->f ready, or CLI_ERROR (said). */
int cli_out_open(cli_out *out, const char *name);

/** Has a write failed? */
bool cli_out_failed(cli_out *out);

/** Flush, fsync, rename over the target and fsync its folder. Returns -1, or CLI_ERROR with
 *  "dedup: NAME: write error: REASON" said and the temporary file removed. */
int cli_out_commit(cli_out *out);

/** Close and remove the temporary file; the target is left as it was. */
void cli_out_discard(cli_out *out);

/** Progress line (stderr on a terminal only): sum the inputs' sizes, then redraw from the
 *  reader's callback; clear before any other stderr line and at the end of reading. */
void cli_progress_start(const cli_opts *o);
void cli_progress_update(void *ud, size_t items, unsigned long long bytes);
void cli_progress_clear(void);

/** The `dedup explain` command. */
int cli_explain(cli_opts *o);

/** The `dedup eval` command. */
int cli_eval(const cli_opts *o);

/** The `dedup index` commands and `dedup stream` (cli_index.c). */
int cli_index(cli_opts *o);

/** Queue the PATHs (command line, then --files-from; none: standard input). A missing PATH
 *  is said and sets *missing. */
dd_status cli_add_paths(dd_reader *r, const cli_opts *o, bool *missing);

/** Report a finished run (report or --emit, --html, accounting line); the exit code. */
int cli_finish(const cli_opts *o, const dd_result *res, bool missing);

/** The stderr diagnostic callbacks of a run (o is the cli_opts). */
void cli_on_diag(void *ud, const char *msg, bool skipped);
void cli_on_warning(void *ud, const char *msg);

/** The `dedup idf` command. */
int cli_idf(const cli_opts *o);

#endif
