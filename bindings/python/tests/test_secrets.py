"""No repr, str or exception ever contains the API key."""

from __future__ import annotations

import pickle
import socket

import pytest

import logrocket_identify as lr
from logrocket_identify.testing import Emulator

KEY = "sk-live-VERY-SECRET-0123456789"


def texts(value: object) -> list[str]:
    out = [repr(value), str(value)]
    if isinstance(value, BaseException):
        out.append(repr(value.args))
        out.extend(str(v) for v in vars(value).values())
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_key_never_shown() -> None:
    with Emulator(api_key=KEY) as emu:
        seen: list[str] = [repr(emu), str(emu)]
        client = lr.Client(api_key=KEY, app_id="acme/web", base_url=emu.url, max_retries=0)
        async_client = lr.AsyncClient(api_key=KEY, app_id="acme/web", base_url=emu.url)
        seen += texts(client) + texts(async_client) + texts(client._native)
        wrong = lr.Client(api_key=KEY + "x", app_id="acme/web", base_url=emu.url, max_retries=0)
        with pytest.raises(lr.ApiError) as api:
            wrong.identify("u")
        assert api.value.status == 401
        seen += texts(api.value)
        emu.fail_next(500, body=f"boom")
        with pytest.raises(lr.ApiError) as server:
            client.identify("u")
        seen += texts(server.value)
        dead = lr.Client(
            api_key=KEY, app_id="acme/web", base_url=f"http://127.0.0.1:{free_port()}",
            max_retries=0,
        )
        with pytest.raises(lr.TransportError) as transport:
            dead.identify("u")
        seen += texts(transport.value)
        with pytest.raises(lr.ConfigError) as config:
            lr.Client(api_key=KEY, app_id="acme/web", base_url="http://example.com")
        seen += texts(config.value)
        with pytest.raises(lr.ConfigError) as control:
            lr.Client(api_key=KEY + "\n\x01", app_id="acme/web")
        seen += texts(control.value)
        report = client.identify_many([{"user_id": ""}])
        seen += texts(report) + [repr(report.failures)]
        seen.append(repr(pickle.loads(pickle.dumps(api.value))))
    for text in seen:
        assert KEY not in text, text
