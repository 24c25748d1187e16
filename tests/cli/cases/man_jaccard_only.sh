dedup -t 0.7 -c 0 tiny
