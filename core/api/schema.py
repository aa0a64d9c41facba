"""drf-spectacular, adapted so that the schema says exactly what the API does (SDKs are generated from it).

- every operation documents its errors with one `Error` schema (400, 401, 403, 404, 409, 412, 413, 429, 503,
  as the operation can give them), 304 for conditional reads, the `ETag` it returns and the `If-Match` /
  `If-None-Match` headers it reads;
- writes document the detail shape they return (the read serializer), not their input shape;
- request bodies are JSON only (PARSER_WHITELIST); lists with other formats document those media types;
- anonymous reads are marked as needing no auth; filters keep their help texts; common fields are described;
- integer enums carry `x-enum-varnames` from their labels' names, for readable generated enums.
"""

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, get_doc
from drf_spectacular.utils import OpenApiParameter
from rest_framework.permissions import SAFE_METHODS, DjangoModelPermissionsOrAnonReadOnly

ERROR_SCHEMA = {
    "type": "object",
    "description": "Why the request was refused. `detail` speaks for the request as a whole; otherwise each "
    "refused field (a query parameter or a body field) is a key whose value lists its reasons (for nested "
    "input, the same shape as the input), and `non_field_errors` lists reasons that concern several fields.",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong with the request as a whole."},
        "non_field_errors": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Reasons that concern several fields together.",
        },
    },
    "additionalProperties": {"description": "A refused field's reasons: a list of messages, or nested."},
}
ERRORS = {
    "400": "Refused: a query parameter or a body field is invalid; each is named with its reasons.",
    "401": "Authentication needed or failed: send `Authorization: Bearer <token>` (or `Token <token>`).",
    "403": "The authenticated user lacks the permission for this.",
    "404": "No such row here (or it was deleted).",
    "409": "Conflict: the row is still referred to by others; change or delete those first.",
    "412": "Precondition failed: the row changed since you read it (`If-Match` does not match its ETag).",
    "413": "The request body is larger than the server accepts.",
    "429": "Too many requests: wait and try again (anonymous reads are throttled).",
    "503": "The database is unavailable for the moment: retry after the `Retry-After` seconds.",
}
# Writes that check If-Match (core.api.conditional.check_if_match) and so may answer 412.
CONDITIONAL_WRITES = {"update", "partial_update", "destroy", "restore", "verdict"}
RETURNS_A_ROW = {"retrieve", "create", "update", "partial_update", "restore", "verdict"}
ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200, 201, 304],
    description="The row's version; send it back as `If-Match` (writes) or `If-None-Match` (reads).",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description="Write only if the row is still at this ETag (else 412, and nothing changes).",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description="The ETag you hold: if the row is still at it, the answer is 304 with no body.",
)


class ConflictEventsAutoSchema(AutoSchema):
    """drf-spectacular's schema with the additions listed in the module docstring."""

    def _is_list_view(self, serializer=None):
        # The tombstone feed is a paged list like any other, though it is a custom action; a row's history
        # is a list of versions.
        if getattr(self.view, "action", None) in ("deleted", "history"):
            return True
        return super()._is_list_view(serializer)

    @property
    def _action(self) -> str | None:
        return getattr(self.view, "action", None)

    def get_operation_id(self):
        # A custom POST action is a verb already: `events_verdict`, not `events_verdict_create`.
        operation_id = super().get_operation_id()
        if (
            self.method == "POST"
            and self._action not in (None, "create")
            and operation_id.endswith("_create")
        ):
            return operation_id.removesuffix("_create")
        return operation_id

    def get_summary(self):
        # One line per operation, for generated clients' docstrings: "List events", "Delete a report"…
        summary = super().get_summary()
        model = getattr(getattr(self.view, "queryset", None), "model", None)
        if summary or model is None:
            return summary
        one, many = model._meta.verbose_name, model._meta.verbose_name_plural
        article = "an" if one[:1] in "aeiou" else "a"
        return {
            "list": f"List {many}",
            "retrieve": f"One {one}",
            "create": f"Create {article} {one}",
            "update": f"Replace {article} {one}",
            "partial_update": f"Change some fields of {article} {one}",
            "destroy": f"Delete {article} {one}",
            "history": f"Every change to {article} {one}",
            "deleted": f"Deleted {many}, newest first",
        }.get(self._action)

    def get_description(self):
        from core.api.viewsets import ResourceViewSet

        description = super().get_description()
        # The composition's own docstring describes the class for developers, not an operation: say what
        # the operation does instead.
        if description and description != get_doc(ResourceViewSet):
            return description
        model = getattr(getattr(self.view, "queryset", None), "model", None)
        if model is None:
            return ""
        return self._describe(model._meta.verbose_name, model._meta.verbose_name_plural)

    def _describe(self, one: str, many: str) -> str:
        article = "an" if one[:1] in "aeiou" else "a"
        guarded = (
            "Send the `ETag` you read as `If-Match`: if the row changed since, the answer is 412 and nothing "
            "is written."
        )
        editors = f"Needs an API token (`Authorization: Bearer …`) of a user allowed to change {many}."
        return {
            "list": f"{many.capitalize()} matching every given filter (an unknown or repeated parameter is a 400), "
            "cursor-paged: follow `next`. Anyone may read.",
            "retrieve": f"One {one} by id, with its `ETag`: send it back as `If-None-Match` to get 304 when "
            "nothing changed. Anyone may read.",
            "create": f"Record {article} {one}. {editors} The answer is 201 with the row as a read shows it.",
            "update": f"Replace every writable field of {article} {one}. {guarded} {editors}",
            "partial_update": f"Change only the fields sent. {guarded} {editors}",
            "destroy": f"Delete {article} {one}: it leaves every list and read, and is kept as a tombstone (see "
            f"the deleted feed) with its history. {guarded} {editors}",
            "history": f"Every saved version of {article} {one}, newest first: the fields, when, and by whom "
            '(a role such as "an editor" for anonymous readers, the name for staff).',
            "deleted": f"Deleted {many}, the latest deletion first, with when each was deleted: what a mirror "
            "needs to drop them. Anyone may read.",
        }.get(self._action, "")

    def get_response_serializers(self):
        # A write answers with the row as a read shows it, not with the shape it was sent in.
        if self._action in ("create", "update", "partial_update") and hasattr(self.view, "detail_response"):
            return self.view.detail_serializer_class or self.view.serializer_class
        return super().get_response_serializers()

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._action in RETURNS_A_ROW and hasattr(self.view, "detail_response"):
            parameters.append(ETAG)
        if self._action in CONDITIONAL_WRITES and hasattr(self.view, "get_locked_object"):
            parameters.append(IF_MATCH)
        if self._action == "retrieve" and hasattr(self.view, "detail_response"):
            parameters.append(IF_NONE_MATCH)
        return parameters

    def _error_codes(self) -> list[str]:
        codes = {"400", "401", "429", "503"}  # 503: any operation, while the database does not answer
        if "{" in self.path:
            codes.add("404")
        if self.method not in SAFE_METHODS:
            codes.add("403")
            if self.method != "DELETE":
                codes.add("413")
        if self._action in CONDITIONAL_WRITES and hasattr(self.view, "get_locked_object"):
            codes |= {"409", "412"}
        return sorted(codes)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._action == "retrieve" and hasattr(self.view, "detail_response"):
            responses["304"] = self._get_response_for_code(None, "304", direction=direction)
            responses["304"]["description"] = "Not modified: your `If-None-Match` names the current ETag."
        success = next((code for code in ("200", "201") if code in responses), None)
        for media_type, schema in (
            getattr(self.view, "schema_alternative_media", {}).get(self._action, {}).items()
        ):
            responses[success].setdefault("content", {})[media_type] = {"schema": schema}
        component = ResolvedComponent(
            name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA
        )
        self.registry.register_on_missing(component)
        for code in self._error_codes():
            responses.setdefault(
                code,
                {"description": ERRORS[code], "content": {"application/json": {"schema": component.ref}}},
            )
        return responses

    def get_auth(self):
        auths = super().get_auth()
        anonymous_reads = any(
            isinstance(p, DjangoModelPermissionsOrAnonReadOnly) for p in self.view.get_permissions()
        )
        if anonymous_reads and self.method in SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths


class StrictFilterBackendExtension(DjangoFilterExtension):
    """django-filter's schema extension, keeping each filter's help_text when its type is overridden."""

    target_class = "core.api.filters.StrictFilterBackend"
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        help_text = filter_field.extra.get("help_text")
        bounds = {
            "minimum": filter_field.extra.get("min_value"),
            "maximum": filter_field.extra.get("max_value"),
        }
        for parameter in parameters:
            if help_text and not parameter.get("description"):
                parameter["description"] = help_text
            schema = parameter.get("schema", {})
            if schema.get("type") == "integer":
                schema.update({key: value for key, value in bounds.items() if value is not None})
        return parameters


GENERIC_DESCRIPTIONS = {
    "id": "Unique, stable id.",
    "created_at": "When this row was first recorded.",
    "updated_at": "When this row last changed; see `updated_since`.",
    "results": "This page's rows.",
}


def describe_generic_fields(result, generator, request, public):
    """Postprocessing hook: describe the fields every resource has, where nothing more specific is said."""
    for component in result.get("components", {}).get("schemas", {}).values():
        for name, prop in component.get("properties", {}).items():
            if name in GENERIC_DESCRIPTIONS and not prop.get("description"):
                prop["description"] = GENERIC_DESCRIPTIONS[name]
    return result


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def blank_or_url_is_any_of(result, generator, request, public):
    """Postprocessing hook: drf-spectacular writes a URL that may be blank as `oneOf: [blank, uri]`, and ''
    matches both (a strict validator refuses it); either alternative will do, so it is `anyOf`."""
    for node in _walk(result):
        alternatives = node.get("oneOf")
        if alternatives and any(a.get("maxLength") == 0 for a in alternatives if isinstance(a, dict)):
            node["anyOf"] = node.pop("oneOf")
    return result


def _resolve(path: str):
    """`package.module.Class.Nested` → the object (import_string stops at the module's attributes)."""
    from importlib import import_module

    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            found = import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        return found
    raise ImportError(path)


def integer_enum_names(result, generator, request, public):
    """Postprocessing hook: the integer enums named in ENUM_NAME_OVERRIDES get `x-enum-varnames` (DAY,
    MONTH…, the choices' names), so a generated client says `DatePrecision.DAY`, not `VALUE_1`."""
    from drf_spectacular.settings import spectacular_settings

    schemas = result.get("components", {}).get("schemas", {})
    for name, path in spectacular_settings.ENUM_NAME_OVERRIDES.items():
        schema = schemas.get(name)
        if (
            not isinstance(path, str)
            or not schema
            or not all(isinstance(v, int) for v in schema.get("enum", []))
        ):
            continue
        by_value = {member.value: member.name for member in _resolve(path)}
        schema["x-enum-varnames"] = [by_value[value] for value in schema["enum"]]
    # Query parameters carry their enums inline: the precision and level filters, and every `ordering`.
    for parameter in _parameters(result):
        _name_parameter_enum(parameter)
    return result


def _parameters(result):
    """Every operation's parameters, across the schema."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict):
                yield from operation.get("parameters", [])


PARAMETER_ENUMS = {
    "date_precision": "DatePrecisionEnum",
    "geo_precision": "GeoPrecisionEnum",
    "level": "LocationLevelEnum",
}


def non_empty_query_parameters(result, generator, request, public):
    """Postprocessing hook: a query parameter given empty is refused (400: give a value or leave it out),
    so every text parameter says `minLength: 1`."""
    for parameter in _parameters(result):
        if parameter.get("in") != "query":
            continue
        schema = parameter.get("schema", {})
        schema = schema.get("items", schema) if schema.get("type") == "array" else schema
        if schema.get("type") == "string" and "enum" not in schema:
            schema.setdefault("minLength", 1)
    return result


def _name_parameter_enum(parameter: dict) -> None:
    from drf_spectacular.settings import spectacular_settings

    schema = parameter.get("schema", {})
    schema = schema.get("items", schema)
    values = schema.get("enum")
    if not values:
        return
    if parameter["name"] == "ordering":
        # "-date_start" → DATE_START_DESC, "date_start" → DATE_START
        schema["x-enum-varnames"] = [
            v.lstrip("-").upper() + ("_DESC" if v.startswith("-") else "") for v in values
        ]
    elif parameter["name"] in PARAMETER_ENUMS:
        choices = _resolve(spectacular_settings.ENUM_NAME_OVERRIDES[PARAMETER_ENUMS[parameter["name"]]])
        names = {member.value: member.name for member in choices}
        if all(value in names for value in values):
            schema["x-enum-varnames"] = [names[value] for value in values]


def package_version(result, generator, request, public):
    """Postprocessing hook: `info.version` is the release (a valid package version for generated SDKs);
    drf-spectacular appends the API version (" (v1)") when served for a versioned request, and the paths
    already say /v1/."""
    from drf_spectacular.settings import spectacular_settings

    result["info"]["version"] = spectacular_settings.VERSION
    return result


INT64 = (-(2**63), 2**63 - 1)
# What Python's str.strip() removes, which is what DRF trims from text before refusing it as blank; a value
# must hold at least one other character (JSON Schema's \s is a different set, so the class is spelled out).
NOT_ONLY_WHITESPACE = (
    "[^\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
)
# A web address of the kind Django's URLValidator accepts (http, https or ftp; a host name of two to four
# labels, the last letters, 253 characters at most, or `localhost`, or an IPv4 address; an optional port;
# then anything printable), written so that every value it matches is one the server takes: clients and
# fuzzers can check before sending. (Django takes a few rarer forms too: user:password@, IPv6, IDN hosts.)
OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
WEB_URL = (
    "^([Hh][Tt][Tt][Pp][Ss]?|[Ff][Tt][Pp])://"
    f"(([A-Za-z0-9]([A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\\.){{1,3}}[A-Za-z]{{2,61}}|localhost|{OCTET}(\\.{OCTET}){{3}})"
    "(:[0-9]{1,5})?([/?#][!-~]*)?$"
)


def _request_schemas(result):
    """Every property schema (and array item) of the request bodies' components."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("Request"):
            continue
        for prop in component.get("properties", {}).values():
            yield from _walk(prop)


def stated_value_ranges(result, generator, request, public):
    """Postprocessing hook: state the ranges the server enforces but drf-spectacular leaves out, so that every
    value the schema allows is one the server takes.

    * Integers (query and path parameters, request fields) fit in 64 bits: ids are 64-bit in the database and
      a larger number is refused.
    * Required text in a request holds something besides whitespace (DRF trims it, then refuses it blank).
    * A URL is a web address (`format: uri` alone allows `urn:…` and `a:b`, which Django refuses).
    """
    parameters = [p.get("schema", {}) for p in _parameters(result)]
    for node in [*(n for p in parameters for n in _walk(p)), *_request_schemas(result)]:
        if node.get("type") == "integer" and "enum" not in node:
            node.setdefault("minimum", INT64[0])
            node.setdefault("maximum", INT64[1])
    for node in _request_schemas(result):
        if node.get("type") != "string" or "enum" in node:
            continue
        if node.get("format") == "uri":
            node["pattern"] = WEB_URL
        elif node.get("minLength", 0) >= 1 and "format" not in node and "pattern" not in node:
            node["pattern"] = NOT_ONLY_WHITESPACE
    return result
