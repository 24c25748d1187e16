/* Quoted words (dd_terms_quotes): every run of three consecutive content words inside
 * quotation marks, hashed, sorted and distinct. Rewrites of one report keep its quotes word
 * for word; the next development of a saga quotes new words (story_cluster.c's quote
 * test). Only ASCII letters and digits make words; curly, low-9 and guillemet marks count. */
#include <dedup/dedup.h>

#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "util.h"

enum { QUOTE_MAX_WORD = 64 }; /* as terms.c's longest cached word */

/* Could a quotation mark or a newline start in v ('"', the lead bytes 0xC2 and 0xE2)? */
static bool has_quote_lead8(uint64_t v)
{
    return dd__has_zero8(v ^ ('"' * DD__ONES8)) || dd__has_zero8(v ^ (0xC2 * DD__ONES8)) ||
           dd__has_zero8(v ^ (0xE2 * DD__ONES8)) || dd__has_zero8(v ^ ('\n' * DD__ONES8));
}

/* The quotation mark at s (n bytes left): 0 none, else its byte length; *kind gets 'o'
 * (opens), 'c' (closes) or 't' (a straight quote, which toggles). */
static size_t quote_mark(const unsigned char *s, size_t n, char *kind)
{
    if (s[0] == '"') {
        *kind = 't';
        return 1;
    }
    if (n >= 2 && s[0] == 0xC2 && (s[1] == 0xAB || s[1] == 0xBB)) { /* << >> */
        *kind = s[1] == 0xAB ? 'o' : 'c';
        return 2;
    }
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0x9C || s[2] == 0x9D || s[2] == 0x9E)) {
        *kind = s[2] == 0x9D ? 'c' : 'o'; /* left and low-9 open, right closes */
        return 3;
    }
    return 0;
}

/* Does a blank line start at the newline s[0] (n bytes left)? */
static bool blank_line(const char *s, size_t n)
{
    size_t i;

    for (i = 1; i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'); i++)
        ;
    return i < n && s[i] == '\n';
}

size_t dd_terms_quotes(const char *text, size_t len, uint64_t seed, uint64_t *out, size_t cap)
{
    const unsigned char *u = (const unsigned char *)text;
    uint64_t w[3] = {0, 0, 0};
    size_t i = 0, n = 0, words = 0;
    bool in = false;

    while (i < len && n < cap) {
        char kind = 0, low[QUOTE_MAX_WORD];
        size_t a, k, q;
        if (!in) { /* outside a quote only a mark or a newline can matter */
            while (i + 8 <= len && !has_quote_lead8(dd__load8(text + i)))
                i += 8;
            while (i < len && u[i] != '"' && u[i] != 0xC2 && u[i] != 0xE2 && u[i] != '\n')
                i++;
        }
        if (i >= len)
            break;
        a = i;
        q = quote_mark(u + i, len - i, &kind);
        if (q || (text[i] == '\n' && blank_line(text + i, len - i))) {
            in = q ? (kind == 't' ? !in : kind == 'o') : false;
            words = 0; /* runs of words do not cross a quotation mark */
            i += q ? q : 1;
            continue;
        }
        if (!dd__ascii_alnum(text[i])) {
            i++;
            continue;
        }
        while (i < len && dd__ascii_alnum(text[i]))
            i++;
        if (!in || i - a < 2 || i - a > QUOTE_MAX_WORD)
            continue;
        for (k = 0; k < i - a; k++)
            low[k] = dd__ascii_upper(text[a + k]) ? (char)(text[a + k] + 32) : text[a + k];
        if (dd_terms_is_stop(low, i - a))
            continue;
        w[0] = w[1];
        w[1] = w[2];
        w[2] = XXH3_64bits_withSeed(low, i - a, seed);
        if (++words >= 3)
            out[n++] = XXH3_64bits_withSeed(w, sizeof w, seed);
    }
    return dd__sort_unique_u64(out, n);
}
