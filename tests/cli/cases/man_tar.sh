# Run as written in a copy of data/, so the archive lands in a temporary folder.
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
cp -r tiny "$t/" && cd "$t" || exit 1
tar czf tiny.tgz --sort=name tiny
dedup --level copies tiny.tgz
