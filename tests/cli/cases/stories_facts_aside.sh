# Report 000 is an AAP web page: after the story, a promotion block ("What is AAPNews?",
# "Topics in Focus"). Its names are set aside from the fact lists (no lead fact on their line
# or just after them); the story's own names deep in the text (Muhrada, Salamiya) stay.
dedup explain hama/000_7dea230577da321f.txt hama/002_cd28b6654e9fce99.txt | grep '^facts'
dedup hama | grep -c -i -E 'aapnews|topics' || true
