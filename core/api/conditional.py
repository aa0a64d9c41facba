"""Conditional requests: a row's ETag, If-None-Match on reads (304), If-Match on writes (412)."""

import hashlib

from rest_framework import status
from rest_framework.exceptions import APIException


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "The resource changed since you read it (If-Match does not match its ETag). Read it again."
    )
    default_code = "precondition_failed"


def etag_of(obj) -> str:
    """A strong validator that changes whenever the row is saved (its updated_at moves), or anything it
    shows with it changes (a model's `etag_extra`, e.g. the claims an event's detail lists)."""
    return etag_for(type(obj).__name__, obj.pk, obj.updated_at, getattr(obj, "etag_extra", ""))


def etag_for(model_name: str, pk, updated_at, extra: str = "") -> str:
    """`etag_of` from the values themselves, for views that read plain records instead of instances."""
    version = f"{model_name}:{pk}:{updated_at.isoformat()}:{extra}"
    return '"' + hashlib.sha256(version.encode()).hexdigest()[:20] + '"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def is_not_modified(request, etag: str) -> bool:
    """The client already holds this version: its If-None-Match names the ETag."""
    return etag in _tags(request.headers.get("If-None-Match", ""))


def check_if_match(request, obj) -> None:
    """Refuse (412) a write whose If-Match names neither `*` nor the row's current ETag; no header passes."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    tags = _tags(header)
    if "*" not in tags and etag_of(obj) not in tags:
        raise PreconditionFailed()
