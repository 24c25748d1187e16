# Empty standard input is one empty document; a second '-' finds stdin at its end.
dedup --level copies - - < /dev/null
