# CSV ids: control bytes are written as \xNN; CR and LF stay, inside quotes.
printf '{"id":"esc\\u001b[2J\\tx","text":"one two three four five six seven eight nine ten"}\n{"id":"line\\nbreak\\u0007","text":"one two three four five six seven eight nine ten"}\n' | dedup --level copies --stdin-format jsonl --format csv -
