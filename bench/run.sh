#!/bin/sh
# make bench: the figures of docs/performance.md. Generates the corpora once into
# $BUILD/bench (never into git), then prints signing per stage (bench_sign), end-to-end runs
# of dedup (wall, MB/s, docs/s, peak RSS) for 1 and 2 threads, folder vs JSON Lines, the
# Reuters-21578 peer comparison (median of 5), stories vs copies, and the sentence-pool corpus
# (bench/gen_pool.c: articles of real sentences that recur across unrelated articles) at
# 100,000 and N articles, both levels, from the file and piped on stdin. Long: about half an
# hour. BENCH_DOCS=N changes the size of the big corpora (default 1000000);
# BENCH_TIMEOUT (seconds, default 1800) bounds each sentence-pool run.
set -u
BUILD=${BUILD:-build}
B=$BUILD/bench
DEDUP=$BUILD/dedup
N=${BENCH_DOCS:-1000000}
shared=${SHARED:-../shared}/data
[ -d "$shared" ] || { echo "bench: needs ../shared/data (Reuters-21578 and BBC)"; exit 1; }
mkdir -p "$B"

gen() { "$B/gen_corpus" -r "$shared/reuters21578/reuters21578.jsonl" -b "$shared/bbc" "$@"; }
[ -s "$B/c$N.jsonl" ] || gen -n "$N" -o "$B/c$N.jsonl" -t "$B/c$N.truth.tsv"
[ -s "$B/c20000.jsonl" ] || gen -n 20000 -o "$B/c20000.jsonl" -t "$B/c20000.truth.tsv"
[ -d "$B/c20000.d" ] || gen -n 20000 -d "$B/c20000.d"
pool() { "$B/gen_pool" -r "$shared/reuters21578/reuters21578.jsonl" -b "$shared/bbc" "$@" 2>/dev/null; }
[ -s "$B/p100000.jsonl" ] || pool -n 100000 -o "$B/p100000.jsonl" -t "$B/p100000.truth.tsv"
[ -s "$B/p$N.jsonl" ] || pool -n "$N" -o "$B/p$N.jsonl" -t "$B/p$N.truth.tsv"
[ -d "$B/reuters-files" ] ||
    "$B/gen_corpus" -x "$shared/reuters21578/reuters21578.jsonl" -d "$B/reuters-files"

# run LABEL BYTES DOCS ARGS...: one dedup run; prints wall, MB/s, docs/s, peak RSS.
run() {
    label=$1 bytes=$2 docs=$3
    shift 3
    /usr/bin/time -f "%e %M" -o "$B/time.txt" ${TO:+timeout "$TO"} "$DEDUP" -q "$@" >/dev/null ||
        echo "  $label: stopped after ${TO:-?} s, or failed"
    read -r secs kb <"$B/time.txt"
    awk -v l="$label" -v s="$secs" -v kb="$kb" -v b="$bytes" -v d="$docs" 'BEGIN {
        printf "  %-34s %7.2f s %8.1f MB/s %9.0f docs/s  peak RSS %5.0f MB\n",
            l, s, b / 1e6 / s, d / s, kb / 1024 }'
}

# median5 LABEL ARGS...: median wall time of 5 whole dedup runs.
median5() {
    label=$1
    shift
    for i in 1 2 3 4 5; do
        /usr/bin/time -f "%e" -o "$B/time.txt" "$DEDUP" -q "$@" >/dev/null
        cat "$B/time.txt"
    done | sort -n | sed -n 3p | awk -v l="$label" '{ printf "  %-34s %7.3f s (median of 5)\n", l, $1 }'
}

text_bytes() { # bytes of text in a generated JSON Lines corpus, roughly (file size)
    wc -c <"$1" | tr -d ' '
}

big=$B/c$N.jsonl
big_bytes=$(text_bytes "$big")
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "corpus: $big ($N articles, $big_bytes bytes)"
echo
for j in 1 2; do "$B/bench_sign" -j "$j" "$big"; echo; done

echo "end to end, --level copies, one JSON Lines file of $N articles:"
for j in 1 2; do run "-j$j" "$big_bytes" "$N" -j "$j" --level copies "$big"; done
echo
# The VM's page cache is reclaimed (DAMON), so both inputs are read once before timing:
# the comparison is of reading code, not of the disk.
find "$B/c20000.d" -type f -exec cat {} + >/dev/null
cat "$B/c20000.jsonl" >/dev/null
echo "20,000 articles as a folder of files and as one JSON Lines file (--level copies, -j2, warm cache):"
run "folder" "$(text_bytes "$B/c20000.jsonl")" 20000 -j 2 --level copies "$B/c20000.d"
run "JSON Lines" "$(text_bytes "$B/c20000.jsonl")" 20000 -j 2 --level copies "$B/c20000.jsonl"
median5 "folder" -j 2 --level copies "$B/c20000.d"
median5 "JSON Lines" -j 2 --level copies "$B/c20000.jsonl"
echo
echo "stories vs copies, 20,000 articles, JSON Lines, -j2:"
run "--level copies" "$(text_bytes "$B/c20000.jsonl")" 20000 -j 2 --level copies "$B/c20000.jsonl"
run "--level stories" "$(text_bytes "$B/c20000.jsonl")" 20000 -j 2 --level stories "$B/c20000.jsonl"
echo
find "$B/reuters-files" -type f -exec cat {} + >/dev/null
echo "peer comparison, Reuters-21578 (datasketch MinHashLSH: 8.55 s), --level copies, -j2:"
median5 "19,779 files" -j 2 --level copies "$B/reuters-files"
median5 "one JSON Lines file" -j 2 --level copies "$shared/reuters21578/reuters21578.jsonl"

# The sentence-pool corpus: every sentence recurs in unrelated articles, so candidate pairs
# grow faster than the corpus; what each one costs is what this measures.
TO=${BENCH_TIMEOUT:-1800}
echo
for n in $(printf '%s\n' 100000 "$N" | sort -un); do
    f=$B/p$n.jsonl
    bytes=$(text_bytes "$f")
    echo "sentence pool, $n articles (gen_pool), -j2:"
    run "--level copies" "$bytes" "$n" -j 2 --level copies "$f"
    run "--level stories" "$bytes" "$n" -j 2 --level stories "$f"
    /usr/bin/time -f "%e %M" -o "$B/time.txt" sh -c \
        "cat '$f' | timeout $TO '$DEDUP' -q -j 2 --level copies --stdin-format jsonl - >/dev/null"
    read -r secs kb <"$B/time.txt"
    awk -v s="$secs" -v kb="$kb" -v d="$n" 'BEGIN {
        printf "  %-34s %7.2f s %25.0f docs/s  peak RSS %5.0f MB\n", "copies, piped on stdin", s, d / s, kb / 1024 }'
done
