"""Runs the Spark example's demonstration (local mode, an emulator) end to end."""

from __future__ import annotations

import os
import shutil

import pytest

if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("no Java: pyspark needs a JVM (Java 17+)", allow_module_level=True)
try:
    import pyspark  # noqa: F401
except ImportError:
    if os.environ.get("LOGROCKET_IDENTIFY_EXPECT_INSTALLED_IN"):
        raise  # scripts/test-python.sh installs pyspark: its absence there is a failure
    pytest.skip("pyspark is not installed (pip install 'pyspark>=4,<5')", allow_module_level=True)

import sync_users


def test_the_demonstration_syncs_every_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOGROCKET_API_KEY", raising=False)
    summary = sync_users.main([])
    assert (summary.rows, summary.delivered, summary.failed) == (1_000, 1_000, 0)
    assert (summary.partitions, summary.tasks_at_once) == (4, 2)
    assert summary.ok
