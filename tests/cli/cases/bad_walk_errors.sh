# Everything a walk can meet in one folder: each bad entry is one diagnostic and one item,
# the run goes on, and the last stderr line accounts for every item (read = used + skipped).
t=$(mktemp -d) && trap 'rm -rf "$t"' EXIT && cd "$t" || exit 99
mkdir -p w/sub
body='Port officials said the strike would end on Friday after talks with the dock union.'
printf '%s\n' "$body" > w/a.txt
printf '%s\n' "$body" > w/sub/a-copy.txt
printf 'bin\000ary' > w/bin.dat
: > w/empty.txt
printf 'Caf\xe9 %s\n' "$body" > w/latin.txt
ln -s missing w/dangling
ln -s .. w/sub/up
mkfifo w/fifo
{ printf '{"id":"j1","text":"%s"}\n' "$body"; printf 'oops\n'; printf '{"id":"j1","text":"again"}\n'; } > w/recs.jsonl
timeout 10 "$DEDUP" --level copies w
echo "exit $?"
timeout 10 "$DEDUP" --level copies --strict -q w > /dev/null
echo "exit $?"
