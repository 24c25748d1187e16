#!/usr/bin/env bash
# The --html report in a real browser: headless Chromium (Debian's `chromium`) loads the page
# from a file and dumps the DOM after any script would have run. A corpus document holds a
# <script> that would retitle the page, an <img onerror>, and quotes of every kind; the page
# must show them as text, keep its title, and list the clusters, members, scores and
# passages. Chromium is installed by the test set-up when it is missing; when it cannot be
# (no network, no root), the test says it is skipped and why, and does not fail.
# CHROMIUM names the browser binary (default chromium).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
DEDUP=${DEDUP:-$root/build/dedup}
CHROMIUM=${CHROMIUM:-chromium}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL html: $*"; fail=$((fail + 1)); }

if ! command -v "$CHROMIUM" >/dev/null 2>&1; then
    "$root/scripts/install-deps.sh" chromium >"$tmp/install.log" 2>&1
fi
if ! command -v "$CHROMIUM" >/dev/null 2>&1; then
    why=$(tail -n 1 "$tmp/install.log" 2>/dev/null)
    echo "html: SKIPPED: $CHROMIUM is not installed and could not be installed" \
         "(${why:-scripts/install-deps.sh chromium installed nothing}); the HTML page was not" \
         "checked in a browser"
    exit 0
fi

story='Dock workers at Port Amberly walked off the job on Monday at the start of a three-day
strike over pay and night-shift staffing, the port authority said. The union representing
about 1,200 crane operators and stevedores said talks had broken down late on Sunday.'
hostile="<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned2'\">
He said \"no comment\" and 'maybe' & <b>left</b>.
$story"
mkdir "$tmp/corpus"
printf '%s\n' "$story" > "$tmp/corpus/a-original.txt"
printf '%s\n' "$hostile" > "$tmp/corpus/b-<script>alert(1)<\\script>.txt"
printf 'A completely different story about rainfall in the northern valleys.\n' > "$tmp/corpus/c-other.txt"

"$DEDUP" -q --level copies --html "$tmp/report.html" "$tmp/corpus" >/dev/null ||
    bad "dedup --html exit $?"
grep -qE '<[a-z]+[^>]*[[:space:]](src|href|action)=' "$tmp/report.html" &&
    bad "the page refers to something outside it"

"$CHROMIUM" --headless --no-sandbox --disable-gpu --dump-dom "file://$tmp/report.html" \
    >"$tmp/dom.html" 2>"$tmp/chromium.err" || bad "chromium exit $?: $(tail -n 3 "$tmp/chromium.err")"
dom="$tmp/dom.html"
expect() { grep -qF -- "$1" "$dom" && ok || bad "DOM lacks: $1"; }
refuse() { grep -qF -- "$1" "$dom" && bad "DOM has: $1" || ok; }

expect '<title>dedup report</title>'
refuse 'pwned'"</title>"
refuse '<script>document.title'
expect '&lt;script&gt;document.title='"'"'pwned'"'"'&lt;/script&gt;'
expect '&lt;img src=x onerror="document.title='"'"'pwned2'"'"'"&gt;'
expect 'He said "no comment" and '"'"'maybe'"'"' &amp; &lt;b&gt;left&lt;/b&gt;.'
expect 'b-&lt;script&gt;alert(1)&lt;\script&gt;.txt'
expect '<section class="cluster" id="cluster-1">'
refuse 'id="cluster-2"'
expect 'a-original.txt'
refuse 'c-other.txt'
expect 'Jaccard'
expect '<mark><b>1</b> Dock workers at Port Amberly'
[ "$(grep -o '<script' "$dom" | wc -l)" = 0 ] && ok || bad "a <script> element is in the DOM"
echo "html: $pass passed, $fail failed"
[ $fail = 0 ]
