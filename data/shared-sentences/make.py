#!/usr/bin/env python3
"""Writes corpus.jsonl: sentences shared by unrelated articles (see ../README.md).
Two articles (a-, b-) share one long witness sentence inside a paragraph each; their other
paragraphs are single sentences that eight filler articles (c*) carry inside their bodies.
c1-filler-reprint is a true reprint of c1-filler with a byline and a footer."""
import json
import random

rng = random.Random(7)
words = ("city council road bridge school water market price budget station river harbour police court minister union hospital library museum farm energy wind solar rail train bus airport tax plan report study vote member leader worker family child teacher doctor nurse engineer driver farmer builder "
         "north south east west coast valley hill forest island village town county region border centre street square park garden field house office factory mill shop bank fund loan debt profit sale export import "
         "opened closed raised cut delayed approved rejected signed announced warned promised expected reported built repaired moved sold bought hired trained tested "
         "new old large small early late quiet busy local national public private annual weekly second third final major minor").split()


def sent():
    w = [rng.choice(words) for _ in range(rng.randint(12, 18))]
    return w[0].capitalize() + " " + " ".join(w[1:]) + "."


shared = [
    "Shares in European banks fell sharply in early trading after the central bank warned that rising bad loans could squeeze profits for several years.",
    "The weather service said heavy rain would continue across the north of the country until at least the weekend, with flooding likely near rivers.",
    "A spokesman for the ministry declined to comment on the report, saying only that the government would study its recommendations with great care.",
    "Police said a man in his forties had been arrested at the scene and was being questioned about the incident at a station in the city centre.",
    "The company said the recall covered about ten thousand vehicles built last spring and that no injuries linked to the fault had been reported so far.",
    "Union leaders said members would vote next month on the latest pay offer, which they described as a step forward but still short of inflation.",
    "Analysts had expected a smaller rise in unemployment, and the figures sent the currency to its lowest level against the dollar in three months.",
    "The museum said the painting had been bought by a private collector at auction and would be lent back for a public exhibition next summer.",
]
Q = ("Witnesses told reporters that the fire had spread from a warehouse on the edge of the industrial estate to two neighbouring buildings within an hour, "
     "sending thick black smoke over the motorway and forcing its closure for most of the afternoon.")
docs = [
    ("a-warehouse-fire", "Fire spreads on industrial estate",
     [Q + " Fire crews from three towns attended.", shared[0], shared[1], shared[2], shared[3]]),
    ("b-motorway-closed", "Motorway shut for an afternoon",
     [Q + " Drivers were told to find other routes.", shared[4], shared[5], shared[6], shared[7]]),
]
for j in range(8):
    docs.append((f"c{j + 1}-filler", f"Filler article {j + 1}",
                 [sent() + " " + sent(), shared[j], sent() + " " + sent(), shared[(j + 1) % 8],
                  sent() + " " + sent()]))
c1 = docs[2]
docs.append(("c1-filler-reprint", c1[1], ["By Staff Reporter"] + c1[2] +
             ["Copyright Example News. All rights reserved. Republished with permission."]))
with open("corpus.jsonl", "w") as f:
    for id_, title, lines in docs:
        f.write(json.dumps({"id": id_, "title": title, "text": "\n\n".join(lines)}) + "\n")
