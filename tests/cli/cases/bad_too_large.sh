# Over --max-doc-bytes: a text file is skipped without being read; a JSON Lines record line
# is consumed without being stored, and the next line is read as usual.
t=$(mktemp -d) && trap 'rm -rf "$t"' EXIT && cd "$t" || exit 99
head -c 5000 /dev/zero | tr '\0' 'w' > big.txt
{ printf '{"id":"big","text":"'; head -c 5000 /dev/zero | tr '\0' 'x'; printf '"}\n'
  printf '{"id":"small","text":"a small record after the big one"}\n'; } > r.jsonl
printf 'a small text file\n' > small.txt
dedup --level copies --max-doc-bytes 1K big.txt r.jsonl small.txt
printf 'standard input over the limit\n' | dedup --level copies --max-doc-bytes 10 -
