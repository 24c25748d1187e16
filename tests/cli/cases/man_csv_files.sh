dedup --format csv tiny/harbour-strike.txt tiny/harbour-strike-short.txt
