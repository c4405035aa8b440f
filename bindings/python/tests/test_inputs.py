"""Bad input gets a clear ValidationError or TypeError; times and big ints convert."""

from __future__ import annotations

import json
import math
import pickle
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import logrocket_identify as lr
from logrocket_identify.testing import Emulator


def last_body(emulator: Emulator) -> Any:
    return json.loads(emulator.requests()[-1]["body"])


def test_aware_datetime_becomes_unix_ms(emulator: Emulator, client: lr.Client) -> None:
    at = datetime(2023, 11, 14, 22, 13, 20, 123_456, tzinfo=timezone.utc)
    client.identify("t1", timestamp=at)
    assert last_body(emulator) == {"timestamp": 1_700_000_000_123}
    plus2 = at.astimezone(timezone(timedelta(hours=2)))
    client.identify("t2", timestamp=plus2)
    assert last_body(emulator) == {"timestamp": 1_700_000_000_123}
    client.identify("t3", timestamp=1_700_000_000_000)
    assert last_body(emulator) == {"timestamp": 1_700_000_000_000}


def test_naive_datetime_is_rejected_saying_so(emulator: Emulator, client: lr.Client) -> None:
    with pytest.raises(lr.ValidationError) as caught:
        client.identify("t", timestamp=datetime(2024, 1, 1))
    assert caught.value.field == "timestamp"
    assert "naive datetime" in str(caught.value)
    assert emulator.request_count() == 0


def test_big_ints_go_as_decimal_strings(emulator: Emulator, client: lr.Client) -> None:
    big = 2**64 + 5
    user = client.identify("big", traits={"big": big, "neg": -(2**70), "max": 2**63 - 1})
    assert last_body(emulator)["traits"] == {
        "big": str(big),
        "neg": str(-(2**70)),
        "max": 2**63 - 1,
    }
    assert user.traits["big"] == str(big)


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ({"a": 1}, "dict"),
        ([1, 2], "list"),
        (b"bytes", "bytes"),
        (object(), "object"),
        ({1, 2}, "set"),
        (math.nan, "nan"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
    ],
)
def test_unsupported_trait_values(emulator: Emulator, client: lr.Client, value: Any, what: str) -> None:
    with pytest.raises(lr.ValidationError) as caught:
        client.identify("u", traits={"bad": value})
    assert caught.value.message == "Malformed request"
    assert caught.value.field == "traits.bad"
    assert what in str(caught.value).lower()
    with pytest.raises(ValueError):
        lr.validate("u", traits={"bad": value})
    assert emulator.request_count() == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.identify(42),
        lambda c: c.identify(b"user"),
        lambda c: c.identify(None),
        lambda c: c.identify("u", name=5),
        lambda c: c.identify("u", email=["x"]),
        lambda c: c.identify("u", traits={1: "x"}),
        lambda c: c.identify("u", traits=["plan"]),
        lambda c: c.identify("u", unset="plan"),
        lambda c: c.identify("u", unset=[1]),
        lambda c: c.identify("u", timestamp=1.5),
        lambda c: c.identify("u", timestamp="2024-01-01"),
        lambda c: c.identify("u", timestamp=True),
    ],
)
def test_wrong_types_raise_type_error(emulator: Emulator, client: lr.Client, call: Any) -> None:
    # A ValidationError naming the field that is also a TypeError.
    with pytest.raises(lr.WrongTypeError) as caught:
        call(client)
    assert isinstance(caught.value, TypeError)
    assert isinstance(caught.value, lr.ValidationError)
    assert caught.value.field in ("user_id", "name", "email", "timestamp", "traits", "unset")
    assert emulator.request_count() == 0


def test_lone_surrogates_are_validation_errors(emulator: Emulator, client: lr.Client) -> None:
    """A str UTF-8 cannot encode (a lone surrogate, as surrogateescape makes of bytes that are
    not UTF-8) is a ValidationError on its field, never a bare UnicodeEncodeError."""
    undecodable = b"Jos\xe9".decode("utf-8", "surrogateescape")
    for kwargs, field in (
        ({"name": undecodable}, "name"),
        ({"traits": {"plan": "\ud800"}}, "traits.plan"),
        ({"traits": {"\udc00": "v"}}, "traits"),
        ({"unset": ["\udfff"]}, "traits"),
    ):
        with pytest.raises(lr.ValidationError) as caught:
            client.identify("u", **kwargs)
        assert (caught.value.field, caught.value.message) == (field, "Malformed request")
        assert "lone surrogate" in str(caught.value)
    with pytest.raises(lr.ValidationError) as caught:
        client.identify("\ud83d")
    assert caught.value.field == "user_id"
    assert emulator.request_count() == 0


def test_validate_is_offline_and_exact() -> None:
    lr.validate("user-42", name="John", traits={"plan": "pro", "mrr": 99.5, "x": None})
    with pytest.raises(lr.ValidationError) as caught:
        lr.validate("user-42", name="n" * 1025)
    assert (caught.value.field, caught.value.message) == (
        "name",
        "name too large (max 1024 characters)",
    )
    lr.validate("user-42", name="😀" * 1024)
    with pytest.raises(lr.ValidationError):
        lr.validate("")


def test_exception_hierarchy() -> None:
    assert issubclass(lr.ValidationError, lr.LogRocketError)
    assert issubclass(lr.ValidationError, ValueError)
    assert issubclass(lr.TimeoutError, lr.LogRocketError)
    assert issubclass(lr.TimeoutError, TimeoutError)
    for cls in (lr.ApiError, lr.TransportError, lr.ConfigError):
        assert issubclass(cls, lr.LogRocketError)


def test_timeout_and_transport_errors(emulator: Emulator) -> None:
    client = emulator.client(max_retries=0, timeout=0.2)
    emulator.fail_next(delay_ms=2000)
    with pytest.raises(lr.TimeoutError) as caught:
        client.identify("slow")
    assert isinstance(caught.value, TimeoutError)
    emulator.fail_next(drop_connection=True)
    with pytest.raises(lr.TransportError):
        client.identify("dropped")


def test_retries_then_success(emulator: Emulator) -> None:
    client = emulator.client(max_retries=3)
    emulator.fail_next(503, retry_after="0", times=2)
    assert client.identify("retried").user_id == "retried"
    assert emulator.request_count() == 3


def test_config_errors() -> None:
    with pytest.raises(lr.ConfigError, match="API key"):
        lr.Client(api_key="", app_id="a/b")
    with pytest.raises(lr.ConfigError, match="org/app"):
        lr.Client(api_key="k", app_id="noslash")
    with pytest.raises(lr.ConfigError):
        lr.Client(api_key="k", app_id="a/b", timeout=-1)


def test_user_and_report_objects(emulator: Emulator, client: lr.Client) -> None:
    user = client.identify("u1", name="Ann", email="ann@example.com", traits={"plan": "pro"})
    assert repr(user) == (
        "User(user_id='u1', name='Ann', email='ann@example.com', traits={'plan': 'pro'})"
    )
    assert user == client.identify("u1")
    report = client.identify_many([{"user_id": "a"}, {"user_id": ""}])
    assert "failed=1" in repr(report)
    with client as same:
        assert same is client


def test_every_error_shows_the_cores_whole_text(emulator: Emulator, client: lr.Client) -> None:
    """str() is the same text every language shows; .message keeps the bare message."""
    with pytest.raises(lr.ValidationError) as invalid:
        client.identify("u", traits={"score": float("nan")})
    assert str(invalid.value) == (
        "invalid input: traits.score: Malformed request "
        "(trait values must be finite numbers, got NaN)"
    )
    assert invalid.value.message == "Malformed request"

    emulator.fail_next(400, body='{"message":"Malformed request"}')
    with pytest.raises(lr.ApiError) as api:
        client.identify("u")
    assert str(api.value) == "LogRocket API error 400: Malformed request"
    assert api.value.message == "Malformed request"

    with pytest.raises(lr.ConfigError) as config:
        lr.Client(api_key="k", app_id="no-slash")
    assert str(config.value).startswith("configuration error: app id ")
    assert not config.value.message.startswith("configuration error")

    # The text survives pickling (multiprocessing sends exceptions between processes).
    for error in (invalid.value, api.value, config.value):
        again = pickle.loads(pickle.dumps(error))
        assert (str(again), again.message) == (str(error), error.message)
