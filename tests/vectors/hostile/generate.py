#!/usr/bin/env python3
"""Generate the hostile-input corpus, tests/vectors/hostile/hostile.json.

    python3 tests/vectors/hostile/generate.py          # (re)write hostile.json
    python3 tests/vectors/hostile/generate.py --check  # exit 1 if hostile.json differs

The inputs are written out below, case by case. The expected outcomes are not: they are
recorded by running every input through the Rust core against the emulator
(crates/logrocket-identify/tests/hostile.rs, test `record_hostile_outcomes`, which this script
runs with cargo), then written back compactly (long repeated strings as `$repeat`, runs of
numbered traits as `$many`). So this script needs cargo; see README.md for the format.

Deterministic: the same source and the same core give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
OUTPUT = HERE / "hostile.json"
ORG_ID = "acme"
APP_ID = "web"
MIB = 1024 * 1024
EMOJI = "\U0001F600"

LANGUAGES = ("rust", "python", "node", "c", "go")
CATEGORIES = {
    "deep-nesting": "Values nested far deeper than any parser's comfort, as trait values and in every field",
    "huge-strings": "Strings and keys up to 1 MiB (and 4 MiB of UTF-8) in every field; limits counted in characters",
    "many-traits": "100,000 traits in one request",
    "control-characters": "NUL, C0 and C1 controls, line and paragraph separators, BOM, bidi overrides, noncharacters",
    "lone-surrogates": "UTF-16 surrogates without their pair in every string field",
    "invalid-utf8": "Byte strings that are not UTF-8 in every string field",
    "numbers": "Huge, tiny, negative and boundary numbers as trait values and timestamps",
    "nan-infinity": "NaN and the infinities wherever a number or a value may go",
    "wrong-types": "A value of the wrong JSON type in every field, and an unknown field",
    "user-ids": "Empty and whitespace ids, dot segments and characters that mean something in a URL",
    "headers": "Very long and malformed values for the HTTP headers a caller controls (API key, user agent)",
}


# --- generators: compact descriptions of inputs each runner expands ---------------------------


def rep(unit: str, times: int) -> dict:
    """A string: `unit` repeated `times` times."""
    return {"$repeat": unit, "times": times}


def nest(kind: str, depth: int, leaf=1) -> dict:
    """`leaf` wrapped `depth` times in an array (`[leaf]`) or an object (`{"n": leaf}`)."""
    return {"$nest": kind, "depth": depth, "leaf": leaf}


def utf16(*units: int) -> dict:
    """A string given as UTF-16 code units: how a lone surrogate is written portably."""
    return {"$utf16": list(units)}


def raw(hex_bytes: str) -> dict:
    """A string given as its bytes (hex), which are not UTF-8."""
    return {"$bytes": hex_bytes.replace(" ", "")}


def int_(value: int | str) -> dict:
    """An integer of any size, as decimal text (JSON numbers beyond 2^53 do not survive every parser)."""
    return {"$int": value if isinstance(value, str) else str(value)}


def flt(name: str) -> dict:
    return {"$float": name}


def many(count: int, key: str, value) -> dict:
    """Traits `key0` .. `key{count-1}`, all with `value`: the member `"$many"` of a traits object."""
    return {"count": count, "key": key, "value": value}


def names(count: int, key: str) -> dict:
    """A list of strings `key0` .. `key{count-1}` (for unset)."""
    return {"$names": {"count": count, "key": key}}


def concat(*parts) -> dict:
    """A string: the parts (strings or string generators) one after the other."""
    return {"$concat": list(parts)}


def hc(name: str, category: str, description: str, input: dict, *, config: dict | None = None,
       languages: dict | None = None, known_issue: dict | None = None) -> dict:
    out = {"name": name, "category": category, "description": description}
    if config is not None:
        out["config"] = config
    out["input"] = input
    if languages is not None:
        out["languages"] = languages
    if known_issue is not None:
        out["known_issue"] = known_issue
    return out


# A known core issue, `known_issue={"json_text": why}` on a case: the core's JSON text reader
# (IdentifyRequest::from_json_str) answers differently from its JSON value reader, whose answer the
# expectation is. Runners that send the case as JSON text expect the difference, and fail once it is
# gone, so that the entry is removed. None is open.


# --- the cases ---------------------------------------------------------------------------------

TYPED_ID = (
    "{lang}'s API takes the user id as a string and does not turn a number into one, as the JSON "
    "input form (JSON Lines, CSV imports) does: the number is a value of the wrong type."
)


def wrong_type_override(field: str, lang_note: str) -> dict:
    return {
        "expect": {"error": {"kind": "validation", "message": "Malformed request", "field": field}},
        "why": lang_note,
    }


def deep_nesting() -> list:
    c = "deep-nesting"
    return [
        hc("nest-array-depth-2", c, "An array in an array as a trait value is refused, naming the trait.",
           {"user_id": "nest-1", "traits": {"deep": [[1]]}}),
        hc("nest-object-depth-2", c, "An object in an object as a trait value is refused, naming the trait.",
           {"user_id": "nest-2", "traits": {"deep": {"a": {"b": 1}}}}),
        hc("nest-array-depth-127", c, "127 nested arrays: just inside serde_json's default recursion limit.",
           {"user_id": "nest-3", "traits": {"deep": nest("array", 127)}}),
        hc("nest-array-depth-129", c, "129 nested arrays: just past serde_json's default recursion limit.",
           {"user_id": "nest-4", "traits": {"deep": nest("array", 129)}}),
        hc("nest-object-depth-1000", c, "1,000 nested objects: past Python's default recursion limit.",
           {"user_id": "nest-5", "traits": {"deep": nest("object", 1000)}}),
        hc("nest-array-depth-100000", c, "100,000 nested arrays: no recursion anywhere may follow them.",
           {"user_id": "nest-6", "traits": {"deep": nest("array", 100_000)}}),
        hc("nest-object-depth-100000", c, "100,000 nested objects: no recursion anywhere may follow them.",
           {"user_id": "nest-7", "traits": {"deep": nest("object", 100_000, "leaf")}}),
        hc("nest-deep-among-good-traits", c, "A deep value among valid traits: the error names the bad trait only.",
           {"user_id": "nest-8", "traits": {"a": "x", "deep": nest("array", 10_000), "z": 1}}),
        hc("nest-empty-array-at-depth", c, "Empty arrays nested 1,000 deep hold no value at all, and are still refused.",
           {"user_id": "nest-9", "traits": {"deep": nest("array", 1000, [])}}),
        hc("nest-as-name", c, "A name that is 10,000 nested arrays is a wrong type: name, Malformed request.",
           {"user_id": "nest-10", "name": nest("array", 10_000)}),
        hc("nest-as-email", c, "An email that is 10,000 nested objects is a wrong type.",
           {"user_id": "nest-11", "email": nest("object", 10_000)}),
        hc("nest-as-user-id", c, "A user id that is 10,000 nested objects is a wrong type.",
           {"user_id": nest("object", 10_000, "u")}),
        hc("nest-as-timestamp", c, "A timestamp that is 1,000 nested arrays is a wrong type.",
           {"user_id": "nest-13", "timestamp": nest("array", 1000, 1700000000000)}),
        hc("nest-as-traits", c, "Traits given as 10,000 nested arrays instead of an object.",
           {"user_id": "nest-14", "traits": nest("array", 10_000)}),
        hc("nest-in-unset", c, "An unset list whose entry is 10,000 nested arrays.",
           {"user_id": "nest-15", "unset": [nest("array", 10_000, "plan")]}),
    ]


def huge_strings() -> list:
    c = "huge-strings"
    combining = "e\u0301"  # two scalar values, one grapheme
    return [
        hc("huge-user-id-1mib", c, "A 1 MiB user id is refused before sending: userID too large.",
           {"user_id": rep("u", MIB)}),
        hc("huge-name-1mib", c, "A 1 MiB name is refused before sending.",
           {"user_id": "huge-1", "name": rep("n", MIB)}),
        hc("huge-email-1mib", c, "A 1 MiB email is refused before sending.",
           {"user_id": "huge-2", "email": rep("e", MIB)}),
        hc("huge-trait-value-1mib", c, "A 1 MiB trait value is refused, naming the trait.",
           {"user_id": "huge-3", "traits": {"bio": rep("v", MIB)}}),
        hc("huge-trait-key-1mib", c, "A 1 MiB trait key is refused; the field is 'traits' (the key is too long to quote).",
           {"user_id": "huge-4", "traits": {"$entries": [[rep("k", MIB), "v"]]}}),
        hc("huge-unset-key-1mib", c, "A 1 MiB trait name to unset is refused like a trait key.",
           {"user_id": "huge-5", "unset": [rep("k", MIB)]}),
        hc("huge-name-emoji-4mib", c, "A name of 1 Mi emoji (4 MiB of UTF-8) is refused before sending.",
           {"user_id": "huge-6", "name": rep(EMOJI, MIB)}),
        hc("huge-user-id-emoji-1mib", c, "A user id of 256 Ki emoji is refused, counting characters.",
           {"user_id": rep(EMOJI, MIB // 4)}),
        hc("huge-name-1024-combining", c, "512 'e' + combining acute: 1,024 scalar values (512 graphemes) passes.",
           {"user_id": "huge-7", "name": rep(combining, 512)}),
        hc("huge-name-1026-combining", c, "513 'e' + combining acute: 1,026 scalar values is too large, though 513 graphemes.",
           {"user_id": "huge-8", "name": rep(combining, 513)}),
        hc("huge-name-zalgo-1024", c, "One letter and 1,023 combining marks: 1,024 scalar values passes.",
           {"user_id": "huge-9", "name": "Z" + "\u0336" * 1023}),
        hc("huge-trait-value-1024-cjk", c, "1,024 three-byte CJK characters pass: characters, not bytes, are counted.",
           {"user_id": "huge-10", "traits": {"bio": rep("\u4e2d", 1024)}}),
        hc("huge-trait-value-1025-cjk", c, "1,025 three-byte CJK characters are too large.",
           {"user_id": "huge-11", "traits": {"bio": rep("\u4e2d", 1025)}}),
        hc("huge-email-1025-nul", c, "1,025 NUL characters are too large: NUL counts like any character.",
           {"user_id": "huge-12", "email": rep("\u0000", 1025)}),
        hc("huge-100-traits-at-limit", c, "100 traits whose keys and values are 1,024 characters each all pass.",
           {"user_id": "huge-13", "traits": {"$many": many(100, rep("k", 1020), rep("v", 1024))}}),
    ]


def many_traits() -> list:
    c = "many-traits"
    n = 100_000
    return [
        hc("many-100000-string-traits", c, "100,000 string traits are sent in one body and stored.",
           {"user_id": "many-1", "traits": {"$many": many(n, "t", "v")}}),
        hc("many-100000-unset", c, "100,000 names to unset become 100,000 blank traits.",
           {"user_id": "many-2", "unset": names(n, "old")}),
        hc("many-100000-one-nan", c, "One NaN among 100,000 valid traits: refused, naming it; nothing sent.",
           {"user_id": "many-3", "traits": {"$many": many(n, "t", "v"), "zzz": flt("NaN")}}),
        hc("many-100000-one-nested", c, "One nested value among 100,000 valid traits is refused.",
           {"user_id": "many-4", "traits": {"$many": many(n, "t", True), "zzz": {"a": 1}}}),
        hc("many-10000-integer-traits", c, "10,000 integer traits are sent as integers and stored as strings.",
           {"user_id": "many-5", "traits": {"$many": many(10_000, "n", 7)}}),
        hc("many-10000-null-traits", c, "10,000 null traits are each sent as \"\" (remove); the user has no traits.",
           {"user_id": "many-6", "traits": {"$many": many(10_000, "gone", None)}}),
        hc("many-10000-one-too-long", c, "One value of 1,025 characters among 10,000 valid traits is refused.",
           {"user_id": "many-7", "traits": {"$many": many(10_000, "t", 1), "zzz": rep("v", 1025)}}),
    ]


def control_characters() -> list:
    c = "control-characters"
    c0 = "".join(chr(i) for i in range(1, 32))
    c1 = "".join(chr(i) for i in range(0x80, 0xA0))
    return [
        hc("ctl-name-nul", c, "A name that is one NUL is sent as \\u0000 and stored as is.",
           {"user_id": "ctl-1", "name": "\u0000"}),
        hc("ctl-name-nul-inside", c, "A NUL inside a name does not cut it short.",
           {"user_id": "ctl-2", "name": "Ada\u0000Lovelace"}),
        hc("ctl-email-nul-inside", c, "A NUL inside an email does not cut it short.",
           {"user_id": "ctl-3", "email": "a\u0000@example.com"}),
        hc("ctl-user-id-nul", c, "A user id holding NUL is percent-encoded (%00) into one segment.",
           {"user_id": "a\u0000b"}),
        hc("ctl-trait-key-nul", c, "A trait key holding NUL is sent exactly.",
           {"user_id": "ctl-5", "traits": {"k\u0000ey": "v"}}),
        hc("ctl-trait-value-nul", c, "A trait value holding NUL is sent exactly.",
           {"user_id": "ctl-6", "traits": {"plan": "pro\u0000free"}}),
        hc("ctl-unset-key-nul", c, "A trait name to unset holding NUL is sent exactly.",
           {"user_id": "ctl-7", "unset": ["old\u0000plan"]}),
        hc("ctl-name-all-c0", c, "Every C0 control character (U+0001 to U+001F) in a name is escaped and stored.",
           {"user_id": "ctl-8", "name": c0}),
        hc("ctl-user-id-all-c0", c, "Every C0 control character in a user id is percent-encoded.",
           {"user_id": c0}),
        hc("ctl-name-del-and-c1", c, "DEL and every C1 control (U+0080 to U+009F) in a name are sent as UTF-8.",
           {"user_id": "ctl-10", "name": "\u007f" + c1}),
        hc("ctl-user-id-crlf-header-injection", c, "CR LF and a header line in a user id stay percent-encoded in the path.",
           {"user_id": "u\r\nX-Injected: 1\r\n\r\nGET / HTTP/1.1"}),
        hc("ctl-trait-value-crlf", c, "CR LF in a trait value is escaped in the JSON body.",
           {"user_id": "ctl-12", "traits": {"note": "line1\r\nline2\r\n"}}),
        hc("ctl-trait-key-newline", c, "A newline in a trait key is escaped in the JSON body.",
           {"user_id": "ctl-13", "traits": {"a\nb": "v"}}),
        hc("ctl-name-line-separators", c, "U+2028 and U+2029 (line breaks to JavaScript) are sent as they are.",
           {"user_id": "ctl-14", "name": "a\u2028b\u2029c"}),
        hc("ctl-name-bom", c, "A byte order mark at the start of a name is kept.",
           {"user_id": "ctl-15", "name": "\ufeffName"}),
        hc("ctl-user-id-bom", c, "A byte order mark as a user id is percent-encoded.",
           {"user_id": "\ufeff"}),
        hc("ctl-name-bidi-override", c, "Bidirectional overrides and isolates are sent as they are.",
           {"user_id": "ctl-17", "name": "\u202eevil\u202c\u2066x\u2069"}),
        hc("ctl-name-zero-width", c, "Zero-width space, joiner and non-joiner are characters like any other.",
           {"user_id": "ctl-18", "name": "a\u200bb\u200cc\u200dd"}),
        hc("ctl-name-noncharacters", c, "Noncharacters U+FFFE, U+FFFF, U+10FFFF are valid scalar values and sent.",
           {"user_id": "ctl-19", "name": "\ufffe\uffff\U0010ffff"}),
        hc("ctl-name-replacement-character", c, "U+FFFD given on purpose is sent as is.",
           {"user_id": "ctl-20", "name": "\ufffd"}),
        hc("ctl-name-json-injection", c, "Quotes and braces in a name stay inside the string.",
           {"user_id": "ctl-21", "name": "\",\"traits\":{\"admin\":true},\"x\":\""}),
        hc("ctl-trait-key-quote-backslash", c, "Quote, backslash and slash in a trait key are escaped.",
           {"user_id": "ctl-22", "traits": {"\"\\/": "v"}}),
        hc("ctl-trait-key-dollar-float", c, "A trait key '$float' is a trait like any other (no marker: two keys).",
           {"user_id": "ctl-23", "traits": {"$float": "NaN", "$int": "5"}}),
        hc("ctl-trait-key-empty", c, "An empty trait key is sent (the API takes it).",
           {"user_id": "ctl-24", "traits": {"": "v"}}),
        hc("ctl-name-private-use-and-tags", c, "Private-use and tag characters are sent as they are.",
           {"user_id": "ctl-25", "name": "\ue000\U000f0000\U000e0041"}),
        hc("ctl-user-id-emoji-zwj-sequence", c, "A family emoji (ZWJ sequence) as a user id is encoded byte by byte.",
           {"user_id": "\U0001F468\u200d\U0001F469\u200d\U0001F467"}),
    ]


def lone_surrogates() -> list:
    c = "lone-surrogates"
    note = "Malformed request on the field holding it: UTF-8 cannot encode a lone surrogate, so nothing is sent."
    return [
        hc("surrogate-user-id-high", c, f"A user id that is a lone high surrogate. {note}",
           {"user_id": utf16(0xD800)}),
        hc("surrogate-user-id-low-inside", c, f"A lone low surrogate inside a user id. {note}",
           {"user_id": utf16(0x61, 0xDC00, 0x62)}),
        hc("surrogate-name-high", c, f"A lone high surrogate in a name. {note}",
           {"user_id": "sur-1", "name": utf16(0x41, 0xD83D)}),
        hc("surrogate-name-reversed-pair", c, f"A low surrogate before a high one is two lone surrogates. {note}",
           {"user_id": "sur-2", "name": utf16(0xDE00, 0xD83D)}),
        hc("surrogate-email-low", c, f"A lone low surrogate in an email. {note}",
           {"user_id": "sur-3", "email": utf16(0xDFFF, 0x40, 0x78)}),
        hc("surrogate-trait-key", c, f"A lone surrogate in a trait key: the field is 'traits'. {note}",
           {"user_id": "sur-4", "traits": {"$entries": [[utf16(0x6B, 0xD800), "v"]]}}),
        hc("surrogate-trait-value", c, f"A lone surrogate in a trait value names the trait. {note}",
           {"user_id": "sur-5", "traits": {"plan": utf16(0x70, 0xDBFF)}}),
        hc("surrogate-unset-key", c, f"A lone surrogate in a name to unset: the field is 'traits'. {note}",
           {"user_id": "sur-6", "unset": [utf16(0xDC00)]}),
        hc("surrogate-pair-is-fine", c, "A proper surrogate pair is one character (U+1F600) and is sent.",
           {"user_id": "sur-7", "name": utf16(0xD83D, 0xDE00)}),
        hc("surrogate-in-huge-name", c, f"A lone surrogate at the end of a 1,000-character name. {note}",
           {"user_id": "sur-8", "name": concat(rep("n", 1000), utf16(0xD800))}),
    ]


def invalid_utf8() -> list:
    c = "invalid-utf8"
    note = "Malformed request on the field holding it; nothing is sent."
    return [
        hc("utf8-user-id-ff", c, f"A user id with the byte FF, never valid in UTF-8. {note}",
           {"user_id": raw("61 ff 62")}),
        hc("utf8-name-lone-continuation", c, f"A name with a lone continuation byte. {note}",
           {"user_id": "bad-1", "name": raw("41 80 42")}),
        hc("utf8-name-overlong-nul", c, f"An overlong NUL (C0 80, Java's modified UTF-8). {note}",
           {"user_id": "bad-2", "name": raw("c0 80")}),
        hc("utf8-email-truncated", c, f"An email ending in the first two bytes of a three-byte sequence. {note}",
           {"user_id": "bad-3", "email": raw("61 40 e2 82")}),
        hc("utf8-trait-key-cesu-surrogate", c, f"A trait key holding a surrogate encoded as bytes (CESU-8). {note}",
           {"user_id": "bad-4", "traits": {"$entries": [[raw("6b ed a0 80"), "v"]]}}),
        hc("utf8-trait-value-above-max", c, f"A trait value encoding a code point above U+10FFFF. {note}",
           {"user_id": "bad-5", "traits": {"plan": raw("f4 90 80 80")}}),
        hc("utf8-unset-key-five-byte", c, f"A name to unset with an obsolete five-byte sequence. {note}",
           {"user_id": "bad-6", "unset": [raw("f8 88 80 80 80")]},
           languages={"node": {
               "expect": {"error": {"kind": "validation", "message": "Malformed request", "field": "unset"}},
               "why": "a JS string cannot hold bytes that are not UTF-8: the caller has a Buffer, which in the "
                      "unset list is an entry of the wrong type (elsewhere a wrong type names the same field)"}}),
        hc("utf8-name-latin1", c, f"A name in Latin-1 rather than UTF-8 ('Jos\\xe9'). {note}",
           {"user_id": "bad-7", "name": raw("4a 6f 73 e9")}),
        hc("utf8-valid-bytes-are-fine", c, "Bytes that are valid UTF-8 (E2 82 AC, the euro sign) are text and sent.",
           {"user_id": "bad-8", "name": raw("e2 82 ac")}),
    ]


def numbers() -> list:
    c = "numbers"
    return [
        hc("num-max-safe-integers", c, "+-(2^53 - 1) are sent as JSON integers.",
           {"user_id": "num-1", "traits": {"max": 9007199254740991, "min": -9007199254740991}}),
        hc("num-two-to-the-53-plus-one", c, "2^53 + 1, exact only as an integer type, is sent exactly.",
           {"user_id": "num-2", "traits": {"n": int_(2**53 + 1)}}),
        hc("num-i64-max", c, "2^63 - 1 is sent as a JSON integer.",
           {"user_id": "num-3", "traits": {"n": int_(2**63 - 1)}}),
        hc("num-i64-min", c, "-2^63 is sent as a JSON integer.",
           {"user_id": "num-4", "traits": {"n": int_(-(2**63))}}),
        hc("num-below-i64-min", c, "-2^63 - 1 is beyond 64 bits: sent as its decimal string.",
           {"user_id": "num-5", "traits": {"n": int_(-(2**63) - 1)}}),
        hc("num-u64-max", c, "2^64 - 1 fits no signed 64-bit integer: sent as its decimal string.",
           {"user_id": "num-6", "traits": {"n": int_(2**64 - 1)}}),
        hc("num-googol", c, "10^100 is sent as its decimal string.",
           {"user_id": "num-7", "traits": {"n": int_(10**100)}}),
        hc("num-negative-googol", c, "-10^100 is sent as its decimal string, sign included.",
           {"user_id": "num-8", "traits": {"n": int_(-(10**100))}}),
        hc("num-1024-digits", c, "An integer of 1,024 digits is a string of 1,024 characters: it passes.",
           {"user_id": "num-9", "traits": {"n": int_("9" * 1024)}}),
        hc("num-1025-digits", c, "An integer of 1,025 digits is a value too large.",
           {"user_id": "num-10", "traits": {"n": int_("9" * 1025)}}),
        hc("num-5000-digits", c, "An integer of 5,000 digits (past Python's 4,300-digit str() limit) is too large.",
           {"user_id": "num-11", "traits": {"n": int_("7" * 5000)}}),
        hc("num-float-max", c, "The largest double is sent and stored as JavaScript prints it.",
           {"user_id": "num-12", "traits": {"x": 1.7976931348623157e308}}),
        hc("num-float-min-subnormal", c, "The smallest subnormal double (5e-324) is sent exactly.",
           {"user_id": "num-13", "traits": {"x": 5e-324}}),
        hc("num-float-negative-tiny", c, "-1e-300 is sent as a float.",
           {"user_id": "num-14", "traits": {"x": -1e-300}}),
        hc("num-float-negative-zero", c, "-0.0 is sent as a number equal to 0 and stored as \"0\".",
           {"user_id": "num-15", "traits": {"x": -0.0}}),
        hc("num-float-point-three", c, "0.1 + 0.2 is sent with every digit it needs.",
           {"user_id": "num-16", "traits": {"x": 0.30000000000000004}}),
        hc("num-float-1e21", c, "1e21 is a float above 2^53; stored as JavaScript prints it.",
           {"user_id": "num-17", "traits": {"x": 1e21}}),
        hc("num-timestamp-zero", c, "Timestamp 0 (the epoch) is a timestamp, not absence.",
           {"user_id": "num-18", "timestamp": 0}),
        hc("num-timestamp-max-safe", c, "Timestamp 2^53 - 1 is sent as given.",
           {"user_id": "num-19", "timestamp": 9007199254740991}),
        hc("num-timestamp-negative", c, "Timestamp -1 (before 1970) is refused before sending.",
           {"user_id": "num-20", "timestamp": -1}),
        hc("num-timestamp-most-negative", c, "Timestamp -(2^53 - 1) is refused before sending.",
           {"user_id": "num-21", "timestamp": -9007199254740991}),
        hc("num-timestamp-two-to-the-64", c, "Timestamp 2^64 does not fit 64 bits: refused.",
           {"user_id": "num-22", "timestamp": 18446744073709551616},
           languages={"go": {"skip": "Go's Identify.Timestamp is a time.Time, whose milliseconds fit 64 bits"}}),
        hc("num-timestamp-float", c, "Timestamp 1.5 is not whole milliseconds: refused.",
           {"user_id": "num-23", "timestamp": 1.5}),
        hc("num-timestamp-huge-float", c, "Timestamp 1e300 is refused.",
           {"user_id": "num-24", "timestamp": 1e300}),
    ]


def nan_infinity() -> list:
    c = "nan-infinity"
    return [
        hc("nan-trait", c, "NaN as a trait value is refused, naming the trait.",
           {"user_id": "nan-1", "traits": {"score": flt("NaN")}}),
        hc("nan-positive-infinity-trait", c, "+Infinity as a trait value is refused.",
           {"user_id": "nan-2", "traits": {"score": flt("Infinity")}}),
        hc("nan-negative-infinity-trait", c, "-Infinity as a trait value is refused.",
           {"user_id": "nan-3", "traits": {"score": flt("-Infinity")}}),
        hc("nan-among-valid-traits", c, "NaN between valid traits: the error names it, nothing is sent.",
           {"user_id": "nan-4", "traits": {"a": 1, "m": flt("NaN"), "z": "ok"}}),
        hc("nan-as-timestamp", c, "NaN as the timestamp is refused.",
           {"user_id": "nan-5", "timestamp": flt("NaN")}),
        hc("nan-infinity-as-timestamp", c, "Infinity as the timestamp is refused.",
           {"user_id": "nan-6", "timestamp": flt("Infinity")}),
        hc("nan-as-name", c, "NaN as the name is a wrong type.",
           {"user_id": "nan-7", "name": flt("NaN")}),
        hc("nan-as-user-id", c, "Infinity as the user id is a wrong type.",
           {"user_id": flt("-Infinity")}),
        hc("nan-in-unset", c, "NaN as a trait name to unset is a wrong type.",
           {"user_id": "nan-9", "unset": [flt("NaN")]}),
    ]


def wrong_types() -> list:
    c = "wrong-types"
    py_node = lambda field, what: {  # noqa: E731
        lang: wrong_type_override(field, TYPED_ID.format(lang=name))
        for lang, name in (("python", "Python"), ("node", "Node"))
    }
    return [
        hc("type-user-id-true", c, "A boolean user id is a wrong type.", {"user_id": True}),
        hc("type-user-id-array", c, "An array user id is a wrong type.", {"user_id": ["u"]}),
        hc("type-user-id-object", c, "An object user id is a wrong type.", {"user_id": {"id": "u"}}),
        hc("type-user-id-null", c, "A null user id is a missing one: userID is required.", {"user_id": None}),
        hc("type-user-id-number", c,
           "A number as the user id: the JSON input form takes its decimal text as the id; typed APIs refuse it.",
           {"user_id": 42}, languages=py_node("user_id", "")),
        hc("type-user-id-float", c,
           "A float as the user id: the JSON input form takes its text; typed APIs refuse it.",
           {"user_id": 1.5}, languages=py_node("user_id", "")),
        hc("type-name-number", c, "A number as the name is a wrong type.", {"user_id": "type-1", "name": 5}),
        hc("type-name-true", c, "A boolean as the name is a wrong type.", {"user_id": "type-2", "name": True}),
        hc("type-name-array", c, "An array as the name is a wrong type.", {"user_id": "type-3", "name": ["Ada"]}),
        hc("type-name-object", c, "An object as the name is a wrong type.", {"user_id": "type-4", "name": {"first": "Ada"}}),
        hc("type-name-null-is-absent", c, "A null name is an absent one: nothing about the name is sent.",
           {"user_id": "type-5", "name": None}),
        hc("type-email-number", c, "A number as the email is a wrong type.", {"user_id": "type-6", "email": 7}),
        hc("type-email-false", c, "A boolean as the email is a wrong type.", {"user_id": "type-7", "email": False}),
        hc("type-email-array", c, "An array as the email is a wrong type.", {"user_id": "type-8", "email": ["a@b.c"]}),
        hc("type-timestamp-string", c, "A date string as the timestamp is a wrong type.",
           {"user_id": "type-9", "timestamp": "2024-01-01T00:00:00Z"}),
        hc("type-timestamp-digit-string", c, "Digits in a string are still not a timestamp.",
           {"user_id": "type-10", "timestamp": "1700000000000"}),
        hc("type-timestamp-true", c, "A boolean as the timestamp is a wrong type.", {"user_id": "type-11", "timestamp": True}),
        hc("type-timestamp-object", c, "An object as the timestamp is a wrong type.",
           {"user_id": "type-12", "timestamp": {"ms": 1}}),
        hc("type-timestamp-null-is-absent", c, "A null timestamp is an absent one.",
           {"user_id": "type-13", "timestamp": None}),
        hc("type-traits-array", c, "Traits given as an array of names is a wrong type.",
           {"user_id": "type-14", "traits": ["plan"]}),
        hc("type-traits-string", c, "Traits given as a string is a wrong type.", {"user_id": "type-15", "traits": "plan=pro"}),
        hc("type-traits-number", c, "Traits given as a number is a wrong type.", {"user_id": "type-16", "traits": 5}),
        hc("type-traits-null-is-absent", c, "Null traits are absent traits: no traits key is sent.",
           {"user_id": "type-17", "traits": None}),
        hc("type-trait-value-empty-array", c, "An empty array as a trait value is refused.",
           {"user_id": "type-18", "traits": {"tags": []}}),
        hc("type-trait-value-empty-object", c, "An empty object as a trait value is refused.",
           {"user_id": "type-19", "traits": {"meta": {}}}),
        hc("type-trait-value-list-of-strings", c, "A list of strings as a trait value is refused.",
           {"user_id": "type-20", "traits": {"tags": ["a", "b"]}}),
        hc("type-unset-string", c, "Unset given as one string rather than a list is a wrong type.",
           {"user_id": "type-21", "unset": "plan"}),
        hc("type-unset-number", c, "Unset given as a number is a wrong type.", {"user_id": "type-22", "unset": 3}),
        hc("type-unset-object", c, "Unset given as an object is a wrong type.",
           {"user_id": "type-23", "unset": {"plan": True}}),
        hc("type-unset-entry-number", c, "A number in the unset list is a wrong type.", {"user_id": "type-24", "unset": [1]}),
        hc("type-unset-entry-null", c, "A null in the unset list is a wrong type.", {"user_id": "type-25", "unset": [None]}),
        hc("type-unset-entry-array", c, "An array in the unset list is a wrong type.", {"user_id": "type-26", "unset": [["plan"]]}),
        hc("type-unknown-key", c, "An unknown field ('trait', a typo of 'traits') is refused, naming it.",
           {"user_id": "type-27", "trait": {"plan": "pro"}},
           languages={"python": {"skip": "an unknown keyword argument is a TypeError Python raises before any library code runs"}}),
        hc("type-unknown-key-camel-case", c, "'userId' beside 'user_id' is an unknown field, refused.",
           {"user_id": "type-28", "userId": "other"},
           languages={"python": {"skip": "an unknown keyword argument is a TypeError Python raises before any library code runs"}}),
    ]


def user_ids() -> list:
    c = "user-ids"
    cases = [
        hc("id-empty", c, "An empty user id: userID is required.", {"user_id": ""}),
        hc("id-empty-with-everything-else", c, "An empty user id with every other field valid.",
           {"user_id": "", "name": "n", "email": "e", "timestamp": 1, "traits": {"a": 1}, "unset": ["b"]}),
    ]
    whitespace = [
        ("space", " "), ("spaces", "   "), ("tab", "\t"), ("newline", "\n"), ("crlf", "\r\n"),
        ("nbsp", "\u00a0"), ("ideographic-space", "\u3000"), ("em-space", "\u2003"),
        ("padded", "  user  "),
    ]
    for label, uid in whitespace:
        cases.append(hc(f"id-whitespace-{label}", c,
                        f"A user id of whitespace ({label}) is percent-encoded and sent as an id like any other.",
                        {"user_id": uid}))
    dots = [
        ("dot", "."), ("dot-dot", ".."), ("three-dots", "..."), ("dot-space", ". "), ("space-dot-dot", " .."),
        ("dot-slash", "./"), ("dot-dot-slash", "../"), ("dot-dot-traversal", "../../admin"),
        ("encoded-dot", "%2e"), ("encoded-dot-dot", "%2E%2E"), ("slash", "/"), ("double-slash", "//"),
        ("backslash-dot-dot", "..\\.."), ("encoded-slash", "a%2Fb"), ("query", "?admin=1"), ("fragment", "#top"),
        ("percent-nul", "%00"), ("sub-delims", "!$&'()*+,;=:@"), ("unreserved", "AZaz09-._~"),
        ("word-null", "null"), ("word-undefined", "undefined"), ("zero", "0"), ("minus-one", "-1"),
        ("fullwidth-dot-dot", "\uff0e\uff0e"), ("one-dot-leader-pair", "\u2024\u2024"),
    ]
    for label, uid in dots:
        cases.append(hc(f"id-{label}", c, f"The user id {uid!r}: refused if a dot segment, else encoded as one segment.",
                        {"user_id": uid}))
    return cases


def headers() -> list:
    c = "headers"
    no_user_agent = {
        "python": {"skip": "the Python client has no user agent option"},
        "go": {"skip": "the Go client has no user agent option"},
    }
    c_no_nul = {"c": {"skip": "a C string ends at its first NUL"}}
    return [
        hc("header-api-key-4kib", c, "A 4 KiB API key, the longest taken, is sent in the Authorization header; "
           "the API refuses it (401).",
           {"user_id": "hdr-0"}, config={"api_key": rep("k", 4 * 1024)}),
        hc("header-api-key-64kib", c, "A 64 KiB API key is longer than any real key and than servers take in a "
           "header: a configuration error, nothing sent.",
           {"user_id": "hdr-1"}, config={"api_key": rep("k", 64 * 1024)}),
        hc("header-api-key-256kib", c, "A 256 KiB API key: a configuration error, nothing sent.",
           {"user_id": "hdr-2"}, config={"api_key": rep("k", 256 * 1024)}),
        hc("header-api-key-crlf", c, "CR LF in the API key would split the header: a configuration error.",
           {"user_id": "hdr-3"}, config={"api_key": "key\r\nX-Injected: 1"}),
        hc("header-api-key-nul", c, "NUL in the API key: a configuration error, never a key cut short.",
           {"user_id": "hdr-4"}, config={"api_key": "key\u0000more"}, languages=c_no_nul),
        hc("header-api-key-tab", c, "A tab in the API key is a control character: a configuration error.",
           {"user_id": "hdr-5"}, config={"api_key": "key\tmore"}),
        hc("header-api-key-non-ascii", c, "A non-ASCII API key is sent as UTF-8 bytes; the API refuses it (401).",
           {"user_id": "hdr-6"}, config={"api_key": "cl\u00e9-\u043a\u043b\u044e\u0447"}),
        hc("header-api-key-whitespace", c, "An API key of spaces is sent; the API refuses it (401).",
           {"user_id": "hdr-7"}, config={"api_key": "   "}),
        hc("header-user-agent-8kib", c, "An 8 KiB user agent is sent as given.",
           {"user_id": "hdr-8"}, config={"user_agent": rep("a", 8 * 1024)}, languages=no_user_agent),
        hc("header-user-agent-256kib", c, "A 256 KiB user agent is sent as given.",
           {"user_id": "hdr-9"}, config={"user_agent": rep("a", 256 * 1024)}, languages=no_user_agent),
        hc("header-user-agent-crlf", c, "CR LF in the user agent would split the header: a configuration error.",
           {"user_id": "hdr-10"}, config={"user_agent": "agent\r\nX-Injected: 1"}, languages=no_user_agent),
        hc("header-user-agent-nul", c, "NUL in the user agent: a configuration error.",
           {"user_id": "hdr-11"}, config={"user_agent": "agent\u0000"}, languages={**no_user_agent, **c_no_nul}),
        hc("header-request-line-12kib", c, "1,024 emoji as a user id: a 12 KiB request line, sent and answered.",
           {"user_id": rep(EMOJI, 1024)}),
        hc("header-request-line-percent-signs", c, "1,024 '%' as a user id: each one encoded as %25.",
           {"user_id": rep("%", 1024)}),
    ]


def build_cases() -> list:
    return [
        *deep_nesting(), *huge_strings(), *many_traits(), *control_characters(), *lone_surrogates(),
        *invalid_utf8(), *numbers(), *nan_infinity(), *wrong_types(), *user_ids(), *headers(),
    ]


# --- recording: the core's outcome for every case -----------------------------------------------


def record(document: dict) -> dict:
    """Runs the Rust recorder over the cases; returns {name: outcome}, outcomes written out in full."""
    with tempfile.TemporaryDirectory() as tmp:
        cases_path = Path(tmp) / "cases.json"
        outcomes_path = Path(tmp) / "outcomes.json"
        cases_path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        env = dict(os.environ, LR_HOSTILE_CASES=str(cases_path), LR_HOSTILE_OUTCOMES=str(outcomes_path))
        command = ["cargo", "test", "--quiet", "-p", "logrocket-identify", "--test", "hostile", "--",
                   "--ignored", "--exact", "record_hostile_outcomes"]
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if result.returncode != 0 or not outcomes_path.exists():
            sys.stderr.write(result.stdout + result.stderr)
            raise SystemExit("recording the core's outcomes failed")
        return json.loads(outcomes_path.read_text(encoding="utf-8"))


# --- compacting recorded outcomes ----------------------------------------------------------------

MIN_REPEAT = 64   # strings at least this long that repeat a short unit become $repeat
MIN_MANY = 16     # at least this many numbered members with one value become $many


def repeat_of(text: str):
    if len(text) < MIN_REPEAT:
        return None
    for size in range(1, 9):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return rep(text[:size], len(text) // size)
    return None


def compact(value):
    if isinstance(value, str):
        return repeat_of(value) or value
    if isinstance(value, list):
        return [compact(v) for v in value]
    if not isinstance(value, dict):
        return value
    groups: dict = {}
    for key, member in value.items():
        m = re.fullmatch(r"(.*?)(0|[1-9][0-9]*)", key, flags=re.S)
        if m:
            groups.setdefault(m.group(1), []).append((int(m.group(2)), key, member))
    out: dict = {}
    taken: set = set()
    for prefix, members in groups.items():
        indices = sorted(i for i, _, _ in members)
        first = members[0][2]
        if (len(members) >= MIN_MANY and indices == list(range(len(members)))
                and all(json.dumps(m, sort_keys=True) == json.dumps(first, sort_keys=True) for _, _, m in members)):
            if "$many" in out:
                raise SystemExit("two $many groups in one object: extend the format")
            out["$many"] = many(len(members), compact(prefix), compact(first))
            taken.update(key for _, key, _ in members)
    entries = []
    for key, member in value.items():
        if key in taken:
            continue
        if repeat_of(key):
            entries.append([repeat_of(key), compact(member)])
        else:
            out[key] = compact(member)
    if entries:
        out["$entries"] = entries
    return out


# --- self check ----------------------------------------------------------------------------------


class CorpusError(Exception):
    pass


def require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise CorpusError(f"{where}: {message}")


def self_check(document: dict) -> None:
    base_names = set()
    for path in sorted(HERE.parent.glob("*.json")):
        base_names.update(c["name"] for c in json.loads(path.read_text(encoding="utf-8"))["cases"])
    seen = set()
    counts = {category: 0 for category in CATEGORIES}
    for case in document["cases"]:
        where = case.get("name", "?")
        require(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", case["name"]) is not None, where, "kebab-case name")
        require(case["name"] not in seen, where, "duplicate name")
        require(case["name"] not in base_names, where, "name also used by a conformance vector")
        seen.add(case["name"])
        require(case["category"] in CATEGORIES, where, "known category")
        counts[case["category"]] += 1
        require(set(case) <= {"name", "category", "description", "config", "input", "languages", "known_issue",
                              "expect"},
                where, "known keys")
        require(isinstance(case["input"], dict) and "user_id" in case["input"], where, "input has user_id")
        require(set(case.get("config", {})) <= {"api_key", "user_agent"}, where, "config keys")
        for lang, rule in case.get("languages", {}).items():
            require(lang in LANGUAGES, where, f"language {lang}")
            require(set(rule) in ({"skip"}, {"expect", "why"}), where, f"{lang}: skip, or expect and why")
        expect = case.get("expect")
        require(isinstance(expect, dict) and (set(expect) in ({"request", "user"}, {"error"})), where, "expect")
        if "error" in expect:
            require(set(expect["error"]) - {"text", "field"} == {"kind", "message"}, where, "error keys")
    require(len(seen) >= 100, "corpus", f"only {len(seen)} cases")
    for category, count in counts.items():
        require(count > 0, "corpus", f"no case in {category}")


# --- output ----------------------------------------------------------------------------------------


def build(outcomes_from=record) -> dict:
    document = {
        "description": "Hostile inputs: every language answers each with success and the exact wire body, or "
                       "its typed error naming the field. Outcomes recorded from the Rust core; see README.md.",
        "org_id": ORG_ID,
        "app_id": APP_ID,
        "categories": CATEGORIES,
        "cases": build_cases(),
    }
    outcomes = outcomes_from(document)
    for case in document["cases"]:
        require(case["name"] in outcomes, case["name"], "no outcome recorded")
        # The expectation goes after the input (and per-language rules): readers see input first.
        after = {key: case.pop(key) for key in ("languages", "known_issue") if key in case}
        case["expect"] = compact(outcomes[case["name"]])
        case.update(after)
    self_check(document)
    return document


def render(document: dict) -> str:
    return json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if hostile.json differs")
    args = parser.parse_args()
    try:
        text = render(build())
    except CorpusError as error:
        print(f"hostile corpus self-check failed: {error}", file=sys.stderr)
        return 1
    count = len(json.loads(text)["cases"])
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            print("hostile.json differs from what generate.py writes: run "
                  "python3 tests/vectors/hostile/generate.py", file=sys.stderr)
            return 1
        print(f"hostile.json: {count} cases, up to date")
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote hostile.json: {count} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
