/* Reader stage: paths -> dd_doc stream. This file holds the handle (options, queued inputs,
 * errors, the raw buffer) and the loop that pulls items from the open JSON Lines file
 * (reader_jsonl.c), archive, folder walk or next input (reader_walk.c). Every item yielded,
 * good or bad, is one call's result: a document or one error status, so a caller that
 * counts results accounts for every input item exactly once. */
#include <dedup/dedup.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader_state.h"

dd_reader_opts dd_reader_opts_default(void)
{
    dd_reader_opts o;

    memset(&o, 0, sizeof o);
    o.max_doc_bytes = (size_t)64 << 20;
    o.id_field = "id";
    o.text_field = "text";
    o.title_field = "title";
    o.date_field = "date";
    o.stdin_format = DD_STDIN_TEXT;
    o.spool_stdin = true;
    o.keep_records = true;
    return o;
}

char *dd__reader_strdup(const char *s)
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
    dd__strmap_init(&r->ids);
    dd__arena_init(&r->src_names);
    r->rfd = -1;
    r->spool_fd = -1;
    r->o = opts ? *opts : dd_reader_opts_default();
    f[0] = r->o.id_field ? r->o.id_field : "id";
    f[1] = r->o.text_field ? r->o.text_field : "text";
    f[2] = r->o.title_field ? r->o.title_field : "title";
    f[3] = r->o.date_field ? r->o.date_field : "date";
    for (i = 0; i < 4; i++) {
        r->fields[i] = dd__reader_strdup(f[i]);
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
    in->path = path ? dd__reader_strdup(path) : NULL;
    in->name = dd__reader_strdup(name);
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

void dd_reader_swap_warning(dd_reader *r, dd_reader_warn_fn fn, void *ud,
                            dd_reader_warn_fn *old_fn, void **old_ud)
{
    if (old_fn)
        *old_fn = r->o.on_warning;
    if (old_ud)
        *old_ud = r->o.warning_ud;
    r->o.on_warning = fn;
    r->o.warning_ud = ud;
}

const char *dd_reader_error(const dd_reader *r)
{
    return r->err;
}

void dd__reader_clear_doc_strings(dd_reader *r)
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
    dd__archive_close(r->ar);
    for (i = 0; i < r->n_inputs; i++) {
        free(r->inputs[i].path);
        free(r->inputs[i].name);
    }
    for (i = 0; i < 4; i++)
        free(r->fields[i]);
    free(r->inputs);
    free(r->walk_root);
    free(r->jname);
    free(r->rname);
    if (r->rfd >= 0)
        close(r->rfd);
    if (r->spool)
        fclose(r->spool);
    if (r->spool_fd >= 0)
        close(r->spool_fd);
    free(r->spool_name);
    free(r->raw);
    free(r->ib);
    dd__reader_clear_doc_strings(r);
    dd__strmap_free(&r->ids);
    free(r->seen);
    free(r->srcs);
    dd__arena_free(&r->src_names);
    free(r);
}

dd_status dd__reader_fail(dd_reader *r, dd_status st, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return st;
}

/* Grow r->raw to hold `need` bytes. With a size limit the buffer never grows past
 * limit + 1 (enough to see that a document is over it), so memory stays bounded by
 * --max-doc-bytes however large the input is. */
dd_status dd__reader_raw_reserve(dd_reader *r, size_t need)
{
    size_t limit = r->o.max_doc_bytes, cap;
    char *p;

    if (need <= r->raw_cap)
        return DD_OK;
    if (!limit || limit == SIZE_MAX)
        return dd__grow((void **)&r->raw, &r->raw_cap, need, 1);
    cap = r->raw_cap ? r->raw_cap : 4096;
    while (cap < need && cap <= limit && cap <= SIZE_MAX / 2)
        cap *= 2;
    if (cap > limit + 1)
        cap = limit + 1;
    if (cap < need)
        cap = need;
    p = realloc(r->raw, cap);
    if (!p)
        return DD_ENOMEM;
    r->raw = p;
    r->raw_cap = cap;
    return DD_OK;
}

/* ---- warnings ---------------------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void warn(dd_reader *r, const char *fmt, ...)
{
    char msg[1200];
    va_list ap;

    if (!r->o.on_warning)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->o.on_warning(r->o.warning_ud, msg);
}

/* ---- iteration --------------------------------------------------------------------- */

/* A WARC page: its HTML becomes text (reader_html.c) and its <title> the title. */
static dd_status html_doc(dd_reader *r, const char *name, size_t len, dd_doc *doc)
{
    char *text = NULL, *title = NULL;
    size_t n = 0;
    dd_status st = dd__html_to_text(r->raw, len, dd__archive_charset(r->ar), &text, &n, &title);

    if (st == DD_OK && (st = dd__reader_raw_reserve(r, n + 1)) == DD_OK) {
        memcpy(r->raw, text, n + 1);
        st = dd__reader_make_text_doc(r, name, n, doc);
    }
    if (st == DD_OK && title && *title) {
        /* libxml2 passes some invalid bytes through; the title must be UTF-8 like the text */
        char *t = NULL;
        size_t tn = 0;
        const char *w;
        st = dd_decode_text(title, strlen(title), &t, &tn, &w);
        if (st == DD_OK) {
            free(r->title);
            r->title = t;
            doc->title = t;
        }
        st = st == DD_EBINARY ? DD_OK : st;
    }
    free(text);
    free(title);
    return st;
}

/* One item of the open archive. DD_END: a JSON Lines member was opened, or the archive is
 * done (closed); either way, pull again. Corrupt data ends the archive as one item. */
static dd_status archive_step(dd_reader *r, dd_doc *doc)
{
    dd__member_kind kind = DD__MEMBER_TEXT;
    const char *name = NULL;
    FILE *m = NULL;
    size_t len = 0;
    dd_status st = dd__archive_next(r->ar, &m, &name, &kind);

    if (st == DD_EIO || st == DD_END)
        r->bytes_done += dd__archive_bytes(r->ar);
    if (st == DD_EIO) {
        st = dd__reader_fail(r, DD_EIO, "%s: %s, skipped", name ? name : "archive",
                             dd__archive_error(r->ar));
        dd__archive_close(r->ar);
        r->ar = NULL;
        return st;
    }
    if (st == DD_END) {
        dd__archive_close(r->ar);
        r->ar = NULL;
    }
    if (st != DD_OK)
        return st;
    if (kind == DD__MEMBER_SKIP)
        return dd__reader_fail(r, DD_EIO, "%s: %s, skipped", name, dd__archive_error(r->ar));
    if (kind == DD__MEMBER_JSONL) {
        st = dd__reader_open_jsonl(r, m, true, name);
        r->jcopy = true;
        return st == DD_OK ? DD_END : st;
    }
    st = dd__reader_read_stream(r, m, name, &len);
    fclose(m);
    if (st != DD_OK)
        return st;
    return kind == DD__MEMBER_HTML ? html_doc(r, name, len, doc)
                                   : dd__reader_make_text_doc(r, name, len, doc);
}

static dd_status next_item(dd_reader *r, dd_doc *doc)
{
    for (;;) {
        dd_status st;

        if (r->jf) {
            st = dd__reader_next_record(r, doc);
            if (st != DD_END) {
                r->jitems++;
                return st;
            }
            dd__reader_close_jsonl(r);
            if (!r->jitems)
                warn(r, "%s: warning: no JSON Lines records", r->jname);
            continue;
        }
        if (r->ar)
            st = archive_step(r, doc);
        else if (r->fts)
            st = dd__reader_walk_step(r, doc);
        else if (r->next_input < r->n_inputs)
            st = dd__reader_start_input(r, &r->inputs[r->next_input++], doc);
        else
            return DD_END;
        if (st != DD_END)
            return st;
    }
}

/* Each result is one item; the callback gets the bytes of finished files plus the position
 * in the open JSON Lines file or archive. */
dd_status dd_reader_next(dd_reader *r, dd_doc *doc)
{
    dd_status st = next_item(r, doc);
    unsigned long long open_bytes = 0;

    if (st == DD_END || !r->o.on_progress)
        return st;
    r->items++;
    if (r->jf && !r->jcopy)
        open_bytes += r->jpos;
    if (r->ar)
        open_bytes += dd__archive_bytes(r->ar);
    r->o.on_progress(r->o.progress_ud, r->items, r->bytes_done + open_bytes);
    return st;
}
