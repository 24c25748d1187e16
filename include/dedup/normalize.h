/* Normalizer stage: UTF-8 text -> lowercase word tokens.
 * HTML tags are dropped and entities decoded, mojibake (UTF-8 read as Windows-1252) is
 * repaired, then utf8proc applies NFKC, case folding and mark stripping. Tokens are runs of
 * letters and digits; an apostrophe inside a word is dropped ("don't" -> "dont"), and each
 * character of a script written without spaces (Han, kana, Thai, ...) is a token of its own. */
#ifndef DEDUP_NORMALIZE_H
#define DEDUP_NORMALIZE_H

#include <dedup/status.h>

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A token: `len` bytes of UTF-8 at `ptr`, not NUL-terminated. */
typedef struct dd_span {
    const char *ptr;
    size_t len;
} dd_span;

typedef struct dd_normalizer dd_normalizer;

/** Create a normalizer (reusable buffers; one per thread). Returns DD_OK or DD_ENOMEM. */
dd_status dd_normalizer_new(dd_normalizer **out);

/** Tokenize `text` (`len` bytes of valid UTF-8). On DD_OK `*toks` points at `*n` tokens,
 *  a view valid until the next call on `nz`. Returns DD_OK, DD_EUTF8 (the text is not valid
 *  UTF-8; nothing is produced) or DD_ENOMEM. */
dd_status dd_normalize(dd_normalizer *nz, const char *text, size_t len, const dd_span **toks,
                       size_t *n);

/** Lines of the last dd_normalize() call: the index of the first token of each line that
 *  has tokens (the first is always 0), `*n` of them. A view valid until the next call. */
const size_t *dd_normalizer_lines(const dd_normalizer *nz, size_t *n);

/** Free a normalizer. Accepts NULL. */
void dd_normalizer_free(dd_normalizer *nz);

#ifdef __cplusplus
}
#endif

#endif
