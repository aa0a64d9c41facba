"""Media types for event exports. The streaming itself happens in the view; these make `?format=csv`
and `Accept: text/csv` negotiate, and show the formats in the schema."""

from rest_framework.renderers import BaseRenderer


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):  # pragma: no cover
        raise NotImplementedError("event CSV is streamed by the view")


class AcledCSVRenderer(CSVRenderer):
    """ACLED's column layout (`?format=acled`), for tools written against ACLED exports."""

    format = "acled"


class UcdpCSVRenderer(CSVRenderer):
    """UCDP GED's column layout (`?format=ucdp`)."""

    format = "ucdp"


class GeoJSONRenderer(BaseRenderer):
    media_type = "application/geo+json"
    format = "geojson"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):  # pragma: no cover
        raise NotImplementedError("event GeoJSON is streamed by the view")
