"""The exceptions every call may raise, all under one base class.

The API key never appears in any of them: the core never puts it in a message.
"""

from __future__ import annotations

import builtins
from typing import Literal, Optional


class LogRocketError(Exception):
    """Base of every error this package raises on purpose.

    ``str(error)`` is the error's whole text, the same words every language of this library
    shows for it (``invalid input: name: name too large (max 1024 characters)``); ``message`` is
    the bare message (for validation and API errors, the API's own text).
    """

    kind: str = "error"

    def __init__(self, message: str, *, text: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.text = text if text is not None else message

    def __str__(self) -> str:
        return self.text


class ValidationError(LogRocketError, ValueError):
    """The input broke one of the API's documented rules; nothing was sent.

    ``message`` is the API's own text ("name too large (max 1024 characters)"); ``field`` names
    the input at fault: ``user_id``, ``name``, ``email``, ``timestamp``, ``traits`` or
    ``traits.<key>``; ``detail`` says more when the message alone would not.
    """

    kind = "validation"

    def __init__(
        self,
        message: str,
        field: str,
        detail: Optional[str] = None,
        *,
        text: Optional[str] = None,
    ) -> None:
        if text is None:
            # Made in Python rather than by the library: the same form as the library's.
            text = f"invalid input: {field}: {message}" + (f" ({detail})" if detail else "")
        super().__init__(message, text=text)
        self.field = field
        self.detail = detail

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.message, self.field, self.detail), self.__dict__)


class WrongTypeError(ValidationError, TypeError):
    """A ValidationError for an argument of the wrong type (``name=5``, ``traits=["plan"]``,
    ``user_id=None``): ``field`` names it and ``message`` is the API's answer to such a body
    ("Malformed request"; "userID is required" for a missing id). Also a ``TypeError``, as Python
    code expects of a wrong type; nothing was sent.
    """


class ApiError(LogRocketError):
    """The API answered with an error status, after any retries."""

    kind = "api"

    def __init__(
        self, message: str, status: int, retryable: bool, *, text: Optional[str] = None
    ) -> None:
        if text is None:
            text = f"LogRocket API error {status}: {message}"
        super().__init__(message, text=text)
        self.status = status
        self.retryable = retryable

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.message, self.status, self.retryable), self.__dict__)


TransportReason = Literal[
    "dns", "connect", "tls", "proxy", "reset", "protocol", "body_too_large", "other"
]
"""Why a request could not be delivered: ``TransportError.reason``."""


class TransportError(LogRocketError):
    """The request could not be delivered, or its answer could not be read.

    ``reason`` says why, with the same names in every language of this library:

    - ``"dns"``: the host name did not resolve. Not retried.
    - ``"connect"``: no connection could be opened (refused, unreachable, or
      ``connect_timeout`` passed). Retried.
    - ``"tls"``: the TLS handshake failed, most often a certificate that is not trusted (give
      the CA that signed it as ``ca_cert``) or does not name the host. Not retried.
    - ``"proxy"``: the proxy refused: it wants credentials or did not accept the ones given
      (407), or would not open a tunnel to the API. Not retried.
    - ``"reset"``: the connection was closed or reset before the answer was read in full.
      Retried.
    - ``"protocol"``: the server, or something in between, broke the HTTP protocol. Not
      retried.
    - ``"body_too_large"``: the answer was larger than any answer of the API can be (a
      misconfigured proxy or server). Not retried.
    - ``"other"``: anything else. Retried.

    "Retried" means the client tries again, up to ``max_retries`` times with backoff, before
    raising; the others are raised at once. ``str(error)`` reads
    ``transport error (<reason>): <message>``.
    """

    kind = "transport"

    def __init__(
        self, message: str, reason: TransportReason = "other", *, text: Optional[str] = None
    ) -> None:
        if text is None:
            text = f"transport error ({reason}): {message}"
        super().__init__(message, text=text)
        self.reason: TransportReason = reason

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.message, self.reason), self.__dict__)


class TimeoutError(LogRocketError, builtins.TimeoutError):
    """Every attempt ran past the per-attempt timeout."""

    kind = "timeout"


class ConfigError(LogRocketError):
    """The client is configured wrongly; the message says what to set."""

    kind = "config"


class QueueFullError(LogRocketError):
    """The background queue was full: ``enqueue`` refused the update (at once with
    ``when_full="error"``, or after waiting ``enqueue_timeout`` with ``"block"``). Also the error
    an update dropped by ``when_full="drop_oldest"`` reaches ``on_failure`` with."""

    kind = "queue_full"


class ClosedError(LogRocketError):
    """The client was closed: ``enqueue`` after ``close()``. Also the error of updates still
    pending when ``close``'s deadline passed (they reach ``on_failure``)."""

    kind = "closed"
