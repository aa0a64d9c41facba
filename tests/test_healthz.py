import pytest

from conflict_events import __version__


@pytest.mark.django_db
def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


@pytest.mark.django_db
def test_readyz_says_ready_only_with_a_database_that_answers(client, monkeypatch):
    from django.db import OperationalError, connection

    import conflict_events.urls as urls

    assert client.get("/readyz").json()["status"] == "ready"

    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", down)
    response = client.get("/readyz")
    assert response.status_code == 503 and response["Retry-After"]
    assert response.json()["reason"] == "the database does not answer"
    monkeypatch.undo()
    monkeypatch.setattr(urls, "_migrated", False)
    monkeypatch.setattr(
        "django.db.migrations.executor.MigrationExecutor.migration_plan", lambda self, targets: [("x", False)]
    )
    assert client.get("/readyz").json() == {"status": "unavailable", "reason": "1 migrations pending"}
