/* dedup status codes and version: the part of the API every stage header needs. */
#ifndef DEDUP_STATUS_H
#define DEDUP_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#define DD_VERSION_MAJOR 0
#define DD_VERSION_MINOR 1
#define DD_VERSION_PATCH 0
#define DD_VERSION_STRING "0.1.0"

/** Version of the machine-readable output formats (docs/FORMATS.md). Bumped whenever
 *  a field, a seed or the hash family changes. */
#define DD_FORMAT_VERSION 3

/* Status codes, generated from one table so the enum and messages cannot drift. */
#define DD_STATUS_MAP(X)                                                                           \
    X(OK, "success")                                                                               \
    X(ENOMEM, "out of memory")                                                                     \
    X(EIO, "input/output error")                                                                   \
    X(EPARSE, "malformed input record")                                                            \
    X(EUTF8, "invalid UTF-8")                                                                      \
    X(EINVAL, "invalid argument")                                                                  \
    X(ELIMIT, "limit exceeded")                                                                    \
    X(EEMPTY, "no usable text")                                                                    \
    X(EBINARY, "binary data")                                                                      \
    X(END, "end of input")

typedef enum {
#define DD_STATUS_ENUM(name, msg) DD_##name,
    DD_STATUS_MAP(DD_STATUS_ENUM)
#undef DD_STATUS_ENUM
} dd_status;

/** Returns a static, human-readable message for `st` ("unknown status" if out of range). */
const char *dd_strerror(dd_status st);

/** Returns the library version string, e.g. "0.1.0". */
const char *dd_version(void);

/** Returns the Unicode version of the normalization tables in use (from utf8proc). */
const char *dd_unicode_version(void);

#ifdef __cplusplus
}
#endif

#endif
