# dedup explain A B: scores (story similarity, Jaccard, containment) and the shared passages
# of two documents, aligned, then both texts with the passages marked ([n[ ... ]n] when
# stdout is not a terminal). Two JSON Lines records work as well; any other count is exit 2.
dedup explain tiny/harbour-strike-reprint.txt tiny/harbour-strike-short.txt
echo "exit $?"
head -n 2 jsonl/sample.jsonl | dedup explain --level copies --stdin-format jsonl - | head -12
dedup explain tiny/harbour-strike.txt
echo "exit $?"
dedup explain tiny/harbour-strike.txt tiny/blank.txt
echo "exit $?"
dedup explain -o x.txt tiny/harbour-strike.txt tiny/harbour-strike-short.txt
echo "exit $?"
