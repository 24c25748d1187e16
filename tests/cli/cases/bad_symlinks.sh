# Symbolic links on a walk: a dangling link, a link loop and a link back to a parent folder
# are each one skipped item. Named on the command line, a dangling link or a loop is a PATH
# that does not exist: reported first, exit 1, the other PATHs still read.
t=$(mktemp -d) && trap 'rm -rf "$t"' EXIT && cd "$t" || exit 99
mkdir -p dir/sub
printf 'A story about the harbour strike.\n' > dir/ok.txt
ln -s no-such-target dir/dangling.txt
ln -s loop-b dir/loop-a
ln -s loop-a dir/loop-b
ln -s .. dir/sub/parent
ln -s ok.txt dir/alias.txt
dedup --level copies dir dir/dangling.txt dir/loop-a
echo "exit $?"
