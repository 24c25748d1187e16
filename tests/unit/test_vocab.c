/* Unit tests for the OCR noise estimate: tokens -> unknown words per thousand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <dedup/dedup.h>

/* dd_vocab_noise of a text, normalized and hashed as the pipeline does (seed 1). */
static unsigned noise_of(const dd_vocab *v, const char *text)
{
    dd_normalizer *nz = NULL;
    const dd_span *t;
    size_t n = 0;
    uint64_t h[256];
    unsigned r;

    assert_int_equal(dd_normalizer_new(&nz), DD_OK);
    assert_int_equal(dd_normalize(nz, text, strlen(text), &t, &n), DD_OK);
    assert_true(n <= 256);
    dd_token_hashes(t, n, 1, h);
    r = dd_vocab_noise(v, t, h, n);
    dd_normalizer_free(nz);
    return r;
}

static void test_vocab_noise_clean_and_misread(void **state)
{
    /* 30 checked words each (three-letter or longer); the prior adds 25 to the denominator,
     * so k unknown words give k * 1000 / 55. */
    static const struct {
        const char *text;
        unsigned want;
    } cases[] = {
        {"The government said on Tuesday that wheat prices would rise again next year after "
         "the harvest failed in several provinces because rains came late and farmers could "
         "not sell their grain abroad",
         0},
        {"Tbe governrnent said on Tuesday tbat wheat prices would rise again next year after "
         "the harvest failed in several provinces because rains came late and farmers could "
         "not sell their grain abroad",
         54}, /* tbe, governrnent, tbat: 3 / 55 */
        {"The g0vernment said on Tuesday that wheat prices would rise again next year after "
         "the harvest failed in several provinces because rains came late and farmers could "
         "not sell their grain abroad in 4th",
         17}, /* g0vernment mixes digits (unknown); 4th is an ordinal (known): 1000 / 56 */
        {"", 0},
        {"on to be at", 0}, /* nothing checked */
    };
    dd_vocab *v = NULL;
    size_t i;

    (void)state;
    assert_int_equal(dd_vocab_new(1, &v), DD_OK);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned got = noise_of(v, cases[i].text);
        if (got != cases[i].want)
            fail_msg("case %zu: noise %u, want %u", i, got, cases[i].want);
    }
    dd_vocab_free(v);
    dd_vocab_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vocab_noise_clean_and_misread),
    };
    return cmocka_run_group_tests_name("vocab", tests, NULL, NULL);
}
