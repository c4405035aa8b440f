import os
from typing import Any, Callable, Mapping, Optional, Sequence, Union
from datetime import datetime

from ._report import BulkReport

__version__: str

DEFAULT_CLOSE_TIMEOUT: float
"""Seconds ``flush``, ``close`` and the exit hook wait by default."""

DEFAULT_CONNECT_TIMEOUT: float
"""Seconds opening a connection may take by default: the core's ``DEFAULT_CONNECT_TIMEOUT``."""

_TraitValue = Union[str, int, float, bool, None]
_Timestamp = Union[int, datetime]

class User:
    """The user as the API stored it; every trait value is a string."""

    @property
    def user_id(self) -> str: ...
    @property
    def name(self) -> Optional[str]: ...
    @property
    def email(self) -> Optional[str]: ...
    @property
    def traits(self) -> dict[str, str]: ...

class FlushSummary:
    """What ``flush`` or ``close`` came to. The counts are totals since the client started."""

    @property
    def completed(self) -> bool:
        """Whether everything enqueued before the call was delivered or failed in time."""
    @property
    def delivered(self) -> int:
        """Updates delivered."""
    @property
    def failed(self) -> int:
        """Updates that failed for good (each reached ``on_failure``)."""
    @property
    def dropped(self) -> int:
        """Updates dropped by ``when_full="drop_oldest"`` or abandoned by ``close``."""
    @property
    def pending(self) -> int:
        """Updates still queued or in flight when the call returned."""

class Counters:
    """Background delivery since the client started. Every enqueued update is in exactly one
    of the other counts: ``enqueued == coalesced + delivered + failed + dropped + pending``."""

    @property
    def enqueued(self) -> int:
        """Updates accepted by ``enqueue``."""
    @property
    def delivered(self) -> int:
        """Updates the API stored (merged ones count once, in ``coalesced`` for the others)."""
    @property
    def failed(self) -> int:
        """Updates that failed for good."""
    @property
    def retried(self) -> int:
        """Attempts that were retried (a count of attempts, not of updates)."""
    @property
    def dropped(self) -> int:
        """Updates dropped by the full-queue policy or abandoned by ``close``."""
    @property
    def coalesced(self) -> int:
        """Updates merged into another pending update of the same user."""
    @property
    def pending(self) -> int:
        """Updates queued or in flight."""
    @property
    def in_flight(self) -> int:
        """Updates whose request is under way (part of ``pending``)."""

class Task:
    def cancel(self) -> None: ...

class BulkRun:
    def push(self, row: object) -> bool: ...
    def push_blocking(self, row: object) -> None: ...
    def wait_room(self, callback: Callable[[bool, Any], None]) -> None: ...
    def finish_blocking(self) -> BulkReport: ...
    def finish(self, callback: Callable[[bool, Any], None]) -> None: ...
    def abort(self) -> None: ...

class NativeClient:
    def __init__(
        self,
        api_key: Optional[str] = None,
        app_id: Optional[str] = None,
        org_id: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        concurrency: Optional[int] = None,
        allow_insecure_http: bool = False,
        queue_capacity: Optional[int] = None,
        queue_max_bytes: Optional[int] = None,
        when_full: Optional[str] = None,
        enqueue_timeout: Optional[float] = None,
        on_failure: Optional[Callable[[str, Any, int], None]] = None,
        exit_timeout: Optional[float] = None,
        rate_limit: Optional[float] = None,
        proxy: Optional[str] = None,
        proxy_from_env: bool = True,
        ca_cert: Union[str, os.PathLike[str], None] = None,
        http1_only: bool = False,
        connect_timeout: Optional[float] = None,
    ) -> None:
        """``ca_cert``: a ``str`` is PEM text if it holds ``-----BEGIN``, else a path; another
        ``os.PathLike`` is a path. ``connect_timeout`` ``None``: the core's default."""
    @property
    def base_url(self) -> str: ...
    @property
    def org_id(self) -> str: ...
    @property
    def app_id(self) -> str: ...
    @property
    def concurrency(self) -> int: ...
    @property
    def rate_limit(self) -> Optional[float]: ...
    @property
    def proxy(self) -> Optional[str]:
        """The explicit proxy, its credentials replaced by ``<redacted>``."""
    @property
    def proxy_from_env(self) -> bool: ...
    @property
    def http1_only(self) -> bool: ...
    @property
    def connect_timeout(self) -> float: ...
    def identify(
        self,
        user_id: str,
        *,
        name: Optional[str] = None,
        email: Optional[str] = None,
        timestamp: Optional[_Timestamp] = None,
        traits: Optional[Mapping[str, _TraitValue]] = None,
        unset: Optional[Sequence[str]] = None,
    ) -> User: ...
    def identify_with_callback(
        self,
        user_id: str,
        callback: Callable[[bool, Any], None],
        *,
        name: Optional[str] = None,
        email: Optional[str] = None,
        timestamp: Optional[_Timestamp] = None,
        traits: Optional[Mapping[str, _TraitValue]] = None,
        unset: Optional[Sequence[str]] = None,
    ) -> Task: ...
    def bulk(self, concurrency: Optional[int] = None) -> BulkRun: ...
    def enqueue(
        self,
        user_id: str,
        *,
        name: Optional[str] = None,
        email: Optional[str] = None,
        timestamp: Optional[_Timestamp] = None,
        traits: Optional[Mapping[str, _TraitValue]] = None,
        unset: Optional[Sequence[str]] = None,
    ) -> bool:
        """Queues an update; True on the client's first enqueue in this process."""
    def flush(self, timeout: Optional[float] = None) -> FlushSummary: ...
    def close(self, timeout: Optional[float] = None) -> FlushSummary: ...
    def flush_with_callback(
        self, timeout: Optional[float], callback: Callable[[bool, Any], None]
    ) -> None: ...
    def close_with_callback(
        self, timeout: Optional[float], callback: Callable[[bool, Any], None]
    ) -> None: ...
    def close_at_exit(self) -> None: ...
    def counters(self) -> Counters: ...

def validate(
    user_id: str,
    *,
    name: Optional[str] = None,
    email: Optional[str] = None,
    timestamp: Optional[_Timestamp] = None,
    traits: Optional[Mapping[str, _TraitValue]] = None,
    unset: Optional[Sequence[str]] = None,
) -> None:
    """Checks a request offline exactly as sending would; raises ValidationError. Sends nothing."""

class NativeEmulator:
    def __init__(
        self,
        api_key: str = "test",
        request_log_limit: int = 10000,
        rate_limit: Optional[int] = None,
        tls: bool = False,
    ) -> None: ...
    @property
    def url(self) -> str: ...
    @property
    def api_key(self) -> str: ...
    @property
    def ca_cert_pem(self) -> Optional[str]:
        """The throwaway CA's certificate (PEM) in TLS mode, else ``None``."""
    @property
    def ca_cert_path(self) -> Optional[str]:
        """A temporary file holding ``ca_cert_pem`` (removed by ``stop``), else ``None``."""
    def users(self) -> list[dict[str, Any]]: ...
    def requests(self) -> list[dict[str, Any]]:
        """method, path, protocol, headers, body, status."""
    def request_count(self) -> int: ...
    def reset(self) -> None: ...
    def fail_next(
        self,
        status: Optional[int] = None,
        *,
        retry_after: Optional[str] = None,
        body: Optional[str] = None,
        drop_connection: bool = False,
        delay_ms: int = 0,
        times: int = 1,
    ) -> None: ...
    def set_fault_rate(
        self,
        probability: float,
        status: Optional[int] = None,
        *,
        retry_after: Optional[str] = None,
        body: Optional[str] = None,
        drop_connection: bool = False,
        delay_ms: int = 0,
    ) -> None: ...
    @property
    def rate_limit(self) -> Optional[int]: ...
    def set_rate_limit(self, per_second: Optional[int]) -> None: ...
    def stop(self) -> None: ...

def _after_fork_in_child() -> None: ...
