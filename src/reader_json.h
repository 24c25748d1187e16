/* Reader stage, internal: the JSON Lines fast path (reader_json.c). */
#ifndef DEDUP_READER_JSON_H
#define DEDUP_READER_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum { DD__J_ABSENT = 0, DD__J_STRING, DD__J_INTEGER, DD__J_OTHER };

/** One wanted top-level field: a malloc'd NUL-terminated value (the decoded string, or the
 *  integer's literal) and its length, or kind DD__J_ABSENT / DD__J_OTHER with val NULL. */
typedef struct dd__jfield {
    char *val;
    size_t len;
    int kind;
} dd__jfield;

/** Parse `line` as one JSON object and fill f[i] for the top-level key names[i] (names with
 *  a dot are not handled). Returns false, with every f[i] empty, when the line is not one
 *  the fast path decides exactly like jansson (or memory ran out): parse it with jansson. */
bool dd__json_fast(const char *line, size_t len, const char *const *names, dd__jfield *f,
                   size_t n);

/** Free the values and mark every field absent. */
void dd__jfields_clear(dd__jfield *f, size_t n);

#endif
