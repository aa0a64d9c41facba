"""Admin building blocks for every page of curated data; `DeferredWritesAdminMixin` composes them all.

- Writes re-derive what they touched once, before commit (`deferred()` around the write views).
- A change form that changes nothing writes nothing: no UPDATE, no history row (`form_unchanged`).
- Help texts name a field's choices by their labels, never by the codes stored (`readable_help_text`).
- An object's history page also shows the changes made through its inlines (an event's claims and roles),
  each row labelled with the object it is about.
"""

import re

from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.urls import NoReverseMatch, reverse

from .deferred import deferred

# A stored code that no one would write in a sentence: lower-case words joined by underscores.
RAW_CODE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
# The most rows of an inline's history one page shows (newest first), like simple_history's own page.
INLINE_HISTORY_ROWS = 100


def in_words(labels) -> str:
    """ "a, b or c": labels as a sentence lists them."""
    labels = [str(label) for label in labels]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]


def readable_help_text(text: str, choices) -> str:
    """The help text with each raw code of the field's choices ("cannot_confirm") put as its label
    ("cannot confirm"); words that read as words are left alone."""
    labels = {str(value): str(label) for value, label in choices}

    def label(match: re.Match) -> str:
        found = labels.get(match.group())
        return found[0].lower() + found[1:] if found else match.group()

    return RAW_CODE.sub(label, str(text))


def requesting_field(request) -> tuple[str, str, str] | None:
    """(app label, model name, field name) of the form field an autocomplete request searches for, as
    Django's autocomplete widget sends them; None for any other search (the change list's)."""
    params = request.GET
    if request.resolver_match is None or request.resolver_match.url_name != "autocomplete":
        return None
    return params.get("app_label", ""), params.get("model_name", ""), params.get("field_name", "")


def form_unchanged(form, change: bool) -> bool:
    """True for a change form posted back as it was shown: saving it would only add a history row."""
    return change and not form.has_changed()


class ReadableHelpTextsMixin:
    """Help texts in labels: `help_texts` (field name → text) replace the model's on the main form, and
    every other choice field's help text, inlines' included, has its raw codes put as labels."""

    help_texts: dict[str, str] = {}

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        _readable(form, self.model, self.help_texts)
        return form

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            _readable(formset.form, inline.model, {})
            yield formset, inline


def _readable(form_class, model, help_texts: dict[str, str]) -> None:
    # The form class is made for this request (modelform_factory), so its fields are its own to change.
    for name, field in form_class.base_fields.items():
        if name in help_texts:
            field.help_text = help_texts[name]
            continue
        try:
            choices = model._meta.get_field(name).flatchoices
        except FieldDoesNotExist:  # a form field with no model field behind it
            continue
        if choices and field.help_text:
            field.help_text = readable_help_text(field.help_text, choices)


class InlineHistoryMixin:
    """The history page lists, under the object's own versions, the versions of the rows edited through
    its inlines (for an event: its claims and actor roles), newest first, each labelled and diffed.

    History tables are indexed by object id and date only (core/history.py), so the rows shown are those
    of the object's current inline rows, found by id: a row deleted or moved elsewhere keeps its history on
    its own model's page.
    """

    object_history_list_template = "admin/object_history_with_inlines.html"

    def history_view(self, request, object_id, extra_context=None):
        context = {"inline_histories": self.inline_histories(request, unquote(object_id))}
        context.update(extra_context or {})
        return super().history_view(request, object_id, context)

    def inline_histories(self, request, object_id) -> list[dict]:
        sections = []
        for inline in self.get_inline_instances(request):
            model = inline.model
            if not hasattr(model._meta, "simple_history_manager_attribute"):
                continue
            fk = _parent_key(self.model, model, getattr(inline, "fk_name", None))
            current = model._default_manager.filter(**{fk.name: object_id}).values("pk")
            records = list(
                model.history.filter(**{f"{model._meta.pk.attname}__in": current})
                .select_related("history_user")
                .order_by("-history_date", "-history_id")[:INLINE_HISTORY_ROWS]
            )
            if records:
                sections.append(
                    {"title": model._meta.verbose_name_plural, "rows": _history_rows(model, records, fk)}
                )
        return sections


def _parent_key(parent, model, fk_name: str | None) -> models.ForeignKey:
    """The inline's key to the page's object: the one it names, else its only key to that model."""
    if fk_name:
        return model._meta.get_field(fk_name)
    return next(
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.related_model is parent
    )


def _history_rows(model, records: list, parent_key) -> list[dict]:
    """Each version with its label, link and changes since the version before it (among those shown); a
    new row's values, but for its key to the page's object, which goes without saying."""
    pk_name = model._meta.pk.attname
    earlier: dict = {}
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        record.previous = earlier.get(getattr(record, pk_name))
        earlier[getattr(record, pk_name)] = record
    changes = {record.history_id: _changes(model, record, parent_key) for record in records}
    shown = _related_labels([change for found in changes.values() for change in found])
    rows = []
    for record in records:
        pk = getattr(record, pk_name)
        created = record.history_type == "+"
        rows.append(
            {
                "label": f"{model._meta.verbose_name.capitalize()} {pk}",
                "url": _change_url(model, pk) if record.history_type != "-" else None,
                "record": record,
                "changes": [
                    (
                        field.verbose_name.capitalize(),
                        None if created else shown(field, old),
                        shown(field, new),
                    )
                    for field, old, new in changes[record.history_id]
                ],
            }
        )
    return rows


def _changes(model, record, parent_key) -> list[tuple]:
    """(field, old, new) of the editable fields this version changed; a new row's values, those given."""
    fields = [f for f in model._meta.concrete_fields if f.editable and not f.primary_key]
    previous = record.previous
    if record.history_type == "+":
        return [
            (f, None, getattr(record, f.attname))
            for f in fields
            if f is not parent_key and getattr(record, f.attname) not in (None, "")
        ]
    if previous is None or record.history_type == "-":
        return []  # a deletion changes no field; an older version beyond the page is not compared
    return [
        (f, getattr(previous, f.attname), getattr(record, f.attname))
        for f in fields
        if getattr(previous, f.attname) != getattr(record, f.attname)
    ]


def _related_labels(changes: list[tuple]):
    """A function putting a value in words: a choice by its label, a related row by its name (one query
    per related model, whatever the number of rows)."""
    wanted: dict = {}
    for field, old, new in changes:
        if isinstance(field, models.ForeignKey):
            wanted.setdefault(field.related_model, set()).update(v for v in (old, new) if v is not None)
    found = {
        related: related._default_manager.select_related().in_bulk(list(ids))
        for related, ids in wanted.items()
    }

    def shown(field, value) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(field, models.ForeignKey):
            row = found[field.related_model].get(value)
            return str(row) if row is not None else f"{field.related_model._meta.verbose_name} {value}"
        if field.flatchoices:
            return str(dict(field.flatchoices).get(value, value))
        return str(value)

    return shown


def _change_url(model, pk) -> str | None:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[pk])
    except NoReverseMatch:
        return None


class DeferredWritesAdminMixin(ReadableHelpTextsMixin, InlineHistoryMixin):
    """Wrap the admin's write views in one `deferred()` block, inside their transaction.

    A change form saves the object, then its inlines (claims, roles, aliases, derivation links), each
    marking what it touched; the owners of derived state recompute once when the page's work is done.
    Subclasses route `save_model` to their app's service (skipping it when `form_unchanged`). The base of
    every curated admin, it also brings readable help texts and the inlines' history.
    """

    def _changeform_view(self, request, object_id, form_url, extra_context):
        with deferred():
            return super()._changeform_view(request, object_id, form_url, extra_context)

    def _delete_view(self, request, object_id, extra_context):
        with deferred():
            return super()._delete_view(request, object_id, extra_context)

    def delete_queryset(self, request, queryset):
        with transaction.atomic(savepoint=False), deferred():
            super().delete_queryset(request, queryset)
