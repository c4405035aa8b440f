"""logrocket_identify.spark against the emulator, on pyspark in local mode (issue #13).

One Spark session for the module: ``local[2,2]``, that is two task slots (``local[2]``) with a
task allowed to fail once and be retried, so Spark's task retries can be tested. The emulator
runs in this process; the Python workers Spark forks send to it over loopback.

The main test syncs 10,000 rows over 8 partitions while the emulator answers 10% of requests
503 and two bursts of 429 (``Retry-After: 1``), under a job-wide rate limit, and checks that
the emulator holds exactly the valid rows, the summary adds up, the rejects hold exactly the
rows made invalid on purpose (and ``logrocket import`` takes them back once fixed), the rate
held across partitions (sampled from the emulator's request log), and the key was never
printed or logged. The faults slow the job well below the rate limit, so the next test sends
the same rows without faults, where the limit is what holds the job back, and checks it again.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

import pytest

import logrocket_identify as lr
from logrocket_identify import spark as lrspark
from logrocket_identify.testing import Emulator

KEY = "sk-spark-test-2b7e151628aed2a6abf7158809cf4f3c"
ROWS = 10_000
PARTITIONS = 8
JOB_RATE = 3_000  # requests per second for the whole job: 1,500 per task at 2 tasks at once
BURST = 5  # 429s in a row: each sends a client into a 1 s pause, again for each it meets
ROOT = Path(__file__).resolve().parents[3]


def _java() -> Optional[str]:
    home = os.environ.get("JAVA_HOME")
    if home and os.access(os.path.join(home, "bin", "java"), os.X_OK):
        return os.path.join(home, "bin", "java")
    return shutil.which("java")


if _java() is None:
    pytest.skip(
        "no Java: pyspark needs a JVM (Java 17+: set JAVA_HOME or put java on PATH)",
        allow_module_level=True,
    )
try:
    import pyspark  # noqa: F401
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql import types as T
except ImportError:
    if os.environ.get("LOGROCKET_IDENTIFY_EXPECT_INSTALLED_IN"):
        raise  # scripts/test-python.sh installs pyspark: its absence there is a failure
    pytest.skip("pyspark is not installed (pip install 'pyspark>=4,<5')", allow_module_level=True)


@pytest.fixture(scope="module")
def event_log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spark-events")


@pytest.fixture(scope="module")
def spark(event_log_dir: Path) -> Iterator[SparkSession]:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2,2]")
        .appName("logrocket-identify-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", str(PARTITIONS))
        # The event log holds what Spark's UI and history server show: the key must not be
        # in it.
        .config("spark.eventLog.enabled", "true")
        .config("spark.eventLog.dir", event_log_dir.as_uri())
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    # Functions of this module run on the workers, which cannot import it: pickle them by value.
    from pyspark import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield session
    session.stop()


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(api_key=KEY, request_log_limit=1_000_000) as emulator:
        yield emulator


@pytest.fixture
def emulator(emu: Emulator) -> Emulator:
    emu.reset()
    return emu


SCHEMA = T.StructType(
    [
        T.StructField("user_id", T.StringType()),
        T.StructField("name", T.StringType()),
        T.StructField("email", T.StringType()),
        T.StructField("timestamp", T.LongType()),
        T.StructField("plan", T.StringType()),
        T.StructField("seats", T.IntegerType()),
        T.StructField("revenue", T.DoubleType()),
        T.StructField("trial", T.BooleanType()),
        T.StructField("campaign", T.StringType()),
        T.StructField("seq", T.LongType()),
    ]
)


def invalid_kind(i: int) -> Optional[str]:
    """Every 250th row is invalid on purpose, four ways in turn; the field at fault."""
    if i % 250 != 7:
        return None
    return ("name", "user_id", "email", "user_id")[(i // 250) % 4]


def make_row(i: int) -> tuple[Any, ...]:
    user_id: Optional[str] = f"user-{i}"
    name, email = f"User {i}", f"user{i}@example.com"
    kind = invalid_kind(i)
    if kind == "name":
        name = "n" * 1025  # one past the API's limit
    elif kind == "email":
        email = "e" * 1025
    elif kind == "user_id":
        user_id = None if (i // 250) % 4 == 1 else "."  # missing, or a path segment
    campaign = None if i % 5 == 0 else f"c{i % 7}"  # NULL: left out, never sent
    return (
        user_id,
        name,
        email,
        1_700_000_000_000 + i,
        ("free", "pro", "team")[i % 3],
        i % 50,
        i + 0.25,
        i % 2 == 0,
        campaign,
        i,
    )


def expected_user(i: int) -> dict[str, Any]:
    traits = {
        "plan": ("free", "pro", "team")[i % 3],
        "seats": str(i % 50),
        "revenue": repr(i + 0.25),
        "trial": "true" if i % 2 == 0 else "false",
        "seq": str(i),
    }
    if i % 5:
        traits["campaign"] = f"c{i % 7}"
    return {
        "org_id": "acme",
        "app_id": "web",
        "user_id": f"user-{i}",
        "name": f"User {i}",
        "email": f"user{i}@example.com",
        "traits": traits,
        "first_seen": 1_700_000_000_000 + i,
        "last_seen": 1_700_000_000_000 + i,
    }


def users_frame(spark: SparkSession, rows: int, partitions: int) -> DataFrame:
    rdd = spark.sparkContext.parallelize([make_row(i) for i in range(rows)], partitions)
    return spark.createDataFrame(rdd, SCHEMA)


class Sampler(threading.Thread):
    """Samples the emulator's request log every 20 ms (time, requests so far), and injects
    ``bursts`` bursts of five 429s (``Retry-After: 1``), 2 s apart, from the 2,000th request
    on. (Each burst also teaches the clients a lower send rate, which they then raise again
    slowly, about 1% a second at first: bursts early in a job slow all the rest of it.)"""

    def __init__(self, emulator: Emulator, bursts: int) -> None:
        super().__init__(daemon=True)
        self.emulator = emulator
        self.bursts = bursts
        self.samples: list[tuple[float, int]] = []
        self.done = threading.Event()

    def run(self) -> None:
        next_burst: Optional[float] = None
        while not self.done.is_set():
            now = time.monotonic()
            count = self.emulator.request_count()
            self.samples.append((now, count))
            if next_burst is None and count > 2_000:
                next_burst = now
            if self.bursts and next_burst is not None and now >= next_burst:
                self.emulator.fail_next(429, retry_after="1", times=BURST)
                self.bursts -= 1
                next_burst = now + 2.0
            self.done.wait(0.02)

    def peak_rate(self, window: float = 1.0) -> float:
        """The most requests per second over any ``window`` seconds."""
        peak, j = 0.0, 0
        for i, (t0, c0) in enumerate(self.samples):
            j = max(j, i)
            while j < len(self.samples) and self.samples[j][0] - t0 < window:
                j += 1
            if j == len(self.samples):
                break
            t1, c1 = self.samples[j]
            peak = max(peak, (c1 - c0) / (t1 - t0))
        return peak


def read_rejects(path: Path) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for part in sorted(glob.glob(str(path / "part-*"))):
        with open(part, encoding="utf-8") as f:
            lines.extend(json.loads(line) for line in f if line.strip())
    return lines


def logrocket_cli() -> Optional[str]:
    """The CLI binary: LOGROCKET_CLI (scripts/test-python.sh sets it), else a build in
    target/."""
    named = os.environ.get("LOGROCKET_CLI")
    if named:
        return named
    for build in ("debug", "release"):
        candidate = ROOT / "target" / build / "logrocket"
        if candidate.is_file():
            return str(candidate)
    return None


def test_ten_thousand_rows_with_faults_rate_limit_and_rejects(
    spark: SparkSession,
    emulator: Emulator,
    tmp_path: Path,
    event_log_dir: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    df = users_frame(spark, ROWS, PARTITIONS)
    rejects = tmp_path / "rejects"
    emulator.set_fault_rate(0.1, 503)
    sampler = Sampler(emulator, bursts=2)
    sampler.start()
    driver_clients = lrspark._clients_made()
    started = time.monotonic()
    try:
        summary = lrspark.identify_dataframe(
            df,
            app_id="acme/web",
            api_key=KEY,
            base_url=emulator.url,
            rate_limit=JOB_RATE,
            rejects_path=str(rejects),
            max_retries=10,  # 10% of attempts fail: 4 failures in a row happen every 10,000
            concurrency=128,  # room for the requests waiting out their backoff
        )
    finally:
        sampler.done.set()
        sampler.join()
    elapsed = time.monotonic() - started
    emulator.set_fault_rate(0)

    # The summary adds up: every row delivered or failed, the failures by reason.
    invalid = {i: invalid_kind(i) for i in range(ROWS) if invalid_kind(i)}
    assert len(invalid) == 40
    assert (summary.rows, summary.delivered, summary.failed) == (ROWS, ROWS - 40, 40)
    assert summary.failed_by_reason == {
        "validation:email": 10,
        "validation:name": 10,
        "validation:user_id": 20,
    }
    assert (summary.partitions, summary.retried_tasks, summary.rows_resent) == (PARTITIONS, 0, 0)
    assert summary.tasks_at_once == 2
    assert summary.rate_limit_per_task == JOB_RATE / 2
    assert not summary.ok
    assert "40 failed" in str(summary)

    # The emulator holds exactly the valid rows, each once, as sent.
    stored = {u["user_id"]: u for u in emulator.users()}
    assert len(stored) == ROWS - 40
    for i in range(ROWS):
        if i in invalid:
            assert f"user-{i}" not in stored
        else:
            assert stored[f"user-{i}"] == expected_user(i)
    statuses: dict[int, int] = {}
    for request in emulator.requests():
        statuses[request["status"]] = statuses.get(request["status"], 0) + 1
    # Every valid row was stored by exactly one request: retries followed only the faults.
    assert statuses[200] == ROWS - 40
    assert set(statuses) == {200, 429, 503}, statuses

    assert statuses[429] == 2 * BURST  # both bursts landed in the job
    assert statuses[503] > 0.05 * ROWS
    assert_rate_held(sampler, sum(statuses.values()), elapsed)

    # The rejects hold exactly the rows made invalid on purpose, with their errors.
    lines = read_rejects(rejects)
    assert sorted(line["input"]["traits"]["seq"] for line in lines) == sorted(invalid)
    for line in lines:
        i = line["input"]["traits"]["seq"]
        assert line["error"]["kind"] == "validation"
        assert line["error"]["field"] == invalid[i]
        assert line["user_id"] == line["input"]["user_id"]
        assert line["input"]["timestamp"] == 1_700_000_000_000 + i
    assert not (rejects / "_temporary").exists()

    # The key was never printed, logged, or put where Spark's UI shows it.
    out, err = capfd.readouterr()
    assert KEY not in out + err
    for log in event_log_dir.rglob("*"):
        if log.is_file():
            assert KEY.encode() not in log.read_bytes(), log
    assert all(KEY not in value for _, value in spark.sparkContext.getConf().getAll())
    # Nothing was sent from the driver, which made no client of its own for the job.
    assert lrspark._clients_made() == driver_clients

    # Spark reads the rejects back too: each line's `input` is a row as identify_dataframe
    # takes it (as they are, the same rows fail again, for the same reasons).
    again_df = spark.read.json(str(rejects)).select(
        "input.user_id", "input.name", "input.email", "input.timestamp", "input.traits.*"
    )
    again_summary = lrspark.identify_dataframe(
        again_df, app_id="acme/web", api_key=KEY, base_url=emulator.url
    )
    assert (again_summary.rows, again_summary.failed) == (40, 40)
    assert again_summary.failed_by_reason == summary.failed_by_reason

    # Rerunning only the failures is one command: `logrocket import` reads the rejects back.
    cli = logrocket_cli()
    if cli is None:
        pytest.skip("no logrocket CLI binary (cargo build -p logrocket-cli) to read the rejects")
    env = {
        **os.environ,
        "LOGROCKET_API_KEY": KEY,
        "LOGROCKET_APP_ID": "acme/web",
        "LOGROCKET_BASE_URL": emulator.url,
    }
    # As they are, every rejected row fails again, with the same error.
    parts = sorted(glob.glob(str(rejects / "part-*")))
    joined = b"".join(Path(p).read_bytes() for p in parts)
    again = subprocess.run(
        [cli, "import", "-", "--format", "jsonl", "--dry-run", "--no-progress",
         "--rejects", str(tmp_path / "again.jsonl")],
        input=joined, env=env, capture_output=True, timeout=60,
    )
    assert again.returncode == 1, again.stderr.decode()
    again_lines = [json.loads(line) for line in (tmp_path / "again.jsonl").read_text().splitlines()]
    assert len(again_lines) == 40
    assert sorted(line["input"]["traits"]["seq"] for line in again_lines) == sorted(invalid)
    # Fixed, they all go in.
    fixed = tmp_path / "fixed.jsonl"
    with open(fixed, "w", encoding="utf-8") as out_file:
        for line in lines:
            row = line["input"]
            i = row["traits"]["seq"]
            row["user_id"] = f"user-{i}"
            row["name"], row["email"] = f"User {i}", f"user{i}@example.com"
            out_file.write(json.dumps(line) + "\n")
    rerun = subprocess.run(
        [cli, "import", str(fixed), "--no-progress"], env=env, capture_output=True, timeout=60
    )
    assert rerun.returncode == 0, rerun.stderr.decode()
    stored = {u["user_id"]: u for u in emulator.users()}
    assert len(stored) == ROWS
    for i in invalid:
        assert stored[f"user-{i}"] == expected_user(i)


def assert_rate_held(sampler: Sampler, requests: int, elapsed: float) -> float:
    """The job-wide rate limit held across partitions: no second of the emulator's request
    log saw more than the limit (10% for sampling jitter), and the job took at least as long
    as the limit allows. Returns the peak."""
    peak = sampler.peak_rate()
    assert peak <= JOB_RATE * 1.1, f"peak {peak:.0f} requests/s, limit {JOB_RATE}/s"
    assert elapsed >= (requests - JOB_RATE) / JOB_RATE
    return peak


def test_the_rate_limit_holds_across_partitions(spark: SparkSession, emulator: Emulator) -> None:
    # 8 partitions, 2 at once: each task's client sends at most JOB_RATE / 2 requests/s.
    sampler = Sampler(emulator, bursts=0)
    sampler.start()
    started = time.monotonic()
    try:
        summary = lrspark.identify_dataframe(
            users_frame(spark, ROWS, PARTITIONS),
            app_id="acme/web",
            api_key=KEY,
            base_url=emulator.url,
            rate_limit=JOB_RATE,
        )
    finally:
        sampler.done.set()
        sampler.join()
    elapsed = time.monotonic() - started
    assert (summary.delivered, summary.failed, summary.tasks_at_once) == (ROWS - 40, 40, 2)
    assert summary.rate_limit_per_task == JOB_RATE / 2
    peak = assert_rate_held(sampler, emulator.request_count(), elapsed)
    # Unlimited, this job sends well over twice the limit (two tasks at 3,000/s or more each):
    # the limit is what held it back, so a limit given whole to each task would show here.
    assert peak >= JOB_RATE * 0.5, f"peak {peak:.0f} requests/s: the limit did not bind"


def failing_once(index: int, rows: Iterable[Any]) -> Iterator[Any]:
    """Partition 2's first attempt fails after 1,500 rows, as a lost executor or an unreadable
    input file would make it fail. It waits a second first, so the rows already handed on
    reach the sender, which runs in another Python worker, and are sent. (The JVM hands rows
    on in batches that double in size: 1,023 of the 1,500 are on their way by then.)"""
    from pyspark import TaskContext

    context = TaskContext.get()
    for n, row in enumerate(rows):
        if index == 2 and n == 1_500 and context is not None and context.attemptNumber() == 0:
            time.sleep(1.0)
            raise RuntimeError("injected failure of partition 2, attempt 0")
        yield row


def test_a_retried_task_sends_its_partition_again_and_is_counted(
    spark: SparkSession, emulator: Emulator, tmp_path: Path
) -> None:
    # Four partitions of 2,000 rows; partition 2 (rows 4,000-5,999) holds invalid rows before
    # the failure point.
    assert [i for i in range(4_000, 5_500) if invalid_kind(i)] == [4_007, 4_257, 4_507, 4_757,
                                                                   5_007, 5_257]
    rdd = (
        spark.sparkContext.parallelize(range(4), 4)
        .flatMap(lambda p: [make_row(i) for i in range(p * 2_000, (p + 1) * 2_000)])
        .mapPartitionsWithIndex(failing_once)
    )
    df = spark.createDataFrame(rdd, SCHEMA)
    rejects = tmp_path / "rejects"
    summary = lrspark.identify_dataframe(
        df, app_id="acme/web", api_key=KEY, base_url=emulator.url, rejects_path=str(rejects)
    )
    invalid = [i for i in range(8_000) if invalid_kind(i)]
    valid = 8_000 - len(invalid)
    assert (summary.rows, summary.delivered, summary.failed) == (8_000, valid, 32)
    assert (summary.retried_tasks, summary.rows_resent) == (1, 2_000)
    assert "re-sent 2000 rows (at least once)" in str(summary)
    stored = {u["user_id"]: u for u in emulator.users()}
    assert len(stored) == valid
    assert all(stored[f"user-{i}"] == expected_user(i) for i in range(8_000) if i not in invalid)
    # At least once: the failed attempt delivered some of partition 2's rows, sent again.
    ok = sum(1 for r in emulator.requests() if r["status"] == 200)
    assert valid < ok <= valid + 1_500
    # The failed attempt's rejects were never committed: each invalid row once.
    seqs = sorted(line["input"]["traits"]["seq"] for line in read_rejects(rejects))
    assert seqs == invalid


def test_one_client_per_worker_process_reused_across_partitions(
    spark: SparkSession, emulator: Emulator
) -> None:
    settings = lrspark.ClientSettings(KEY, "acme/web", emulator.url, rate_limit=10_000)

    def probe(rows: Iterable[Any]) -> Iterator[tuple[int, int]]:
        client = settings.client()
        assert client is settings.client()
        client.identify(f"probe-{os.getpid()}-{sum(1 for _ in rows)}")
        yield (os.getpid(), id(client))

    seen = spark.sparkContext.parallelize(range(16), 16).mapPartitions(probe).collect()
    pids = {pid for pid, _ in seen}
    # Spark reuses its Python workers (two run at once in local[2]; it may start another when
    # none is idle at the moment a task starts): each ran several partitions on one client.
    assert len(pids) < len(seen)
    for pid in pids:
        assert len({client for p, client in seen if p == pid}) == 1


def test_the_client_cache_is_per_process_after_fork() -> None:
    with Emulator(api_key=KEY) as emulator:
        settings = lrspark.ClientSettings(KEY, "acme/web", emulator.url)
        parent = settings.client()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: a new cache, a new client, which works
            try:
                child = settings.client()
                child.identify("from-the-child")
                os.write(write, b"new" if child is not parent else b"same")
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        assert os.read(read, 16) == b"new"
        assert settings.client() is parent
        assert [u["user_id"] for u in emulator.users()] == ["from-the-child"]


def test_settings_hide_the_key_and_survive_pickling(emulator: Emulator) -> None:
    import pickle

    settings = lrspark.ClientSettings(
        KEY, "acme/web", emulator.url, proxy="http://user:hunter2@127.0.0.1:9", max_retries=2
    )
    for text in (repr(settings), str(settings), repr(lrspark.PartitionSender(
            settings, lrspark.UserColumns.resolve(SCHEMA)))):
        assert KEY not in text and "hunter2" not in text
        assert "<redacted>" in text
    assert "max_retries=2" in repr(settings)
    assert pickle.loads(pickle.dumps(settings)) == settings


def test_the_key_comes_from_the_drivers_environment(
    monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> None:
    monkeypatch.setenv("LOGROCKET_API_KEY", KEY)
    monkeypatch.setenv("LOGROCKET_APP_ID", "acme/web")
    monkeypatch.setenv("LOGROCKET_BASE_URL", emulator.url)
    settings = lrspark.ClientSettings()
    monkeypatch.delenv("LOGROCKET_API_KEY")  # an executor without it still has the key
    settings.client().identify("env-user")
    assert [u["user_id"] for u in emulator.users()] == ["env-user"]
    monkeypatch.delenv("LOGROCKET_APP_ID")
    with pytest.raises(lr.ConfigError):
        lrspark.ClientSettings(api_key=KEY)


def test_columns_are_checked_on_the_driver(spark: SparkSession) -> None:
    df = spark.createDataFrame([("u1", "Ada", [1, 2])], "id string, name string, tags array<int>")
    with pytest.raises(ValueError) as missing:
        lrspark.identify_dataframe(df, app_id="acme/web", api_key=KEY)
    assert str(missing.value) == (
        "the user_id column 'user_id' is not in the DataFrame; its columns are: "
        "id (string), name (string), tags (array)"
    )
    with pytest.raises(ValueError, match=r"these do not: tags \(array\)"):
        lrspark.identify_dataframe(df, app_id="acme/web", api_key=KEY, user_id="id")
    with pytest.raises(ValueError, match="the email column 'mail' is not in the DataFrame"):
        lrspark.identify_dataframe(df, app_id="acme/web", api_key=KEY, user_id="id", email="mail")
    with pytest.raises(ValueError, match="the name column 'tags' is of type array"):
        lrspark.identify_dataframe(df, app_id="acme/web", api_key=KEY, user_id="id", name="tags")
    # The core's rule and words, on the job's own number (before it is split over the tasks).
    with pytest.raises(
        lr.ConfigError, match="the rate limit must be a number of requests per second above 0, got 0"
    ):
        lrspark.identify_dataframe(
            df, app_id="acme/web", api_key=KEY, user_id="id", traits=[], rate_limit=0
        )
    with pytest.raises(lr.ConfigError):
        lrspark.identify_dataframe(df, app_id="no-slash", api_key=KEY, user_id="id", traits=[])


def test_types_nulls_and_the_plain_foreach_partition_function(
    spark: SparkSession, emulator: Emulator, tmp_path: Path
) -> None:
    import datetime as dt
    from decimal import Decimal

    df = spark.createDataFrame(
        [
            (7, dt.datetime(2024, 5, 1, 12, 0, 0, 250_000), Decimal("99.50"), dt.date(2024, 1, 2),
             None, float("nan")),
            (8, None, None, None, "x" * 1025, 1.5),
        ],
        "id long, seen timestamp, mrr decimal(10,2), since date, note string, score double",
    )
    counters = lrspark.new_counters(spark.sparkContext)
    send = lrspark.partition_sender(
        df.schema,
        app_id="acme/web",
        api_key=KEY,
        base_url=emulator.url,
        user_id="id",
        timestamp="seen",
        rate_limit=100,
        tasks_at_once=lrspark.tasks_at_once(df),
        counters=counters,
        rejects_dir=str(tmp_path / "rejects"),
    )
    df.foreachPartition(send)
    summary = lrspark.SyncSummary.from_counts(counters.value)
    assert (summary.rows, summary.delivered, summary.failed) == (2, 1, 1)
    assert summary.failed_by_reason == {"validation:traits.note": 1}
    [user] = emulator.users()
    when = dt.datetime(2024, 5, 1, 12, 0, 0, 250_000).timestamp()  # a local time, as pyspark's
    assert user["user_id"] == "7" and user["first_seen"] == int(when * 1000)
    assert user["traits"] == {"mrr": "99.50", "since": "2024-01-02"}  # NULL and NaN left out
    [line] = read_rejects(tmp_path / "rejects")
    assert line["input"] == {"user_id": "8", "traits": {"note": "x" * 1025, "score": 1.5}}
    assert line["error"]["kind"] == "validation"
    assert not (tmp_path / "rejects" / "_temporary").exists()
    with pytest.raises(ValueError, match="already holds part files"):
        lrspark.partition_sender(
            df.schema, app_id="acme/web", api_key=KEY, user_id="id",
            rejects_dir=str(tmp_path / "rejects"),
        )
    with pytest.raises(ValueError, match="give tasks_at_once too"):
        lrspark.partition_sender(
            df.schema, app_id="acme/web", api_key=KEY, user_id="id", rate_limit=10
        )


def test_an_existing_rejects_path_stops_the_job_before_anything_is_sent(
    spark: SparkSession, emulator: Emulator, tmp_path: Path
) -> None:
    (tmp_path / "rejects").mkdir()
    with pytest.raises(ValueError, match="rejects_path .* already exists: give a new path"):
        lrspark.identify_dataframe(
            users_frame(spark, 100, 2),
            app_id="acme/web",
            api_key=KEY,
            base_url=emulator.url,
            rejects_path=str(tmp_path / "rejects"),
        )
    assert emulator.request_count() == 0


def test_a_cell_that_cannot_be_converted_fails_its_row_only(
    emulator: Emulator, tmp_path: Path
) -> None:
    import datetime as dt

    schema = T.StructType(
        [T.StructField("user_id", T.StringType()), T.StructField("seen", T.TimestampType()),
         T.StructField("plan", T.StringType())]
    )
    counters = Counting()
    send = lrspark.PartitionSender(
        lrspark.ClientSettings(KEY, "acme/web", emulator.url),
        lrspark.UserColumns.resolve(schema, timestamp="seen"),
        counters=counters,  # type: ignore[arg-type]
        rejects_dir=str(tmp_path),
        chunk_rows=2,
    )
    send(
        [
            {"user_id": "a", "seen": dt.datetime(2024, 1, 1), "plan": "pro"},
            {"user_id": "b", "seen": dt.datetime(1, 1, 1), "plan": "pro"},  # before 1970 UTC
            {"user_id": "c", "seen": None, "plan": None},
        ]
    )
    assert sorted(u["user_id"] for u in emulator.users()) == ["a", "c"]
    summary = lrspark.SyncSummary.from_counts(counters.value)
    assert (summary.rows, summary.delivered, summary.failed) == (3, 2, 1)
    assert summary.failed_by_reason == {"input:ValueError": 1}
    [line] = read_rejects(tmp_path)
    assert (line["index"], line["user_id"], line["error"]["kind"]) == (1, "b", "input")
    assert line["input"] == {"user_id": "b", "timestamp": "0001-01-01 00:00:00",
                             "traits": {"plan": "pro"}}


class Counting:
    """An accumulator's stand-in outside Spark."""

    def __init__(self) -> None:
        self.value: dict[str, int] = {}

    def add(self, counts: dict[str, int]) -> None:
        for name, count in counts.items():
            self.value[name] = self.value.get(name, 0) + count
