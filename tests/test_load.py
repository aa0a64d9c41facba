"""A bounded loopback load test under gunicorn (bench/load.py): mixed reads and writes from several threads
against several worker processes answer without a single error. Latencies are reported by `make
bench-load`, never asserted here (machines are shared and noisy)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import load


def test_mixed_reads_and_writes_under_gunicorn_answer_without_errors():
    with load.Server(workers=3) as server:
        result = load.run(server, requests=300, concurrency=6)
    assert sum(len(v) for v in result["latencies"].values()) == 300
    assert {"list", "detail", "write"} <= set(result["latencies"])
    assert dict(result["errors"]) == {}, load.table(result)
