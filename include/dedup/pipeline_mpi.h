/* The pipeline on MPI ranks (build/dedup-mpi; built only when Open MPI is installed). Every
 * rank calls dd_pipeline_run_mpi with the same options and a reader over the same PATHs;
 * the work is shared out and rank 0's result is the one dd_pipeline_run gives, byte for
 * byte once written. docs/SCALE.md describes what each rank holds and sends. */
#ifndef DEDUP_PIPELINE_MPI_H
#define DEDUP_PIPELINE_MPI_H

#include <dedup/pipeline.h>

#include <mpi.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Run the pipeline on the ranks of `comm` (collective: every rank must call it). The
 *  reader must yield the same documents on every rank: PATHs, not standard input. On
 *  DD_OK rank 0's `*out` is the full result; the other ranks' results hold the documents
 *  (their paths, but empty ids and titles and no dates or records) and copies pairs but no
 *  story clusters, and are only to be freed. Reader warnings about repeated ids are rank 0's
 *  alone. A rank that returns an error leaves the others waiting: call MPI_Abort. */
dd_status dd_pipeline_run_mpi(const dd_pipeline_opts *opts, dd_reader *r, MPI_Comm comm,
                              dd_result **out);

#ifdef __cplusplus
}
#endif

#endif
