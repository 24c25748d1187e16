# A file that exists but cannot be opened: named on the command line it is an error of the
# run (reported first, not counted, exit 1, the other PATHs still read); found on a walk it is
# one skipped item, and so is a folder that cannot be read. Tests run as root, who can read
# anything, so root runs dedup as nobody (setpriv) on a world-readable temporary tree.
t=$(mktemp -d) && trap 'chmod -R u+rwx "$t"; rm -rf "$t"' EXIT && cd "$t" || exit 99
chmod 755 .
mkdir -p dir/locked
printf 'A readable story about the harbour strike.\n' > dir/ok.txt
printf 'secret\n' > dir/secret.txt
printf 'secret\n' > dir/locked/inside.txt
printf 'secret\n' > named.txt
chmod 000 dir/secret.txt dir/locked named.txt
as_user() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; else "$@"; fi; }
as_user "$DEDUP" --level copies named.txt dir
echo "exit $?"
