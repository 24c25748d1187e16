# File names with a newline or an escape sequence cannot split a diagnostic line or move the
# cursor: stderr shows them as \xNN, the text report too, JSON escapes them.
t=$(mktemp -d) && trap 'rm -rf "$t"' EXIT && cd "$t" || exit 99
mkdir dir
body='Ministers agreed the budget late on Thursday after a long night of talks in the capital.'
printf '%s\n' "$body" > "dir/new
line.txt"
printf '%s\n' "$body" > "dir/$(printf 'esc\033[31mred').txt"
printf 'bin\000ary' > "dir/$(printf 'tab\there').txt"
dedup --level copies dir
dedup --level copies --format jsonl dir
