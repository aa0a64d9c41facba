"""The conformance check that every API response in the suite goes through (conftest.py), and what it relies
on in the schema: errors, conditional requests, media types, authentication."""

import json

import pytest
from django.test import Client

from tests import conformance
from tests.test_api_writes import client_for

pytestmark = pytest.mark.usefixtures("seed")


def test_every_test_client_response_is_checked():
    assert Client.request.__name__ == "checked"


def _mutated(response, **changes):
    for name, value in changes.items():
        setattr(response, name, value)
    return response


def test_a_body_that_breaks_the_schema_is_caught(client):
    response = client.get("/api/v1/events/")
    body = response.json()
    body["results"][0]["id"] = "one"
    with pytest.raises(conformance.SchemaMismatch, match="results/0/id"):
        conformance.check(_mutated(response, content=json.dumps(body).encode()))


def test_a_missing_required_field_is_caught(client):
    response = client.get("/api/v1/events/1/")
    body = response.json()
    del body["verification"]
    with pytest.raises(conformance.SchemaMismatch, match="verification"):
        conformance.check(_mutated(response, content=json.dumps(body).encode()))


def test_an_undocumented_status_or_media_type_is_caught(client):
    with pytest.raises(conformance.SchemaMismatch, match="status not documented"):
        conformance.check(_mutated(client.get("/api/v1/events/"), status_code=418))
    response = client.get("/api/v1/events/")
    response["Content-Type"] = "text/plain"
    with pytest.raises(conformance.SchemaMismatch, match="media type"):
        conformance.check(response)


def test_an_operation_missing_from_the_schema_is_caught(client):
    response = client.get("/api/v1/events/")
    response.request["PATH_INFO"] = "/api/v1/nothing-here/"
    with pytest.raises(conformance.SchemaMismatch, match="not in the schema"):
        conformance.check(response)


def test_errors_share_one_documented_schema(client):
    schema = conformance.spec()
    operations = [op for ops in schema["paths"].values() for op in ops.values() if "responses" in op]
    refs = {
        op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
        for op in operations
        for code in op["responses"]
        if code.startswith("4") and "content" in op["responses"][code]
    }
    # The ACLED-compatible endpoints answer in ACLED's own error envelope.
    assert refs - {"#/components/schemas/AcledErrorEnvelope"} == {"#/components/schemas/Error"}
    update = schema["paths"]["/api/v1/events/{id}/"]["patch"]
    assert {"400", "401", "403", "404", "409", "412", "413", "429"} <= set(update["responses"])
    assert "ETag" in update["responses"]["200"]["headers"]
    assert {p["name"] for p in update["parameters"] if p["in"] == "header"} == {"If-Match"}
    assert list(update["requestBody"]["content"]) == ["application/json"]
    retrieve = schema["paths"]["/api/v1/events/{id}/"]["get"]
    assert "304" in retrieve["responses"] and "content" not in retrieve["responses"]["304"]
    assert {p["name"] for p in retrieve["parameters"] if p["in"] == "header"} == {"If-None-Match"}
    listing = schema["paths"]["/api/v1/events/"]["get"]["responses"]["200"]["content"]
    assert set(listing) == {"application/json", "text/csv", "application/geo+json"}
    history = schema["paths"]["/api/v1/events/{id}/history/"]["get"]["responses"]["200"]
    assert history["content"]["application/json"]["schema"]["type"] == "array"
    assert schema["info"]["version"].count(".") == 2 and " " not in schema["info"]["version"]


def test_a_stale_etag_and_a_304_are_answered_as_documented(django_user_model, client):
    editor = client_for(django_user_model, "editors")
    etag = client.get("/api/v1/events/1/")["ETag"]
    assert client.get("/api/v1/events/1/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert (
        editor.patch("/api/v1/events/1/", {"notes": "a"}, format="json", HTTP_IF_MATCH=etag).status_code
        == 200
    )
    stale = editor.patch("/api/v1/events/1/", {"notes": "b"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and "changed since you read it" in stale.json()["detail"]


def test_bearer_and_token_both_authenticate_and_a_401_says_how(django_user_model, client):
    editor = client_for(django_user_model, "editors")
    key = editor._credentials["HTTP_AUTHORIZATION"].split()[1]
    body = {"name": "Daily", "kind": "newspaper", "scale": "national"}
    for scheme in ("Bearer", "Token"):
        created = client.post("/api/v1/sources/", {**body, "name": f"Daily {scheme}"},
                              content_type="application/json", HTTP_AUTHORIZATION=f"{scheme} {key}")  # fmt: skip
        assert created.status_code == 201, created.json()
    anonymous = client.post("/api/v1/sources/", body, content_type="application/json")
    assert anonymous.status_code == 401
    assert "Bearer <token>" in anonymous.json()["detail"] and "Token <token>" in anonymous.json()["detail"]
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get("/api/v1/events/", HTTP_AUTHORIZATION="Bearer not-a-key")
    assert wrong.status_code == 401 and wrong.json()["detail"] == "Invalid token."
