#!/usr/bin/env python3
"""The emulator's own faults during one run of the fault matrix, through its control API
(straight to the emulator, never through toxiproxy):

  - a random rate of 5xx: each API request is answered a 5xx with probability P, the status
    cycling through 500, 502, 503 and 504 (the rate's status is swapped every 0.5 s);
  - 429 bursts: every BURST_EVERY seconds, for BURST_MS, every request is answered 429 with
    `Retry-After: 1` (the rate is swapped to probability 1.0 of that answer, then back);
  - hangs past the client's timeout: every HANG_EVERY seconds, two scripted faults that wait
    HANG_MS before doing anything; one then answers normally (the user is stored, long after the
    client gave up: a request the client will send again), the other closes the connection
    without an answer. New hangs are pushed only once requests have gone by since the last
    (the emulator's stats say so), so that a client slowed down never finds a backlog of them.

A burst is a stretch of time rather than a number of answers, as a server's overload is: a
scripted burst of N answers would wait, whole, for a client that the previous one slowed down.

    driver.py CONTROL_URL CA_OR_EMPTY OUT.json [--5xx P] [--burst-every S --burst-ms MS]
              [--hang-every S --hang-ms MS]

Creates OUT.json.ready once its first faults are in place, runs until SIGTERM, then clears the
faults and writes what it pushed to OUT.json.
"""

import argparse
import json
import signal
import ssl
import sys
import time
import urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("url")
parser.add_argument("ca")
parser.add_argument("out")
parser.add_argument("--5xx", dest="p5xx", type=float, default=0.0)
parser.add_argument("--burst-every", type=float, default=0.0)
parser.add_argument("--burst-ms", type=int, default=0)
parser.add_argument("--hang-every", type=float, default=0.0)
parser.add_argument("--hang-ms", type=int, default=0)
args = parser.parse_args()

context = ssl.create_default_context(cafile=args.ca) if args.ca else None
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post(body):
    request = urllib.request.Request(
        args.url + "/_emulator/faults",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    if context is not None:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            response.read()
    else:
        with opener.open(request, timeout=10) as response:
            response.read()


def requests_so_far():
    request = urllib.request.Request(args.url + "/_emulator/stats")
    if context is not None:
        response = urllib.request.urlopen(request, context=context, timeout=10)
    else:
        response = opener.open(request, timeout=10)
    with response:
        return sum(json.load(response)["statuses"].values())


def clear():
    request = urllib.request.Request(args.url + "/_emulator/faults", method="DELETE")
    if context is not None:
        urllib.request.urlopen(request, context=context, timeout=10).read()
    else:
        opener.open(request, timeout=10).read()


stopping = False


def stop(_signum, _frame):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)

pushed = {"rate_changes": 0, "bursts": 0, "hangs": 0, "control_errors": 0}
STATUSES = [500, 502, 503, 504]
BURST = {"probability": 1.0, "fault": {"status": 429, "retry_after": "1"}}
start = time.monotonic()
next_rate = next_hang = start
# The first burst once the client is under way.
next_burst = start + args.burst_every / 2
burst_ends = None
tick = 0
requests_at_last_hang = -1
def step():
    global burst_ends, next_rate, next_burst, next_hang, tick, requests_at_last_hang
    now = time.monotonic()
    if burst_ends is not None and now >= burst_ends:
        burst_ends = None
        next_rate = now  # back to the 5xx rate (or none) at once
        if args.p5xx <= 0:
            post({"rate": None})
    if burst_ends is None and args.burst_every > 0 and args.burst_ms > 0 and now >= next_burst:
        post({"rate": BURST})
        pushed["bursts"] += 1
        burst_ends = now + args.burst_ms / 1000
        next_burst = now + args.burst_every
    if burst_ends is None and args.p5xx > 0 and now >= next_rate:
        status = STATUSES[tick % len(STATUSES)]
        tick += 1
        post({"rate": {"probability": args.p5xx, "fault": {"status": status}}})
        pushed["rate_changes"] += 1
        next_rate = now + 0.5
    if args.hang_every > 0 and now >= next_hang:
        seen = requests_so_far()
        if seen >= requests_at_last_hang + 10:
            post({"script": [{"delay_ms": args.hang_ms},
                             {"delay_ms": args.hang_ms, "drop_connection": True}]})
            pushed["hangs"] += 2
            requests_at_last_hang = seen
        next_hang = now + args.hang_every


ready = False
while not stopping:
    try:
        step()
        if not ready:  # the first faults are in place: run.sh starts the client
            open(args.out + ".ready", "w").close()
            ready = True
    except OSError as error:  # the control API busy or slow: try again on the next tick
        pushed["control_errors"] += 1
        print(f"driver: {error}", file=sys.stderr)
    time.sleep(0.02)

try:
    clear()
except OSError as error:
    print(f"driver: could not clear the faults: {error}", file=sys.stderr)
pushed["seconds"] = time.monotonic() - start
with open(args.out, "w") as f:
    json.dump(pushed, f)
