/* Fuzz target: the reader over arbitrary bytes in a regular file, so compressed files, tar,
 * zip and WARC inputs (reader_archive.c, reader_html.c) see hostile data. Checks: every
 * result is a document or one per-item status (never DD_ENOMEM at this size), documents are
 * valid UTF-8 with a one-line valid title, JSON Lines records carry their raw line, ids start
 * with the file's path, and the reader ends. */
#include <dedup/dedup.h>

#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"

static void check_doc(const dd_doc *d, const char *path)
{
    FUZZ_CHECK(fuzz_valid_utf8(d->text, d->len));
    FUZZ_CHECK(fuzz_valid_utf8(d->title, strlen(d->title)));
    FUZZ_CHECK(strchr(d->title, '\n') == NULL || d->line == 0);
    FUZZ_CHECK(strncmp(d->source, path, strlen(path)) == 0);
    if (d->line)
        FUZZ_CHECK(d->record != NULL || d->record_off >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/dedup-fuzz-XXXXXX";
    dd_reader_opts o = dd_reader_opts_default();
    dd_reader *r = NULL;
    size_t items = 0;
    dd_status st;
    dd_doc d;
    int fd = mkstemp(path);

    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    o.max_doc_bytes = 1 << 16;
    FUZZ_CHECK(dd_reader_new(&o, &r) == DD_OK);
    FUZZ_CHECK(dd_reader_add_path(r, path) == DD_OK);
    while ((st = dd_reader_next(r, &d)) != DD_END) {
        FUZZ_CHECK(st != DD_ENOMEM);
        if (st == DD_OK)
            check_doc(&d, path);
        FUZZ_CHECK(++items < 1000000);
    }
    dd_reader_free(r);
    unlink(path);
    return 0;
}
