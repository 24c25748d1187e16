# dedup stream: one JSON line per record, new / copy / story, a malformed line skipped
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
dedup stream --db "$d/s.db" 2>&1 <<'FEED'
{"id":"a","text":"Dock workers at Port Amberly began a three-day strike on Monday over pay, halting cargo at the harbour. The union said 1200 stevedores walked out after talks on a 6 percent rise failed; the port authority offered 2.5 percent."}
{"id":"b","text":"BREAKING. Dock workers at Port Amberly began a three-day strike on Monday over pay, halting cargo at the harbour. The union said 1200 stevedores walked out after talks on a 6 percent rise failed."}
not json
{"id":"c","text":"The new central library opened its doors on Saturday with a reading room for children and a rooftop garden, the city council said."}
{"id":"d","text":"Stevedores in Amberly walked off the job on Monday: some 1200 port workers want a 6 percent raise, while the harbour authority put 2.5 percent on the table, so cargo is stuck at the docks for three days."}
FEED
