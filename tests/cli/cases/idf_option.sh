# --idf FILE replaces the built-in background table: a table made from the seven tiny stories
# alone weighs their shared words as common, so the similarities fall and the rewrite leaves
# the story. A missing or malformed table is named before any work (exit 1).
t=$(mktemp -d) && trap 'rm -rf "$t"' EXIT || exit 99
dedup idf -q tiny > "$t/tiny.tsv"
dedup -q --idf "$t/tiny.tsv" --format csv tiny
printf 'garbage\n' > "$t/bad.tsv"
dedup -q --idf "$t/bad.tsv" tiny 2>"$t/err"
echo "exit $?"; sed "s#$t/##" "$t/err"
dedup -q --idf "$t/missing.tsv" tiny 2>"$t/err"
echo "exit $?"; sed "s#$t/##" "$t/err"
