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

d=$shared/data
check copies-dev/copies 0.97 "$d/copies-dev/truth.tsv" --level copies "$d/copies-dev/docs"
check copies-dev/copies-jsonl 0.97 "$d/copies-dev/truth.tsv" --level copies "$d/copies-dev/corpus.jsonl"
echo "accuracy: $pass passed, $fail failed"
[ $fail = 0 ]
