/* The pipeline on MPI ranks: build/dedup-mpi, run as `mpirun -np N dedup-mpi [OPTION]...
 * PATH...`. Every rank parses the same command line and reads the same PATHs; rank 0
 * writes the report and every message, the others' standard output goes to /dev/null. */
#include "../cli/cli.h"

#include <dedup/pipeline_mpi.h>

#include <stdio.h>

static int rank;

void cli_engine_init(int *argc, char ***argv)
{
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank != 0 && !freopen("/dev/null", "w", stdout))
        MPI_Abort(MPI_COMM_WORLD, 1);
}

bool cli_engine_writer(void)
{
    return rank == 0;
}

/* A rank that fails leaves the others in an exchange: the whole run stops. Standard input
 * reaches rank 0 alone, so a run that reads it is rank 0's alone. */
dd_status cli_engine_run(const dd_pipeline_opts *o, dd_reader *r, bool shardable,
                         dd_result **out)
{
    dd_status st;

    *out = NULL;
    if (!shardable)
        st = rank == 0 ? dd_pipeline_run(o, r, out) : DD_OK;
    else
        st = dd_pipeline_run_mpi(o, r, MPI_COMM_WORLD, out);
    if (st != DD_OK && shardable) {
        fprintf(stderr, "dedup: rank %d: %s\n", rank, dd_strerror(st));
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    return st;
}

int cli_engine_end(int rc)
{
    MPI_Finalize();
    return rc;
}
