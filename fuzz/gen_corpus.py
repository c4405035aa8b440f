#!/usr/bin/env python3
"""Write the fuzz targets' seed corpora (fuzz/corpus/<target>/) from the conformance vectors.

    python3 fuzz/gen_corpus.py          # rewrite every fuzz/corpus/<target>/ (wholly generated)
    python3 fuzz/gen_corpus.py --check  # exit 1 if the files on disk differ

Standard library only, deterministic. Seeds, one small file each:

  json_input   every vector input (and setup input) as a JSON document; also the hostile
               corpus's inputs of at most 256 bytes (tests/vectors/hostile/)
  csv_row      every vector case as a CSV file: header user_id,name,email,timestamp,<traits>,
               a row per setup input and the input
  answer_body  two bytes of status, then a body: each expected user as the API's 200 body,
               each expected error as the API's {"message": ...}, and a few other shapes
  user_path    every vector user id (of at most 64 characters), and a few ways of naming
               the app ("org/app", org and app apart): parts separated by "\\n~~~\\n"
  emulator     every vector case as requests separated by "\\n~~~\\n": "CLIENT <input JSON>"
               for each input (sent as the client library encodes it), then the expected
               request as HTTP text, or for an error case the input sent raw as a body
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
CORPUS = Path(__file__).resolve().parent / "corpus"
SEP = "\n~~~\n"
HOSTILE_MAX = 256


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def cases():
    for path in sorted(VECTORS.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            yield doc, case


def inputs(case):
    return list(case.get("setup", [])) + [case["input"]]


def encode(segment: str) -> str:
    """Percent-encode one path segment as the client does."""
    escape = lambda m: "".join(f"%{b:02X}" for b in m[0].encode())  # noqa: E731
    return re.sub(r"[^A-Za-z0-9._~-]", escape, segment)


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return dumps(value)


def csv_file(rows: list[dict]) -> str:
    keys = sorted({k for row in rows for k in row.get("traits", {})})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["user_id", "name", "email", "timestamp", *keys])
    for row in rows:
        traits = row.get("traits", {})
        writer.writerow(
            [cell(row.get(k)) for k in ("user_id", "name", "email", "timestamp")]
            + [cell(traits.get(k)) for k in keys]
        )
    return out.getvalue()


def api_user(user: dict) -> dict:
    body = {"userID": user["user_id"]}
    for key in ("name", "email"):
        if key in user:
            body[key] = user[key]
    body["traits"] = user.get("traits", {})
    return body


def status(code: int, body: str | bytes) -> bytes:
    return code.to_bytes(2, "big") + (body.encode("utf-8") if isinstance(body, str) else body)


def http_text(method: str, path: str, body: str, auth: str | None = "token test") -> str:
    head = [f"{method} {path}"]
    if auth is not None:
        head.append(f"authorization: {auth}")
    head.append("content-type: application/json")
    return "\n".join(head) + "\n\n" + body


def seeds() -> dict[str, dict[str, bytes]]:
    out: dict[str, dict[str, bytes]] = {
        t: {} for t in ("json_input", "csv_row", "answer_body", "user_path", "emulator")
    }
    user_ids: dict[str, None] = {}
    for doc, case in cases():
        name = case["name"]
        for i, given in enumerate(inputs(case)):
            suffix = "" if i == len(inputs(case)) - 1 else f"-setup{i}"
            out["json_input"][name + suffix] = dumps(given).encode()
            if isinstance(given.get("user_id"), str):
                user_ids[given["user_id"]] = None
        out["csv_row"][name] = csv_file(inputs(case)).encode()
        expect = case["expect"]
        steps = [f"CLIENT {dumps(given)}" for given in inputs(case)]
        if "request" in expect:
            out["answer_body"][name] = status(200, dumps(api_user(expect["user"])))
            request = expect["request"]
            steps.append(http_text(request["method"], request["path"], dumps(request["body"])))
        else:
            out["answer_body"][name] = status(400, dumps({"message": expect["error"]["message"]}))
            given = case["input"]
            body = {k: v for k, v in given.items() if k in ("name", "email", "timestamp", "traits")}
            user = encode(given["user_id"])
            path = f"/v1/orgs/{doc['org_id']}/apps/{doc['app_id']}/users/{user}"
            steps.append(http_text("PUT", path, dumps(body)))
        out["emulator"][name] = SEP.join(steps).encode()

    for path in sorted((VECTORS / "hostile").glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            text = dumps(case["input"]).encode()
            if len(text) <= HOSTILE_MAX:
                out["json_input"]["hostile-" + case["name"]] = text

    for i, user_id in enumerate(user_ids):
        if len(user_id) > 64:
            continue
        out["user_path"][f"id-{i}"] = user_id.encode()
    out["user_path"]["org-app"] = ("u" + SEP + "acme" + SEP + "web").encode()
    for i, app in enumerate([" acme / web ", "acme/", "/web", "acme/web/x", "a%2Fb/c d"]):
        out["user_path"][f"app-{i}"] = ("u" + SEP + app).encode()

    extra_answers = {
        "unauthorized": status(401, '{"message":"Unauthorized"}'),
        "error-key": status(400, '{"error":"nope"}'),
        "json-string": status(400, '"Missing request body"'),
        "plain-text": status(429, "Too Many Requests\n"),
        "html": status(502, "<html><body>Bad Gateway</body></html>"),
        "empty": status(503, b""),
        "lenient-user": status(
            200, '{"userID":7,"name":null,"traits":{"n":5,"b":true,"z":null,"o":{"k":[1]}},"x":[]}'
        ),
        "traits-not-object": status(200, '{"userID":"u","traits":[1,2]}'),
        # Found by the answer_body target: a repeated key takes its last value; an array of
        # four values is no user.
        "repeated-keys": status(200, '{"userID":"a","name":"x","name":"y","userID":"b"}'),
        "array": status(200, '["u",null,null,null]'),
    }
    out["answer_body"].update(extra_answers)

    raw_requests = {
        "get": http_text("GET", "/v1/orgs/acme/apps/web/users/u1", ""),
        "no-auth": http_text("PUT", "/v1/orgs/acme/apps/web/users/u1", "{}", auth=None),
        "wrong-auth": http_text("PUT", "/v1/orgs/acme/apps/web/users/u1", "{}", auth="token nope"),
        "not-found": http_text("PUT", "/v1/orgs/acme/apps/web/users/a/b", "{}"),
        "missing-body": http_text("PUT", "/v1/orgs/acme/apps/web/users/u1", " \r\n"),
        "bad-utf8-id": http_text("PUT", "/v1/orgs/acme/apps/web/users/%FF", "{}"),
        "whole-float-timestamp": http_text(
            "PUT", "/v1/orgs/acme/apps/web/users/u1", '{"timestamp":1.7e12,"traits":{"f":2.0}}'
        ),
        "repeated-keys": http_text(
            "PUT",
            "/v1/orgs/acme/apps/web/users/u1",
            '{"name":"a","name":"b","traits":{"k":"x","k":""}}',
        ),
        # Found by the emulator target: only a repeated trait's last value is checked.
        "repeated-trait-too-large-first": http_text(
            "PUT",
            "/v1/orgs/acme/apps/web/users/u1",
            dumps({"traits": {"k": "a" * 1025}})[:-2] + ',"k":"ok"}}',
        ),
    }
    for name, text in raw_requests.items():
        out["emulator"]["raw-" + name] = text.encode()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the files on disk differ")
    args = parser.parse_args()
    differs = False
    for target, files in seeds().items():
        directory = CORPUS / target
        on_disk = {p.name: p.read_bytes() for p in directory.glob("*")}
        if args.check:
            if on_disk != files:
                print(f"fuzz/corpus/{target}/ differs from gen_corpus.py's", file=sys.stderr)
                differs = True
            continue
        directory.mkdir(parents=True, exist_ok=True)
        for name in on_disk.keys() - files.keys():
            (directory / name).unlink()
        for name, data in files.items():
            if on_disk.get(name) != data:
                (directory / name).write_bytes(data)
        print(f"fuzz/corpus/{target}/: {len(files)} files, {sum(map(len, files.values()))} bytes")
    return 1 if differs else 0


if __name__ == "__main__":
    sys.exit(main())
