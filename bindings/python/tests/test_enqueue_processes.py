"""Background delivery across process boundaries: interpreter exit without close(), os.fork
and multiprocessing (the child starts empty and delivers its own; the parent's pending updates
are sent once, by the parent)."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from typing import Optional
from urllib.parse import unquote

import pytest

import logrocket_identify as lr
from logrocket_identify.testing import Emulator


def put_counts(emulator: Emulator) -> Counter[str]:
    return Counter(
        unquote(r["path"].rsplit("/", 1)[1]) for r in emulator.requests() if r["method"] == "PUT"
    )


def run_script(source: str, emulator: Emulator, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source), emulator.url, emulator.api_key],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_script_that_never_closes_still_delivers_everything(emulator: Emulator) -> None:
    # Each request takes a little while, so most of the 300 are still pending when the script
    # reaches its end; the exit hook delivers them.
    emulator.set_fault_rate(1.0, delay_ms=5)
    done = run_script(
        """
        import sys
        import logrocket_identify as lr

        url, key = sys.argv[1:3]
        client = lr.Client(api_key=key, app_id="acme/web", base_url=url, concurrency=4)
        for i in range(300):
            client.enqueue(f"exit-{i}", traits={"i": i})
        print("pending at the end:", client.counters().pending)
        """,
        emulator,
    )
    emulator.set_fault_rate(0)
    assert done.returncode == 0, done.stderr
    pending = int(done.stdout.rsplit(":", 1)[1])
    assert pending > 0, "the script's updates were all sent before it ended: nothing was tested"
    stored = {u["user_id"]: u for u in emulator.users()}
    assert set(stored) == {f"exit-{i}" for i in range(300)}
    assert stored["exit-299"]["traits"] == {"i": "299"}
    assert max(put_counts(emulator).values()) == 1


def test_exit_is_bounded_by_exit_timeout_and_reports_what_it_gave_up() -> None:
    # An emulator of its own: the request it holds would otherwise land in a later test.
    with Emulator(api_key="exit-key") as emulator:
        emulator.fail_next(delay_ms=30_000)
        started = time.monotonic()
        done = run_script(
            """
            import sys
            import logrocket_identify as lr

            url, key = sys.argv[1:3]

            def on_failure(user_id, error, updates):
                print("gave up on", user_id, type(error).__name__, flush=True)

            client = lr.Client(api_key=key, app_id="acme/web", base_url=url, concurrency=1,
                               timeout=60, exit_timeout=0.5, on_failure=on_failure)
            client.enqueue("stuck")
            client.enqueue("behind")
            """,
            emulator,
        )
        elapsed = time.monotonic() - started
        assert done.returncode == 0, done.stderr
        # Far below the 30 s the server holds the request: the exit did not wait for it.
        assert elapsed < 20, elapsed
        assert "gave up on stuck ClosedError" in done.stdout
        assert "gave up on behind ClosedError" in done.stdout
        # Unconfigured logging still shows the loss, on stderr.
        assert "background update for user 'behind' dropped" in done.stderr
        assert emulator.api_key not in done.stderr


def test_closed_client_does_nothing_at_exit(emulator: Emulator) -> None:
    done = run_script(
        """
        import sys
        import logrocket_identify as lr

        url, key = sys.argv[1:3]
        client = lr.Client(api_key=key, app_id="acme/web", base_url=url)
        client.enqueue("closed-before-exit")
        summary = client.close(timeout=10)
        assert summary.completed and summary.delivered == 1, summary
        """,
        emulator,
    )
    assert done.returncode == 0, done.stderr
    assert put_counts(emulator) == Counter({"closed-before-exit": 1})


pytestmark_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def wait_child(pid: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail(f"forked child hung for {timeout}s")


def parent_with_pending(emulator: Emulator, count: int) -> lr.Client:
    """A client with one request held by the server and `count - 1` updates queued behind it."""
    client = emulator.client(concurrency=1)
    emulator.fail_next(delay_ms=1_500)
    for i in range(count):
        client.enqueue(f"parent-{i}")
    deadline = time.monotonic() + 10
    while client.counters().in_flight != 1:
        assert time.monotonic() < deadline, "the first update never went out"
        time.sleep(0.01)
    return client


@pytestmark_fork
def test_os_fork_child_starts_empty_and_delivers_its_own(emulator: Emulator) -> None:
    client = parent_with_pending(emulator, 20)
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            fresh = client.counters()
            for i in range(10):
                client.enqueue(f"child-{i}")
            summary = client.flush(timeout=20)
            after = client.counters()
            if fresh.enqueued or fresh.pending:
                code = 2
            elif not summary.completed or summary.delivered != 10:
                code = 3
            elif (after.enqueued, after.delivered) != (10, 10):
                code = 4
            else:
                code = 0
        finally:
            os._exit(code)
    assert wait_child(pid, 30) == 0
    summary = client.flush(timeout=30)
    assert summary.completed and summary.delivered == 20, summary
    puts = put_counts(emulator)
    assert {f"parent-{i}": 1 for i in range(20)} == {k: v for k, v in puts.items() if "parent" in k}
    assert {f"child-{i}": 1 for i in range(10)} == {k: v for k, v in puts.items() if "child" in k}
    # The parent keeps going.
    client.enqueue("parent-after")
    assert client.flush(timeout=30).delivered == 21


_inherited: Optional[lr.Client] = None


def _enqueue_without_flush(prefix: str, count: int) -> None:
    assert _inherited is not None
    for i in range(count):
        _inherited.enqueue(f"{prefix}-{i}", traits={"worker": os.getpid()})


def _enqueue_one(user_id: str) -> int:
    assert _inherited is not None
    _inherited.enqueue(user_id)
    return os.getpid()


@pytestmark_fork
def test_multiprocessing_children_deliver_at_their_exit(emulator: Emulator) -> None:
    """Neither the Process nor the pool workers call flush: their exit does it. A child started
    by fork leaves through os._exit, which skips atexit; the client provides for that."""
    global _inherited
    _inherited = parent_with_pending(emulator, 20)
    context = multiprocessing.get_context("fork")
    process = context.Process(target=_enqueue_without_flush, args=("mp-process", 50))
    process.start()
    process.join(timeout=30)
    if process.is_alive():
        process.kill()
        pytest.fail("multiprocessing child hung")
    assert process.exitcode == 0

    pool = context.Pool(2)
    try:
        pids = pool.map(_enqueue_one, [f"mp-pool-{i}" for i in range(40)], chunksize=1)
    finally:
        pool.close()
        pool.join()
    assert len(set(pids)) >= 1

    summary = _inherited.flush(timeout=30)
    assert summary.completed and summary.delivered == 20, summary
    puts = put_counts(emulator)
    expected = (
        {f"parent-{i}" for i in range(20)}
        | {f"mp-process-{i}" for i in range(50)}
        | {f"mp-pool-{i}" for i in range(40)}
    )
    assert set(puts) == expected
    assert set(puts.values()) == {1}, "something was sent twice"
