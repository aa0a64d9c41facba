"""The database enforces uniqueness, checks and references; this turns its refusals into field errors.

Writes validate with `validate_for_write` (the model's field rules and `clean()`, without the per-constraint
SELECTs that the database answers anyway at INSERT time) and run inside `integrity_errors_as_validation`,
which maps the constraint the database names to the message Django's own validation would give, so the
admin (which validates in Python) and the API (which lets the database decide) say the same thing.
Raw database text never reaches a client.

`validate_for_write` is `full_clean` less the queries, and faster: a value that a field would take as it
is (a `str` within its length, an `int` within its range and choices, a `date`…) is passed without
Django's per-field machinery; any other value goes through the field's own `clean()`, so every refusal
and every message is Django's. Importers validate each row this way.
"""

import datetime
import re
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from functools import cache

from django.apps import apps
from django.core import validators
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models
from django.db.models.expressions import DatabaseDefault

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
    full_clean_for_write(instance, loaded | (exclude or set()))


def full_clean_for_write(
    instance: models.Model, exclude: Iterable[str] = (), *, only: frozenset[str] | None = None
) -> None:
    """`instance.full_clean(exclude, validate_unique=False, validate_constraints=False)`, step for step
    (fields, then `clean()` even when a field failed, errors merged the same way), with the fields'
    pass-through check first (`field_takes_as_is`).

    `only` names the fields to clean when the others hold values already known to pass as they are (see
    `fields_taken_as_is`): a bulk writer checks its defaults once, and each row's own values."""
    errors: dict = {}
    try:
        _clean_fields(instance, exclude, only)
    except ValidationError as e:
        errors = e.update_error_dict(errors)
    try:
        instance.clean()
    except ValidationError as e:
        errors = e.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _clean_fields(instance: models.Model, exclude: Iterable[str], only: frozenset[str] | None) -> None:
    """Model.clean_fields: a value a field takes as it is is left alone, any other is cleaned by the field."""
    errors = {}
    values = instance.__dict__
    for field, attname, takes_as_is in _field_checks(type(instance), only):
        if field.name in exclude:
            continue
        raw = values[attname] if attname in values else getattr(instance, attname)
        if takes_as_is is not None and takes_as_is(raw):
            continue
        if field.blank and raw in field.empty_values:
            continue
        if isinstance(raw, DatabaseDefault):
            continue
        try:
            setattr(instance, attname, field.clean(raw, instance))
        except ValidationError as e:
            errors[field.name] = e.error_list
    if errors:
        raise ValidationError(errors)


@cache
def _field_checks(model: type[models.Model], only: frozenset[str] | None = None) -> tuple:
    """(field, attname, pass-through check or None) for each field full_clean cleans, in its order."""
    return tuple(
        (f, f.attname, _takes_as_is(f))
        for f in model._meta.fields
        if not f.generated and (only is None or f.name in only)
    )


@cache
def _takes_as_is(field: models.Field) -> Callable[[object], bool] | None:
    return field_takes_as_is(field)


def fields_taken_as_is(model: type[models.Model], values: Mapping[str, object]) -> set[str]:
    """The names of the fields whose value in `values` (by attname) full_clean would leave as it is without
    an error: an instance holding those same values need not have them cleaned again."""
    return {
        field.name
        for field, attname, takes_as_is in _field_checks(model)
        if attname in values and takes_as_is is not None and takes_as_is(values[attname])
    }


# Field classes whose to_python() returns a value of these exact types unchanged. Subclasses are not
# listed: they may clean differently, so their values always go through their own clean().
_PASS_THROUGH: dict[type, tuple[type, ...]] = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.SlugField: (str,),
    models.IntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.BigIntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.PositiveBigIntegerField: (int,),
    models.AutoField: (int,),
    models.BigAutoField: (int,),
    models.SmallAutoField: (int,),
    models.FloatField: (float,),
    models.BooleanField: (bool,),
    models.DateField: (datetime.date,),
    models.DateTimeField: (datetime.datetime,),
}


def _limit(validator) -> object:
    return None if callable(validator.limit_value) else validator.limit_value


def field_takes_as_is(field: models.Field) -> Callable[[object], bool] | None:
    """A check that says True only for a value `field.clean(value, instance)` returns unchanged without
    an error (its own type, within its choices, length, range and other validators); False means "not
    sure", and the field cleans it. None for fields that always clean (relations, other classes)."""
    types = _PASS_THROUGH.get(type(field))
    if types is None or field.is_relation:
        return None
    (kind,) = types
    lengths, values, others, no_nul = [0, None], [None, None], [], False  # [min, max] each
    for validator in field.validators:
        limit = _limit(validator) if hasattr(validator, "limit_value") else None
        if type(validator) is validators.MaxLengthValidator and limit is not None:
            lengths[1] = limit if lengths[1] is None else min(lengths[1], limit)
        elif type(validator) is validators.MinLengthValidator and limit is not None:
            lengths[0] = max(lengths[0], limit)
        elif type(validator) is validators.MaxValueValidator and limit is not None:
            values[1] = limit if values[1] is None else min(values[1], limit)
        elif type(validator) is validators.MinValueValidator and limit is not None:
            values[0] = limit if values[0] is None else max(values[0], limit)
        elif type(validator) is validators.ProhibitNullCharactersValidator:
            no_nul = True
        else:
            others.append(validator)
    (min_length, max_length), (low, high) = lengths, values
    # Field.validate: choices, null and blank, for editable fields only (non-editable ones skip it).
    choices = None
    if field.editable and field.choices is not None:
        choices = frozenset(key for key, _ in field.flatchoices)
    required, blank = field.editable and not field.blank, field.blank
    # The empty values a value of this exact type can equal (a number or a date equals none of "", [], ()…).
    empty = tuple(e for e in field.empty_values if e is not None)
    if kind is not str and all(isinstance(e, str | list | tuple | dict | set | bytes) for e in empty):
        empty = ()

    def takes_as_is(value) -> bool:
        if value is None:  # blank fields skip it; the others clean it (null or not)
            return blank
        if type(value) is not kind:
            return False
        if empty and value in empty:  # blank fields skip cleaning, and validators skip empty values
            return not required
        if choices is not None and value not in choices:
            return False
        if max_length is not None and len(value) > max_length or min_length and len(value) < min_length:
            return False
        if low is not None and value < low or high is not None and value > high:
            return False
        if no_nul and "\x00" in value:
            return False
        return not others or all(_passes(validator, value) for validator in others)

    return takes_as_is


def _passes(validator, value) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


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
