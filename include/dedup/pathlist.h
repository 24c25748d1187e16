/* Path lists for batch scripts (`--files-from`): one path per line, or NUL-separated as
 * `find -print0` writes them, so any byte but NUL can be in a name. */
#ifndef DEDUP_PATHLIST_H
#define DEDUP_PATHLIST_H

#include <dedup/status.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Read every path in `f`: separated by LF (a CR before the LF is dropped) or, with `nul`,
 *  by NUL. Empty entries are skipped; nothing else is changed (no trimming, no globbing).
 *  On DD_OK `*paths` is a malloc'd array of `*n` malloc'd strings (free with
 *  dd_path_list_free); on DD_EIO (read error) or DD_ENOMEM `*paths` is NULL and `*n` 0. */
dd_status dd_path_list_read(FILE *f, bool nul, char ***paths, size_t *n);

/** Free what dd_path_list_read returned. Accepts NULL. */
void dd_path_list_free(char **paths, size_t n);

#ifdef __cplusplus
}
#endif

#endif
