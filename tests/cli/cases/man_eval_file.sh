dedup eval --truth eval/truth.tsv eval/merged.jsonl
