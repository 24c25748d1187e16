/* Internal to reader_archive.c and reader_warc.c: the state of one open archive and the
 * buffered reading both use. reader_archive.c owns libarchive; reader_warc.c reads WARC
 * record framing and HTTP messages from the decompressed stream. */
#ifndef DEDUP_READER_ARCHIVE_H
#define DEDUP_READER_ARCHIVE_H

#include <stdio.h>
#include <sys/types.h>

#include <archive.h>
#include <archive_entry.h>

#include "reader_internal.h"

enum { MODE_MEMBERS, MODE_SINGLE, MODE_WARC };

struct dd__archive {
    struct archive *a;
    FILE *f;
    char *path;
    size_t max_bytes;
    int mode;
    bool single_done;              /* MODE_SINGLE: the one document was handed out */
    struct archive_entry *pending; /* MODE_MEMBERS: the header start() already read */
    char *name;                    /* id of the current item */
    char ahead[8192];              /* bytes read from libarchive, not yet consumed */
    size_t a_pos, a_len;
    bool eof;
    char *payload; /* WARC: the current record's document bytes */
    size_t p_len, p_cap, p_pos;
    char charset[64];
    char err[512];
};

/** Refill the read-ahead buffer when empty: bytes available, 0 at the end of the entry, -1
 *  on corrupt data (d->err says why). */
ssize_t dd__archive_fill(dd__archive *d);

/** Take up to `n` bytes of the current entry: count, 0 at its end, -1 on corrupt data. */
ssize_t dd__archive_take(dd__archive *d, char *dst, size_t n);

/** Set d->name to "PATH:MEMBER" (`member` NULL: PATH). DD_OK or DD_ENOMEM. */
dd_status dd__archive_set_name(dd__archive *d, const char *member, size_t len);

/** A stream over the current entry, or with `payload` over d->payload[0..p_len). */
FILE *dd__archive_stream(dd__archive *d, bool payload);

/** WARC mode: the next record that holds a document (reader_warc.c). */
dd_status dd__warc_next(dd__archive *d, FILE **member, dd__member_kind *kind);

#endif
