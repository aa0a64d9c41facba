"""End to end in a real browser: headless Chromium (Debian's package, driven by Playwright through its
executable path) against a live server. A curator logs into the admin and enters an event with an actor
role and a claim, which the API then shows; the API docs run a request. No page may load anything from
another host (fonts and logos included): every off-host request is recorded, blocked, and fails the test.
"""

import os
import shutil
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    # CI installs chromium (.ci/run) and sets CI: there these never skip.
    pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def browser_page(live_server, monkeypatch):
    from playwright.sync_api import sync_playwright

    host = urlsplit(live_server.url).netloc
    off_host: list[str] = []

    def guard(route):
        if urlsplit(route.request.url).netloc not in (host, ""):
            off_host.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.set_default_timeout(15_000)
        page.route("**/*", guard)
        yield page
        browser.close()
    assert off_host == [], f"requests to other hosts: {off_host}"


def _pick(page, field_id: str, text: str, option: str) -> None:
    """Choose in one of the admin's autocomplete (select2) widgets."""
    page.click(f"[aria-labelledby='select2-{field_id}-container']")
    page.fill(".select2-container--open .select2-search__field", text)
    page.click(f".select2-results__option:has-text('{option}')")


def test_a_curator_enters_an_event_with_a_role_and_a_claim_and_the_api_shows_it(
    live_server, browser_page, django_user_model
):
    from events.models import Event

    call_command("load_seed", verbosity=0)
    django_user_model.objects.create_superuser("curator", "curator@example.org", "pw-for-browser-tests")
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "curator")
    page.fill("#id_password", "pw-for-browser-tests")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/events/event/add/")
    page.fill("#id_summary", "Fighting reported near Bazarak")
    _pick(page, "id_event_type", "Battles", "Battles")
    _pick(page, "id_sub_event_type", "Armed", "Armed clash")
    page.fill("#id_date_start", "2022-05-07")
    page.fill("#id_date_end", "2022-05-07")
    _pick(page, "id_location", "Bazarak", "Bazarak")
    page.select_option("#id_geo_precision", "3")

    page.click("#event_actors-group .add-row a")
    _pick(page, "id_event_actors-0-actor", "National Resistance", "National Resistance Front")
    page.select_option("#id_event_actors-0-role", "side_a")

    page.click("#claims-group .add-row a")
    _pick(page, "id_claims-0-claimant", "National Resistance", "National Resistance Front")
    page.select_option("#id_claims-0-stance", "asserts")
    _pick(page, "id_claims-0-report", "Sun", "New York Sun")
    page.fill("#id_claims-0-quote", "Fighting went on near Bazarak.")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    event = Event.objects.get(summary="Fighting reported near Bazarak")
    page.goto(f"{live_server.url}/api/v1/events/{event.pk}/?format=json")
    shown = page.evaluate("() => JSON.parse(document.body.innerText)")
    assert shown["verification"]["status"] == "claimed"
    assert [(r["actor"]["name"], r["role"]) for r in shown["actors"]] == [
        ("National Resistance Front", "side_a")
    ]
    assert [(c["claimant"]["name"], c["stance"]) for c in shown["claims"]] == [
        ("National Resistance Front", "asserts")
    ]


def test_the_api_docs_run_a_request_without_leaving_this_server(live_server, browser_page):
    call_command("load_seed", verbosity=0)
    page = browser_page
    page.goto(f"{live_server.url}/api/docs/")
    operation = page.locator("#operations-events-events_list")
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table tr.response .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip().startswith("200")
    assert "Panjshir" in operation.locator(".live-responses-table .microlight").first.inner_text()

    page.goto(f"{live_server.url}/api/redoc/")
    page.get_by_role("heading", name="List events").first.wait_for()
