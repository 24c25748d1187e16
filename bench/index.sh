#!/bin/sh
# make bench-index: the stored-index figures of docs/performance.md. A generated corpus of
# N + Q articles (gen_corpus: 8 % copies and 4 % rewrites of earlier articles) is cut in two:
# the first N are added to a store (dedup index add, one transaction per --batch), the last Q
# are queried against it and then streamed into it. Prints add and query throughput
# (documents/s), store size per document, peak RSS of each command (the query must not load
# the store), and the stream's time per article. BENCH_INDEX_DOCS=N (default 1000000),
# BENCH_INDEX_QUERY=Q (default 1000), BENCH_INDEX_STREAM (articles streamed, default 200).
set -u
BUILD=${BUILD:-build}
B=$BUILD/bench
DEDUP=$BUILD/dedup
N=${BENCH_INDEX_DOCS:-1000000}
Q=${BENCH_INDEX_QUERY:-1000}
S=${BENCH_INDEX_STREAM:-200}
shared=${SHARED:-../shared}/data
[ -d "$shared" ] || { echo "bench-index: needs ../shared/data (Reuters-21578 and BBC)"; exit 1; }
mkdir -p "$B"
T=$((N + Q))
all=$B/ix$T.jsonl
[ -s "$all" ] || "$B/gen_corpus" -r "$shared/reuters21578/reuters21578.jsonl" -b "$shared/bbc" \
    -n "$T" -o "$all"
head -n "$N" "$all" >"$B/ix-stored.jsonl"
tail -n "$Q" "$all" >"$B/ix-query.jsonl"
head -n "$S" "$B/ix-query.jsonl" >"$B/ix-stream.jsonl"
db=$B/ix$N.db
rm -f "$db" "$db-wal" "$db-shm"

# timed LABEL DOCS ARGS...: wall, documents/s and peak RSS of one dedup run.
timed() {
    label=$1 docs=$2
    shift 2
    /usr/bin/time -f "%e %M" -o "$B/time.txt" "$DEDUP" -q "$@" >"$B/out.txt" ||
        echo "  $label: failed"
    read -r secs kb <"$B/time.txt"
    awk -v l="$label" -v s="$secs" -v kb="$kb" -v d="$docs" 'BEGIN {
        printf "  %-40s %8.2f s %9.0f docs/s  peak RSS %6.0f MB\n", l, s, d / s, kb / 1024 }'
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "corpus: $all ($N stored + $Q queried articles, $(wc -c <"$B/ix-stored.jsonl" | tr -d ' ') bytes stored)"
timed "index add ($N articles)" "$N" index add --db "$db" "$B/ix-stored.jsonl"
"$DEDUP" index stats --db "$db" | sed -n 's/^\(documents\|size\|keys\|copies groups\).*/  &/p'
for level in copies stories; do
    timed "index query --level $level ($Q articles)" "$Q" index query --level "$level" \
        --format jsonl --db "$db" "$B/ix-query.jsonl"
    echo "    $(grep -c '"stored":true' "$B/out.txt") stored documents reported in $(grep -c '^{"cluster"' "$B/out.txt") clusters"
done
head -n 1 "$B/ix-stream.jsonl" >"$B/ix-one.jsonl"
timed "index query, 1 article" 1 index query --db "$db" "$B/ix-one.jsonl"
# The stream writes into the store: time it on its own copy.
cp "$db" "$db.stream"
/usr/bin/time -f "%e %M" -o "$B/time.txt" "$DEDUP" stream --db "$db.stream" \
    <"$B/ix-stream.jsonl" >"$B/stream.out"
read -r secs kb <"$B/time.txt"
awk -v s="$secs" -v n="$S" -v kb="$kb" 'BEGIN {
    printf "  %-40s %8.2f s %9.1f ms per article  peak RSS %6.0f MB\n",
        "stream (" n " articles, one at a time)", s, s * 1000 / n, kb / 1024 }'
echo "    $(grep -c '"status":"new"' "$B/stream.out") new, $(grep -c '"status":"copy"' "$B/stream.out") copy, $(grep -c '"status":"story"' "$B/stream.out") story"
rm -f "$db.stream" "$db.stream-wal" "$db.stream-shm"
cp "$db" "$db.more"
timed "index add of $Q more (into $N)" "$Q" index add --db "$db.more" "$B/ix-query.jsonl"
rm -f "$db.more" "$db.more-wal" "$db.more-shm"

# The query against one batch run over stored + queried articles, copies level: cross pairs
# (one stored, one queried) each finds, and whether the pairs both find score the same.
"$DEDUP" -q --level copies --format csv "$B/ix-stored.jsonl" "$B/ix-query.jsonl" >"$B/batch.csv"
"$DEDUP" -q index query --level copies --format csv --db "$db" "$B/ix-query.jsonl" >"$B/query.csv"
sed -n 's/^{"id": *"\([^"]*\)".*/\1/p' "$B/ix-stored.jsonl" >"$B/stored.ids"
for f in batch query; do
    awk -F, 'NR == FNR { a[$1] = 1; next } FNR > 1 && (($1 in a) != ($2 in a))' \
        "$B/stored.ids" "$B/$f.csv" | sort >"$B/$f.cross"
    cut -d, -f1,2 "$B/$f.cross" >"$B/$f.ids"
done
echo "  cross pairs: batch $(wc -l <"$B/batch.cross"), query $(wc -l <"$B/query.cross"), both $(comm -12 "$B/batch.ids" "$B/query.ids" | wc -l), same scores $(comm -12 "$B/batch.cross" "$B/query.cross" | wc -l)"
