/* Reader stage: paths -> dd_doc stream. Folders are walked with fts(3) in byte order of
 * names, following symbolic links but reporting cycles, so the document order (and with it
 * every output) is the same on every run. JSON Lines records are parsed with jansson.
 * Every item yielded, good or bad, is one call's result: a document or one error status,
 * so a caller that counts results accounts for every input item exactly once. */
#include <dedup/dedup.h>

#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "reader_internal.h"
#include "reader_json.h"
#include "util.h"

enum { STAGING = 1 << 16 };

typedef struct input {
    char *path;   /* NULL for a stream */
    FILE *stream; /* borrowed */
    char *name;
    bool jsonl;
} input;

/* Where an id was first handed out: a JSON Lines file (index into `srcs`) and line, or
 * SRC_SELF for a whole-file document, whose id is its path. */
#define SRC_SELF UINT32_MAX
typedef struct seen_at {
    uint32_t src;
    size_t line;
} seen_at;

struct dd_reader {
    dd_reader_opts o;
    char *fields[4];
    input *inputs;
    size_t n_inputs, cap_inputs, next_input;
    FTS *fts;
    char *walk_root;
    dd__archive *ar;    /* open compressed file, archive or WARC (reader_archive.c) */
    size_t items;       /* results handed out, for on_progress */
    unsigned long long bytes_done; /* input bytes of files finished, for on_progress */
    FILE *jf; /* current JSON Lines file */
    bool jf_owned;
    bool jcopy;         /* records cannot be re-read by name: hand out doc.record */
    char *jname;
    uint32_t jsrc;      /* jname's index in srcs */
    size_t jline;
    size_t jitems;      /* items the current JSON Lines file has yielded */
    long jbase;         /* file offset where reading started, -1 if not seekable */
    size_t jpos;        /* bytes consumed since then */
    char *ib;           /* staging buffer for JSON Lines reads (STAGING bytes) */
    size_t ib_pos, ib_len;
    char *raw;          /* raw bytes of the current file or record line */
    size_t raw_cap;
    char *text;         /* decoded text handed out */
    char *id, *title, *date;
    int rfd;            /* dd_reader_reread: the JSON Lines file open, named rname */
    FILE *spool;        /* standard input's records, written as read (opts.spool_stdin) */
    int spool_fd;       /* the spool, for reading again (a dup in readers made like this) */
    char *spool_name;   /* the name its records carry as source ("-") */
    long spool_len;     /* bytes written to it */
    bool spooling;      /* the open JSON Lines input is written to the spool */
    char *rname;
    dd__strmap ids;     /* every id handed out -> index into seen */
    seen_at *seen;
    size_t n_seen, cap_seen;
    const char **srcs;  /* JSON Lines names, strings in src_names */
    size_t n_srcs, cap_srcs;
    dd__arena src_names;
    bool pass;          /* dd__reader_set_pass: records found, not parsed */
    bool defer_ids;     /* ids are noted by dd__reader_note_id, not on the way */
    uint32_t defer_src; /* the last source dd__reader_note_id interned */
    bool defer_src_set;
    char err[1024];
};

dd_reader_opts dd_reader_opts_default(void)
{
    dd_reader_opts o;

    memset(&o, 0, sizeof o);
    o.max_doc_bytes = (size_t)64 << 20;
    o.id_field = "id";
    o.text_field = "text";
    o.title_field = "title";
    o.date_field = "date";
    o.stdin_format = DD_STDIN_TEXT;
    o.spool_stdin = true;
    o.keep_records = true;
    return o;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);

    if (p)
        memcpy(p, s, n);
    return p;
}

dd_status dd_reader_new(const dd_reader_opts *opts, dd_reader **out)
{
    dd_reader *r = calloc(1, sizeof *r);
    const char *f[4];
    size_t i;

    *out = NULL;
    if (!r)
        return DD_ENOMEM;
    dd__strmap_init(&r->ids);
    dd__arena_init(&r->src_names);
    r->rfd = -1;
    r->spool_fd = -1;
    r->o = opts ? *opts : dd_reader_opts_default();
    f[0] = r->o.id_field ? r->o.id_field : "id";
    f[1] = r->o.text_field ? r->o.text_field : "text";
    f[2] = r->o.title_field ? r->o.title_field : "title";
    f[3] = r->o.date_field ? r->o.date_field : "date";
    for (i = 0; i < 4; i++) {
        r->fields[i] = xstrdup(f[i]);
        if (!r->fields[i]) {
            dd_reader_free(r);
            return DD_ENOMEM;
        }
    }
    r->o.id_field = r->fields[0];
    r->o.text_field = r->fields[1];
    r->o.title_field = r->fields[2];
    r->o.date_field = r->fields[3];
    *out = r;
    return DD_OK;
}

static dd_status push_input(dd_reader *r, const char *path, FILE *f, const char *name, bool jsonl)
{
    input *in;
    dd_status st = dd__grow((void **)&r->inputs, &r->cap_inputs, r->n_inputs + 1, sizeof *in);

    if (st != DD_OK)
        return st;
    in = &r->inputs[r->n_inputs];
    memset(in, 0, sizeof *in);
    in->path = path ? xstrdup(path) : NULL;
    in->name = xstrdup(name);
    if ((path && !in->path) || !in->name) {
        free(in->path);
        free(in->name);
        return DD_ENOMEM;
    }
    in->stream = f;
    in->jsonl = jsonl;
    r->n_inputs++;
    return DD_OK;
}

dd_status dd_reader_add_path(dd_reader *r, const char *path)
{
    return push_input(r, path, NULL, path, false);
}

dd_status dd_reader_add_stream(dd_reader *r, FILE *f, const char *name, bool jsonl)
{
    return push_input(r, NULL, f, name, jsonl);
}

void dd_reader_swap_warning(dd_reader *r, dd_reader_warn_fn fn, void *ud,
                            dd_reader_warn_fn *old_fn, void **old_ud)
{
    if (old_fn)
        *old_fn = r->o.on_warning;
    if (old_ud)
        *old_ud = r->o.warning_ud;
    r->o.on_warning = fn;
    r->o.warning_ud = ud;
}

const char *dd_reader_error(const dd_reader *r)
{
    return r->err;
}

static void clear_doc_strings(dd_reader *r)
{
    free(r->text);
    free(r->id);
    free(r->title);
    free(r->date);
    r->text = r->id = r->title = r->date = NULL;
}

void dd_reader_free(dd_reader *r)
{
    size_t i;

    if (!r)
        return;
    if (r->fts)
        fts_close(r->fts);
    if (r->jf && r->jf_owned)
        fclose(r->jf);
    dd__archive_close(r->ar);
    for (i = 0; i < r->n_inputs; i++) {
        free(r->inputs[i].path);
        free(r->inputs[i].name);
    }
    for (i = 0; i < 4; i++)
        free(r->fields[i]);
    free(r->inputs);
    free(r->walk_root);
    free(r->jname);
    free(r->rname);
    if (r->rfd >= 0)
        close(r->rfd);
    if (r->spool)
        fclose(r->spool);
    if (r->spool_fd >= 0)
        close(r->spool_fd);
    free(r->spool_name);
    free(r->raw);
    free(r->ib);
    clear_doc_strings(r);
    dd__strmap_free(&r->ids);
    free(r->seen);
    free(r->srcs);
    dd__arena_free(&r->src_names);
    free(r);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static dd_status fail(dd_reader *r, dd_status st, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return st;
}

/* Grow r->raw to hold `need` bytes. With a size limit the buffer never grows past
 * limit + 1 (enough to see that a document is over it), so memory stays bounded by
 * --max-doc-bytes however large the input is. */
static dd_status raw_reserve(dd_reader *r, size_t need)
{
    size_t limit = r->o.max_doc_bytes, cap;
    char *p;

    if (need <= r->raw_cap)
        return DD_OK;
    if (!limit || limit == SIZE_MAX)
        return dd__grow((void **)&r->raw, &r->raw_cap, need, 1);
    cap = r->raw_cap ? r->raw_cap : 4096;
    while (cap < need && cap <= limit && cap <= SIZE_MAX / 2)
        cap *= 2;
    if (cap > limit + 1)
        cap = limit + 1;
    if (cap < need)
        cap = need;
    p = realloc(r->raw, cap);
    if (!p)
        return DD_ENOMEM;
    r->raw = p;
    r->raw_cap = cap;
    return DD_OK;
}

/* ---- warnings and duplicate ids ---------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void warn(dd_reader *r, const char *fmt, ...)
{
    char msg[1200];
    va_list ap;

    if (!r->o.on_warning)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->o.on_warning(r->o.warning_ud, msg);
}

/* Intern a JSON Lines file name so a later "first at FILE:LINE" can name it. */
static dd_status intern_src(dd_reader *r, const char *name, uint32_t *out)
{
    const char *s;

    if (r->n_srcs >= UINT32_MAX)
        return DD_ELIMIT;
    if (dd__grow((void **)&r->srcs, &r->cap_srcs, r->n_srcs + 1, sizeof *r->srcs) != DD_OK)
        return DD_ENOMEM;
    s = dd__arena_strndup(&r->src_names, name, strlen(name));
    if (!s)
        return DD_ENOMEM;
    r->srcs[r->n_srcs] = s;
    *out = (uint32_t)r->n_srcs++;
    return DD_OK;
}

/* Copy `s` into `buf` with `"` and `\` escaped and control bytes as \xNN, so an id cannot
 * break the one-line message; a long id is cut at the first character boundary after 120
 * bytes, with "...". */
static void quote_id(char *buf, size_t cap, const char *s)
{
    size_t i, at = 0;

    for (i = 0; s[i] && at + 8 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= 120 && (c & 0xC0) != 0x80) {
            memcpy(buf + at, "...", 3);
            at += 3;
            break;
        }
        if (c == '"' || c == '\\') {
            buf[at++] = '\\';
            buf[at++] = (char)c;
        } else if (c < 0x20 || c == 0x7F)
            at += (size_t)snprintf(buf + at, cap - at, "\\x%02x", c);
        else
            buf[at++] = (char)c;
    }
    buf[at] = '\0';
}

static void warn_duplicate(const dd_reader *r, const dd_doc *doc, seen_at first,
                           dd_reader_warn_fn fn, void *ud)
{
    char id[512], msg[2048], loc[1024];

    quote_id(id, sizeof id, doc->id);
    if (first.src == SRC_SELF)
        snprintf(loc, sizeof loc, "%s", doc->id);
    else
        snprintf(loc, sizeof loc, "%s:%zu", r->srcs[first.src], first.line);
    if (doc->line)
        snprintf(msg, sizeof msg, "%s:%zu: warning: duplicate id \"%s\" (first at %s)",
                 doc->source, doc->line, id, loc);
    else
        snprintf(msg, sizeof msg, "%s: warning: duplicate id \"%s\" (first at %s)", doc->source,
                 id, loc);
    fn(ud, msg);
}

/* Remember every id handed out. A repeat is still handed out (both documents are kept) but
 * reported through `fn`; ids are compared exactly (dd__strmap: XXH3 plus the bytes). */
static dd_status note_id_from(dd_reader *r, const dd_doc *doc, uint32_t src, dd_reader_warn_fn fn,
                              void *ud)
{
    uint32_t idx;
    bool found;
    dd_status st;

    if (!fn || r->n_seen >= UINT32_MAX)
        return DD_OK;
    st = dd__strmap_put(&r->ids, doc->id, strlen(doc->id), (uint32_t)r->n_seen, &idx, &found);
    if (st != DD_OK)
        return st;
    if (found) {
        warn_duplicate(r, doc, r->seen[idx], fn, ud);
        return DD_OK;
    }
    if (dd__grow((void **)&r->seen, &r->cap_seen, r->n_seen + 1, sizeof *r->seen) != DD_OK)
        return DD_ENOMEM;
    r->seen[r->n_seen].src = doc->line ? src : SRC_SELF;
    r->seen[r->n_seen].line = doc->line;
    r->n_seen++;
    return DD_OK;
}

static dd_status note_id(dd_reader *r, const dd_doc *doc)
{
    return r->defer_ids ? DD_OK : note_id_from(r, doc, r->jsrc, r->o.on_warning, r->o.warning_ud);
}

void dd__reader_set_pass(dd_reader *r, bool pass, bool defer_ids)
{
    r->pass = pass;
    r->defer_ids = defer_ids;
}

dd_status dd__reader_note_id(dd_reader *r, const dd_doc *doc, dd_reader_warn_fn fn, void *ud)
{
    if (!fn)
        return DD_OK;
    if (doc->line && (!r->defer_src_set || strcmp(r->srcs[r->defer_src], doc->source) != 0)) {
        dd_status st = intern_src(r, doc->source, &r->defer_src);
        if (st != DD_OK)
            return st;
        r->defer_src_set = true;
    }
    return note_id_from(r, doc, r->defer_src, fn, ud);
}

/* ---- titles ------------------------------------------------------------------------ */

/* First non-empty line, trimmed, cut to at most 200 bytes on a character boundary. */
static char *first_line(const char *t, size_t len)
{
    size_t i = 0, start, end;

    for (;;) {
        while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r'))
            i++;
        if (i < len && t[i] == '\n') {
            i++;
            continue;
        }
        break;
    }
    start = i;
    while (i < len && t[i] != '\n')
        i++;
    end = i;
    while (end > start && (t[end - 1] == ' ' || t[end - 1] == '\t' || t[end - 1] == '\r'))
        end--;
    if (end - start > 200) {
        end = start + 200;
        while (end > start && ((unsigned char)t[end] & 0xC0) == 0x80)
            end--;
    }
    {
        char *p = malloc(end - start + 1);
        if (!p)
            return NULL;
        memcpy(p, t + start, end - start);
        p[end - start] = '\0';
        return p;
    }
}

/* ---- whole-file documents ---------------------------------------------------------- */

static dd_status too_large(dd_reader *r, const char *name)
{
    return fail(r, DD_ELIMIT, "%s: document larger than --max-doc-bytes (%zu), skipped", name,
                r->o.max_doc_bytes);
}

/* Read a whole stream, but never more than max_doc_bytes + 1 bytes: a regular file whose
 * size is already over the limit is not read at all. */
static dd_status read_stream(dd_reader *r, FILE *f, const char *name, size_t *len)
{
    size_t n = 0, limit = r->o.max_doc_bytes;
    struct stat sb;

    if (limit && fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
        (uintmax_t)sb.st_size > limit)
        return too_large(r, name);
    for (;;) {
        size_t got, want = 65536;
        if (limit && want > limit + 1 - n)
            want = limit + 1 - n;
        if (raw_reserve(r, n + want) != DD_OK)
            return DD_ENOMEM;
        got = fread(r->raw + n, 1, want, f);
        n += got;
        if (limit && n > limit)
            return too_large(r, name);
        if (got < want)
            break;
    }
    if (ferror(f))
        return fail(r, DD_EIO, "%s: %s, skipped", name, strerror(errno));
    *len = n;
    return DD_OK;
}

static dd_status make_text_doc(dd_reader *r, const char *name, size_t len, dd_doc *doc)
{
    dd_status st;

    clear_doc_strings(r);
    memset(doc, 0, sizeof *doc);
    st = dd_decode_text(r->raw, len, &r->text, &doc->len, &doc->warning);
    if (st == DD_EBINARY)
        return fail(r, st, "%s: binary file (NUL bytes), skipped", name);
    if (st != DD_OK)
        return st;
    r->id = xstrdup(name);
    r->title = first_line(r->text, doc->len);
    if (!r->id || !r->title)
        return DD_ENOMEM;
    doc->id = r->id;
    doc->title = r->title;
    doc->text = r->text;
    doc->source = r->id;
    doc->record_off = -1;
    return note_id(r, doc);
}

/* Open `path` for reading and fstat it. On a walk (`regular_only`) the open never blocks and
 * anything but a regular file is refused after the open, so a FIFO swapped in after fts
 * looked at the entry is skipped too; a PATH the user named is opened as it is (a FIFO there
 * is read). O_NONBLOCK has no effect on reading a regular file, so it is left set. */
static dd_status open_fd(dd_reader *r, const char *path, bool regular_only, int *out,
                         struct stat *sb)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | (regular_only ? O_NONBLOCK : 0));

    *out = -1;
    if (fd < 0)
        return fail(r, DD_EIO, "%s: %s, skipped", path, strerror(errno));
    if (fstat(fd, sb) != 0) {
        int e = errno;
        close(fd);
        return fail(r, DD_EIO, "%s: %s, skipped", path, strerror(e));
    }
    if (regular_only && !S_ISREG(sb->st_mode)) {
        close(fd);
        return fail(r, DD_EIO, "%s: not a regular file, skipped", path);
    }
    *out = fd;
    return DD_OK;
}

static dd_status fd_stream(dd_reader *r, int fd, const char *path, FILE **out)
{
    *out = fdopen(fd, "rb");
    if (!*out) {
        int e = errno;
        close(fd);
        return e == ENOMEM ? DD_ENOMEM : fail(r, DD_EIO, "%s: %s, skipped", path, strerror(e));
    }
    return DD_OK;
}

static dd_status read_file_doc(dd_reader *r, FILE *f, const char *path, dd_doc *doc)
{
    size_t len = 0;
    struct stat sb;
    bool regular = fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode);
    dd_status st;

    if (regular)
        r->bytes_done += (unsigned long long)sb.st_size;
    st = read_stream(r, f, path, &len);

    fclose(f);
    if (st != DD_OK)
        return st;
    st = make_text_doc(r, path, len, doc);
    doc->rereadable = st == DD_OK && regular;
    return st;
}

/* Read from `fd` into r->raw[*n..] until end of file, never past max_doc_bytes + 1 bytes. */
static dd_status read_fd_rest(dd_reader *r, int fd, const char *path, size_t *n)
{
    size_t limit = r->o.max_doc_bytes;

    for (;;) {
        size_t want = 65536;
        ssize_t got;
        if (limit && want > limit + 1 - *n)
            want = limit + 1 - *n;
        if (raw_reserve(r, *n + want) != DD_OK)
            return DD_ENOMEM;
        got = read(fd, r->raw + *n, want);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return fail(r, DD_EIO, "%s: %s, skipped", path, strerror(errno));
        *n += (size_t)got;
        if (limit && *n > limit)
            return too_large(r, path);
        if (got == 0)
            return DD_OK;
    }
}

/* The text document of a regular file whose first n bytes are in r->raw (all of it when
 * `eof`): the rest read, the size limit applied, `fd` closed. */
static dd_status finish_regular(dd_reader *r, int fd, const struct stat *sb, const char *path,
                                size_t n, bool eof, dd_doc *doc)
{
    size_t limit = r->o.max_doc_bytes;
    dd_status st;

    r->bytes_done += (unsigned long long)sb->st_size;
    if ((limit && (uintmax_t)sb->st_size > limit) || (limit && n > limit))
        st = too_large(r, path);
    else
        st = eof ? DD_OK : read_fd_rest(r, fd, path, &n);
    close(fd);
    if (st != DD_OK)
        return st;
    st = make_text_doc(r, path, n, doc);
    doc->rereadable = st == DD_OK;
    return st;
}

/* ---- JSON Lines -------------------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static dd_status open_jsonl(dd_reader *r, FILE *f, bool owned, const char *name)
{
    dd_status st;

    free(r->jname);
    r->jname = xstrdup(name);
    st = r->jname ? intern_src(r, name, &r->jsrc) : DD_ENOMEM;
    if (st != DD_OK) {
        if (owned)
            fclose(f);
        return DD_ENOMEM;
    }
    r->jf = f;
    r->jf_owned = owned;
    r->jcopy = !owned;
    r->jline = 0;
    r->jitems = 0;
    r->jbase = ftell(f);
    r->jpos = 0;
    r->ib_pos = r->ib_len = 0;
    return DD_OK;
}

static void close_jsonl(dd_reader *r)
{
    if (r->spooling && fflush(r->spool) != 0) /* its records fail to read again, by name */
        r->spool_len = -1;
    r->spooling = false;
    if (!r->jcopy)
        r->bytes_done += r->jpos;
    if (r->jf_owned)
        fclose(r->jf);
    r->jf = NULL;
}

/* Read one line into r->raw without its newline. Lines over the limit are consumed and
 * reported, keeping memory bounded. Returns DD_END at end of file. A read error ends the
 * file (reported once), since the stream cannot go on. Bytes come through a 64 KiB staging
 * buffer and are cut at newlines with memchr: a getc per byte was 6% of a copies run. */
static dd_status read_line(dd_reader *r, size_t *len)
{
    size_t n = 0, limit = r->o.max_doc_bytes;
    bool over = false, any = false, nl = false;

    r->jline++;
    while (!nl) {
        const char *seg, *e;
        size_t k, take;
        if (r->ib_pos == r->ib_len) {
            if (!r->ib && !(r->ib = malloc(STAGING)))
                return DD_ENOMEM;
            r->ib_pos = 0;
            r->ib_len = fread(r->ib, 1, STAGING, r->jf);
            if (r->ib_len == 0)
                break;
        }
        seg = r->ib + r->ib_pos;
        e = memchr(seg, '\n', r->ib_len - r->ib_pos);
        k = e ? (size_t)(e - seg) : r->ib_len - r->ib_pos;
        nl = e != NULL;
        any = true;
        r->ib_pos += k + nl;
        r->jpos += k + nl;
        take = over ? 0 : k;
        if (limit && n + take > limit) {
            take = limit - n;
            over = true;
        }
        if (take) {
            if (raw_reserve(r, n + take + 1) != DD_OK)
                return DD_ENOMEM;
            memcpy(r->raw + n, seg, take);
            n += take;
        }
    }
    if (ferror(r->jf)) {
        int e = errno;
        close_jsonl(r);
        return fail(r, DD_EIO, "%s:%zu: %s, skipped", r->jname, r->jline, strerror(e));
    }
    if (!any)
        return DD_END;
    if (over)
        return fail(r, DD_ELIMIT, "%s:%zu: record larger than --max-doc-bytes (%zu), skipped",
                    r->jname, r->jline, limit);
    if (raw_reserve(r, n + 1) != DD_OK)
        return DD_ENOMEM;
    r->raw[n] = '\0';
    *len = n;
    return DD_OK;
}

/* Follow a dotted path ("meta.headline") through nested objects. */
static json_t *get_path(json_t *obj, const char *path)
{
    char key[256];
    const char *p = path;

    while (obj && json_is_object(obj)) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        json_t *v;

        if (n >= sizeof key)
            return NULL;
        memcpy(key, p, n);
        key[n] = '\0';
        v = json_object_get(obj, key);
        if (!dot)
            return v;
        obj = v;
        p = dot + 1;
    }
    return NULL;
}

static char *json_scalar_text(json_t *v)
{
    char buf[64];

    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return xstrdup(buf);
    }
    return NULL;
}

/* The record's id when it has none: "file:line". */
static char *line_id(const dd_reader *r)
{
    char at[32], *id;

    snprintf(at, sizeof at, ":%zu", r->jline);
    id = malloc(strlen(r->jname) + strlen(at) + 1);
    if (id) {
        strcpy(id, r->jname);
        strcat(id, at);
    }
    return id;
}

/* r->text, r->id, r->title and r->date are set (title NULL: the text's first line). */
static dd_status finish_record(dd_reader *r, long off, size_t line_len, dd_doc *doc)
{
    if (!r->title)
        r->title = first_line(r->text, doc->len);
    if (!r->title || !r->id)
        return DD_ENOMEM;
    doc->id = r->id;
    doc->title = r->title;
    doc->date = r->date;
    doc->text = r->text;
    doc->source = r->jname;
    doc->line = r->jline;
    doc->record_off = off;
    doc->record_len = line_len;
    return note_id(r, doc);
}

static dd_status fill_record(dd_reader *r, json_t *root, long off, size_t line_len, dd_doc *doc)
{
    json_t *text = get_path(root, r->o.text_field), *v;

    if (!text)
        return fail(r, DD_EPARSE, "%s:%zu: no \"%s\" field, skipped", r->jname, r->jline,
                    r->o.text_field);
    if (!json_is_string(text))
        return fail(r, DD_EPARSE, "%s:%zu: \"%s\" is not a string, skipped", r->jname, r->jline,
                    r->o.text_field);
    r->text = xstrdup(json_string_value(text));
    if (!r->text)
        return DD_ENOMEM;
    doc->len = json_string_length(text);
    r->id = json_scalar_text(get_path(root, r->o.id_field));
    if (!r->id)
        r->id = line_id(r);
    v = get_path(root, r->o.title_field);
    if (json_is_string(v) && !(r->title = xstrdup(json_string_value(v))))
        return DD_ENOMEM;
    v = get_path(root, r->o.date_field);
    if (json_is_string(v) && !(r->date = xstrdup(json_string_value(v))))
        return DD_ENOMEM;
    return finish_record(r, off, line_len, doc);
}

/* The common record without a jansson tree (reader_json.c): true when it was decided here,
 * with *st the result; false leaves the line to jansson, which also words any error. */
static bool fast_record(dd_reader *r, const char *line, size_t len, long off, dd_doc *doc,
                        dd_status *st)
{
    const char *names[4] = {r->o.text_field, r->o.id_field, r->o.title_field, r->o.date_field};
    dd__jfield f[4];
    char num[32];

    if (!dd__json_fast(line, len, names, f, 4))
        return false;
    if (f[0].kind != DD__J_STRING) {
        dd__jfields_clear(f, 4);
        return false;
    }
    doc->len = f[0].len;
    r->text = f[0].val;
    f[0].val = NULL;
    if (f[1].kind == DD__J_INTEGER) {
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, (json_int_t)strtoll(f[1].val, NULL, 10));
        r->id = xstrdup(num);
    } else if (f[1].kind == DD__J_STRING) {
        r->id = f[1].val;
        f[1].val = NULL;
    } else
        r->id = line_id(r);
    if (f[2].kind == DD__J_STRING) {
        r->title = f[2].val;
        f[2].val = NULL;
    }
    if (f[3].kind == DD__J_STRING) {
        r->date = f[3].val;
        f[3].val = NULL;
    }
    dd__jfields_clear(f, 4);
    *st = finish_record(r, off, len, doc);
    return true;
}

static bool blank(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

/* Next non-blank line. Line 1 may start with a byte-order mark: a UTF-8 one is dropped; a
 * UTF-16 one means the whole file is UTF-16, which JSON Lines cannot be, so the file is
 * reported once and closed rather than failing on every line. */
static dd_status next_line(dd_reader *r, const char **line, size_t *len, long *off)
{
    for (;;) {
        const unsigned char *p;
        dd_status st;

        *off = r->jbase < 0 ? -1 : r->jbase + (long)r->jpos;
        st = read_line(r, len);
        if (st != DD_OK)
            return st;
        p = (const unsigned char *)r->raw;
        if (r->jline == 1 && *len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
            p += 3;
            *len -= 3;
            *off = *off < 0 ? -1 : *off + 3;
        } else if (r->jline == 1 && *len >= 2 &&
                   ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF))) {
            close_jsonl(r);
            return fail(r, DD_EPARSE,
                        "%s: UTF-16 JSON Lines are not supported (convert to UTF-8), skipped",
                        r->jname);
        }
        if (!blank((const char *)p, *len)) {
            *line = (const char *)p;
            return DD_OK;
        }
    }
}

/* ---- standard input kept in a temporary file ----------------------------------------
 * Records of standard input cannot be read again from it, so callers kept what they needed
 * (a pipeline: every shingle set) in memory. Written to an unlinked temporary file as they
 * are read, they can be read again by offset like a JSON Lines file's, and memory stays
 * what a file costs. The file is private to the process and goes with it. */

static dd_status spool_open(dd_reader *r, const char *name)
{
    const char *dir = getenv("TMPDIR");
    char *path;
    int fd;

    if (!dir || !*dir)
        dir = "/tmp";
    path = malloc(strlen(dir) + 32);
    if (!path)
        return DD_ENOMEM;
    sprintf(path, "%s/dedup-stdin-XXXXXX", dir);
    fd = mkstemp(path);
    if (fd >= 0)
        unlink(path);
    free(path);
    if (fd < 0 || !(r->spool = fdopen(fd, "w+b"))) {
        if (fd >= 0)
            close(fd);
        return DD_OK; /* no temporary file: records are kept in memory, as before */
    }
    if (!(r->spool_name = xstrdup(name)))
        return DD_ENOMEM;
    setvbuf(r->spool, NULL, _IOFBF, 1 << 20);
    r->spool_fd = fd;
    r->spooling = true;
    return DD_OK;
}

/* Append a record line to the spool; its offset there, or -1 once writing failed. */
static long spool_record(dd_reader *r, const char *line, size_t len)
{
    long off = r->spool_len;

    if (off < 0 || fwrite(line, 1, len, r->spool) != len || putc('\n', r->spool) == EOF) {
        r->spool_len = -1;
        return -1;
    }
    r->spool_len += (long)len + 1;
    return off;
}

/* One record line (r->jname, r->jline set) into *doc. */
static dd_status parse_record(dd_reader *r, const char *line, size_t len, long off, dd_doc *doc)
{
    json_error_t jerr;
    json_t *root;
    dd_status st;

    clear_doc_strings(r);
    memset(doc, 0, sizeof *doc);
    if (fast_record(r, line, len, off, doc, &st))
        return st;
    root = json_loadb(line, len, 0, &jerr);
    if (!root)
        return fail(r, DD_EPARSE, "%s:%zu: invalid JSON: %s, skipped", r->jname, r->jline,
                    jerr.text);
    if (!json_is_object(root))
        st = fail(r, DD_EPARSE, "%s:%zu: record is not a JSON object, skipped", r->jname,
                  r->jline);
    else
        st = fill_record(r, root, off, len, doc);
    json_decref(root);
    return st;
}

/* A record at offset `off` (-1: none) can be read again: from its file by offset, or from
 * standard input's spool. */
static bool record_rereadable(const dd_reader *r, long off)
{
    return off >= 0 && (r->spooling || !r->jcopy);
}

/* A record passed over (dd__reader_set_pass): where it is, not what it holds. */
static dd_status pass_record(dd_reader *r, size_t len, long off, dd_doc *doc)
{
    clear_doc_strings(r);
    memset(doc, 0, sizeof *doc);
    doc->id = doc->title = doc->text = "";
    doc->source = r->jname;
    doc->line = r->jline;
    doc->record_off = off;
    doc->record_len = len;
    doc->rereadable = record_rereadable(r, off);
    return DD_OK;
}

static dd_status next_record(dd_reader *r, dd_doc *doc)
{
    bool again;
    const char *line = NULL;
    size_t len = 0;
    long off = -1;
    dd_status st = next_line(r, &line, &len, &off);

    if (st != DD_OK)
        return st;
    if (r->spooling)
        off = spool_record(r, line, len);
    if (r->pass)
        return pass_record(r, len, off, doc);
    st = parse_record(r, line, len, off, doc);
    if (st != DD_OK)
        return st;
    again = record_rereadable(r, off);
    doc->rereadable = again;
    if (!again || r->spooling) /* not by its file name: a copy for --emit */
        doc->record = r->o.keep_records ? line : NULL;
    return st;
}

/* ---- reading again ------------------------------------------------------------------- */

dd_status dd_reader_new_like(const dd_reader *r, dd_reader **out)
{
    dd_reader_opts o = r->o;

    o.on_warning = NULL;
    o.warning_ud = NULL;
    o.on_progress = NULL;
    o.progress_ud = NULL;
    if (dd_reader_new(&o, out) != DD_OK)
        return DD_ENOMEM;
    if (r->spool_name) { /* a spool that failed to write reads as gone */
        (*out)->spool_name = xstrdup(r->spool_name);
        (*out)->spool_fd = r->spool_fd >= 0 && r->spool_len >= 0 ? dup(r->spool_fd) : -1;
        if (!(*out)->spool_name || (r->spool_len >= 0 && (*out)->spool_fd < 0)) {
            dd_reader_free(*out);
            *out = NULL;
            return DD_ENOMEM;
        }
    }
    return DD_OK;
}

/* Open `source` for records, keeping the last one open: candidates come in file order. */
static dd_status reread_open(dd_reader *r, const char *source, size_t line)
{
    if (r->rfd >= 0 && strcmp(r->rname, source) == 0)
        return DD_OK;
    if (r->rfd >= 0)
        close(r->rfd);
    free(r->rname);
    r->rname = xstrdup(source);
    if (!r->rname)
        return DD_ENOMEM;
    r->rfd = open(source, O_RDONLY | O_CLOEXEC);
    if (r->rfd < 0)
        return fail(r, DD_EIO, "%s:%zu: %s", source, line, strerror(errno));
    return DD_OK;
}

static dd_status reread_record(dd_reader *r, const char *source, size_t line, long off,
                               size_t len, dd_doc *doc)
{
    size_t got = 0;
    bool spooled = r->spool_name && strcmp(source, r->spool_name) == 0;
    dd_status st = spooled ? DD_OK : reread_open(r, source, line);
    int fd = spooled ? r->spool_fd : r->rfd;

    if (spooled && (r->spool_fd < 0 || (r->spool && fflush(r->spool) != 0)))
        return fail(r, DD_EIO, "%s:%zu: the temporary copy of standard input is gone", source,
                    line);
    if (st != DD_OK)
        return st;
    if ((st = raw_reserve(r, len + 1)) != DD_OK)
        return st;
    while (got < len) {
        ssize_t k = pread(fd, r->raw + got, len - got, off + (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return fail(r, DD_EIO, "%s:%zu: %s", source, line,
                        k < 0 ? strerror(errno) : "file is shorter than when it was read");
        got += (size_t)k;
    }
    r->raw[len] = '\0';
    free(r->jname);
    r->jname = xstrdup(source);
    if (!r->jname)
        return DD_ENOMEM;
    r->jline = line;
    return parse_record(r, r->raw, len, off, doc);
}

dd_status dd_reader_reread(dd_reader *r, const char *source, size_t line, long record_off,
                           size_t record_len, dd_doc *doc)
{
    struct stat sb;
    dd_status st;
    int fd;

    if (record_off >= 0)
        st = reread_record(r, source, line, record_off, record_len, doc);
    else if ((st = open_fd(r, source, true, &fd, &sb)) == DD_OK)
        st = finish_regular(r, fd, &sb, source, 0, false, doc);
    if (st == DD_OK)
        doc->rereadable = true;
    return st;
}

/* ---- walking ----------------------------------------------------------------------- */

static int by_name(const FTSENT **a, const FTSENT **b)
{
    return strcmp((*a)->fts_name, (*b)->fts_name);
}

static dd_status open_walk(dd_reader *r, const char *path)
{
    char *argv[2];

    free(r->walk_root);
    r->walk_root = xstrdup(path);
    if (!r->walk_root)
        return DD_ENOMEM;
    argv[0] = r->walk_root;
    argv[1] = NULL;
    r->fts = fts_open(argv, FTS_LOGICAL | FTS_NOCHDIR, by_name);
    if (!r->fts)
        return fail(r, DD_EIO, "%s: %s, skipped", path, strerror(errno));
    return DD_OK;
}

/* A regular text file: one read of its size (plus one to see the end) into r->raw, with no
 * stdio in between, so a small article costs open, fstat, two reads and close. Archives and
 * JSON Lines files are recognised from the bytes read and go back to the stream path. */
static dd_status take_regular(dd_reader *r, int fd, const struct stat *sb, const char *path,
                              dd_doc *doc)
{
    size_t n = 0, limit = r->o.max_doc_bytes, first;
    bool eof = false;
    FILE *f;
    dd_status st;

    /* The whole of a small file and one byte more (to see its end), else 64 KiB; at least
     * the bytes that tell an archive, even under a smaller --max-doc-bytes. */
    first = sb->st_size >= 0 && (uintmax_t)sb->st_size < 65535 ? (size_t)sb->st_size + 1 : 65536;
    if (limit && first > limit + 1)
        first = limit + 1 > DD__SNIFF_BYTES ? limit + 1 : DD__SNIFF_BYTES;
    if (raw_reserve(r, first) != DD_OK) {
        close(fd);
        return DD_ENOMEM;
    }
    while (n < first && !eof) {
        ssize_t got = read(fd, r->raw + n, first - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            close(fd);
            return fail(r, DD_EIO, "%s: %s, skipped", path, strerror(e));
        }
        /* A read of a regular file returns less than asked only at its end (Linux does not
         * interrupt reads of local files but for fatal signals), so a short read is the
         * end and a small article needs no second read to see it. */
        eof = (size_t)got < first - n;
        n += (size_t)got;
    }
    if (dd__archive_sniff_buf((const unsigned char *)r->raw, n) || ends_with(path, ".jsonl")) {
        if (lseek(fd, 0, SEEK_SET) != 0) {
            int e = errno;
            close(fd);
            return fail(r, DD_EIO, "%s: %s, skipped", path, strerror(e));
        }
        if ((st = fd_stream(r, fd, path, &f)) != DD_OK)
            return st;
        if (dd__archive_sniff_buf((const unsigned char *)r->raw, n))
            return dd__archive_open(f, path, r->o.max_doc_bytes, &r->ar) == DD_OK ? DD_END
                                                                                : DD_ENOMEM;
        return open_jsonl(r, f, true, path) == DD_OK ? DD_END : DD_ENOMEM;
    }
    return finish_regular(r, fd, sb, path, n, eof, doc);
}

/* Handle a regular file found on the walk or named by the user. Returns DD_END when the
 * file was opened as JSON Lines and records should be pulled next. */
static dd_status take_file(dd_reader *r, const char *path, bool walked, dd_doc *doc)
{
    struct stat sb;
    FILE *f;
    int fd;
    dd_status st = open_fd(r, path, walked, &fd, &sb);

    if (st != DD_OK)
        return st;
    if (S_ISREG(sb.st_mode))
        return take_regular(r, fd, &sb, path, doc);
    if ((st = fd_stream(r, fd, path, &f)) != DD_OK) /* a FIFO or device the user named */
        return st;
    if (dd__archive_sniff(fileno(f)))
        return dd__archive_open(f, path, r->o.max_doc_bytes, &r->ar) == DD_OK ? DD_END
                                                                            : DD_ENOMEM;
    if (ends_with(path, ".jsonl"))
        return open_jsonl(r, f, true, path) == DD_OK ? DD_END : DD_ENOMEM;
    return read_file_doc(r, f, path, doc);
}

static dd_status symlink_problem(dd_reader *r, const char *path)
{
    struct stat sb;

    if (stat(path, &sb) != 0 && errno == ELOOP)
        return fail(r, DD_EIO, "%s: symbolic link loop, skipped", path);
    return fail(r, DD_EIO, "%s: dangling symbolic link, skipped", path);
}

/* One fts step. Every entry fts cannot handle (unreadable or vanished folder, failed stat)
 * is one reported item and the walk goes on; only fts_read itself failing ends the walk,
 * and that is reported as one item too. */
static dd_status walk_step(dd_reader *r, dd_doc *doc)
{
    FTSENT *e;

    errno = 0;
    e = fts_read(r->fts);
    if (!e) {
        int err = errno;
        fts_close(r->fts);
        r->fts = NULL;
        if (err)
            return fail(r, DD_EIO, "%s: walk stopped: %s, skipped", r->walk_root, strerror(err));
        return DD_END;
    }
    switch (e->fts_info) {
    case FTS_D:
    case FTS_DP:
        return DD_END;
    case FTS_F:
        return take_file(r, e->fts_path, true, doc);
    case FTS_SLNONE:
        return symlink_problem(r, e->fts_path);
    case FTS_DC:
        return fail(r, DD_EIO, "%s: directory cycle (symbolic link loop), skipped", e->fts_path);
    case FTS_DNR:
    case FTS_ERR:
    case FTS_NS:
        return fail(r, DD_EIO, "%s: %s, skipped", e->fts_path, strerror(e->fts_errno));
    default:
        return fail(r, DD_EIO, "%s: not a regular file, skipped", e->fts_path);
    }
}

static dd_status start_input(dd_reader *r, const input *in, dd_doc *doc)
{
    struct stat sb;

    if (in->stream || strcmp(in->path, "-") == 0) {
        FILE *f = in->stream ? in->stream : stdin;
        bool jsonl = in->stream ? in->jsonl : r->o.stdin_format == DD_STDIN_JSONL;
        size_t len = 0;
        dd_status st;

        if (jsonl) {
            if (open_jsonl(r, f, false, in->name) != DD_OK ||
                (!in->stream && r->o.spool_stdin && !r->spool && spool_open(r, in->name) != DD_OK))
                return DD_ENOMEM;
            return DD_END;
        }
        st = read_stream(r, f, in->name, &len);
        return st == DD_OK ? make_text_doc(r, in->name, len, doc) : st;
    }
    if (stat(in->path, &sb) != 0)
        return fail(r, DD_EIO, "%s: %s, skipped", in->path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) {
        dd_status st = open_walk(r, in->path);
        return st == DD_OK ? DD_END : st;
    }
    return take_file(r, in->path, false, doc);
}

/* A WARC page: its HTML becomes text (reader_html.c) and its <title> the title. */
static dd_status html_doc(dd_reader *r, const char *name, size_t len, dd_doc *doc)
{
    char *text = NULL, *title = NULL;
    size_t n = 0;
    dd_status st = dd__html_to_text(r->raw, len, dd__archive_charset(r->ar), &text, &n, &title);

    if (st == DD_OK && (st = raw_reserve(r, n + 1)) == DD_OK) {
        memcpy(r->raw, text, n + 1);
        st = make_text_doc(r, name, n, doc);
    }
    if (st == DD_OK && title && *title) {
        /* libxml2 passes some invalid bytes through; the title must be UTF-8 like the text */
        char *t = NULL;
        size_t tn = 0;
        const char *w;
        st = dd_decode_text(title, strlen(title), &t, &tn, &w);
        if (st == DD_OK) {
            free(r->title);
            r->title = t;
            doc->title = t;
        }
        st = st == DD_EBINARY ? DD_OK : st;
    }
    free(text);
    free(title);
    return st;
}

/* One item of the open archive. DD_END: a JSON Lines member was opened, or the archive is
 * done (closed); either way, pull again. Corrupt data ends the archive as one item. */
static dd_status archive_step(dd_reader *r, dd_doc *doc)
{
    dd__member_kind kind = DD__MEMBER_TEXT;
    const char *name = NULL;
    FILE *m = NULL;
    size_t len = 0;
    dd_status st = dd__archive_next(r->ar, &m, &name, &kind);

    if (st == DD_EIO || st == DD_END)
        r->bytes_done += dd__archive_bytes(r->ar);
    if (st == DD_EIO) {
        st = fail(r, DD_EIO, "%s: %s, skipped", name ? name : "archive",
                  dd__archive_error(r->ar));
        dd__archive_close(r->ar);
        r->ar = NULL;
        return st;
    }
    if (st == DD_END) {
        dd__archive_close(r->ar);
        r->ar = NULL;
    }
    if (st != DD_OK)
        return st;
    if (kind == DD__MEMBER_SKIP)
        return fail(r, DD_EIO, "%s: %s, skipped", name, dd__archive_error(r->ar));
    if (kind == DD__MEMBER_JSONL) {
        st = open_jsonl(r, m, true, name);
        r->jcopy = true;
        return st == DD_OK ? DD_END : st;
    }
    st = read_stream(r, m, name, &len);
    fclose(m);
    if (st != DD_OK)
        return st;
    return kind == DD__MEMBER_HTML ? html_doc(r, name, len, doc) : make_text_doc(r, name, len, doc);
}

static dd_status next_item(dd_reader *r, dd_doc *doc)
{
    for (;;) {
        dd_status st;

        if (r->jf) {
            st = next_record(r, doc);
            if (st != DD_END) {
                r->jitems++;
                return st;
            }
            close_jsonl(r);
            if (!r->jitems)
                warn(r, "%s: warning: no JSON Lines records", r->jname);
            continue;
        }
        if (r->ar)
            st = archive_step(r, doc);
        else if (r->fts)
            st = walk_step(r, doc);
        else if (r->next_input < r->n_inputs)
            st = start_input(r, &r->inputs[r->next_input++], doc);
        else
            return DD_END;
        if (st != DD_END)
            return st;
    }
}

/* Each result is one item; the callback gets the bytes of finished files plus the position
 * in the open JSON Lines file or archive. */
dd_status dd_reader_next(dd_reader *r, dd_doc *doc)
{
    dd_status st = next_item(r, doc);
    unsigned long long open_bytes = 0;

    if (st == DD_END || !r->o.on_progress)
        return st;
    r->items++;
    if (r->jf && !r->jcopy)
        open_bytes += r->jpos;
    if (r->ar)
        open_bytes += dd__archive_bytes(r->ar);
    r->o.on_progress(r->o.progress_ud, r->items, r->bytes_done + open_bytes);
    return st;
}
