/* `dedup eval`: score a clusters file (dedup --format jsonl) against doc<TAB>group labels. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_eval(const cli_opts *o)
{
    const char *cpath = o->n_paths ? o->paths[0] : "-";
    FILE *tf = fopen(o->truth, "r"), *cf;
    dd_eval_result e;
    char err[512];
    dd_status st;

    if (!tf) {
        fprintf(stderr, "dedup: %s: %s\n", o->truth, strerror(errno));
        return CLI_ERROR;
    }
    cf = strcmp(cpath, "-") == 0 ? stdin : fopen(cpath, "r");
    if (!cf) {
        fprintf(stderr, "dedup: %s: %s\n", cpath, strerror(errno));
        fclose(tf);
        return CLI_ERROR;
    }
    st = dd_eval_run(tf, o->truth, cf, cpath, &e, err, sizeof err);
    fclose(tf);
    if (cf != stdin)
        fclose(cf);
    if (st != DD_OK) {
        fprintf(stderr, "dedup: %s\n", err[0] ? err : dd_strerror(st));
        return CLI_ERROR;
    }
    printf("labelled %zu documents in %zu groups; %zu clusters read\n", e.labelled, e.groups,
           e.clusters);
    printf("pairs: tp %zu fp %zu fn %zu\n", e.tp, e.fp, e.fn);
    printf("precision %.4f\nrecall %.4f\nf1 %.4f\nari %.4f\n", e.precision, e.recall, e.f1,
           e.ari);
    return cli_stdout_done();
}
