"""Per-call cost of background delivery from Python: ``Client.enqueue`` beside posthog-python's
``capture`` and Segment's analytics-python ``identify``, all pointed at the same local server.

Each SDK is built with a queue large enough for every call (so none drops or blocks), then
called N times (default 20,000) in a tight loop, each call timed on its own with
``time.perf_counter_ns`` while the SDK's background thread drains its queue to the server.
The server is bench/static_server.sh (nginx answering 200 at once, in another process). Rows
are interleaved over the runs (run 1 of every SDK, then run 2, ...) and medians quoted: the
median and p99 of one call, and the time each SDK's own flush took to drain everything.

Run with the venv of scripts/test-python.sh (it installs posthog and segment-analytics-python
into it if missing):

    target/py-venv/bin/python bench/enqueue_bench.py [--calls 20000] [--runs 3]

Everything stays on 127.0.0.1 and every run sends a bounded number of requests.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

ROOT = Path(__file__).resolve().parent.parent


def ensure(module: str, package: str) -> None:
    try:
        importlib.import_module(module)
    except ImportError:
        print(f"installing {package}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", package], check=True)


def start_server() -> Tuple[subprocess.Popen, str]:
    server = subprocess.Popen(
        ["bash", str(ROOT / "bench" / "static_server.sh")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    url = server.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        server.terminate()
        raise SystemExit(f"the static server printed no loopback URL: {url!r}")
    return server, url


def traits(i: int) -> Dict[str, Any]:
    return {"plan": "pro", "revenue": i, "campaign": "spring"}


def ours(url: str, calls: int) -> Tuple[Callable[[int], None], Callable[[], None]]:
    import logrocket_identify as lr

    client = lr.Client(
        api_key="bench-key", app_id="bench/app", base_url=url, queue_capacity=calls * 2
    )

    def call(i: int) -> None:
        client.enqueue(f"user-{i}", traits=traits(i))

    def drain() -> None:
        summary = client.close(timeout=120)
        if not summary.completed or summary.delivered != calls:
            raise SystemExit(f"logrocket_identify did not deliver everything: {summary}")

    return call, drain


def posthog(url: str, calls: int) -> Tuple[Callable[[int], None], Callable[[], None]]:
    from posthog import Posthog

    client = Posthog("bench-key", host=url, max_queue_size=calls * 2, disable_geoip=True)

    def call(i: int) -> None:
        client.capture("user identified", distinct_id=f"user-{i}", properties=traits(i))

    def drain() -> None:
        client.flush()
        client.shutdown()

    return call, drain


def segment(url: str, calls: int) -> Tuple[Callable[[int], None], Callable[[], None]]:
    from segment.analytics import Client

    client = Client(write_key="bench-key", host=url, max_queue_size=calls * 2)

    def call(i: int) -> None:
        client.identify(f"user-{i}", traits(i))

    def drain() -> None:
        client.flush()
        client.shutdown()

    return call, drain


SDKS: Dict[str, Callable[[str, int], Tuple[Callable[[int], None], Callable[[], None]]]] = {
    "logrocket_identify enqueue": ours,
    "posthog-python capture": posthog,
    "analytics-python identify": segment,
}


def run(make: Callable, url: str, calls: int) -> Tuple[float, float, float]:
    call, drain = make(url, calls)
    timings: List[int] = []
    clock = time.perf_counter_ns
    for i in range(calls):
        started = clock()
        call(i)
        timings.append(clock() - started)
    drain_started = time.perf_counter()
    drain()
    drained = time.perf_counter() - drain_started
    timings.sort()
    median = timings[len(timings) // 2] / 1000
    p99 = timings[int(len(timings) * 0.99)] / 1000
    return median, p99, drained


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ensure("posthog", "posthog>=6")
    ensure("segment.analytics", "segment-analytics-python>=2")
    import logging

    # The peers log each failed batch; the server answers 200, but keep their output quiet.
    logging.disable(logging.WARNING)
    server, url = start_server()
    results: Dict[str, List[Tuple[float, float, float]]] = {name: [] for name in SDKS}
    try:
        for number in range(1, args.runs + 1):
            for name, make in SDKS.items():
                results[name].append(run(make, url, args.calls))
                print(f"run {number}: {name}: {results[name][-1]}", file=sys.stderr)
    finally:
        server.terminate()
        server.wait()

    medians = {
        name: tuple(statistics.median(r[k] for r in rows) for k in range(3))
        for name, rows in results.items()
    }
    fastest_peer = min(m[0] for name, m in medians.items() if not name.startswith("logrocket"))
    print(f"| SDK ({args.calls:,} calls, median of {args.runs}) | one call, median µs | "
          "one call, p99 µs | flush to drain, s | fastest peer / this, per call |")
    print("|---|---:|---:|---:|---:|")
    for name, (median, p99, drained) in medians.items():
        print(f"| {name} | {median:.2f} | {p99:.2f} | {drained:.2f} | "
              f"{fastest_peer / median:.1f}x |")
    print(
        f"\nMeasured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, against nginx "
        "(bench/static_server.sh) in another process."
    )


if __name__ == "__main__":
    main()
