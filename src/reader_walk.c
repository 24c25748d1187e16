/* Reader stage, files and folders: an input (path, folder, stream or standard input) ->
 * whole-file documents, or a JSON Lines file or archive opened for the next pulls. Folders
 * are walked with fts(3) in byte order of names, following symbolic links but reporting
 * cycles, so the document order (and with it every output) is the same on every run. */
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader_state.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* ---- titles ------------------------------------------------------------------------ */

/* First non-empty line, trimmed, cut to at most 200 bytes on a character boundary. */
char *dd__reader_first_line(const char *t, size_t len)
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
    return dd__reader_fail(r, DD_ELIMIT, "%s: document larger than --max-doc-bytes (%zu), skipped",
                           name, r->o.max_doc_bytes);
}

/* Read a whole stream, but never more than max_doc_bytes + 1 bytes: a regular file whose
 * size is already over the limit is not read at all. */
dd_status dd__reader_read_stream(dd_reader *r, FILE *f, const char *name, size_t *len)
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
        if (dd__reader_raw_reserve(r, n + want) != DD_OK)
            return DD_ENOMEM;
        got = fread(r->raw + n, 1, want, f);
        n += got;
        if (limit && n > limit)
            return too_large(r, name);
        if (got < want)
            break;
    }
    if (ferror(f))
        return dd__reader_fail(r, DD_EIO, "%s: %s, skipped", name, strerror(errno));
    *len = n;
    return DD_OK;
}

dd_status dd__reader_make_text_doc(dd_reader *r, const char *name, size_t len, dd_doc *doc)
{
    dd_status st;

    dd__reader_clear_doc_strings(r);
    memset(doc, 0, sizeof *doc);
    st = dd_decode_text(r->raw, len, &r->text, &doc->len, &doc->warning);
    if (st == DD_EBINARY)
        return dd__reader_fail(r, st, "%s: binary file (NUL bytes), skipped", name);
    if (st != DD_OK)
        return st;
    r->id = dd__reader_strdup(name);
    r->title = dd__reader_first_line(r->text, doc->len);
    if (!r->id || !r->title)
        return DD_ENOMEM;
    doc->id = r->id;
    doc->title = r->title;
    doc->text = r->text;
    doc->source = r->id;
    doc->record_off = -1;
    return dd__reader_note_read_id(r, doc);
}

/* Open `path` for reading and fstat it. On a walk (`regular_only`) the open never blocks and
 * anything but a regular file is refused after the open, so a FIFO swapped in after fts
 * looked at the entry is skipped too; a PATH the user named is opened as it is (a FIFO there
 * is read). O_NONBLOCK has no effect on reading a regular file, so it is left set. */
dd_status dd__reader_open_fd(dd_reader *r, const char *path, bool regular_only, int *out,
                             struct stat *sb)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | (regular_only ? O_NONBLOCK : 0));

    *out = -1;
    if (fd < 0)
        return dd__reader_fail(r, DD_EIO, "%s: %s, skipped", path, strerror(errno));
    if (fstat(fd, sb) != 0) {
        int e = errno;
        close(fd);
        return dd__reader_fail(r, DD_EIO, "%s: %s, skipped", path, strerror(e));
    }
    if (regular_only && !S_ISREG(sb->st_mode)) {
        close(fd);
        return dd__reader_fail(r, DD_EIO, "%s: not a regular file, skipped", path);
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
        return e == ENOMEM ? DD_ENOMEM
                           : dd__reader_fail(r, DD_EIO, "%s: %s, skipped", path, strerror(e));
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
    st = dd__reader_read_stream(r, f, path, &len);

    fclose(f);
    if (st != DD_OK)
        return st;
    st = dd__reader_make_text_doc(r, path, len, doc);
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
        if (dd__reader_raw_reserve(r, *n + want) != DD_OK)
            return DD_ENOMEM;
        got = read(fd, r->raw + *n, want);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return dd__reader_fail(r, DD_EIO, "%s: %s, skipped", path, strerror(errno));
        *n += (size_t)got;
        if (limit && *n > limit)
            return too_large(r, path);
        if (got == 0)
            return DD_OK;
    }
}

/* The text document of a regular file whose first n bytes are in r->raw (all of it when
 * `eof`): the rest read, the size limit applied, `fd` closed. */
dd_status dd__reader_finish_regular(dd_reader *r, int fd, const struct stat *sb, const char *path,
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
    st = dd__reader_make_text_doc(r, path, n, doc);
    doc->rereadable = st == DD_OK;
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
    r->walk_root = dd__reader_strdup(path);
    if (!r->walk_root)
        return DD_ENOMEM;
    argv[0] = r->walk_root;
    argv[1] = NULL;
    r->fts = fts_open(argv, FTS_LOGICAL | FTS_NOCHDIR, by_name);
    if (!r->fts)
        return dd__reader_fail(r, DD_EIO, "%s: %s, skipped", path, strerror(errno));
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
    if (dd__reader_raw_reserve(r, first) != DD_OK) {
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
            return dd__reader_fail(r, DD_EIO, "%s: %s, skipped", path, strerror(e));
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
            return dd__reader_fail(r, DD_EIO, "%s: %s, skipped", path, strerror(e));
        }
        if ((st = fd_stream(r, fd, path, &f)) != DD_OK)
            return st;
        if (dd__archive_sniff_buf((const unsigned char *)r->raw, n))
            return dd__archive_open(f, path, r->o.max_doc_bytes, &r->ar) == DD_OK ? DD_END
                                                                                : DD_ENOMEM;
        return dd__reader_open_jsonl(r, f, true, path) == DD_OK ? DD_END : DD_ENOMEM;
    }
    return dd__reader_finish_regular(r, fd, sb, path, n, eof, doc);
}

/* Handle a regular file found on the walk or named by the user. Returns DD_END when the
 * file was opened as JSON Lines and records should be pulled next. */
static dd_status take_file(dd_reader *r, const char *path, bool walked, dd_doc *doc)
{
    struct stat sb;
    FILE *f;
    int fd;
    dd_status st = dd__reader_open_fd(r, path, walked, &fd, &sb);

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
        return dd__reader_open_jsonl(r, f, true, path) == DD_OK ? DD_END : DD_ENOMEM;
    return read_file_doc(r, f, path, doc);
}

static dd_status symlink_problem(dd_reader *r, const char *path)
{
    struct stat sb;

    if (stat(path, &sb) != 0 && errno == ELOOP)
        return dd__reader_fail(r, DD_EIO, "%s: symbolic link loop, skipped", path);
    return dd__reader_fail(r, DD_EIO, "%s: dangling symbolic link, skipped", path);
}

/* One fts step. Every entry fts cannot handle (unreadable or vanished folder, failed stat)
 * is one reported item and the walk goes on; only fts_read itself failing ends the walk,
 * and that is reported as one item too. */
dd_status dd__reader_walk_step(dd_reader *r, dd_doc *doc)
{
    FTSENT *e;

    errno = 0;
    e = fts_read(r->fts);
    if (!e) {
        int err = errno;
        fts_close(r->fts);
        r->fts = NULL;
        if (err)
            return dd__reader_fail(r, DD_EIO, "%s: walk stopped: %s, skipped", r->walk_root,
                                   strerror(err));
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
        return dd__reader_fail(r, DD_EIO, "%s: directory cycle (symbolic link loop), skipped",
                               e->fts_path);
    case FTS_DNR:
    case FTS_ERR:
    case FTS_NS:
        return dd__reader_fail(r, DD_EIO, "%s: %s, skipped", e->fts_path, strerror(e->fts_errno));
    default:
        return dd__reader_fail(r, DD_EIO, "%s: not a regular file, skipped", e->fts_path);
    }
}

dd_status dd__reader_start_input(dd_reader *r, const input *in, dd_doc *doc)
{
    struct stat sb;

    if (in->stream || strcmp(in->path, "-") == 0) {
        FILE *f = in->stream ? in->stream : stdin;
        bool jsonl = in->stream ? in->jsonl : r->o.stdin_format == DD_STDIN_JSONL;
        size_t len = 0;
        dd_status st;

        if (jsonl) {
            if (dd__reader_open_jsonl(r, f, false, in->name) != DD_OK ||
                (!in->stream && r->o.spool_stdin && !r->spool &&
                 dd__reader_spool_open(r, in->name) != DD_OK))
                return DD_ENOMEM;
            return DD_END;
        }
        st = dd__reader_read_stream(r, f, in->name, &len);
        return st == DD_OK ? dd__reader_make_text_doc(r, in->name, len, doc) : st;
    }
    if (stat(in->path, &sb) != 0)
        return dd__reader_fail(r, DD_EIO, "%s: %s, skipped", in->path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) {
        dd_status st = open_walk(r, in->path);
        return st == DD_OK ? DD_END : st;
    }
    return take_file(r, in->path, false, doc);
}
