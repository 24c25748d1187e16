dedup --stdin-format jsonl --format csv - < jsonl/sample.jsonl
