/* Reader stage, archives: compressed files (gzip, bzip2, xz, zstd), tar/zip/7z/cpio archives
 * and WARC crawls -> one stream per document, all unpacked by libarchive. Files are
 * recognised by their first bytes, never by name, so a plain text file is never "unpacked".
 * WARC record framing (header lines + Content-Length) is read here over libarchive's
 * decompressed stream rather than with libarchive's WARC reader, because that reader names
 * records by URL path only (two hosts' /index.html collide) and drops every record whose
 * URL ends in '/', which is most article URLs. Member streams use fopencookie (glibc), so the
 * JSON Lines reader in reader.c reads an archived .jsonl exactly like a file. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "reader_internal.h"
#include "util.h"

enum { MODE_MEMBERS, MODE_SINGLE, MODE_WARC };

struct dd__archive {
    struct archive *a;
    FILE *f;
    char *path;
    size_t max_bytes;
    int mode;
    bool single_done;        /* MODE_SINGLE: the one document was handed out */
    struct archive_entry *pending; /* MODE_MEMBERS: the header start() already read */
    char *name;              /* id of the current item */
    char ahead[8192];        /* bytes read from libarchive, not yet consumed */
    size_t a_pos, a_len;
    bool eof;
    char *payload;           /* WARC: the current record's document bytes */
    size_t p_len, p_cap, p_pos;
    char charset[64];
    char err[512];
};

/* ---- recognising ------------------------------------------------------------------- */

bool dd__archive_sniff(int fd)
{
    static const struct {
        size_t off, len;
        const char *magic;
    } sig[] = {
        {0, 2, "\x1f\x8b"},                  /* gzip */
        {0, 3, "BZh"},                       /* bzip2 */
        {0, 6, "\xfd" "7zXZ\0"},             /* xz */
        {0, 4, "\x28\xb5\x2f\xfd"},          /* zstd */
        {0, 4, "PK\x03\x04"},                /* zip */
        {0, 4, "PK\x05\x06"},                /* empty zip */
        {0, 6, "7z\xbc\xaf\x27\x1c"},        /* 7z */
        {257, 5, "ustar"},                   /* tar (POSIX and GNU) */
        {0, 5, "WARC/"},                     /* WARC, uncompressed */
    };
    unsigned char b[264];
    ssize_t n = pread(fd, b, sizeof b, 0);
    size_t i;

    for (i = 0; n > 0 && i < sizeof sig / sizeof sig[0]; i++)
        if ((size_t)n >= sig[i].off + sig[i].len &&
            memcmp(b + sig[i].off, sig[i].magic, sig[i].len) == 0)
            return true;
    return false;
}

/* ---- buffered reading of the current libarchive entry ------------------------------ */

static ssize_t fill(dd__archive *d)
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

static ssize_t take(dd__archive *d, char *dst, size_t n)
{
    ssize_t got = fill(d);

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
    ssize_t got = take(c, dst, n);

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

static FILE *open_cookie(dd__archive *d, bool payload)
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

static dd_status set_name(dd__archive *d, const char *member, size_t len)
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
        if (fill(d) < 0)
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
    if (set_name(d, p, strlen(p)) != DD_OK)
        return DD_ENOMEM;
    d->a_pos = d->a_len = 0;
    d->eof = false;
    if (archive_entry_filetype(e) != AE_IFREG) {
        snprintf(d->err, sizeof d->err, "not a regular file");
        *kind = DD__MEMBER_SKIP;
        return DD_OK;
    }
    *kind = ends_jsonl(p) ? DD__MEMBER_JSONL : DD__MEMBER_TEXT;
    *member = open_cookie(d, false);
    return *member ? DD_OK : DD_ENOMEM;
}

/* ---- WARC records ------------------------------------------------------------------- */

/* One header line without CR/LF; a longer line is consumed and cut. DD_END at end of data. */
static dd_status read_line(dd__archive *d, char *line, size_t cap, size_t *len)
{
    size_t n = 0;
    bool any = false;

    for (;;) {
        ssize_t got = fill(d);
        char c;
        if (got < 0)
            return DD_EIO;
        if (got == 0)
            break;
        c = d->ahead[d->a_pos++];
        any = true;
        if (c == '\n')
            break;
        if (n + 1 < cap)
            line[n++] = c;
    }
    if (!any)
        return DD_END;
    if (n && line[n - 1] == '\r')
        n--;
    line[n] = '\0';
    *len = n;
    return DD_OK;
}

static dd_status skip_bytes(dd__archive *d, unsigned long long n)
{
    char scratch[4096];

    while (n) {
        ssize_t got = take(d, scratch, n < sizeof scratch ? (size_t)n : sizeof scratch);
        if (got < 0)
            return DD_EIO;
        if (got == 0)
            break;
        n -= (unsigned long long)got;
    }
    return DD_OK;
}

/* Read up to `keep` of the record's `n` content bytes into d->payload, skip the rest. */
static dd_status read_payload(dd__archive *d, unsigned long long n, size_t keep)
{
    size_t want = n < keep ? (size_t)n : keep;

    d->p_len = 0;
    if (dd__grow((void **)&d->payload, &d->p_cap, want + 1, 1) != DD_OK)
        return DD_ENOMEM;
    while (d->p_len < want) {
        ssize_t got = take(d, d->payload + d->p_len, want - d->p_len);
        if (got < 0)
            return DD_EIO;
        if (got == 0)
            break;
        d->p_len += (size_t)got;
    }
    d->payload[d->p_len] = '\0';
    return skip_bytes(d, n - want);
}

typedef struct warc_head {
    char type[32], uri[2048], ctype[256];
    unsigned long long clen;
    bool has_len;
} warc_head;

/* "Name: value" -> value when the name matches (case-insensitive), else NULL. */
static const char *field(const char *line, const char *name)
{
    size_t n = strlen(name);

    if (strncasecmp(line, name, n) != 0 || line[n] != ':')
        return NULL;
    line += n + 1;
    while (*line == ' ' || *line == '\t')
        line++;
    return line;
}

static void copy_field(char *dst, size_t cap, const char *v)
{
    size_t n = strlen(v);

    if (*v == '<' && n >= 2 && v[n - 1] == '>') { /* WARC/1.0 writers bracket URIs */
        v++;
        n -= 2;
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static dd_status read_warc_head(dd__archive *d, warc_head *h)
{
    char line[4096];
    size_t len = 0;
    dd_status st;
    const char *v;

    memset(h, 0, sizeof *h);
    do { /* records are separated by CRLF CRLF; tolerate more or fewer */
        if ((st = read_line(d, line, sizeof line, &len)) != DD_OK)
            return st;
    } while (len == 0);
    if (strncmp(line, "WARC/", 5) != 0) {
        snprintf(d->err, sizeof d->err, "not a WARC record header: \"%.40s\"", line);
        return DD_EIO;
    }
    while ((st = read_line(d, line, sizeof line, &len)) == DD_OK && len > 0) {
        if ((v = field(line, "WARC-Type")))
            copy_field(h->type, sizeof h->type, v);
        else if ((v = field(line, "WARC-Target-URI")))
            copy_field(h->uri, sizeof h->uri, v);
        else if ((v = field(line, "Content-Type")))
            copy_field(h->ctype, sizeof h->ctype, v);
        else if ((v = field(line, "Content-Length")))
            h->has_len = sscanf(v, "%llu", &h->clen) == 1;
    }
    if (st == DD_EIO)
        return st;
    if (!h->has_len) {
        snprintf(d->err, sizeof d->err, "WARC record without Content-Length");
        return DD_EIO;
    }
    return DD_OK;
}

/* text/html or XHTML -> HTML, text/plain -> text, anything else is not a document. */
static bool doc_type(const char *ctype, dd__member_kind *kind)
{
    if (strncasecmp(ctype, "text/html", 9) == 0 ||
        strncasecmp(ctype, "application/xhtml+xml", 21) == 0) {
        *kind = DD__MEMBER_HTML;
        return true;
    }
    if (strncasecmp(ctype, "text/plain", 10) == 0) {
        *kind = DD__MEMBER_TEXT;
        return true;
    }
    return false;
}

static void take_charset(dd__archive *d, const char *ctype)
{
    const char *c = strcasestr(ctype, "charset=");
    size_t n = 0;

    d->charset[0] = '\0';
    if (!c)
        return;
    c += 8;
    if (*c == '"')
        c++;
    while (c[n] && c[n] != '"' && c[n] != ';' && c[n] != ' ' && n + 1 < sizeof d->charset)
        n++;
    memcpy(d->charset, c, n);
    d->charset[n] = '\0';
}

/* Transfer-Encoding: chunked, undone in place (the output is never longer than the input). */
static void dechunk(dd__archive *d, size_t body)
{
    size_t in = body, out = body;

    while (in < d->p_len) {
        char *end;
        unsigned long long n = strtoull(d->payload + in, &end, 16);
        char *nl = memchr(d->payload + in, '\n', d->p_len - in);
        if (!nl || end == d->payload + in || n == 0)
            break;
        in = (size_t)(nl - d->payload) + 1;
        if (n > d->p_len - in)
            n = d->p_len - in;
        memmove(d->payload + out, d->payload + in, (size_t)n);
        out += (size_t)n;
        in += (size_t)n;
        while (in < d->p_len && (d->payload[in] == '\r' || d->payload[in] == '\n'))
            in++;
    }
    d->p_len = out;
    d->payload[out] = '\0';
}

/* Content-Encoding (gzip, deflate via zlib framing, bzip2, xz, zstd) undone by libarchive
 * from memory, bounded by the document limit like any other read. */
static dd_status decode_body(dd__archive *d, size_t body)
{
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    size_t cap = d->max_bytes ? d->max_bytes + 1 : (size_t)1 << 30, n = 0;
    char *out = NULL;
    size_t out_cap = 0;
    dd_status st = DD_EIO;

    if (!a)
        return DD_ENOMEM;
    archive_read_support_filter_all(a);
    archive_read_support_format_raw(a);
    if (archive_read_open_memory(a, d->payload + body, d->p_len - body) == ARCHIVE_OK &&
        archive_read_next_header(a, &e) == ARCHIVE_OK) {
        for (st = DD_OK; st == DD_OK && n < cap;) {
            la_ssize_t got;
            if (dd__grow((void **)&out, &out_cap, n + 65536 + 1, 1) != DD_OK) {
                st = DD_ENOMEM;
                break;
            }
            got = archive_read_data(a, out + n, 65536);
            if (got <= 0) {
                st = got < 0 ? DD_EIO : DD_OK;
                break;
            }
            n += (size_t)got;
        }
    }
    if (st == DD_EIO)
        snprintf(d->err, sizeof d->err, "undecodable Content-Encoding: %s",
                 archive_error_string(a) ? archive_error_string(a) : "unknown");
    archive_read_free(a);
    if (st == DD_OK) {
        free(d->payload);
        d->payload = out;
        d->p_cap = out_cap;
        d->p_len = n;
        d->payload[n] = '\0';
        return DD_OK;
    }
    free(out);
    return st;
}

/* An HTTP response in d->payload -> its body at the front of d->payload. Returns false when
 * it is not a document: not 2xx, or not HTML or plain text. */
static bool http_body(dd__archive *d, dd__member_kind *kind, dd_status *st)
{
    char *p = d->payload, *end = p + d->p_len, *line = p, *nl;
    bool chunked = false, encoded = false, is_doc = false;
    int status = 0;

    *st = DD_OK;
    if (sscanf(p, "HTTP/%*s %d", &status) != 1 || status < 200 || status > 299)
        return false;
    while ((nl = memchr(line, '\n', (size_t)(end - line)))) {
        size_t len = (size_t)(nl - line);
        const char *v;
        if (len && line[len - 1] == '\r')
            len--;
        line[len] = '\0';
        if (line != p && len == 0)
            break;
        if ((v = field(line, "Content-Type"))) {
            is_doc = doc_type(v, kind);
            take_charset(d, v);
        } else if ((v = field(line, "Transfer-Encoding")))
            chunked = strcasestr(v, "chunked") != NULL;
        else if ((v = field(line, "Content-Encoding")))
            encoded = strcasecmp(v, "identity") != 0;
        line = nl + 1;
    }
    if (!nl || !is_doc)
        return false;
    memmove(p, nl + 1, (size_t)(end - nl - 1));
    d->p_len = (size_t)(end - nl - 1);
    p[d->p_len] = '\0'; /* dechunk's strtoull must not run into the old bytes */
    if (chunked)
        dechunk(d, 0);
    if (encoded && (*st = decode_body(d, 0)) != DD_OK)
        *kind = DD__MEMBER_SKIP;
    return true;
}

/* Next response or resource record that holds a document; other records (warcinfo,
 * request, metadata, revisit) and responses that are not 2xx HTML or text are passed over:
 * they are crawl bookkeeping, not documents. */
static dd_status next_warc(dd__archive *d, FILE **member, dd__member_kind *kind)
{
    size_t keep = d->max_bytes ? d->max_bytes + 65536 + 1 : SIZE_MAX;
    warc_head h;
    dd_status st;

    for (;;) {
        bool response;
        if ((st = read_warc_head(d, &h)) != DD_OK)
            return st;
        response = strcasecmp(h.type, "response") == 0;
        if (!response && strcasecmp(h.type, "resource") != 0) {
            if ((st = skip_bytes(d, h.clen)) != DD_OK)
                return st;
            continue;
        }
        if ((st = read_payload(d, h.clen, keep)) != DD_OK)
            return st;
        take_charset(d, h.ctype);
        if (response ? !http_body(d, kind, &st) : !doc_type(h.ctype, kind))
            continue;
        if ((st = set_name(d, h.uri, strlen(h.uri))) != DD_OK)
            return st;
        if (*kind == DD__MEMBER_SKIP)
            return DD_OK;
        *member = open_cookie(d, true);
        return *member ? DD_OK : DD_ENOMEM;
    }
}

dd_status dd__archive_next(dd__archive *d, FILE **member, const char **name,
                           dd__member_kind *kind)
{
    dd_status st = DD_OK;

    *member = NULL;
    *name = d->path;
    d->err[0] = d->mode < 0 ? d->err[0] : '\0';
    if (d->mode < 0 && (st = start(d)) != DD_OK)
        return st;
    if (d->mode == MODE_SINGLE) {
        if (d->single_done)
            return DD_END;
        d->single_done = true;
        if (set_name(d, NULL, 0) != DD_OK)
            return DD_ENOMEM;
        *kind = inner_is_jsonl(d->path) ? DD__MEMBER_JSONL : DD__MEMBER_TEXT;
        *member = open_cookie(d, false);
        st = *member ? DD_OK : DD_ENOMEM;
    } else if (d->mode == MODE_WARC) {
        st = next_warc(d, member, kind);
    } else {
        st = next_member(d, member, kind);
    }
    *name = d->name && st != DD_END ? d->name : d->path;
    return st;
}
