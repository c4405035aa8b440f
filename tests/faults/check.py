#!/usr/bin/env python3
"""The fault matrix's verdicts: one run checked against its input file, and the table.

    check.py run --combo NAME --client NAME --input FILE.csv|FILE.jsonl
                 (--result RESULT.json | --rejects REJECTS.jsonl --cli-log STDERR --cli-exit N)
                 --users USERS.json --stats STATS.json [--driver DRIVER.json]
                 --wall SECONDS --results RESULTS.jsonl
    check.py crashed --combo NAME --client NAME --exit N --log STDERR --wall S --results R
                     --why TEXT --input FILE.jsonl --users USERS.json --stats STATS.json
                                          a client stopped or exited without a result: a failed
                                          run, its stored users still checked against the input
    check.py table RESULTS.jsonl          the Markdown table, one row per run

A run passes when all of these hold:
  - the client accounted for every input: what it says it delivered plus the failures it
    reported (bulk report, rejects file, or enqueue's exceptions and on-failure hook) is exactly
    the inputs, each input once; every failure has a kind and a message;
  - the client's own counts agree (bulk: succeeded == total - failures; enqueue: the counters'
    enqueued == delivered + failed + dropped + coalesced with nothing pending, and the
    on-failure hook heard of every failed or dropped update);
  - every input the API refuses (a name over 1,024 characters) failed as a validation error and
    never reached the emulator;
  - every input the client counts as delivered is in the emulator with exactly its input's name,
    email, traits and timestamp (first and last seen), and nothing else is there: no user that
    is not in the input, none of a refused row;
  - a failed input that is in the emulator anyway (a request that landed but whose answer was
    lost, then the retries ran out) holds exactly its input too; it is counted, not an error:
    at-least-once is acceptable, unseen loss is not;
  - requests answered 200 >= distinct users stored; the difference is the duplicates (requests
    that stored a user already stored: a retry after a lost answer, or a hang the client gave
    up on).

The table's columns: the inputs; delivered (by the client's account, each checked in the
emulator); failed, by reason (`api 503`, `transport reset`, `timeout`, `validation`, ...), and
how many of those the emulator holds anyway; the requests the emulator answered, by status
(`dropped`: closed without an answer by a fault; a request toxiproxy kept from it, or that the
client gave up on during a hang, is not counted); the hangs past the client's timeout the
emulator was told to make (tests/faults/driver.py; each costs the client a timeout and a retry);
the attempts the client itself says it retried (its counters; the CLI prints none); duplicates;
the client's wall time; the verdict.
"""

import argparse
import csv
import json
import re
import sys
from collections import Counter

MAX_CHARS = 1024


def expected_from_jsonl(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            traits = {}
            for key, value in (r.get("traits") or {}).items():
                if isinstance(value, bool):
                    traits[key] = "true" if value else "false"
                else:
                    traits[key] = str(value)
            rows.append(
                {
                    "userID": r["user_id"],
                    "name": r.get("name"),
                    "email": r.get("email"),
                    "traits": traits,
                    "firstSeen": r["timestamp"],
                    "lastSeen": r["timestamp"],
                }
            )
    return rows


def expected_from_csv(path):
    rows = []
    with open(path, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            fixed = {"user_id", "name", "email", "timestamp"}
            rows.append(
                {
                    "userID": r["user_id"],
                    # Empty cells are left out, never sent.
                    "name": r["name"] or None,
                    "email": r["email"] or None,
                    "traits": {k: v for k, v in r.items() if k not in fixed and v != ""},
                    "firstSeen": int(r["timestamp"]),
                    "lastSeen": int(r["timestamp"]),
                }
            )
    return rows


def refused(row):
    """Whether the API refuses this input (the generator's invalid rows: a name too long)."""
    return row["name"] is not None and len(row["name"]) > MAX_CHARS


def label(failure):
    kind = failure.get("kind") or "?"
    if kind == "api" and failure.get("status"):
        return f"api {failure['status']}"
    if kind == "transport":
        reason = failure.get("reason")
        if not reason:
            found = re.search(r"transport error \((\w+)\)", failure.get("message") or "")
            reason = found.group(1) if found else None
        return f"transport {reason}" if reason else "transport"
    return kind


def cli_result(rejects_path, log_path, exit_code):
    """What `logrocket import` says: the summary line and the rejects file."""
    text = open(log_path, encoding="utf-8", errors="replace").read()
    found = re.findall(r"^imported (\d+) of (\d+) rows", text, re.M)
    result = {"failures": [], "exit": exit_code}
    if found:
        result["succeeded"], result["total"] = int(found[-1][0]), int(found[-1][1])
    try:
        with open(rejects_path, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                error = r.get("error") or {}
                result["failures"].append(
                    {
                        "index": None,
                        "line": r.get("line"),
                        "user_id": r.get("user_id"),
                        "kind": error.get("kind"),
                        "status": error.get("status"),
                        "reason": None,
                        "message": error.get("message"),
                    }
                )
    except FileNotFoundError:
        pass  # a clean run removes its empty rejects file
    return result


def lower_keys(d):
    return {k.lower(): v for k, v in d.items()} if isinstance(d, dict) else d


def check_run(a):
    problems = []

    def problem(text):
        problems.append(text)

    inputs = expected_from_csv(a.input) if a.input.endswith(".csv") else expected_from_jsonl(a.input)
    by_id = {r["userID"]: i for i, r in enumerate(inputs)}
    if len(by_id) != len(inputs):
        problem("the input has repeated user ids")

    if a.result:
        result = json.load(open(a.result, encoding="utf-8"))
    else:
        result = cli_result(a.rejects, a.cli_log, a.cli_exit)
        # 0: every row imported; 1: some rows failed, each in the rejects file; else broken.
        if a.cli_exit not in (0, 1):
            problem(f"logrocket import exited {a.cli_exit}")
        if a.cli_exit == 0 and result["failures"]:
            problem("import exited 0 with rows in the rejects file")
        if a.cli_exit == 1 and not result["failures"]:
            problem("import exited 1 (rows failed) with an empty rejects file")
    if "total" not in result:
        problem("the client printed no summary")
    elif result["total"] != len(inputs):
        problem(f"the client saw {result['total']} inputs, the file has {len(inputs)}")

    # Every failure names one input, once, with a reason.
    failed = {}
    for f in result["failures"]:
        index = f.get("index")
        if index is None:
            index = by_id.get(f.get("user_id"))
        elif not (0 <= index < len(inputs)) or inputs[index]["userID"] != f.get("user_id"):
            problem(f"failure at index {index} names user {f.get('user_id')!r}, not the input's")
            continue
        if index is None:
            problem(f"a failure names user {f.get('user_id')!r}, which is not in the input")
            continue
        if index in failed:
            problem(f"input {index} ({inputs[index]['userID']!r}) is reported failed twice")
        if not f.get("kind") or not f.get("message"):
            problem(f"the failure of input {index} has no kind or message: {f}")
        failed[index] = f
    delivered = [i for i in range(len(inputs)) if i not in failed]

    succeeded = result.get("succeeded")
    if succeeded is not None and succeeded != len(delivered):
        problem(
            f"the client counts {succeeded} delivered, but {len(inputs)} inputs minus "
            f"{len(failed)} reported failures is {len(delivered)}"
        )
    counters = lower_keys(result.get("counters"))
    summary = lower_keys(result.get("summary"))
    if counters:
        accounted = (
            counters["delivered"] + counters["failed"] + counters["dropped"] + counters["coalesced"]
        )
        if counters["pending"] != 0 or counters["enqueued"] != accounted:
            problem(f"the counters do not add up: {counters}")
        rejected_at_enqueue = sum(1 for f in result["failures"] if f.get("index") is not None)
        if counters["enqueued"] + rejected_at_enqueue != len(inputs):
            problem(
                f"enqueued {counters['enqueued']} + refused by enqueue {rejected_at_enqueue} != "
                f"{len(inputs)} inputs"
            )
        hooked = sum(f.get("updates", 1) for f in result["failures"] if f.get("index") is None)
        if hooked != counters["failed"] + counters["dropped"]:
            problem(
                f"the on-failure hook heard of {hooked} updates, the counters say "
                f"{counters['failed']} failed + {counters['dropped']} dropped"
            )
    if summary and not summary.get("completed"):
        problem(f"close did not complete: {summary}")

    for i, r in enumerate(inputs):
        if refused(r) and (i not in failed or failed[i].get("kind") != "validation"):
            problem(f"input {i} ({r['userID']!r}) has a name too long but did not fail validation")

    users = json.load(open(a.users, encoding="utf-8"))
    elsewhere = [u["userID"] for u in users if (u.get("orgID"), u.get("appID")) != (a.org, a.app)]
    if elsewhere:
        problem(f"{len(elsewhere)} users stored under another org or app: {elsewhere[:5]}")
    stored = {}
    for u in users:
        stored[u["userID"]] = {
            "userID": u["userID"],
            "name": u.get("name"),
            "email": u.get("email"),
            "traits": u.get("traits") or {},
            "firstSeen": u.get("firstSeen"),
            "lastSeen": u.get("lastSeen"),
        }
    lost = [i for i in delivered if inputs[i]["userID"] not in stored]
    wrong = [
        i
        for i in range(len(inputs))
        if inputs[i]["userID"] in stored and stored[inputs[i]["userID"]] != inputs[i]
    ]
    phantom = [uid for uid in stored if uid not in by_id]
    refused_stored = [i for i in range(len(inputs)) if refused(inputs[i]) and inputs[i]["userID"] in stored]
    failed_but_stored = [i for i in failed if inputs[i]["userID"] in stored]
    for what, items in (
        ("delivered but missing from the emulator (silent loss)", lost),
        ("stored with data other than the input's", wrong),
        ("refused rows stored anyway", refused_stored),
    ):
        if items:
            sample = ", ".join(repr(inputs[i]["userID"]) for i in items[:5])
            problem(f"{len(items)} {what}: {sample}")
            if what.startswith("stored with"):
                i = items[0]
                problem(f"  input {inputs[i]} / stored {stored[inputs[i]['userID']]}")
    if phantom:
        problem(f"{len(phantom)} users in the emulator that are in no input: {phantom[:5]}")

    stats = json.load(open(a.stats, encoding="utf-8"))
    statuses = {int(k): v for k, v in stats["statuses"].items()}
    ok = statuses.get(200, 0)
    duplicates = ok - len(stored)
    if duplicates < 0:
        problem(f"{len(stored)} users stored with only {ok} requests answered 200")
    driver = json.load(open(a.driver)) if a.driver else None

    reasons = Counter(label(f) for f in failed.values())
    row = {
        "combo": a.combo,
        "client": a.client,
        "inputs": len(inputs),
        "delivered": len(delivered),
        "failed": len(failed),
        "reasons": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        "failed_but_stored": len(failed_but_stored),
        "stored": len(stored),
        "requests": sum(statuses.values()),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "duplicates": duplicates,
        # Attempts the client retried (its own count; the CLI prints none).
        "retried": result.get("retried"),
        "driver": driver,
        "client_seconds": result.get("seconds"),
        "wall": float(a.wall),
        "verdict": "PASS" if not problems else "FAIL",
        "problems": problems[:20],
    }
    with open(a.results, "a", encoding="utf-8") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(one_line(row))
    for p in problems[:20]:
        print(f"    problem: {p}")
    return 0


def crashed(a):
    """A client that was stopped (stalled, or past the step's timeout) or exited without its
    result: a failed run. What it stored is still checked against the input: no user outside
    it, none with other data than its input's."""
    problems = [f"the client {a.why}"]
    inputs = expected_from_jsonl(a.input)
    by_id = {r["userID"]: r for r in inputs}
    users = json.load(open(a.users, encoding="utf-8"))
    stats = json.load(open(a.stats, encoding="utf-8"))
    statuses = {int(k): v for k, v in stats["statuses"].items()}
    wrong = [u["userID"] for u in users if u["userID"] not in by_id or by_id[u["userID"]] != {
        "userID": u["userID"], "name": u.get("name"), "email": u.get("email"),
        "traits": u.get("traits") or {}, "firstSeen": u.get("firstSeen"), "lastSeen": u.get("lastSeen")}]
    if wrong:
        problems.append(f"{len(wrong)} stored users differ from their input or are in none: {wrong[:5]}")
    tail = open(a.log, encoding="utf-8", errors="replace").read().strip().splitlines()[-3:]
    if tail:
        problems.append("its last words: " + " / ".join(line[:200] for line in tail))
    row = {
        "combo": a.combo, "client": a.client, "inputs": len(inputs), "delivered": None,
        "failed": None, "reasons": {}, "failed_but_stored": 0, "stored": len(users),
        "requests": sum(statuses.values()), "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "duplicates": statuses.get(200, 0) - len(users), "retried": None,
        "driver": json.load(open(a.driver)) if a.driver else None,
        "wall": float(a.wall), "verdict": "FAIL",
        "why": a.why, "problems": problems,
    }
    # With --tolerate-stall, a client stopped for crawling whose stored users are all right is
    # "STALLED", which run.sh (STALL_OK=1) does not count as a failure.
    if a.tolerate_stall and a.why.startswith("stalled") and not wrong:
        row["verdict"] = "STALLED"
    with open(a.results, "a", encoding="utf-8") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"  [{row['verdict']}] {a.combo} / {a.client}: {a.why}; {len(users):,} of {len(inputs):,} users stored")
    for p in problems[1:]:
        print(f"    problem: {p}")
    return 0


def reasons_text(row):
    if row["failed"] is None:
        return f"— ({row['why']}; {row['stored']:,} stored)"
    if not row["failed"]:
        return "0"
    parts = ", ".join(f"{k} {v:,}" for k, v in row["reasons"].items())
    return f"{row['failed']:,} ({parts})"


def requests_text(row):
    s = {int(k): v for k, v in row["statuses"].items()}
    parts = [f"200: {s.get(200, 0):,}"]
    if s.get(429):
        parts.append(f"429: {s[429]:,}")
    fives = sum(v for k, v in s.items() if 500 <= k <= 599)
    if fives:
        parts.append(f"5xx: {fives:,}")
    if s.get(0):
        parts.append(f"dropped: {s[0]:,}")
    others = sum(v for k, v in s.items() if k not in (0, 200, 429) and not 500 <= k <= 599)
    if others:
        parts.append(f"other: {others:,}")
    return f"{row['requests']:,} ({', '.join(parts)})"


def hangs_text(row):
    driver = row.get("driver")
    return f"{driver['hangs']:,}" if driver else "—"


def retried_text(row):
    return "—" if row.get("retried") is None else f"{row['retried']:,}"


def one_line(row):
    return (
        f"  [{row['verdict']}] {row['combo']} / {row['client']}: {row['delivered']:,} of "
        f"{row['inputs']:,} delivered, failed {reasons_text(row)}, {row['failed_but_stored']} of "
        f"them stored anyway; requests {requests_text(row)}; hangs {hangs_text(row)}; retried "
        f"{retried_text(row)}; duplicates {row['duplicates']:,}; {row['wall']:.1f} s"
    )


def table(results_path):
    rows = [json.loads(line) for line in open(results_path, encoding="utf-8") if line.strip()]
    out = [
        "| fault combination | client | inputs | delivered | failed (reasons) | requests the emulator answered | hangs | client retries | duplicates | wall s | verdict |",
        "|---|---|---:|---:|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        failed = reasons_text(r)
        if r["failed_but_stored"]:
            failed += f"; {r['failed_but_stored']} of them stored anyway"
        out.append(
            f"| {r['combo']} | {r['client']} | {r['inputs']:,} "
            f"| {'—' if r['delivered'] is None else format(r['delivered'], ',')} | {failed} "
            f"| {requests_text(r)} | {hangs_text(r)} | {retried_text(r)} | {r['duplicates']:,} "
            f"| {r['wall']:.1f} | {r['verdict']} |"
        )
    print("\n".join(out))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("--combo", required=True)
    run.add_argument("--client", required=True)
    run.add_argument("--input", required=True)
    run.add_argument("--result")
    run.add_argument("--rejects")
    run.add_argument("--cli-log")
    run.add_argument("--cli-exit", type=int)
    run.add_argument("--users", required=True)
    run.add_argument("--stats", required=True)
    run.add_argument("--driver")
    run.add_argument("--wall", required=True)
    run.add_argument("--results", required=True)
    run.add_argument("--org", default="faults")
    run.add_argument("--app", default="app")
    crash = sub.add_parser("crashed")
    for name in ("--combo", "--client", "--exit", "--log", "--wall", "--results", "--why",
                 "--input", "--users", "--stats"):
        crash.add_argument(name, required=True)
    crash.add_argument("--driver")
    crash.add_argument("--tolerate-stall", action="store_true")
    tab = sub.add_parser("table")
    tab.add_argument("results")
    a = parser.parse_args()
    if a.command == "run":
        if not a.result and not (a.rejects and a.cli_log and a.cli_exit is not None):
            parser.error("run needs --result, or --rejects, --cli-log and --cli-exit")
        return check_run(a)
    if a.command == "crashed":
        return crashed(a)
    return table(a.results)


if __name__ == "__main__":
    sys.exit(main())
