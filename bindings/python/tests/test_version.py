"""One version for every package: the workspace's, compiled into the extension."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import logrocket_identify as lr

WORKSPACE_MANIFEST = Path(__file__).resolve().parents[3] / "Cargo.toml"


def workspace_version() -> str:
    """`version` of `[workspace.package]` in the top-level Cargo.toml (read with a regular
    expression rather than tomllib, which Python 3.9 and 3.10 lack)."""
    text = WORKSPACE_MANIFEST.read_text(encoding="utf-8")
    section = re.search(r"^\[workspace\.package\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    assert section, f"no [workspace.package] in {WORKSPACE_MANIFEST}"
    version = re.search(r'^version\s*=\s*"([^"]+)"', section.group(1), re.M)
    assert version, f"no version in [workspace.package] of {WORKSPACE_MANIFEST}"
    return version.group(1)


def test_version_is_the_workspace_version() -> None:
    assert lr.__version__ == workspace_version()


def test_version_is_the_distribution_version() -> None:
    # The installed package's metadata (the wheel's, or the sdist's once built) says the same.
    assert metadata.version("logrocket-identify") == lr.__version__
