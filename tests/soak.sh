#!/usr/bin/env bash
# Soak: SOAK_RUNS (default 100) runs of dedup over small corpora (../shared/data when it is
# beside the repository, else data/) with random options, thread counts, outputs (-o, and
# --html one time in three), an old target present or not, and a random signal (SIGTERM,
# SIGINT, SIGHUP) at a random moment, or a random file-size limit. Each output must then be
# byte for byte the one an undisturbed run with the same options writes, or else the old
# target (or no file when there was none); no temporary file may be left. Not part of
# `make test`: run `make soak` (SOAK_RUNS=N, SOAK_SEED=S). Timing is random by design: kills
# land before, during and after the write.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
DEDUP=$(realpath "${DEDUP:-$root/build/dedup}")
shared=${SHARED:-$root/../shared}
runs=${SOAK_RUNS:-100}
seed=${SOAK_SEED:-$$}
RANDOM=$seed
tmp=$(mktemp -d)
# A background job killed before it execs dedup is a forked bash that runs this trap too
# (with $BASHPID not yet updated): only the main shell, by its own pid, removes the folder.
main=$BASHPID
trap 'read -r me _ </proc/self/stat; [ "$me" != "$main" ] || [ -n "${SOAK_KEEP:-}" ] ||
    rm -rf "$tmp"' EXIT
bg=(env --default-signal=INT,TERM,HUP)
env --default-signal=INT true 2>/dev/null || bg=(env)

corpora=("$root/data/tiny" "$root/data/hama" "$root/data/jsonl/sample.jsonl" "$root/data/syria")
if [ -d "$shared/data" ]; then
    corpora+=("$shared/data/copies-dev/corpus.jsonl" "$shared/data/hama"
        "$shared/data/copies-dev/corpus.jsonl" "$shared/data/rewrites-dev/docs")
fi
pick() { eval "echo \"\${$1[RANDOM % \${#$1[@]}]}\""; }
levels=(copies stories)
formats=("--format text" "--format jsonl" "--format csv" "--emit unique" "--emit dropped")
keeps=(first longest earliest)
threads=(1 2 3 4 0)
signals=(TERM INT HUP)

pass=0
fail=0
done_ok=0
killed_before=0
killed_after=0
limited=0
echo "old target" >"$tmp/old"

# same FILE REF OLD: FILE is REF, or OLD (absent when OLD is empty); says which in $which.
same() {
    if [ -f "$2" ] && cmp -s "$1" "$2"; then which=new; return 0; fi
    if [ -z "$3" ] && [ ! -e "$1" ]; then which=absent; return 0; fi
    if [ -n "$3" ] && cmp -s "$1" "$3"; then which=old; return 0; fi
    which=bad
    problems="$problems; $(basename "$1"): $(stat -c %s "$1" 2>/dev/null || echo no) bytes, reference $(stat -c %s "$2" 2>/dev/null || echo none)"
    return 1
}

# kill_child SIG PID: signal PID only while it is still this shell's child. A child that
# ended was reaped by bash, and its pid may by now be another process's (pid_max can be
# 32768 on a busy machine).
kill_child() {
    [ "$(cut -d ' ' -f 4 /proc/"$2"/stat 2>/dev/null)" = "$BASHPID" ] && kill -"$1" "$2" 2>/dev/null
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

for ((r = 1; r <= runs; r++)); do
    [ -f "$tmp/old" ] || { echo "soak: $tmp/old vanished before run $r"; exit 1; }
    corpus=$(pick corpora)
    opts=(--level "$(pick levels)" $(pick formats) --keep "$(pick keeps)" -j "$(pick threads)" -q)
    html=$((RANDOM % 3 == 0))
    d="$tmp/run$r"
    mkdir -p "$d/ref" "$d/out"
    # The undisturbed run.
    t0=$(now_ms)
    "$DEDUP" "${opts[@]}" -o "$d/ref/out" $([ $html = 1 ] && echo --html "$d/ref/out.html") \
        "$corpus" 2>"$d/ref.err" || { echo "soak: run $r: reference failed: $(cat "$d/ref.err")"; }
    ms=$(($(now_ms) - t0 + 20))
    old=""
    if [ $((RANDOM % 2)) = 0 ]; then
        cp "$tmp/old" "$d/out/out"
        [ $html = 1 ] && cp "$tmp/old" "$d/out/out.html"
        old="$tmp/old"
    fi
    args=("${opts[@]}" -o "$d/out/out")
    [ $html = 1 ] && args+=(--html "$d/out/out.html")
    if [ $((RANDOM % 8)) = 0 ]; then
        # A size limit somewhere between nothing and twice the output.
        size=$(stat -c %s "$d/ref/out")
        kb=$((RANDOM % (size / 512 + 2) + 1))
        (ulimit -f $kb && exec "$DEDUP" "${args[@]}" "$corpus" 2>"$d/err")
        rc=$?
        what="ulimit -f $kb"
    else
        sig=$(pick signals)
        delay=$((RANDOM % (ms * 6 / 5 + 1)))
        "${bg[@]}" "$DEDUP" "${args[@]}" "$corpus" 2>"$d/err" &
        pid=$!
        sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
        kill_child "$sig" $pid
        { wait $pid; } 2>/dev/null
        rc=$?
        what="SIG$sig after $delay ms of about $ms"
    fi
    problems=""
    same "$d/out/out" "$d/ref/out" "$old" || problems="$problems; out is neither new, old nor absent"
    w1=$which
    w2=-
    if [ $html = 1 ]; then
        same "$d/out/out.html" "$d/ref/out.html" "$old" || problems="$problems; out.html is neither"
        w2=$which
    fi
    left=$(ls -A "$d/out" | grep '^\.' | tr '\n' ' ')
    [ -z "$left" ] || problems="$problems; left behind: $left"
    case $rc in
    0) [ $w1 = new ] && [ $w2 != old ] && [ $w2 != absent ] || problems="$problems; exit 0 but not new"
        done_ok=$((done_ok + 1)) ;;
    1) [ "${what%% *}" = ulimit ] && grep -q 'write error: File too large' "$d/err" ||
        problems="$problems; exit 1: $(head -c 200 "$d/err")"
        limited=$((limited + 1)) ;;
    129 | 130 | 143)
        if [ $w1 = new ]; then killed_after=$((killed_after + 1)); else killed_before=$((killed_before + 1)); fi ;;
    *) problems="$problems; exit $rc" ;;
    esac
    if [ -z "$problems" ]; then
        pass=$((pass + 1))
        rm -rf "$d"
    else
        fail=$((fail + 1))
        [ -z "${SOAK_KEEP:-}" ] || echo "soak: kept $d"
        echo "FAIL soak run $r (${opts[*]} $([ $html = 1 ] && echo --html) $corpus; $what): exit $rc$problems"
    fi
done
echo "soak: $runs runs (seed $seed): $done_ok completed, $killed_before killed before the rename," \
    "$killed_after killed after it, $limited stopped by ulimit -f; $pass passed, $fail failed"
[ $fail = 0 ]
