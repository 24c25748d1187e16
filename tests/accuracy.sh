#!/usr/bin/env bash
# Accuracy checks on the labelled sets shipped in data/ (always) and in ../shared/data
# (beside the repository: they run when it is there and say so when it is not).
# Each check: run dedup, score with `dedup eval`, compare F1 with the floor the issue sets.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
DEDUP=${DEDUP:-$root/build/dedup}
shared=${SHARED:-$root/../shared}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# floor VALUE MIN OK-MESSAGE FAIL-MESSAGE: one pass or fail line, VALUE >= MIN passes.
floor() {
    if awk -v f="$1" -v m="$2" 'BEGIN { exit !(f >= m) }'; then
        echo "ok   $3"
        pass=$((pass + 1))
    else
        echo "FAIL $4"
        fail=$((fail + 1))
    fi
}

# check NAME MIN_F1 TRUTH DEDUP-ARGS...
check() {
    local name=$1 min=$2 truth=$3 f1
    shift 3
    "$DEDUP" -q --format jsonl "$@" >"$tmp/${name//\//_}.jsonl" || { echo "FAIL $name: dedup exit $?"; fail=$((fail + 1)); return; }
    f1=$("$DEDUP" eval --truth "$truth" "$tmp/${name//\//_}.jsonl" | awk '$1 == "f1" { print $2 }')
    floor "$f1" "$min" "$name: f1 $f1 (floor $min)" "$name: f1 $f1 below $min"
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

# reuters NAME: the issue's JSON Lines check on Reuters-21578: `--format jsonl` runs, and
# `--emit unique` is valid JSON Lines whose every line is one of the input's lines, byte for
# byte (sort + comm), each record at most once. Validity: dedup reads the output back with
# --strict, so one line that is not a JSON object with a string "text" fails it.
reuters() {
    local in=$1 n u
    "$DEDUP" -q --format jsonl "$in" >"$tmp/r.jsonl" && tail -n 1 "$tmp/r.jsonl" | grep -q '^{"summary":' ||
        { echo "FAIL reuters: --format jsonl"; fail=$((fail + 1)); return; }
    "$DEDUP" -q --emit unique "$in" >"$tmp/u.jsonl" || { echo "FAIL reuters: --emit unique exit $?"; fail=$((fail + 1)); return; }
    LC_ALL=C sort "$tmp/u.jsonl" >"$tmp/u.sorted"
    LC_ALL=C sort "$in" >"$tmp/in.sorted"
    n=$(LC_ALL=C comm -23 "$tmp/u.sorted" "$tmp/in.sorted" | wc -l)
    u=$(LC_ALL=C uniq -d "$tmp/u.sorted" | wc -l)
    if [ "$n" = 0 ] && [ "$u" = 0 ] && [ -s "$tmp/u.jsonl" ] &&
        "$DEDUP" -q --strict --level copies --stdin-format jsonl --format csv - <"$tmp/u.jsonl" >/dev/null; then
        echo "ok   reuters: --emit unique keeps $(wc -l <"$tmp/u.jsonl") of $(wc -l <"$in") records, byte for byte, valid JSON Lines"
        pass=$((pass + 1))
    else
        echo "FAIL reuters: --emit unique: $n lines not in the input, $u repeated"
        fail=$((fail + 1))
    fi
}

# alone NAME MAX TRUTH JSONL: at most MAX documents not in TRUTH share a cluster (the
# independent texts of a derivation set must stay alone).
alone() {
    local name=$1 max=$2 truth=$3 got
    got=$(awk -F'\t' 'NR == FNR { if (FNR > 1) lab[$1] = 1; next }
        /"cluster"/ { n = split($0, p, "\"id\":\""); for (i = 2; i <= n; i++) {
            id = substr(p[i], 1, index(p[i], "\"") - 1); sub(/.*\//, "", id); sub(/\.txt$/, "", id)
            if (!(id in lab)) c++ } } END { print c + 0 }' "$truth" "$4")
    if [ "$got" -le "$max" ]; then
        echo "ok   $name: $got unlabelled texts in a cluster (at most $max)"
        pass=$((pass + 1))
    else
        echo "FAIL $name: $got unlabelled texts in a cluster, more than $max"
        fail=$((fail + 1))
    fi
}

# Derivation groups (data/derivations, shipped): a source with its near copies, light and
# heavy revisions is one group; independent answers on the same subject stay alone.
check derivations 0.87 "$root/data/derivations/truth.tsv" "$root/data/derivations/docs"
alone derivations/independent 2 "$root/data/derivations/truth.tsv" "$tmp/derivations.jsonl"
check derivations-heldout 0.84 "$root/data/derivations-heldout/truth.tsv" "$root/data/derivations-heldout/docs"
alone derivations-heldout/independent 2 "$root/data/derivations-heldout/truth.tsv" "$tmp/derivations-heldout.jsonl"

if [ ! -d "$shared/data" ]; then
    echo "accuracy: checks on ../shared skipped (no ../shared/data beside the repository)"
    echo "accuracy: $pass passed, $fail failed"
    [ $fail = 0 ]
    exit
fi

# followups NAME MIN_SHARE LABELS CORPUS...: over the pairs the stories level puts in one
# cluster while they share little wording (shingle Jaccard < 0.3) and that a reader labelled
# (data/stories-dev), the share that report the same development rather than another step of
# one saga. MIN_SHARE is a regression floor; docs/ALGORITHMS.md gives the figures.
followups() {
    local name=$1 min=$2 labels=$3 got
    shift 3
    "$DEDUP" -q --format csv "$@" >"$tmp/f.csv" || { echo "FAIL $name: dedup exit $?"; fail=$((fail + 1)); return; }
    got=$(awk -F'\t' 'function key(x) { n = split(x, p, "/"); return n > 1 ? p[n - 1] "/" p[n] : x }
        NR == FNR { if (FNR > 1) { lab[$2 SUBSEP $3] = $5; lab[$3 SUBSEP $2] = $5 } next }
        FNR > 1 { split($0, c, ","); if (c[3] + 0 >= 0.3) next; k = key(c[1]) SUBSEP key(c[2])
            if (k in lab) { t++; s += lab[k] == "same" } }
        END { printf "%d %d %.2f\n", s, t, t ? s / t : 0 }' "$labels" "$tmp/f.csv")
    set -- $got
    floor "$3" "$min" "$name: $1 of $2 labelled low-wording pairs in one cluster are one development ($3, floor $min)" \
        "$name: $1 of $2 labelled low-wording pairs in one cluster are one development ($3, under $min)"
}

d=$shared/data
[ -f "$d/reuters21578/reuters21578.jsonl" ] && reuters "$d/reuters21578/reuters21578.jsonl"
check copies-dev/copies 0.97 "$d/copies-dev/truth.tsv" --level copies "$d/copies-dev/docs"

# Hard trimming: the first 300 Reuters originals of copies-dev with more than 250 words, each
# beside a copy cut to its first 20, 30 or 40 % of words (Jaccard about 0.2-0.4, containment
# 1), among 1,500 originals. Banding alone found 57 % of these pairs; lead signatures find them.
trim=$tmp/trimmed
mkdir -p "$trim"
printf 'doc\tgroup\n' >"$trim.truth"
i=0
for f in "$d"/copies-dev/docs/r*.txt; do
    case $f in *-c*) continue ;; esac
    i=$((i + 1))
    [ $i -le 1500 ] || break
    b=$(basename "$f" .txt)
    ln -s "$f" "$trim/$b.txt"
    w=$(wc -w <"$f")
    if [ $i -le 300 ] && [ "$w" -gt 250 ]; then
        awk -v keep=$((w * (2 + i % 3) / 10)) '{ for (k = 1; k <= NF; k++) if (++n <= keep) printf "%s%s", $k, (n < keep ? " " : "\n") }' "$f" >"$trim/$b-t.txt"
        printf '%s\tg%s\n%s-t\tg%s\n' "$b" "$b" "$b" "$b" >>"$trim.truth"
    fi
done
check copies-dev/trimmed 0.95 "$trim.truth" --level copies "$trim"
check copies-dev/copies-jsonl 0.97 "$d/copies-dev/truth.tsv" --level copies "$d/copies-dev/corpus.jsonl"
check copies-dev/stories 0.95 "$d/copies-dev/truth.tsv" --level stories "$d/copies-dev/docs"
check rewrites-dev/stories 0.90 "$d/rewrites-dev/truth.tsv" "$d/rewrites-dev/docs"
# Copies through OCR noise (issue 11): the held-out half of the OCR dev set at 3 % of
# characters misread (scripts/ocr-devset.sh: 150 stories with two noisy copies each, 60
# distinct stories under one long footer, 940 distractors), and no two footer stories in one
# cluster. The thresholds were chosen on the other half.
ocr=${OCR_NOISE:-$root/build/bench/ocr_noise}
if [ -x "$ocr" ]; then
    HALVES=held RATES=3 OCR_NOISE=$ocr DEDUP=$DEDUP SHARED=$shared "$root/scripts/ocr-devset.sh" "$tmp/ocr" >/dev/null
    check ocr-dev/held-3pct 0.98 "$tmp/ocr/held/r3/truth.tsv" --level copies "$tmp/ocr/held/r3/docs"
    merged=$(awk '/"cluster"/ { n = gsub(/"id":"[^"]*\/fr[0-9]+\.txt"/, "&"); if (n > 1) m++ } END { print m + 0 }' "$tmp/ocr-dev_held-3pct.jsonl")
    if [ "$merged" = 0 ]; then
        echo "ok   ocr-dev/footer: no two footer stories in one cluster"
        pass=$((pass + 1))
    else
        echo "FAIL ocr-dev/footer: $merged clusters hold two or more footer stories"
        fail=$((fail + 1))
    fi
else
    echo "accuracy: OCR dev set skipped (no $ocr: make build/bench/ocr_noise)"
fi
# Hard copies (scripts/hard-copies-devset.py): 400 Reuters stories with 1-3 copies each under
# harder edits than copies-dev (OCR noise, synonyms, reordered paragraphs, HTML pages, NFD,
# trimming, bylines, footers), 150 distinct stories under one long shared footer (each its
# own group), 3,000 distractors; at the default level and the copies level, and no two footer
# stories in one cluster. Nothing was tuned on it (seed 1 here; seed 2 in docs/ALGORITHMS.md).
if command -v python3 >/dev/null 2>&1 && [ -x "$ocr" ]; then
    python3 "$root/scripts/hard-copies-devset.py" --seed 1 --ocr-noise "$ocr" "$d/reuters21578/reuters21578.jsonl" "$tmp/hard"
    check hard-copies/stories 0.96 "$tmp/hard/truth.tsv" "$tmp/hard/docs"
    check hard-copies/copies 0.95 "$tmp/hard/truth.tsv" --level copies "$tmp/hard/docs"
    merged=$(awk '/"cluster"/ { n = gsub(/"id":"[^"]*\/f[0-9]+\.txt"/, "&"); if (n > 1) m++ } END { print m + 0 }' "$tmp/hard-copies_stories.jsonl")
    floor "$((0 - merged))" 0 "hard-copies/footer: no two footer stories in one cluster" "hard-copies/footer: $merged clusters hold two or more footer stories"
else
    echo "accuracy: hard copies skipped (needs python3 and $ocr)"
fi
hama_cluster hama "$d/hama"
hama_cluster hama+bbc "$d/hama" "$d/bbc"
# Rewrites of BBC stories that are one step of a saga, among all BBC articles named as in
# rewrites-dev (<topic>-<NNN>.txt): the saga's other steps must stay out (regression floor).
saga=$tmp/rewrites-saga
mkdir -p "$saga"
for f in "$d"/bbc/*/*.txt; do
    t=${f%/*}; t=${t##*/}
    ln -s "$f" "$saga/$t-$(basename "$f")"
done
ln -s "$root"/data/rewrites-saga/docs/*.txt "$saga/"
check rewrites-saga/stories 0.84 "$root/data/rewrites-saga/truth.tsv" "$saga"
# Its halves (data/rewrites-saga/README.md): the quote test was set on the even groups (tune);
# the odd ones (held-out) were scored, not tuned on. The other half's documents are distractors.
for half in tune:0 heldout:1; do
    awk -F'\t' -v h=${half#*:} 'NR == 1 || substr($2, 2) % 2 == h' "$root/data/rewrites-saga/truth.tsv" >"$tmp/saga-${half%:*}.tsv"
    f1=$("$DEDUP" eval --truth "$tmp/saga-${half%:*}.tsv" "$tmp/rewrites-saga_stories.jsonl" | awk '$1 == "f1" { print $2 }')
    floor "$f1" "$([ ${half%:*} = tune ] && echo 0.85 || echo 0.81)" "rewrites-saga/${half%:*}: f1 $f1" "rewrites-saga/${half%:*}: f1 $f1 below its floor"
done
followups bbc/followups 0.10 "$root/data/stories-dev/bbc-followups.tsv" "$d/bbc"
followups reuters/followups 0.40 "$root/data/stories-dev/reuters-followups.tsv" "$d/reuters21578/reuters21578.jsonl"
echo "accuracy: $pass passed, $fail failed"
[ $fail = 0 ]
