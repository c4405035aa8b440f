"""identify_many: rows pulled lazily, every failed row reported, nothing dropped."""

from __future__ import annotations

import asyncio
from typing import Any, Iterator

import pytest

import logrocket_identify as lr
from logrocket_identify.testing import Emulator


class Enough(Exception):
    pass


def test_million_row_generator_is_consumed_lazily(emulator: Emulator, client: lr.Client) -> None:
    """A 1,000,000-row generator, checked as it is pulled: never more than a window of rows
    ahead of what the server has received. Materialising it first would pull 1,000,000 rows
    before any request went out. The generator stops the run after 5,000 rows (an exception
    from the iterable propagates), which keeps the test a few seconds long."""
    concurrency = 16
    window = 2 * concurrency + 2
    pulled = 0
    widest = 0

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal pulled, widest
        for i in range(1_000_000):
            if i and i % 250 == 0:
                ahead = pulled - emulator.request_count()
                widest = max(widest, ahead)
                assert ahead <= window, f"pulled {pulled}, only {pulled - ahead} sent"
            if i == 5_000:
                raise Enough
            pulled += 1
            yield {"user_id": f"lazy-{i}"}

    with pytest.raises(Enough):
        client.identify_many(rows(), concurrency=concurrency)
    assert pulled == 5_000
    assert emulator.request_count() >= 5_000 - window
    assert widest > 0


def test_every_failed_row_is_reported(emulator: Emulator, client: lr.Client) -> None:
    emulator.set_fault_rate(0.2, 500)
    rows: list[Any] = []
    invalid: set[int] = set()
    for i in range(400):
        if i % 7 == 0:
            rows.append({"user_id": ""})
            invalid.add(i)
        elif i % 11 == 0:
            rows.append({"user_id": f"bad-{i}", "traits": {"nested": {"a": 1}}})
            invalid.add(i)
        elif i % 13 == 0:
            rows.append("not a dict")
            invalid.add(i)
        else:
            rows.append({"user_id": f"row-{i}", "traits": {"i": i}})
    report = client.identify_many(iter(rows), concurrency=8)
    emulator.set_fault_rate(0)

    assert report.total == 400
    assert report.succeeded + report.failed == 400
    indexes = [f.index for f in report.failures]
    assert indexes == sorted(set(indexes)), "failures sorted, one per row"
    assert invalid <= set(indexes)
    api_failed = set(indexes) - invalid
    assert api_failed, "a 20% fault rate over ~300 rows failed none"
    for failure in report.failures:
        if failure.index in invalid:
            assert isinstance(failure.error, lr.ValidationError)
        else:
            assert isinstance(failure.error, lr.ApiError)
            assert failure.error.status == 500
            assert failure.user_id == f"row-{failure.index}"
    stored = {u["user_id"] for u in emulator.users()}
    succeeded = {f"row-{i}" for i in range(400) if i not in set(indexes)}
    assert stored == succeeded
    nested = next(f for f in report.failures if f.index == 11)
    assert nested.error.message == "Malformed request"
    assert getattr(nested.error, "field") == "traits.nested"


def test_a_bad_row_names_the_field_that_is_wrong(client: lr.Client) -> None:
    rows: list[Any] = [
        {"user_id": 5},
        {"user_id": "u", "name": 5},
        {"user_id": "u", "email": ["x"]},
        {"user_id": "u", "timestamp": "yesterday"},
        {"user_id": "u", "traits": 5},
        {"user_id": "u", "traits": {1: "x"}},
        {"user_id": "u", "traits": {"plan": object()}},
        {"user_id": "u", "unset": "plan"},
        {"user_id": "u", "unset": [1]},
        "not a dict",
    ]
    report = client.identify_many(rows)
    fields = [getattr(f.error, "field") for f in report.failures]
    assert fields == [
        "user_id",
        "name",
        "email",
        "timestamp",
        "traits",
        "traits",
        "traits.plan",
        "unset",
        "unset",
        "input",
    ]
    assert all(isinstance(f.error, lr.ValidationError) for f in report.failures)
    name = report.failures[1].error
    assert name.message == "Malformed request"
    assert "name must be str, got int" in str(name)


def test_empty_input(client: lr.Client) -> None:
    report = client.identify_many([])
    assert (report.total, report.succeeded, report.failed, report.ok) == (0, 0, 0, True)


def test_concurrency_zero_is_a_config_error(emulator: Emulator, client: lr.Client) -> None:
    with pytest.raises(lr.ConfigError) as sync_error:
        client.identify_many([{"user_id": "never-sent"}], concurrency=0)
    assert "concurrency must be at least 1" in str(sync_error.value)

    async def main() -> None:
        async with emulator.async_client() as async_client:
            with pytest.raises(lr.ConfigError):
                await async_client.identify_many([{"user_id": "never-sent"}], concurrency=0)

    asyncio.run(main())
    assert emulator.request_count() == 0
    with pytest.raises(lr.ConfigError):
        emulator.client(concurrency=0)


def test_bad_row_keeps_its_user_id_in_the_report(client: lr.Client) -> None:
    report = client.identify_many([{"user_id": "typed-wrong", "name": 5}, {"user_id": 7}])
    assert [(f.index, f.user_id) for f in report.failures] == [(0, "typed-wrong"), (1, "")]
