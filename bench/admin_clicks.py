"""Count the page loads and clicks a curator needs to enter one report's aftermath in the admin.

Usage:  .venv/bin/python bench/admin_clicks.py --flow report-first
        .venv/bin/python bench/admin_clicks.py --flow claim-pages --tree /tmp/before   (an older checkout)

The scenario is the seed article (The New York Sun, 6 May 2022): one report; five events — the three
district takeovers the NRF claims (Hisa Awal/Khenj, Abshar, Abdullah Khel), the all-out offensive in
Panjshir announced in Ali Nazary's tweet ("tonight", so 5–6 May), the intense fighting throughout
Panjshir — each with the NRF as side A and the Taliban as side B; eight claims — the NRF (through Ali
Nazary) asserting each takeover and the Taliban denying each, the NRF asserting the offensive and the
fighting. Every fact and quote is the article's (fixtures/seed.json holds the same).

Flows:
- claim-pages: today's admin as a new editor uses it — the report, then each event with its roles, then
  each claim on its own page ("Save and add another");
- event-pages: the same admin used at its best — each event's claims entered inline on the event's page;
- report-first: the report-first entry page (events/admin_entry.py).

How it counts: headless Chromium drives the flow against a server started on a fresh SQLite database that
holds the seed's gazetteer, actors and outlets but not its reports, events or claims. A page load is a
document loaded in the main frame (every form submission's result included); logging in is not counted.
A click is one press on a control: a button, link or checkbox, or a text field to put the cursor in; a
native select costs two (open, choose), an autocomplete two (open, choose) plus its search text as
keystrokes; clearing an autocomplete one. Typing is counted apart, as keystrokes. At the end the script
reads back what was saved, so a count is only printed for a complete, correct entry.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "pw-for-counting-clicks"

REPORT = {
    "source": ("Sun", "The New York Sun"),
    "title": "Afghan Resistance, in Startling Report, Says It Liberated Districts in North Panjshir Region",
    "published_on": "2022-05-06",
}
TAKEOVER, CLASH = "Non-state actor overtakes territory", "Armed clash"
EVENTS = [
    {"summary": "NRF claims to have taken Hisa Awal (Khenj district) in Panjshir from the Taliban",
     "sub_type": TAKEOVER, "start": "2022-05-06", "end": "2022-05-06", "place": "Khenj"},
    {"summary": "NRF claims to have taken Abshar district in Panjshir from the Taliban",
     "sub_type": TAKEOVER, "start": "2022-05-06", "end": "2022-05-06", "place": "Abshar"},
    {"summary": "NRF claims to have taken Abdullah Khel in Panjshir from the Taliban",
     "sub_type": TAKEOVER, "start": "2022-05-06", "end": "2022-05-06", "place": "Abdullah Khel"},
    {"summary": "NRF announces an all-out offensive in Panjshir under commander Khalid Amiry",
     "sub_type": CLASH, "start": "2022-05-05", "end": "2022-05-06", "place": "Panjshir"},
    {"summary": "NRF reports intense fighting with the Taliban throughout Panjshir",
     "sub_type": CLASH, "start": "2022-05-06", "end": "2022-05-06", "place": "Panjshir"},
]  # fmt: skip
# Exact day (1) for one date, 2–6 days (2) for the offensive; province (4) everywhere: no point is known for
# the three districts, so their events are mapped at Panjshir (as the seed's curators did).
DATE_PRECISION = {"2022-05-06": "1", "2022-05-05": "2"}
GEO_PRECISION = "4"
SIDES = (("National Resistance", "National Resistance Front"), ("Taliban", "Taliban"))
NRF = ("National Resistance", "National Resistance Front")
TALIBAN = ("Taliban", "Taliban")
NAZARY = ("Nazary", "Ali Nazary")
# The statements, each with the events it is about (1-based, as above).
STATEMENTS = [
    {"events": [1, 2, 3], "claimant": NRF, "speaker": NAZARY, "stance": "asserts",
     "subject": "territorial_control",
     "quote": "Mr. Nazary said the group had “liberated three districts,” including Hisa Awal, Abshar, and "
              "Abdullah Khel, all of which are located in Panjshir province in Northeastern Afghanistan."},
    {"events": [1, 2, 3], "claimant": TALIBAN, "speaker": None, "stance": "denies",
     "subject": "territorial_control", "quote": "A Taliban official, writing on Twitter, denied the claim."},
    {"events": [4], "claimant": NRF, "speaker": NAZARY, "stance": "asserts", "subject": "occurrence",
     "quote": "Tonight the lions of the Hindu Kush under the command of Khalid Amiry have launched an all "
              "out offensive in Panjshir."},
    {"events": [5], "claimant": NRF, "speaker": NAZARY, "stance": "asserts", "subject": "occurrence",
     "quote": "“There is intense fighting right now throughout Panjshir,” the NRF’s head of foreign relations, "
              "Ali Nazary, told The New York Sun in a telephone interview Friday evening."},
]  # fmt: skip
EXPECTED = {"reports": 1, "events": 5, "roles": 10, "claims": 8}
# Event type, date precision, geo precision and the derived status of each event, as in the seed data.
EXPECTED_EVENTS = [
    ["Battles", int(DATE_PRECISION[e["start"]]), int(GEO_PRECISION), status]
    for e, status in zip(EVENTS, ["disputed", "disputed", "disputed", "claimed", "claimed"], strict=True)
]


def expected_claims() -> list:
    """The eight claims as they must be saved: one per statement and event."""
    return sorted(
        [EVENTS[n - 1]["summary"], s["claimant"][1], s["speaker"][1] if s["speaker"] else None, s["stance"],
         s["subject"], s["quote"]]
        for s in STATEMENTS for n in s["events"]
    )  # fmt: skip


@dataclass
class Counted:
    """A Playwright page whose every action is counted by the rules of the module docstring."""

    page: object
    base: str
    clicks: int = 0
    keys: int = 0
    loads: int = 0
    log: list = field(default_factory=list)

    def __post_init__(self):
        self.page.on("load", lambda _page: self._loaded())

    def _loaded(self):
        self.loads += 1

    def reset(self):
        self.clicks = self.keys = self.loads = 0

    def nav(self, path: str):
        """Follow a link to the page (one click, one load)."""
        self.clicks += 1
        self.page.goto(self.base + path)

    def type(self, selector: str, text: str):
        self.clicks += 1
        self.keys += len(text)
        self.page.fill(selector, text)

    def choose(self, selector: str, value: str):
        self.clicks += 2
        self.page.select_option(selector, value)

    def check(self, selector: str, on: bool = True):
        self.clicks += 1
        self.page.set_checked(selector, on)

    def press(self, selector: str):
        self.clicks += 1
        self.page.click(selector)

    def submit(self, selector: str):
        self.clicks += 1
        with self.page.expect_navigation():
            self.page.click(selector)

    def pick(self, field_id: str, term: str, option: str):
        """Choose in an autocomplete (select2): open it, type the search text, choose the option."""
        self.clicks += 2
        self.keys += len(term)
        self.page.click(f"[aria-labelledby='select2-{field_id}-container']")
        self.page.fill(".select2-container--open .select2-search__field", term)
        self.page.click(f".select2-results__option:has-text('{option}')")

    def unpick(self, field_id: str):
        self.clicks += 1
        self.page.click(f"#select2-{field_id}-container .select2-selection__clear")


# --- the flows ----------------------------------------------------------------------------------------------


def report_page(c: Counted):
    c.nav("/admin/sources/report/add/")
    c.pick("id_source", *REPORT["source"])
    c.type("#id_title", REPORT["title"])
    c.type("#id_published_on", REPORT["published_on"])
    c.submit("input[name=_save]")


def event_fields(c: Counted, event: dict):
    """Today's event form: every required field typed or chosen, the roles added inline."""
    c.type("#id_summary", event["summary"])
    c.pick("id_event_type", "Battles", "Battles")
    c.pick("id_sub_event_type", event["sub_type"].split()[0], event["sub_type"])
    c.type("#id_date_start", event["start"])
    c.type("#id_date_end", event["end"])
    if DATE_PRECISION[event["start"]] != "1":  # the form offers "exact day" first
        c.choose("#id_date_precision", DATE_PRECISION[event["start"]])
    c.pick("id_location", event["place"], event["place"])
    c.choose("#id_geo_precision", GEO_PRECISION)
    for i, ((term, name), role) in enumerate(zip(SIDES, ("side_a", "side_b"), strict=True)):
        c.press("#event_actors-group .add-row a")
        c.pick(f"id_event_actors-{i}-actor", term, name)
        c.choose(f"#id_event_actors-{i}-role", role)


def claim_fields(c: Counted, prefix: str, statement: dict):
    c.pick(f"{prefix}claimant", *statement["claimant"])
    if statement["speaker"]:
        c.pick(f"{prefix}speaker", *statement["speaker"])
    c.choose(f"#{prefix}stance", statement["stance"])
    if statement["subject"] != "occurrence":
        c.choose(f"#{prefix}subject", statement["subject"])
    c.type(f"#{prefix}quote", statement["quote"])


def claim_pages(c: Counted):
    report_page(c)
    for event in EVENTS:
        c.nav("/admin/events/event/add/")
        event_fields(c, event)
        c.submit("input[name=_save]")
    claims = [(s, n) for s in STATEMENTS for n in s["events"]]
    c.nav("/admin/events/claim/add/")
    for i, (statement, number) in enumerate(claims):
        c.pick("id_event", EVENTS[number - 1]["summary"][:30], EVENTS[number - 1]["summary"][:60])
        c.pick("id_report", "Startling", "Startling")
        claim_fields(c, "id_", statement)
        c.submit("input[name=_addanother]" if i < len(claims) - 1 else "input[name=_save]")


def event_pages(c: Counted):
    report_page(c)
    for number, event in enumerate(EVENTS, start=1):
        c.nav("/admin/events/event/add/")
        event_fields(c, event)
        statements = [s for s in STATEMENTS if number in s["events"]]
        for i, statement in enumerate(statements):
            c.press("#claims-group .add-row a")
            c.pick(f"id_claims-{i}-report", "Startling", "Startling")
            claim_fields(c, f"id_claims-{i}-", statement)
        c.submit("input[name=_save]")


def report_first(c: Counted):
    c.nav("/admin/events/event/enter-report/")
    c.pick("id_report-source", *REPORT["source"])
    c.type("#id_report-title", REPORT["title"])
    c.type("#id_report-published_on", REPORT["published_on"])
    previous = None
    for i, event in enumerate(EVENTS):
        p = f"events-{i}-"
        if i:
            c.press("button[data-formset=events]")  # the new row starts from the one before
        c.type(f"#id_{p}summary", event["summary"])
        if previous is None or previous["sub_type"] != event["sub_type"]:
            c.pick(f"id_{p}sub_event_type", event["sub_type"].split()[0], event["sub_type"])
        if previous is None or previous["start"] != event["start"]:
            c.type(f"#id_{p}date_start", event["start"])
        if event["end"] != event["start"]:
            c.type(f"#id_{p}date_end", event["end"])  # otherwise the end date follows the start
        if previous is None or previous["place"] != event["place"]:
            c.pick(f"id_{p}location", event["place"], event["place"])
        if previous is None:
            c.pick(f"id_{p}side_a", *SIDES[0])
            c.pick(f"id_{p}side_b", *SIDES[1])
        previous = event
    chosen: set[int] = set()
    said: dict = {}  # what each claimant said last on the page: the page brings it back with the claimant
    shown = None
    for i, statement in enumerate(STATEMENTS):
        p = f"claims-{i}-"
        if i:
            c.press("button[data-formset=claims]")  # the new row starts from the one before
        for number in sorted(chosen ^ set(statement["events"])):
            c.check(f"#id_{p}new_events_{number - 1}", number in statement["events"])
        chosen = set(statement["events"])
        if shown is not None and shown["claimant"] != statement["claimant"]:
            c.pick(f"id_{p}claimant", *statement["claimant"])
            shown = said.get(statement["claimant"], {**shown, "speaker": None})
        elif shown is None:
            c.pick(f"id_{p}claimant", *statement["claimant"])
            shown = {"speaker": None, "stance": "", "subject": "occurrence"}
        if shown["speaker"] != statement["speaker"]:
            if statement["speaker"]:
                c.pick(f"id_{p}speaker", *statement["speaker"])
            else:
                c.unpick(f"id_{p}speaker")
        if shown["stance"] != statement["stance"]:
            c.choose(f"#id_{p}stance", statement["stance"])
        if shown["subject"] != statement["subject"]:
            c.choose(f"#id_{p}subject", statement["subject"])
        c.type(f"#id_{p}quote", statement["quote"])
        shown = said[statement["claimant"]] = statement
    c.submit("input[name=_save]")
    if c.page.locator(".errornote, .entry-warnings").count():
        errors = c.page.eval_on_selector_all(
            ".errorlist, .entry-warnings",
            "nodes => nodes.map(n => [(n.closest('.entry-row') || {}).id, n.innerText])",
        )
        raise SystemExit(f"the page refused the entry: {errors}")


FLOWS = {"claim-pages": claim_pages, "event-pages": event_pages, "report-first": report_first}


# --- a server on a fresh database ---------------------------------------------------------------------------


def manage(tree: Path, env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=tree, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


PREPARE = """
from events.models import Event
from sources.models import Report
Event.all_objects.all().delete()
Report.objects.all().delete()
"""

READ_BACK = """
import json
from events.models import Claim, Event, EventActor
from sources.models import Report
events = Event.objects.order_by("pk")
print(json.dumps({
    "reports": Report.objects.count(), "events": events.count(), "roles": EventActor.objects.count(),
    "claims": Claim.objects.count(),
    "events_as_saved": [[e.summary, e.event_type.name, e.date_precision, e.geo_precision, e.verification]
                        for e in events],
    "claims_as_saved": sorted([c.event.summary, c.claimant.name, c.speaker.name if c.speaker else None,
                               c.stance, c.subject, c.quote] for c in Claim.objects.select_related(
                               "event", "claimant", "speaker")),
}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(flow: str, tree: Path) -> dict:
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="admin-clicks-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
    }
    manage(tree, env, "migrate", "-v0")
    manage(tree, env, "load_seed", "-v0")
    manage(tree, env, "shell", "-c", PREPARE)
    manage(
        tree, env, "createsuperuser", "--noinput", "--username", "curator", "--email", "curator@example.org"
    )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium"), args=["--no-sandbox"]
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(20_000)
            page.goto(f"{base}/admin/login/?next=/admin/")
            page.fill("#id_username", "curator")
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_url(f"{base}/admin/")
            counted = Counted(page, base)
            counted.reset()
            FLOWS[flow](counted)
            browser.close()
        saved = json.loads(manage(tree, env, "shell", "-c", READ_BACK).strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)
    if {k: saved[k] for k in EXPECTED} != EXPECTED or saved["claims_as_saved"] != expected_claims():
        raise SystemExit(f"the entry is incomplete or wrong: {json.dumps(saved, indent=1)}")
    if [e[1:] for e in saved["events_as_saved"]] != EXPECTED_EVENTS:
        raise SystemExit(f"the events were not saved as the article gives them: {saved['events_as_saved']}")
    return {"flow": flow, "page_loads": counted.loads, "clicks": counted.clicks, "keystrokes": counted.keys,
            "saved": saved}  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flow", choices=sorted(FLOWS), required=True)
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose admin is driven")
    args = parser.parse_args()
    print(json.dumps(run(args.flow, args.tree.resolve()), indent=1))


if __name__ == "__main__":
    main()
