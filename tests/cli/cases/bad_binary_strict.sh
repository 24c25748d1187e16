# --strict: the same skips, the report is still written, then exit 1.
t=$(mktemp -d) && trap 'rm -rf "$t"' EXIT && cd "$t" || exit 99
printf 'text before a NUL\000 and after' > named.txt
printf 'A plain story that is fine.\n' > story.txt
dedup --strict --level copies named.txt story.txt
