"""A local emulator of LogRocket's User Identification API, for your own tests.

    with Emulator() as emu:
        client = emu.client()        # or Client(api_key=emu.api_key, app_id="acme/web", base_url=emu.url)
        client.identify("user-1", name="Ada")
        assert emu.users()[0]["name"] == "Ada"

    with Emulator(tls=True) as emu:  # HTTPS, HTTP/2 by ALPN, a throwaway CA
        client = emu.client()        # or Client(..., base_url=emu.url, ca_cert=emu.ca_cert_pem)
        client.identify("user-1")
        assert emu.requests()[0]["protocol"] == "HTTP/2.0"
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Optional

from . import _native
from ._client import AsyncClient, Client


class Emulator:
    """A real HTTP server on 127.0.0.1 (a free port), running in this process's background
    with the API's routes, auth, validation, merge rules and fault injection.

    ``rate_limit`` (whole requests per second) makes it refuse, as a rate-limited API does,
    every API request past that rate: 429 with ``Retry-After`` (whole seconds, at least 1),
    recorded in ``requests()`` with status 429 and storing nothing. ``None`` or 0: no limit.
    It allows a second's worth of requests at once, then one per ``1 / rate_limit`` seconds.

    ``tls=True`` serves HTTPS instead (``url`` starts with ``https://``), offering HTTP/2 and
    HTTP/1.1 by ALPN, with a certificate for ``127.0.0.1`` and ``localhost`` signed by a CA made
    for this emulator alone. Clients trust it through ``ca_cert=emu.ca_cert_pem`` (or
    ``ca_cert_path``; ``client()`` and ``async_client()`` do it for you); without it they
    fail with a TransportError whose ``reason`` is ``"tls"``. Each recorded request's
    ``protocol`` tells which HTTP version the client spoke.
    """

    def __init__(
        self,
        api_key: str = "test",
        *,
        request_log_limit: int = 10_000,
        rate_limit: Optional[int] = None,
        tls: bool = False,
    ) -> None:
        self._native = _native.NativeEmulator(api_key, request_log_limit, rate_limit, tls)

    @property
    def url(self) -> str:
        """The base URL to give clients."""
        return self._native.url

    @property
    def api_key(self) -> str:
        """The key clients must send."""
        return self._native.api_key

    @property
    def ca_cert_pem(self) -> Optional[str]:
        """With ``tls=True``: the certificate (PEM text) of the CA that signed the emulator's
        certificate, to give clients as ``ca_cert``. ``None`` without TLS."""
        return self._native.ca_cert_pem

    @property
    def ca_cert_path(self) -> Optional[str]:
        """With ``tls=True``: a temporary file holding ``ca_cert_pem``, for clients that want a
        path (another process, ``SSL_CERT_FILE``, ``curl --cacert``); it is removed by
        ``stop()``. ``None`` without TLS."""
        return self._native.ca_cert_path

    def __repr__(self) -> str:
        return f"Emulator(url={self.url!r})"

    def __enter__(self) -> Emulator:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Stops serving. Also done on leaving a ``with`` block."""
        self._native.stop()

    def client(self, app_id: str = "acme/web", **options: Any) -> Client:
        """A ``Client`` set up for this emulator: its key and URL and, with ``tls=True``, its
        CA as ``ca_cert``. ``options`` are the client's other arguments, and win."""
        return Client(**self._client_options(app_id, options))

    def async_client(self, app_id: str = "acme/web", **options: Any) -> AsyncClient:
        """An ``AsyncClient`` set up for this emulator, as ``client()``."""
        return AsyncClient(**self._client_options(app_id, options))

    def _client_options(self, app_id: str, options: dict[str, Any]) -> dict[str, Any]:
        setup: dict[str, Any] = {"api_key": self.api_key, "app_id": app_id, "base_url": self.url}
        if self.ca_cert_pem is not None:
            setup["ca_cert"] = self.ca_cert_pem
        return {**setup, **options}

    def users(self) -> list[dict[str, Any]]:
        """Every stored user: org_id, app_id, user_id, name, email, traits, first_seen, last_seen."""
        return self._native.users()

    def requests(self) -> list[dict[str, Any]]:
        """The API requests received, oldest first: method, raw path, protocol (the HTTP
        version the client spoke: ``"HTTP/1.1"`` or ``"HTTP/2.0"``), headers, body, status."""
        return self._native.requests()

    def request_count(self) -> int:
        return self._native.request_count()

    def reset(self) -> None:
        """Forgets users, requests and faults. The rate limit stays as it is."""
        self._native.reset()

    @property
    def rate_limit(self) -> Optional[int]:
        """The rate limit in force, in API requests per second, or ``None`` for no limit."""
        return self._native.rate_limit

    def set_rate_limit(self, per_second: Optional[int]) -> None:
        """Changes the rate limit while serving; ``None`` or 0 removes it. A new limit starts
        with a full second's worth of requests. A negative value is a ValueError."""
        self._native.set_rate_limit(per_second)

    def fail_next(
        self,
        status: Optional[int] = None,
        *,
        retry_after: Optional[str] = None,
        body: Optional[str] = None,
        drop_connection: bool = False,
        delay_ms: int = 0,
        times: int = 1,
    ) -> None:
        """The next ``times`` API requests fail this way: after ``delay_ms``, a dropped
        connection, or ``status`` (with ``Retry-After``/``body``), or only the delay."""
        self._native.fail_next(
            status,
            retry_after=retry_after,
            body=body,
            drop_connection=drop_connection,
            delay_ms=delay_ms,
            times=times,
        )

    def set_fault_rate(
        self,
        probability: float,
        status: Optional[int] = None,
        *,
        retry_after: Optional[str] = None,
        body: Optional[str] = None,
        drop_connection: bool = False,
        delay_ms: int = 0,
    ) -> None:
        """Each API request fails this way with ``probability`` (0 turns it off)."""
        self._native.set_fault_rate(
            probability,
            status,
            retry_after=retry_after,
            body=body,
            drop_connection=drop_connection,
            delay_ms=delay_ms,
        )
