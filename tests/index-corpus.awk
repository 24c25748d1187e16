# Deterministic JSON Lines corpus: N articles of 120-200 words from a 3000-word vocabulary;
# every tenth article is a copy of an earlier one with a new first sentence.
BEGIN {
    srand(7);
    for (i = 0; i < 3000; i++) {
        w = "";
        l = 3 + int(rand() * 6);
        for (j = 0; j < l; j++) w = w substr("abcdefghijklmnopqrstuvwxyz", 1 + int(rand() * 26), 1);
        v[i] = w;
    }
    for (d = 0; d < N; d++) {
        if (d % 10 == 9) {
            t = "breaking update " v[int(rand() * 3000)] " " body[int(rand() * d)];
        } else {
            t = "";
            l = 120 + int(rand() * 80);
            for (j = 0; j < l; j++) t = t (j ? " " : "") v[int(rand() * rand() * 3000)];
        }
        body[d] = t;
        printf "{\"id\":\"g%05d\",\"text\":\"%s\"}\n", d, t;
    }
}
