"""DATABASE_REPLICA_URL: safe API requests read the data from the replica, everything else from the primary.

Run in a child process with both URLs naming the same database (settings are read once per process, and a
test database has no replica of its own): which connection ran which query is what is checked.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("load_seed", verbosity=0)
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from access.models import ApiToken
user = get_user_model().objects.create_user("editor")
user.groups.add(Group.objects.get(name="editors"))
_, key = ApiToken.objects.issue(user=user, name="t")
client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")

def run(method, path, **kwargs):
    with CaptureQueriesContext(connections["default"]) as primary, \\
         CaptureQueriesContext(connections["replica"]) as replica:
        status = getattr(client, method)(path, **kwargs).status_code
    def tables(queries):
        return sorted({q["sql"].split(" FROM ")[1].split()[0].strip('"') for q in queries.captured_queries
                       if q["sql"].startswith("SELECT") and " FROM " in q["sql"]})
    return {"status": status, "primary": tables(primary), "replica": tables(replica)}

print(json.dumps({
    "list": run("get", "/api/v1/events/"),
    "write": run("patch", "/api/v1/events/1/", data={"notes": "checked"}, content_type="application/json"),
    "admin": run("get", "/admin/login/"),
}))
"""


def test_safe_api_reads_go_to_the_replica_and_everything_else_to_the_primary(tmp_path):
    # The child process runs on SQLite whatever this run's database: the routing is the same on any engine.
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": database, "DATABASE_REPLICA_URL": database, "DEBUG": "true",
           "DJANGO_SETTINGS_MODULE": "conflict_events.settings"}  # fmt: skip
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["list"]["status"] == 200
    assert "events_event" in seen["list"]["replica"] and "events_event" not in seen["list"]["primary"]
    # Who is asking is read on the primary (a token just issued is not yet on a lagging replica).
    assert "access_apitoken" in seen["list"]["primary"] and "access_apitoken" not in seen["list"]["replica"]
    assert seen["write"]["status"] == 200
    assert seen["write"]["replica"] == [] and "events_event" in seen["write"]["primary"]
    assert seen["admin"]["replica"] == []
