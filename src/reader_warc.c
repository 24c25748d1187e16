/* Reader stage, WARC: the decompressed stream of a crawl -> one document per response or
 * resource record holding HTML or plain text. Record framing (header lines, then
 * Content-Length bytes) and the HTTP message inside (status, headers, chunked coding) are
 * read here; decompression, of the file and of a Content-Encoding, is libarchive's. Every
 * length comes from the input, so every read is bounded by it and by --max-doc-bytes. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reader_archive.h"
#include "util.h"

/* ---- WARC records ------------------------------------------------------------------- */

/* One header line without CR/LF; a longer line is consumed and cut. DD_END at end of data. */
static dd_status read_line(dd__archive *d, char *line, size_t cap, size_t *len)
{
    size_t n = 0;
    bool any = false;

    for (;;) {
        ssize_t got = dd__archive_fill(d);
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
        ssize_t got = dd__archive_take(d, scratch, n < sizeof scratch ? (size_t)n : sizeof scratch);
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
        ssize_t got = dd__archive_take(d, d->payload + d->p_len, want - d->p_len);
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
dd_status dd__warc_next(dd__archive *d, FILE **member, dd__member_kind *kind)
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
        if ((st = dd__archive_set_name(d, h.uri, strlen(h.uri))) != DD_OK)
            return st;
        if (*kind == DD__MEMBER_SKIP)
            return DD_OK;
        *member = dd__archive_stream(d, true);
        return *member ? DD_OK : DD_ENOMEM;
    }
}
