from pathlib import Path

from django.contrib import admin
from django.http import HttpResponse, JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from actors.api.views import ActorViewSet
from conflict_events import __version__
from events.api.acled import AcledEventsView, ActorsView, CountriesView, DeletedEventsView
from events.api.analysis import ActorTrackRecordView, EventStatsView, LocationControlView
from events.api.views import ClaimViewSet, EventViewSet
from ingest.admin_views import import_view
from locations.api.views import LocationViewSet
from sources.api.views import ReportViewSet, SourceViewSet

router = DefaultRouter()
router.register("events", EventViewSet, basename="event")
router.register("actors", ActorViewSet, basename="actor")
router.register("locations", LocationViewSet, basename="location")
router.register("sources", SourceViewSet, basename="source")
router.register("reports", ReportViewSet, basename="report")
router.register("claims", ClaimViewSet, basename="claim")


def healthz(request):
    """Liveness: the process answers. It does not touch the database, so a slow query cannot fail it."""
    return JsonResponse({"status": "ok", "version": __version__})


_migrated = False


def readyz(request):
    """Readiness: the database answers and every migration is applied (503 with the reason otherwise), so
    a load balancer sends traffic only to an instance that can serve it."""
    global _migrated
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not _migrated:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            if pending:
                return JsonResponse({"status": "unavailable", "reason": f"{len(pending)} migrations pending"},
                                    status=503, headers={"Retry-After": "30"})  # fmt: skip
            _migrated = True  # applied migrations stay applied while the process runs
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "reason": "the database does not answer"}, status=503,
                            headers={"Retry-After": "5"})  # fmt: skip
    return JsonResponse({"status": "ready", "version": __version__})


FAVICON = (Path(__file__).resolve().parent.parent / "core" / "static" / "core" / "favicon.svg").read_bytes()


def favicon(request):
    """The icon browsers ask for at /favicon.ico (an SVG, which every current browser takes there)."""
    return HttpResponse(
        FAVICON, content_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )


def root(request):
    return HttpResponse(
        "Conflict Events API\n\nAPI: /api/v1/\nDocs: /api/docs/ and /api/redoc/\nSchema: /api/schema/\n"
        "Admin: /admin/\nHealth: /healthz (alive), /readyz (database reachable, migrations applied)\n",
        content_type="text/plain; charset=utf-8",
    )


urlpatterns = [
    path("", root),
    path("favicon.ico", favicon, name="favicon"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path(
        "api/v1/",
        include(
            (
                [
                    path("stats/events/", EventStatsView.as_view(), name="stats-events"),
                    path(
                        "locations/<int:pk>/control/", LocationControlView.as_view(), name="location-control"
                    ),
                    path(
                        "actors/<int:pk>/track_record/",
                        ActorTrackRecordView.as_view(),
                        name="actor-track-record",
                    ),
                    *router.urls,
                ],
                "api",
            ),
            namespace="v1",
        ),
    ),
    # ACLED's layout, paths and conventions, so that an ACLED client can use this server's /api as its base URL.
    path("api/acled/read", AcledEventsView.as_view(), name="acled-read"),
    path("api/deleted/read", DeletedEventsView.as_view(), name="acled-deleted-read"),
    path("api/actor/read", ActorsView.as_view(), name="acled-actor-read"),
    path("api/country/read", CountriesView.as_view(), name="acled-country-read"),
    path("api/schema/", SpectacularAPIView.as_view(api_version="v1"), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="core/redoc.html"),
        name="redoc",
    ),
    path("admin/import/", admin.site.admin_view(import_view), name="admin-import-events"),
    path("admin/", admin.site.urls),
]


def not_found(request, exception=None):
    """A URL that names nothing: JSON under /api/ (what API clients parse), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


handler404 = not_found
