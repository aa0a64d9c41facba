"""The admin's data-entry workflow: inference, checks before save, autocompletes, the report-first page, the
review queue and the two-step import (preview, then confirm)."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from actors.models import Actor
from events.duplicates import possible_duplicates
from events.inference import date_precision_of, geo_precision_of
from events.models import Claim, Event, EventActor, EventReview, EventType, SubEventType, Verification
from events.precision import DatePrecision, GeoPrecision
from events.review_queue import needing_review
from events.services import claim_delete, event_delete
from events.services.reviews import events_review
from ingest import admin_views
from locations.models import Location
from sources.models import Report, Source
from tests import factories as f
from tests.test_ingest_readers import ACLED_BASE, ACLED_COLUMNS, to_bytes

pytestmark = pytest.mark.django_db

DAY = datetime.date(2022, 5, 6)


def place(name, level, parent=None, lat=None, lon=None) -> Location:
    path = f"{parent.path}{parent.pk}/" if parent else "/"
    return Location.objects.create(
        name=name, level=level, parent=parent, path=path, latitude=lat, longitude=lon
    )


@pytest.fixture
def tree():
    """A country, a province with a point, a district without one and a village with one (names invented
    for the test; coordinates chosen so that the village is 10 km from the province's point)."""
    country = place("Testland", Location.Level.COUNTRY, lat=30.0, lon=60.0)
    province = place("North Province", Location.Level.ADMIN1, country, lat=35.0, lon=69.0)
    district = place("Hill District", Location.Level.ADMIN2, province)
    village = place("Riverside", Location.Level.PLACE, district, lat=35.09, lon=69.0)
    return {"country": country, "province": province, "district": district, "village": village}


# --- inference ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "days, expected",
    [
        (1, DatePrecision.DAY),
        (2, DatePrecision.DAYS),
        (6, DatePrecision.DAYS),
        (7, DatePrecision.WEEK),
        (8, DatePrecision.MONTH),
        (31, DatePrecision.MONTH),
        (32, DatePrecision.LONGER),
    ],
)
def test_the_date_precision_follows_the_span_of_the_dates(days, expected):
    assert date_precision_of(DAY, DAY + datetime.timedelta(days=days - 1)) == expected


def test_no_end_date_is_one_day_and_dates_out_of_order_give_no_precision():
    assert date_precision_of(DAY, None) == DatePrecision.DAY
    assert date_precision_of(DAY, DAY - datetime.timedelta(days=1)) is None
    assert date_precision_of(None, DAY) is None


def test_the_geo_precision_follows_the_place_or_its_nearest_area_with_a_point(tree):
    assert geo_precision_of(tree["village"]) == GeoPrecision.EXACT
    assert geo_precision_of(tree["province"]) == GeoPrecision.ADMIN1
    assert geo_precision_of(tree["country"]) == GeoPrecision.COUNTRY
    # The district has no point: the event is mapped at its province, and known to that level.
    assert geo_precision_of(tree["district"]) == GeoPrecision.ADMIN1
    tree["district"].latitude, tree["district"].longitude = 35.2, 69.1
    assert geo_precision_of(tree["district"]) == GeoPrecision.ADMIN2


def test_inference_gives_back_what_the_seed_curators_chose(seed):
    events = list(Event.objects.select_related("location", "sub_event_type"))
    assert len(events) == 10
    for event in events:
        assert geo_precision_of(event.location) == event.geo_precision, event.summary
        assert date_precision_of(event.date_start, event.date_end) == event.date_precision, event.summary
        assert event.sub_event_type.event_type_id == event.event_type_id


def event_post(location, sub_type, **changes) -> dict:
    """What the admin's add-event form posts, without the fields inference fills."""
    data = {
        "summary": "Fighting reported near the river",
        "sub_event_type": sub_type.pk,
        "date_start": "2022-05-06",
        "location": location.pk,
        "verdict": "",
        "verdict_reason": "",
        "notes": "",
        **{
            f"{prefix}-{key}": value
            for prefix in ("event_actors", "claims")
            for key, value in FORMSET.items()
        },
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


FORMSET = {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0", "MIN_NUM_FORMS": "0", "MAX_NUM_FORMS": "1000"}


def test_the_event_form_saves_with_what_it_can_infer(staff_client, tree):
    clash = SubEventType.objects.get(slug="armed-clash")
    response = staff_client.post(reverse("admin:events_event_add"), event_post(tree["district"], clash))
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = Event.objects.get()
    assert (event.event_type, event.date_end) == (clash.event_type, DAY)
    assert (event.date_precision, event.geo_precision) == (DatePrecision.DAY, GeoPrecision.ADMIN1)


def test_the_event_form_keeps_what_the_curator_chose(staff_client, tree):
    clash = SubEventType.objects.get(slug="armed-clash")
    data = event_post(tree["district"], clash, date_end="2022-05-07", date_precision="3", geo_precision="5")
    assert staff_client.post(reverse("admin:events_event_add"), data).status_code == 302
    event = Event.objects.get()
    assert (event.date_precision, event.geo_precision) == (DatePrecision.WEEK, GeoPrecision.AREA)


def test_the_event_form_refuses_a_sub_type_of_another_type(staff_client, tree):
    clash = SubEventType.objects.get(slug="armed-clash")
    other = EventType.objects.exclude(pk=clash.event_type_id).first()
    data = event_post(tree["district"], clash, event_type=other.pk)
    response = staff_client.post(reverse("admin:events_event_add"), data)
    assert response.status_code == 200
    assert "is not a kind of" in str(response.context["adminform"].form.errors["sub_event_type"])
    assert not Event.objects.exists()


def test_the_inference_endpoint_answers_and_names_bad_parameters(staff_client, tree):
    clash = SubEventType.objects.get(slug="armed-clash")
    url = reverse("admin:events_event_infer")
    answer = staff_client.get(
        url, {"sub_event_type": clash.pk, "location": tree["village"].pk, "date_start": "2022-05-05",
              "date_end": "2022-05-06"}
    ).json()  # fmt: skip
    assert answer == {
        "event_type": {"id": clash.event_type_id, "text": clash.event_type.name},
        "date_precision": DatePrecision.DAYS,
        "geo_precision": GeoPrecision.EXACT,
    }
    refused = staff_client.get(url, {"location": "Khenj", "date_start": "6 May"})
    assert refused.status_code == 400
    assert set(refused.json()) == {"location", "date_start"}


# --- possible duplicates ------------------------------------------------------------------------------------


def duplicates_of(location, sub_type="armed-clash", start=DAY, end=DAY) -> list[int]:
    event_type = SubEventType.objects.get(slug=sub_type).event_type_id
    found = possible_duplicates(event_type_id=event_type, location=location, date_start=start, date_end=end)
    return [d.event.pk for d in found]


def test_a_duplicate_is_the_same_type_at_the_same_or_a_nearby_place_on_overlapping_dates(tree):
    same = f.EventFactory(location=tree["district"])
    inside = f.EventFactory(
        location=tree["village"], date_start=DAY - datetime.timedelta(days=2), date_end=DAY, date_precision=2
    )
    enclosing = f.EventFactory(location=tree["province"])
    assert sorted(duplicates_of(tree["district"])) == sorted([same.pk, inside.pk, enclosing.pk])


def test_other_types_other_days_far_places_and_deleted_events_are_not_duplicates(tree):
    f.EventFactory(
        location=tree["district"], sub_event_type=SubEventType.objects.get(slug="air-drone-strike")
    )
    f.EventFactory(location=tree["district"], date_start=DAY + datetime.timedelta(days=1))
    f.EventFactory(location=tree["country"])  # the whole country is not "nearby"
    event_delete(event=f.EventFactory(location=tree["district"]))
    assert duplicates_of(tree["district"]) == []


def test_places_with_points_are_nearby_within_25_km(tree):
    other_province = place("South Province", Location.Level.ADMIN1, tree["country"], lat=34.0, lon=69.0)
    near = place("Ferry Crossing", Location.Level.PLACE, other_province, lat=35.0, lon=69.2)  # about 18 km
    far = place("Far Pass", Location.Level.PLACE, other_province, lat=35.0, lon=69.7)  # about 64 km
    near_event, _ = f.EventFactory(location=near), f.EventFactory(location=far)
    assert duplicates_of(tree["province"]) == [near_event.pk]


def test_the_event_form_lists_possible_duplicates_with_links_and_saves_only_when_told(staff_client, tree):
    existing = f.EventFactory(location=tree["district"])
    clash = SubEventType.objects.get(slug="armed-clash")
    data = event_post(tree["village"], clash)
    response = staff_client.post(reverse("admin:events_event_add"), data)
    assert response.status_code == 200 and Event.objects.count() == 1
    page = response.content.decode()
    assert "Possible duplicates" in page
    assert reverse("admin:events_event_change", args=[existing.pk]) in page
    response = staff_client.post(reverse("admin:events_event_add"), {**data, "save_anyway": "on"})
    assert response.status_code == 302 and Event.objects.count() == 2


def test_editing_an_event_without_moving_it_raises_no_duplicate_warning(staff_client, tree):
    first = f.EventFactory(location=tree["district"])
    second = f.EventFactory(location=tree["district"])
    data = event_post(
        tree["district"], second.sub_event_type, summary="Renamed", event_type=second.event_type_id,
        date_end="2022-05-06", date_precision="1", geo_precision=str(second.geo_precision),
    )  # fmt: skip
    response = staff_client.post(reverse("admin:events_event_change", args=[second.pk]), data)
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.summary == "Renamed" and first.pk != second.pk


# --- autocompletes: no deleted event, speakers are people ---------------------------------------------------


def autocomplete(client, model: str, field: str, term: str = "") -> list[str]:
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "events", "model_name": model, "field_name": field, "term": term},
    )
    assert response.status_code == 200, response.content
    return [r["text"] for r in response.json()["results"]]


def test_a_deleted_event_is_never_offered_but_the_list_still_finds_it(staff_client, seed):
    deleted = Event.objects.get(summary__startswith="NRF reports intense fighting")
    event_delete(event=deleted)
    offered = autocomplete(staff_client, "claim", "event", "Panjshir")
    assert offered and str(deleted) not in offered
    assert str(Event.objects.get(summary__startswith="NRF announces an all-out")) in offered
    assert autocomplete(staff_client, "eventactor", "event", "intense") == []
    listed = staff_client.get(reverse("admin:events_event_changelist"), {"state": "deleted", "q": "intense"})
    assert deleted.summary in listed.content.decode()


def test_a_claim_on_a_deleted_event_is_refused(staff_client, seed):
    deleted = Event.objects.get(summary__startswith="NRF reports intense fighting")
    event_delete(event=deleted)
    claims = deleted.claims.count()
    data = {
        "event": deleted.pk,
        "report": Report.objects.first().pk,
        "stance": "asserts",
        "subject": "occurrence",
    }
    response = staff_client.post(reverse("admin:events_claim_add"), data)
    assert response.status_code == 200
    assert "event" in response.context["adminform"].form.errors
    assert deleted.claims.count() == claims


def test_the_speaker_is_picked_among_people_and_a_group_is_refused_with_the_reason(staff_client, seed):
    people = autocomplete(staff_client, "claim", "speaker")
    assert sorted(people) == sorted(
        Actor.objects.filter(kind=Actor.Kind.PERSON).values_list("name", flat=True)
    )
    assert "National Resistance Front (NRF)" in autocomplete(staff_client, "claim", "claimant", "Front")
    nrf, event = Actor.objects.get(acronym="NRF"), Event.objects.first()
    data = {"event": event.pk, "report": Report.objects.first().pk, "stance": "asserts", "subject": "occurrence",
            "claimant": nrf.pk, "speaker": nrf.pk}  # fmt: skip
    response = staff_client.post(reverse("admin:events_claim_add"), data)
    assert "is not a person" in str(response.context["adminform"].form.errors["speaker"])


def test_the_source_country_is_picked_among_countries(staff_client, seed):
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "sources", "model_name": "source", "field_name": "country", "term": ""},
    )
    offered = {r["text"] for r in response.json()["results"]}
    assert offered == set(Location.objects.countries().values_list("name", flat=True))


# --- the claim form: warnings and "save and add another" ----------------------------------------------------


def test_a_claim_on_an_event_without_actors_is_warned_about(staff_client, seed):
    bare = f.EventFactory(location=Location.objects.get(name="Panjshir"))
    data = {
        "event": bare.pk,
        "report": Report.objects.first().pk,
        "stance": "asserts",
        "subject": "occurrence",
    }
    response = staff_client.post(reverse("admin:events_claim_add"), data)
    assert response.status_code == 200 and "has no actors" in response.content.decode()
    assert not bare.claims.exists()
    assert (
        staff_client.post(reverse("admin:events_claim_add"), {**data, "save_anyway": "on"}).status_code == 302
    )
    assert bare.claims.count() == 1


def test_save_and_add_another_keeps_the_report_the_event_and_who_spoke(staff_client, seed):
    event, report = Event.objects.get(pk=1), Report.objects.get(pk=1)
    nrf, nazary = Actor.objects.get(acronym="NRF"), Actor.objects.get(name="Ali Nazary")
    data = {"event": event.pk, "report": report.pk, "claimant": nrf.pk, "speaker": nazary.pk,
            "stance": "asserts", "subject": "territorial_control", "_addanother": "1"}  # fmt: skip
    response = staff_client.post(reverse("admin:events_claim_add"), data)
    assert response.status_code == 302
    page = staff_client.get(response["Location"])
    initial = page.context["adminform"].form.initial
    assert {k: str(v) for k, v in initial.items()} == {
        "report": str(report.pk), "event": str(event.pk), "claimant": str(nrf.pk), "speaker": str(nazary.pk),
        "stance": "asserts", "subject": "territorial_control",
    }  # fmt: skip


def test_claims_on_the_event_page_without_any_role_are_warned_about(staff_client, tree):
    clash = SubEventType.objects.get(slug="armed-clash")
    report = f.ReportFactory()
    claim = {"claims-TOTAL_FORMS": "1", "claims-0-report": report.pk, "claims-0-stance": "asserts",
             "claims-0-subject": "occurrence", "claims-0-casualties_of": ""}  # fmt: skip
    data = {**event_post(tree["district"], clash), **claim}
    response = staff_client.post(reverse("admin:events_event_add"), data)
    assert response.status_code == 200 and "has no actors" in response.content.decode()
    response = staff_client.post(reverse("admin:events_event_add"), {**data, "save_anyway": "on"})
    assert response.status_code == 302
    assert Event.objects.get().claims.count() == 1


# --- the report-first page ----------------------------------------------------------------------------------


def entry_post(report: dict, events: list[dict], claims: list[dict], **extra) -> dict:
    data = {f"report-{k}": v for k, v in report.items()}
    for prefix, rows in (("events", events), ("claims", claims)):
        data.update({f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0"})
        for i, row in enumerate(rows):
            data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    data.update(extra)
    return data


@pytest.fixture
def fresh_from_the_article(seed):
    """The seed's gazetteer, actors and outlets, without its reports, events and claims: they are re-entered."""
    Event.all_objects.all().delete()
    Report.objects.all().delete()
    return {
        "sun": Source.objects.get(name="The New York Sun"),
        "nrf": Actor.objects.get(acronym="NRF"),
        "taliban": Actor.objects.get(name="Taliban"),
        "nazary": Actor.objects.get(name="Ali Nazary"),
        "khenj": Location.objects.get(name="Khenj"),
        "panjshir": Location.objects.get(name="Panjshir"),
        "takeover": SubEventType.objects.get(slug="non-state-actor-overtakes-territory"),
        "clash": SubEventType.objects.get(slug="armed-clash"),
    }


ARTICLE_TITLE = "Afghan Resistance, in Startling Report, Says It Liberated Districts in North Panjshir Region"


def the_article_page(a, **extra) -> dict:
    """One report, two new events and three claims, as the New York Sun article of 6 May 2022 gives them."""
    sides = {"side_a": a["nrf"].pk, "side_b": a["taliban"].pk}
    return entry_post(
        {"source": a["sun"].pk, "title": ARTICLE_TITLE, "published_on": "2022-05-06"},
        [
            {"summary": "NRF claims to have taken Hisa Awal (Khenj district) in Panjshir from the Taliban",
             "sub_event_type": a["takeover"].pk, "date_start": "2022-05-06", "location": a["khenj"].pk, **sides},
            {"summary": "NRF announces an all-out offensive in Panjshir under commander Khalid Amiry",
             "sub_event_type": a["clash"].pk, "date_start": "2022-05-05", "date_end": "2022-05-06",
             "location": a["panjshir"].pk, **sides},
        ],
        [
            {"new_events": ["1"], "claimant": a["nrf"].pk, "speaker": a["nazary"].pk, "stance": "asserts",
             "subject": "territorial_control", "quote": "Mr. Nazary said the group had “liberated three districts.”"},
            {"new_events": ["1"], "claimant": a["taliban"].pk, "stance": "denies", "subject": "territorial_control",
             "quote": "A Taliban official, writing on Twitter, denied the claim."},
            {"new_events": ["2"], "claimant": a["nrf"].pk, "speaker": a["nazary"].pk, "stance": "asserts",
             "subject": "occurrence", "quote": "Tonight the lions of the Hindu Kush under the command of Khalid "
             "Amiry have launched an all out offensive in Panjshir."},
        ],
        **extra,
    )  # fmt: skip


def test_one_page_writes_the_report_its_events_and_claims_through_the_services(
    staff_client, fresh_from_the_article
):
    a = fresh_from_the_article
    response = staff_client.post(reverse("admin:events_event_enter_report"), the_article_page(a))
    assert response.status_code == 302, _page_errors(response)
    report = Report.objects.get()
    assert (report.source, report.title, report.published_on) == (a["sun"], ARTICLE_TITLE, DAY)
    takeover, offensive = Event.objects.order_by("pk")
    assert (takeover.event_type, takeover.geo_precision, takeover.date_precision) == (
        a["takeover"].event_type, GeoPrecision.ADMIN1, DatePrecision.DAY,
    )  # fmt: skip
    assert (offensive.date_precision, offensive.geo_precision) == (DatePrecision.DAYS, GeoPrecision.ADMIN1)
    assert {(r.actor, r.role) for r in takeover.event_actors.all()} == {
        (a["nrf"], EventActor.Role.SIDE_A), (a["taliban"], EventActor.Role.SIDE_B),
    }  # fmt: skip
    # Derived state and history, as the services leave them: the seed's statuses for the same claims.
    assert (takeover.verification, offensive.verification) == (Verification.DISPUTED, Verification.CLAIMED)
    assert takeover.history.count() == 1 and report.history.count() == 1
    assert Claim.history.filter(report_id=report.pk).count() == 3
    assert all(c.claimed_on == DAY for c in Claim.objects.all())


def _page_errors(response) -> str:
    return re.sub(
        r"\s+", " ", " ".join(re.findall(r'<ul class="errorlist[^"]*">(.*?)</ul>', response.content.decode()))
    )


def test_a_refused_row_writes_nothing_of_the_page(staff_client, fresh_from_the_article):
    a = fresh_from_the_article
    data = the_article_page(a)
    data["claims-2-speaker"] = a["nrf"].pk  # a group as speaker: refused
    response = staff_client.post(reverse("admin:events_event_enter_report"), data)
    assert response.status_code == 200 and "is not a person" in response.content.decode()
    assert not Report.objects.exists() and not Event.objects.exists() and not Claim.objects.exists()


def test_a_claim_must_point_at_an_event_on_the_page_or_an_existing_one(staff_client, fresh_from_the_article):
    data = the_article_page(fresh_from_the_article)
    data["claims-2-new_events"] = []
    response = staff_client.post(reverse("admin:events_event_enter_report"), data)
    assert response.status_code == 200 and "Which event is it about?" in response.content.decode()
    data["events-1-DELETE"] = "on"
    data["claims-2-new_events"] = ["2"]
    response = staff_client.post(reverse("admin:events_event_enter_report"), data)
    assert "There is no new event 2 on this page" in response.content.decode()
    assert not Event.objects.exists()


def test_the_page_warns_of_duplicates_and_actorless_events_before_saving(
    staff_client, fresh_from_the_article
):
    a = fresh_from_the_article
    first = staff_client.post(reverse("admin:events_event_enter_report"), the_article_page(a))
    assert first.status_code == 302
    again = the_article_page(a, **{"events-1-side_a": "", "events-1-side_b": ""})
    again["report-title"] = "The same story, entered twice"
    response = staff_client.post(reverse("admin:events_event_enter_report"), again)
    page = response.content.decode()
    assert response.status_code == 200 and Event.objects.count() == 2
    for event in Event.objects.all():
        assert reverse("admin:events_event_change", args=[event.pk]) in page  # each listed, with its link
    assert "Claims on new event 2, which has no actors" in page
    response = staff_client.post(
        reverse("admin:events_event_enter_report"), {**again, "warnings-save_anyway": "on"}
    )
    assert response.status_code == 302 and Event.objects.count() == 4


def test_save_and_add_another_keeps_the_report_and_the_last_event(staff_client, fresh_from_the_article):
    data = the_article_page(fresh_from_the_article, _addanother="1")
    response = staff_client.post(reverse("admin:events_event_enter_report"), data)
    report, offensive = Report.objects.get(), Event.objects.order_by("pk").last()
    assert response["Location"].endswith(f"?report={report.pk}&event={offensive.pk}")
    page = staff_client.get(response["Location"])
    assert page.context["report_form"]["report"].value() == report.pk
    assert page.context["claim_formset"].forms[0]["event"].value() == offensive.pk
    assert "Claims already entered from this report" in page.content.decode()
    # A claim added from there goes to the same report.
    more = entry_post(
        {"report": report.pk}, [],
        [{"event": offensive.pk, "stance": "cannot_confirm", "subject": "occurrence",
          "quote": "Mr. Nazary’s reports could not be confirmed by the Sun."}],
    )  # fmt: skip
    assert staff_client.post(reverse("admin:events_event_enter_report"), more).status_code == 302
    assert report.claims.count() == 4


def test_one_row_about_several_new_events_makes_a_claim_on_each(staff_client, fresh_from_the_article):
    """The article's three district takeovers: two statements (the NRF's, the Taliban's denial), six claims."""
    a = fresh_from_the_article
    sides = {
        "side_a": a["nrf"].pk,
        "side_b": a["taliban"].pk,
        "sub_event_type": a["takeover"].pk,
        "date_start": "2022-05-06",
    }
    districts = [
        ("Hisa Awal (Khenj district)", "Khenj"),
        ("Abshar district", "Abshar"),
        ("Abdullah Khel", "Abdullah Khel"),
    ]
    data = entry_post(
        {"source": a["sun"].pk, "title": ARTICLE_TITLE, "published_on": "2022-05-06"},
        [{"summary": f"NRF claims to have taken {name} in Panjshir from the Taliban",
          "location": Location.objects.get(name=place_name).pk, **sides} for name, place_name in districts],
        [{"new_events": ["1", "2", "3"], "claimant": a["nrf"].pk, "speaker": a["nazary"].pk, "stance": "asserts",
          "subject": "territorial_control", "quote": "Mr. Nazary said the group had “liberated three districts.”"},
         {"new_events": ["1", "2", "3"], "claimant": a["taliban"].pk, "stance": "denies",
          "subject": "territorial_control", "quote": "A Taliban official, writing on Twitter, denied the claim."}],
    )  # fmt: skip
    response = staff_client.post(reverse("admin:events_event_enter_report"), data)
    assert response.status_code == 302, _page_errors(response)
    events = list(Event.objects.order_by("pk"))
    assert [e.location.name for e in events] == ["Khenj", "Abshar", "Abdullah Khel"]
    for event in events:
        assert sorted(event.claims.values_list("stance", flat=True)) == ["asserts", "denies"]
        assert event.verification == Verification.DISPUTED


def test_a_pasted_url_finds_its_outlet_by_domain_or_the_report_already_entered(staff_client, db):
    outlet = f.SourceFactory(url="https://www.example.org/")
    account = f.SourceFactory(url="https://social.example.net/@spokesperson")
    f.SourceFactory(url="https://social.example.net/@someone-else")
    lookup = reverse("admin:events_report_for_url")
    answer = staff_client.get(lookup, {"url": "https://example.org/news/2022/05/06/story"}).json()
    assert answer == {"report": None, "source": {"id": outlet.pk, "text": outlet.name}}
    answer = staff_client.get(lookup, {"url": "https://social.example.net/@spokesperson/123"}).json()
    assert answer["source"]["id"] == account.pk
    assert staff_client.get(lookup, {"url": "https://social.example.net/@nobody/1"}).json()["source"] is None
    report = f.ReportFactory(url="https://example.org/news/2022/05/06/story", source=outlet)
    answer = staff_client.get(lookup, {"url": report.url}).json()
    assert answer["report"]["id"] == report.pk
    assert staff_client.get(lookup).status_code == 400


def test_a_new_report_takes_its_outlet_from_its_url(staff_client, fresh_from_the_article):
    a = fresh_from_the_article
    outlet = f.SourceFactory(url="https://www.example.org/")
    data = the_article_page(a)
    data.update({"report-source": "", "report-url": "https://example.org/news/story"})
    assert staff_client.post(reverse("admin:events_event_enter_report"), data).status_code == 302
    assert Report.objects.get().source == outlet
    # The same URL again is the same report: its claims are added to it.
    data = the_article_page(a, **{"warnings-save_anyway": "on"})
    data.update({"report-source": "", "report-title": "", "report-url": "https://example.org/news/story"})
    assert staff_client.post(reverse("admin:events_event_enter_report"), data).status_code == 302
    assert Report.objects.count() == 1 and Report.objects.get().claims.count() == 6


# --- the review queue ---------------------------------------------------------------------------------------


def queue() -> set[int]:
    return set(needing_review(Event.objects.all()).values_list("pk", flat=True))


def test_the_queue_holds_what_changed_since_a_reviewer_looked(seed, django_user_model):
    reviewer = django_user_model.objects.create_user("reviewer")
    with_claims = set(Event.objects.filter(claims__isnull=False).values_list("pk", flat=True))
    assert queue() == with_claims  # never reviewed
    events_review(events=Event.objects.all(), user=reviewer)
    assert queue() == set()
    takeover = Event.objects.get(pk=1)
    f.ClaimFactory(event=takeover, stance=Claim.Stance.CONFIRMS, claimant=None)
    assert queue() == set()  # a confirmation is no news
    other = Event.objects.get(pk=5)
    f.ClaimFactory(event=other, stance=Claim.Stance.ASSERTS)
    assert queue() == {other.pk}
    # The denial withdrawn: no new claim, but the status moved (disputed → claimed).
    claim_delete(claim=takeover.claims.get(stance=Claim.Stance.DENIES))
    assert queue() == {other.pk, takeover.pk}
    assert EventReview.objects.get(pk=takeover.pk).reviewed_by == reviewer


def test_a_reviewer_confirms_from_the_list_in_one_action(staff_client, seed):
    takeover = Event.objects.get(pk=1)
    response = staff_client.post(
        reverse("admin:events_event_changelist") + "?review=needed",
        {
            "action": "confirm_events",
            "_selected_action": [takeover.pk],
            "verdict_reason": "Seen by our reporter.",
        },
    )
    assert response.status_code == 302
    takeover.refresh_from_db()
    assert (takeover.verdict, takeover.verification) == ("confirmed", Verification.CONFIRMED)
    assert takeover.verdict_by == staff_client.user
    assert takeover.pk not in queue() and EventReview.objects.get(pk=takeover.pk).verification == "confirmed"
    listed = staff_client.get(reverse("admin:events_event_changelist"), {"review": "needed"})
    assert f"/admin/events/event/{takeover.pk}/change/" not in listed.content.decode()
    assert "never reviewed" in listed.content.decode()


def test_a_verdict_without_a_reason_changes_nothing(staff_client, seed):
    takeover = Event.objects.get(pk=1)
    response = staff_client.post(
        reverse("admin:events_event_changelist"),
        {"action": "refute_events", "_selected_action": [takeover.pk]},
    )
    assert response.status_code == 302
    takeover.refresh_from_db()
    assert takeover.verdict == "" and not EventReview.objects.exists()


def test_editors_without_the_verdict_permission_get_no_review_actions(client, seed, django_user_model):
    from django.contrib.auth.models import Group

    from access.groups import EDITORS

    editor = django_user_model.objects.create_user("editor", is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITORS))
    client.force_login(editor)
    actions = client.get(reverse("admin:events_event_changelist")).context["action_form"].fields["action"]
    assert not {"mark_reviewed", "confirm_events", "refute_events"} & {name for name, _ in actions.choices}


# --- the import: preview, then confirm ----------------------------------------------------------------------


def database_counts() -> dict:
    from django.apps import apps

    return {
        m._meta.label: m._default_manager.count()
        for app in ("events", "sources", "actors", "locations")
        for m in apps.get_app_config(app).get_models()
    }


def upload(rows, name="export.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, to_bytes(ACLED_COLUMNS, rows), content_type="text/csv")


def test_the_preview_changes_nothing_and_the_confirmation_imports(admin_client, tmp_path, monkeypatch):
    monkeypatch.setattr(admin_views, "UPLOADS", tmp_path)
    before = database_counts()
    preview = admin_client.post(
        reverse("admin-import-events"), {"file": upload(ACLED_BASE), "format": "acled"}
    )
    page = preview.content.decode()
    assert "nothing has been written yet" in page
    assert re.search(r'class="to-create">3<', page) and re.search(r'class="refused">0<', page)
    assert database_counts() == before
    token = preview.context["confirm"]["token"].value()
    assert len(list(tmp_path.glob("*.csv"))) == 1
    done = admin_client.post(reverse("admin-import-events"), {"token": token})
    assert "3 events created, 0 updated, 0 unchanged, 0 refused" in done.content.decode()
    assert "rows/s" in done.content.decode()
    assert Event.objects.filter(acled_event_id__in=[r["event_id_cnty"] for r in ACLED_BASE]).count() == 3
    assert list(tmp_path.glob("*.csv")) == []  # the upload is gone
    again = admin_client.post(reverse("admin-import-events"), {"token": token})
    assert "already imported" in again.content.decode() and Event.objects.count() == 3


def test_refused_rows_are_previewed_and_all_or_nothing_unless_chosen(admin_client, tmp_path, monkeypatch):
    monkeypatch.setattr(admin_views, "UPLOADS", tmp_path)
    rows = [dict(row) for row in ACLED_BASE]
    rows[2]["event_date"] = "2022-02-30"
    preview = admin_client.post(reverse("admin-import-events"), {"file": upload(rows), "format": "acled"})
    page = preview.content.decode()
    assert re.search(r'class="to-create">2<', page) and re.search(r'class="refused">1<', page)
    assert "2022-02-30" in page and not Event.objects.exists()
    token = preview.context["confirm"]["token"].value()
    done = admin_client.post(reverse("admin-import-events"), {"token": token})
    assert "1 of 3 rows refused; nothing was imported" in done.content.decode() and not Event.objects.exists()
    preview = admin_client.post(reverse("admin-import-events"), {"file": upload(rows), "format": "acled"})
    token = preview.context["confirm"]["token"].value()
    done = admin_client.post(reverse("admin-import-events"), {"token": token, "keep_valid": "on"})
    assert "2 events created, 0 updated, 0 unchanged, 1 refused" in done.content.decode()


def test_a_forged_or_foreign_token_imports_nothing(
    admin_client, client, django_user_model, tmp_path, monkeypatch
):
    monkeypatch.setattr(admin_views, "UPLOADS", tmp_path)
    preview = admin_client.post(
        reverse("admin-import-events"), {"file": upload(ACLED_BASE), "format": "acled"}
    )
    token = preview.context["confirm"]["token"].value()
    forged = admin_client.post(reverse("admin-import-events"), {"token": token[:-2] + "xx"})
    assert "not valid" in forged.content.decode()
    other = django_user_model.objects.create_superuser("other", "other@example.org", "pw-for-tests-only")
    client.force_login(other)
    assert "not valid" in client.post(reverse("admin-import-events"), {"token": token}).content.decode()
    assert not Event.objects.exists()


def test_a_file_the_reader_refuses_is_refused_at_the_preview(admin_client, tmp_path, monkeypatch):
    monkeypatch.setattr(admin_views, "UPLOADS", tmp_path)
    png = SimpleUploadedFile("export.csv", b"\x89PNG\r\n\x1a\n\x00\x00", content_type="text/csv")
    response = admin_client.post(reverse("admin-import-events"), {"file": png, "format": "ucdp"})
    assert "Nothing was imported" in response.content.decode()
    assert list(tmp_path.glob("*.csv")) == []


def test_changelist_filters_by_sub_type_province_source_and_status(staff_client, seed):
    def listed(**params) -> set[int]:
        response = staff_client.get(reverse("admin:events_event_changelist"), params)
        return {obj.pk for obj in response.context["cl"].result_list}

    takeover = SubEventType.objects.get(slug="non-state-actor-overtakes-territory")
    assert listed(sub_event_type__id__exact=takeover.pk) == {1, 2, 3}
    baghlan = Location.objects.get(name="Baghlan")
    assert listed(province=baghlan.pk) == {7, 8}
    twitter = Source.objects.get(name="Ali Nazary on Twitter")
    assert listed(source=twitter.pk) == {6}
    assert listed(verification__exact="disputed") == {1, 2, 3}
