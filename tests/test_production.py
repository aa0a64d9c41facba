"""Production serving: gunicorn (make serve-prod), the shared cache, request logs, read-only CORS and the
Content-Security-Policy of the HTML pages.

What must hold across processes runs in real processes: gunicorn itself, and `manage.py` subprocesses on a
temporary SQLite database migrated once for this module.
"""

import base64
import hashlib
import json
import logging
import os
import re
import runpy
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import HTTPRedirectHandler, Request, build_opener

import pytest
from django.conf import settings
from django.test import Client

from tests import conformance

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x7!kq" * 12,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
}
# What the caller's environment must not decide for these processes.
OWN_VARIABLES = {
    "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "ANON_THROTTLE_RATE", "BIND", "HOST",
    "PORT", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS", "LOG_LEVEL", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER",
    "TRUSTED_PROXIES", "DJANGO_ALLOW_ASYNC_UNSAFE",
}  # fmt: skip
REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


def environment(**env) -> dict:
    return {**{k: v for k, v in os.environ.items() if k not in OWN_VARIABLES}, **env}


def manage(*args, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment(**env), capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def python(code: str, **env) -> str:
    """Run code in `manage.py shell` (a new process with these settings) and return what it printed."""
    result = manage("shell", "--no-imports", "-c", code, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory) -> Path:
    """An SQLite file with every migration applied and the cache table, made once; tests use copies."""
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    python(
        "from django.core.management import call_command; call_command('migrate', verbosity=0);"
        "call_command('createcachetable')",
        DATABASE_URL=f"sqlite:///{path}",
    )
    return path


@pytest.fixture
def database_url(migrated_database, tmp_path) -> str:
    copy = tmp_path / "db.sqlite3"
    shutil.copyfile(migrated_database, copy)
    return f"sqlite:///{copy}"


def table_names(database_url: str) -> set[str]:
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
        return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


# 1. gunicorn ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirects(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is the answer under test


def fetch(url: str, **headers) -> tuple[int, dict, bytes]:
    try:
        with build_opener(NoRedirects).open(Request(url, headers=headers), timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_gunicorn_serves_in_production_mode_and_logs_one_json_line_per_request(database_url, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"
    env = environment(**PRODUCTION, DATABASE_URL=database_url, BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="2")
    with stdout.open("w") as out, stderr.open("w") as err:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "conflict_events/gunicorn.py"],
            cwd=ROOT, env=env, stdout=out, stderr=err,
        )  # fmt: skip
    # Behind a TLS-terminating proxy on this host: gunicorn trusts X-Forwarded-Proto from 127.0.0.1.
    https = {"X-Forwarded-Proto": "https"}
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                status, _, body = fetch(f"{base}/healthz", **https)
                break
            except OSError:
                assert server.poll() is None, stderr.read_text()
                assert time.monotonic() < deadline, (
                    "gunicorn did not answer within 15 s: " + stderr.read_text()
                )
                time.sleep(0.2)
        assert status == 200 and json.loads(body)["status"] == "ok"
        status, _, body = fetch(f"{base}/readyz", **https)
        assert (status, json.loads(body)["status"]) == (200, "ready")
        status, headers, body = fetch(f"{base}/api/v1/events/", **https)
        assert status == 200 and "results" in json.loads(body)
        assert headers["Access-Control-Allow-Origin"] == "*"
        assert "Content-Security-Policy" not in headers  # JSON
        fetch(
            f"{base}/api/acled/read?key=do-not-log-me&limit=1", **https
        )  # ACLED clients send a key in the URL
        # Production settings are in force: plain HTTP is redirected to HTTPS.
        status, headers, _ = fetch(f"{base}/healthz")
        assert status == 301 and headers["Location"].startswith("https://")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert server.returncode == 0, stderr.read_text()

    lines = [json.loads(line) for line in stdout.read_text().splitlines() if line.startswith("{")]
    assert {"method": "GET", "path": "/readyz", "status": 200, "user": "anonymous"}.items() <= lines[
        1
    ].items()
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("GET", "/healthz", 200),
        ("GET", "/readyz", 200),
        ("GET", "/api/v1/events/", 200),
        ("GET", "/api/acled/read", lines[3]["status"]),
        ("GET", "/healthz", 301),
    ]
    assert all(isinstance(line["duration_ms"], float) for line in lines)
    assert "do-not-log-me" not in stdout.read_text()
    errors = stderr.read_text()
    assert "Booting worker" in errors and '"path"' not in errors  # the request log only on stdout
    assert "Traceback" not in errors


def gunicorn_config(monkeypatch, **env) -> dict:
    for name in OWN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "conflict_events" / "gunicorn.py"))


def test_gunicorn_config_defaults_and_environment(monkeypatch):
    config = gunicorn_config(monkeypatch)
    assert config["bind"] == ["127.0.0.1:8000"]
    assert config["workers"] == 2 * len(os.sched_getaffinity(0)) + 1
    assert config["wsgi_app"] == "conflict_events.wsgi:application"
    assert config["accesslog"] is None and config["timeout"] > 0 and config["graceful_timeout"] > 0

    config = gunicorn_config(monkeypatch, WEB_CONCURRENCY="3", HOST="0.0.0.0", PORT="9000")
    assert (config["workers"], config["bind"]) == (3, ["0.0.0.0:9000"])
    config = gunicorn_config(monkeypatch, BIND="unix:/run/ce.sock, 127.0.0.1:8001", PORT="9000")
    assert config["bind"] == ["unix:/run/ce.sock", "127.0.0.1:8001"]
    with pytest.raises(ValueError, match="WEB_CONCURRENCY"):
        gunicorn_config(monkeypatch, WEB_CONCURRENCY="lots")


def test_make_serve_prod_migrates_creates_the_cache_table_collects_static_and_runs_gunicorn(tmp_path):
    """The Makefile's recipes, run by make with stand-ins for the virtualenv's python and gunicorn."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    calls = tmp_path / "calls"
    for name in ("python", "gunicorn"):
        stub = venv / "bin" / name
        stub.write_text(f'#!/bin/sh\necho "{name} $* DEBUG=$DEBUG HOST=$HOST PORT=$PORT" >> {calls}\n')
        stub.chmod(0o755)
    (venv / ".install-stamp").touch()  # newer than the requirements: nothing to install

    env = environment()
    env.pop("MAKEFLAGS", None)
    result = subprocess.run(
        ["make", "--no-print-directory", "serve-prod", f"VENV={venv}", "PORT=8123"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert calls.read_text().splitlines() == [
        "python manage.py migrate --no-input DEBUG=false HOST= PORT=8123",
        "python manage.py createcachetable DEBUG=false HOST= PORT=8123",
        "python manage.py collectstatic --no-input --verbosity 0 DEBUG=false HOST= PORT=8123",
        "gunicorn --config conflict_events/gunicorn.py DEBUG=false HOST=127.0.0.1 PORT=8123",
    ]

    calls.unlink()
    result = subprocess.run(
        ["make", "--no-print-directory", "serve", f"VENV={venv}"], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "python manage.py createcachetable" in calls.read_text()


# An export of several chunks, from a database file, is read by forked readers (events.formats.projection);
# the test suite's own SQLite is in memory, where it reads in turn.
FORKED_EXPORT = """
import json, multiprocessing
from django.core.management import call_command
from events.formats import EXPORTS, projection
from events.models import Event
call_command("load_seed")
projection.CHUNK_SIZE = 2  # the seed's 10 events in 5 chunks
started = []
start = projection.FORK.Process.start
projection.FORK.Process.start = lambda process: (started.append(process.name), start(process))[1]
same, events = {}, Event.objects.order_by("-date_start", "-id")
for name in EXPORTS:
    forked = "".join(EXPORTS[name].stream(events))
    projection.READERS = 1
    in_turn = "".join(EXPORTS[name].stream(events))
    projection.READERS = 2
    same[name] = forked == in_turn and len(in_turn) > 1000
# A client that goes away: the readers end on their own, none is terminated.
terminated, terminate = [], projection.FORK.Process.terminate
projection.FORK.Process.terminate = lambda process: (terminated.append(process.name), terminate(process))[1]
stream = EXPORTS["csv"].stream(events)
next(stream), next(stream), stream.close()
print(json.dumps({"same": same, "readers": len(started), "alive": len(multiprocessing.active_children()),
                  "terminated": terminated}))
"""


def test_an_export_from_a_database_file_is_shared_by_forked_readers_with_the_same_text(database_url):
    result = json.loads(python(FORKED_EXPORT, DATABASE_URL=database_url).splitlines()[-1])
    assert result == {
        "same": {"csv": True, "geojson": True, "acled": True, "ucdp": True},
        "readers": 10,
        "alive": 0,
        "terminated": [],
    }


# 2. The shared cache ----------------------------------------------------------------------------------------

BACKEND = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"


def test_the_cache_is_the_database_by_default_and_redis_with_redis_url(database_url):
    assert python(BACKEND, DATABASE_URL=database_url).strip() == "core.cache.DatabaseCache"
    assert (
        python(BACKEND, DATABASE_URL=database_url, REDIS_URL=REDIS_TEST_URL).strip()
        == "core.cache.RedisCache"
    )
    assert python(BACKEND, **PRODUCTION).strip() == "core.cache.DatabaseCache"


def test_the_redis_cache_keeps_one_client_per_connection_pool():
    from core.cache import RedisCache

    client = RedisCache(REDIS_TEST_URL, {})._cache  # no connection is opened until a command is sent
    assert client.get_client("a") is client.get_client("b", write=True)


def test_this_test_run_uses_a_per_process_cache_explicitly():
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


THROTTLED_REQUESTS = """
import os
from django.core.cache import caches
from django.test import Client

from tests import conformance
client = Client(REMOTE_ADDR=os.environ["CLIENT_ADDRESS"])
codes = [client.get("/api/v1/events/").status_code for _ in range(int(os.environ["N"]))]
print("RESULT", type(caches["default"]).__name__, *codes)
"""


def throttled_requests(n: int, **env) -> list[str]:
    printed = python(THROTTLED_REQUESTS, N=str(n), **env).splitlines()  # request log lines, then the result
    return [line for line in printed if line.startswith("RESULT ")][0].split()[1:]


def redis_answers() -> bool:
    import redis

    try:
        return redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.mark.parametrize("redis_url", [None, REDIS_TEST_URL], ids=["database", "redis"])
def test_two_processes_share_the_anonymous_throttle(database_url, redis_url):
    if redis_url and not redis_answers():
        pytest.skip(f"no Redis answers at {redis_url}")
    env = {
        "DATABASE_URL": database_url,
        # A day's window: the estimate weighs the previous window by the share still inside the last
        # duration, so two processes that straddle a window's end would see fewer than 2 (a minute's
        # window failed CI once; seconds apart, a day's is crossed about once in 20,000 runs).
        "ANON_THROTTLE_RATE": "2/day",
        # A client address of its own, so that no earlier run's counts (kept in Redis) interfere.
        "CLIENT_ADDRESS": f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}",
        **({"REDIS_URL": redis_url} if redis_url else {}),
    }
    backend = "RedisCache" if redis_url else "DatabaseCache"
    assert throttled_requests(2, **env) == [backend, "200", "200"]
    # Another process sees the two requests the first one made (with a per-process cache it would answer 200).
    assert throttled_requests(1, **env) == [backend, "429"]


def test_migrate_creates_the_cache_table_through_the_post_migrate_receiver(database_url):
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
        db.execute("DROP TABLE cache_table")
    assert "cache_table" not in table_names(database_url)
    python(
        "from django.db.models.signals import post_migrate; import core.http;"
        "from django.core.management import call_command; call_command('migrate', verbosity=0)",
        DATABASE_URL=database_url,
    )
    assert "cache_table" in table_names(database_url)


def test_plain_manage_py_migrate_creates_the_cache_table(database_url):
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
        db.execute("DROP TABLE cache_table")
    wired = python("import sys; print('core.http' in sys.modules)", DATABASE_URL=database_url).strip()
    if wired != "True":
        pytest.skip(
            "core/apps.py does not import core.http in ready() yet, so `migrate` alone cannot create it"
        )
    result = manage("migrate", "--no-input", DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    assert "cache_table" in table_names(database_url)


# 3. Request logs --------------------------------------------------------------------------------------------


@pytest.fixture
def request_log(caplog):
    """The request logger's records (it does not propagate to the root logger, where caplog listens)."""
    logger = logging.getLogger("conflict_events.requests")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="conflict_events.requests")
    try:
        yield lambda: [json.loads(r.getMessage()) for r in caplog.records if r.name == logger.name]
    finally:
        logger.removeHandler(caplog.handler)


@pytest.mark.django_db
def test_each_request_is_one_json_line_without_query_string_or_user_name(staff_client, request_log):
    client = Client()
    client.get("/api/v1/events/")
    client.get("/api/v1/no-such-thing/")
    client.get("/api/acled/read?key=secret-acled-key&email=someone@example.org&limit=1")
    staff_client.post("/api/v1/sources/", {"name": "Kabul Wire", "kind": "wire", "scale": "local"},
                      content_type="application/json")  # fmt: skip
    first, missing, acled, created = request_log()
    assert first == {
        "method": "GET", "path": "/api/v1/events/", "status": 200, "duration_ms": first["duration_ms"],
        "user": "anonymous",
    }  # fmt: skip
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert (missing["path"], missing["status"]) == ("/api/v1/no-such-thing/", 404)
    assert acled["path"] == "/api/acled/read"
    assert (created["method"], created["status"], created["user"]) == ("POST", 201, staff_client.user.pk)
    text = json.dumps(request_log())
    assert "secret-acled-key" not in text and "someone@example.org" not in text and "curator" not in text


def test_the_request_log_goes_to_stdout_alone():
    config = settings.LOGGING
    logger = config["loggers"]["conflict_events.requests"]
    assert logger["propagate"] is False
    assert [config["handlers"][name]["stream"] for name in logger["handlers"]] == ["ext://sys.stdout"]


@pytest.mark.django_db
def test_healthz_still_makes_no_query_for_a_logged_in_client(
    staff_client, django_assert_num_queries, request_log
):
    """Logging the user must not look them up where the view did not (liveness never touches the database)."""
    with django_assert_num_queries(0):
        assert staff_client.get("/healthz").status_code == 200
    assert request_log()[-1]["user"] is None


# 4. CORS ----------------------------------------------------------------------------------------------------

ORIGIN = {"HTTP_ORIGIN": "https://dashboard.example.net"}


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "head", "options"])
def test_api_reads_are_open_to_any_origin_without_credentials(client, method):
    response = getattr(client, method)("/api/v1/events/", **ORIGIN)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]
    assert not response.has_header("Access-Control-Allow-Credentials")


@pytest.mark.django_db
def test_errors_of_reads_are_readable_cross_origin_too(client):
    response = client.get("/api/v1/events/999999/", **ORIGIN)
    assert response.status_code == 404 and response["Access-Control-Allow-Origin"] == "*"


def test_a_preflight_for_a_read_is_answered_here():
    response = Client().options(
        "/api/v1/events/",
        **ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, if-none-match",
    )
    assert response.status_code == 204 and response.content == b""
    assert response["Access-Control-Allow-Origin"] == "*"
    methods = {m.strip() for m in response["Access-Control-Allow-Methods"].split(",")}
    assert methods == {"GET", "HEAD", "OPTIONS"}
    allowed = {h.strip().lower() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "if-none-match"} <= allowed
    assert int(response["Access-Control-Max-Age"]) > 0
    assert not response.has_header("Access-Control-Allow-Credentials")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_preflight_for_a_write_is_refused(method):
    response = Client().options(
        "/api/v1/events/1/", **ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD=method
    )  # fmt: skip
    assert not any(header.lower().startswith("access-control-") for header in response.headers)


@pytest.mark.django_db
def test_writes_get_no_cors_headers(staff_client):
    for response in (
        Client().post("/api/v1/sources/", {"name": "x"}, content_type="application/json", **ORIGIN),
        staff_client.post(
            "/api/v1/sources/",
            {"name": "Herat Daily", "kind": "wire", "scale": "local"},
            content_type="application/json",
            **ORIGIN,
        ),  # fmt: skip
    ):
        assert response.status_code in (201, 401, 403)
        assert not any(header.lower().startswith("access-control-") for header in response.headers)


@pytest.mark.django_db
def test_pages_outside_the_api_get_no_cors_headers(client):
    assert not client.get("/healthz", **ORIGIN).has_header("Access-Control-Allow-Origin")
    assert not client.get("/admin/login/", **ORIGIN).has_header("Access-Control-Allow-Origin")


# 5. Content-Security-Policy ---------------------------------------------------------------------------------


class PageAssets(HTMLParser):
    """What a page asks the browser to run or load: script and stylesheet URLs, inline scripts (not data blocks
    such as type=application/json), inline styles, event-handler attributes and javascript: URLs."""

    EXECUTABLE = {"", "text/javascript", "module", "application/javascript"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=False)
        self.script_urls, self.stylesheet_urls, self.inline_scripts = [], [], []
        self.inline_styles = self.handlers = self.javascript_urls = 0
        self._script = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.handlers += sum(name.startswith("on") for name in attrs)
        self.javascript_urls += sum((value or "").strip().lower().startswith("javascript:") for value in
                                    attrs.values())  # fmt: skip
        self.inline_styles += "style" in attrs or tag == "style"
        if tag == "script":
            if attrs.get("src"):
                self.script_urls.append(attrs["src"])
            elif (attrs.get("type") or "").lower() in self.EXECUTABLE:
                self._script = []
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "").split():
            self.stylesheet_urls.append(attrs["href"])

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.inline_scripts.append("".join(self._script))
            self._script = None


def policy_of(response) -> dict[str, list[str]]:
    directives = [d.split() for d in response["Content-Security-Policy"].split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


def sha256_source(text: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


def same_origin(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


HTML_PAGES = [
    ("/api/docs/", False),
    ("/api/redoc/", False),
    ("/admin/login/", False),
    ("/admin/", True),
    ("/admin/events/event/", True),
    ("/admin/events/event/add/", True),
    ("/admin/events/event/1/change/", True),
    ("/admin/events/event/1/history/", True),
    ("/api/v1/", False),
    ("/api/v1/events/?format=api", False),
    ("/api/v1/events/?format=api", True),
    ("/no-such-page/", False),
]


@pytest.mark.django_db
@pytest.mark.usefixtures("seed")
@pytest.mark.parametrize("path, as_staff", HTML_PAGES)
def test_every_html_page_has_a_policy_that_allows_exactly_what_it_runs(
    staff_client, path, as_staff, monkeypatch
):
    if path.startswith("/api/v1/"):  # the browsable API: HTML, which the schema rightly does not describe
        monkeypatch.setattr(conformance, "check", lambda response: None)
    response = (staff_client if as_staff else Client()).get(path, HTTP_ACCEPT="text/html")
    assert response.status_code in (200, 404) and response["Content-Type"].startswith("text/html")
    policy = policy_of(response)
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'self'"]
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "blob:", "https:"} & set(
        policy["script-src"]
    )
    assert policy["script-src"][0] == "'self'"

    page = PageAssets(response.content.decode())
    assert all(same_origin(url) for url in page.script_urls + page.stylesheet_urls), page.script_urls
    # Every inline script the page runs is allowed by its hash, and nothing else is.
    assert sorted(policy["script-src"][1:]) == sorted({sha256_source(s) for s in page.inline_scripts})
    assert page.handlers == 0 and page.javascript_urls == 0  # would be blocked even with hashes
    if page.inline_styles:
        assert "'unsafe-inline'" in policy["style-src"]
    # Only ReDoc starts a worker (from a blob: URL).
    assert ("worker-src" in policy) == path.startswith("/api/redoc/")


@pytest.mark.django_db
def test_swagger_ui_runs_its_inline_script_and_redoc_its_blob_worker(client):
    docs = client.get("/api/docs/")
    scripts = PageAssets(docs.content.decode()).inline_scripts
    assert len(scripts) == 1 and "SwaggerUIBundle(" in scripts[0]
    assert sha256_source(scripts[0]) in policy_of(docs)["script-src"]
    # The script carries this response's CSRF token, so its hash is this response's alone.
    assert policy_of(client.get("/api/docs/"))["script-src"] != policy_of(docs)["script-src"]

    redoc = client.get("/api/redoc/")
    assert policy_of(redoc)["worker-src"] == ["'self'", "blob:"]
    assert "script-src" in policy_of(redoc) and len(policy_of(redoc)["script-src"]) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/events/", "/healthz", "/api/schema/", "/api/v1/events/?format=csv"]
)
def test_responses_that_are_not_html_get_no_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert not response.has_header("Content-Security-Policy")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline')));
"""


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_browser_reports_no_policy_violation_on_the_docs_admin_and_browsable_api(
    live_server, django_user_model, monkeypatch
):
    """Headless Chromium loads each page under its policy and lets it run; the policy blocks nothing."""
    from django.core.management import call_command
    from playwright.sync_api import sync_playwright

    call_command("load_seed", verbosity=0)
    django_user_model.objects.create_superuser("curator", "curator@example.org", "pw-for-csp-test")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    seen = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            page.add_init_script(VIOLATIONS)

            def visit(path, ready):
                page.goto(f"{live_server.url}{path}")
                page.wait_for_selector(ready)
                page.wait_for_timeout(300)  # late loads (workers, fonts, images)
                seen[path] = page.evaluate("window.__csp")

            visit("/api/docs/", ".swagger-ui .opblock")
            visit("/api/redoc/", "h1:has-text('Conflict Events API')")
            page.fill("input.search-input", "events")  # ReDoc's worker searches
            page.wait_for_timeout(300)
            seen["/api/redoc/ search"] = page.evaluate("window.__csp")
            visit("/api/v1/events/?format=api", ".response-info")
            visit("/admin/login/", "#id_username")
            page.fill("#id_username", "curator")
            page.fill("#id_password", "pw-for-csp-test")
            page.click("input[type=submit]")
            page.wait_for_url(f"{live_server.url}/admin/")
            visit("/admin/events/event/add/", "#event_form")
            page.click("#event_actors-group .add-row a")  # the admin's inline-formset script
            page.wait_for_selector("#event_actors-0")
            seen["/admin/events/event/add/ inline"] = page.evaluate("window.__csp")
            visit("/api/v1/events/?format=api", ".response-info")  # logged in: with the forms
        finally:
            browser.close()
    # Loads from other hosts are blocked on purpose (ReDoc's "powered by" logo from cdn.redoc.ly); anything else
    # blocked (an inline script, eval, a worker, this server's own assets) would break the page.
    local = f"{live_server.url}/"
    broken = {
        path: [v for v in violations if not re.search(r" blocked https?://", v) or local in v]
        for path, violations in seen.items()
    }
    assert len(seen) == 7 and all(v == [] for v in broken.values()), seen


def test_policy_names_no_other_host():
    from core.http import CSP_DIRECTIVES, CSP_REDOC_WORKERS

    sources = [s for sources in CSP_DIRECTIVES.values() for s in sources] + CSP_REDOC_WORKERS
    assert not [s for s in sources if re.match(r"^(https?:|\*|[a-z0-9.-]+\.[a-z]{2,})", s)]
