#!/usr/bin/env bash
# Score dedup on the OCR dev set (scripts/ocr-devset.sh): per half and noise rate, pairwise
# precision, recall and F1 at the copies level, and how many clusters hold two or more of
# the footer stories (f*, which must each stay alone).
#   scripts/ocr-eval.sh [DIR] [DEDUP-ARGS...]      (DIR defaults to build/ocr-dev)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
DEDUP=${DEDUP:-$root/build/dedup}
dir=${1:-$root/build/ocr-dev}
[ $# -gt 0 ] && shift
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for half in ${HALVES:-tune held}; do
    for r in ${RATES:-1 2 3 5}; do
        d=$dir/$half/r$r
        "$DEDUP" -q --level copies --format jsonl "$@" "$d/docs" >"$tmp"
        "$DEDUP" eval --truth "$d/truth.tsv" "$tmp" | awk -v h=$half -v r=$r '
            { v[$1] = $2 } END { printf "%s r%s%%  P %s  R %s  F1 %s", h, r, v["precision"], v["recall"], v["f1"] }'
        awk '/"cluster"/ { n = gsub(/"id":"[^"]*\/fr[0-9]+\.txt"/, "&"); if (n > 1) m++ } END { printf "  footer clusters %d\n", m + 0 }' "$tmp"
    done
done
