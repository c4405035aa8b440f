"""A client made before fork() works in the child: os.fork and multiprocessing's fork method."""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest

import logrocket_identify as lr
from logrocket_identify.testing import Emulator

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


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


def test_client_works_in_os_fork_child(emulator: Emulator, client: lr.Client) -> None:
    # Used before the fork, so the runtime and the connection pool exist in the parent.
    client.identify("parent-before")
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            user = client.identify("child", traits={"pid": os.getpid()})
            report = client.identify_many({"user_id": f"child-{i}"} for i in range(20))
            code = 0 if user.user_id == "child" and report.succeeded == 20 else 2
        finally:
            os._exit(code)
    assert wait_child(pid, 20) == 0
    # The parent's client is unaffected.
    assert client.identify("parent-after").user_id == "parent-after"
    stored = {u["user_id"]: u for u in emulator.users()}
    assert stored["child"]["traits"]["pid"] == str(pid)
    assert {f"child-{i}" for i in range(20)} <= stored.keys()


def _identify_in_child(client: lr.Client, user_id: str) -> str:
    return client.identify(user_id).user_id


_shared: lr.Client | None = None


def _identify_with_inherited(user_id: str) -> str:
    assert _shared is not None
    return _shared.identify(user_id, traits={"worker": os.getpid()}).user_id


def test_client_works_with_multiprocessing_fork(emulator: Emulator) -> None:
    global _shared
    _shared = emulator.client(max_retries=0)
    _shared.identify("parent")
    context = multiprocessing.get_context("fork")
    with context.Pool(2) as pool:
        result = pool.map_async(_identify_with_inherited, [f"mp-{i}" for i in range(10)])
        assert result.get(timeout=30) == [f"mp-{i}" for i in range(10)]
    process = context.Process(target=_identify_in_child, args=(_shared, "mp-process"))
    process.start()
    process.join(timeout=20)
    if process.is_alive():
        process.kill()
        pytest.fail("multiprocessing child hung")
    assert process.exitcode == 0
    assert "mp-process" in {u["user_id"] for u in emulator.users()}
    assert _shared.identify("parent-again").user_id == "parent-again"
