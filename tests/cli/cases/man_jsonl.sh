dedup --format jsonl jsonl/sample.jsonl
