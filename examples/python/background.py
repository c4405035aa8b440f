"""Record user updates from a request handler without waiting on the network.

`enqueue` checks the update and returns at once; the client's I/O thread delivers it. Updates
that cannot be delivered reach `on_failure` (and the "logrocket_identify" logger), and whatever
is still pending when the interpreter exits is delivered then, within `exit_timeout`.

Run against the real API with LOGROCKET_API_KEY and LOGROCKET_APP_ID ("org/app") set, or with
no arguments against a local emulator.
"""

from __future__ import annotations

import logging
import os

import logrocket_identify as lr
from logrocket_identify.testing import Emulator


def report_loss(user_id: str, error: lr.LogRocketError, updates: int) -> None:
    """Called on the client's I/O thread: keep it short (count it, queue it for a retry...)."""
    print(f"not delivered: {user_id} ({updates} update(s)): {error}")


def handle_signup(client: lr.Client, user_id: str, plan: str) -> None:
    """What a web handler would do: record the update, then get on with the response."""
    client.enqueue(user_id, email=f"{user_id}@example.com", traits={"plan": plan})


def run(client: lr.Client) -> lr.FlushSummary:
    for i in range(500):
        handle_signup(client, f"signup-{i}", "pro" if i % 3 == 0 else "free")
    try:
        client.enqueue("signup-bad", traits={"tags": ["a", "b"]})  # type: ignore[dict-item]
    except lr.ValidationError as error:
        print(f"rejected at once: {error}")
    # A short-lived job (a script, a serverless handler) flushes before it returns; a server
    # can leave that to close() at shutdown, or to the exit hook.
    summary = client.flush(timeout=10)
    print(f"flushed: {summary}")
    print(f"counters: {client.counters()}")
    client.close()
    return summary


def main() -> lr.FlushSummary:
    logging.basicConfig(level=logging.WARNING)
    # By default a full queue makes enqueue wait briefly, then raise QueueFullError;
    # a handler that must never wait at all chooses when_full="error" or "drop_oldest".
    if os.environ.get("LOGROCKET_API_KEY"):
        return run(lr.Client(on_failure=report_loss, when_full="drop_oldest"))
    with Emulator() as emulator:
        client = emulator.client(
            app_id="acme/web", on_failure=report_loss, when_full="drop_oldest"
        )
        return run(client)


if __name__ == "__main__":
    main()
