cat tiny/harbour-strike.txt | dedup --format jsonl -
