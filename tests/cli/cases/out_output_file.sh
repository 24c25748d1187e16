# -o FILE: the report (or --emit output) goes to FILE, nothing to stdout; a JSON Lines
# corpus written with --emit unique is valid JSON Lines of the input records.
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
dedup -q --format csv -o "$t/pairs.csv" tiny
echo "exit $? stdout above"
cat "$t/pairs.csv"
dedup -q --emit unique -o "$t/unique.jsonl" jsonl/sample.jsonl
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]; print("valid JSON Lines")' "$t/unique.jsonl"
grep -Fxc -f "$t/unique.jsonl" jsonl/sample.jsonl
dedup -q -o /dev/full tiny
echo "exit $?"
