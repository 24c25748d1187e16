/* `dedup explain A B`: the evidence for (or against) one pair, for an editor at a terminal.
 * The library computes scores and passages (dd_explain_pair); this file only reads the two
 * documents and lays them out: scores, then each shared passage of A beside its match in B,
 * then both texts with the passages marked (colour on a terminal, [n[ ... ]n] otherwise). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define HL_ON "\033[1;33m"
#define HL_OFF "\033[0m"

typedef struct xdoc {
    char *id, *title, *text;
    size_t len;
} xdoc;

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);

    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* Read every document of the PATHs; keep the first two. Returns how many there were. */
static size_t read_docs(dd_reader *r, const cli_opts *o, xdoc *d, dd_status *st)
{
    size_t n = 0;
    dd_doc doc;

    while ((*st = dd_reader_next(r, &doc)) != DD_END) {
        if (*st == DD_ENOMEM)
            return n;
        if (*st != DD_OK) {
            if (o->verbosity > 0)
                fprintf(stderr, "dedup: %s\n", dd_reader_error(r));
            continue;
        }
        if (n < 2) {
            d[n].id = dup_n(doc.id, strlen(doc.id));
            d[n].title = dup_n(doc.title, strlen(doc.title));
            d[n].text = dd_doc_compared_text(&doc, &d[n].len); /* as the pipeline sees it */
            if (!d[n].id || !d[n].title || !d[n].text) {
                *st = DD_ENOMEM;
                return n + 1;
            }
        }
        n++;
    }
    *st = DD_OK;
    return n;
}

/* Bytes for a terminal: control characters as \xNN, so a text cannot move the cursor; with
 * `flat`, line breaks and tabs become spaces (one passage, one line). */
static void put_text(const char *s, size_t n, bool flat)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c == '\n' || c == '\t' || c == '\r') && flat)
            putchar(' ');
        else if (c == '\n' || c == '\t')
            putchar(c);
        else if (c < 0x20 || c == 0x7F)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
}

static void mark(bool color, size_t no, bool open)
{
    if (color)
        fputs(open ? HL_ON : HL_OFF, stdout);
    else
        printf(open ? "[%zu[" : "]%zu]", no);
}

/* Text `d` with each passage marked; `b` picks the B side of each passage. Passages of B are
 * not in B's text order, so they are visited by position. */
static void marked_text(const xdoc *d, const dd_explain *e, bool b, bool color)
{
    size_t at = 0;

    for (;;) {
        size_t best = dd_explain_next(e, b, at), off, len;
        if (best == SIZE_MAX)
            break;
        off = b ? e->passages[best].b_off : e->passages[best].a_off;
        len = b ? e->passages[best].b_len : e->passages[best].a_len;
        put_text(d->text + at, off - at, false);
        mark(color, best + 1, true);
        put_text(d->text + off, len, false);
        mark(color, best + 1, false);
        at = off + len;
    }
    put_text(d->text + at, d->len - at, false);
    putchar('\n');
}

static void print_head(const xdoc *d, const char *label)
{
    printf("%s  ", label);
    put_text(d->id, strlen(d->id), true);
    printf("\n   ");
    put_text(d->title, strlen(d->title), true);
    putchar('\n');
}

static void print_facts(const char *label, const char *facts)
{
    fputs(label, stdout);
    put_text(facts[0] ? facts : "none", strlen(facts[0] ? facts : "none"), true);
    putchar('\n');
}

static void print_scores(const cli_opts *o, const dd_explain *e)
{
    printf("\nstory similarity  %.4f%s\n", e->similarity,
           e->similarity > 0 ? "" : " (no shared key term)");
    if (e->facts_both) { /* names and figures: why one development, or why not */
        print_facts("facts in both     ", e->facts_both);
        print_facts("facts only in A   ", e->facts_a);
        print_facts("facts only in B   ", e->facts_b);
        printf("quoted words      %zu runs in A, %zu in B, %zu in both\n", e->quotes_a, e->quotes_b,
               e->quotes_shared);
    }
    printf("jaccard           %.4f  (%zu-word shingles: %zu in A, %zu in B, %zu shared)\n",
           e->copies.jaccard, o->pipe.shingle_k, e->shingles_a, e->shingles_b, e->copies.inter);
    printf("containment       %.4f\n", e->copies.containment);
    printf("copy              %s (jaccard >= %.2f or containment >= %.2f)\n",
           e->copy ? "yes" : "no", o->pipe.threshold,
           o->pipe.containment > 1 ? 1.0 : o->pipe.containment);
    printf("shared passages   %zu, covering %zu of %zu words of A and %zu of %zu words of B\n",
           e->n_passages, e->shared_a, e->words_a, e->shared_b, e->words_b);
}

static void print_explain(const cli_opts *o, const xdoc *d, const dd_explain *e)
{
    bool color = o->color;
    size_t i;

    print_head(&d[0], "A");
    print_head(&d[1], "B");
    print_scores(o, e);
    for (i = 0; i < e->n_passages; i++) {
        const dd_passage *p = &e->passages[i];
        printf("\npassage %zu (%zu words)\n  A: ", i + 1, p->words);
        mark(color, i + 1, true);
        put_text(d[0].text + p->a_off, p->a_len, true);
        mark(color, i + 1, false);
        fputs("\n  B: ", stdout);
        mark(color, i + 1, true);
        put_text(d[1].text + p->b_off, p->b_len, true);
        mark(color, i + 1, false);
        putchar('\n');
    }
    fputs("\n--- A, shared passages marked\n", stdout);
    marked_text(&d[0], e, false, color);
    fputs("\n--- B, shared passages marked\n", stdout);
    marked_text(&d[1], e, true, color);
}

static dd_status add_inputs(dd_reader *r, const cli_opts *o)
{
    size_t i;
    dd_status st = DD_OK;

    for (i = 0; st == DD_OK && i < o->n_paths + o->n_listed; i++)
        st = dd_reader_add_path(r, i < o->n_paths ? o->paths[i] : o->listed[i - o->n_paths]);
    return st;
}

int cli_explain(cli_opts *o)
{
    xdoc d[2] = {{0}, {0}};
    dd_reader *r = NULL;
    dd_explain *e = NULL;
    size_t n = 0, i;
    int rc = CLI_ERROR;
    dd_status st;

    if (o->files_from && (rc = cli_read_list(o)) >= 0)
        return rc;
    st = dd_reader_new(&o->reader, &r);
    if (st == DD_OK)
        st = add_inputs(r, o);
    if (st == DD_OK)
        n = read_docs(r, o, d, &st);
    dd_reader_free(r);
    if (st == DD_OK && n != 2)
        rc = cli_usage_error("explain needs exactly two documents, the PATHs hold %zu", n);
    else if (st == DD_OK)
        st = dd_explain_pair(&o->pipe, d[0].text, d[0].len, d[1].text, d[1].len, &e);
    if (st == DD_EEMPTY)
        fprintf(stderr, "dedup: explain: a document has no words\n");
    else if (st != DD_OK)
        fprintf(stderr, "dedup: %s\n", dd_strerror(st));
    if (e) {
        print_explain(o, d, e);
        rc = cli_stdout_done();
    }
    dd_explain_free(e);
    for (i = 0; i < 2; i++) {
        free(d[i].id);
        free(d[i].title);
        free(d[i].text);
    }
    return rc;
}
