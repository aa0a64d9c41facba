"""Limits applied to every request before a view sees it."""

from django.conf import settings
from django.http import JsonResponse


class RequestBodyLimitMiddleware:
    """Refuse request bodies over API_MAX_BODY_BYTES before anything reads them (413, in JSON)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Content-Length must be a whole number."}, status=400)
        if length > settings.API_MAX_BODY_BYTES:
            return JsonResponse(
                {
                    "detail": f"The request body is {length} bytes; the limit is {settings.API_MAX_BODY_BYTES}."
                },
                status=413,
            )
        return self.get_response(request)
