"""Keyset (cursor) paging: page 10,000 costs what page 1 costs, and rows never shift between pages.

The cursor encodes the ordering values of the last (or first) row of a page; the next page is the rows
strictly after it in the ordering, which always ends with the primary key so that it is total.
"""

import base64
import binascii
import datetime
import json
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.db.models import F, Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


@dataclass(frozen=True)
class OrderKey:
    """One ordering column: a field or annotation name, its direction, and how to read a cursor value."""

    name: str
    descending: bool
    kind: type = int


@dataclass(frozen=True)
class Cursor:
    values: tuple
    backwards: bool


def _encode(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def _decode(kind: type, raw):
    if raw is None or isinstance(raw, bool | float):  # a cursor we wrote holds ints and ISO strings only
        raise ValueError("not a cursor value")
    if kind is datetime.datetime:
        return datetime.datetime.fromisoformat(raw)
    if kind is datetime.date:
        return datetime.date.fromisoformat(raw)
    return kind(raw)


def keyset_condition(keys: list[OrderKey], values: tuple, backwards: bool) -> Q:
    """Rows strictly after `values` in the ordering (strictly before when paging backwards)."""
    condition = Q()
    for i, key in enumerate(keys):
        after_is_less = key.descending != backwards
        step = Q(**{f"{key.name}__{'lt' if after_is_less else 'gt'}": values[i]})
        for earlier, value in zip(keys[:i], values[:i], strict=True):
            step &= Q(**{earlier.name: value})
        condition |= step
    # The same set, plus a plain range on the first key that an index on (first key, id) can seek to;
    # without it databases scan from the start of the index to evaluate the OR.
    first = keys[0]
    bound = Q(**{f"{first.name}__{'lte' if first.descending != backwards else 'gte'}": values[0]})
    return bound & condition


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = 50
    max_page_size = 1000

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"Must be a whole number from 1 to {self.max_page_size}; got {raw!r}."
                    ]
                }
            )
        return size

    def decode_cursor(self, request, keys: list[OrderKey]) -> Cursor | None:
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(raw.encode("ascii") + b"==="))
            values = tuple(_decode(key.kind, value) for key, value in zip(keys, payload["v"], strict=True))
            return Cursor(values=values, backwards=bool(payload.get("b", False)))
        except (ValueError, TypeError, KeyError, OverflowError, binascii.Error, UnicodeError):
            raise ValidationError(
                {
                    self.cursor_query_param: [
                        "Invalid cursor: use the `next` or `previous` link of a page as given."
                    ]
                }
            ) from None

    def encode_cursor(self, row, backwards: bool) -> str:
        # Rows are model instances, or plain records (dicts) where a list reads values() directly.
        read = row.__getitem__ if isinstance(row, dict) else row.__getattribute__
        payload = {"v": [_encode(read(key.name)) for key in self.keys]}
        if backwards:
            payload["b"] = True
        return (
            base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
        )

    def paginate_queryset(self, queryset: QuerySet, request, view=None):
        self.request = request
        self.keys = view.get_order_keys(request)
        self.size = self.get_page_size(request)
        cursor = self.decode_cursor(request, self.keys)
        backwards = bool(cursor and cursor.backwards)
        order = [
            (F(key.name).desc() if key.descending != backwards else F(key.name).asc()) for key in self.keys
        ]
        queryset = queryset.order_by(*order)
        if cursor:
            queryset = queryset.filter(keyset_condition(self.keys, cursor.values, backwards))
        rows = list(queryset[: self.size + 1])
        more = len(rows) > self.size
        rows = rows[: self.size]
        if backwards:
            rows.reverse()
        self.next_cursor = self.previous_cursor = None
        if rows:
            if (more and not backwards) or backwards:
                self.next_cursor = self.encode_cursor(rows[-1], backwards=False)
            if (more and backwards) or (cursor and not backwards):
                self.previous_cursor = self.encode_cursor(rows[0], backwards=True)
        return rows

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_next_link(self):
        return self._link(self.next_cursor)

    def get_previous_link(self):
        return self._link(self.previous_cursor)

    def get_paginated_response(self, data):
        next_link, previous_link = self.get_next_link(), self.get_previous_link()
        return Response(
            OrderedDict([
                ("next", next_link),
                ("previous", previous_link),
                # The cursors alone, for clients that build their own requests (SDKs pass `cursor=`).
                ("next_cursor", self._cursor_in(next_link)),
                ("previous_cursor", self._cursor_in(previous_link)),
                ("results", data),
            ])
        )  # fmt: skip

    def _cursor_in(self, link: str | None) -> str | None:
        if link is None:
            return None
        return parse_qs(urlsplit(link).query).get(self.cursor_query_param, [None])[0]

    def get_paginated_response_schema(self, schema):
        link = {"type": ["string", "null"], "format": "uri"}
        cursor = {"type": ["string", "null"]}
        return {
            "type": "object",
            "required": ["next", "previous", "next_cursor", "previous_cursor", "results"],
            "properties": {
                "next": {**link, "description": "The next page, or null on the last page."},
                "previous": {**link, "description": "The previous page, or null on the first page."},
                "next_cursor": {**cursor, "description": "The `cursor` of the next page; null on the last."},
                "previous_cursor": {
                    **cursor,
                    "description": "The `cursor` of the previous page; null on the first.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque position from a page's `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1 to {self.max_page_size} (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
