"""The sync and asyncio clients: thin shells over the native client."""

from __future__ import annotations

import asyncio
from datetime import datetime
from types import TracebackType
from typing import (
    Any,
    AsyncIterable,
    Callable,
    Iterable,
    Mapping,
    Optional,
    Sequence,
    Union,
)

from . import _native
from ._native import User
from ._report import BulkReport

TraitValue = Union[str, int, float, bool, None]
"""A trait value: ``None`` removes the trait; ints beyond 64 bits are sent as decimal strings."""

Timestamp = Union[int, datetime]
"""Unix milliseconds, or an aware ``datetime`` (a naive one is a ValidationError)."""

Row = Mapping[str, Any]
"""One ``identify_many`` row: ``user_id`` and optional ``name``, ``email``, ``timestamp``,
``traits``, ``unset``, as the keyword arguments of ``identify``."""


class _ClientBase:
    """What both clients share: configuration, checked at construction, and its read-outs."""

    def __init__(
        self,
        api_key: Optional[str] = None,
        app_id: Optional[str] = None,
        org_id: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = 10.0,
        max_retries: Optional[int] = 3,
        concurrency: Optional[int] = 16,
        *,
        allow_insecure_http: bool = False,
    ) -> None:
        self._native = _native.NativeClient(
            api_key=api_key,
            app_id=app_id,
            org_id=org_id,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            concurrency=concurrency,
            allow_insecure_http=allow_insecure_http,
        )

    def __repr__(self) -> str:
        n = self._native
        return f"{type(self).__name__}(base_url={n.base_url!r}, org_id={n.org_id!r}, app_id={n.app_id!r})"

    @property
    def base_url(self) -> str:
        return self._native.base_url

    @property
    def org_id(self) -> str:
        return self._native.org_id

    @property
    def app_id(self) -> str:
        return self._native.app_id


class Client(_ClientBase):
    """A blocking client. Thread-safe; the GIL is released while it waits on the network, and
    Ctrl-C interrupts a waiting call. Keeps working in a child after ``os.fork()``.

    Arguments left as ``None`` come from the environment (``LOGROCKET_API_KEY``,
    ``LOGROCKET_APP_ID`` as ``"org/app"``, ``LOGROCKET_BASE_URL``) or the defaults.
    """

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def close(self) -> None:
        """Nothing is buffered, so there is nothing to flush: every call returns only once its
        request is done. Kept so the client works as a context manager."""

    def identify(
        self,
        user_id: str,
        *,
        name: Optional[str] = None,
        email: Optional[str] = None,
        timestamp: Optional[Timestamp] = None,
        traits: Optional[Mapping[str, TraitValue]] = None,
        unset: Optional[Sequence[str]] = None,
    ) -> User:
        """Sends one user and returns the user as the API stored it."""
        return self._native.identify(
            user_id, name=name, email=email, timestamp=timestamp, traits=traits, unset=unset
        )

    def identify_many(
        self, rows: Iterable[Row], *, concurrency: Optional[int] = None
    ) -> BulkReport:
        """Sends every row, at most ``concurrency`` at a time, pulling rows from ``rows`` only
        as fast as they are sent. A bad row is reported, not raised; an exception raised by the
        iterable itself stops the run and propagates."""
        run = self._native.bulk(concurrency)
        try:
            for row in rows:
                run.push_blocking(row)
            return run.finish_blocking()
        finally:
            run.abort()


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def _resolver(
    loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]
) -> Callable[[bool, Any], None]:
    """A callback for an I/O thread that settles ``future`` on its own loop."""

    def resolve(ok: bool, value: Any) -> None:
        try:
            loop.call_soon_threadsafe(_settle, future, ok, value)
        except RuntimeError:
            pass  # the loop was closed meanwhile: nobody is waiting any more

    return resolve


class AsyncClient(_ClientBase):
    """An asyncio client: every call is awaited without ever blocking the event loop.
    Same arguments as ``Client``."""

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Nothing is buffered; kept for ``async with``."""

    async def identify(
        self,
        user_id: str,
        *,
        name: Optional[str] = None,
        email: Optional[str] = None,
        timestamp: Optional[Timestamp] = None,
        traits: Optional[Mapping[str, TraitValue]] = None,
        unset: Optional[Sequence[str]] = None,
    ) -> User:
        """Sends one user and returns the user as the API stored it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[User] = loop.create_future()
        task = self._native.identify_with_callback(
            user_id,
            _resolver(loop, future),
            name=name,
            email=email,
            timestamp=timestamp,
            traits=traits,
            unset=unset,
        )
        try:
            return await future
        finally:
            if not future.done() or future.cancelled():
                task.cancel()

    async def identify_many(
        self,
        rows: Union[Iterable[Row], AsyncIterable[Row]],
        *,
        concurrency: Optional[int] = None,
    ) -> BulkReport:
        """Sends every row of a sync or async iterable, pulled lazily, at most ``concurrency``
        at a time. A bad row is reported, not raised."""
        loop = asyncio.get_running_loop()
        run = self._native.bulk(concurrency)
        try:
            if isinstance(rows, AsyncIterable):
                async for row in rows:
                    await _push(loop, run, row)
            else:
                for row in rows:
                    await _push(loop, run, row)
            done: asyncio.Future[BulkReport] = loop.create_future()
            run.finish(_resolver(loop, done))
            return await done
        finally:
            run.abort()


async def _push(loop: asyncio.AbstractEventLoop, run: _native.BulkRun, row: Row) -> None:
    while not run.push(row):
        room: asyncio.Future[None] = loop.create_future()
        run.reserve(_resolver(loop, room))
        await room
