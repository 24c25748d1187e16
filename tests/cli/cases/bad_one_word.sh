# One-word documents get one shingle of their word, never an empty signature: two identical
# ones cluster, a different one does not (copies level, then stories level).
t=$(mktemp -d) && trap 'rm -rf "$t"' EXIT && cd "$t" || exit 99
printf 'Harbour\n' > a.txt
printf 'harbour.\n' > b.txt
printf 'Lighthouse\n' > c.txt
dedup --level copies a.txt b.txt c.txt
dedup --level stories -q a.txt b.txt c.txt | tail -n 1
