# -0: a NUL-separated list (find -print0), names with spaces and newlines kept whole; the
# dropped paths come back NUL-separated too, ready for xargs -0.
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
cp tiny/harbour-strike.txt "$t/a story.txt"
cp tiny/harbour-strike-reprint.txt "$t/line
break.txt"
cp tiny/rainfall-record.txt "$t/rain.txt"
cd "$t" && find . -name '*.txt' -print0 | sort -z | dedup -q -0 --level copies --files-from - --emit dropped > out
echo "exit $?"
tr '\0' '|' < out
