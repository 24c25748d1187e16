# tar archives, plain and gzip-compressed: each regular member is a document with the id
# ARCHIVE:MEMBER, a .jsonl member holds records; folders inside are passed over.
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
mkdir -p "$t/src/wire"
cp tiny/harbour-strike.txt tiny/harbour-strike-short.txt "$t/src/wire/"
cp tiny/library-opening.txt jsonl/sample.jsonl "$t/src/"
cd "$t/src" || exit 1
tar cf ../corpus.tar --sort=name wire library-opening.txt sample.jsonl
tar czf ../corpus.tgz --sort=name wire
cd ..
dedup --level copies corpus.tar
dedup --level copies --format csv corpus.tgz
