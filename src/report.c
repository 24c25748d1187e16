/* Report stage: text, JSON Lines and CSV writers over a finished dd_result. Nothing here
 * decides anything; it only renders, escaping every string that came from the corpus. */
#include <dedup/dedup.h>

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

dd_report_opts dd_report_opts_default(void)
{
    dd_report_opts o = {DD_FORMAT_TEXT, DD_LEVEL_COPIES, true, 20, NULL};
    return o;
}

static const char *level_name(dd_level l)
{
    return l == DD_LEVEL_STORIES ? "stories" : "copies";
}

void dd_report_json_string(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s), i = 0;

    fputc('"', out);
    while (i < len) {
        unsigned char c = p[i];
        utf8proc_int32_t cp;
        utf8proc_ssize_t k;

        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
        } else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\r')
            fputs("\\r", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 0x20 || c == 0x7F)
            fprintf(out, "\\u%04x", c);
        else if (c < 0x80)
            fputc(c, out);
        else if ((k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp)) < 0)
            fputs("\\ufffd", out);
        else {
            fwrite(p + i, 1, (size_t)k, out);
            i += (size_t)k;
            continue;
        }
        i++;
    }
    fputc('"', out);
}

/* One CSV byte. Control bytes other than CR and LF are written as \xNN: a spreadsheet or a
 * terminal showing the file must not act on ESC or BEL from an id. CR and LF stay, inside
 * quotes, because RFC 4180 allows them there and an id may really hold a line break. */
static void csv_byte(FILE *out, unsigned char c)
{
    if ((c < 0x20 && c != '\r' && c != '\n') || c == 0x7F)
        fprintf(out, "\\x%02x", c);
    else
        fputc(c, out);
}

void dd_report_csv_field(FILE *out, const char *s)
{
    bool quote = strpbrk(s, ",\"\r\n") || s[0] == ' ' || (*s && s[strlen(s) - 1] == ' ');

    if (quote)
        fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        csv_byte(out, (unsigned char)*s);
    }
    if (quote)
        fputc('"', out);
}

/* Text output: control characters are shown as \xNN so a title cannot move the cursor. */
static void text_safe(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7F)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
}

/* cluster_of[i]: cluster index of document i, or SIZE_MAX. */
static size_t *cluster_index(const dd_result *res)
{
    size_t *of = malloc((res->n_docs ? res->n_docs : 1) * sizeof *of), c, i;

    if (!of)
        return NULL;
    for (i = 0; i < res->n_docs; i++)
        of[i] = SIZE_MAX;
    for (c = 0; c < res->clusters.count; c++)
        for (i = res->clusters.start[c]; i < res->clusters.start[c + 1]; i++)
            of[res->clusters.members[i]] = c;
    return of;
}

/* The pairs inside each cluster, in pair order: pairs of cluster c are
 * idx[start[c] .. start[c + 1]). A counting sort by cluster, so a report lists each cluster's
 * pairs without scanning every pair per cluster (that scan took minutes at a million
 * documents). */
typedef struct pair_index {
    size_t *start, *idx;
} pair_index;

static bool index_pairs(const dd_result *res, const size_t *of, pair_index *pi)
{
    size_t i, c, n = res->clusters.count;

    pi->start = calloc(n + 2, sizeof *pi->start);
    pi->idx = malloc((res->n_pairs ? res->n_pairs : 1) * sizeof *pi->idx);
    if (!pi->start || !pi->idx)
        return false;
    for (i = 0; i < res->n_pairs; i++) {
        c = of[res->pairs[i].a];
        if (c != SIZE_MAX && of[res->pairs[i].b] == c)
            pi->start[c + 2]++;
    }
    for (c = 2; c < n + 2; c++)
        pi->start[c] += pi->start[c - 1];
    for (i = 0; i < res->n_pairs; i++) {
        c = of[res->pairs[i].a];
        if (c != SIZE_MAX && of[res->pairs[i].b] == c)
            pi->idx[pi->start[c + 1]++] = i;
    }
    return true;
}

/* Position of doc inside cluster c (1-based), for the text report's [n] labels. */
static size_t member_no(const dd_result *res, size_t c, uint32_t doc)
{
    size_t i;

    for (i = res->clusters.start[c]; i < res->clusters.start[c + 1]; i++)
        if (res->clusters.members[i] == doc)
            return i - res->clusters.start[c] + 1;
    return 0;
}

/* Stories: the groups of near-copies inside cluster c, as "[1] [3]; [2] [5]". */
static void text_copy_groups(const dd_result *res, size_t c, FILE *out)
{
    size_t i, j, lo = res->clusters.start[c], hi = res->clusters.start[c + 1];
    bool any = false;

    for (i = lo; res->near_copy && i < hi; i++) {
        uint32_t g = res->near_copy[res->clusters.members[i]], n = 0;
        if (g != res->clusters.members[i])
            continue; /* listed from the group's smallest member */
        for (j = i; j < hi; j++)
            n += res->near_copy[res->clusters.members[j]] == g;
        if (n < 2 || n == hi - lo)
            continue;
        fputs(any ? ";" : "  near-copies:", out);
        for (j = i; j < hi; j++)
            if (res->near_copy[res->clusters.members[j]] == g)
                fprintf(out, " [%zu]", j - lo + 1);
        any = true;
    }
    if (any)
        fputc('\n', out);
}

static void text_pair(const dd_result *res, size_t c, const dd_pair_score *p, FILE *out)
{
    fprintf(out, "  [%zu]~[%zu]", member_no(res, c, p->a), member_no(res, c, p->b));
    if (p->similarity >= 0)
        fprintf(out, " similarity %.4f", p->similarity);
    fprintf(out, " jaccard %.4f containment %.4f%s\n", p->jaccard, p->containment,
            p->similarity < 0 ? "" : p->copy ? " (copy)" : " (rewrite)");
    if (p->facts_both && (p->facts_both[0] || p->facts_a[0] || p->facts_b[0])) {
        fputs("      facts in both: ", out);
        text_safe(out, p->facts_both[0] ? p->facts_both : "none");
        if (p->facts_a[0]) {
            fprintf(out, "; only [%zu]: ", member_no(res, c, p->a));
            text_safe(out, p->facts_a);
        }
        if (p->facts_b[0]) {
            fprintf(out, "; only [%zu]: ", member_no(res, c, p->b));
            text_safe(out, p->facts_b);
        }
        fputc('\n', out);
    }
}

/* Length of a leading dateline ("2024-12-05 " or "date 2024-12-05 ") in a headline: the text
 * report shows the date apart, so the headline starts with its first word. */
static size_t dateline(const char *t)
{
    size_t i = strncmp(t, "date ", 5) == 0 ? 5 : 0, k;

    for (k = 0; k < 10; k++) {
        char c = t[i + k];
        if (k == 4 || k == 7 ? c != '-' : c < '0' || c > '9')
            return 0;
    }
    return t[i + 10] == ' ' || t[i + 10] == '\0' ? i + 10 : 0;
}

/* A headline for a person: the dateline's date in parentheses, then at most ~100 bytes of
 * the line, cut after a whole word (and never inside a UTF-8 sequence) with an ellipsis. */
static void text_headline(FILE *out, const char *title)
{
    enum { MAX = 100 };
    size_t dl = dateline(title), len, cut;
    char buf[MAX + 8];

    if (dl) {
        fprintf(out, "(%.10s) ", title + dl - 10);
        title += dl;
        while (*title == ' ')
            title++;
    }
    len = strlen(title);
    if (len <= MAX) {
        text_safe(out, title);
        return;
    }
    for (cut = MAX; cut > MAX / 2 && title[cut] != ' '; cut--)
        ;
    if (title[cut] != ' ') /* one long word: cut at a character boundary */
        for (cut = MAX; cut > 0 && ((unsigned char)title[cut] & 0xC0) == 0x80; cut--)
            ;
    memcpy(buf, title, cut);
    buf[cut] = '\0';
    text_safe(out, buf);
    fputs("\xe2\x80\xa6", out); /* U+2026 HORIZONTAL ELLIPSIS */
}

/* The cluster's first line says what it is; at the stories level a "why" line follows: how
 * many versions of the story there are (groups of near-copies count once) and the mean story
 * similarity over every pair of members (pairs not scored count 0, as in clustering). */
static void text_verdict(const dd_result *res, const pair_index *pi, size_t c, FILE *out)
{
    size_t i, lo = res->clusters.start[c], hi = res->clusters.start[c + 1], n = hi - lo;
    size_t versions = 0, copies = 0, all = n * (n - 1) / 2;
    double sum = 0, max_j = 0;

    if (!res->near_copy) {
        fprintf(out, "cluster %zu: %zu documents, copies of one text\n", c + 1, n);
        return;
    }
    for (i = lo; i < hi; i++)
        versions += res->near_copy[res->clusters.members[i]] == res->clusters.members[i];
    for (i = pi->start[c]; i < pi->start[c + 1]; i++) {
        const dd_pair_score *p = &res->pairs[pi->idx[i]];
        sum += p->similarity;
        copies += p->copy;
        max_j = p->copy || p->jaccard < max_j ? max_j : p->jaccard;
    }
    if (versions == 1)
        fprintf(out, "cluster %zu: %zu documents, one story, all copies of one text\n", c + 1,
                n);
    else
        fprintf(out, "cluster %zu: %zu documents, one story in %zu versions%s\n", c + 1, n,
                versions, copies ? " (near-copies listed below)" : "");
    fprintf(out, "  why: mean story similarity %.2f over all %zu pairs", sum / (double)all, all);
    if (versions > 1 && max_j < 0.01)
        fputs("; the versions share almost none of their wording (shingle Jaccard under 1%), "
              "so they are rewrites, not copies",
              out);
    else if (versions > 1)
        fprintf(out, "; the versions share at most %.0f%% of their wording (shingle Jaccard), "
                     "so they are rewrites, not copies",
                100 * max_j);
    fputc('\n', out);
}

static void text_cluster(const dd_result *res, const dd_report_opts *o, const pair_index *pi,
                         size_t c, FILE *out)
{
    size_t i, lo = res->clusters.start[c], hi = res->clusters.start[c + 1], shown = 0, more = 0;

    text_verdict(res, pi, c, out);
    if (res->key_terms && res->key_terms[c][0]) {
        fputs("  key terms: ", out);
        text_safe(out, res->key_terms[c]);
        fputc('\n', out);
    }
    for (i = lo; i < hi; i++) {
        const dd_doc_info *d = &res->docs[res->clusters.members[i]];
        fprintf(out, "  [%zu] ", i - lo + 1);
        if (o->stored && o->stored[res->clusters.members[i]])
            fputs("(stored) ", out);
        text_safe(out, d->id);
        fputs("\n      ", out);
        text_headline(out, d->title);
        fputc('\n', out);
    }
    text_copy_groups(res, c, out);
    for (i = pi->start[c]; i < pi->start[c + 1]; i++) {
        const dd_pair_score *p = &res->pairs[pi->idx[i]];
        if (o->max_pairs && shown == o->max_pairs) {
            more++;
            continue;
        }
        text_pair(res, c, p, out);
        shown++;
    }
    if (more)
        fprintf(out, "  ... %zu more pairs\n", more);
    fputc('\n', out);
}

static void text_summary(const dd_result *res, FILE *out)
{
    size_t i;

    fprintf(out, "summary: %zu documents read, %zu used, %zu skipped", res->n_inputs,
            res->n_docs, dd_result_skipped(res));
    for (i = 0; i < DD_SKIP_COUNT; i++)
        if (res->skipped[i])
            fprintf(out, " (%s %zu)", dd_skip_name((dd_skip_reason)i), res->skipped[i]);
    fprintf(out, ", %zu in %zu cluster%s\n", res->n_clustered, res->clusters.count,
            res->clusters.count == 1 ? "" : "s");
}

static void jsonl_doc(const dd_doc_info *d, bool stored, FILE *out)
{
    fputs("{\"id\":", out);
    dd_report_json_string(out, d->id);
    fputs(",\"title\":", out);
    dd_report_json_string(out, d->title);
    if (d->date) {
        fputs(",\"date\":", out);
        dd_report_json_string(out, d->date);
    }
    fprintf(out, ",\"bytes\":%zu,\"words\":%zu%s}", d->bytes, d->tokens,
            stored ? ",\"stored\":true" : "");
}

/* "a, b, c" -> ,"name":["a","b","c"] */
static void jsonl_list(const char *name, const char *terms, FILE *out)
{
    char buf[64];
    bool first = true;

    fprintf(out, ",\"%s\":[", name);
    while (*terms) {
        const char *end = strstr(terms, ", ");
        size_t n = end ? (size_t)(end - terms) : strlen(terms);
        if (n >= sizeof buf)
            n = sizeof buf - 1;
        memcpy(buf, terms, n);
        buf[n] = '\0';
        if (!first)
            fputc(',', out);
        dd_report_json_string(out, buf);
        first = false;
        terms = end ? end + 2 : terms + strlen(terms);
    }
    fputc(']', out);
}

/* ,"copy_groups":[["id","id"],...]: near-copies inside the story, groups of two or more. */
static void jsonl_copy_groups(const dd_result *res, size_t c, FILE *out)
{
    size_t i, j, lo = res->clusters.start[c], hi = res->clusters.start[c + 1];
    bool first_group = true;

    fputs(",\"copy_groups\":[", out);
    for (i = lo; i < hi; i++) {
        uint32_t g = res->near_copy[res->clusters.members[i]], n = 0;
        bool first = true;
        if (g != res->clusters.members[i])
            continue;
        for (j = i; j < hi; j++)
            n += res->near_copy[res->clusters.members[j]] == g;
        if (n < 2)
            continue;
        fputs(first_group ? "[" : ",[", out);
        for (j = i; j < hi; j++) {
            if (res->near_copy[res->clusters.members[j]] != g)
                continue;
            if (!first)
                fputc(',', out);
            dd_report_json_string(out, res->docs[res->clusters.members[j]].id);
            first = false;
        }
        fputc(']', out);
        first_group = false;
    }
    fputc(']', out);
}

static void jsonl_cluster(const dd_result *res, const dd_report_opts *o, const pair_index *pi,
                          size_t c, FILE *out)
{
    size_t i, lo = res->clusters.start[c], hi = res->clusters.start[c + 1];
    bool first = true;

    fprintf(out, "{\"cluster\":%zu,\"size\":%zu,\"level\":\"%s\",\"docs\":[", c + 1, hi - lo,
            level_name(o->level));
    for (i = lo; i < hi; i++) {
        if (i > lo)
            fputc(',', out);
        jsonl_doc(&res->docs[res->clusters.members[i]],
                  o->stored && o->stored[res->clusters.members[i]], out);
    }
    fputc(']', out);
    if (res->key_terms)
        jsonl_list("key_terms", res->key_terms[c], out);
    if (res->near_copy)
        jsonl_copy_groups(res, c, out);
    fputs(",\"pairs\":[", out);
    for (i = pi->start[c]; i < pi->start[c + 1]; i++) {
        const dd_pair_score *p = &res->pairs[pi->idx[i]];
        fputs(first ? "{\"a\":" : ",{\"a\":", out);
        dd_report_json_string(out, res->docs[p->a].id);
        fputs(",\"b\":", out);
        dd_report_json_string(out, res->docs[p->b].id);
        if (p->similarity >= 0)
            fprintf(out, ",\"similarity\":%.4f", p->similarity);
        fprintf(out, ",\"jaccard\":%.4f,\"containment\":%.4f", p->jaccard, p->containment);
        if (p->similarity >= 0)
            fprintf(out, ",\"copy\":%s", p->copy ? "true" : "false");
        if (p->facts_both) {
            jsonl_list("facts_both", p->facts_both, out);
            jsonl_list("facts_only_a", p->facts_a, out);
            jsonl_list("facts_only_b", p->facts_b, out);
        }
        fputc('}', out);
        first = false;
    }
    fputs("]}\n", out);
}

static void jsonl_summary(const dd_result *res, const dd_report_opts *o, FILE *out)
{
    size_t i;

    fprintf(out,
            "{\"summary\":{\"format_version\":%d,\"version\":\"%s\",\"unicode\":\"%s\","
            "\"level\":\"%s\",\"documents\":%zu,\"used\":%zu,\"skipped\":%zu,\"skipped_by\":{",
            DD_FORMAT_VERSION, dd_version(), utf8proc_unicode_version(), level_name(o->level),
            res->n_inputs, res->n_docs, dd_result_skipped(res));
    for (i = 0; i < DD_SKIP_COUNT; i++)
        fprintf(out, "%s\"%s\":%zu", i ? "," : "", dd_skip_name((dd_skip_reason)i),
                res->skipped[i]);
    fprintf(out,
            "},\"repaired\":%zu,\"clustered\":%zu,\"clusters\":%zu,\"candidates\":%zu,"
            "\"pairs\":%zu,\"bands\":%zu,\"rows\":%zu}}\n",
            res->n_repaired, res->n_clustered, res->clusters.count, res->n_candidates,
            res->n_pairs, res->bands, res->rows);
}

static void csv_pairs(const dd_result *res, const dd_report_opts *o, FILE *out)
{
    bool stories = o->level == DD_LEVEL_STORIES;
    size_t i;

    fputs(stories ? "a,b,jaccard,containment,similarity\n" : "a,b,jaccard,containment\n", out);
    for (i = 0; i < res->n_pairs; i++) {
        const dd_pair_score *p = &res->pairs[i];
        dd_report_csv_field(out, res->docs[p->a].id);
        fputc(',', out);
        dd_report_csv_field(out, res->docs[p->b].id);
        fprintf(out, ",%.4f,%.4f", p->jaccard, p->containment);
        if (stories)
            fprintf(out, ",%.4f", p->similarity);
        fputc('\n', out);
    }
}

dd_status dd_report_write(const dd_result *res, const dd_report_opts *o, FILE *out)
{
    size_t *of = cluster_index(res), c;
    pair_index pi = {NULL, NULL};

    if (!of || !index_pairs(res, of, &pi)) {
        free(of);
        free(pi.start);
        free(pi.idx);
        return DD_ENOMEM;
    }
    if (o->format == DD_FORMAT_CSV)
        csv_pairs(res, o, out);
    for (c = 0; o->format != DD_FORMAT_CSV && c < res->clusters.count; c++) {
        if (o->format == DD_FORMAT_JSONL)
            jsonl_cluster(res, o, &pi, c, out);
        else
            text_cluster(res, o, &pi, c, out);
    }
    if (o->summary && o->format == DD_FORMAT_JSONL)
        jsonl_summary(res, o, out);
    else if (o->summary && o->format == DD_FORMAT_TEXT)
        text_summary(res, out);
    free(of);
    free(pi.start);
    free(pi.idx);
    return ferror(out) ? DD_EIO : DD_OK;
}
