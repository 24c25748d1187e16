# Every command line under EXAMPLES in docs/dedup.1 appears verbatim in a man_*.sh case, and
# every line of the README's tested example block in a readme_*.sh case, so the documented
# examples are the ones the golden tests run.
sed -n '/^\.SH EXAMPLES/,/^\.SH /p' ../docs/dedup.1 | sed -n '/^\.EX/,/^\.EE/p' | grep -v '^\.E[XE]' |
    sed 's/\\-/-/g' | while IFS= read -r line; do
        cat ../tests/cli/cases/man_*.sh | grep -qxF -- "$line" || echo "man example not tested: $line"
    done
awk '/^Examples \(each is also a golden test/ { on = 1; next } on && /^```sh/ { block = 1; next }
     block && /^```/ { exit } block { print }' ../README.md | while IFS= read -r line; do
    cat ../tests/cli/cases/readme_*.sh | grep -qxF -- "$line" || echo "README example not tested: $line"
done
echo checked
