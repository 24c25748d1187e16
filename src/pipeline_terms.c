/* Sign stage, stories level: each document's content terms extracted on a signing thread
 * (dd__sign_story_terms, called by pipeline_sign.c), then what the merge keeps of it for the
 * story stage, in reading order: its content terms, the first surface form of each term (to
 * name key terms in reports), its quoted-word trigrams and its date. Called by the merge
 * (pipeline_merge.c); pipeline_story.c reads what it leaves in res->mem. */
#include "pipeline_sign.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- on a signing thread ----------------------------------------------------------- */

/* Flag DD__TERM_LINE on each term that is the first of its line (terms come in text order;
 * the normaliser's lines are the first token of each). */
static void mark_line_starts(const signer *g, dd_term *t, size_t n)
{
    size_t nl = 0, li = 0, prev = SIZE_MAX, i;
    const size_t *starts = dd_normalizer_lines(g->nz, &nl);

    for (i = 0; i < n; i++) {
        while (li + 1 < nl && starts[li + 1] <= t[i].token)
            li++;
        if (li != prev)
            t[i].flags |= DD__TERM_LINE;
        prev = li;
    }
}

/* Stories level: extract the content terms here, on the worker, and keep each with the
 * name reports show for it (the word as written, or the term when it is longer: a
 * character pair, "million" from "960m") for the merge. */
dd_status dd__sign_story_terms(signer *g, uint64_t seed, batch *b, item *it, const dd_span *toks,
                               size_t ntok)
{
    const dd_term *t;
    size_t n = 0, i, bytes = 0;
    dd_status st = dd_terms_extract(g->terms, toks, ntok, &t, &n);

    if (st != DD_OK)
        return st;
    if (dd__grow((void **)&b->quotes, &b->quotes_cap, b->n_quotes + DD__QUOTES_MAX,
                 sizeof *b->quotes) != DD_OK)
        return DD_ENOMEM;
    it->q_lo = b->n_quotes;
    b->n_quotes += dd_terms_quotes(b->txt + it->body, it->body_len, seed,
                                   b->quotes + b->n_quotes, DD__QUOTES_MAX);
    it->q_hi = b->n_quotes;
    for (i = 0; i < n; i++) {
        size_t len;
        (void)dd_terms_text(g->terms, i, &len);
        bytes += len > toks[t[i].token].len ? len : toks[t[i].token].len;
    }
    if (dd__grow((void **)&b->toks, &b->toks_cap, b->n_toks + n, sizeof *b->toks) != DD_OK ||
        dd__grow((void **)&b->terms, &b->terms_cap, b->n_toks + n, sizeof *b->terms) != DD_OK ||
        dd__grow((void **)&b->tokb, &b->tokb_cap, b->tokb_n + bytes + 1, 1) != DD_OK)
        return DD_ENOMEM;
    it->tok_lo = b->n_toks;
    for (i = 0; i < n; i++) {
        size_t len;
        const char *name = dd_terms_text(g->terms, i, &len);
        if (len <= toks[t[i].token].len) {
            name = toks[t[i].token].ptr;
            len = toks[t[i].token].len;
        }
        memcpy(b->tokb + b->tokb_n, name, len);
        b->terms[b->n_toks] = t[i];
        b->toks[b->n_toks++] = (tokref){b->tokb_n, len};
        b->tokb_n += len;
    }
    it->tok_hi = b->n_toks;
    /* Names and figures are the facts that tell one development from the next. A document
     * without content terms has none to mark (and no term buffer yet). */
    if (n == 0)
        return DD_OK;
    mark_line_starts(g, b->terms + it->tok_lo, n);
    return dd_terms_mark_names(g->terms, b->txt + it->text, it->len, b->terms + it->tok_lo, n);
}

/* ---- per document -------------------------------------------------------------------- */

/* "YYYY-MM-DD" at s (len bytes available) in days since 1970, or NaN; years outside
 * 1900-2200 are not news dates. */
static double iso_date(const char *s, size_t len)
{
    double secs;

    if (!dd__parse_date(s, len, &secs) || secs < -2208988800.0 || secs >= 7258118400.0)
        return NAN;
    return floor(secs / 86400.0);
}

/* The date field when there is one, else an ISO date near the top of the text (a dateline
 * such as "date 2024-12-05"); a date deeper in the body is about something else. */
double dd__doc_days(const char *date, const char *text, size_t len)
{
    size_t i, n = len < 300 ? len : 300;

    if (date)
        return iso_date(date, strlen(date));
    for (i = 0; i + 10 <= n; i++) {
        if ((i == 0 || text[i - 1] < '0' || text[i - 1] > '9') &&
            (i + 10 == len || text[i + 10] < '0' || text[i + 10] > '9')) {
            double v = iso_date(text + i, len - i);
            if (!isnan(v))
                return v;
        }
    }
    return NAN;
}

/* Remember the first surface form of each term, to name key terms in reports, and give each
 * distinct term its 32-bit id (in the order terms are first met, so the same for any thread
 * count: the merge takes documents in order). Every term of every document comes here, on
 * the merging thread, and most are words seen before: a small table of the last hash met in
 * each of DICT_FRONT slots answers those without a probe of the dictionary (two arrays of a
 * vocabulary's size, so a cache miss or two each). */
enum { DICT_FRONT = 4096 };

static dd_status dict_grow(struct dd__result_mem *m)
{
    size_t cap = m->dict_cap ? m->dict_cap * 2 : 4096, i, j;
    uint64_t *nh = calloc(cap, sizeof *nh);
    const char **ns = calloc(cap, sizeof *ns);
    uint32_t *ni = calloc(cap, sizeof *ni);

    if (!nh || !ns || !ni) {
        free(nh);
        free(ns);
        free(ni);
        return DD_ENOMEM;
    }
    for (j = 0; j < m->dict_cap; j++) {
        if (!m->dict_s[j])
            continue;
        for (i = (size_t)(m->dict_h[j] >> 7) & (cap - 1); ns[i]; i = (i + 1) & (cap - 1))
            ;
        nh[i] = m->dict_h[j];
        ns[i] = m->dict_s[j];
        ni[i] = m->dict_id[j];
    }
    free(m->dict_h);
    free(m->dict_s);
    free(m->dict_id);
    m->dict_h = nh;
    m->dict_s = ns;
    m->dict_id = ni;
    m->dict_cap = cap;
    return DD_OK;
}

static dd_status dict_add(struct dd__result_mem *m, uint64_t h, const dd_span *tok, uint32_t *id)
{
    size_t i, mask, f = (size_t)(h >> 20) & (DICT_FRONT - 1);

    if (m->dict_front[f] == h && h != 0) { /* 0: an empty slot (a real 0 takes the probe) */
        *id = m->dict_front_id[f];
        return DD_OK;
    }
    if ((m->dict_n + 1) * 2 > m->dict_cap && dict_grow(m) != DD_OK)
        return DD_ENOMEM;
    mask = m->dict_cap - 1;
    for (i = (size_t)(h >> 7) & mask; m->dict_s[i]; i = (i + 1) & mask)
        if (m->dict_h[i] == h)
            break;
    if (!m->dict_s[i]) { /* a new term */
        if (m->dict_n >= UINT32_MAX ||
            dd__grow((void **)&m->term_hash, &m->term_hash_cap, m->dict_n + 1,
                     sizeof *m->term_hash) != DD_OK)
            return DD_ENOMEM;
        m->dict_s[i] = dd__arena_strndup(&m->strings, tok->ptr, tok->len < 40 ? tok->len : 40);
        if (!m->dict_s[i])
            return DD_ENOMEM;
        m->dict_h[i] = h;
        m->dict_id[i] = (uint32_t)m->dict_n;
        m->term_hash[m->dict_n++] = h;
    }
    m->dict_front[f] = h;
    *id = m->dict_front_id[f] = m->dict_id[i];
    return DD_OK;
}

dd_status dd__story_add_terms(dd__run *w, double days, const dd_term *t, const dd_span *names,
                              size_t n, const uint64_t *quotes, size_t n_quotes)
{
    struct dd__result_mem *m = w->res->mem;
    size_t idx = w->res->n_docs, i;

    if (dd__grow((void **)&m->terms, &m->terms_cap, m->n_terms + n + 1, sizeof *m->terms) !=
            DD_OK ||
        dd__grow((void **)&m->term_off, &m->term_off_cap, idx + 2, sizeof *m->term_off) !=
            DD_OK ||
        dd__grow((void **)&m->days, &m->days_cap, idx + 1, sizeof *m->days) != DD_OK ||
        dd__grow((void **)&m->quote_h, &m->quote_cap, m->n_quote + n_quotes + 1,
                 sizeof *m->quote_h) != DD_OK ||
        dd__grow((void **)&m->quote_off, &m->quote_off_cap, idx + 2, sizeof *m->quote_off) != DD_OK)
        return DD_ENOMEM;
    if (!m->dict_front && !(m->dict_front = calloc(DICT_FRONT, sizeof *m->dict_front)))
        return DD_ENOMEM;
    if (!m->dict_front_id &&
        !(m->dict_front_id = calloc(DICT_FRONT, sizeof *m->dict_front_id)))
        return DD_ENOMEM;
    if (idx == 0)
        m->term_off[0] = m->quote_off[0] = 0;
    if (n_quotes)
        memcpy(m->quote_h + m->n_quote, quotes, n_quotes * sizeof *quotes);
    m->n_quote += n_quotes;
    m->quote_off[idx + 1] = m->n_quote;
    for (i = 0; i < n; i++) {
        uint32_t id, tok = t[i].token < DD__CTERM_MAX_TOKEN ? t[i].token : DD__CTERM_MAX_TOKEN;
        if (dict_add(m, t[i].hash, &names[i], &id) != DD_OK)
            return DD_ENOMEM;
        m->terms[m->n_terms++] = (dd__cterm){id, tok << 3 | (t[i].flags & 7u)};
    }
    m->term_off[idx + 1] = m->n_terms;
    m->days[idx] = days;
    return DD_OK;
}
