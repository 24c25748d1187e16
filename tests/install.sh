#!/usr/bin/env bash
# `make install` into a temporary DESTDIR (a packager's staged install) and a temporary
# PREFIX (a user's own prefix): every file lands where the man page and pkg-config say, a
# program built with `pkg-config --libs dedup` links and runs, the bash completion
# completes, the man page has no roff warnings (when groff is there), and `make uninstall`
# removes it all again.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL install: $*"; fail=$((fail + 1)); }
cd "$root" || exit 1

make -s --no-print-directory install PREFIX=/usr DESTDIR="$tmp/stage" >"$tmp/log" 2>&1 ||
    bad "make install DESTDIR: $(tail -n 3 "$tmp/log")"
for f in usr/bin/dedup usr/lib/libdedup.a usr/include/dedup/dedup.h usr/include/dedup/emit.h \
         usr/lib/pkgconfig/dedup.pc usr/share/man/man1/dedup.1 \
         usr/share/bash-completion/completions/dedup; do
    [ -f "$tmp/stage/$f" ] && ok || bad "missing $f"
done
[ "$(ls include/dedup | wc -l)" = "$(ls "$tmp/stage/usr/include/dedup" | wc -l)" ] && ok ||
    bad "not every public header installed"
grep -qx 'prefix=/usr' "$tmp/stage/usr/lib/pkgconfig/dedup.pc" && ok || bad "dedup.pc prefix"
grep -q '^Version: [0-9]' "$tmp/stage/usr/lib/pkgconfig/dedup.pc" && ok || bad "dedup.pc version"
make -s --no-print-directory uninstall PREFIX=/usr DESTDIR="$tmp/stage" >"$tmp/log" 2>&1
[ -z "$(find "$tmp/stage" -type f)" ] && ok || bad "uninstall left: $(find "$tmp/stage" -type f)"

make -s --no-print-directory install PREFIX="$tmp/prefix" >"$tmp/log" 2>&1 ||
    bad "make install PREFIX: $(tail -n 3 "$tmp/log")"
cat > "$tmp/ex.c" <<'C'
#include <dedup/dedup.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    dd_reader *r;
    dd_result *res;
    dd_pipeline_opts o = dd_pipeline_opts_default();
    dd_report_opts ro = dd_report_opts_default();

    dd_reader_new(NULL, &r);
    dd_reader_add_path(r, argc > 1 ? argv[1] : "corpus/");
    if (dd_pipeline_run(&o, r, &res) == DD_OK) {
        dd_report_write(res, &ro, stdout);
        dd_result_free(res);
    }
    dd_reader_free(r);
    return 0;
}
C
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
# shellcheck disable=SC2046
cc -std=c11 -o "$tmp/ex" "$tmp/ex.c" $(pkg-config --cflags --libs dedup) 2>"$tmp/cc" ||
    bad "README library example does not build: $(head -c 400 "$tmp/cc")"
[ -x "$tmp/ex" ] && "$tmp/ex" data/tiny | grep -q '^cluster 1: ' && ok || bad "example run"
"$tmp/prefix/bin/dedup" --version | grep -q '^dedup [0-9]' && ok || bad "installed dedup"

got=$(bash -c 'source "$1"; COMP_WORDS=(dedup --ke); COMP_CWORD=1; _dedup; echo "${COMPREPLY[*]}"
               COMP_WORDS=(dedup --emit ""); COMP_CWORD=2; _dedup; echo "${COMPREPLY[*]}"' \
      _ "$tmp/prefix/share/bash-completion/completions/dedup" 2>&1)
[ "$got" = "--keep
unique dropped" ] && ok || bad "bash completion gave: $got"

if command -v groff >/dev/null 2>&1; then
    w=$(groff -man -ww -z "$tmp/prefix/share/man/man1/dedup.1" 2>&1)
    [ -z "$w" ] && ok || bad "man page warnings: $w"
else
    echo "install: man page check skipped (no groff)"
fi
echo "install: $pass passed, $fail failed"
[ $fail = 0 ]
