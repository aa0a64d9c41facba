import os

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from tests import conformance


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Throttle counters live in the cache; each test starts with none spent."""
    cache.clear()


@pytest.fixture(autouse=True)
def responses_match_the_schema(monkeypatch):
    """Every response from /api/v1/ must be what the OpenAPI schema says (tests/conformance.py)."""
    request = Client.request
    collect = os.environ.get("CONFORMANCE_COLLECT")  # a file: list mismatches there instead of failing

    def checked(self, **kwargs):
        response = request(self, **kwargs)
        try:
            conformance.check(response)
        except conformance.SchemaMismatch as mismatch:
            if not collect:
                raise
            with open(collect, "a", encoding="utf-8") as out:
                out.write(f"{mismatch}\n")
        return response

    monkeypatch.setattr(Client, "request", checked)


@pytest.fixture
def seed(db):
    """The article's seed data, loaded exactly as `make serve` loads it."""
    call_command("load_seed", verbosity=0)


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("curator", "curator@example.org", "pw-for-tests-only")
    client.force_login(user)
    client.user = user
    return client
