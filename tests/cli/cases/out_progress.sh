# The progress line (documents, MB, MB/s, ETA) is drawn on stderr only when stderr is a
# terminal (script(1) gives a pseudo-terminal here), cleared before other messages, and
# never shown with -q or when stderr is a file or pipe.
tty_run() { script -qefc "$1" /dev/null < /dev/null; }
tty_run "$DEDUP --level copies --format csv tiny" | grep -c 'dedup: [0-9]* documents, [0-9.]* of [0-9.]* MB, [0-9.]* MB/s, ETA [0-9]*:[0-9][0-9]'
tty_run "$DEDUP -q --level copies --format csv tiny" | grep -c 'MB/s'
dedup --level copies --format csv tiny 2>&1 >/dev/null | grep -c 'MB/s'
