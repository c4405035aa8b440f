#!/usr/bin/env python3
"""Generate the conformance vectors in this directory.

    python3 tests/vectors/generate.py          # (re)write every *.json vector file
    python3 tests/vectors/generate.py --check  # exit 1 if the files on disk differ

The expectations below are written out by hand, case by case. Long strings are
built here so nobody has to type 1025 characters. Before anything is written,
`self_check` validates the shape of every case and replays it through a small
reference model of the client and the API; a hand-written expectation that
disagrees with the model stops the generator. See README.md for the format.

Standard library only, and deterministic: the same source gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
ORG_ID = "acme"
APP_ID = "web"
LIMIT = 1024
EMOJI = "\U0001F600"  # 😀: one Unicode scalar value, four UTF-8 bytes, two UTF-16 units.
ERROR_KINDS = ("validation", "api", "transport", "timeout", "config")
INPUT_KEYS = ("user_id", "name", "email", "timestamp", "traits", "unset")
FLOAT_MARKERS = ("NaN", "Infinity", "-Infinity")

MSG_USER_ID_REQUIRED = "userID is required"
MSG_USER_ID_TOO_LARGE = "userID too large (max 1024 characters)"
MSG_NAME_TOO_LARGE = "name too large (max 1024 characters)"
MSG_EMAIL_TOO_LARGE = "email too large (max 1024 characters)"
MSG_TRAIT_KEY_TOO_LARGE = "user trait key too large"
MSG_TRAIT_VALUE_TOO_LARGE = "user trait value too large (max 1024 characters)"
MSG_MALFORMED = "Malformed request"


# --- building blocks -------------------------------------------------------------------------


def encode_segment(user_id: str) -> str:
    """Percent-encode a user id as one path segment: only A-Z a-z 0-9 - . _ ~ stay as they are."""
    out = []
    for byte in user_id.encode("utf-8"):
        char = chr(byte)
        if byte < 0x80 and (char.isalnum() or char in "-._~"):
            out.append(char)
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def user_path(user_id: str) -> str:
    return f"/v1/orgs/{ORG_ID}/apps/{APP_ID}/users/{encode_segment(user_id)}"


def nan() -> dict:
    return {"$float": "NaN"}


def infinity() -> dict:
    return {"$float": "Infinity"}


def neg_infinity() -> dict:
    return {"$float": "-Infinity"}


def bigint(digits: str) -> dict:
    return {"$bigint": digits}


def success(user_id: str, body: dict, user: dict) -> dict:
    """An expected success: the one request on the wire, and the user the call returns."""
    return {
        "request": {"method": "PUT", "path": user_path(user_id), "body": body},
        "user": {"user_id": user_id, **user},
    }


def failure(kind: str, message: str, field: str) -> dict:
    error = {"kind": kind, "message": message, "field": field}
    text = error_text(kind, message, field)
    if text is not None:
        error["text"] = text
    return {"error": error}


def error_text(kind: str, message: str, field: str) -> str | None:
    """The error's whole text as every language shows it (Python str(), Node message, Go
    Error(), C lr_error_message, Rust Display). Only for errors without a detail: a detail
    names a value in the words of the caller's own language, so it differs between them."""
    if kind == "validation" and message != "Malformed request":
        return f"invalid input: {field}: {message}"
    return None


def case(
    name: str,
    description: str,
    input: dict,
    expect: dict,
    setup: list | None = None,
    wire_number_form: str | None = None,
) -> dict:
    out = {"name": name, "description": description}
    if setup is not None:
        out["setup"] = setup
    if wire_number_form is not None:
        out["wire_number_form"] = wire_number_form
    out["input"] = input
    out["expect"] = expect
    return out


# --- the vectors -----------------------------------------------------------------------------


def spec_example_cases() -> list:
    return [
        case(
            "spec-example",
            "The API documentation's example request and result: integer trait returned as a string.",
            {
                "user_id": "1234",
                "name": "John Smith",
                "email": "john@example.com",
                "traits": {"age": 43, "favoriteColor": "blue", "plan": "free"},
            },
            success(
                "1234",
                {
                    "name": "John Smith",
                    "email": "john@example.com",
                    "traits": {"age": 43, "favoriteColor": "blue", "plan": "free"},
                },
                {
                    "name": "John Smith",
                    "email": "john@example.com",
                    "traits": {"age": "43", "favoriteColor": "blue", "plan": "free"},
                },
            ),
        ),
    ]


def fields_cases() -> list:
    return [
        case(
            "bare-user-id-sends-empty-object",
            "A user id alone sends the body {} and creates a user with no name, email or traits.",
            {"user_id": "bare-1"},
            success("bare-1", {}, {"traits": {}}),
        ),
        case(
            "name-only-sends-only-name",
            "Only the keys given are sent: no email, timestamp or traits keys in the body.",
            {"user_id": "name-only-1", "name": "Ada Lovelace"},
            success("name-only-1", {"name": "Ada Lovelace"}, {"name": "Ada Lovelace", "traits": {}}),
        ),
        case(
            "email-only-sends-only-email",
            "Only the keys given are sent: no name, timestamp or traits keys in the body.",
            {"user_id": "email-only-1", "email": "ada@example.com"},
            success(
                "email-only-1",
                {"email": "ada@example.com"},
                {"email": "ada@example.com", "traits": {}},
            ),
        ),
        case(
            "null-unset-is-absent",
            "An unset of null is no unset at all, as null is for name, email, timestamp and traits: "
            "nothing is removed and no traits key is sent.",
            {"user_id": "null-unset-1", "name": "Ada Lovelace", "unset": None},
            success("null-unset-1", {"name": "Ada Lovelace"}, {"name": "Ada Lovelace", "traits": {}}),
        ),
    ]


def limit_cases() -> list:
    """Each limited string at exactly 1024 and at 1025 scalar values, in ASCII and in emoji."""
    cases = []
    variants = (("ascii", "ASCII characters", None), ("emoji", "emoji (4 UTF-8 bytes each)", EMOJI))
    for label, what, unit in variants:

        def text(count: int, ascii_char: str) -> str:
            return (unit or ascii_char) * count

        at = f"{LIMIT} {what}"
        over = f"{LIMIT + 1} {what}"

        uid = text(LIMIT, "u")
        cases.append(case(
            f"user-id-{LIMIT}-{label}-passes",
            f"A user id of exactly {at} is accepted and sent, percent-encoded.",
            {"user_id": uid},
            success(uid, {}, {"traits": {}}),
        ))
        cases.append(case(
            f"user-id-{LIMIT + 1}-{label}-too-large",
            f"A user id of {over} is rejected before sending.",
            {"user_id": text(LIMIT + 1, "u")},
            failure("validation", MSG_USER_ID_TOO_LARGE, "user_id"),
        ))

        name = text(LIMIT, "n")
        cases.append(case(
            f"name-{LIMIT}-{label}-passes",
            f"A name of exactly {at} is accepted and sent.",
            {"user_id": f"limit-name-{label}", "name": name},
            success(f"limit-name-{label}", {"name": name}, {"name": name, "traits": {}}),
        ))
        cases.append(case(
            f"name-{LIMIT + 1}-{label}-too-large",
            f"A name of {over} is rejected before sending.",
            {"user_id": f"limit-name-{label}", "name": text(LIMIT + 1, "n")},
            failure("validation", MSG_NAME_TOO_LARGE, "name"),
        ))

        email = text(LIMIT, "e")
        cases.append(case(
            f"email-{LIMIT}-{label}-passes",
            f"An email of exactly {at} is accepted and sent (the API checks length, not format).",
            {"user_id": f"limit-email-{label}", "email": email},
            success(f"limit-email-{label}", {"email": email}, {"email": email, "traits": {}}),
        ))
        cases.append(case(
            f"email-{LIMIT + 1}-{label}-too-large",
            f"An email of {over} is rejected before sending.",
            {"user_id": f"limit-email-{label}", "email": text(LIMIT + 1, "e")},
            failure("validation", MSG_EMAIL_TOO_LARGE, "email"),
        ))

        key = text(LIMIT, "k")
        cases.append(case(
            f"trait-key-{LIMIT}-{label}-passes",
            f"A trait key of exactly {at} is accepted and sent.",
            {"user_id": f"limit-trait-key-{label}", "traits": {key: "v"}},
            success(f"limit-trait-key-{label}", {"traits": {key: "v"}}, {"traits": {key: "v"}}),
        ))
        cases.append(case(
            f"trait-key-{LIMIT + 1}-{label}-too-large",
            f"A trait key of {over} is rejected before sending; the field is 'traits'.",
            {"user_id": f"limit-trait-key-{label}", "traits": {text(LIMIT + 1, "k"): "v"}},
            failure("validation", MSG_TRAIT_KEY_TOO_LARGE, "traits"),
        ))

        value = text(LIMIT, "v")
        cases.append(case(
            f"trait-value-{LIMIT}-{label}-passes",
            f"A string trait value of exactly {at} is accepted and sent.",
            {"user_id": f"limit-trait-value-{label}", "traits": {"bio": value}},
            success(
                f"limit-trait-value-{label}",
                {"traits": {"bio": value}},
                {"traits": {"bio": value}},
            ),
        ))
        cases.append(case(
            f"trait-value-{LIMIT + 1}-{label}-too-large",
            f"A string trait value of {over} is rejected before sending; the field names the trait.",
            {"user_id": f"limit-trait-value-{label}", "traits": {"bio": text(LIMIT + 1, "v")}},
            failure("validation", MSG_TRAIT_VALUE_TOO_LARGE, "traits.bio"),
        ))
    return cases


def trait_cases() -> list:
    return [
        case(
            "trait-string",
            "A string trait is sent as a string and returned unchanged.",
            {"user_id": "traits-1", "traits": {"plan": "free"}},
            success("traits-1", {"traits": {"plan": "free"}}, {"traits": {"plan": "free"}}),
        ),
        case(
            "trait-integer",
            "An integer trait is sent as a JSON integer and returned as its decimal string.",
            {"user_id": "traits-2", "traits": {"age": 43}},
            success("traits-2", {"traits": {"age": 43}}, {"traits": {"age": "43"}}),
        ),
        case(
            "trait-negative-integer",
            "A negative integer trait is sent as a JSON integer and returned with its sign.",
            {"user_id": "traits-3", "traits": {"balance": -7}},
            success("traits-3", {"traits": {"balance": -7}}, {"traits": {"balance": "-7"}}),
        ),
        case(
            "trait-max-safe-integer",
            "2^53-1, the largest integer every runner language holds exactly, is sent as an integer.",
            {"user_id": "traits-4", "traits": {"events": 9007199254740991}},
            success(
                "traits-4",
                {"traits": {"events": 9007199254740991}},
                {"traits": {"events": "9007199254740991"}},
            ),
        ),
        case(
            "trait-zero-and-false-are-sent",
            "Zero and false are values, not absence: both are sent and stored.",
            {"user_id": "traits-5", "traits": {"logins": 0, "verified": False}},
            success(
                "traits-5",
                {"traits": {"logins": 0, "verified": False}},
                {"traits": {"logins": "0", "verified": "false"}},
            ),
        ),
        case(
            "trait-boolean-true",
            "A boolean trait is sent as a JSON boolean and returned as \"true\".",
            {"user_id": "traits-6", "traits": {"beta": True}},
            success("traits-6", {"traits": {"beta": True}}, {"traits": {"beta": "true"}}),
        ),
        case(
            "trait-float",
            "A float trait is sent as a JSON float and returned in its shortest form.",
            {"user_id": "traits-7", "traits": {"revenue": 99.5}},
            success("traits-7", {"traits": {"revenue": 99.5}}, {"traits": {"revenue": "99.5"}}),
        ),
        case(
            "trait-floats-shortest-form",
            "Floats with no exact binary form come back as their shortest round-trip decimal.",
            {"user_id": "traits-8", "traits": {"price": 19.99, "delta": -0.25, "ratio": 0.1}},
            success(
                "traits-8",
                {"traits": {"price": 19.99, "delta": -0.25, "ratio": 0.1}},
                {"traits": {"price": "19.99", "delta": "-0.25", "ratio": "0.1"}},
            ),
        ),
        case(
            "trait-whole-float",
            "A whole float 2.0 is returned as \"2\", as JavaScript renders it; 2 or 2.0 on the wire.",
            {"user_id": "traits-9", "traits": {"multiplier": 2.0}},
            success("traits-9", {"traits": {"multiplier": 2.0}}, {"traits": {"multiplier": "2"}}),
            wire_number_form="any",
        ),
        case(
            "trait-bigint",
            "An integer outside 64 bits is sent as its decimal string and returned as that string.",
            {"user_id": "traits-10", "traits": {"lifetimeValue": bigint("123456789012345678901234567890")}},
            success(
                "traits-10",
                {"traits": {"lifetimeValue": "123456789012345678901234567890"}},
                {"traits": {"lifetimeValue": "123456789012345678901234567890"}},
            ),
        ),
        case(
            "trait-negative-bigint",
            "A negative integer outside 64 bits is sent as its decimal string, sign included.",
            {"user_id": "traits-11", "traits": {"debt": bigint("-123456789012345678901234567890")}},
            success(
                "traits-11",
                {"traits": {"debt": "-123456789012345678901234567890"}},
                {"traits": {"debt": "-123456789012345678901234567890"}},
            ),
        ),
        case(
            "trait-bigint-two-to-the-64",
            "2^64, the smallest positive integer outside both signed and unsigned 64 bits, is a string.",
            {"user_id": "traits-12", "traits": {"counter": bigint(str(2**64))}},
            success(
                "traits-12",
                {"traits": {"counter": "18446744073709551616"}},
                {"traits": {"counter": "18446744073709551616"}},
            ),
        ),
        case(
            "trait-blank-is-sent",
            "A blank string trait is sent as \"\" (remove); a user without that trait has none.",
            {"user_id": "traits-13", "traits": {"plan": ""}},
            success("traits-13", {"traits": {"plan": ""}}, {"traits": {}}),
        ),
        case(
            "trait-null-sent-as-blank",
            "A null trait value means remove and is sent as \"\".",
            {"user_id": "traits-14", "traits": {"plan": None, "seats": 3}},
            success("traits-14", {"traits": {"plan": "", "seats": 3}}, {"traits": {"seats": "3"}}),
        ),
        case(
            "unset-sent-as-blank-traits",
            "Each name in unset becomes a trait with value \"\" in the body.",
            {"user_id": "traits-15", "unset": ["plan", "trial"]},
            success("traits-15", {"traits": {"plan": "", "trial": ""}}, {"traits": {}}),
        ),
        case(
            "unset-beside-traits",
            "Unset names join the given traits in one traits object.",
            {"user_id": "traits-16", "traits": {"plan": "pro"}, "unset": ["legacy"]},
            success(
                "traits-16",
                {"traits": {"plan": "pro", "legacy": ""}},
                {"traits": {"plan": "pro"}},
            ),
        ),
    ]


def merge_cases() -> list:
    uid = "merge-1"
    seeded = [{"user_id": uid, "name": "Grace Hopper", "traits": {"plan": "pro", "seats": 3}}]
    return [
        case(
            "merge-blank-removes-trait",
            "A trait sent as \"\" is removed; the traits not in the request keep their values.",
            {"user_id": uid, "traits": {"plan": ""}},
            success(uid, {"traits": {"plan": ""}}, {"name": "Grace Hopper", "traits": {"seats": "3"}}),
            setup=seeded,
        ),
        case(
            "merge-null-removes-trait",
            "A null trait value removes the stored trait.",
            {"user_id": uid, "traits": {"plan": None}},
            success(uid, {"traits": {"plan": ""}}, {"name": "Grace Hopper", "traits": {"seats": "3"}}),
            setup=seeded,
        ),
        case(
            "merge-unset-removes-trait",
            "A trait named in unset is removed.",
            {"user_id": uid, "unset": ["plan"]},
            success(uid, {"traits": {"plan": ""}}, {"name": "Grace Hopper", "traits": {"seats": "3"}}),
            setup=seeded,
        ),
        case(
            "merge-absent-trait-kept",
            "A trait absent from the request keeps its previous value; new traits are added.",
            {"user_id": uid, "traits": {"region": "eu"}},
            success(
                uid,
                {"traits": {"region": "eu"}},
                {"name": "Grace Hopper", "traits": {"plan": "pro", "seats": "3", "region": "eu"}},
            ),
            setup=seeded,
        ),
        case(
            "merge-present-trait-overwritten",
            "A trait present in the request replaces the stored value.",
            {"user_id": uid, "traits": {"plan": "enterprise", "seats": 10}},
            success(
                uid,
                {"traits": {"plan": "enterprise", "seats": 10}},
                {"name": "Grace Hopper", "traits": {"plan": "enterprise", "seats": "10"}},
            ),
            setup=seeded,
        ),
        case(
            "merge-bare-user-id-keeps-everything",
            "A request with only the user id sends {} and changes nothing stored.",
            {"user_id": uid},
            success(uid, {}, {"name": "Grace Hopper", "traits": {"plan": "pro", "seats": "3"}}),
            setup=seeded,
        ),
        case(
            "merge-absent-name-kept",
            "A name absent from the request keeps its previous value while the email is set.",
            {"user_id": uid, "email": "grace@example.com"},
            success(
                uid,
                {"email": "grace@example.com"},
                {
                    "name": "Grace Hopper",
                    "email": "grace@example.com",
                    "traits": {"plan": "pro", "seats": "3"},
                },
            ),
            setup=seeded,
        ),
    ]


def invalid_value_cases() -> list:
    def malformed(name: str, description: str, value) -> dict:
        return case(
            name,
            description,
            {"user_id": "invalid-1", "traits": {"profile": value}},
            failure("validation", MSG_MALFORMED, "traits.profile"),
        )

    return [
        malformed("trait-nested-object", "A nested object as a trait value is rejected.", {"city": "Paris"}),
        malformed("trait-empty-object", "An empty object as a trait value is rejected.", {}),
        malformed("trait-array", "An array as a trait value is rejected.", ["a", "b"]),
        malformed("trait-empty-array", "An empty array as a trait value is rejected.", []),
        malformed("trait-nan", "NaN as a trait value is rejected.", nan()),
        malformed("trait-infinity", "Infinity as a trait value is rejected.", infinity()),
        malformed("trait-negative-infinity", "-Infinity as a trait value is rejected.", neg_infinity()),
        case(
            "trait-invalid-beside-valid",
            "One bad trait rejects the whole request, and the field names that trait.",
            {"user_id": "invalid-2", "name": "Valid Name", "traits": {"plan": "pro", "tags": [1, 2]}},
            failure("validation", MSG_MALFORMED, "traits.tags"),
        ),
    ]


def user_id_cases() -> list:
    def encoded(name: str, user_id: str, path_segment: str, description: str) -> dict:
        # The hand-written segment is the expectation; self_check compares it with the encoder.
        expect = success(user_id, {}, {"traits": {}})
        expect["request"]["path"] = f"/v1/orgs/{ORG_ID}/apps/{APP_ID}/users/{path_segment}"
        return case(name, description, {"user_id": user_id}, expect)

    return [
        encoded("user-id-slash", "a/b", "a%2Fb", "A slash is encoded, so the id stays one path segment."),
        encoded("user-id-at-sign", "x@y.com", "x%40y.com", "An email-like id encodes '@'."),
        encoded("user-id-space", "a b", "a%20b", "A space is encoded as %20, never '+'."),
        encoded("user-id-plus", "a+b", "a%2Bb", "A plus sign is encoded, so no server reads it as a space."),
        encoded("user-id-question-mark", "what?", "what%3F", "'?' is encoded, so it does not start a query."),
        encoded("user-id-hash", "a#b", "a%23b", "'#' is encoded, so it does not start a fragment."),
        encoded("user-id-percent", "100%", "100%25", "'%' itself is encoded, so ids never decode twice."),
        encoded("user-id-non-ascii", "jos\u00e9", "jos%C3%A9", "Non-ASCII is UTF-8 encoded first, uppercase hex."),
        encoded("user-id-emoji", f"fan-{EMOJI}", "fan-%F0%9F%98%80", "A 4-byte emoji becomes four %XX escapes."),
        encoded(
            "user-id-unreserved-unchanged",
            "user-42_v.2~x",
            "user-42_v.2~x",
            "Letters, digits and - . _ ~ are sent as they are.",
        ),
        encoded("user-id-three-dots", "...", "...", "Only '.' and '..' are dot segments: '...' is an id like any other."),
        case(
            "user-id-dot",
            "'.' is refused before sending: as a path segment it names the users collection itself.",
            {"user_id": "."},
            failure("validation", MSG_MALFORMED, "user_id"),
        ),
        case(
            "user-id-dot-dot",
            "'..' is refused before sending: a proxy or server would resolve it to the app's path.",
            {"user_id": ".."},
            failure("validation", MSG_MALFORMED, "user_id"),
        ),
    ]


def timestamp_cases() -> list:
    return [
        case(
            "timestamp-sent-as-given",
            "An integer Unix-millisecond timestamp is sent exactly as given.",
            {"user_id": "ts-1", "timestamp": 1700000000000},
            success("ts-1", {"timestamp": 1700000000000}, {"traits": {}}),
        ),
        case(
            "timestamp-keeps-milliseconds",
            "Milliseconds survive: the timestamp is not rounded to seconds.",
            {"user_id": "ts-2", "name": "Alan Turing", "timestamp": 1700000000123, "traits": {"plan": "free"}},
            success(
                "ts-2",
                {"name": "Alan Turing", "timestamp": 1700000000123, "traits": {"plan": "free"}},
                {"name": "Alan Turing", "traits": {"plan": "free"}},
            ),
        ),
    ]


def required_cases() -> list:
    return [
        case(
            "user-id-empty",
            "An empty user id is rejected before sending.",
            {"user_id": ""},
            failure("validation", MSG_USER_ID_REQUIRED, "user_id"),
        ),
        case(
            "user-id-empty-with-fields",
            "An empty user id is rejected even when every other field is valid.",
            {"user_id": "", "name": "John Smith", "traits": {"plan": "free"}},
            failure("validation", MSG_USER_ID_REQUIRED, "user_id"),
        ),
    ]


FILES = {
    "spec_example.json": (
        "The example request and result from the API documentation.",
        spec_example_cases,
    ),
    "fields.json": (
        "Which top-level keys go on the wire: only the ones given; a bare user id sends {}.",
        fields_cases,
    ),
    "limits.json": (
        "The 1024-character limit on user id, name, email, trait key and trait value, counted in "
        "Unicode scalar values: 1024 passes, 1025 is a validation error, in ASCII and in emoji.",
        limit_cases,
    ),
    "traits.json": (
        "Trait value types on the wire and in the result: strings, integers, floats, booleans, "
        "integers beyond 64 bits, and removal by blank, null or unset.",
        trait_cases,
    ),
    "merge.json": (
        "Merge semantics across requests to one user: absent fields kept, present ones replaced, "
        "blank, null or unset removes.",
        merge_cases,
    ),
    "invalid_values.json": (
        "Trait values the API cannot store: nested objects, arrays, NaN and infinities are "
        "'Malformed request' validation errors and nothing is sent.",
        invalid_value_cases,
    ),
    "user_ids.json": (
        "User ids are percent-encoded as one path segment (UTF-8, uppercase hex; only A-Z a-z 0-9 "
        "- . _ ~ left as is) and come back decoded.",
        user_id_cases,
    ),
    "timestamps.json": (
        "The timestamp is Unix milliseconds, sent exactly as given.",
        timestamp_cases,
    ),
    "required.json": (
        "The user id is required: an empty one is a validation error.",
        required_cases,
    ),
}


# --- self check: shapes, uniqueness, and a reference model -----------------------------------


class VectorError(Exception):
    pass


def require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise VectorError(f"{where}: {message}")


def is_marker(value) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("$float", "$bigint")


def given(inp: dict) -> dict:
    """The input without its keys set to null: an optional key that is null is absent."""
    return {key: value for key, value in inp.items() if value is not None}


def model_error(inp: dict):
    """The client's validation, in the order the client applies it: (message, field) or None."""
    inp = given(inp)
    user_id = inp["user_id"]
    if user_id == "":
        return MSG_USER_ID_REQUIRED, "user_id"
    if len(user_id) > LIMIT:  # len() of a Python str counts Unicode scalar values.
        return MSG_USER_ID_TOO_LARGE, "user_id"
    if user_id in (".", ".."):  # dot segments: a proxy or server would resolve them
        return MSG_MALFORMED, "user_id"
    if len(inp.get("name", "")) > LIMIT:
        return MSG_NAME_TOO_LARGE, "name"
    if len(inp.get("email", "")) > LIMIT:
        return MSG_EMAIL_TOO_LARGE, "email"
    for key, value in inp.get("traits", {}).items():
        if len(key) > LIMIT:
            return MSG_TRAIT_KEY_TOO_LARGE, "traits"
        if isinstance(value, dict) and "$float" in value and is_marker(value):
            return MSG_MALFORMED, f"traits.{key}"
        if isinstance(value, (dict, list)) and not is_marker(value):
            return MSG_MALFORMED, f"traits.{key}"
        if isinstance(value, str) and len(value) > LIMIT:
            return MSG_TRAIT_VALUE_TOO_LARGE, f"traits.{key}"
    for key in inp.get("unset", []):
        if len(key) > LIMIT:
            return MSG_TRAIT_KEY_TOO_LARGE, "traits"
    return None


def model_wire_value(value):
    if value is None:
        return ""
    if is_marker(value):
        return value["$bigint"]
    return value


def model_body(inp: dict) -> dict:
    inp = given(inp)
    body = {}
    for key in ("name", "email", "timestamp"):
        if key in inp:
            body[key] = inp[key]
    if "traits" in inp or "unset" in inp:
        traits = {key: model_wire_value(value) for key, value in inp.get("traits", {}).items()}
        for key in inp.get("unset", []):
            traits[key] = ""
        body["traits"] = traits
    return body


def js_string(value) -> str:
    """How the API (JavaScript) renders a wire value when it stores it as a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        text = repr(value)
        require("e" not in text, "model", f"keep floats out of exponent form: {text}")
        return text
    return value


def model_apply(users: dict, inp: dict) -> dict:
    body = model_body(inp)
    user = users.setdefault(inp["user_id"], {"traits": {}})
    for key in ("name", "email"):
        if key in body:
            user[key] = body[key]
    for key, value in body.get("traits", {}).items():
        if value == "":
            user["traits"].pop(key, None)
        else:
            user["traits"][key] = js_string(value)
    result = {"user_id": inp["user_id"]}
    for key in ("name", "email"):
        if key in user:
            result[key] = user[key]
    result["traits"] = dict(user["traits"])
    return result


def same(a, b, strict_numbers: bool) -> bool:
    """JSON equality; numbers by value, and by form (integer or float) unless told otherwise."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b and (not strict_numbers or type(a) is type(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], strict_numbers) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, strict_numbers) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def check_input(inp, where: str) -> None:
    require(isinstance(inp, dict), where, "an input is an object")
    require(set(inp) <= set(INPUT_KEYS), where, f"unknown input keys {sorted(set(inp) - set(INPUT_KEYS))}")
    require(isinstance(inp.get("user_id"), str), where, "user_id is a string")
    for key in ("name", "email"):
        require(key not in inp or isinstance(inp[key], str), where, f"{key} is a string")
    if "timestamp" in inp:
        ts = inp["timestamp"]
        require(isinstance(ts, int) and not isinstance(ts, bool), where, "timestamp is an integer")
        require(abs(ts) <= 2**53 - 1, where, "timestamp fits every runner language exactly")
    if inp.get("unset") is not None:
        require(isinstance(inp["unset"], list), where, "unset is a list")
        require(all(isinstance(k, str) for k in inp["unset"]), where, "unset holds trait names")
    for key, value in inp.get("traits", {}).items():
        if isinstance(value, int) and not isinstance(value, bool):
            require(abs(value) <= 2**53 - 1, where, f"trait {key}: plain integers stay within 2^53-1")
        if is_marker(value):
            kind, text = next(iter(value.items()))
            require(isinstance(text, str), where, f"trait {key}: marker payload is a string")
            if kind == "$float":
                require(text in FLOAT_MARKERS, where, f"trait {key}: $float is one of {FLOAT_MARKERS}")
            else:
                require(re.fullmatch(r"-?[1-9][0-9]*", text) is not None, where, "$bigint is decimal")
                number = int(text)
                require(number < -(2**63) or number > 2**64 - 1, where, "$bigint is outside 64 bits")


def check_case(case_: dict, where: str) -> None:
    allowed = {"name", "description", "setup", "wire_number_form", "input", "expect"}
    require(set(case_) <= allowed, where, f"unknown case keys {sorted(set(case_) - allowed)}")
    require(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", case_["name"]) is not None, where, "kebab-case name")
    require(isinstance(case_.get("description"), str) and case_["description"], where, "a description")
    require(case_.get("wire_number_form", "exact") in ("exact", "any"), where, "wire_number_form")
    for i, step in enumerate(case_.get("setup", [])):
        check_input(step, f"{where} setup[{i}]")
        require(model_error(step) is None, f"{where} setup[{i}]", "a setup step must succeed")
    check_input(case_["input"], where)

    expect = case_["expect"]
    keys = set(expect)
    require(keys in ({"request", "user"}, {"error"}), where, "expect is request+user or error")
    users: dict = {}
    for step in case_.get("setup", []):
        model_apply(users, step)
    predicted_error = model_error(case_["input"])

    if keys == {"error"}:
        error = expect["error"]
        require(set(error) - {"text"} == {"kind", "message", "field"}, where,
                "error has kind, message, field, and optionally text")
        require(error.get("text") == error_text(error["kind"], error["message"], error["field"]),
                where, "text is the error's whole text where it has no detail")
        require(error["kind"] in ERROR_KINDS, where, f"error kind is one of {ERROR_KINDS}")
        if error["kind"] == "validation":
            require(predicted_error == (error["message"], error["field"]), where,
                    f"model predicts {predicted_error}")
        return

    require(predicted_error is None, where, f"model predicts error {predicted_error}")
    request = expect["request"]
    require(set(request) == {"method", "path", "body"}, where, "request has method, path, body")
    require(request["method"] == "PUT", where, "method is PUT")
    user_id = case_["input"]["user_id"]
    require(request["path"] == user_path(user_id), where, f"path is {user_path(user_id)}")
    require(encode_segment(user_id) == quote(user_id, safe=""), where, "encoder agrees with urllib")
    strict = case_.get("wire_number_form", "exact") == "exact"
    require(same(request["body"], model_body(case_["input"]), strict), where,
            f"body differs from model: {model_body(case_['input'])}")
    user = expect["user"]
    require(set(user) <= {"user_id", "name", "email", "traits"}, where, "user keys")
    require("user_id" in user and "traits" in user, where, "user has user_id and traits")
    require(all(isinstance(v, str) for v in user["traits"].values()), where, "user traits are strings")
    predicted_user = model_apply(users, case_["input"])
    require(same(user, predicted_user, True), where, f"user differs from model: {predicted_user}")


def self_check(documents: dict) -> int:
    seen: dict = {}
    total = 0
    for filename, document in documents.items():
        require(set(document) == {"description", "org_id", "app_id", "cases"}, filename, "file keys")
        require(len(document["cases"]) > 0, filename, "at least one case")
        for index, case_ in enumerate(document["cases"]):
            where = f"{filename} case {index} ({case_.get('name')})"
            require(case_["name"] not in seen, where, f"name also used in {seen.get(case_['name'])}")
            seen[case_["name"]] = filename
            check_case(case_, where)
            total += 1
    return total


# --- output ----------------------------------------------------------------------------------


def build() -> dict:
    return {
        filename: {"description": description, "org_id": ORG_ID, "app_id": APP_ID, "cases": make()}
        for filename, (description, make) in FILES.items()
    }


def render(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the files on disk differ")
    args = parser.parse_args()

    documents = build()
    try:
        total = self_check(documents)
    except VectorError as error:
        print(f"vector self-check failed: {error}", file=sys.stderr)
        return 1
    rendered = {filename: render(document) for filename, document in documents.items()}

    if args.check:
        problems = []
        for filename, text in rendered.items():
            path = HERE / filename
            if not path.exists():
                problems.append(f"{filename}: missing")
            elif path.read_bytes() != text.encode("utf-8"):
                problems.append(f"{filename}: differs from what generate.py writes")
        for path in sorted(HERE.glob("*.json")):
            if path.name not in rendered:
                problems.append(f"{path.name}: not produced by generate.py")
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run: python3 tests/vectors/generate.py", file=sys.stderr)
            return 1
        print(f"{len(rendered)} vector files, {total} cases: up to date")
        return 0

    for filename, text in rendered.items():
        (HERE / filename).write_bytes(text.encode("utf-8"))
    print(f"wrote {len(rendered)} vector files, {total} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
