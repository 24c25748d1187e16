# zip archives: members as documents (ARCHIVE:MEMBER), .jsonl members as records, records
# from an archive come back byte for byte with --emit.
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
mkdir -p "$t/src/wire"
cp tiny/harbour-strike.txt tiny/harbour-strike-reprint.txt "$t/src/wire/"
cp jsonl/sample.jsonl "$t/src/"
cd "$t/src" || exit 1
zip -q -X ../corpus.zip wire/ wire/harbour-strike.txt wire/harbour-strike-reprint.txt sample.jsonl
cd ..
dedup --level copies --format csv corpus.zip
dedup -q --level copies --emit unique corpus.zip
