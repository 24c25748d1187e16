# JSON Lines with dotted field paths into nested objects; the .jsonl file sits in a folder
# and is read as records, not as one document.
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
mkdir "$t/feed"
cat > "$t/feed/export.jsonl" <<'JSON'
{"meta":{"guid":"w-1","headline":"Dock strike","published":"2024-03-04"},"body":{"text":"Dock workers at Port Amberly walked off the job on Monday at the start of a three-day strike over pay and night-shift staffing, the port authority said."}}
{"meta":{"guid":"w-2","headline":"Dock strike (update)","published":"2024-03-03"},"body":{"text":"Dock workers at Port Amberly walked off the job on Monday at the start of a three-day strike over pay and night-shift staffing, the port authority said on Monday."}}
{"meta":{"guid":"w-3","headline":"Library","published":"2024-03-05"},"body":{"text":"The new central library in Brennford opened its doors on Saturday, four years after work began."}}
JSON
cp tiny/library-opening.txt "$t/feed/library.txt"
cd "$t" && dedup --level copies --format jsonl --id-field meta.guid --text-field body.text \
    --title-field meta.headline --date-field meta.published feed
