"""Runs the background delivery example against the emulator."""

from __future__ import annotations

import pytest

import background


def test_background_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOGROCKET_API_KEY", raising=False)
    summary = background.main()
    assert summary.completed
    assert (summary.delivered, summary.failed, summary.dropped, summary.pending) == (500, 0, 0, 0)
