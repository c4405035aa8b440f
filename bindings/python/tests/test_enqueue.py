"""Background delivery: enqueue, flush, close, the full-queue policies, on_failure, logging and
counters, against the emulator with faults."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from typing import Any, Callable, Iterator
from urllib.parse import unquote

import pytest

import logrocket_identify as lr
from logrocket_identify.testing import Emulator

# Far longer than any test waits: a hung request that must not end while a test looks at it.
HANG_MS = 4_000


class Failures:
    """An on_failure hook that records what reaches it (called from the I/O thread)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[tuple[str, lr.LogRocketError, int]] = []

    def __call__(self, user_id: str, error: lr.LogRocketError, updates: int) -> None:
        with self.lock:
            self.seen.append((user_id, error, updates))

    def users(self) -> list[str]:
        with self.lock:
            return [user_id for user_id, _, _ in self.seen]


def put_counts(emulator: Emulator) -> Counter[str]:
    """How many PUTs the emulator received per user id."""
    return Counter(
        unquote(r["path"].rsplit("/", 1)[1]) for r in emulator.requests() if r["method"] == "PUT"
    )


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s")
        time.sleep(0.01)


def adds_up(c: lr.Counters) -> bool:
    return c.enqueued == c.coalesced + c.delivered + c.failed + c.dropped + c.pending


@pytest.fixture
def failures() -> Failures:
    return Failures()


@pytest.fixture
def own_emulator() -> Iterator[Emulator]:
    """An emulator of the test's own, for tests that leave a request hanging in it."""
    with Emulator(api_key="own-key") as emulator:
        yield emulator


def hung_client(emulator: Emulator, failures: Failures, **options: Any) -> lr.Client:
    """A client with one request in flight that the emulator holds for HANG_MS, so that what
    is enqueued next waits in the queue (one request at a time)."""
    client = emulator.client(concurrency=1, max_retries=0, on_failure=failures, **options)
    emulator.fail_next(delay_ms=HANG_MS)
    client.enqueue("in-flight")
    wait_until(lambda: client.counters().in_flight == 1)
    return client


def test_10000_enqueues_through_5xx_and_429_bursts_arrive_exactly_once() -> None:
    """20% of requests answer 503 and every 2,000 enqueues a burst of 429s with Retry-After
    pauses the client; with generous retries every update arrives, the stored users are
    exactly the expected ones, and the counters agree with what the server saw."""
    users = 5_000
    with Emulator(api_key="k", request_log_limit=100_000) as emulator:
        failures = Failures()
        client = emulator.client(
            concurrency=64,
            max_retries=12,
            timeout=10,
            queue_capacity=20_000,
            enqueue_timeout=60,
            on_failure=failures,
        )
        emulator.set_fault_rate(0.2, 503)
        for i in range(2 * users):
            if i % 2_000 == 1_000:
                emulator.fail_next(429, retry_after="1", times=4)
            j = i % users
            if i < users:
                client.enqueue(f"bulk-{j}", name=f"first-{j}", traits={"a": i})
            else:
                client.enqueue(f"bulk-{j}", email=f"u{j}@example.com", traits={"b": i})
        summary = client.flush(timeout=180)
        emulator.set_fault_rate(0)

        assert summary.completed, summary
        assert (summary.failed, summary.dropped, summary.pending) == (0, 0, 0), summary
        assert failures.seen == []
        counters = client.counters()
        assert adds_up(counters), counters
        assert counters.enqueued == 2 * users
        assert counters.pending == counters.in_flight == 0

        stored = {u["user_id"]: u for u in emulator.users()}
        assert len(stored) == users
        for j in range(users):
            user = stored[f"bulk-{j}"]
            assert user["name"] == f"first-{j}"
            assert user["email"] == f"u{j}@example.com"
            assert user["traits"] == {"a": str(j), "b": str(j + users)}

        statuses = Counter(r["status"] for r in emulator.requests())
        assert statuses[429] >= 4 and statuses[503] > 0, statuses
        assert counters.delivered == statuses[200]
        # Every refused attempt was retried, and nothing else was.
        assert counters.retried == statuses[503] + statuses[429]
        assert summary.delivered == counters.delivered
        client.close()


def test_validation_errors_are_raised_by_enqueue_itself(
    emulator: Emulator, client: lr.Client
) -> None:
    with pytest.raises(lr.ValidationError) as empty:
        client.enqueue("")
    assert (empty.value.field, empty.value.message) == ("user_id", "userID is required")
    with pytest.raises(lr.ValidationError) as nested:
        client.enqueue("u", traits={"address": {"city": "Paris"}})  # type: ignore[dict-item]
    assert nested.value.field == "traits.address"
    with pytest.raises(lr.ValidationError) as naive:
        client.enqueue("u", timestamp=datetime(2024, 1, 1))
    assert naive.value.field == "timestamp"
    with pytest.raises(lr.ValidationError) as long_name:
        client.enqueue("u", name="x" * 1025)
    assert long_name.value.message == "name too large (max 1024 characters)"
    with pytest.raises(TypeError):
        client.enqueue(42)  # type: ignore[arg-type]
    counters = client.counters()
    assert (counters.enqueued, counters.pending) == (0, 0)
    assert client.flush(timeout=5).completed
    assert emulator.request_count() == 0


def test_block_waits_with_the_gil_released_then_raises_queue_full(
    emulator: Emulator, failures: Failures
) -> None:
    client = hung_client(emulator, failures, queue_capacity=3, enqueue_timeout=0.3)
    for i in range(3):
        client.enqueue(f"queued-{i}")
    ticks = 0
    stop = threading.Event()

    def tick() -> None:
        nonlocal ticks
        while not stop.wait(0.01):
            ticks += 1

    thread = threading.Thread(target=tick)
    thread.start()
    started = time.monotonic()
    try:
        with pytest.raises(lr.QueueFullError) as full:
            client.enqueue("refused")
    finally:
        waited = time.monotonic() - started
        stop.set()
        thread.join()
    assert waited >= 0.25, "block gave up before its enqueue_timeout"
    assert ticks >= 5, "another thread could not run while enqueue waited"
    assert "queue is full" in str(full.value)
    assert isinstance(full.value, lr.LogRocketError)
    summary = client.flush(timeout=30)
    assert summary.completed and summary.delivered == 4
    assert set(put_counts(emulator)) == {"in-flight", "queued-0", "queued-1", "queued-2"}
    counters = client.counters()
    assert (counters.enqueued, counters.dropped, counters.failed) == (4, 0, 0)
    assert failures.seen == [], "a refused update is the caller's error, not a drop"


def test_block_succeeds_once_room_is_made(emulator: Emulator, failures: Failures) -> None:
    client = emulator.client(
        concurrency=1, max_retries=0, on_failure=failures, queue_capacity=1, enqueue_timeout=30
    )
    emulator.fail_next(delay_ms=500)
    client.enqueue("first")
    wait_until(lambda: client.counters().in_flight == 1)
    client.enqueue("second")
    client.enqueue("third")  # waits until "first" is done and "second" leaves the queue
    assert client.flush(timeout=30).completed
    assert set(put_counts(emulator)) == {"first", "second", "third"}


def test_error_policy_raises_at_once(emulator: Emulator, failures: Failures) -> None:
    client = hung_client(emulator, failures, queue_capacity=3, when_full="error")
    for i in range(3):
        client.enqueue(f"queued-{i}")
    started = time.monotonic()
    with pytest.raises(lr.QueueFullError):
        client.enqueue("refused")
    # Bounded by the hung request: waiting for room would have taken that long.
    assert time.monotonic() - started < HANG_MS / 1000 / 2
    assert client.flush(timeout=30).completed
    assert "refused" not in put_counts(emulator)
    assert client.counters().enqueued == 4
    assert failures.seen == []


def test_queue_is_bounded_in_bytes_too(emulator: Emulator, failures: Failures) -> None:
    client = hung_client(emulator, failures, queue_max_bytes=10_000, when_full="error")
    accepted = 0
    with pytest.raises(lr.QueueFullError):
        for i in range(100):
            client.enqueue(f"big-{i}", name="n" * 1_000, email=f"{'e' * 900}@example.com")
            accepted += 1
    # Each update holds about 2 KB: the byte bound, not the item capacity, refused it.
    assert 2 <= accepted <= 10, accepted
    assert client.flush(timeout=30).delivered == accepted + 1


def test_drop_oldest_reaches_on_failure_and_is_counted(
    emulator: Emulator, failures: Failures, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="logrocket_identify")
    client = hung_client(emulator, failures, queue_capacity=3, when_full="drop_oldest")
    for i in range(10):
        client.enqueue(f"u{i}", traits={"secret": "do-not-log-me"})
    dropped = [f"u{i}" for i in range(7)]
    assert failures.users() == dropped
    assert all(isinstance(e, lr.QueueFullError) and n == 1 for _, e, n in failures.seen)
    counters = client.counters()
    assert counters.dropped == 7 and counters.enqueued == 11 and adds_up(counters), counters

    summary = client.flush(timeout=30)
    assert summary.completed and summary.dropped == 7 and summary.delivered == 4
    assert set(put_counts(emulator)) == {"in-flight", "u7", "u8", "u9"}
    assert {u["user_id"] for u in emulator.users()} == {"in-flight", "u7", "u8", "u9"}

    logged = [r for r in caplog.records if r.name == "logrocket_identify"]
    assert [r.levelno for r in logged] == [logging.WARNING] * 7
    text = "\n".join(r.getMessage() for r in logged)
    assert "'u0'" in text and "dropped" in text and "queue_full" in text
    assert "do-not-log-me" not in text and emulator.api_key not in text


def test_failure_for_good_reaches_hook_and_logger(
    emulator: Emulator, failures: Failures, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="logrocket_identify")
    client = emulator.client(concurrency=1, max_retries=2, on_failure=failures)
    emulator.fail_next(400, body='{"message":"Malformed request"}')
    client.enqueue("rejected", email="secret@example.com")
    emulator.fail_next(500, times=3)
    client.enqueue("exhausted", name="Secret Name")
    client.enqueue("fine")
    summary = client.flush(timeout=30)
    assert summary.completed and (summary.failed, summary.delivered) == (2, 1), summary
    seen = {user_id: (error, updates) for user_id, error, updates in failures.seen}
    assert set(seen) == {"rejected", "exhausted"}
    rejected, exhausted = seen["rejected"][0], seen["exhausted"][0]
    assert isinstance(rejected, lr.ApiError) and rejected.status == 400
    assert rejected.message == "Malformed request"
    assert isinstance(exhausted, lr.ApiError) and exhausted.status == 500
    counters = client.counters()
    assert (counters.failed, counters.retried) == (2, 2)
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "logrocket_identify")
    assert "'rejected'" in text and "'exhausted'" in text and "failed" in text
    assert "secret@example.com" not in text and "Secret Name" not in text


def test_on_failure_exceptions_go_to_unraisablehook(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    raised: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: raised.append(u.exc_value))

    def broken(user_id: str, error: lr.LogRocketError, updates: int) -> None:
        raise RuntimeError(f"hook failed for {user_id}")

    client = emulator.client(concurrency=1, max_retries=0, on_failure=broken)
    emulator.fail_next(400)
    client.enqueue("bad")
    client.enqueue("good")
    assert client.flush(timeout=30).completed
    assert len(raised) == 1 and isinstance(raised[0], RuntimeError)
    assert str(raised[0]) == "hook failed for bad"
    # Delivery went on.
    client.enqueue("after")
    assert client.flush(timeout=30).delivered == 2
    assert {"good", "after"} <= set(put_counts(emulator))


def test_flush_from_on_failure_is_refused_not_a_deadlock(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    raised: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: raised.append(u.exc_value))
    holder: list[lr.Client] = []

    def flush_inside(user_id: str, error: lr.LogRocketError, updates: int) -> None:
        holder[0].flush(timeout=5)

    client = emulator.client(max_retries=0, on_failure=flush_inside)
    holder.append(client)
    emulator.fail_next(400)
    client.enqueue("bad")
    assert client.flush(timeout=30).completed
    assert len(raised) == 1 and isinstance(raised[0], RuntimeError)
    assert "on_failure" in str(raised[0])


def test_coalescing_shows_in_counters_and_state(emulator: Emulator, failures: Failures) -> None:
    client = hung_client(emulator, failures)
    client.enqueue("merged", name="Ada")
    client.enqueue("merged", traits={"plan": "free", "old": "x"})
    client.enqueue("merged", email="ada@example.com", traits={"plan": "pro"})
    client.enqueue("merged", traits={"old": None})
    # Different timestamps decide first/last seen: these are not merged.
    client.enqueue("timed", timestamp=1_700_000_000_000, traits={"n": 1})
    client.enqueue("timed", timestamp=1_700_000_500_000, traits={"n": 2})
    counters = client.counters()
    assert (counters.enqueued, counters.coalesced) == (7, 3), counters
    assert adds_up(counters)
    assert client.flush(timeout=30).completed
    puts = put_counts(emulator)
    assert (puts["merged"], puts["timed"]) == (1, 2)
    stored = {u["user_id"]: u for u in emulator.users()}
    merged = stored["merged"]
    assert (merged["name"], merged["email"]) == ("Ada", "ada@example.com")
    assert merged["traits"] == {"plan": "pro"}
    timed = stored["timed"]
    assert timed["traits"] == {"n": "2"}
    assert (timed["first_seen"], timed["last_seen"]) == (1_700_000_000_000, 1_700_000_500_000)
    assert client.counters().delivered == 4


def test_flush_and_close_honour_their_timeout_while_the_server_hangs(
    own_emulator: Emulator, failures: Failures
) -> None:
    emulator = own_emulator
    client = hung_client(emulator, failures, timeout=30)
    client.enqueue("waiting-1")
    client.enqueue("waiting-2")

    started = time.monotonic()
    summary = client.flush(timeout=0.3)
    assert time.monotonic() - started < HANG_MS / 1000 / 2
    assert not summary.completed and summary.pending == 3, summary

    started = time.monotonic()
    summary = client.close(timeout=0.3)
    assert time.monotonic() - started < HANG_MS / 1000 / 2
    assert not summary.completed and summary.dropped == 3 and summary.pending == 0, summary
    assert sorted(failures.users()) == ["in-flight", "waiting-1", "waiting-2"]
    assert all(isinstance(e, lr.ClosedError) for _, e, _ in failures.seen)
    counters = client.counters()
    assert counters.dropped == 3 and adds_up(counters), counters

    with pytest.raises(lr.ClosedError) as closed:
        client.enqueue("too-late")
    assert "closed" in str(closed.value)
    # Closing again does no harm, and identify still works.
    assert client.close(timeout=0.1).pending == 0
    emulator.reset()
    assert client.identify("still-works").user_id == "still-works"
    assert "waiting-1" not in put_counts(emulator)


def test_close_delivers_what_is_pending_and_with_block_exit(emulator: Emulator) -> None:
    with emulator.client(concurrency=2) as client:
        for i in range(200):
            client.enqueue(f"ctx-{i}")
    with pytest.raises(lr.ClosedError):
        client.enqueue("after-with")
    assert len(emulator.users()) == 200
    assert client.counters().delivered == 200


def test_bad_settings_are_config_errors(emulator: Emulator) -> None:
    bad: list[dict[str, Any]] = [
        {"queue_capacity": 0},
        {"queue_max_bytes": 0},
        {"when_full": "sometimes"},
        {"when_full": "error", "enqueue_timeout": 1.0},
        {"enqueue_timeout": -1.0},
        {"exit_timeout": float("nan")},
        {"concurrency": 0},
    ]
    for options in bad:
        with pytest.raises(lr.ConfigError):
            emulator.client(**options)
    with pytest.raises(TypeError):
        emulator.client(on_failure="log it")
    client = emulator.client()
    with pytest.raises(ValueError):
        client.flush(timeout=-1)


def test_async_flush_and_close_never_block_the_event_loop(own_emulator: Emulator) -> None:
    emulator = own_emulator
    emulator.fail_next(delay_ms=800)

    async def main() -> tuple[int, lr.FlushSummary, lr.FlushSummary]:
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        client = emulator.async_client(concurrency=1, max_retries=0)
        for i in range(5):
            client.enqueue(f"async-{i}")
        flushed = await client.flush(timeout=30)
        emulator.fail_next(delay_ms=HANG_MS)
        client.enqueue("hung")
        closed = await client.close(timeout=0.3)
        with pytest.raises(lr.ClosedError):
            client.enqueue("late")
        stop.set()
        await task
        return ticks, flushed, closed

    ticks, flushed, closed = asyncio.run(main())
    assert flushed.completed and flushed.delivered == 5, flushed
    assert not closed.completed and closed.dropped == 1, closed
    # ~80 ticks fit in the 0.8 s flush; a blocked loop would manage one or two.
    assert ticks >= 20, ticks


def test_async_client_with_block_flushes_on_exit(emulator: Emulator) -> None:
    async def main() -> lr.Counters:
        async with emulator.async_client() as client:
            for i in range(50):
                client.enqueue(f"ctx-async-{i}")
        return client.counters()

    counters = asyncio.run(main())
    assert counters.delivered == 50
    assert len(emulator.users()) == 50
