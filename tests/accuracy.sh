#!/usr/bin/env bash
# Accuracy checks on the labelled sets in ../shared/data (beside the repository). They run
# when ../shared is there and say so when it is not; a user's clone passes without them.
# Each check: run dedup, score with `dedup eval`, compare F1 with the floor the issue sets.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
DEDUP=${DEDUP:-$root/build/dedup}
shared=${SHARED:-$root/../shared}
if [ ! -d "$shared/data" ]; then
    echo "accuracy: skipped (no ../shared/data beside the repository)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# check NAME MIN_F1 TRUTH DEDUP-ARGS...
check() {
    local name=$1 floor=$2 truth=$3 f1
    shift 3
    "$DEDUP" -q --format jsonl "$@" >"$tmp/${name//\//_}.jsonl" || { echo "FAIL $name: dedup exit $?"; fail=$((fail + 1)); return; }
    f1=$("$DEDUP" eval --truth "$truth" "$tmp/${name//\//_}.jsonl" | awk '$1 == "f1" { print $2 }')
    if awk -v f="$f1" -v m="$floor" 'BEGIN { exit !(f >= m) }'; then
        echo "ok   $name: f1 $f1 (floor $floor)"
        pass=$((pass + 1))
    else
        echo "FAIL $name: f1 $f1 below $floor"
        fail=$((fail + 1))
    fi
}

# hama_cluster NAME PATH...: the five Hama reports form exactly one cluster of those five.
hama_cluster() {
    local name=$1 got
    shift
    got=$("$DEDUP" -q --format jsonl "$@" | awk '/"cluster"/ && /hama\// {
        n = gsub(/"id":"[^"]*"/, "&"); h = gsub(/"id":"[^"]*hama\/[^"]*"/, "&"); print n "/" h }')
    if [ "$got" = "5/5" ]; then
        echo "ok   $name: one cluster holding exactly the five Hama reports"
        pass=$((pass + 1))
    else
        echo "FAIL $name: clusters with Hama reports (members/hama): ${got:-none}"
        fail=$((fail + 1))
    fi
}

d=$shared/data
check copies-dev/copies 0.97 "$d/copies-dev/truth.tsv" --level copies "$d/copies-dev/docs"
check copies-dev/copies-jsonl 0.97 "$d/copies-dev/truth.tsv" --level copies "$d/copies-dev/corpus.jsonl"
check copies-dev/stories 0.95 "$d/copies-dev/truth.tsv" --level stories "$d/copies-dev/docs"
check rewrites-dev/stories 0.90 "$d/rewrites-dev/truth.tsv" "$d/rewrites-dev/docs"
hama_cluster hama "$d/hama"
hama_cluster hama+bbc "$d/hama" "$d/bbc"
echo "accuracy: $pass passed, $fail failed"
[ $fail = 0 ]
