"""A readable admin: reasons in plain English that name the original of a republication, labels instead of
codes, autocompletes that offer only what a field takes, list pages with their filters, and a history with
one row per real change, an event's claims included."""

import datetime

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actors.models import Actor
from events.models import Claim, Event, EventActor, Tag
from events.services import claim_record, event_save
from events.verification import events_rederive
from locations.models import Location
from sources.models import Report, Source, report_phrase
from sources.services import report_save
from tests import factories as f
from tests.test_admin import _change_form_data, url

MAY_5, MAY_6 = datetime.date(2022, 5, 5), datetime.date(2022, 5, 6)


@pytest.fixture
def clash(db):
    """An event between Front and Government."""
    event = f.EventFactory()
    front, government = f.ActorFactory(name="Front"), f.ActorFactory(name="Government")
    event_save(event=event, fields=[], actors=[(front, "side_a"), (government, "side_b")])
    event.front, event.government = front, government
    return event


def reason(event: Event) -> str:
    event.refresh_from_db()
    return event.verification_reason


def outlet_report(name: str, published_on=MAY_6, title: str = "Fighting in the valley") -> Report:
    return f.ReportFactory(source=f.SourceFactory(name=name), published_on=published_on, title=title)


# --- reasons: agreement -------------------------------------------------------------------------------


def test_one_outlet_is_not_a_party_and_two_are_not_parties(clash):
    claim_record(event=clash, report=outlet_report("The Daily"), stance="asserts", claimant=clash.front)
    claim_record(event=clash, report=outlet_report("Wire Agency"), stance="confirms", claimant=None)
    assert reason(clash).endswith("; Wire Agency is not a party to the event.")
    claim_record(event=clash, report=outlet_report("Radio Valley"), stance="confirms", claimant=None)
    assert reason(clash) == (
        "Corroborated: asserted in 3 independent reports, by Front in The Daily on 2022-05-06, Wire Agency on "
        "2022-05-06 and Radio Valley on 2022-05-06; Wire Agency and Radio Valley are not parties to the event."
    )


def test_one_party_asserting_is_a_party_and_two_are_parties(clash):
    spokesperson = f.PersonFactory(name="Front spokesperson", affiliation=clash.front)
    claim_record(event=clash, report=outlet_report("The Daily"), stance="asserts", claimant=clash.front)
    claim_record(event=clash, report=outlet_report("The Weekly"), stance="asserts", speaker=spokesperson)
    # A party and its spokesperson are one party.
    assert reason(clash) == (
        "Claimed: asserted only by a party to the event, Front in The Daily on 2022-05-06 and Front "
        "spokesperson in The Weekly on 2022-05-06; no independent report confirms it."
    )
    claim_record(
        event=clash, report=outlet_report("The Monthly"), stance="asserts", claimant=clash.government
    )
    assert reason(clash).startswith("Claimed: asserted only by parties to the event, Front in The Daily")
    assert reason(clash).endswith(
        "and Government in The Monthly on 2022-05-06; no independent report confirms it."
    )


def test_a_subject_claimed_by_one_party_agrees_too(clash):
    claim_record(
        event=clash,
        report=outlet_report("The Daily"),
        stance="asserts",
        claimant=clash.front,
        subject="attribution",
    )
    clash.refresh_from_db()
    assert clash.attribution_reason == (
        "Attribution claimed only by a party to the event: asserted by Front in The Daily on 2022-05-06; no "
        "independent report confirms it."
    )


# --- reasons: the original behind a republication ------------------------------------------------------


def test_a_claim_in_a_republished_report_names_the_original(clash):
    original = outlet_report("AFP", MAY_5, "Fighting reported in the valley")
    copy = outlet_report("TRT World", MAY_6, "Fighting reported in the valley (AFP)")
    claim_record(event=clash, report=copy, stance="asserts", claimant=None)
    assert reason(clash) == "Reported: asserted in one independent report, by TRT World on 2022-05-06."
    # Linking the copy to its original later re-derives the words too.
    report_save(report=copy, derived_from=[(original, "republishes")])
    assert reason(clash) == (
        "Reported: asserted in one independent report, by TRT World on 2022-05-06 (republishing AFP's report "
        "of 2022-05-05)."
    )


def test_an_undated_original_is_named_by_its_title_and_several_are_listed(clash):
    undated = outlet_report("Reuters", None, "Clashes in the north")
    dated = outlet_report("AFP", MAY_5)
    copy = outlet_report("TRT World")
    report_save(report=copy, derived_from=[(undated, "republishes"), (dated, "republishes")])
    claim_record(event=clash, report=copy, stance="asserts", claimant=clash.front)
    assert (
        "Front in TRT World on 2022-05-06 (republishing AFP's report of 2022-05-05 and Reuters' undated report "
        '"Clashes in the north")' in reason(clash)
    )


def test_a_report_that_only_quotes_another_is_not_said_to_republish_it(clash):
    quoted = outlet_report("AFP", MAY_5)
    analysis = outlet_report("Think Tank")
    report_save(report=analysis, derived_from=[(quoted, "quotes")])
    claim_record(event=clash, report=analysis, stance="asserts", claimant=None)
    assert "republishing" not in reason(clash)
    assert reason(clash) == "Reported: asserted in one independent report, by Think Tank on 2022-05-06."


def test_naming_originals_costs_one_query_and_only_when_a_report_republishes(clash):
    plain, republishing = f.EventFactory(), f.EventFactory()
    claim_record(event=plain, report=outlet_report("The Daily"), stance="asserts", claimant=None)
    copy = outlet_report("TRT World")
    report_save(report=copy, derived_from=[(outlet_report("AFP", MAY_5), "republishes")])
    claim_record(event=republishing, report=copy, stance="asserts", claimant=None)

    def cost(event):
        with CaptureQueriesContext(connection) as queries:
            assert events_rederive([event.pk]) == 0  # already current: the count is the reading alone
        return len([q for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))])

    assert cost(republishing) == cost(plain) + 1


def test_reports_are_named_with_their_outlet_and_date():
    assert report_phrase("AFP", MAY_5) == "AFP's report of 2022-05-05"
    assert report_phrase("Fox News", MAY_5) == "Fox News' report of 2022-05-05"
    assert report_phrase("AFP", None, "Clashes") == 'AFP\'s undated report "Clashes"'


# --- labels, not codes -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "relation, verb", [("republishes", "republishes"), ("quotes", "quotes"), ("derives", "derives from")]
)
def test_a_derivation_reads_as_a_sentence(relation, verb):
    link = f.ReportDerivationFactory(
        report=outlet_report("TRT World", MAY_6), derived_from=outlet_report("AFP", MAY_5), relation=relation
    )
    assert str(link) == f"TRT World's report of 2022-05-06 {verb} AFP's report of 2022-05-05"


@pytest.mark.django_db
def test_the_report_page_shows_what_it_republishes_and_who_republished_it(staff_client):
    original, copy = outlet_report("AFP", MAY_5), outlet_report("TRT World", MAY_6)
    analysis = outlet_report("Think Tank", MAY_6)
    report_save(report=copy, derived_from=[(original, "republishes")])
    report_save(report=analysis, derived_from=[(original, "quotes")])

    page = staff_client.get(url(Report, "change", original.pk))
    fields = {
        line.field["label"]: line
        for fieldset in page.context["adminform"]
        for row in fieldset
        for line in row
        if line.is_readonly
    }
    assert str(fields["Republished by"].contents()) == (
        f'<a href="{url(Report, "change", copy.pk)}">TRT World&#x27;s report of 2022-05-06</a>'
    )
    assert "Think Tank&#x27;s report of 2022-05-06" in str(fields["Quoted or drawn on by"].contents())
    assert str(fields["Republishes"].contents()) == "—"

    page = staff_client.get(url(Report, "change", copy.pk))
    content = page.content.decode()
    assert f'<a href="{url(Report, "change", original.pk)}">AFP&#x27;s report of 2022-05-05</a>' in content
    assert "TRT World&#x27;s report of 2022-05-06 republishes AFP&#x27;s report of 2022-05-05" in content


ADMIN_MODELS = [
    m for m in admin.site._registry if m._meta.app_label in {"locations", "actors", "sources", "events"}
]


@pytest.mark.django_db
@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.model_name)
def test_no_help_text_shows_a_raw_code(staff_client, model):
    page = staff_client.get(url(model, "add"))
    forms = [page.context["adminform"].form]
    forms += [fs.formset.empty_form for fs in page.context["inline_admin_formsets"]]
    checked = 0
    for form in forms:
        model_fields = {f.name: f for f in form._meta.model._meta.fields}
        for name, field in form.fields.items():
            choices = model_fields[name].flatchoices if name in model_fields else []
            for code in [str(value) for value, _ in choices if "_" in str(value)]:
                checked += 1
                assert code not in str(field.help_text), (model, name, field.help_text)
    if model is Claim:
        assert checked >= 3  # stance's cannot_confirm, casualties_of's side_a and side_b were looked at


@pytest.mark.django_db
def test_help_texts_that_list_choices_use_their_labels(staff_client):
    claim = staff_client.get(url(Claim, "add")).context["adminform"].form.fields
    assert "cannot confirm" in claim["stance"].help_text
    assert "(side A, side B, civilians;" in claim["casualties_of"].help_text
    actor = staff_client.get(url(Actor, "add")).context["adminform"].form.fields
    assert actor["kind"].help_text.startswith("One of ACLED's actor categories (state forces, rebel group, ")
    assert "inter codes" not in actor["kind"].help_text
    place = staff_client.get(url(Location, "add")).context["adminform"].form.fields
    assert place["level"].help_text == (
        "How deep in the gazetteer it sits: country, admin1 (province), admin2 (district), admin3 or place."
    )


# --- autocompletes -------------------------------------------------------------------------------------


def autocomplete(client, app_label, model_name, field_name, term=""):
    response = client.get(
        reverse("admin:autocomplete"),
        {"term": term, "app_label": app_label, "model_name": model_name, "field_name": field_name},
    )
    assert response.status_code == 200, response.content
    return [r["text"] for r in response.json()["results"]]


@pytest.mark.usefixtures("seed")
def test_a_country_field_offers_countries_only(staff_client):
    assert autocomplete(staff_client, "sources", "source", "country") == ["Afghanistan"]
    assert autocomplete(staff_client, "actors", "actor", "country") == ["Afghanistan"]
    assert autocomplete(staff_client, "sources", "source", "country", "Kabul") == []
    # A field that takes any place still offers every place.
    assert autocomplete(staff_client, "events", "event", "location", "Kabul") == ["Kabul"]
    assert len(autocomplete(staff_client, "locations", "location", "parent")) > 1


@pytest.mark.usefixtures("seed")
def test_a_claims_speaker_is_picked_among_people(staff_client):
    people = set(Actor.objects.filter(kind=Actor.Kind.PERSON).values_list("name", flat=True))
    assert people == {"Ali Nazary", "Khalid Amiry"}
    assert set(autocomplete(staff_client, "events", "claim", "speaker")) == people
    assert autocomplete(staff_client, "events", "claim", "speaker", "Taliban") == []
    # The claimant may be anyone.
    assert "Taliban" in autocomplete(staff_client, "events", "claim", "claimant", "Taliban")


# --- list pages ----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("seed")
@pytest.mark.parametrize(
    "model, query, expected",
    [
        (Report, lambda: f"source__id__exact={Source.objects.get(name='The New York Sun').pk}", 1),
        (Report, lambda: f"source__id__exact={Source.objects.get(name='Fox News').pk}&q=Sun", 0),
        (Report, lambda: "q=hurdles", 1),
        (Source, lambda: "kind__exact=think_tank", 2),
        (Source, lambda: "q=Mordor", 0),
        (Actor, lambda: "kind__exact=person", 2),
        (Actor, lambda: "kind__exact=protesters", 0),
        (Location, lambda: "level__exact=0", 1),
        (Location, lambda: "level__exact=3&q=Abdullah", 1),
        (Location, lambda: "level__exact=3&q=Kabul", 0),
    ],
)
def test_list_pages_filter_and_search(staff_client, model, query, expected):
    response = staff_client.get(url(model, "changelist") + "?" + query())
    assert response.status_code == 200
    assert response.context["cl"].result_count == expected


@pytest.mark.usefixtures("seed")
def test_the_report_list_shows_its_key_columns(staff_client):
    response = staff_client.get(url(Report, "changelist"))
    headers = [h["text"] for h in response.context["result_headers"]]
    assert headers[1:] == ["title", "source", "published", "author"]
    assert '<span style="white-space:nowrap">2022-05-06</span>' in response.content.decode()


# --- history: one row per real change ------------------------------------------------------------------

SAVED_THROUGH_THE_ADMIN = [
    (Event, lambda: Event.objects.get(summary__contains="intense fighting")),
    (Source, lambda: Source.objects.get(name="Fox News")),
    (Report, lambda: Report.objects.get(title__contains="hurdles")),
    (Actor, lambda: Actor.objects.get(name="Khalid Amiry")),
    (Location, lambda: Location.objects.get(name="Khenj")),
]


@pytest.mark.usefixtures("seed")
@pytest.mark.parametrize("model, find", SAVED_THROUGH_THE_ADMIN, ids=lambda v: getattr(v, "__name__", ""))
def test_an_admin_save_writes_one_history_row_and_none_when_nothing_changed(staff_client, model, find):
    obj = find()
    before = obj.history.count()
    data = _change_form_data(staff_client, obj)
    response = staff_client.post(url(model, "change", obj.pk), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert obj.history.count() == before  # posted back as it was shown: nothing to record

    data["notes"] = "Checked against a second source."
    response = staff_client.post(url(model, "change", obj.pk), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert obj.history.count() == before + 1
    latest, previous = obj.history.all()[:2]
    assert [c.field for c in latest.diff_against(previous).changes] == ["notes"]
    assert latest.history_user == staff_client.user


@pytest.mark.usefixtures("seed")
def test_a_tag_change_shows_only_that_change(staff_client):
    event = Event.objects.get(summary__contains="intense fighting")
    seeded = list(event.tags.values_list("pk", flat=True))
    assert seeded  # the seed's first version carries the tags it was loaded with
    added = Tag.objects.create(name="second offensive")
    data = _change_form_data(staff_client, event)
    data["tags"] = [str(pk) for pk in [*seeded, added.pk]]
    assert staff_client.post(url(Event, "change", event.pk), data).status_code == 302
    latest, previous = event.history.all()[:2]
    [change] = latest.diff_against(previous).changes
    assert change.field == "tags"
    assert {row["tag"] for row in change.old} == set(seeded)
    assert {row["tag"] for row in change.new} == {*seeded, added.pk}


@pytest.mark.usefixtures("seed")
def test_claim_changes_are_on_their_events_history_page(staff_client):
    event = Event.objects.get(summary__contains="intense fighting")
    claim = event.claims.get(stance=Claim.Stance.CANNOT_CONFIRM)
    before = event.history.count()
    data = _change_form_data(staff_client, event)
    index = next(i for i in range(int(data["claims-TOTAL_FORMS"])) if data[f"claims-{i}-id"] == str(claim.pk))
    data[f"claims-{index}-stance"] = Claim.Stance.CONFIRMS
    assert staff_client.post(url(Event, "change", event.pk), data).status_code == 302
    assert event.history.count() == before  # the event itself did not change: the claim did
    assert claim.history.count() == 2

    page = staff_client.get(url(Event, "history", event.pk))
    [claims] = [s for s in page.context["inline_histories"] if s["title"] == "claims"]
    latest = claims["rows"][0]
    assert (latest["label"], latest["url"]) == (f"Claim {claim.pk}", url(Claim, "change", claim.pk))
    assert latest["record"].history_user == staff_client.user
    assert latest["changes"] == [("Stance", "Cannot confirm", "Confirms")]
    content = page.content.decode()
    assert "Changes to its claims" in content and f"Claim {claim.pk}" in content


@pytest.mark.usefixtures("seed")
def test_a_claim_added_in_the_event_form_is_listed_with_what_it_says(staff_client):
    event = Event.objects.get(summary__contains="intense fighting")
    wire = f.ReportFactory(source=f.SourceFactory(name="Wire service", kind="wire"))
    data = _change_form_data(staff_client, event)
    n = int(data["claims-TOTAL_FORMS"])
    data.update({"claims-TOTAL_FORMS": str(n + 1), f"claims-{n}-event": str(event.pk),
                 f"claims-{n}-report": str(wire.pk), f"claims-{n}-stance": "confirms",
                 f"claims-{n}-subject": "occurrence", f"claims-{n}-quote": "Fighting was reported."})  # fmt: skip
    assert staff_client.post(url(Event, "change", event.pk), data).status_code == 302
    page = staff_client.get(url(Event, "history", event.pk))
    [claims] = [s for s in page.context["inline_histories"] if s["title"] == "claims"]
    new = claims["rows"][0]
    assert new["record"].history_type == "+"
    assert ("Stance", None, "Confirms") in new["changes"]
    assert ("Report", None, str(wire)) in new["changes"]
    assert all(label != "Event" for label, _, _ in new["changes"])  # its event goes without saying


# --- deleting an event: the confirmation tells the truth -----------------------------------------------


@pytest.mark.usefixtures("seed")
def test_the_delete_confirmation_says_the_event_is_tombstoned_and_its_claims_kept(staff_client):
    event = Event.objects.get(summary__contains="intense fighting")
    claims = event.claims.count()
    page = staff_client.get(url(Event, "delete", event.pk)).content.decode()
    assert "It is marked deleted, not erased" in page and "it can be restored" in page
    assert f"<li>Claims: {claims}</li>" in page
    assert "will be deleted" not in page

    assert staff_client.post(url(Event, "delete", event.pk), {"post": "yes"}).status_code == 302
    tombstone = Event.all_objects.get(pk=event.pk)
    assert tombstone.deleted_at is not None and tombstone.claims.count() == claims


@pytest.mark.usefixtures("seed")
def test_deleting_selected_events_says_the_same(staff_client):
    events = list(Event.objects.order_by("pk")[:2])
    page = staff_client.post(
        url(Event, "changelist"), {"action": "delete_selected", "_selected_action": [e.pk for e in events]}
    ).content.decode()
    assert "They are marked deleted, not erased" in page and "will be deleted" not in page
    assert EventActor.objects.filter(event__in=events).exists()
