"""The admin's data entry in a real browser (headless Chromium, as in tests/test_browser.py): the report-first
page with its scripts, the duplicate warning, the event autocomplete without deleted events, the import's
preview then confirmation. Nothing may load from another host (the browser_page fixture fails the test)."""

import os

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.test_browser import CHROMIUM, _pick, browser_page  # noqa: F401  (browser_page is a fixture)

pytestmark = [
    # CI installs chromium and sets CI: there these never skip.
    pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "pw-for-browser-tests"


@pytest.fixture
def curator(live_server, browser_page, django_user_model):  # noqa: F811
    """A logged-in curator's page on the seed data."""
    call_command("load_seed", verbosity=0)
    django_user_model.objects.create_superuser("curator", "curator@example.org", PASSWORD)
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "curator")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


def _select2_text(page, field_id: str) -> str:
    return page.inner_text(f"#select2-{field_id}-container").replace("×", "").strip()


def test_one_report_with_three_claims_about_two_events_on_one_page(live_server, curator):
    from events.models import Claim, Event
    from sources.models import Report

    Event.all_objects.all().delete()  # re-entered below from the article, as a curator would
    Report.objects.all().delete()
    page = curator
    page.goto(f"{live_server.url}/admin/events/event/enter-report/")
    _pick(page, "id_report-source", "Sun", "The New York Sun")
    page.fill("#id_report-title", "Afghan Resistance, in Startling Report, Says It Liberated Districts")
    page.fill("#id_report-published_on", "2022-05-06")

    page.fill("#id_events-0-summary", "NRF claims to have taken Hisa Awal (Khenj district) in Panjshir")
    _pick(page, "id_events-0-sub_event_type", "overtakes", "Non-state actor overtakes territory")
    page.fill("#id_events-0-date_start", "2022-05-06")
    _pick(page, "id_events-0-location", "Khenj", "Khenj")
    _pick(page, "id_events-0-side_a", "National Resistance", "National Resistance Front")
    _pick(page, "id_events-0-side_b", "Taliban", "Taliban")
    # Inferred as the curator types, and shown: the type, the end date, both precisions.
    expect(page.locator("#id_events-0-geo_precision")).to_have_value("4")
    assert _select2_text(page, "id_events-0-event_type") == "Battles"
    assert page.input_value("#id_events-0-date_end") == "2022-05-06"
    assert page.input_value("#id_events-0-date_precision") == "1"
    assert page.locator(".field-geo_precision.inferred").count() == 1

    page.click("button[data-formset=events]")  # the second event starts from the first
    assert _select2_text(page, "id_events-1-side_b") == "Taliban"
    page.fill("#id_events-1-summary", "NRF announces an all-out offensive in Panjshir")
    _pick(page, "id_events-1-sub_event_type", "Armed", "Armed clash")
    page.fill("#id_events-1-date_start", "2022-05-05")
    page.fill("#id_events-1-date_end", "2022-05-06")
    _pick(page, "id_events-1-location", "Panjshir", "Panjshir")
    expect(page.locator("#id_events-1-date_precision")).to_have_value("2")

    page.check("#id_claims-0-new_events_0")
    _pick(page, "id_claims-0-claimant", "National Resistance", "National Resistance Front")
    _pick(page, "id_claims-0-speaker", "Nazary", "Ali Nazary")
    page.select_option("#id_claims-0-stance", "asserts")
    page.select_option("#id_claims-0-subject", "territorial_control")
    page.fill("#id_claims-0-quote", "Mr. Nazary said the group had “liberated three districts.”")

    page.click("button[data-formset=claims]")
    assert page.is_checked("#id_claims-1-new_events_0")  # the same event, by default
    _pick(page, "id_claims-1-claimant", "Taliban", "Taliban")
    assert _select2_text(page, "id_claims-1-speaker") == ""  # Ali Nazary does not speak for the Taliban
    page.select_option("#id_claims-1-stance", "denies")
    page.fill("#id_claims-1-quote", "A Taliban official, writing on Twitter, denied the claim.")

    page.click("button[data-formset=claims]")
    page.uncheck("#id_claims-2-new_events_0")
    page.check("#id_claims-2-new_events_1")
    _pick(page, "id_claims-2-claimant", "National Resistance", "National Resistance Front")
    assert _select2_text(page, "id_claims-2-speaker") == "Ali Nazary"  # back with the NRF
    page.select_option("#id_claims-2-subject", "occurrence")
    page.fill("#id_claims-2-quote", "Tonight the lions of the Hindu Kush have launched an all out offensive.")
    with page.expect_navigation():
        page.click("input[name=_save]")
    assert "Saved 2 new event(s) and 3 claim(s)" in page.inner_text(".messagelist")

    takeover, offensive = Event.objects.order_by("pk")
    assert (takeover.verification, offensive.verification) == ("disputed", "claimed")
    assert (offensive.date_precision, offensive.geo_precision) == (2, 4)
    assert sorted(Claim.objects.values_list("stance", "speaker__name")) == [
        ("asserts", "Ali Nazary"), ("asserts", "Ali Nazary"), ("denies", None),
    ]  # fmt: skip
    assert Report.objects.get().claims.count() == 3


def test_the_duplicate_warning_lists_the_event_already_recorded(live_server, curator):
    from events.models import Event

    page = curator
    recorded = Event.objects.get(summary__startswith="NRF claims to have taken Hisa Awal")
    page.goto(f"{live_server.url}/admin/events/event/add/")
    page.fill("#id_summary", "Resistance fighters said to hold Khenj")
    _pick(page, "id_sub_event_type", "overtakes", "Non-state actor overtakes territory")
    page.fill("#id_date_start", "2022-05-06")
    _pick(page, "id_location", "Hisa Awal", "Khenj")
    expect(page.locator("#id_geo_precision")).to_have_value("4")
    page.click("input[name=_save]")
    warning = page.locator(".entry-warnings")
    warning.wait_for()
    link = warning.locator(f"a[href$='/admin/events/event/{recorded.pk}/change/']")
    assert link.count() == 1 and "same place" in warning.inner_text()
    assert Event.objects.count() == 10
    page.check("#id_save_anyway")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    assert Event.objects.count() == 11


def test_a_deleted_event_is_absent_from_the_claim_forms_autocomplete(live_server, curator):
    from events.models import Event
    from events.services import event_delete

    page = curator
    deleted = Event.objects.get(summary__startswith="NRF reports intense fighting")
    event_delete(event=deleted)
    page.goto(f"{live_server.url}/admin/events/claim/add/")
    page.click("[aria-labelledby='select2-id_event-container']")
    page.fill(".select2-container--open .select2-search__field", "Panjshir")
    page.wait_for_selector(".select2-results__option:has-text('all-out offensive')")
    page.wait_for_selector(".select2-results__option.loading-results", state="detached")
    offered = page.locator(".select2-results__option").all_inner_texts()
    assert "Panjshir" in deleted.summary and not any("intense fighting" in text for text in offered)
    assert any("all-out offensive" in text for text in offered)

    # The lists keep their key columns in view beside the filters.
    page.goto(f"{live_server.url}/admin/events/event/")
    fits = (
        "document.querySelector('#result_list').scrollWidth <= document.querySelector('.results').clientWidth"
    )
    assert page.evaluate(fits)


def test_the_admin_import_shows_a_preview_then_imports_on_confirmation(live_server, curator):
    from events.models import Event
    from tests.test_ingest_readers import ACLED_BASE, ACLED_COLUMNS, to_bytes

    page = curator
    ids = [row["event_id_cnty"] for row in ACLED_BASE]
    page.goto(f"{live_server.url}/admin/import/")
    page.set_input_files(
        "#id_file",
        {"name": "export.csv", "mimeType": "text/csv", "buffer": to_bytes(ACLED_COLUMNS, ACLED_BASE)},
    )
    page.select_option("#id_format", "acled")
    page.click("input[value=Preview]")
    page.wait_for_selector("#import-preview")
    assert page.inner_text("#import-preview .to-create") == str(len(ACLED_BASE))
    assert not Event.objects.filter(acled_event_id__in=ids).exists()
    page.click("input[name=confirm]")
    page.wait_for_selector("p.success")
    assert f"{len(ACLED_BASE)} events created" in page.inner_text("p.success")
    assert Event.objects.filter(acled_event_id__in=ids).count() == len(ACLED_BASE)
