/* Shared by the fuzz targets: the libFuzzer entry point's prototype, an invariant check that
 * aborts (so libFuzzer and the replay driver both report it with the input), and a UTF-8
 * validity test with utf8proc's definition of valid (the one the library promises). */
#ifndef DEDUP_TESTS_FUZZ_COMMON_H
#define DEDUP_TESTS_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <utf8proc.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static inline bool fuzz_valid_utf8(const char *s, size_t len)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    size_t i = 0;

    while (i < len) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k;

        if (p[i] < 0x80) {
            i++;
            continue;
        }
        k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
        if (k <= 0)
            return false;
        i += (size_t)k;
    }
    return true;
}

/* A read-only stream over a private copy of `data` (fmemopen wants a non-const buffer and
 * fails on size 0 in older glibc, so an empty input gets a one-byte buffer read as empty). */
static inline FILE *fuzz_stream(const uint8_t *data, size_t size, char **copy)
{
    FILE *f;

    *copy = malloc(size ? size : 1);
    if (!*copy)
        return NULL;
    for (size_t i = 0; i < size; i++)
        (*copy)[i] = (char)data[i];
    f = fmemopen(*copy, size ? size : 1, "r");
    if (f && !size)
        fgetc(f);
    return f;
}

#endif
