"""Every case of tests/vectors/hostile/hostile.json through the Python API, end to end against
the emulator: success with the exact wire body and user, or the typed LogRocketError with its
kind, message and field. Never another exception, never a crash.

Inputs are what a Python caller would pass: keyword arguments holding str, int (of any size),
float, bool, None, dict and list. A lone surrogate is a str holding one; bytes that are not UTF-8
are what Python makes of them (``bytes.decode("utf-8", "surrogateescape")``, as ``os.fsdecode``
and ``sys.argv`` do).
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any, Optional

import pytest

import logrocket_identify as lr
from logrocket_identify.testing import Emulator

CORPUS = Path(__file__).resolve().parents[3] / "tests" / "vectors" / "hostile" / "hostile.json"
DOC = json.loads(CORPUS.read_text(encoding="utf-8"))
CASES = [pytest.param(case, id=case["name"]) for case in DOC["cases"]]


def test_the_corpus_is_there() -> None:
    assert len(CASES) >= 100


# --- expanding the corpus's generators into Python values -------------------------------------


def big_int(digits: str) -> int:
    """int(digits) without str-to-int's 4,300-digit limit (the corpus goes past it)."""
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("-")
    value = 0
    for start in range(0, len(digits), 1000):
        chunk = digits[start : start + 1000]
        value = value * 10 ** len(chunk) + int(chunk)
    return sign * value


GENERATORS = {
    "$repeat": {"$repeat", "times"},
    "$utf16": {"$utf16"},
    "$bytes": {"$bytes"},
    "$concat": {"$concat"},
    "$nest": {"$nest", "depth", "leaf"},
    "$int": {"$int"},
    "$float": {"$float"},
    "$names": {"$names"},
}


def generator(spec: Any) -> Optional[str]:
    """Which generator `spec` is: an object with exactly one generator's keys, else None."""
    if isinstance(spec, dict):
        for name, keys in GENERATORS.items():
            if spec.keys() == keys:
                return name
    return None


def text(spec: Any) -> Optional[str]:
    if isinstance(spec, str):
        return spec
    kind = generator(spec)
    if kind == "$repeat":
        return str(spec["$repeat"]) * int(spec["times"])
    if kind == "$utf16":
        units = spec["$utf16"]
        return struct.pack(f"<{len(units)}H", *units).decode("utf-16-le", "surrogatepass")
    if kind == "$bytes":
        return bytes.fromhex(spec["$bytes"]).decode("utf-8", "surrogateescape")
    if kind == "$concat":
        return "".join(text(part) or "" for part in spec["$concat"])
    return None


def value(spec: Any) -> Any:
    as_text = text(spec)
    if as_text is not None:
        return as_text
    if isinstance(spec, list):
        return [value(item) for item in spec]
    if not isinstance(spec, dict):
        return spec
    kind = generator(spec)
    if kind == "$nest":
        out = value(spec["leaf"])
        for _ in range(spec["depth"]):
            out = [out] if spec["$nest"] == "array" else {"n": out}
        return out
    if kind == "$int":
        return big_int(spec["$int"])
    if kind == "$float":
        return float(spec["$float"])  # "NaN", "Infinity", "-Infinity"
    if kind == "$names":
        prefix = text(spec["$names"]["key"])
        return [f"{prefix}{i}" for i in range(spec["$names"]["count"])]
    out: dict[Any, Any] = {}
    for key, member in spec.items():
        if key == "$many":
            prefix, item = text(member["key"]), value(member["value"])
            for i in range(member["count"]):
                out[f"{prefix}{i}"] = item
        elif key == "$entries":
            for entry_key, entry_value in member:
                out[text(entry_key)] = value(entry_value)
        else:
            out[key] = value(member)
    return out


def same_json(a: Any, b: Any) -> bool:
    """JSON equality; numbers by value (2 == 2.0), booleans only equal booleans."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and bool(a == b)


def short(obj: Any) -> str:
    shown = repr(obj)
    return shown if len(shown) <= 300 else f"{shown[:300]}... ({len(shown)} characters)"


# --- running a case ---------------------------------------------------------------------------


def client_for(emulator: Emulator, case: dict[str, Any]) -> lr.Client:
    config = case.get("config", {})
    api_key = text(config["api_key"]) if "api_key" in config else emulator.api_key
    return lr.Client(
        api_key=api_key,
        org_id=DOC["org_id"],
        app_id=DOC["app_id"],
        base_url=emulator.url,
        max_retries=0,
        proxy_from_env=False,
    )


def check_error(error: BaseException, want: dict[str, Any], sent: int) -> None:
    # Never a raw exception: a typed error of the library, of the expected kind.
    assert isinstance(error, lr.LogRocketError), f"raw {type(error).__name__}: {short(str(error))}"
    got = (error.kind, error.message, getattr(error, "field", None))
    assert got == (want["kind"], want["message"], want.get("field")), f"got {short(got)}, expected {short(want)}"
    if "text" in want:
        assert str(error) == want["text"]
    if want["kind"] == "validation":
        assert isinstance(error, lr.ValidationError)
        assert sent == 0, "a validation error sent a request"


@pytest.mark.parametrize("case", CASES)
def test_hostile(emulator: Emulator, case: dict[str, Any]) -> None:
    rule = case.get("languages", {}).get("python", {})
    if "skip" in rule:
        pytest.skip(rule["skip"])
    want = value(rule.get("expect", case["expect"]))
    spec = case["input"]

    outcome: Any
    try:
        client = client_for(emulator, case)
        kwargs = {key: value(member) for key, member in spec.items() if key != "user_id"}
        outcome = client.identify(value(spec["user_id"]), **kwargs)
    except Exception as error:  # noqa: BLE001 - judged below: only typed errors pass
        outcome = error
    sent = emulator.request_count()

    if "error" in want:
        assert isinstance(outcome, BaseException), f"succeeded, expected {short(want['error'])}"
        check_error(outcome, want["error"], sent)
        return
    if isinstance(outcome, BaseException):
        pytest.fail(f"{type(outcome).__name__}: {short(str(outcome))}, expected success")
    assert sent == 1, f"{sent} requests sent"
    wire = emulator.requests()[-1]
    request = want["request"]
    assert (wire["method"], wire["path"]) == (request["method"], request["path"])
    body = json.loads(wire["body"])
    assert same_json(body, request["body"]), f"body {short(body)}, expected {short(request['body'])}"
    user = want["user"]
    assert outcome.user_id == user["user_id"]
    assert outcome.name == user.get("name")
    assert outcome.email == user.get("email")
    assert outcome.traits == user.get("traits", {})
