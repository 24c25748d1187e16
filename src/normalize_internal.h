/* Internal to the normalizer's files: normalize.c (the object, character classes, the
 * Unicode path and dd_normalize), normalize_prepass.c (markup and mojibake) and
 * normalize_ascii.c (pure ASCII). Invariant: every path writes each token to buf followed by
 * exactly one NUL, its start to offs and each line's first token to lines. */
#ifndef DEDUP_NORMALIZE_INTERNAL_H
#define DEDUP_NORMALIZE_INTERNAL_H

#include <dedup/dedup.h>

#include <utf8proc.h>

#include "util.h"

/* A normalizer's buffers, reused from one text to the next (opaque outside these files). */
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

static inline bool dd__is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Entities, tags, or (only possible outside ASCII) mojibake lead bytes: whether
 * dd__normalize_prepass has anything to do (normalize_prepass.c). */
bool dd__normalize_needs_prepass(const char *s, size_t len, bool ascii);

/* Decode entities, replace tags with a space and repair mojibake in s[0..len) into nz->pre;
 * *out_len gets its length, never more than len (normalize_prepass.c). */
dd_status dd__normalize_prepass(dd_normalizer *nz, const char *s, size_t len, size_t *out_len);

/* ASCII letters and digits lowercased; 0 for every other byte (normalize.c). */
const unsigned char *dd__ascii_word(void);

/* split() for pure ASCII: 64 bytes a step where the CPU has AVX2, else the byte loop
 * (normalize_ascii.c). */
dd_status dd__split_ascii_best(dd_normalizer *nz, const unsigned char *s, size_t len, size_t *ntok);

#endif
