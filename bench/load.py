"""A bounded loopback load test: mixed reads and writes against the API served by gunicorn.

Usage:  make bench-load                      (a fresh SQLite database with the seed data, 2,000 requests)
        LOAD_REQUESTS=10000 LOAD_CONCURRENCY=16 make bench-load

It migrates a throwaway database, loads the seed data, issues an API token, starts gunicorn with the
project's production settings on a free loopback port, and sends a fixed number of requests from a fixed
number of threads: event lists (plain, filtered, deep pages by cursor), details with conditional requests,
stats, CSV exports, and writes (a claim created, then its quote changed with If-Match). It prints one table:
count, errors (any 5xx, any connection failure, any unexpected status), and latency p50/p95/p99 per kind of
request, and the throughput. `run()` is what the test suite calls, with a small count.
"""

import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(database: Path, port: int) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("LOAD_SECRET_KEY", "load-test-" + "k7Qx-" * 10),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "ANON_THROTTLE_RATE": "1000000/hour",
        "PORT": str(port),
    }


def _manage(env: dict, *args: str) -> str:
    done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


class Server:
    """gunicorn on a throwaway SQLite database with the seed data, for the length of a `with` block."""

    def __init__(self, workers: int = 2):
        self.workers = workers
        self.directory = Path(tempfile.mkdtemp(prefix="load-"))
        self.port = _free_port()
        self.env = _env(self.directory / "db.sqlite3", self.port)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Server":
        _manage(self.env, "migrate", "--verbosity", "0")
        _manage(self.env, "load_seed", "--verbosity", "0")
        _manage(self.env, "shell", "-c", "from django.contrib.auth import get_user_model as g; "
                "from django.contrib.auth.models import Group; "
                "u = g().objects.create_user('load', password='pw-load'); "
                "u.groups.add(*Group.objects.filter(name__in=['editors', 'reviewers']))")  # fmt: skip
        self.token = _manage(self.env, "create_api_token", "load").split("The new token is ")[-1].split()[0]
        self.process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "conflict_events.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--timeout", "60", "--log-level", "warning"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        # A loaded machine can take a while to start the workers; a slow answer is a retry, not a failure,
        # and whatever happens the server is stopped.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=5) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.2)
            if self.process.poll() is not None:
                break
        self.__exit__()
        raise RuntimeError(f"gunicorn did not become ready: {self.process.stderr.read().decode()[-2000:]}")

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _request(url: str, *, method="GET", body=None, headers=None) -> tuple[int, dict, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", **(headers or {}),
    })  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def run(server: Server, requests: int = 2000, concurrency: int = 8, seed: int = 1) -> dict:
    """Send `requests` mixed requests from `concurrency` threads; the latencies and errors per kind."""
    auth = {"Authorization": f"Bearer {server.token}"}
    base = f"{server.url}/api/v1"
    events = json.loads(_request(f"{base}/events/?page_size=100")[2])["results"]
    ids = [e["id"] for e in events]
    report = json.loads(_request(f"{base}/reports/?page_size=1")[2])["results"][0]["id"]
    rng = random.Random(seed)
    lock = threading.Lock()
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)

    def one(kind: str) -> None:
        started = time.perf_counter()
        try:
            problem = _one(kind)
        except Exception as exc:  # a refused connection, a timeout: an error of the run, not a crash
            problem = f"{type(exc).__name__}: {exc}"
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            latencies[kind].append(elapsed)
            if problem:
                errors[kind].append(problem)

    def _one(kind: str) -> str | None:
        event = ids[hash(threading.get_ident()) % len(ids)]
        if kind == "list":
            status, _, _ = _request(f"{base}/events/?page_size=50")
        elif kind == "filtered":
            status, _, _ = _request(f"{base}/events/?country=AF&verification=claimed&date_after=2022-01-01")
        elif kind == "deep page":
            status, _, body = _request(f"{base}/events/?page_size=2")
            cursor = json.loads(body).get("next_cursor")
            if status == 200 and cursor:
                status, _, _ = _request(f"{base}/events/?page_size=2&cursor={cursor}")
        elif kind == "detail":
            status, headers, _ = _request(f"{base}/events/{event}/")
            if status == 200:
                status, _, _ = _request(f"{base}/events/{event}/", headers={"If-None-Match": headers["ETag"]})
                status = 200 if status == 304 else status
        elif kind == "stats":
            status, _, _ = _request(f"{base}/stats/events/?group_by=month")
        elif kind == "csv":
            status, _, _ = _request(f"{base}/events/?format=csv")
        else:  # a write: a claim, then a conditional change of it
            body = {"event": event, "report": report, "stance": "cannot_confirm", "quote": "Load test."}
            status, headers, created = _request(f"{base}/claims/", method="POST", body=body, headers=auth)
            if status == 201:
                claim = json.loads(created)["id"]
                status, _, _ = _request(f"{base}/claims/{claim}/", method="PATCH", body={"quote": "Changed."},
                                        headers={**auth, "If-Match": headers["ETag"]})  # fmt: skip
            if status not in (200, 201):
                return f"write answered {status}"
            return None
        return None if status == 200 else f"{kind} answered {status}"

    kinds = ["list"] * 30 + ["filtered"] * 15 + ["deep page"] * 10 + ["detail"] * 25 + ["stats"] * 5
    kinds += ["csv"] * 5 + ["write"] * 10
    plan = [rng.choice(kinds) for _ in range(requests)]
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, plan))
    seconds = time.perf_counter() - started
    return {"requests": requests, "concurrency": concurrency, "seconds": seconds, "latencies": latencies,
            "errors": errors}  # fmt: skip


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def table(result: dict) -> str:
    lines = [f"{result['requests']:,} requests from {result['concurrency']} threads in {result['seconds']:.1f} s "
             f"({result['requests'] / result['seconds']:.0f} req/s)", "",
             "| kind | count | errors | p50 ms | p95 ms | p99 ms |", "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for kind, values in sorted(result["latencies"].items()):
        lines.append(
            f"| {kind} | {len(values)} | {len(result['errors'].get(kind, []))} | {percentile(values, 0.5):.1f} "
            f"| {percentile(values, 0.95):.1f} | {percentile(values, 0.99):.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    requests = int(os.environ.get("LOAD_REQUESTS", "2000"))
    concurrency = int(os.environ.get("LOAD_CONCURRENCY", "8"))
    with Server(workers=int(os.environ.get("LOAD_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))) as server:
        result = run(server, requests, concurrency)
    print(table(result))
    for kind, problems in result["errors"].items():
        print(f"\n{kind}: {len(problems)} errors, e.g. {problems[:3]}")
    sys.exit(1 if result["errors"] else 0)


if __name__ == "__main__":
    main()
