/* OCR noise estimate: tokens -> unknown words per thousand. The built-in vocabulary's words
 * are hashed once per run with the run's token seed into an open-addressing table, so a
 * token costs one probe with the hash dd_token_hashes already made. */
#include <dedup/dedup.h>

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

extern const char *const dd__vocab_news_en[];
extern const size_t dd__vocab_news_en_lines;

/* One bit per value of a hash's top VOCAB_BITS bits (128 KB, so it stays in cache): a word is
 * known when its bit is set. 25,000 words set about 2.4% of the bits, so that share of
 * misread words pass for known ones; the estimate is a share, and only a little lower. */
enum { VOCAB_BITS = 20 };

struct dd_vocab {
    uint64_t bits[((size_t)1 << VOCAB_BITS) / 64];
};

dd_status dd_vocab_new(uint64_t seed, dd_vocab **out)
{
    dd_vocab *v = calloc(1, sizeof *v);
    size_t i;

    *out = NULL;
    if (!v)
        return DD_ENOMEM;
    for (i = 0; i < dd__vocab_news_en_lines; i++) {
        const char *w = dd__vocab_news_en[i];
        uint64_t b = dd__token_hash(w, strlen(w), seed) >> (64 - VOCAB_BITS);
        v->bits[b / 64] |= (uint64_t)1 << (b % 64);
    }
    *out = v;
    return DD_OK;
}

void dd_vocab_free(dd_vocab *v)
{
    free(v);
}

static bool known(const dd_vocab *v, uint64_t h)
{
    uint64_t b = h >> (64 - VOCAB_BITS);

    return v->bits[b / 64] >> (b % 64) & 1;
}

/* 1st, 22nd, 3rd, 4th: digits, then the two letters of an English ordinal. */
static bool ordinal(const unsigned char *p, size_t len, size_t digits)
{
    static const char suf[][3] = {"st", "nd", "rd", "th"};
    size_t i;

    if (digits + 2 != len)
        return false;
    for (i = 0; i < 4; i++)
        if (p[len - 2] == suf[i][0] && p[len - 1] == suf[i][1])
            return true;
    return false;
}

/* Whether an unknown token is a word (ASCII letters, or digits and an ordinal's letters:
 * those are checked) and whether it counts as misread. */
static void judge(const dd_span *t, size_t *checked, size_t *unknown)
{
    const unsigned char *p = (const unsigned char *)t->ptr;
    size_t len = t->len, j, letters = 0, digits = 0;

    for (j = 0; j < len; j++) {
        unsigned char c = p[j];
        letters += c >= 'a' && c <= 'z';
        digits += c >= '0' && c <= '9';
    }
    if (letters == 0 || letters + digits != len)
        return;
    (*checked)++;
    if (digits)
        *unknown += !ordinal(p, len, digits);
    else
        (*unknown)++;
}

/* Tokens a block at a time: the table probes of a block do not wait on each other's branches
 * (most tokens are known words), then the few unknown ones are judged. */
enum { NOISE_BLOCK = 32 };

unsigned dd_vocab_noise(const dd_vocab *v, const dd_span *toks, const uint64_t *hashes, size_t n)
{
    size_t i, j, checked = 0, unknown = 0;

    for (i = 0; i < n; i += NOISE_BLOCK) {
        size_t end = n - i < NOISE_BLOCK ? n : i + NOISE_BLOCK, nu = 0;
        uint32_t odd[NOISE_BLOCK];
        for (j = i; j < end; j++) { /* the vocabulary holds ASCII words only */
            const bool longer = toks[j].len >= 3, k = known(v, hashes[j]);
            checked += longer & k;
            odd[nu] = (uint32_t)j;
            nu += longer & !k;
        }
        for (j = 0; j < nu; j++)
            judge(&toks[odd[j]], &checked, &unknown);
    }
    return (unsigned)(unknown * 1000 / (checked + DD_VOCAB_PRIOR));
}
