"""The SQL our API runs for given requests, with each SELECT's plan (for `bench/compare.py --explain`).

Reads a JSON list of API paths on standard input, answers each through Django's test client in this
process (the settings and database of the environment, as the benchmark's server has them) and prints a
JSON object: path → [{"sql": …, "plan": [lines]}]. The queries are captured with CaptureQueriesContext;
the plan is EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflict_events.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def plans(paths: list[str]) -> dict:
    client = Client()
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    out = {}
    for path in paths:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
            if response.streaming:
                b"".join(response.streaming_content)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.content[:500]!r}")
        queries = []
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                cursor.execute(prefix + sql)
                plan = [" | ".join(str(c) for c in row) for row in cursor.fetchall()]
            queries.append({"sql": sql, "time": query["time"], "plan": plan})
        out[path] = queries
    return out


if __name__ == "__main__":
    print(json.dumps(plans(json.load(sys.stdin))))
