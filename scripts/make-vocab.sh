#!/bin/sh
# data/vocab/news-en.txt: English word forms of news (letters only, 2+ characters, case
# folded) found in 3 or more articles of Reuters-21578 and the BBC corpus, one a line, byte
# order. It is compiled into the library; the copies level uses it only to estimate how
# noisy (OCR-misread) a document is (docs/ALGORITHMS.md, "Copies through OCR noise").
#   scripts/make-vocab.sh > data/vocab/news-en.txt
set -eu
d=${SHARED:-$(dirname "$0")/../../shared}/data
{
    # one article a line: the JSON Lines file as it is (escapes become separators), the
    # BBC files joined
    sed 's/\\[nrt"]/ /g' "$d/reuters21578/reuters21578.jsonl"
    for f in "$d"/bbc/*/*.txt; do tr '\n' ' ' <"$f"; echo; done
} | LC_ALL=C awk '{
    s = tolower($0); gsub(/'"'"'/, "", s); n = split(s, w, /[^a-z0-9]+/); delete seen
    for (i = 1; i <= n; i++)
        if (w[i] ~ /^[a-z][a-z]+$/ && !(w[i] in seen)) { seen[w[i]] = 1; df[w[i]]++ }
} END { for (x in df) if (df[x] >= 3) print x }' | LC_ALL=C sort
