"""Send user data to LogRocket's User Identification API, one user or millions.

    import logrocket_identify as lr

    with lr.Client(api_key="...", app_id="org/app") as client:
        user = client.identify("user-42", name="John Smith", traits={"plan": "pro"})

        # Or in the background: returns at once, delivered by the client's I/O thread.
        client.enqueue("user-43", traits={"plan": "free"})
        summary = client.flush(timeout=2.0)   # also done by close(), and at interpreter exit
"""

from __future__ import annotations

import os

from . import _native, testing
from ._client import (
    AsyncClient,
    CaCert,
    Client,
    OnFailure,
    Row,
    Timestamp,
    TraitValue,
    WhenFull,
)
from ._errors import (
    ApiError,
    ClosedError,
    ConfigError,
    LogRocketError,
    QueueFullError,
    TimeoutError,
    TransportError,
    TransportReason,
    ValidationError,
    WrongTypeError,
)
from ._native import Counters, FlushSummary, User, validate
from ._report import BulkFailure, BulkReport

__version__: str = _native.__version__

DEFAULT_CLOSE_TIMEOUT: float = _native.DEFAULT_CLOSE_TIMEOUT
"""Seconds ``flush``, ``close`` and the exit hook wait by default."""

DEFAULT_CONNECT_TIMEOUT: float = _native.DEFAULT_CONNECT_TIMEOUT
"""Seconds opening a connection may take by default (the ``connect_timeout`` option)."""

__all__ = [
    "ApiError",
    "AsyncClient",
    "BulkFailure",
    "BulkReport",
    "CaCert",
    "Client",
    "ClosedError",
    "ConfigError",
    "Counters",
    "DEFAULT_CLOSE_TIMEOUT",
    "DEFAULT_CONNECT_TIMEOUT",
    "FlushSummary",
    "LogRocketError",
    "OnFailure",
    "QueueFullError",
    "Row",
    "TimeoutError",
    "Timestamp",
    "TraitValue",
    "TransportError",
    "TransportReason",
    "User",
    "ValidationError",
    "WhenFull",
    "WrongTypeError",
    "testing",
    "validate",
]

# A forked child cannot use the parent's I/O threads; it drops them here, and every client
# makes its own connection pool on first use in the child (a pid check does the same when
# fork() was called without going through os.fork).
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_native._after_fork_in_child)
