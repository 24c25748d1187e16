/* CLI options: the getopt_long table, the usage text and strict value parsing (whole-string
 * strtod/strtoull checks, ranges). Defaults come from the library's *_opts_default(). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "Usage: dedup [OPTION]... [PATH]...\n"
    "       dedup explain [OPTION]... A B   (scores and shared passages of two documents)\n"
    "       dedup eval --truth TRUTH.tsv [CLUSTERS.jsonl]\n"
    "       dedup idf [--min-df N] [PATH]...   (write a background IDF table)\n"
    "       dedup index add|query --db FILE [OPTION]... [PATH]...   (a stored index)\n"
    "       dedup index stats [--check] --db FILE\n"
    "       dedup index prune --db FILE --max-age DAYS\n"
    "       dedup stream --db FILE   (JSON Lines on stdin, one decision a line)\n"
    "Find near-duplicate news stories in PATHs and report them as clusters.\n"
    "A PATH is a file, a folder (walked recursively) or '-' for standard input;\n"
    "with no PATH one document is read from standard input. Files ending in .jsonl\n"
    "hold one JSON document per line. Compressed files (gzip, bzip2, xz, zstd), tar\n"
    "and zip archives and WARC files are recognised by their content.\n"
    "\n"
    "Matching:\n"
    "  -l, --level=LEVEL         stories (default: copies and rewrites of one\n"
    "                            report) or copies (the same text, edited)\n"
    "  -t, --threshold=F         Jaccard similarity a pair must reach (default 0.5)\n"
    "  -c, --containment=F       or the share of the shorter text found in the longer\n"
    "                            (default 0.8; 0 turns it off)\n"
    "  -k, --shingle=N           words per shingle (default 5)\n"
    "      --num-perm=N          MinHash values per signature (default 128)\n"
    "      --lsh-threshold=F     similarity the LSH banding is tuned for (default 0.3)\n"
    "      --seed=N              hash seed (default 1)\n"
    "\n"
    "Stories (rewrites of one report):\n"
    "  -s, --story-threshold=F   mean story similarity two clusters need to merge (0.36)\n"
    "      --top-terms=N         heaviest terms per document in the story signature (20)\n"
    "      --max-days=N          dated documents further apart never merge (4; 0 off)\n"
    "      --signature=SIG       candidate pairs: minhash (default) or simhash\n"
    "      --simhash-distance=N  Hamming radius for simhash candidates (10; 1-15)\n"
    "      --idf=FILE            background IDF table (from dedup idf) instead of the\n"
    "                            built-in English news table\n"
    "\n"
    "Input:\n"
    "      --max-doc-bytes=N     skip larger documents (default 64M; K, M, G suffixes)\n"
    "      --keep-text=N         copies level: keep the shingles of the first N bytes\n"
    "                            of text in memory (default 32M); later documents\n"
    "                            from files are read again to verify their pairs\n"
    "      --stdin-format=FMT    text (default) or jsonl\n"
    "      --id-field=PATH       JSON Lines field names; dots reach nested objects\n"
    "      --text-field=PATH     (defaults id, text, title, date)\n"
    "      --title-field=PATH\n"
    "      --date-field=PATH\n"
    "      --files-from=FILE     read more PATHs from FILE, one a line ('-': stdin)\n"
    "  -0, --null                --files-from and emitted paths are NUL-separated\n"
    "  -j, --threads=N           signing threads (default 0: one per core; the\n"
    "                            output is the same for every N)\n"
    "\n";

static const char usage_output[] =
    "Output:\n"
    "  -f, --format=FORMAT       text (default), jsonl or csv\n"
    "      --emit=WHAT           write documents instead of the report: unique (the\n"
    "                            deduplicated corpus) or dropped (what it leaves out);\n"
    "                            JSON Lines records as read, other documents as paths\n"
    "      --keep=WHICH          cluster member kept: first (default), longest or\n"
    "                            earliest (by date field)\n"
    "  -o, --output=FILE         write the report or --emit output to FILE, whole or\n"
    "                            not at all (a temporary file renamed over it; -: stdout)\n"
    "      --html=FILE           also write a self-contained HTML report to FILE\n"
    "      --strict              exit 1 if any document was skipped\n"
    "  -q, --quiet               no warnings or per-document messages\n"
    "  -v, --verbose             explain choices (LSH bands and rows, kept documents)\n"
    "\n"
    "Stored index (dedup index, dedup stream; docs/FORMATS.md):\n"
    "      --db=FILE             the SQLite store (add and stream make it)\n"
    "      --batch=N             index add: documents per transaction (10000)\n"
    "      --max-age=DAYS        index prune: remove documents older than DAYS\n"
    "      --busy-timeout=MS     how long a writer waits for another (default 10000)\n"
    "      --check               index stats: also run PRAGMA integrity_check\n";

/* The rest of --help (one string would pass the 4095 bytes C99 promises). */
static const char usage_tail[] =
    "  -h, --help                show this help and exit\n"
    "  -V, --version             show the version and exit\n"
    "\n"
    "Exit status: 0 on success (duplicates or not), 1 on a runtime or data error,\n"
    "2 on a usage error. A progress line is shown when stderr is a terminal; colour\n"
    "only on a terminal and never with NO_COLOR set. See dedup(1) and docs/FORMATS.md.\n";

enum {
    OPT_NUM_PERM = 256,
    OPT_LSH_THRESHOLD,
    OPT_SEED,
    OPT_MAX_DOC_BYTES,
    OPT_KEEP_TEXT,
    OPT_STDIN_FORMAT,
    OPT_ID_FIELD,
    OPT_TEXT_FIELD,
    OPT_TITLE_FIELD,
    OPT_DATE_FIELD,
    OPT_STRICT,
    OPT_TRUTH,
    OPT_IDF,
    OPT_MIN_DF,
    OPT_TOP_TERMS,
    OPT_MAX_DAYS,
    OPT_SIGNATURE,
    OPT_SIMHASH_DISTANCE,
    OPT_FILES_FROM,
    OPT_EMIT,
    OPT_KEEP,
    OPT_HTML,
    OPT_DB,
    OPT_BATCH,
    OPT_MAX_AGE,
    OPT_BUSY,
    OPT_CHECK,
};

static const struct option long_opts[] = {
    {"level", required_argument, NULL, 'l'},
    {"threshold", required_argument, NULL, 't'},
    {"containment", required_argument, NULL, 'c'},
    {"shingle", required_argument, NULL, 'k'},
    {"num-perm", required_argument, NULL, OPT_NUM_PERM},
    {"lsh-threshold", required_argument, NULL, OPT_LSH_THRESHOLD},
    {"seed", required_argument, NULL, OPT_SEED},
    {"max-doc-bytes", required_argument, NULL, OPT_MAX_DOC_BYTES},
    {"keep-text", required_argument, NULL, OPT_KEEP_TEXT},
    {"stdin-format", required_argument, NULL, OPT_STDIN_FORMAT},
    {"id-field", required_argument, NULL, OPT_ID_FIELD},
    {"text-field", required_argument, NULL, OPT_TEXT_FIELD},
    {"title-field", required_argument, NULL, OPT_TITLE_FIELD},
    {"date-field", required_argument, NULL, OPT_DATE_FIELD},
    {"format", required_argument, NULL, 'f'},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"quiet", no_argument, NULL, 'q'},
    {"threads", required_argument, NULL, 'j'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"truth", required_argument, NULL, OPT_TRUTH},
    {"idf", required_argument, NULL, OPT_IDF},
    {"story-threshold", required_argument, NULL, 's'},
    {"top-terms", required_argument, NULL, OPT_TOP_TERMS},
    {"max-days", required_argument, NULL, OPT_MAX_DAYS},
    {"signature", required_argument, NULL, OPT_SIGNATURE},
    {"simhash-distance", required_argument, NULL, OPT_SIMHASH_DISTANCE},
    {"min-df", required_argument, NULL, OPT_MIN_DF},
    {"files-from", required_argument, NULL, OPT_FILES_FROM},
    {"null", no_argument, NULL, '0'},
    {"emit", required_argument, NULL, OPT_EMIT},
    {"keep", required_argument, NULL, OPT_KEEP},
    {"output", required_argument, NULL, 'o'},
    {"html", required_argument, NULL, OPT_HTML},
    {"db", required_argument, NULL, OPT_DB},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"max-age", required_argument, NULL, OPT_MAX_AGE},
    {"busy-timeout", required_argument, NULL, OPT_BUSY},
    {"check", no_argument, NULL, OPT_CHECK},
    {NULL, 0, NULL, 0},
};

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("dedup: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'dedup --help' for more information.\n", stderr);
    return CLI_USAGE;
}

int cli_stdout_done(void)
{
    int err = ferror(stdout) ? errno : 0;

    if (fflush(stdout) != 0 && !err)
        err = errno;
    if (!ferror(stdout))
        return CLI_OK;
    if (err == EPIPE)
        return CLI_OK;
    fprintf(stderr, "dedup: write error: %s\n", strerror(err ? err : EIO));
    return CLI_ERROR;
}

static int parse_fraction(const char *name, const char *s, double lo_excl, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end || !(v > lo_excl && v <= 1.0))
        return cli_usage_error("invalid --%s '%s': expected a number in (%g, 1]", name, s,
                               lo_excl);
    *out = v;
    return -1;
}

static int parse_size(const char *name, const char *s, unsigned long long lo,
                      unsigned long long hi, bool suffix, size_t *out)
{
    char *end;
    unsigned long long v, mul = 1;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (suffix && end != s && end[0] && !end[1]) {
        mul = end[0] == 'K' || end[0] == 'k'   ? 1ULL << 10
              : end[0] == 'M' || end[0] == 'm' ? 1ULL << 20
              : end[0] == 'G' || end[0] == 'g' ? 1ULL << 30
                                               : 0;
        if (mul)
            end++;
    }
    if (errno || end == s || *end || s[0] == '-' || mul == 0 || v > hi / mul || v * mul < lo)
        return cli_usage_error("invalid --%s '%s': expected a whole number from %llu to %llu",
                               name, s, lo, hi);
    *out = (size_t)(v * mul);
    return -1;
}

static int parse_choice(const char *name, const char *s, const char *const *names, int n,
                        int *out)
{
    int i;

    for (i = 0; i < n; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return -1;
        }
    }
    return cli_usage_error("invalid --%s '%s'", name, s);
}

static void defaults(cli_opts *o)
{
    memset(o, 0, sizeof *o);
    o->pipe = dd_pipeline_opts_default();
    o->reader = dd_reader_opts_default();
    o->report = dd_report_opts_default();
    o->verbosity = 1;
    o->min_df = 2;
    o->emit_opts = dd_emit_opts_default();
    o->batch = 10000;
    o->busy_ms = 10000;
}

/* Options that name one of a few words. */
static int parse_word_opt(int c, const char *arg, cli_opts *o)
{
    static const char *const levels[] = {"copies", "stories"};
    static const char *const formats[] = {"text", "jsonl", "csv"};
    static const char *const stdin_formats[] = {"text", "jsonl"};
    static const char *const signatures[] = {"minhash", "simhash"};
    static const char *const emits[] = {"unique", "dropped"};
    static const char *const keeps[] = {"first", "longest", "earliest"};
    int rc, choice = 0;

    switch (c) {
    case 'l':
        rc = parse_choice("level", arg, levels, 2, &choice);
        o->pipe.level = (dd_level)choice;
        return rc;
    case 'f':
        rc = parse_choice("format", arg, formats, 3, &choice);
        o->report.format = (dd_format)choice;
        return rc;
    case OPT_STDIN_FORMAT:
        rc = parse_choice("stdin-format", arg, stdin_formats, 2, &choice);
        o->reader.stdin_format = (dd_stdin_format)choice;
        return rc;
    case OPT_EMIT:
        rc = parse_choice("emit", arg, emits, 2, &choice);
        o->emit = true;
        o->emit_opts.what = (dd_emit_what)choice;
        return rc;
    case OPT_KEEP:
        rc = parse_choice("keep", arg, keeps, 3, &choice);
        o->emit_opts.keep = (dd_keep)choice;
        return rc;
    case OPT_SIGNATURE:
        rc = parse_choice("signature", arg, signatures, 2, &choice);
        o->pipe.signature = (dd_signature)choice;
        return rc;
    default:
        return cli_usage_error("internal: unhandled option %d", c);
    }
}

/* Options whose value is a real number: the fractions and --max-age. */
static int parse_real_opt(int c, const char *arg, cli_opts *o)
{
    switch (c) {
    case 't':
        return parse_fraction("threshold", arg, 0.0, &o->pipe.threshold);
    case 'c':
        if (strcmp(arg, "0") == 0) {
            o->pipe.containment = 2.0; /* unreachable: off */
            return -1;
        }
        return parse_fraction("containment", arg, 0.0, &o->pipe.containment);
    case OPT_LSH_THRESHOLD:
        return parse_fraction("lsh-threshold", arg, 0.0, &o->pipe.lsh_threshold);
    case 's':
        return parse_fraction("story-threshold", arg, 0.0, &o->pipe.story_threshold);
    case OPT_MAX_AGE: {
        char *end;
        errno = 0;
        o->max_age = strtod(arg, &end);
        if (errno || end == arg || *end || !(o->max_age >= 0))
            return cli_usage_error("invalid --max-age '%s': expected a number of days", arg);
        o->has_max_age = true;
        return -1;
    }
    default:
        return cli_usage_error("internal: unhandled option %d", c);
    }
}

/* Options whose value is a whole number (some with a K, M or G suffix). */
static int parse_whole_opt(int c, const char *arg, cli_opts *o)
{
    size_t v;
    int rc;

    switch (c) {
    case 'k':
        rc = parse_size("shingle", arg, 1, 64, false, &v);
        o->pipe.shingle_k = v;
        return rc;
    case OPT_NUM_PERM:
        rc = parse_size("num-perm", arg, 1, 4096, false, &v);
        o->pipe.num_perm = v;
        return rc;
    case 'j':
        rc = parse_size("threads", arg, 0, 1024, false, &v);
        o->pipe.threads = v;
        return rc;
    case OPT_SEED:
        rc = parse_size("seed", arg, 0, UINT64_MAX, false, &v);
        o->pipe.seed = v;
        return rc;
    case OPT_TOP_TERMS:
        rc = parse_size("top-terms", arg, 1, 10000, false, &v);
        o->pipe.top_k = v;
        return rc;
    case OPT_MAX_DAYS:
        rc = parse_size("max-days", arg, 0, 100000, false, &v);
        o->pipe.max_days = (double)v;
        return rc;
    case OPT_SIMHASH_DISTANCE:
        rc = parse_size("simhash-distance", arg, 1, 15, false, &v);
        o->pipe.simhash_distance = (unsigned)v;
        return rc;
    case OPT_MIN_DF:
        rc = parse_size("min-df", arg, 1, UINT32_MAX, false, &v);
        o->min_df = v;
        return rc;
    case OPT_KEEP_TEXT:
        rc = parse_size("keep-text", arg, 0, (unsigned long long)SIZE_MAX / 2, true, &v);
        o->pipe.keep_text = (size_t)v;
        return rc;
    case OPT_BATCH:
        rc = parse_size("batch", arg, 1, 100000000, false, &v);
        o->batch = v;
        return rc;
    case OPT_BUSY:
        rc = parse_size("busy-timeout", arg, 0, 86400000, false, &v);
        o->busy_ms = (unsigned)v;
        return rc;
    case OPT_MAX_DOC_BYTES:
        rc = parse_size("max-doc-bytes", arg, 1, (unsigned long long)SIZE_MAX / 2, true, &v);
        o->reader.max_doc_bytes = v;
        return rc;
    default:
        return cli_usage_error("internal: unhandled option %d", c);
    }
}

/* An option with a value to check: a word, a real number or a whole number. */
static int parse_number_opt(int c, const char *arg, cli_opts *o)
{
    switch (c) {
    case 'l':
    case 'f':
    case OPT_STDIN_FORMAT:
    case OPT_EMIT:
    case OPT_KEEP:
    case OPT_SIGNATURE:
        return parse_word_opt(c, arg, o);
    case 't':
    case 'c':
    case OPT_LSH_THRESHOLD:
    case 's':
    case OPT_MAX_AGE:
        return parse_real_opt(c, arg, o);
    default:
        return parse_whole_opt(c, arg, o);
    }
}

static int parse_flag_opt(int c, const char *arg, cli_opts *o)
{
    switch (c) {
    case OPT_ID_FIELD:
        o->reader.id_field = arg;
        return -1;
    case OPT_TEXT_FIELD:
        o->reader.text_field = arg;
        return -1;
    case OPT_TITLE_FIELD:
        o->reader.title_field = arg;
        return -1;
    case OPT_DATE_FIELD:
        o->reader.date_field = arg;
        return -1;
    case OPT_STRICT:
        o->strict = true;
        return -1;
    case OPT_FILES_FROM:
        o->files_from = arg;
        return -1;
    case '0':
        o->nul = o->emit_opts.nul = true;
        return -1;
    case 'o':
        o->output = arg;
        return -1;
    case OPT_HTML:
        o->html = arg;
        return -1;
    case OPT_DB:
        o->db = arg;
        return -1;
    case OPT_CHECK:
        o->check = true;
        return -1;
    case OPT_TRUTH:
        o->truth = arg;
        return -1;
    case OPT_IDF:
        o->idf_file = arg;
        return -1;
    case 'q':
        o->verbosity = 0;
        return -1;
    case 'v':
        o->verbosity = 2;
        return -1;
    case 'h':
        fputs(usage_text, stdout);
        fputs(usage_output, stdout);
        fputs(usage_tail, stdout);
        return cli_stdout_done();
    case 'V':
        printf("dedup %s (format %d, Unicode %s)\n", dd_version(), DD_FORMAT_VERSION,
               dd_unicode_version());
        return cli_stdout_done();
    default:
        return parse_number_opt(c, arg, o);
    }
}

/* dedup index add|query|stats|prune and dedup stream. */
static int check_index(cli_opts *o)
{
    static const char *const cmds[] = {"add", "query", "stats", "prune"};
    size_t i;

    if (o->stream) {
        if (o->n_paths)
            return cli_usage_error("stream reads JSON Lines from standard input only");
    } else {
        if (!o->n_paths)
            return cli_usage_error("index needs a command: add, query, stats or prune");
        for (i = 0; i < 4 && strcmp(o->paths[0], cmds[i]) != 0; i++)
            ;
        if (i == 4)
            return cli_usage_error("unknown index command '%s' (add, query, stats, prune)",
                                   o->paths[0]);
        o->index_cmd = cmds[i];
        o->paths++;
        o->n_paths--;
    }
    if (!o->db)
        return cli_usage_error("%s needs --db FILE", o->stream ? "stream" : "index");
    if (o->index_cmd && strcmp(o->index_cmd, "prune") == 0 && !o->has_max_age)
        return cli_usage_error("index prune needs --max-age DAYS");
    if (o->index_cmd && (!strcmp(o->index_cmd, "stats") || !strcmp(o->index_cmd, "prune")) &&
        o->n_paths)
        return cli_usage_error("index %s takes no PATH", o->index_cmd);
    if ((o->stream || (o->index_cmd && strcmp(o->index_cmd, "query") != 0)) &&
        (o->emit || o->html || o->output))
        return cli_usage_error("--emit, --html and -o go with index query");
    if (o->pipe.signature != DD_SIGNATURE_MINHASH)
        return cli_usage_error("a stored index uses --signature minhash");
    return -1;
}

static int check_command(cli_opts *o)
{
    if (o->index || o->stream)
        return check_index(o);
    if (o->db || o->has_max_age || o->check)
        return cli_usage_error("--db, --max-age and --check go with dedup index and stream");
    if (o->explain && (o->emit || o->html || o->output))
        return cli_usage_error("explain writes to standard output; --emit, --html and -o go "
                               "with clustering");
    if (o->eval) {
        if (!o->truth)
            return cli_usage_error("eval needs --truth FILE");
        if (o->n_paths > 1)
            return cli_usage_error("eval reads one clusters file");
    } else if (o->truth) {
        return cli_usage_error("--truth goes with the eval command");
    }
    return -1;
}

int cli_parse(int argc, char **argv, cli_opts *o)
{
    int c;

    defaults(o);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":l:t:c:k:f:s:o:0j:qvhV", long_opts, NULL)) != -1) {
        int rc;
        if (c == '?') {
            if (optopt)
                return cli_usage_error("unknown option '-%c'", optopt);
            return cli_usage_error("unknown option '%s'", argv[optind - 1]);
        }
        if (c == ':')
            return cli_usage_error("option '%s' needs a value", argv[optind - 1]);
        rc = parse_flag_opt(c, optarg, o);
        if (rc >= 0)
            return rc;
    }
    o->color = isatty(STDOUT_FILENO) && !(getenv("NO_COLOR") && getenv("NO_COLOR")[0]);
    o->progress = isatty(STDERR_FILENO);
    o->paths = argv + optind;
    o->n_paths = (size_t)(argc - optind);
    if (o->n_paths && (strcmp(o->paths[0], "eval") == 0 || strcmp(o->paths[0], "idf") == 0 ||
                       strcmp(o->paths[0], "explain") == 0 || strcmp(o->paths[0], "index") == 0 ||
                       strcmp(o->paths[0], "stream") == 0)) {
        o->index = strcmp(o->paths[0], "index") == 0;
        o->stream = strcmp(o->paths[0], "stream") == 0;
        o->eval = strcmp(o->paths[0], "eval") == 0;
        o->idf = strcmp(o->paths[0], "idf") == 0;
        o->explain = strcmp(o->paths[0], "explain") == 0;
        o->paths++;
        o->n_paths--;
    }
    return check_command(o);
}
