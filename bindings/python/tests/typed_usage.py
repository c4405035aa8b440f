"""Typed use of the public API: checked by mypy --strict, and run by test_typed_usage."""

from __future__ import annotations

import asyncio
import pathlib
from datetime import datetime, timezone
from typing import AsyncIterator, Iterator, Mapping, Optional

import logrocket_identify as lr
from logrocket_identify.testing import Emulator


def rows(n: int, prefix: str = "typed") -> Iterator[Mapping[str, object]]:
    for i in range(n):
        yield {"user_id": f"{prefix}-{i}", "traits": {"i": i}}


async def async_rows(n: int) -> AsyncIterator[Mapping[str, object]]:
    for i in range(n):
        yield {"user_id": f"typed-async-{i}"}


def sync_part(emu: Emulator) -> int:
    traits: dict[str, lr.TraitValue] = {"plan": "pro", "mrr": 99.5, "trial": False, "gone": None}
    with lr.Client(api_key=emu.api_key, app_id="acme/web", base_url=emu.url, timeout=5.0) as c:
        user: lr.User = c.identify(
            "typed-user",
            name="Typed",
            email="typed@example.com",
            timestamp=datetime.now(timezone.utc),
            traits=traits,
            unset=["old"],
        )
        name: Optional[str] = user.name
        assert name == "Typed"
        plan: str = user.traits["plan"]
        assert plan == "pro"
        report: lr.BulkReport = c.identify_many(rows(10), concurrency=4)
        failure: lr.BulkFailure
        for failure in report.failures:
            index: int = failure.index
            error: lr.LogRocketError = failure.error
            print(index, failure.user_id, error)
        try:
            lr.validate("", name="x")
        except lr.ValidationError as e:
            field: str = e.field
            message: str = e.message
            assert (field, message) == ("user_id", "userID is required")
        return report.succeeded


async def async_part(emu: Emulator) -> int:
    async with lr.AsyncClient(api_key=emu.api_key, app_id="acme/web", base_url=emu.url) as c:
        user = await c.identify("typed-async", timestamp=1_700_000_000_000)
        assert user.user_id == "typed-async"
        a = await c.identify_many(async_rows(5))
        b = await c.identify_many(rows(5, "typed-sync-in-async"), concurrency=2)
        try:
            await c.identify("x", traits={"n": float("nan")})
        except lr.ValidationError:
            pass
        except lr.ApiError as e:
            status: int = e.status
            retryable: bool = e.retryable
            print(status, retryable)
        return a.succeeded + b.succeeded


def background_part(emu: Emulator) -> int:
    lost: list[tuple[str, str]] = []

    def on_failure(user_id: str, error: lr.LogRocketError, updates: int) -> None:
        lost.append((user_id, error.kind))

    policy: lr.WhenFull = "drop_oldest"
    hook: lr.OnFailure = on_failure
    client = lr.Client(
        api_key=emu.api_key,
        app_id="acme/web",
        base_url=emu.url,
        queue_capacity=1_000,
        queue_max_bytes=1 << 20,
        when_full=policy,
        on_failure=hook,
        exit_timeout=2.0,
    )
    client.enqueue("typed-bg", name="Background", traits={"plan": "pro"}, unset=["old"])
    summary: lr.FlushSummary = client.flush(timeout=lr.DEFAULT_CLOSE_TIMEOUT)
    completed: bool = summary.completed
    assert completed and summary.pending == 0
    counters: lr.Counters = client.counters()
    total: int = counters.coalesced + counters.delivered + counters.failed + counters.dropped
    assert total + counters.pending == counters.enqueued
    closed: lr.FlushSummary = client.close(timeout=1.0)
    try:
        client.enqueue("typed-bg-late")
    except lr.ClosedError as e:
        kind: str = e.kind
        assert kind == "closed"
    except lr.QueueFullError:
        pass
    assert not lost
    return closed.delivered


async def async_background_part(emu: Emulator) -> int:
    client = lr.AsyncClient(
        api_key=emu.api_key, app_id="acme/web", base_url=emu.url, enqueue_timeout=1.0
    )
    client.enqueue("typed-bg-async", timestamp=datetime.now(timezone.utc))
    flushed: lr.FlushSummary = await client.flush(timeout=5.0)
    closed: lr.FlushSummary = await client.close()
    return flushed.delivered + closed.pending


def rate_part(emu: Emulator) -> int:
    limit: Optional[int] = emu.rate_limit
    assert limit is None
    emu.set_rate_limit(1_000)
    assert emu.rate_limit == 1_000
    per_second: float = 200.0
    with lr.Client(
        api_key=emu.api_key, app_id="acme/web", base_url=emu.url, rate_limit=per_second
    ) as c:
        pace: Optional[float] = c.rate_limit
        assert pace == per_second
        sent = c.identify_many(rows(3, "typed-paced")).succeeded
    emu.set_rate_limit(None)
    try:
        lr.AsyncClient(api_key=emu.api_key, app_id="acme/web", base_url=emu.url, rate_limit=0)
    except lr.ConfigError as e:
        assert "rate limit" in e.message
    with Emulator(api_key="typed-limited", rate_limit=5) as limited:
        assert limited.rate_limit == 5
    return sent


def network_part() -> int:
    with Emulator(api_key="typed-tls", tls=True) as tls:
        pem: Optional[str] = tls.ca_cert_pem
        path: Optional[str] = tls.ca_cert_path
        assert pem is not None and path is not None
        connect: float = lr.DEFAULT_CONNECT_TIMEOUT
        ca: lr.CaCert = pathlib.Path(path)
        with lr.Client(
            api_key=tls.api_key,
            app_id="acme/web",
            base_url=tls.url,
            proxy=None,
            proxy_from_env=False,
            ca_cert=ca,
            http1_only=True,
            connect_timeout=connect,
        ) as c:
            c.identify("typed-tls-h1")
            shown: Optional[str] = c.proxy
            assert shown is None and c.http1_only and c.connect_timeout == connect
        client = lr.AsyncClient(
            api_key=tls.api_key, app_id="acme/web", base_url=tls.url, ca_cert=pem,
            proxy_from_env=False, connect_timeout=2.0,
        )
        assert client.proxy_from_env is False
        protocol: str = tls.requests()[0]["protocol"]
        assert protocol == "HTTP/1.1"
        untrusted = lr.Client(
            api_key=tls.api_key, app_id="acme/web", base_url=tls.url, max_retries=0,
            proxy="http://alice:s3cret@127.0.0.1:9", proxy_from_env=False,
        )
        assert "s3cret" not in repr(untrusted)
        try:
            lr.Client(
                api_key=tls.api_key, app_id="acme/web", base_url=tls.url, max_retries=0,
                proxy_from_env=False,
            ).identify("typed-untrusted")
        except lr.TransportError as e:
            reason: lr.TransportReason = e.reason
            assert reason == "tls"
        return len(tls.users())


def main() -> int:
    with Emulator() as emu:
        done = sync_part(emu) + asyncio.run(async_part(emu))
        done += background_part(emu) + asyncio.run(async_background_part(emu))
        assert rate_part(emu) == 3
        assert network_part() == 1
        emu.fail_next(503, retry_after="1")
        emu.set_fault_rate(0.0)
        stored: int = len(emu.users())
        assert stored >= done
        return done


if __name__ == "__main__":
    print(main())
