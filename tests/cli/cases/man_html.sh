# Run as written in a copy of data/, then show what the page holds.
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
cp -r tiny "$t/" && cd "$t" || exit 1
dedup -q --html report.html tiny
grep -o '<h2>[^<]*</h2>\|<mark><b>[0-9]*</b>' report.html | sort | uniq -c
