# A file with NUL bytes is skipped as binary, named or found on a walk; the run goes on.
t=$(mktemp -d) && trap 'rm -rf "$t"' EXIT && cd "$t" || exit 99
mkdir dir
printf 'GIF89a\001\000\001\000\000\377\000,' > dir/image.gif
printf 'text before a NUL\000 and after' > named.txt
printf 'A plain story that is fine.\n' > dir/story.txt
dedup --level copies named.txt dir
