"""The sync and asyncio clients: thin shells over the native client."""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import datetime
from types import TracebackType
from typing import (
    Any,
    AsyncIterable,
    Callable,
    Iterable,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Union,
)

from . import _exit, _native
from ._errors import ClosedError, LogRocketError, QueueFullError
from ._native import Counters, FlushSummary, User
from ._report import BulkReport

TraitValue = Union[str, int, float, bool, None]
"""A trait value: ``None`` removes the trait; ints beyond 64 bits are sent as decimal strings."""

Timestamp = Union[int, datetime]
"""Unix milliseconds, or an aware ``datetime`` (a naive one is a ValidationError)."""

Row = Mapping[str, Any]
"""One ``identify_many`` row: ``user_id`` and optional ``name``, ``email``, ``timestamp``,
``traits``, ``unset``, as the keyword arguments of ``identify``."""

WhenFull = Literal["block", "error", "drop_oldest"]
"""What ``enqueue`` does when the background queue is full: ``"block"`` waits up to
``enqueue_timeout`` for room, then raises QueueFullError; ``"error"`` raises QueueFullError at
once; ``"drop_oldest"`` makes room by dropping the oldest pending update, which reaches
``on_failure`` with a QueueFullError and is counted as dropped."""

OnFailure = Callable[[str, LogRocketError, int], None]
"""Called as ``on_failure(user_id, error, updates)`` for every background update that failed
for good or was dropped (``updates`` > 1 when several coalesced updates were in that request).
It runs on the client's I/O thread (for an update dropped to make room: inside the ``enqueue``
call that dropped it), so keep it short, and do not call ``flush`` or ``close`` from it. An
exception it raises is reported through ``sys.unraisablehook`` and never stops delivery."""

CaCert = Union[str, os.PathLike[str]]
"""A CA certificate to trust: PEM text (a ``str`` holding ``-----BEGIN``), or the path of a
PEM file as a ``str`` or any ``os.PathLike`` such as ``pathlib.Path``."""

_log = logging.getLogger("logrocket_identify")


def _failure_reporter(on_failure: Optional[OnFailure]) -> Callable[[str, LogRocketError, int], None]:
    """What the engine calls for each lost update: a warning on the ``logrocket_identify``
    logger (user id and error only, never the key or the update's values), then the caller's
    hook."""

    def report(user_id: str, error: LogRocketError, updates: int) -> None:
        outcome = "dropped" if isinstance(error, (QueueFullError, ClosedError)) else "failed"
        _log.warning(
            "background update for user %r %s (%d update(s)): %s: %s",
            user_id,
            outcome,
            updates,
            error.kind,
            error.message,
        )
        if on_failure is not None:
            on_failure(user_id, error, updates)

    return report


class _ClientBase:
    """What both clients share: configuration, checked at construction, and its read-outs."""

    def __init__(
        self,
        api_key: Optional[str] = None,
        app_id: Optional[str] = None,
        org_id: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        concurrency: Optional[int] = None,
        *,
        allow_insecure_http: bool = False,
        queue_capacity: Optional[int] = None,
        queue_max_bytes: Optional[int] = None,
        when_full: Optional[WhenFull] = None,
        enqueue_timeout: Optional[float] = None,
        on_failure: Optional[OnFailure] = None,
        exit_timeout: Optional[float] = None,
        rate_limit: Optional[float] = None,
        proxy: Optional[str] = None,
        proxy_from_env: bool = True,
        ca_cert: Optional[CaCert] = None,
        http1_only: bool = False,
        connect_timeout: float = _native.DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        if on_failure is not None and not callable(on_failure):
            raise TypeError(f"on_failure must be callable, got {type(on_failure).__name__}")
        self._native = _native.NativeClient(
            api_key=api_key,
            app_id=app_id,
            org_id=org_id,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            concurrency=concurrency,
            allow_insecure_http=allow_insecure_http,
            queue_capacity=queue_capacity,
            queue_max_bytes=queue_max_bytes,
            when_full=when_full,
            enqueue_timeout=enqueue_timeout,
            on_failure=_failure_reporter(on_failure),
            exit_timeout=exit_timeout,
            rate_limit=rate_limit,
            proxy=proxy,
            proxy_from_env=proxy_from_env,
            ca_cert=ca_cert,
            http1_only=http1_only,
            connect_timeout=connect_timeout,
        )

    def __repr__(self) -> str:
        n = self._native
        # The proxy as ``proxy`` shows it: its credentials replaced by ``<redacted>``.
        proxy = "" if n.proxy is None else f", proxy={n.proxy!r}"
        return (
            f"{type(self).__name__}(base_url={n.base_url!r}, org_id={n.org_id!r}, "
            f"app_id={n.app_id!r}{proxy})"
        )

    @property
    def base_url(self) -> str:
        return self._native.base_url

    @property
    def org_id(self) -> str:
        return self._native.org_id

    @property
    def app_id(self) -> str:
        return self._native.app_id

    @property
    def rate_limit(self) -> Optional[float]:
        """The client's own limit in requests per second, or ``None`` for no limit."""
        return self._native.rate_limit

    @property
    def proxy(self) -> Optional[str]:
        """The explicit proxy (``proxy=``), its credentials replaced by ``<redacted>``; ``None``
        when none was given (a proxy from the environment may still apply)."""
        return self._native.proxy

    @property
    def proxy_from_env(self) -> bool:
        """Whether the proxy environment variables apply to this client."""
        return self._native.proxy_from_env

    @property
    def http1_only(self) -> bool:
        """Whether the client speaks HTTP/1.1 even to a server that offers HTTP/2."""
        return self._native.http1_only

    @property
    def connect_timeout(self) -> float:
        """Seconds that opening a connection may take."""
        return self._native.connect_timeout

    def enqueue(
        self,
        user_id: str,
        *,
        name: Optional[str] = None,
        email: Optional[str] = None,
        timestamp: Optional[Timestamp] = None,
        traits: Optional[Mapping[str, TraitValue]] = None,
        unset: Optional[Sequence[str]] = None,
    ) -> None:
        """Queues one update for background delivery and returns without waiting for the
        network. The input is checked now: a bad one raises ValidationError (or TypeError)
        exactly as ``identify`` would, and nothing is queued.

        Pending updates of one user are sent in order; consecutive ones with the same
        timestamp (or none) may be merged into one request, as the API would have stored them
        anyway. An update that fails for good reaches ``on_failure`` and the logger.

        When the queue is full, ``when_full`` decides: with ``"block"`` (the default) this
        waits, with the GIL released, up to ``enqueue_timeout``, then raises QueueFullError
        (in an ``AsyncClient`` that wait holds the event loop: choose ``"error"`` or
        ``"drop_oldest"`` where that matters). Raises ClosedError after ``close()``."""
        if self._native.enqueue(
            user_id, name=name, email=email, timestamp=timestamp, traits=traits, unset=unset
        ):
            _exit.track(self._native)

    def counters(self) -> Counters:
        """A snapshot of the background delivery counters since the client was made (in a
        forked child: since its first use there)."""
        return self._native.counters()


class Client(_ClientBase):
    """A blocking client. Thread-safe; the GIL is released while it waits on the network, and
    Ctrl-C interrupts a waiting call. Keeps working in a child after ``os.fork()``: the child
    starts with an empty background queue, and never sends what the parent had pending.

    Arguments left as ``None`` come from the environment (``LOGROCKET_API_KEY``,
    ``LOGROCKET_APP_ID`` as ``"org/app"``, ``LOGROCKET_BASE_URL``) or the library's defaults.
    ``timeout`` is per attempt, in seconds.

    Background delivery (``enqueue``): ``queue_capacity`` (updates) and ``queue_max_bytes``
    bound the queue; ``when_full`` and ``enqueue_timeout`` (seconds, ``"block"`` only) say
    what a full queue does; ``on_failure`` hears of every update that failed for good or was
    dropped; ``exit_timeout`` (seconds, default ``DEFAULT_CLOSE_TIMEOUT``) bounds the delivery
    of what is still pending when the interpreter exits.

    ``rate_limit`` (requests per second, a float such as ``20`` or ``0.5``) caps the client's
    attempts across everything it sends: ``identify``, ``identify_many``, background delivery
    and their retries all take turns, evenly spaced, so a known quota is never exceeded and
    no burst follows a quiet spell. Unset (``None``) means no limit; a value that is not a
    finite number above 0 is a ConfigError.

    Network: by default the client does what ``curl`` does. It takes its proxy from
    ``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY`` and ``NO_PROXY`` (either case, read when the
    client is made), trusts the system's certificates (``SSL_CERT_FILE`` and ``SSL_CERT_DIR``
    included) and Mozilla's, and speaks HTTP/2 when the server offers it.

    - ``proxy``: send every request through this proxy, ``"http://user:password@host:port"``
      (or ``https://`` for a proxy reached over TLS), whatever the environment says;
      ``NO_PROXY`` still names hosts reached directly unless ``proxy_from_env`` is off. Its
      credentials are kept as secret as the key: no repr, log line or error shows them. An
      invalid URL is a ConfigError.
    - ``proxy_from_env`` (default ``True``): whether the proxy variables above apply. Turn it
      off to ignore them.
    - ``ca_cert``: a CA certificate to trust on top of the system's, such as a corporate or
      TLS-inspecting proxy's: PEM text, or the path of a PEM file (``str`` or
      ``pathlib.Path``). A file that cannot be read or holds no certificate is a ConfigError.
      Certificates are always verified; nothing turns that off.
    - ``http1_only`` (default ``False``): speak HTTP/1.1 even to a server that offers HTTP/2.
    - ``connect_timeout`` (seconds, default ``DEFAULT_CONNECT_TIMEOUT``): how long opening a
      connection (TCP, the proxy's tunnel, TLS) may take, within the per-attempt ``timeout``.
      A connection that fails is a TransportError whose ``reason`` says why, retried or not
      as that reason says.
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

    def flush(self, timeout: Optional[float] = None) -> FlushSummary:
        """Waits, with the GIL released, until every update enqueued before this call has been
        delivered or has failed, but never longer than ``timeout`` seconds (default
        ``DEFAULT_CLOSE_TIMEOUT``). ``completed`` says whether everything finished in time."""
        return self._native.flush(timeout)

    def close(self, timeout: Optional[float] = None) -> FlushSummary:
        """Stops accepting updates, delivers what is pending for up to ``timeout`` seconds
        (default ``DEFAULT_CLOSE_TIMEOUT``), then gives up on the rest: each reaches
        ``on_failure`` with a ClosedError and is counted as dropped. Calling it again does no
        harm; ``identify`` keeps working."""
        try:
            return self._native.close(timeout)
        finally:
            _exit.forget(self._native)

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
        """Sends every row, at most ``concurrency`` at a time (default: the client's; 0 is a
        ConfigError), pulling rows from ``rows`` only as fast as they are sent. A bad row is
        reported, not raised; an exception raised by the iterable itself stops the run and
        propagates."""
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
        await self.close()

    async def flush(self, timeout: Optional[float] = None) -> FlushSummary:
        """Like ``Client.flush``, awaited: the event loop keeps running while it waits."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[FlushSummary] = loop.create_future()
        self._native.flush_with_callback(timeout, _resolver(loop, future))
        return await future

    async def close(self, timeout: Optional[float] = None) -> FlushSummary:
        """Like ``Client.close``, awaited: the event loop keeps running while it waits."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[FlushSummary] = loop.create_future()
        try:
            self._native.close_with_callback(timeout, _resolver(loop, future))
            return await future
        finally:
            _exit.forget(self._native)

    async def aclose(self) -> None:
        """``close()`` with the default timeout, for ``async with`` and ``contextlib.aclosing``."""
        await self.close()

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
    """Queues ``row``, then, if the run has no room for another, waits until it has."""
    if not run.push(row):
        room: asyncio.Future[bool] = loop.create_future()
        run.wait_room(_resolver(loop, room))
        await room
