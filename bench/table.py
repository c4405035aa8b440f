#!/usr/bin/env python3
"""Turns the benchmark's raw results into the Markdown table, and puts it into bench/README.md.

    table.py RESULTS.tsv MACHINE.txt [README.md]

RESULTS.tsv has one line per run:
`label <TAB> requests <TAB> seconds <TAB> peak_rss_kb <TAB> ok <TAB> client_cpu_seconds`.
The load generator's label is `load generator (...)`; every other label is a CLI row. Without
README.md the table is only printed.
"""

import statistics
import sys
from collections import OrderedDict

START = "<!-- results:start -->"
END = "<!-- results:end -->"


def read_runs(path):
    runs = OrderedDict()
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            label, users, seconds, rss_kb, ok, cpu = line.rstrip("\n").split("\t")
            runs.setdefault(label, []).append({
                "rate": int(ok) / float(seconds),
                "rss_mb": int(rss_kb) / 1024,
                "users": int(users),
                "cpu_us": 1e6 * float(cpu) / int(users),
            })
    return runs


def table(runs):
    ceiling = next((statistics.median(r["rate"] for r in rs) for label, rs in runs.items()
                    if label.startswith("load generator")), None)
    lines = [
        "| run | users | users/s (median) | % of ceiling | peak RSS MB (max) | client CPU µs/user (median) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, rs in runs.items():
        rate = statistics.median(r["rate"] for r in rs)
        rss = max(r["rss_mb"] for r in rs)
        cpu = statistics.median(r["cpu_us"] for r in rs)
        share = f"{100 * rate / ceiling:.0f}%" if ceiling else "n/a"
        lines.append(
            f"| {label} | {rs[0]['users']:,} | {rate:,.0f} | {share} | {rss:.1f} | {cpu:.0f} |"
        )
    return "\n".join(lines)


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[2], encoding="utf-8") as f:
        machine = f.read().strip()
    section = f"{table(read_runs(argv[1]))}\n\n{machine}"
    print(section)
    if len(argv) == 4:
        with open(argv[3], encoding="utf-8") as f:
            readme = f.read()
        if START not in readme or END not in readme:
            print(f"{argv[3]} has no {START} ... {END} section", file=sys.stderr)
            return 1
        head, rest = readme.split(START, 1)
        _, tail = rest.split(END, 1)
        with open(argv[3], "w", encoding="utf-8") as f:
            f.write(f"{head}{START}\n{section}\n{END}{tail}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
