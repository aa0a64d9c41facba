"""sync_acled mirrors a live ACLED-compatible server (a second instance of this system) into this one."""

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from events.models import Event
from tests.test_ingest_readers import ACLED_BASE, ACLED_COLUMNS, to_bytes

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Instance:
    """Another instance of this system: its own SQLite file, served by its own process on loopback."""

    def __init__(self, workdir: Path):
        self.env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'remote.sqlite3'}", "DEBUG": "true"}
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.port = free_port()
        self.manage("migrate", "--no-input")

    def manage(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    def __enter__(self):
        self.server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.1)
        raise RuntimeError("the second instance did not start")

    def __exit__(self, *exc):
        self.server.terminate()
        self.server.wait(timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"


def sync(*args: str) -> str:
    out = io.StringIO()
    call_command("sync_acled", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_sync_mirrors_a_second_instance_and_its_deletions(tmp_path):
    source = tmp_path / "acled.csv"
    source.write_bytes(to_bytes(ACLED_COLUMNS, ACLED_BASE))
    remote = Instance(tmp_path)
    remote.manage("import_acled", str(source))
    with remote:
        assert "3 events created" in sync("--url", remote.url, "--page-size", "2")
    mirrored = {e.acled_event_id: e for e in Event.objects.all()}
    assert set(mirrored) == {row["event_id_cnty"] for row in ACLED_BASE}
    for row in ACLED_BASE:
        event = mirrored[row["event_id_cnty"]]
        assert event.date_start.isoformat() == row["event_date"]
        assert event.fatalities_best == (
            int(row["fatalities"]) if row["fatalities"] not in ("", "0") else None
        )
        assert sorted(event.actors.values_list("name", flat=True)) == sorted(
            name for column in ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2")
            for name in row[column].split("; ") if name
        )  # fmt: skip

    remote.manage("shell", "-c", "from events.models import Event; from events.services import event_delete; "
                  "event_delete(event=Event.objects.get(acled_event_id='AFG61002'))")  # fmt: skip
    with remote:
        out = sync("--url", remote.url, "--since", "2000-01-01")
    assert "0 events created" in out and "1 deleted" in out
    assert not Event.objects.filter(acled_event_id="AFG61002").exists()
    assert Event.all_objects.get(acled_event_id="AFG61002").deleted_at is not None


@pytest.mark.django_db
def test_an_unreachable_or_refusing_server_changes_nothing():
    with pytest.raises(CommandError, match="cannot read"):
        sync("--url", f"http://127.0.0.1:{free_port()}/api")
    with pytest.raises(CommandError, match="http"):
        sync("--url", "ftp://example.org/api")
    assert not Event.all_objects.exists()
