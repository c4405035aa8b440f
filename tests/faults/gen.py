#!/usr/bin/env python3
"""Writes the fault matrix's users: the same N rows as JSON Lines (the language clients' input)
and as CSV (`logrocket import`'s), deterministic for a given N.

    gen.py N OUT_PREFIX     writes OUT_PREFIX.jsonl and OUT_PREFIX.csv

Every row has a user id, a timestamp and traits; most have a name and an email. Among them, so
that a run exercises more than the happy path:
  - ids with a space, a slash, a percent sign or non-ASCII letters (every 97th row), names and
    emails with non-ASCII text (every 13th), rows without an email (every 17th) or without the
    `campaign` trait (every 7th: a CSV cell left empty, never sent);
  - rows the API refuses, a name of 1,100 characters (every 499th row): they must fail with a
    validation error, be reported, and never reach the emulator.

Traits: `plan` and `campaign` (strings), `seats` (an integer in JSON, its digits in CSV) and
`active` (a boolean in JSON, `true`/`false` in CSV). The API stores every trait as a string,
so both files describe the same stored user.
"""

import csv
import json
import sys

FIRST = ["Ada", "Linus", "Grace", "Zoë", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Søren"]
LAST = ["Lovelace", "Turing", "Hopper", "Liskov", "Thompson", "Hamilton", "Ritchie", "Núñez", "Dijkstra"]
PLANS = ["free", "starter", "pro", "team", "enterprise"]
CAMPAIGNS = ["podcast", "newsletter", "search", "social", "referral", "conference"]
ODD_IDS = ["fx {i}", "fx/{i}", "fx%{i}", "fx-ü-{i}", "用户-{i}"]
# 2026-01-01T00:00:00Z, in Unix milliseconds.
START_MS = 1_767_225_600_000
INVALID_EVERY = 499


def row(i):
    """The input of row i (1-based), in the JSON input form every binding takes."""
    first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
    user_id = f"fx-{i:07d}"
    if i % 97 == 0:
        user_id = ODD_IDS[(i // 97) % len(ODD_IDS)].format(i=i)
    out = {"user_id": user_id}
    if i % INVALID_EVERY == 0:
        out["name"] = "x" * 1100
    else:
        out["name"] = f"{first} {last}" + (" 東京" if i % 13 == 0 else "")
    if i % 17 != 0:
        out["email"] = f"{first.lower()}.{last.lower()}+{i}@example.com"
    out["timestamp"] = START_MS + i * 60_000
    traits = {"plan": PLANS[(i * 7) % len(PLANS)], "seats": (i * 37) % 500, "active": i % 3 != 0}
    if i % 7 != 0:
        traits["campaign"] = CAMPAIGNS[(i * 11) % len(CAMPAIGNS)]
    out["traits"] = traits
    return out


def csv_cell(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    count, prefix = int(argv[1]), argv[2]
    columns = ["user_id", "name", "email", "timestamp", "plan", "seats", "active", "campaign"]
    with open(prefix + ".jsonl", "w", encoding="utf-8") as jsonl, open(
        prefix + ".csv", "w", encoding="utf-8", newline=""
    ) as csv_file:
        writer = csv.writer(csv_file, lineterminator="\n")
        writer.writerow(columns)
        for i in range(1, count + 1):
            r = row(i)
            jsonl.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
            flat = {k: v for k, v in r.items() if k != "traits"}
            flat.update(r["traits"])
            writer.writerow([csv_cell(flat[c]) if c in flat else "" for c in columns])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
