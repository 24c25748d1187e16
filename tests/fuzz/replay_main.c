/* Replay driver: a main() for the fuzz targets so gcc builds them without libFuzzer and
 * `make fuzz-replay` (part of `make check`) runs every saved corpus input under ASan/UBSan.
 * Usage: replay_<target> FILE_OR_DIR...; folders are read one level deep, in name order. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;

    if (!f) {
        perror(path);
        return 1;
    }
    for (;;) {
        if (n == cap) {
            uint8_t *p = realloc(buf, cap = cap ? cap * 2 : 4096);
            if (!p) {
                free(buf);
                fclose(f);
                return 1;
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
    size_t ran = 0;
    int i, bad = 0;

    for (i = 1; i < argc; i++) {
        struct stat sb;
        struct dirent **ents;
        int n, j;

        if (stat(argv[i], &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            bad |= run_file(argv[i]);
            ran++;
            continue;
        }
        n = scandir(argv[i], &ents, NULL, by_name);
        if (n < 0) {
            perror(argv[i]);
            return 1;
        }
        for (j = 0; j < n; j++) {
            char path[4096];
            if (ents[j]->d_name[0] != '.') {
                snprintf(path, sizeof path, "%s/%s", argv[i], ents[j]->d_name);
                bad |= run_file(path);
                ran++;
            }
            free(ents[j]);
        }
        free(ents);
    }
    printf("%s: %zu inputs replayed\n", argv[0], ran);
    return bad;
}
