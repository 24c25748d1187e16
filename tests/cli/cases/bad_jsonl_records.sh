# Every kind of bad JSON Lines record is one "FILE:LINE: ..., skipped" line and one item;
# blank lines are neither; a UTF-8 BOM before line 1 and CRLF line ends are accepted. The
# four good records share their text, so the cluster lists their ids.
t=$(mktemp -d) && trap 'rm -rf "$t"' EXIT && cd "$t" || exit 99
{
  printf '\xef\xbb\xbf{"id":"bom","text":"the same words in four good records"}\r\n'
  printf '{"id":"trunc","text":"no end\n'
  printf '\n'
  printf '{"id":"num","text":42}\n'
  printf '{"id":"null","text":null}\n'
  printf '{"id":"obj","text":{"a":1}}\n'
  printf '{"id":"none"}\n'
  printf '["an","array"]\n'
  printf '"a string"\n'
  printf '{"id":"nul","text":"a\\u0000b"}\n'
  printf '{"id":"raw-nul","text":"a\000b"}\n'
  printf '{"id":"badutf8","text":"caf\xe9"}\n'
  printf '{"id":"dup-key","text":"first","text":"the same words in four good records"}\n'
  printf '{"id":1.5,"text":"the same words in four good records"}\n'
  printf '{"id":"last","text":"the same words in four good records"}'
} > r.jsonl
dedup --level copies r.jsonl
