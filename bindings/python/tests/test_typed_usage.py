from __future__ import annotations

import typed_usage


def test_typed_usage_runs() -> None:
    assert typed_usage.main() == 22
