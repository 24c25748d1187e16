dedup --emit unique --keep earliest jsonl/sample.jsonl
