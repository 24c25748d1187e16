find tiny -name '*.txt' -print0 | sort -z | dedup -0 --files-from - --format csv
