"""Fuzzing every /api/v1/ operation of the live schema with schemathesis, as CI runs it.

Three runs against `live_server` with the seed data, each its own test (and so its own fresh database):

* stateless, anonymous;
* stateless, with an API token of a user in both `editors` and `reviewers`;
* stateful (links inferred from the schema and from `Location` headers), with that token.

A run is schemathesis' own engine, the one behind `st run`: its examples, coverage and fuzzing phases (or its
stateful phase) with every check enabled, including response schema, status code and content type conformance
and "not a server error". The budget is fixed (`MAX_EXAMPLES` per operation, fixed seeds, derandomized, no
example database) so that CI is reproducible: the same code gives the same requests and the same report. The
file runs in about two and a half minutes on two cores (FUZZ_MAX_EXAMPLES, FUZZ_STATEFUL_RUNS and
FUZZ_STATEFUL_MAX_EXAMPLES raise or lower the budget).

A test fails with one readable entry per distinct failure: the operation, the check, a curl reproduction, and
the response's status and body. Failures that a check reports but that are not the API's fault are dropped by
`false_positive`, each kind narrowly and with its reason; see there.

The ACLED-compatible endpoints (/api/acled/, /api/deleted/, /api/actor/, /api/country/) are left out: their
schema types every filter as a free string, so `positive_data_acceptance` fails on them for every value the
server refuses (`year=x`, a `*_where` operator that is not one, `page=0`, ...); they pass every other check.
Set `FUZZ_ALL_PATHS=1` to fuzz them too.
"""

import json
import logging
import os
import re
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import pytest
import schemathesis
from django.contrib.auth.models import Group
from django.core.management import call_command
from schemathesis import engine
from schemathesis.engine import events

from access.groups import EDITORS, REVIEWERS
from access.models import ApiToken

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    # On by default (CI runs it on both databases); FUZZ=0 skips it for a quick local run.
    pytest.mark.skipif(os.environ.get("FUZZ") == "0", reason="FUZZ=0: fuzzing skipped"),
]

SEED = 20240515
# Hypothesis examples per operation in the fuzzing phase (the coverage phase's cases are deterministic and
# come on top of these), and per run of the state machine in the stateful phase.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "30"))
STATEFUL_MAX_EXAMPLES = int(os.environ.get("FUZZ_STATEFUL_MAX_EXAMPLES", "100"))
STATEFUL_MAX_STEPS = 10
# schemathesis ends a stateful suite early as soon as Hypothesis notices that the data it draws depends on the
# server's state (`FlakyStrategyDefinition`), which with an API that creates and deletes rows is after a few
# dozen scenarios; so the stateful test runs several suites, each with its own fixed seed.
STATEFUL_RUNS = int(os.environ.get("FUZZ_STATEFUL_RUNS", "3"))
PATHS = None if os.environ.get("FUZZ_ALL_PATHS") else r"^/api/v1/"
TOKEN_PLACEHOLDER = "$TOKEN"


# --- False positives -----------------------------------------------------------------------------------------
#
# `positive_data_acceptance` sends data the schema allows and expects it to be accepted. A 400 is a false
# positive only when every error in it is one no JSON Schema keyword on the value could have stated: a row
# that does not exist, a value that must be unique, an opaque server-issued cursor, a rule across two fields
# or parameters; or when schemathesis broke the schema itself (a `format: date` field sent ""); or a NUL
# character, which PostgreSQL cannot store and which is refused on purpose (schemathesis' own `allow-x00`
# switch exists for such servers; we keep sending NULs to catch 500s, and excuse only the 400s). Anything a
# keyword could state (minLength, pattern, minimum, enum...) is a genuine failure: the schema promises a value
# the server refuses. Any genuine error in a response keeps the whole failure.
STATE_DEPENDENT = [
    re.compile(r'^Invalid pk ".*" - object does not exist\.$', re.S),  # a foreign key to a missing row
    re.compile(r"^Object with slug=.* does not exist\.$", re.S),  # an event type slug the database lacks
    # an id (or slug) filter naming no row; only for a parameter whose schema has no `enum` (see below)
    re.compile(r"^Select a valid choice\. .* is not one of the available choices\.$", re.S),
    re.compile(r"^Select a valid choice\. That choice is not one of the available choices\.$"),
    re.compile(r"^Constraint “\w+_unique\w*” is violated\.$"),  # name taken by another row
    re.compile(r"^.+ is not a country\.$", re.S),  # a place id that exists, but below country level
    re.compile(r"^.* with this .* already exists\.$", re.S),
    re.compile(r"^Invalid cursor: use the `next` or `previous` link of a page as given\.$"),
    # a name (for a filter that takes ids or names) that no row has, or that several rows share
    re.compile(r"^No \w+ has the name .*: give an id, or a name or alias as recorded \(any case\)\.$", re.S),
    re.compile(r"^.* names more than one \w+: .*\. Give the id\.$", re.S),
    # a well-formed code the gazetteer has no country for; only for a value of 2 or 3 letters (see below)
    re.compile(
        r"^Unknown country .+: give an ISO 3166-1 alpha-2 or alpha-3 code that is in the gazetteer\.$", re.S
    ),
]
ISO_CODE = re.compile(r"^[A-Za-z]{2,3}$")
CROSS_FIELD = [
    re.compile(r"^CSV and GeoJSON stream every matching event; paging applies to JSON only\.$"),
    re.compile(r"^\w+ \(.*\) is before \w+ \(.*\): the range is empty\.$", re.S),  # e.g. fatalities_max/min
    re.compile(r"^Give both latitude and longitude, or neither\.$"),
    re.compile(r"^minlat \(.*\) is above maxlat \(.*\): the box is empty\.$"),  # within one parameter
    re.compile(r"^Constraint “location_coordinates_paired” is violated\.$"),
    re.compile(r"^Every location below country level needs a parent\.$"),
    re.compile(r"^An editor verdict needs a written reason\.$"),
    re.compile(r"^ISO 3166-1 codes belong to countries only\.$"),  # iso2/iso3 with a level below country
    re.compile(r"^The end date cannot be before the start date\.$"),
    # the level of the parent row the request names
    re.compile(r"^The parent must be at a higher level than .*; .* is .*\.$", re.S),
    re.compile(r"^A country has no parent\.$"),  # level 0, and a parent sent or kept from the row
    re.compile(r"^A verdict reason was given without a verdict\.$"),
    re.compile(r"^An exact-day date needs the same start and end date\.$"),
    re.compile(r"^A location cannot be inside itself\.$"),  # `parent` naming the row being written
    re.compile(r"^Only a claim about casualties says whose dead it counts\.$"),  # casualties_of vs subject
    # The ACLED endpoints (FUZZ_ALL_PATHS=1)
    re.compile(r"^\w+_where is given without \w+: give \w+=<value> too, or drop \w+_where\.$"),
    re.compile(r"^limit: 0 \(every row\) is for _format=csv, streamed; JSON pages hold \d+ to \d+ rows\.$"),
]
NUL = [
    re.compile(r"^Null characters are not allowed\.$"),
    re.compile(r"^'\w+': a parameter cannot contain a NUL character\.$"),  # the ACLED endpoints
]
# schemathesis sends "" for `{"type": ["string", "null"], "format": "date"}`, which is not a date.
FORMAT = {"date": re.compile(r"^Date has wrong format\. Use one of these formats instead: YYYY-MM-DD\.$")}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _error_messages(body) -> list[tuple[str, str]]:
    """(field path, message) for every message in a DRF error body, nested ones included, or in the ACLED
    endpoints' envelope (`{"success": false, "error": [{"status": 400, "message": ...}]}`)."""
    if isinstance(body, dict) and body.get("success") is False and isinstance(body.get("error"), list):
        return [("", str(error.get("message", error))) for error in body["error"] if isinstance(error, dict)]
    out = []

    def walk(value, path):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, [*path, str(key)])
        elif isinstance(value, list):
            for item in value:
                walk(item, path)
        else:
            out.append((".".join(path), str(value)))

    walk(body, [])
    return out


def _sent_value(case, path: str):
    """The value the request sent for a field of the body (`tags.1`) or for a query parameter."""
    value = case.body if isinstance(case.body, dict) else {}
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            value = None
            break
    if value is None and case.query and path in case.query:
        value = case.query[path]
    return value


def _breaks_format(case, path: str, fmt: str) -> bool:
    """Whether the value sent for `path` is not of the `format` the schema gives it."""
    value = _sent_value(case, path)
    return fmt == "date" and isinstance(value, str) and not DATE.match(value)


def _has_enum(case, path: str) -> bool:
    """Whether the query parameter `path` has a fixed set of values in the schema."""
    parameter = case.operation.get_parameter(path, "query")
    schema = parameter.definition.get("schema", {}) if parameter is not None else {}
    return "enum" in schema or "enum" in schema.get("items", {})


def _is_excusable(case, path: str, message: str) -> str | None:
    for pattern in STATE_DEPENDENT:
        if pattern.match(message):
            if message.startswith("Select a valid choice") and _has_enum(case, path):
                return None  # a value of the schema's own enum, refused
            if message.startswith("Unknown country") and not ISO_CODE.match(str(_sent_value(case, path))):
                return None  # not the shape of a code at all, which a `pattern` could have said
            return "state-dependent"
    for pattern in CROSS_FIELD:
        if pattern.match(message):
            return "cross-field rule"
    for pattern in NUL:
        if pattern.match(message):
            return "NUL character"
    for fmt, pattern in FORMAT.items():
        if pattern.match(message) and _breaks_format(case, path, fmt):
            return f"value breaks format: {fmt}"
    return None


def _if_match(response) -> str | None:
    """The If-Match header the request sent, if any."""
    for key, value in (response.request.headers or {}).items():
        if key.lower() == "if-match":
            return value
    return None


def _body_properties(case) -> dict:
    """The JSON body's properties, as the raw schema states them for this operation."""
    raw = case.operation.schema.raw_schema
    operation = raw["paths"][case.operation.path][case.operation.method.lower()]
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = raw["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return schema.get("properties", {})


def _fits_once_trimmed(failure, case, response) -> bool:
    """Whether the only violation is `maxLength`, and every text sent with surrounding whitespace was stored
    without it and within its property's maxLength."""
    if "violates `maxLength`" not in (failure.message or "") or not isinstance(case.body, dict):
        return False
    try:
        stored = json.loads(response.content)
    except ValueError:
        return False
    properties = _body_properties(case)
    padded = {k: v for k, v in case.body.items() if isinstance(v, str) and v != v.strip()}
    return bool(padded) and all(
        stored.get(name) == value.strip()
        and len(value.strip()) <= properties.get(name, {}).get("maxLength", 0)
        for name, value in padded.items()
    )


def false_positive(failure, case, response) -> str | None:
    """Why this failure is not the API's fault, or None when it is a genuine failure."""
    check = failure.checks[0] if failure.checks else ""
    if_match = _if_match(response)
    if failure.code in ("ST201", "ST202") and response.status_code == 412 and if_match not in (None, "*"):
        # A generated If-Match cannot be the row's current ETag, so the write is refused with 412 before the
        # body is read, which is where RFC 9110 (13.2.2) puts preconditions. Neither data check applies.
        return f"{check}: 412 for an If-Match that is not the row's ETag"
    if failure.code in ("ST201", "ST202") and response.status_code == 413:
        # The body is over API_MAX_BODY_BYTES (documented as 413): a rejection, whatever the data in it.
        return f"{check}: 413 for a body over the size limit"
    if failure.code == "ST201" and response.status_code < 300 and _fits_once_trimmed(failure, case, response):
        # Text is trimmed of surrounding whitespace before it is checked and stored (DRF's CharField), so a
        # value over maxLength only by its surrounding whitespace is stored within it, trimmed.
        return "negative_data_rejection: over maxLength only by surrounding whitespace, stored trimmed"
    if failure.code == "ST202" and response.status_code == 400:  # positive_data_acceptance
        try:
            body = json.loads(response.content)
        except ValueError:
            return None
        messages = _error_messages(body)
        reasons = [_is_excusable(case, path, message) for path, message in messages]
        if messages and all(reasons):
            return f"positive_data_acceptance: 400 for {', '.join(sorted(set(reasons)))}"
    return None


class ServerErrors(logging.Handler):
    """The exception behind each 500, from Django's own log record of it, by request URL."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.by_url = {}

    def emit(self, record):
        request = getattr(record, "request", None)
        if request is None or not record.exc_info:
            return
        kind, error, trace = record.exc_info
        frames = traceback.extract_tb(trace)
        ours = [frame for frame in frames if "/site-packages/" not in frame.filename] or frames
        where = f"{os.path.relpath(ours[-1].filename)}:{ours[-1].lineno}" if ours else "?"
        self.by_url[request.get_full_path()] = f"{kind.__name__}: {error} (last in {where})"

    def cause(self, url: str) -> str:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return self.by_url.get(path) or self.by_url.get(unquote(path)) or "see the server log"


# --- The run ----------------------------------------------------------------------------------------------------


@dataclass
class Finding:
    operation: str
    checks: list
    title: str
    cause: str
    status: int | None
    body: str
    curl: str
    message: str
    phase: str
    weight: tuple = ()
    count: int = 1

    def render(self, number: int) -> str:
        cases = f"{self.count} case{'s' if self.count > 1 else ''}, first in the {self.phase} phase"
        lines = [
            f"{number}. {self.operation} - {' + '.join(self.checks)}: {self.title} ({cases})",
            _indent(f"cause: {self.cause}") if self.cause else "",
            _indent(self.curl),
            _indent(f"-> {self.status} {self.body}"),
            _indent(self.message) if self.message else "",
        ]
        return "\n".join(line for line in lines if line)


@dataclass
class Report:
    findings: dict = field(default_factory=dict)
    excluded: Counter = field(default_factory=Counter)
    excluded_examples: dict = field(default_factory=dict)
    statuses: Counter = field(default_factory=Counter)
    cases: Counter = field(default_factory=Counter)
    scenarios: Counter = field(default_factory=Counter)
    suites: Counter = field(default_factory=Counter)
    errors: list = field(default_factory=list)
    phases: dict = field(default_factory=dict)
    links: str = ""
    seconds: float = 0.0

    def render(self, title: str) -> str:
        lines = [f"{title}: {len(self.findings)} distinct failures ({self.seconds:.0f}s)"]
        for number, finding in enumerate(self.findings.values(), 1):
            lines += ["", finding.render(number)]
        if self.errors:
            lines += ["", "Errors:"] + [_indent(error) for error in self.errors]
        return "\n".join(lines)

    def summary(self) -> str:
        excluded = "\n".join(
            f"  {count:5d}  {reason}\n         e.g. {self.excluded_examples[reason]}"
            for reason, count in self.excluded.most_common()
        )
        return (
            f"{self.seconds:.0f}s; cases per phase: {dict(self.cases)} in {dict(self.scenarios)} scenarios, "
            f"{dict(self.suites)} suites; "
            f"statuses: {dict(sorted(self.statuses.items()))}; phases: {self.phases} {self.links}\n"
            f"excluded as false positives:\n{excluded or '  none'}"
        )


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())


def _body(response) -> str:
    if response is None:
        return "(no response)"
    text = response.content.decode("utf-8", "replace") if response.content else "(empty body)"
    content_type = response.headers.get("content-type", [""])[0] if response.headers else ""
    return f"({content_type or 'no Content-Type'})\n{text[:1500]}"


ITEM = re.compile(r"[.]\d+")  # tags.1 -> tags.N


def _shape(text: str) -> str:
    """A message with its values masked, so that one cause with different values counts once."""
    return re.sub(r"-?\d+|'[^']*'|\"[^\"]*\"", "_", text)


def _causes(check: str, failure, case, response, server_errors) -> tuple[list[tuple[str, str]], int]:
    """What a failure is about: one (key, text) per independent cause, the key with values masked; and how
    many errors its response lists."""
    if response is not None and response.status_code >= 500:
        text = f"server error {response.status_code}: {server_errors.cause(response.request.url)}"
        return [(_shape(text), text)], 1
    if check == "positive_data_acceptance" and response is not None and response.status_code == 400:
        try:
            messages = _error_messages(json.loads(response.content))
        except ValueError:
            messages = []
        genuine = {
            f"{ITEM.sub('.N', path) or '(body)'}: {_shape(message)}": f"{path or '(body)'}: {message}"
            for path, message in messages
            if not _is_excusable(case, path, message)
        }
        if genuine:
            return sorted(genuine.items()), len(messages)
    return [
        (f"{failure.code} {failure._unique_key} {response.status_code if response is not None else ''}", "")
    ], 1


def fuzz(
    base_url: str, *, token: str | None, stateful: bool, seed: int = SEED, report: Report | None = None
) -> Report:
    """Runs schemathesis' engine against the live server and collects every failure it reports into `report`."""
    phases = {"examples": not stateful, "coverage": not stateful, "fuzzing": not stateful}
    config = {
        "seed": seed,
        "base-url": base_url,
        "continue-on-failure": True,  # every distinct failure of an operation, not only its first
        # All of them: response schema, status code and content type conformance, not a server error,
        # positive and negative data, use after free, ignored auth, unsupported methods, ...
        "checks": {"enabled": True},
        "generation": {
            "max-examples": STATEFUL_MAX_EXAMPLES if stateful else MAX_EXAMPLES,
            # Anonymous means no credentials at all; the token run sends its own header.
            "with-security-parameters": False,
            "deterministic": True,
            "database": "none",
        },
        "phases": {
            **{name: {"enabled": enabled} for name, enabled in phases.items()},
            "stateful": {"enabled": stateful, "max-steps": STATEFUL_MAX_STEPS},
        },
        # The token is ours and for tests only: show it in reproductions (as $TOKEN below).
        "output": {"sanitization": {"enabled": False}},
        "warnings": False,
    }
    if token:
        config["headers"] = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_url(
        f"{base_url}/api/schema/?format=json", config=schemathesis.Config.from_dict(config)
    )
    if PATHS:
        schema = schema.include(path_regex=PATHS)

    report = report if report is not None else Report()
    server_errors = ServerErrors()

    @schema.hook
    def filter_failure(context, failure, case, response):
        reason = false_positive(failure, case, response)
        if reason is None:
            return True
        key = f"{case.operation.label}: {reason}"
        report.excluded[key] += 1
        report.excluded_examples.setdefault(
            key, case.as_curl_command().replace(token or "\0", TOKEN_PLACEHOLDER)
        )
        return False

    started = time.monotonic()
    logging.getLogger("django.request").addHandler(server_errors)
    try:
        stream = list(engine.from_schema(schema).execute())
    finally:
        logging.getLogger("django.request").removeHandler(server_errors)
    for event in stream:
        if isinstance(event, events.ScenarioFinished):
            report.scenarios[str(event.phase.value)] += 1
            _collect(report, event.recorder, str(event.phase.value), token, server_errors)
        elif isinstance(event, events.SuiteFinished):
            report.suites[f"{event.phase.value}:{event.status.value}"] += 1
        elif isinstance(event, events.PhaseStarted) and event.payload is not None:
            report.links = (
                f"{event.payload.transitions_selected} links "
                f"({event.payload.inferred_transitions} inferred from the schema and Location headers)"
            )
        elif isinstance(event, events.PhaseFinished):
            report.phases[event.phase.name.value] = event.status.value
        elif isinstance(event, events.NonFatalError):
            report.errors.append(f"{event.label}: {event.info.title}\n{event.info.message}")
        elif isinstance(event, events.FatalError):
            report.errors.append(f"fatal: {event.exception!r}")
    report.seconds += time.monotonic() - started
    return report


def _message(check: str, failure) -> str:
    return "" if check == "not_a_server_error" else failure.message[:2000]


def _collect(report: Report, recorder, phase: str, token: str | None, server_errors) -> None:
    report.cases[phase] += len(recorder.cases)
    for interaction in recorder.interactions.values():
        if interaction.response is not None:
            report.statuses[interaction.response.status_code] += 1
    for case_id, nodes in recorder.checks.items():
        for node in nodes:
            if node.failure_info is None:
                continue
            failure = node.failure_info.failure
            failing_id = failure.case_id or case_id
            interaction = recorder.interactions.get(failing_id)
            response = interaction.response if interaction else None
            case = recorder.cases[failing_id].value if failing_id in recorder.cases else None
            curl = node.failure_info.code_sample
            if token:
                curl = curl.replace(token, TOKEN_PLACEHOLDER)
            causes, errors = _causes(node.name, failure, case, response, server_errors)
            weight = (errors, len(curl))  # the reproduction with the fewest other errors, then the shortest
            for cause, text in causes:
                # A server error is one finding whichever checks report it; anything else, one per check.
                key = (failure.operation, cause if cause.startswith("server error") else (node.name, cause))
                found = report.findings.get(key)
                if found is not None:
                    found.count += 1
                    if node.name not in found.checks:
                        found.checks.append(node.name)
                    if weight < found.weight:
                        found.curl, found.body, found.cause = curl, _body(response), text
                        found.weight, found.message = weight, _message(node.name, failure)
                    continue
                report.findings[key] = Finding(
                    operation=failure.operation, checks=[node.name], title=failure.title, cause=text,
                    status=response.status_code if response is not None else None, body=_body(response),
                    curl=curl, message=_message(node.name, failure),
                    phase=phase, weight=weight,
                )  # fmt: skip


# --- The tests --------------------------------------------------------------------------------------------------


@pytest.fixture
def api(live_server, monkeypatch, caplog):
    """The live server with the seed data, set up to take a fuzzer's thousands of requests."""
    from django.core.servers.basehttp import WSGIRequestHandler
    from rest_framework.throttling import SimpleRateThrottle

    # The handler writes headers and body separately; with Nagle's algorithm on, the body waits for the
    # client's delayed ACK, and every request on a kept-alive connection (what schemathesis uses) takes 40 ms.
    monkeypatch.setattr(WSGIRequestHandler, "disable_nagle_algorithm", True)
    # Anonymous reads are throttled at 3000 an hour; a run sends more, and the rest would all be 429s.
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "anon": "1000000/hour"}
    )
    # One line per request, and a warning per 4xx, would bury the report; server errors are still logged.
    caplog.set_level(logging.WARNING, logger="conflict_events.requests")
    caplog.set_level(logging.ERROR, logger="django.request")
    call_command("load_seed", verbosity=0)
    return live_server.url


@pytest.fixture
def curator_token(django_user_model) -> str:
    user = django_user_model.objects.create_user("fuzzer", password="pw-for-tests-only")
    user.groups.add(Group.objects.get(name=EDITORS), Group.objects.get(name=REVIEWERS))
    return ApiToken.objects.issue(user=user, name="fuzzing")[1]


def _assert_clean(report: Report, title: str) -> None:
    print(f"\n{title}\n{report.summary()}")
    if report.findings or report.errors:
        pytest.fail(report.render(title), pytrace=False)


def test_fuzz_anonymous(api):
    _assert_clean(fuzz(api, token=None, stateful=False), "Anonymous, stateless")


def test_fuzz_with_token(api, curator_token):
    _assert_clean(fuzz(api, token=curator_token, stateful=False), "Editor and reviewer token, stateless")


def test_fuzz_stateful_with_token(api, curator_token):
    report = Report()
    for run in range(STATEFUL_RUNS):
        fuzz(api, token=curator_token, stateful=True, seed=SEED + run, report=report)
    _assert_clean(report, "Editor and reviewer token, stateful")
