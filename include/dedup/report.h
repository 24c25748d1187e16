/* Report stage: a dd_result -> text for people, JSON Lines and CSV for scripts.
 * Output is byte-identical for identical input and options: clusters by smallest member,
 * members ascending, scores as %.4f, no timestamps. Corpus text is escaped in every format. */
#ifndef DEDUP_REPORT_H
#define DEDUP_REPORT_H

#include <dedup/status.h>
#include <dedup/pipeline.h>

#include <stdbool.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { DD_FORMAT_TEXT = 0, DD_FORMAT_JSONL = 1, DD_FORMAT_CSV = 2 } dd_format;

typedef struct dd_report_opts {
    dd_format format;
    dd_level level;    /**< named in the output */
    bool summary;      /**< text: closing summary line; jsonl: closing summary object */
    size_t max_pairs;  /**< text: pair lines shown per cluster (0: all) */
    const bool *stored; /**< per document: it came from a stored index (dd_index_query);
                             text marks it "(stored)", jsonl "stored":true. NULL: none */
} dd_report_opts;

dd_report_opts dd_report_opts_default(void);

/** Write `res` to `out`. Returns DD_OK or DD_EIO when a write failed. */
dd_status dd_report_write(const dd_result *res, const dd_report_opts *o, FILE *out);

/** Write `s` as a JSON string literal (quotes included); invalid UTF-8 becomes U+FFFD. */
void dd_report_json_string(FILE *out, const char *s);

/** Write `s` as one CSV field (RFC 4180 quoting when needed). */
void dd_report_csv_field(FILE *out, const char *s);

#ifdef __cplusplus
}
#endif

#endif
