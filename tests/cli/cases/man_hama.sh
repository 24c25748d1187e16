dedup hama
