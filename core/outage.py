"""A database that does not answer is an outage of the service, not a bug in a request.

While the database is down, restarting, unreachable or out of connections, every request that needs it
gets `503 Service Unavailable` with `Retry-After`: never a 500, never the database's own words. Nothing
has to be restarted when the database is back: Django opens a new connection for the next request (it
closes a connection that failed when its request ends, and with `CONN_HEALTH_CHECKS` it checks a
persistent one before reusing it; see `DATABASES` in the settings).

One answer, reached three ways:
- the API's exception handler (`access.authentication.exception_handler`) calls `api_outage_response`, so
  the API answers with its usual JSON error, rendered like its other errors;
- `DatabaseOutageMiddleware.process_exception` answers for every other view (the admin, the import page);
- an outage raised outside any view (a middleware saving the session) has already been turned into a 500
  by Django when the middleware sees the response; `got_request_exception` tells it so, and it answers the
  503 instead;
- a streamed export (CSV, GeoJSON) runs its queries as its chunks are made, which the server would do
  after the status was sent: the middleware makes the first chunks itself (`STREAM_MADE_HERE` bytes, past
  any opening such as a CSV header or GeoJSON's `{"type":…`), so an outage at the start is a 503 too. An
  export that loses the database later can only be cut off: its 200 is on its way.

`/readyz` answers its own 503 while the database is out (conflict_events/urls.py); `/healthz` never touches
the database, so it keeps saying the process is alive.
"""

import itertools
import logging
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connection
from django.http import FileResponse, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

# Long enough for a restart or a fail-over to be under way, short enough that clients come back soon.
RETRY_AFTER_SECONDS = 5
# How much of a streamed response is made before its status is sent: enough to have run its first query.
STREAM_MADE_HERE = 64 * 1024
DETAIL = "The database is unavailable for the moment; retry in a few seconds."


def is_outage(exc: BaseException) -> bool:
    """Whether an error says the database cannot answer now (a refused or dropped connection, a connection
    already closed, a lock or a deadlock it gave up on), as opposed to a statement it refused. Django's
    classes and the driver's own: raw cursors (core.bulk_sql) raise the driver's."""
    driver = connection.Database
    return isinstance(exc, (OperationalError, InterfaceError, driver.OperationalError, driver.InterfaceError))


def _log(request, exc: BaseException) -> None:
    # With the traceback: an outage is for operators to see, and a bug dressed as one must stay visible.
    logger.warning("The database is unavailable: %s %s", request.method, request.path, exc_info=exc)


def outage_response(request, exc: BaseException) -> HttpResponse:
    """The 503: JSON under /api/ (the API's error shape), plain text elsewhere."""
    _log(request, exc)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": DETAIL}, status=503)
    else:
        response = HttpResponse(f"{DETAIL}\n", status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def api_outage_response(exc: BaseException, request):
    """The 503 for the API's exception handler: a DRF Response, negotiated and rendered like the API's
    other errors."""
    from rest_framework.response import Response

    _log(request, exc)
    return Response({"detail": DETAIL}, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class DatabaseOutageMiddleware:
    """503 with Retry-After for any request that met an outage (see the module docstring). Placed just inside
    the request log, outside every other middleware, so that the log records the 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        exc = getattr(request, "database_outage", None)
        if exc is not None and response.status_code == 500:
            return outage_response(request, exc)
        if response.streaming and not response.is_async and not isinstance(response, FileResponse):
            return self._with_first_chunk_made(request, response)
        return response

    @staticmethod
    def _with_first_chunk_made(request, response):
        """A streamed response whose first STREAM_MADE_HERE bytes are made here, or the 503 if the database
        failed them. (Files are left alone: they need no database, and the server may send them with
        sendfile.)"""
        chunks = iter(response.streaming_content)
        first, size = [], 0
        try:
            while size < STREAM_MADE_HERE and (chunk := next(chunks, None)) is not None:
                first.append(chunk)
                size += len(chunk)
        except Exception as exc:
            if not is_outage(exc):
                raise
            # Not response.close(): that sends request_finished, which the server sends once, for the 503.
            return outage_response(request, exc)
        response.streaming_content = itertools.chain(first, chunks)
        return response

    def process_exception(self, request, exception):
        if is_outage(exception):
            return outage_response(request, exception)
        return None


def _note_outage(sender, request=None, **kwargs) -> None:
    """Django sends `got_request_exception` while it turns an uncaught error into a 500, inside its
    `except` block: note an outage on the request for DatabaseOutageMiddleware."""
    exc = sys.exc_info()[1]
    if request is not None and exc is not None and is_outage(exc):
        request.database_outage = exc


# Connected on import: MIDDLEWARE names this module, so it is imported before the first request.
got_request_exception.connect(_note_outage, dispatch_uid="core.outage.note_outage")
