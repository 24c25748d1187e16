# --help, --version and dedup idf on a full disk: one line and exit 1, like the report.
dedup --help > /dev/full
echo "exit $?"
dedup --version > /dev/full
echo "exit $?"
dedup idf -q tiny > /dev/full
echo "exit $?"
