"""The database enforces uniqueness, checks and references; this turns its refusals into field errors.

Writes validate with `validate_for_write` (the model's field rules and `clean()`, without the per-constraint
SELECTs that the database answers anyway at INSERT time) and run inside `integrity_errors_as_validation`,
which maps the constraint the database names to the message Django's own validation would give, so the
admin (which validates in Python) and the API (which lets the database decide) say the same thing.
Raw database text never reaches a client.
"""

import re
from contextlib import contextmanager
from functools import cache

from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models

CONFLICT_MESSAGE = "The change conflicts with existing data; reload and try again."
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?:index '(?P<index>[^']+)'|(?P<columns>.+))")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (?P<name>\w+)")
_SQLITE_NOT_NULL = re.compile(r"NOT NULL constraint failed: (?P<table>\w+)\.(?P<column>\w+)")
_PG_KEY = re.compile(r"Key \((?P<columns>[^)]*)\)")


def validate_for_write(instance: models.Model, *, exclude: set[str] | None = None) -> None:
    """full_clean, less the queries: uniques and constraints are left to the database, and a foreign key
    whose object is already loaded (it was just looked up) is not looked up again."""
    loaded = {
        f.name
        for f in instance._meta.concrete_fields
        if f.is_relation and f.is_cached(instance) and getattr(instance, f.name) is not None
    }
    instance.full_clean(
        exclude=loaded | (exclude or set()), validate_unique=False, validate_constraints=False
    )


@cache
def _constraints() -> dict[str, tuple[type[models.Model], models.BaseConstraint]]:
    return {
        constraint.name: (model, constraint)
        for model in apps.get_models()
        for constraint in model._meta.constraints
    }


@cache
def _tables() -> dict[str, type[models.Model]]:
    return {model._meta.db_table: model for model in apps.get_models()}


def _field_of(model: type[models.Model], column: str) -> models.Field | None:
    return next((f for f in model._meta.concrete_fields if f.column == column), None)


def _unique_columns_error(model: type[models.Model], columns: list[str]) -> ValidationError:
    fields = [f for f in (_field_of(model, c) for c in columns) if f is not None]
    names = tuple(f.name for f in fields)
    message = model().unique_error_message(model, names)
    return ValidationError({names[0] if len(names) == 1 else NON_FIELD_ERRORS: [message]})


def _constraint_error(name: str) -> ValidationError | None:
    found = _constraints().get(name)
    if found is None:
        return None
    model, constraint = found
    # The same message and key Model.validate_constraints() gives for this constraint.
    if isinstance(constraint, models.UniqueConstraint) and constraint.fields and not constraint.condition:
        message = model().unique_error_message(model, tuple(constraint.fields))
        key = constraint.fields[0] if len(constraint.fields) == 1 else NON_FIELD_ERRORS
        return ValidationError({key: [message]})
    return ValidationError({NON_FIELD_ERRORS: [constraint.get_violation_error_message()]})


def integrity_error_to_validation(exc: IntegrityError) -> ValidationError:
    """The field error the database's refusal stands for (SQLite's message or PostgreSQL's diagnostics)."""
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    if diag is not None:  # PostgreSQL
        error = _constraint_error(diag.constraint_name or "")
        if error is not None:
            return error
        model = _tables().get(diag.table_name or "")
        key = _PG_KEY.search(diag.message_detail or "")
        sqlstate = getattr(cause, "sqlstate", "")
        if model is not None and key and sqlstate == "23505":
            return _unique_columns_error(model, [c.strip() for c in key["columns"].split(",")])
        if model is not None and key and sqlstate == "23503":
            field = _field_of(model, key["columns"].strip())
            if field is not None:
                return ValidationError({field.name: ["No such object: it does not exist (any more)."]})
        if model is not None and diag.column_name and sqlstate == "23502":
            field = _field_of(model, diag.column_name)
            if field is not None:
                return ValidationError({field.name: [field.error_messages["null"]]})
        return ValidationError({NON_FIELD_ERRORS: [CONFLICT_MESSAGE]})
    text = str(exc)
    if match := _SQLITE_CHECK.search(text):
        return _constraint_error(match["name"]) or ValidationError({NON_FIELD_ERRORS: [CONFLICT_MESSAGE]})
    if match := _SQLITE_UNIQUE.search(text):
        if match["index"]:
            return _constraint_error(match["index"]) or ValidationError(
                {NON_FIELD_ERRORS: [CONFLICT_MESSAGE]}
            )
        pairs = [part.strip().split(".", 1) for part in match["columns"].split(",")]
        model = _tables().get(pairs[0][0])
        if model is not None:
            error = next(
                (
                    _constraint_error(c.name)
                    for c in model._meta.constraints
                    if isinstance(c, models.UniqueConstraint)
                    and c.fields
                    and [model._meta.get_field(f).column for f in c.fields] == [col for _, col in pairs]
                ),
                None,
            )
            return error or _unique_columns_error(model, [col for _, col in pairs])
    if match := _SQLITE_NOT_NULL.search(text):
        model = _tables().get(match["table"])
        field = _field_of(model, match["column"]) if model else None
        if field is not None:
            return ValidationError({field.name: [field.error_messages["null"]]})
    return ValidationError({NON_FIELD_ERRORS: [CONFLICT_MESSAGE]})


@contextmanager
def integrity_errors_as_validation():
    """Let the database decide, and answer its refusal as the ValidationError the model would raise."""
    try:
        yield
    except IntegrityError as exc:
        raise integrity_error_to_validation(exc) from exc
