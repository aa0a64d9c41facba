"""Every response the test suite gets from the versioned API is checked against the published schema.

The schema is what SDKs are generated from, so it must say exactly what the API does. `check(response)`
finds the operation the request reached (path template and method), and fails unless the schema documents
the status code, the media type, and — for JSON — a body schema the body validates against. Requests the
schema cannot describe are left alone: HEAD and OPTIONS, a method the path does not have (405), a URL that
matches no path (404). conftest.py wraps the test clients with it, so a mismatch fails the test that met it.
"""

import json
import re
from functools import cache

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

API_PREFIX = "/api/v1/"
JSON_TYPES = {"application/json", "application/geo+json"}


class SchemaMismatch(AssertionError):
    pass


@cache
def spec() -> dict:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))


@cache
def _templates() -> list[tuple[re.Pattern, str]]:
    found = []
    for template in spec()["paths"]:
        pattern = "^" + re.escape(re.sub(r"\{[^}]+\}", "\0", template)).replace("\0", "[^/]+") + "$"
        found.append((re.compile(pattern), template))
    # The most specific first: literal segments beat parameters (/events/deleted/ before /events/{id}/).
    found.sort(key=lambda item: item[1].count("{"))
    return found


@cache
def _registry() -> Registry:
    return Registry().with_resource(
        "urn:api", Resource.from_contents(spec(), default_specification=DRAFT202012)
    )


def _validator(pointer: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"urn:api#{pointer}"}, registry=_registry())


def operation_of(path: str, method: str) -> tuple[str, dict] | None:
    for pattern, template in _templates():
        if pattern.match(path):
            return template, spec()["paths"][template].get(method)
    return None


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def check(response) -> None:
    request = response.request
    path, method = request["PATH_INFO"], request["REQUEST_METHOD"].lower()
    if not path.startswith(API_PREFIX) or method in ("head", "options"):
        return
    found = operation_of(path, method)
    if found is None:
        if response.status_code != 404:
            raise SchemaMismatch(
                f"{method.upper()} {path} is not in the schema but answered {response.status_code}"
            )
        return
    template, operation = found
    if operation is None:
        if response.status_code != 405:
            raise SchemaMismatch(
                f"{method.upper()} {template} is not documented but answered {response.status_code}"
            )
        return
    code = str(response.status_code)
    where = f"{method.upper()} {template} → {code}"
    documented = operation["responses"].get(code)
    if documented is None:
        raise SchemaMismatch(
            f"{where}: status not documented (documented: {', '.join(operation['responses'])})"
        )
    content = documented.get("content") or {}
    if not content:
        if getattr(response, "streaming", False) or response.content:
            raise SchemaMismatch(f"{where}: the schema documents no body, the response has one")
        return
    media_type = response.get("Content-Type", "").split(";")[0].strip()
    if media_type == "text/html":
        return  # the browsable API, for people in a browser: not part of what SDKs are generated from
    if media_type not in content:
        raise SchemaMismatch(
            f"{where}: media type {media_type!r} not documented (documented: {', '.join(content)})"
        )
    if media_type not in JSON_TYPES or getattr(response, "streaming", False):
        return
    pointer = "/".join(["", "paths", _escape(template), method, "responses", code, "content", _escape(media_type),
                        "schema"])  # fmt: skip
    body = json.loads(response.content)
    errors = sorted(_validator(pointer).iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        shown = "; ".join(
            f"at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}" for e in errors[:5]
        )
        raise SchemaMismatch(f"{where}: the body does not match the schema: {shown}")
