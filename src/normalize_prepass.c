/* Normalizer, pre-pass: text with markup or mojibake -> the same text with HTML entities
 * decoded, tags replaced by a space and UTF-8 that was read as Windows-1252 repaired, for
 * the tokenizers (normalize.c, normalize_ascii.c). Invariant: every replacement is no longer
 * than what it replaces, so the text never grows. */
#include "normalize_internal.h"

#include <stdint.h>
#include <string.h>

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
bool dd__normalize_needs_prepass(const char *s, size_t len, bool ascii)
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

dd_status dd__normalize_prepass(dd_normalizer *nz, const char *s, size_t len, size_t *out_len)
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
