#!/usr/bin/env bash
# The MPI build (build/dedup-mpi, docs/SCALE.md) must print what build/dedup prints, byte for
# byte (stdout and exit status; stderr too, which rank 0 alone writes), for 2 and 3 ranks,
# at both levels: on the copies and rewrites samples in data/ (several signing batches when
# read together), with every set read again (--keep-text=0), in every format, and on
# ../shared's copies-dev and rewrites-dev when present. Skipped, with a message, when mpirun
# is not installed; a missing dedup-mpi beside an installed mpirun fails.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
DEDUP=$(realpath "${DEDUP:-$root/build/dedup}")
DEDUP_MPI=${DEDUP_MPI:-$(dirname "$DEDUP")/dedup-mpi}
shared=${SHARED:-$root/../shared}

if ! command -v mpirun >/dev/null 2>&1; then
    echo "mpi: skipped (no mpirun: apt-get install openmpi-bin libopenmpi-dev)"
    exit 0
fi
if [ ! -x "$DEDUP_MPI" ]; then
    echo "FAIL mpi: mpirun is installed but $DEDUP_MPI was not built (libopenmpi-dev missing?)"
    exit 1
fi
# Root in a container: Open MPI refuses root without these, and the shared-memory transport
# may not map another process's memory (no CMA). -q: no mpirun banner when a rank exits 1.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN=(mpirun -q --oversubscribe --mca btl self,vader --mca btl_vader_single_copy_mechanism none)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# same NAME DEDUP-ARGS...: build/dedup once, then dedup-mpi on 2 and 3 ranks, from data/.
same() {
    local name=$1 np
    shift
    (cd "$root/data" && "$DEDUP" -j1 "$@" <"${IN:-/dev/null}" >"$tmp/out.1" 2>"$tmp/err.1"; echo $? >"$tmp/exit.1")
    for np in 2 3; do
        (cd "$root/data" && timeout 300 "${MPIRUN[@]}" -np "$np" "$DEDUP_MPI" "$@" \
            <"${IN:-/dev/null}" >"$tmp/out.$np" 2>"$tmp/err.$np"; echo $? >"$tmp/exit.$np")
        if ! cmp -s "$tmp/out.1" "$tmp/out.$np" || ! cmp -s "$tmp/exit.1" "$tmp/exit.$np"; then
            echo "FAIL mpi $name: -np $np differs from one process (exit $(cat "$tmp/exit.1") vs $(cat "$tmp/exit.$np"))"
            diff "$tmp/out.1" "$tmp/out.$np" | head -5
            head -5 "$tmp/err.$np"
            fail=$((fail + 1))
            return
        fi
        if ! cmp -s "$tmp/err.1" "$tmp/err.$np"; then
            echo "FAIL mpi $name: -np $np: stderr differs from one process"
            diff "$tmp/err.1" "$tmp/err.$np" | head -5
            fail=$((fail + 1))
            return
        fi
    done
    pass=$((pass + 1))
}

samples=(tiny/ jsonl/ hama/ syria/ footer/ ocr/ quotes/ rewrites-saga/docs derivations derivations-heldout)
for level in copies stories; do
    same "samples/$level" --level "$level" --format jsonl "${samples[@]}"
    same "samples/$level/reread" -vv --level "$level" --format jsonl --keep-text=0 "${samples[@]}"
    same "samples-twice/$level" --level "$level" --format jsonl "${samples[@]}" "${samples[@]}"
    same "bad/$level" --level "$level" bad/ jsonl/malformed.jsonl tiny/ tiny/
done
for fmt in text csv; do
    same "samples/$fmt" --format "$fmt" "${samples[@]}"
done
same "simhash" --signature simhash "${samples[@]}"
same "emit" --emit unique "${samples[@]}"
same "missing path" --level copies hama/ does-not-exist/
same "strict" --strict bad/ tiny/
same "samples-twice/threads" -j2 --format jsonl "${samples[@]}" "${samples[@]}"
IN=$root/data/jsonl/sample.jsonl same "stdin (rank 0 alone)" --stdin-format jsonl -

# 902 JSON Lines records, four signing batches: a rank passes over the records of the batches
# other ranks sign (it does not parse them), so what only parsing finds (invalid JSON, no text
# field, repeated ids, repairs) must still come out as one process words it, in its order.
big=$tmp/big.jsonl
for i in $(seq 1 900); do
    k=$((i % 60))
    case $((i % 97)) in
    0) echo '{"id": "bad'$i'", "text": ' ;;
    1) echo '{"id": "notext'$i'"}' ;;
    2) echo '' ;;
    3) echo '{"id": "dup", "text": "a repeated id '$k' in record '$i' with words enough to sign"}' ;;
    4) printf '{"id": "latin%d", "text": "caf\xe9 in town %d serves the council after the vote on the road"}\n' "$i" "$k" ;;
    *) echo '{"id": "r'$i'", "title": "Council vote '$k'", "text": "The council of town '$k' voted on the road plan '$k' on Monday after a long debate about costs and traffic in the centre, officials said. The plan '$k' costs '$((k * 3))' million."}' ;;
    esac
    # two rewrites of one report (one story with --max-days 0) 50 days apart by the dates
    # their texts open with, in the second batch: apart only when the rank that merges them
    # knows those days, which the rank that signed them reads
    if [ "$i" -eq 300 ]; then
        echo '{"id": "early", "text": "2024-03-01 Portmere harbour authority said on Monday the new container terminal would open next spring after a delay caused by a strike of crane operators and a dispute over dredging costs with the regional government. The terminal, built by Halvorsen Marine for 340 million euros, was due to open in October. Harbour master Ingrid Tollefsen said the Kvalsund dredging contract would be signed within weeks. Unions said the crane operators would return to work on Thursday."}'
        echo '{"id": "late", "text": "2024-04-20 A strike by crane operators and a row with the regional government over the cost of dredging have pushed back the opening of the Portmere container terminal to next spring, the harbour authority announced Monday. Halvorsen Marine built the 340 million euro terminal, which should have opened in October. The Kvalsund dredging deal will be signed in a few weeks, harbour master Ingrid Tollefsen told reporters, and union leaders said crane operators go back on Thursday."}'
    fi
done >"$big"
for level in copies stories; do
    same "records/$level" -vv --level "$level" --format jsonl "$big"
done
same "records/limit" --max-doc-bytes 200 --emit unique "$big"

if [ -d "$shared/data" ]; then
    d=$shared/data
    same "shared/copies-dev/copies" --level copies --format jsonl "$d/copies-dev/docs"
    same "shared/copies-dev/reread" -vv --level copies --keep-text=0 "$d/copies-dev/docs"
    same "shared/copies-dev/stories" --level stories --format jsonl "$d/copies-dev/docs"
    same "shared/rewrites-dev/copies" --level copies --format jsonl "$d/rewrites-dev"
    same "shared/rewrites-dev/stories" --level stories --format jsonl "$d/rewrites-dev"
    # OCR copies (scripts/ocr-devset.sh, as tests/accuracy.sh makes them): the OCR banding
    # is shared out over the ranks too.
    ocr=${OCR_NOISE:-$(dirname "$DEDUP")/bench/ocr_noise}
    if [ -x "$ocr" ]; then
        HALVES=held RATES=3 OCR_NOISE=$ocr DEDUP=$DEDUP SHARED=$shared \
            "$root/scripts/ocr-devset.sh" "$tmp/ocr" >/dev/null 2>&1
        same "shared/ocr-dev/copies" -vv --level copies --format jsonl "$tmp/ocr/held/r3/docs"
    else
        echo "mpi: OCR dev set skipped (no $ocr: make build/bench/ocr_noise)"
    fi
else
    echo "mpi: ../shared checks skipped (no ../shared/data beside the repository)"
fi
echo "mpi: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
