/* The pipeline in this process: build/dedup. build/dedup-mpi links src/mpi/cli_engine_mpi.c
 * in its place. */
#include "cli.h"

void cli_engine_init(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
}

bool cli_engine_writer(void)
{
    return true;
}

dd_status cli_engine_run(const dd_pipeline_opts *o, dd_reader *r, bool shardable,
                         dd_result **out)
{
    (void)shardable;
    return dd_pipeline_run(o, r, out);
}

int cli_engine_end(int rc)
{
    return rc;
}
