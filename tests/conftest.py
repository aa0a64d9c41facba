import pytest
from django.core.cache import cache
from django.core.management import call_command


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Throttle counters live in the cache; each test starts with none spent."""
    cache.clear()


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
