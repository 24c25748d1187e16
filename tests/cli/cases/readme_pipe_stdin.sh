dedup --format csv - < tiny/harbour-strike.txt
