/* dedup: near-duplicate news story detection, public umbrella header.
 * Version, status codes and every stage header. Ownership rule for the whole API:
 * `const T *` parameters are borrowed for the call; data passed to `_add`/`_insert` is
 * copied; returned `const` pointers are views valid until the next mutating call on the
 * same owner or its `_free`. The library never prints, exits or aborts. */
#ifndef DEDUP_DEDUP_H
#define DEDUP_DEDUP_H

#include <dedup/status.h>
#include <dedup/reader.h>
#include <dedup/pathlist.h>
#include <dedup/normalize.h>
#include <dedup/shingle.h>
#include <dedup/terms.h>
#include <dedup/idf.h>
#include <dedup/story.h>
#include <dedup/minhash.h>
#include <dedup/simhash.h>
#include <dedup/lsh.h>
#include <dedup/verify.h>
#include <dedup/cluster.h>
#include <dedup/pipeline.h>
#include <dedup/report.h>
#include <dedup/emit.h>
#include <dedup/explain.h>
#include <dedup/report_html.h>
#include <dedup/eval.h>
#include <dedup/vocab.h>
#include <dedup/store.h>
#include <dedup/index.h>

#endif
