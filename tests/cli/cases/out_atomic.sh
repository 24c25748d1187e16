# -o FILE is written to a temporary file beside FILE and renamed over it: an old FILE is
# replaced whole (its mode kept), nothing else is left in the folder. -o - is standard
# output. A folder is refused before anything is read; /dev/null (a character device) is
# written straight through. tests/faults.sh holds full disks, limits and kills.
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
echo "old report" > "$t/report.csv"
chmod 640 "$t/report.csv"
dedup -q --level copies --format csv -o "$t/report.csv" tiny; echo "exit $?"
cat "$t/report.csv"
stat -c %a "$t/report.csv"
ls -A "$t"
dedup -q --level copies --format csv -o - tiny; echo "exit $?"
mkdir "$t/dir"
dedup -q -o "$t/dir" tiny 2>&1 | sed "s|$t|T|"; echo "exit ${PIPESTATUS[0]}"
dedup -q -o /dev/null tiny; echo "exit $?"
