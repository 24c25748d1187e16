# --emit unique --keep earliest: the deduplicated corpus, JSON Lines records byte for byte, other
# documents as paths, in reading order.
dedup --emit unique --keep earliest jsonl/sample.jsonl tiny
