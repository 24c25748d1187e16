#!/usr/bin/env bash
# Thread-count determinism: dedup must print the same bytes (stdout, stderr, exit status) for
# -j1, -j2 and -j8, at both levels and in every output format, on the committed samples in
# data/ and, when ../shared/data is beside the repository, on its corpora (skipped with a
# message when it is not). Batches are small here (a few hundred documents), so -j8 on
# Reuters-21578 exercises many batches in flight and out-of-order completion.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
DEDUP=$(realpath "${DEDUP:-$root/build/dedup}")
shared=${SHARED:-$root/../shared}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# same NAME DEDUP-ARGS...: run with -j1, -j2, -j8 from data/ (stdin from $IN, else empty)
# and compare the three runs.
same() {
    local name=$1 j
    shift
    for j in 1 2 8; do
        (cd "$root/data" && "$DEDUP" -j"$j" "$@" <"${IN:-/dev/null}" >"$tmp/out.$j" 2>"$tmp/err.$j"; echo $? >"$tmp/exit.$j")
    done
    for j in 2 8; do
        if ! cmp -s "$tmp/out.1" "$tmp/out.$j" || ! cmp -s "$tmp/err.1" "$tmp/err.$j" ||
            ! cmp -s "$tmp/exit.1" "$tmp/exit.$j"; then
            echo "FAIL threads $name: -j$j differs from -j1"
            fail=$((fail + 1))
            return
        fi
    done
    pass=$((pass + 1))
}

for level in copies stories; do
    for fmt in text jsonl csv; do
        same "tiny/$level/$fmt" --level "$level" --format "$fmt" tiny/
    done
    same "jsonl/$level" --level "$level" --format jsonl jsonl/ hama/
    same "bad/$level" --level "$level" --format jsonl bad/ jsonl/malformed.jsonl tiny/ tiny/
    same "dup-ids/$level" --level "$level" jsonl/sample.jsonl jsonl/sample.jsonl
done
IN=$root/data/jsonl/sample.jsonl same "stdin" --stdin-format jsonl -

if [ -d "$shared/data" ]; then
    d=$shared/data
    same "shared/reuters/copies" --level copies --format jsonl "$d/reuters21578/reuters21578.jsonl"
    same "shared/copies-dev/copies" --level copies --format jsonl "$d/copies-dev/docs"
    same "shared/rewrites-dev/stories" --level stories --format jsonl "$d/rewrites-dev"
    same "shared/bbc/copies" --level copies "$d/bbc"
else
    echo "threads: ../shared checks skipped (no ../shared/data beside the repository)"
fi
echo "threads: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
