# Invalid UTF-8: with a valid multi-byte sequence, each bad byte becomes U+FFFD; with none,
# the file is read as Windows-1252. Both are used (and counted as repaired), each with one
# warning. Two copies of each so the decoded titles show up in a cluster.
t=$(mktemp -d) && trap 'rm -rf "$t"' EXIT && cd "$t" || exit 99
body='Port officials said the strike would end on Friday after talks with the dock union.'
printf 'Caf\xc3\xa9 \xff talks \xc3\x28 end\n%s\n' "$body" > fffd-1.txt
cp fffd-1.txt fffd-2.txt
printf 'Caf\xe9 \x93talks\x94 \x80 end\n%s\n' "$body" > cp1252-1.txt
cp cp1252-1.txt cp1252-2.txt
dedup --level copies cp1252-1.txt cp1252-2.txt fffd-1.txt fffd-2.txt
