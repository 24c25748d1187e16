/* Verification stage: one linear merge over two sorted sets gives the intersection, from
 * which Jaccard and containment follow exactly. */
#include <dedup/dedup.h>

dd_set_score dd_verify_sets(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    dd_set_score s = {0, 0.0, 0.0};
    size_t i = 0, j = 0;

    while (i < na && j < nb) {
        if (a[i] < b[j])
            i++;
        else if (a[i] > b[j])
            j++;
        else {
            s.inter++;
            i++;
            j++;
        }
    }
    if (na && nb) {
        s.jaccard = (double)s.inter / (double)(na + nb - s.inter);
        s.containment = (double)s.inter / (double)(na < nb ? na : nb);
    }
    return s;
}
