dedup --emit dropped --keep longest tiny
