/* Reader stage, ids and reading again: every id handed out is noted (a repeat is warned
 * about, both documents kept), and a document is read again from where it was found (a
 * record by file offset, or from standard input's spool; a whole file by path), parsed
 * exactly as the first time, so it gives the same text. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader_state.h"

/* ---- duplicate ids ----------------------------------------------------------------- */

/* Intern a JSON Lines file name so a later "first at FILE:LINE" can name it. */
dd_status dd__reader_intern_src(dd_reader *r, const char *name, uint32_t *out)
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

dd_status dd__reader_note_read_id(dd_reader *r, const dd_doc *doc)
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
        dd_status st = dd__reader_intern_src(r, doc->source, &r->defer_src);
        if (st != DD_OK)
            return st;
        r->defer_src_set = true;
    }
    return note_id_from(r, doc, r->defer_src, fn, ud);
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
        (*out)->spool_name = dd__reader_strdup(r->spool_name);
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
    r->rname = dd__reader_strdup(source);
    if (!r->rname)
        return DD_ENOMEM;
    r->rfd = open(source, O_RDONLY | O_CLOEXEC);
    if (r->rfd < 0)
        return dd__reader_fail(r, DD_EIO, "%s:%zu: %s", source, line, strerror(errno));
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
        return dd__reader_fail(r, DD_EIO, "%s:%zu: the temporary copy of standard input is gone",
                               source, line);
    if (st != DD_OK)
        return st;
    if ((st = dd__reader_raw_reserve(r, len + 1)) != DD_OK)
        return st;
    while (got < len) {
        ssize_t k = pread(fd, r->raw + got, len - got, off + (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return dd__reader_fail(r, DD_EIO, "%s:%zu: %s", source, line,
                                   k < 0 ? strerror(errno)
                                         : "file is shorter than when it was read");
        got += (size_t)k;
    }
    r->raw[len] = '\0';
    free(r->jname);
    r->jname = dd__reader_strdup(source);
    if (!r->jname)
        return DD_ENOMEM;
    r->jline = line;
    return dd__reader_parse_record(r, r->raw, len, off, doc);
}

dd_status dd_reader_reread(dd_reader *r, const char *source, size_t line, long record_off,
                           size_t record_len, dd_doc *doc)
{
    struct stat sb;
    dd_status st;
    int fd;

    if (record_off >= 0)
        st = reread_record(r, source, line, record_off, record_len, doc);
    else if ((st = dd__reader_open_fd(r, source, true, &fd, &sb)) == DD_OK)
        st = dd__reader_finish_regular(r, fd, &sb, source, 0, false, doc);
    if (st == DD_OK)
        doc->rereadable = true;
    return st;
}
