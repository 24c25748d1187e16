dedup --strict jsonl/malformed.jsonl
