# --emit unique --keep longest: the deduplicated corpus, JSON Lines records byte for byte, other
# documents as paths, in reading order.
dedup --emit unique --keep longest jsonl/sample.jsonl tiny
