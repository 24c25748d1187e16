# Colour only on a terminal and never with NO_COLOR: explain's highlighting under a pseudo-
# terminal (script(1)), with NO_COLOR set, and into a pipe.
esc=$(printf '\033')
tty_run() { script -qefc "$1" /dev/null < /dev/null; }
tty_run "$DEDUP explain tiny/harbour-strike.txt tiny/harbour-strike-short.txt" | grep -c "$esc\[1;33m"
NO_COLOR=1 tty_run "$DEDUP explain tiny/harbour-strike.txt tiny/harbour-strike-short.txt" | grep -c "$esc"
dedup explain tiny/harbour-strike.txt tiny/harbour-strike-short.txt | grep -c "$esc"
