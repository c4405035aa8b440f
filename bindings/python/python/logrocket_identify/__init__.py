"""Send user data to LogRocket's User Identification API, one user or millions.

    import logrocket_identify as lr

    with lr.Client(api_key="...", app_id="org/app") as client:
        user = client.identify("user-42", name="John Smith", traits={"plan": "pro"})
"""

from __future__ import annotations

import os

from . import _native, testing
from ._client import AsyncClient, Client, Row, Timestamp, TraitValue
from ._errors import (
    ApiError,
    ConfigError,
    LogRocketError,
    TimeoutError,
    TransportError,
    ValidationError,
)
from ._native import User, validate
from ._report import BulkFailure, BulkReport

__version__: str = _native.__version__

__all__ = [
    "ApiError",
    "AsyncClient",
    "BulkFailure",
    "BulkReport",
    "Client",
    "ConfigError",
    "LogRocketError",
    "Row",
    "TimeoutError",
    "Timestamp",
    "TraitValue",
    "TransportError",
    "User",
    "ValidationError",
    "testing",
    "validate",
]

# A forked child cannot use the parent's I/O threads; it drops them here, and every client
# makes its own connection pool on first use in the child (a pid check does the same when
# fork() was called without going through os.fork).
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_native._after_fork_in_child)
