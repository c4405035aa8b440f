"""Runs the example against the emulator."""

from __future__ import annotations

import pytest

import identify


def test_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOGROCKET_API_KEY", raising=False)
    report = identify.main()
    assert (report.total, report.succeeded, report.failed) == (1_000, 1_000, 0)
