/* Report stage, HTML: result (+ the texts, read again) -> one self-contained page. The page
 * has no script at all and loads nothing, so it can be mailed to an editor and opened
 * offline; its only defence against a hostile corpus is escaping, so every byte that came
 * from the corpus (ids, titles, dates, key terms, texts) goes through html_text(). */
#include <dedup/dedup.h>

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "util.h"

static const char css[] =
    "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:75em;color:#222}"
    "h1{font-size:1.6em}h2{border-top:2px solid #ccc;padding-top:.6em}"
    "table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:.2em .5em;"
    "text-align:left;vertical-align:top}th{background:#f3f3f3}td.n{text-align:right}"
    ".kept{font-weight:bold;color:#075}.dropped{color:#a30}"
    ".side{display:grid;grid-template-columns:1fr 1fr;gap:1em}"
    ".side pre{white-space:pre-wrap;font:13px/1.4 ui-monospace,monospace;background:#fafafa;"
    "border:1px solid #ddd;padding:.6em;max-height:30em;overflow:auto}"
    "mark{background:#ffe27a}mark b{color:#555;font-weight:normal;font-size:.8em}"
    "td.m{text-align:center;min-width:3.5em}.muted{color:#888}";

/* Corpus bytes as HTML text or attribute value: markup characters as entities, control
 * characters (but line breaks and tabs) as a visible \xNN, invalid UTF-8 as U+FFFD. */
static void html_text(FILE *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        unsigned char c = p[i];
        utf8proc_int32_t cp;
        utf8proc_ssize_t k;
        if (c == '&')
            fputs("&amp;", out);
        else if (c == '<')
            fputs("&lt;", out);
        else if (c == '>')
            fputs("&gt;", out);
        else if (c == '"')
            fputs("&quot;", out);
        else if (c == '\'')
            fputs("&#39;", out);
        else if (c == '\n' || c == '\t')
            fputc(c, out);
        else if (c < 0x20 || c == 0x7F)
            fprintf(out, "\\x%02x", c);
        else if (c < 0x80)
            fputc(c, out);
        else if ((k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &cp)) < 0)
            fputs("\xef\xbf\xbd", out);
        else {
            fwrite(p + i, 1, (size_t)k, out);
            i += (size_t)k;
            continue;
        }
        i++;
    }
}

static void html_str(FILE *out, const char *s)
{
    html_text(out, s, strlen(s));
}

dd_html_opts dd_html_opts_default(const dd_pipeline_opts *pipe)
{
    dd_html_opts o = {pipe, DD_KEEP_FIRST, 20, 60};
    return o;
}

/* ---- texts, read again ------------------------------------------------------------------ */

static bool same_doc(const dd_doc *d, const dd_doc_info *i)
{
    return d->line == i->line && d->len == i->bytes && strcmp(d->id, i->id) == 0 &&
           strcmp(d->source, i->source) == 0;
}

/* in[i]: document i is in a cluster; only those texts are kept, so memory follows the
 * duplicates, not the corpus. */
static bool *clustered(const dd_result *res)
{
    bool *in = calloc(res->n_docs ? res->n_docs : 1, sizeof *in);
    size_t i, n = res->clusters.count ? res->clusters.start[res->clusters.count] : 0;

    for (i = 0; in && i < n; i++)
        in[res->clusters.members[i]] = true;
    return in;
}

dd_status dd_html_texts(const dd_result *res, dd_reader *r, char ***texts)
{
    char **t = calloc(res->n_docs ? res->n_docs : 1, sizeof *t);
    bool *want = clustered(res);
    size_t k = 0;
    dd_status st = DD_OK;
    dd_doc d;

    *texts = NULL;
    if (!t || !want) {
        free(t);
        free(want);
        return DD_ENOMEM;
    }
    while (k < res->n_docs && (st = dd_reader_next(r, &d)) != DD_END && st != DD_ENOMEM) {
        size_t j;
        if (st != DD_OK)
            continue;
        for (j = k; j < res->n_docs && j < k + 2 && !same_doc(&d, &res->docs[j]); j++)
            ;
        if (j == res->n_docs || j == k + 2)
            continue; /* an empty document the pipeline skipped, or changed input */
        k = j + 1;
        if (!want[j])
            continue;
        if (!(t[j] = malloc(d.len + 1))) {
            st = DD_ENOMEM;
            break;
        }
        memcpy(t[j], d.text, d.len);
        t[j][d.len] = '\0';
    }
    free(want);
    if (st == DD_ENOMEM) {
        dd_html_texts_free(t, res->n_docs);
        return st;
    }
    *texts = t;
    return DD_OK;
}

void dd_html_texts_free(char **texts, size_t n)
{
    dd__free_strings(texts, n);
}

/* ---- page -------------------------------------------------------------------------------- */

static const char *level_name(const dd_pipeline_opts *p)
{
    return p->level == DD_LEVEL_STORIES ? "stories" : "copies";
}

static void page_head(const dd_result *res, const dd_html_opts *o, FILE *out)
{
    size_t i;

    fprintf(out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'\">\n"
            "<title>dedup report</title>\n<style>%s</style>\n</head>\n<body>\n",
            css);
    fprintf(out,
            "<h1>dedup report</h1>\n<p id=\"summary\">%zu documents read, %zu used, %zu "
            "skipped",
            res->n_inputs, res->n_docs, dd_result_skipped(res));
    for (i = 0; i < DD_SKIP_COUNT; i++)
        if (res->skipped[i])
            fprintf(out, " (%s %zu)", dd_skip_name((dd_skip_reason)i), res->skipped[i]);
    fprintf(out, "; %zu in %zu cluster%s; level %s, %zu-word shingles; dedup %s, format %d.</p>\n",
            res->n_clustered, res->clusters.count, res->clusters.count == 1 ? "" : "s",
            level_name(o->pipe), o->pipe->shingle_k, dd_version(), DD_FORMAT_VERSION);
}

static void members(const dd_result *res, const dd_html_opts *o, size_t c, FILE *out)
{
    size_t i, lo = res->clusters.start[c], hi = res->clusters.start[c + 1];
    uint32_t keep = dd_emit_representative(res, c, o->keep);

    fputs("<table class=\"members\">\n<tr><th>#</th><th>id</th><th>title</th><th>date</th>"
          "<th>bytes</th><th>words</th><th>--keep</th></tr>\n",
          out);
    for (i = lo; i < hi; i++) {
        uint32_t m = res->clusters.members[i];
        const dd_doc_info *d = &res->docs[m];
        fprintf(out, "<tr><td class=\"n\">%zu</td><td class=\"id\">", i - lo + 1);
        html_str(out, d->id);
        fputs("</td><td class=\"title\">", out);
        html_str(out, d->title);
        fputs("</td><td>", out);
        html_str(out, d->date ? d->date : "");
        fprintf(out,
                "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"%s\">%s"
                "</td></tr>\n",
                d->bytes, d->tokens, m == keep ? "kept" : "dropped",
                m == keep ? "kept" : "dropped");
    }
    fputs("</table>\n", out);
}

/* The verified pair (a, b), or NULL: pairs are sorted by (a, b). */
static const dd_pair_score *find_pair(const dd_result *res, uint32_t a, uint32_t b)
{
    size_t lo = 0, hi = res->n_pairs;

    if (a > b) {
        uint32_t t = a;
        a = b;
        b = t;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const dd_pair_score *p = &res->pairs[mid];
        if (p->a < a || (p->a == a && p->b < b))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < res->n_pairs && res->pairs[lo].a == a && res->pairs[lo].b == b ? &res->pairs[lo]
                                                                               : NULL;
}

/* Member-by-member matrix of the reported pair scores: story similarity at the stories
 * level, Jaccard at the copies level; "·" for two members never compared directly (they
 * are in one cluster through others). */
static void matrix(const dd_result *res, const dd_html_opts *o, size_t c, FILE *out)
{
    size_t i, j, lo = res->clusters.start[c], hi = res->clusters.start[c + 1];
    bool stories = o->pipe->level == DD_LEVEL_STORIES;

    if (o->max_matrix && hi - lo > o->max_matrix) {
        fprintf(out, "<p class=\"muted\">No matrix: %zu members (more than %zu).</p>\n", hi - lo,
                o->max_matrix);
        return;
    }
    fprintf(out, "<table class=\"matrix\"><caption>%s</caption>\n<tr><th></th>",
            stories ? "story similarity" : "Jaccard");
    for (j = lo; j < hi; j++)
        fprintf(out, "<th>%zu</th>", j - lo + 1);
    fputs("</tr>\n", out);
    for (i = lo; i < hi; i++) {
        fprintf(out, "<tr><th>%zu</th>", i - lo + 1);
        for (j = lo; j < hi; j++) {
            const dd_pair_score *p =
                i == j ? NULL : find_pair(res, res->clusters.members[i], res->clusters.members[j]);
            if (i == j)
                fputs("<td class=\"m muted\">—</td>", out);
            else if (!p)
                fputs("<td class=\"m muted\">·</td>", out);
            else
                fprintf(out, "<td class=\"m\">%.4f</td>", stories ? p->similarity : p->jaccard);
        }
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
}

/* One text with the passages marked; `b` picks each passage's B side. Passages of B are not
 * in B's text order, so the next one is looked up by position each time. */
static void marked(const char *text, const dd_explain *e, bool b, FILE *out)
{
    size_t at = 0, len = strlen(text);

    fputs("<pre>", out);
    for (;;) {
        size_t best = dd_explain_next(e, b, at), off, n;
        if (best == SIZE_MAX)
            break;
        off = b ? e->passages[best].b_off : e->passages[best].a_off;
        n = b ? e->passages[best].b_len : e->passages[best].a_len;
        html_text(out, text + at, off - at);
        fprintf(out, "<mark><b>%zu</b> ", best + 1);
        html_text(out, text + off, n);
        fputs("</mark>", out);
        at = off + n;
    }
    html_text(out, text + at, len - at);
    fputs("</pre>", out);
}

static dd_status pair_block(const dd_result *res, char *const *texts, const dd_html_opts *o,
                            size_t c, const dd_pair_score *p, FILE *out)
{
    size_t lo = res->clusters.start[c], na = 0, nb = 0, i;
    dd_explain *e = NULL;
    dd_status st = DD_OK;

    for (i = lo; i < res->clusters.start[c + 1]; i++) {
        na = res->clusters.members[i] == p->a ? i - lo + 1 : na;
        nb = res->clusters.members[i] == p->b ? i - lo + 1 : nb;
    }
    fprintf(out, "<div class=\"pair\">\n<h3>[%zu] ~ [%zu]:", na, nb);
    if (p->similarity >= 0)
        fprintf(out, " story similarity %.4f,", p->similarity);
    fprintf(out, " Jaccard %.4f, containment %.4f%s</h3>\n", p->jaccard, p->containment,
            p->similarity >= 0 && p->copy ? " (copy)" : "");
    if (!texts || !texts[p->a] || !texts[p->b]) {
        fputs("<p class=\"muted\">Texts not available (standard input, or an input that "
              "changed).</p>\n</div>\n",
              out);
        return DD_OK;
    }
    st = dd_explain_passages(o->pipe, texts[p->a], strlen(texts[p->a]), texts[p->b],
                             strlen(texts[p->b]), &e);
    if (st == DD_EEMPTY)
        return DD_OK;
    if (st != DD_OK)
        return st;
    fprintf(out,
            "<p>%zu shared passage%s: %zu of %zu words of [%zu], %zu of %zu words of "
            "[%zu].</p>\n<div class=\"side\">",
            e->n_passages, e->n_passages == 1 ? "" : "s", e->shared_a, e->words_a, na, e->shared_b,
            e->words_b, nb);
    marked(texts[p->a], e, false, out);
    marked(texts[p->b], e, true, out);
    fputs("</div>\n</div>\n", out);
    dd_explain_free(e);
    return DD_OK;
}

static dd_status cluster(const dd_result *res, char *const *texts, const dd_html_opts *o,
                         const size_t *of, size_t c, FILE *out)
{
    size_t i, shown = 0, more = 0;
    dd_status st = DD_OK;

    fprintf(out,
            "<section class=\"cluster\" id=\"cluster-%zu\">\n<h2>Cluster %zu: %zu "
            "documents</h2>\n",
            c + 1, c + 1, res->clusters.start[c + 1] - res->clusters.start[c]);
    if (res->key_terms && res->key_terms[c][0]) {
        fputs("<p class=\"terms\">Key terms: ", out);
        html_str(out, res->key_terms[c]);
        fputs("</p>\n", out);
    }
    members(res, o, c, out);
    matrix(res, o, c, out);
    for (i = 0; st == DD_OK && i < res->n_pairs; i++) {
        const dd_pair_score *p = &res->pairs[i];
        if (of[p->a] != c || of[p->b] != c)
            continue;
        if (o->max_pairs && shown == o->max_pairs)
            more++;
        else if ((st = pair_block(res, texts, o, c, p, out)) == DD_OK)
            shown++;
    }
    if (more)
        fprintf(out, "<p class=\"muted\">… %zu more pairs (see the matrix).</p>\n", more);
    fputs("</section>\n", out);
    return st;
}

dd_status dd_report_html_write(const dd_result *res, char *const *texts, const dd_html_opts *o,
                               FILE *out)
{
    size_t *of = malloc((res->n_docs ? res->n_docs : 1) * sizeof *of), c, i;
    dd_status st = DD_OK;

    if (!of)
        return DD_ENOMEM;
    for (i = 0; i < res->n_docs; i++)
        of[i] = SIZE_MAX;
    for (c = 0; c < res->clusters.count; c++)
        for (i = res->clusters.start[c]; i < res->clusters.start[c + 1]; i++)
            of[res->clusters.members[i]] = c;
    page_head(res, o, out);
    if (!res->clusters.count)
        fputs("<p>No near-duplicates found.</p>\n", out);
    for (c = 0; st == DD_OK && c < res->clusters.count; c++)
        st = cluster(res, texts, o, of, c, out);
    fputs("</body>\n</html>\n", out);
    free(of);
    return st == DD_OK && ferror(out) ? DD_EIO : st;
}
