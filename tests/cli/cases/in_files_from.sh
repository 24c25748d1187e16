# --files-from: one path a line (CRLF and empty lines tolerated), from a file or stdin; the
# listed PATHs come after the ones on the command line, and a missing one is exit 1.
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
printf 'tiny/harbour-strike.txt\r\n\ntiny/harbour-strike-short.txt\n' > "$t/list"
dedup --level copies --format csv --files-from "$t/list" tiny/harbour-strike-reprint.txt
echo "exit $?"
printf 'tiny/harbour-strike.txt\ntiny/no-such.txt\n' | dedup -q --level copies --files-from -
echo "exit $?"
cd "$t" && dedup --files-from none
echo "exit $?"
