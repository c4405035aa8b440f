from typing import Any, Callable, Mapping, Optional, Sequence, Union
from datetime import datetime

from ._report import BulkReport

__version__: str

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

class Task:
    def cancel(self) -> None: ...

class BulkRun:
    def push(self, row: object) -> bool: ...
    def push_blocking(self, row: object) -> None: ...
    def reserve(self, callback: Callable[[bool, Any], None]) -> None: ...
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
    ) -> None: ...
    @property
    def base_url(self) -> str: ...
    @property
    def org_id(self) -> str: ...
    @property
    def app_id(self) -> str: ...
    @property
    def concurrency(self) -> int: ...
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
    def __init__(self, api_key: str = "test", request_log_limit: int = 10000) -> None: ...
    @property
    def url(self) -> str: ...
    @property
    def api_key(self) -> str: ...
    def users(self) -> list[dict[str, Any]]: ...
    def requests(self) -> list[dict[str, Any]]: ...
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
    def stop(self) -> None: ...

def _after_fork_in_child() -> None: ...
