/* Path lists: bytes -> array of paths. A list comes from a batch script, so the separator
 * is exact: LF (CRLF tolerated, for lists written on Windows) or NUL for names that may hold
 * a newline. Empty entries are skipped because `printf '%s\n'` of an empty list gives one. */
#include <dedup/dedup.h>

#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef struct list {
    char **v;
    size_t n, cap;
    char *buf;
    size_t len, buf_cap;
} list;

/* Close the entry in `l->buf` (dropping a CR before an LF) and append it unless empty. */
static dd_status end_entry(list *l, bool nul)
{
    char *p;

    if (!nul && l->len && l->buf[l->len - 1] == '\r')
        l->len--;
    if (!l->len)
        return DD_OK;
    if (dd__grow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v) != DD_OK)
        return DD_ENOMEM;
    p = malloc(l->len + 1);
    if (!p)
        return DD_ENOMEM;
    memcpy(p, l->buf, l->len);
    p[l->len] = '\0';
    l->v[l->n++] = p;
    l->len = 0;
    return DD_OK;
}

dd_status dd_path_list_read(FILE *f, bool nul, char ***paths, size_t *n)
{
    list l = {0};
    int sep = nul ? '\0' : '\n', c;
    dd_status st = DD_OK;

    *paths = NULL;
    *n = 0;
    while (st == DD_OK && (c = getc(f)) != EOF) {
        if (c == sep)
            st = end_entry(&l, nul);
        else if (dd__grow((void **)&l.buf, &l.buf_cap, l.len + 1, 1) != DD_OK)
            st = DD_ENOMEM;
        else
            l.buf[l.len++] = (char)c;
    }
    if (st == DD_OK)
        st = ferror(f) ? DD_EIO : end_entry(&l, nul);
    free(l.buf);
    if (st != DD_OK) {
        dd_path_list_free(l.v, l.n);
        return st;
    }
    *paths = l.v;
    *n = l.n;
    return DD_OK;
}

void dd_path_list_free(char **paths, size_t n)
{
    dd__free_strings(paths, n);
}
