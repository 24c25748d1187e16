# --emit dropped --keep longest: what the deduplicated corpus leaves out; -v says which member
# each cluster keeps.
dedup -v --emit dropped --keep longest jsonl/sample.jsonl tiny 2>&1 >/dev/null | grep keep:
dedup --emit dropped --keep longest jsonl/sample.jsonl tiny
