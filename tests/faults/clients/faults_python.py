"""The fault matrix's Python client: sends a JSON Lines file of users through
``Client.identify_many`` (bulk) or ``Client.enqueue`` + ``close`` (enqueue), and writes what the
client itself says happened as JSON (see tests/faults/check.py for the format).

    python faults_python.py bulk|enqueue URL CA_OR_EMPTY INPUT.jsonl OUT.json
"""

import json
import os
import sys
import threading
import time

from logrocket_identify import Client, LogRocketError, QueueFullError

mode, url, ca, input_path, out_path = sys.argv[1:6]
API_KEY = os.environ["FAULTS_API_KEY"]
APP = os.environ["FAULTS_APP"]
TIMEOUT_S = float(os.environ["FAULTS_TIMEOUT_MS"]) / 1000
RETRIES = int(os.environ["FAULTS_RETRIES"])
CLOSE_TIMEOUT_S = float(os.environ["FAULTS_CLOSE_TIMEOUT_MS"]) / 1000


def describe(error: LogRocketError) -> dict:
    return {
        "kind": error.kind,
        "status": getattr(error, "status", None),
        "reason": getattr(error, "reason", None),
        "message": str(error),
    }


def rows():
    with open(input_path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


failures = []
lock = threading.Lock()


def on_failure(user_id: str, error: LogRocketError, updates: int) -> None:
    with lock:
        failures.append({"index": None, "user_id": user_id, "updates": updates, **describe(error)})


client = Client(
    api_key=API_KEY,
    app_id=APP,
    base_url=url,
    ca_cert=ca or None,
    proxy_from_env=False,
    timeout=TIMEOUT_S,
    connect_timeout=min(TIMEOUT_S, 1.0),
    max_retries=RETRIES,
    # Background delivery: a small queue, so that enqueue meets back-pressure and waits.
    queue_capacity=1000,
    when_full="block",
    enqueue_timeout=120.0,
    on_failure=on_failure,
)
result = {"client": "python", "mode": mode}
started = time.perf_counter()
if mode == "bulk":
    report = client.identify_many(rows())
    result["seconds"] = time.perf_counter() - started
    result["total"] = report.total
    result["succeeded"] = report.succeeded
    failures = [
        {"index": f.index, "user_id": f.user_id, **describe(f.error)} for f in report.failures
    ]
    # Retried attempts: the client's count, bulk calls included.
    result["retried"] = client.counters().retried
    client.close()
else:
    total = 0
    rejected = []
    for index, r in enumerate(rows()):
        total += 1
        user_id = r.pop("user_id")
        try:
            client.enqueue(user_id, **r)
        except LogRocketError as error:  # a validation error, or a queue still full after 120 s
            rejected.append({"index": index, "user_id": user_id, **describe(error)})
            if isinstance(error, QueueFullError):
                print(f"enqueue: queue still full after 120 s at row {index}", file=sys.stderr)
    summary = client.close(CLOSE_TIMEOUT_S)
    result["seconds"] = time.perf_counter() - started
    counters = client.counters()
    result["total"] = total
    result["succeeded"] = counters.delivered
    result["retried"] = counters.retried
    result["summary"] = {
        "completed": summary.completed,
        "delivered": summary.delivered,
        "failed": summary.failed,
        "dropped": summary.dropped,
        "pending": summary.pending,
    }
    result["counters"] = {
        name: getattr(counters, name)
        for name in ("enqueued", "delivered", "failed", "retried", "dropped", "coalesced", "pending")
    }
    with lock:
        failures = rejected + failures
result["failures"] = failures
with open(out_path, "w", encoding="utf-8") as f:
    json.dump(result, f, ensure_ascii=False)
