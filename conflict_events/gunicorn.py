"""gunicorn's configuration for production serving: `make serve-prod`, or
`gunicorn -c conflict_events/gunicorn.py` from the project directory.

Driven by the environment like the settings:
- BIND: where to listen, e.g. `0.0.0.0:8000` or `unix:/run/conflict-events.sock` (comma-separated for
  several); otherwise HOST:PORT, default 127.0.0.1:8000 (behind a reverse proxy on the same host).
- WEB_CONCURRENCY: worker processes; default 2 x CPUs available to this process + 1.
- LOG_LEVEL: gunicorn's own log (stderr), like Django's. There is no access log: the application writes one
  JSON line per request to stdout (core.http.RequestLogMiddleware).
- Any other gunicorn option via GUNICORN_CMD_ARGS (e.g. "--timeout 120"), which overrides this file.
"""

import os


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may run on (taskset, cpusets)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _workers() -> int:
    raw = os.environ.get("WEB_CONCURRENCY", "").strip()
    if raw == "":
        return 2 * _available_cpus() + 1
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"WEB_CONCURRENCY must be a whole number of at least 1, got {raw!r}")
    return int(raw)


wsgi_app = "conflict_events.wsgi:application"
proc_name = "conflict_events"

bind = [
    address.strip()
    for address in (
        os.environ.get("BIND")
        or f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '8000'}"
    ).split(",")
    if address.strip()
]
workers = _workers()
worker_class = "sync"  # one request at a time per worker; put a buffering proxy (nginx) in front

# A worker silent for this long is killed and replaced (a stuck request); large exports and admin imports
# finish well within it. On shutdown or reload, requests in flight get graceful_timeout to finish.
timeout = 60
graceful_timeout = 30
# Replace each worker after about a thousand requests, staggered, so slow memory growth cannot accumulate.
max_requests = 1000
max_requests_jitter = 100
# The workers' heartbeat files in memory, not on a disk that may block (containers' /tmp).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

accesslog = None  # the request log is the application's (JSON lines on stdout)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# gunicorn's control socket lives at one path per user ($HOME/.gunicorn/gunicorn.ctl), so two servers on one
# host would collide there; nothing here uses it.
control_socket_disable = True
