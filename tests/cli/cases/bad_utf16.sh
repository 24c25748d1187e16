# UTF-16 with a byte-order mark (LE and BE) is converted to UTF-8 with a warning and used;
# it clusters with the same text in UTF-8. UTF-16 without a BOM has NUL bytes: binary.
# A UTF-16 .jsonl file is one item, reported once (not one error per line).
t=$(mktemp -d) && trap 'rm -rf "$t"' EXIT && cd "$t" || exit 99
text='Dock workers begin strike at Port Amberly after pay talks collapse on Monday night'
printf '%s\n' "$text" > utf8.txt
{ printf '\xff\xfe'; printf '%s\n' "$text" | iconv -f UTF-8 -t UTF-16LE; } > le.txt
{ printf '\xfe\xff'; printf '%s\n' "$text" | iconv -f UTF-8 -t UTF-16BE; } > be.txt
printf '%s\n' "$text" | iconv -f UTF-8 -t UTF-16LE > nobom.txt
{ printf '\xff\xfe'; printf '{"text":"%s"}\n' "$text" | iconv -f UTF-8 -t UTF-16LE; } > records.jsonl
dedup --level copies be.txt le.txt nobom.txt records.jsonl utf8.txt
