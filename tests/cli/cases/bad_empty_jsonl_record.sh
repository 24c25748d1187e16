# JSON Lines records whose text has no words are skipped as empty; blank lines are not items.
# An empty or blank JSON Lines file holds no item: it only gets a warning.
t=$(mktemp -d) && trap 'rm -rf "$t"' EXIT && cd "$t" || exit 99
printf '{"id":"e1","text":""}\n\n   \n{"text":"  ... "}\n{"id":"ok","text":"words here"}\n' > r.jsonl
: > empty.jsonl
printf '\n \r\n\t\n' > blank.jsonl
dedup --level copies blank.jsonl empty.jsonl r.jsonl
