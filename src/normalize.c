/* Normalizer stage: text -> tokens. Two paths give identical tokens: pure ASCII text without
 * markup is lowercased byte by byte (normalize_ascii.c: the common case for English news, and
 * about ten times faster); in other text the runs of non-ASCII characters go through utf8proc
 * (NFKC + casefold + strip marks + drop default-ignorables such as soft hyphens and zero-width
 * spaces), the ASCII between them is copied. Markup and mojibake go first
 * (normalize_prepass.c). See docs/ALGORITHMS.md. */
#include "normalize_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

dd_status dd_normalizer_new(dd_normalizer **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? DD_OK : DD_ENOMEM;
}

void dd_normalizer_free(dd_normalizer *nz)
{
    if (!nz)
        return;
    free(nz->pre);
    free(nz->buf);
    free(nz->offs);
    free(nz->toks);
    free(nz->lines);
    free(nz->map);
    free(nz->u32);
    free(nz);
}

/* ---- character classes ------------------------------------------------------------- */

/* Scripts written without spaces between words: every character is a token. */
static bool unspaced_script(utf8proc_int32_t c)
{
    return (c >= 0x0E00 && c <= 0x0EFF) || (c >= 0x1000 && c <= 0x109F) ||
           (c >= 0x1780 && c <= 0x17FF) || (c >= 0x3040 && c <= 0x30FF) ||
           (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x2FA1F);
}

static bool word_char(utf8proc_int32_t c)
{
    utf8proc_category_t cat;

    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
    cat = utf8proc_category(c);
    return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL ||
           cat == UTF8PROC_CATEGORY_LT || cat == UTF8PROC_CATEGORY_LM ||
           cat == UTF8PROC_CATEGORY_LO || cat == UTF8PROC_CATEGORY_ND ||
           cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO ||
           cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC;
}

static bool apostrophe(utf8proc_int32_t c)
{
    return c == '\'' || c == 0x2019 || c == 0x02BC;
}

/* ---- tokenizing ---------------------------------------------------------------------- */

static dd_status push_tok(dd_normalizer *nz, size_t *ntok, size_t start, bool *new_line)
{
    if (dd__grow((void **)&nz->offs, &nz->offs_cap, *ntok + 2, sizeof *nz->offs) != DD_OK)
        return DD_ENOMEM;
    if (*new_line || *ntok == 0) {
        if (dd__grow((void **)&nz->lines, &nz->lines_cap, nz->n_lines + 1, sizeof *nz->lines) !=
            DD_OK)
            return DD_ENOMEM;
        nz->lines[nz->n_lines++] = *ntok;
        *new_line = false;
    }
    nz->offs[(*ntok)++] = start;
    return DD_OK;
}

static bool line_break(utf8proc_int32_t c)
{
    return c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029;
}

/* Is the character starting at s[i] a letter or digit (not an apostrophe)? */
static bool next_is_word(const unsigned char *s, size_t len, size_t i)
{
    utf8proc_int32_t c;

    if (i >= len || utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &c) < 0)
        return false;
    return !apostrophe(c) && !unspaced_script(c) && word_char(c);
}

/* ASCII letters and digits lowercased; 0 for every other byte. A constant table: the
 * signing threads read it at once, so it must not be filled lazily. */
static const unsigned char ascii_word_table[256] = {
        ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f', ['g'] = 'g',
        ['h'] = 'h', ['i'] = 'i', ['j'] = 'j', ['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n',
        ['o'] = 'o', ['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't', ['u'] = 'u',
        ['v'] = 'v', ['w'] = 'w', ['x'] = 'x', ['y'] = 'y', ['z'] = 'z', ['A'] = 'a', ['B'] = 'b',
        ['C'] = 'c', ['D'] = 'd', ['E'] = 'e', ['F'] = 'f', ['G'] = 'g', ['H'] = 'h', ['I'] = 'i',
        ['J'] = 'j', ['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n', ['O'] = 'o', ['P'] = 'p',
        ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't', ['U'] = 'u', ['V'] = 'v', ['W'] = 'w',
        ['X'] = 'x', ['Y'] = 'y', ['Z'] = 'z', ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3',
        ['4'] = '4', ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
};

/* Split NFKC-casefolded UTF-8 `s` into tokens written NUL-separated into nz->buf. */
static dd_status split(dd_normalizer *nz, const unsigned char *s, size_t len, size_t *ntok)
{
    size_t i = 0, n = 0;
    bool in_word = false, new_line = false;

    *ntok = 0;
    nz->n_lines = 0;
    if (dd__grow((void **)&nz->buf, &nz->buf_cap, len * 2 + 2 + DD__TOKEN_PAD, 1) != DD_OK)
        return DD_ENOMEM;
    while (i < len) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = 1;

        if (s[i] < 0x80 && ascii_word_table[s[i]]) {
            /* the common case, a run of ASCII letters and digits: the same steps as below */
            if (!in_word && push_tok(nz, ntok, n, &new_line) != DD_OK)
                return DD_ENOMEM;
            while (i < len && ascii_word_table[s[i]])
                nz->buf[n++] = (char)ascii_word_table[s[i++]];
            in_word = true;
            continue;
        }
        if (s[i] < 0x80)
            c = s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i];
        else if ((k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &c)) < 0)
            return DD_EUTF8;
        if (!apostrophe(c) && (unspaced_script(c) || word_char(c))) {
            bool alone = unspaced_script(c);
            if (in_word && alone)
                nz->buf[n++] = '\0';
            if (!in_word || alone) {
                if (push_tok(nz, ntok, n, &new_line) != DD_OK)
                    return DD_ENOMEM;
            }
            if (c < 0x80)
                nz->buf[n++] = (char)c;
            else {
                memcpy(nz->buf + n, s + i, (size_t)k);
                n += (size_t)k;
            }
            in_word = !alone;
            if (alone)
                nz->buf[n++] = '\0';
        } else if (in_word && apostrophe(c) && next_is_word(s, len, i + (size_t)k)) {
            /* "don't" stays one token; the apostrophe itself is dropped. */
        } else if (in_word && (c == '.' || c == ',') && n > 0 && dd__is_digit(nz->buf[n - 1]) &&
                   i + 1 < len && dd__is_digit((char)s[i + 1])) {
            /* A number stays one token: "19.25" keeps its point, "1,270" drops the comma so
             * it equals "1270"; a figure identifies a story better than its pieces. */
            if (c == '.')
                nz->buf[n++] = '.';
        } else {
            if (in_word)
                nz->buf[n++] = '\0';
            in_word = false;
            new_line = new_line || line_break(c);
        }
        i += (size_t)k;
    }
    if (in_word)
        nz->buf[n++] = '\0';
    nz->buf_n = n;
    return DD_OK;
}

const unsigned char *dd__ascii_word(void)
{
    return ascii_word_table;
}

static dd_status make_spans(dd_normalizer *nz, size_t ntok)
{
    size_t i;

    if (dd__grow((void **)&nz->toks, &nz->toks_cap, ntok + 1, sizeof *nz->toks) != DD_OK)
        return DD_ENOMEM;
    /* Every token is followed by exactly one NUL, so its length is the gap to the next. */
    for (i = 0; i < ntok; i++) {
        size_t end = i + 1 < ntok ? nz->offs[i + 1] : nz->buf_n;
        nz->toks[i].ptr = nz->buf + nz->offs[i];
        nz->toks[i].len = end - nz->offs[i] - 1;
    }
    return DD_OK;
}

/* Eight bytes per step: the byte loop was a tenth of normalizing ASCII news. */
static bool is_ascii(const char *s, size_t len)
{
    uint64_t acc = 0, x;
    size_t i = 0;

    for (; i + 8 <= len; i += 8) {
        memcpy(&x, s + i, sizeof x);
        acc |= x;
    }
    for (; i < len; i++)
        acc |= (unsigned char)s[i];
    return (acc & 0x8080808080808080ULL) == 0;
}

#define MAP_OPTIONS                                                                          \
    (UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |                \
     UTF8PROC_STRIPMARK | UTF8PROC_IGNORE)

/* utf8proc_map(MAP_OPTIONS) of one run of non-ASCII bytes, appended to nz->map at *n. */
static dd_status map_run(dd_normalizer *nz, const char *s, size_t len, size_t *n)
{
    utf8proc_ssize_t m;

    for (;;) {
        m = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, nz->u32,
                               (utf8proc_ssize_t)nz->u32_cap, MAP_OPTIONS);
        if (m < 0)
            return m == UTF8PROC_ERROR_NOMEM ? DD_ENOMEM : DD_EUTF8;
        if (m == 0) /* all ignorable: nothing to append */
            return DD_OK;
        if ((size_t)m < nz->u32_cap)
            break;
        /* one more: utf8proc_reencode ends its output with a NUL, which may need it */
        if (dd__grow((void **)&nz->u32, &nz->u32_cap, (size_t)m + 1, sizeof *nz->u32) != DD_OK)
            return DD_ENOMEM;
    }
    m = utf8proc_reencode(nz->u32, m, MAP_OPTIONS); /* in place: 4 bytes a code point hold it */
    if (m < 0)
        return DD_EUTF8;
    if (dd__grow((void **)&nz->map, &nz->map_cap, *n + (size_t)m, 1) != DD_OK)
        return DD_ENOMEM;
    memcpy(nz->map + *n, nz->u32, (size_t)m);
    *n += (size_t)m;
    return DD_OK;
}

/* NFKC + casefold + strip marks + drop ignorables with utf8proc, then split(). Only the runs
 * of non-ASCII bytes go through utf8proc: news text with a few curly quotes, a pound sign or
 * an accented name is mostly ASCII, and decomposing every ASCII letter was a quarter of a
 * run. The result is utf8proc_map's over the whole text, byte for byte: an ASCII character
 * maps to itself (split() lowercases it), no character's mapping depends on its neighbours
 * but for canonical reordering and composition, and neither reaches across an ASCII
 * character (a starter that composes with nothing after it, since STRIPMARK drops the
 * combining marks while decomposing). A differential unit test compares both. */
static dd_status map_runs(dd_normalizer *nz, const char *src, size_t len, size_t *n_out)
{
    size_t i = 0, n = 0;
    dd_status st;

    if (dd__grow((void **)&nz->map, &nz->map_cap, len + 1, 1) != DD_OK)
        return DD_ENOMEM;
    while (i < len) {
        size_t j = i;
        if ((unsigned char)src[i] < 0x80) {
            while (j < len && (unsigned char)src[j] < 0x80)
                j++;
            if (dd__grow((void **)&nz->map, &nz->map_cap, n + (j - i), 1) != DD_OK)
                return DD_ENOMEM;
            memcpy(nz->map + n, src + i, j - i);
            n += j - i;
        } else {
            while (j < len && (unsigned char)src[j] >= 0x80)
                j++;
            if ((st = map_run(nz, src + i, j - i, &n)) != DD_OK)
                return st;
        }
        i = j;
    }
    *n_out = n;
    return DD_OK;
}

dd_status dd__normalize_map(dd_normalizer *nz, const char *src, size_t len, const char **out,
                            size_t *n)
{
    dd_status st = map_runs(nz, src, len, n);

    *out = nz->map;
    return st;
}

static dd_status split_unicode(dd_normalizer *nz, const char *src, size_t len, size_t *ntok)
{
    size_t n;
    dd_status st = map_runs(nz, src, len, &n);

    return st == DD_OK ? split(nz, (const unsigned char *)nz->map, n, ntok) : st;
}

dd_status dd_normalize(dd_normalizer *nz, const char *text, size_t len, const dd_span **toks,
                       size_t *n)
{
    const char *src = text;
    size_t ntok = 0;
    bool ascii = is_ascii(text, len);
    dd_status st;

    *toks = NULL;
    *n = 0;
    if (dd__normalize_needs_prepass(text, len, ascii)) {
        st = dd__normalize_prepass(nz, text, len, &len);
        if (st != DD_OK)
            return st;
        src = nz->pre;
        ascii = is_ascii(src, len); /* an entity may have become a non-ASCII character */
    }
    if (ascii)
        st = dd__split_ascii_best(nz, (const unsigned char *)src, len, &ntok);
    else
        st = split_unicode(nz, src, len, &ntok);
    if (st == DD_OK)
        st = make_spans(nz, ntok);
    if (st != DD_OK)
        return st;
    *toks = nz->toks;
    *n = ntok;
    return DD_OK;
}

const size_t *dd_normalizer_lines(const dd_normalizer *nz, size_t *n)
{
    *n = nz->n_lines;
    return nz->lines;
}
