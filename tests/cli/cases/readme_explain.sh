dedup explain tiny/harbour-strike.txt tiny/harbour-strike-short.txt
