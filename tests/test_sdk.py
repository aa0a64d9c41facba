"""Client SDKs generated from /api/schema/ work against a live server for every kind of operation, unedited.

Python: `openapi-python-client` with its default settings, the package pip-installed, every module imported,
and a curation script run through it: a source, a report, two organisations and their speakers, an event
with two roles, three claims, read-backs, a conditional update (200, then 412 on a stale ETag), cursor
paging to the end, and an invalid body answered with a typed error — every response parsed into its model.
TypeScript: types from `openapi-typescript` (npm), a script using `openapi-fetch`, type-checked with
`tsc --noEmit`, then run with node for the same reads and one write. Both are generated at run time.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from access.groups import EDITORS, REVIEWERS
from access.models import ApiToken

BIN = Path(sys.executable).parent
PACKAGE = "conflict_events_api_client"

PYTHON_SCENARIO = textwrap.dedent(
    """
    import datetime, importlib, json, pkgutil, sys

    import conflict_events_api_client as sdk
    from conflict_events_api_client import AuthenticatedClient
    from conflict_events_api_client.api.actors import actors_create, actors_track_record
    from conflict_events_api_client.api.claims import claims_create
    from conflict_events_api_client.api.events import (
        events_create, events_list, events_partial_update, events_retrieve, events_history_list,
    )
    from conflict_events_api_client.api.reports import reports_create
    from conflict_events_api_client.api.sources import sources_create
    from conflict_events_api_client.models import (
        Actor, ActorKindEnum, ActorWriteRequest, Claim, ClaimWriteRequest, CasualtiesOfEnum, DatePrecisionEnum,
        Error, EventActorWriteRequest, EventDetail, EventWriteRequest, GeoPrecisionEnum, PaginatedEventList,
        PatchedEventWriteRequest, Report, ReportWriteRequest, RoleEnum, ScaleEnum, Source, SourceKindEnum,
        SourceWriteRequest, StanceEnum, SubjectEnum, TrackRecord,
    )

    base_url, token, location = sys.argv[1], sys.argv[2], int(sys.argv[3])
    modules = [m.name for m in pkgutil.walk_packages(sdk.__path__, sdk.__name__ + ".")]
    for name in modules:
        importlib.import_module(name)
    client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)
    out = {"modules": len(modules)}


    def parsed(response, model, status):
        assert response.status_code == status, (response.status_code, response.content[:300])
        assert isinstance(response.parsed, model), type(response.parsed)
        return response.parsed


    day = datetime.date(2022, 9, 5)
    source = parsed(sources_create.sync_detailed(client=client, body=SourceWriteRequest(
        name="National Daily", kind=SourceKindEnum.NEWSPAPER, scale=ScaleEnum.NATIONAL)), Source, 201)
    report = parsed(reports_create.sync_detailed(client=client, body=ReportWriteRequest(
        source=source.id, title="Clash in the valley", published_on=day)), Report, 201)
    front = parsed(actors_create.sync_detailed(client=client, body=ActorWriteRequest(
        name="Front A", kind=ActorKindEnum.REBEL_GROUP)), Actor, 201)
    movement = parsed(actors_create.sync_detailed(client=client, body=ActorWriteRequest(
        name="Movement B", kind=ActorKindEnum.STATE_FORCES)), Actor, 201)
    spokesman = parsed(actors_create.sync_detailed(client=client, body=ActorWriteRequest(
        name="Spokesman of A", kind=ActorKindEnum.PERSON, affiliation=front.id)), Actor, 201)
    commander = parsed(actors_create.sync_detailed(client=client, body=ActorWriteRequest(
        name="Commander of B", kind=ActorKindEnum.PERSON, affiliation=movement.id)), Actor, 201)
    assert spokesman.affiliation.id == front.id

    created = events_create.sync_detailed(client=client, body=EventWriteRequest(
        date_start=day, date_end=day, date_precision=DatePrecisionEnum.DAY, sub_event_type="armed-clash",
        location=location, geo_precision=GeoPrecisionEnum.ADMIN1, summary="A clashes with B",
        actors=[EventActorWriteRequest(actor=front.id, role=RoleEnum.SIDE_A),
                EventActorWriteRequest(actor=movement.id, role=RoleEnum.SIDE_B)]))
    event = parsed(created, EventDetail, 201)
    assert created.headers["etag"]
    claims = [
        ClaimWriteRequest(event=event.id, report=report.id, claimant=front.id, speaker=spokesman.id,
                          stance=StanceEnum.ASSERTS, subject=SubjectEnum.OCCURRENCE, quote="We clashed."),
        ClaimWriteRequest(event=event.id, report=report.id, claimant=front.id, speaker=spokesman.id,
                          stance=StanceEnum.ASSERTS, subject=SubjectEnum.CASUALTIES,
                          casualties_of=CasualtiesOfEnum.SIDE_B, claimed_fatalities_low=13),
        ClaimWriteRequest(event=event.id, report=report.id, claimant=movement.id, speaker=commander.id,
                          stance=StanceEnum.DENIES, subject=SubjectEnum.CASUALTIES,
                          casualties_of=CasualtiesOfEnum.SIDE_B),
    ]
    for body in claims:
        parsed(claims_create.sync_detailed(client=client, body=body), Claim, 201)

    read = events_retrieve.sync_detailed(client=client, id=event.id)
    event = parsed(read, EventDetail, 200)
    out["event"] = {
        "status": event.verification.status.value,
        "casualties": event.verification.subjects.casualties.status.value,
        "claims": [(c.claimant.name, c.stance.value, c.casualties_of and c.casualties_of.value) for c in event.claims],
        "roles": sorted((r.actor.name, r.role.value) for r in event.actors),
        "date_precision": event.date_precision.name,
    }

    etag = read.headers["etag"]
    updated = events_partial_update.sync_detailed(
        client=client, id=event.id, body=PatchedEventWriteRequest(notes="Checked twice."), if_match=etag)
    assert parsed(updated, EventDetail, 200).notes == "Checked twice."
    stale = events_partial_update.sync_detailed(
        client=client, id=event.id, body=PatchedEventWriteRequest(notes="Lost update"), if_match=etag)
    out["stale"] = parsed(stale, Error, 412).detail
    assert events_retrieve.sync(client=client, id=event.id).notes == "Checked twice."

    seen, cursor = [], None
    while True:
        page = parsed(events_list.sync_detailed(client=client, page_size=4, cursor=cursor), PaginatedEventList, 200)
        seen += [e.id for e in page.results]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    out["paged"] = seen

    refused = events_create.sync_detailed(client=client, body=EventWriteRequest(
        date_start=day, date_end=day - datetime.timedelta(days=1), sub_event_type="armed-clash",
        location=location, geo_precision=GeoPrecisionEnum.ADMIN1, summary="Backwards"))
    error = parsed(refused, Error, 400)
    out["refused"] = {name: value for name, value in error.additional_properties.items()}

    history = events_history_list.sync_detailed(client=client, id=event.id)
    assert history.status_code == 200 and isinstance(history.parsed, list)
    record = parsed(actors_track_record.sync_detailed(client=client, id=front.id), TrackRecord, 200)
    out["track_record"] = [record.claims.total, record.events.total]
    print(json.dumps(out))
    """
)


def _api_token(django_user_model) -> str:
    user = django_user_model.objects.create_user("sdk-script", password="pw-for-tests-only")
    user.groups.add(Group.objects.get(name=EDITORS), Group.objects.get(name=REVIEWERS))
    return ApiToken.objects.issue(user=user, name="sdk")[1]


def _schema(live_server, path: Path) -> Path:
    with urllib.request.urlopen(f"{live_server.url}/api/schema/?format=json") as response:
        path.write_bytes(response.read())
    return path


@pytest.fixture
def python_sdk(live_server, tmp_path):
    """The schema's Python client, generated with default settings and pip-installed into a directory."""
    schema = _schema(live_server, tmp_path / "schema.json")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run([BIN / "openapi-python-client", "generate", "--path", schema, "--fail-on-warning"],
                   cwd=tmp_path, check=True, capture_output=True, env=env, timeout=300)  # fmt: skip
    project = next(p for p in tmp_path.iterdir() if (p / "pyproject.toml").exists())
    site = tmp_path / "site"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", site, project],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-3000:]
    assert (site / PACKAGE).is_dir()
    return site


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_python_sdk_runs_a_whole_curation_script(live_server, python_sdk, django_user_model):
    from events.models import Event
    from locations.models import Location

    call_command("load_seed", verbosity=0)
    location = Location.objects.get(name="Panjshir").pk
    result = subprocess.run(
        [sys.executable, "-c", PYTHON_SCENARIO, live_server.url, _api_token(django_user_model), str(location)],
        env={**os.environ, "PYTHONPATH": str(python_sdk)}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout)
    assert out["modules"] > 100
    assert out["event"] == {
        "status": "claimed",
        "casualties": "disputed",
        "claims": [
            ["Front A", "asserts", None],
            ["Front A", "asserts", "side_b"],
            ["Movement B", "denies", "side_b"],
        ],
        "roles": [["Front A", "side_a"], ["Movement B", "side_b"]],
        "date_precision": "DAY",
    }
    assert "changed since you read it" in out["stale"]
    assert out["paged"] == list(Event.objects.order_by("-date_start", "-id").values_list("id", flat=True))
    assert list(out["refused"]) == ["date_end"]
    assert out["track_record"] == [2, 1]
    assert Event.objects.get(summary="A clashes with B").notes == "Checked twice."


TYPESCRIPT_SCRIPT = textwrap.dedent(
    """
    import createClient from "openapi-fetch";
    import type { paths, components } from "./schema.js";

    type Event = components["schemas"]["Event"];

    async function main(): Promise<void> {
      const [baseUrl, token, location] = process.argv.slice(2);
      // JSON responses: the events list also offers CSV and GeoJSON (format=), documented as such.
      const client = createClient<paths, "application/json">({
        baseUrl, headers: { Authorization: `Bearer ${token}` },
      });
      const out: Record<string, unknown> = {};

      const filtered = await client.GET("/api/v1/events/", {
        params: { query: { country: "AFG", verification: ["disputed"], q: "Panjshir" } },
      });
      if (!filtered.data) throw new Error(JSON.stringify(filtered.error));
      out.filtered = filtered.data.results.map((e: Event) => e.location.name).sort();

      const listPage = (cursor?: string) =>
        client.GET("/api/v1/events/", { params: { query: { page_size: 3, cursor } } });
      const seen: number[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await listPage(cursor);
        if (!page.data) throw new Error(JSON.stringify(page.error));
        seen.push(...page.data.results.map((e: Event) => e.id));
        if (page.data.next_cursor === null) break;
        cursor = page.data.next_cursor;
      }
      out.paged = seen;

      const detail = await client.GET("/api/v1/events/{id}/", { params: { path: { id: seen[0] } } });
      if (!detail.data) throw new Error(JSON.stringify(detail.error));
      out.status = detail.data.verification.status;
      out.claims = detail.data.claims.length;

      const created = await client.POST("/api/v1/sources/", {
        body: { name: "Wire Service", kind: "wire", scale: "international" },
      });
      if (!created.data) throw new Error(JSON.stringify(created.error));
      out.created = [created.response.status, created.data.name, created.data.kind];

      const refused = await client.POST("/api/v1/events/", {
        body: { date_start: "2022-09-05", date_end: "2022-09-04", sub_event_type: "armed-clash",
                location: Number(location), geo_precision: 4, summary: "Backwards" },
      });
      out.refused = [refused.response.status, Object.keys(refused.error ?? {})];
      console.log(JSON.stringify(out));
    }

    main().catch((error: unknown) => { console.error(error); process.exit(1); });
    """
)
PACKAGE_JSON = {
    "name": "conflict-events-ts-check",
    "private": True,
    "type": "module",
    "devDependencies": {"openapi-typescript": "7.13.0", "openapi-fetch": "0.17.0", "typescript": "5.9.3"},
}
TSCONFIG = {
    "compilerOptions": {
        "target": "ES2022", "lib": ["ES2022", "DOM"], "module": "NodeNext", "moduleResolution": "NodeNext",
        "strict": True, "skipLibCheck": True, "outDir": "build", "types": [],
    },
    "files": ["script.ts", "schema.d.ts", "node.d.ts"],
}  # fmt: skip
# The one Node global the script uses, declared here rather than installing @types/node.
NODE_GLOBALS = "declare const process: { argv: string[]; exit(code: number): never };\n"


# CI installs Node.js (.ci/run) and sets CI: there the check never skips.
@pytest.mark.skipif(
    shutil.which("npm") is None and not os.environ.get("CI"), reason="npm (Node.js) is not installed"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_typescript_client_type_checks_and_runs(live_server, tmp_path, django_user_model):
    from events.models import Event
    from locations.models import Location

    call_command("load_seed", verbosity=0)
    _schema(live_server, tmp_path / "schema.json")
    (tmp_path / "package.json").write_text(json.dumps(PACKAGE_JSON))
    (tmp_path / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    (tmp_path / "script.ts").write_text(TYPESCRIPT_SCRIPT)
    (tmp_path / "node.d.ts").write_text(NODE_GLOBALS)

    def run(*command, timeout=300):
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, (command, done.stdout[-3000:], done.stderr[-3000:])
        return done.stdout

    run("npm", "install", "--no-audit", "--no-fund", "--loglevel=error")
    run("npx", "openapi-typescript", "schema.json", "--output", "schema.d.ts")
    run("npx", "tsc", "--noEmit")
    run("npx", "tsc")
    location = Location.objects.get(name="Panjshir").pk
    out = json.loads(
        run("node", "build/script.js", live_server.url, _api_token(django_user_model), str(location))
    )
    assert out["filtered"] == ["Abdullah Khel", "Abshar", "Khenj"]
    assert out["paged"] == list(Event.objects.order_by("-date_start", "-id").values_list("id", flat=True))
    assert out["status"] == Event.objects.get(pk=out["paged"][0]).verification
    assert out["claims"] == Event.objects.get(pk=out["paged"][0]).claims.count()
    assert out["created"] == [201, "Wire Service", "wire"]
    assert out["refused"] == [400, ["date_end"]]
