from __future__ import annotations

import os
from typing import Iterator

import pytest

import logrocket_identify as lr
from logrocket_identify.testing import Emulator


PROXY_VARIABLES = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
]


@pytest.fixture(autouse=True)
def no_proxy_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clients honour the proxy variables by default: a proxy set on the machine running the
    tests must not change them. The network tests set their own."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[Emulator]:
    with Emulator(api_key="test-key") as emu:
        yield emu


@pytest.fixture
def emulator(emulator_session: Emulator) -> Emulator:
    emulator_session.reset()
    return emulator_session


@pytest.fixture
def client(emulator: Emulator) -> lr.Client:
    return emulator.client(max_retries=0)


def pytest_report_header() -> str:
    return f"logrocket_identify {lr.__version__} from {lr.__file__}"


def pytest_sessionstart(session: pytest.Session) -> None:
    """scripts/test-python.sh runs the suite against an installed wheel and names the venv it
    installed it in: the package must come from there, not from the source tree."""
    expected = os.environ.get("LOGROCKET_IDENTIFY_EXPECT_INSTALLED_IN")
    if expected:
        location = os.path.realpath(lr.__file__)
        if not location.startswith(os.path.realpath(expected) + os.sep):
            raise pytest.UsageError(
                f"logrocket_identify was imported from {location}, not from {expected}"
            )
