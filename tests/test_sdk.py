"""A Python SDK generated from /api/schema/ with openapi-python-client works against a live server, unedited."""

import json
import os
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

BIN = Path(sys.executable).parent

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from conflict_events_client import Client
    from conflict_events_client.api.events import events_list, events_retrieve
    from conflict_events_client.models import EventsListVerificationItem

    client = Client(base_url=sys.argv[1], raise_on_unexpected_status=True)
    out = {}

    page = events_list.sync(
        client=client,
        country="AFG",
        event_type=["battles"],
        verification=[EventsListVerificationItem.DISPUTED],
        q="Panjshir",
    )
    out["filtered"] = sorted(e.location.name for e in page.results)

    seen, cursor = [], None
    while True:
        page = events_list.sync(client=client, page_size=3, cursor=cursor)
        seen += [e.id for e in page.results]
        if not page.next_:
            break
        cursor = page.next_.split("cursor=")[1].split("&")[0]
    out["paged"] = seen

    event = events_retrieve.sync(client=client, id=out["paged"][0])
    out["detail"] = {
        "id": event.id,
        "status": event.verification.status.value,
        "claims": [
            (c.claimant.name if c.claimant else None, c.stance.value, c.report.source.name) for c in event.claims
        ],
    }
    print(json.dumps(out))
    """
)


@pytest.fixture
def generated_sdk(live_server, tmp_path):
    schema = tmp_path / "schema.json"
    with urllib.request.urlopen(f"{live_server.url}/api/schema/?format=json") as response:
        schema.write_bytes(response.read())
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run(
        [BIN / "openapi-python-client", "generate", "--path", schema, "--meta", "none",
         "--output-path", tmp_path / "conflict_events_client", "--fail-on-warning"],
        check=True, capture_output=True, env=env, timeout=300,
    )  # fmt: skip
    return tmp_path


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_generated_sdk_filters_pages_and_reads_claims(live_server, generated_sdk):
    call_command("load_seed", verbosity=0)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, live_server.url],
        env={**os.environ, "PYTHONPATH": str(generated_sdk)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["filtered"] == ["Abdullah Khel", "Abshar", "Khenj"]
    from events.models import Event

    assert out["paged"] == list(Event.objects.order_by("-date_start", "-id").values_list("id", flat=True))
    assert out["detail"]["status"] == Event.objects.get(pk=out["detail"]["id"]).verification
    assert len(out["detail"]["claims"]) == Event.objects.get(pk=out["detail"]["id"]).claims.count()
