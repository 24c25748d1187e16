# Compressed single files (gzip, bzip2, xz, zstd), recognised by their bytes, not their
# names; x.jsonl.gz holds JSON Lines records and --emit unique gives them back byte for byte.
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
cp tiny/harbour-strike.txt tiny/harbour-strike-reprint.txt jsonl/sample.jsonl "$t"
cd "$t" || exit 1
gzip -c harbour-strike.txt > strike.txt.gz
bzip2 -c harbour-strike.txt > strike.txt.bz2
xz -c harbour-strike.txt > strike.txt.xz
zstd -q -c harbour-strike.txt > strike.txt.zst
gzip -c harbour-strike-reprint.txt > reprint-no-suffix
gzip -c sample.jsonl > sample.jsonl.gz
dedup --level copies --format csv strike.txt.gz strike.txt.bz2 strike.txt.xz strike.txt.zst reprint-no-suffix
dedup -q --emit unique sample.jsonl.gz | cmp - sample.jsonl | sed 's/^- //'
dedup -q --level copies --emit dropped sample.jsonl.gz
head -c 100 strike.txt.gz > truncated.gz
dedup --level copies truncated.gz
