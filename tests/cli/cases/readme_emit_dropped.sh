dedup --level copies --emit dropped tiny
