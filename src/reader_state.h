/* Internal to reader.c, reader_walk.c, reader_jsonl.c and reader_reread.c: the reader's state
 * and the helpers those files share. Every pointer a dd_doc holds is a view into the buffers
 * here (raw, text, id, title, date), valid until the next call on the same reader. */
#ifndef DEDUP_READER_STATE_H
#define DEDUP_READER_STATE_H

#include <dedup/dedup.h>

#include <fts.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "reader_internal.h"
#include "util.h"

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
    char *ib;           /* staging buffer for JSON Lines reads (STAGING bytes, reader_jsonl.c) */
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

/* ---- reader.c: the handle, errors, the raw buffer ----------------------------------- */

char *dd__reader_strdup(const char *s);
void dd__reader_clear_doc_strings(dd_reader *r);
/* Word dd_reader_error's detail; returns st. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
dd_status dd__reader_fail(dd_reader *r, dd_status st, const char *fmt, ...);
/* Grow r->raw to hold `need` bytes, never past --max-doc-bytes + 1. */
dd_status dd__reader_raw_reserve(dd_reader *r, size_t need);

/* ---- reader_walk.c: inputs, whole-file documents, folders --------------------------- */

/* First non-empty line, trimmed, cut to at most 200 bytes; malloc'd. */
char *dd__reader_first_line(const char *t, size_t len);
/* A whole stream into r->raw, never more than --max-doc-bytes + 1 bytes. */
dd_status dd__reader_read_stream(dd_reader *r, FILE *f, const char *name, size_t *len);
/* r->raw[0..len) as the text document named `name`. */
dd_status dd__reader_make_text_doc(dd_reader *r, const char *name, size_t len, dd_doc *doc);
dd_status dd__reader_open_fd(dd_reader *r, const char *path, bool regular_only, int *out,
                             struct stat *sb);
dd_status dd__reader_finish_regular(dd_reader *r, int fd, const struct stat *sb,
                                    const char *path, size_t n, bool eof, dd_doc *doc);
/* One fts step (DD_END: nothing handed out, pull again). */
dd_status dd__reader_walk_step(dd_reader *r, dd_doc *doc);
/* Start a queued input (DD_END: a walk, JSON Lines file or archive was opened). */
dd_status dd__reader_start_input(dd_reader *r, const input *in, dd_doc *doc);

/* ---- reader_jsonl.c: JSON Lines records, standard input's spool --------------------- */

dd_status dd__reader_open_jsonl(dd_reader *r, FILE *f, bool owned, const char *name);
void dd__reader_close_jsonl(dd_reader *r);
dd_status dd__reader_spool_open(dd_reader *r, const char *name);
/* The open JSON Lines file's next record; DD_END at its end. */
dd_status dd__reader_next_record(dd_reader *r, dd_doc *doc);
/* One record line (r->jname, r->jline set) into *doc. */
dd_status dd__reader_parse_record(dd_reader *r, const char *line, size_t len, long off,
                                  dd_doc *doc);

/* ---- reader_reread.c: ids, reading again -------------------------------------------- */

dd_status dd__reader_intern_src(dd_reader *r, const char *name, uint32_t *out);
/* Note the id of the document just read (dd_reader_next), unless ids are deferred. */
dd_status dd__reader_note_read_id(dd_reader *r, const dd_doc *doc);

#endif
