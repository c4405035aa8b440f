#!/usr/bin/env python3
"""Writes a CSV of N users for `logrocket import` benchmarks, in the shape of examples/users.csv.

    gen_users.py N OUT.csv      the users, deterministic for a given N
    gen_users.py --body         one request body exactly as the CLI sends a row of that CSV
                                (the load generator's body, so both send the same bytes)
"""

import json
import sys

FIRST = ["Ada", "Linus", "Grace", "Alan", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Edsger"]
LAST = ["Lovelace", "Turing", "Hopper", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen", "Dijkstra"]
PLANS = ["free", "starter", "pro", "team", "enterprise"]
CAMPAIGNS = ["podcast", "newsletter", "search", "social", "referral", "conference"]
# 2026-01-01T00:00:00Z, in Unix milliseconds.
START_MS = 1_767_225_600_000


def user(i):
    first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
    return {
        "user_id": f"user-{i:07d}",
        "name": f"{first} {last}",
        "email": f"{first.lower()}.{last.lower()}{i}@example.com",
        "timestamp": START_MS + i * 60_000,
        "revenue": str((i * 37) % 500),
        "plan": PLANS[(i * 7) % len(PLANS)],
        "campaign": CAMPAIGNS[(i * 11) % len(CAMPAIGNS)],
    }


def body(row):
    # What the CLI sends for a CSV row: CSV cells are text, traits in key order.
    traits = {k: row[k] for k in sorted(("revenue", "plan", "campaign"))}
    wire = {"name": row["name"], "email": row["email"], "timestamp": row["timestamp"], "traits": traits}
    return json.dumps(wire, separators=(",", ":"))


def main(argv):
    if argv[1:] == ["--body"]:
        print(body(user(1)))
        return 0
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    count, out = int(argv[1]), argv[2]
    columns = ["user_id", "name", "email", "timestamp", "revenue", "plan", "campaign"]
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(columns) + "\n")
        for i in range(1, count + 1):
            row = user(i)
            f.write(",".join(str(row[c]) for c in columns) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
