from django.contrib import admin
from django.http import HttpResponse, JsonResponse
from django.urls import path

from conflict_events import __version__


def healthz(request):
    """Liveness: the process answers. It does not touch the database, so a slow query cannot fail it."""
    return JsonResponse({"status": "ok", "version": __version__})


def root(request):
    return HttpResponse(
        "Conflict Events API. Admin: /admin/ · Health: /healthz\n", content_type="text/plain; charset=utf-8"
    )


urlpatterns = [
    path("", root),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
