/* Reader stage, decoding: raw file bytes -> valid UTF-8 (dd_decode_text). UTF-16 with a BOM
 * is converted, a UTF-8 BOM dropped, NUL bytes otherwise mean binary; invalid UTF-8 is read as
 * Windows-1252 when the text holds no valid multi-byte sequence, else each bad byte becomes
 * U+FFFD. The output is always valid UTF-8, which every later stage relies on. */
#include <dedup/dedup.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "util.h"

/* Windows-1252 differs from Latin-1 only in 0x80-0x9F, where it has the typographic quotes
 * and dashes that old news files carry; undefined slots map to themselves (C1 controls). */
static const uint16_t cp1252_hi[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

static dd_status out_reserve(char **out, size_t *cap, size_t need)
{
    return dd__grow((void **)out, cap, need, 1);
}

static dd_status decode_utf16(const unsigned char *in, size_t len, char **out, size_t *out_len)
{
    bool le = in[0] == 0xFF;
    size_t i, n = 0, cap = 0;
    char *o = NULL;

    for (i = 2; i + 1 < len; i += 2) {
        utf8proc_int32_t c = le ? (in[i] | in[i + 1] << 8) : (in[i] << 8 | in[i + 1]);
        if (c >= 0xD800 && c <= 0xDBFF && i + 3 < len) {
            utf8proc_int32_t lo = le ? (in[i + 2] | in[i + 3] << 8) : (in[i + 2] << 8 | in[i + 3]);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                i += 2;
            }
        }
        if ((c >= 0xD800 && c <= 0xDFFF) || c == 0)
            c = c ? 0xFFFD : ' ';
        if (out_reserve(&o, &cap, n + 5) != DD_OK) {
            free(o);
            return DD_ENOMEM;
        }
        n += (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)o + n);
    }
    if (out_reserve(&o, &cap, n + 1) != DD_OK) {
        free(o);
        return DD_ENOMEM;
    }
    o[n] = '\0';
    *out = o;
    *out_len = n;
    return DD_OK;
}

/* Count well-formed multi-byte sequences and invalid bytes in one pass. */
static void utf8_census(const unsigned char *s, size_t len, size_t *multi, size_t *bad)
{
    size_t i = 0;

    *multi = *bad = 0;
    while (i < len) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k;

        if (s[i] < 0x80) {
            i++;
            continue;
        }
        k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &c);
        if (k < 0) {
            (*bad)++;
            i++;
        } else {
            (*multi)++;
            i += (size_t)k;
        }
    }
}

/* Re-encode: 1252 mode maps every high byte; repair mode keeps valid sequences and puts
 * U+FFFD for each invalid byte. */
static dd_status reencode(const unsigned char *s, size_t len, bool cp1252, char **out,
                          size_t *out_len)
{
    size_t i = 0, n = 0, cap = 0;
    char *o = NULL;

    if (out_reserve(&o, &cap, len + len / 2 + 4) != DD_OK)
        return DD_ENOMEM;
    while (i < len) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = 1;

        if (s[i] < 0x80)
            c = s[i];
        else if (cp1252)
            c = s[i] < 0xA0 ? cp1252_hi[s[i] - 0x80] : s[i];
        else {
            k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &c);
            if (k < 0) {
                c = 0xFFFD;
                k = 1;
            }
        }
        i += (size_t)k;
        if (out_reserve(&o, &cap, n + 5) != DD_OK) {
            free(o);
            return DD_ENOMEM;
        }
        n += (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)o + n);
    }
    o[n] = '\0';
    *out = o;
    *out_len = n;
    return DD_OK;
}

dd_status dd_decode_text(const char *in, size_t len, char **out, size_t *out_len,
                         const char **warning)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t multi, bad;

    *out = NULL;
    *out_len = 0;
    *warning = NULL;
    if (len >= 2 && ((s[0] == 0xFF && s[1] == 0xFE) || (s[0] == 0xFE && s[1] == 0xFF))) {
        *warning = "UTF-16 text converted to UTF-8";
        return decode_utf16(s, len, out, out_len);
    }
    if (memchr(s, 0, len))
        return DD_EBINARY;
    if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
        s += 3;
        len -= 3;
    }
    utf8_census(s, len, &multi, &bad);
    if (bad && !multi)
        *warning = "not valid UTF-8; read as Windows-1252";
    else if (bad)
        *warning = "invalid UTF-8 bytes replaced with U+FFFD";
    if (!bad) { /* valid UTF-8 (nearly every file): re-encoding would copy it unchanged */
        char *o = malloc(len + 1);
        if (!o)
            return DD_ENOMEM;
        memcpy(o, s, len);
        o[len] = '\0';
        *out = o;
        *out_len = len;
        return DD_OK;
    }
    return reencode(s, len, bad && !multi, out, out_len);
}

