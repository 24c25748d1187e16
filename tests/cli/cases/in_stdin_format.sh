# --stdin-format: standard input as one text document, or as JSON Lines records (whose
# --emit unique output is the records as they came, though stdin cannot be read again).
dedup --level copies --format csv --stdin-format text - tiny/harbour-strike.txt < tiny/harbour-strike-short.txt
dedup -q --stdin-format jsonl --emit unique - < jsonl/sample.jsonl | cmp - jsonl/sample.jsonl | sed 's/^- //'
dedup --stdin-format xml -
echo "exit $?"
