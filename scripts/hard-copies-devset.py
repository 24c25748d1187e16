#!/usr/bin/env python3
"""Hard copies dev set: wire stories republished with harder edits than copies-dev, at the
default (stories) level (issue 10, "Footers at the story level" and the hard copies row).

    scripts/hard-copies-devset.py [--seed N] [--ocr-noise BIN] REUTERS_JSONL OUT

Writes OUT/docs and OUT/truth.tsv:
  400 stories s<ID>, each with 1-3 copies s<ID>-c<K> (.txt, or .html for an HTML page), each
      copy with two to four of: OCR noise at 1-2 % (build/bench/ocr_noise), news synonyms for
      about one word in eight, paragraphs or sentences reordered, an HTML page (navigation,
      entities, inline tags, a site footer), NFD (the story is given accented names, which
      the copy decomposes), trimmed to 60-90 % of its words, a byline, an agency footer,
      typographic quotes and dashes, the headline in upper case;
  150 distinct stories f<ID> under one long shared footer (labelled each its own group: two
      in one cluster is a false pair);
  3,000 distractors d<ID> (unlabelled).
Stories are Reuters-21578 items of 80 words or more whose text is not repeated in the
corpus (no other item shares their first 200 characters); the seed picks them and the
edits. Deterministic: the same OUT for the same inputs and seed. Needs python3 only.
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import unicodedata

SYN = {
    "said": "stated", "says": "states", "rose": "climbed", "fell": "dropped", "company": "firm",
    "companies": "firms", "increase": "rise", "decrease": "decline", "buy": "purchase",
    "bought": "purchased", "sell": "divest", "sold": "divested", "big": "large", "large": "big",
    "small": "modest", "shares": "stock", "profit": "earnings", "profits": "earnings",
    "loss": "deficit", "agreed": "consented", "agreement": "accord", "expected": "anticipated",
    "expects": "anticipates", "government": "administration", "officials": "authorities",
    "official": "spokesman", "announced": "disclosed", "plans": "intends", "plan": "proposal",
    "higher": "greater", "lower": "reduced", "month": "period", "total": "overall",
    "about": "around", "approximately": "roughly", "spokesman": "official", "told": "informed",
    "reported": "disclosed", "reuters": "Reuters news agency", "market": "marketplace",
    "meeting": "session", "talks": "negotiations", "help": "assist", "begin": "start",
    "began": "started", "end": "close", "ended": "closed", "major": "leading",
    "increased": "grew", "decreased": "declined", "rate": "level", "rates": "levels",
    "still": "yet", "also": "additionally", "however": "but", "because": "as",
    "cut": "reduced", "raised": "lifted", "year": "twelve months", "quarter": "three months",
    "net": "bottom-line", "sales": "revenues", "revenue": "sales", "output": "production",
    "production": "output", "imports": "purchases abroad", "exports": "sales abroad",
}
ACCENTS = {"e": "\u00e9", "a": "\u00e1", "o": "\u00f3", "u": "\u00fc", "i": "\u00ed", "n": "\u00f1"}
NAV = ("<nav><ul><li><a href=\"/\">Home</a></li><li><a href=\"/markets\">Markets</a></li>"
       "<li><a href=\"/world\">World</a></li><li><a href=\"/business\">Business &amp; Finance</a></li></ul></nav>")
SITE_FOOTER = ("<footer><p>&copy; Meridian Business Daily. All rights reserved. Terms &amp; "
               "conditions apply. Contact the newsroom for corrections.</p></footer>")
LONG_FOOTER = (
    "About this bulletin: The Northgate Markets Bulletin is sent every business day to its "
    "subscribers by Northgate Information Services. Figures and quotations come from exchanges "
    "and dealers and are believed to be accurate, but they are not guaranteed and are provided "
    "for information only. Nothing in this bulletin is an offer or a solicitation to buy or sell "
    "any security, commodity or contract. To change or cancel your subscription, write to the "
    "subscriber desk or call the reader service line during office hours. Copyright Northgate "
    "Information Services; all rights reserved; no part may be reproduced without permission.")
BYLINES = ["By Staff Reporter", "From our correspondent", "By Business Desk Staff", "Wire report"]
FOOTERS = ["(Reporting by the wire service; editing by the business desk)",
           "Copyright wire service. Republished with permission. All rights reserved.",
           "This story was supplied by a news agency and has not been edited by our staff."]


def paragraphs(text):
    """Reuters bodies are hard-wrapped with indented paragraph starts."""
    paras, cur = [], []
    for line in text.split("\n"):
        if line.startswith("    ") and cur:
            paras.append(" ".join(cur))
            cur = []
        if line.strip():
            cur.append(line.strip())
    if cur:
        paras.append(" ".join(cur))
    return [p for p in paras if p and p not in ("REUTER", "Reuter")]


def sentences(p):
    return re.split(r"(?<=[.!?])\s+(?=[A-Z\"])", p)


def synonyms(paras, rng):
    def swap(m):
        w = m.group(0)
        s = SYN.get(w.lower())
        if not s or rng.random() > 0.6:
            return w
        return s[0].upper() + s[1:] if w[0].isupper() else s
    return [re.sub(r"[A-Za-z]+", swap, p) for p in paras]


def reorder(paras, rng):
    paras = list(paras)
    if len(paras) >= 3:
        i = rng.randrange(1, len(paras) - 1)
        paras[i], paras[i + 1] = paras[i + 1], paras[i]
    elif paras:
        s = sentences(paras[-1])
        if len(s) >= 2:
            s[-1], s[-2] = s[-2], s[-1]
            paras[-1] = " ".join(s)
    return paras


def trim(paras, rng):
    words = sum(len(p.split()) for p in paras)
    keep = int(words * rng.uniform(0.6, 0.9))
    out, n = [], 0
    for p in paras:
        w = p.split()
        if n + len(w) <= keep:
            out.append(p)
            n += len(w)
        else:
            if keep - n > 5:
                out.append(" ".join(w[: keep - n]))
            break
    return out or paras[:1]


def typography(paras):
    out = []
    for p in paras:
        p = re.sub(r'"(\w)', "\u201c\\1", p)
        p = p.replace('"', "\u201d").replace(" - ", " \u2014 ").replace("'", "\u2019")
        out.append(p)
    return out


def accent(text, rng_seed):
    """Give capitalised words of 5+ letters an accented vowel (deterministic per word)."""
    def one(m):
        w = m.group(0)
        r = random.Random(w + str(rng_seed))
        if r.random() > 0.5:
            return w
        idx = [i for i, c in enumerate(w) if i > 0 and c in ACCENTS]
        if not idx:
            return w
        i = r.choice(idx)
        return w[:i] + ACCENTS[w[i]] + w[i + 1:]
    return re.sub(r"\b[A-Z][a-z]{4,}\b", one, text)


def ocr(text, rate, seed, binary):
    return subprocess.run([binary, "-r", "%.3f" % rate, "-s", str(seed)], input=text.encode(),
                          stdout=subprocess.PIPE, check=True).stdout.decode("utf-8", "replace")


def html_page(title, paras):
    esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    body = "".join("<p>%s</p>\n" % esc(p).replace(" said ", " <em>said</em> ", 1) for p in paras)
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s | Meridian Business "
            "Daily</title></head>\n<body>%s\n<article><h1>%s</h1>\n%s</article>\n%s\n</body></html>\n"
            % (esc(title), NAV, esc(title), body, SITE_FOOTER))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ocr-noise", default="build/bench/ocr_noise")
    ap.add_argument("reuters")
    ap.add_argument("out")
    a = ap.parse_args()
    items, seen = [], {}
    with open(a.reuters, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            text = r.get("text") or ""
            key = re.sub(r"\s+", " ", text)[:200]
            seen[key] = seen.get(key, 0) + 1
            items.append((str(r["id"]), r.get("title") or "", text, key))
    ok = [it for it in items if seen[it[3]] == 1 and len(it[2].split()) >= 80 and it[1]]
    rng = random.Random(a.seed)
    rng.shuffle(ok)
    stories, footers, distract = ok[:400], ok[400:550], ok[550:3550]
    if len(distract) < 3000:
        sys.exit("hard-copies-devset: too few stories in %s" % a.reuters)
    docs = os.path.join(a.out, "docs")
    os.makedirs(docs, exist_ok=True)
    truth = ["doc\tgroup"]

    def write(name, content):
        with open(os.path.join(docs, name), "w", encoding="utf-8") as f:
            f.write(content)

    edits = ["ocr", "syn", "reorder", "html", "nfd", "trim", "byline", "footer", "typo", "upper"]
    for n, (id_, title, text, _) in enumerate(stories):
        paras = paragraphs(text)
        nfd_story = rng.random() < 0.25
        if nfd_story:
            title, paras = accent(title, id_), [accent(p, id_) for p in paras]
        write("s%s.txt" % id_, title + "\n\n" + "\n\n".join(paras) + "\n")
        truth.append("s%s\tg%s" % (id_, id_))
        for k in range(1, rng.randint(1, 3) + 1):
            pick = set(rng.sample(edits, rng.randint(2, 4)))
            if nfd_story and rng.random() < 0.7:
                pick.add("nfd")
            t, p = title, list(paras)
            if "syn" in pick:
                p = synonyms(p, rng)
            if "reorder" in pick:
                p = reorder(p, rng)
            if "trim" in pick:
                p = trim(p, rng)
            if "typo" in pick:
                p = typography(p)
            if "upper" in pick:
                t = t.upper()
            if "byline" in pick:
                p = [rng.choice(BYLINES)] + p
            if "footer" in pick:
                p = p + [rng.choice(FOOTERS)]
            if "nfd" in pick:
                t, p = unicodedata.normalize("NFD", t), [unicodedata.normalize("NFD", x) for x in p]
            name = "s%s-c%d" % (id_, k)
            if "html" in pick:
                page = html_page(t, p)
                if "ocr" in pick:  # a scanned page put on the web: noise the text, not the tags
                    p = [ocr(x, rng.uniform(0.01, 0.02), rng.randrange(1 << 30), a.ocr_noise).strip()
                         for x in p]
                    page = html_page(t, p)
                write(name + ".html", page)
                name += ".html"  # dedup eval keys keep extensions other than .txt
            else:
                body = t + "\n\n" + "\n\n".join(p) + "\n"
                if "ocr" in pick:
                    body = ocr(body, rng.uniform(0.01, 0.02), rng.randrange(1 << 30), a.ocr_noise)
                write(name + ".txt", body)
            truth.append("%s\tg%s" % (name, id_))
    for id_, title, text, _ in footers:
        write("f%s.txt" % id_, title + "\n\n" + "\n\n".join(paragraphs(text)) + "\n\n" + LONG_FOOTER + "\n")
        truth.append("f%s\tf%s" % (id_, id_))
    for id_, title, text, _ in distract:
        write("d%s.txt" % id_, title + "\n\n" + "\n\n".join(paragraphs(text)) + "\n")
    with open(os.path.join(a.out, "truth.tsv"), "w") as f:
        f.write("\n".join(truth) + "\n")


if __name__ == "__main__":
    main()
