# -o (and --html) never overwrite an input: a named file, a file inside a named folder, a
# listed file or the list itself. Usage error, exit 2, nothing read and nothing written.
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
cp -r tiny "$t/corpus"
cp jsonl/sample.jsonl "$t/s.jsonl"
cd "$t"
echo "s.jsonl" > list
dedup --emit unique -o s.jsonl s.jsonl; echo "exit $?"
dedup --emit unique -o ./corpus/blank.txt corpus; echo "exit $?"
dedup --html corpus/../s.jsonl s.jsonl; echo "exit $?"
dedup --emit unique --files-from list -o s.jsonl; echo "exit $?"
dedup --files-from list -o list; echo "exit $?"
cmp s.jsonl "$OLDPWD/jsonl/sample.jsonl" && echo "input unchanged"
