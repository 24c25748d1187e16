/* Reader stage, archives: compressed files (gzip, bzip2, xz, zstd), tar/zip/7z/cpio archives
 * and WARC crawls -> one stream per document, all unpacked by libarchive. Files are
 * recognised by their first bytes, never by name, so a plain text file is never "unpacked".
 * WARC record framing (header lines + Content-Length) is read in reader_warc.c over
 * libarchive's decompressed stream rather than with libarchive's WARC reader, which names
 * records by URL path only (two hosts' /index.html collide) and drops every record whose
 * URL ends in '/', which is most article URLs. Member streams use fopencookie (glibc), so the
 * JSON Lines reader in reader_jsonl.c reads an archived .jsonl exactly like a file. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "reader_archive.h"
#include "reader_internal.h"
#include "util.h"

/* ---- recognising ------------------------------------------------------------------- */

bool dd__archive_sniff_buf(const unsigned char *b, size_t n)
{
    static const struct {
        size_t off, len;
        const char *magic;
    } sig[] = {
        {0, 2, "\x1f\x8b"}, /* gzip */
        {0, 3, "BZh"},      /* bzip2 */
        {0, 6,
         "\xfd"
         "7zXZ\0"},                   /* xz */
        {0, 4, "\x28\xb5\x2f\xfd"},   /* zstd */
        {0, 4, "PK\x03\x04"},         /* zip */
        {0, 4, "PK\x05\x06"},         /* empty zip */
        {0, 6, "7z\xbc\xaf\x27\x1c"}, /* 7z */
        {257, 5, "ustar"},            /* tar (POSIX and GNU) */
        {0, 5, "WARC/"},              /* WARC, uncompressed */
    };
    size_t i;

    for (i = 0; i < sizeof sig / sizeof sig[0]; i++)
        if (n >= sig[i].off + sig[i].len && memcmp(b + sig[i].off, sig[i].magic, sig[i].len) == 0)
            return true;
    return false;
}

bool dd__archive_sniff(int fd)
{
    unsigned char b[DD__SNIFF_BYTES];
    ssize_t n = pread(fd, b, sizeof b, 0);

    return n > 0 && dd__archive_sniff_buf(b, (size_t)n);
}

/* ---- buffered reading of the current libarchive entry ------------------------------ */

ssize_t dd__archive_fill(dd__archive *d)
{
    la_ssize_t n;

    if (d->a_pos < d->a_len || d->eof)
        return (ssize_t)(d->a_len - d->a_pos);
    n = archive_read_data(d->a, d->ahead, sizeof d->ahead);
    if (n < 0) {
        snprintf(d->err, sizeof d->err, "corrupt data: %s", archive_error_string(d->a));
        return -1;
    }
    d->a_pos = 0;
    d->a_len = (size_t)n;
    d->eof = n == 0;
    return n;
}

ssize_t dd__archive_take(dd__archive *d, char *dst, size_t n)
{
    ssize_t got = dd__archive_fill(d);

    if (got <= 0)
        return got;
    if ((size_t)got > n)
        got = (ssize_t)n;
    memcpy(dst, d->ahead + d->a_pos, (size_t)got);
    d->a_pos += (size_t)got;
    return got;
}

static ssize_t entry_cookie_read(void *c, char *dst, size_t n)
{
    ssize_t got = dd__archive_take(c, dst, n);

    if (got < 0)
        errno = EIO;
    return got;
}

static ssize_t mem_cookie_read(void *c, char *dst, size_t n)
{
    dd__archive *d = c;

    if (n > d->p_len - d->p_pos)
        n = d->p_len - d->p_pos;
    memcpy(dst, d->payload + d->p_pos, n);
    d->p_pos += n;
    return (ssize_t)n;
}

FILE *dd__archive_stream(dd__archive *d, bool payload)
{
    cookie_io_functions_t io = {payload ? mem_cookie_read : entry_cookie_read, NULL, NULL, NULL};

    d->p_pos = 0;
    return fopencookie(d, "r", io);
}

/* ---- opening ------------------------------------------------------------------------ */

dd_status dd__archive_open(FILE *f, const char *path, size_t max_bytes, dd__archive **out)
{
    dd__archive *d = calloc(1, sizeof *d);

    *out = NULL;
    if (!d || !(d->path = strdup(path)) || !(d->a = archive_read_new())) {
        if (d)
            free(d->path);
        free(d);
        fclose(f);
        return DD_ENOMEM;
    }
    d->f = f;
    d->max_bytes = max_bytes;
    d->mode = -1;
    archive_read_support_filter_all(d->a);
    archive_read_support_format_tar(d->a);
    archive_read_support_format_zip(d->a);
    archive_read_support_format_7zip(d->a);
    archive_read_support_format_cpio(d->a);
    archive_read_support_format_raw(d->a); /* lowest bid: a compressed single file */
    if (archive_read_open_FILE(d->a, f) != ARCHIVE_OK)
        snprintf(d->err, sizeof d->err, "%s", archive_error_string(d->a));
    *out = d;
    return DD_OK;
}

void dd__archive_close(dd__archive *d)
{
    if (!d)
        return;
    archive_read_free(d->a);
    fclose(d->f);
    free(d->path);
    free(d->name);
    free(d->payload);
    free(d);
}

const char *dd__archive_error(const dd__archive *d)
{
    return d->err;
}

unsigned long long dd__archive_bytes(const dd__archive *d)
{
    la_int64_t n = archive_filter_bytes(d->a, -1);
    return n > 0 ? (unsigned long long)n : 0;
}

const char *dd__archive_charset(const dd__archive *d)
{
    return d->charset[0] ? d->charset : NULL;
}

dd_status dd__archive_set_name(dd__archive *d, const char *member, size_t len)
{
    size_t n = strlen(d->path);
    char *p = realloc(d->name, n + len + 2);

    if (!p)
        return DD_ENOMEM;
    d->name = p;
    memcpy(p, d->path, n);
    if (member) {
        p[n++] = ':';
        memcpy(p + n, member, len);
        n += len;
    }
    p[n] = '\0';
    return DD_OK;
}

/* The path without a compression suffix, to see whether "x.jsonl.gz" holds JSON Lines. */
static bool inner_is_jsonl(const char *path)
{
    static const char *const comp[] = {".gz", ".bz2", ".xz", ".zst", ".zstd", ".z"};
    size_t n = strlen(path), i, k;

    for (i = 0; i < sizeof comp / sizeof comp[0]; i++) {
        k = strlen(comp[i]);
        if (n > k && strcasecmp(path + n - k, comp[i]) == 0) {
            n -= k;
            break;
        }
    }
    return n >= 6 && strncmp(path + n - 6, ".jsonl", 6) == 0;
}

static bool ends_jsonl(const char *s)
{
    size_t n = strlen(s);
    return n >= 6 && strcmp(s + n - 6, ".jsonl") == 0;
}

/* First header: decides between an archive of members, a compressed single file and a
 * (compressed) WARC file, which is only known from its first decompressed bytes. */
static dd_status start(dd__archive *d)
{
    struct archive_entry *e;
    int rc;

    if (d->err[0])
        return DD_EIO;
    rc = archive_read_next_header(d->a, &e);
    if (rc == ARCHIVE_EOF) {
        d->mode = MODE_MEMBERS;
        return DD_OK;
    }
    if (rc < ARCHIVE_WARN) {
        snprintf(d->err, sizeof d->err, "%s", archive_error_string(d->a));
        return DD_EIO;
    }
    d->mode = MODE_MEMBERS;
    if (archive_format(d->a) == ARCHIVE_FORMAT_RAW) {
        if (dd__archive_fill(d) < 0)
            return DD_EIO;
        d->mode = d->a_len >= 5 && memcmp(d->ahead, "WARC/", 5) == 0 ? MODE_WARC : MODE_SINGLE;
        return DD_OK;
    }
    d->pending = e;
    return DD_OK;
}

/* ---- archive members ---------------------------------------------------------------- */

static dd_status next_member(dd__archive *d, FILE **member, dd__member_kind *kind)
{
    struct archive_entry *e = NULL;
    const char *p;
    int rc;

    for (;;) {
        if (d->pending) {
            rc = ARCHIVE_OK;
            e = d->pending;
            d->pending = NULL;
        } else {
            rc = archive_read_next_header(d->a, &e);
        }
        if (rc == ARCHIVE_EOF)
            return DD_END;
        if (rc < ARCHIVE_WARN) {
            snprintf(d->err, sizeof d->err, "%s", archive_error_string(d->a));
            return DD_EIO;
        }
        if (archive_entry_filetype(e) != AE_IFDIR)
            break;
    }
    p = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    if (dd__archive_set_name(d, p, strlen(p)) != DD_OK)
        return DD_ENOMEM;
    d->a_pos = d->a_len = 0;
    d->eof = false;
    if (archive_entry_filetype(e) != AE_IFREG) {
        snprintf(d->err, sizeof d->err, "not a regular file");
        *kind = DD__MEMBER_SKIP;
        return DD_OK;
    }
    *kind = ends_jsonl(p) ? DD__MEMBER_JSONL : DD__MEMBER_TEXT;
    *member = dd__archive_stream(d, false);
    return *member ? DD_OK : DD_ENOMEM;
}

dd_status dd__archive_next(dd__archive *d, FILE **member, const char **name, dd__member_kind *kind)
{
    dd_status st = DD_OK;

    *member = NULL;
    *name = d->path;
    if (d->mode >= 0) /* before start(), d->err may hold the open error start() reports */
        d->err[0] = '\0';
    if (d->mode < 0 && (st = start(d)) != DD_OK)
        return st;
    if (d->mode == MODE_SINGLE) {
        if (d->single_done)
            return DD_END;
        d->single_done = true;
        if (dd__archive_set_name(d, NULL, 0) != DD_OK)
            return DD_ENOMEM;
        *kind = inner_is_jsonl(d->path) ? DD__MEMBER_JSONL : DD__MEMBER_TEXT;
        *member = dd__archive_stream(d, false);
        st = *member ? DD_OK : DD_ENOMEM;
    } else if (d->mode == MODE_WARC) {
        st = dd__warc_next(d, member, kind);
    } else {
        st = next_member(d, member, kind);
    }
    *name = d->name && st == DD_OK ? d->name : d->path; /* errors are the archive's */
    return st;
}
