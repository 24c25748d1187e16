/* Normalizer stage: text -> tokens. Two paths give identical tokens: pure ASCII text without
 * markup is lowercased byte by byte (the common case for English news, and about ten times
 * faster); in other text the runs of non-ASCII characters go through utf8proc (NFKC +
 * casefold + strip marks + drop default-ignorables such as soft hyphens and zero-width
 * spaces), the ASCII between them is copied. See docs/ALGORITHMS.md. */
#include <dedup/dedup.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "util.h"

struct dd_normalizer {
    char *pre;  /* after markup/mojibake pre-pass */
    size_t pre_cap;
    char *buf;  /* token bytes, each token followed by one NUL */
    size_t buf_cap, buf_n;
    size_t *offs; /* token start offsets into buf */
    size_t offs_cap;
    dd_span *toks;
    size_t toks_cap;
    size_t *lines; /* index of the first token of each line */
    size_t n_lines, lines_cap;
    char *map; /* NFKC-casefolded text, for split() */
    size_t map_cap;
    utf8proc_int32_t *u32; /* one run of non-ASCII characters, decomposed */
    size_t u32_cap;
};

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

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool apostrophe(utf8proc_int32_t c)
{
    return c == '\'' || c == 0x2019 || c == 0x02BC;
}

/* ---- pre-pass: markup and mojibake -------------------------------------------------- */

static const struct {
    const char *name;
    utf8proc_int32_t cp;
} entities[] = {
    {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
    {"apos", '\''},    {"nbsp", 0xA0},    {"ndash", 0x2013}, {"mdash", 0x2014},
    {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C}, {"rdquo", 0x201D},
    {"hellip", 0x2026}, {"eacute", 0xE9}, {"egrave", 0xE8},  {"aacute", 0xE1},
    {"oacute", 0xF3},  {"iacute", 0xED},  {"uacute", 0xFA},  {"ntilde", 0xF1},
    {"ccedil", 0xE7},  {"uuml", 0xFC},    {"ouml", 0xF6},    {"auml", 0xE4},
    {"szlig", 0xDF},   {"copy", 0xA9},    {"reg", 0xAE},     {"shy", 0xAD},
};

/* Decode "&name;" or "&#123;" / "&#x7B;" at s (s[0] == '&'); returns bytes consumed or 0. */
static size_t entity(const char *s, size_t len, utf8proc_int32_t *cp)
{
    size_t i, end;

    for (end = 1; end < len && end < 12 && s[end] != ';'; end++)
        ;
    if (end >= len || s[end] != ';' || end < 2)
        return 0;
    if (s[1] == '#') {
        long v = 0;
        bool hex = end > 2 && (s[2] == 'x' || s[2] == 'X');
        for (i = hex ? 3 : 2; i < end; i++) {
            int d = s[i] >= '0' && s[i] <= '9'   ? s[i] - '0'
                    : hex && s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
                    : hex && s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10
                                                        : -1;
            if (d < 0 || v > 0x10FFFF)
                return 0;
            v = v * (hex ? 16 : 10) + d;
        }
        if (!utf8proc_codepoint_valid((utf8proc_int32_t)v) || v == 0)
            return 0;
        *cp = (utf8proc_int32_t)v;
        return end + 1;
    }
    for (i = 0; i < sizeof entities / sizeof entities[0]; i++) {
        size_t n = strlen(entities[i].name);
        if (n == end - 1 && memcmp(s + 1, entities[i].name, n) == 0) {
            *cp = entities[i].cp;
            return end + 1;
        }
    }
    return 0;
}

/* A tag is '<' then a letter, '/' or '!' and a '>' within 256 bytes with no '<' between. */
static size_t tag(const char *s, size_t len)
{
    size_t i;

    if (len < 3 || !((s[1] >= 'a' && s[1] <= 'z') || (s[1] >= 'A' && s[1] <= 'Z') ||
                     s[1] == '/' || s[1] == '!'))
        return 0;
    for (i = 2; i < len && i < 256; i++) {
        if (s[i] == '>')
            return i + 1;
        if (s[i] == '<')
            return 0;
    }
    return 0;
}

/* Windows-1252 byte for a code point, or -1. Used to undo mojibake. */
static int cp1252_byte(utf8proc_int32_t c)
{
    static const uint16_t hi[32] = {
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};
    int i;

    if (c >= 0xA0 && c <= 0xFF)
        return (int)c;
    for (i = 0; i < 32; i++)
        if (hi[i] == c)
            return 0x80 + i;
    return -1;
}

/* Mojibake: a UTF-8 character whose bytes were read as Windows-1252 ("â€™" for "’").
 * Try to re-read 2-4 consecutive code points as the bytes of one UTF-8 character. */
static size_t mojibake(const unsigned char *s, size_t len, utf8proc_int32_t *cp)
{
    unsigned char bytes[4];
    size_t pos = 0, need, k;
    utf8proc_int32_t c;
    int b;

    for (k = 0; k < 4 && pos < len; k++) {
        utf8proc_ssize_t n = utf8proc_iterate(s + pos, (utf8proc_ssize_t)(len - pos), &c);
        if (n < 0 || (b = cp1252_byte(c)) < 0)
            return 0;
        bytes[k] = (unsigned char)b;
        pos += (size_t)n;
        if (k == 0) {
            need = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 && b < 0xE0 ? 2 : 0;
            if (!need)
                return 0;
        }
        if (k + 1 == need) {
            if (utf8proc_iterate(bytes, (utf8proc_ssize_t)need, cp) != (utf8proc_ssize_t)need)
                return 0;
            return pos;
        }
    }
    return 0;
}

/* Entities, tags, or (only possible outside ASCII) mojibake lead bytes. */
static bool needs_prepass(const char *s, size_t len, bool ascii)
{
    return memchr(s, '&', len) || memchr(s, '<', len) ||
           (!ascii && (memchr(s, 0xC3, len) || memchr(s, 0xC2, len) || memchr(s, 0xC5, len)));
}

/* Bytes a pre-pass rule can start at: '&' (an entity), '<' (a tag), a UTF-8 lead byte from
 * 0xC2 (mojibake). */
static const unsigned char prepass_start[256] = {
    ['&'] = 1,  ['<'] = 1,  [0xC2] = 1, [0xC3] = 1, [0xC4] = 1, [0xC5] = 1, [0xC6] = 1,
    [0xC7] = 1, [0xC8] = 1, [0xC9] = 1, [0xCA] = 1, [0xCB] = 1, [0xCC] = 1, [0xCD] = 1,
    [0xCE] = 1, [0xCF] = 1, [0xD0] = 1, [0xD1] = 1, [0xD2] = 1, [0xD3] = 1, [0xD4] = 1,
    [0xD5] = 1, [0xD6] = 1, [0xD7] = 1, [0xD8] = 1, [0xD9] = 1, [0xDA] = 1, [0xDB] = 1,
    [0xDC] = 1, [0xDD] = 1, [0xDE] = 1, [0xDF] = 1, [0xE0] = 1, [0xE1] = 1, [0xE2] = 1,
    [0xE3] = 1, [0xE4] = 1, [0xE5] = 1, [0xE6] = 1, [0xE7] = 1, [0xE8] = 1, [0xE9] = 1,
    [0xEA] = 1, [0xEB] = 1, [0xEC] = 1, [0xED] = 1, [0xEE] = 1, [0xEF] = 1, [0xF0] = 1,
    [0xF1] = 1, [0xF2] = 1, [0xF3] = 1, [0xF4] = 1, [0xF5] = 1, [0xF6] = 1, [0xF7] = 1,
    [0xF8] = 1, [0xF9] = 1, [0xFA] = 1, [0xFB] = 1, [0xFC] = 1, [0xFD] = 1, [0xFE] = 1,
    [0xFF] = 1,
};

/* The first byte at or after i that a rule starts at (len if none). Eight bytes a step: a
 * block with no '&', no '<' and no byte from 0x80 holds none (the has-a-zero-byte test on
 * the block xor each character); a block with one is looked at byte by byte. */
static size_t plain_run(const char *s, size_t i, size_t len)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;

    while (i < len) {
        size_t end = i + 8 <= len ? i + 8 : len;
        if (end - i == 8) {
            uint64_t x, amp, lt;
            memcpy(&x, s + i, sizeof x);
            amp = x ^ ('&' * ones);
            lt = x ^ ('<' * ones);
            if (!((((amp - ones) & ~amp) | ((lt - ones) & ~lt) | x) & highs)) {
                i = end;
                continue;
            }
        }
        for (; i < end; i++)
            if (prepass_start[(unsigned char)s[i]])
                return i;
    }
    return len;
}

static dd_status prepass(dd_normalizer *nz, const char *s, size_t len, size_t *out_len)
{
    size_t i = 0, n = 0;

    if (dd__grow((void **)&nz->pre, &nz->pre_cap, len + 1, 1) != DD_OK)
        return DD_ENOMEM;
    while (i < len) {
        utf8proc_int32_t cp;
        size_t k, j = plain_run(s, i, len);
        /* copy the plain stretch up to the next byte a rule starts at, whole */
        memcpy(nz->pre + n, s + i, j - i);
        n += j - i;
        if ((i = j) >= len)
            break;
        if (s[i] == '&' && (k = entity(s + i, len - i, &cp)) > 0) {
            n += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)nz->pre + n);
            i += k;
        } else if (s[i] == '<' && (k = tag(s + i, len - i)) > 0) {
            nz->pre[n++] = ' ';
            i += k;
        } else if ((unsigned char)s[i] >= 0xC2 &&
                   (k = mojibake((const unsigned char *)s + i, len - i, &cp)) > 0) {
            n += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)nz->pre + n);
            i += k;
        } else {
            nz->pre[n++] = s[i++];
        }
    }
    /* Every replacement is no longer than what it replaces, so n <= len. */
    *out_len = n;
    return DD_OK;
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
        } else if (in_word && (c == '.' || c == ',') && n > 0 && is_digit(nz->buf[n - 1]) &&
                   i + 1 < len && is_digit((char)s[i + 1])) {
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

static const unsigned char *ascii_word(void)
{
    return ascii_word_table;
}

/* split() for pure ASCII, rule for rule: a word is a run of letters and digits, lowercased;
 * an apostrophe before a word character is dropped; "19.25" and "1,270" stay one token. No
 * code point decoding and one bound check for the token offsets: 2.5x faster than split(). */
static dd_status split_ascii(dd_normalizer *nz, const unsigned char *s, size_t len, size_t *ntok)
{
    const unsigned char *w = ascii_word();
    size_t i, n = 0, nt = 0;
    bool in_word = false, new_line = false;

    nz->n_lines = 0;
    if (dd__grow((void **)&nz->buf, &nz->buf_cap, len * 2 + 2 + DD__TOKEN_PAD, 1) != DD_OK ||
        dd__grow((void **)&nz->offs, &nz->offs_cap, len / 2 + 2, sizeof *nz->offs) != DD_OK)
        return DD_ENOMEM;
    for (i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (w[c]) {
            if (!in_word) {
                if ((new_line || nt == 0) &&
                    dd__grow((void **)&nz->lines, &nz->lines_cap, nz->n_lines + 1,
                             sizeof *nz->lines) != DD_OK)
                    return DD_ENOMEM;
                if (new_line || nt == 0)
                    nz->lines[nz->n_lines++] = nt;
                new_line = false;
                nz->offs[nt++] = n;
            }
            nz->buf[n++] = (char)w[c];
            in_word = true;
        } else if (in_word && c == '\'' && i + 1 < len && w[s[i + 1]]) {
            /* "don't" stays one token */
        } else if (in_word && (c == '.' || c == ',') && is_digit(nz->buf[n - 1]) && i + 1 < len &&
                   is_digit((char)s[i + 1])) {
            if (c == '.')
                nz->buf[n++] = '.';
        } else {
            if (in_word)
                nz->buf[n++] = '\0';
            in_word = false;
            new_line = new_line || c == '\n' || c == '\r';
        }
    }
    if (in_word)
        nz->buf[n++] = '\0';
    nz->buf_n = n;
    *ntok = nt;
    return DD_OK;
}

/* ---- split_ascii, 64 bytes a step (x86-64 with AVX2) ------------------------------------
 * The same tokens, offsets and lines as split_ascii, byte for byte (a differential unit test
 * runs both). Per block of 64 bytes, vector compares give one bit per byte for each class:
 * word (letter or digit), digit, apostrophe, point or comma, point, line break. The rules
 * are local to a byte's neighbours, so they become bit operations on those masks:
 *   an apostrophe joins a word when the bytes before and after it are word bytes;
 *   a point or comma joins a number when the bytes before and after it are digits;
 *   E = word | joined: the bytes of tokens; a token starts where E starts;
 *   K = word | joined points | the first byte after each run of E: the bytes written, the
 *       last one as the NUL that ends the token (a joined apostrophe or comma is dropped).
 * The lowercased bytes (0 for anything else) are packed under K eight at a time with a
 * shuffle table, and each token's offset is the count of K bits before its start. Only
 * tokens and joined points cost a step of their own; a word boundary costs no branch. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#include <pthread.h>
#define DD_SPLIT_AVX2 1

static unsigned char pack_lut[256][8]; /* [mask][k]: the index of mask's k-th set bit */
static pthread_once_t pack_once = PTHREAD_ONCE_INIT;
static bool have_avx2;

static void pack_init(void)
{
    unsigned m, b, k;

    for (m = 0; m < 256; m++) {
        for (b = k = 0; b < 8; b++)
            if (m >> b & 1)
                pack_lut[m][k++] = (unsigned char)b;
        for (; k < 8; k++)
            pack_lut[m][k] = 0x80; /* pshufb writes 0 */
    }
    __builtin_cpu_init();
    have_avx2 = __builtin_cpu_supports("avx2");
}

__attribute__((target("avx2,popcnt")))
static uint64_t movemask64(__m256i lo, __m256i hi)
{
    return (uint64_t)(uint32_t)_mm256_movemask_epi8(lo) |
           (uint64_t)(uint32_t)_mm256_movemask_epi8(hi) << 32;
}

/* Unsigned x <= c, per byte. */
__attribute__((target("avx2,popcnt")))
static __m256i le_u8(__m256i x, unsigned char c)
{
    return _mm256_cmpeq_epi8(_mm256_min_epu8(x, _mm256_set1_epi8((char)c)), x);
}

__attribute__((target("avx2,popcnt")))
static __m256i eq_u8(__m256i x, char c)
{
    return _mm256_cmpeq_epi8(x, _mm256_set1_epi8(c));
}

typedef struct block_masks {
    uint64_t w, d, apos, punct, dot, nl;
} block_masks;

/* Classes of p[0..64) and their lowercased word bytes (0 for the rest) into vals. */
__attribute__((target("avx2,popcnt")))
static void classify64(const unsigned char *p, unsigned char *vals, block_masks *m)
{
    __m256i x[2], al[2], dg[2];
    int h;

    for (h = 0; h < 2; h++) {
        __m256i lo;
        x[h] = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * h));
        lo = _mm256_or_si256(x[h], _mm256_set1_epi8(0x20));
        al[h] = le_u8(_mm256_sub_epi8(lo, _mm256_set1_epi8('a')), 25);
        dg[h] = le_u8(_mm256_sub_epi8(x[h], _mm256_set1_epi8('0')), 9);
        _mm256_storeu_si256((__m256i *)(void *)(vals + 32 * h),
                            _mm256_or_si256(_mm256_and_si256(al[h], lo),
                                            _mm256_and_si256(dg[h], x[h])));
    }
    m->w = movemask64(_mm256_or_si256(al[0], dg[0]), _mm256_or_si256(al[1], dg[1]));
    m->d = movemask64(dg[0], dg[1]);
    m->apos = movemask64(eq_u8(x[0], '\''), eq_u8(x[1], '\''));
    m->dot = movemask64(eq_u8(x[0], '.'), eq_u8(x[1], '.'));
    m->punct = m->dot | movemask64(eq_u8(x[0], ','), eq_u8(x[1], ','));
    m->nl = movemask64(_mm256_or_si256(eq_u8(x[0], '\n'), eq_u8(x[0], '\r')),
                       _mm256_or_si256(eq_u8(x[1], '\n'), eq_u8(x[1], '\r')));
}

__attribute__((target("avx2,popcnt")))
static dd_status split_ascii_avx2(dd_normalizer *nz, const unsigned char *s, size_t len,
                                  size_t *ntok)
{
    const unsigned char *w = ascii_word();
    unsigned char tail[64], vals[64];
    size_t i, n = 0, nt = 0, nl = 0, *offs, *lines;
    uint64_t carry_w = 0, carry_d = 0, carry_e = 0, pending = 1; /* first token: a line */
    char *buf;

    /* 8 bytes of slack: a packed group is stored whole, then n moves by its count; and
     * DD__TOKEN_PAD readable bytes after the last token (dd__token_hashes_padded) */
    if (dd__grow((void **)&nz->buf, &nz->buf_cap, len + 16 + DD__TOKEN_PAD, 1) != DD_OK ||
        dd__grow((void **)&nz->offs, &nz->offs_cap, len / 2 + 2, sizeof *nz->offs) != DD_OK ||
        dd__grow((void **)&nz->lines, &nz->lines_cap, len / 2 + 2, sizeof *nz->lines) != DD_OK)
        return DD_ENOMEM;
    buf = nz->buf;
    offs = nz->offs;
    lines = nz->lines;
    for (i = 0; i < len; i += 64) {
        const unsigned char *p = s + i;
        size_t rem = len - i, n0 = n, g;
        uint64_t next_w = 0, next_d = 0, prev_w, prev_d, joined_dot, e, k, st, consumed = 0;
        block_masks m;
        if (rem < 64) { /* zeros after the end: separators, as the scalar end of text is */
            memset(tail, 0, sizeof tail);
            memcpy(tail, p, rem);
            p = tail;
        } else if (rem > 64) {
            next_w = w[s[i + 64]] != 0;
            next_d = is_digit((char)s[i + 64]);
        }
        classify64(p, vals, &m);
        prev_w = m.w << 1 | carry_w;
        prev_d = m.d << 1 | carry_d;
        joined_dot = m.punct & prev_d & (m.d >> 1 | next_d << 63);
        e = m.w | joined_dot | (m.apos & prev_w & (m.w >> 1 | next_w << 63));
        joined_dot &= m.dot;
        k = m.w | joined_dot | (~e & (e << 1 | carry_e));
        for (g = 0; g < 8; g++) { /* left-pack 8 bytes under 8 bits of k */
            unsigned mk = (unsigned)(k >> (8 * g)) & 0xFF;
            __m128i v = _mm_loadl_epi64((const __m128i *)(const void *)(vals + 8 * g));
            __m128i sh = _mm_loadl_epi64((const __m128i *)(const void *)pack_lut[mk]);
            _mm_storel_epi64((__m128i *)(void *)(buf + n), _mm_shuffle_epi8(v, sh));
            n += (size_t)__builtin_popcount(mk);
        }
        for (; joined_dot; joined_dot &= joined_dot - 1) {
            uint64_t below = (joined_dot & -joined_dot) - 1;
            buf[n0 + (size_t)__builtin_popcountll(k & below)] = '.';
        }
        for (st = e & ~(e << 1 | carry_e); st; st &= st - 1) {
            uint64_t below = (st & -st) - 1;
            pending |= (m.nl & below & ~consumed) != 0;
            consumed = below;
            lines[nl] = nt;
            nl += pending;
            pending = 0;
            offs[nt++] = n0 + (size_t)__builtin_popcountll(k & below);
        }
        pending |= (m.nl & ~consumed) != 0;
        carry_w = m.w >> 63;
        carry_d = m.d >> 63;
        carry_e = e >> 63;
    }
    if (carry_e) /* the text ended inside a token, on a block boundary */
        buf[n++] = '\0';
    nz->buf_n = n;
    nz->n_lines = nl;
    *ntok = nt;
    return DD_OK;
}
#endif

/* Test seam: 1 makes dd_normalize use the byte loop even where the vector path could run. */
int dd__normalize_scalar_only;

static dd_status split_ascii_best(dd_normalizer *nz, const unsigned char *s, size_t len,
                                  size_t *ntok)
{
#ifdef DD_SPLIT_AVX2
    pthread_once(&pack_once, pack_init);
    if (have_avx2 && !dd__normalize_scalar_only)
        return split_ascii_avx2(nz, s, len, ntok);
#endif
    return split_ascii(nz, s, len, ntok);
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
    if (needs_prepass(text, len, ascii)) {
        st = prepass(nz, text, len, &len);
        if (st != DD_OK)
            return st;
        src = nz->pre;
        ascii = is_ascii(src, len); /* an entity may have become a non-ASCII character */
    }
    if (ascii)
        st = split_ascii_best(nz, (const unsigned char *)src, len, &ntok);
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
