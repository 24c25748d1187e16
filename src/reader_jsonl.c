/* Reader stage, JSON Lines: a file or stream of records -> one dd_doc per non-blank line,
 * parsed by the fast path (reader_json.c) or jansson. Every record's offset and length are
 * kept so dd_reader_reread can read it again; standard input's records are written to a
 * temporary file (the spool) as they are read, for the same reason. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "reader_json.h"
#include "reader_state.h"

enum { STAGING = 1 << 16 };

/* ---- JSON Lines -------------------------------------------------------------------- */

dd_status dd__reader_open_jsonl(dd_reader *r, FILE *f, bool owned, const char *name)
{
    dd_status st;

    free(r->jname);
    r->jname = dd__reader_strdup(name);
    st = r->jname ? dd__reader_intern_src(r, name, &r->jsrc) : DD_ENOMEM;
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

void dd__reader_close_jsonl(dd_reader *r)
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
            if (dd__reader_raw_reserve(r, n + take + 1) != DD_OK)
                return DD_ENOMEM;
            memcpy(r->raw + n, seg, take);
            n += take;
        }
    }
    if (ferror(r->jf)) {
        int e = errno;
        dd__reader_close_jsonl(r);
        return dd__reader_fail(r, DD_EIO, "%s:%zu: %s, skipped", r->jname, r->jline, strerror(e));
    }
    if (!any)
        return DD_END;
    if (over)
        return dd__reader_fail(r, DD_ELIMIT,
                               "%s:%zu: record larger than --max-doc-bytes (%zu), skipped",
                               r->jname, r->jline, limit);
    if (dd__reader_raw_reserve(r, n + 1) != DD_OK)
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
        return dd__reader_strdup(json_string_value(v));
    if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return dd__reader_strdup(buf);
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
        r->title = dd__reader_first_line(r->text, doc->len);
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
    return dd__reader_note_read_id(r, doc);
}

static dd_status fill_record(dd_reader *r, json_t *root, long off, size_t line_len, dd_doc *doc)
{
    json_t *text = get_path(root, r->o.text_field), *v;

    if (!text)
        return dd__reader_fail(r, DD_EPARSE, "%s:%zu: no \"%s\" field, skipped", r->jname, r->jline,
                               r->o.text_field);
    if (!json_is_string(text))
        return dd__reader_fail(r, DD_EPARSE, "%s:%zu: \"%s\" is not a string, skipped", r->jname,
                               r->jline, r->o.text_field);
    r->text = dd__reader_strdup(json_string_value(text));
    if (!r->text)
        return DD_ENOMEM;
    doc->len = json_string_length(text);
    r->id = json_scalar_text(get_path(root, r->o.id_field));
    if (!r->id)
        r->id = line_id(r);
    v = get_path(root, r->o.title_field);
    if (json_is_string(v) && !(r->title = dd__reader_strdup(json_string_value(v))))
        return DD_ENOMEM;
    v = get_path(root, r->o.date_field);
    if (json_is_string(v) && !(r->date = dd__reader_strdup(json_string_value(v))))
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
        r->id = dd__reader_strdup(num);
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
            dd__reader_close_jsonl(r);
            return dd__reader_fail(
                r, DD_EPARSE, "%s: UTF-16 JSON Lines are not supported (convert to UTF-8), skipped",
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

dd_status dd__reader_spool_open(dd_reader *r, const char *name)
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
    if (!(r->spool_name = dd__reader_strdup(name)))
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
dd_status dd__reader_parse_record(dd_reader *r, const char *line, size_t len, long off, dd_doc *doc)
{
    json_error_t jerr;
    json_t *root;
    dd_status st;

    dd__reader_clear_doc_strings(r);
    memset(doc, 0, sizeof *doc);
    if (fast_record(r, line, len, off, doc, &st))
        return st;
    root = json_loadb(line, len, 0, &jerr);
    if (!root)
        return dd__reader_fail(r, DD_EPARSE, "%s:%zu: invalid JSON: %s, skipped", r->jname,
                               r->jline, jerr.text);
    if (!json_is_object(root))
        st = dd__reader_fail(r, DD_EPARSE, "%s:%zu: record is not a JSON object, skipped", r->jname,
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
    dd__reader_clear_doc_strings(r);
    memset(doc, 0, sizeof *doc);
    doc->id = doc->title = doc->text = "";
    doc->source = r->jname;
    doc->line = r->jline;
    doc->record_off = off;
    doc->record_len = len;
    doc->rereadable = record_rereadable(r, off);
    return DD_OK;
}

dd_status dd__reader_next_record(dd_reader *r, dd_doc *doc)
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
    st = dd__reader_parse_record(r, line, len, off, doc);
    if (st != DD_OK)
        return st;
    again = record_rereadable(r, off);
    doc->rereadable = again;
    if (!again || r->spooling) /* not by its file name: a copy for --emit */
        doc->record = r->o.keep_records ? line : NULL;
    return st;
}
