# WARC crawls, plain and gzip per record: response records of 2xx HTML become documents
# (libxml2 turns the HTML into text, script and style dropped, <title> as title; chunked and
# gzip bodies undone); warcinfo, request, images and a 404 are not documents.
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
cd "$t" || exit 1
# rec TYPE URI CONTENT-TYPE PAYLOAD-FILE: one WARC record on stdout
rec() {
    printf 'WARC/1.0\r\nWARC-Type: %s\r\nWARC-Target-URI: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n' \
        "$1" "$2" "$3" "$(wc -c < "$4")"
    cat "$4"
    printf '\r\n\r\n'
}
{ printf '<html><head><title>Dock\n strike</title><script>var pwned = "alpha beta";</script>'
  printf '<style>p { color: red }</style></head><body><nav>Home | World</nav><article>'
  sed 's|.*|<p>&</p>|' "$OLDPWD/tiny/harbour-strike.txt"; printf '</article></body></html>'; } > page.html
{ printf 'HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n'; cat page.html; } > plain.http
{ printf 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n'
  printf '%x\r\n' "$(wc -c < page.html)"; cat page.html; printf '\r\n0\r\n\r\n'; } > chunked.http
{ printf 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n'; gzip -c page.html; } > gzip.http
printf 'HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\n<p>not here</p>' > gone.http
printf 'HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\211PNG' > image.http
printf 'GET /a/ HTTP/1.1\r\nHost: news.example\r\n\r\n' > request.http
printf 'software: hand-made\r\n' > info
cp "$OLDPWD/tiny/rainfall-record.txt" notes.txt
rec warcinfo '' application/warc-fields info > r0
rec request https://news.example/a/ 'application/http; msgtype=request' request.http > r1
rec response https://news.example/a/ 'application/http; msgtype=response' plain.http > r2
rec response '<https://other.example/a/>' 'application/http; msgtype=response' chunked.http > r3
rec response https://third.example/x.html 'application/http; msgtype=response' gzip.http > r4
rec response https://news.example/logo.png 'application/http; msgtype=response' image.http > r5
rec response https://news.example/gone 'application/http; msgtype=response' gone.http > r6
rec resource file:///notes.txt text/plain notes.txt > r7
cat r0 r1 r2 r3 r4 r5 r6 r7 > crawl.warc
for r in r0 r1 r2 r3 r4 r5 r6 r7; do gzip -c $r; done > crawl.warc.gz
dedup --level copies --format jsonl crawl.warc
dedup --level copies crawl.warc.gz
