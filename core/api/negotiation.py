"""Parsing and content negotiation with clear refusals instead of a 404, a 406 or a 500."""

from django.http import Http404
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation

NUL_MESSAGE = "Null characters are not allowed."


def _nul_paths(value, path=""):
    """Where a parsed body holds a NUL character (a string or a key): PostgreSQL stores none, and a lookup
    with one (a slug, a name) fails in the database instead of saying so."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path or "non_field_errors"
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in str(key):
                yield path or "non_field_errors"
            else:
                yield from _nul_paths(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, f"{path}.{index}" if path else str(index))


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a body nested deeper than Python can walk is a 400, not a RecursionError, and a NUL
    character anywhere in it is a 400 naming the field, whatever the field does with it."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
        paths = sorted(set(_nul_paths(data)))
        if paths:
            raise ValidationError({path: [NUL_MESSAGE] for path in paths})
        return data


class ExplicitFormatNegotiation(DefaultContentNegotiation):
    """`format=` decides the representation when given (an Accept header does not veto it), and an unknown
    format is a 400 that lists the known ones (DRF answers 404, as if the resource did not exist)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if view is not None and not hasattr(view, request.method.lower()):
            return renderers[0], renderers[0].media_type  # the method is not allowed: that (405) comes first
        if wanted:
            for renderer in renderers:
                if renderer.format == wanted:
                    return renderer, renderer.media_type
            known = sorted({r.format for r in renderers if r.format != "api"})
            raise ValidationError(
                {"format": [f"Unknown format {wanted!r}. Allowed here: {', '.join(known)}."]}
            )
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:  # pragma: no cover - only reached through a format suffix
            raise ValidationError({"format": ["Unknown format."]}) from None
