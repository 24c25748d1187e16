dedup tiny
