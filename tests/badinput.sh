#!/usr/bin/env bash
# Bad-input checks that cannot be golden files (tests/cli/cases/bad_* hold the rest; the
# matrix is in docs/TESTING.md). Inputs are made at test time in a temporary folder:
#   1. a 200 MB single-line document (text file, piped stdin, JSON Lines record) is skipped
#      with bounded memory (peak RSS from /usr/bin/time -v) and the line after it is read;
#   2. a folder and a file that vanish in the middle of a walk are reported per entry and the
#      walk goes on (a small C program drives dd_reader_next and deletes between calls);
#   3. every item of a walk over all bad inputs at once is accounted for (read = used +
#      skipped, which dedup itself checks), and nothing blocks;
#   4. the real Windows-1252 file ../shared/data/bbc/sport/199.txt decodes like iconv does.
# Environment: DEDUP (binary), BUILD (for libdedup.a), CC, CFLAGS, LIBS (from the Makefile),
# BADINPUT_MB (size of the big document, default 200).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
DEDUP=${DEDUP:-$root/build/dedup}
BUILD=${BUILD:-build}
MB=${BADINPUT_MB:-200}
cd "$root" || exit 1
tmp=$(mktemp -d)
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL badinput: $*"; fail=$((fail + 1)); }

# Run dedup under /usr/bin/time; sets $rss (peak KiB), $rc, and leaves out/err in $tmp.
measure() {
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%M' -o "$tmp/rss" "$@" >"$tmp/out" 2>"$tmp/err"
        rc=$?
        rss=$(tail -n 1 "$tmp/rss")
    else
        "$@" >"$tmp/out" 2>"$tmp/err"
        rc=$?
        rss=0
    fi
}

expect_err() { grep -qF -- "$1" "$tmp/err" || bad "$2: stderr lacks '$1': $(head -c 300 "$tmp/err")"; }

# ---- 1. a huge single-line document -----------------------------------------------------
big_doc() {
    local limit_kb=$((96 * 1024)) # peak RSS allowed: far below the document's size
    local peaks=""
    cd "$tmp" || return
    { printf '{"id":"huge","text":"'; head -c $((MB * 1000000)) /dev/zero | tr '\0' x
      printf '"}\n{"id":"after","text":"the record after the huge one is read as usual"}\n'; } > big.jsonl
    ln -sf big.jsonl big.txt

    measure "$DEDUP" --level copies --max-doc-bytes 1M big.txt
    [ $rc = 0 ] && [ "$rss" -lt $limit_kb ] || bad "text file of $MB MB: exit $rc, peak RSS ${rss} KiB"
    expect_err "big.txt: document larger than --max-doc-bytes (1048576), skipped" "text file"
    ok
    peaks="text file ${rss}"

    measure bash -c 'cat big.txt | "$0" --level copies --max-doc-bytes 1M -' "$DEDUP"
    [ $rc = 0 ] && [ "$rss" -lt $limit_kb ] || bad "piped stdin of $MB MB: exit $rc, peak RSS ${rss} KiB"
    expect_err "-: document larger than --max-doc-bytes (1048576), skipped" "piped stdin"
    ok
    peaks="$peaks, piped stdin ${rss}"

    measure "$DEDUP" --level copies --max-doc-bytes 1M big.jsonl
    [ $rc = 0 ] && [ "$rss" -lt $limit_kb ] || bad "JSON Lines record of $MB MB: exit $rc, peak RSS ${rss} KiB"
    expect_err "big.jsonl:1: record larger than --max-doc-bytes (1048576), skipped" "JSON Lines record"
    expect_err "dedup: 2 documents: 1 used, 1 skipped (too_large 1)" "JSON Lines record"
    ok
    peaks="$peaks, JSON Lines ${rss}"

    # The default limit (64 MiB) bounds memory too: the record is consumed, never stored
    # whole. Not measured under ASan, whose quarantine keeps every freed buffer of the
    # doubling growth resident (about 230 MB here).
    if [ "$MB" -gt 64 ]; then
        measure "$DEDUP" --level copies big.jsonl
        case $BUILD in *san*) rss=unmeasured ;; esac
        [ $rc = 0 ] && { [ "$rss" = unmeasured ] || [ "$rss" -lt $((limit_kb + 80 * 1024)) ]; } ||
            bad "JSON Lines record of $MB MB, default limit: exit $rc, peak RSS ${rss} KiB"
        expect_err "big.jsonl:1: record larger than --max-doc-bytes (67108864), skipped" "default limit"
        ok
        peaks="$peaks; JSON Lines at the default 64 MiB limit ${rss}"
    fi
    echo "badinput: $MB MB line skipped; peak RSS (KiB) with --max-doc-bytes 1M: $peaks"
    rm -f big.jsonl big.txt
    cd "$root" || exit 1
}

# ---- 2. entries that vanish during a walk -------------------------------------------------
vanish() {
    local src="$tmp/vanish.c" bin="$tmp/vanish"
    cat > "$src" <<'EOF'
/* Walk root/ (a.txt, b/x.txt, c.txt, d.txt): after a.txt, delete folder b and file d.txt.
 * Each must come back as one item with a "..., skipped" message, and c.txt still read. */
#include <dedup/dedup.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    dd_reader *r = NULL;
    dd_doc d;
    dd_status st;
    char path[4096], got[4096] = "";
    size_t items = 0;

    if (argc != 2 || dd_reader_new(NULL, &r) != DD_OK || dd_reader_add_path(r, argv[1]) != DD_OK)
        return 2;
    while ((st = dd_reader_next(r, &d)) != DD_END) {
        char line[1200];
        if (st == DD_ENOMEM)
            return 2;
        snprintf(line, sizeof line, "%s\n", st == DD_OK ? d.id : dd_reader_error(r));
        strncat(got, line, sizeof got - strlen(got) - 1);
        if (++items == 1) {
            snprintf(path, sizeof path, "%s/b/x.txt", argv[1]);
            unlink(path);
            snprintf(path, sizeof path, "%s/b", argv[1]);
            rmdir(path);
            snprintf(path, sizeof path, "%s/d.txt", argv[1]);
            unlink(path);
        }
    }
    dd_reader_free(r);
    fputs(got, stdout);
    return 0;
}
EOF
    if ! ${CC:-cc} ${CFLAGS:--Iinclude} -o "$bin" "$src" "$root/$BUILD/libdedup.a" \
        ${LIBS:--lxxhash -lutf8proc -ljansson -lstemmer -lm -pthread} 2>"$tmp/cc.err"; then
        bad "vanish helper does not build: $(head -c 500 "$tmp/cc.err")"
        return
    fi
    mkdir -p "$tmp/v/b"
    for f in a.txt b/x.txt c.txt d.txt; do echo "text of $f" > "$tmp/v/$f"; done
    (cd "$tmp" && ./vanish v) > "$tmp/vanish.out" 2>&1
    cat > "$tmp/vanish.want" <<'EOF'
v/a.txt
v/b: No such file or directory, skipped
v/c.txt
v/d.txt: No such file or directory, skipped
EOF
    if cmp -s "$tmp/vanish.want" "$tmp/vanish.out"; then ok; else
        bad "vanishing entries:"; diff -u "$tmp/vanish.want" "$tmp/vanish.out"
    fi
}

# ---- 3. everything at once: accounting and no hang ---------------------------------------
all_at_once() {
    local w="$tmp/all"
    mkdir -p "$w/sub" "$w/deep/er"
    cp -r "$root/data/tiny" "$root/data/jsonl" "$w/"
    printf 'Caf\xc3\xa9 \xff\n' > "$w/fffd.txt"
    printf 'Caf\xe9\n' > "$w/cp1252.txt"
    { printf '\xff\xfe'; printf 'utf sixteen\n' | iconv -f UTF-8 -t UTF-16LE; } > "$w/utf16.txt"
    printf 'bin\000ary' > "$w/binary.txt"
    : > "$w/empty.txt"
    printf 'word\n' > "$w/one-word.txt"
    printf '\xef\xbb\xbf{"id":"x","text":"bom"}\n{"id":"x","text":"dup"}\nbad\n{"text":7}\n' > "$w/r.jsonl"
    ln -s nowhere "$w/dangling"
    ln -s loop2 "$w/loop1"
    ln -s loop1 "$w/loop2"
    ln -s ../.. "$w/deep/er/up"
    mkfifo "$w/fifo"
    measure timeout 60 "$DEDUP" --level copies --format jsonl "$w" "$w"
    if [ $rc != 0 ] || grep -q "internal error" "$tmp/err"; then
        bad "walk over every bad input: exit $rc: $(tail -n 2 "$tmp/err")"
        return
    fi
    # The summary's counts must add up, and match the diagnostics: one line per skipped item.
    local docs used skipped lines
    docs=$(sed -n 's/.*"documents":\([0-9]*\).*/\1/p' "$tmp/out")
    used=$(sed -n 's/.*"used":\([0-9]*\).*/\1/p' "$tmp/out")
    skipped=$(sed -n 's/.*"skipped":\([0-9]*\),.*/\1/p' "$tmp/out")
    lines=$(grep -c ', skipped$' "$tmp/err")
    if [ -n "$docs" ] && [ "$docs" = $((used + skipped)) ] && [ "$lines" = "$skipped" ]; then ok; else
        bad "accounting: documents $docs, used $used, skipped $skipped, skip lines $lines"
    fi
}

# ---- 4. the real Windows-1252 file -------------------------------------------------------
real_cp1252() {
    local f="$root/../shared/data/bbc/sport/199.txt"
    [ -f "$f" ] || { echo "badinput: $f absent, cp1252 check skipped"; return; }
    iconv -f CP1252 -t UTF-8 "$f" > "$tmp/199-utf8.txt" || { bad "iconv"; return; }
    measure "$DEDUP" --level copies --format csv "$f" "$tmp/199-utf8.txt"
    expect_err "199.txt: warning: not valid UTF-8; read as Windows-1252" "199.txt"
    grep -q ',1.0000,1.0000$' "$tmp/out" || bad "199.txt does not decode as iconv's CP1252: $(cat "$tmp/out")"
    ok
}

big_doc
vanish
all_at_once
real_cp1252
echo "badinput: $pass passed, $fail failed"
[ $fail = 0 ]
