#!/usr/bin/env bash
# Golden CLI tests: each cases/NAME.args holds shell words run as `dedup WORDS` with data/
# as the working directory, stdin from NAME.stdin (else /dev/null); a cases/NAME.sh holds a
# whole shell command line (pipes, redirections) in which `dedup` is the binary under test. stdout, stderr and the
# exit status must equal NAME.out, NAME.err and NAME.exit byte for byte (missing = empty,
# empty, 0). UPDATE=1 rewrites the expectations instead; review them with git diff.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
DEDUP=${DEDUP:-$root/build/dedup}
case $DEDUP in /*) ;; *) DEDUP=$PWD/$DEDUP ;; esac # cases run in other folders
cases="$here/cases"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
dedup() { "$DEDUP" "$@"; }
export -f dedup
export DEDUP
for args in "$cases"/*.args "$cases"/*.sh; do
    [ -f "$args" ] || continue
    name=$(basename "$args"); name=${name%.*}
    stdin="$cases/$name.stdin"
    [ -f "$stdin" ] || stdin=/dev/null
    (
        cd "$root/data" || exit 99
        if [ "${args##*.}" = sh ]; then exec bash -c "$(cat "$args")"; fi
        eval "set -- $(cat "$args")"
        exec "$DEDUP" "$@"
    ) <"$stdin" >"$tmp/out" 2>"$tmp/err"
    echo $? >"$tmp/exit"
    if [ "${UPDATE:-0}" = 1 ]; then
        for f in out err; do
            if [ -s "$tmp/$f" ]; then cp "$tmp/$f" "$cases/$name.$f"; else rm -f "$cases/$name.$f"; fi
        done
        if [ "$(cat "$tmp/exit")" = 0 ]; then rm -f "$cases/$name.exit"; else cp "$tmp/exit" "$cases/$name.exit"; fi
        continue
    fi
    ok=1
    for f in out err; do
        want="$cases/$name.$f"
        [ -f "$want" ] || want=/dev/null
        if ! cmp -s "$want" "$tmp/$f"; then
            ok=0
            echo "FAIL $name: $f differs"
            diff -u "$want" "$tmp/$f" | head -20
        fi
    done
    want_exit=0
    [ -f "$cases/$name.exit" ] && want_exit=$(cat "$cases/$name.exit")
    if [ "$want_exit" != "$(cat "$tmp/exit")" ]; then
        ok=0
        echo "FAIL $name: exit $(cat "$tmp/exit"), want $want_exit"
    fi
    if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
[ "${UPDATE:-0}" = 1 ] && { echo "golden files updated"; exit 0; }
echo "cli: $pass passed, $fail failed"
[ $fail = 0 ]
