"""HTTP concerns of production serving, as middleware (settings.MIDDLEWARE), plus the cache table's creation.

- RequestLogMiddleware: one JSON line per request on the `conflict_events.requests` logger (stdout).
- ReadOnlyCorsMiddleware: any origin may read /api/ (GET, HEAD, OPTIONS), without credentials; nothing else.
- ContentSecurityPolicyMiddleware: a strict Content-Security-Policy on every HTML page.
- create_cache_tables: a post_migrate receiver, so that `migrate` also creates the database cache's table
  (connected on import: CoreConfig.ready() must import this module).
"""

import base64
import hashlib
import json
import logging
import re
import time

from django.conf import settings
from django.db.models.signals import post_migrate
from django.http import HttpResponse
from django.utils.functional import SimpleLazyObject, empty

request_log = logging.getLogger("conflict_events.requests")


def _user_of(request):
    """The user's id, "anonymous", or None when nothing asked who the user is and finding out would cost a
    query (a session cookie on a view that never looked at request.user, such as /healthz)."""
    user = getattr(request, "user", None)
    if user is None:  # answered before authentication ran (a preflight, a redirect to HTTPS, a 413)
        return None
    if (
        isinstance(user, SimpleLazyObject)
        and user._wrapped is empty
        and settings.SESSION_COOKIE_NAME in request.COOKIES
    ):
        return None
    try:
        return user.pk if user.is_authenticated else "anonymous"
    except Exception:  # the log line must never turn a response into an error
        return None


class RequestLogMiddleware:
    """One JSON line per request: method, path (never the query string, which may carry an ACLED `key`),
    status, duration_ms and user (an id, "anonymous" or null; never a name). 5xx are logged as warnings.
    Outermost in MIDDLEWARE, so it times every other layer and sees every response, static files included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        line = {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "user": _user_of(request),
        }
        request_log.log(
            logging.WARNING if response.status_code >= 500 else logging.INFO,
            json.dumps(line, separators=(",", ":")),
        )
        return response


CORS_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CORS_PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": ", ".join(CORS_SAFE_METHODS),
    # What a reading client sends: content negotiation, conditional requests (ETag), an API token.
    "Access-Control-Allow-Headers": "Accept, Accept-Language, Authorization, If-None-Match, If-Modified-Since",
    "Access-Control-Max-Age": "86400",
}
CORS_RESPONSE_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    # Beyond the CORS-safelisted response headers: what revalidation, throttling and downloads use.
    "Access-Control-Expose-Headers": "Content-Disposition, ETag, Retry-After",
}


class ReadOnlyCorsMiddleware:
    """Cross-origin reads of /api/ from any origin: `Access-Control-Allow-Origin: *` on GET, HEAD and OPTIONS,
    and never Access-Control-Allow-Credentials, so a browser sends no cookies and no other site can act with
    a curator's session. A preflight (OPTIONS with Access-Control-Request-Method) is answered here, 204,
    granting only the safe methods; a preflight for any other method gets no CORS headers, so the browser
    never sends that request. Unsafe methods (POST, PUT, PATCH, DELETE) get no CORS headers at all."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        if request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META:
            response = HttpResponse(status=204)
            if request.META["HTTP_ACCESS_CONTROL_REQUEST_METHOD"].upper() in CORS_SAFE_METHODS:
                for header, value in CORS_PREFLIGHT_HEADERS.items():
                    response[header] = value
            return response
        response = self.get_response(request)
        if request.method in CORS_SAFE_METHODS:
            for header, value in CORS_RESPONSE_HEADERS.items():
                response[header] = value
        return response


# Every HTML page: the admin, the browsable API, /api/docs/ (Swagger UI) and /api/redoc/ (ReDoc), whose assets
# all come from /static/ on this server. Scripts only from this server (no inline script, no eval); images
# also as data: URIs (Swagger UI's and ReDoc's icons are data: SVGs). Styles allow 'unsafe-inline': the
# admin's verification badges and the browsable API use style attributes and <style> blocks, and ReDoc
# injects its styles at run time; with img-src, font-src and connect-src limited to this server, injected
# CSS cannot send anything elsewhere. No plugins, no <base>, forms post only here, no framing (as X-Frame-
# Options: DENY).
CSP_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# ReDoc builds its search index in a Web Worker it creates from a blob: URL.
CSP_REDOC_WORKERS = ["'self'", "blob:"]

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)(?:\s[^>]*)?>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def _view_class(request):
    match = getattr(request, "resolver_match", None)
    return getattr(match.func, "view_class", None) if match else None


def _inline_script_hashes(html: str) -> list[str]:
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(html)
    ]


class ContentSecurityPolicyMiddleware:
    """Content-Security-Policy on every HTML response (CSP_DIRECTIVES); JSON and other responses get none.

    Two pages need more, and get it only for themselves, recognised by their view class:
    - Swagger UI (/api/docs/) initialises itself in an inline <script> that drf-spectacular's template fills in
      with the settings and this request's CSRF token, so it differs on every response: the policy allows that
      page's inline scripts by their SHA-256 hashes (still no inline event handlers, no javascript: URLs).
    - ReDoc (/api/redoc/) may start its blob: worker (CSP_REDOC_WORKERS).
    A response that already has a Content-Security-Policy keeps it. Django's technical 500 page (DEBUG only)
    runs inline scripts and is left without a policy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.get("Content-Type", "").startswith("text/html") or response.has_header(
            "Content-Security-Policy"
        ):
            return response
        if settings.DEBUG and response.status_code >= 500:
            return response
        directives = {name: list(sources) for name, sources in CSP_DIRECTIVES.items()}
        view_class = _view_class(request)
        if view_class is not None and response.status_code == 200 and not response.streaming:
            from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

            if issubclass(view_class, SpectacularSwaggerView):
                html = response.content.decode(response.charset or "utf-8")
                directives["script-src"] += _inline_script_hashes(html)
            elif issubclass(view_class, SpectacularRedocView):
                directives["worker-src"] = list(CSP_REDOC_WORKERS)
        response["Content-Security-Policy"] = "; ".join(
            f"{name} {' '.join(sources)}" for name, sources in directives.items()
        )
        return response


def create_cache_tables(sender, using="default", **kwargs):
    """post_migrate receiver: `migrate` also creates the table of every DatabaseCache in CACHES. Django's
    `createcachetable` skips tables that exist, so running once per migrated app is cheap; it runs silently.
    Connected below, when CoreConfig.ready() imports this module."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


# Connected when core.http is imported: CoreConfig.ready() imports it (as it does core.lookups).
post_migrate.connect(create_cache_tables, dispatch_uid="core.http.create_cache_tables")
