# index add of two tiny articles, then index query of the others: stored members marked
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
dedup index add --db "$d/s.db" tiny/harbour-strike.txt tiny/library-opening.txt 2>&1
dedup index query --db "$d/s.db" tiny/harbour-strike-short.txt tiny/harbour-strike-rewrite.txt
dedup -q index query --db "$d/s.db" --format jsonl tiny/harbour-strike-short.txt | head -c 400; echo
dedup index add --db "$d/s.db" tiny/harbour-strike.txt 2>&1
