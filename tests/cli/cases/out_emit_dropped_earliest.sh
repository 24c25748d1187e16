# --emit dropped --keep earliest: what the deduplicated corpus leaves out; -v says which member
# each cluster keeps.
dedup -v --emit dropped --keep earliest jsonl/sample.jsonl tiny 2>&1 >/dev/null | grep keep:
dedup --emit dropped --keep earliest jsonl/sample.jsonl tiny
