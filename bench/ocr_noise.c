/* OCR noise model for the OCR dev set (scripts/ocr-devset.sh, docs/ALGORITHMS.md section 2).
 * Reads a text on stdin, writes it to stdout as a page scanned and read by OCR would give it:
 * per character (rate -r, e.g. 0.03), one error event drawn from what OCR engines are known
 * to do: a glyph confused with a look-alike (rn/m, cl/d, 1/l/I, 0/O/o, 5/S, e/c, h/b, u/n,
 * vv/w, li/h ...), a character lost, a speck read as `.` `,` `'`, two words run together or
 * one word split. With -w N the text is set in lines of about N columns and a word crossing
 * the margin is hyphenated there ("govern-\nment"), as in a newspaper column. Deterministic:
 * the output depends only on the input, -r, -w and the seed -s.
 *
 *   ocr_noise -r 0.03 [-s seed] [-w 60] < clean.txt > noisy.txt
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rng(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double unif(void)
{
    return (double)(rng() >> 11) / 9007199254740992.0;
}

/* Look-alike confusions, both directions listed where OCR makes both. A source longer than
 * one character (rn, cl, vv, li) is matched at the current position. */
static const struct {
    const char *from, *to;
} conf[] = {
    {"m", "rn"}, {"rn", "m"}, {"d", "cl"}, {"cl", "d"}, {"l", "1"}, {"1", "l"}, {"l", "I"},
    {"I", "l"},  {"i", "l"},  {"l", "i"},  {"0", "O"},  {"O", "0"}, {"o", "0"}, {"0", "o"},
    {"5", "S"},  {"S", "5"},  {"s", "5"},  {"e", "c"},  {"c", "e"}, {"h", "b"}, {"b", "h"},
    {"u", "n"},  {"n", "u"},  {"w", "vv"}, {"vv", "w"}, {"h", "li"}, {"li", "h"}, {"a", "o"},
    {"t", "f"},  {"f", "t"},  {"B", "8"},  {"g", "q"},  {"E", "F"}, {"r", "n"},
};
enum { N_CONF = sizeof conf / sizeof conf[0] };

static char *out;
static size_t out_n, out_cap;

static void put(const char *s, size_t n)
{
    if (out_n + n + 1 > out_cap) {
        out_cap = (out_n + n + 1) * 2;
        out = realloc(out, out_cap);
        if (!out) {
            fputs("ocr_noise: out of memory\n", stderr);
            exit(1);
        }
    }
    memcpy(out + out_n, s, n);
    out_n += n;
}

static int is_alnum(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* One error event at in[i]; returns how many input bytes it consumed. */
static size_t event(const char *in, size_t i, size_t n)
{
    double u = unif();
    size_t j, tries;

    if (u < 0.55) { /* confusion: a look-alike that starts here, else another event */
        for (tries = 0; tries < 8; tries++) {
            j = (size_t)(rng() % N_CONF);
            size_t fl = strlen(conf[j].from);
            if (i + fl <= n && memcmp(in + i, conf[j].from, fl) == 0) {
                put(conf[j].to, strlen(conf[j].to));
                return fl;
            }
        }
        for (j = 0; j < N_CONF; j++) {
            size_t fl = strlen(conf[j].from);
            if (i + fl <= n && memcmp(in + i, conf[j].from, fl) == 0 && rng() % 2) {
                put(conf[j].to, strlen(conf[j].to));
                return fl;
            }
        }
        put(in + i, 1);
        return 1;
    }
    if (u < 0.80) /* a lost character */
        return 1;
    if (u < 0.88) { /* a speck before it */
        static const char specks[] = ".,'";
        put(&specks[rng() % 3], 1);
        put(in + i, 1);
        return 1;
    }
    if (u < 0.94) { /* a word split: a space after it */
        put(in + i, 1);
        put(" ", 1);
        return 1;
    }
    put(in + i, 1); /* words run together: the next space is lost */
    if (i + 1 < n && in[i + 1] == ' ')
        return 2;
    return 1;
}

/* Set words in lines of about `width` columns, hyphenating a long word at the margin. */
static void wrap(const char *s, size_t n, size_t width, FILE *f)
{
    size_t i = 0, col = 0;

    while (i < n) {
        size_t e = i;
        if (s[i] == '\n' && i + 1 < n && s[i + 1] == '\n') { /* paragraph breaks stay */
            fputs(col ? "\n\n" : "\n", f);
            col = 0;
            i += 2;
            continue;
        }
        if (s[i] == ' ' || s[i] == '\n') {
            i++;
            continue;
        }
        while (e < n && s[e] != ' ' && s[e] != '\n')
            e++;
        if (col && col + 1 + (e - i) > width) {
            size_t room = width > col + 2 ? width - col - 2 : 0;
            if (room >= 3 && e - i >= room + 3 && is_alnum(s[i + room - 1]) &&
                is_alnum(s[i + room])) {
                fprintf(f, " %.*s-\n", (int)room, s + i);
                i += room;
            } else {
                fputc('\n', f);
            }
            col = 0;
        } else if (col) {
            fputc(' ', f);
            col++;
        }
        fwrite(s + i, 1, e - i, f);
        col += e - i;
        i = e;
    }
}

int main(int argc, char **argv)
{
    double rate = 0.02;
    unsigned long long seed = 1;
    size_t width = 0, n = 0, cap = 1 << 16, i;
    char *in = malloc(cap);
    size_t got;
    int a;

    for (a = 1; a + 1 < argc; a += 2) {
        if (!strcmp(argv[a], "-r"))
            rate = atof(argv[a + 1]);
        else if (!strcmp(argv[a], "-s"))
            seed = strtoull(argv[a + 1], NULL, 10);
        else if (!strcmp(argv[a], "-w"))
            width = (size_t)strtoul(argv[a + 1], NULL, 10);
        else
            break;
    }
    if (a != argc || !in || rate < 0 || rate > 1) {
        fputs("usage: ocr_noise -r RATE [-s SEED] [-w WIDTH] < in > out\n", stderr);
        return 2;
    }
    rng_state = seed * 0x2545F4914F6CDD1DULL + 1;
    while ((got = fread(in + n, 1, cap - n, stdin)) > 0) {
        n += got;
        if (n == cap && !(in = realloc(in, cap *= 2)))
            return 1;
    }
    for (i = 0; i < n;) {
        if (in[i] != ' ' && in[i] != '\n' && unif() < rate) {
            i += event(in, i, n);
        } else {
            put(in + i, 1);
            i++;
        }
    }
    if (width)
        wrap(out, out_n, width, stdout);
    else
        fwrite(out, 1, out_n, stdout);
    free(in);
    free(out);
    return 0;
}
