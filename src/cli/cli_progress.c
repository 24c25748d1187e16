/* The progress line: "dedup: N documents, X of Y MB, R MB/s, ETA m:ss" on stderr, redrawn
 * in place at most ten times a second, and only when stderr is a terminal (o->progress) and
 * not with -q. The total is the inputs' size on disk, summed before reading; the reader
 * reports on-disk bytes consumed (compressed bytes for archives), so the two compare. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

static struct {
    bool on, shown;
    unsigned long long total;
    double start, last;
} pg;

static unsigned long long walk_total;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int add_size(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)path;
    (void)ftw;
    if (type == FTW_F && S_ISREG(sb->st_mode))
        walk_total += (unsigned long long)sb->st_size;
    return 0;
}

void cli_progress_start(const cli_opts *o)
{
    size_t i;

    memset(&pg, 0, sizeof pg);
    pg.on = o->progress && o->verbosity > 0;
    if (!pg.on)
        return;
    walk_total = 0;
    for (i = 0; i < o->n_paths + o->n_listed; i++) {
        const char *p = i < o->n_paths ? o->paths[i] : o->listed[i - o->n_paths];
        if (strcmp(p, "-") != 0)
            nftw(p, add_size, 16, 0);
    }
    pg.total = walk_total;
    pg.start = pg.last = now();
}

void cli_progress_clear(void)
{
    if (pg.shown)
        fputs("\r\033[K", stderr);
    pg.shown = false;
}

void cli_progress_update(void *ud, size_t items, unsigned long long bytes)
{
    double t = now(), mb = (double)bytes / 1e6, rate;

    (void)ud;
    if (!pg.on || (pg.shown && t - pg.last < 0.1))
        return;
    pg.last = t;
    rate = t > pg.start ? mb / (t - pg.start) : 0;
    fprintf(stderr, "\r\033[Kdedup: %zu documents, ", items);
    if (pg.total && bytes <= pg.total) {
        double left = rate > 0 ? ((double)(pg.total - bytes) / 1e6) / rate : 0;
        fprintf(stderr, "%.1f of %.1f MB, %.1f MB/s, ETA %d:%02d", mb, (double)pg.total / 1e6, rate,
                (int)(left / 60), (int)left % 60);
    } else {
        fprintf(stderr, "%.1f MB, %.1f MB/s", mb, rate);
    }
    pg.shown = true;
}
