# A JSON Lines record whose text opens with blank lines and then its own headline compares
# that headline once, as the same article read from a file does: the two are one text
# (Jaccard 1), not a headline apart.
t=$(mktemp -d) && trap 'rm -rf "$t"' EXIT || exit 99
esc() { awk 'BEGIN { ORS = "" } { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); print $0 "\\n" }' "$@"; }
title=$(head -n 1 tiny/harbour-strike.txt | esc)
printf '{"id":"record","title":"%s","text":"\\n\\n%s"}\n' "${title%\\n}" "$(esc tiny/harbour-strike.txt)" > "$t/record.jsonl"
cp tiny/harbour-strike.txt "$t/file.txt"
cd "$t" && dedup -q --level copies --format csv record.jsonl file.txt
