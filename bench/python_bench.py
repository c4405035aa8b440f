"""Python benchmarks for logrocket_identify (run with the venv of scripts/test-python.sh).

1. Offline cost per call of ``lr.validate`` with 5 traits, beside a pure-Python equivalent
   (the same checks, then ``json.dumps`` of the body).
2. ``identify_many`` of N users (default 20,000) at concurrency 32 against two servers, each in
   another process: the emulator, and a static nginx that answers 200 at once
   (bench/static_server.sh, to isolate the client's own cost). Beside it, on each server:
   ``requests.Session`` with 32 threads and ``httpx.AsyncClient`` with a semaphore of 32 sending
   the same PUTs (each only if installed), and a plain load generator, the ceiling: ``oha``
   (N PUTs to distinct user ids) if found, else ``wrk`` (a few seconds of them), same body,
   same headers, same concurrency. Reports the median over the runs of users/s and of the CPU
   seconds per 1,000 users of the sending process (this one; for the ceiling, the load
   generator's), the share of the ceiling measured on the same server, and the ratio to
   requests. Runs are interleaved (run 1 of every row, then run 2, ...) so a busy moment on
   the machine hits every row alike.

Everything runs on 127.0.0.1 and sends a bounded number of requests.

    target/py-venv/bin/python bench/python_bench.py [--users 20000] [--concurrency 32] [--runs 3]
        [--load-generator auto|oha|wrk] [--wrk-seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
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


BENCH = Path(__file__).resolve().parent
API_KEY = "bench"
USERS_PATH = "/v1/orgs/acme/apps/web/users/"
BODY = json.dumps({"name": "John Smith", "email": "john@example.com", "traits": TRAITS})
HEADERS = {"Authorization": f"token {API_KEY}", "Content-Type": "application/json"}

EMULATOR = f"""
import sys
from logrocket_identify.testing import Emulator
emu = Emulator(api_key={API_KEY!r}, request_log_limit=1000)
print(emu.url, flush=True)
sys.stdin.read()
"""


@dataclass
class Server:
    name: str
    url: str
    process: "subprocess.Popen[str]"
    emulator: bool

    def reset(self) -> None:
        """Empties the emulator between runs (its memory stays flat); nothing for nginx."""
        if self.emulator:
            request = urllib.request.Request(f"{self.url}/_emulator/reset", method="POST")
            with urllib.request.urlopen(request, timeout=30) as answer:
                answer.read()

    def stop(self) -> None:
        # By this process's own handle (its PID), never by name. static_server.sh stops nginx
        # and removes its temp dir on TERM.
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def first_line(process: "subprocess.Popen[str]", what: str) -> str:
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("http://127.0.0.1:"):
        process.kill()
        process.wait()
        raise RuntimeError(f"{what} did not start (first line: {line!r})")
    return line


def start_emulator() -> Server:
    process = subprocess.Popen([sys.executable, "-c", EMULATOR], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    return Server("emulator", first_line(process, "the emulator"), process, emulator=True)


def start_static() -> Server:
    process = subprocess.Popen(["bash", str(BENCH / "static_server.sh")],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    return Server("static nginx", first_line(process, "static_server.sh"), process,
                  emulator=False)


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Run:
    users: int  # requests sent
    ok: int  # of which answered 200
    seconds: float
    cpu: float  # of the sending process

    @property
    def rate(self) -> float:
        return self.ok / self.seconds


def timed(users: int, send: Callable[[], int]) -> Run:
    cpu, started = cpu_seconds(), time.perf_counter()
    ok = send()
    return Run(users, ok, time.perf_counter() - started, cpu_seconds() - cpu)


# A sender takes (number of users, tag) and PUTs users `{tag}-0` ... and returns how many got 200.
Sender = Callable[[int, str], int]


def senders(url: str, concurrency: int, closers: list[Callable[[], None]]) -> list[tuple[str, Sender]]:
    """The Python clients, each set up once for the server at `url`."""

    def path(i: int, tag: str) -> str:
        return f"{url}{USERS_PATH}{quote(f'{tag}-{i}', safe='')}"

    client = lr.Client(api_key=API_KEY, app_id="acme/web", base_url=url, max_retries=0)
    closers.append(client.close)

    def logrocket(users: int, tag: str) -> int:
        rows = ({"user_id": f"{tag}-{i}", "name": "John Smith", "email": "john@example.com",
                 "traits": TRAITS} for i in range(users))
        return client.identify_many(rows, concurrency=concurrency).succeeded

    found: list[tuple[str, Sender]] = [("logrocket_identify.identify_many", logrocket)]

    try:
        import requests
    except ImportError:
        print("requests not installed: skipped", file=sys.stderr)
    else:
        session = requests.Session()
        session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=concurrency))
        closers.append(session.close)

        def put(i: int, tag: str) -> bool:
            answer = session.put(path(i, tag), data=BODY, headers=HEADERS, timeout=30)
            return answer.status_code == 200

        def with_requests(users: int, tag: str) -> int:
            with ThreadPoolExecutor(concurrency) as pool:
                return sum(pool.map(lambda i: put(i, tag), range(users)))

        found.append((f"requests.Session, {concurrency} threads", with_requests))

    try:
        import httpx
    except ImportError:
        print("httpx not installed: skipped", file=sys.stderr)
    else:
        async def httpx_all(users: int, tag: str) -> int:
            limits = httpx.Limits(max_connections=concurrency)
            async with httpx.AsyncClient(limits=limits, timeout=30) as http:
                gate = asyncio.Semaphore(concurrency)

                async def one(i: int) -> bool:
                    async with gate:
                        answer = await http.put(path(i, tag), content=BODY, headers=HEADERS)
                        return answer.status_code == 200

                return sum(await asyncio.gather(*(one(i) for i in range(users))))

        def with_httpx(users: int, tag: str) -> int:
            return asyncio.run(httpx_all(users, tag))

        found.append((f"httpx.AsyncClient, semaphore {concurrency}", with_httpx))
    return found


WRK_SCRIPT = """-- PUTs to distinct user ids; each thread counts in its own range.
local threads = {}
local counter = 0
wrk.method = "PUT"
wrk.body = BODY
wrk.headers["Authorization"] = AUTHORIZATION
wrk.headers["Content-Type"] = "application/json"
function setup(thread)
    thread:set("id", #threads)
    table.insert(threads, thread)
end
function request()
    counter = counter + 1
    return wrk.format(nil, PREFIX .. "wrk-" .. id .. "-" .. counter)
end
function done(summary, latency, requests)
    -- summary.requests counts complete answers; errors.status those not 2xx/3xx.
    io.write(string.format("LR_RESULT %d %d %d\\n", summary.requests, summary.errors.status,
                           summary.duration))
end
"""


def lua_string(text: str) -> str:
    """A Lua string literal: anything but plain ASCII letters and a few signs as 3-digit escapes."""
    return '"' + "".join(ch if ch.isascii() and (ch.isalnum() or ch in " {}:,._-/") else
                         f"\\{ord(ch):03d}" for ch in text) + '"'


class LoadGenerator:
    """The ceiling: oha sends `users` PUTs to distinct ids; wrk sends PUTs for `seconds`."""

    def __init__(self, choice: str, users: int, concurrency: int, seconds: int,
                 workdir: str) -> None:
        self.users, self.concurrency, self.seconds = users, concurrency, seconds
        self.oha = self.wrk = None
        if choice in ("auto", "oha"):
            self.oha = shutil.which("oha") or next(
                (p for p in [os.path.expanduser("~/.cargo/bin/oha"), "/root/.cargo/bin/oha"]
                 if os.access(p, os.X_OK)), None)
        if self.oha is None and choice in ("auto", "wrk"):
            self.wrk = shutil.which("wrk")
        if self.oha:
            version = subprocess.run([self.oha, "--version"], capture_output=True, text=True)
            self.name = f"{version.stdout.strip() or 'oha'} (ceiling)"
        elif self.wrk:
            # wrk prints its version with its usage, and exits 1.
            usage = subprocess.run([self.wrk, "--version"], capture_output=True, text=True)
            words = (usage.stdout or usage.stderr).split()
            self.name = f"{' '.join(words[:2]) or 'wrk'}, {seconds} s (ceiling)"
            self.script = os.path.join(workdir, "put.lua")
            with open(self.script, "w", encoding="utf-8") as f:
                f.write(f"local BODY = {lua_string(BODY)}\n"
                        f"local AUTHORIZATION = {lua_string(HEADERS['Authorization'])}\n"
                        f"local PREFIX = {lua_string(USERS_PATH)}\n" + WRK_SCRIPT)
        else:
            self.name = ""

    def __bool__(self) -> bool:
        return bool(self.name)

    def check(self, url: str) -> None:
        """Loopback only: see what oha's URL pattern expands to before sending anything."""
        if not self.oha:
            return
        dump = subprocess.run([self.oha, "--no-tui", "--dump-urls", "5", "-n", "5", "-m", "PUT",
                               "--rand-regex-url", self.pattern(url)],
                              capture_output=True, text=True, timeout=60, check=True)
        for target in dump.stdout.split():
            if not target.startswith(url + "/"):
                raise RuntimeError(f"oha would send to {target}")

    def pattern(self, url: str) -> str:
        # oha takes the address's dots literally; the id is 12 random digits.
        return f"{url}{USERS_PATH}oha-[0-9]{{12}}"

    def run(self, url: str) -> Run:
        before = cpu_seconds(resource.RUSAGE_CHILDREN)
        if self.oha:
            done = subprocess.run(
                [self.oha, "--no-tui", "--output-format", "json", "-n", str(self.users),
                 "-c", str(self.concurrency), "-m", "PUT", "-H", f"Authorization: {HEADERS['Authorization']}",
                 "-H", "Content-Type: application/json", "-d", BODY,
                 "--rand-regex-url", self.pattern(url)],
                capture_output=True, text=True, timeout=600, check=True)
            summary = json.loads(done.stdout)
            statuses = summary.get("statusCodeDistribution") or {}
            errors = summary.get("errorDistribution") or {}
            sent = sum(statuses.values()) + sum(errors.values())
            ok, seconds = statuses.get("200", 0), summary["summary"]["total"]
        else:
            assert self.wrk
            done = subprocess.run(
                [self.wrk, "-t", str(min(2, self.concurrency)), "-c", str(self.concurrency),
                 "-d", f"{self.seconds}s", "-s", self.script, url],
                capture_output=True, text=True, timeout=self.seconds + 120, check=True)
            found = re.search(r"^LR_RESULT (\d+) (\d+) (\d+)$", done.stdout, re.M)
            if not found:
                raise RuntimeError(f"wrk printed no result:\n{done.stdout}{done.stderr}")
            sent, failed, micros = map(int, found.groups())
            ok, seconds = sent - failed, micros / 1e6
        return Run(sent, ok, seconds, cpu_seconds(resource.RUSAGE_CHILDREN) - before)


@dataclass
class Row:
    server: str
    label: str
    runs: list[Run] = field(default_factory=list)

    def median(self, value: Callable[[Run], float]) -> float:
        return statistics.median(value(run) for run in self.runs)


def bench_bulk(users: int, peer_users: int, concurrency: int, runs: int, load_choice: str,
               wrk_seconds: int) -> None:
    servers: list[Server] = []
    closers: list[Callable[[], None]] = []
    rows: dict[tuple[str, str], Row] = {}

    def record(server: Server, label: str, run: Run) -> None:
        rows.setdefault((server.name, label), Row(server.name, label)).runs.append(run)
        print(f"  {server.name:<13} {label:<36} {run.rate:>9.0f} users/s  "
              f"{run.cpu / run.users * 1000:.3f} CPU s/1000  ({run.ok}/{run.users} ok)",
              file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="python-bench.") as workdir:
        load = LoadGenerator(load_choice, users, concurrency, wrk_seconds, workdir)
        if not load:
            print("neither oha nor wrk found: no ceiling", file=sys.stderr)
        try:
            servers.append(start_emulator())
            servers.append(start_static())
            clients = {server.name: senders(server.url, concurrency, closers) for server in servers}
            for server in servers:
                if load:
                    load.check(server.url)
                # Warm-up: connections, imports, the runtimes' threads.
                for label, send in clients[server.name]:
                    server.reset()
                    send(min(users, 1000), "warm")
            for number in range(runs):
                print(f"run {number + 1} of {runs}", file=sys.stderr, flush=True)
                for server in servers:
                    for label, send in clients[server.name]:
                        server.reset()
                        # The slow pure-Python peers send fewer users: their rate is steady long
                        # before 20,000, and the full count would take most of an hour.
                        count = users if label.startswith("logrocket") else min(users, peer_users)
                        record(server, label, timed(count, lambda: send(count, f"r{number}")))
                    if load:
                        server.reset()
                        record(server, load.name, load.run(server.url))
        finally:
            for close in closers:
                try:
                    close()
                except Exception:  # noqa: BLE001 - closing after the runs; keep stopping
                    pass
            for server in servers:
                server.stop()

    print(f"\n{users:,} users, concurrency {concurrency}, median of {runs} run(s), Python "
          f"{sys.version.split()[0]}, {os.cpu_count()} CPUs; each server in its own process on "
          f"127.0.0.1 (emulator: logrocket_identify.testing.Emulator; static: nginx, "
          f"bench/static_server.sh)\n")
    print("| Server | Client | users/s (median) | CPU s / 1,000 users | % of ceiling "
          "| vs requests | failed (max) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for server in servers:
        mine = [row for row in rows.values() if row.server == server.name]
        ceiling = next((r.median(lambda run: run.rate) for r in mine if r.label == load.name), None)
        baseline = next((r.median(lambda run: run.rate) for r in mine
                         if r.label.startswith("requests")), None)
        for row in mine:
            rate = row.median(lambda run: run.rate)
            cpu = row.median(lambda run: run.cpu / run.users * 1000)
            share = f"{100 * rate / ceiling:.1f}%" if ceiling else "-"
            versus = f"{rate / baseline:.1f}x" if baseline else "-"
            failed = max(run.users - run.ok for run in row.runs)
            print(f"| {row.server} | {row.label} | {rate:,.0f} | {cpu:.3f} | {share} | {versus} "
                  f"| {failed} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--peer-users", type=int, default=5_000,
                        help="users sent by requests and httpx (rates, so comparable)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--load-generator", choices=["auto", "oha", "wrk"], default="auto",
                        help="auto: oha if found, else wrk")
    parser.add_argument("--wrk-seconds", type=int, default=5)
    args = parser.parse_args()
    bench_validate()
    bench_bulk(args.users, args.peer_users, args.concurrency, args.runs, args.load_generator, args.wrk_seconds)


if __name__ == "__main__":
    main()
