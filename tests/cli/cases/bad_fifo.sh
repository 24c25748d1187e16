# A FIFO inside a walked folder is skipped without being opened, so the walk
# never blocks (timeout turns a hang into exit 124). A FIFO named on the command line is read
# (that is how `dedup <(cmd)` works).
t=$(mktemp -d) && trap 'rm -rf "$t"' EXIT && cd "$t" || exit 99
mkdir dir
mkfifo dir/fifo
printf 'A story about the harbour strike.\n' > dir/ok.txt
timeout 10 "$DEDUP" --level copies dir
echo "exit $?"
mkfifo named-fifo
timeout 10 sh -c 'printf "Text written into a named FIFO.\n" > named-fifo' &
timeout 10 "$DEDUP" --level copies named-fifo
echo "exit $?"
wait # the writer gives up after 10 s too, should dedup never open the FIFO
