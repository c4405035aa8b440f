"""The network layer against real components: the emulator over HTTPS (its throwaway CA trusted
through ``ca_cert``, HTTP/2 by ALPN) and a real forward proxy (tinyproxy, started by the shared
script ``tests/proxy/tinyproxy.sh``, whose log shows each CONNECT).

Every client here is built with ``proxy_from_env=False`` except where the environment's proxy
is what is tested, so a proxy variable of the machine running the tests changes nothing."""

from __future__ import annotations

import asyncio
import pathlib
import pickle
import socket
import subprocess
import time
from typing import Any, Callable, Iterator, Optional

import pytest

import logrocket_identify as lr
from logrocket_identify.testing import Emulator

SCRIPT = pathlib.Path(__file__).resolve().parents[3] / "tests" / "proxy" / "tinyproxy.sh"


class Tinyproxy:
    """A running tinyproxy on 127.0.0.1; with credentials it answers 407 without them."""

    def __init__(self, directory: pathlib.Path, credentials: Optional[str]) -> None:
        self.directory = directory
        started = subprocess.run(
            [str(SCRIPT), "start", str(directory), *([credentials] if credentials else [])],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert started.returncode == 0, f"tinyproxy did not start: {started.stderr}"
        self.port = int(started.stdout.strip())

    def url(self, credentials: Optional[str] = None) -> str:
        """``http://127.0.0.1:<port>``, with ``user:password@`` when given."""
        auth = f"{credentials}@" if credentials else ""
        return f"http://{auth}127.0.0.1:{self.port}"

    def requests(self) -> list[str]:
        """The request lines tinyproxy logged ("CONNECT 127.0.0.1:4242 HTTP/1.1", ...)."""
        log = (self.directory / "tinyproxy.log").read_text(errors="replace")
        lines = [line.split("): ", 1)[1] for line in log.splitlines() if "): " in line]
        return [line for line in lines if " HTTP/1." in line]

    def connects_to(self, port: int) -> int:
        """How many CONNECTs to 127.0.0.1:``port`` it logged."""
        return sum(line.startswith(f"CONNECT 127.0.0.1:{port} ") for line in self.requests())

    def stop(self) -> None:
        subprocess.run([str(SCRIPT), "stop", str(self.directory)], check=False, timeout=30)


StartProxy = Callable[..., Tinyproxy]


@pytest.fixture
def start_proxy(tmp_path: pathlib.Path) -> Iterator[StartProxy]:
    """Starts tinyproxy (``start_proxy("alice:s3cret")`` for one asking credentials); each is
    stopped at the end of the test."""
    started: list[Tinyproxy] = []

    def start(credentials: Optional[str] = None) -> Tinyproxy:
        proxy = Tinyproxy(tmp_path / f"proxy-{len(started)}", credentials)
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


@pytest.fixture(scope="module")
def tls_session() -> Iterator[Emulator]:
    with Emulator(api_key="tls-key", tls=True) as emu:
        yield emu


@pytest.fixture
def tls(tls_session: Emulator) -> Emulator:
    tls_session.reset()
    return tls_session


def bare_client(emu: Emulator, **options: Any) -> lr.Client:
    """A client for ``emu`` that does not trust its CA unless told, and ignores the
    environment's proxy unless told."""
    settings: dict[str, Any] = {"proxy_from_env": False, **options}
    return lr.Client(api_key=emu.api_key, app_id="acme/web", base_url=emu.url, **settings)


def port_of(emu: Emulator) -> int:
    return int(emu.url.rsplit(":", 1)[1])


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def protocols(emu: Emulator) -> list[str]:
    return [request["protocol"] for request in emu.requests()]


def texts(value: object) -> list[str]:
    """Every text a value shows: repr, str and, for an exception, its args and attributes."""
    out = [repr(value), str(value)]
    if isinstance(value, BaseException):
        out.append(repr(value.args))
        out.extend(str(v) for v in vars(value).values())
    return out


# 1. HTTPS trusted through ca_cert: HTTP/2 by ALPN, HTTP/1.1 with http1_only.


def test_the_emulator_serves_https_with_a_throwaway_ca(tls: Emulator) -> None:
    assert tls.url.startswith("https://127.0.0.1:")
    pem = tls.ca_cert_pem
    path = tls.ca_cert_path
    assert pem is not None and pem.startswith("-----BEGIN CERTIFICATE-----")
    assert path is not None and pathlib.Path(path).read_text() == pem


def test_https_with_the_ca_as_pem_text_negotiates_http2(tls: Emulator) -> None:
    client = bare_client(tls, ca_cert=tls.ca_cert_pem)
    user = client.identify("tls-pem", traits={"plan": "pro"})
    assert user.traits == {"plan": "pro"}
    assert protocols(tls) == ["HTTP/2.0"]


@pytest.mark.parametrize("as_path", [str, pathlib.Path], ids=["str", "pathlib.Path"])
def test_the_ca_may_be_given_as_a_path(
    tls: Emulator, as_path: Callable[[str], lr.CaCert]
) -> None:
    assert tls.ca_cert_path is not None
    client = bare_client(tls, ca_cert=as_path(tls.ca_cert_path))
    client.identify("tls-path")
    assert protocols(tls) == ["HTTP/2.0"]


def test_http1_only_speaks_http1_to_a_server_that_offers_http2(tls: Emulator) -> None:
    client = bare_client(tls, ca_cert=tls.ca_cert_pem, http1_only=True)
    assert client.http1_only
    client.identify("tls-h1")
    assert protocols(tls) == ["HTTP/1.1"]


def test_the_async_client_takes_the_same_network_options(tls: Emulator) -> None:
    async def run() -> None:
        async with lr.AsyncClient(
            api_key=tls.api_key,
            app_id="acme/web",
            base_url=tls.url,
            proxy_from_env=False,
            ca_cert=tls.ca_cert_pem,
            http1_only=True,
            connect_timeout=2.5,
        ) as client:
            assert client.connect_timeout == 2.5 and client.http1_only
            await client.identify("tls-async-h1")
        async with tls.async_client(proxy_from_env=False) as client:
            await client.identify("tls-async-h2")

    asyncio.run(run())
    assert protocols(tls) == ["HTTP/1.1", "HTTP/2.0"]


def test_the_emulators_own_clients_trust_its_ca(tls: Emulator) -> None:
    tls.client(proxy_from_env=False).identify("tls-helper")
    assert protocols(tls) == ["HTTP/2.0"]


def test_a_plain_emulator_has_no_ca_and_records_http1(emulator: Emulator) -> None:
    assert emulator.ca_cert_pem is None and emulator.ca_cert_path is None
    emulator.client(max_retries=0, proxy_from_env=False).identify("plain")
    assert protocols(emulator) == ["HTTP/1.1"]


def test_the_ca_file_is_removed_when_the_emulator_stops() -> None:
    with Emulator(tls=True) as emu:
        path = emu.ca_cert_path
        assert path is not None and pathlib.Path(path).exists()
    assert not pathlib.Path(path).exists()


# 2. Without the CA: reason tls, not retried.


def test_https_without_the_ca_fails_with_tls_and_is_not_retried(tls: Emulator) -> None:
    client = bare_client(tls, max_retries=3)
    with pytest.raises(lr.TransportError) as raised:
        client.identify("tls-untrusted")
    error = raised.value
    assert error.reason == "tls", error
    assert error.kind == "transport"
    assert str(error).startswith("transport error (tls): "), str(error)
    assert str(error) == f"transport error (tls): {error.message}"
    assert tls.requests() == []


def test_background_delivery_does_not_retry_a_tls_failure(tls: Emulator) -> None:
    seen: list[lr.LogRocketError] = []
    client = bare_client(tls, max_retries=3, on_failure=lambda _u, e, _n: seen.append(e))
    client.enqueue("tls-bg-untrusted")
    summary = client.close(timeout=10.0)
    assert summary.failed == 1 and client.counters().retried == 0
    assert len(seen) == 1 and isinstance(seen[0], lr.TransportError)
    assert seen[0].reason == "tls"
    assert tls.requests() == []


def test_a_refused_connection_has_the_connect_reason_and_is_retried() -> None:
    seen: list[lr.LogRocketError] = []
    client = lr.Client(
        api_key="k",
        app_id="acme/web",
        base_url=f"http://127.0.0.1:{unused_port()}",
        max_retries=2,
        proxy_from_env=False,
        on_failure=lambda _u, e, _n: seen.append(e),
    )
    with pytest.raises(lr.TransportError) as raised:
        client.identify("refused")
    assert raised.value.reason == "connect", raised.value
    assert str(raised.value).startswith("transport error (connect): "), str(raised.value)
    retried_by_identify = client.counters().retried
    client.enqueue("refused-bg")
    client.close(timeout=10.0)
    assert client.counters().retried - retried_by_identify == 2
    assert [getattr(e, "reason", None) for e in seen] == ["connect"]


def test_a_transport_error_pickles_with_its_reason(tls: Emulator) -> None:
    with pytest.raises(lr.TransportError) as raised:
        bare_client(tls, max_retries=0).identify("tls-pickle")
    copy = pickle.loads(pickle.dumps(raised.value))
    assert isinstance(copy, lr.TransportError)
    assert (copy.reason, copy.message, str(copy)) == (
        "tls",
        raised.value.message,
        str(raised.value),
    )
    made_here = lr.TransportError("gone", "reset")
    assert str(made_here) == "transport error (reset): gone"


# 3. Through the proxy: from the environment, and from the option.


def test_the_environments_proxy_tunnels_https(
    tls: Emulator, start_proxy: StartProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = start_proxy()
    # Read when the client is built, so set first (conftest clears the machine's own).
    monkeypatch.setenv("HTTPS_PROXY", proxy.url())
    # A client per request: one keeps its tunnel open for the next request.
    for i in (1, 2):
        client = tls.client()  # proxy_from_env defaults to True
        assert client.proxy_from_env and client.proxy is None
        client.identify(f"env-proxied-{i}")
        assert proxy.connects_to(port_of(tls)) == i, proxy.requests()
    assert {u["user_id"] for u in tls.users()} == {"env-proxied-1", "env-proxied-2"}
    assert protocols(tls) == ["HTTP/2.0", "HTTP/2.0"]


def test_the_async_client_takes_the_environments_proxy(
    tls: Emulator, start_proxy: StartProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = start_proxy()
    monkeypatch.setenv("https_proxy", proxy.url())

    async def run() -> None:
        async with tls.async_client() as client:
            await client.identify("env-proxied-async")

    asyncio.run(run())
    assert proxy.connects_to(port_of(tls)) == 1, proxy.requests()
    assert [u["user_id"] for u in tls.users()] == ["env-proxied-async"]


def test_the_environments_proxy_is_ignored_with_proxy_from_env_off(
    tls: Emulator, start_proxy: StartProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = start_proxy()
    monkeypatch.setenv("HTTPS_PROXY", proxy.url())
    tls.client(proxy_from_env=False).identify("env-ignored")
    assert proxy.requests() == []
    assert len(tls.users()) == 1


def test_an_explicit_proxy_tunnels_https(
    tls: Emulator, start_proxy: StartProxy
) -> None:
    proxy = start_proxy()
    client = tls.client(proxy=proxy.url(), proxy_from_env=False, http1_only=True)
    assert client.proxy == f"{proxy.url()}/"
    client.identify("explicit-proxied")
    assert proxy.requests() == [f"CONNECT 127.0.0.1:{port_of(tls)} HTTP/1.1"]
    assert [u["user_id"] for u in tls.users()] == ["explicit-proxied"]


def test_proxy_credentials_are_used_and_never_shown(
    tls: Emulator, start_proxy: StartProxy
) -> None:
    proxy = start_proxy("alice:s3cret")
    client = tls.client(proxy=proxy.url("alice:s3cret"), proxy_from_env=False)
    async_client = tls.async_client(proxy=proxy.url("alice:s3cret"), proxy_from_env=False)
    client.identify("with-credentials")
    assert [u["user_id"] for u in tls.users()] == ["with-credentials"]
    shown = texts(client) + texts(client._native) + texts(async_client) + [str(client.proxy)]
    for text in shown:
        assert "s3cret" not in text and "alice" not in text, text
    assert "<redacted>" in repr(client) and "<redacted>" in repr(client._native)
    assert client.proxy == f"http://<redacted>@127.0.0.1:{proxy.port}/"


# 4. NO_PROXY: the host is reached directly.


def test_no_proxy_bypasses_the_environments_proxy(
    tls: Emulator, start_proxy: StartProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = start_proxy()
    monkeypatch.setenv("HTTPS_PROXY", proxy.url())
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    tls.client().identify("not-proxied")
    assert proxy.requests() == []
    assert [u["user_id"] for u in tls.users()] == ["not-proxied"]


# 5. A wrong proxy password: reason proxy, not retried, never shown.


def test_a_wrong_proxy_password_gives_the_proxy_reason_and_is_not_retried(
    tls: Emulator, start_proxy: StartProxy
) -> None:
    proxy = start_proxy("alice:s3cret")
    client = tls.client(proxy=proxy.url("alice:wrong"), max_retries=3, proxy_from_env=False)
    with pytest.raises(lr.TransportError) as raised:
        client.identify("wrong-password")
    error = raised.value
    assert error.reason == "proxy", error
    assert str(error).startswith("transport error (proxy): "), str(error)
    assert proxy.connects_to(port_of(tls)) == 1, proxy.requests()
    assert tls.requests() == []
    for text in texts(error) + texts(client) + texts(client._native):
        assert "wrong" not in text and "s3cret" not in text, text


def test_a_wrong_proxy_password_from_the_environment_is_the_proxy_reason_too(
    tls: Emulator, start_proxy: StartProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = start_proxy("alice:s3cret")
    monkeypatch.setenv("HTTPS_PROXY", proxy.url("alice:wrong"))
    client = tls.client(max_retries=3)
    with pytest.raises(lr.TransportError) as raised:
        client.identify("wrong-password-env")
    assert raised.value.reason == "proxy", raised.value
    assert "wrong" not in str(raised.value)
    assert len(proxy.requests()) == 1, proxy.requests()


# 6. A host name that does not resolve: reason dns, not retried.


def test_a_name_that_does_not_resolve_is_dns_and_not_retried() -> None:
    # At 0.2 attempts per second, a retry could not start before 5 s had passed.
    client = lr.Client(
        api_key="k",
        app_id="acme/web",
        base_url="https://no-such-host.invalid",
        max_retries=3,
        rate_limit=0.2,
        proxy_from_env=False,
    )
    started = time.monotonic()
    with pytest.raises(lr.TransportError) as raised:
        client.identify("nowhere")
    elapsed = time.monotonic() - started
    assert raised.value.reason == "dns", raised.value
    assert "cannot resolve no-such-host.invalid" in str(raised.value)
    assert elapsed < 4.5, elapsed


# Configuration.


def test_proxy_credentials_never_appear_in_the_clients_repr() -> None:
    options: dict[str, Any] = dict(
        api_key="k", app_id="acme/web", proxy="http://alice:s3cret@proxy.internal:3128"
    )
    clients: list[Any] = [lr.Client(**options), lr.AsyncClient(**options)]
    for client in clients:
        for text in texts(client) + texts(client._native):
            assert "s3cret" not in text, text
        assert "proxy='http://<redacted>@proxy.internal:3128/'" in repr(client)
        assert 'proxy="http://<redacted>@proxy.internal:3128/"' in repr(client._native)


def test_a_bad_proxy_url_is_a_config_error_without_the_password() -> None:
    for bad in ["socks9://alice:s3cret@proxy:1080", "not a url s3cret", "http://u:s3cret@:3128"]:
        with pytest.raises(lr.ConfigError) as raised:
            lr.Client(api_key="k", app_id="acme/web", proxy=bad)
        assert "proxy" in str(raised.value)
        for text in texts(raised.value):
            assert "s3cret" not in text, text


@pytest.mark.parametrize("as_path", [str, pathlib.Path], ids=["str", "pathlib.Path"])
def test_a_missing_ca_file_is_a_config_error_naming_it(
    tmp_path: pathlib.Path, as_path: Callable[[str], lr.CaCert]
) -> None:
    missing = tmp_path / "no-such-ca.pem"
    with pytest.raises(lr.ConfigError) as raised:
        lr.Client(api_key="k", app_id="acme/web", ca_cert=as_path(str(missing)))
    assert f"cannot read the CA certificate file {missing}" in str(raised.value)
    with pytest.raises(lr.ConfigError):
        lr.AsyncClient(api_key="k", app_id="acme/web", ca_cert=as_path(str(missing)))


def test_pem_text_without_a_certificate_is_a_config_error() -> None:
    with pytest.raises(lr.ConfigError) as raised:
        lr.Client(api_key="k", app_id="acme/web", ca_cert="-----BEGIN NOTHING-----\n")
    assert "holds no PEM certificate" in str(raised.value)


def test_a_ca_cert_of_another_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="ca_cert must be PEM text"):
        pem_bytes: Any = b"-----BEGIN CERTIFICATE-----"
        lr.Client(api_key="k", app_id="acme/web", ca_cert=pem_bytes)


def test_connect_timeout_defaults_to_the_cores_and_is_checked() -> None:
    assert lr.DEFAULT_CONNECT_TIMEOUT > 0
    client = lr.Client(api_key="k", app_id="acme/web")
    assert client.connect_timeout == lr.DEFAULT_CONNECT_TIMEOUT
    assert not client.http1_only and client.proxy_from_env and client.proxy is None
    assert lr.Client(api_key="k", app_id="acme/web", connect_timeout=0.25).connect_timeout == 0.25
    with pytest.raises(lr.ConfigError, match="connect timeout must be greater than zero"):
        lr.Client(api_key="k", app_id="acme/web", connect_timeout=0)
    for bad in [-1.0, float("nan")]:
        with pytest.raises(lr.ConfigError, match="connect_timeout must be a positive number"):
            lr.AsyncClient(api_key="k", app_id="acme/web", connect_timeout=bad)
