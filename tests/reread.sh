#!/usr/bin/env bash
# Sets read again (docs/ARCHITECTURE.md). At the copies level, past --keep-text bytes of
# text, the shingle sets of documents from regular files are not kept: verification reads
# them again. --keep-text 0 makes every such document read again here.
#  1. Read again or kept, the clusters are the same: a JSON Lines file given by name (read
#     again by record offset) against the same bytes on stdin (kept), on data/ samples and,
#     when ../shared/data is beside the repository, on its JSON Lines corpora.
#  2. A file that changes or vanishes between signing and verification is reported by name
#     ("changed during the run"), its pairs are not verified, the run goes on, and
#     --strict makes that an error. A FIFO named after the files makes the timing exact:
#     dedup opens it only after it has read the files before it.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
DEDUP=$(realpath "${DEDUP:-$root/build/dedup}")
shared=${SHARED:-$root/../shared}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() {
    echo "FAIL reread $1"
    fail=$((fail + 1))
}

# same_as_kept NAME FILE.jsonl [ARGS...]: by name vs on stdin, stdout and exit status.
same_as_kept() {
    local name=$1 file=$2
    shift 2
    "$DEDUP" --level copies --format csv --keep-text 0 "$@" "$file" >"$tmp/named" \
        2>"$tmp/named.err"
    echo $? >>"$tmp/named"
    "$DEDUP" --level copies --format csv --stdin-format jsonl "$@" - <"$file" >"$tmp/kept" \
        2>"$tmp/kept.err"
    echo $? >>"$tmp/kept"
    if cmp -s "$tmp/named" "$tmp/kept" && [ "$(wc -l <"$tmp/named")" -gt 2 ]; then
        ok
    else
        bad "$name: read again differs from kept (or found nothing)"
        diff "$tmp/named" "$tmp/kept" | head -5
    fi
}

# piped NAME FILE.jsonl [ARGS...]: standard input through a pipe, past --keep-text (so read
# again from its temporary copy, and its pairs filtered on their bound sketches), against the
# same file by name, sets kept, and --emit unique of both (stdout: messages name the input).
piped() {
    local name=$1 file=$2
    shift 2
    "$DEDUP" --level copies --format csv "$@" "$file" >"$tmp/named" 2>/dev/null
    cat "$file" | "$DEDUP" --level copies --format csv --keep-text 0 --stdin-format jsonl \
        "$@" - >"$tmp/piped" 2>/dev/null
    "$DEDUP" --level copies --emit unique "$@" "$file" >"$tmp/named.emit" 2>/dev/null
    cat "$file" | "$DEDUP" --level copies --emit unique --keep-text 0 --stdin-format jsonl \
        "$@" - >"$tmp/piped.emit" 2>/dev/null
    if cmp -s "$tmp/named" "$tmp/piped" && cmp -s "$tmp/named.emit" "$tmp/piped.emit" &&
        [ "$(wc -l <"$tmp/named")" -ge 2 ]; then
        ok
    else
        bad "$name: piped and read again differs from the file with sets kept"
        diff "$tmp/named" "$tmp/piped" | head -5
    fi
}

piped "data/jsonl/sample piped" "$root/data/jsonl/sample.jsonl"
# No temporary file to be had: the records' sets are kept, as before, with the same report.
"$DEDUP" --level copies --format csv "$root/data/jsonl/sample.jsonl" >"$tmp/named" 2>/dev/null
TMPDIR=$tmp/none "$DEDUP" --level copies --format csv --keep-text 0 --stdin-format jsonl - \
    <"$root/data/jsonl/sample.jsonl" >"$tmp/piped" 2>/dev/null
if cmp -s "$tmp/named" "$tmp/piped"; then ok; else bad "stdin without a temporary folder"; fi
same_as_kept "data/jsonl/sample" "$root/data/jsonl/sample.jsonl"
same_as_kept "data/jsonl/sample -j1" "$root/data/jsonl/sample.jsonl" -j1
if [ -d "$shared/data" ]; then
    same_as_kept "copies-dev" "$shared/data/copies-dev/corpus.jsonl"
    same_as_kept "reuters21578" "$shared/data/reuters21578/reuters21578.jsonl" -j2
    piped "copies-dev piped" "$shared/data/copies-dev/corpus.jsonl"
    piped "reuters21578 piped" "$shared/data/reuters21578/reuters21578.jsonl" -j2
else
    echo "reread: ../shared/data not found, shared corpora skipped"
fi

# changed NAME ACTION EXPECT [ARGS...]: a.txt and b.txt are copies; ACTION runs after dedup
# read them and before it verifies; EXPECT is a pattern its stderr must hold.
changed() {
    local name=$1 action=$2 expect=$3 pid rc
    shift 3
    rm -rf "$tmp/d" && mkdir "$tmp/d"
    sed -n 1,40p "$root/data/hama/000_7dea230577da321f.txt" >"$tmp/d/a.txt"
    cp "$tmp/d/a.txt" "$tmp/d/b.txt"
    mkfifo "$tmp/d/last"
    "$DEDUP" --level copies --format csv --keep-text 0 "$@" "$tmp/d/a.txt" "$tmp/d/b.txt" \
        "$tmp/d/last" \
        >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    exec 3>"$tmp/d/last" # returns once dedup opened the FIFO: a.txt and b.txt are read
    (cd "$tmp/d" && eval "$action")
    echo "A third text, unrelated to the other two, about a harbour strike." >&3
    exec 3>&-
    wait "$pid"
    rc=$?
    if ! grep -q "$expect" "$tmp/err"; then
        bad "$name: stderr lacks '$expect'"
        cat "$tmp/err"
    elif grep -q "a.txt" "$tmp/out"; then
        bad "$name: the changed file was still paired"
    elif [ "$(grep -c ': changed during the run (' "$tmp/err")" != 1 ] ||
        ! grep -q '(1 changed during the run, not verified)' "$tmp/err"; then
        bad "$name: expected one warning and the count in the summary"
        cat "$tmp/err"
    else
        echo "$rc" >"$tmp/rc"
        ok
    fi
}

changed "edited" "echo 'Something else entirely, and longer than before.' >>a.txt" \
    "a.txt: changed during the run (its text is not the text that was signed), its pairs are not verified"
[ "$(cat "$tmp/rc" 2>/dev/null)" = 0 ] && ok || bad "edited: exit status should be 0"
changed "removed" "rm a.txt" "a.txt: changed during the run (No such file or directory)"
changed "strict" "rm a.txt" "1 documents changed during the run (--strict)" --strict
[ "$(cat "$tmp/rc" 2>/dev/null)" = 1 ] && ok || bad "strict: exit status should be 1"

# Within --keep-text (here the default 32M) sets are kept: an edit goes unnoticed, as
# the text was already signed; the pair stands as first read.
changed_kept() {
    rm -rf "$tmp/d" && mkdir "$tmp/d"
    sed -n 1,40p "$root/data/hama/000_7dea230577da321f.txt" >"$tmp/d/a.txt"
    cp "$tmp/d/a.txt" "$tmp/d/b.txt"
    mkfifo "$tmp/d/last"
    "$DEDUP" --level copies --format csv "$tmp/d/a.txt" "$tmp/d/b.txt" "$tmp/d/last" \
        >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    exec 3>"$tmp/d/last"
    rm "$tmp/d/a.txt"
    echo "A third text, unrelated to the other two." >&3
    exec 3>&-
    wait "$pid"
    if grep -q "changed" "$tmp/err" || ! grep -q "a.txt" "$tmp/out"; then
        bad "kept: a kept set should not be read again"
    else
        ok
    fi
}
changed_kept

# Unchanged files are read again without a word.
changed_none() {
    rm -rf "$tmp/d" && mkdir "$tmp/d"
    sed -n 1,40p "$root/data/hama/000_7dea230577da321f.txt" >"$tmp/d/a.txt"
    cp "$tmp/d/a.txt" "$tmp/d/b.txt"
    "$DEDUP" --level copies --format csv --keep-text 0 "$tmp/d/a.txt" "$tmp/d/b.txt" \
        >"$tmp/out" 2>"$tmp/err"
    if grep -q "warning" "$tmp/err" || ! grep -q "b.txt" "$tmp/out"; then
        bad "unchanged: expected the pair and no warning"
    else
        ok
    fi
}
changed_none

echo "reread: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
