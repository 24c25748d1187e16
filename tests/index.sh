#!/usr/bin/env bash
# Stored index (dedup index, dedup stream): half of a corpus added, the other half queried,
# gives the cross pairs and clusters of one batch run over the whole corpus (data/hama here;
# ../shared copies-dev at the copies level and rewrites-dev at the stories level when
# present, skipped with a message when not); kill -9 during a large add leaves a store that
# passes PRAGMA integrity_check and a re-run stores each document once; a second writer
# waits, then fails with a clear message while readers go on; parameters that differ are
# refused by name; prune takes documents out with their keys, lines and frequencies; bad
# input is counted and named and nothing of it stored; dedup stream answers each line
# before the next is written, with the decision of a batch over the records so far.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
DEDUP=$(realpath "${DEDUP:-$root/build/dedup}")
shared=${SHARED:-$root/../shared}
tmp=$(mktemp -d)
bg=
trap '[ -n "$bg" ] && kill -9 $bg 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL index: $*"; fail=$((fail + 1)); }

# cross IDS CSV: verified pairs (with scores) with one member in IDS and one not
cross() {
    awk -F, 'NR == FNR { a[$0] = 1; next } FNR > 1 && (($1 in a) != ($2 in a))' "$1" "$2" | sort
}

# clusters QUERY-IDS JSONL: the member lists of the clusters holding a queried document
clusters() {
    jq -r 'select(.docs) | [.docs[].id] | sort | join(" ")' "$2" |
        awk 'NR == FNR { q[$0] = 1; next } { for (i = 1; i <= NF; i++) if ($i in q) { print; next } }' "$1" - |
        sort
}

# split_check NAME LEVEL A-LIST B-LIST: add A, query B; compare with a batch over A then B.
split_check() {
    local name=$1 level=$2 a=$3 b=$4 d="$tmp/$1"
    mkdir -p "$d"
    cat "$a" "$b" >"$d/all.list"
    "$DEDUP" -q --level "$level" --format csv --files-from "$d/all.list" >"$d/batch.csv" &&
        "$DEDUP" -q --level "$level" --format jsonl --files-from "$d/all.list" >"$d/batch.jsonl" &&
        "$DEDUP" -q index add --db "$d/s.db" --files-from "$a" &&
        "$DEDUP" -q index query --db "$d/s.db" --level "$level" --format csv --files-from "$b" >"$d/q.csv" &&
        "$DEDUP" -q index query --db "$d/s.db" --level "$level" --format jsonl --files-from "$b" >"$d/q.jsonl" ||
        { bad "$name: a run failed"; return; }
    cross "$a" "$d/batch.csv" >"$d/bx"
    cross "$a" "$d/q.csv" >"$d/qx"
    clusters "$b" "$d/batch.jsonl" >"$d/bc"
    clusters "$b" "$d/q.jsonl" >"$d/qc"
    if [ ! -s "$d/bx" ] || [ ! -s "$d/bc" ]; then
        bad "$name: the batch run has no cross pair or cluster to compare"
    elif ! cmp -s "$d/bx" "$d/qx"; then
        bad "$name: cross pairs differ from the batch run ($(wc -l <"$d/bx") batch, $(wc -l <"$d/qx") query)"
        diff "$d/bx" "$d/qx" | head -5
    elif ! cmp -s "$d/bc" "$d/qc"; then
        bad "$name: clusters differ from the batch run"
        diff "$d/bc" "$d/qc" | head -5
    else
        ok
    fi
}

# Hama: three reports stored on one day, two queried the next.
ls "$root"/data/hama/*.txt | head -n 3 >"$tmp/hama-a"
ls "$root"/data/hama/*.txt | tail -n 2 >"$tmp/hama-b"
split_check hama stories "$tmp/hama-a" "$tmp/hama-b"
grep -q '"stored":true' "$tmp/hama/q.jsonl" && ok || bad "hama: stored documents are not marked"

if [ -d "$shared/data/copies-dev" ]; then
    c="$shared/data/copies-dev/corpus.jsonl"
    n=$(wc -l <"$c")
    head -n $((n / 2)) "$c" >"$tmp/cd-a.jsonl"
    tail -n +$((n / 2 + 1)) "$c" >"$tmp/cd-b.jsonl"
    # ids, not paths, name JSON Lines records: compare by id
    mkdir -p "$tmp/copies-dev"
    "$DEDUP" -q --level copies --format csv "$tmp/cd-a.jsonl" "$tmp/cd-b.jsonl" >"$tmp/copies-dev/batch.csv"
    "$DEDUP" -q --level copies --format jsonl "$tmp/cd-a.jsonl" "$tmp/cd-b.jsonl" >"$tmp/copies-dev/batch.jsonl"
    "$DEDUP" -q index add --db "$tmp/copies-dev/s.db" "$tmp/cd-a.jsonl"
    "$DEDUP" -q index query --db "$tmp/copies-dev/s.db" --level copies --format csv "$tmp/cd-b.jsonl" >"$tmp/copies-dev/q.csv"
    "$DEDUP" -q index query --db "$tmp/copies-dev/s.db" --level copies --format jsonl "$tmp/cd-b.jsonl" >"$tmp/copies-dev/q.jsonl"
    jq -r .id "$tmp/cd-a.jsonl" >"$tmp/cd-a.ids"
    jq -r .id "$tmp/cd-b.jsonl" >"$tmp/cd-b.ids"
    cross "$tmp/cd-a.ids" "$tmp/copies-dev/batch.csv" >"$tmp/copies-dev/bx"
    cross "$tmp/cd-a.ids" "$tmp/copies-dev/q.csv" >"$tmp/copies-dev/qx"
    clusters "$tmp/cd-b.ids" "$tmp/copies-dev/batch.jsonl" >"$tmp/copies-dev/bc"
    clusters "$tmp/cd-b.ids" "$tmp/copies-dev/q.jsonl" >"$tmp/copies-dev/qc"
    if [ -s "$tmp/copies-dev/bx" ] && cmp -s "$tmp/copies-dev/bx" "$tmp/copies-dev/qx" &&
        cmp -s "$tmp/copies-dev/bc" "$tmp/copies-dev/qc"; then
        ok
    else
        bad "copies-dev: cross pairs or clusters differ from the batch run"
        diff "$tmp/copies-dev/bx" "$tmp/copies-dev/qx" | head -3
        diff "$tmp/copies-dev/bc" "$tmp/copies-dev/qc" | head -3
    fi
    ls "$shared"/data/rewrites-dev/docs/* | sort >"$tmp/rw.all"
    n=$(wc -l <"$tmp/rw.all")
    head -n $((n / 2)) "$tmp/rw.all" >"$tmp/rw-a"
    tail -n +$((n / 2 + 1)) "$tmp/rw.all" >"$tmp/rw-b"
    split_check rewrites-dev stories "$tmp/rw-a" "$tmp/rw-b"
else
    echo "index: $shared/data not found: copies-dev and rewrites-dev split checks skipped"
fi

# A parameter that changes signatures is refused, by name, with both values and the file.
"$DEDUP" -k 4 index query --db "$tmp/hama/s.db" "$root/data/hama" >/dev/null 2>"$tmp/param.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "s.db: parameter shingle_k is 5 in the store, 4 here" "$tmp/param.err" &&
    [ "$(wc -l <"$tmp/param.err")" -eq 1 ]; then ok; else bad "parameter mismatch: exit $rc, $(cat "$tmp/param.err")"; fi

# Adding the same documents again stores nothing twice.
"$DEDUP" index add --db "$tmp/hama/s.db" --files-from "$tmp/hama-a" 2>"$tmp/again.err"
grep -q "3 documents: 0 added, 3 already stored, 0 skipped" "$tmp/again.err" && ok ||
    bad "re-add: $(cat "$tmp/again.err")"

# Bad input: counted, named, not stored.
printf '{"id":"x1","text":"the harbour strike ended on monday after talks"}\nnot json\n{"id":"x2","text":""}\n' >"$tmp/bad.jsonl"
printf 'a\0b' >"$tmp/binary.txt"
"$DEDUP" index add --db "$tmp/bad.db" "$tmp/bad.jsonl" "$tmp/binary.txt" 2>"$tmp/bad.err"
docs=$("$DEDUP" index stats --db "$tmp/bad.db" | sed -n 's/^documents: \([0-9]*\).*/\1/p')
if grep -q "4 documents: 1 added, 0 already stored, 3 skipped (binary 1, empty 1, malformed 1)" "$tmp/bad.err" &&
    grep -q "bad.jsonl:2:" "$tmp/bad.err" && grep -q "binary.txt" "$tmp/bad.err" && [ "$docs" = 1 ]; then
    ok
else
    bad "bad input: $docs stored; $(cat "$tmp/bad.err")"
fi

# kill -9 during a large add: the store stays whole, and the same add again stores every
# document exactly once.
awk -v N=4000 -f "$root/tests/index-corpus.awk" >"$tmp/big.jsonl"
"$DEDUP" -q index add --batch 100 --db "$tmp/big.db" "$tmp/big.jsonl" &
bg=$!
for _ in $(seq 1 1200); do # up to a minute on a loaded machine
    n=$(sqlite3 "$tmp/big.db" "SELECT count(*) FROM docs" 2>/dev/null || echo 0)
    [ "${n:-0}" -ge 500 ] && break
    sleep 0.05
done
kill -9 $bg 2>/dev/null
wait $bg 2>/dev/null
bg=
before=$(sqlite3 "$tmp/big.db" "SELECT count(*) FROM docs")
if [ "$(sqlite3 "$tmp/big.db" "PRAGMA integrity_check")" = ok ] &&
    "$DEDUP" index stats --check --db "$tmp/big.db" | grep -q "^integrity: ok" &&
    [ "$before" -gt 0 ] && [ "$before" -lt 4000 ]; then
    ok
else
    bad "kill -9: integrity or partial count wrong ($before documents)"
fi
"$DEDUP" index add --batch 100 --db "$tmp/big.db" "$tmp/big.jsonl" 2>"$tmp/big.err"
after=$(sqlite3 "$tmp/big.db" "SELECT count(*), count(DISTINCT doc_id) FROM docs")
orphans=$(sqlite3 "$tmp/big.db" "SELECT (SELECT count(*) FROM keys WHERE doc NOT IN (SELECT id FROM docs)) + (SELECT count(*) FROM lines WHERE doc NOT IN (SELECT id FROM docs))")
if [ "$after" = "4000|4000" ] && [ "$orphans" = 0 ] &&
    grep -q "4000 documents: $((4000 - before)) added, $before already stored" "$tmp/big.err"; then
    ok
else
    bad "kill -9 re-run: $after stored, $orphans orphan rows; $(cat "$tmp/big.err")"
fi

# A second writer waits up to --busy-timeout, then fails with a clear message; readers go on.
(echo "BEGIN IMMEDIATE;"; sleep 2; echo "COMMIT;") | sqlite3 "$tmp/hama/s.db" &
lock=$!
sleep 0.3
"$DEDUP" index add --busy-timeout 200 --db "$tmp/hama/s.db" "$root/data/tiny" 2>"$tmp/busy.err"
rc=$?
"$DEDUP" -q index query --db "$tmp/hama/s.db" --format csv --files-from "$tmp/hama-b" >"$tmp/busy.csv"
rc2=$?
wait $lock
if [ $rc -eq 1 ] && grep -q "locked by another writer" "$tmp/busy.err" && [ $rc2 -eq 0 ] &&
    [ "$(wc -l <"$tmp/busy.csv")" -gt 1 ]; then
    ok
else
    bad "second writer: exit $rc, reader exit $rc2; $(cat "$tmp/busy.err")"
fi

# Prune by document date (else date added): the dated Hama reports (2024) go, with their keys,
# lines and frequencies; the undated stay.
cp "$tmp/hama/s.db" "$tmp/prune.db"
"$DEDUP" -q index add --db "$tmp/prune.db" --files-from "$tmp/hama-b"
"$DEDUP" -q index prune --db "$tmp/prune.db" --max-age 30
left=$(sqlite3 "$tmp/prune.db" "SELECT count(*), count(day) FROM docs")
orphans=$(sqlite3 "$tmp/prune.db" "SELECT (SELECT count(*) FROM keys WHERE doc NOT IN (SELECT id FROM docs)) + (SELECT count(*) FROM lines WHERE doc NOT IN (SELECT id FROM docs)) + (SELECT count(*) FROM df WHERE n > (SELECT count(*) FROM docs))")
dated=$(ls "$root"/data/hama/*.txt | xargs grep -l '^ *date 20' | wc -l)
if [ "$left" = "$((5 - dated))|0" ] && [ "$orphans" = 0 ] && [ "$dated" -gt 0 ]; then ok; else bad "prune: left $left (dated $dated), $orphans orphans"; fi

# dedup stream: one answer per line, before the next line is written (through a FIFO, one
# line at a time, each answer awaited with a timeout).
for f in "$root"/data/hama/*.txt; do
    jq -Rsc --arg id "$(basename "$f")" '{id: $id, text: .}' <"$f"
done >"$tmp/feed.jsonl"
if [ -d "$shared/data/copies-dev" ]; then head -n 40 "$shared/data/copies-dev/corpus.jsonl" >>"$tmp/feed.jsonl"; fi
mkfifo "$tmp/in"
"$DEDUP" stream --db "$tmp/stream.db" <"$tmp/in" >"$tmp/stream.out" &
bg=$!
exec 3>"$tmp/in"
n=0
late=0
while IFS= read -r line; do
    printf '%s\n' "$line" >&3
    n=$((n + 1))
    for _ in $(seq 1 600); do # 30 s: a loaded machine, not a line held back
        [ "$(wc -l <"$tmp/stream.out")" -ge $n ] && break
        sleep 0.05
    done
    [ "$(wc -l <"$tmp/stream.out")" -ge $n ] || late=$((late + 1))
done <"$tmp/feed.jsonl"
exec 3>&-
wait $bg
rc=$?
bg=
if [ $rc -eq 0 ] && [ $late -eq 0 ] && [ "$(wc -l <"$tmp/stream.out")" -eq $n ]; then ok; else bad "stream: exit $rc, $late lines not answered before the next"; fi

# ... each decision that of a batch over the records so far: new when the record is in no
# cluster, copy when it is in a copies group, story otherwise.
mismatch=0
for i in $(seq 1 "$n"); do
    head -n "$i" "$tmp/feed.jsonl" >"$tmp/prefix.jsonl"
    id=$(sed -n "${i}p" "$tmp/feed.jsonl" | jq -r .id)
    got=$(sed -n "${i}p" "$tmp/stream.out" | jq -r .status)
    want=$("$DEDUP" -q --format jsonl "$tmp/prefix.jsonl" | jq -r --arg id "$id" \
        'select(.docs) | select([.docs[].id] | index($id)) | if ([.copy_groups[] | select(index($id))] | length) > 0 then "copy" else "story" end')
    [ "$got" = "${want:-new}" ] || { mismatch=$((mismatch + 1)); echo "index: stream record $i ($id): $got, batch ${want:-new}"; }
done
grep -q '"status":"story"' "$tmp/stream.out" && [ $mismatch -eq 0 ] && ok || bad "stream: $mismatch decisions differ from the batch runs"

echo "index: $pass passed, $fail failed"
[ $fail -eq 0 ]
