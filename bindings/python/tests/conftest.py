from __future__ import annotations

from typing import Iterator

import pytest

import logrocket_identify as lr
from logrocket_identify.testing import Emulator


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
