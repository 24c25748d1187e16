# OCR copies (issue 11): each story with its noisy copies, the footer stories apart.
dedup --level copies --format jsonl ocr | dedup eval --truth eval/ocr-truth.tsv
