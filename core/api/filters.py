"""Strict query parameters: the filter backend every list uses, and filters shared by the FilterSets."""

import copy
import datetime
import functools
from collections.abc import Collection

import django_filters
from django import forms
from django_filters.filters import FilterMethod
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

# Parameters that are not filters but that every list understands.
PAGING_PARAMS = {"cursor", "page_size"}
FORMAT_PARAM = "format"


def reject_unknown(request, allowed: set[str], repeatable: set[str] = frozenset()) -> None:
    """Refuse parameters nobody declared, empty ones, and repeats of one that takes a single value: each
    would otherwise be ignored or decided silently (the last value wins)."""
    params = request.query_params
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ValidationError(
            {name: [f"Unknown parameter. Allowed: {', '.join(sorted(allowed))}."] for name in unknown}
        )
    errors = {}
    for name in params:
        values = params.getlist(name)
        if any("\x00" in value for value in values):
            # PostgreSQL stores no NUL, and a lookup with one fails in the database instead of saying so.
            errors[name] = ["Null characters are not allowed."]
        elif any(value == "" for value in values):
            errors[name] = ["Empty value: give one, or leave the parameter out."]
        elif len(values) > 1 and name not in repeatable:
            errors[name] = [f"Given {len(values)} times; it takes one value."]
    if errors:
        raise ValidationError(errors)


class _FiltersPerRequest(dict):
    """A FilterSet's declared filters, copied for each request (django-filter deep-copies them, querysets and
    all: about 15 ms of a list request). A shallow copy is enough: what a request changes on a filter is its
    own attributes (model, parent, label, the form field it builds), and a method filter gets a new
    FilterMethod bound to its copy."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, declared in self.items():
            clone = copy.copy(declared)
            clone.__dict__.pop("_field", None)
            clone.extra = dict(declared.extra)
            if getattr(declared, "_method", None) is not None:
                clone.filter = FilterMethod(clone)
            copies[name] = clone
        return copies


class FilterSet(django_filters.FilterSet):
    """The base of every FilterSet here: django-filter's, cheaper to instantiate on each request, and with
    `only=` names, made of those filters alone (the ones a request gives: see StrictFilterBackend)."""

    @classmethod
    def get_filters(cls):
        return _FiltersPerRequest(super().get_filters())

    def __init__(self, *args, only: Collection[str] | None = None, **kwargs):
        if only is not None:
            # Read (and copied) by django-filter's __init__ in place of the class's.
            self.base_filters = _FiltersPerRequest(
                {name: declared for name, declared in type(self).base_filters.items() if name in only}
            )
        super().__init__(*args, **kwargs)


@functools.cache
def _repeatable(filterset_class) -> frozenset[str]:
    """Filters that take several values (repeat the parameter: any of them)."""
    return frozenset(
        name
        for name, declared in filterset_class.base_filters.items()
        if isinstance(
            declared, django_filters.MultipleChoiceFilter | django_filters.ModelMultipleChoiceFilter
        )
    )


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, plus: a parameter nobody declared is an error, never an unfiltered list."""

    def get_filterset(self, request, queryset, view, only: Collection[str] | None = None):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return None
        filterset = filterset_class(**self.get_filterset_kwargs(request, queryset, view), only=only)
        for name, declared in filterset.filters.items():
            # The browsable API's form labels each box with the parameter it sets; django-filter would
            # derive a label from a model field, which a method filter has not ("[invalid name]").
            declared.label = name
            declared.__dict__.pop("_field", None)  # a form field built (and cached) under the old label
        return filterset

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        declared = set(filterset_class.base_filters) if filterset_class else set()
        allowed = declared | set(getattr(view, "extra_query_params", ())) | {FORMAT_PARAM}
        if view.action == "list":
            allowed |= PAGING_PARAMS
        reject_unknown(request, allowed, _repeatable(filterset_class) if filterset_class else set())
        given = declared.intersection(request.query_params)
        # What this request filters by, cleaned (a view may read a page more directly for some of them).
        view.applied_filters = {}
        if not given:
            # No filter given (paging or format only): the filterset would filter nothing, and making it cost a
            # tenth of a small request.
            return queryset
        # Only the filters the request gives: a parameter left out filters nothing, and copying every other
        # filter and building its form field (with its queryset, copied twice by Django's forms) was half of a
        # small list's time. The browsable API's form (to_html) still shows them all.
        filterset = self.get_filterset(request, queryset, view, only=given)
        if not filterset.is_valid():
            raise ValidationError(self.explain(filterset))
        view.applied_filters = {name: filterset.form.cleaned_data.get(name) for name in given}
        return filterset.qs

    @staticmethod
    def explain(filterset) -> dict[str, list[str]]:
        """The form's errors, plus the allowed values wherever the parameter takes a fixed set of them."""
        errors = {}
        for name, messages in filterset.errors.items():
            messages = list(messages)
            field = filterset.form.fields.get(name)
            choices = getattr(field, "choices", None)
            if choices is not None and not hasattr(choices, "queryset"):
                allowed = [str(value) for value, _ in choices if value != ""]
                messages.append(f"Allowed: {', '.join(allowed)}.")
            errors[name] = messages
        return errors


class IntegerFilter(django_filters.NumberFilter):
    """A whole-number filter (django-filter's NumberFilter takes decimals) within 64 bits, which the schema
    states with any narrower bounds given (`min_value`, `max_value`)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -(2**63))
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


def ordering_filter(names: list[str], default: str) -> django_filters.ChoiceFilter:
    """The `ordering` parameter: one whitelisted field, `-` for descending; ties are broken by id.

    Paging applies it (see ReadMixin.get_order_keys); the filter only validates and documents it.
    """
    choices = [(value, value) for name in [*names, "id"] for value in (name, f"-{name}")]
    # The default first: a form with no value selected shows (and then sends) the first choice.
    choices.sort(key=lambda choice: choice[0] != default)
    return django_filters.ChoiceFilter(
        choices=choices,
        method=lambda queryset, name, value: queryset,
        help_text=f"Sort order (default `{default}`): one of {', '.join(n for n, _ in choices)}.",
        empty_label=None,
    )


class IsoDateField(forms.DateField):
    """A date as ISO 8601 (YYYY-MM-DD) only: `6/5/2022` is June or May depending on who wrote it."""

    input_formats = ["%Y-%m-%d"]
    default_error_messages = {
        "invalid": "Enter a date as YYYY-MM-DD (ISO 8601) that exists, e.g. 2022-05-06."
    }


class IsoDateFilter(django_filters.DateFilter):
    field_class = IsoDateField


class BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time with any UTC offset RFC 3339 allows (up to ±23:59), given to the database in UTC:
    PostgreSQL refuses a time zone of ±16:00 or more, but the instant is the same."""

    def to_python(self, value):
        parsed = super().to_python(value)
        return parsed.astimezone(datetime.UTC) if parsed is not None and parsed.tzinfo else parsed


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


def updated_since_filter() -> django_filters.IsoDateTimeFilter:
    return IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Only rows changed at or after this ISO 8601 time, e.g. 2022-05-06T00:00:00Z.",
    )


class RepeatableInput(forms.TextInput):
    """A text box for a parameter that may be repeated (`actor=3&actor=7`); a select listing every row
    would not scale."""

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)

    def format_value(self, value):
        if isinstance(value, list | tuple):
            value = ",".join(str(item) for item in value)
        return super().format_value(value)


@extend_schema_field(OpenApiTypes.INT)
class IdsFilter(django_filters.ModelMultipleChoiceFilter):
    """One or more ids (repeat the parameter: any of them), for filters computed by a method."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", RepeatableInput)
        super().__init__(*args, **kwargs)


class IdsOrNamesField(django_filters.fields.ModelMultipleChoiceField):
    """Ids, or names that `names(text)` resolves to exactly one row; a name that matches several rows, or
    none, is an error that says which rows it matched and that ids are accepted too."""

    SHOWN = 10

    def __init__(self, *args, names, noun: str, describe=str, **kwargs):
        self.names, self.noun, self.describe = names, noun, describe
        super().__init__(*args, **kwargs)

    def _check_values(self, value):
        ids, errors = [], []
        for item in value:
            text = str(item).strip()
            if text.isascii() and text.isdigit():
                ids.append(text)
                continue
            matches = list(self.names(text)[: self.SHOWN + 1])
            if len(matches) == 1:
                ids.append(str(matches[0].pk))
            elif not matches:
                errors.append(
                    f"No {self.noun} has the name {text!r}: give an id, or a name or alias as recorded "
                    f"(any case)."
                )
            else:
                listed = "; ".join(
                    f"{self.describe(match)} (id {match.pk})" for match in matches[: self.SHOWN]
                )
                more = " and more" if len(matches) > self.SHOWN else ""
                errors.append(f"{text!r} names more than one {self.noun}: {listed}{more}. Give the id.")
        if errors:
            raise forms.ValidationError(errors)
        return super()._check_values(ids)


@extend_schema_field(
    {
        "anyOf": [
            {"type": "integer", "minimum": 1},
            {"type": "string", "pattern": "[^0-9]", "description": "a name or alias, matched in any case"},
        ]
    }
)
class IdsOrNamesFilter(IdsFilter):
    """Ids or unambiguous names (repeat the parameter: any of them)."""

    field_class = IdsOrNamesField


@extend_schema_field(OpenApiTypes.STR)
class SlugsFilter(django_filters.ModelMultipleChoiceFilter):
    """One or more slugs of a vocabulary (repeat the parameter: any of them)."""

    def __init__(self, *, related: str, **kwargs):
        # A foreign key matches one row: no duplicates to remove, and DISTINCT over every column of the event
        # forces a sort of the whole match (on PostgreSQL, the plan of a list went from 16 to 200 ms).
        kwargs.setdefault("distinct", False)
        super().__init__(field_name=f"{related}__slug", to_field_name="slug", **kwargs)
