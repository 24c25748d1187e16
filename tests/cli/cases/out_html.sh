# --html FILE: one self-contained page (no script, nothing loaded) beside the usual report:
# clusters, members with the --keep choice, a pair matrix and the shared passages marked.
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
dedup -q --level copies --keep longest --html "$t/report.html" tiny > /dev/null
echo "exit $?"
cat "$t/report.html"
echo "stdin documents have no passages:"
dedup -q --html "$t/stdin.html" --stdin-format jsonl - < jsonl/sample.jsonl > /dev/null
grep -c 'Texts not available' "$t/stdin.html"
dedup -q --html /dev/full tiny > /dev/null
echo "exit $?"
