"""Send users to LogRocket: one at a time, then in bulk.

Run against the real API with LOGROCKET_API_KEY and LOGROCKET_APP_ID ("org/app") set, or with
no arguments against a local emulator.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Iterator, Mapping

import logrocket_identify as lr
from logrocket_identify.testing import Emulator


def signups(count: int) -> Iterator[Mapping[str, object]]:
    """Rows as they might come from a database cursor: pulled one by one, never all in memory."""
    for i in range(count):
        yield {"user_id": f"user-{i}", "email": f"user{i}@example.com", "traits": {"cohort": 7}}


def run(client: lr.Client) -> lr.BulkReport:
    user = client.identify(
        "user-42",
        name="John Smith",
        email="john@example.com",
        timestamp=datetime.now(timezone.utc),
        traits={"plan": "pro", "mrr": 99.5, "trial": False, "legacy": None},
        unset=["old_campaign"],
    )
    print(f"stored {user.user_id}: {user.traits}")
    try:
        client.identify("user-43", traits={"address": {"city": "Paris"}})  # type: ignore[dict-item]
    except lr.ValidationError as error:
        print(f"rejected before sending: {error.field}: {error.message}")
    report = client.identify_many(signups(1_000), concurrency=32)
    print(f"bulk: {report.succeeded} of {report.total} sent, {report.failed} failed")
    for failure in report.failures:
        print(f"  row {failure.index} ({failure.user_id}): {failure.error}")
    return report


def main() -> lr.BulkReport:
    if os.environ.get("LOGROCKET_API_KEY"):
        with lr.Client() as client:
            return run(client)
    with Emulator() as emulator, emulator.client(app_id="acme/web") as client:
        return run(client)


if __name__ == "__main__":
    main()
