"""Every case of tests/vectors/*.json, end to end through the Python API and the emulator."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

import logrocket_identify as lr
from logrocket_identify.testing import Emulator

VECTORS = Path(__file__).resolve().parents[3] / "tests" / "vectors"


def load_cases() -> list[Any]:
    cases = []
    for file in sorted(VECTORS.glob("*.json")):
        doc = json.loads(file.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            cases.append(pytest.param(doc["org_id"], doc["app_id"], case, id=case["name"]))
    return cases


CASES = load_cases()


def test_vectors_found() -> None:
    assert len(CASES) >= 50


def trait_value(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        if "$float" in value:
            return float(value["$float"])  # "NaN", "Infinity", "-Infinity"
        if "$bigint" in value:
            return int(value["$bigint"])
    return value


def call_args(input: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    kwargs: dict[str, Any] = {}
    for key in ("name", "email", "timestamp", "unset"):
        if key in input:
            kwargs[key] = input[key]
    if "traits" in input:
        kwargs["traits"] = {k: trait_value(v) for k, v in input["traits"].items()}
    return input["user_id"], kwargs


def same_json(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=0, abs_tol=0) or a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return bool(a == b) and type(a) is type(b)


@pytest.mark.parametrize(("org_id", "app_id", "case"), CASES)
def test_vector(emulator: Emulator, org_id: str, app_id: str, case: dict[str, Any]) -> None:
    client = lr.Client(
        api_key=emulator.api_key,
        org_id=org_id,
        app_id=app_id,
        base_url=emulator.url,
        max_retries=0,
    )
    for setup in case.get("setup", []):
        user_id, kwargs = call_args(setup)
        client.identify(user_id, **kwargs)
    sent_before = emulator.request_count()
    user_id, kwargs = call_args(case["input"])
    expect = case["expect"]

    if "error" in expect:
        want = expect["error"]
        with pytest.raises(lr.LogRocketError) as caught:
            client.identify(user_id, **kwargs)
        error = caught.value
        assert error.kind == want["kind"]
        assert error.message == want["message"]
        if "text" in want:
            assert str(error) == want["text"]
        assert getattr(error, "field", None) == want.get("field")
        if want["kind"] == "validation":
            assert isinstance(error, ValueError)
            assert emulator.request_count() == sent_before, "a validation error sent a request"
        return

    user = client.identify(user_id, **kwargs)
    requests = emulator.requests()
    assert len(requests) == sent_before + 1
    wire = requests[-1]
    assert wire["method"] == expect["request"]["method"]
    assert wire["path"] == expect["request"]["path"]
    body = json.loads(wire["body"])
    assert same_json(body, expect["request"]["body"]), (body, expect["request"]["body"])
    want_user = expect["user"]
    assert user.user_id == want_user["user_id"]
    assert user.name == want_user.get("name")
    assert user.email == want_user.get("email")
    assert user.traits == want_user.get("traits", {})
