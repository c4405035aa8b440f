"""Python benchmarks for logrocket_identify (run with the venv of scripts/test-python.sh).

1. Offline cost per call of ``lr.validate`` with 5 traits, beside a pure-Python equivalent
   (the same checks, then ``json.dumps`` of the body).
2. ``identify_many`` of N users (default 20,000) at concurrency 32 against an emulator running in
   another process, beside ``requests.Session`` with 32 threads and ``httpx.AsyncClient`` with
   a semaphore of 32 sending the same PUTs (each only if installed). Reports users/s and the
   client process's CPU seconds per 1,000 users.

Everything runs on 127.0.0.1 and sends a bounded number of requests.

    target/py-venv/bin/python bench/python_bench.py [--users 20000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import subprocess
import sys
import time
import timeit
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable
from urllib.parse import quote

import logrocket_identify as lr

TRAITS: dict[str, Any] = {"plan": "pro", "mrr": 99.5, "seats": 12, "trial": False, "campaign": "x"}
LIMIT = 1024


def pure_python_validate(user_id: str, name: str, email: str, traits: dict[str, Any]) -> bytes:
    if not isinstance(user_id, str) or not user_id:
        raise ValueError("userID is required")
    if len(user_id) > LIMIT:
        raise ValueError("userID too large (max 1024 characters)")
    if len(name) > LIMIT:
        raise ValueError("name too large (max 1024 characters)")
    if len(email) > LIMIT:
        raise ValueError("email too large (max 1024 characters)")
    for key, value in traits.items():
        if not isinstance(key, str):
            raise TypeError("trait keys must be str")
        if len(key) > LIMIT:
            raise ValueError("user trait key too large")
        if isinstance(value, str):
            if len(value) > LIMIT:
                raise ValueError("user trait value too large (max 1024 characters)")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError("Malformed request")
        elif value is not None and not isinstance(value, (bool, int)):
            raise ValueError("Malformed request")
    return json.dumps({"name": name, "email": email, "traits": traits}).encode()


def per_call(fn: Callable[[], object], number: int = 200_000) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def bench_validate() -> None:
    native = per_call(
        lambda: lr.validate("user-42", name="John Smith", email="john@example.com", traits=TRAITS)
    )
    python = per_call(
        lambda: pure_python_validate("user-42", "John Smith", "john@example.com", TRAITS)
    )
    print(f"validate, 5 traits: lr.validate {native * 1e6:.2f} us/call, "
          f"pure Python {python * 1e6:.2f} us/call, speed-up {python / native:.1f}x")


SERVER = """
import sys
from logrocket_identify.testing import Emulator
emu = Emulator(api_key="bench", request_log_limit=1000)
print(emu.url, flush=True)
sys.stdin.read()
"""


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(label: str, users: int, run: Callable[[], int]) -> None:
    cpu, started = cpu_seconds(), time.perf_counter()
    ok = run()
    wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    print(f"{label:<32} {users / wall:>9.0f} users/s  {cpu / users * 1000:.3f} CPU s/1000 users"
          f"  ({ok}/{users} ok)")


def bench_bulk(users: int, concurrency: int) -> None:
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        body = json.dumps({"name": "John Smith", "email": "john@example.com", "traits": TRAITS})
        headers = {"Authorization": "token bench", "Content-Type": "application/json"}

        def path(i: int, tag: str) -> str:
            return f"{url}/v1/orgs/acme/apps/web/users/{quote(f'{tag}-{i}', safe='')}"

        client = lr.Client(api_key="bench", app_id="acme/web", base_url=url, max_retries=0)

        def logrocket() -> int:
            rows = ({"user_id": f"lr-{i}", "name": "John Smith", "email": "john@example.com",
                     "traits": TRAITS} for i in range(users))
            return client.identify_many(rows, concurrency=concurrency).succeeded

        measure("logrocket_identify.identify_many", users, logrocket)

        try:
            import requests
        except ImportError:
            print("requests not installed: skipped")
        else:
            session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(pool_maxsize=concurrency)
            session.mount("http://", adapter)

            def put(i: int) -> bool:
                return session.put(path(i, "rq"), data=body, headers=headers).status_code == 200

            def with_requests() -> int:
                with ThreadPoolExecutor(concurrency) as pool:
                    return sum(pool.map(put, range(users)))

            measure("requests.Session, 32 threads", users, with_requests)

        try:
            import httpx
        except ImportError:
            print("httpx not installed: skipped")
        else:
            async def with_httpx() -> int:
                limits = httpx.Limits(max_connections=concurrency)
                async with httpx.AsyncClient(limits=limits) as http:
                    gate = asyncio.Semaphore(concurrency)

                    async def one(i: int) -> bool:
                        async with gate:
                            answer = await http.put(path(i, "hx"), content=body, headers=headers)
                            return answer.status_code == 200

                    return sum(await asyncio.gather(*(one(i) for i in range(users))))

            measure("httpx.AsyncClient, semaphore 32", users, lambda: asyncio.run(with_httpx()))
    finally:
        server.kill()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    bench_validate()
    bench_bulk(args.users, args.concurrency)


if __name__ == "__main__":
    main()
