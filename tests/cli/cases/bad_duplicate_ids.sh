# Duplicate ids are warned about (with where the id was first seen) and both documents are
# kept; across JSON Lines files, with integer ids, and for a file named twice.
t=$(mktemp -d) && trap 'rm -rf "$t"' EXIT && cd "$t" || exit 99
printf '{"id":"a","text":"first a"}\n{"id":"b","text":"b"}\n{"id":"a","text":"second a"}\n' > one.jsonl
printf '{"id":7,"text":"seven"}\n{"id":"7","text":"seven again"}\n{"id":"b","text":"b again"}\n' > two.jsonl
printf 'a text file\n' > t.txt
dedup --level copies one.jsonl two.jsonl t.txt t.txt
