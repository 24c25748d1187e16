# Empty, whitespace-only and punctuation-only files have no words: skipped as empty.
t=$(mktemp -d) && trap 'rm -rf "$t"' EXIT && cd "$t" || exit 99
: > empty.txt
printf ' \t\r\n\n   \n' > blank.txt
printf -- '--- *** !!! ...\n' > punct.txt
printf '\xef\xbb\xbf' > bom-only.txt
printf 'One real document with words.\n' > real.txt
dedup --level copies blank.txt bom-only.txt empty.txt punct.txt real.txt
