"""Report-first entry: one admin page for everything a curator takes from one report.

The curator starts from the report — an existing one, or a new one whose outlet is recognised from its
URL's domain — then enters on the same page the new events the report tells of and its claims, each
pointing at an existing event or at one of the new events above it. Nothing is written until the whole
page is valid and its warnings (possible duplicates, claims on events without actors) are seen; then one
transaction writes it through the services (`report_save`, `event_save`, `claim_save`), in one
`deferred()` block, so every event is re-derived once.

Also here: the two JSON answers the page's script (events/static/events/entry.js) asks while a curator
types — what the event form can infer, and which report or outlet a URL belongs to.
"""

import datetime
from urllib.parse import urlencode, urlsplit

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html

from actors.models import Actor
from core.deferred import deferred
from locations.models import Location
from sources.models import Report, ReportDerivation, Source
from sources.services import report_save

from .duplicates import possible_duplicates
from .inference import date_precision_of, fill_inferred, geo_precision_of
from .models import Claim, Event, EventActor, SubEventType
from .precision import DatePrecision, GeoPrecision
from .services import claim_save, event_save

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _autocomplete(model, field_name: str, **attrs) -> AutocompleteSelect:
    """The admin's autocomplete widget, searching what `model.field_name` points at."""
    return AutocompleteSelect(model._meta.get_field(field_name), admin.site, attrs=attrs)


# --- which report or outlet a URL belongs to ------------------------------------------------------------


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def source_for_url(url: str) -> Source | None:
    """The outlet a report's URL belongs to: the source whose own URL has the same host (without "www.");
    among several (accounts on one platform), the one whose URL path is the longest prefix of this one's.
    None when no source matches, or when two match equally well: then the curator chooses."""
    host = _host(url)
    if not host:
        return None
    path = urlsplit(url).path.rstrip("/").lower()
    best, best_length, tied = None, -1, False
    for source in Source.objects.filter(url__icontains=host).only("pk", "name", "url"):
        if _host(source.url) != host:
            continue
        prefix = urlsplit(source.url).path.rstrip("/").lower()
        if prefix and not (path == prefix or path.startswith(prefix + "/")):
            continue
        if len(prefix) > best_length:
            best, best_length, tied = source, len(prefix), False
        elif len(prefix) == best_length:
            tied = True
    return None if tied else best


def report_for_url_view(request):
    """GET ?url=…: {"report": {id, text} | null, "source": {id, text} | null}, for the entry page's script."""
    if not request.user.has_perm("events.add_claim"):
        raise PermissionDenied
    url = request.GET.get("url", "").strip()
    if not url:
        return JsonResponse({"url": ["Give the report's URL."]}, status=400)
    report = Report.objects.select_related("source").filter(url=url).first()
    source = report.source if report else source_for_url(url)
    return JsonResponse(
        {
            "report": {"id": report.pk, "text": str(report)} if report else None,
            "source": {"id": source.pk, "text": str(source)} if source else None,
        }
    )


# --- what the event form can infer -------------------------------------------------------------------------


def _id_param(request, name: str, errors: dict) -> int | None:
    value = request.GET.get(name, "")
    if not value:
        return None
    if not value.isdigit():
        errors[name] = [f"Expected an id (a whole number), got {value!r}."]
        return None
    return int(value)


def _date_param(request, name: str, errors: dict) -> datetime.date | None:
    value = request.GET.get(name, "")
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        errors[name] = [f"Expected a date as YYYY-MM-DD, got {value!r}."]
        return None


def infer_view(request):
    """GET ?sub_event_type=&location=&date_start=&date_end=: what events.inference makes of them.

    Answers {"event_type": {id, text} | null, "date_precision": n | null, "geo_precision": n | null}, or a
    400 naming each parameter that is not an id or a date.
    """
    if not request.user.has_perm("events.add_event") and not request.user.has_perm("events.change_event"):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    sub_type_id = _id_param(request, "sub_event_type", errors)
    location_id = _id_param(request, "location", errors)
    start = _date_param(request, "date_start", errors)
    end = _date_param(request, "date_end", errors)
    if errors:
        return JsonResponse(errors, status=400)
    sub_type = SubEventType.objects.select_related("event_type").filter(pk=sub_type_id).first()
    location = Location.objects.filter(pk=location_id).first()
    event_type = sub_type.event_type if sub_type else None
    return JsonResponse(
        {
            "event_type": {"id": event_type.pk, "text": str(event_type)} if event_type else None,
            "date_precision": date_precision_of(start, end),
            "geo_precision": geo_precision_of(location),
        }
    )


# --- the page's forms ---------------------------------------------------------------------------------------


class ReportEntryForm(forms.Form):
    """The report the page is about: an existing one, or a new one (its outlet found from the URL)."""

    report = forms.ModelChoiceField(
        Report.objects.select_related("source"),
        required=False,
        label="Report already entered",
        widget=_autocomplete(Claim, "report"),
        help_text="Or describe a new one below; a URL already entered finds its report.",
    )
    url = forms.URLField(
        max_length=1000,
        required=False,
        assume_scheme="https",
        label="URL",
        help_text="Paste it first: the outlet is recognised by its domain.",
        widget=forms.URLInput(attrs={"size": 60}),
    )
    source = forms.ModelChoiceField(
        Source.objects.all(),
        required=False,
        label="Outlet",
        widget=_autocomplete(Report, "source"),
        help_text="The outlet or channel that published it.",
    )
    title = forms.CharField(max_length=500, required=False, widget=forms.TextInput(attrs={"size": 60}))
    published_on = forms.DateField(required=False, label="Published", widget=DATE_INPUT)
    author = forms.CharField(max_length=300, required=False)
    derived_from = forms.ModelChoiceField(
        Report.objects.select_related("source"),
        required=False,
        label="Derived from",
        widget=_autocomplete(ReportDerivation, "derived_from"),
        help_text="A report this one republishes, quotes or derives from, if any.",
    )
    relation = forms.ChoiceField(
        choices=[("", "—"), *ReportDerivation.Relation.choices],
        required=False,
        help_text="How it depends on that report (no default: say which).",
    )

    NEW_REPORT_FIELDS = ("source", "title", "published_on", "author", "derived_from", "relation")

    def clean(self):
        data = super().clean()
        chosen = data.get("report")
        if chosen is None and data.get("url"):
            # A URL already entered is that report: its claims are added to it.
            data["report"] = Report.objects.select_related("source").filter(url=data["url"]).first()
        if chosen is not None:
            if data.get("url") and chosen.url != data["url"]:
                self.add_error("url", "This URL is not the chosen report's; clear one of them.")
            if any(data.get(name) for name in self.NEW_REPORT_FIELDS):
                self.add_error("report", "Choose a report already entered, or describe a new one, not both.")
        if data.get("report") is not None:
            return data
        if data.get("source") is None and data.get("url"):
            data["source"] = source_for_url(data["url"])
        if data.get("source") is None:
            self.add_error("source", "Choose the outlet (none is known for this URL's domain).")
        if not data.get("title"):
            self.add_error("title", "A new report needs its headline or title.")
        if bool(data.get("derived_from")) != bool(data.get("relation")):
            self.add_error("relation", "Give both the report it derives from and how, or neither.")
        return data

    def save(self) -> Report:
        """The chosen report, or the new one written through `report_save`."""
        data = self.cleaned_data
        if data.get("report") is not None:
            return data["report"]
        report = Report(
            source=data["source"],
            title=data["title"],
            url=data.get("url") or "",
            author=data.get("author") or "",
            published_on=data.get("published_on"),
        )
        links = [(data["derived_from"], data["relation"])] if data.get("derived_from") else None
        return report_save(report=report, derived_from=links)


class EventEntryForm(forms.ModelForm):
    """A new event the report tells of, with its two sides; what can be inferred is (events.inference)."""

    date_precision = forms.TypedChoiceField(
        choices=[("", "— from the dates —"), *DatePrecision.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    geo_precision = forms.TypedChoiceField(
        choices=[("", "— from the place —"), *GeoPrecision.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    side_a = forms.ModelChoiceField(
        Actor.objects.all(), required=False, label="Side A", widget=_autocomplete(EventActor, "actor")
    )
    side_b = forms.ModelChoiceField(
        Actor.objects.all(), required=False, label="Side B", widget=_autocomplete(EventActor, "actor")
    )

    class Meta:
        model = Event
        fields = (
            "summary",
            "sub_event_type",
            "event_type",
            "date_start",
            "date_end",
            "date_precision",
            "location",
            "geo_precision",
        )
        widgets = {
            "summary": forms.TextInput(attrs={"size": 70}),
            "sub_event_type": _autocomplete(Event, "sub_event_type"),
            "event_type": _autocomplete(Event, "event_type"),
            "location": _autocomplete(Event, "location"),
            "date_start": DATE_INPUT,
            "date_end": DATE_INPUT,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event_type"].required = False
        self.fields["date_end"].required = False
        self.duplicates = []

    def clean(self):
        data = super().clean()
        for name in fill_inferred(data):
            setattr(self.instance, name, data[name])
        if data.get("side_a") and data.get("side_a") == data.get("side_b"):
            self.add_error("side_b", "An actor has one role: choose another actor for side B.")
        self.duplicates = possible_duplicates(
            event_type_id=getattr(data.get("event_type"), "pk", None),
            location=data.get("location"),
            date_start=data.get("date_start"),
            date_end=data.get("date_end"),
        )
        return data

    @property
    def actors(self) -> list[tuple[Actor, str]]:
        sides = (("side_a", EventActor.Role.SIDE_A), ("side_b", EventActor.Role.SIDE_B))
        return [(self.cleaned_data[name], role) for name, role in sides if self.cleaned_data.get(name)]


class ClaimEntryForm(forms.ModelForm):
    """A claim the report carries, about an existing event or about new events of the page.

    One row may name several new events: "the NRF says it took these three districts" is one statement
    that becomes one claim on each of the three events, as verification needs, without being typed thrice.
    """

    event = forms.ModelChoiceField(
        Event.objects.all(),  # live events only: a deleted event takes no claims
        required=False,
        label="Existing event",
        widget=_autocomplete(Claim, "event"),
    )
    new_events = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        label="or new events",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "entry-new-events"}),
    )

    class Meta:
        model = Claim
        fields = (
            "claimant",
            "speaker",
            "stance",
            "subject",
            "quote",
            "casualties_of",
            "claimed_fatalities_low",
            "claimed_fatalities_high",
            "notes",
        )
        widgets = {
            "claimant": _autocomplete(Claim, "claimant"),
            "quote": forms.Textarea(attrs={"rows": 2, "cols": 70}),
            "notes": forms.Textarea(attrs={"rows": 1, "cols": 40}),
        }

    def __init__(self, *args, new_events: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        speaker = self.fields["speaker"]
        speaker.widget = _autocomplete(Claim, "speaker")  # people only (actors/admin.py, PERSON_FIELDS)
        speaker.widget.choices = speaker.choices
        self.fields["new_events"].choices = [(i, str(i)) for i in range(1, new_events + 1)]

    def clean(self):
        data = super().clean()
        if data.get("event") is not None and data.get("new_events"):
            self.add_error("new_events", "Point at an existing event or at new ones, not both.")
        elif data.get("event") is None and not data.get("new_events"):
            self.add_error(
                "event", "Which event is it about? Choose an existing one, or new ones on this page."
            )
        return data

    def claims(self, report: Report, events: dict[int, Event]) -> list[Claim]:
        """The claims this row stands for: one on its existing event, or one on each new event it names."""
        targets = [self.cleaned_data["event"]] if self.cleaned_data.get("event") else [
            events[number] for number in self.cleaned_data["new_events"]
        ]  # fmt: skip
        values = {name: self.cleaned_data.get(name) for name in self._meta.fields}
        return [Claim(event=event, report=report, **values) for event in targets]


class EntryFormSet(forms.BaseFormSet):
    """Formset whose first extra row may carry initial values (what "save and add another" kept)."""

    def __init__(self, *args, first_initial: dict | None = None, **kwargs):
        self.first_initial = first_initial or {}
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if index == 0 and self.first_initial:
            kwargs["initial"] = self.first_initial
        return kwargs

    def kept(self) -> list[forms.Form]:
        """The rows to write: filled in, not removed."""
        return [f for f in self.forms if f.has_changed() and not self._should_delete_form(f)]


EventFormSet = forms.formset_factory(EventEntryForm, formset=EntryFormSet, extra=1, can_delete=True)
ClaimFormSet = forms.formset_factory(ClaimEntryForm, formset=EntryFormSet, extra=1, can_delete=True)


class WarningsAccepted(forms.Form):
    save_anyway = forms.BooleanField(
        required=False, label="Save anyway", help_text="Tick after checking the warnings above."
    )


# --- the page ---------------------------------------------------------------------------------------------


def _new_event_count(data) -> int:
    total = (data or {}).get("events-TOTAL_FORMS", "1")
    return max(int(total), 1) if str(total).isdigit() else 1


def _initial_from_query(request) -> tuple[dict, dict]:
    """What a link or "save and add another" pre-fills: ?report=<id> and ?event=<id>."""
    report_initial, claim_initial = {}, {}
    report_id, event_id = request.GET.get("report", ""), request.GET.get("event", "")
    if report_id.isdigit():
        report_initial["report"] = int(report_id)
    if event_id.isdigit() and Event.objects.filter(pk=int(event_id)).exists():
        claim_initial["event"] = int(event_id)
    return report_initial, claim_initial


def _warnings(
    event_forms: list[EventEntryForm], claim_forms: list[ClaimEntryForm], numbers: dict
) -> list[str]:
    """What the curator should see before saving: possible duplicates, and claims on actor-less events."""
    found = []
    for form in event_forms:
        for duplicate in form.duplicates:
            found.append(
                format_html(
                    'New event {} may repeat <a href="{}" target="_blank">#{} {}</a> ({}).',
                    numbers[form],
                    reverse("admin:events_event_change", args=[duplicate.event.pk]),
                    duplicate.event.pk,
                    duplicate.event,
                    duplicate.why,
                )
            )
    by_number = {number: form for form, number in numbers.items()}
    actorless = set()
    existing = [f.cleaned_data["event"] for f in claim_forms if f.cleaned_data.get("event") is not None]
    with_actors = set(
        EventActor.objects.filter(event__in=existing).values_list("event_id", flat=True).distinct()
    )
    for form in claim_forms:
        event = form.cleaned_data.get("event")
        if event is not None and event.pk not in with_actors:
            link = reverse("admin:events_event_change", args=[event.pk])
            actorless.add(format_html('<a href="{}" target="_blank">#{} {}</a>', link, event.pk, event))
        for number in form.cleaned_data.get("new_events") or []:
            if number in by_number and not by_number[number].actors:
                actorless.add(format_html("new event {}", number))
    for name in sorted(actorless):
        found.append(
            format_html(
                "Claims on {}, which has no actors: verification cannot tell a party's claim from an outside "
                "one's, so its status will read “reported”. Give its sides, or save anyway.",
                name,
            )
        )
    return found


class _Refused(Exception):
    """A service refused one row: roll the whole page back."""


def _written(form: forms.Form, write):
    """Run one service call for a row; a refusal is shown on that row, field by field where it can be."""
    try:
        return write()
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
        for name, reasons in errors.items():
            form.add_error(name if name in form.fields else None, reasons)
        raise _Refused from error


def enter_report_view(request):
    """The report-first entry page; see the module docstring."""
    if not request.user.has_perm("events.add_claim"):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    report_initial, claim_initial = _initial_from_query(request)
    report_form = ReportEntryForm(data, initial=report_initial, prefix="report")
    event_formset = EventFormSet(data, prefix="events")
    claim_formset = ClaimFormSet(
        data,
        prefix="claims",
        first_initial=claim_initial or None,
        form_kwargs={"new_events": _new_event_count(data)},
    )
    accepted = WarningsAccepted(data, prefix="warnings")
    warnings: list[str] = []
    if data is not None:
        valid = all(
            [report_form.is_valid(), event_formset.is_valid(), claim_formset.is_valid(), accepted.is_valid()]
        )
        if valid:
            saved = _check_and_save(request, report_form, event_formset, claim_formset, accepted, warnings)
            if saved is not None:
                return saved
    context = {
        **admin.site.each_context(request),
        "title": "Enter a report: its events and claims",
        "opts": Event._meta,
        "report_form": report_form,
        "event_formset": event_formset,
        "claim_formset": claim_formset,
        "accepted": accepted,
        "warnings": warnings,
        "media": report_form.media + event_formset.media + claim_formset.media,
        "entered": _entered_claims(report_form),
        "infer_url": reverse("admin:events_event_infer"),
        "report_for_url": reverse("admin:events_report_for_url"),
    }
    return render(request, "admin/events/enter_report.html", context)


def _check_and_save(request, report_form, event_formset, claim_formset, accepted, warnings: list):
    """Check what a valid page would write (references, permissions, warnings), then write it all, or
    nothing. Returns the redirect after a save, or None to show the page again with what is wrong."""
    event_forms, claim_forms = event_formset.kept(), claim_formset.kept()
    numbers = {form: i for i, form in enumerate(event_formset.forms, start=1) if form in event_forms}
    problems = False
    for form in claim_forms:
        missing = [n for n in form.cleaned_data.get("new_events") or [] if n not in numbers.values()]
        if missing:
            which = ", ".join(str(n) for n in missing)
            form.add_error(
                "new_events", f"There is no new event {which} on this page (left empty or removed)."
            )
            problems = True
    if not claim_forms and not event_forms:
        report_form.add_error(None, "Nothing to save: enter at least one claim or event.")
        problems = True
    if event_forms and not request.user.has_perm("events.add_event"):
        report_form.add_error(None, "You may not add events; ask an editor.")
        problems = True
    if report_form.cleaned_data.get("report") is None and not request.user.has_perm("sources.add_report"):
        report_form.add_error("report", "You may not add reports: choose one already entered.")
        problems = True
    if problems:
        return None
    warnings.extend(_warnings(event_forms, claim_forms, numbers))
    if warnings and not accepted.cleaned_data.get("save_anyway"):
        return None
    try:
        with transaction.atomic(), deferred():
            report = _written(report_form, report_form.save)
            events = {}
            for form in event_forms:
                events[numbers[form]] = _written(
                    form,
                    lambda form=form: event_save(event=form.instance, actors=form.actors, user=request.user),
                )
            claims = []
            for form in claim_forms:
                for claim in form.claims(report, events):
                    claims.append(_written(form, lambda claim=claim: claim_save(claim=claim)))
    except _Refused:
        return None  # rolled back: the page shows the refusal on the row it came from
    messages.success(
        request,
        f"Saved {len(events)} new event(s) and {len(claims)} claim(s) from “{report}”.",
    )
    query = {"report": report.pk}
    if "_addanother" in request.POST and claims:
        query["event"] = claims[-1].event_id
    return HttpResponseRedirect(f"{reverse('admin:events_event_enter_report')}?{urlencode(query)}")


def _entered_claims(report_form: ReportEntryForm) -> list[Claim]:
    """The claims already entered from the page's report, shown under it (the last 50)."""
    report_id = report_form.initial.get("report")
    if not report_id:
        return []
    return list(
        Claim.objects.filter(report_id=report_id)
        .select_related("event", "claimant", "speaker")
        .order_by("-id")[:50]
    )
