"""Spark benchmark (issue #13): rows/s of ``logrocket_identify.spark.identify_dataframe`` in
local mode against the emulator, beside the same rows through ``Client.identify_many`` in one
process.

What it does:

1. Starts the emulator (``logrocket_identify.testing.Emulator``) in a process of its own, as
   bench/python_bench.py does, so neither side shares its interpreter with the server.
2. Starts Spark in local mode (``local[2]`` by default: the machine's 2 cores) and builds a
   DataFrame of N users (default 100,000) in the shape of examples/users.csv (user_id, name,
   email, timestamp, and the traits revenue, plan, campaign), made by Spark itself from
   ``spark.range`` and cached, so the timing is of the sync, not of making the data.
3. Times, for each run:
   - ``identify_dataframe`` of that DataFrame in P partitions (default 8), at the default
     concurrency (32 per task) and no rate limit: from the call to its return, so Spark's job
     scheduling, moving rows to the Python workers and their clients' start are included;
   - ``identify_many`` of the same rows (plain dicts made by a generator) in this process, at
     concurrency 32 and at 64 (the in-flight total of two tasks at 32).
   After each run the emulator's ``/_emulator/stats`` must count exactly N answers 200, and it
   is reset (``/_emulator/reset``).
4. Runs are interleaved (run 1 of every row, then run 2, ...) so a busy moment of the machine
   hits every row alike; prints medians as a Markdown table.

Everything runs on 127.0.0.1 and sends a bounded number of requests.

    target/py-wheel-venv/bin/python bench/spark_bench.py [--rows 100000] [--partitions 8]
        [--master 'local[2]'] [--runs 3]

(any venv with the package and pyspark 4; scripts/test-python.sh leaves one in
target/py-wheel-venv; java must be on PATH or JAVA_HOME set).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List

import logrocket_identify as lr
from logrocket_identify.spark import identify_dataframe

API_KEY = "bench-key"
EMULATOR = f"""
import sys
from logrocket_identify.testing import Emulator
emu = Emulator(api_key={API_KEY!r}, request_log_limit=1000)
print(emu.url, flush=True)
sys.stdin.read()
"""


def control(url: str, route: str, method: str = "GET") -> Any:
    request = urllib.request.Request(url + route, method=method)
    with urllib.request.urlopen(request, timeout=30) as answer:
        body = answer.read()
    return json.loads(body) if body else None


def user(i: int) -> Dict[str, Any]:
    """Row i as a dict: the same values the DataFrame below holds."""
    traits: Dict[str, Any] = {"revenue": float(i % 500), "plan": ("starter", "pro", "team")[i % 3]}
    if i % 4:
        traits["campaign"] = f"c{i % 7}"
    return {
        "user_id": f"user-{i}",
        "name": f"User {i}",
        "email": f"user{i}@example.com",
        "timestamp": 1_767_225_600_000 + i * 60_000,
        "traits": traits,
    }


@dataclass
class Row:
    label: str
    run: Callable[[], float]  # returns seconds
    seconds: List[float]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    n = args.rows

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    server = subprocess.Popen(
        [sys.executable, "-c", EMULATOR], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    url = server.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        server.kill()
        raise SystemExit(f"the emulator did not start (first line: {url!r})")

    spark = (
        SparkSession.builder.master(args.master)
        .appName("logrocket-spark-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark_version = spark.version
    try:
        df = (
            spark.range(n, numPartitions=args.partitions)
            .selectExpr(
                "concat('user-', id) AS user_id",
                "concat('User ', id) AS name",
                "concat('user', id, '@example.com') AS email",
                "1767225600000 + id * 60000 AS timestamp",
                "CAST(id % 500 AS double) AS revenue",
                "element_at(array('starter', 'pro', 'team'), CAST(id % 3 AS int) + 1) AS plan",
                "IF(id % 4 = 0, NULL, concat('c', id % 7)) AS campaign",
            )
            .cache()
        )
        assert df.count() == n

        def check_and_reset() -> None:
            stats = control(url, "/_emulator/stats")
            ok = stats["statuses"].get("200", 0)
            if ok != n or len(stats["statuses"]) != 1:
                raise SystemExit(f"the emulator answered {stats['statuses']}, expected {n} x 200")
            control(url, "/_emulator/reset", "POST")

        def spark_run() -> float:
            started = time.perf_counter()
            summary = identify_dataframe(
                df, app_id="acme/web", api_key=API_KEY, base_url=url, traits=None
            )
            seconds = time.perf_counter() - started
            assert summary.delivered == n, summary
            check_and_reset()
            return seconds

        def many_run(concurrency: int) -> Callable[[], float]:
            def run() -> float:
                client = lr.Client(api_key=API_KEY, app_id="acme/web", base_url=url)
                rows: Iterator[Dict[str, Any]] = (user(i) for i in range(n))
                started = time.perf_counter()
                report = client.identify_many(rows, concurrency=concurrency)
                seconds = time.perf_counter() - started
                assert report.succeeded == n, report
                client.close()
                check_and_reset()
                return seconds

            return run

        control(url, "/_emulator/reset", "POST")
        rows = [
            Row(
                f"`identify_dataframe`, {args.master}, {args.partitions} partitions, "
                "concurrency 32 per task",
                spark_run,
                [],
            ),
            Row("`identify_many`, one process, concurrency 32", many_run(32), []),
            Row("`identify_many`, one process, concurrency 64", many_run(64), []),
        ]
        for r in range(args.runs):
            for row in rows:
                seconds = row.run()
                row.seconds.append(seconds)
                print(f"run {r + 1}: {row.label}: {n / seconds:,.0f} rows/s", file=sys.stderr)
    finally:
        spark.stop()
        server.stdin.close()  # type: ignore[union-attr]
        server.wait(timeout=30)

    baseline = statistics.median(rows[1].seconds)
    print(f"| run | rows | rows/s (median of {args.runs}) | vs `identify_many` at 32 |")
    print("|---|---:|---:|---:|")
    for row in rows:
        median = statistics.median(row.seconds)
        print(f"| {row.label} | {n:,} | {n / median:,.0f} | {baseline / median:.2f}x |")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"\nMeasured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} "
        f"CPUs, Python {platform.python_version()}, pyspark {spark_version}, "
        f"logrocket_identify {lr.__version__}; the emulator in its own process on the same "
        f"machine; load average after: {load}."
    )


if __name__ == "__main__":
    main()
