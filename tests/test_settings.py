"""Settings come from the environment, fail loudly on bad values, and pass `check --deploy` in production."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x7!kq" * 12,
    "ALLOWED_HOSTS": "events.example.org",
}


def manage(*args, **env):
    clean_env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean_env, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_defaults_would_fail_check_deploy():
    # The same check is able to fail: development mode is not deployable.
    result = manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="true")
    assert result.returncode != 0


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DEBUG": "false", "ALLOWED_HOSTS": "a.example"}, "SECRET_KEY must be set"),
        ({"DEBUG": "false", "SECRET_KEY": "k7Q-x" * 12}, "ALLOWED_HOSTS must be set"),
        ({"DEBUG": "false", "SECRET_KEY": "k" * 60, "ALLOWED_HOSTS": "a.example"}, "SECRET_KEY is too weak"),
        (
            {
                "DEBUG": "false",
                "SECRET_KEY": "development-only-insecure-key-do-not-use-in-production",
                "ALLOWED_HOSTS": "a.example",
            },
            "SECRET_KEY is too weak",
        ),
        ({"ANON_THROTTLE_RATE": "lots"}, "ANON_THROTTLE_RATE must look like"),
        ({"DEBUG": "maybe"}, "DEBUG must be one of"),
        ({"DB_CONN_MAX_AGE": "ten"}, "DB_CONN_MAX_AGE must be a whole number"),
        # Read for an SQLite database only (the suite may run on PostgreSQL: DATABASE_URL is set here).
        ({"SQLITE_MMAP_MB": "1G", "DATABASE_URL": "sqlite://"}, "SQLITE_MMAP_MB must be a whole number"),
        ({"SQLITE_CACHE_MB": "-5", "DATABASE_URL": "sqlite://"}, "SQLITE_CACHE_MB must be at least 0"),
        ({"SECURE_HSTS_SECONDS": "-1"}, "SECURE_HSTS_SECONDS must be at least 0"),
    ],
)
def test_bad_values_fail_loudly_naming_the_variable(env, message):
    result = manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_sqlite_connections_read_through_a_larger_cache_and_mapped_pages_when_asked(tmp_path):
    """Every SQLite connection is given the page cache and memory map of the environment (defaults: 64 MiB,
    none), read back from a database file as the server opens it."""
    script = (
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    print(c.execute('PRAGMA mmap_size').fetchone()[0], c.execute('PRAGMA cache_size').fetchone()[0])"
    )
    url = f"sqlite:///{tmp_path / 'pragmas.sqlite3'}"
    default = manage("shell", "-v", "0", "-c", script, DATABASE_URL=url)
    assert default.stdout.split() == ["0", str(-(2**16))], default.stderr
    tuned = manage(
        "shell", "-v", "0", "-c", script, DATABASE_URL=url, SQLITE_MMAP_MB="256", SQLITE_CACHE_MB="8"
    )
    assert tuned.stdout.split() == [str(256 * 2**20), str(-8 * 2**10)], tuned.stderr
