/* SimHash stage: 64 weighted votes per feature. Floats are enough: only the sign of each
 * sum is kept, and features are summed in the caller's (deterministic) order. */
#include <dedup/dedup.h>

#include <math.h>

uint64_t dd_simhash(const uint64_t *hashes, const float *weights, size_t n)
{
    float v[64] = {0};
    uint64_t fp = 0;
    size_t i;
    int b;

    for (i = 0; i < n; i++)
        for (b = 0; b < 64; b++)
            v[b] += (hashes[i] >> b & 1) ? weights[i] : -weights[i];
    for (b = 0; b < 64; b++)
        if (v[b] > 0)
            fp |= (uint64_t)1 << b;
    return fp;
}

unsigned dd_hamming(uint64_t a, uint64_t b)
{
    return (unsigned)__builtin_popcountll(a ^ b);
}

double dd_simhash_expected_distance(double cos)
{
    if (cos > 1)
        cos = 1;
    if (cos < -1)
        cos = -1;
    return 64.0 * acos(cos) / M_PI;
}
