"""An admin page to import an ACLED or UCDP file through the same loader as the commands, in two steps.

1. Upload: the file is kept in a private temporary folder and read once through the loader inside a
   transaction that is then rolled back — the preview: how many events would be created, updated or left
   unchanged, and every refused row with its line, column and reason. Nothing is written.
2. Confirm: the same file (found again through a signed token, so a form cannot point at another file) is
   imported for real, all or nothing unless the curator chose to load the valid rows; the page reports the
   counts and the speed. The file is deleted afterwards, and files of previews never confirmed are deleted
   once their token has expired.
"""

import os
import secrets
import tempfile
import time
from pathlib import Path

from django import forms
from django.contrib import admin
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import render

from .loader import SHOWN_REFUSALS, ImportReport, import_reading
from .readers import FileRefused
from .readers.acled import read_acled
from .readers.ucdp import read_ucdp

READERS = {"acled": read_acled, "ucdp": read_ucdp}
FORMATS = [("acled", "ACLED"), ("ucdp", "UCDP GED")]
# Uploads waiting for their confirmation; a preview is good for an hour, then its file is deleted.
UPLOADS = Path(tempfile.gettempdir()) / "conflict-events-imports"
TOKEN_SALT = "ingest.admin_import"
TOKEN_MAX_AGE = 3600


class ImportForm(forms.Form):
    file = forms.FileField(help_text="A CSV export: ACLED's (any of its layouts) or UCDP GED's.")
    format = forms.ChoiceField(choices=FORMATS)


class ConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
    keep_valid = forms.BooleanField(
        required=False,
        label="Load the valid rows when some are refused",
        help_text="Off (the default): a file with any refused row changes nothing.",
    )


class _Undo(Exception):
    """Leave the preview's transaction, rolling back everything the loader wrote."""

    def __init__(self, report: ImportReport):
        self.report = report


def preview_reading(reading) -> ImportReport:
    """What importing the reading would do, found by importing it and rolling the transaction back.

    The valid rows are written as with `keep_valid` (so the counts say what they would do even when some
    rows are refused), then undone; the refusals are every refused row. Nothing is left in the database
    (on PostgreSQL, id sequences do move on: rolled-back ids are not reused).
    """
    try:
        with transaction.atomic():
            raise _Undo(import_reading(reading, keep_valid=True))
    except _Undo as undo:
        return undo.report


def _keep_upload(upload) -> str:
    """Write the upload to a private file; returns its name (random, hex)."""
    UPLOADS.mkdir(mode=0o700, exist_ok=True)
    _delete_expired()
    name = secrets.token_hex(16)
    fd = os.open(UPLOADS / f"{name}.csv", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return name


def _delete_expired() -> None:
    cutoff = time.time() - TOKEN_MAX_AGE
    for path in UPLOADS.glob("*.csv"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass  # another request deleted it first


def _upload_path(name: str) -> Path:
    return UPLOADS / f"{name}.csv"


def _token(request, name: str, file_format: str, filename: str) -> str:
    payload = {"file": name, "format": file_format, "name": filename, "user": request.user.pk}
    return signing.dumps(payload, salt=TOKEN_SALT)


def _unsign(request, token: str) -> tuple[dict | None, str | None]:
    """The upload a confirmation refers to, or why it cannot be used."""
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        return None, "This preview has expired (after an hour): upload the file again."
    except signing.BadSignature:
        return None, "This confirmation is not valid: upload the file again."
    file_ok = isinstance(payload.get("file"), str) and payload["file"].isalnum()
    if payload.get("user") != request.user.pk or not file_ok or payload.get("format") not in READERS:
        return None, "This confirmation is not valid: upload the file again."
    if not _upload_path(payload["file"]).exists():
        return None, "This file was already imported, or its preview has expired: upload it again."
    return payload, None


def import_view(request):
    """Upload → preview (nothing written) → confirm (the import); see the module docstring."""
    if not request.user.has_perm("events.add_event"):
        raise PermissionDenied
    context = {
        **admin.site.each_context(request),
        "title": "Import events from a file",
        "shown_refusals": SHOWN_REFUSALS,
    }
    if request.method == "POST" and "token" in request.POST:
        context.update(_confirm(request))
    elif request.method == "POST":
        context.update(_preview(request))
    else:
        context["form"] = ImportForm()
    return render(request, "admin/ingest/import.html", context)


def _preview(request) -> dict:
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return {"form": form}
    upload, file_format = form.cleaned_data["file"], form.cleaned_data["format"]
    name = _keep_upload(upload)
    try:
        preview = preview_reading(READERS[file_format](_upload_path(name)))
    except FileRefused as exc:
        _upload_path(name).unlink(missing_ok=True)
        return {"form": form, "error": f"{upload.name}: {exc} Nothing was imported."}
    except BaseException:
        _upload_path(name).unlink(missing_ok=True)  # no confirmation can follow: do not keep the file
        raise
    confirm = ConfirmForm(initial={"token": _token(request, name, file_format, upload.name)})
    return {"preview": preview, "confirm": confirm, "filename": upload.name, **_refusals(preview)}


def _confirm(request) -> dict:
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return {"form": ImportForm(), "error": "This confirmation is not valid: upload the file again."}
    payload, error = _unsign(request, form.cleaned_data["token"])
    if error:
        return {"form": ImportForm(), "error": error}
    path = _upload_path(payload["file"])
    try:
        report = import_reading(READERS[payload["format"]](path), keep_valid=form.cleaned_data["keep_valid"])
    except FileRefused as exc:
        return {"form": ImportForm(), "error": f"{payload['name']}: {exc} Nothing was imported."}
    finally:
        path.unlink(missing_ok=True)
    return {"report": report, "filename": payload["name"], "form": ImportForm(), **_refusals(report)}


def _refusals(report: ImportReport) -> dict:
    return {
        "refusals": report.refused[:SHOWN_REFUSALS],
        "more_refusals": max(len(report.refused) - SHOWN_REFUSALS, 0),
    }
