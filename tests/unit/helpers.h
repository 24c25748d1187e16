/* Small helpers shared by the unit tests: in-memory input streams and token joining.
 * Everything is static inline so a test binary that does not use a helper still builds
 * warning-free. Include after <cmocka.h> and <dedup/dedup.h>. */
#ifndef DEDUP_TESTS_UNIT_HELPERS_H
#define DEDUP_TESTS_UNIT_HELPERS_H

#include <stdio.h>
#include <string.h>

/* A readable stream holding a copy of `len` bytes of `s`: the real reader seam. fmemopen with
 * a NULL buffer owns its memory, so fclose() frees everything. */
static inline FILE *mem_stream(const char *s, size_t len)
{
    FILE *f = fmemopen(NULL, len + 1, "w+");

    assert_non_null(f);
    if (len)
        assert_int_equal(fwrite(s, 1, len, f), len);
    rewind(f);
    return f;
}

static inline FILE *mem_stream_str(const char *s)
{
    return mem_stream(s, strlen(s));
}

/* Join `n` tokens with '|' into `buf` (always NUL-terminated). */
static inline void join_tokens(const dd_span *t, size_t n, char *buf, size_t cap)
{
    size_t i, at = 0;

    buf[0] = '\0';
    for (i = 0; i < n; i++) {
        size_t need = t[i].len + (i ? 1 : 0);
        assert_true(at + need < cap);
        if (i)
            buf[at++] = '|';
        memcpy(buf + at, t[i].ptr, t[i].len);
        at += t[i].len;
        buf[at] = '\0';
    }
}

/* splitmix64: fixed pseudo-random 64-bit values for a seed (test data only). */
static inline uint64_t test_rand64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

#endif
