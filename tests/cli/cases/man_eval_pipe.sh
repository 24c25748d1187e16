dedup --format jsonl tiny | dedup eval --truth eval/tiny-truth.tsv
