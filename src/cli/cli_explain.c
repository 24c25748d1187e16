/* `dedup explain A B`: placeholder until the explain stage lands. */
#include <stdio.h>

#include "cli.h"

int cli_explain(cli_opts *o)
{
    (void)o;
    return cli_usage_error("explain is not available yet");
}
