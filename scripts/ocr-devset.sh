#!/usr/bin/env bash
# OCR dev set (issue 11; docs/ALGORITHMS.md, "Copies through OCR noise"). Built from the
# Reuters originals of ../shared/data/copies-dev, noised by build/bench/ocr_noise:
#
#   scripts/ocr-devset.sh OUT          (or: make ocr-devset; OUT defaults to build/ocr-dev)
#   HALVES="held" RATES="3" scripts/ocr-devset.sh OUT     (a part only: tests/accuracy.sh)
#
# Two halves on disjoint stories and seeds: OUT/tune (stories at even places of the sorted
# list, the half the thresholds were chosen on) and OUT/held (odd places, never tuned on).
# Each half has one set per noise rate R in 1 2 3 5 (% of characters): OUT/HALF/rR/docs and
# OUT/HALF/rR/truth.tsv, with
#   150 stories s<ID>, each with two OCR copies: -o1 set in 60-column lines with hyphenated
#       line ends, -o2 trimmed to its first 60% of words; copies are noised independently,
#       so -o1 ~ -o2 is a noisy-to-noisy pair;
#   60 distinct stories f<ID> under one long shared footer, half of them noised (each its
#       own story: none may be grouped with another);
#   the remaining originals as distractors d<ID>, one in five noised.
# Deterministic: the same OUT for the same inputs. About 2 x 4 x 1,150 documents, 40 MB.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/ocr-dev}
src=${SHARED:-$root/../shared}/data/copies-dev/docs
noise=${OCR_NOISE:-$root/build/bench/ocr_noise}
dedup=${DEDUP:-$root/build/dedup}
[ -d "$src" ] || { echo "ocr-devset: needs $src" >&2; exit 1; }
[ -x "$noise" ] || { echo "ocr-devset: needs $noise (make build/bench/ocr_noise)" >&2; exit 1; }
[ -x "$dedup" ] || { echo "ocr-devset: needs $dedup (make)" >&2; exit 1; }

footer='About this newsletter: The Daily Commodity Wire is published every business day by
Harbour Street Media for its subscribers. Prices and quotations are supplied by the
exchanges and are believed to be reliable, but they are not guaranteed and are given for
information only. Nothing in this newsletter is an offer to buy or sell any commodity,
security or contract. To change your subscription, write to the circulation desk or call
our reader service line during office hours. Copyright Harbour Street Media, all rights reserved.'

# The originals with at least 80 words, in byte order of their names, less those Reuters
# sent twice (r12844 and r12856 are one story): a pair of clean originals with a word
# shingle Jaccard of 0.5 or more (dedup, Jaccard alone) is left out, both sides.
list=$(mktemp)
orig=$(mktemp -d)
trap 'rm -rf "$list" "$orig"' EXIT
for f in "$src"/r*.txt; do
    case $f in *-c*) continue ;; esac
    [ "$(wc -w <"$f")" -ge 80 ] && ln -s "$f" "$orig/$(basename "$f")"
done
"$dedup" -q --level copies -t 0.5 -c 0 --format csv "$orig" | tail -n +2 | cut -d, -f1,2 |
    tr ',' '\n' | sed 's#.*/##; s#\.txt$##' | LC_ALL=C sort -u >"$orig.dup"
ls "$orig" | sed 's#\.txt$##' | LC_ALL=C sort | LC_ALL=C comm -23 - "$orig.dup" >"$list"
rm -f "$orig.dup"

trim() { # first 60% of words, headline and body as one paragraph
    awk -v keep="$(($(wc -w <"$1") * 6 / 10))" '{ for (k = 1; k <= NF; k++) if (++n <= keep) printf "%s%s", $k, (n < keep ? " " : "\n") }' "$1"
}

for half in ${HALVES:-tune held}; do
    if [ $half = tune ]; then par=0 base=1000; else par=1 base=2000; fi
    for r in ${RATES:-1 2 3 5}; do
        d=$out/$half/r$r
        rm -rf "$d"
        mkdir -p "$d/docs"
        printf 'doc\tgroup\n' >"$d/truth.tsv"
        rate=$(awk -v r=$r 'BEGIN { printf "%.3f", r / 100 }')
        i=0
        n=0
        while read -r id; do
            i=$((i + 1))
            [ $((i % 2)) = $par ] || continue
            n=$((n + 1))
            f=$src/$id.txt
            seed=$((base + 10 * n + r))
            if [ $n -le 150 ]; then
                cp "$f" "$d/docs/s$id.txt"
                "$noise" -r "$rate" -s "$seed" -w 60 <"$f" >"$d/docs/s$id-o1.txt"
                trim "$f" | "$noise" -r "$rate" -s "$((seed + 5))" >"$d/docs/s$id-o2.txt"
                printf 's%s\tg%s\ns%s-o1\tg%s\ns%s-o2\tg%s\n' "$id" "$id" "$id" "$id" "$id" "$id" >>"$d/truth.tsv"
            elif [ $n -le 210 ]; then
                if [ $((n % 2)) = 0 ]; then
                    printf '%s\n\n%s\n' "$(cat "$f")" "$footer" >"$d/docs/f$id.txt"
                else
                    printf '%s\n\n%s\n' "$(cat "$f")" "$footer" | "$noise" -r "$rate" -s "$seed" >"$d/docs/f$id.txt"
                fi
            elif [ $((n % 5)) = 0 ]; then
                "$noise" -r "$rate" -s "$seed" <"$f" >"$d/docs/d$id.txt"
            else
                cp "$f" "$d/docs/d$id.txt"
            fi
        done <"$list"
    done
done
echo "ocr-devset: $out/{tune,held}/r{1,2,3,5}"
