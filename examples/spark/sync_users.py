"""Sync a users table from Spark to LogRocket: a job for spark-submit.

On a cluster (see README.md beside this file for shipping the package to the executors):

    export LOGROCKET_API_KEY=...              # read on the driver, never put in Spark's conf
    spark-submit --archives logrocket_venv.tar.gz#environment ... sync_users.py \\
        --table warehouse.users --app-id acme/web --rate-limit 3000 \\
        --rejects s3a://bucket/logrocket/rejects/2024-06-01

With no ``--table``: a demonstration in local mode (``local[2]``), which reads
``examples/users.csv`` (1,000 users: name, email, timestamp, and the traits revenue, plan and
campaign) and sends it to an emulator of the API started here, with nothing to set up.

The exit status is 0 when every row was delivered, 1 when any failed (they are in the rejects
directory: ``cat REJECTS/part-* | logrocket import - --format jsonl`` sends them again once
fixed), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Optional, Sequence

from pyspark.sql import DataFrame, SparkSession

from logrocket_identify.spark import SyncSummary, identify_dataframe
from logrocket_identify.testing import Emulator

USERS_CSV = Path(__file__).resolve().parent.parent / "users.csv"
CSV_SCHEMA = (
    "user_id string, name string, email string, timestamp long, "
    "revenue double, plan string, campaign string"
)


def sync(
    users: DataFrame,
    *,
    app_id: Optional[str],
    rate_limit: Optional[float],
    rejects: Optional[str],
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
) -> SyncSummary:
    """The job itself: one call. ``user_id``, ``name``, ``email`` and ``timestamp`` are taken
    from the columns of those names; every other column is a trait."""
    summary = identify_dataframe(
        users,
        app_id=app_id,
        api_key=api_key,
        base_url=base_url,
        rate_limit=rate_limit,
        rejects_path=rejects,
    )
    print(summary)
    for reason, count in summary.failed_by_reason.items():
        print(f"  {count} failed: {reason}")
    return summary


def demo(spark: SparkSession) -> SyncSummary:
    """examples/users.csv, in 4 partitions, to an emulator in this process."""
    users = spark.read.csv(str(USERS_CSV), header=True, schema=CSV_SCHEMA).repartition(4)
    with Emulator(api_key="demo-key") as emulator, tempfile.TemporaryDirectory() as scratch:
        summary = sync(
            users,
            app_id="acme/web",
            api_key=emulator.api_key,
            base_url=emulator.url,
            rate_limit=2_000,
            rejects=os.path.join(scratch, "rejects"),
        )
        stored = emulator.users()
        print(f"the emulator stored {len(stored)} users, e.g. {stored[0]}")
    return summary


def main(argv: Optional[Sequence[str]] = None) -> SyncSummary:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--table", help="the users table (default: a local demonstration)")
    parser.add_argument("--app-id", help="org/app (default: LOGROCKET_APP_ID)")
    parser.add_argument("--rate-limit", type=float, help="requests/s for the whole job")
    parser.add_argument("--rejects", help="where failed rows go (a new path Spark can write)")
    args = parser.parse_args(argv)

    if args.table is None:
        # Local mode: Spark's Python workers are this interpreter, which has the package.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        spark = (
            SparkSession.builder.master("local[2]")
            .appName("logrocket-sync-users-demo")
            .config("spark.ui.enabled", "false")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        try:
            return demo(spark)
        finally:
            spark.stop()

    spark = SparkSession.builder.appName("logrocket-sync-users").getOrCreate()
    try:
        return sync(
            spark.table(args.table),
            app_id=args.app_id,
            rate_limit=args.rate_limit,
            rejects=args.rejects,
        )
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(0 if main().ok else 1)
