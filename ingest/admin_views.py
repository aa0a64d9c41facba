"""An admin page to import an ACLED or UCDP file through the same loader as the commands."""

import tempfile
from pathlib import Path

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from .loader import SHOWN_REFUSALS, import_reading
from .readers import FileRefused
from .readers.acled import read_acled
from .readers.ucdp import read_ucdp

READERS = {"acled": read_acled, "ucdp": read_ucdp}


class ImportForm(forms.Form):
    file = forms.FileField(help_text="A CSV export: ACLED's (any of its layouts) or UCDP GED's.")
    format = forms.ChoiceField(choices=[("acled", "ACLED"), ("ucdp", "UCDP GED")])
    keep_valid = forms.BooleanField(
        required=False,
        label="Load the valid rows when some are refused",
        help_text="Off (the default): a file with any refused row changes nothing.",
    )


def import_view(request):
    """Upload, import, and show what was created, updated, unchanged and refused (row, column, reason)."""
    if not request.user.has_perm("events.add_event"):
        raise PermissionDenied
    report, error = None, None
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "upload.csv"
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                reading = READERS[form.cleaned_data["format"]](path)
                report = import_reading(reading, keep_valid=form.cleaned_data["keep_valid"])
            except FileRefused as exc:
                error = f"{upload.name}: {exc} Nothing was imported."
    context = {
        **admin.site.each_context(request),
        "title": "Import events from a file",
        "form": form,
        "report": report,
        "refusals": report.refused[:SHOWN_REFUSALS] if report else [],
        "more_refusals": max(len(report.refused) - SHOWN_REFUSALS, 0) if report else 0,
        "error": error,
    }
    return render(request, "admin/ingest/import.html", context)
