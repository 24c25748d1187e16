# --emit unique --keep first: the deduplicated corpus, JSON Lines records byte for byte, other
# documents as paths, in reading order.
dedup --emit unique --keep first jsonl/sample.jsonl tiny
