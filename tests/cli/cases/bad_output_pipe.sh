# A reader that goes away (`| head -1`) ends dedup quietly: killed by SIGPIPE by default
# (status 141), or exit 0 with nothing on stderr when SIGPIPE is ignored (EPIPE). The report
# is made big enough (3000 identical records) that it cannot fit in the pipe. The first run
# inherits the test harness's SIGPIPE disposition, so either status is "quiet" there.
t=$(mktemp -d) && trap 'rm -rf "$t"' EXIT && cd "$t" || exit 99
awk 'BEGIN { for (i = 0; i < 3000; i++)
    printf "{\"id\":\"d%04d\",\"text\":\"the same short story in every record\"}\n", i }' > many.jsonl
dedup --level copies many.jsonl 2> err1 | head -n 1
case ${PIPESTATUS[0]} in 0 | 141) echo quiet ;; *) echo "status ${PIPESTATUS[0]}" ;; esac
cat err1
(trap '' PIPE; "$DEDUP" --level copies many.jsonl 2> err2 | head -n 1; echo "status ${PIPESTATUS[0]}")
cat err2
