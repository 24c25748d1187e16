#!/usr/bin/env bash
# Fault injection: whatever happens to a run, an output file (-o, --html) is either complete
# or as it was before, byte for byte, and no temporary file (.NAME.XXXXXX) is left beside it.
# Each case asserts the message, the exit status and the files left (docs/TESTING.md, "Fault
# matrix"):
#   file-size limit (ulimit -f), full disk (2 MB tmpfs), SIGTERM/SIGINT/SIGHUP while reading,
#   computing and writing, SIGPIPE, unreadable and vanishing inputs, an unwritable folder, a
#   read-only mount, a folder / FIFO / block device / symbolic link as the target, the mode of
#   the file replaced, and a memory limit (ulimit -v).
# Kills are timed by state, not by sleeps: a FIFO input held open (reading), the input's FIFO
# closed by dedup (computing), a temporary file that exists while dedup is blocked on a full
# stderr pipe (writing). Cases that need root or a mount print "faults: skipped ..." when
# they cannot run. Environment: DEDUP (binary), SHARED (default ../shared beside the repo).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
DEDUP=$(realpath "${DEDUP:-$root/build/dedup}")
shared=${SHARED:-$root/../shared}
tmp=$(mktemp -d)
mounted=""
# A background job killed before it execs dedup is a forked bash that runs this trap too
# (with $BASHPID not yet updated): only the main shell, by its own pid, cleans up.
main=$BASHPID
cleanup() {
    local m me
    read -r me _ </proc/self/stat
    [ "$me" = "$main" ] || return
    for m in $mounted; do umount "$m" 2>/dev/null; done
    chmod -R u+rwx "$tmp" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
chmod 755 "$tmp"
pass=0
fail=0
skip=0
problems=""

skipped() {
    echo "faults: skipped $1"
    skip=$((skip + 1))
}

# Each case: fresh folder $w (the cwd), checks add to $problems, verdict counts the case.
start() {
    name=$1
    problems=""
    w="$tmp/$name"
    mkdir -p "$w" && chmod 755 "$w" && cd "$w" || exit 1
}
verdict() {
    cd "$tmp" || exit 1
    if [ -z "$problems" ]; then
        pass=$((pass + 1))
        [ "${FAULTS_VERBOSE:-0}" = 1 ] && echo "faults: ok $name"
    else
        fail=$((fail + 1))
        echo "FAIL faults $name:$problems"
    fi
    return 0
}
problem() { problems="$problems; $*"; }
# kill_child SIG PID: signal PID only while it is still this shell's child. A child that
# ended was reaped by bash, and its pid may by now be another process's (pid_max can be
# 32768 on a busy machine).
kill_child() {
    [ "$(cut -d ' ' -f 4 /proc/"$2"/stat 2>/dev/null)" = "$BASHPID" ] && kill -"$1" "$2" 2>/dev/null
}
# reap PID: wait for it, sets $rc; a dedup that ignores the signal is killed after 30 s (137).
# (No watchdog subshell: bash runs the EXIT trap in a subshell killed before it resets it.)
reap() {
    local i state
    for ((i = 0; i < 3000; i++)); do
        state=$(cut -d ' ' -f 3 /proc/"$1"/stat 2>/dev/null)
        [ -z "$state" ] || [ "$state" = Z ] && break
        sleep 0.01
    done
    [ $i -lt 3000 ] || kill_child KILL "$1"
    { wait "$1"; } 2>/dev/null # no "Hangup" job report
    rc=$?
}
want_rc() { [ "$rc" = "$1" ] || problem "exit $rc, want $1"; }
want_err() {
    local got
    got=$(cat err)
    [ "$got" = "$1" ] || problem "stderr '$(printf %s "$got" | head -c 300)', want '$1'"
}
want_same() { cmp -s "$1" "$2" || problem "$1 is not byte for byte $2"; }
want_absent() { [ ! -e "$1" ] || problem "$1 exists"; }
# No temporary file (nor anything else) beside the known files of the case folder.
want_clean() {
    local left
    left=$(ls -A "${1:-.}" | grep '^\.' | tr '\n' ' ')
    [ -z "$left" ] || problem "left behind in ${1:-.}: $left"
}

# ---- inputs -------------------------------------------------------------------------------
# pairs.jsonl: 3000 clusters of two identical records (their 3000 -v "keep" lines fill a
# pipe); big.jsonl: 16000 records of 250 words, about a second of work, so a kill lands in a
# known stage. Words are drawn by awk's rand() after srand(7).
gen() {
    awk -v N="$1" -v W="$2" 'BEGIN { srand(7)
        for (i = 0; i < N; i++) {
            if (i % 2 == 0) { t = ""; for (j = 0; j < W; j++) t = t " w" int(rand() * 20000) }
            printf "{\"id\":\"d%06d\",\"text\":\"%s\"}\n", i, t } }'
}
gen 6000 40 >"$tmp/pairs.jsonl"
gen 16000 250 >"$tmp/big.jsonl"
corpus="$shared/data/copies-dev/corpus.jsonl"
[ -f "$corpus" ] || corpus="$tmp/big.jsonl" # --emit unique of either is over 2 MB
echo "old good output" >"$tmp/old"

# Signals to a background job: a non-interactive shell starts it with SIGINT ignored, and an
# ignored signal stays ignored in dedup (nohup); env resets them to the default. $bg is a
# command prefix, not a function, so that $! is dedup itself (env execs it).
bg=(env --default-signal=INT,TERM,HUP,PIPE)
env --default-signal=INT true 2>/dev/null || { bg=(env); nobg=1; }

# ---- 1. a file-size limit: SIGXFSZ ignored, the write fails with EFBIG ------------------------
for what in "-o out" "--html out"; do
    start "fsize_${what%% *}"
    target=${what#* }
    cp "$tmp/old" "$target"
    chmod 640 "$target"
    (ulimit -f 64 && exec "$DEDUP" -q --level copies --emit unique $what "$corpus" >/dev/null 2>err)
    rc=$?
    want_rc 1
    want_err "dedup: $target: write error: File too large"
    want_same "$target" "$tmp/old"
    [ "$(stat -c %a "$target")" = 640 ] || problem "mode of $target changed"
    want_clean
    verdict
done

# ---- 2. a full disk: the issue's example on a 2 MB tmpfs --------------------------------------
start full_disk
mkdir small
if out=$(mount -t tmpfs -o size=2m tmpfs small 2>&1); then
    mounted="$w/small"
    for target in out.jsonl out.html; do
        echo "old good output" >small/$target
        if [ $target = out.jsonl ]; then
            "$DEDUP" -q --level copies --emit unique -o small/$target "$corpus" 2>err
        else
            "$DEDUP" -q --level copies --html small/$target "$corpus" >/dev/null 2>err
        fi
        rc=$?
        want_rc 1
        want_err "dedup: small/$target: write error: No space left on device"
        want_same small/$target "$tmp/old"
    done
    want_clean small
    umount small && mounted=""
    verdict
else
    skipped "full-disk case: cannot mount tmpfs ($out)"
    cd "$tmp" || exit 1
fi

# ---- 3. kills ---------------------------------------------------------------------------------
# kill_at STAGE SIGNAL STATUS [new]: -o out.jsonl (old content, or none with "new") from an
# input FIFO; STAGE is reading (the FIFO held open, half the input written), computing (the
# whole input written and the FIFO closed by dedup, no temporary file yet) or writing (the
# temporary file exists, dedup blocked on a full stderr pipe while it writes -v lines).
kill_at() {
    local stage=$1 sig=$2 status=$3 pid i
    start "kill_${stage}_$sig${4:+_new}"
    [ -n "${4:-}" ] || cp "$tmp/old" out.jsonl
    mkfifo in.jsonl errpipe
    exec 4<>errpipe # read end kept open and never read: dedup's stderr fills and blocks
    if [ "$stage" = writing ]; then
        "${bg[@]}" "$DEDUP" -v --level copies --emit unique -o out.jsonl in.jsonl 2>errpipe &
        pid=$!
        cat "$tmp/pairs.jsonl" >in.jsonl
    else
        "${bg[@]}" "$DEDUP" -q --level copies --emit unique -o out.jsonl in.jsonl 2>errpipe &
        pid=$!
        exec 3>in.jsonl
        head -c 2000000 "$tmp/big.jsonl" >&3
        if [ "$stage" = computing ]; then
            tail -c +2000001 "$tmp/big.jsonl" >&3
            exec 3>&-
        fi
    fi
    for ((i = 0; i < 3000; i++)); do # up to 30 s: the state is reached, or dedup is gone
        [ -d /proc/$pid ] || break
        case $stage in
        reading) ls -l /proc/$pid/fd 2>/dev/null | grep -q "$w/in.jsonl" && break ;;
        computing) ls -l /proc/$pid/fd 2>/dev/null | grep -q "$w/in.jsonl" || break ;;
        writing) [ -n "$(ls -A | grep '^\.out\.jsonl\.')" ] && break ;;
        esac
        sleep 0.01
    done
    if [ ! -d /proc/$pid ]; then
        problem "dedup ended before the $stage stage was seen"
    elif [ "$stage" != writing ] && [ -n "$(ls -A | grep '^\.')" ]; then
        problem "a temporary file exists before writing"
    fi
    kill_child "$sig" $pid
    reap $pid
    exec 3>&- 4<&-
    want_rc "$status"
    if [ -n "${4:-}" ]; then want_absent out.jsonl; else want_same out.jsonl "$tmp/old"; fi
    rm -f in.jsonl errpipe
    want_clean
    verdict
}
for stage in reading computing writing; do
    kill_at $stage TERM 143
    if [ -z "${nobg:-}" ]; then kill_at $stage INT 130; fi
done
kill_at writing HUP 129 2>/dev/null # bash reports a job killed by SIGHUP
kill_at writing TERM 143 new
[ -z "${nobg:-}" ] || skipped "SIGINT cases: env --default-signal is missing"

# A kill within a second: SIGTERM 0.3 s into the run over big.jsonl given by name.
start kill_prompt
cp "$tmp/old" out.jsonl
"${bg[@]}" "$DEDUP" -q --level copies --emit unique -o out.jsonl "$tmp/big.jsonl" 2>err &
pid=$!
sleep 0.3
t0=$(date +%s%N)
kill_child TERM $pid
reap $pid
ms=$((($(date +%s%N) - t0) / 1000000))
[ $rc = 0 ] || want_rc 143 # 0: finished first, on a fast machine
[ $ms -lt 1000 ] || problem "took $ms ms to stop"
[ $rc = 0 ] || want_same out.jsonl "$tmp/old"
want_clean
verdict

# ---- 4. SIGPIPE -------------------------------------------------------------------------------
# On stdout (| head -1): quiet. On stderr while -o is written: quiet, -o untouched.
start sigpipe
"${bg[@]}" "$DEDUP" --level copies "$tmp/pairs.jsonl" 2>err | head -n 1 >/dev/null
rc=${PIPESTATUS[0]}
want_rc 141
want_err ""
cp "$tmp/old" out.jsonl
("${bg[@]}" "$DEDUP" -v --level copies --emit unique -o out.jsonl "$tmp/pairs.jsonl" 2>&1 >/dev/null |
    head -c 10 >/dev/null; exit "${PIPESTATUS[0]}")
rc=$?
want_rc 141
want_same out.jsonl "$tmp/old"
want_clean
verdict

# ---- 5. inputs that cannot be read or vanish: counted and reported, as before -------------------
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
start unreadable_input
mkdir dir
printf 'A readable story about the harbour strike.\n' >dir/ok.txt
printf 'secret\n' >dir/secret.txt
printf 'secret\n' >named.txt
chmod 000 dir/secret.txt named.txt
if [ "$(id -u)" = 0 ] && ! as_nobody true 2>/dev/null; then
    skipped "unreadable input: setpriv cannot drop root"
else
    run=("$DEDUP")
    [ "$(id -u)" != 0 ] || run=(setpriv --reuid=65534 --regid=65534 --clear-groups "$DEDUP")
    "${run[@]}" --level copies named.txt dir >/dev/null 2>err
    rc=$?
    want_rc 1
    want_err "dedup: named.txt: Permission denied
dedup: dir/secret.txt: Permission denied, skipped
dedup: 2 documents: 1 used, 1 skipped (unreadable 1)"
    verdict
fi

# b.txt is removed while dedup waits on the FIFO named before it.
start vanished_input
mkfifo f
echo "a story about the harbour strike and its workers" >a.txt
echo "a story about the rail strike and its drivers" >b.txt
"$DEDUP" --level copies f a.txt b.txt >out 2>err &
pid=$!
exec 3>f
rm b.txt
echo "a text written into the FIFO" >&3
exec 3>&-
wait $pid
rc=$?
want_rc 0
want_err "dedup: b.txt: No such file or directory, skipped
dedup: 3 documents: 2 used, 1 skipped (unreadable 1)"
grep -q '^summary: 3 documents read, 2 used, 1 skipped (unreadable 1)' out ||
    problem "summary: $(tail -n 1 out)"
verdict

# ---- 6. a folder that cannot be written: refused before anything is read ----------------------
start unwritable_dir
mkdir locked
cp "$tmp/old" locked/out.txt
chmod 666 locked/out.txt # the file is writable, its folder is not: no rename can replace it
if [ "$(id -u)" = 0 ] && ! as_nobody true 2>/dev/null; then
    skipped "unwritable folder: setpriv cannot drop root"
else
    run=("$DEDUP")
    [ "$(id -u)" != 0 ] || run=(setpriv --reuid=65534 --regid=65534 --clear-groups "$DEDUP")
    "${run[@]}" -q -o locked/out.txt "$tmp/pairs.jsonl" 2>err
    rc=$?
    want_rc 1
    want_err "dedup: locked/out.txt: cannot create a temporary file beside it: Permission denied"
    want_same locked/out.txt "$tmp/old"
    "${run[@]}" -q --html locked/new.html "$tmp/pairs.jsonl" >/dev/null 2>err
    rc=$?
    want_rc 1
    want_err "dedup: locked/new.html: cannot create a temporary file beside it: Permission denied"
    want_absent locked/new.html
    want_clean locked
    verdict
fi

start readonly_mount
mkdir ro
cp "$tmp/old" ro/out.txt
if out=$(mount --bind -o ro ro ro 2>&1) && mounted="$w/ro" && ! touch ro/probe 2>/dev/null; then
    "$DEDUP" -q -o ro/out.txt "$tmp/pairs.jsonl" 2>err
    rc=$?
    want_rc 1
    want_err "dedup: ro/out.txt: cannot create a temporary file beside it: Read-only file system"
    want_same ro/out.txt "$tmp/old"
    umount ro && mounted=""
    want_clean ro
    verdict
else
    [ -z "$mounted" ] || { umount ro; mounted=""; }
    skipped "read-only mount: cannot bind-mount read-only (${out:-writable})"
    cd "$tmp" || exit 1
fi

# ---- 7. targets that are not regular files ------------------------------------------------------
start target_special
mkdir d
"$DEDUP" -q -o d "$tmp/pairs.jsonl" 2>err
rc=$?
want_rc 1
want_err "dedup: d: Is a directory"
[ -z "$(ls -A d)" ] || problem "d was written into"
# A FIFO is written straight through, as `>` would: the reader gets the whole report.
"$DEDUP" -q --level copies --format csv "$tmp/pairs.jsonl" >want.csv
mkfifo p
cat p >got.csv &
"$DEDUP" -q --level copies --format csv -o p "$tmp/pairs.jsonl" 2>err
rc=$?
wait
want_rc 0
want_err ""
want_same got.csv want.csv
# A character device too (/dev/full: the write error is said); a block device is refused.
"$DEDUP" -q -o /dev/full "$tmp/pairs.jsonl" 2>err
rc=$?
want_rc 1
want_err "dedup: /dev/full: write error: No space left on device"
if [ "$(id -u)" = 0 ] && mknod blk b 7 250 2>/dev/null; then # loop250: no such device
    "$DEDUP" -q -o blk "$tmp/pairs.jsonl" 2>err
    rc=$?
    want_rc 1
    want_err "dedup: blk: is a block device; refusing to write to it"
    [ -b blk ] || problem "blk is no longer a block device"
    rm -f blk
else
    skipped "block device target: cannot mknod"
fi
rm -f p want.csv got.csv
want_clean
verdict

# A symbolic link stays a link; the file it points to is replaced (and made when dangling).
start target_symlink
mkdir real
"$DEDUP" -q --level copies --format csv "$tmp/pairs.jsonl" >want.csv
cp "$tmp/old" real/old.csv
ln -s real/old.csv link.csv
ln -s real/new.csv dangling.csv
for l in link.csv dangling.csv; do
    "$DEDUP" -q --level copies --format csv -o $l "$tmp/pairs.jsonl" 2>err
    rc=$?
    want_rc 0
    [ -L $l ] || problem "$l is no longer a symbolic link"
    want_same $l want.csv
done
want_clean
want_clean real
verdict

# ---- 8. modes: an existing file keeps its mode, a new one gets 0666 & ~umask -------------------
start modes
cp "$tmp/old" kept.txt
chmod 604 kept.txt
(umask 027 && "$DEDUP" -q -o kept.txt "$tmp/pairs.jsonl" &&
    "$DEDUP" -q -o new.txt "$tmp/pairs.jsonl") 2>err
rc=$?
want_rc 0
[ "$(stat -c %a kept.txt)" = 604 ] || problem "kept.txt: mode $(stat -c %a kept.txt), want 604"
[ "$(stat -c %a new.txt)" = 640 ] || problem "new.txt: mode $(stat -c %a new.txt), want 640"
cmp -s kept.txt "$tmp/old" && problem "kept.txt was not replaced"
want_clean
verdict

# ---- 9. a memory limit: one line, exit 1, the old file untouched ------------------------------
start memory_limit
if grep -q __asan_init "$DEDUP"; then
    skipped "memory limit: ulimit -v cannot run under AddressSanitizer"
    cd "$tmp" || exit 1
else
    cp "$tmp/old" out.jsonl
    (ulimit -v 60000 && exec "$DEDUP" -q -j2 --level copies --emit unique -o out.jsonl \
        "$tmp/big.jsonl" 2>err)
    rc=$?
    want_rc 1
    want_err "dedup: out of memory"
    want_same out.jsonl "$tmp/old"
    want_clean
    verdict
fi

echo "faults: $pass passed, $fail failed$([ $skip = 0 ] || echo ", $skip skipped")"
[ $fail = 0 ]
