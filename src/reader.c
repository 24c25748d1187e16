/* Reader stage: paths -> dd_doc stream. Folders are walked with fts(3) in byte order of
 * names, following symbolic links but reporting cycles, so the document order (and with it
 * every output) is the same on every run. JSON Lines records are parsed with jansson. */
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
#include <utf8proc.h>

#include "util.h"

typedef struct input {
    char *path;   /* NULL for a stream */
    FILE *stream; /* borrowed */
    char *name;
    bool jsonl;
} input;

struct dd_reader {
    dd_reader_opts o;
    char *fields[4];
    input *inputs;
    size_t n_inputs, cap_inputs, next_input;
    FTS *fts;
    FILE *jf; /* current JSON Lines file */
    bool jf_owned;
    char *jname;
    size_t jline;
    long joff;
    char *raw;          /* raw bytes of the current file or record line */
    size_t raw_cap;
    char *text;         /* decoded text handed out */
    char *id, *title, *date;
    char err[1024];
};

dd_reader_opts dd_reader_opts_default(void)
{
    dd_reader_opts o;

    o.max_doc_bytes = (size_t)64 << 20;
    o.id_field = "id";
    o.text_field = "text";
    o.title_field = "title";
    o.date_field = "date";
    o.stdin_format = DD_STDIN_TEXT;
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
    for (i = 0; i < r->n_inputs; i++) {
        free(r->inputs[i].path);
        free(r->inputs[i].name);
    }
    for (i = 0; i < 4; i++)
        free(r->fields[i]);
    free(r->inputs);
    free(r->jname);
    free(r->raw);
    clear_doc_strings(r);
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

/* ---- decoding ---------------------------------------------------------------------- */

/* Windows-1252 differs from Latin-1 only in 0x80-0x9F, where it has the typographic quotes
 * and dashes that old news files carry; undefined slots map to themselves (C1 controls). */
static const uint16_t cp1252_hi[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

static dd_status out_reserve(char **out, size_t *cap, size_t need)
{
    return dd__grow((void **)out, cap, need, 1);
}

static dd_status decode_utf16(const unsigned char *in, size_t len, char **out, size_t *out_len)
{
    bool le = in[0] == 0xFF;
    size_t i, n = 0, cap = 0;
    char *o = NULL;

    for (i = 2; i + 1 < len; i += 2) {
        utf8proc_int32_t c = le ? (in[i] | in[i + 1] << 8) : (in[i] << 8 | in[i + 1]);
        if (c >= 0xD800 && c <= 0xDBFF && i + 3 < len) {
            utf8proc_int32_t lo = le ? (in[i + 2] | in[i + 3] << 8) : (in[i + 2] << 8 | in[i + 3]);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                i += 2;
            }
        }
        if ((c >= 0xD800 && c <= 0xDFFF) || c == 0)
            c = c ? 0xFFFD : ' ';
        if (out_reserve(&o, &cap, n + 5) != DD_OK) {
            free(o);
            return DD_ENOMEM;
        }
        n += (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)o + n);
    }
    if (out_reserve(&o, &cap, n + 1) != DD_OK) {
        free(o);
        return DD_ENOMEM;
    }
    o[n] = '\0';
    *out = o;
    *out_len = n;
    return DD_OK;
}

/* Count well-formed multi-byte sequences and invalid bytes in one pass. */
static void utf8_census(const unsigned char *s, size_t len, size_t *multi, size_t *bad)
{
    size_t i = 0;

    *multi = *bad = 0;
    while (i < len) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k;

        if (s[i] < 0x80) {
            i++;
            continue;
        }
        k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &c);
        if (k < 0) {
            (*bad)++;
            i++;
        } else {
            (*multi)++;
            i += (size_t)k;
        }
    }
}

/* Re-encode: 1252 mode maps every high byte; repair mode keeps valid sequences and puts
 * U+FFFD for each invalid byte. */
static dd_status reencode(const unsigned char *s, size_t len, bool cp1252, char **out,
                          size_t *out_len)
{
    size_t i = 0, n = 0, cap = 0;
    char *o = NULL;

    if (out_reserve(&o, &cap, len + len / 2 + 4) != DD_OK)
        return DD_ENOMEM;
    while (i < len) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = 1;

        if (s[i] < 0x80)
            c = s[i];
        else if (cp1252)
            c = s[i] < 0xA0 ? cp1252_hi[s[i] - 0x80] : s[i];
        else {
            k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &c);
            if (k < 0) {
                c = 0xFFFD;
                k = 1;
            }
        }
        i += (size_t)k;
        if (out_reserve(&o, &cap, n + 5) != DD_OK) {
            free(o);
            return DD_ENOMEM;
        }
        n += (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)o + n);
    }
    o[n] = '\0';
    *out = o;
    *out_len = n;
    return DD_OK;
}

dd_status dd_decode_text(const char *in, size_t len, char **out, size_t *out_len,
                         const char **warning)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t multi, bad;

    *out = NULL;
    *out_len = 0;
    *warning = NULL;
    if (len >= 2 && ((s[0] == 0xFF && s[1] == 0xFE) || (s[0] == 0xFE && s[1] == 0xFF))) {
        *warning = "UTF-16 text converted to UTF-8";
        return decode_utf16(s, len, out, out_len);
    }
    if (memchr(s, 0, len))
        return DD_EBINARY;
    if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
        s += 3;
        len -= 3;
    }
    utf8_census(s, len, &multi, &bad);
    if (bad && !multi)
        *warning = "not valid UTF-8; read as Windows-1252";
    else if (bad)
        *warning = "invalid UTF-8 bytes replaced with U+FFFD";
    return reencode(s, len, bad && !multi, out, out_len);
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

static dd_status read_stream(dd_reader *r, FILE *f, const char *name, size_t *len)
{
    size_t n = 0, limit = r->o.max_doc_bytes;

    for (;;) {
        size_t got;
        if (dd__grow((void **)&r->raw, &r->raw_cap, n + 65536, 1) != DD_OK)
            return DD_ENOMEM;
        got = fread(r->raw + n, 1, r->raw_cap - n, f);
        n += got;
        if (limit && n > limit)
            return fail(r, DD_ELIMIT, "%s: document larger than --max-doc-bytes (%zu)", name,
                        limit);
        if (got == 0)
            break;
    }
    if (ferror(f))
        return fail(r, DD_EIO, "%s: %s", name, strerror(errno));
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
    return DD_OK;
}

static dd_status read_file_doc(dd_reader *r, const char *path, dd_doc *doc)
{
    FILE *f = fopen(path, "rb");
    size_t len = 0;
    dd_status st;

    if (!f)
        return fail(r, DD_EIO, "%s: %s", path, strerror(errno));
    st = read_stream(r, f, path, &len);
    fclose(f);
    if (st != DD_OK)
        return st;
    return make_text_doc(r, path, len, doc);
}

/* ---- JSON Lines -------------------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static dd_status open_jsonl(dd_reader *r, FILE *f, bool owned, const char *name)
{
    free(r->jname);
    r->jname = xstrdup(name);
    if (!r->jname) {
        if (owned)
            fclose(f);
        return DD_ENOMEM;
    }
    r->jf = f;
    r->jf_owned = owned;
    r->jline = 0;
    r->joff = 0;
    return DD_OK;
}

static void close_jsonl(dd_reader *r)
{
    if (r->jf_owned)
        fclose(r->jf);
    r->jf = NULL;
}

/* Read one line into r->raw without its newline. Lines over the limit are consumed and
 * reported, keeping memory bounded. Returns DD_END at end of file. */
static dd_status read_line(dd_reader *r, size_t *len)
{
    size_t n = 0, limit = r->o.max_doc_bytes;
    bool over = false, any = false;
    int c;

    r->joff = ftell(r->jf);
    r->jline++;
    while ((c = getc(r->jf)) != EOF) {
        any = true;
        if (c == '\n')
            break;
        if (over)
            continue;
        if (limit && n >= limit) {
            over = true;
            continue;
        }
        if (n + 1 >= r->raw_cap && dd__grow((void **)&r->raw, &r->raw_cap, n + 2, 1) != DD_OK)
            return DD_ENOMEM;
        r->raw[n++] = (char)c;
    }
    if (ferror(r->jf))
        return fail(r, DD_EIO, "%s:%zu: %s", r->jname, r->jline, strerror(errno));
    if (!any)
        return DD_END;
    if (over)
        return fail(r, DD_ELIMIT, "%s:%zu: record larger than --max-doc-bytes (%zu)", r->jname,
                    r->jline, limit);
    if (dd__grow((void **)&r->raw, &r->raw_cap, n + 1, 1) != DD_OK)
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

static dd_status fill_record(dd_reader *r, json_t *root, size_t line_len, dd_doc *doc)
{
    json_t *text = get_path(root, r->o.text_field), *v;
    char where[64];

    if (!text)
        return fail(r, DD_EPARSE, "%s:%zu: no \"%s\" field", r->jname, r->jline, r->o.text_field);
    if (!json_is_string(text))
        return fail(r, DD_EPARSE, "%s:%zu: \"%s\" is not a string", r->jname, r->jline,
                    r->o.text_field);
    r->text = xstrdup(json_string_value(text));
    if (!r->text)
        return DD_ENOMEM;
    doc->len = json_string_length(text);
    r->id = json_scalar_text(get_path(root, r->o.id_field));
    if (!r->id) {
        snprintf(where, sizeof where, ":%zu", r->jline);
        r->id = malloc(strlen(r->jname) + strlen(where) + 1);
        if (!r->id)
            return DD_ENOMEM;
        strcpy(r->id, r->jname);
        strcat(r->id, where);
    }
    v = get_path(root, r->o.title_field);
    r->title = json_is_string(v) ? xstrdup(json_string_value(v)) : first_line(r->text, doc->len);
    v = get_path(root, r->o.date_field);
    if (json_is_string(v))
        r->date = xstrdup(json_string_value(v));
    if (!r->title || (json_is_string(v) && !r->date))
        return DD_ENOMEM;
    doc->id = r->id;
    doc->title = r->title;
    doc->date = r->date;
    doc->text = r->text;
    doc->source = r->jname;
    doc->line = r->jline;
    doc->record_off = r->joff;
    doc->record_len = line_len;
    return DD_OK;
}

static bool blank(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

static dd_status next_record(dd_reader *r, dd_doc *doc)
{
    json_error_t jerr;
    json_t *root;
    size_t len = 0;
    dd_status st;

    do {
        st = read_line(r, &len);
    } while (st == DD_OK && blank(r->raw, len));
    if (st != DD_OK)
        return st;
    clear_doc_strings(r);
    memset(doc, 0, sizeof *doc);
    root = json_loadb(r->raw, len, 0, &jerr);
    if (!root)
        return fail(r, DD_EPARSE, "%s:%zu: invalid JSON: %s", r->jname, r->jline, jerr.text);
    if (!json_is_object(root))
        st = fail(r, DD_EPARSE, "%s:%zu: record is not a JSON object", r->jname, r->jline);
    else
        st = fill_record(r, root, len, doc);
    json_decref(root);
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

    argv[0] = (char *)(uintptr_t)path;
    argv[1] = NULL;
    r->fts = fts_open(argv, FTS_LOGICAL | FTS_NOCHDIR, by_name);
    if (!r->fts)
        return fail(r, DD_EIO, "%s: %s", path, strerror(errno));
    return DD_OK;
}

/* Handle a regular file found on the walk or named by the user. Returns DD_END when the
 * file was opened as JSON Lines and records should be pulled next. */
static dd_status take_file(dd_reader *r, const char *path, dd_doc *doc)
{
    if (ends_with(path, ".jsonl")) {
        FILE *f = fopen(path, "rb");
        if (!f)
            return fail(r, DD_EIO, "%s: %s", path, strerror(errno));
        return open_jsonl(r, f, true, path) == DD_OK ? DD_END : DD_ENOMEM;
    }
    return read_file_doc(r, path, doc);
}

static dd_status symlink_problem(dd_reader *r, const char *path)
{
    struct stat sb;

    if (stat(path, &sb) != 0 && errno == ELOOP)
        return fail(r, DD_EIO, "%s: symbolic link loop, skipped", path);
    return fail(r, DD_EIO, "%s: dangling symbolic link, skipped", path);
}

static dd_status walk_step(dd_reader *r, dd_doc *doc)
{
    FTSENT *e = fts_read(r->fts);

    if (!e) {
        int err = errno;
        fts_close(r->fts);
        r->fts = NULL;
        if (err)
            return fail(r, DD_EIO, "walk: %s", strerror(err));
        return DD_END;
    }
    switch (e->fts_info) {
    case FTS_D:
    case FTS_DP:
        return DD_END;
    case FTS_F:
        return take_file(r, e->fts_path, doc);
    case FTS_SLNONE:
        return symlink_problem(r, e->fts_path);
    case FTS_DC:
        return fail(r, DD_EIO, "%s: directory cycle (symbolic link loop), skipped", e->fts_path);
    case FTS_DNR:
    case FTS_ERR:
    case FTS_NS:
        return fail(r, DD_EIO, "%s: %s", e->fts_path, strerror(e->fts_errno));
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

        if (jsonl)
            return open_jsonl(r, f, false, in->name) == DD_OK ? DD_END : DD_ENOMEM;
        st = read_stream(r, f, in->name, &len);
        return st == DD_OK ? make_text_doc(r, in->name, len, doc) : st;
    }
    if (stat(in->path, &sb) != 0)
        return fail(r, DD_EIO, "%s: %s", in->path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) {
        dd_status st = open_walk(r, in->path);
        return st == DD_OK ? DD_END : st;
    }
    return take_file(r, in->path, doc);
}

dd_status dd_reader_next(dd_reader *r, dd_doc *doc)
{
    for (;;) {
        dd_status st;

        if (r->jf) {
            st = next_record(r, doc);
            if (st != DD_END)
                return st;
            close_jsonl(r);
            continue;
        }
        if (r->fts)
            st = walk_step(r, doc);
        else if (r->next_input < r->n_inputs)
            st = start_input(r, &r->inputs[r->next_input++], doc);
        else
            return DD_END;
        if (st != DD_END)
            return st;
    }
}
