"""The GIL is released while waiting, asyncio is never blocked, Ctrl-C interrupts promptly."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from typing import Iterator

import pytest

import logrocket_identify as lr
from logrocket_identify.testing import Emulator


def test_gil_released_while_identify_waits(emulator: Emulator, client: lr.Client) -> None:
    emulator.fail_next(delay_ms=1000)
    counter = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal counter
        while not stop.is_set():
            counter += 1

    thread = threading.Thread(target=count)
    thread.start()
    time.sleep(0.05)
    try:
        started = time.monotonic()
        before = counter
        user = client.identify("slow-user", name="Slow")
        waited = time.monotonic() - started
        during = counter - before
    finally:
        stop.set()
        thread.join()
    assert user.name == "Slow"
    assert waited >= 0.9
    # A thread starved of the GIL would count only in the interpreter's 5 ms switch slots;
    # with the GIL free it runs the whole second.
    assert during > 100_000, during


def test_gil_released_during_identify_many(emulator: Emulator, client: lr.Client) -> None:
    emulator.fail_next(delay_ms=800, times=4)
    ticks = 0
    stop = threading.Event()

    def tick() -> None:
        nonlocal ticks
        while not stop.wait(0.01):
            ticks += 1

    thread = threading.Thread(target=tick)
    thread.start()
    try:
        report = client.identify_many(({"user_id": f"u{i}"} for i in range(8)), concurrency=4)
    finally:
        stop.set()
        thread.join()
    assert report.succeeded == 8
    assert ticks >= 40


def test_asyncio_ticker_keeps_ticking_while_100_identifies_wait(emulator: Emulator) -> None:
    emulator.fail_next(delay_ms=500, times=100)

    async def main() -> tuple[int, list[lr.User], float]:
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        async with emulator.async_client(max_retries=0, concurrency=100) as client:
            started = time.monotonic()
            users = await asyncio.gather(*(client.identify(f"a{i}") for i in range(100)))
            elapsed = time.monotonic() - started
        stop.set()
        await task
        return ticks, users, elapsed

    ticks, users, elapsed = asyncio.run(main())
    assert [u.user_id for u in users] == [f"a{i}" for i in range(100)]
    assert elapsed >= 0.45
    # ~50 ticks fit in 0.5 s; a blocked loop would manage one or two.
    assert ticks >= 20, ticks


def test_async_identify_many_sync_and_async_iterables(emulator: Emulator) -> None:
    async def rows(n: int):  # type: ignore[no-untyped-def]
        for i in range(n):
            await asyncio.sleep(0)
            yield {"user_id": f"async-{i}", "traits": {"i": i}}

    async def main() -> tuple[lr.BulkReport, lr.BulkReport]:
        async with emulator.async_client(max_retries=0) as client:
            from_async = await client.identify_many(rows(300), concurrency=8)
            from_sync = await client.identify_many(
                ({"user_id": f"sync-{i}"} for i in range(300)), concurrency=8
            )
            return from_async, from_sync

    from_async, from_sync = asyncio.run(main())
    assert (from_async.total, from_async.succeeded, from_async.failed) == (300, 300, 0)
    assert (from_sync.total, from_sync.succeeded, from_sync.failed) == (300, 300, 0)
    assert len(emulator.users()) == 600


def test_async_errors_and_cancellation(emulator: Emulator) -> None:
    async def main() -> None:
        async with emulator.async_client(max_retries=0) as client:
            with pytest.raises(lr.ValidationError):
                await client.identify("")
            with pytest.raises(TypeError):
                await client.identify(42)  # type: ignore[arg-type]
            emulator.fail_next(404)
            with pytest.raises(lr.ApiError) as caught:
                await client.identify("x")
            assert caught.value.status == 404
            emulator.fail_next(delay_ms=5000)
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(client.identify("slow"), 0.2)
            # The client still works after a cancelled call.
            assert (await client.identify("after")).user_id == "after"

    asyncio.run(main())


@pytest.fixture
def sigint_raises() -> Iterator[None]:
    """Makes SIGINT raise KeyboardInterrupt even where the test runner was started with SIGINT
    ignored (a background job of a non-interactive shell inherits it ignored)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupt_soon(delay: float) -> threading.Timer:
    timer = threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="signals need main"
)
@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_interrupts_blocking_identify() -> None:
    with Emulator() as emu:
        client = emu.client(max_retries=0, timeout=10)
        emu.fail_next(delay_ms=5_000)
        timer = _interrupt_soon(0.3)
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            client.identify("stuck")
        elapsed = time.monotonic() - started
        timer.join()
        assert elapsed < 1.5, elapsed
        # Still usable afterwards.
        emu.reset()
        assert client.identify("fine").user_id == "fine"


@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_interrupts_blocking_identify_many() -> None:
    with Emulator() as emu:
        client = emu.client(max_retries=0, timeout=10)
        # Bounded even if the interrupt never came: 8 slow rows, 4 at a time.
        emu.fail_next(delay_ms=5_000, times=8)
        timer = _interrupt_soon(0.3)
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            client.identify_many(({"user_id": f"u{i}"} for i in range(8)), concurrency=4)
        elapsed = time.monotonic() - started
        timer.join()
        assert elapsed < 1.5, elapsed
