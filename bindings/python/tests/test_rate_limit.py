"""Rate limits on both sides: the client's own pace (``rate_limit=`` requests per second) and
the emulator's, which refuses requests past its rate with 429 and ``Retry-After``.

Times are only ever bounded from below, and only where the client's pacer guarantees it: with
N per second, the k-th attempt goes no sooner than (k - 1) / N seconds after the first."""

from __future__ import annotations

import asyncio
import math
import time
import urllib.error
import urllib.request
from typing import Any, Iterator

import pytest

import logrocket_identify as lr
from logrocket_identify.testing import Emulator


def users(count: int, prefix: str) -> Iterator[dict[str, Any]]:
    return ({"user_id": f"{prefix}-{i}"} for i in range(count))


def test_bulk_is_spaced_by_the_clients_rate(emulator: Emulator) -> None:
    client = emulator.client(rate_limit=20)
    assert client.rate_limit == 20.0
    started = time.monotonic()
    report = client.identify_many(users(21, "paced"), concurrency=16)
    elapsed = time.monotonic() - started
    assert report.succeeded == 21, report.failures
    # The first at once, then one per 50 ms whatever the concurrency: 20 intervals.
    assert elapsed >= 0.95, elapsed


def test_single_calls_and_background_share_one_pace(emulator: Emulator) -> None:
    """Everything one client sends takes turns: 6 identify calls on threads and 5 enqueued
    updates at 20/s make 11 attempts, so 10 intervals of 50 ms at least."""
    client = emulator.client(rate_limit=20.0)
    started = time.monotonic()
    for i in range(5):
        client.enqueue(f"paced-bg-{i}")
    results: list[lr.User] = []

    async def identify_all() -> None:
        results.extend(
            await asyncio.gather(
                *(asyncio.to_thread(client.identify, f"paced-one-{i}") for i in range(6))
            )
        )

    asyncio.run(identify_all())
    summary = client.close(timeout=10.0)
    elapsed = time.monotonic() - started
    assert len(results) == 6 and summary.delivered == 5 and summary.completed
    assert elapsed >= 0.475, elapsed


def test_async_client_is_paced(emulator: Emulator) -> None:
    async def run() -> float:
        async with emulator.async_client(rate_limit=20.0) as client:
            assert client.rate_limit == 20.0
            started = time.monotonic()
            stored = await asyncio.gather(*(client.identify(f"paced-async-{i}") for i in range(11)))
            assert len(stored) == 11
            return time.monotonic() - started

    elapsed = asyncio.run(run())
    assert elapsed >= 0.475, elapsed


def test_unset_rate_is_no_limit(client: lr.Client) -> None:
    assert client.rate_limit is None
    assert "rate_limit=None" in repr(client._native)


def test_emulator_refuses_past_its_rate_and_a_paced_client_gets_through() -> None:
    with Emulator(api_key="limited", rate_limit=20) as emu:
        assert emu.rate_limit == 20
        unpaced = emu.client(max_retries=0)
        report = unpaced.identify_many(users(100, "unpaced"), concurrency=16)
        assert report.failures, "100 requests at once should overrun 20 per second"
        for failure in report.failures:
            assert isinstance(failure.error, lr.ApiError), failure.error
            assert failure.error.status == 429 and failure.error.retryable
        statuses = [r["status"] for r in emu.requests()]
        assert statuses.count(429) == len(report.failures)
        assert len(emu.users()) == report.succeeded, "a refused request stores nothing"

        # The bucket refills within a second; 15/s then stays under the emulator's 20/s.
        time.sleep(1.1)
        emu.reset()
        paced = emu.client(max_retries=0, rate_limit=15.0)
        report = paced.identify_many(users(30, "under"), concurrency=16)
        assert report.succeeded == 30, report.failures
        statuses = [r["status"] for r in emu.requests()]
        assert statuses == [200] * 30


def put_user(emu: Emulator, user_id: str) -> tuple[int, Any]:
    """One raw API request, to see the response headers the client consumes."""
    request = urllib.request.Request(
        f"{emu.url}/v1/orgs/acme/apps/web/users/{user_id}",
        data=b'{"name": "Raw"}',
        method="PUT",
        headers={"Authorization": f"token {emu.api_key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


def test_emulator_rate_limit_changes_while_serving(emulator: Emulator) -> None:
    assert emulator.rate_limit is None
    try:
        emulator.set_rate_limit(1)
        assert emulator.rate_limit == 1
        # One request per second: of back-to-back requests, one is refused well within 20.
        answers = [put_user(emulator, f"raw-{i}") for i in range(20)]
        refused = [headers for status, headers in answers if status == 429]
        assert answers[0][0] == 200 and refused, [status for status, _ in answers]
        assert int(refused[0]["Retry-After"]) >= 1

        emulator.set_rate_limit(0)
        assert emulator.rate_limit is None
        emulator.set_rate_limit(1)
        emulator.set_rate_limit(None)
        assert emulator.rate_limit is None
        emulator.reset()
        report = emulator.client(max_retries=0).identify_many(users(50, "free"), concurrency=16)
        assert report.succeeded == 50, report.failures
    finally:
        # The emulator is shared by the session; reset() keeps its rate limit.
        emulator.set_rate_limit(None)


@pytest.mark.parametrize(
    "bad", [0, 0.0, -1, -0.5, math.nan, math.inf, -math.inf], ids=repr
)
def test_a_bad_client_rate_is_the_cores_config_error(emulator: Emulator, bad: float) -> None:
    with pytest.raises(lr.ConfigError) as raised:
        emulator.client(rate_limit=bad)
    assert "the rate limit must be a number of requests per second above 0" in str(raised.value)
    with pytest.raises(lr.ConfigError):
        emulator.async_client(rate_limit=bad)


def test_a_client_rate_that_is_not_a_number_is_a_type_error(emulator: Emulator) -> None:
    with pytest.raises(TypeError):
        emulator.client(rate_limit="fast")


@pytest.mark.parametrize("bad", [-1, 2**32])
def test_a_bad_emulator_rate_is_a_value_error(emulator: Emulator, bad: int) -> None:
    with pytest.raises(ValueError, match="rate_limit must be a whole number"):
        Emulator(rate_limit=bad)
    with pytest.raises(ValueError, match="rate_limit must be a whole number"):
        emulator.set_rate_limit(bad)
    assert emulator.rate_limit is None
